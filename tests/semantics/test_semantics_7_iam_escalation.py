"""SEMANTICS §7.4: IAM escalation — the conditions of the grants an escalation uses, the region IAM calls are made
in, permissions boundaries on what a principal writes for itself, roles IAM refuses to write, and policy writes on
principals the caller reaches (docs/edges.md, "iam — IAM escalation")."""

from __future__ import annotations

from typing import Any

import networkx as nx
from builders import A, Account, B, Org, allow, deny, doc, identity, load, trust

from trustgraph.graph.build import build_graph

ADMIN = f"admin:{A}"
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
OFFICE = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"


def graph_of(*pieces: Any) -> nx.DiGraph:
    snapshot, _ = load(*pieces)
    return build_graph(snapshot)


def region(*regions: str) -> dict[str, Any]:
    return {"StringEquals": {"aws:RequestedRegion": list(regions)}}


def evidence_conditions(g: nx.DiGraph, src: str, dst: str) -> list[dict[str, Any]]:
    return [c for record in g.edges[src, dst]["evidence"] for c in record["conditions"]]


# -- class 1: the conditions of the grants an escalation uses ------------------------------------------------


def test_class_1_an_administrator_only_with_mfa_takes_over_only_with_mfa():
    a = Account(A)
    mfa = a.user("mfa", policies=identity(allow("*", "*", condition=MFA)))
    plain = a.user("plain", policies=identity(allow("*", "*")))
    g = graph_of(a)
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
    g = graph_of(a)
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
    g = graph_of(a)
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
    g = graph_of(a)
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
        return graph_of(a, org), role

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
    g = graph_of(a)
    assert not g.has_edge(capped, ADMIN)
    assert g.edges[free, ADMIN]["conditional"] is False  # control
    assert g.edges[mfa, ADMIN]["conditions"] == ["aws:MultiFactorAuthPresent"]


def test_class_2_a_boundary_not_in_the_data_makes_the_self_write_conditional():
    a = Account(A)
    unknown = a.role("Unknown", trust(B), boundary=a.arn("policy", "NotExported"), policies=identity(
        allow("iam:PutRolePolicy", a.arn("role", "Unknown"))))
    bare = a.role("Bare", trust(B), policies=identity(allow("iam:PutRolePolicy", a.arn("role", "Bare"))))
    g = graph_of(a)
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
    g = graph_of(a)
    assert not g.has_edge(ADMIN, sso) and not g.has_edge(ADMIN, linked)
    assert g.has_edge(ADMIN, plain)  # control


def test_class_7_targeted_trust_rewrites_skip_protected_roles():
    a = Account(A)
    sso = a.role("AWSReservedSSO_Dev_0123456789abcdef", trust(B), path=SSO_PATH)
    plain = a.role("Plain", trust(B))
    editor = a.user("editor", policies=identity(allow("iam:UpdateAssumeRolePolicy", "*")))
    g = graph_of(a)
    assert not g.has_edge(editor, sso)
    assert g.edges[editor, plain]["technique"] == "iam:UpdateAssumeRolePolicy"  # control


def test_class_7_a_policy_write_on_a_protected_role_it_reaches_is_no_takeover():
    def built(path: str) -> tuple[nx.DiGraph, str]:
        a = Account(A)
        writer = a.arn("user", "writer")
        a.role("AWSReservedSSO_Dev_0123456789abcdef", trust(writer), path=path)
        a.user("writer", policies=identity(allow("iam:PutRolePolicy", "*"), allow("sts:AssumeRole", "*")))
        return graph_of(a), writer

    g, writer = built(SSO_PATH)
    assert not g.has_edge(writer, ADMIN)
    g, writer = built("/")  # control: the same role outside Identity Center's path
    assert g.edges[writer, ADMIN]["technique"] == "iam:PutRolePolicy"


def test_class_7_a_protected_role_writing_on_itself_is_no_takeover():
    a = Account(A)
    sso = a.role("AWSReservedSSO_Dev_0123456789abcdef", trust(B), path=SSO_PATH, policies=identity(
        allow("iam:PutRolePolicy", a.arn("role", "AWSReservedSSO_Dev_0123456789abcdef", SSO_PATH))))
    plain = a.role("Plain", trust(B), policies=identity(allow("iam:PutRolePolicy", a.arn("role", "Plain"))))
    g = graph_of(a)
    assert not g.has_edge(sso, ADMIN)
    assert g.has_edge(plain, ADMIN)  # control
