"""`--expand-hubs`: each hub's members get the hub's edges themselves.

The graph draws a trust class or an account's uniform callers as one hub node with `member` edges in
and one edge per role out. Tools that know nothing of hubs can follow those paths (member, then assume)
as they are; this expansion is for tools or queries that want principal → role edges only. It costs
members × roles edges per hub: the square of the organization for org-wide trusts, so it is opt-in.
"""

from __future__ import annotations

import networkx as nx

from trustgraph.analysis.reachability import is_hub


def expand_hubs(graph: nx.DiGraph) -> nx.DiGraph:
    """A copy of `graph` where every member of a hub has a direct edge to each role the hub reaches.

    The expanded edge is conditional when the membership or the hub's edge is, with the condition keys of
    both, and names the hub in `via_hub`. Where a member already has an edge to that role, the one
    reachability would prefer stays (unconditional first, then fewer condition keys). Class hubs go away;
    an account hub stays as the account principal it also is, without the edges in and out that stood for
    its members."""
    out = nx.DiGraph()
    out.graph.update(graph.graph)
    hubs = [n for n in graph if is_hub(graph, n)]
    hub_set = set(hubs)
    for node, data in graph.nodes(data=True):
        if node not in hub_set or data.get("kind") != "class":
            out.add_node(node, **data)
    for a, b, data in graph.edges(data=True):
        # A hub's own edges stand for its members: they are replaced below; any other edge stays.
        if a in hub_set or (b in hub_set and data.get("kind") == "member") or a not in out or b not in out:
            continue
        out.add_edge(a, b, **data)
    for hub in hubs:
        members = [(m, d) for m, d in graph.pred[hub].items() if d.get("kind") == "member"]
        for target, via in graph.succ[hub].items():
            if target in hub_set:
                continue
            for member, membership in members:
                if member == target:
                    continue
                conditional = bool(membership.get("conditional") or via.get("conditional"))
                keys = sorted(set(membership.get("conditions", ())) | set(via.get("conditions", ())))
                if out.has_edge(member, target) and not _better(conditional, keys, out.edges[member, target]):
                    continue
                evidence = list(membership.get("evidence", ())) + list(via.get("evidence", ()))
                out.add_edge(member, target, **{**via, "conditional": conditional, "conditions": keys,
                                                 "evidence": evidence, "via_hub": hub})
    return out


def _better(conditional: bool, keys: list[str], existing: dict) -> bool:
    """Whether an edge with these conditions beats `existing` (as reachability ranks paths: unconditional
    first, then fewer condition keys, then the keys themselves)."""
    theirs = sorted(existing.get("conditions", ())) if existing.get("conditional") else []
    mine = keys if conditional else []
    return (conditional, len(mine), mine) < (bool(existing.get("conditional")), len(theirs), theirs)
