"""Faults during `trustgraph collect`: each account fails alone, the manifest says why, exit 3 marks it.

moto's AssumeRole succeeds for any role ARN, so failures are injected with botocore event handlers
through the collector's client hook (collect_cmd.client_hook).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_fakes import (
    MANAGEMENT_ACCOUNT,
    NO_INVENTORY,
    OrgFixture,
    ThrottleGaad,
    collect_with_hook,
    combine,
    deny_assume_role,
    deny_gaad,
    mocked_organization,
    request_param,
    set_fake_credentials,
    short_circuit_error,
)
from click.testing import Result

from trustgraph.sources.aws.session import MAX_ATTEMPTS


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    yield from mocked_organization(monkeypatch, tmp_path)


def collect(monkeypatch: pytest.MonkeyPatch, hook: Any, *args: str) -> Result:
    return collect_with_hook(monkeypatch, hook, *NO_INVENTORY, *args)


def manifest_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text())


def records(out: Path) -> dict[str, dict[str, Any]]:
    return {a["account_id"]: a for a in manifest_of(out)["accounts"]}


def test_role_that_cannot_be_assumed_fails_only_that_account(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bravo = org.members["bravo"]
    out = tmp_path / "snap"
    result = collect(monkeypatch, deny_assume_role(bravo), "--org", "-o", str(out))

    assert result.exit_code == 3
    assert not (out / f"{bravo}.json").exists()
    assert {p.name for p in out.iterdir()} == (
        {f"{a}.json" for a in org.all_accounts - {bravo}} | {"organization.json", "identity-center.json",
                                                            "manifest.json"})
    failed = records(out)[bravo]
    assert failed["status"] == "failed"
    assert failed["stage"] == "sts:AssumeRole"
    assert failed["reason_code"] == "role-not-assumable"
    assert failed["role_arn"] == f"arn:aws:iam::{bravo}:role/OrganizationAccountAccessRole"
    assert "is not authorized to perform: sts:AssumeRole" in failed["aws_message"]
    assert "counts" not in failed and "file" not in failed
    manifest = manifest_of(out)
    assert manifest["partial"] is True
    assert manifest["summary"] == {"ok": 3, "failed": 1, "skipped": 0, "inventory_incomplete": 0}
    # One clear line naming the account and what failed; no traceback.
    assert result.stderr.splitlines() == [
        f"error: account {bravo} (bravo): cannot assume "
        f"arn:aws:iam::{bravo}:role/OrganizationAccountAccessRole: "
        "AccessDenied (the role is missing, does not trust the caller, needs an ExternalId, or the caller "
        "may not call sts:AssumeRole)"]


def test_scp_deny_on_assume_role_is_named(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    alpha = org.members["alpha"]
    message = (f"User: arn:aws:sts::{MANAGEMENT_ACCOUNT}:user/moto is not authorized to perform: "
               f"sts:AssumeRole on resource: arn:aws:iam::{alpha}:role/OrganizationAccountAccessRole "
               "with an explicit deny in a service control policy")
    out = tmp_path / "snap"
    result = collect(monkeypatch, deny_assume_role(alpha, message), "--org", "-o", str(out))
    assert result.exit_code == 3
    assert records(out)[alpha]["reason_code"] == "scp-deny"
    assert "denied by a service control policy" in result.stderr


def test_access_denied_on_the_iam_call(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    charlie = org.members["charlie"]
    hook = deny_gaad(charlie, "User: x is not authorized to perform: iam:GetAccountAuthorizationDetails")
    out = tmp_path / "snap"
    result = collect(monkeypatch, hook, "--org", "-o", str(out), "--json")

    assert result.exit_code == 3
    failed = records(out)[charlie]
    assert (failed["status"], failed["stage"], failed["reason_code"]) == (
        "failed", "iam:GetAccountAuthorizationDetails", "access-denied")
    assert failed["reason"] == "iam:GetAccountAuthorizationDetails: AccessDenied"
    assert json.loads(result.stdout)["accounts"] == manifest_of(out)["accounts"]
    assert result.stderr.splitlines() == [
        f"error: account {charlie} (charlie): iam:GetAccountAuthorizationDetails: AccessDenied"]


def test_one_throttle_is_absorbed_by_the_retries(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    throttle = ThrottleGaad(org.members["alpha"], times=1)
    out = tmp_path / "snap"
    result = collect(monkeypatch, throttle, "--org", "-o", str(out))

    assert result.exit_code == 0, result.stderr
    assert (throttle.injected, throttle.sent) == (1, 2)  # throttled once, retried once, succeeded
    assert records(out)[org.members["alpha"]]["status"] == "ok"
    assert manifest_of(out)["partial"] is False


def test_persistent_throttling_fails_after_the_retry_budget(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    throttle = ThrottleGaad(org.members["alpha"], times=1000)
    out = tmp_path / "snap"
    result = collect(monkeypatch, throttle, "--org", "-o", str(out))

    assert result.exit_code == 3
    assert throttle.sent == MAX_ATTEMPTS
    failed = records(out)[org.members["alpha"]]
    assert failed["reason_code"] == "throttled"
    assert failed["reason"] == (f"iam:GetAccountAuthorizationDetails: throttled (Throttling) after "
                                f"{MAX_ATTEMPTS - 1} retries")


def test_nothing_collected_exits_2_and_keeps_the_previous_snapshot(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    assert collect(monkeypatch, None, "--org", "-o", str(out)).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    hook = combine(*(deny_assume_role(a) for a in org.members.values()),
                   deny_gaad(MANAGEMENT_ACCOUNT, "denied"))
    result = collect(monkeypatch, hook, "--org", "-o", str(out), "--force", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["snapshot_written"] is False
    assert result.stderr.splitlines()[-1] == "error: no account could be collected; no snapshot written"
    assert "Traceback" not in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".snap.")] == []


def test_debug_shows_the_traceback(org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bravo = org.members["bravo"]
    result = collect(monkeypatch, deny_assume_role(bravo), "--org", "-o", str(tmp_path / "s"), "--debug")
    assert result.exit_code == 3
    assert "Traceback" in result.stderr and "ClientError" in result.stderr


def test_external_id_is_sent_with_assume_role(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str | None, str | None]] = []

    def hook(client: Any, _account: str | None) -> None:
        if client.meta.service_model.service_name == "sts":
            client.meta.events.register("before-call.sts.AssumeRole", lambda params, **_: seen.append(
                (request_param(params, "RoleArn"), request_param(params, "ExternalId"))))

    result = collect(monkeypatch, hook, "--org", "-o", str(tmp_path / "s"), "--external-id", "ext-42",
                     "--role-name", "OrganizationAccountAccessRole")
    assert result.exit_code == 0, result.stderr
    assert sorted(seen) == sorted(
        (f"arn:aws:iam::{a}:role/OrganizationAccountAccessRole", "ext-42") for a in org.members.values())


def test_unreadable_policies_make_the_snapshot_partial(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def hook(client: Any, _account: str | None) -> None:
        if client.meta.service_model.service_name == "organizations":
            client.meta.events.register("before-call.organizations.ListPolicies",
                                        lambda **_: short_circuit_error("AccessDeniedException", "no"))

    out = tmp_path / "snap"
    result = collect(monkeypatch, hook, "--org", "-o", str(out))
    assert result.exit_code == 3
    organization = manifest_of(out)["organization"]
    assert organization["status"] == "partial"
    assert organization["problems"] == [
        "organizations:ListPolicies(SERVICE_CONTROL_POLICY): AccessDenied",
        "organizations:ListPolicies(RESOURCE_CONTROL_POLICY): AccessDenied"]
    assert json.loads((out / "organization.json").read_text())["policies"] == []
    assert all(a["status"] == "ok" for a in manifest_of(out)["accounts"])
    assert "warning: organization: organizations:ListPolicies(SERVICE_CONTROL_POLICY): AccessDenied" \
        in result.stderr


def test_ctrl_c_leaves_no_half_written_snapshot(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    assert collect(monkeypatch, None, "--org", "-o", str(out)).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupt(**_: Any) -> None:
        raise KeyboardInterrupt

    def hook(client: Any, account: str | None) -> None:
        if client.meta.service_model.service_name == "iam" and account == org.members["charlie"]:
            client.meta.events.register("before-call.iam.GetAccountAuthorizationDetails", interrupt)

    result = collect(monkeypatch, hook, "--org", "-o", str(out), "--force", "--concurrency", "1")
    assert result.exit_code == 130
    assert result.stderr.splitlines() == ["error: interrupted; no snapshot written"]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".snap.")] == []


def test_one_unreadable_policy_is_named(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def hook(client: Any, _account: str | None) -> None:
        def describe(params: dict[str, Any], **_: Any) -> Any:
            if json.loads(params["body"]).get("PolicyId") == org.scp_id:
                return short_circuit_error("AccessDeniedException", "no")
            return None

        if client.meta.service_model.service_name == "organizations":
            client.meta.events.register("before-call.organizations.DescribePolicy", describe)

    out = tmp_path / "snap"
    result = collect(monkeypatch, hook, "--org", "-o", str(out))
    assert result.exit_code == 3
    assert manifest_of(out)["organization"]["problems"] == [
        f"organizations:DescribePolicy on {org.scp_id}: AccessDenied"]
    names = {p["name"] for p in json.loads((out / "organization.json").read_text())["policies"]}
    assert names == {"FullAWSAccess", "RCPFullAWSAccess", "OnlyOrgCallers"}


def test_unreadable_organization_is_one_line(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def hook(client: Any, _account: str | None) -> None:
        if client.meta.service_model.service_name == "organizations":
            client.meta.events.register("before-call.organizations.ListAccounts",
                                        lambda **_: short_circuit_error("AccessDeniedException", "no"))

    result = collect(monkeypatch, hook, "--org", "-o", str(tmp_path / "snap"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: cannot read the organization: organizations:ListAccounts: AccessDenied "
        "(--org needs the management account or a delegated administrator)"]
    assert list(tmp_path.glob("*snap*")) == []


def test_missing_credentials_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_fake_credentials(monkeypatch, tmp_path)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata lookup in CI
    result = collect(monkeypatch, None, "-o", str(tmp_path / "snap"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["error: credentials: Unable to locate credentials"]

    result = collect(monkeypatch, None, "-o", str(tmp_path / "snap"), "--profile", "nope")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["error: credentials: The config profile (nope) could not be found"]
