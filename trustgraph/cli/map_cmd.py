"""`trustgraph map`: draw the trust map."""

from __future__ import annotations

import click

from trustgraph.analysis.reachability import NodeNotFound, resolve_node
from trustgraph.cli.app import main
from trustgraph.cli.inputs import InputSpec, input_options, obtain_graph, stderr
from trustgraph.render.engine import FORMATS, render
from trustgraph.render.views import ViewTooLarge, principals_view


@main.command("map")
@input_options
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="Picture file to write.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Picture format (default: from -o suffix).")
@click.option("--focus", help="Only this role and what reaches it.")
@click.option("--depth", type=click.IntRange(min=1), help="With --focus: at most N hops upstream.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=400, show_default=True,
              help="Refuse to draw a view larger than this.")
def map_command(spec: InputSpec,
                output: str, fmt: str | None, focus: str | None, depth: int | None, max_nodes: int) -> None:
    """Draw the trust map: clusters per account, shapes per principal kind, dashed = conditional."""
    graph = obtain_graph(spec)
    try:
        focus_node = resolve_node(graph, focus) if focus else None
        dot = principals_view(graph, focus=focus_node, depth=depth, max_nodes=max_nodes)
    except (NodeNotFound, ViewTooLarge) as exc:
        stderr.print(f"error: {exc}")
        raise SystemExit(2) from None
    written = render(dot, output, fmt)
    if not spec.quiet:
        stderr.print(f"wrote {written}")
