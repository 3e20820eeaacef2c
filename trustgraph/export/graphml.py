"""GraphML and GEXF (Gephi, yEd, Cytoscape): the graph with every attribute a scalar.

networkx writes both; it takes strings, numbers and booleans only, so lists are `;`-joined, structures
JSON text and evidence a short text (`properties.py`). Control characters, which XML 1.0 cannot carry,
are written as visible escapes (`text.visible`). A key holding values of different types on different
nodes (or edges) is written as text throughout, since GraphML declares one type per key. The graph's own
attributes (schema, collected accounts, data time) go along as graph data.
"""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx

from trustgraph.export.properties import EdgeFlattener, Primitive, flat_value, node_properties, scalar_properties
from trustgraph.text import visible

Progress = Callable[[int, int | None], None]


def _clean(props: dict[str, Primitive]) -> dict[str, Primitive]:
    return {visible(k, one_line=True): visible(v) if isinstance(v, str) else v for k, v in props.items()}


def _uniform(records: list[dict[str, Primitive]]) -> None:
    types: dict[str, set[type]] = {}
    for props in records:
        for key, value in props.items():
            types.setdefault(key, set()).add(type(value))
    mixed = {key for key, seen in types.items() if len(seen) > 1}
    for props in records:
        for key in mixed & props.keys():
            value = props[key]
            props[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)


def flat_graph(graph: nx.DiGraph, progress: Progress | None = None) -> nx.DiGraph:
    """A copy of `graph` that `networkx.write_graphml` and `write_gexf` can write as it is."""
    total = graph.number_of_nodes() + graph.number_of_edges()
    nodes = {visible(str(n), one_line=True): _clean(scalar_properties(node_properties(graph, n))) for n in graph}
    if progress:
        progress(len(nodes), total)
    flatten = EdgeFlattener()
    edges = [(visible(str(a), one_line=True), visible(str(b), one_line=True), _clean(scalar_properties(flatten(d))))
             for a, b, d in graph.edges(data=True)]
    _uniform(list(nodes.values()))
    _uniform([props for _, _, props in edges])
    out: nx.DiGraph[str] = nx.DiGraph()
    for key, value in graph.graph.items():  # schema, collected accounts, data time…
        flat = flat_value(value)
        if flat is not None:
            out.graph[visible(key, one_line=True)] = _clean(scalar_properties({key: flat}))[key]
    out.add_nodes_from(nodes.items())
    out.add_edges_from(edges)
    if progress:
        progress(total, total)
    return out
