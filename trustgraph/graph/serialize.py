"""A saved graph: node-link JSON with a versioned schema, so queries need not rebuild."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import networkx as nx

from trustgraph import __version__
from trustgraph.gc_pause import collector_paused
from trustgraph.graph.model import SCHEMA


class GraphFileError(ValueError):
    pass


def graph_to_dict(graph: nx.DiGraph) -> dict[str, Any]:
    data = nx.node_link_data(graph, edges="edges")
    data["graph"] = {**data.get("graph", {}), "schema": SCHEMA, "trustgraph_version": __version__}
    data["schema"] = SCHEMA
    return data


def save_graph(graph: nx.DiGraph, path: str | Path) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(graph_to_dict(graph), fh, separators=(",", ":"), sort_keys=True)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_graph(path: str | Path) -> nx.DiGraph:
    try:
        with open(path, encoding="utf-8") as fh, collector_paused():
            data = json.load(fh)
    except OSError as exc:
        raise GraphFileError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise GraphFileError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema != SCHEMA:
        raise GraphFileError(f"{path}: not a trustgraph graph (schema {schema!r}, expected {SCHEMA!r}); "
                             "create one with `trustgraph build`")
    with collector_paused():
        return nx.node_link_graph(data, directed=True, multigraph=False, edges="edges")
