"""Organizations in the analysis (SEMANTICS §4.1, §5.2): SCPs, RCPs, org condition keys, classification."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from trustgraph.analysis.reachability import who_can_reach
from trustgraph.graph.build import build_graph
from trustgraph.graph.classification import annotate
from trustgraph.sources.files import load_inputs
from trustgraph.sources.known_accounts import AccountsFileError, load_account_names, load_known_accounts

MGMT, SEC, PROD, DEV, VENDOR, STRANGER = "111111111111", "222222222222", "333333333333", "444444444444", \
    "464622532012", "999999999999"
ORG = "o-testorg1234"
ALLOW_ASSUME = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Resource": "*"}]}


def trust(principal: Any, condition: dict | None = None) -> dict:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


def role(account: str, name: str, trust_doc: dict, policy: dict | None = None, path: str = "/") -> dict:
    return {"RoleName": name, "Path": path, "Arn": f"arn:aws:iam::{account}:role{path}{name}",
            "RoleId": f"AROA{account}{name.upper():<5}"[:21], "AssumeRolePolicyDocument": trust_doc,
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": policy}] if policy else [],
            "AttachedManagedPolicies": []}


def user(account: str, name: str, policy: dict | None = ALLOW_ASSUME) -> dict:
    return {"UserName": name, "Path": "/", "Arn": f"arn:aws:iam::{account}:user/{name}", "UserId": f"AIDA{name}",
            "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": policy}] if policy else [],
            "AttachedManagedPolicies": [], "GroupList": []}


def scp(name: str, statements: list[dict], targets: list[str], kind: str = "SERVICE_CONTROL_POLICY") -> dict:
    return {"id": f"p-{name.lower()}", "name": name, "type": kind, "targets": targets,
            "content": {"Version": "2012-10-17", "Statement": statements}}


FULL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def organization(policies: list[dict]) -> dict:
    return {
        "schema": "trustgraph/organization/v1",
        "organization": {"id": ORG, "management_account_id": MGMT},
        "roots": [{"id": "r-root", "name": "Root"}],
        "organizational_units": [{"id": "ou-root-sec", "name": "Security", "parent_id": "r-root"},
                                 {"id": "ou-root-work", "name": "Workloads", "parent_id": "r-root"}],
        "accounts": [{"id": MGMT, "name": "mgmt", "parent_id": "r-root"},
                     {"id": SEC, "name": "security", "parent_id": "ou-root-sec"},
                     {"id": PROD, "name": "prod", "parent_id": "ou-root-work"},
                     {"id": DEV, "name": "dev", "parent_id": "ou-root-work"}],
        "policies": policies,
    }


def graph_of(tmp_path: Path, accounts: dict[str, dict], org: dict | None = None) -> nx.DiGraph:
    for account, entities in accounts.items():
        doc = {"UserDetailList": entities.get("users", []), "RoleDetailList": entities.get("roles", []),
               "GroupDetailList": [], "Policies": [], "IsTruncated": False}
        (tmp_path / f"{account}.json").write_text(json.dumps(doc))
    if org is not None:
        (tmp_path / "organization.json").write_text(json.dumps(org))
    snapshot, report = load_inputs([tmp_path])
    assert not [d for d in report.diagnostics if d.level == "error"], report.diagnostics
    return build_graph(snapshot)


def reachers(graph: nx.DiGraph, target: str) -> dict[str, Any]:
    return {r.principal: r for r in who_can_reach(graph, target).reachers}


TARGET = f"arn:aws:iam::{PROD}:role/Deploy"
DEV_USER = f"arn:aws:iam::{DEV}:user/dana"
MGMT_USER = f"arn:aws:iam::{MGMT}:user/root-admin"


def cross_account_data() -> dict[str, dict]:
    return {PROD: {"roles": [role(PROD, "Deploy", trust({"AWS": [f"arn:aws:iam::{DEV}:root",
                                                                   f"arn:aws:iam::{MGMT}:root"]}))]},
            DEV: {"users": [user(DEV, "dana")]},
            MGMT: {"users": [user(MGMT, "root-admin")]}}


DENY_ASSUME = {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}


def test_rule_scp_deny_removes_cross_account_path(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert DEV_USER in reachers(graph_of(tmp_path / "a", cross_account_data()), TARGET)
    org = organization([scp("FullAWSAccess", [FULL], ["r-root", "ou-root-work", DEV, PROD, MGMT, SEC]),
                        scp("DenyAssume", [DENY_ASSUME], ["ou-root-work"])])
    after = reachers(graph_of(tmp_path / "b", cross_account_data(), org), TARGET)
    assert DEV_USER not in after


def test_rule_scp_never_applies_to_the_management_account(tmp_path: Path) -> None:
    org = organization([scp("FullAWSAccess", [FULL], ["r-root"]), scp("DenyAssume", [DENY_ASSUME], ["r-root"])])
    result = reachers(graph_of(tmp_path, cross_account_data(), org), TARGET)
    assert MGMT_USER in result and DEV_USER not in result


def test_rule_scp_needs_an_allow_at_every_level(tmp_path: Path) -> None:
    # Workloads OU only allows s3: no Allow for sts:AssumeRole on the path root → OU → account.
    s3_only = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    org = organization([scp("FullAWSAccess", [FULL], ["r-root", DEV]), scp("S3Only", [s3_only], ["ou-root-work"])])
    assert DEV_USER not in reachers(graph_of(tmp_path, cross_account_data(), org), TARGET)


def test_rule_scp_does_not_limit_callers_outside_the_org(tmp_path: Path) -> None:
    data = {PROD: {"roles": [role(PROD, "Deploy", trust({"AWS": f"arn:aws:iam::{STRANGER}:root"}))]}}
    org = organization([scp("FullAWSAccess", [FULL], ["r-root"]), scp("DenyAssume", [DENY_ASSUME], ["r-root"])])
    assert f"arn:aws:iam::{STRANGER}:root" in reachers(graph_of(tmp_path, data, org), TARGET)


def test_rule_scp_never_applies_to_service_linked_roles(tmp_path: Path) -> None:
    slr = role(DEV, "AWSServiceRoleForX", trust({"Service": "x.amazonaws.com"}), ALLOW_ASSUME,
               path="/aws-service-role/x.amazonaws.com/")
    data = {PROD: {"roles": [role(PROD, "Deploy", trust({"AWS": f"arn:aws:iam::{DEV}:root"}))]},
            DEV: {"roles": [slr]}}
    org = organization([scp("FullAWSAccess", [FULL], ["r-root"]), scp("DenyAssume", [DENY_ASSUME], ["r-root"])])
    assert slr["Arn"] in reachers(graph_of(tmp_path, data, org), TARGET)


def rcp_deny_outside() -> dict:
    return scp("DenyOutside", [{
        "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG},
                      "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}],
        ["r-root"], kind="RESOURCE_CONTROL_POLICY")


def vendor_data() -> dict[str, dict]:
    vendor_trust = trust({"AWS": f"arn:aws:iam::{VENDOR}:root"}, {"StringEquals": {"sts:ExternalId": "x-123"}})
    return {PROD: {"roles": [role(PROD, "Deploy", vendor_trust)]},
            MGMT: {"roles": [role(MGMT, "Deploy", vendor_trust)]}}


def test_rule_rcp_denying_outside_callers_removes_vendor_path(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert f"arn:aws:iam::{VENDOR}:root" in reachers(graph_of(tmp_path / "a", vendor_data()), TARGET)
    graph = graph_of(tmp_path / "b", vendor_data(), organization([rcp_deny_outside()]))
    assert reachers(graph, TARGET) == {}


def test_rule_rcp_never_applies_to_the_management_account(tmp_path: Path) -> None:
    graph = graph_of(tmp_path, vendor_data(), organization([rcp_deny_outside()]))
    assert f"arn:aws:iam::{VENDOR}:root" in reachers(graph, f"arn:aws:iam::{MGMT}:role/Deploy")


def test_rule_rcp_exempting_services_keeps_service_edges(tmp_path: Path) -> None:
    data = {PROD: {"roles": [role(PROD, "Deploy", trust({"Service": "lambda.amazonaws.com"}))]}}
    graph = graph_of(tmp_path, data, organization([rcp_deny_outside()]))
    assert "lambda.amazonaws.com" in reachers(graph, TARGET)


def test_rule_star_with_principal_org_id_gives_edges_for_members_only(tmp_path: Path) -> None:
    org_trust = trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": ORG}})
    data = {PROD: {"roles": [role(PROD, "Deploy", org_trust)]}, DEV: {"users": [user(DEV, "dana")]},
            STRANGER: {"users": [user(STRANGER, "mallory")]}}
    result = reachers(graph_of(tmp_path, data, organization([])), TARGET)
    assert DEV_USER in result and result[DEV_USER].conditional is False
    assert f"arn:aws:iam::{STRANGER}:user/mallory" not in result
    assert "*" not in result


def test_rule_principal_org_id_without_org_data_stays_conditional(tmp_path: Path) -> None:
    org_trust = trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": ORG}})
    data = {PROD: {"roles": [role(PROD, "Deploy", org_trust)]}, DEV: {"users": [user(DEV, "dana")]}}
    result = reachers(graph_of(tmp_path, data), TARGET)
    assert result[DEV_USER].conditional and result[DEV_USER].conditions == ["aws:PrincipalOrgID"]
    assert result["*"].conditional


def test_rule_principal_org_paths_resolved_from_ou_tree(tmp_path: Path) -> None:
    security_ou = f"{ORG}/r-root/ou-root-sec/*"
    paths_trust = trust({"AWS": "*"}, {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": security_ou}})
    data = {PROD: {"roles": [role(PROD, "Deploy", paths_trust)]}, DEV: {"users": [user(DEV, "dana")]},
            SEC: {"users": [user(SEC, "sam")]}}
    result = reachers(graph_of(tmp_path, data, organization([])), TARGET)
    assert f"arn:aws:iam::{SEC}:user/sam" in result and DEV_USER not in result


def test_rule_principal_account_condition_resolved(tmp_path: Path) -> None:
    acct_trust = trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalAccount": SEC}})
    data = {PROD: {"roles": [role(PROD, "Deploy", acct_trust)]}, DEV: {"users": [user(DEV, "dana")]},
            SEC: {"users": [user(SEC, "sam")]}}
    result = reachers(graph_of(tmp_path, data), TARGET)
    assert f"arn:aws:iam::{SEC}:user/sam" in result and DEV_USER not in result
    assert not result[f"arn:aws:iam::{SEC}:user/sam"].conditional


def test_classification_of_every_kind(tmp_path: Path) -> None:
    target_trust = trust({"AWS": [f"arn:aws:iam::{PROD}:user/pat", f"arn:aws:iam::{DEV}:root",
                                  f"arn:aws:iam::{VENDOR}:root", f"arn:aws:iam::{STRANGER}:root", "*"],
                          "Service": "ec2.amazonaws.com"})
    data = {PROD: {"roles": [role(PROD, "Deploy", target_trust)], "users": [user(PROD, "pat", None)]},
            DEV: {"users": [user(DEV, "dana")]}}
    graph = graph_of(tmp_path, data, organization([]))
    annotate(graph, vendors={VENDOR: "Datadog"})
    got = {r.principal: (r.classification, r.vendor) for r in who_can_reach(graph, TARGET).reachers}
    assert got[f"arn:aws:iam::{PROD}:user/pat"] == ("same-account", None)
    assert got[DEV_USER] == ("same-org", None)
    assert got[f"arn:aws:iam::{VENDOR}:root"] == ("known-third-party", "Datadog")
    assert got[f"arn:aws:iam::{STRANGER}:root"] == ("external-unknown", None)
    assert got["*"] == ("public", None)
    assert got["ec2.amazonaws.com"] == ("aws-service", None)
    assert graph.edges[f"arn:aws:iam::{VENDOR}:root", TARGET]["classification"] == "known-third-party"
    outside = {r.principal for r in who_can_reach(graph, TARGET, from_outside=True).reachers}
    assert outside == {f"arn:aws:iam::{VENDOR}:root", f"arn:aws:iam::{STRANGER}:root", "*"}


def test_from_outside_without_org_data_means_outside_the_data_set(tmp_path: Path) -> None:
    data = {PROD: {"roles": [role(PROD, "Deploy", trust({"AWS": [f"arn:aws:iam::{DEV}:root",
                                                                  f"arn:aws:iam::{STRANGER}:root"]}))]},
            DEV: {"users": [user(DEV, "dana")]}}
    graph = graph_of(tmp_path, data)
    outside = {r.principal for r in who_can_reach(graph, TARGET, from_outside=True).reachers}
    assert outside == {f"arn:aws:iam::{STRANGER}:root"}


def test_account_names_from_organization_appear_on_reachers(tmp_path: Path) -> None:
    result = reachers(graph_of(tmp_path, cross_account_data(), organization([])), TARGET)
    assert result[DEV_USER].account_name == "dev"
    assert result[DEV_USER].ou_path == f"{ORG}/r-root/ou-root-work/"


def test_known_accounts_file_reads_community_format(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text("- name: 'Datadog'\n  source: ['https://example.com']\n  accounts: ['464622532012']\n"
                    "- name: 'Config'\n  type: 'aws'\n  accounts: ['111122223333', 'not-an-id']\n")
    assert load_known_accounts(path) == {"464622532012": "Datadog", "111122223333": "AWS Config"}
    path.write_text("{not: [valid")
    with pytest.raises(AccountsFileError, match="accounts.yaml"):
        load_known_accounts(path)


def test_accounts_file_in_yaml_and_csv(tmp_path: Path) -> None:
    yml = tmp_path / "names.yaml"
    yml.write_text("012345678901: legacy\n'222222222222': security\n")
    assert load_account_names(yml) == {"012345678901": "legacy", "222222222222": "security"}
    csv_file = tmp_path / "names.csv"
    csv_file.write_text("# id,name\n333333333333,prod\n")
    assert load_account_names(csv_file) == {"333333333333": "prod"}
