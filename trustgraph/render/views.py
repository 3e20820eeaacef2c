"""Which part of the graph a picture shows.

- `principals_view`: the detailed map (every user, role and outside caller), optionally only what is
  upstream of one role (`focus`, `depth`) or one account and what touches it (`account`);
- `account_view`: one node per account (render/accounts.py), for organizations of any size;
- `reach_paths_view`: the paths of a who-can-reach / path answer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from trustgraph.render.accounts import account_view, accounts_in_data, principal_count
from trustgraph.render.dot import TrustDot, to_dot

__all__ = ["ViewTooLarge", "account_view", "auto_view", "principals_view", "reach_paths_view",
           "render_account_view", "upstream"]

# `--view auto` draws accounts above this many accounts in the data.
AUTO_ACCOUNTS = 15


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


def _hide_service_linked(graph: nx.DiGraph, nodes: set[str], edges: set[tuple[str, str]]) -> int:
    """Drop service-linked roles that lead nowhere but to their account's hub (only their AWS service can
    use them), in place."""
    hidden = {n for n in nodes if graph.nodes[n].get("service_linked")
              and all(d.get("kind") == "member" for _, _, d in graph.out_edges(n, data=True))}
    nodes -= hidden
    edges -= {e for e in edges if e[0] in hidden or e[1] in hidden}
    touched = {n for e in edges for n in e}
    nodes -= {n for n in nodes if n not in touched and graph.nodes[n].get("kind") == "service"}
    return len(hidden)


def principals_view(graph: nx.DiGraph, *, focus: str | None = None, depth: int | None = None,
                    account: str | None = None, max_nodes: int | None = None, title: str = "",
                    service_linked: bool = False, engine: str = "dot") -> TrustDot:
    """The detailed map: whole, upstream of `focus`, or around one `account`.

    Service-linked roles that lead nowhere are left out of the whole and account maps unless
    `service_linked` is set. Raises ViewTooLarge above `max_nodes` nodes, and KeyError for an account
    that has no principal in the graph.
    """
    hidden = 0
    if focus:
        nodes = upstream(graph, focus, depth)
        edges = {(u, v) for u, v in graph.subgraph(nodes).edges()}
        heading = f"Who can reach {graph.nodes[focus].get('label', focus)}" + (f" (≤ {depth} hops)" if depth else "")
    elif account:
        inside = {n for n, d in graph.nodes(data=True) if d.get("account") == account
                  and d.get("kind") in ("user", "role", "federated", "account")}
        if not inside:
            raise KeyError(account)
        edges = {(u, v) for n in inside for u, v in [*graph.in_edges(n), *graph.out_edges(n)]}
        nodes = {n for e in edges for n in e}  # principals of the account that no trust touches add nothing
        if not service_linked:
            hidden = _hide_service_linked(graph, nodes, edges)
        name = graph.graph.get("account_names", {}).get(account)
        heading = (f"Account {name} ({account})" if name else f"Account {account}") + " and what touches it"
    else:
        # Nodes with no edge at all (e.g. unused users) add clutter to a trust map.
        nodes = {n for n in graph.nodes if graph.degree(n) > 0}
        edges = set(graph.edges())
        if not service_linked:
            hidden = _hide_service_linked(graph, nodes, edges)
        heading = "Trust map"
    if max_nodes is not None and len(nodes) > max_nodes:
        hint = "draw --view accounts, or " if not focus else "lower --depth, or "
        raise ViewTooLarge(f"this view has {len(nodes)} nodes (limit --max-nodes {max_nodes}); {hint}narrow it "
                           "with --focus ROLE_ARN --depth N or --account ID, or raise --max-nodes")
    if not title:
        title = heading + f": {len(nodes)} nodes, {len(edges)} trusts"
        if hidden:
            title += f" ({hidden} service-linked roles hidden)"
    return to_dot(graph, nodes, title=title, highlight=[focus] if focus else [], edges=edges, engine=engine)


def reach_paths_view(graph: nx.DiGraph, target: str, paths: Iterable[list[str]]) -> TrustDot:
    nodes = {target}
    edges: set[tuple[str, str]] = set()
    for path in paths:
        nodes.update(path)
        edges.update(zip(path, path[1:], strict=False))
    label = graph.nodes[target].get("label", target)
    return to_dot(graph, nodes, title=f"Paths to {label}", highlight=[target], edges=edges or None)


def auto_view(graph: nx.DiGraph, max_nodes: int | None) -> str:
    """"accounts" for data with many accounts or more principals than `max_nodes`, else "principals"."""
    if len(accounts_in_data(graph)) > AUTO_ACCOUNTS:
        return "accounts"
    if max_nodes is not None and principal_count(graph) > max_nodes:
        return "accounts"
    return "principals"


def render_account_view(graph: nx.DiGraph, path: str | Path, fmt: str | None = None, *,
                        organization: Any = None, known_accounts: Mapping[str, str] | None = None,
                        account: str | None = None) -> Path:
    """Draw the account view of `graph` to `path` (svg, png, pdf, dot or html); returns the path written."""
    from trustgraph.render.engine import render

    dot = account_view(graph, organization=organization, known_accounts=known_accounts, account=account)
    return render(dot, path, fmt)
