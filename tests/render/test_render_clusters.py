"""Cluster titles are nodes inside their clusters (render/clusters.py): dot routes edges around nodes,
not around cluster labels."""

from __future__ import annotations

import re

import pygraphviz
import pytest
from test_render_accounts import acme_graph

from trustgraph.render.accounts import account_view
from trustgraph.render.views import principals_view


def _cluster_body(src: str, cluster: str) -> str:
    """The statements of `subgraph cluster` up to its closing brace (nested clusters included)."""
    start = src.index(f"subgraph {cluster} {{")
    depth, i = 0, start
    while True:
        if src[i] == "{":
            depth += 1
        elif src[i] == "}":
            depth -= 1
            if depth == 0:
                return src[start:i]
        i += 1


@pytest.mark.parametrize("view,cluster,title", [
    ("principals", "cluster_444444444444", "acme-prod (444444444444)"),
    ("accounts", None, "NonProd"),
])
def test_a_cluster_title_is_a_node_inside_its_cluster(view: str, cluster: str | None, title: str) -> None:
    graph, org = acme_graph()
    src = (principals_view(graph) if view == "principals" else account_view(graph, organization=org)).source
    assert "rankdir=LR" in src
    head = re.search(rf"(cluster_\w+)_title \[label=<<B>{re.escape(title)}</B>>", src)
    assert head, "the title is a node"
    cluster = cluster or head.group(1)
    assert head.group(1) == cluster
    body = _cluster_body(src, cluster)
    assert f"{cluster}_title [label=" in body  # inside its cluster…
    own = body.split("\n")[1]  # …whose own attributes carry no title
    assert 'label=""' in own and f"label={title}" not in src and f'label="{title}"' not in src
    assert re.search(rf"{cluster}_title -> \w+ \[minlen=0 style=invis\]", body)  # first in the cluster
    # Laid out, the title lies within its cluster's box.
    laid = pygraphviz.AGraph(string=src)
    laid.layout("dot")
    x, y = (float(v) for v in laid.get_node(f"{cluster}_title").attr["pos"].split(","))
    box = next(s for s in _subgraphs(laid) if s.name == cluster).graph_attr["bb"]
    x0, y0, x1, y1 = (float(v) for v in box.split(","))
    assert x0 <= x <= x1 and y0 <= y <= y1


def _subgraphs(g: pygraphviz.AGraph):
    for s in g.subgraphs():
        yield s
        yield from _subgraphs(s)
