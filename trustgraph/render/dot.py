"""DOT for trust pictures: clusters per account, a legend, deterministic order (same input → same DOT)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import graphviz
import networkx as nx

from trustgraph.render.style import EDGE_STYLE, FONT, NODE_STYLE, TARGET_STYLE, short_condition_label


def _label(graph: nx.DiGraph, node: str) -> str:
    data = graph.nodes[node]
    kind = data.get("kind", "unknown")
    label = str(data.get("label", node))
    if kind == "account":
        account = data.get("account", "")
        return f"{label}\\n{account}" if label != account else f"account {account}"
    if kind == "public":
        return "anyone (*)"
    if kind == "federated":
        provider = label.split(":oidc-provider/", 1)[-1].split(":saml-provider/", 1)[-1]
        form = {"saml": "SAML", "oidc": "OIDC", "web-identity": "web identity"}.get(str(data.get("provider_type")), "")
        return f"{provider}\\n({form})" if form else provider
    if kind == "role" and data.get("path", "/") not in ("/", ""):
        path = str(data["path"])
        if len(path) > 28:
            path = path[:25] + "…/"
        return f"{label}\\n{path}"
    return label


def edge_label(data: dict[str, object]) -> str:
    forms = sorted({str(e.get("principal_form")) for e in data.get("evidence", [])})  # type: ignore[union-attr]
    if forms == ["account"]:
        text = "via account"
    elif forms == ["public"]:
        text = "via *"
    elif forms == ["session"]:
        text = "session"
    elif forms in (["oidc"], ["web-identity"]):
        text = "web identity"
    elif forms == ["saml"]:
        text = "SAML"
    else:
        text = ""
    if data.get("conditional"):
        cond = short_condition_label(list(data.get("conditions", [])))  # type: ignore[arg-type]
        text = f"{text}\\n{cond}" if text else cond
    return text


def _cluster_label(graph: nx.DiGraph, account: str) -> str:
    names = graph.graph.get("account_names", {})
    name = names.get(account, "")
    collected = account in set(graph.graph.get("collected_accounts", []))
    suffix = "" if collected else " (outside the data)"
    return f"{name} ({account}){suffix}" if name else f"account {account}{suffix}"


def add_legend(dot: graphviz.Digraph) -> None:
    """A compact legend: one HTML-table node listing node kinds and edge styles."""
    rows = []
    for kind in ("user", "role", "account", "service", "federated", "public", "unknown"):
        style = NODE_STYLE[kind]
        rows.append(f'<TR><TD BGCOLOR="{style["fillcolor"]}" BORDER="1" COLOR="{style["color"]}">{kind}</TD>'
                    f'<TD ALIGN="LEFT"><FONT POINT-SIZE="8">{style["shape"]}</FONT></TD></TR>')
    for scope, style in EDGE_STYLE.items():
        rows.append(f'<TR><TD><FONT COLOR="{style["color"]}">&#9472;&#9472;&#9654;</FONT></TD>'
                    f'<TD ALIGN="LEFT">{scope}</TD></TR>')
    rows.append('<TR><TD>- - &#9654;</TD><TD ALIGN="LEFT">conditional</TD></TR>')
    table = ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">'
             '<TR><TD COLSPAN="2"><B>Legend</B></TD></TR>' + "".join(rows) + "</TABLE>>")
    dot.node("legend", label=table, shape="box", style="rounded", color="#9aa0a6", fontsize="9", fontname=FONT)


def to_dot(graph: nx.DiGraph, nodes: Iterable[str] | None = None, *, title: str = "",
           highlight: Iterable[str] = (), engine: str = "dot", legend: bool = True) -> graphviz.Digraph:
    """DOT source for the subgraph on `nodes` (default: the whole graph)."""
    keep = sorted(set(nodes) if nodes is not None else set(graph.nodes))
    # DOT reads "a:b" in an edge as node a, port b, so ARNs can't be DOT ids: number nodes in sorted order.
    ids = {node: f"n{i}" for i, node in enumerate(keep)}
    marked = set(highlight)
    dot = graphviz.Digraph("trustgraph", engine=engine)
    dot.attr(rankdir="LR", fontname=FONT, fontsize="12", labelloc="t", label=title, newrank="true",
             compound="true", nodesep="0.25", ranksep="0.9", bgcolor="white")
    dot.attr("node", fontname=FONT, fontsize="10")
    dot.attr("edge", fontname=FONT, fontsize="8", arrowsize="0.7")
    by_account: dict[str, list[str]] = defaultdict(list)
    loose: list[str] = []
    for node in keep:
        data = graph.nodes[node]
        account = data.get("account")
        if account and data.get("kind") in ("user", "role", "account"):
            by_account[str(account)].append(node)
        else:
            loose.append(node)

    def emit(container: graphviz.Digraph, node: str) -> None:
        data = graph.nodes[node]
        style = dict(NODE_STYLE.get(str(data.get("kind")), NODE_STYLE["unknown"]))
        if node in marked:
            style.update(TARGET_STYLE)
        container.node(ids[node], label=_label(graph, node), tooltip=node, id=f"node-{ids[node]}", **style)

    for account in sorted(by_account):
        with dot.subgraph(name=f"cluster_{account}") as cluster:
            cluster.attr(label=_cluster_label(graph, account), style="rounded", color="#dadce0",
                         fontname=FONT, fontsize="11")
            for node in by_account[account]:
                emit(cluster, node)
    for node in loose:
        emit(dot, node)
    for src, dst in sorted(graph.subgraph(keep).edges()):
        data = graph.edges[src, dst]
        style = dict(EDGE_STYLE.get(str(data.get("scope")), EDGE_STYLE["same-account"]))
        if data.get("conditional"):
            style["style"] = "dashed"
        dot.edge(ids[src], ids[dst], label=edge_label(data), tooltip=f"{src} → {dst}",
                 id=f"edge-{ids[src]}-{ids[dst]}", **style)
    if legend:
        add_legend(dot)
    return dot
