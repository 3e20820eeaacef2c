"""`map --account A` on a hub account: above PEER_FOLD_ABOVE peer accounts, the peers are folded by OU (one node
per OU naming its accounts in its tooltip, the edges folded); at or below it every peer account is drawn."""

from __future__ import annotations

from test_render_accounts import org_graph

from trustgraph.render.overview import VIEWS, ViewOptions
from trustgraph.render.peers import PEER_FOLD_ABOVE, fold_peers_by_ou
from trustgraph.render.views import principals_view

MANAGEMENT = "100000000000"


def _edges_touching(graph, account: str) -> tuple[set[str], set[tuple[str, str]]]:
    inside = {n for n, d in graph.nodes(data=True) if d.get("account") == account}
    edges = {e for n in inside for e in [*graph.in_edges(n), *graph.out_edges(n)]}
    return {n for e in edges for n in e}, edges


def test_hub_account_peers_fold_by_ou_above_the_threshold() -> None:
    graph = org_graph(2 * PEER_FOLD_ABOVE + 10)
    nodes, edges = _edges_touching(graph, MANAGEMENT)
    out, drawn, kept, _, folded = fold_peers_by_ou(graph, nodes, edges, MANAGEMENT)
    assert folded == 2 * PEER_FOLD_ABOVE + 9  # every account but the management account
    labels = {out.nodes[n]["label"] for n in drawn if out.nodes[n].get("peer_accounts")}
    assert labels == {"Workloads / Prod: 24 accounts", "Workloads / Dev: 24 accounts", "organization root: 1 account"}
    prod = next(n for n in drawn if out.nodes[n].get("label", "").startswith("Workloads / Prod"))
    assert "app-0003 (100000023757)" in out.nodes[prod]["tooltip"]
    # no peer principal is left, and the edges to a folded OU are one per caller
    assert not any(out.nodes[n].get("account") not in (None, MANAGEMENT) for n in drawn)
    assert len(kept) < len(edges)
    picture = principals_view(graph, account=MANAGEMENT)
    assert "Workloads / Prod: 24 accounts" in picture.source and "peer accounts folded by OU" in picture.source
    assert "app-0003 (100000023757)" in picture.source  # the folded node's tooltip


def test_hub_account_peers_drawn_one_by_one_at_or_below_the_threshold() -> None:
    graph = org_graph(PEER_FOLD_ABOVE + 1)  # the management account and 20 peers
    nodes, edges = _edges_touching(graph, MANAGEMENT)
    out, drawn, kept, _, folded = fold_peers_by_ou(graph, nodes, edges, MANAGEMENT)
    assert (out, drawn, kept, folded) == (graph, nodes, edges, 0)
    picture = VIEWS["principals"].draw(graph, ViewOptions(account=MANAGEMENT, max_nodes=None))
    assert "peer accounts folded" not in picture.source and "app-0003" in picture.source
