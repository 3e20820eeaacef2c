"""Observed use in pictures (`--usage`, docs/usage.md and docs/pictures.md): each drawn edge says whether CloudTrail
saw it used. The state is put on a copy of the drawn edges before the views fold alike principals, so that a
folded edge keeps its members' use (folding never merges used with unused edges: `fold_key`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from trustgraph.analysis.usage import edge_use, member_uses
from trustgraph.graph.usage import USED, has_usage
from trustgraph.render.style import USAGE_LEGEND, USAGE_STYLE, html_text

# The edge attributes a picture's copy of the graph carries (never stored in a built graph).
STATE, LAST, COUNT = "usage", "usage_last", "usage_count"


def usage_marked(graph: nx.DiGraph, nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> nx.DiGraph:
    """A copy of `graph` on `nodes` and `edges` whose edges carry their use (STATE, LAST, COUNT); the graph's
    attributes (the usage window among them) are shared, not copied."""
    members = member_uses(graph)
    out: nx.DiGraph[str] = nx.DiGraph()
    out.graph = graph.graph
    for n in nodes:
        out.add_node(n, **graph.nodes[n])
    for u, v in edges:
        use = edge_use(graph, u, v, members)
        out.add_edge(u, v, **graph.edges[u, v], **{STATE: use.state, LAST: use.last, COUNT: use.count})
    return out


def merge_use(kept: dict[str, Any], other: Mapping[str, Any]) -> None:
    """Two edges drawn as one (alike principals folded): the latest call and the calls of both."""
    if kept.get(STATE) == USED and other.get(STATE) == USED:
        kept[LAST] = max(str(kept[LAST]), str(other[LAST]))
        kept[COUNT] = int(kept[COUNT]) + int(other[COUNT])


def fold_key(data: Mapping[str, Any]) -> str | None:
    """What of an edge's use keeps principals apart when folding: its state (None in a picture without use)."""
    state = data.get(STATE)
    return None if state is None else str(state)


def usage_restyle(data: Mapping[str, Any]) -> Mapping[str, str]:
    """The style over the scope's: the USAGE_STYLE row of the edge's state (unknown: none)."""
    return USAGE_STYLE.get(str(data.get(STATE)), {})


def usage_label(data: Mapping[str, Any]) -> str:
    """The label of a used edge: "2025-06-30 · 3×" (its last call, how many); other edges say nothing."""
    if data.get(STATE) != USED:
        return ""
    return f"{str(data[LAST])[:10]} · {int(data[COUNT])}×"


def window_text(graph: nx.DiGraph) -> str:
    """"usage 2025-06-28 to 2025-06-30 (41 events; accounts 2…, 3…)" for a title."""
    window = graph.graph.get("usage_window") or {}
    accounts = sorted(window.get("accounts") or {})
    return (f"usage {str(window.get('from') or '?')[:10]} to {str(window.get('to') or '?')[:10]} "
            f"({window.get('events', 0)} CloudTrail events; accounts {', '.join(accounts) or 'none'})")


def usage_legend(graph: nx.DiGraph, edges: Iterable[tuple[str, str]]) -> list[str]:
    """Legend rows (`<TR>`) for the states the drawn edges show; "usage unknown" whenever an edge is unknown."""
    shown = {graph.edges[u, v].get(STATE) for u, v in edges}
    return [f'<TR><TD><FONT COLOR="{colour}">{glyph}</FONT></TD><TD ALIGN="LEFT">{html_text(text)}</TD></TR>'
            for state, (glyph, colour, text) in USAGE_LEGEND.items() if state in shown]


def checked_usage(graph: nx.DiGraph) -> None:
    """ValueError when the graph holds no usage data (no CloudTrail events among the inputs)."""
    if not has_usage(graph):
        raise ValueError("no usage data is loaded: pass CloudTrail events with -i (docs/usage.md)")

