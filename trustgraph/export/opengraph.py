"""BloodHound OpenGraph: the JSON that BloodHound Community Edition ingests as generic graph data.

Shape (BloodHound's ingest schemas, `cmd/api/src/services/upload/jsonschema/{node,edge,metadata}.json`
in SpecterOps/BloodHound): `{"metadata": {"source_kind"}, "graph": {"nodes": [{"id", "kinds",
"properties"}], "edges": [{"start": {"value", "match_by": "id"}, "end": {...}, "kind", "properties"}]}}`.
A node has 1 to 3 kinds (the first picks the icon); property values are primitives or arrays of one
primitive type; an edge kind is `[A-Za-z0-9_]+`. Hubs are nodes of their own kind with `AWSMemberOf`
edges into them, so BloodHound's path finding follows principal → hub → role (see docs/export.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import networkx as nx

from trustgraph.export.kinds import OPENGRAPH_SOURCE_KIND, edge_names, node_names
from trustgraph.export.properties import EdgeFlattener, node_properties

Progress = Callable[[int, int | None], None]


def opengraph_document(graph: nx.DiGraph, progress: Progress | None = None) -> dict[str, Any]:
    total = graph.number_of_nodes() + graph.number_of_edges()
    nodes = []
    for done, (node, data) in enumerate(graph.nodes(data=True), 1):
        names = node_names(data.get("kind"), bool(data.get("hub")))
        nodes.append({"id": str(node), "kinds": list(names.opengraph), "properties": node_properties(graph, node)})
        if progress and done % 10_000 == 0:
            progress(done, total)
    flatten = EdgeFlattener()
    edges = []
    for done, (a, b, data) in enumerate(graph.edges(data=True), len(nodes) + 1):
        edges.append({"start": {"value": str(a), "match_by": "id"}, "end": {"value": str(b), "match_by": "id"},
                      "kind": edge_names(data.get("kind")).opengraph, "properties": flatten(data)})
        if progress and done % 10_000 == 0:
            progress(done, total)
    if progress:
        progress(total, total)
    return {"metadata": {"source_kind": OPENGRAPH_SOURCE_KIND}, "graph": {"nodes": nodes, "edges": edges}}
