"""Which part of the graph a picture shows: the whole map, a focus upstream of a role, reach paths."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import graphviz
import networkx as nx

from trustgraph.render.dot import to_dot


class ViewTooLarge(ValueError):
    pass


def upstream(graph: nx.DiGraph, focus: str, depth: int | None) -> set[str]:
    """`focus` and every node that reaches it in at most `depth` hops."""
    seen = {focus: 0}
    queue = deque([focus])
    while queue:
        node = queue.popleft()
        if depth is not None and seen[node] >= depth:
            continue
        for pred in graph.predecessors(node):
            if pred not in seen:
                seen[pred] = seen[node] + 1
                queue.append(pred)
    return set(seen)


def principals_view(graph: nx.DiGraph, *, focus: str | None = None, depth: int | None = None,
                    max_nodes: int | None = None, title: str = "") -> graphviz.Digraph:
    nodes = upstream(graph, focus, depth) if focus else set(graph.nodes)
    if not focus:
        # Nodes with no edge at all (e.g. unused users) add clutter to a trust map.
        nodes = {n for n in nodes if graph.degree(n) > 0}
    if max_nodes is not None and len(nodes) > max_nodes:
        raise ViewTooLarge(f"this view has {len(nodes)} nodes (limit {max_nodes}); use --view accounts, "
                           "--focus ROLE_ARN --depth N or --account ID, or raise --max-nodes")
    return to_dot(graph, nodes, title=title or ("Trust map" if not focus else f"Who can reach {focus}"),
                  highlight=[focus] if focus else [])


def reach_paths_view(graph: nx.DiGraph, target: str, paths: Iterable[list[str]]) -> graphviz.Digraph:
    nodes = {target}
    for path in paths:
        nodes.update(path)
    return to_dot(graph, nodes, title=f"Paths to {target}", highlight=[target])
