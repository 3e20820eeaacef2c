"""The picture of a change: only the trust that changed, with its endpoints, drawn by `to_dot` with each edge
coloured by its change (added, changed, removed). A change through a hub is one edge from a node standing
for its callers ("org-wide trust <conditions>, N principals"), as in the trust map."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx

from trustgraph.analysis.diff import ADDED, CHANGED, REMOVED, GraphDiff, TrustChange
from trustgraph.graph.schema import NodeKind
from trustgraph.render.dot import TrustDot, to_dot
from trustgraph.render.marks import Marks
from trustgraph.render.style import SOLID, html_text

CHANGE_STYLE: dict[str, dict[str, str]] = {
    ADDED: {"color": "#188038", "penwidth": "2.5"},
    CHANGED: {"color": "#e37400", "penwidth": "2.5"},
    REMOVED: {"color": "#d93025", "penwidth": "2", "arrowhead": "tee"},
}
CHANGE_LEGEND = {ADDED: "trust added", CHANGED: "trust changed (conditions, kind or classification)",
                 REMOVED: "trust removed"}
CLASS_PREFIX, ACCOUNT_PREFIX = "org-wide trust ", "account hub "
DRAWN_CALLERS = 8  # direct callers of one change drawn one by one; more are one node "N principals"
# A node of the picture only, standing for no principal ("N principals", "no trust changes"): no graph kind, so
# it is drawn in the default style and named in no legend, and a trust graph never holds it.
NOTE_KIND = "note"


def _node(picture: nx.DiGraph, node: str, sides: tuple[nx.DiGraph, ...]) -> None:
    if node in picture:
        return
    for graph in sides:
        if node in graph:
            picture.add_node(node, **{k: v for k, v in graph.nodes[node].items() if k != "hub"})
            return
    picture.add_node(node, kind=NodeKind.UNKNOWN.value, label=node)


def _callers_node(picture: nx.DiGraph, change: TrustChange, number: int) -> str:
    """One node for the callers of one change: the org-wide trust class, the account hub, or "N principals"."""
    via = change.via or ""
    node = f"callers:{number}"
    accounts = {c.split(":")[4] for c in change.callers if c.count(":") >= 5}
    if via.startswith(CLASS_PREFIX):
        picture.add_node(node, kind=NodeKind.CLASS.value, label=via[len(CLASS_PREFIX):], members=len(change.callers),
                         member_accounts=len(accounts))
    elif via.startswith(ACCOUNT_PREFIX):
        account = via[len(ACCOUNT_PREFIX):]
        picture.add_node(node, kind=NodeKind.ACCOUNT.value, account=account,
                         label=f"{len(change.callers)} principal(s) of {account} with AssumeRole *")
    else:
        picture.add_node(node, kind=NOTE_KIND, label=f"{len(change.callers)} principals in "
                         f"{len(accounts)} account{'s' if len(accounts) != 1 else ''}")
    return node


def change_graph(diff: GraphDiff, old: nx.DiGraph, new: nx.DiGraph) -> nx.DiGraph:
    """The changed trust as a small graph: nodes as in the newer graph (else the older), one edge per change."""
    picture: nx.DiGraph[str] = nx.DiGraph()
    picture.graph.update({k: new.graph.get(k) for k in ("account_names", "collected_accounts", "accounts")
                          if new.graph.get(k) is not None})
    for number, change in enumerate(diff.trust):
        _node(picture, change.role, (new, old))
        if change.via is None and len(change.callers) <= DRAWN_CALLERS:
            callers = list(change.callers)
            for caller in callers:
                _node(picture, caller, (new, old))
        else:
            callers = [_callers_node(picture, change, number)]
        facts = change.new or change.old
        assert facts is not None
        for caller in callers:
            picture.add_edge(caller, change.role, kind=facts.kind, scope=f"change-{change.change}",
                             change=change.change, conditional=facts.conditional, conditions=list(facts.conditions),
                             classification=facts.classification, callers=len(change.callers),
                             was=change.old.as_dict() if change.old else None)
    return picture


def _restyle(data: Mapping[str, Any]) -> Mapping[str, str]:
    return CHANGE_STYLE.get(str(data.get("change")), {})


def diff_picture(diff: GraphDiff, old: nx.DiGraph, new: nx.DiGraph, *, title: str = "trust changes",
                 sensitive: Mapping[str, str] | None = None) -> TrustDot:
    picture = change_graph(diff, old, new)
    if not picture:
        picture.add_node("no change", kind=NOTE_KIND, label="no trust changes")
    shown = {data.get("change") for _, _, data in picture.edges(data=True)}
    legend = [f'<TR><TD><FONT COLOR="{CHANGE_STYLE[c]["color"]}">{SOLID}</FONT></TD>'
              f'<TD ALIGN="LEFT">{html_text(CHANGE_LEGEND[c])}</TD></TR>' for c in (ADDED, CHANGED, REMOVED)
              if c in shown]
    return to_dot(picture, title=title, restyle=_restyle, legend_extra=legend,
                  marks=Marks(sensitive={r: why for r, why in (sensitive or {}).items() if r in picture}))
