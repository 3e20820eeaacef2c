"""DOT for trust pictures: clusters per account, a legend, deterministic order (same input → same DOT)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import graphviz
import networkx as nx

from trustgraph.graph.schema import (
    EDGE_SPECS,
    NODE_SPECS,
    NodeKind,
    edge_spec,
    is_hub_data,
    node_spec,
    styled_by_kind,
)
from trustgraph.graph.usage import UNUSED, USED
from trustgraph.render.clusters import cluster_title, pin_title
from trustgraph.render.marks import NO_MARKS, Marks, legend_rows, role_lines
from trustgraph.render.style import (
    DASHED,
    DEAD_END,
    DEAD_END_STYLE,
    DEAD_END_TEXT,
    DOTTED,
    EDGE_STYLE,
    FONT,
    MAX_SIZE,
    SCOPE_LEGEND,
    SENSITIVE_GLYPH,
    SENSITIVE_STYLE,
    SOLID,
    TARGET_STYLE,
    dot_text,
    edge_style,
    legend_table,
    node_style,
    short_condition_label,
    tooltip_text,
)
from trustgraph.render.usage import COUNT, LAST, STATE, usage_label, usage_legend, usage_restyle


class LazyEvidence(Mapping[str, dict[str, Any]]):
    """Evidence per drawn element; a value may be given as a function, called only when read.

    Only the HTML output reads evidence, and gathering it for a 1,000-account map costs more than the
    layout, so SVG/PNG/PDF never pay for it.
    """

    def __init__(self) -> None:
        self._items: dict[str, Any] = {}

    def __setitem__(self, element: str, value: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        self._items[element] = value

    def __getitem__(self, element: str) -> dict[str, Any]:
        value = self._items[element]
        if callable(value):
            value = self._items[element] = value()
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class TrustDot(graphviz.Digraph):
    """A DOT graph plus the evidence behind each drawn element, keyed by the SVG element id.

    `evidence["node-n3"]` / `evidence["edge-n3-n7"]` are JSON-ready dicts; the HTML output embeds them
    so that a click on a node or an edge shows its statements and conditions.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.evidence = LazyEvidence()
        self.title = ""
        self.layout = ""  # how the picture is laid out, for messages ("dot", "radial", "sfdp"…)
        self.raster_size = ""  # Graphviz `size` (inches) for PNG output of very large pictures
        self.marks: Marks = NO_MARKS  # what the picture marks; the HTML page lists the findings
        # Big one-account or one-role pictures: laid out left-to-right and top-to-bottom, drawn the way whose long
        # side is shorter (render/engine.py)
        self.turnable = False


def jsonable(value: Any) -> Any:
    """A JSON-ready copy: tuples and sets become (sorted) lists, unknown objects their str()."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


_NODE_FIRST = ("kind", "account", "account_name", "vendor", "classification", "in_data", "path")
_EDGE_FIRST = ("kind", "scope", "classification", "conditional", "conditions")


def _ordered(attrs: Mapping[str, Any], first: Iterable[str]) -> dict[str, Any]:
    """The attributes people look at first, then the rest alphabetically; JSON-ready."""
    head = [k for k in first if k in attrs]
    return {k: jsonable(attrs[k]) for k in [*head, *sorted(k for k in attrs if k not in head)]}


def node_evidence(graph: nx.DiGraph, node: str) -> dict[str, Any]:
    data = graph.nodes[node]
    attrs = {k: v for k, v in data.items() if k != "label"}
    # a folded group is found by the names and ARNs of its members too
    members = " ".join(str(m) for m in data.get("folded", ()))
    return {"type": "node", "title": str(data.get("label", node)), "id": node,
            "search": f"{data.get('label', node)} {node} {members}".rstrip(), **_ordered(attrs, _NODE_FIRST),
            "callers": graph.in_degree(node), "reaches": graph.out_degree(node)}


def edge_evidence(graph: nx.DiGraph, src: str, dst: str) -> dict[str, Any]:
    """An edge with its evidence: the trust statements (index, sid, principal as written, conditions)."""
    data = graph.edges[src, dst]
    src_label = graph.nodes[src].get("label", src)
    dst_label = graph.nodes[dst].get("label", dst)
    return {"type": "edge", "title": f"{src_label} → {dst_label}", "from": src, "to": dst,
            **_ordered(data, _EDGE_FIRST)}


def _label(graph: nx.DiGraph, node: str) -> str:
    data = graph.nodes[node]
    kind = data.get("kind", NodeKind.UNKNOWN)
    label = str(data.get("label", node))
    if data.get("peer_accounts"):
        return dot_text(label)  # peer accounts folded by OU (render/peers.py): the label says it
    if kind == NodeKind.ACCOUNT:
        account = data.get("account", "")
        vendor = data.get("vendor")
        if data.get("hub"):
            # A collected account's hub: its principals that may assume any role use its account-wide trusts.
            return dot_text(label if label != account else f"account {account}") + \
                f"\n{account}\nmembers with AssumeRole *"
        if vendor and vendor != label:
            return dot_text(f"{vendor}\n{account}").replace("\n", "\\n")
        return dot_text(label) + f"\\n{account}" if label != account else f"account {account}"
    if kind == NodeKind.PUBLIC:
        return "anyone (*)"
    if kind == NodeKind.UNKNOWN:
        return dot_text(label) + "\\nunresolved: deleted or invalid"
    if kind == NodeKind.CLASS:
        members, accounts = data.get("members", 0), data.get("member_accounts", 0)
        return dot_text(f"org-wide trust: {label}") + \
            f"\\n{members} principals in {accounts} account{'s' if accounts != 1 else ''}"
    if kind == NodeKind.FEDERATED:
        provider = label.split(":oidc-provider/", 1)[-1].split(":saml-provider/", 1)[-1]
        if len(provider) > 40:
            provider = provider[:37] + "…"
        form = {"saml": "SAML", "oidc": "OIDC", "web-identity": "web identity"}.get(str(data.get("provider_type")), "")
        return f"{dot_text(provider)}\\n({form})" if form else dot_text(provider)
    if kind == NodeKind.IDENTITY_CENTER_GROUP:
        # a group stands for its members: answers name the group, not each person in it
        members = int(data.get("members", 0))
        return dot_text(label) + f"\\ngroup, {members} member{'s' if members != 1 else ''}" + \
            ("\\nsynced from the IdP" if data.get("external") else "")
    if kind == NodeKind.ROLE and data.get("path", "/") not in ("/", ""):
        path = str(data["path"])
        if len(path) > 28:
            path = path[:25] + "…/"
        return f"{dot_text(label)}\\n{dot_text(path)}"
    return dot_text(label)


def drawn_as(data: Mapping[str, Any]) -> str:
    """The style key of an edge: its scope, or its kind when every alternative of it is drawn by its kind (the
    indirect edges)."""
    if styled_by_kind(data):
        return str((data.get("kinds") or [data.get("kind")])[0])
    return str(data.get("scope"))


def edge_label(data: Mapping[str, Any]) -> str:
    forms = sorted({str(e.get("principal_form")) for e in data.get("evidence", [])})
    if data.get("technique") and styled_by_kind(data):
        text = dot_text(str(data["technique"]))
    elif forms == ["account"]:
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
        cond = dot_text(short_condition_label(list(data.get("conditions", []))))
        text = f"{text}\\n{cond}" if text else cond
    return text


def _use_words(data: Mapping[str, Any]) -> str:
    """The use of an edge for its tooltip: "used, last 2025-06-30, 3 calls", "not used in the window", "usage
    unknown"."""
    state = data.get(STATE)
    if state == USED:
        return f"used, last {str(data[LAST])[:10]}, {int(data[COUNT])} calls"
    return "not used in the window" if state == UNUSED else "usage unknown"


def _cluster_title(graph: nx.DiGraph, account: str) -> str:
    names = graph.graph.get("account_names", {})
    name = names.get(account, "")
    collected = account in set(graph.graph.get("collected_accounts", []))
    suffix = "" if collected else " (outside the data)"
    return f"{name} ({account}){suffix}" if name else f"account {account}{suffix}"


def _cluster_label(graph: nx.DiGraph, account: str) -> str:
    return dot_text(_cluster_title(graph, account))


def _legend_kinds() -> list[str]:
    """The node kinds a legend can list, in its order: the schema's kinds, then rows added to it later."""
    return list(dict.fromkeys([*NodeKind, *NODE_SPECS]))


def legend_label(kinds: Iterable[str] | None = None, scopes: Iterable[str] = tuple(EDGE_STYLE),
                 conditional: bool = True, target: bool = False, extra_rows: Iterable[str] = ()) -> str:
    """The legend of a principals picture: the node kinds (default: all) and edge styles it shows."""
    listed = _legend_kinds()
    present = set(listed if kinds is None else kinds)
    # A kind is named by its value: the schema rows' legend words are longer than the pictures' legends.
    node_rows = [(node_style(k), str(k)) for k in listed if k in present]
    if target:
        node_rows.append(({**node_style(NodeKind.ROLE), **TARGET_STYLE}, "target"))
    present_scopes = set(scopes)
    edge_rows = [(DOTTED if style.get("style") == "dotted" else SOLID, style["color"],
                  SCOPE_LEGEND.get(scope, scope)) for scope, style in EDGE_STYLE.items() if scope in present_scopes]
    # An edge kind drawn by its kind that has no style row yet: drawn plain, named by its schema row.
    edge_rows += [(SOLID, edge_style(k)["color"], edge_spec(k).legend) for k in sorted(present_scopes)
                  if k not in EDGE_STYLE and k in EDGE_SPECS and edge_spec(k).styled_by_kind]
    if conditional:
        edge_rows.append((DASHED, "#3c4043", "conditional"))
    if NodeKind.UNKNOWN in present:
        edge_rows.append((DEAD_END, DEAD_END_STYLE["color"], DEAD_END_TEXT))
    return legend_table(node_rows, edge_rows, list(extra_rows))


@contextmanager
def canvas(dot: TrustDot) -> Iterator[graphviz.Digraph]:
    """Where a picture's content goes. With dot it is a borderless frame cluster whose label, set by
    `place_legend`, puts the legend under the drawing on the left; other engines get a legend node."""
    if dot.engine == "dot":
        with dot.subgraph(name="cluster_frame") as frame:
            frame.attr(label="", labelloc="b", labeljust="l", peripheries="0", fontsize="9", margin="12")
            yield frame
    else:
        yield dot


def place_legend(dot: TrustDot, body: graphviz.Digraph, label: str, fontsize: str = "9") -> None:
    if body is not dot:
        body.attr(label=label)
    else:
        dot.node("legend", label=label, shape="plain", fontsize=fontsize, fontname=FONT)


def cluster_attrs(**attrs: str) -> dict[str, str]:
    """Attributes of a cluster inside the frame: reset what the frame would otherwise pass down."""
    return {"labelloc": "t", "peripheries": "1", "margin": "8", "fontname": FONT, **attrs}


# A title longer than this many characters is written on several lines, broken before its notes ("(… folded …)"):
# on one line, the folds said by an account's picture at 1,000 accounts (560 characters) made it 5,600 px wide.
TITLE_LINE = 150


def title_label(title: str) -> str:
    """The DOT label of a picture's title: one line, or left-aligned lines of about TITLE_LINE characters."""
    if len(title) <= TITLE_LINE:
        return dot_text(title)
    lines = [""]
    for part in re.split(r"(?= \()", title):
        if lines[-1] and len(lines[-1]) + len(part) > TITLE_LINE:
            lines.append(part.lstrip())
        else:
            lines[-1] += part
    return "".join(dot_text(line) + "\\l" for line in lines)


def _base_graph(title: str, engine: str) -> TrustDot:
    dot = TrustDot("trustgraph", engine=engine)
    dot.title = title
    dot.layout = engine
    dot.attr(rankdir="LR", fontname=FONT, fontsize="14", labelloc="t", labeljust="l", label=title_label(title),
             newrank="true", compound="true", nodesep="0.25", ranksep="0.9", bgcolor="white", pad="0.3",
             forcelabels="true", size=MAX_SIZE)
    dot.attr("node", fontname=FONT, fontsize="10", margin="0.12,0.05")
    dot.attr("edge", fontname=FONT, fontsize="8", arrowsize="0.7", fontcolor="#3c4043", labeldistance="2.2",
             labelangle="-30", labelfontsize="8", labelfontcolor="#3c4043")
    return dot


def to_dot(graph: nx.DiGraph, nodes: Iterable[str] | None = None, *, title: str = "",
           highlight: Iterable[str] = (), engine: str = "dot", legend: bool = True,
           edges: Iterable[tuple[str, str]] | None = None, split_services: bool = True,
           marks: Marks = NO_MARKS, restyle: Callable[[Mapping[str, Any]], Mapping[str, str]] | None = None,
           legend_extra: Iterable[str] = (), extra_lines: Mapping[str, Iterable[str]] | None = None) -> TrustDot:
    """DOT source for the subgraph on `nodes` (default: the whole graph).

    `marks`: sensitive roles get a double red border and a badge line, roles with findings a badge line.
    `edges` limits the drawn edges (default: every edge between the drawn nodes). `split_services` draws
    an AWS service once in each account cluster that trusts it rather than once for the whole picture.
    `restyle(edge data)` gives style attributes that override the scope's (the change picture colours edges
    by change); `legend_extra`: more legend rows (`<TR>`); `extra_lines`: node → more label lines (what the
    view says about a node instead of drawing it, e.g. an account admin's edges to every principal it owns).
    A hub of one account (its admin node, code and PassRole runners, policy groups) is drawn in that account's
    box, beside the principals it stands for.
    """
    keep = sorted(set(nodes) if nodes is not None else set(graph.nodes))
    # DOT reads "a:b" in an edge as node a, port b, so ARNs can't be DOT ids: number nodes in sorted order.
    ids = {node: f"n{i}" for i, node in enumerate(keep)}
    marked = set(highlight)
    dot = _base_graph(title, engine)
    dot.marks = marks
    home: dict[str, str] = {}  # node → the account cluster it is drawn in ("" = outside every cluster)
    for node in keep:
        data = graph.nodes[node]
        account = data.get("account")
        in_cluster = account and (node_spec(data.get("kind")).in_account_box or is_hub_data(data))
        home[node] = str(account) if in_cluster else ""
    if edges is None:
        drawn = sorted(graph.subgraph(keep).edges())
    else:
        drawn = sorted((u, v) for u, v in set(edges) if u in ids and v in ids and graph.has_edge(u, v))
    # An AWS service is drawn once per account cluster it is trusted in, so that its edges stay short.
    copies: dict[str, dict[str, str]] = {}
    if split_services:
        for node in keep:
            if graph.nodes[node].get("kind") == NodeKind.SERVICE:
                places = sorted({home[v] for u, v in drawn if u == node})
                if len(places) > 1:
                    copies[node] = {place: f"{ids[node]}_{i}" for i, place in enumerate(places)}
                elif places:
                    home[node] = places[0]
    placed: dict[str, list[tuple[str, str]]] = defaultdict(list)  # cluster → [(dot id, node)]
    for node in keep:
        if node in copies:
            for place, copy_id in copies[node].items():
                placed[place].append((copy_id, node))
        else:
            placed[home[node]].append((ids[node], node))

    # Several edges into one node with the same label (e.g. a dozen "via *"): say it once, next to the node.
    labels = {(u, v): edge_label(graph.edges[u, v]) for u, v in drawn}
    repeated: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (_, v), text in labels.items():
        if text:
            repeated[v][text] += 1
    folded_labels = {v: {t: n for t, n in texts.items() if n > 1} for v, texts in repeated.items()}
    folded_labels = {v: texts for v, texts in folded_labels.items() if texts}

    def endpoint(node: str, other: str) -> str:
        return copies[node][home[other]] if node in copies else ids[node]

    def emit(container: graphviz.Digraph, dot_id: str, node: str) -> None:
        data = graph.nodes[node]
        style = dict(node_style(data.get("kind")))
        if node in marked:
            style.update(TARGET_STYLE)
        element = f"node-{dot_id}"
        label = _label(graph, node)
        if node in folded_labels:
            # Inside the node's own label, so that it cannot drift away from the node.
            label += "".join(f"\\n← {n} × " + text.replace("\\n", " ")
                             for text, n in sorted(folded_labels[node].items()))
        for line in [*data.get("ways", ()), *(extra_lines or {}).get(node, ())]:
            label += f"\\n{dot_text(line)}"
        badges = role_lines(marks, node)
        if badges:
            label += "".join(f"\\n{dot_text(line)}" for line in badges)
            shown_marks.update(("sensitive" if line.startswith(SENSITIVE_GLYPH) else "flagged") for line in badges)
        if node in marks.sensitive:
            style.update(SENSITIVE_STYLE)
            if node in marked:
                style["color"] = SENSITIVE_STYLE["color"]
        container.node(dot_id, label=label, tooltip=tooltip_text(str(data.get("tooltip", node))), id=element,
                       **style)
        info = node_evidence(graph, node)
        if node in marks.sensitive:
            info["sensitive"] = marks.sensitive[node] or "sensitive"
        dot.evidence[element] = info

    shown_marks: set[str] = set()
    with canvas(dot) as body:
        for account in sorted(a for a in placed if a):
            with body.subgraph(name=f"cluster_{account}") as cluster:
                # With dot, the title is a node first in the cluster (render/clusters.py), which edges avoid.
                titled = dot.engine == "dot"
                cluster.attr(**cluster_attrs(label="" if titled else _cluster_label(graph, account),
                                             style="rounded,filled", color="#dadce0", fillcolor="#fafafa",
                                             fontsize="11", labeljust="l"))
                head = cluster_title(cluster, f"cluster_{account}", _cluster_title(graph, account), "11") \
                    if titled else ""
                for dot_id, node in placed[account]:
                    emit(cluster, dot_id, node)
                if head:
                    pin_title(cluster, head, [dot_id for dot_id, _ in placed[account]], rankdir="LR")
        for dot_id, node in placed.get("", []):
            emit(body, dot_id, node)
        scopes: set[str] = set()
        conditional = False
        texts = {(src, dst): "" if labels[(src, dst)] in folded_labels.get(dst, {}) else labels[(src, dst)]
                 for src, dst in drawn}
        # A label at the arrowhead is not laid out (Graphviz places head labels after the layout): two or more into
        # one node overlap each other and the node. Those are edge labels, which dot makes room for.
        labelled_into = Counter(endpoint(dst, src) for (src, dst), text in texts.items() if text)
        # A node saying folded labels inside it ("← 3 × …") has its text where a head label lands.
        labelled_into.update({endpoint(dst, src) for src, dst in drawn if folded_labels.get(dst)})
        for src, dst in drawn:
            data = graph.edges[src, dst]
            scope = drawn_as(data)
            scopes.add(scope)
            style = dict(edge_style(scope))
            if data.get("conditional") and style.get("style") != "dotted":
                style["style"] = "dashed"
                conditional = True
            if graph.nodes[src].get("kind") == NodeKind.UNKNOWN:
                style.update(DEAD_END_STYLE)
            if restyle is not None:
                style.update(restyle(data))
            used = usage_label(data)
            if STATE in data:  # a picture with observed use (render/usage.py): drawn by use over the scope
                style.update(usage_restyle(data))
                if used:
                    style["label"] = used
            a, b = endpoint(src, dst), endpoint(dst, src)
            element = f"edge-{a}-{b}"
            text = texts[(src, dst)]
            if text and labelled_into[b] > 1:
                # laid out as the edge's own label, beside the date and calls of its use when drawn by use
                style["label"] = f"{text} · {style['label']}" if "label" in style else text
                text = ""
            tip = f"{src} → {dst}" + (f" ({_use_words(data)})" if STATE in data else "")
            body.edge(a, b, headlabel=text, tooltip=tooltip_text(tip), id=element, **style)
            dot.evidence[element] = edge_evidence(graph, src, dst)
        if legend:
            kinds = {str(graph.nodes[n].get("kind")) for n in keep}
            extra = legend_rows(marks, "sensitive" in shown_marks, "flagged" in shown_marks) + list(legend_extra)
            if any(STATE in graph.edges[e] for e in drawn):
                extra += usage_legend(graph, drawn)
            place_legend(dot, body, legend_label(kinds, scopes, conditional, bool(marked), extra))
    return dot
