"""One positive and one negative case per finding rule, on tiny hand-written trust policies."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import A, Account, load
from tests.builders import trust as trust_of
from trustgraph.analysis.findings import RULES, Finding, FindingOptions, Severity, find
from trustgraph.graph.build import build_graph
from trustgraph.model import InlinePolicy, ManagedPolicy, Role, Snapshot, User
from trustgraph.policy.sensitivity import classify_role
from trustgraph.sources.policy_parser import parse_policy

ACCT = "111122223333"
ROLE = f"arn:aws:iam::{ACCT}:role/Target"
GH = f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"
GH_HOST = "token.actions.githubusercontent.com"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ASSUME_ANY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Resource": "*"}]}


def doc(value: dict[str, Any]):  # type: ignore[no-untyped-def]
    parsed, problems = parse_policy(value)
    assert parsed is not None, problems
    return parsed


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal: Any, action: str | list[str] = "sts:AssumeRole", condition: dict | None = None,
          **extra: Any) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action, **extra}
    if condition:
        st["Condition"] = condition
    return st


def web(provider: str, condition: dict | None = None) -> dict[str, Any]:
    return allow({"Federated": provider}, "sts:AssumeRoleWithWebIdentity", condition)


def make_role(arn: str, trust_doc: dict[str, Any], policy: dict[str, Any] | None = None,
              tags: dict[str, str] | None = None, unique_id: str | None = None) -> Role:
    name = arn.rsplit("/", 1)[-1]
    return Role(arn=arn, name=name, account=arn.split(":")[4], trust=doc(trust_doc), unique_id=unique_id,
                inline_policies=[InlinePolicy("p", doc(policy))] if policy else [], tags=dict(tags or {}))


def make_user(arn: str, policy: dict[str, Any] | None = None) -> User:
    return User(arn=arn, name=arn.rsplit("/", 1)[-1], account=arn.split(":")[4],
                inline_policies=[InlinePolicy("p", doc(policy))] if policy else [])


def snapshot(*roles: Role, users: tuple[User, ...] = (), managed: tuple[ManagedPolicy, ...] = ()) -> Snapshot:
    snap = Snapshot(roles={r.arn: r for r in roles}, users={u.arn: u for u in users},
                    managed_policies={m.arn: m for m in managed})
    snap.collected_accounts = {r.account for r in roles} | {u.account for u in users}
    return snap


def run(trust_doc: dict[str, Any] | None = None, *, roles: tuple[Role, ...] = (), users: tuple[User, ...] = (),
        **options: Any) -> list[Finding]:
    all_roles = list(roles)
    if trust_doc is not None:
        all_roles.append(make_role(ROLE, trust_doc))
    snap = snapshot(*all_roles, users=users)
    return find(snap, build_graph(snap), FindingOptions(**options))


def rules(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


def only(findings: list[Finding], rule_id: str) -> Finding:
    hits = [f for f in findings if f.rule == rule_id]
    assert len(hits) == 1, [(f.rule, f.message) for f in findings]
    return hits[0]


# -- catalogue ----------------------------------------------------------------------------------------
def test_catalogue_every_rule_has_rationale_reference_and_remediation():
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id and rule_id.startswith("TG")
        assert len(rule.rationale) > 80 and rule.remediation
        assert rule.references and all(u.startswith("https://") for u in rule.references)


# -- TG101 public trust -------------------------------------------------------------------------------
def test_tg101_public_trust_flags_aws_star_without_limiting_condition():
    f = only(run(trust(allow({"AWS": "*"}))), "TG101")
    assert f.severity is Severity.CRITICAL and f.principal == "*"
    assert f.fixed_statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"]


def test_tg101_public_trust_flags_bare_star_and_externalid_is_not_a_limit():
    findings = run(trust(allow("*", condition={"StringEquals": {"sts:ExternalId": "x"}})))
    assert "TG101" in rules(findings)


def test_tg101_public_trust_not_flagged_when_org_id_or_exact_arn_limits_callers():
    assert "TG101" not in rules(run(trust(allow({"AWS": "*"}, condition={
        "StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}))))
    assert "TG101" not in rules(run(trust(allow({"AWS": "*"}, condition={
        "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/ci"}}))))


def test_tg101_public_trust_still_flagged_when_limit_is_negated_ifexists_or_any_account():
    for cond in ({"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}},
                 {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}},
                 {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci"}}):
        assert "TG101" in rules(run(trust(allow({"AWS": "*"}, condition=cond)))), cond


def test_tg101_public_trust_ignores_deny_statements():
    assert "TG101" not in rules(run(trust({"Effect": "Deny", "Principal": {"AWS": "*"},
                                           "Action": "sts:AssumeRole"})))


def _deny_all_unless(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": condition}


def test_tg101_public_trust_limited_by_a_conditional_deny_not_flagged():
    for unless in ({"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}},
                   {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/alpha-*"}},
                   {"StringNotEqualsIfExists": {"aws:PrincipalAccount": ACCT}}):
        findings = run(trust(allow({"AWS": "*"}), _deny_all_unless(unless)))
        assert not {"TG101", "TG302"} & rules(findings), (unless, [f.message for f in findings])


def test_tg101_deny_leaving_an_outside_accounts_roles_reports_what_it_leaves_open():
    pattern = f"arn:aws:iam::{UNKNOWN}:role/alpha-*"
    findings = run(trust(allow({"AWS": "*"}), _deny_all_unless({"ArnNotLike": {"aws:PrincipalArn": pattern}})))
    assert "TG101" not in rules(findings)
    f = only(findings, "TG302")
    assert f.severity is Severity.MEDIUM and f.principal == pattern
    assert f"leaves it open only to callers with aws:PrincipalArn ArnLike {pattern}" in f.message
    assert f"account {UNKNOWN}" in f.message


def test_tg101_star_limited_by_its_own_condition_to_an_outside_account_reported_as_tg302():
    outside = run(trust(allow({"AWS": "*"}, condition={"StringEquals": {"aws:PrincipalAccount": UNKNOWN}})))
    assert "TG101" not in rules(outside) and only(outside, "TG302").evidence["external_accounts"] == [UNKNOWN]
    inside = run(trust(allow({"AWS": "*"}, condition={"StringEquals": {"aws:PrincipalAccount": ACCT}})))
    assert not {"TG101", "TG302"} & rules(inside)


def test_tg101_deny_that_narrows_when_not_who_still_flagged():
    for deny in (_deny_all_unless({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
                 _deny_all_unless({"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"},
                                   "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
                 {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{UNKNOWN}:root"}, "Action": "sts:AssumeRole"}):
        assert only(run(trust(allow({"AWS": "*"}), deny)), "TG101").severity is Severity.CRITICAL, deny


# -- TG102 NotPrincipal -------------------------------------------------------------------------------
def test_tg102_notprincipal_allow_flagged():
    st = {"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCT}:user/bob"}, "Action": "sts:AssumeRole"}
    assert "TG102" in rules(run(trust(st)))


def test_tg102_notprincipal_with_deny_not_flagged():
    st = {"Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCT}:user/bob"}, "Action": "sts:AssumeRole"}
    assert "TG102" not in rules(run(trust(st, allow({"Service": "ec2.amazonaws.com"}))))


# -- GitHub -------------------------------------------------------------------------------------------
def test_tg201_github_oidc_without_sub_flagged():
    f = only(run(trust(web(GH, {"StringEquals": {f"{GH_HOST}:aud": "sts.amazonaws.com"}}))), "TG201")
    assert f.severity is Severity.CRITICAL
    assert f.fixed_statement["Condition"]["StringEquals"][f"{GH_HOST}:sub"].startswith("repo:")


def test_tg201_github_oidc_with_exact_sub_not_flagged():
    findings = run(trust(web(GH, {"StringEquals": {f"{GH_HOST}:aud": "sts.amazonaws.com",
                                                   f"{GH_HOST}:sub": "repo:acme/infra:ref:refs/heads/main"}})))
    assert findings == []


@pytest.mark.parametrize("pattern", ["*", "repo:*", "repo:acme*", "repo:*/infra:*", "*:ref:refs/heads/main"])
def test_tg202_github_subject_any_owner_flagged(pattern):
    findings = run(trust(web(GH, {"StringEquals": {f"{GH_HOST}:aud": "sts.amazonaws.com"},
                                  "StringLike": {f"{GH_HOST}:sub": pattern}})))
    assert rules(findings) == {"TG202"}


def test_tg202_github_subject_starting_with_workflow_claim_is_forgeable():
    findings = run(trust(web(GH, {"StringEquals": {
        f"{GH_HOST}:aud": "sts.amazonaws.com",
        f"{GH_HOST}:sub": "workflow:deploy:repo:acme/infra:ref:refs/heads/main"}})))
    assert "TG202" in rules(findings)


def test_tg202_github_subject_pinned_repo_not_flagged():
    findings = run(trust(web(GH, {"StringEquals": {f"{GH_HOST}:aud": "sts.amazonaws.com"},
                                  "StringLike": {f"{GH_HOST}:sub": "repo:acme/infra:*"}})))
    assert findings == []


def test_tg203_github_org_wide_subject_flagged_low():
    f = only(run(trust(web(GH, {"StringEquals": {f"{GH_HOST}:aud": "sts.amazonaws.com"},
                                "StringLike": {f"{GH_HOST}:sub": "repo:acme/*"}}))), "TG203")
    assert f.severity is Severity.LOW


def test_tg203_github_single_repository_not_flagged():
    findings = run(trust(web(GH, {"StringEquals": {f"{GH_HOST}:aud": "sts.amazonaws.com"},
                                  "StringLike": {f"{GH_HOST}:sub": "repo:acme/web:environment:prod"}})))
    assert "TG203" not in rules(findings)


# -- GitLab, HCP Terraform, EKS -------------------------------------------------------------------------
GITLAB = f"arn:aws:iam::{ACCT}:oidc-provider/gitlab.com"
TFC = f"arn:aws:iam::{ACCT}:oidc-provider/app.terraform.io"
EKS_HOST = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
EKS = f"arn:aws:iam::{ACCT}:oidc-provider/{EKS_HOST}"


def test_tg204_gitlab_without_project_flagged():
    assert "TG204" in rules(run(trust(web(GITLAB, {"StringEquals": {"gitlab.com:aud": "https://gitlab.com"}}))))
    assert "TG204" in rules(run(trust(web(GITLAB, {"StringLike": {"gitlab.com:sub": "project_path:acme*"}}))))


def test_tg204_gitlab_with_project_not_flagged():
    findings = run(trust(web(GITLAB, {"StringEquals": {"gitlab.com:aud": "https://gitlab.com"},
                                      "StringLike": {"gitlab.com:sub": "project_path:acme/infra:ref_type:branch:*"}})))
    assert "TG204" not in rules(findings)


def test_tg205_terraform_cloud_any_organization_flagged():
    findings = run(trust(web(TFC, {"StringEquals": {"app.terraform.io:aud": "aws.workload.identity"},
                                   "StringLike": {"app.terraform.io:sub": "organization:*"}})))
    assert "TG205" in rules(findings)


def test_tg205_terraform_cloud_pinned_organization_not_flagged():
    findings = run(trust(web(TFC, {"StringEquals": {"app.terraform.io:aud": "aws.workload.identity"},
                                   "StringLike": {"app.terraform.io:sub": "organization:acme:project:*"}})))
    assert findings == []


def test_tg206_eks_irsa_without_or_with_wildcard_sub_flagged():
    assert "TG206" in rules(run(trust(web(EKS, {"StringEquals": {f"{EKS_HOST}:aud": "sts.amazonaws.com"}}))))
    assert "TG206" in rules(run(trust(web(EKS, {"StringLike": {f"{EKS_HOST}:sub": "system:serviceaccount:*"}}))))


def test_tg206_eks_irsa_exact_service_account_not_flagged():
    findings = run(trust(web(EKS, {"StringEquals": {f"{EKS_HOST}:aud": "sts.amazonaws.com",
                                                    f"{EKS_HOST}:sub": "system:serviceaccount:app:api"}})))
    assert findings == []


# -- audiences ------------------------------------------------------------------------------------------
def test_tg207_audience_missing_flagged():
    findings = run(trust(web(GH, {"StringEquals": {f"{GH_HOST}:sub": "repo:acme/infra:ref:refs/heads/main"}})))
    assert rules(findings) == {"TG207"}


def test_tg207_audience_present_not_flagged():
    findings = run(trust(web(EKS, {"StringEquals": {f"{EKS_HOST}:aud": "sts.amazonaws.com",
                                                    f"{EKS_HOST}:sub": "system:serviceaccount:a:b"}})))
    assert "TG207" not in rules(findings)


def test_tg208_audience_wildcard_or_negated_flagged():
    sub = {f"{GH_HOST}:sub": "repo:acme/infra:ref:refs/heads/main"}
    assert "TG208" in rules(run(trust(web(GH, {"StringEquals": sub, "StringLike": {f"{GH_HOST}:aud": "*"}}))))
    assert "TG208" in rules(run(trust(web(GH, {"StringEquals": sub,
                                               "StringNotEquals": {f"{GH_HOST}:aud": "x"}}))))


def test_tg208_expected_audience_not_flagged():
    findings = run(trust(web(GH, {"StringEquals": {f"{GH_HOST}:aud": "sts.amazonaws.com",
                                                   f"{GH_HOST}:sub": "repo:a/b:ref:refs/heads/main"}})))
    assert "TG208" not in rules(findings)


# -- Cognito, built-in web identity, SAML ---------------------------------------------------------------
COGNITO = "cognito-identity.amazonaws.com"


def test_tg209_cognito_without_pool_id_flagged():
    findings = run(trust(web(COGNITO, {"ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}})))
    assert only(findings, "TG209").severity is Severity.CRITICAL


def test_tg209_cognito_with_pool_id_not_flagged():
    findings = run(trust(web(COGNITO, {"StringEquals": {f"{COGNITO}:aud": "eu-west-1:1111-2222"},
                                       "ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}})))
    assert findings == []


def test_tg210_cognito_without_amr_flagged():
    assert "TG210" in rules(run(trust(web(COGNITO, {"StringEquals": {f"{COGNITO}:aud": "eu-west-1:1111"}}))))


def test_tg210_cognito_with_amr_not_flagged():
    findings = run(trust(web(COGNITO, {"StringEquals": {f"{COGNITO}:aud": "eu-west-1:1111"},
                                       "ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}})))
    assert "TG210" not in rules(findings)


def test_tg211_web_identity_without_any_claim_condition_flagged():
    f = only(run(trust(web("accounts.google.com"))), "TG211")
    assert f.severity is Severity.CRITICAL
    generic = f"arn:aws:iam::{ACCT}:oidc-provider/login.example.com"
    assert "TG211" in rules(run(trust(web(generic))))


def test_tg211_web_identity_with_app_id_not_flagged():
    assert run(trust(web("accounts.google.com", {"StringEquals": {"accounts.google.com:aud": "app-1"}}))) == []


def test_tg212_saml_without_aud_flagged():
    saml = f"arn:aws:iam::{ACCT}:saml-provider/Okta"
    assert "TG212" in rules(run(trust(allow({"Federated": saml}, "sts:AssumeRoleWithSAML"))))


def test_tg212_saml_with_aud_not_flagged():
    saml = f"arn:aws:iam::{ACCT}:saml-provider/Okta"
    findings = run(trust(allow({"Federated": saml}, "sts:AssumeRoleWithSAML",
                               {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}})))
    assert findings == []


def test_tg213_literal_wildcard_under_stringequals_never_matches_not_open():
    findings = run(trust(web(GH, {"StringEquals": {f"{GH_HOST}:aud": "sts.amazonaws.com",
                                                   f"{GH_HOST}:sub": "repo:*"}})))
    assert rules(findings) == {"TG213"}


def test_tg213_condition_on_another_issuers_key_never_matches():
    findings = run(trust(web(GH, {"StringEquals": {f"{GH_HOST}/enterprise:sub": "repo:a/b:ref:refs/heads/main"}})))
    assert rules(findings) == {"TG213"}


def test_tg213_valid_subject_not_flagged():
    findings = run(trust(web(GH, {"StringEquals": {f"{GH_HOST}:aud": "sts.amazonaws.com",
                                                   f"{GH_HOST}:sub": "repo:a/b:pull_request"}})))
    assert "TG213" not in rules(findings)


# -- third parties, accounts, services ----------------------------------------------------------------
VENDOR = "464622532012"
UNKNOWN = "999988887777"


def test_tg301_known_vendor_without_external_id_flagged():
    findings = run(trust(allow({"AWS": f"arn:aws:iam::{VENDOR}:root"})), known_accounts={VENDOR: "Datadog"})
    f = only(findings, "TG301")
    assert "Datadog" in f.message and "sts:ExternalId" in f.fixed_statement["Condition"]["StringEquals"]


def test_tg301_known_vendor_with_external_id_not_flagged():
    findings = run(trust(allow({"AWS": f"arn:aws:iam::{VENDOR}:root"},
                               condition={"StringEquals": {"sts:ExternalId": "abc"}})),
                   known_accounts={VENDOR: "Datadog"})
    assert findings == []


def test_tg301_aws_owned_account_from_the_known_accounts_list_gets_no_external_id_advice():
    elb_logs = "127311923021"
    findings = run(trust(allow({"AWS": f"arn:aws:iam::{elb_logs}:root"})),
                   known_accounts={elb_logs: "AWS ELB logs"})  # load_known_accounts names `type: aws` entries so
    assert "TG301" not in rules(findings)
    f = only(findings, "TG302")
    assert f.severity is Severity.LOW and "owned by AWS" in f.message and f.fixed_statement is None
    assert "ExternalId" not in (f.remediation + str(f.evidence))
    vendor = run(trust(allow({"AWS": f"arn:aws:iam::{elb_logs}:root"})), known_accounts={elb_logs: "ELB Partner"})
    assert "TG301" in rules(vendor)


def test_tg301_aws_owned_prefix_comes_from_the_known_accounts_loader(tmp_path):
    from trustgraph.sources.known_accounts import load_known_accounts

    path = tmp_path / "accounts.yaml"
    path.write_text("- name: 'ELB logs'\n  type: 'aws'\n  accounts: ['127311923021']\n"
                    "- name: 'Datadog'\n  accounts: ['464622532012']\n", encoding="utf-8")
    assert load_known_accounts(path) == {"127311923021": "AWS ELB logs", "464622532012": "Datadog"}


def test_tg302_unknown_external_account_flagged():
    f = only(run(trust(allow({"AWS": UNKNOWN}))), "TG302")
    assert f.severity is Severity.HIGH and f.principal == UNKNOWN


def test_tg302_account_in_the_data_not_flagged_as_external():
    other = make_role(f"arn:aws:iam::{UNKNOWN}:role/Other", trust(allow({"Service": "ec2.amazonaws.com"})))
    findings = run(trust(allow({"AWS": f"arn:aws:iam::{UNKNOWN}:role/Other"})), roles=(other,))
    assert "TG302" not in rules(findings)


MGMT_ACCT = "072528804237"
ORG_ADMIN_SLR = (f"arn:aws:iam::{MGMT_ACCT}:role/aws-service-role/stacksets.cloudformation.amazonaws.com/"
                 "AWSServiceRoleForCloudFormationStackSetsOrgAdmin")


def _management_roles() -> tuple[Role, ...]:
    return (make_role(f"arn:aws:iam::{ACCT}:role/OrganizationAccountAccessRole",
                      trust(allow({"AWS": f"arn:aws:iam::{MGMT_ACCT}:root"})), ADMIN),
            make_role(f"arn:aws:iam::{ACCT}:role/stacksets-exec-0123456789abcdef",
                      trust(allow({"AWS": ORG_ADMIN_SLR})), ADMIN),
            make_role(f"arn:aws:iam::{ACCT}:role/AWSCloudFormationStackSetExecutionRole",
                      trust(allow({"AWS": MGMT_ACCT})), ADMIN))


def _with_org(roles: tuple[Role, ...], management: str, members: tuple[str, ...]) -> list[Finding]:
    from trustgraph.model import OrgAccount, Organization

    snap = snapshot(*roles)
    snap.organization = Organization("o-abc123", management, accounts={a: OrgAccount(a) for a in members})
    return find(snap, build_graph(snap))


def test_tg302_management_account_patterns_without_organization_data_reported_once_as_such():
    findings = run(roles=_management_roles())
    for role in _management_roles():
        mine = [f for f in findings if f.role == role.arn]
        assert [(f.rule, f.severity) for f in mine] == [("TG302", Severity.LOW)], [f.message for f in mine]
        assert "AWS-designed pattern" in mine[0].message and "outside this data set" in mine[0].message
        assert "neither in the organization" not in mine[0].message


def test_tg302_management_patterns_with_organization_data_are_inside_or_plainly_outside():
    assert not {"TG302", "TG401"} & rules(_with_org(_management_roles(), MGMT_ACCT, (ACCT, MGMT_ACCT)))
    outside = _with_org(_management_roles(), "123412341234", (ACCT, "123412341234"))
    tg302 = [f for f in outside if f.rule == "TG302"]
    assert len(tg302) == 3 and all("yet 072528804237 is not in it" in f.message for f in tg302)
    assert "TG401" in rules(outside)


def test_tg302_ordinary_outside_trust_without_organization_data_says_outside_this_data_set():
    target = make_role(f"arn:aws:iam::{ACCT}:role/Admin", trust(allow({"AWS": f"arn:aws:iam::{UNKNOWN}:root"})), ADMIN)
    findings = run(roles=(target,))
    f = only(findings, "TG302")
    assert f.severity is Severity.HIGH and "outside this data set (no organization data was given)" in f.message
    assert "outside this data set" in only(findings, "TG401").message


def test_tg303_account_wide_trust_flagged():
    other = make_role(f"arn:aws:iam::{UNKNOWN}:role/Other", trust(allow({"Service": "ec2.amazonaws.com"})))
    findings = run(trust(allow({"AWS": f"arn:aws:iam::{UNKNOWN}:root"})), roles=(other,))
    assert only(findings, "TG303").severity is Severity.LOW


def test_tg303_account_trust_narrowed_by_principal_arn_not_flagged():
    findings = run(trust(allow({"AWS": f"arn:aws:iam::{ACCT}:root"},
                               condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/ci/*"}})))
    assert "TG303" not in rules(findings)


def test_tg304_deleted_principal_flagged():
    assert "TG304" in rules(run(trust(allow({"AWS": "AROAABCDEFGHIJKLMNOPQ"}))))


def test_tg304_unique_id_of_live_role_not_flagged():
    live = make_role(f"arn:aws:iam::{ACCT}:role/Live", trust(allow({"Service": "ec2.amazonaws.com"})),
                     unique_id="AROAABCDEFGHIJKLMNOPQ")
    assert "TG304" not in rules(run(trust(allow({"AWS": "AROAABCDEFGHIJKLMNOPQ"})), roles=(live,)))


def test_tg305_confused_deputy_service_without_source_flagged():
    f = only(run(trust(allow({"Service": "transfer.amazonaws.com"}))), "TG305")
    assert f.fixed_statement["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCT


def test_tg305_service_with_source_account_or_passrole_service_not_flagged():
    assert run(trust(allow({"Service": "transfer.amazonaws.com"},
                           condition={"StringEquals": {"aws:SourceAccount": ACCT}}))) == []
    assert run(trust(allow({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}))) == []


# -- sensitive roles -------------------------------------------------------------------------------------
def _chain(target_trusts: str) -> tuple[tuple[Role, ...], tuple[User, ...]]:
    user = make_user(f"arn:aws:iam::{ACCT}:user/dev", ASSUME_ANY)
    r1 = make_role(f"arn:aws:iam::{ACCT}:role/Hop1", trust(allow({"AWS": user.arn})), ASSUME_ANY)
    r2 = make_role(f"arn:aws:iam::{ACCT}:role/Hop2", trust(allow({"AWS": r1.arn})), ASSUME_ANY)
    target = make_role(ROLE, trust(allow({"AWS": target_trusts})), ADMIN)
    return (r1, r2, target), (user,)


def test_tg401_sensitive_role_reachable_from_outside_flagged():
    target = make_role(ROLE, trust(allow({"AWS": f"arn:aws:iam::{UNKNOWN}:root"})), ADMIN)
    f = only(run(roles=(target,)), "TG401")
    assert f.severity is Severity.HIGH and f.principal == f"arn:aws:iam::{UNKNOWN}:root"


def test_tg401_sensitive_role_reachable_only_inside_not_flagged():
    roles, users = _chain(f"arn:aws:iam::{ACCT}:role/Hop1")
    assert "TG401" not in rules(run(roles=roles, users=users))


def test_tg402_sensitive_role_with_many_reachers_flagged():
    users = tuple(make_user(f"arn:aws:iam::{ACCT}:user/u{i}") for i in range(4))
    target = make_role(ROLE, trust(allow({"AWS": [u.arn for u in users]})), ADMIN)
    f = only(run(roles=(target,), users=users, many_reachers=4), "TG402")
    assert f.evidence["reacher_count"] == 4


def test_tg402_sensitive_role_with_few_reachers_not_flagged():
    users = tuple(make_user(f"arn:aws:iam::{ACCT}:user/u{i}") for i in range(3))
    target = make_role(ROLE, trust(allow({"AWS": [u.arn for u in users]})), ADMIN)
    assert "TG402" not in rules(run(roles=(target,), users=users, many_reachers=4))


def test_tg402_counts_principals_not_aws_services():
    services = [f"{name}.amazonaws.com" for name in ("ec2", "lambda", "ecs-tasks", "glue", "sagemaker")]
    users = tuple(make_user(f"arn:aws:iam::{ACCT}:user/u{i}") for i in range(3))
    target = make_role(ROLE, trust(allow({"Service": services, "AWS": [u.arn for u in users]})), ADMIN)
    assert "TG402" not in rules(run(roles=(target,), users=users, many_reachers=4))  # 3 principals, 5 services
    more = (*users, make_user(f"arn:aws:iam::{ACCT}:user/u3"))
    target = make_role(ROLE, trust(allow({"Service": services, "AWS": [u.arn for u in more]})), ADMIN)
    f = only(run(roles=(target,), users=more, many_reachers=4), "TG402")
    assert f.evidence["reacher_count"] == 4 and f.evidence["services"] == 5
    assert "reachable by 4 principals (4 user)" in f.message and "AWS services reaching it as well: 5" in f.message


def test_tg403_sensitive_role_reachable_through_three_hops_flagged():
    roles, users = _chain(f"arn:aws:iam::{ACCT}:role/Hop2")
    f = only(run(roles=roles, users=users), "TG403")
    assert f.principal == f"arn:aws:iam::{ACCT}:user/dev" and f.severity is Severity.HIGH
    assert f.evidence["chains"][0]["hops"] == 3


def test_tg403_sensitive_role_two_hops_not_flagged():
    roles, users = _chain(f"arn:aws:iam::{ACCT}:role/Hop1")
    assert "TG403" not in rules(run(roles=roles, users=users))


def test_tg403_not_flagged_for_a_role_that_is_not_sensitive():
    roles, users = _chain(f"arn:aws:iam::{ACCT}:role/Hop2")
    target = roles[-1]
    target.inline_policies = [InlinePolicy("p", doc(ASSUME_ANY))]
    assert "TG403" not in rules(run(roles=roles, users=users))


# -- hygiene ----------------------------------------------------------------------------------------------
def test_tg501_partial_wildcard_principal_flagged():
    assert "TG501" in rules(run(trust(allow({"AWS": f"arn:aws:iam::{ACCT}:role/ci-*"}))))


def test_tg501_statement_expired_at_the_data_time_flagged():
    from datetime import UTC, datetime

    expiring = trust(allow({"AWS": f"arn:aws:iam::{ACCT}:role/ci"}, condition={
        "DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}}))
    snap = snapshot(make_role(ROLE, expiring))
    after = find(snap, build_graph(snap, data_time=datetime(2025, 6, 1, tzinfo=UTC)))
    assert "does not hold at the data time 2025-06-01T00:00:00Z" in only(after, "TG501").message
    before = find(snap, build_graph(snap, data_time=datetime(2024, 6, 1, tzinfo=UTC)))
    assert "TG501" not in rules(before)


def test_tg501_valid_principal_not_flagged():
    assert "TG501" not in rules(run(trust(allow({"AWS": f"arn:aws:iam::{ACCT}:role/ci"}))))


# -- sensitivity detection ---------------------------------------------------------------------------------
def _sens(policy: dict[str, Any] | None, **kw: Any):  # type: ignore[no-untyped-def]
    role = make_role(ROLE, trust(allow({"Service": "ec2.amazonaws.com"})), policy, **kw)
    return classify_role(role, snapshot(role), kw.pop("patterns", ()))


def test_sensitivity_admin_and_privilege_escalation_detected():
    assert _sens(ADMIN).admin_equivalent
    put = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Put*", "Resource": "*"}]}
    assert "privilege escalation" in _sens(put).summary
    passrole = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction"], "Resource": "*"}]}
    assert _sens(passrole).admin_equivalent


def test_sensitivity_not_for_compute_without_passrole_or_code_on_existing_roles():
    sandbox = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:Invoke*", "ec2:Describe*", "s3:*",
                                       "ssm:GetParameter*", "cloudformation:Describe*"], "Resource": "*"}]}
    assert _sens(sandbox) is None


def _policy(*actions: str, resource: str = "*", condition: dict | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Action": list(actions), "Resource": resource}
    if condition:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


@pytest.mark.parametrize(("actions", "whose"), [
    (("lambda:UpdateFunctionCode",), "the role of any existing Lambda function"),
    (("ssm:SendCommand",), "the instance profile role of any managed EC2 instance"),
    (("ssm:StartSession",), "the instance profile role of any managed EC2 instance"),
    (("ec2-instance-connect:SendSSHPublicKey",), "the instance profile role of any EC2 instance"),
    (("glue:UpdateDevEndpoint",), "the role of any existing Glue development endpoint"),
    (("cloudformation:UpdateStack",), "the service role of any existing CloudFormation stack"),
    (("codebuild:UpdateProject", "codebuild:StartBuild"), "the service role of any existing CodeBuild project"),
    (("sagemaker:CreatePresignedNotebookInstanceUrl",), "the role of any existing SageMaker notebook instance"),
])
def test_sensitivity_running_code_as_a_role_an_existing_resource_uses_is_admin_equivalent(actions, whose):
    found = _sens(_policy(*actions))
    assert found is not None and found.admin_equivalent
    assert f"runs code as {whose}" in found.summary and " + ".join(actions) in found.summary
    if len(actions) > 1:
        assert _sens(_policy(actions[0])) is None  # CodeBuild: updating a project without starting a build


def test_sensitivity_poweruser_runs_code_as_other_roles():
    poweruser = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}]}
    assert "runs code as the role of any existing Lambda function" in _sens(poweruser).summary


def test_sensitivity_passrole_to_sagemaker_processing_jobs():
    assert "sagemaker:CreateProcessingJob" in _sens(_policy("iam:PassRole", "sagemaker:CreateProcessingJob")).summary


def test_sensitivity_escalation_limited_by_a_resource_pattern_that_covers_its_own_policy():
    own = f"arn:aws:iam::{ACCT}:policy/team-deploy"
    pattern = _policy("iam:CreatePolicyVersion", resource="arn:aws:iam::*:policy/team-*")
    role = make_role(ROLE, trust(allow({"Service": "ec2.amazonaws.com"})))
    role.attached_policy_arns = [own]
    managed = ManagedPolicy(own, "team-deploy", doc(pattern))
    found = classify_role(role, snapshot(role, managed=(managed,)))
    assert found is not None and "iam:CreatePolicyVersion (managed policy team-deploy)" in found.summary
    aws_only = _policy("iam:CreatePolicyVersion", resource="arn:aws:iam::aws:policy/team-*")  # AWS-managed: read-only
    role.attached_policy_arns = [own]
    managed = ManagedPolicy(own, "team-deploy", doc(aws_only))
    assert classify_role(role, snapshot(role, managed=(managed,))) is None
    on_itself = _policy("iam:PutRolePolicy", resource=ROLE)
    assert "iam:PutRolePolicy" in _sens(on_itself).summary
    on_another = _policy("iam:PutRolePolicy", resource=f"arn:aws:iam::{ACCT}:role/Another")
    assert _sens(on_another) is None


def test_sensitivity_a_condition_that_can_never_hold_is_not_counted():
    from datetime import UTC, datetime

    now = datetime(2025, 6, 1, tzinfo=UTC).timestamp()

    def sens(condition: dict[str, Any]):  # type: ignore[no-untyped-def]
        role = make_role(ROLE, trust(allow({"Service": "ec2.amazonaws.com"})),
                         _policy("iam:CreatePolicyVersion", condition=condition))
        return classify_role(role, snapshot(role), data_time=now)

    assert sens({"DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}) is None  # no session is that old
    assert sens({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}).admin_equivalent
    assert sens({"StringEquals": {"aws:PrincipalTag/team": "blue"}}) is None  # the role has no such tag
    assert "(with conditions)" in sens({"Bool": {"aws:MultiFactorAuthPresent": "true"}}).summary
    denied = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*", "Condition": {
            "DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}}]}
    role = make_role(ROLE, trust(allow({"Service": "ec2.amazonaws.com"})), denied)
    assert classify_role(role, snapshot(role), data_time=now) is None


def test_sensitivity_attached_administrator_access_without_document_counts():
    role = make_role(ROLE, trust(allow({"Service": "ec2.amazonaws.com"})))
    role.attached_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
    assert classify_role(role, snapshot(role)).admin_equivalent


def test_sensitivity_tag_and_pattern_and_opt_out():
    assert "tagged" in _sens(None, tags={"trustgraph:sensitive": "true"}).summary
    assert _sens(ADMIN, tags={"trustgraph:sensitive": "false"}) is None
    role = make_role(ROLE, trust(allow({"Service": "ec2.amazonaws.com"})))
    assert classify_role(role, snapshot(role), ["arn:aws:iam::*:role/Tar*"]) is not None
    assert classify_role(role, snapshot(role), ["*Admin*"]) is None


def test_tg401_outside_reachers_past_ten_are_counted_in_one_finding() -> None:
    a = Account(A)
    outsiders = [f"arn:aws:iam::{400000000000 + i}:root" for i in range(13)]
    a.role("Crown", trust_of(outsiders), tags={"trustgraph:sensitive": "true"})
    snap, _ = load(a)
    found = [f for f in find(snap, build_graph(snap)) if f.rule == "TG401"]
    one_by_one = [f for f in found if f.principal]
    summary = [f for f in found if not f.principal]
    assert len(one_by_one) == 10 and len(summary) == 1
    assert summary[0].evidence["more_reachers"] == 3
    assert {f.principal for f in one_by_one} | {r["principal"] for r in summary[0].evidence["reachers"]} == \
        set(outsiders)


def test_tg401_ten_outside_reachers_are_reported_one_by_one() -> None:
    a = Account(A)
    outsiders = [f"arn:aws:iam::{400000000000 + i}:root" for i in range(10)]
    a.role("Crown", trust_of(outsiders), tags={"trustgraph:sensitive": "true"})
    snap, _ = load(a)
    found = [f for f in find(snap, build_graph(snap)) if f.rule == "TG401"]
    assert sorted(f.principal for f in found) == sorted(outsiders)
