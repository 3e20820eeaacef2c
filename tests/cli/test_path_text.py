"""How a route reads in tables: one label per hop, hubs as waypoints."""

from __future__ import annotations

import networkx as nx

from trustgraph.cli.output import path_text


def _route() -> tuple[nx.DiGraph, list[str]]:
    g = nx.DiGraph()
    g.add_node("u", label="jenkins")
    g.add_node("hub", label="code of any project", hub=True, kind="code-runner")
    g.add_node("r", label="CIPipeline")
    return g, ["u", "hub", "r"]


def test_path_text_names_a_technique_repeated_through_a_hub_once() -> None:
    g, path = _route()
    steps = [{"from": "u", "to": "hub", "kind": "code", "technique": "codebuild:StartBuild"},
             {"from": "hub", "to": "r", "kind": "code", "technique": "codebuild:StartBuild"}]
    assert path_text(g, path, steps) == "jenkins ─[code codebuild:StartBuild]→ CIPipeline"


def test_path_text_keeps_the_different_techniques_of_a_hub_and_its_way_out() -> None:
    g, path = _route()
    steps = [{"from": "u", "to": "hub", "kind": "passrole", "technique": "lambda:CreateFunction"},
             {"from": "hub", "to": "r", "kind": "passrole", "technique": "iam:PassRole"}]
    assert path_text(g, path, steps) == "jenkins ─[passrole lambda:CreateFunction, passrole iam:PassRole]→ CIPipeline"
