"""`trustgraph chokepoints`: the statements whose removal cuts the most reach to sensitive roles
(docs/chokepoints.md)."""

from __future__ import annotations

import json

import click
from rich.table import Table

from trustgraph.analysis.chokepoints import chokepoints, legitimate_access, rule_scopes, target_scope
from trustgraph.analysis.diff import incompleteness
from trustgraph.analysis.reachability import resolve_node
from trustgraph.atomic import write_text
from trustgraph.cli.app import examples, main
from trustgraph.cli.check_cmd import sensitive_arns
from trustgraph.cli.gate_files import load_guardrails
from trustgraph.cli.inputs import VIA_HELP, InputSpec, checked_via, input_options, obtain, recorded_inputs, stderr
from trustgraph.cli.output import short, stdout
from trustgraph.cli.progress import phase
from trustgraph.cli.terminal import safe
from trustgraph.graph.schema import NodeKind, is_kind
from trustgraph.model import Snapshot
from trustgraph.report.chokepoints import breaks_words, chokepoints_document, chokepoints_markdown

FORMATS = ("table", "json", "markdown")
SENSITIVE = "sensitive"


@main.command("chokepoints", epilog=examples(
    "trustgraph chokepoints -i samples/acme",
    "trustgraph chokepoints -i samples/acme --to arn:aws:iam::444444444444:role/BreakGlass -k 3",
    "trustgraph chokepoints -i samples/acme --rules samples/guardrails/acme.yaml --json",
))
@input_options
@click.option("--to", "to", default=SENSITIVE, show_default=True, metavar="sensitive|ROLE_ARN",
              help="The targets: the sensitive roles (as findings and review call them), or one role.")
@click.option("--rules", "rules_file", type=click.Path(exists=True, dir_okay=False),
              help="Count the pairs that break these guardrails (docs/guardrails.md) instead of --to.")
@click.option("-k", "k", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many statements to suggest.")
@click.option("--via", "via", multiple=True, metavar="KINDS", help=VIA_HELP)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table, json (the trustgraph/chokepoints/v1 contract) or markdown.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write json or markdown to this file.")
@click.option("--sensitive", "sensitive", multiple=True, metavar="ARN-GLOB",
              help="Also treat roles matching this ARN glob (or role-name glob) as sensitive (repeatable).")
def chokepoints_command(spec: InputSpec, to: str, rules_file: str | None, k: int, via: tuple[str, ...], fmt: str,
                        as_json: bool, output: str | None, sensitive: tuple[str, ...]) -> None:
    """The statements whose removal cuts the most reach: trust statements, permission-set assignments, identity grants.

    Identity grants: inline identity-policy statements, where their cut is exact (docs/chokepoints.md).

    A pair is a principal and a target role it can reach (by default every sensitive role; with --rules, the pairs
    that break the rules). The statements are chosen greedily: each is the one whose removal, after the ones before
    it, cuts the most pairs, recomputed on the graph, and `pairs cut` is exact. `breaks` says what legitimate
    access the removal takes too (pipelines and workloads, people signing in, same-account access, principals a
    rule allows), so that a reviewer does not cut the path the business runs on. Exit 2 on bad input or rules.
    """
    if as_json:
        fmt = "json"
    if fmt == "table" and output:
        raise click.UsageError("-o writes json or markdown: add --format")
    if rules_file and to != SENSITIVE:
        raise click.UsageError("give --to or --rules, not both")
    rules = load_guardrails(rules_file) if rules_file else None
    chosen_via = checked_via(via)
    loaded = obtain(spec, snapshot=True)
    graph, snapshot = loaded.graph, loaded.snapshot
    if snapshot is not None:
        incomplete = incompleteness(snapshot, loaded.report.files_rejected if loaded.report is not None else None)
    else:
        incomplete = incompleteness(Snapshot(gaps=list(graph.graph.get("incomplete") or [])))
    allowed = None
    if rules is not None:
        if chosen_via is not None:
            raise click.UsageError("with --rules each rule's `via` chooses the edges: leave --via out")
        marked = sensitive_arns(graph, snapshot, sensitive, spec.quiet)
        scopes, allowed = rule_scopes(graph, rules, sensitive=marked)
        what = f"the rules of {rules_file}"
    elif to == SENSITIVE:
        scopes = [target_scope(graph, sensitive_arns(graph, snapshot, sensitive, spec.quiet), chosen_via)]
        what = "the sensitive roles"
    else:
        role = resolve_node(graph, to)
        if not is_kind(graph.nodes[role], NodeKind.ROLE):
            raise click.UsageError(f"--to names a role ARN or `sensitive`; {to} is a {graph.nodes[role].get('kind')}")
        scopes = [target_scope(graph, [role], chosen_via)]
        what = role
    with phase("find choke points", quiet=spec.quiet):
        found = chokepoints(graph, scopes, k, legitimate=legitimate_access(graph, allowed))
    files = {arn: r.source for arn, r in snapshot.roles.items() if r.source} if snapshot else {}
    gaps = list(incomplete.reasons)
    if fmt == "table":
        _table(found, what, gaps)
        return
    if fmt == "json":
        text = json.dumps(chokepoints_document(found, targets=what, files=files, incomplete=gaps,
                                               inputs=recorded_inputs(spec)), indent=2)
    else:
        text = chokepoints_markdown(found, targets=what, incomplete=gaps).rstrip("\n")
    if output:
        write_text(output, text + "\n")
    else:
        click.echo(text)


def _table(found, what: str, gaps: list[str]) -> None:  # type: ignore[no-untyped-def]
    stdout.print(f"{found.pairs_total} (principal, role) pairs reach {safe(what)}")
    if not found.suggestions:
        stdout.print("No statement on their paths can be removed alone to cut one (docs/chokepoints.md).")
    else:
        table = Table(title_justify="left", show_lines=True)
        for column in ("#", "statement", "edge", "pairs cut", "cumulative", "also breaks"):
            table.add_column(column, overflow="fold")
        for s in found.suggestions:
            unit = s.unit
            if unit.kind == "trust":
                statement = f"{short(unit.owner)} trust #{unit.index}" + (f" ({s.sid})" if s.sid else "")
            elif unit.kind == "identity":
                statement = (f"{short(unit.owner)} inline policy {unit.policy} #{unit.index}"
                             + (f" ({s.sid})" if s.sid else ""))
            else:
                pset, holder = s.names or (unit.policy, short(unit.owner))
                statement = f"permission set {pset} assigned to {holder} in {unit.account}"
            table.add_row(str(s.rank), safe(statement), safe(s.edge_kind), str(s.pairs_cut),
                          f"{s.cumulative_pairs_cut} ({s.cumulative_share:.0%})", safe(breaks_words(s)))
        stdout.print(table)
        left = found.pairs_total - found.suggestions[-1].cumulative_pairs_cut
        stdout.print(f"{left} pair(s) left after removing these {len(found.suggestions)}. "
                     "Use --format json for the edges each cuts and examples of what it breaks.")
    for gap in gaps:
        stdout.print(f"  incomplete data: {safe(gap)}")
    if not found.pairs_total:
        stderr.print("note: nothing reaches the targets")
