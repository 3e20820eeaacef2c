"""`trustgraph export`: the trust graph for BloodHound, Neo4j, Gephi and other graph tools."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import click
import networkx as nx

from trustgraph.atomic import replacing, replacing_together
from trustgraph.cli.app import examples, main
from trustgraph.cli.inputs import InputSpec, input_options, obtain_graph, stderr
from trustgraph.cli.output import emit_json
from trustgraph.cli.progress import phase
from trustgraph.cli.terminal import safe
from trustgraph.version import SCHEMAS

FORMATS = ("opengraph", "neo4j", "graphml", "gexf")
JSON_CHUNK = 5_000


@main.command("export", epilog=examples(
    "trustgraph export -i samples/acme --format opengraph -o acme-opengraph.json",
    "trustgraph export -i samples/acme --format neo4j -o neo4j/",
))
@input_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="opengraph: BloodHound JSON; neo4j: a directory of import CSVs and Cypher loaders; "
                   "graphml, gexf: one file for Gephi, yEd, Cytoscape, networkx.")
@click.option("--output", "-o", required=True, type=click.Path(),
              help="The file to write (for neo4j: the directory, created if missing).")
@click.option("--expand-hubs", is_flag=True,
              help="Give each hub's members the hub's edges themselves (principal → role only); "
                   "members × roles edges per hub.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON on standard output.")
def export_command(spec: InputSpec, fmt: str, output: str, expand_hubs: bool, as_json: bool) -> None:
    """Write the trust graph for other tools: BloodHound OpenGraph, Neo4j, GraphML or GEXF.

    Hubs (account hubs, trust classes) are exported as nodes of their own kind with member edges into
    them, unless --expand-hubs. docs/export.md has the mapping tables and ready Neo4j queries.
    """
    graph = obtain_graph(spec)
    if expand_hubs:
        from trustgraph.export.hubs import expand_hubs as expand

        with phase("expand hubs", quiet=spec.quiet):
            graph = expand(graph)
    target = Path(output)
    # Whole or untouched (trustgraph.atomic): a write error is one line naming the file, the old export stays.
    files = _WRITERS[fmt](graph, target, spec.quiet)
    written: list[dict[str, Any]] = [{"path": str(p), "bytes": p.stat().st_size} for p in files]
    if as_json:
        emit_json({"schema": SCHEMAS["export"], "format": fmt, "output": str(target),
                   "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(), "expanded_hubs": expand_hubs,
                   "files": written})
    elif not spec.quiet:
        size = sum(w["bytes"] for w in written)
        stderr.print(f"wrote {safe(output)}: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges, "
                     f"{len(written)} file(s), {size:,} bytes")


def _items(graph: nx.DiGraph) -> int:
    return graph.number_of_nodes() + graph.number_of_edges()


def _write_opengraph(graph: nx.DiGraph, target: Path, quiet: bool) -> list[Path]:
    from trustgraph.export.opengraph import extension_schema, opengraph_document

    _no_directory(target)
    with phase("export", total=_items(graph), quiet=quiet, unit="items") as tick:
        document = opengraph_document(graph, progress=tick)
    # The extension schema BloodHound needs before the graph (docs/export.md), beside it: both or neither.
    schema = extension_path(target)
    with phase("write", quiet=quiet), replacing_together() as staging:
        with open(staging.path(target), "w", encoding="utf-8") as fh:
            _dump_opengraph(document, fh)
        staging.write_text(schema, json.dumps(extension_schema(document), indent=2) + "\n")
    return [target, schema]


def extension_path(target: Path) -> Path:
    """Where the BloodHound extension schema of an OpenGraph file goes: `trust.json` → `trust.extension.json`."""
    return target.with_name(target.stem + ".extension.json")


def _dump_opengraph(document: dict, fh: TextIO) -> None:
    """The document as compact JSON, written a chunk of nodes or edges at a time: `json.dump` of the whole
    goes through the slow streaming encoder, `json.dumps` would hold a second copy of it as text."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    fh.write('{"metadata":' + encode(document["metadata"]) + ',"graph":{')
    for index, key in enumerate(("nodes", "edges")):
        items = document["graph"][key]
        fh.write(("," if index else "") + encode(key) + ":[")
        for start in range(0, len(items), JSON_CHUNK):
            fh.write(("," if start else "") + ",".join(map(encode, items[start:start + JSON_CHUNK])))
        fh.write("]")
    fh.write("}}\n")


def _write_neo4j(graph: nx.DiGraph, target: Path, quiet: bool) -> list[Path]:
    from trustgraph.export.neo4j import neo4j_export

    if target.exists() and not target.is_dir():
        raise click.UsageError(f"--format neo4j writes a directory; {target} is a file")
    with phase("export", total=_items(graph), quiet=quiet, unit="items") as tick:
        export = neo4j_export(graph, progress=tick)
    files = []
    # Every file staged beside its target, all renamed into place once the last is written: the directory
    # holds the previous export or this one (other files in it are left alone).
    with phase("write", quiet=quiet), replacing_together() as staging:
        for name, table in export.tables.items():
            path = target / name
            with open(staging.path(path), "w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(table.header)
                writer.writerows(table.rows)
            files.append(path)
        for name, text in export.scripts.items():
            path = target / name
            staging.write_text(path, text)
            files.append(path)
    return files


Writer = Callable[[nx.DiGraph, Path, bool], list[Path]]


def _write_networkx(fmt: str) -> Writer:
    def write(graph: nx.DiGraph, target: Path, quiet: bool) -> list[Path]:
        from trustgraph.export.graphml import flat_graph

        _no_directory(target)
        with phase("export", total=_items(graph), quiet=quiet, unit="items") as tick:
            flat = flat_graph(graph, progress=tick)
        # The temporary keeps the target's suffix: networkx compresses a name ending in .gz or .bz2.
        with phase("write", quiet=quiet), replacing(target, suffix=target.suffix or ".tmp") as tmp:
            (nx.write_graphml if fmt == "graphml" else nx.write_gexf)(flat, tmp)
        return [target]

    return write


def _no_directory(target: Path) -> None:
    if target.is_dir():
        raise click.UsageError(f"{target} is a directory; give a file name (-o FILE)")


_WRITERS: dict[str, Writer] = {"opengraph": _write_opengraph, "neo4j": _write_neo4j,
                               "graphml": _write_networkx("graphml"), "gexf": _write_networkx("gexf")}
