"""Cluster titles drawn as nodes, shared by the principals, account and OU views.

dot routes edges around nodes but not around cluster labels, so an edge can run across a cluster's
title. Drawn as a plain-text node inside the cluster, pinned first in it by invisible edges to what the
cluster holds (top to bottom: on a rank of its own at the cluster's top; left to right: in the cluster's
first column), the title is something edges avoid.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trustgraph.render.style import html_text

# The SVG class of a title node (Graphviz writes class="node tg-title"): the HTML page leaves it out of
# clicks, hovers and fading, as it has no evidence.
TITLE_CLASS = "tg-title"


def title_id(cluster_id: str) -> str:
    return f"{cluster_id}_title"


def cluster_title(cluster: Any, cluster_id: str, title: str, fontsize: str) -> str:
    """Draw `title` as a bold plain-text node in `cluster` (whose own label should be empty); returns its id."""
    head = title_id(cluster_id)
    cluster.node(head, label=f"<<B>{html_text(title)}</B>>", shape="plaintext", margin="0", height="0.2",
                 fontsize=fontsize, fontcolor="#3c4043", **{"class": TITLE_CLASS})
    return head


def pin_title(cluster: Any, head: str, targets: Iterable[str], rankdir: str = "TB") -> None:
    """Invisible edges from the title node to what the cluster holds: the title comes first in the cluster.

    Top to bottom the title takes the rank above the cluster's nodes. Left to right a rank above would be a
    column of its own on the cluster's left, widening the picture; with minlen=0 the title shares the
    cluster's first column instead. Where in that column it lands is up to dot: its crossing minimization
    does not keep the tail of an edge within one rank first, so the title is not always at the top."""
    extra = {} if rankdir == "TB" else {"minlen": "0"}
    for target in targets:
        if target:
            cluster.edge(head, target, style="invis", **extra)
