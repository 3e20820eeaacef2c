"""SEMANTICS §7.4: the IAM techniques decide only the principals an Allow statement of the action could name
(policy/grant_targets.py); grants that can name anything still reach every principal of the account."""

from __future__ import annotations

from typing import Any

import networkx as nx
from builders import A, Account, allow, identity, load, trust

from trustgraph.graph.build import build_graph
from trustgraph.model import Statement
from trustgraph.policy.globs import arn_matches
from trustgraph.policy.grant_targets import GrantTargets
from trustgraph.policy.identity import SourcedStatement

REWRITE = "iam:UpdateAssumeRolePolicy"
KEYS = "iam:CreateAccessKey"


def iam_edge(g: nx.DiGraph, src: str, dst: str) -> dict[str, Any] | None:
    """The `iam` alternative of the direct edge src → dst (callers with policies of their own get direct edges)."""
    if not g.has_edge(src, dst):
        return None
    data = g.edges[src, dst]
    return data if any(r.get("kind", data["kind"]) == "iam" for r in data["evidence"]) else None


def graph_of(*accounts: Account) -> nx.DiGraph:
    snapshot, _ = load(*accounts)
    return build_graph(snapshot)


def test_rule_7_4_a_pattern_grant_reaches_the_principals_it_names_and_no_other():
    a = Account(A)
    named = a.role("api", path="/team-1/")
    other = a.role("api", path="/team-2/")
    one = a.role("db1", path="/team-3/")
    many = a.role("db22", path="/team-3/")
    editor = a.user("editor", policies=identity(allow(REWRITE, [a.arn("role", "*", "/team-1/"),
                                                                 a.arn("role", "db?", "/team-3/")])))
    g = graph_of(a)
    assert iam_edge(g, editor, named) is not None
    assert iam_edge(g, editor, one) is not None
    assert iam_edge(g, editor, other) is None
    assert iam_edge(g, editor, many) is None


def test_rule_7_4_an_exact_arn_grant_reaches_that_principal_only():
    a = Account(A)
    victim, bystander = a.user("victim"), a.user("bystander")
    keys = a.user("keys", policies=identity(allow(KEYS, victim)))
    g = graph_of(a)
    assert iam_edge(g, keys, victim) is not None
    assert iam_edge(g, keys, bystander) is None


def test_rule_7_4_a_not_resource_grant_reaches_every_principal_it_does_not_exclude():
    a = Account(A)
    target, excluded = a.role("Target"), a.role("Excluded")
    editor = a.user("editor", policies=identity({"Effect": "Allow", "Action": REWRITE, "NotResource": excluded}))
    g = graph_of(a)
    assert iam_edge(g, editor, target) is not None
    assert iam_edge(g, editor, excluded) is None


def test_rule_7_4_a_grant_with_a_policy_variable_is_decided_for_every_principal():
    a = Account(A)
    own_bot, other_bot = a.user("alice-bot"), a.user("bob-bot")
    alice = a.user("alice", policies=identity(allow(KEYS, a.arn("user", "${aws:username}-bot"))))
    g = graph_of(a)
    assert iam_edge(g, alice, own_bot) is not None
    assert iam_edge(g, alice, other_bot) is None


def test_rule_7_4_policies_missing_from_the_data_leave_every_principal_a_conditional_target():
    a = Account(A)
    unnamed = a.role("Unnamed")
    missing = a.user("missing", managed=[a.arn("policy", "NotInData")],
                     policies=identity(allow(REWRITE, a.arn("role", "Named"))))
    complete = a.user("complete", policies=identity(allow(REWRITE, a.arn("role", "Named"), Sid="x")))
    g = graph_of(a)
    edge = iam_edge(g, missing, unnamed)
    assert edge is not None and edge["conditional"] is True and "trustgraph:PolicyNotInData" in edge["conditions"]
    assert iam_edge(g, complete, unnamed) is None


class _Directory:
    def __init__(self, arns: list[str]) -> None:
        self.arns = sorted(arns)
        self.lookups: list[str] = []

    def callers_in(self, account: str) -> list[str]:
        return [x for x in self.arns if x.split(":")[4] == account]

    def matching_arn(self, pattern: str) -> list[str]:
        self.lookups.append(pattern)
        return [x for x in self.arns if arn_matches(pattern, x)]


def _allows(*resources: str) -> list[SourcedStatement]:
    return [SourcedStatement(Statement(0, None, "Allow", (REWRITE,), resources=resources), "test", True)]


def test_rule_7_4_each_distinct_pattern_is_matched_once_per_account_and_stays_in_the_account():
    a, b = Account(A), Account("222222222222")
    arns = [a.arn("role", "x1"), a.arn("role", "y1"), b.arn("role", "x1")]
    directory = _Directory(arns)
    targets = GrantTargets(directory)
    allows = _allows(a.arn("role", "x*").replace(A, "*"), a.arn("role", "y1"))
    assert targets.candidates(A, allows, False) == [a.arn("role", "x1"), a.arn("role", "y1")]
    assert targets.candidates(A, allows, False) == [a.arn("role", "x1"), a.arn("role", "y1")]
    assert directory.lookups == [a.arn("role", "x*").replace(A, "*")]
    assert targets.candidates(A, _allows("*"), False) is None
    assert targets.candidates(A, allows, True) is None


def test_rule_7_4_a_passrole_pattern_passes_only_the_roles_it_names():
    a = Account(A)
    lam = trust({"Service": "lambda.amazonaws.com"})
    named, other = a.role("fn-one", lam, path="/apps/"), a.role("fn-two", lam, path="/ops/")
    runner = a.user("runner", policies=identity(allow("iam:PassRole", a.arn("role", "*", "/apps/")),
                                                allow(["lambda:CreateFunction", "lambda:InvokeFunction"], "*")))
    g = graph_of(a)
    passed = {v for _, v, d in g.out_edges(runner, data=True) if "passrole" in d.get("kinds", [d["kind"]])}
    assert passed == {named}
    assert other not in passed
