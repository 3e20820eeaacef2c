"""`--expand-hubs`: each principal gets the edges its hubs stand for, as its own.

The graph draws shared reach as hub nodes: an account's uniform callers and each trust class (member edges
in, one edge per role out), principals with equal policies (`policy-group`), the roles one PassRole grant
passes (`passrole-runner`), code of any resource of a kind (`code-runner`) and an account's administrators
(`account-admin`). An edge into a hub costs no hop (`hop_cost`), and hubs chain: a policy group leads into a
PassRole runner, which leads to the roles. Tools that know nothing of hubs can follow those paths as they
are; this expansion is for tools or queries that want principal → principal edges only. It costs members ×
targets edges per hub: the square of the organization for org-wide trusts, so it is opt-in.
"""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx

from trustgraph.graph.schema import NodeKind, hop_cost, is_hub

Chain = tuple[tuple[str, dict], ...]  # (hub, the edge into it) from the principal on, in order


def expand_hubs(graph: nx.DiGraph) -> nx.DiGraph:
    """A copy of `graph` where every principal that enters a hub (through edges that cost no hop, hub after
    hub) has a direct edge to each principal the last hub's edges reach.

    The expanded edge is the last hub's edge, conditional when any edge of the chain is, with the condition
    keys of all of them and their evidence in order; `via_hub` names the hub entered first, `via_hubs` every
    hub of the chain. Where a principal already has an edge to that target, the one reachability would
    prefer stays (unconditional first, then fewer condition keys). Hubs go away, except account hubs: they
    stay as the account principals they also are, without the edges in and out that stood for members."""
    out: nx.DiGraph[str] = nx.DiGraph()
    out.graph.update(graph.graph)
    hubs = {n for n in graph if is_hub(graph, n)}
    for node, data in graph.nodes(data=True):
        if node not in hubs or data.get("kind") == NodeKind.ACCOUNT:
            out.add_node(node, **data)
    for a, b, data in graph.edges(data=True):
        # A hub's own edges, and the free edges into it, stand for its members: replaced below.
        if a in hubs or (b in hubs and hop_cost(data) == 0) or a not in out or b not in out:
            continue
        out.add_edge(a, b, **data)
    for member in graph:
        if member in hubs:
            continue
        for chain, target, via in _through_hubs(graph, hubs, member):
            if target == member:
                continue
            edges = [d for _, d in chain] + [via]
            conditional = any(d.get("conditional") for d in edges)
            keys = sorted({k for d in edges if d.get("conditional") for k in d.get("conditions", ())})
            if out.has_edge(member, target) and not _better(conditional, keys, out.edges[member, target]):
                continue
            evidence = [record for d in edges for record in d.get("evidence", ())]
            out.add_edge(member, target, **{**via, "conditional": conditional, "conditions": keys,
                                             "evidence": evidence, "via_hub": chain[0][0],
                                             "via_hubs": [hub for hub, _ in chain]})
    return out


def _through_hubs(graph: nx.DiGraph, hubs: set[str], member: str) -> Iterator[tuple[Chain, str, dict]]:
    """(chain of hubs, target, the last hub's edge to it) for every non-hub a hub chain from `member` leads to."""
    stack: list[Chain] = [((hub, data),) for hub, data in graph.succ[member].items()
                          if hub in hubs and hop_cost(data) == 0]
    while stack:
        chain = stack.pop()
        hub = chain[-1][0]
        for target, via in graph.succ[hub].items():
            if target not in hubs:
                yield chain, target, via
            elif hop_cost(via) == 0 and all(target != seen for seen, _ in chain):
                stack.append((*chain, (target, via)))


def _better(conditional: bool, keys: list[str], existing: dict) -> bool:
    """Whether an edge with these conditions beats `existing` (as reachability ranks paths: unconditional
    first, then fewer condition keys, then the keys themselves)."""
    theirs = sorted(existing.get("conditions", ())) if existing.get("conditional") else []
    mine = keys if conditional else []
    return (conditional, len(mine), mine) < (bool(existing.get("conditional")), len(theirs), theirs)
