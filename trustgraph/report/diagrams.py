"""Pictures for the review: the account trust map (accounts and outside parties, trust aggregated per pair)
and, per sensitive role, the paths that reach it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import graphviz
import networkx as nx

from trustgraph.render.style import FONT
from trustgraph.render.views import reach_paths_view

INSIDE_COLOR = "#3366cc"
OUTSIDE_COLOR = "#c5221f"
PARTY_STYLE = {
    "account": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e8f0fe", "color": INSIDE_COLOR},
    "vendor": {"shape": "folder", "style": "filled", "fillcolor": "#fef7e0", "color": "#b06000"},
    "external": {"shape": "folder", "style": "filled", "fillcolor": "#fce8e6", "color": OUTSIDE_COLOR},
    "public": {"shape": "doubleoctagon", "style": "filled", "fillcolor": "#fce8e6", "color": OUTSIDE_COLOR},
    "federated": {"shape": "component", "style": "filled", "fillcolor": "#f3e8fd", "color": "#8430ce"},
    "unresolved": {"shape": "note", "style": "filled,dashed", "fillcolor": "#ffffff", "color": "#80868b"},
}


def _party_of(graph: nx.DiGraph, node: str, inside: set[str]) -> tuple[str, str, str]:
    """(party id, kind, label) a graph node is aggregated into on the account map."""
    data = graph.nodes[node]
    kind = data.get("kind")
    account = data.get("account")
    if kind == "public":
        return "public", "public", "anyone (*)"
    if kind == "federated":
        provider = node.split(":oidc-provider/", 1)[-1].split(":saml-provider/", 1)[-1]
        if data.get("provider_type") == "saml" and account:
            return f"acct:{account}", "account", ""
        return f"idp:{provider}", "federated", f"{provider}\n(web identity)"
    if kind == "service":
        return "", "service", ""
    if kind == "unknown":
        return f"other:{node}", "unresolved", f"unresolved principal\n{node}"
    if account and account in inside:
        return f"acct:{account}", "account", ""
    if account:
        vendor = data.get("vendor")
        if vendor:
            return f"acct:{account}", "vendor", f"{vendor}\n{account}"
        return f"acct:{account}", "external", f"unknown account\n{account}"
    return f"other:{node}", "external", node


def account_map(graph: nx.DiGraph, inside: Iterable[str], *, title: str = "Account trust map") -> graphviz.Digraph:
    """Accounts of the organization (or data set) and every outside party, one edge per (from, to) pair
    labelled with the number of role trusts it stands for; dashed when every one is conditional."""
    inside = set(inside)
    names = graph.graph.get("account_names", {})
    parties: dict[str, tuple[str, str]] = {}
    pairs: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for account in sorted(inside):
        name = names.get(account, "")
        parties[f"acct:{account}"] = ("account", f"{name}\n{account}" if name else account)
    for src, dst, data in graph.edges(data=True):
        if graph.nodes[dst].get("kind") != "role":
            continue
        s_id, s_kind, s_label = _party_of(graph, src, inside)
        d_id, _, _ = _party_of(graph, dst, inside)
        if not s_id or not d_id:
            continue
        if s_id not in parties:
            parties[s_id] = (s_kind, s_label)
        if s_id != d_id:
            pairs[(s_id, d_id)].append(bool(data.get("conditional")))
    ids = {p: f"p{i}" for i, p in enumerate(sorted(parties))}
    dot = graphviz.Digraph("accountmap", engine="dot")
    dot.attr(rankdir="LR", fontname=FONT, fontsize="12", labelloc="t", label=title, nodesep="0.3", ranksep="1.0",
             bgcolor="white")
    dot.attr("node", fontname=FONT, fontsize="10")
    dot.attr("edge", fontname=FONT, fontsize="9", arrowsize="0.7")
    for party, (kind, label) in sorted(parties.items()):
        dot.node(ids[party], label=label, tooltip=party, **PARTY_STYLE[kind])
    for (src, dst), flags in sorted(pairs.items()):
        outside = parties[src][0] not in ("account", "unresolved")
        style = {"color": OUTSIDE_COLOR if outside else INSIDE_COLOR, "penwidth": "2" if outside else "1.3"}
        if all(flags):
            style["style"] = "dashed"
        firm = sum(1 for f in flags if not f)
        label = f"{len(flags)} trust" + ("s" if len(flags) > 1 else "")
        if firm and firm != len(flags):
            label += f"\\n{firm} unconditional"
        dot.edge(ids[src], ids[dst], label=label, **style)
    legend = ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2">'
              '<TR><TD COLSPAN="2"><B>Legend</B></TD></TR>'
              f'<TR><TD><FONT COLOR="{INSIDE_COLOR}">&#9472;&#9472;&#9654;</FONT></TD><TD ALIGN="LEFT">'
              'inside the organization</TD></TR>'
              f'<TR><TD><FONT COLOR="{OUTSIDE_COLOR}">&#9472;&#9472;&#9654;</FONT></TD><TD ALIGN="LEFT">'
              'from outside</TD></TR>'
              '<TR><TD>- - &#9654;</TD><TD ALIGN="LEFT">only conditional trust</TD></TR>'
              '<TR><TD COLSPAN="2" ALIGN="LEFT"><FONT POINT-SIZE="8">AWS service principals omitted</FONT></TD></TR>'
              '</TABLE>>')
    dot.node("legend", label=legend, shape="box", style="rounded", color="#9aa0a6", fontsize="9")
    return dot


def paths_diagram(graph: nx.DiGraph, role: str, paths: list[list[str]], limit: int = 30) -> graphviz.Digraph:
    """The role (highlighted) and the shortest path of each of its first `limit` reachers."""
    return reach_paths_view(graph, role, paths[:limit])

