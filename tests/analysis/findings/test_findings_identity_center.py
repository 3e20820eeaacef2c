"""Findings of the people and IAM Identity Center family (TG701–TG709), each rule with its negative control, on the
Acme sample (samples/acme/EXPECTED.md §9.5) and changes of it; the review's people lines."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from trustgraph import load_inputs
from trustgraph.analysis.findings import Finding, FindingContext, FindingOptions, Severity, find
from trustgraph.analysis.findings.identity_center import PER_RULE
from trustgraph.cli.app import main
from trustgraph.graph.build import build_graph
from trustgraph.graph.identity_center import group_node, user_node
from trustgraph.model import AccountAssignment, IdentityCenter, IdentityCenterUser, Snapshot
from trustgraph.sources.policy_parser import parse_policy

ACME = Path(__file__).resolve().parents[3] / "samples" / "acme"
MGMT, PROD, DEV = "111111111111", "444444444444", "666666666666"
INSTANCE = "arn:aws:sso:::instance/ssoins-7223a1b4c5d6e8f0"
ADMIN_SET = "arn:aws:sso:::permissionSet/ssoins-7223a1b4c5d6e8f0/ps-4cf7b7de2aefbdd5"
READONLY_SET = "arn:aws:sso:::permissionSet/ssoins-7223a1b4c5d6e8f0/ps-2753a51eef5bd054"
BILLING_SET = "arn:aws:sso:::permissionSet/ssoins-7223a1b4c5d6e8f0/ps-a4ce7acff10258d6"
JONAS = user_node("9067a2c5e1-f78cd692-0969-477b-dc51-19c241943a4b")
PLATFORM_ADMINS = group_node("9067a2c5e1-3e011dc3-d107-e0e4-e312-3e013b67e1c1")
ENGINEERING = group_node("9067a2c5e1-2a570673-4f11-481c-751f-c622fedd9760")
FINANCE = group_node("9067a2c5e1-97a35c80-8f3b-6e57-7b57-424fd3bd9ca4")
SSO_PATH = "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_"
SSO_ADMIN_PROD = f"arn:aws:iam::{PROD}:{SSO_PATH}AdministratorAccess_8c1f5e2a9d3b7046"
SSO_READONLY_DEV = f"arn:aws:iam::{DEV}:{SSO_PATH}ReadOnly_61f9a2d8e3c047b5"


@pytest.fixture(scope="module")
def acme() -> Snapshot:
    snapshot, _ = load_inputs([ACME])
    assert snapshot.identity_center is not None
    return snapshot


@pytest.fixture(scope="module")
def acme_findings(acme: Snapshot) -> list[Finding]:
    return find(acme, build_graph(acme), families=["identity-center"])


def _ic(snapshot: Snapshot) -> IdentityCenter:
    assert snapshot.identity_center is not None
    return snapshot.identity_center


def _changed(acme: Snapshot, **changes: object) -> Snapshot:
    snapshot = copy.deepcopy(acme)
    snapshot.identity_center = replace(_ic(snapshot), **changes)  # type: ignore[arg-type]
    return snapshot


def _assign(account: str, pset: str, principal: str) -> AccountAssignment:
    kind, _, pid = principal.rpartition("/")
    return AccountAssignment(INSTANCE, account, pset, "USER" if kind.endswith(":user") else "GROUP", pid)


def _found(snapshot: Snapshot, options: FindingOptions | None = None, graph: bool = True) -> list[Finding]:
    return find(snapshot, build_graph(snapshot) if graph else None, options, families=["identity-center"])


def _rule(found: list[Finding], rule: str) -> list[Finding]:
    return [f for f in found if f.rule == rule]


# -- TG701 ---------------------------------------------------------------------------------------------------------


def test_tg701_sso_admin_set_to_user(acme: Snapshot, acme_findings: list[Finding]) -> None:
    [f] = _rule(acme_findings, "TG701")
    assert (f.role, f.principal, f.account, f.severity) == (ADMIN_SET, JONAS, PROD, Severity.HIGH)
    assert f.target_kind == "permission-set" and "jonas.weber@acme.example" in f.message
    assert f.evidence["accounts"] == [PROD] and f.evidence["provisioned_roles"] == [SSO_ADMIN_PROD]
    assert any("AdministratorAccess" in r for r in f.evidence["admin_because"])
    # negative control: the same user assigned a permission set that is not admin-equivalent
    ic = _ic(acme)
    kept = tuple(replace(a, permission_set_arn=READONLY_SET) if a.principal_id == JONAS.rsplit("/", 1)[1] else a
                 for a in ic.account_assignments)
    assert _rule(_found(_changed(acme, account_assignments=kept)), "TG701") == []


# -- TG702 ---------------------------------------------------------------------------------------------------------


def test_tg702_sso_admin_set_to_large_group(acme: Snapshot, acme_findings: list[Finding]) -> None:
    [f] = _rule(acme_findings, "TG702")
    assert (f.role, f.principal, f.account, f.severity) == (ADMIN_SET, ENGINEERING, DEV, Severity.MEDIUM)
    assert f.evidence["members"] == 5 and f.evidence["directory_users"] == 10
    assert f.evidence["member_names"] == sorted(f"{n}@acme.example" for n in (
        "maria.garcia", "tom.nguyen", "priya.shah", "lars.eriksen", "kenji.sato"))
    # PlatformAdmins (2 of 10 people) holds AdministratorAccess too, and is the intended admin group: not large
    assert PLATFORM_ADMINS not in {x.principal for x in acme_findings if x.rule == "TG702"}
    # negative control: a group below the threshold
    assert _rule(_found(acme, FindingOptions(large_group_percent=60)), "TG702") == []
    # a group of the absolute size is high
    [big] = _rule(_found(acme, FindingOptions(large_group=5, large_group_percent=100)), "TG702")
    assert big.principal == ENGINEERING and big.severity is Severity.HIGH


# -- TG703 ---------------------------------------------------------------------------------------------------------


def test_tg703_sso_admin_set_in_management_account(acme: Snapshot, acme_findings: list[Finding]) -> None:
    # negative control: acme's admin sets are assigned in member accounts, its one management assignment is billing
    assert _rule(acme_findings, "TG703") == []
    ic = _ic(acme)
    snapshot = _changed(acme, account_assignments=ic.account_assignments
                        + (_assign(MGMT, ADMIN_SET, PLATFORM_ADMINS),))
    [f] = _rule(_found(snapshot), "TG703")
    assert (f.role, f.principal, f.account, f.severity) == (ADMIN_SET, PLATFORM_ADMINS, MGMT, Severity.HIGH)
    assert "management account" in f.message and "2 members" in f.message
    # the instance's owner stands for the management account without organization data
    snapshot.organization = None
    assert [x.account for x in _rule(_found(snapshot), "TG703")] == [MGMT]


# -- TG704 ---------------------------------------------------------------------------------------------------------


def test_tg704_sso_group_sensitive_many_accounts(acme: Snapshot, acme_findings: list[Finding]) -> None:
    assert _rule(acme_findings, "TG704") == []  # no acme group reaches sensitive roles in 10 accounts
    [f] = _rule(_found(acme, FindingOptions(group_sensitive_accounts=2)), "TG704")
    # PlatformAdmins: AdministratorAccess in prod and dev; negative control: Engineering's ReadOnly in prod is not
    # sensitive, so it reaches sensitive roles in dev only, below the threshold
    assert (f.role, f.principal, f.account) == (PLATFORM_ADMINS, None, None)
    assert f.target_kind == "identity-center-group"
    assert f.evidence["accounts"] == [PROD, DEV] and f.evidence["members"] == 2


# -- TG705 ---------------------------------------------------------------------------------------------------------


def test_tg705_sso_assignment_dangling(acme: Snapshot, acme_findings: list[Finding]) -> None:
    assert _rule(acme_findings, "TG705") == []  # negative control: every assignment names what is in the data
    ic = _ic(acme)
    missing_set = "arn:aws:sso:::permissionSet/ssoins-7223a1b4c5d6e8f0/ps-missing"
    extra = (_assign(PROD, READONLY_SET, user_node("nobody")), _assign(DEV, READONLY_SET, user_node("nobody")),
             _assign(PROD, READONLY_SET, group_node("nogroup")), _assign(PROD, missing_set, PLATFORM_ADMINS))
    found = {(f.role, f.principal): f for f in _rule(_found(_changed(
        acme, account_assignments=ic.account_assignments + extra)), "TG705")}
    assert set(found) == {(READONLY_SET, user_node("nobody")), (READONLY_SET, group_node("nogroup")),
                          (missing_set, PLATFORM_ADMINS)}
    nobody = found[(READONLY_SET, user_node("nobody"))]
    assert nobody.evidence["accounts"] == [PROD, DEV] and nobody.account is None  # one finding, two accounts
    assert found[(missing_set, PLATFORM_ADMINS)].evidence["problems"] == ["missing-permission-set"]


# -- TG706 ---------------------------------------------------------------------------------------------------------


def test_tg706_sso_assignment_unprovisioned(acme: Snapshot, acme_findings: list[Finding]) -> None:
    [f] = _rule(acme_findings, "TG706")
    assert (f.role, f.principal, f.account, f.severity) == (BILLING_SET, FINANCE, MGMT, Severity.LOW)
    assert "gives nobody anything" in f.message
    # negative control: the provisioned assignments (PlatformAdmins, jonas, Engineering …) give no finding
    assert {x.principal for x in _rule(acme_findings, "TG706")} == {FINANCE}
    # an admin-equivalent one is medium
    snapshot = copy.deepcopy(acme)
    del snapshot.roles[SSO_ADMIN_PROD]
    unprovisioned = {x.principal: x for x in _rule(_found(snapshot), "TG706")}
    assert unprovisioned[PLATFORM_ADMINS].severity is Severity.MEDIUM and unprovisioned[JONAS].account == PROD


# -- TG707 ---------------------------------------------------------------------------------------------------------


def test_tg707_sso_role_orphaned(acme: Snapshot, acme_findings: list[Finding]) -> None:
    [f] = _rule(acme_findings, "TG707")
    assert (f.role, f.principal, f.account, f.severity) == (SSO_READONLY_DEV, None, DEV, Severity.LOW)
    # negative control: an assignment explains the role
    ic = _ic(acme)
    explained = _changed(acme, account_assignments=ic.account_assignments + (_assign(DEV, READONLY_SET, ENGINEERING),))
    assert _rule(_found(explained), "TG707") == []
    # partial data: it may be explained by what was not read
    [partial] = _rule(_found(_changed(acme, complete=False)), "TG707")
    assert partial.severity is Severity.INFO and "partial" in partial.message


# -- TG708 ---------------------------------------------------------------------------------------------------------


def test_tg708_sso_role_policy_mismatch(acme: Snapshot, acme_findings: list[Finding]) -> None:
    assert _rule(acme_findings, "TG708") == []  # negative control: every role has its permission set's policies
    snapshot = copy.deepcopy(acme)
    snapshot.roles[SSO_ADMIN_PROD].attached_policy_arns.append("arn:aws:iam::aws:policy/IAMFullAccess")
    [f] = _rule(_found(snapshot), "TG708")
    assert (f.role, f.account, f.severity) == (SSO_ADMIN_PROD, PROD, Severity.MEDIUM)
    assert f.evidence["extra_policies"] == ["arn:aws:iam::aws:policy/IAMFullAccess"]
    snapshot.roles[SSO_ADMIN_PROD].attached_policy_arns = []
    [lacking] = _rule(_found(snapshot), "TG708")
    assert lacking.severity is Severity.LOW and lacking.evidence["missing_policies"] == [
        "arn:aws:iam::aws:policy/AdministratorAccess"]


# -- TG709 ---------------------------------------------------------------------------------------------------------


def test_tg709_sso_role_trust_mismatch(acme: Snapshot, acme_findings: list[Finding]) -> None:
    assert _rule(acme_findings, "TG709") == []  # negative control: every role's trust admits its provider
    snapshot = copy.deepcopy(acme)
    document, _ = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROD}:root"}, "Action": "sts:AssumeRole"}]})
    snapshot.roles[SSO_ADMIN_PROD].trust = document
    [f] = _rule(_found(snapshot), "TG709")
    assert (f.role, f.account) == (SSO_ADMIN_PROD, PROD)
    assert f.evidence["principals"] == sorted([PLATFORM_ADMINS, JONAS])


# -- bounds, without a graph, without the data -----------------------------------------------------------------------


def test_repeated_findings_are_capped_with_one_that_counts_the_rest(acme: Snapshot) -> None:
    ic = _ic(acme)
    users = tuple(IdentityCenterUser(ic.instances[0].identity_store_id, f"u{i:03}", f"user{i:03}@acme.example")
                  for i in range(PER_RULE + 7))
    assigned = tuple(_assign(PROD, ADMIN_SET, user_node(u.user_id)) for u in users)
    found = _rule(_found(_changed(acme, users=ic.users + users,
                                  account_assignments=ic.account_assignments + assigned)), "TG701")
    assert len(found) == PER_RULE + 1
    [more] = [f for f in found if f.principal is None]
    assert more.role == INSTANCE and more.evidence["more_findings"] == 8 and more.target_kind == \
        "identity-center-instance"


def test_without_a_graph_only_the_assignment_rules_run(acme: Snapshot) -> None:
    assert {f.rule for f in _found(acme, graph=False)} == {"TG701", "TG702"}


def test_without_identity_center_data_there_is_no_finding_of_the_family(acme: Snapshot) -> None:
    snapshot = copy.deepcopy(acme)
    snapshot.identity_center = None
    assert _found(snapshot) == []


# -- acme end to end, the review ---------------------------------------------------------------------------------------


def test_acme_findings_hold_exactly_the_identity_center_findings_of_expected_9_5() -> None:
    result = CliRunner().invoke(main, ["findings", "-i", str(ACME), "-q", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    found = [f for f in json.loads(result.output)["findings"] if f["rule"].startswith("TG7")]
    assert sorted((f["rule"], f["role"], f["principal"], f["account"]) for f in found) == [
        ("TG701", ADMIN_SET, JONAS, PROD),  # jonas.weber, directly
        ("TG702", ADMIN_SET, ENGINEERING, DEV),  # Engineering, 5 people
        ("TG706", BILLING_SET, FINANCE, MGMT),  # BillingAdmin not provisioned
        ("TG707", SSO_READONLY_DEV, None, DEV),  # SSO-ReadOnly-dev orphaned
    ]
    assert all(f["evidence"] for f in found)


def test_the_review_counts_the_people_of_a_sensitive_role(acme: Snapshot) -> None:
    from trustgraph.report.review import build_review
    from trustgraph.report.review_markdown import people_text
    from trustgraph.report.review_pages import role_page
    graph = build_graph(acme)
    ctx = FindingContext(acme, graph)
    review = build_review(acme, graph, find(acme, graph, context=ctx), context=ctx)
    rows = {s.role: s for s in review.sensitive}
    admin = rows[SSO_ADMIN_PROD]
    assert admin.people_summary == "3 people: 2 through PlatformAdmins, 1 assigned directly"
    assert admin.people_groups == [("PlatformAdmins", 2)]
    assert [p.name for p in admin.people if not p.via_group] == ["jonas.weber@acme.example"]
    assert {p.permission_set for p in admin.people} == {"AdministratorAccess"} and {p.hops for p in admin.people} == {1}
    assert people_text(admin) == "3 people: 2 through PlatformAdmins, 1 assigned directly; group PlatformAdmins " \
                                 "(2 members)"
    # negative control: BreakGlass is reached by no person on trust alone (EXPECTED §9.3)
    assert rows[f"arn:aws:iam::{PROD}:role/BreakGlass"].people == [] and people_text(
        rows[f"arn:aws:iam::{PROD}:role/BreakGlass"]) == ""
    text = "\n".join(role_page(review, g, None) for g in review.sensitive_groups)
    assert "**People (Identity Center sign-ins):** 3 people: 2 through PlatformAdmins" in text
