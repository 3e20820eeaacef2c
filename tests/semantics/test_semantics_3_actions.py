"""SEMANTICS §3: actions evaluated in the trust policy and in the caller's policies."""

from __future__ import annotations

import pytest
from builders import (
    A,
    Account,
    B,
    allow,
    build,
    can_assume,
    doc,
    edge,
    identity,
    no_edge,
    problems,
    trust,
    trust_stmt,
    unconditional,
)

from trustgraph.analysis.reachability import restrict

TAGGED = {"StringEquals": {"aws:RequestTag/team": "blue"}}
SOURCE_ID = {"StringLike": {"sts:SourceIdentity": "admin-*"}}


# -- 3.1 companion actions ------------------------------------------------------------------------------


def test_rule_3_1_caller_may_omit_tags_so_assume_role_alone_suffices():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", trust(alice, "sts:AssumeRole"))  # no sts:TagSession, no SetSourceIdentity
    unconditional(build(a), alice, target)


def test_rule_3_1_request_tag_condition_forces_tag_session_in_the_trust():
    a = Account(A)
    alice = a.user("alice")
    without = a.role("Without", trust(alice, "sts:AssumeRole", condition=TAGGED))
    with_ = a.role("With", trust(alice, ["sts:AssumeRole", "sts:TagSession"], condition=TAGGED))
    g = build(a)
    no_edge(g, alice, without)
    assert any("sts:TagSession" in m and "can never be met" in m for m in problems(g, without))
    data = unconditional(g, alice, with_)
    assert data["evidence"][0]["caller_chosen"] == ["aws:RequestTag/team"]


@pytest.mark.parametrize("key", ["aws:TagKeys", "sts:TransitiveTagKeys"])
def test_rule_3_1_tag_key_conditions_force_tag_session(key):
    a = Account(A)
    alice = a.user("alice")
    cond = {"ForAnyValue:StringEquals": {key: ["team"]}}  # false on an absent set: the keys must be sent
    without = a.role("Without", trust(alice, "sts:AssumeRole", condition=cond))
    with_ = a.role("With", trust(alice, ["sts:AssumeRole", "sts:TagSession"], condition=cond))
    g = build(a)
    no_edge(g, alice, without)
    edge(g, alice, with_)


# A condition on a companion key forces the companion only if it fails when the key is absent (the caller
# sends no tags, no source identity); one that holds without the key is met by not sending it.
FORCING = [
    ("StringEquals", "aws:RequestTag/team", "blue", "sts:TagSession"),
    ("StringLike", "sts:SourceIdentity", "admin-*", "sts:SetSourceIdentity"),
    ("ForAnyValue:StringEquals", "aws:TagKeys", "team", "sts:TagSession"),
    ("Null", "sts:SourceIdentity", "false", "sts:SetSourceIdentity"),
    ("Null", "sts:TransitiveTagKeys", "false", "sts:TagSession"),
]
NOT_FORCING = [
    ("StringNotEquals", "aws:RequestTag/team", "red"),
    ("StringNotLike", "sts:SourceIdentity", "guest-*"),
    ("ForAllValues:StringEquals", "aws:TagKeys", "team"),
    ("ForAllValues:StringEquals", "sts:TransitiveTagKeys", "team"),
    ("StringEqualsIfExists", "sts:SourceIdentity", "admin"),
    ("Null", "aws:RequestTag/team", "true"),
]


@pytest.mark.parametrize(("operator", "key", "value", "companion"), FORCING)
def test_rule_3_1_companion_forced_when_the_condition_fails_without_the_key(operator, key, value, companion):
    a = Account(A)
    alice = a.user("alice")
    cond = {operator: {key: value}}
    without = a.role("Without", trust(alice, "sts:AssumeRole", condition=cond))
    with_ = a.role("With", trust(alice, ["sts:AssumeRole", companion], condition=cond))
    g = build(a)
    no_edge(g, alice, without)
    assert any(companion in m and "can never be met" in m for m in problems(g, without))
    unconditional(g, alice, with_)


@pytest.mark.parametrize(("operator", "key", "value"), NOT_FORCING)
def test_rule_3_1_companion_not_forced_when_the_condition_holds_without_the_key(operator, key, value):
    a, b = Account(A), Account(B)
    alice = a.user("alice")
    target = a.role("Target", trust(alice, "sts:AssumeRole", condition={operator: {key: value}}))
    # Cross-account: the caller's own policy allows sts:AssumeRole only, no companion.
    other = a.role("Other", trust(B, "sts:AssumeRole", condition={operator: {key: value}}))
    bob = b.user("bob", policies=can_assume(other))
    g = build(a, b)
    unconditional(g, alice, target)
    unconditional(g, bob, other)
    assert problems(g) == []


def test_rule_3_1_source_identity_condition_forces_set_source_identity():
    a = Account(A)
    alice = a.user("alice")
    without = a.role("Without", trust(alice, ["sts:AssumeRole", "sts:TagSession"], condition=SOURCE_ID))
    with_ = a.role("With", trust(alice, ["sts:AssumeRole", "sts:SetSourceIdentity"], condition=SOURCE_ID))
    g = build(a)
    no_edge(g, alice, without)
    assert any("sts:SetSourceIdentity" in m for m in problems(g, without))
    assert edge(g, alice, with_)["evidence"][0]["caller_chosen"] == ["sts:SourceIdentity"]


def test_rule_3_1_companion_may_be_allowed_by_another_statement_for_the_same_principal():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", doc(trust_stmt(alice, "sts:AssumeRole", condition=TAGGED),
                                  trust_stmt(alice, "sts:TagSession")))
    unconditional(build(a), alice, target)


def test_rule_3_1_if_exists_condition_does_not_force_the_companion():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", trust(alice, "sts:AssumeRole",
                                    condition={"StringEqualsIfExists": {"aws:RequestTag/team": "blue"}}))
    unconditional(build(a), alice, target)


def test_rule_3_1_cross_account_companion_needs_the_callers_identity_allow_too():
    a, b = Account(A), Account(B)
    target = a.role("Target", trust(B, ["sts:AssumeRole", "sts:TagSession"], condition=TAGGED))
    both = b.user("both", policies=identity(allow(["sts:AssumeRole", "sts:TagSession"], target)))
    only_assume = b.user("only-assume", policies=can_assume(target))
    g = build(a, b)
    unconditional(g, both, target)
    no_edge(g, only_assume, target)


def test_rule_3_1_same_account_direct_grant_needs_no_identity_allow_for_the_companion():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", trust(alice, ["sts:AssumeRole", "sts:TagSession"], condition=TAGGED))
    unconditional(build(a), alice, target)


def test_rule_3_1_identity_deny_of_a_forced_companion_blocks_the_edge():
    a = Account(A)
    alice = a.user("alice", policies=identity({"Effect": "Deny", "Action": "sts:TagSession", "Resource": "*"}))
    bob = a.user("bob")
    target = a.role("Target", trust([alice, bob], ["sts:AssumeRole", "sts:TagSession"], condition=TAGGED))
    g = build(a)
    no_edge(g, alice, target)
    unconditional(g, bob, target)


# -- 3.2 case and wildcards ----------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["STS:assumerole", "sts:*", "sts:Assume*", "*", "sts:AssumeRol?", "sTs:ASSUME*"])
def test_rule_3_2_trust_action_matching_ignores_case_and_supports_wildcards(action):
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", trust(alice, action))
    unconditional(build(a), alice, target)


@pytest.mark.parametrize("action", ["STS:ASSUMEROLE", "sts:assume*", "sts:*Role", "*"])
def test_rule_3_2_identity_action_matching_ignores_case_and_supports_wildcards(action):
    a = Account(A)
    target = a.role("Target", trust(A))
    dev = a.user("dev", policies=identity(allow(action, "*")))
    unconditional(build(a), dev, target)


def test_rule_3_2_sts_star_covers_every_assume_variant():
    a = Account(A)
    saml = f"arn:aws:iam::{A}:saml-provider/Okta"
    oidc = f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"
    alice = a.user("alice")
    target = a.role("Target", trust({"AWS": alice, "Federated": [saml, oidc]}, "sts:Assume*"))
    g = build(a)
    assert edge(g, alice, target)["kind"] == "assume"
    assert edge(g, saml, target)["kind"] == "saml"
    assert edge(g, oidc, target)["kind"] == "web-identity"


def test_rule_3_2_wildcard_that_misses_assume_role_grants_nothing():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", trust(alice, ["sts:Get*", "sts:AssumeRoleWith*"]))
    control = a.role("Control", trust(alice, ["sts:Get*", "sts:Assume*"]))  # positive control: a matching one
    g = build(a)
    no_edge(g, alice, target)
    unconditional(g, alice, control)


# -- 3.3 NotAction ---------------------------------------------------------------------------------------


def test_rule_3_3_trust_not_action_grants_every_other_action():
    a = Account(A)
    alice = a.user("alice")
    grants = a.role("Grants", doc(trust_stmt(alice, not_action="sts:AssumeRoleWithSAML")))
    excludes = a.role("Excludes", doc(trust_stmt(alice, not_action="sts:AssumeRole*")))
    g = build(a)
    unconditional(g, alice, grants)
    no_edge(g, alice, excludes)


def test_rule_3_3_identity_not_action_silently_grants_assume_role():
    a = Account(A)
    target = a.role("Target", trust(A))
    dev = a.user("dev", policies=identity(allow(None, target, not_action="iam:*")))
    blocked = a.user("blocked", policies=identity(allow(None, target, not_action="sts:*")))
    g = build(a)
    unconditional(g, dev, target)
    # NotAction sts:* still allows iam:UpdateAssumeRolePolicy on the role: an IAM edge, not a role assumption.
    assert g.edges[blocked, target]["kinds"] == ["iam"]
    no_edge(restrict(g, "assume"), blocked, target)


# -- 3.4 TagSession alone ----------------------------------------------------------------------------------


def test_rule_3_4_tag_session_alone_never_grants_assumption():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", trust(alice, ["sts:TagSession", "sts:SetSourceIdentity", "sts:SetContext"]))
    dev = a.user("dev", policies=identity(allow("sts:TagSession", "*")))
    via_account = a.role("ViaAccount", trust(A))
    # Positive controls: with sts:AssumeRole beside the tagging actions, the same callers reach.
    control = a.role("Control", trust(alice, ["sts:AssumeRole", "sts:TagSession"]))
    ops = a.user("ops", policies=identity(allow(["sts:AssumeRole", "sts:TagSession"], "*")))
    g = build(a)
    no_edge(g, alice, target)
    no_edge(g, dev, via_account)
    unconditional(g, alice, control)
    unconditional(g, ops, via_account)


def test_rule_3_1_companion_identity_check_applies_to_callers_allowed_on_every_role():
    a, b = Account(A), Account(B)
    target = a.role("Target", trust(B, ["sts:AssumeRole", "sts:TagSession"], condition=TAGGED))
    everything = b.user("everything", policies=identity(allow(["sts:AssumeRole", "sts:TagSession"], "*")))
    assume_only = b.user("assume-only", policies=can_assume("*"))
    g = build(a, b)
    unconditional(g, everything, target)
    no_edge(g, assume_only, target)
