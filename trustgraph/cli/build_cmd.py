"""`trustgraph build`: save the graph once, query it many times with --graph."""

from __future__ import annotations

import click

from trustgraph.cli.app import examples, main
from trustgraph.cli.inputs import InputSpec, build_saved, input_options, stderr
from trustgraph.cli.terminal import safe


@main.command("build", epilog=examples(
    "trustgraph build -i samples/acme -o acme.tgdb",
    "trustgraph build --graph acme.tgdb --accounts-file accounts.yaml -o acme-named.tgdb",
))
@input_options
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False),
              help="Where to write the saved graph (SQLite).")
@click.option("--no-marks", "no_marks", is_flag=True,
              help="Keep no marks for pictures (faster: the findings rules do not run; each picture from the file "
                   "then runs them).")
def build_command(spec: InputSpec,
                  output: str, no_marks: bool) -> None:
    """Build the trust graph from --input and save it, with the policies it was built from, for later
    --graph queries (every command takes --graph). The file keeps the marks of pictures too (sensitive roles,
    roles with findings), so that no picture drawn from it runs the findings rules. With --graph instead of
    --input, save that graph again (e.g. a JSON graph of an older version, or with --known-accounts applied)."""
    graph = build_saved(spec, output, marks=not no_marks)
    if not spec.quiet:
        stderr.print(f"wrote {safe(output)}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")
