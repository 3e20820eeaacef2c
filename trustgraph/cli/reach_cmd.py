"""`trustgraph reach PRINCIPAL`."""

from __future__ import annotations

import click
from rich.table import Table

from trustgraph.analysis.answers import reach_json
from trustgraph.analysis.reachability import reach
from trustgraph.cli.app import examples, main
from trustgraph.cli.inputs import VIA_HELP, InputSpec, checked_via, input_options, obtain_query_graph, query_answer
from trustgraph.cli.output import ROWS_HELP, TABLE_FORMATS, emit_json, emit_rows, path_text, short, split_format, stdout
from trustgraph.cli.terminal import safe
from trustgraph.graph.schema import NodeKind, is_kind


@main.command("reach", epilog=examples(
    "trustgraph reach arn:aws:iam::222222222222:user/alice -i samples/acme",
    "trustgraph reach arn:aws:iam::222222222222:user/alice -i samples/acme --via assume --json",
))
@click.argument("principal")
@input_options
@click.option("--max-hops", type=click.IntRange(min=1), help="Only chains of at most N role assumptions.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--via", "via", multiple=True, metavar="KINDS",
              help=VIA_HELP)
@click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS), default="table", show_default=True, help=ROWS_HELP)
def reach_command(principal: str, spec: InputSpec, max_hops: int | None, as_json: bool, via: tuple[str, ...],
                  fmt: str) -> None:
    """Every role PRINCIPAL can reach (a user/role ARN, an account id, a service or provider name, `*`).

    PRINCIPAL may also be an IAM Identity Center user or group, by ARN or by its user or group name.
    """
    fmt, _ = split_format(fmt, as_json, None)
    loaded, answer = query_answer(spec, obtain_query_graph(spec),
                                  lambda graph: reach(graph, principal, max_hops, via=checked_via(via)))
    graph = loaded.graph
    if as_json:
        emit_json(reach_json(answer))
        return
    if fmt != "table":
        emit_rows(("role", "hops", "path", "conditions"),
                  [(r.principal, r.hops, path_text(graph, r.path, r.steps), ", ".join(r.conditions))
                   for r in answer.reachable], fmt)
        return
    source = graph.nodes[answer.source]
    # an Identity Center user or group by its name (its ARN is an opaque id)
    named = is_kind(source, NodeKind.IDENTITY_CENTER_USER, NodeKind.IDENTITY_CENTER_GROUP) and source.get("name")
    title = f"What {safe(str(source['name']) if named else short(answer.source))} can reach"
    if not answer.reachable:
        stdout.print(f"{title}: no role.")
        return
    table = Table(title=title, title_justify="left")
    for column in ("role", "hops", "path", "conditions"):
        table.add_column(column, overflow="fold")
    for r in answer.reachable:
        table.add_row(safe(short(r.principal)), str(r.hops), safe(path_text(graph, r.path, r.steps)),
                      safe(", ".join(r.conditions)) if r.conditional else "—")
    stdout.print(table)
