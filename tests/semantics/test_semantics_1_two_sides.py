"""SEMANTICS §1: the two gates of every role assumption (trust policy, caller's identity side)."""

from __future__ import annotations

import networkx as nx
from builders import A, Account, B, build, callers, can_assume, edge, identity, no_edge, trust, unconditional


def test_rule_1_1_trust_policy_is_mandatory_identity_allow_alone_grants_nothing():
    a = Account(A)
    admin = a.user("admin", policies=can_assume("*"))
    other = a.user("other")
    target = a.role("Target", trust(other))
    g = build(a)
    no_edge(g, admin, target)
    unconditional(g, other, target)


def test_rule_1_1_trust_policy_is_mandatory_cross_account_identity_allow_alone_grants_nothing():
    a, b = Account(A), Account(B)
    target = a.role("Target", trust(a.root))
    bob = b.user("bob", policies=can_assume(target))
    # Positive control: a role whose trust names account B, and a caller there allowed on it, does reach.
    control = a.role("Control", trust(B))
    carol = b.user("carol", policies=can_assume(control))
    g = build(a, b)
    no_edge(g, bob, target)
    assert b.root not in callers(g, target)
    unconditional(g, carol, control)


def test_rule_1_2_same_account_named_principal_needs_no_identity_policy():
    a = Account(A)
    alice = a.user("alice")
    worker = a.role("Worker", trust())
    target = a.role("Target", trust([alice, worker]))
    g = build(a)
    data = unconditional(g, alice, target)
    assert data["scope"] == "same-account"
    assert data["kind"] == "assume"
    assert data["evidence"][0]["principal_form"] == "user"
    assert "no identity policy needed" in data["evidence"][0]["reason"]
    unconditional(g, worker, target)


def test_rule_1_2_same_account_named_principal_identity_deny_still_applies():
    a = Account(A)
    alice = a.user("alice", policies=identity({"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}))
    control = a.arn("user", "control")  # positive control: named the same way, no Deny
    target = a.role("Target", trust([alice, control]))
    a.user("control")
    g = build(a)
    no_edge(g, alice, target)
    unconditional(g, control, target)


def test_rule_1_3_account_principal_requires_identity_allow():
    a = Account(A)
    target = a.role("Target", trust(a.root))
    allowed = a.user("allowed", policies=can_assume(target))
    bare = a.user("bare")
    other_role = a.user("wrong-resource", policies=can_assume(a.arn("role", "Other")))
    g = build(a)
    data = unconditional(g, allowed, target)
    assert data["evidence"][0]["principal_form"] == "account"
    assert "inline policy" in data["evidence"][0]["reason"]
    no_edge(g, bare, target)
    no_edge(g, other_role, target)


def test_rule_1_3_bare_account_id_behaves_like_root_arn():
    a = Account(A)
    by_id = a.role("ById", trust(A))
    by_arn = a.role("ByArn", trust(a.root))
    allowed = a.user("allowed", policies=can_assume("*"))
    bare = a.user("bare")
    g = build(a)
    for target in (by_id, by_arn):
        unconditional(g, allowed, target)
        no_edge(g, bare, target)
        assert edge(g, allowed, target)["evidence"][0]["principal_form"] == "account"


def test_rule_1_3_account_principal_roles_also_need_identity_allow():
    a = Account(A)
    target = a.role("Target", trust(a.root))
    hop = a.role("Hop", trust(), policies=can_assume(target))
    idle = a.role("Idle", trust())
    g = build(a)
    unconditional(g, hop, target)
    no_edge(g, idle, target)


def test_rule_1_4_cross_account_requires_both_sides():
    a, b = Account(A), Account(B)
    target = a.role("Target", trust([b.arn("user", "bob"), b.arn("user", "carol"), b.arn("user", "dave")]))
    bob = b.user("bob", policies=can_assume(target))
    carol = b.user("carol")  # named in the trust, but her own account does not allow the call
    dave = b.user("dave", policies=can_assume(a.arn("role", "Elsewhere")))
    g = build(a, b)
    data = unconditional(g, bob, target)
    assert data["scope"] == "cross-account"
    assert "cross-account: its own policies allow" in data["evidence"][0]["reason"]
    no_edge(g, carol, target)
    no_edge(g, dave, target)


def test_rule_1_4_cross_account_via_account_principal_requires_both_sides():
    a, b = Account(A), Account(B)
    target = a.role("Target", trust(B))
    bob = b.user("bob", policies=can_assume(target))
    carol = b.user("carol")
    g = build(a, b)
    unconditional(g, bob, target)
    no_edge(g, carol, target)
    # An account in the data is expanded to its principals, not drawn as an account node.
    assert b.root not in g


def test_rule_1_4_uncollected_account_is_one_account_node():
    a = Account(A)
    target = a.role("Target", trust(B))
    g = build(a)
    data = unconditional(g, f"arn:aws:iam::{B}:root", target)
    assert data["scope"] == "cross-account"
    assert g.nodes[f"arn:aws:iam::{B}:root"]["kind"] == "account"


def test_rule_1_5_root_means_account_not_root_user():
    a = Account(A)
    target = a.role("Target", trust(a.root))
    dev = a.user("dev", policies=can_assume(target))
    g = build(a)
    unconditional(g, dev, target)
    # The root user cannot call AssumeRole: no node stands for it in a collected account.
    assert a.root not in g
    assert set(g.predecessors(target)) == {dev}


def test_rule_1_5_root_of_uncollected_account_means_any_principal_there():
    a = Account(A)
    target = a.role("Target", trust(f"arn:aws:iam::{B}:root"))
    g = build(a)
    node = f"arn:aws:iam::{B}:root"
    assert g.nodes[node]["kind"] == "account"
    assert "any principal there" in edge(g, node, target)["evidence"][0]["reason"]


def test_rule_1_self_assumption_is_not_implicit():
    a = Account(A)
    # The role's own policy allows assuming itself, but its trust names only another principal.
    selfish = a.role("Selfish", trust(a.arn("user", "alice")), policies=can_assume("*"))
    alice = a.user("alice")
    g = build(a)
    no_edge(g, selfish, selfish)
    unconditional(g, alice, selfish)  # positive control: the principal its trust names does reach it
    assert selfish not in callers(g, selfish)
    assert list(nx.selfloop_edges(g)) == []


def test_rule_1_4_named_principal_of_an_uncollected_account_is_kept_as_its_own_node():
    a = Account(A)
    external = f"arn:aws:iam::{B}:role/Deployer"
    target = a.role("Target", trust(external))
    g = build(a)
    data = unconditional(g, external, target)
    assert data["scope"] == "cross-account"
    assert (g.nodes[external]["kind"], g.nodes[external]["in_data"]) == ("role", False)
