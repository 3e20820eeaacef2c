"""Pure pieces of `collect`: GAAD page merging, policy completion, failure reasons, planning."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from trustgraph.sources.aws.collector import CollectOptions, plan_jobs
from trustgraph.sources.aws.failures import describe_failure
from trustgraph.sources.aws.iam_export import (
    complete_policy_entry,
    count_entities,
    export_authorization_details,
)
from trustgraph.sources.aws.organization_export import OrgAccount, OrganizationStructure, parse_policy_content
from trustgraph.sources.aws.session import CallerIdentity, TemporaryCredentials, role_arn
from trustgraph.sources.aws.snapshot_writer import to_json_text

WHEN = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


class FakePaginator:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages
        self.config: dict[str, Any] | None = None

    def paginate(self, PaginationConfig: dict[str, Any]) -> Any:  # noqa: N803 - boto3's spelling
        self.config = PaginationConfig
        yield from self.pages


class FakeIam:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.paginator = FakePaginator(pages)

    def get_paginator(self, name: str) -> FakePaginator:
        assert name == "get_account_authorization_details"
        return self.paginator


def page(n: int, truncated: bool) -> dict[str, Any]:
    return {
        "UserDetailList": [{"UserName": f"u{n}", "Arn": f"arn:aws:iam::111111111111:user/u{n}",
                            "CreateDate": WHEN}],
        "GroupDetailList": [],
        "RoleDetailList": [{"RoleName": f"r{n}", "Arn": f"arn:aws:iam::111111111111:role/r{n}"}],
        "Policies": [{"Arn": f"arn:aws:iam::111111111111:policy/p/q/P{n}", "DefaultVersionId": "v1"}],
        "IsTruncated": truncated, "Marker": "m" if truncated else None,
        "ResponseMetadata": {"RequestId": "r"},
    }


def test_all_pages_are_merged_into_the_cli_shape() -> None:
    iam = FakeIam([page(1, True), page(2, True), page(3, False)])
    seen: list[int] = []
    document = export_authorization_details(iam, on_page=seen.append)

    assert seen == [1, 2, 3]
    assert iam.paginator.config == {"PageSize": 1000}
    assert list(document) == [
        "UserDetailList", "GroupDetailList", "RoleDetailList", "Policies", "IsTruncated"]
    assert [u["UserName"] for u in document["UserDetailList"]] == ["u1", "u2", "u3"]
    assert [r["RoleName"] for r in document["RoleDetailList"]] == ["r1", "r2", "r3"]
    assert document["IsTruncated"] is False
    assert count_entities(document).__dict__ == {"users": 3, "roles": 3, "groups": 0, "policies": 3}
    text = json.loads(to_json_text(document))
    assert text["UserDetailList"][0]["CreateDate"] == "2024-01-02T03:04:05+00:00"


def test_policy_name_and_path_are_derived_from_the_arn() -> None:
    entry = complete_policy_entry({"Arn": "arn:aws:iam::111111111111:policy/team/ops/ReadThings",
                                   "DefaultVersionId": "v2"})
    assert entry == {"PolicyName": "ReadThings",
                     "Arn": "arn:aws:iam::111111111111:policy/team/ops/ReadThings",
                     "DefaultVersionId": "v2", "Path": "/team/ops/"}
    assert list(entry)[0] == "PolicyName"
    assert "PolicyId" not in entry  # cannot be derived; never invented

    aws_managed = complete_policy_entry({"Arn": "arn:aws:iam::aws:policy/AdministratorAccess"})
    assert (aws_managed["PolicyName"], aws_managed["Path"]) == ("AdministratorAccess", "/")

    real = {"PolicyName": "Given", "PolicyId": "ANPAEXAMPLE", "Arn": "arn:aws:iam::1:policy/x/Other",
            "Path": "/x/"}
    assert complete_policy_entry(real) == real
    assert complete_policy_entry({"NoArn": True}) == {"NoArn": True}


def test_policy_content_is_parsed_or_kept() -> None:
    assert parse_policy_content('{"Version": "2012-10-17"}') == {"Version": "2012-10-17"}
    assert parse_policy_content("not json") == "not json"
    assert parse_policy_content({"already": "parsed"}) == {"already": "parsed"}


def client_error(code: str, message: str = "", retries: int = 0) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"RetryAttempts": retries}}, "Op")


@pytest.mark.parametrize(("exc", "action", "code", "reason"), [
    (client_error("AccessDenied", "User: x is not authorized"), "sts:AssumeRole", "role-not-assumable",
     "cannot assume arn:aws:iam::222222222222:role/R: AccessDenied (the role is missing, does not trust the "
     "caller, needs an ExternalId, or the caller may not call sts:AssumeRole)"),
    (client_error("AccessDenied", "… with an explicit deny in a service control policy"), "sts:AssumeRole",
     "scp-deny", "sts:AssumeRole on arn:aws:iam::222222222222:role/R: denied by a service control policy"),
    (client_error("AccessDenied", "… with an explicit deny in a resource control policy"), "sts:AssumeRole",
     "rcp-deny", "sts:AssumeRole on arn:aws:iam::222222222222:role/R: denied by a resource control policy"),
    (client_error("ThrottlingException", "Rate exceeded", retries=7), "sts:AssumeRole", "throttled",
     "sts:AssumeRole on arn:aws:iam::222222222222:role/R: throttled (ThrottlingException) after 7 retries"),
    (client_error("ExpiredToken"), "sts:AssumeRole", "credentials",
     "sts:AssumeRole on arn:aws:iam::222222222222:role/R: credentials rejected (ExpiredToken)"),
    (client_error("RegionDisabledException"), "sts:AssumeRole", "region-disabled",
     "sts:AssumeRole on arn:aws:iam::222222222222:role/R: STS is not activated in this region"),
    (EndpointConnectionError(endpoint_url="https://sts.example"), "sts:AssumeRole", "network",
     'sts:AssumeRole: network error: Could not connect to the endpoint URL: "https://sts.example"'),
])
def test_failures_get_a_code_and_one_line(exc: BaseException, action: str, code: str, reason: str) -> None:
    failure = describe_failure(exc, action, "arn:aws:iam::222222222222:role/R")
    assert (failure.code, failure.reason) == (code, reason)
    assert "\n" not in failure.reason


def test_access_denied_on_iam_and_missing_credentials() -> None:
    denied = describe_failure(client_error("AccessDenied", "multi\nline"),
                              "iam:GetAccountAuthorizationDetails")
    assert (denied.code, denied.reason, denied.detail) == (
        "access-denied", "iam:GetAccountAuthorizationDetails: AccessDenied", "multi line")
    assert describe_failure(NoCredentialsError(), "credentials").reason == (
        "credentials: Unable to locate credentials")


def test_temporary_credentials_do_not_show_in_repr() -> None:
    creds = TemporaryCredentials("AKIAEXAMPLE", "very-secret", "token-secret")
    assert "very-secret" not in repr(creds) and "token-secret" not in repr(creds)
    assert "AKIAEXAMPLE" not in repr(creds)


def test_role_arn_uses_the_callers_partition_and_role_path() -> None:
    identity = CallerIdentity("111111111111", "arn:aws-us-gov:sts::111111111111:assumed-role/Admin/me")
    assert role_arn(identity.partition, "222222222222", "Reader") == (
        "arn:aws-us-gov:iam::222222222222:role/Reader")
    assert role_arn("aws", "222222222222", "/audit/Reader") == "arn:aws:iam::222222222222:role/audit/Reader"


def structure(*accounts: tuple[str, str]) -> OrganizationStructure:
    return OrganizationStructure(
        id="o-x", arn="", management_account_id="111111111111", roots=[], organizational_units=[],
        accounts=[OrgAccount(id=i, name=i[-1], email="", status=s, parent_id=None, ou_path=None)
                  for i, s in accounts])


def test_planning_skips_inactive_members_and_uses_own_credentials_for_the_caller() -> None:
    org = structure(("111111111111", "ACTIVE"), ("222222222222", "ACTIVE"), ("333333333333", "SUSPENDED"),
                    ("444444444444", "ACTIVE"))
    options = CollectOptions(output_dir=Path("x"), org=True, exclude=frozenset({"444444444444"}))
    jobs, records = plan_jobs(options, "111111111111", org)
    assert [(j.account_id, j.via) for j in jobs] == [
        ("111111111111", "caller"), ("222222222222", "assumed-role")]
    [skipped] = records
    assert (skipped.account_id, skipped.status, skipped.reason) == (
        "333333333333", "skipped", "account status is SUSPENDED")


def test_planning_without_org() -> None:
    jobs, records = plan_jobs(CollectOptions(output_dir=Path("x")), "111111111111", None)
    assert [(j.account_id, j.via) for j in jobs] == [("111111111111", "caller")] and records == []
    options = CollectOptions(output_dir=Path("x"), accounts=frozenset({"222222222222", "111111111111"}))
    jobs, _ = plan_jobs(options, "111111111111", None)
    assert [(j.account_id, j.via) for j in jobs] == [
        ("111111111111", "caller"), ("222222222222", "assumed-role")]
