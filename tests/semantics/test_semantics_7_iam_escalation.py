"""SEMANTICS §7.4: IAM escalation — the conditions of the grants an escalation uses, the region IAM calls are made
in, permissions boundaries on what a principal writes for itself, roles IAM refuses to write, and policy writes on
principals the caller reaches (docs/edges.md, "iam — IAM escalation")."""

from __future__ import annotations

from typing import Any

import networkx as nx
from builders import A, Account, B, Org, allow, build, deny, doc, identity, trust

ADMIN = f"admin:{A}"
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
OFFICE = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"


def region(*regions: str) -> dict[str, Any]:
    return {"StringEquals": {"aws:RequestedRegion": list(regions)}}


def evidence_conditions(g: nx.DiGraph, src: str, dst: str) -> list[dict[str, Any]]:
    return [c for record in g.edges[src, dst]["evidence"] for c in record["conditions"]]


# -- class 1: the conditions of the grants an escalation uses ------------------------------------------------


def test_class_1_an_administrator_only_with_mfa_takes_over_only_with_mfa():
    a = Account(A)
    mfa = a.user("mfa", policies=identity(allow("*", "*", condition=MFA)))
    plain = a.user("plain", policies=identity(allow("*", "*")))
    g = build(a)
    data = g.edges[mfa, ADMIN]
    assert data["conditional"] is True and data["conditions"] == ["aws:MultiFactorAuthPresent"]
    assert evidence_conditions(g, mfa, ADMIN) == [
        {"operator": "Bool", "key": "aws:MultiFactorAuthPresent", "values": ["true"]}]
    assert g.edges[plain, ADMIN]["conditional"] is False  # control


def test_class_1_a_self_write_from_an_ip_range_keeps_the_source_ip_condition():
    a = Account(A)
    office = a.role("Office", trust(B), policies=identity(
        allow("iam:PutRolePolicy", a.arn("role", "Office"), condition=OFFICE)))
    anywhere = a.role("Anywhere", trust(B), policies=identity(allow("iam:PutRolePolicy", a.arn("role", "Anywhere"))))
    g = build(a)
    assert g.edges[office, ADMIN]["conditions"] == ["aws:SourceIp"]
    assert evidence_conditions(g, office, ADMIN) == [
        {"operator": "IpAddress", "key": "aws:SourceIp", "values": ["203.0.113.0/24"]}]
    assert "trustgraph:EscalationConditions" not in g.edges[office, ADMIN]["conditions"]
    assert g.edges[anywhere, ADMIN]["conditional"] is False  # control


def test_class_1_requested_region_elsewhere_never_allows_an_iam_write():
    a = Account(A)
    eu_admin = a.user("eu-admin", policies=identity(allow("*", "*", condition=region("eu-west-1"))))
    eu_writer = a.role("EuWriter", trust(B), policies=identity(
        allow("iam:PutRolePolicy", a.arn("role", "EuWriter"), condition=region("eu-west-1", "eu-central-1"))))
    both = a.user("both", policies=identity(allow("*", "*", condition=region("eu-west-1", "us-east-1"))))
    writer = a.role("Writer", trust(B), policies=identity(
        allow("iam:PutRolePolicy", a.arn("role", "Writer"), condition=region("us-east-1"))))
    g = build(a)
    assert not g.has_edge(eu_admin, ADMIN) and not g.has_edge(eu_writer, ADMIN)
    # IAM calls are made in us-east-1: a region list including it is met, no condition left.
    assert g.edges[both, ADMIN]["conditional"] is False
    assert g.edges[writer, ADMIN]["conditional"] is False


def test_class_1_targeted_iam_techniques_settle_requested_region():
    a = Account(A)
    target = a.role("Target", trust(B))
    victim = a.user("victim")
    elsewhere = a.user("elsewhere", policies=identity(
        allow(["iam:UpdateAssumeRolePolicy", "iam:CreateAccessKey"], "*", condition=region("eu-west-1"))))
    here = a.user("here", policies=identity(
        allow(["iam:UpdateAssumeRolePolicy", "iam:CreateAccessKey"], "*", condition=region("us-east-1"))))
    g = build(a)
    assert not g.has_edge(elsewhere, target) and not g.has_edge(elsewhere, victim)
    assert g.edges[here, target]["conditional"] is False and g.edges[here, victim]["conditional"] is False


def test_class_1_an_scp_denying_other_regions_without_exempting_iam_denies_iam_writes():
    def built(exempt_iam: bool) -> tuple[nx.DiGraph, str]:
        a = Account(A)
        a.user("admin", policies=identity(allow("*", "*")))
        role = a.role("Target", trust(B))
        org = Org()
        org.account(A)
        org.full_access_everywhere()
        outside = {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}
        statement = deny(None, "*", not_action=["iam:*"], condition=outside) if exempt_iam else \
            deny("*", "*", condition=outside)
        org.scp("EuOnly", doc(statement), A)
        return build(a, org), role

    g, role = built(exempt_iam=False)
    assert not g.has_edge(ADMIN, role)
    g, role = built(exempt_iam=True)  # control: the usual region SCP leaves IAM out
    assert g.edges[ADMIN, role]["conditional"] is False


# -- class 2: permissions boundaries on what a principal writes for itself -----------------------------------


def test_class_2_a_boundary_allowing_only_the_write_gives_no_takeover():
    a = Account(A)
    only_write = a.policy("OnlyWrite", doc(allow("iam:PutRolePolicy", "*")))
    everything = a.policy("Everything", doc(allow("*", "*")))
    iam_with_mfa = a.policy("IamWithMfa", doc(allow("iam:*", "*", condition=MFA)))
    capped = a.role("Capped", trust(B), boundary=only_write, policies=identity(
        allow("iam:PutRolePolicy", a.arn("role", "Capped"))))
    free = a.role("Free", trust(B), boundary=everything, policies=identity(
        allow("iam:PutRolePolicy", a.arn("role", "Free"))))
    mfa = a.role("Mfa", trust(B), boundary=iam_with_mfa, policies=identity(
        allow("iam:PutRolePolicy", a.arn("role", "Mfa"))))
    g = build(a)
    assert not g.has_edge(capped, ADMIN)
    assert g.edges[free, ADMIN]["conditional"] is False  # control
    assert g.edges[mfa, ADMIN]["conditions"] == ["aws:MultiFactorAuthPresent"]


def test_class_2_a_boundary_not_in_the_data_makes_the_self_write_conditional():
    a = Account(A)
    unknown = a.role("Unknown", trust(B), boundary=a.arn("policy", "NotExported"), policies=identity(
        allow("iam:PutRolePolicy", a.arn("role", "Unknown"))))
    bare = a.role("Bare", trust(B), policies=identity(allow("iam:PutRolePolicy", a.arn("role", "Bare"))))
    g = build(a)
    assert g.edges[unknown, ADMIN]["conditions"] == ["trustgraph:PolicyNotInData"]
    assert g.edges[bare, ADMIN]["conditional"] is False  # control


# -- class 7: roles IAM refuses to write -----------------------------------------------------------------------


def test_class_7_the_admin_node_rewrites_no_identity_center_or_service_linked_role():
    a = Account(A)
    a.user("admin", policies=identity(allow("*", "*")))
    sso = a.role("AWSReservedSSO_Admin_0123456789abcdef", trust(B), path=SSO_PATH)
    linked = a.role("AWSServiceRoleForSupport", trust({"Service": "support.amazonaws.com"}),
                    path="/aws-service-role/support.amazonaws.com/")
    plain = a.role("Plain", trust(B))
    g = build(a)
    assert not g.has_edge(ADMIN, sso) and not g.has_edge(ADMIN, linked)
    assert g.has_edge(ADMIN, plain)  # control


def test_class_7_targeted_trust_rewrites_skip_protected_roles():
    a = Account(A)
    sso = a.role("AWSReservedSSO_Dev_0123456789abcdef", trust(B), path=SSO_PATH)
    plain = a.role("Plain", trust(B))
    editor = a.user("editor", policies=identity(allow("iam:UpdateAssumeRolePolicy", "*")))
    g = build(a)
    assert not g.has_edge(editor, sso)
    assert g.edges[editor, plain]["technique"] == "iam:UpdateAssumeRolePolicy"  # control


def test_class_7_a_policy_write_on_a_protected_role_it_reaches_is_no_takeover():
    def built(path: str) -> tuple[nx.DiGraph, str]:
        a = Account(A)
        writer = a.arn("user", "writer")
        a.role("AWSReservedSSO_Dev_0123456789abcdef", trust(writer), path=path)
        a.user("writer", policies=identity(allow("iam:PutRolePolicy", "*"), allow("sts:AssumeRole", "*")))
        return build(a), writer

    g, writer = built(SSO_PATH)
    assert not g.has_edge(writer, ADMIN)
    g, writer = built("/")  # control: the same role outside Identity Center's path
    assert g.edges[writer, ADMIN]["technique"] == "iam:PutRolePolicy"


def test_class_7_a_protected_role_writing_on_itself_is_no_takeover():
    a = Account(A)
    sso = a.role("AWSReservedSSO_Dev_0123456789abcdef", trust(B), path=SSO_PATH, policies=identity(
        allow("iam:PutRolePolicy", a.arn("role", "AWSReservedSSO_Dev_0123456789abcdef", SSO_PATH))))
    plain = a.role("Plain", trust(B), policies=identity(allow("iam:PutRolePolicy", a.arn("role", "Plain"))))
    g = build(a)
    assert not g.has_edge(sso, ADMIN)
    assert g.has_edge(plain, ADMIN)  # control


# -- class 8: new default versions of policies attached to principals the caller reaches ----------------------


def _policy_writer(action: str, attach_to_reached: bool) -> tuple[nx.DiGraph, str, str]:
    a = Account(A)
    writer = a.arn("user", "writer")
    team = a.policy("Team", doc(allow("s3:GetObject", "*")))
    a.role("Helper", trust(writer), managed=[team] if attach_to_reached else [])  # the writer reaches Helper
    a.role("Far", trust(B), managed=[team])  # reached by nobody
    a.user("writer", policies=identity(allow(action, team), allow("sts:AssumeRole", "*")))
    return build(a), writer, team


def test_class_8_create_policy_version_on_a_policy_of_a_reached_principal_takes_the_account_over():
    g, writer, team = _policy_writer("iam:CreatePolicyVersion", attach_to_reached=True)
    data = g.edges[writer, ADMIN]
    assert data["technique"] == "iam:CreatePolicyVersion" and data["conditional"] is False and data["hub_entry"]
    assert team in data["evidence"][0]["reason"]
    g, writer, _ = _policy_writer("iam:CreatePolicyVersion", attach_to_reached=False)
    assert not g.has_edge(writer, ADMIN)  # control: the policy holds only a principal it does not reach


def test_class_8_set_default_policy_version_depends_on_a_more_permissive_version():
    g, writer, team = _policy_writer("iam:SetDefaultPolicyVersion", attach_to_reached=True)
    data = g.edges[writer, ADMIN]
    assert data["technique"] == "iam:SetDefaultPolicyVersion"
    assert data["conditions"] == ["trustgraph:PermissivePolicyVersion"]
    g, writer, _ = _policy_writer("iam:SetDefaultPolicyVersion", attach_to_reached=False)
    assert not g.has_edge(writer, ADMIN)  # control


def test_class_8_a_policy_write_on_a_reached_principal_whose_boundary_caps_it_is_no_takeover():
    def built(boundary: bool) -> tuple[nx.DiGraph, str]:
        a = Account(A)
        writer = a.arn("user", "writer")
        cap = a.policy("Cap", doc(allow("s3:*", "*")))
        a.role("Helper", trust(writer), boundary=cap if boundary else None)
        a.user("writer", policies=identity(allow("iam:PutRolePolicy", a.arn("role", "Helper")),
                                           allow("sts:AssumeRole", "*")))
        return build(a), writer

    g, writer = built(boundary=True)
    assert not g.has_edge(writer, ADMIN)
    g, writer = built(boundary=False)  # control
    assert g.edges[writer, ADMIN]["technique"] == "iam:PutRolePolicy"


def test_class_8_set_default_policy_version_on_its_own_policy_is_a_conditional_takeover():
    a = Account(A)
    own = a.policy("Own", doc(allow("iam:SetDefaultPolicyVersion", a.arn("policy", "Own"))))
    other = a.policy("Other", doc(allow("iam:SetDefaultPolicyVersion", a.arn("policy", "Unattached"))))
    selfish = a.role("Selfish", trust(B), managed=[own])
    unrelated = a.role("Unrelated", trust(B), managed=[other])
    g = build(a)
    assert g.edges[selfish, ADMIN]["conditions"] == ["trustgraph:PermissivePolicyVersion"]
    assert not g.has_edge(unrelated, ADMIN)  # control


# -- group policy writes on groups the caller is not in ------------------------------------------------------


def test_group_policy_write_on_a_group_holding_a_reached_user_takes_the_account_over():
    def built(member: bool) -> tuple[nx.DiGraph, str]:
        a = Account(A)
        ops = a.group("ops")
        a.user("operator", groups=["ops"] if member else [])
        writer = a.user("writer", policies=identity(allow("iam:PutGroupPolicy", ops),
                                                    allow("iam:CreateAccessKey", a.arn("user", "operator"))))
        return build(a), writer

    g, writer = built(member=True)
    data = g.edges[writer, ADMIN]
    assert data["technique"] == "iam:PutGroupPolicy" and data["conditional"] is False
    g, writer = built(member=False)  # control: the group holds nobody the writer reaches
    assert not g.has_edge(writer, ADMIN)


# -- iam:AddUserToGroup ------------------------------------------------------------------------------------------


def test_add_user_to_group_into_an_administrators_group_takes_the_account_over():
    a = Account(A)
    admins = a.group("admins", policies=identity(allow("*", "*")))
    readers = a.group("readers", policies=identity(allow("s3:GetObject", "*")))
    joiner = a.user("joiner", policies=identity(allow("iam:AddUserToGroup", admins)))
    reader = a.user("reader", policies=identity(allow("iam:AddUserToGroup", readers)))
    role = a.role("Target", trust(B))
    g = build(a)
    data = g.edges[joiner, ADMIN]
    assert data["technique"] == "iam:AddUserToGroup" and data["conditional"] is False and data["hub_entry"]
    assert g.has_edge(ADMIN, role)
    assert not g.has_edge(reader, ADMIN)  # control: a group that makes nobody an administrator


def test_add_user_to_group_keeps_the_joiners_boundary():
    a = Account(A)
    admins = a.group("admins", policies=identity(allow("*", "*")))
    cap = a.policy("Cap", doc(allow(["iam:AddUserToGroup", "s3:*"], "*")))
    capped = a.user("capped", boundary=cap, policies=identity(allow("iam:AddUserToGroup", admins)))
    free = a.user("free", policies=identity(allow("iam:AddUserToGroup", admins)))
    g = build(a)
    assert not g.has_edge(capped, ADMIN)
    assert g.has_edge(free, ADMIN)  # control


def test_class_8_create_policy_version_on_a_policy_of_a_role_whose_trust_it_rewrites():
    def built(rewrite: bool) -> tuple[nx.DiGraph, str]:
        a = Account(A)
        team = a.policy("Team", doc(allow("s3:GetObject", "*")))
        helper = a.role("Helper", trust(B), managed=[team])
        grants = [allow("iam:CreatePolicyVersion", team)]
        if rewrite:
            grants.append(allow("iam:UpdateAssumeRolePolicy", helper))
        writer = a.user("writer", policies=identity(*grants))
        return build(a), writer

    g, writer = built(rewrite=True)
    data = g.edges[writer, ADMIN]
    assert data["technique"] == "iam:CreatePolicyVersion" and data["conditional"] is False
    g, writer = built(rewrite=False)  # control: nothing leads the writer to the role
    assert not g.has_edge(writer, ADMIN)


# -- new principals: iam:CreateRole / iam:CreateUser, an administrator policy written onto them, used ---------------

ROLE_PIN = "iam:PermissionsBoundary"


def test_iam_create_role_attach_role_policy_takes_the_account_over():
    a = Account(A)
    creator = a.user("creator", policies=identity(allow(["iam:CreateRole", "iam:AttachRolePolicy"],
                                                        a.arn("role", "tools-*"))))
    # Not on itself (that is a self-write, account-takeover): on new roles only.
    inline = a.role("Inline", trust(B), policies=identity(allow(["iam:CreateRole", "iam:PutRolePolicy"],
                                                                a.arn("role", "new-*"))))
    g = build(a)
    data = g.edges[creator, ADMIN]
    assert data["technique"] == "iam:CreateRole+AttachRolePolicy" and data["conditional"] is False
    assert data["hub_entry"] and "role/tools-" in data["evidence"][0]["reason"]
    assert g.edges[inline, ADMIN]["technique"] == "iam:CreateRole+PutRolePolicy"


def test_iam_create_role_attach_role_policy_needs_every_action_on_one_new_role():
    a = Account(A)
    apart = a.user("apart", policies=identity(allow("iam:CreateRole", a.arn("role", "a-*")),
                                              allow("iam:AttachRolePolicy", a.arn("role", "b-*"))))
    no_write = a.user("no-write", policies=identity(allow("iam:CreateRole", "*")))
    no_assume = a.user("no-assume", policies=identity(allow(["iam:CreateRole", "iam:AttachRolePolicy"], "*"),
                                                      deny("sts:AssumeRole", "*")))
    both = a.user("both", policies=identity(allow("iam:CreateRole", a.arn("role", "a-*")),
                                            allow("iam:AttachRolePolicy", a.arn("role", "*"))))
    g = build(a)
    assert not g.has_edge(apart, ADMIN) and not g.has_edge(no_write, ADMIN) and not g.has_edge(no_assume, ADMIN)
    assert g.edges[both, ADMIN]["conditional"] is False  # control: role/a-x is allowed both


def test_iam_create_role_with_a_required_boundary_is_capped_by_it():
    a = Account(A)
    cap = a.policy("Cap", doc(allow("s3:*", "*")))
    wide = a.policy("Wide", doc(allow("*", "*")))

    def creator(name: str, pin: str) -> str:
        return a.user(name, policies=identity(
            allow("iam:CreateRole", "*", condition={"StringEquals": {ROLE_PIN: pin}}),
            allow("iam:AttachRolePolicy", "*")))

    capped = creator("capped", cap)
    free = creator("free", wide)
    pattern = creator("pattern", a.arn("policy", "Dev*"))
    denied = a.user("denied", policies=identity(
        allow(["iam:CreateRole", "iam:AttachRolePolicy"], "*"),
        deny("iam:CreateRole", "*", condition={"StringNotEquals": {ROLE_PIN: cap}})))
    g = build(a)
    assert not g.has_edge(capped, ADMIN) and not g.has_edge(denied, ADMIN)
    assert g.edges[free, ADMIN]["conditional"] is False  # control: the boundary it must carry allows everything
    assert g.edges[pattern, ADMIN]["conditions"] == ["trustgraph:RequiredBoundaryAllows"]


def test_iam_create_user_attach_user_policy_create_access_key_takes_the_account_over():
    a = Account(A)
    keys = a.user("keys", policies=identity(allow(["iam:CreateUser", "iam:AttachUserPolicy", "iam:CreateAccessKey"],
                                                  a.arn("user", "new-*"))))
    console = a.role("Console", trust(B), policies=identity(allow(
        ["iam:CreateUser", "iam:PutUserPolicy", "iam:CreateLoginProfile"], a.arn("user", "ops-*"))))
    g = build(a)
    assert g.edges[keys, ADMIN]["technique"] == "iam:CreateUser+AttachUserPolicy"
    assert g.edges[keys, ADMIN]["conditional"] is False
    assert g.edges[console, ADMIN]["technique"] == "iam:CreateUser+PutUserPolicy"


def test_iam_create_user_attach_user_policy_without_credentials_is_none():
    a = Account(A)
    no_keys = a.user("no-keys", policies=identity(allow(["iam:CreateUser", "iam:AttachUserPolicy"],
                                                        a.arn("user", "new-*"))))
    other_keys = a.user("other-keys", policies=identity(
        allow(["iam:CreateUser", "iam:AttachUserPolicy"], a.arn("user", "new-*")),
        allow("iam:CreateAccessKey", a.arn("user", "old-*"))))
    g = build(a)
    assert not g.has_edge(no_keys, ADMIN) and not g.has_edge(other_keys, ADMIN)


# -- permissions boundaries a principal lifts from itself ----------------------------------------------------------


def test_iam_delete_user_permissions_boundary_of_an_administrator_takes_the_account_over():
    a = Account(A)
    lift = a.policy("Lift", doc(allow(["s3:*", "iam:DeleteUserPermissionsBoundary"], "*")))
    keep = a.policy("Keep", doc(allow("s3:*", "*")))
    lifter = a.user("lifter", boundary=lift, policies=identity(allow("*", "*")))
    kept = a.user("kept", boundary=keep, policies=identity(allow("*", "*")))
    reader = a.user("reader", boundary=lift, policies=identity(allow(["s3:*", "iam:DeleteUserPermissionsBoundary"],
                                                                     "*")))
    g = build(a)
    data = g.edges[lifter, ADMIN]
    assert data["conditional"] is False and "iam:DeleteUserPermissionsBoundary" in data["evidence"][0]["reason"]
    assert not g.has_edge(kept, ADMIN)  # control: its boundary does not let it remove the boundary
    assert not g.has_edge(reader, ADMIN)  # control: without the boundary it is no administrator either


def test_iam_put_role_permissions_boundary_on_itself_unless_the_boundary_is_pinned():
    a = Account(A)
    swap = a.policy("Swap", doc(allow(["s3:*", "iam:PutRolePermissionsBoundary"], "*")))
    wide = a.policy("Wide", doc(allow("*", "*")))

    def role(name: str, pin: str | None) -> str:
        # The usual pin: a Deny of any other boundary.
        pinned = [deny("iam:PutRolePermissionsBoundary", "*", condition={"StringNotEquals": {ROLE_PIN: pin}})]
        return a.role(name, trust(B), boundary=swap, policies=identity(allow("*", "*"), *(pinned if pin else [])))

    free = role("Free", None)
    same = role("Same", swap)
    wider = role("Wider", wide)
    g = build(a)
    assert g.edges[free, ADMIN]["conditional"] is False
    assert "iam:PutRolePermissionsBoundary" in g.edges[free, ADMIN]["evidence"][0]["reason"]
    assert not g.has_edge(same, ADMIN)  # the pinned boundary is the one it has
    assert g.edges[wider, ADMIN]["conditional"] is False  # control: the pinned boundary allows everything
