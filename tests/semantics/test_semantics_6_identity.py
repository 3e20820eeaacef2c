"""SEMANTICS §6: the caller's own side: which policies count and how Resource / NotResource match a role."""

from __future__ import annotations

import pytest
from builders import (
    A,
    Account,
    B,
    allow,
    build,
    can_assume,
    conditional_on,
    deny,
    doc,
    edge,
    identity,
    no_edge,
    trust,
    unconditional,
)

from trustgraph.policy.trust import MISSING_POLICY_KEY

NO_STS = doc(allow("s3:*", "*"))

# -- 6.1 which policies count -------------------------------------------------------------------------------


def test_rule_6_1_inline_user_policy_counts():
    a = Account(A)
    target = a.role("Target", trust(A))
    alice = a.user("alice", policies={"AssumeTarget": can_assume(target)})
    data = unconditional(build(a), alice, target)
    assert "inline policy AssumeTarget" in data["evidence"][0]["reason"]


def test_rule_6_1_attached_managed_policy_counts():
    a = Account(A)
    target = a.role("Target", trust(A))
    managed = a.policy("AssumeTarget", can_assume(target))
    alice = a.user("alice", managed=[managed])
    data = unconditional(build(a), alice, target)
    assert "managed policy AssumeTarget" in data["evidence"][0]["reason"]


def test_rule_6_1_aws_managed_policy_in_the_dump_counts():
    a = Account(A)
    target = a.role("Target", trust(A))
    admin = a.policy("AdministratorAccess", doc(allow("*", "*")), aws_managed=True)
    assert admin == "arn:aws:iam::aws:policy/AdministratorAccess"
    alice = a.user("alice", managed=[admin])
    unconditional(build(a), alice, target)


def test_rule_6_1_only_the_default_managed_policy_version_counts():
    a = Account(A)
    target = a.role("Target", trust(A))
    old_allows = a.policy("OldAllows", versions=[(can_assume("*"), False), (NO_STS, True)])
    new_allows = a.policy("NewAllows", versions=[(NO_STS, False), (can_assume("*"), True)])
    stale = a.user("stale", managed=[old_allows])
    current = a.user("current", managed=[new_allows])
    g = build(a)
    no_edge(g, stale, target)
    unconditional(g, current, target)


def test_rule_6_1_only_the_default_version_of_a_deny_counts():
    a = Account(A)
    target = a.role("Target", trust(a.arn("user", "alice")))
    lifted = a.policy("Lifted", versions=[(doc(deny()), False), (NO_STS, True)])
    alice = a.user("alice", managed=[lifted])
    unconditional(build(a), alice, target)


def test_rule_6_1_group_inline_and_managed_policies_count_for_members():
    a = Account(A)
    target = a.role("Target", trust(A))
    managed = a.policy("GroupAssume", can_assume(target))
    a.group("InlineGroup", policies=can_assume(target))
    a.group("ManagedGroup", managed=[managed])
    a.group("Idle", policies=NO_STS)
    inline_member = a.user("inline-member", groups=["InlineGroup"])
    managed_member = a.user("managed-member", groups=["ManagedGroup"])
    idle_member = a.user("idle-member", groups=["Idle"])
    g = build(a)
    assert "group InlineGroup" in unconditional(g, inline_member, target)["evidence"][0]["reason"]
    assert "group ManagedGroup" in unconditional(g, managed_member, target)["evidence"][0]["reason"]
    no_edge(g, idle_member, target)


def test_rule_6_1_groups_are_per_account():
    a, b = Account(A), Account(B)
    target = a.role("Target", trust(B))
    a.group("Admins", policies=can_assume("*"))  # same name, other account
    b.group("Admins", policies=NO_STS)
    bob = b.user("bob", groups=["Admins"])
    b.group("Operators", policies=can_assume("*"))
    carol = b.user("carol", groups=["Operators"])  # positive control: a group of her own account
    g = build(a, b)
    no_edge(g, bob, target)
    unconditional(g, carol, target)


def test_rule_6_1_group_missing_from_the_data_is_not_a_deny():
    a = Account(A)
    target = a.role("Target", trust(A))
    alice = a.user("alice", groups=["NotInTheDump"])
    data = conditional_on(build(a), alice, target, MISSING_POLICY_KEY)
    assert any("NotInTheDump" in n for n in data["evidence"][0]["notes"])


def test_rule_6_1_role_inline_and_managed_policies_count():
    a = Account(A)
    target = a.role("Target", trust(A))
    managed = a.policy("Assume", can_assume(target))
    inline = a.role("Inline", trust(), policies=can_assume(target))
    attached = a.role("Attached", trust(), managed=[managed])
    idle = a.role("Idle", trust(), policies=NO_STS)
    g = build(a)
    unconditional(g, inline, target)
    unconditional(g, attached, target)
    no_edge(g, idle, target)


def test_rule_6_1_boundary_is_read_from_the_permissions_boundary_arn():
    a = Account(A)
    target = a.role("Target", trust(A))
    boundary = a.policy("Boundary", NO_STS)
    capped = a.user("capped", policies=can_assume("*"), boundary=boundary)
    free = a.user("free", policies=can_assume("*"))  # positive control: no boundary
    g = build(a)
    no_edge(g, capped, target)
    unconditional(g, free, target)


# -- 6.2 / 6.3 Action and Resource matching --------------------------------------------------------------------


def test_rule_6_3_star_resource_matches_every_role_in_every_account():
    a, b = Account(A), Account(B)
    here = a.role("Here", trust(A))
    there = b.role("There", trust(A))
    dev = a.user("dev", policies=can_assume("*"))
    g = build(a, b)
    unconditional(g, dev, here)
    unconditional(g, dev, there)


def test_rule_6_3_role_arn_includes_the_path():
    a = Account(A)
    prod = a.role("DeployProd", trust(A), path="/teams/")
    flat = a.role("DeployFlat", trust(A))
    no_path = a.user("no-path", policies=can_assume(a.arn("role", "Deploy*")))
    with_path = a.user("with-path", policies=can_assume(a.arn("role", "Deploy*", path="/teams/")))
    any_path = a.user("any-path", policies=can_assume(a.arn("role", "*Deploy*")))
    g = build(a)
    no_edge(g, no_path, prod)
    unconditional(g, no_path, flat)
    unconditional(g, with_path, prod)
    no_edge(g, with_path, flat)
    unconditional(g, any_path, prod)  # `*` spans `/` inside the resource segment


def test_rule_6_3_wildcard_account_segment_matches_the_role_in_every_account():
    a, b = Account(A), Account(B)
    audit_b = b.role("Audit", trust(A))
    other_b = b.role("Other", trust(A))
    dev = a.user("dev", policies=can_assume("arn:aws:iam::*:role/Audit"))
    g = build(a, b)
    unconditional(g, dev, audit_b)
    no_edge(g, dev, other_b)


def test_rule_6_3_resource_matching_is_case_sensitive():
    a = Account(A)
    target = a.role("Deploy", trust(A))
    lower = a.user("lower", policies=can_assume(a.arn("role", "deploy")))
    exact = a.user("exact", policies=can_assume(a.arn("role", "Deploy")))
    g = build(a)
    no_edge(g, lower, target)
    unconditional(g, exact, target)


def test_rule_6_3_question_mark_matches_one_character():
    a = Account(A)
    env1 = a.role("env1", trust(A))
    env10 = a.role("env10", trust(A))
    dev = a.user("dev", policies=can_assume(a.arn("role", "env?")))
    g = build(a)
    unconditional(g, dev, env1)
    no_edge(g, dev, env10)


def test_rule_6_3_not_resource_grants_every_other_role_cross_account_included():
    a, b = Account(A), Account(B)
    prod = a.role("Prod", trust(A))
    dev_role = a.role("Dev", trust(A))
    there = b.role("There", trust(A))
    dev = a.user("dev", policies=identity(allow("sts:AssumeRole", None, not_resource=prod)))
    g = build(a, b)
    no_edge(g, dev, prod)
    unconditional(g, dev, dev_role)
    unconditional(g, dev, there)


def test_rule_6_3_not_resource_in_a_deny_spares_only_the_listed_roles():
    a = Account(A)
    prod = a.role("Prod", trust(A))
    sandbox = a.role("Sandbox", trust(A))
    dev = a.user("dev", policies=identity(allow(), deny("sts:AssumeRole", None, not_resource=sandbox)))
    g = build(a)
    no_edge(g, dev, prod)
    unconditional(g, dev, sandbox)


def test_rule_6_2_identity_not_action_and_resource_list():
    a = Account(A)
    one = a.role("One", trust(A))
    two = a.role("Two", trust(A))
    three = a.role("Three", trust(A))
    dev = a.user("dev", policies=identity(allow(None, [one, two], not_action=["iam:*", "s3:*"])))
    g = build(a)
    unconditional(g, dev, one)
    unconditional(g, dev, two)
    no_edge(g, dev, three)


# -- 6.4 variables in Resource ----------------------------------------------------------------------------------


def test_rule_6_4_username_variable_in_resource_binds_to_the_user():
    a = Account(A)
    alice_role = a.role("alice-role", trust(A))
    bob_role = a.role("bob-role", trust(A))
    policy = a.policy("OwnRole", can_assume(f"arn:aws:iam::{A}:role/${{aws:username}}-role"))
    alice = a.user("alice", managed=[policy])
    worker = a.role("Worker", trust(), managed=[policy])
    g = build(a)
    unconditional(g, alice, alice_role)
    no_edge(g, alice, bob_role)
    no_edge(g, worker, alice_role)  # roles have no aws:username


def test_rule_6_4_principal_tag_variable_in_resource():
    a = Account(A)
    blue = a.role("team-blue", trust(A))
    red = a.role("team-red", trust(A))
    dev = a.user("dev", tags={"team": "blue"},
                 policies=can_assume(f"arn:aws:iam::{A}:role/team-${{aws:PrincipalTag/team}}"))
    g = build(a)
    unconditional(g, dev, blue)
    no_edge(g, dev, red)


def test_rule_6_4_variables_are_literal_under_version_2008():
    a = Account(A)
    alice_role = a.role("alice-role", trust(A))
    alice = a.user("alice", policies=identity(allow("sts:AssumeRole", f"arn:aws:iam::{A}:role/${{aws:username}}-role"),
                                              version="2008-10-17"))
    # Positive control: the same policy under 2012-10-17 resolves the variable and reaches its role.
    bob_role = a.role("bob-role", trust(A))
    bob = a.user("bob", policies=identity(allow("sts:AssumeRole", f"arn:aws:iam::{A}:role/${{aws:username}}-role")))
    g = build(a)
    no_edge(g, alice, alice_role)
    edge(g, bob, bob_role)


def test_rule_6_4_unresolvable_resource_variable_keeps_a_conditional_edge_on_that_key():
    a = Account(A)
    target = a.role("admin", trust(A))
    dev = a.user("dev", policies=can_assume(f"arn:aws:iam::{A}:role/${{aws:SourceIdentity}}"))
    conditional_on(build(a), dev, target, "aws:SourceIdentity")


def test_rule_6_4_false_condition_beside_unresolvable_resource_variable_grants_nothing():
    a = Account(A)
    target = a.role("admin", trust(A))
    dev = a.user("dev", tags={"team": "sales"}, policies=can_assume(
        f"arn:aws:iam::{A}:role/${{aws:SourceIdentity}}",
        condition={"StringEquals": {"aws:PrincipalTag/team": "platform"}}))
    # Positive control: the same policy for a caller whose tag matches keeps the edge, on the variable's key.
    ops = a.user("ops", tags={"team": "platform"}, policies=can_assume(
        f"arn:aws:iam::{A}:role/${{aws:SourceIdentity}}",
        condition={"StringEquals": {"aws:PrincipalTag/team": "platform"}}))
    g = build(a)
    no_edge(g, dev, target)
    conditional_on(g, ops, target, "aws:SourceIdentity")


# -- 6.5 conditions on the target role ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["aws:ResourceTag/env", "iam:ResourceTag/env"])
def test_rule_6_5_resource_tag_in_identity_policy_refers_to_the_target_role(key):
    a = Account(A)
    dev_role = a.role("DevRole", trust(A), tags={"env": "dev"})
    prod_role = a.role("ProdRole", trust(A), tags={"env": "prod"})
    untagged = a.role("Untagged", trust(A))
    dev = a.user("dev", policies=can_assume("*", condition={"StringEquals": {key: "dev"}}))
    g = build(a)
    unconditional(g, dev, dev_role)
    no_edge(g, dev, prod_role)
    no_edge(g, dev, untagged)


# -- 6.6 scalars and lists ---------------------------------------------------------------------------------------


def test_rule_6_6_scalar_or_list_statement_action_and_resource():
    a = Account(A)
    target = a.role("Target", trust(A))
    scalar_statement = {"Version": "2012-10-17",
                        "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": target}}
    lists = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "sts:AssumeRole"], "Resource": [target]}]}
    one = a.user("one", policies=scalar_statement)
    two = a.user("two", policies=lists)
    g = build(a)
    unconditional(g, one, target)
    unconditional(g, two, target)
