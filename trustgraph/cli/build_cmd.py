"""`trustgraph build`: save the graph once, query it many times with --graph."""

from __future__ import annotations

import click

from trustgraph.cli.app import main
from trustgraph.cli.inputs import (
    InputSpec,
    apply_account_files,
    build_with_progress,
    input_options,
    load_snapshot,
    stderr,
)
from trustgraph.cli.progress import phase
from trustgraph.graph.serialize import save_graph


@main.command("build")
@input_options
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="Where to write graph.json.")
def build_command(spec: InputSpec,
                  output: str) -> None:
    """Build the trust graph from --input and save it as node-link JSON for later --graph queries."""
    if spec.graph_file:
        raise click.UsageError("build reads --input, not --graph")
    snapshot, _ = load_snapshot(spec.inputs, spec.role_arn, spec.quiet)
    graph = build_with_progress(snapshot, spec.quiet)
    apply_account_files(graph, spec)
    with phase("save graph", quiet=spec.quiet):
        save_graph(graph, output)
    if not spec.quiet:
        stderr.print(f"wrote {output}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")
