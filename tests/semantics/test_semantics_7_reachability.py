"""SEMANTICS §7: chaining, hop counting, service-linked roles, path preference, max_hops."""

from __future__ import annotations

import pytest
from builders import (
    A,
    Account,
    B,
    C,
    build,
    callers,
    can_assume,
    conditional_on,
    no_edge,
    trust,
    unconditional,
)

from trustgraph.analysis.reachability import NodeNotFound, k_shortest_paths, reach, resolve_node, who_can_reach

MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
EXTERNAL_ID = {"StringEquals": {"sts:ExternalId": "x"}}


def reachers(graph, target, **kw):
    return {r.principal: r for r in who_can_reach(graph, target, **kw).reachers}


# -- 7.2 chaining --------------------------------------------------------------------------------------------


def test_rule_7_2_chaining_is_transitive_and_hops_count_role_assumptions():
    a = Account(A)
    alice = a.user("alice")
    r1 = a.role("R1", trust(alice))
    r2 = a.role("R2", trust(r1))
    r3 = a.role("R3", trust(r2))
    g = build(a)
    found = reachers(g, r3)
    assert found[alice].path == [alice, r1, r2, r3]
    assert found[alice].hops == 3
    assert found[r1].hops == 2
    assert found[r2].hops == 1
    assert found[alice].conditional is False
    assert {r.principal: r.hops for r in reach(g, alice).reachable} == {r1: 1, r2: 2, r3: 3}


def test_rule_7_2_a_session_of_a_role_uses_that_roles_identity_policies_for_the_next_hop():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", trust(A))
    allowed_hop = a.role("AllowedHop", trust(alice), policies=can_assume(target))
    idle_hop = a.role("IdleHop", trust(alice))
    g = build(a)
    unconditional(g, allowed_hop, target)
    no_edge(g, idle_hop, target)
    assert reachers(g, target)[alice].path == [alice, allowed_hop, target]


def test_rule_7_2_chaining_across_accounts():
    a, b, c = Account(A), Account(B), Account(C)
    alice = a.user("alice", policies=can_assume(b.arn("role", "Hop")))
    hop = b.role("Hop", trust(alice), policies=can_assume(c.arn("role", "Target")))
    target = c.role("Target", trust(hop))
    g = build(a, b, c)
    found = reachers(g, target)
    assert found[alice].path == [alice, hop, target]
    assert found[alice].hops == 2


def test_rule_7_1_cycles_are_normal():
    a = Account(A)
    alice = a.user("alice")
    x = a.role("X", trust([a.arn("role", "Y"), alice]))
    y = a.role("Y", trust(x))
    target = a.role("Target", trust(y))
    g = build(a)
    found = reachers(g, target)
    assert found[alice].path == [alice, x, y, target]
    assert (found[x].hops, found[y].hops) == (2, 1)
    assert {r.principal: r.hops for r in reach(g, x).reachable} == {y: 1, target: 2}
    assert {r.principal: r.hops for r in reach(g, y).reachable} == {x: 1, target: 1}


def test_rule_7_hops_caller_via_account_principal_is_one_hop():
    a = Account(A)
    target = a.role("Target", trust(A))
    dev = a.user("dev", policies=can_assume("*"))
    narrow = a.user("narrow", policies=can_assume(target))
    g = build(a)
    found = reachers(g, target)
    assert found[dev].hops == 1
    assert found[narrow].hops == 1
    assert found[dev].path[0] == dev and found[dev].path[-1] == target


def test_rule_7_hops_outside_account_and_services_are_one_hop():
    a = Account(A)
    target = a.role("Target", trust({"AWS": B, "Service": "ec2.amazonaws.com"}))
    g = build(a)
    found = reachers(g, target)
    assert found[f"arn:aws:iam::{B}:root"].hops == 1
    assert found[f"arn:aws:iam::{B}:root"].kind == "account"
    assert found["ec2.amazonaws.com"].hops == 1
    assert found["ec2.amazonaws.com"].kind == "service"


# -- 7.3 service-linked roles --------------------------------------------------------------------------------------


def test_rule_7_3_service_linked_roles_get_no_human_edges():
    a = Account(A)
    alice = a.user("alice", policies=can_assume("*"))
    slr = a.role("AWSServiceRoleForECS", trust({"AWS": [alice, A, "*"], "Service": "ecs.amazonaws.com"}),
                 path="/aws-service-role/ecs.amazonaws.com/")
    g = build(a)
    assert g.nodes[slr]["service_linked"] is True
    assert callers(g, slr) == {"ecs.amazonaws.com"}
    unconditional(g, "ecs.amazonaws.com", slr)
    assert set(reachers(g, slr)) == {"ecs.amazonaws.com"}


# -- 7.1 path preference and limits ---------------------------------------------------------------------------------


def test_rule_7_shortest_unconditional_path_preferred_over_shorter_conditional_one():
    a = Account(A)
    alice = a.user("alice")
    hop = a.role("Hop", trust(alice))
    target = a.role("Target", trust(hop))
    a.roles[-1]["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": alice}, "Action": "sts:AssumeRole", "Condition": MFA})
    g = build(a)
    conditional_on(g, alice, target, "aws:MultiFactorAuthPresent")
    found = reachers(g, target)[alice]
    assert found.path == [alice, hop, target]
    assert (found.hops, found.conditional, found.conditions) == (2, False, [])


def test_rule_7_conditional_path_reported_with_its_keys_when_no_unconditional_one_exists():
    a = Account(A)
    alice = a.user("alice")
    hop = a.role("Hop", trust(alice, condition=MFA))
    target = a.role("Target", trust(hop, condition=EXTERNAL_ID))
    g = build(a)
    found = reachers(g, target)[alice]
    assert found.path == [alice, hop, target]
    assert found.conditional is True
    assert found.conditions == ["aws:MultiFactorAuthPresent", "sts:ExternalId"]
    # Unconditional reachers sort before conditional ones.
    order = [r.principal for r in who_can_reach(g, target).reachers]
    assert order.index(hop) < order.index(alice)


def test_rule_7_max_hops_limits_the_search():
    a = Account(A)
    alice = a.user("alice")
    r1 = a.role("R1", trust(alice))
    r2 = a.role("R2", trust(r1))
    r3 = a.role("R3", trust(r2))
    g = build(a)
    assert set(reachers(g, r3, max_hops=1)) == {r2}
    assert set(reachers(g, r3, max_hops=2)) == {r1, r2}
    assert set(reachers(g, r3, max_hops=3)) == {alice, r1, r2}
    assert {r.principal for r in reach(g, alice, max_hops=2).reachable} == {r1, r2}


def test_rule_7_reach_lists_only_roles():
    a = Account(A)
    alice = a.user("alice")
    r1 = a.role("R1", trust(alice))
    g = build(a)
    assert [r.principal for r in reach(g, alice).reachable] == [r1]
    assert [r.kind for r in reach(g, alice).reachable] == ["role"]


def test_rule_7_k_shortest_paths_in_order_with_conditions():
    a = Account(A)
    alice = a.user("alice")
    hop = a.role("Hop", trust(alice))
    target = a.role("Target", trust(hop))
    a.roles[-1]["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": alice}, "Action": "sts:AssumeRole", "Condition": EXTERNAL_ID})
    g = build(a)
    paths = k_shortest_paths(g, alice, target, k=5)
    assert [p.path for p in paths] == [[alice, target], [alice, hop, target]]
    assert [(p.hops, p.conditional, p.conditions) for p in paths] == [(1, True, ["sts:ExternalId"]), (2, False, [])]
    assert k_shortest_paths(g, target, alice) == []


def test_rule_7_nodes_resolve_from_session_arn_account_id_and_unique_name():
    a = Account(A)
    deploy = a.role("Deploy", trust(B), path="/teams/")
    g = build(a)
    assert resolve_node(g, f"arn:aws:sts::{A}:assumed-role/Deploy/some-session") == deploy
    assert resolve_node(g, B) == f"arn:aws:iam::{B}:root"
    assert resolve_node(g, "Deploy") == deploy
    with pytest.raises(NodeNotFound):
        resolve_node(g, "Nope")


def test_query_naming_an_account_of_the_data_names_its_principals() -> None:
    a = Account(A)
    deploy = a.role("Deploy", trust(B))
    g = build(a)
    with pytest.raises(NodeNotFound) as raised:
        resolve_node(g, A)
    assert "account of 1 principal;" in str(raised.value) and deploy in str(raised.value)
    with pytest.raises(NodeNotFound, match="no principals in this data set"):
        resolve_node(g, "999999999999")
    assert resolve_node(g, B) == f"arn:aws:iam::{B}:root"  # an outside account is one principal node


def test_reachable_roles_is_the_set_reach_answers() -> None:
    from trustgraph import load_inputs
    from trustgraph.analysis.reachability import reach, reachable_roles
    from trustgraph.graph.build import build_graph

    snapshot, _ = load_inputs(["samples/acme"])
    graph = build_graph(snapshot)
    sources = [n for n, d in graph.nodes(data=True) if d.get("kind") in ("user", "role", "account", "federated")]
    assert any(reachable_roles(graph, s) for s in sources)
    for source in sources:
        assert reachable_roles(graph, source) == sorted(r.principal for r in reach(graph, source).reachable)
