"""`trustgraph collect` against moto (mock_aws, in process): files, organization.json, manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_fakes import (
    CALLER_SECRET,
    MANAGEMENT_ACCOUNT,
    NO_INVENTORY,
    ONE_REGION,
    OrgFixture,
    build_organization,
    no_retry_wait,
    set_fake_credentials,
)
from click.testing import CliRunner, Result
from moto import mock_aws

from trustgraph import __version__
from trustgraph.cli import collect_cmd, main

GAAD_KEYS = ["UserDetailList", "GroupDetailList", "RoleDetailList", "Policies", "IsTruncated"]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    set_fake_credentials(monkeypatch, tmp_path)
    no_retry_wait(monkeypatch)
    monkeypatch.setattr(collect_cmd, "client_hook", None)
    with mock_aws():
        yield


@pytest.fixture
def org(aws: Any) -> OrgFixture:
    return build_organization()


def collect(*args: str, inventory: bool = False) -> Result:
    return CliRunner().invoke(main, ["collect", *(ONE_REGION if inventory else NO_INVENTORY), *args],
                              catch_exceptions=False)


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_org_snapshot_has_one_gaad_file_per_account(org: OrgFixture, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    result = collect("--org", "-o", str(out), "--json", inventory=True)  # the inventory is on by default
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""

    files = {p.name for p in out.iterdir()}
    assert files == {f"{a}.json" for a in org.all_accounts} | {"organization.json", "identity-center.json",
                                                              "manifest.json", "inventory"}
    assert {p.name for p in (out / "inventory").iterdir()} == {f"{a}.json" for a in org.all_accounts}
    for account in org.all_accounts:  # assumed-role credentials reach every regional service
        coverage = read(out / "inventory" / f"{account}.json")["coverage"]
        assert {c["status"] for c in coverage} == {"ok"} and len(coverage) == 8
    for account in org.all_accounts:
        gaad = read(out / f"{account}.json")
        assert list(gaad) == GAAD_KEYS  # exactly what `aws iam get-account-authorization-details` prints
        assert gaad["IsTruncated"] is False
        for role in gaad["RoleDetailList"]:
            assert role["Arn"].startswith(f"arn:aws:iam::{account}:role/")
            assert isinstance(role["CreateDate"], str) and "T" in role["CreateDate"]  # ISO-8601
            assert isinstance(role["AssumeRolePolicyDocument"], dict)

    bravo = read(out / f"{org.members['bravo']}.json")
    target = next(r for r in bravo["RoleDetailList"] if r["RoleName"] == "Target")
    assert target["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": f"arn:aws:iam::{org.members['alpha']}:root"}
    [policy] = bravo["Policies"]
    # moto omits PolicyName in Policies; it is derived from the ARN's last path segment.
    assert policy["PolicyName"] == "ReadThings"
    assert policy["Arn"] == f"arn:aws:iam::{org.members['bravo']}:policy/team/ReadThings"
    assert policy["Path"] == "/team/"
    assert [g["GroupName"] for g in bravo["GroupDetailList"]] == ["admins"]

    alpha = read(out / f"{org.members['alpha']}.json")
    deployer = next(r for r in alpha["RoleDetailList"] if r["RoleName"] == "Deployer")
    assert deployer["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Resource"] == org.target_role_arn
    assert [u["UserName"] for u in alpha["UserDetailList"]] == ["ci"]


def test_organization_json_follows_the_documented_schema(org: OrgFixture, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    assert collect("--org", "-o", str(out)).exit_code == 0
    doc = read(out / "organization.json")

    assert doc["schema"] == "trustgraph/organization/v1"
    assert doc["organization"]["id"] == org.org_id
    assert doc["organization"]["management_account_id"] == MANAGEMENT_ACCOUNT
    assert doc["organization"]["arn"].endswith(f"/{org.org_id}")
    assert doc["roots"] == [{"id": org.root_id, "name": "Root"}]
    assert sorted(doc["organizational_units"], key=lambda ou: ou["name"]) == [
        {"id": org.prod_ou, "name": "Prod", "parent_id": org.workloads_ou},
        {"id": org.workloads_ou, "name": "Workloads", "parent_id": org.root_id},
    ]

    accounts = {a["id"]: a for a in doc["accounts"]}
    assert set(accounts) == org.all_accounts
    alpha = accounts[org.members["alpha"]]
    assert alpha == {"id": org.members["alpha"], "name": "alpha", "email": "aws+alpha@example.com",
                     "status": "ACTIVE", "parent_id": org.prod_ou,
                     "ou_path": f"{org.org_id}/{org.root_id}/{org.workloads_ou}/{org.prod_ou}/"}
    assert accounts[org.members["bravo"]]["ou_path"] == f"{org.org_id}/{org.root_id}/{org.workloads_ou}/"
    assert accounts[org.members["charlie"]]["ou_path"] == f"{org.org_id}/{org.root_id}/"
    assert accounts[org.members["charlie"]]["parent_id"] == org.root_id

    policies = {p["name"]: p for p in doc["policies"]}
    assert {"FullAWSAccess", "RCPFullAWSAccess", "DenyLeaveOrg", "OnlyOrgCallers"} <= set(policies)
    scp = policies["DenyLeaveOrg"]
    assert scp["id"] == org.scp_id
    assert scp["type"] == "SERVICE_CONTROL_POLICY"
    assert scp["aws_managed"] is False
    assert scp["description"] == "members stay"
    # Content arrives as a JSON string from DescribePolicy and is stored parsed.
    assert scp["content"] == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}
    assert scp["targets"] == [org.workloads_ou]
    rcp = policies["OnlyOrgCallers"]
    assert rcp["type"] == "RESOURCE_CONTROL_POLICY"
    assert rcp["targets"] == [org.members["bravo"]]
    assert rcp["content"]["Statement"][0]["Condition"] == {
        "StringNotEqualsIfExists": {"aws:PrincipalOrgID": org.org_id}}
    assert policies["FullAWSAccess"]["aws_managed"] is True
    assert org.root_id in policies["FullAWSAccess"]["targets"]


def test_manifest_records_caller_version_and_counts(org: OrgFixture, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    result = collect("--org", "-o", str(out), "--json")
    manifest = read(out / "manifest.json")
    assert json.loads(result.stdout) == manifest  # --json prints the manifest

    assert manifest["schema"] == "trustgraph/manifest/v1"
    assert manifest["trustgraph_version"] == __version__
    assert manifest["caller_arn"] == f"arn:aws:sts::{MANAGEMENT_ACCOUNT}:user/moto"
    assert manifest["mode"] == "organization"
    assert manifest["partial"] is False and manifest["snapshot_written"] is True
    assert manifest["summary"] == {"ok": 4, "failed": 0, "skipped": 0, "inventory_incomplete": 0}
    assert manifest["started_at"] <= manifest["finished_at"]

    records = {a["account_id"]: a for a in manifest["accounts"]}
    assert records[MANAGEMENT_ACCOUNT]["credentials"] == "caller"  # own credentials, no assume
    assert "role_arn" not in records[MANAGEMENT_ACCOUNT]
    bravo = records[org.members["bravo"]]
    assert bravo["status"] == "ok" and bravo["credentials"] == "assumed-role"
    assert bravo["role_arn"] == f"arn:aws:iam::{org.members['bravo']}:role/OrganizationAccountAccessRole"
    assert bravo["file"] == f"{org.members['bravo']}.json"
    # Target + the OrganizationAccountAccessRole moto creates with the account.
    assert bravo["counts"] == {"users": 0, "roles": 2, "groups": 1, "policies": 1}
    assert records[org.members["charlie"]]["counts"]["users"] == 2
    assert manifest["organization"]["status"] == "ok"
    assert manifest["organization"]["accounts"] == 4
    assert manifest["organization"]["organizational_units"] == 2


def test_credentials_never_reach_files_or_output(org: OrgFixture, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    result = collect("--org", "-o", str(out), "--json", "--external-id", "ext-1234")
    assert result.exit_code == 0
    texts = [result.stdout, result.stderr] + [p.read_text() for p in out.iterdir()]
    for text in texts:
        assert CALLER_SECRET not in text
        assert "SecretAccessKey" not in text and "SessionToken" not in text
        assert "ext-1234" not in text  # recorded only as external_id_used
    assert read(out / "manifest.json")["external_id_used"] is True


def test_without_org_collects_only_the_callers_account(aws: Any, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    result = collect("-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # not a TTY: quiet
    assert sorted(p.name for p in out.iterdir()) == [f"{MANAGEMENT_ACCOUNT}.json", "manifest.json"]
    manifest = read(out / "manifest.json")
    assert manifest["mode"] == "caller-account"
    assert manifest["organization"] is None
    assert manifest["role_name"] is None


def test_accounts_and_exclude_filter_the_organization(org: OrgFixture, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    alpha, bravo, charlie = (org.members[n] for n in ("alpha", "bravo", "charlie"))
    result = collect("--org", "-o", str(out), "--accounts", f"{alpha},{bravo},{charlie}",
                     "--exclude", charlie)
    assert result.exit_code == 0, result.stderr
    manifest = read(out / "manifest.json")
    assert {a["account_id"] for a in manifest["accounts"]} == {alpha, bravo}
    # organization.json still describes the whole organization.
    assert {a["id"] for a in read(out / "organization.json")["accounts"]} == org.all_accounts


def test_accounts_without_org_assume_the_role_in_each(org: OrgFixture, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    alpha = org.members["alpha"]
    result = collect("-o", str(out), "--accounts", f"{alpha},{MANAGEMENT_ACCOUNT}", "--concurrency", "1")
    assert result.exit_code == 0, result.stderr
    manifest = read(out / "manifest.json")
    assert manifest["mode"] == "accounts"
    via = {a["account_id"]: a["credentials"] for a in manifest["accounts"]}
    assert via == {alpha: "assumed-role", MANAGEMENT_ACCOUNT: "caller"}
    assert not (out / "organization.json").exists()


def test_account_outside_the_organization_is_a_failure(org: OrgFixture, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    result = collect("--org", "-o", str(out), "--accounts", f"{org.members['alpha']},999999999999")
    assert result.exit_code == 3
    [failed] = read(out / "manifest.json")["accounts"][1:]
    assert failed == {"account_id": "999999999999", "status": "failed", "credentials": "assumed-role",
                      "reason_code": "not-in-organization", "reason": "not a member of the organization"}
    assert "error: account 999999999999: not a member of the organization" in result.stderr


@pytest.mark.parametrize("bad", ["12345", "abc", ","])
def test_bad_account_ids_are_a_usage_error(aws: Any, tmp_path: Path, bad: str) -> None:
    result = CliRunner().invoke(main, ["collect", "-o", str(tmp_path / "s"), "--accounts", bad])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not (tmp_path / "s").exists()


def test_org_flag_outside_an_organization_is_one_line(aws: Any, tmp_path: Path) -> None:
    result = collect("--org", "-o", str(tmp_path / "s"))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: cannot read the organization: the caller's account is not in an organization"]
    assert not (tmp_path / "s").exists()
    assert not any(p.name.startswith(".s.") for p in tmp_path.iterdir())  # staging directory removed


def test_collected_snapshot_finds_the_cross_account_path(org: OrgFixture, tmp_path: Path) -> None:
    """Contract with the core: who-can-reach over a collected snapshot finds alpha:Deployer → bravo:Target."""
    out = tmp_path / "snap"
    assert collect("--org", "-o", str(out)).exit_code == 0

    result = CliRunner().invoke(main, ["who-can-reach", org.target_role_arn, "--input", str(out), "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["target"] == org.target_role_arn
    reachers = {r["principal"]: r for r in answer["reachers"]}
    assert org.source_role_arn in reachers, sorted(reachers)
    deployer = reachers[org.source_role_arn]
    assert deployer["path"] == [org.source_role_arn, org.target_role_arn]
    assert deployer["hops"] == 1
    assert deployer["conditional"] is False
    assert isinstance(deployer["kind"], str) and isinstance(deployer["conditions"], list)


def test_single_account_snapshot_loads_without_errors(aws: Any, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    assert collect("-o", str(out)).exit_code == 0
    result = CliRunner().invoke(main, ["who-can-reach", f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:role/Any",
                                       "--input", str(out), "--json"])
    assert "manifest.json" not in result.stderr


def test_only_read_only_calls_and_assume_role(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: set[str] = set()

    def hook(client: Any, _account: str | None) -> None:
        service = client.meta.service_model.service_name
        client.meta.events.register("before-call", lambda model, **_: calls.add(f"{service}:{model.name}"))

    monkeypatch.setattr(collect_cmd, "client_hook", hook)
    assert collect("--org", "-o", str(tmp_path / "snap")).exit_code == 0
    assert "sts:AssumeRole" in calls and "iam:GetAccountAuthorizationDetails" in calls
    assert {c for c in calls if c != "sts:AssumeRole" and not c.split(":")[1].startswith(
        ("Get", "List", "Describe"))} == set()
