"""One visual vocabulary for every picture: node shape per kind, edge style per scope, legend."""

from __future__ import annotations

NODE_STYLE: dict[str, dict[str, str]] = {
    "role": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e8f0fe", "color": "#3366cc"},
    "user": {"shape": "ellipse", "style": "filled", "fillcolor": "#e6f4ea", "color": "#188038"},
    "account": {"shape": "folder", "style": "filled", "fillcolor": "#fef7e0", "color": "#b06000"},
    "service": {"shape": "hexagon", "style": "filled", "fillcolor": "#f1f3f4", "color": "#5f6368"},
    "federated": {"shape": "component", "style": "filled", "fillcolor": "#f3e8fd", "color": "#8430ce"},
    "public": {"shape": "doubleoctagon", "style": "filled", "fillcolor": "#fce8e6", "color": "#c5221f"},
    "unknown": {"shape": "note", "style": "filled,dashed", "fillcolor": "#ffffff", "color": "#80868b"},
}

EDGE_STYLE: dict[str, dict[str, str]] = {
    "same-account": {"color": "#3c4043", "penwidth": "1.2"},
    "cross-account": {"color": "#1a73e8", "penwidth": "2"},
    "service": {"color": "#9aa0a6", "penwidth": "1"},
    "federated": {"color": "#8430ce", "penwidth": "1.5"},
    "public": {"color": "#d93025", "penwidth": "2.5"},
}

TARGET_STYLE = {"fillcolor": "#fbbc04", "penwidth": "3", "color": "#b06000"}
FONT = "Helvetica"


def short_condition_label(keys: list[str]) -> str:
    if not keys:
        return ""
    short = [k.split(":", 1)[-1] if not k.startswith("trustgraph:") else "policy?" for k in keys]
    text = ", ".join(short[:2]) + ("…" if len(short) > 2 else "")
    return f"if {text}"
