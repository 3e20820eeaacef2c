"""The Markdown of `check` (report/guardrails.py): groups beyond SHOWN_GROUPS are counted, not listed."""

from __future__ import annotations

import networkx as nx

from trustgraph.analysis.guardrails import check, parse_rules
from trustgraph.report.guardrails import SHOWN_GROUPS, check_document, check_markdown


def star(roles: int) -> nx.DiGraph:
    graph = nx.DiGraph()
    for i in range(roles):
        for node in (f"P{i}", f"T{i}"):
            graph.add_node(node, kind="role", account="111111111111", in_data=True)
        graph.add_edge(f"P{i}", f"T{i}", kind="assume", conditional=False, conditions=[], evidence=[])
    return graph


def results(roles: int):  # type: ignore[no-untyped-def]
    rules, problems = parse_rules({"rules": [{"id": "r", "from": {"principal": "P*"}, "to": {"principal": "T*"},
                                              "deny": True}]})
    assert not problems
    return check(star(roles), rules)


def test_markdown_shows_at_most_shown_groups_and_counts_the_rest() -> None:
    many = results(SHOWN_GROUPS + 10)
    text = check_markdown(many)
    assert text.count("| account 111111111111 |") == SHOWN_GROUPS
    assert "| … | 10 more role(s) and place(s) | 10 |" in text
    assert len(check_document(many)["rules"][0]["groups"]) == SHOWN_GROUPS + 10  # the JSON has them all
    few = check_markdown(results(3))
    assert few.count("| account 111111111111 |") == 3 and "more role(s)" not in few
