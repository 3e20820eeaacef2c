"""`trustgraph who-can-reach ROLE_ARN`."""

from __future__ import annotations

import click
import networkx as nx
from rich.table import Table

from trustgraph.analysis.answers import who_can_reach_json
from trustgraph.analysis.marks import NO_MARKS
from trustgraph.analysis.people import Person, people_of, people_summary, person_json
from trustgraph.analysis.reachability import Reacher, WhoCanReach, through_group, who_can_reach
from trustgraph.analysis.usage import BadSince, since_moment, unused_for, used_since
from trustgraph.cli.app import examples, main
from trustgraph.cli.inputs import (
    VIA_HELP,
    InputSpec,
    checked_via,
    input_options,
    obtain_query_graph,
    query_answer,
    query_snapshot,
    stderr,
)
from trustgraph.cli.output import (
    ROWS_HELP,
    TABLE_FORMATS,
    PictureFile,
    emit_json,
    emit_rows,
    path_text,
    short,
    split_format,
    stdout,
    write_picture,
)
from trustgraph.cli.pictures import load_picture, no_marks_option, require_usage, usage_option
from trustgraph.cli.progress import phase
from trustgraph.cli.terminal import safe
from trustgraph.cli.usage_text import last_used_text, usage_footer
from trustgraph.graph.schema import NodeKind, is_kind
from trustgraph.graph.usage import has_usage
from trustgraph.model import Snapshot
from trustgraph.render.engine import FORMATS


@main.command("who-can-reach", epilog=examples(
    "trustgraph who-can-reach arn:aws:iam::444444444444:role/BreakGlass -i samples/acme",
    "trustgraph who-can-reach arn:aws:iam::444444444444:role/BreakGlass -i samples/acme --from-outside --json",
    "trustgraph who-can-reach arn:aws:iam::444444444444:role/BreakGlass -i samples/acme --format tsv | cut -f1",
    "trustgraph who-can-reach arn:aws:iam::444444444444:role/BreakGlass -i samples/acme --people -o"
    " breakglass-paths.svg",
))
@click.argument("role_arn")
@input_options
@click.option("--max-hops", type=click.IntRange(min=1), help="Only chains of at most N role assumptions.")
@click.option("--from-outside", is_flag=True,
              help="Only reachers from outside the organization (outside the data set without org data).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--via", "via", multiple=True, metavar="KINDS",
              help=VIA_HELP)
@click.option("--output", "-o", type=PictureFile(),
              help="Also draw the paths to this file (`-` for standard output, text formats only).")
@click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS + FORMATS),
              help=f"{ROWS_HELP}. {', '.join(FORMATS)}: the picture format of -o (default: from the -o suffix).")
@click.option("--used-since", "used_since_text", metavar="WHEN",
              help="Only reachers whose every link CloudTrail saw used since WHEN (90d, 12w: back from the latest "
                   "event read; or an ISO 8601 date). Needs CloudTrail events in -i (docs/usage.md).")
@click.option("--unused-for", "unused_for_text", metavar="WHEN",
              help="Only reachers with a link the events cover and show unused since WHEN (90d, 12w, or a date): "
                   "trust nobody exercised. Links outside the events' coverage are unknown and never count.")
@click.option("--people", is_flag=True,
              help="Only the people: IAM users and IAM Identity Center users (groups expanded), each with the group "
                   "and permission set it signs in through.")
@usage_option
@no_marks_option
def who_can_reach_command(role_arn: str, spec: InputSpec, max_hops: int | None, from_outside: bool, as_json: bool,
                          output: str | None, fmt: str | None, via: tuple[str, ...], people: bool,
                          used_since_text: str | None = None, unused_for_text: str | None = None,
                          no_marks: bool = False, usage: bool = False) -> None:
    """Every principal that can reach ROLE_ARN, each with its shortest chain of role assumptions.

    A path without conditions is preferred; otherwise the shortest conditional one is shown with the
    condition keys (sts:ExternalId, MFA, IdP claims, ...) it depends on.
    """
    if output == "-" and as_json:
        raise click.UsageError("--json and -o - both write to standard output; pick one")
    rows, fmt = split_format(fmt, as_json, output)
    # The snapshot: RoleLastUsed of the target beside CloudTrail usage; the marks: those of the build.
    loaded = None
    if output:
        graph, snapshot, marks = load_picture(spec, snapshot=True, marks=not no_marks)
    else:  # an answer in words: a saved graph is read as far as the answer goes
        loaded = obtain_query_graph(spec, snapshot=True)
        graph, marks = loaded.graph, NO_MARKS
    if usage:
        if not output:
            raise click.UsageError("--usage styles the picture: give -o FILE")
        require_usage(graph)

    def search(graph: nx.DiGraph) -> WhoCanReach:
        return who_can_reach(graph, role_arn, max_hops, from_outside=from_outside, via=checked_via(via), people=people)

    if loaded is None:
        answer = search(graph)
    else:
        loaded, answer = query_answer(spec, loaded, search, snapshot=True)
        graph = loaded.graph
        snapshot = query_snapshot(loaded) if has_usage(graph) else loaded.snapshot
    answer.reachers = _usage_filtered(graph, answer.reachers, used_since_text, unused_for_text)
    persons = people_of(graph, answer.reachers) if people else []
    if people:
        # the reachers are those of the answer without --people; the people come on top
        answer.reachers = [r for r in answer.reachers if not _in_a_group(graph, r)]
    if output and not answer.reachers:
        # A picture of the target alone would say nothing: say it in words, draw nothing.
        stderr.print(f"nobody in the data reaches {safe(short(answer.target))}: no picture written")
    elif output:
        from trustgraph.render.views import reachers_view  # pictures only: a query's answer never loads the views
        dot = reachers_view(graph, answer.target, answer.reachers, marks, usage)
        with phase("render", quiet=spec.quiet):
            written = write_picture(dot, output, fmt)
        if written and not as_json:
            stderr.print(f"wrote {safe(written)}")
    if as_json:
        payload = who_can_reach_json(answer)
        _add_usage_facts(payload, graph, snapshot, answer.target)
        if people:
            payload["people"] = [person_json(p) for p in persons]
            payload["people_count"] = len(persons)
        emit_json(payload)
        return
    if output == "-":
        return  # standard output carries the picture
    if rows != "table":
        if people:
            emit_rows(PEOPLE_COLUMNS, [_person_row(graph, p) for p in persons], rows)
        else:
            emit_rows(REACHER_COLUMNS, [_reacher_row(graph, r) for r in answer.reachers], rows)
        return
    title = f"Who can reach {safe(short(answer.target))}"
    if people:
        _people_table(graph, title, persons)
        return
    if not answer.reachers:
        stdout.print(f"{title}: nobody in the data.")
        return
    observed = has_usage(graph)
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in ("principal", "kind", "from", "hops", "path", "conditions") + (("last used",) if observed else ()):
        table.add_column(column, overflow="fold")
    for r in answer.reachers:
        name = _reacher_name(graph, r) + (f" [dim]({safe(r.account_name)})[/]" if r.account_name else "")
        row = [name, safe(r.kind), safe(r.classification or ""), str(r.hops), safe(path_text(graph, r.path, r.steps)),
               safe(", ".join(r.conditions)) if r.conditional else "—"]
        table.add_row(*row, *((last_used_text(r.steps),) if observed else ()))
    stdout.print(table)
    if observed:
        stdout.print(safe(usage_footer(graph, snapshot, answer.target)))
    firm = sum(1 for r in answer.reachers if not r.conditional)
    stdout.print(f"{len(answer.reachers)} reacher(s): {firm} unconditional, {len(answer.reachers) - firm} conditional")


# --format tsv|csv: the table's columns, full ids instead of the short form, the account name a column of its own.
REACHER_COLUMNS = ("principal", "account_name", "kind", "from", "hops", "path", "conditions")
PEOPLE_COLUMNS = ("person", "name", "kind", "through", "permission_set", "hops", "path", "conditions")


def _usage_filtered(graph: nx.DiGraph, reachers: list[Reacher], used_since_text: str | None,
                    unused_for_text: str | None) -> list[Reacher]:
    if not used_since_text and not unused_for_text:
        return reachers
    try:
        if used_since_text:
            since = since_moment(used_since_text, graph)
            reachers = [r for r in reachers if used_since(r.steps, since)]
        if unused_for_text:
            since = since_moment(unused_for_text, graph)
            reachers = [r for r in reachers if unused_for(r.steps, since)]
    except BadSince as exc:
        raise click.UsageError(str(exc)) from None
    return reachers


def _add_usage_facts(payload: dict[str, object], graph: nx.DiGraph, snapshot: Snapshot | None, target: str) -> None:
    """With CloudTrail events loaded: what they cover, and RoleLastUsed of the target (any caller) beside it
    (docs/usage.md). Answers without events stay as they were."""
    if not has_usage(graph):
        return
    role = snapshot.roles.get(target) if snapshot is not None else None
    if role is not None and role.last_used:
        payload["target_last_used"] = {"date": role.last_used, "region": role.last_used_region,
                                       "source": "RoleLastUsed"}
    payload["usage_window"] = graph.graph["usage_window"]


def _reacher_row(graph: nx.DiGraph, r: Reacher) -> tuple[object, ...]:
    return (r.principal, r.account_name or "", r.kind, r.classification or "", r.hops,
            path_text(graph, r.path, r.steps), ", ".join(r.conditions))


def _person_row(graph: nx.DiGraph, p: Person) -> tuple[object, ...]:
    ic = p.kind == NodeKind.IDENTITY_CENTER_USER
    through = (f"group {p.via_group}" if p.via_group else "assigned directly") if ic else "IAM"
    return (p.principal, p.name, "Identity Center" if ic else "IAM user", through,
            p.permission_set or "", p.hops, path_text(graph, p.path, p.steps), ", ".join(p.conditions))


def _in_a_group(graph: nx.DiGraph, r: Reacher) -> bool:
    user = is_kind(graph.nodes[r.principal], NodeKind.IDENTITY_CENTER_USER)
    return user and through_group(graph, r.route) is not None


def _reacher_name(graph: nx.DiGraph, r: Reacher) -> str:
    """How a reacher is named in the table: an Identity Center user by its user name, a group with its size."""
    data = graph.nodes[r.principal]
    if is_kind(data, NodeKind.IDENTITY_CENTER_GROUP):
        members = int(data.get("members") or 0)
        return safe(f"{r.name} (group, {members} member{'' if members == 1 else 's'})")
    if is_kind(data, NodeKind.IDENTITY_CENTER_USER):
        return safe(str(r.name))
    return safe(short(r.principal))


def _people_table(graph: nx.DiGraph, title: str, persons: list[Person]) -> None:
    if not persons:
        stdout.print(f"{title}: no person in the data.")
        return
    table = Table(title=title + " (people)", title_justify="left", show_lines=False)
    for column in ("person", "kind", "through", "permission set", "hops", "path", "conditions"):
        table.add_column(column, overflow="fold")
    for p in persons:
        if p.kind == NodeKind.IDENTITY_CENTER_USER:
            kind, through = "Identity Center", f"group {p.via_group}" if p.via_group else "assigned directly"
        else:
            kind, through = "IAM user", "IAM"
        name = p.name if p.kind == NodeKind.IDENTITY_CENTER_USER else short(p.principal)
        table.add_row(safe(name), kind, safe(through), safe(p.permission_set or "—"), str(p.hops),
                      safe(path_text(graph, p.path, p.steps)), safe(", ".join(p.conditions)) if p.conditional else "—")
    stdout.print(table)
    stdout.print(safe(people_summary(persons)))
