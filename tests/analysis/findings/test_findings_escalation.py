"""Findings of the escalation family (TG601–TG606): PassRole, code running as a role, IAM writes and AssumeRoot
into sensitive roles, admin-equivalent users and accounts — each rule with a positive and a negative control."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from builders import MGMT, A, Account, B, Org, allow, identity, load, trust
from click.testing import CliRunner

from trustgraph.analysis.findings import Finding, Severity, find
from trustgraph.analysis.findings.escalation import ESCALATIONS_PER_TARGET
from trustgraph.cli.app import main
from trustgraph.graph.build import build_graph
from trustgraph.model import ComputeResource, IdentityCenter, IdentityCenterInstance, PermissionSet

ACME = Path(__file__).resolve().parents[3] / "samples" / "acme"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
LAMBDA = {"Service": "lambda.amazonaws.com"}
CREATE_AND_INVOKE = allow(["lambda:CreateFunction", "lambda:InvokeFunction"], "*")
TO_LAMBDA = {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}


def findings(*pieces: Any, resources: list[ComputeResource] | None = None,
             inventory: set[str] | None = None) -> list[Finding]:
    snapshot, _ = load(*pieces)
    snapshot.resources = list(resources or [])
    snapshot.inventory_accounts = set(inventory or ())
    return find(snapshot, build_graph(snapshot), families=["escalation"])


def of(found: list[Finding], rule: str, role: str | None = None) -> dict[str | None, Finding]:
    return {f.principal: f for f in found if f.rule == rule and (role is None or f.role == role)}


def function(account: str, name: str, role: str) -> ComputeResource:
    return ComputeResource(f"arn:aws:lambda:us-east-1:{account}:function:{name}", "lambda-function", account,
                           "us-east-1", role, name)


# -- TG601 PassRole ----------------------------------------------------------------------------------------


def test_rule_TG601_passrole_to_an_admin_role_fires_for_the_passer_not_for_an_admin():
    a = Account(A)
    target = a.role("Reports", trust(LAMBDA), path="/service-role/", managed=[ADMIN_POLICY])
    other = a.role("Thumbnails", trust(LAMBDA), path="/service-role/")
    erin = a.user("erin", policies=identity(allow("iam:PassRole", target, condition=TO_LAMBDA), CREATE_AND_INVOKE))
    scoped = a.user("scoped", policies=identity(allow("iam:PassRole", other, condition=TO_LAMBDA),
                                                CREATE_AND_INVOKE))
    admin = a.user("admin", managed=[ADMIN_POLICY])
    found = of(findings(a), "TG601", target)
    assert set(found) == {erin}, found  # not the admin (it is not escalating), not the one passing another role
    f = found[erin]
    assert f.severity is Severity.HIGH and "lambda:CreateFunction" in f.message
    assert "erin-inline-" in f.message  # the policy granting it is named
    assert f.evidence["route"]["techniques"] == ["lambda:CreateFunction"]
    assert f.evidence["route"]["grants"] and f.evidence["sensitive_because"]
    assert admin not in found and scoped not in found


def test_rule_TG601_only_sensitive_roles_are_targets():
    a = Account(A)
    plain = a.role("Plain", trust(LAMBDA), policies=identity(allow("s3:GetObject", "arn:aws:s3:::b/*")))
    a.user("erin", policies=identity(allow("iam:PassRole", plain, condition=TO_LAMBDA), CREATE_AND_INVOKE))
    assert of(findings(a), "TG601") == {}


def test_rule_TG601_conditional_route_is_one_severity_lower_and_says_why():
    a = Account(A)
    target = a.role("Reports", trust(LAMBDA), managed=[ADMIN_POLICY])
    firm = a.user("firm", policies=identity(allow("iam:PassRole", target), CREATE_AND_INVOKE))
    # No lambda:InvokeFunction: the new function runs only if something invokes it (trustgraph:FunctionInvoked).
    loose = a.user("loose", policies=identity(allow("iam:PassRole", target), allow("lambda:CreateFunction", "*")))
    found = of(findings(a), "TG601", target)
    assert found[firm].severity is Severity.HIGH
    assert found[loose].severity is Severity.MEDIUM
    assert found[loose].evidence["default_severity"] == "high"
    assert "only if trustgraph:FunctionInvoked hold" in found[loose].message


def test_rule_TG601_through_runner_and_policy_group_hubs():
    a = Account(A)
    one = a.role("One", trust(LAMBDA), managed=[ADMIN_POLICY])
    two = a.role("Two", trust(LAMBDA), managed=[ADMIN_POLICY])
    same = identity(allow("iam:PassRole", "*"), CREATE_AND_INVOKE)
    first, second = a.user("first", policies=same), a.user("second", policies=same)
    found = findings(a)
    for role in (one, two):
        got = of(found, "TG601", role)
        assert set(got) == {first, second}, got
        through = {h["kind"] for h in got[first].evidence["route"]["through"]}
        assert "passrole-runner" in through and "policy-group" in through


def test_rule_TG601_capped_per_role():
    a = Account(A)
    target = a.role("Reports", trust(LAMBDA), managed=[ADMIN_POLICY])
    for i in range(ESCALATIONS_PER_TARGET + 3):
        # distinct policies, so that each is its own caller (no policy group)
        a.user(f"u{i:02}", policies=identity(allow("iam:PassRole", target), CREATE_AND_INVOKE,
                                             allow("s3:GetObject", f"arn:aws:s3:::bucket-{i}/*")))
    got = [f for f in findings(a) if f.rule == "TG601"]
    assert len([f for f in got if f.principal]) == ESCALATIONS_PER_TARGET
    rest = [f for f in got if f.principal is None]
    assert len(rest) == 1 and rest[0].evidence["more_principals"] == 3


def test_rule_TG601_below_the_cap_no_summary():
    a = Account(A)
    target = a.role("Reports", trust(LAMBDA), managed=[ADMIN_POLICY])
    a.user("u", policies=identity(allow("iam:PassRole", target), CREATE_AND_INVOKE))
    assert [f.principal for f in findings(a) if f.rule == "TG601"] == [a.arn("user", "u")]


# -- TG602 code already running as the role ---------------------------------------------------------------


def test_rule_TG602_with_inventory_unconditional_high():
    a = Account(A)
    target = a.role("Reports", trust(LAMBDA), managed=[ADMIN_POLICY])
    quiet = a.role("Quiet", trust(LAMBDA), managed=[ADMIN_POLICY])
    fn = function(A, "nightly", target)
    faye = a.user("faye", policies=identity(allow("lambda:UpdateFunctionCode", fn.arn)))
    other = a.user("other", policies=identity(allow("lambda:UpdateFunctionCode",
                                                    f"arn:aws:lambda:us-east-1:{A}:function:elsewhere")))
    found = findings(a, resources=[fn], inventory={A})
    got = of(found, "TG602", target)
    assert set(got) == {faye} and got[faye].severity is Severity.HIGH
    assert other not in got
    assert of(found, "TG602", quiet) == {}  # inventory: no resource runs as it


def test_rule_TG602_without_inventory_is_conditional_and_lower():
    a = Account(A)
    target = a.role("Reports", trust(LAMBDA), managed=[ADMIN_POLICY])
    patcher = a.user("patcher", policies=identity(allow("lambda:UpdateFunctionCode", "*")))
    a.user("reader", policies=identity(allow("lambda:GetFunction", "*")))
    got = of(findings(a), "TG602", target)
    assert set(got) == {patcher}
    f = got[patcher]
    assert f.severity is Severity.MEDIUM and f.evidence["route"]["conditions"] == ["trustgraph:ResourceRunsAsRole"]
    assert "no inventory of the account" in f.message and "lambda-function" in f.message


def test_rule_TG602_not_for_an_administrator():
    a = Account(A)
    target = a.role("Reports", trust(LAMBDA), managed=[ADMIN_POLICY])
    fn = function(A, "nightly", target)
    a.user("admin", managed=[ADMIN_POLICY])
    assert of(findings(a, resources=[fn], inventory={A}), "TG602") == {}


# -- TG603 IAM --------------------------------------------------------------------------------------------


def test_rule_TG603_trust_rewrite_of_a_sensitive_role():
    a = Account(A)
    target = a.role("Admin", trust(a.root), managed=[ADMIN_POLICY])
    plain = a.role("Plain", trust(a.root))
    rewriter = a.user("rewriter", policies=identity(allow("iam:UpdateAssumeRolePolicy", target)))
    elsewhere = a.user("elsewhere", policies=identity(allow("iam:UpdateAssumeRolePolicy", plain)))
    found = findings(a)
    got = of(found, "TG603", target)
    assert set(got) == {rewriter} and "iam:UpdateAssumeRolePolicy" in got[rewriter].message
    assert elsewhere not in {f.principal for f in found}


def test_rule_TG603_credentials_of_an_admin_equivalent_user():
    a = Account(A)
    boss = a.user("boss", managed=[ADMIN_POLICY])
    intern = a.user("intern")
    keys = a.user("keys", policies=identity(allow("iam:CreateAccessKey", boss)))
    minor = a.user("minor", policies=identity(allow("iam:CreateAccessKey", intern)))
    found = findings(a)
    got = of(found, "TG603", boss)
    assert set(got) == {keys} and got[keys].account == A
    assert of(found, "TG603", intern) == {} and minor not in {f.principal for f in found}


def test_rule_TG603_account_takeover_by_a_policy_write_on_itself_not_by_an_admin():
    a = Account(A)
    writer = a.user("writer", policies=identity(allow("iam:PutUserPolicy", a.arn("user", "writer"))))
    a.user("admin", managed=[ADMIN_POLICY])
    a.user("other", policies=identity(allow("iam:PutUserPolicy", a.arn("user", "someone-else"))))
    got = of(findings(a), "TG603", a.root)
    assert set(got) == {writer}, got
    assert got[writer].severity is Severity.HIGH and "take over account" in got[writer].message


def test_rule_TG603_self_writer_gets_the_takeover_not_a_passrole_finding():
    a = Account(A)
    target = a.role("Reports", trust(LAMBDA), managed=[ADMIN_POLICY])
    me = a.arn("user", "both")
    a.user("both", policies=identity(allow("iam:PutUserPolicy", me), allow("iam:PassRole", target),
                                     CREATE_AND_INVOKE))
    found = findings(a)
    assert set(of(found, "TG603", a.root)) == {me}
    assert of(found, "TG601") == {}  # it can take over the account already: that is its finding


def test_rule_TG603_policy_write_on_a_principal_it_reaches_takes_the_account_over():
    a = Account(A)
    writer = a.user("writer", policies=identity(allow("iam:AttachRolePolicy", a.arn("role", "Worker")),
                                                allow("sts:AssumeRole", a.arn("role", "Worker"))))
    a.role("Worker", trust(writer))
    a.user("stranger", policies=identity(allow("iam:AttachRolePolicy", a.arn("role", "Aloof"))))
    a.role("Aloof", trust(a.arn("user", "nobody")))
    got = of(findings(a), "TG603", a.root)
    assert set(got) == {writer}, got  # the stranger may write onto Aloof but cannot use it
    assert "iam:AttachRolePolicy" in got[writer].message


# -- TG604 AssumeRoot -------------------------------------------------------------------------------------


def _org_with(grants: list[tuple[str, dict[str, Any] | None, list[str]]]) -> tuple[Account, Account, Org]:
    mgmt, member = Account(MGMT), Account(B)
    for name, policy, managed in grants:
        mgmt.user(name, policies=identity(policy) if policy else (), managed=managed)
    member.role("Anything", trust(member.root))
    org = Org()
    org.account(B)
    org.full_access_everywhere()
    return mgmt, member, org


def test_rule_TG604_assume_root_grant_outside_the_management_admins():
    mgmt, member, org = _org_with([("rooter", allow("sts:AssumeRoot", f"arn:aws:iam::{B}:root"), []),
                                   ("admin", allow("*", "*"), []),
                                   ("reader", allow("s3:GetObject", "*"), [])])
    found = findings(mgmt, member, org)
    got = of(found, "TG604")
    assert set(got) == {mgmt.arn("user", "rooter")}, got
    f = got[mgmt.arn("user", "rooter")]
    # One finding per granted principal, naming the member accounts (not one per member account).
    assert f.role == mgmt.arn("user", "rooter") and f.evidence["accounts"] == [B] and "1 member account" in f.message
    # Always conditional on centralized root access: that alone does not lower it.
    assert f.severity is Severity.HIGH and "centralized root access" in f.message
    assert f.evidence["route"]["conditions"] == ["trustgraph:CentralizedRootAccess"]


def test_rule_TG604_other_conditions_lower_it():
    audit = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
    cond = allow("sts:AssumeRoot", f"arn:aws:iam::{B}:root", condition={"StringEquals": {"sts:TaskPolicyArn": audit}})
    mgmt, member, org = _org_with([("auditor", cond, [])])
    got = of(findings(mgmt, member, org), "TG604")
    f = got[mgmt.arn("user", "auditor")]
    assert f.severity is Severity.MEDIUM, f.message


# -- TG605 Identity Center administrators -----------------------------------------------------------------------

SSO_INSTANCE = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
SSO_ADMIN_SET = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-aaaaaaaaaaaaaaaa"


def _identity_center_findings(grants: dict[str, dict[str, Any]]) -> tuple[Account, list[Finding]]:
    """Management users with these policies, one member account B, an administrator permission set."""
    mgmt, member = Account(MGMT), Account(B)
    for name, policy in grants.items():
        mgmt.user(name, policies=identity(policy))
    member.role("Anything", trust(member.root))
    org = Org()
    org.account(B)
    org.full_access_everywhere()
    snapshot, _ = load(mgmt, member, org)
    snapshot.identity_center = IdentityCenter(
        instances=(IdentityCenterInstance(SSO_INSTANCE, "d-1234567890", MGMT, "us-east-1"),),
        permission_sets=(PermissionSet(SSO_INSTANCE, SSO_ADMIN_SET, "Admin", managed_policies=(ADMIN_POLICY,)),))
    return mgmt, find(snapshot, build_graph(snapshot), families=["escalation"])


def test_rule_TG605_identity_center_assignment_grant_makes_admin_of_other_accounts():
    mgmt, found = _identity_center_findings({
        "assigner": allow("sso:CreateAccountAssignment", "*"), "admin": allow("*", "*"),
        "reader": allow("sso:ListInstances", "*")})
    got = of(found, "TG605")
    # the administrator of the management account acts through its admin node: not an escalation
    assert set(got) == {mgmt.arn("user", "assigner")}, got
    f = got[mgmt.arn("user", "assigner")]
    assert f.evidence["accounts"] == [B] and "1 other account" in f.message
    assert "sso:CreateAccountAssignment" in f.message
    # always conditional on signing in as an Identity Center user: that alone does not lower it
    assert f.severity is Severity.HIGH
    assert f.evidence["route"]["conditions"] == ["trustgraph:ControlsIdentityCenterUser"]


def test_rule_TG605_other_conditions_lower_it():
    mfa = allow("sso:CreateAccountAssignment", "*", condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    mgmt, found = _identity_center_findings({"assigner": mfa})
    assert of(found, "TG605")[mgmt.arn("user", "assigner")].severity is Severity.MEDIUM


# -- TG606 service-managed StackSets ---------------------------------------------------------------------------

STACKSET_ACTIONS = ["cloudformation:CreateStackSet", "cloudformation:CreateStackInstances"]


def _stackset_findings(grants: dict[str, dict[str, Any]]) -> tuple[Account, list[Finding]]:
    """Management users with these policies and two member accounts."""
    mgmt = Account(MGMT)
    for name, policy in grants.items():
        mgmt.user(name, policies=identity(policy))
    org = Org()
    members = []
    for account in (A, B):
        member = Account(account)
        member.role("Workload", trust(MGMT))
        members.append(member)
        org.account(account)
    org.full_access_everywhere()
    snapshot, _ = load(mgmt, *members, org)
    return mgmt, find(snapshot, build_graph(snapshot), families=["escalation"])


def test_rule_TG606_service_managed_stackset_grant_is_one_finding_naming_the_member_accounts():
    mgmt, found = _stackset_findings({"deployer": allow(STACKSET_ACTIONS, "*"), "admin": allow("*", "*"),
                                      "sets-only": allow("cloudformation:CreateStackSet", "*")})
    got = of(found, "TG606")
    # not the administrator of the management account (it can grant itself anything), not half the grant
    assert set(got) == {mgmt.arn("user", "deployer")}, got
    f = got[mgmt.arn("user", "deployer")]
    assert f.evidence["accounts"] == [A, B] and "2 member account(s)" in f.message
    assert f.severity is Severity.HIGH  # trusted access alone does not lower it
    assert f.evidence["route"]["conditions"] == ["trustgraph:StackSetsTrustedAccess"]


def test_rule_TG606_other_conditions_lower_it():
    mfa = allow(STACKSET_ACTIONS, "*", condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    mgmt, found = _stackset_findings({"deployer": mfa})
    assert of(found, "TG606")[mgmt.arn("user", "deployer")].severity is Severity.MEDIUM


# -- end to end: the acme plant through every output ----------------------------------------------------------


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_acme_plant_gives_TG601_for_dev_erin_and_TG602_for_dev_faye():
    doc = json.loads(_run("findings", "-i", str(ACME), "-q", "--format", "json"))
    target = "arn:aws:iam::666666666666:role/service-role/NightlyReportsFunction"
    got = {(f["rule"], f["principal"]) for f in doc["findings"] if f["role"] == target}
    assert ("TG601", "arn:aws:iam::666666666666:user/dev-erin") in got
    assert ("TG602", "arn:aws:iam::666666666666:user/dev-faye") in got
    admins = {"arn:aws:iam::666666666666:role/OrganizationAccountAccessRole",
              "arn:aws:iam::666666666666:role/aws-reserved/sso.amazonaws.com/"
              "AWSReservedSSO_AdministratorAccess_d05a7c3e1b94f268"}
    assert not admins & {p for _, p in got}
    rules = {r["id"]: r for r in doc["rules"]} if isinstance(doc["rules"], list) else doc["rules"]
    assert rules["TG601"]["family"] == "escalation"


def test_acme_escalation_findings_in_sarif_and_markdown():
    sarif = json.loads(_run("findings", "-i", str(ACME), "-q", "--format", "sarif"))
    results = sarif["runs"][0]["results"]
    assert {"TG601", "TG602"} <= {r["ruleId"] for r in results}
    markdown = _run("findings", "-i", str(ACME), "-q", "--format", "markdown")
    assert "TG601" in markdown and "dev-erin" in markdown


def test_acme_escalation_findings_in_the_review_bundle(tmp_path: Path):
    out = tmp_path / "review"
    _run("review", "-i", str(ACME), "-q", "-o", str(out))
    for name in ("report.md", "report.html", "findings.json", "findings.sarif"):
        text = (out / name).read_text(encoding="utf-8")
        assert "TG601" in text and "TG602" in text, name
