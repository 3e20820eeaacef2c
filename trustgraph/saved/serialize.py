"""A saved graph, so that queries need not rebuild: `save_graph` writes the SQLite format of
`trustgraph.saved.store` (the graph, and the snapshot it was built from when given); `load_graph` reads
it, and still reads the node-link JSON files of earlier versions (told apart by their first bytes)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import networkx as nx

from trustgraph.gc_pause import collector_paused
from trustgraph.graph.schema import GRAPH_SCHEMA as SCHEMA
from trustgraph.load_report import LoadReport
from trustgraph.model import Snapshot
from trustgraph.saved.store import SQLITE_MAGIC, SavedFile, StoreError, add_products, write_store
from trustgraph.sources.structured_file import INPUT_FILE_CAP, file_problem


class GraphFileError(ValueError):
    pass


def keep_products(path: str | Path, products: Mapping[str, Any]) -> None:
    """Add analysis products to a saved graph made without them (the build cache entry of a command that did
    not draw). Raises OSError, GraphFileError."""
    try:
        add_products(path, products)
    except StoreError as exc:
        raise GraphFileError(f"{path}: {exc}") from None


@dataclass(slots=True)
class SavedGraph:
    """What a saved-graph file holds: the graph, and (when asked for and stored) the snapshot, the load
    report and the inputs it was built from."""

    graph: nx.DiGraph
    snapshot: Snapshot | None = None
    report: LoadReport | None = None
    inputs: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    products: dict[str, Any] = field(default_factory=dict)  # the analysis products asked for and stored (JSON)


def save_graph(graph: nx.DiGraph, path: str | Path, *, snapshot: Snapshot | None = None,
               report: LoadReport | None = None, inputs: Sequence[str] = (),
               meta: dict[str, str] | None = None, products: Mapping[str, Any] | None = None) -> None:
    """Write the graph to `path` (SQLite, atomically). With `snapshot`, commands that need the policies
    (findings, review) can run from the file too; `products` (name → JSON value: the marks of pictures) are
    kept beside it, so that nothing reading the file makes them again."""
    write_store(graph, path, snapshot=snapshot, report=report,
                meta={**({"inputs": json.dumps(list(inputs))} if inputs else {}), **(meta or {})},
                products=products)


def load_graph(path: str | Path) -> nx.DiGraph:
    return read_saved(path).graph


def read_saved(path: str | Path, *, snapshot: bool | Iterable[str] = False, report: bool = False,
               require_snapshot: bool = False, products: Iterable[str] = ()) -> SavedGraph:
    """Read a saved graph; `snapshot=True` adds the whole snapshot, an iterable of Snapshot field names
    only those fields. Files without a snapshot (graph-only saves, old JSON) give `snapshot=None`, or a
    GraphFileError with `require_snapshot`. `products`: the analysis products wanted (those stored are in
    `SavedGraph.products`)."""
    check_file(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise GraphFileError(f"{path}: cannot read: {exc.strerror}") from None
    if head != SQLITE_MAGIC:
        if require_snapshot:
            raise GraphFileError(f"{path}: a graph saved by an older trustgraph, without the policies it was "
                                 "built from; save it again with `trustgraph build`")
        return SavedGraph(_load_json(path))
    try:
        with SavedFile(path) as saved:
            graph = saved.graph()
            stored: Snapshot | None = None
            wanted = (None if snapshot else ()) if isinstance(snapshot, bool) else tuple(snapshot)
            if wanted != () and (saved.has_snapshot or require_snapshot):
                stored = saved.snapshot(wanted)
            inputs = json.loads(saved.meta.get("inputs", "[]"))
            found = {name: value for name in products if (value := saved.product(name)) is not None}
            return SavedGraph(graph, stored, saved.report() if report else None,
                              [str(i) for i in inputs] if isinstance(inputs, list) else [], saved.meta, found)
    except StoreError as exc:
        raise GraphFileError(f"{path}: {exc}") from None
    except ValueError as exc:  # the meta's inputs entry
        raise GraphFileError(f"{path}: damaged saved graph ({exc})") from None


def saved_inputs(path: str | Path) -> list[str]:
    """The inputs a saved graph was built from, as given to `trustgraph build` (without loading it)."""
    check_file(path)
    try:
        with open(path, "rb") as fh:
            if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                return []
        with SavedFile(path) as saved:
            inputs = json.loads(saved.meta.get("inputs", "[]"))
    except OSError as exc:
        raise GraphFileError(f"{path}: cannot read: {exc.strerror}") from None
    except StoreError as exc:
        raise GraphFileError(f"{path}: {exc}") from None
    except ValueError as exc:
        raise GraphFileError(f"{path}: damaged saved graph ({exc})") from None
    return [str(i) for i in inputs] if isinstance(inputs, list) else []


def check_file(path: str | Path) -> None:
    # A named pipe or a device given as --graph would block the run: refused before it is opened.
    problem = file_problem(path, INPUT_FILE_CAP)
    if problem is not None:
        raise GraphFileError(f"{path}: {problem}")


def _load_json(path: str | Path) -> nx.DiGraph:
    """The node-link JSON of trustgraph 0.1 saves."""
    try:
        with open(path, encoding="utf-8") as fh, collector_paused():
            data = json.load(fh)
    except OSError as exc:
        raise GraphFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise GraphFileError(f"{path}: not a graph saved by trustgraph (neither SQLite nor JSON)") from None
    except json.JSONDecodeError as exc:
        raise GraphFileError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema != SCHEMA:
        raise GraphFileError(f"{path}: not a trustgraph graph (schema {schema!r}, expected {SCHEMA!r}); "
                             "create one with `trustgraph build`")
    try:
        with collector_paused():
            return cast("nx.DiGraph[Any]", nx.node_link_graph(data, directed=True, multigraph=False, edges="edges"))
    except (KeyError, TypeError, ValueError, nx.NetworkXError) as exc:
        raise GraphFileError(f"{path}: damaged graph JSON ({type(exc).__name__}: {exc})") from None
