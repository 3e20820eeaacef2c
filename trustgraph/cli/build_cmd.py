"""`trustgraph build`: save the graph once, query it many times with --graph."""

from __future__ import annotations

from datetime import datetime

import click

from trustgraph.cli.app import examples, main
from trustgraph.cli.inputs import InputSpec, build_saved, input_options, stderr
from trustgraph.cli.part_build import PartSelection, build_part, parse_part, parse_time
from trustgraph.cli.terminal import safe


@main.command("build", epilog=examples(
    "trustgraph build -i samples/acme -o acme.tgdb",
    "trustgraph build --graph acme.tgdb --accounts-file accounts.yaml -o acme-named.tgdb",
    "trustgraph build -i samples/acme --part 1/3 --data-time 2026-01-31T00:00:00Z -o part-1.tgdb",
))
@input_options
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False),
              help="Where to write the saved graph (SQLite).")
@click.option("--no-marks", "no_marks", is_flag=True,
              help="Keep no marks for pictures (faster: the findings rules do not run; each picture from the file "
                   "then runs them).")
@click.option("--part", "part", metavar="K/N", callback=parse_part,
              help="Build part K of N of the organization (every N-th account of the sorted ids, from the K-th), "
                   "for `trustgraph merge` (docs/scale-out.md).")
@click.option("--ou", "units", multiple=True, metavar="OU",
              help="Build the part of the accounts under this OU (id or name; repeatable), for `trustgraph merge`.")
@click.option("--account", "part_accounts", multiple=True, metavar="ID",
              help="Put this account in the part too (repeatable; e.g. the management account, under no OU).")
@click.option("--data-time", "data_time", metavar="TIME", callback=parse_time,
              help="A part's moment for time conditions (ISO 8601); every part of one merge needs the same (the "
                   "inputs' collection time, if they hold one, is the default).")
def build_command(spec: InputSpec,
                  output: str, no_marks: bool, part: tuple[int, int] | None, units: tuple[str, ...],
                  part_accounts: tuple[str, ...], data_time: datetime | None) -> None:
    """Build the trust graph from --input and save it, with the policies it was built from, for later
    --graph queries (every command takes --graph). The file keeps the marks of pictures too (sensitive roles,
    roles with findings), so that no picture drawn from it runs the findings rules. With --graph instead of
    --input, save that graph again (e.g. a JSON graph of an older version, or with --known-accounts applied).
    With --part K/N (or --ou, --account), build one part of the organization on this machine, to merge with
    the others (`trustgraph merge`, docs/scale-out.md)."""
    selection = PartSelection(part, units, part_accounts, data_time)
    if selection.given:
        build_part(spec, selection, output)
        return
    if data_time is not None:
        raise click.UsageError("--data-time is for a part (--part, --ou, --account)")
    graph = build_saved(spec, output, marks=not no_marks)
    if not spec.quiet:
        stderr.print(f"wrote {safe(output)}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")
