"""`trustgraph collect --org` reads IAM Identity Center (moto): identity-center.json equals the same data written
by hand, every list call pages, a denied read makes the run partial and says what was denied.

What moto lacks is answered through the client hook (tests/aws_fakes.py): GetPermissionsBoundaryForPermissionSet
is not implemented (answered from `BOUNDARIES`, else ResourceNotFoundException as AWS does for a permission set
without one), and ListAccountsForProvisionedPermissionSet ignores assignments (answered from moto's own
assignments). moto's Organizations does not know `sso.amazonaws.com` as a delegated-administrator principal
(`aws_fakes.teach_moto_identity_center`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_fakes import (
    MANAGEMENT_ACCOUNT,
    NO_INVENTORY,
    REGION,
    OrgFixture,
    _RawBody,
    build_organization,
    collect_with_hook,
    combine,
    no_retry_wait,
    set_fake_credentials,
    short_circuit_error,
)
from botocore.awsrequest import AWSResponse
from click.testing import Result
from moto import mock_aws

from trustgraph.cli import collect_cmd
from trustgraph.model import IdentityCenter
from trustgraph.sources.identity_center_file import SCHEMA, read_identity_center

INLINE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
Hook = Callable[[Any, "str | None"], None]


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    set_fake_credentials(monkeypatch, tmp_path)
    no_retry_wait(monkeypatch)
    monkeypatch.setattr(collect_cmd, "client_hook", None)
    with mock_aws():
        yield build_organization()


def collect(monkeypatch: pytest.MonkeyPatch, hook: Hook | None, *args: str) -> Result:
    return collect_with_hook(monkeypatch, hook, *NO_INVENTORY, "--org", *args)


def answer(parsed: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    """A `before-call` result: the call succeeds at once with `parsed`."""
    return (AWSResponse("https://fake.invalid/", 200, {}, _RawBody(b"")),
            {**parsed, "ResponseMetadata": {"HTTPStatusCode": 200, "RetryAttempts": 0}})


def moto_gaps(boundaries: dict[str, dict[str, Any]] | None = None) -> Hook:
    """Client hook: the two sso-admin calls moto does not answer as AWS does."""
    from moto.ssoadmin.models import ssoadmin_backends

    def accounts(params: dict[str, Any], **_: Any) -> Any:
        body = params.get("body")
        wanted = json.loads(body)["PermissionSetArn"] if isinstance(body, bytes | str) else None
        backend = ssoadmin_backends[MANAGEMENT_ACCOUNT][REGION]
        found = dict.fromkeys(a.target_id for a in backend.account_assignments if a.permission_set_arn == wanted)
        return answer({"AccountIds": list(found)})

    def boundary(params: dict[str, Any], **_: Any) -> Any:
        body = params.get("body")
        arn = json.loads(body)["PermissionSetArn"] if isinstance(body, bytes | str) else None
        if arn in (boundaries or {}):
            return answer({"PermissionsBoundary": boundaries[arn]})  # type: ignore[index]
        return short_circuit_error("ResourceNotFoundException", "Could not find the permissions boundary", 404)

    def hook(client: Any, _account: str | None) -> None:
        if client.meta.service_model.service_name == "sso-admin":
            client.meta.events.register("before-call.sso-admin.ListAccountsForProvisionedPermissionSet", accounts)
            client.meta.events.register("before-call.sso-admin.GetPermissionsBoundaryForPermissionSet", boundary)
    return hook


def deny(service: str, operation: str, message: str = "not authorized") -> Hook:
    def hook(client: Any, _account: str | None) -> None:
        if client.meta.service_model.service_name == service:
            client.meta.events.register(f"before-call.{service}.{operation}",
                                        lambda **_: short_circuit_error("AccessDeniedException", message))
    return hook


class CountCalls:
    """Client hook: how many times each identitystore operation was sent (pages)."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def __call__(self, client: Any, _account: str | None) -> None:
        if client.meta.service_model.service_name == "identitystore":
            client.meta.events.register("before-call.identitystore.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] = self.calls.get(model.name, 0) + 1


def instance() -> dict[str, Any]:
    [found] = boto3.client("sso-admin", region_name=REGION).list_instances()["Instances"]
    return found


def create_user(store: str, name: str) -> str:
    return boto3.client("identitystore", region_name=REGION).create_user(
        IdentityStoreId=store, UserName=name, DisplayName=name.title(),
        Name={"GivenName": name.title(), "FamilyName": "Example"},
        Emails=[{"Value": f"{name}@example.com", "Type": "work", "Primary": True}])["UserId"]


def read_file(out: Path) -> tuple[dict[str, Any], IdentityCenter]:
    raw = json.loads((out / "identity-center.json").read_text(encoding="utf-8"))
    data, diagnostics = read_identity_center(raw, "identity-center.json")
    assert [str(d) for d in diagnostics] == [] and data is not None
    return raw, data


def manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_a_full_read_equals_the_same_data_written_by_hand(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sso, store_client = boto3.client("sso-admin", region_name=REGION), boto3.client("identitystore",
                                                                                     region_name=REGION)
    found = instance()
    arn, store = found["InstanceArn"], found["IdentityStoreId"]
    alice, bob = create_user(store, "alice"), create_user(store, "bob")
    admins = store_client.create_group(IdentityStoreId=store, DisplayName="Platform-Admins")["GroupId"]
    readers = store_client.create_group(IdentityStoreId=store, DisplayName="Readers")["GroupId"]
    store_client.create_group_membership(IdentityStoreId=store, GroupId=admins, MemberId={"UserId": alice})
    store_client.create_group_membership(IdentityStoreId=store, GroupId=readers, MemberId={"UserId": alice})
    store_client.create_group_membership(IdentityStoreId=store, GroupId=readers, MemberId={"UserId": bob})
    admin_ps = sso.create_permission_set(Name="AdministratorAccess", InstanceArn=arn, SessionDuration="PT1H")[
        "PermissionSet"]["PermissionSetArn"]
    sso.attach_managed_policy_to_permission_set(InstanceArn=arn, PermissionSetArn=admin_ps,
                                                ManagedPolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    read_ps = sso.create_permission_set(Name="ReadS3", InstanceArn=arn, SessionDuration="PT8H")[
        "PermissionSet"]["PermissionSetArn"]
    sso.attach_managed_policy_to_permission_set(InstanceArn=arn, PermissionSetArn=read_ps,
                                                ManagedPolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    sso.attach_customer_managed_policy_reference_to_permission_set(
        InstanceArn=arn, PermissionSetArn=read_ps, CustomerManagedPolicyReference={"Name": "team-read",
                                                                                   "Path": "/team/"})
    sso.put_inline_policy_to_permission_set(InstanceArn=arn, PermissionSetArn=read_ps, InlinePolicy=json.dumps(INLINE))
    alpha, bravo = org.members["alpha"], org.members["bravo"]
    for account, ps, kind, principal in ((alpha, admin_ps, "GROUP", admins), (bravo, admin_ps, "USER", bob),
                                         (bravo, read_ps, "GROUP", readers)):
        sso.create_account_assignment(InstanceArn=arn, TargetId=account, TargetType="AWS_ACCOUNT",
                                      PermissionSetArn=ps, PrincipalType=kind, PrincipalId=principal)
    boundary = {"ManagedPolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}

    out = tmp_path / "snap"
    result = collect(monkeypatch, moto_gaps({read_ps: boundary}), "-o", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    raw, data = read_file(out)
    assert raw["complete"] is True and raw["missing"] == [] and raw["region"] == REGION

    by_hand = {
        "schema": SCHEMA,
        "instances": [{"instance_arn": arn, "identity_store_id": store, "owner_account_id": MANAGEMENT_ACCOUNT,
                       "region": REGION}],
        "delegated_admin_account_id": None,
        "users": [{"identity_store_id": store, "user_id": alice, "user_name": "alice", "display_name": "Alice",
                   "emails": ["alice@example.com"], "external_ids": []},
                  {"identity_store_id": store, "user_id": bob, "user_name": "bob", "display_name": "Bob",
                   "emails": ["bob@example.com"]}],
        "groups": [{"identity_store_id": store, "group_id": admins, "display_name": "Platform-Admins"},
                   {"identity_store_id": store, "group_id": readers, "display_name": "Readers"}],
        "group_memberships": [{"identity_store_id": store, "group_id": admins, "user_id": alice},
                              {"identity_store_id": store, "group_id": readers, "user_id": alice},
                              {"identity_store_id": store, "group_id": readers, "user_id": bob}],
        "permission_sets": [
            {"instance_arn": arn, "permission_set_arn": admin_ps, "name": "AdministratorAccess",
             "session_duration": "PT1H", "managed_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"]},
            {"instance_arn": arn, "permission_set_arn": read_ps, "name": "ReadS3", "session_duration": "PT8H",
             "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
             "customer_managed_policies": [{"name": "team-read", "path": "/team/"}], "inline_policy": INLINE,
             "permissions_boundary": boundary}],
        "account_assignments": [
            {"instance_arn": arn, "account_id": alpha, "permission_set_arn": admin_ps, "principal_type": "GROUP",
             "principal_id": admins},
            {"instance_arn": arn, "account_id": bravo, "permission_set_arn": admin_ps, "principal_type": "USER",
             "principal_id": bob},
            {"instance_arn": arn, "account_id": bravo, "permission_set_arn": read_ps, "principal_type": "GROUP",
             "principal_id": readers}],
        "complete": True,
    }
    expected, diagnostics = read_identity_center(by_hand, "by-hand.json")
    assert diagnostics == []
    assert data == expected

    record = json.loads(result.stdout)["identity_center"]
    assert record == manifest(out)["identity_center"] == {
        "status": "ok", "region": REGION, "file": "identity-center.json", "instances": 1, "users": 2, "groups": 2,
        "group_memberships": 3, "permission_sets": 2, "account_assignments": 3, "problems": []}
    assert manifest(out)["partial"] is False


def test_every_identity_store_list_pages(org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = instance()["IdentityStoreId"]
    client = boto3.client("identitystore", region_name=REGION)
    users = [create_user(store, f"user{i:03}") for i in range(105)]  # more than one page (100)
    groups = [client.create_group(IdentityStoreId=store, DisplayName=f"group{i:03}")["GroupId"] for i in range(101)]
    for user in users:  # one group with more members than a page
        client.create_group_membership(IdentityStoreId=store, GroupId=groups[0], MemberId={"UserId": user})
    calls = CountCalls()
    out = tmp_path / "snap"
    result = collect(monkeypatch, combine(moto_gaps(), calls), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    _, data = read_file(out)
    assert [u.user_id for u in data.users] == users
    assert [g.group_id for g in data.groups] == groups
    assert len(data.group_memberships) == 105 and {m.group_id for m in data.group_memberships} == {groups[0]}
    assert calls.calls["ListUsers"] == 2 and calls.calls["ListGroups"] == 2
    assert calls.calls["ListGroupMemberships"] == 101 + 1  # one per group, two pages for the big one


def test_a_denied_identity_store_read_makes_the_run_partial_and_says_what_was_denied(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = instance()
    store = found["IdentityStoreId"]
    create_user(store, "alice")
    group = boto3.client("identitystore", region_name=REGION).create_group(IdentityStoreId=store,
                                                                          DisplayName="Admins")["GroupId"]
    out = tmp_path / "snap"
    result = collect(monkeypatch, combine(moto_gaps(), deny("identitystore", "ListUsers")), "-o", str(out))

    assert result.exit_code == 3  # partial, like a failed account
    problem = f"identitystore:ListUsers on {store}: AccessDenied"
    assert result.stderr.splitlines() == [f"warning: identity center: {problem}"]
    raw, _ = read_file(out)
    assert raw["complete"] is False and raw["missing"] == [problem]
    assert raw["users"] == [] and [g["group_id"] for g in raw["groups"]] == [group]  # the rest was read
    data, _ = read_identity_center(raw, "identity-center.json")
    assert data is not None and not data.complete and data.missing == (problem,)
    record = manifest(out)
    assert record["partial"] is True
    assert record["identity_center"]["status"] == "partial" and record["identity_center"]["problems"] == [problem]
    assert all(a["status"] == "ok" for a in record["accounts"])


def test_list_instances_denied_fails_the_identity_center_read_only(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    result = collect(monkeypatch, combine(moto_gaps(), deny("sso-admin", "ListInstances")), "-o", str(out))
    assert result.exit_code == 3
    raw, data = read_file(out)
    assert raw["instances"] == [] and raw["complete"] is False and raw["missing"] == ["sso:ListInstances: AccessDenied"]
    assert not data.complete
    assert manifest(out)["identity_center"]["status"] == "failed"


def test_no_instance_is_complete_and_empty(org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_instance(client: Any, _account: str | None) -> None:
        if client.meta.service_model.service_name == "sso-admin":
            client.meta.events.register("before-call.sso-admin.ListInstances", lambda **_: answer({"Instances": []}))

    out = tmp_path / "snap"
    result = collect(monkeypatch, combine(moto_gaps(), no_instance), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    raw, data = read_file(out)
    assert raw["complete"] is True and data == IdentityCenter()
    assert manifest(out)["identity_center"] | {"file": None} == {
        "status": "ok", "region": REGION, "file": None, "instances": 0, "users": 0, "groups": 0,
        "group_memberships": 0, "permission_sets": 0, "account_assignments": 0, "problems": []}


def test_the_delegated_administrator_is_recorded(org: OrgFixture, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    boto3.client("organizations", region_name=REGION).register_delegated_administrator(
        AccountId=org.members["charlie"], ServicePrincipal="sso.amazonaws.com")
    out = tmp_path / "snap"
    assert collect(monkeypatch, moto_gaps(), "-o", str(out)).exit_code == 0
    raw, data = read_file(out)
    assert raw["delegated_admin_account_id"] == data.delegated_admin_account_id == org.members["charlie"]


def test_without_org_nothing_is_read_and_the_manifest_is_unchanged(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    result = collect_with_hook(monkeypatch, None, *NO_INVENTORY, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert not (out / "identity-center.json").exists() and "identity_center" not in manifest(out)
