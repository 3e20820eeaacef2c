"""`trustgraph check --rules FILE`: guardrails as code (docs/guardrails.md)."""

from __future__ import annotations

import json
from datetime import datetime

import click
from rich.table import Table

from trustgraph.analysis.diff import Incomplete, incompleteness
from trustgraph.analysis.guardrails import RuleResult, check, uses_sensitive, violation_count
from trustgraph.atomic import write_text
from trustgraph.cli.app import examples, main
from trustgraph.cli.gate import finish, incomplete_reason
from trustgraph.cli.gate_files import load_guardrails
from trustgraph.cli.inputs import InputSpec, input_options, obtain, recorded_inputs, stderr
from trustgraph.cli.output import sarif_category_option, short, stdout
from trustgraph.cli.progress import phase
from trustgraph.cli.terminal import safe
from trustgraph.model import Snapshot
from trustgraph.report.guardrails import (
    SHOWN_GROUPS,
    check_document,
    check_markdown,
    path_words,
    rule_demand,
    statement_text,
)
from trustgraph.report.sarif import guardrails_sarif

FORMATS = ("table", "json", "sarif", "markdown")


@main.command("check", epilog=examples(
    "trustgraph check -i samples/acme --rules samples/guardrails/acme.yaml",
    "trustgraph check -i samples/acme --rules samples/guardrails/acme.yaml --format json",
    "trustgraph check --graph live.sqlite --rules guardrails.yaml --format sarif -o check.sarif --fail-on-violation",
))
@input_options
@click.option("--rules", "rules_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The guardrails: a YAML or JSON file of rules (docs/guardrails.md).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table (grouped per rule, where the principals are and role), json (the trustgraph/check/v1 "
                   "contract: every violation with its path and statements), sarif (2.1.0, for GitHub code "
                   "scanning), markdown (a pull-request comment).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@sarif_category_option
@click.option("--fail-on-violation", is_flag=True, help="Exit 1 when any rule is broken.")
@click.option("--allow-incomplete", is_flag=True,
              help="Let --fail-on-violation decide on incomplete data (an input that could not be read, a "
                   "collection marked partial) instead of exiting 2.")
@click.option("--sensitive", "sensitive", multiple=True, metavar="ARN-GLOB",
              help="Also treat roles matching this ARN glob (or role-name glob) as `sensitive: true` (repeatable).")
def check_command(spec: InputSpec, rules_file: str, fmt: str, as_json: bool, output: str | None,
                  sarif_category: str | None, fail_on_violation: bool, allow_incomplete: bool,
                  sensitive: tuple[str, ...]) -> None:
    """Check guardrails: rules on who may reach which roles (deny, allow_only, require_conditions).

    Each principal breaking a rule is one violation, with its shortest violating path, the kind of each hop and
    the statements that make it (file, policy, statement index, Sid); the table groups them per rule, where the
    principals are (OU, else account) and role. Exit 1 with --fail-on-violation when any rule is broken, 2 on a
    bad rules file (every mistake named with its line), and, with --fail-on-violation, on incomplete data unless
    --allow-incomplete.
    """
    if as_json:
        fmt = "json"
    if fmt == "table" and output:
        raise click.UsageError("-o writes json, sarif or markdown: add --format")
    rules = load_guardrails(rules_file)  # before any data is read: a mistake in the rules is found at once
    loaded = obtain(spec, snapshot=True)
    graph, snapshot = loaded.graph, loaded.snapshot
    if snapshot is not None:
        incomplete = incompleteness(snapshot, loaded.report.files_rejected if loaded.report is not None else None)
    else:
        incomplete = incompleteness(Snapshot(gaps=list(graph.graph.get("incomplete") or [])))
    marked = sensitive_arns(graph, snapshot, sensitive, spec.quiet) if uses_sensitive(rules) else set()
    sources = {arn: role.source for arn, role in snapshot.roles.items() if role.source} if snapshot else {}
    with phase("check rules", quiet=spec.quiet):
        results = check(graph, rules, sensitive=marked, sources=sources)
    gaps = list(incomplete.reasons)
    for r in results:
        if not r.guarded and not spec.quiet:  # a glob or tag with a typo would make the rule hold unseen
            stderr.print(f"warning: rule {safe(r.rule.id)} ({safe(r.rule.where)}): `to` selects no role or user of "
                         "the data, so it holds trivially")
    if fmt == "table":
        _table(results, incomplete)
    else:
        if fmt == "json":
            text = json.dumps(check_document(results, incomplete=gaps, inputs=recorded_inputs(spec)), indent=2)
        elif fmt == "sarif":
            text = json.dumps(guardrails_sarif(results, sources=sources, incomplete=gaps,
                                               unread=incomplete.partial,
                                               origins=snapshot.iac_origins if snapshot else None,
                                               category=sarif_category), indent=2)
        else:
            text = check_markdown(results, incomplete=gaps).rstrip("\n")
        if output:
            write_text(output, text + "\n")
        else:
            click.echo(text)
    count = violation_count(results)
    broken = [r.rule.id for r in results if r.violations]
    failures = [f"--fail-on-violation: {count} violation(s) of {len(broken)} rule(s): {', '.join(broken)}"] \
        if fail_on_violation and count else []
    finish(failures, None, gating=fail_on_violation,
           incomplete=incomplete_reason((("", incomplete),), allow_incomplete) if fail_on_violation else None)


def sensitive_arns(graph, snapshot: Snapshot | None, patterns: tuple[str, ...], quiet: bool) -> set[str]:  # type: ignore[no-untyped-def]
    """The roles `sensitive: true` names: admin-equivalent, tagged or matching --sensitive (from the policies);
    from a saved graph without them, the tag and --sensitive only."""
    if snapshot is None:
        from trustgraph.analysis.sensitive_roles import sensitive_in_graph

        if not quiet:
            stderr.print("note: this saved graph keeps no policies: `sensitive: true` names roles tagged "
                         "trustgraph:sensitive=true and --sensitive only, not admin-equivalent ones")
        return set(sensitive_in_graph(graph, patterns))
    from trustgraph.policy.sensitivity import sensitive_roles

    stamp = graph.graph.get("data_time")
    data_time = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() if stamp else None
    with phase("find sensitive roles", quiet=quiet):
        return set(sensitive_roles(snapshot, patterns, data_time))


def _table(results: list[RuleResult], incomplete: Incomplete) -> None:
    for r in results:
        rule = r.rule
        head = f"[bold]{safe(rule.id)}[/]"
        if not r.violations:
            stdout.print(f"{head}: holds [dim]({safe(rule_demand(r))})[/]")
            continue
        stdout.print(f"{head}: [bold red]{len(r.violations)} violation(s)[/] [dim]({safe(rule_demand(r))})[/]")
        if rule.description:
            stdout.print(f"  {safe(rule.description)}")
        table = Table(title_justify="left", show_lines=True)
        for column in ("from", "role", "principals", "shortest path (example)", "statements"):
            table.add_column(column, overflow="fold")
        for g in r.groups[:SHOWN_GROUPS]:
            v = g.violations[0]
            names = ", ".join(short(x.principal) for x in g.violations[:3])
            more = f" and {g.count - 3} more" if g.count > 3 else ""
            path = path_words(v) + (f"\n(no hop needs {', '.join(v.missing)})" if v.missing else "")
            statements = "\n".join(statement_text(s) for s in v.statements if not s.get("membership"))
            table.add_row(safe(g.source), safe(short(g.role)), safe(f"{g.count}: {names}{more}"), safe(path),
                          safe(statements))
        stdout.print(table)
        if len(r.groups) > SHOWN_GROUPS:
            rest = r.groups[SHOWN_GROUPS:]
            stdout.print(f"  … and {sum(g.count for g in rest)} more violation(s) at {len(rest)} more role(s) and "
                         "place(s): --format json lists every one")
    count = violation_count(results)
    broken = sum(1 for r in results if r.violations)
    stdout.print(f"{count} violation(s) of {broken} of {len(results)} rule(s)."
                 + (" Use --format json for every violation with its statements." if count else ""))
    for gap in incomplete.reasons:
        stdout.print(f"  incomplete data: {safe(gap)}")
