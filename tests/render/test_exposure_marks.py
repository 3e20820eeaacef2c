"""Marks carry signal: an account or OU is marked by its sensitive roles reachable from outside it (beyond the
management account alone), not by merely holding one."""

from __future__ import annotations

import networkx as nx
from test_render_accounts import acme_graph

from trustgraph.analysis.exposure import exposure
from trustgraph.render.marks import Marks
from trustgraph.render.ous import ou_view

ADMIN = "arn:aws:iam::111111111111:role/Admin"


def _graph() -> nx.DiGraph:
    g: nx.DiGraph = nx.DiGraph()
    for arn, account in ((ADMIN, "111111111111"), ("arn:aws:iam::111111111111:user/ops", "111111111111"),
                         ("arn:aws:iam::222222222222:user/dev", "222222222222")):
        g.add_node(arn, kind="role" if ":role/" in arn else "user", account=account, in_data=True)
    g.add_node("lambda.amazonaws.com", kind="service")
    g.add_edge("arn:aws:iam::111111111111:user/ops", ADMIN, kind="assume")
    g.add_edge("lambda.amazonaws.com", ADMIN, kind="service")
    return g


def test_sensitive_role_reachable_from_outside_counts_only_outside_callers() -> None:
    g = _graph()
    # negative: a user of the same account and an AWS service reach it: nobody outside does
    assert exposure(g, [ADMIN], {"111111111111"}).reachable == 0
    # positive: a user of another account reaches it
    g.add_edge("arn:aws:iam::222222222222:user/dev", ADMIN, kind="assume")
    found = exposure(g, [ADMIN], {"111111111111"})
    assert (found.sensitive, found.reachable) == (1, 1) and found.text() == "1/1 sensitive role reachable from outside"
    # the same caller is inside an OU holding both accounts
    assert exposure(g, [ADMIN], {"111111111111", "222222222222"}).reachable == 0
    # reached only from the management account: counted, and said apart
    assert exposure(g, [ADMIN], {"111111111111"}, management="222222222222").management_only == 1


def test_ou_marks_count_sensitive_roles_reachable_from_outside() -> None:
    from trustgraph.analysis.findings import FindingContext, FindingOptions
    from trustgraph.sources.files import load_inputs

    graph, org = acme_graph()
    snapshot, _ = load_inputs(["samples/acme"])
    sensitive = {arn: s.label for arn, s in FindingContext(snapshot, graph, FindingOptions()).sensitive.items()}
    dot = ou_view(graph, organization=org, marks=Marks(sensitive=sensitive))
    source = dot.source
    # positive: Prod's sensitive roles are reachable from other accounts: marked, with the share
    assert "5/5 sensitive roles reachable from outside" in source
    prod = next(line for line in source.splitlines() if "<B>Prod</B>" in line)
    assert 'peripheries=2' in prod
    # negative: Security holds a sensitive role only the management account reaches: said, not marked
    security = next(line for line in source.splitlines() if "<B>Security</B>" in line)
    assert "1/1 sensitive role reachable from outside (1 only from the management account)" in security
    assert 'peripheries=2' not in security
