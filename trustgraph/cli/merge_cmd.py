"""`trustgraph merge`: the parts of an organization's graph, built on several machines, as one saved graph."""

from __future__ import annotations

import sys

import click

from trustgraph.cli.app import examples, main
from trustgraph.cli.inputs import report_load, stderr
from trustgraph.cli.progress import phase
from trustgraph.cli.terminal import safe
from trustgraph.graph.parts import MergeError, Merger
from trustgraph.load_report import LoadReport
from trustgraph.model import Snapshot
from trustgraph.saved.serialize import GraphFileError, read_saved, save_graph


@main.command("merge", epilog=examples(
    "trustgraph merge part-1.tgdb part-2.tgdb part-3.tgdb -o acme.tgdb",
))
@click.argument("parts", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False),
              help="Where to write the merged graph (SQLite; every command reads it with --graph).")
@click.option("--quiet", "-q", is_flag=True, help="Only errors on stderr: no progress, no summary.")
def merge_command(parts: tuple[str, ...], output: str, quiet: bool) -> None:
    """Merge the parts of an organization's graph (`build --part K/N`, one per machine) into one saved graph,
    whose answers are those of one build of the whole organization. Parts of other inputs or another
    trustgraph are refused (exit 2); a merge missing a part is written, says it is incomplete, and exits 3."""
    merger = Merger()
    snapshot: Snapshot | None = None
    report: LoadReport | None = None
    inputs: list[str] = []
    try:
        for i, path in enumerate(parts):
            with phase(f"read part {i + 1} of {len(parts)}", quiet=quiet):
                saved = read_saved(path, snapshot=i == 0, report=i == 0, require_snapshot=i == 0)
            if i == 0:
                snapshot, report, inputs = saved.snapshot, saved.report, saved.inputs
            with phase("merge", quiet=quiet):
                merger.add(saved.graph, path)
            del saved
    except (GraphFileError, MergeError) as exc:
        stderr.print(f"error: {safe(exc)}")
        sys.exit(2)
    assert snapshot is not None
    if report is not None:
        report_load(report, True)
    with phase("decide what needed the whole graph", quiet=quiet):
        graph = merger.finish(snapshot)
    with phase("save graph", quiet=quiet):
        save_graph(graph, output, snapshot=snapshot, report=report, inputs=inputs)
    missing = graph.graph["parts"]["missing_accounts"]
    if not quiet:
        stats = merger.stats
        stderr.print(f"wrote {safe(output)}: {len(stats.parts)} parts, {graph.number_of_nodes()} nodes, "
                     f"{graph.number_of_edges()} edges; class hubs {stats.class_hubs_seen} in the parts, "
                     f"{stats.class_hubs_kept} kept; {stats.member_edges_shared} member edges and "
                     f"{stats.edges_shared} other edges drawn by several parts, kept once")
    if missing:
        stderr.print(f"warning: incomplete: {len(missing)} accounts are in no part given (e.g. "
                     f"{safe(', '.join(missing[:3]))}); answers into their roles and from their principals' indirect "
                     "edges are missing")
        sys.exit(3)
