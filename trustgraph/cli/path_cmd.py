"""`trustgraph path FROM TO`."""

from __future__ import annotations

import click
import networkx as nx

from trustgraph.analysis.answers import paths_json
from trustgraph.analysis.reachability import PathAnswer, k_shortest_paths, resolve_node
from trustgraph.cli.app import examples, main
from trustgraph.cli.inputs import (
    VIA_HELP,
    InputSpec,
    checked_via,
    input_options,
    obtain_query_graph,
    query_answer,
    stderr,
)
from trustgraph.cli.output import (
    ROWS_HELP,
    TABLE_FORMATS,
    PictureFile,
    emit_json,
    emit_rows,
    is_role_assumption,
    path_text,
    short,
    split_format,
    stdout,
    write_picture,
)
from trustgraph.cli.pictures import load_picture, no_marks_option, require_usage, usage_option
from trustgraph.cli.progress import phase
from trustgraph.cli.terminal import safe
from trustgraph.render.engine import FORMATS
from trustgraph.render.views import reach_paths_view


@main.command("path", epilog=examples(
    "trustgraph path arn:aws:iam::333333333333:role/ci/CIPipeline"
    " arn:aws:iam::444444444444:role/BreakGlass -i samples/acme",
    "trustgraph path arn:aws:iam::222222222222:user/alice arn:aws:iam::444444444444:role/BreakGlass -i"
    " samples/acme -k 1 --format tsv",
))
@click.argument("source")
@click.argument("target")
@input_options
@click.option("-k", "k", type=click.IntRange(min=1), default=3, show_default=True, help="How many shortest paths.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--via", "via", multiple=True, metavar="KINDS",
              help=VIA_HELP)
@click.option("--output", "-o", type=PictureFile(),
              help="Also draw the paths to this file (`-` for standard output, text formats only).")
@click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS + FORMATS),
              help=f"{ROWS_HELP}. {', '.join(FORMATS)}: the picture format of -o (default: from the -o suffix).")
@usage_option
@no_marks_option
def path_command(source: str, target: str, spec: InputSpec, k: int, as_json: bool, output: str | None,
                 fmt: str | None, via: tuple[str, ...], no_marks: bool, usage: bool = False) -> None:
    """The K shortest assume-role paths from SOURCE to TARGET."""
    if output == "-" and as_json:
        raise click.UsageError("--json and -o - both write to standard output; pick one")
    rows, fmt = split_format(fmt, as_json, output)
    loaded = None
    if output:
        graph, _, marks = load_picture(spec, marks=not no_marks)
    else:  # an answer in words: a saved graph is read as far as the answer goes
        loaded = obtain_query_graph(spec)
        graph = loaded.graph
    if usage:
        if not output:
            raise click.UsageError("--usage styles the picture: give -o FILE")
        require_usage(graph)

    def search(graph: nx.DiGraph) -> tuple[str, str, list[PathAnswer]]:
        src, dst = resolve_node(graph, source), resolve_node(graph, target)
        return src, dst, k_shortest_paths(graph, src, dst, k, via=checked_via(via))

    if loaded is None:
        src, dst, paths = search(graph)
    else:
        loaded, (src, dst, paths) = query_answer(spec, loaded, search)
        graph = loaded.graph
    if output and not paths:
        # A picture of the two ends alone would say nothing: say it in words, draw nothing.
        stderr.print(f"no path from {safe(short(src))} to {safe(short(dst))}: no picture written")
    elif output:
        with phase("render", quiet=spec.quiet):
            written = write_picture(reach_paths_view(graph, dst, [p.route for p in paths], marks, usage), output, fmt)
        if written and not as_json and not spec.quiet:
            stderr.print(f"wrote {safe(written)}")
    if as_json:
        emit_json(paths_json(src, dst, paths))
        return
    if output == "-":
        return  # standard output carries the picture
    if rows != "table":
        emit_rows(("rank", "hops", "path", "conditions"),
                  [(i, p.hops, path_text(graph, p.path, p.steps), ", ".join(p.conditions))
                   for i, p in enumerate(paths, 1)], rows)
        return
    if not paths:
        stdout.print(f"No path from {safe(short(src))} to {safe(short(dst))}.")
        return
    for i, p in enumerate(paths, 1):
        cond = f"  [yellow]conditional: {safe(', '.join(p.conditions))}[/]" if p.conditional else ""
        stdout.print(f"{i}. ({p.hops} hop{'s' if p.hops != 1 else ''}) "
                     + safe(" → ".join(short(n) for n in p.path)) + cond)
        indirect = [f"{short(st['from'] or '')} ─[{st['kind']}{' ' + st['technique'] if st['technique'] else ''}]→ "
                    f"{short(st['to'] or '')}" for st in p.steps
                    if not is_role_assumption(st["kind"])]
        for line in indirect:
            stdout.print("   " + safe(line))
