"""SEMANTICS §4: effect evaluation: explicit Deny anywhere, boundaries vs direct grants, SCPs and RCPs."""

from __future__ import annotations

import pytest
from builders import (
    MGMT,
    A,
    Account,
    B,
    C,
    Org,
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
    trust_stmt,
    unconditional,
)

from trustgraph.policy.trust import MISSING_POLICY_KEY

NO_STS = doc(allow("s3:*", "*"))
STS = doc(allow("sts:AssumeRole", "*"))
SOURCE_IP = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
SESSION = f"arn:aws:sts::{A}:assumed-role/Worker/ci"

# -- 4.0 who may call --------------------------------------------------------------------------------------


def test_rule_4_0_federation_token_sessions_cannot_assume_roles():
    a = Account(A)
    target = a.role("Target", trust([f"arn:aws:sts::{A}:federated-user/alice", A]))
    a.user("alice")
    g = build(a)
    assert f"arn:aws:sts::{A}:federated-user/alice" not in g
    assert set(g.predecessors(target)) == set()


# -- 4.2 explicit Deny anywhere wins -----------------------------------------------------------------------


def test_rule_4_2_trust_deny_wins_over_trust_allow():
    a = Account(A)
    alice, bob = a.user("alice"), a.user("bob")
    target = a.role("Target", doc(trust_stmt([alice, bob]), trust_stmt(bob, effect="Deny")))
    g = build(a)
    unconditional(g, alice, target)
    no_edge(g, bob, target)


def test_rule_4_2_trust_deny_of_everyone_wins_over_named_allow():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", doc(trust_stmt(alice), trust_stmt("*", effect="Deny")))
    control = a.role("Control", doc(trust_stmt(alice)))  # positive control: the Allow alone
    g = build(a)
    no_edge(g, alice, target)
    unconditional(g, alice, control)


def test_rule_4_2_trust_deny_of_the_account_covers_its_principals():
    a, b = Account(A), Account(B)
    target = a.role("Target", doc(trust_stmt(b.arn("user", "bob")), trust_stmt(B, "sts:*", effect="Deny")))
    control = a.role("Control", doc(trust_stmt(b.arn("user", "bob"))))  # positive control: the Allow alone
    bob = b.user("bob", policies=can_assume("*"))
    g = build(a, b)
    no_edge(g, bob, target)
    unconditional(g, bob, control)


def test_rule_4_2_trust_deny_with_unsettled_condition_makes_edge_conditional_on_its_keys():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", doc(trust_stmt(alice),
                                  trust_stmt(alice, effect="Deny", condition={"NotIpAddress": SOURCE_IP["IpAddress"]})))
    data = conditional_on(build(a), alice, target, "aws:SourceIp")
    assert any("trust Deny" in n for n in data["evidence"][0]["notes"])


def test_rule_4_2_trust_deny_whose_condition_is_false_does_not_apply():
    a = Account(A)
    alice = a.user("alice", tags={"team": "blue"})
    target = a.role("Target", doc(trust_stmt(alice), trust_stmt(
        alice, effect="Deny", condition={"StringEquals": {"aws:PrincipalTag/team": "red"}})))
    unconditional(build(a), alice, target)


def test_rule_4_2_identity_deny_wins_even_for_directly_named_principals():
    a = Account(A)
    target = a.role("Target", trust([a.arn("user", "inline"), a.arn("user", "managed"), a.arn("user", "plain")]))
    denied = a.policy("DenyAssume", doc(deny("sts:AssumeRole", target)))
    inline = a.user("inline", policies=identity(allow("*", "*"), deny("sts:*", "*")))
    managed = a.user("managed", managed=[denied])
    plain = a.user("plain", policies=identity(allow("*", "*")))  # positive control: no Deny
    g = build(a)
    no_edge(g, inline, target)
    no_edge(g, managed, target)
    unconditional(g, plain, target)


def test_rule_4_2_identity_deny_of_another_resource_does_not_apply():
    a = Account(A)
    target = a.role("Target", trust(a.arn("user", "alice")))
    alice = a.user("alice", policies=identity(deny("sts:AssumeRole", a.arn("role", "Other"))))
    unconditional(build(a), alice, target)


def test_rule_4_2_group_deny_applies_to_every_member():
    a = Account(A)
    target = a.role("Target", trust([a.arn("user", "inline-member"), a.arn("user", "managed-member"),
                                     a.arn("user", "outsider")]))
    denied = a.policy("DenyAssume", doc(deny()))
    a.group("InlineDeny", policies=identity(deny()))
    a.group("ManagedDeny", managed=[denied])
    inline_member = a.user("inline-member", groups=["InlineDeny"])
    managed_member = a.user("managed-member", groups=["ManagedDeny"])
    outsider = a.user("outsider")
    g = build(a)
    no_edge(g, inline_member, target)
    no_edge(g, managed_member, target)
    unconditional(g, outsider, target)


def test_rule_4_2_boundary_deny_applies():
    a = Account(A)
    boundary = a.policy("Boundary", doc(allow("*", "*"), deny("sts:AssumeRole", "*")))
    target = a.role("Target", trust([a.arn("user", "alice"), SESSION, a.arn("user", "free")]))
    alice = a.user("alice", boundary=boundary)
    # Even a session-ARN grant, which an implicit deny in the boundary does not cap, falls to its explicit Deny.
    worker = a.role("Worker", trust(), boundary=boundary)
    free = a.user("free")  # positive control: named the same way, no boundary
    g = build(a)
    no_edge(g, alice, target)
    no_edge(g, worker, target)
    unconditional(g, free, target)


def test_rule_4_2_identity_deny_with_unsettled_condition_keeps_edge_conditional():
    a = Account(A)
    target = a.role("Target", trust(a.arn("user", "alice")))
    alice = a.user("alice", policies=identity(deny(condition={"NotIpAddress": SOURCE_IP["IpAddress"]})))
    data = conditional_on(build(a), alice, target, "aws:SourceIp")
    assert any("explicit Deny" in n for n in data["evidence"][0]["notes"])


def test_rule_4_2_conditional_deny_reports_only_its_own_keys_when_an_allow_is_unconditional():
    a = Account(A)
    target = a.role("Target", trust(A))
    alice = a.user("alice", policies=identity(
        deny(condition={"NotIpAddress": SOURCE_IP["IpAddress"]}),
        allow(condition=MFA),  # conditional Allow, superseded by the unconditional one below
        allow()))
    conditional_on(build(a), alice, target, "aws:SourceIp")


def test_rule_4_2_identity_conditional_allow_on_identity_path_makes_edge_conditional():
    a = Account(A)
    target = a.role("Target", trust(A))
    alice = a.user("alice", policies=identity(allow(condition=MFA)))
    conditional_on(build(a), alice, target, "aws:MultiFactorAuthPresent")


def test_rule_4_2_identity_missing_on_identity_path_is_not_a_deny_but_flagged():
    a = Account(A)
    target = a.role("Target", trust(A))
    alice = a.user("alice", managed=["arn:aws:iam::aws:policy/NotInTheDump"])
    data = conditional_on(build(a), alice, target, MISSING_POLICY_KEY)
    assert any("NotInTheDump" in n for n in data["evidence"][0]["notes"])


# -- 4.3 boundaries vs direct trust grants --------------------------------------------------------------------


@pytest.fixture()
def boundary_case():
    a = Account(A)
    narrow = a.policy("Narrow", NO_STS)
    wide = a.policy("Wide", STS)
    return a, narrow, wide


def test_rule_4_3_boundary_caps_account_principal_grants(boundary_case):
    a, narrow, wide = boundary_case
    target = a.role("Target", trust(A))
    capped = a.user("capped", policies=can_assume("*"), boundary=narrow)
    free = a.user("free", policies=can_assume("*"), boundary=wide)
    g = build(a)
    no_edge(g, capped, target)
    unconditional(g, free, target)


def test_rule_4_3_boundary_caps_user_arn_grants(boundary_case):
    a, narrow, wide = boundary_case
    target = a.role("Target", trust([a.arn("user", "capped"), a.arn("user", "free")]))
    capped = a.user("capped", boundary=narrow)
    free = a.user("free", boundary=wide)
    g = build(a)
    no_edge(g, capped, target)
    unconditional(g, free, target)


def test_rule_4_3_boundary_caps_role_arn_grants(boundary_case):
    a, narrow, wide = boundary_case
    capped = a.role("Capped", trust(), boundary=narrow)
    free = a.role("Free", trust(), boundary=wide)
    target = a.role("Target", trust([capped, free]))
    g = build(a)
    no_edge(g, capped, target)
    unconditional(g, free, target)


def test_rule_4_3_boundary_does_not_cap_session_arn_grants(boundary_case):
    a, narrow, _ = boundary_case
    worker = a.role("Worker", trust(), boundary=narrow)
    target = a.role("Target", trust(SESSION))
    unconditional(build(a), worker, target)


def test_rule_4_3_boundary_does_not_cap_everyone_plus_principal_arn_grants(boundary_case):
    a, narrow, _ = boundary_case
    alice = a.user("alice", boundary=narrow)
    target = a.role("Target", trust("*", condition={"ArnEquals": {"aws:PrincipalArn": a.arn("user", "alice")}}))
    unconditional(build(a), alice, target)


def test_rule_4_3_boundary_always_applies_cross_account(boundary_case):
    a, _, _ = boundary_case
    b = Account(B)
    narrow = b.policy("Narrow", NO_STS)
    target = a.role("Target", trust([b.arn("user", "bob"), f"arn:aws:sts::{B}:assumed-role/Worker/s"]))
    bob = b.user("bob", policies=can_assume("*"), boundary=narrow)
    worker = b.role("Worker", trust(), policies=can_assume("*"), boundary=narrow)
    target_free = a.role("Free", trust(b.arn("user", "free")))
    free = b.user("free", policies=can_assume("*"))  # positive control: no boundary
    g = build(a, b)
    no_edge(g, bob, target)
    no_edge(g, worker, target)
    unconditional(g, free, target_free)


def test_rule_4_3_boundary_never_grants(boundary_case):
    a, _, wide = boundary_case
    target = a.role("Target", trust(A))
    idle = a.user("idle", boundary=wide)  # the boundary allows sts:AssumeRole, no identity policy does
    busy = a.user("busy", policies=can_assume("*"), boundary=wide)  # positive control: an identity Allow
    g = build(a)
    no_edge(g, idle, target)
    unconditional(g, busy, target)


def test_rule_4_3_boundary_missing_from_data_keeps_edge_flagged():
    a = Account(A)
    target = a.role("Target", trust(A))
    alice = a.user("alice", policies=can_assume("*"), boundary=f"arn:aws:iam::{A}:policy/NotCollected")
    data = conditional_on(build(a), alice, target, MISSING_POLICY_KEY)
    assert any("NotCollected" in n for n in data["evidence"][0]["notes"])


# -- 4.1 / 4.2 SCPs ------------------------------------------------------------------------------------------


def _org(*members: str, ou_of: dict[str, str] | None = None) -> Org:
    org = Org()
    for unit in sorted(set((ou_of or {}).values())):
        org.ou(unit)
    for member in members:
        org.account(member, parent=(ou_of or {}).get(member))
    return org


def test_rule_4_1_scp_limits_callers_of_member_accounts_only():
    a, b, c = Account(A), Account(B), Account(C)
    target = a.role("Target", trust([B, C]))
    in_org = b.user("in-org", policies=can_assume("*"))
    outside = c.user("outside", policies=can_assume("*"))
    org = _org(A, B)
    org.full_access_everywhere()
    org.scp("DenyAssume", doc(deny("sts:AssumeRole", "*")), org.root)
    g = build(a, b, c, org)
    no_edge(g, in_org, target)
    unconditional(g, outside, target)


def test_rule_4_1_scp_needs_an_allow_at_every_level():
    a, b, c = Account(A), Account(B), Account(C)
    target = a.role("Target", trust([B, C]))
    in_narrow = b.user("in-narrow", policies=can_assume("*"))
    in_wide = c.user("in-wide", policies=can_assume("*"))
    org = _org(A, B, C, ou_of={B: "ou-narrow", C: "ou-wide"})
    org.scp("FullAWSAccess", doc(allow("*", "*")), org.root, "ou-wide", A, B, C, MGMT)
    org.scp("S3Only", NO_STS, "ou-narrow")  # ou-narrow has no FullAWSAccess: nothing allows sts there
    g = build(a, b, c, org)
    no_edge(g, in_narrow, target)
    unconditional(g, in_wide, target)


def test_rule_4_1_scp_allow_must_also_exist_at_the_account_level():
    a, b = Account(A), Account(B)
    target = a.role("Target", trust(B))
    bob = b.user("bob", policies=can_assume("*"))
    org = _org(A, B)
    org.scp("FullAWSAccess", doc(allow("*", "*")), org.root, A, MGMT)
    org.scp("S3Only", NO_STS, B)
    no_edge(build(a, b, org), bob, target)
    unconditional(build(a, b), bob, target)  # positive control: without the SCPs


def test_rule_4_1_scp_never_limits_the_management_account():
    a, m = Account(A), Account(MGMT)
    target = a.role("Target", trust(MGMT))
    admin = m.user("admin", policies=can_assume("*"))
    org = _org(A)
    org.full_access_everywhere()
    org.scp("DenyAssume", doc(deny("sts:*", "*")), org.root, MGMT)
    unconditional(build(a, m, org), admin, target)


def test_rule_4_1_scp_never_limits_service_linked_roles():
    b = Account(B)
    target = b.role("Target", trust(B))
    slr = b.role("AWSServiceRoleForSupport", trust({"Service": "support.amazonaws.com"}),
                 path="/aws-service-role/support.amazonaws.com/", policies=can_assume("*"))
    ordinary = b.role("Ordinary", trust(), policies=can_assume("*"))
    org = _org(B)
    org.full_access_everywhere()
    org.scp("DenyAssume", doc(deny()), org.root)
    g = build(b, org)
    unconditional(g, slr, target)
    no_edge(g, ordinary, target)


def test_rule_4_1_scp_does_not_restrict_external_callers_on_member_roles():
    a, c = Account(A), Account(C)
    target = a.role("Target", trust(C))
    outsider = c.user("outsider", policies=can_assume("*"))
    org = _org(A)
    org.full_access_everywhere()
    org.scp("DenyAssume", doc(deny()), org.root, A)  # on the role's account: not the caller's
    g = build(a, c, org)
    unconditional(g, outsider, target)


def test_rule_4_1_scp_conditional_deny_keeps_edge_conditional():
    a, b = Account(A), Account(B)
    target = a.role("Target", trust(B))
    bob = b.user("bob", policies=can_assume("*"))
    org = _org(A, B)
    org.full_access_everywhere()
    org.scp("DenyOutsideNetwork", doc(deny(condition={"NotIpAddress": SOURCE_IP["IpAddress"]})), org.root)
    conditional_on(build(a, b, org), bob, target, "aws:SourceIp")


def test_rule_4_1_scp_applies_to_uncollected_member_accounts():
    a = Account(A)
    target = a.role("Target", trust([B, C]))
    org = _org(A, B)
    org.full_access_everywhere()
    org.scp("DenyAssume", doc(deny()), B)
    g = build(a, org)
    no_edge(g, f"arn:aws:iam::{B}:root", target)
    unconditional(g, f"arn:aws:iam::{C}:root", target)


# -- 4.1 / 4.2 RCPs ------------------------------------------------------------------------------------------

PERIMETER = doc({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*",
                 "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-test"},
                               "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}})


def test_rule_4_1_rcp_limits_external_callers():
    a, b, c = Account(A), Account(B), Account(C)
    target = a.role("Target", trust([B, C]))
    member = b.user("member", policies=can_assume("*"))
    outsider = c.user("outsider", policies=can_assume("*"))
    org = _org(A, B)
    org.rcp("Perimeter", PERIMETER, org.root)
    g = build(a, b, c, org)
    unconditional(g, member, target)
    no_edge(g, outsider, target)
    assert "*" not in set(g.predecessors(target))


def test_rule_4_1_rcp_limits_public_and_uncollected_external_accounts():
    a = Account(A)
    public = a.role("Public", trust("*"))
    external = a.role("External", trust(C))
    org = _org(A)
    org.rcp("Perimeter", PERIMETER, A)
    g = build(a, org)
    no_edge(g, "*", public)
    no_edge(g, f"arn:aws:iam::{C}:root", external)
    without_rcp = build(a)  # positive control: the same roles without the RCP
    edge(without_rcp, "*", public)
    edge(without_rcp, f"arn:aws:iam::{C}:root", external)


def test_rule_4_1_rcp_applies_to_service_principals():
    a = Account(A)
    target = a.role("Target", trust({"Service": "lambda.amazonaws.com"}))
    org = _org(A)
    org.rcp("DenyAll", doc(deny("sts:*", "*", principal="*")), org.root)
    no_edge(build(a, org), "lambda.amazonaws.com", target)
    edge(build(a), "lambda.amazonaws.com", target)  # positive control: without the RCP


def test_rule_4_1_rcp_never_limits_the_management_account():
    m = Account(MGMT)
    target = m.role("Target", trust(C))
    org = _org()
    org.rcp("Perimeter", PERIMETER, org.root, MGMT)
    unconditional(build(m, org), f"arn:aws:iam::{C}:root", target)


def test_rule_4_1_rcp_never_limits_service_linked_role_targets():
    a = Account(A)
    slr = a.role("AWSServiceRoleForSupport", trust({"Service": "support.amazonaws.com"}),
                 path="/aws-service-role/support.amazonaws.com/")
    org = _org(A)
    org.rcp("DenyAll", doc(deny("sts:*", "*", principal="*")), org.root)
    unconditional(build(a, org), "support.amazonaws.com", slr)


def test_rule_4_1_rcp_never_limits_calls_made_by_service_linked_roles():
    a = Account(A)
    target = a.role("Target", trust(A))
    slr = a.role("AWSServiceRoleForSupport", trust({"Service": "support.amazonaws.com"}),
                 path="/aws-service-role/support.amazonaws.com/", policies=can_assume("*"))
    org = _org(A)
    org.rcp("DenyAll", doc(deny("sts:*", "*", principal="*")), org.root)
    unconditional(build(a, org), slr, target)


def test_rule_4_1_rcp_deny_on_another_level_of_the_path_applies():
    a, c = Account(A), Account(C)
    target = a.role("Target", trust(C))
    outsider = c.user("outsider", policies=can_assume("*"))
    org = _org(A, ou_of={A: "ou-prod"})
    org.rcp("Perimeter", PERIMETER, "ou-prod")
    no_edge(build(a, c, org), outsider, target)
    unconditional(build(a, c), outsider, target)  # positive control: without the RCP


def test_rule_4_1_no_organization_data_means_no_scp_or_rcp():
    a, b = Account(A), Account(B)
    target = a.role("Target", trust(B))
    bob = b.user("bob", policies=can_assume("*"))
    edge(build(a, b), bob, target)


def test_rule_4_2_trust_deny_of_one_user_spares_the_other_principals_of_a_trusted_account():
    a = Account(A)
    target = a.role("Target", doc(trust_stmt(A), trust_stmt(a.arn("user", "bob"), effect="Deny")))
    alice = a.user("alice", policies=can_assume("*"))
    bob = a.user("bob", policies=can_assume("*"))
    g = build(a)
    unconditional(g, alice, target)
    no_edge(g, bob, target)


def test_rule_4_1_scp_condition_on_principal_facts_is_settled_per_caller():
    a, b = Account(A), Account(B)
    target = a.role("Target", trust(B))
    admin = b.user("admin-bob", policies=can_assume("*"))
    alice = b.user("alice", policies=can_assume("*"))
    tagged = b.user("tagged", policies=can_assume("*"), tags={"break-glass": "yes"})
    org = _org(A, B)
    org.full_access_everywhere()
    org.scp("OnlyAdmins", doc(deny(condition={
        "ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{B}:user/admin-*"},
        "StringNotEquals": {"aws:PrincipalTag/break-glass": "yes"}})), org.root)
    g = build(a, b, org)
    unconditional(g, admin, target)
    unconditional(g, tagged, target)
    no_edge(g, alice, target)
