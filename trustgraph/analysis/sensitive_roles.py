"""Which roles of a saved graph are sensitive, from what the graph keeps (tags, names): a graph holds no policies."""

from __future__ import annotations

from collections.abc import Iterable

from trustgraph.graph.schema import NodeKind, TrustGraph
from trustgraph.policy.globs import glob_match
from trustgraph.policy.sensitivity import SENSITIVE_TAG


def sensitive_in_graph(graph: TrustGraph, patterns: Iterable[str] = ()) -> dict[str, str]:
    """Role ARN → why, from what a saved graph holds: the `trustgraph:sensitive` tag and the patterns.
    Admin-equivalence needs the roles' policies, which a graph does not keep."""
    patterns = tuple(patterns)
    out: dict[str, str] = {}
    for node, data in graph.nodes(data=True):
        if data.get("kind") != NodeKind.ROLE or not data.get("in_data"):
            continue
        tags = data.get("tags") or {}
        tag = next((str(v).strip().lower() for k, v in tags.items() if str(k).lower() == SENSITIVE_TAG), None)
        name = str(data.get("label") or node.rsplit("/", 1)[-1])
        if any(glob_match(p, node) if p.startswith("arn:") else glob_match(p, name) for p in patterns):
            out[node] = "matches --sensitive"
        elif tag == "true":
            out[node] = "tagged sensitive"
    return dict(sorted(out.items()))
