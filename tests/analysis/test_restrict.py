"""`restrict` (analysis/reachability.py) shares the graph's attribute dicts instead of copying them: the restricted
graph must hold exactly the nodes, edges, attributes and orders that copying every kept edge gave."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from trustgraph.analysis.reachability import _partly_kept, restrict, who_can_reach
from trustgraph.graph.schema import EDGE_SPECS, edge_kinds, hub_needed, via_groups, via_kinds

BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"
ACME = Path(__file__).resolve().parents[2] / "samples" / "acme"


def acme_graph() -> nx.DiGraph:
    from trustgraph.graph.build import build_graph
    from trustgraph.sources.files import load_inputs

    snapshot, _ = load_inputs([str(ACME)])
    return build_graph(snapshot)


def _copied(graph: nx.DiGraph, via: str) -> nx.DiGraph:
    """What `restrict` made before it shared the attribute dicts: a copy of every kept node and edge."""
    allowed = via_kinds(via)
    assert allowed is not None
    blocked = {str(k) for k, spec in EDGE_SPECS.items() if spec.via is not None and k not in allowed}
    out: nx.DiGraph = nx.DiGraph()
    dropped = {n for n, d in graph.nodes(data=True) if not hub_needed(d, allowed)}
    out.add_nodes_from((n, d) for n, d in graph.nodes(data=True) if n not in dropped)
    for u, v, data in graph.edges(data=True):
        if u in dropped or v in dropped:
            continue
        kinds = edge_kinds(data)
        if all(k in blocked for k in kinds):
            continue
        out.add_edge(u, v, **(data if not any(k in blocked for k in kinds) else _partly_kept(data, blocked)))
    return out


def _shape(graph: nx.DiGraph) -> tuple[list[Any], list[Any], list[Any]]:
    return (list(graph.nodes(data=True)), [(u, list(graph.succ[u].items())) for u in graph],
            [(v, list(graph.pred[v].items())) for v in graph])


@pytest.mark.parametrize("via", [g for g in via_groups() if g != "all"] + ["assume,iam", "passrole,code"])
def test_restrict_equals_a_copy_of_the_kept_edges(via: str) -> None:
    graph = acme_graph()
    restricted = restrict(graph, via)
    assert restricted is not graph
    assert _shape(restricted) == _shape(_copied(graph, via))


def test_restrict_shares_attributes_and_leaves_the_graph_alone() -> None:
    graph = acme_graph()
    before = _shape(graph)
    restricted = restrict(graph, "assume")
    assert _shape(graph) == before
    kept = next((u, v) for u, v, d in graph.edges(data=True) if edge_kinds(d) == ["assume"])
    assert restricted.edges[kept] is graph.edges[kept]  # shared, not copied
    # Negative control: every edge of another --via group is left out, and the answers follow.
    assert not any("passrole" in edge_kinds(d) for _, _, d in restricted.edges(data=True))
    assert any("passrole" in edge_kinds(d) for _, _, d in graph.edges(data=True))
    assert len(who_can_reach(graph, BREAK_GLASS, via="assume").reachers) \
        <= len(who_can_reach(graph, BREAK_GLASS).reachers)


def test_restrict_keeps_the_other_alternatives_of_a_mixed_edge() -> None:
    graph: nx.DiGraph = nx.DiGraph()
    a, b, c = "arn:aws:iam::111111111111:user/a", "arn:aws:iam::111111111111:role/b", "arn:aws:iam::111111111111:role/c"
    for n in (a, b, c):
        graph.add_node(n, kind="role" if ":role/" in n else "user", account="111111111111")
    graph.add_edge(a, b, kind="assume", kinds=["assume", "passrole"], conditional=False, technique="lambda",
                   evidence=[{"kind": "assume", "conditions": [{"key": "aws:MultiFactorAuthPresent"}]},
                             {"kind": "passrole", "technique": "lambda", "conditions": []}])
    graph.add_edge(b, c, kind="passrole", conditional=False, evidence=[{"kind": "passrole"}])
    for via in ("assume", "passrole"):
        restricted = restrict(graph, via)
        assert _shape(restricted) == _shape(_copied(graph, via))
    kept = restrict(graph, "assume").edges[a, b]
    assert kept["kinds"] == ["assume"] and kept["conditional"] and "technique" not in kept
    assert kept is not graph.edges[a, b] and graph.edges[a, b]["kinds"] == ["assume", "passrole"]
    assert not restrict(graph, "assume").has_edge(b, c)  # negative control: a passrole edge alone is left out
