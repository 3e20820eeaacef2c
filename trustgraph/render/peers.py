"""`map --account A` on a hub account: its peers folded by OU.

An account that trusts, or is trusted by, many accounts (the management account, a security or CI account) draws
one box per peer account, a strip thousands of pixels tall that says one thing per OU. Above PEER_FOLD_ABOVE peer
accounts, every principal and hub of the peer accounts of one OU is folded into one node ("Prod: 38 accounts"),
their edges to and from the account into one edge per pair; the node's tooltip and evidence name the peers.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from typing import Any

import networkx as nx

from trustgraph.graph.schema import NodeKind, is_hub_data, node_spec
from trustgraph.render.marks import NO_MARKS, Marks

# Peer accounts drawn one by one up to this many; above, one node per OU.
PEER_FOLD_ABOVE = 20
# At most this many peers are named in a folded node's tooltip (its evidence lists them all).
TOOLTIP_PEERS = 30


def _peer_account(data: dict[str, Any], home: str) -> str | None:
    """The peer account a node is drawn in (its account box), None for the home account and nodes outside boxes."""
    account = data.get("account")
    if not account or str(account) == home:
        return None
    return str(account) if node_spec(data.get("kind")).in_account_box or is_hub_data(data) else None


def fold_peers_by_ou(graph: nx.DiGraph, nodes: set[str], edges: set[tuple[str, str]], home: str,
                     marks: Marks = NO_MARKS, above: int = PEER_FOLD_ABOVE
                     ) -> tuple[nx.DiGraph, set[str], set[tuple[str, str]], Marks, int]:
    """Fold the peer accounts of `home` by OU when there are more than `above` of them. Returns the graph to draw
    (a new one when something folded), its nodes and edges, the marks for it, and how many peer accounts folded."""
    peers = {n: a for n in nodes if (a := _peer_account(graph.nodes[n], home)) is not None}
    accounts = set(peers.values())
    if len(accounts) <= above:
        return graph, nodes, edges, marks, 0
    ctx = graph.graph.get("accounts") or {}
    org_accounts: dict[str, str] = dict(ctx.get("org_accounts") or {})
    ou_names: dict[str, str] = dict(ctx.get("ou_names") or {})
    names: dict[str, str] = {**graph.graph.get("account_names", {}), **(ctx.get("names") or {})}

    def group_of(account: str) -> tuple[str, str]:
        """(key, title) of the OU an account is in; accounts outside the organization are one group."""
        path = org_accounts.get(account)
        if path is None:
            return "peers:outside", "outside the organization"
        parts = [p for p in path.strip("/").split("/") if p]
        ous = [p for p in parts if p.startswith("ou-")]
        title = " / ".join(ou_names.get(o, o) for o in ous) or "organization root"
        return f"peers:{path}", title

    by_group: dict[str, set[str]] = defaultdict(set)
    titles: dict[str, str] = {}
    for account in accounts:
        key, title = group_of(account)
        by_group[key].add(account)
        titles[key] = title
    rep = {n: group_of(a)[0] for n, a in peers.items()}
    out: nx.DiGraph[str] = nx.DiGraph()
    out.graph = graph.graph
    for n in sorted(nodes):
        if n not in rep:
            out.add_node(n, **graph.nodes[n])
    members: dict[str, list[str]] = defaultdict(list)
    for n, key in rep.items():
        members[key].append(n)
    sensitive: Counter[str] = Counter()
    for n, key in rep.items():
        sensitive[key] += n in marks.sensitive
    for key, group in sorted(by_group.items()):
        listed = sorted(group, key=lambda a: (names.get(a, ""), a))
        named = [f"{names[a]} ({a})" if names.get(a) else a for a in listed]
        count = f"{len(listed)} account{'s' if len(listed) != 1 else ''}"
        tooltip = f"{titles[key]}: {count}: " + ", ".join(named[:TOOLTIP_PEERS]) + \
            (f" +{len(named) - TOOLTIP_PEERS}" if len(named) > TOOLTIP_PEERS else "")
        out.add_node(key, kind=NodeKind.ACCOUNT, label=f"{titles[key]}: {count}", account=None,
                     peer_accounts=listed, tooltip=tooltip, folded=sorted(members[key]))
    folded_edges: Counter[tuple[str, str]] = Counter()
    for u, v in sorted(edges):
        a, b = rep.get(u, u), rep.get(v, v)
        if a == b:
            continue  # between two peers of one OU: not about the account drawn
        folded_edges[(a, b)] += 1
        if not out.has_edge(a, b):
            out.add_edge(a, b, **graph.edges[u, v])
        elif not graph.edges[u, v].get("conditional"):
            out.edges[a, b]["conditional"] = False  # dashed only when every folded route is conditional
    for pair, routes in folded_edges.items():
        if routes > 1:
            out.edges[pair]["folded_routes"] = routes
    new_marks = dataclasses.replace(
        marks, sensitive={k: v for k, v in marks.sensitive.items() if k not in rep}
        | {k: f"{held} sensitive role{'s' if held != 1 else ''}" for k, held in sensitive.items() if held},
        findings={k: v for k, v in marks.findings.items() if k not in rep})
    return out, set(out.nodes), set(out.edges), new_marks, len(accounts)
