"""Documents far beyond AWS's quotas are refused (issue 28): a trust policy, managed policy or inline policy, an SCP
or RCP, or a permission set's inline policy longer than 10× AWS's largest quota for it (whitespace not counted),
or a permission set naming more than 10× the policies AWS allows, is one located error naming it, and the rest of
the file is read; a document at AWS's own maximum reads as it always did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.builders import A, Account, Org, allow, deny, identity, trust
from tests.sources.test_identity_center_reader import PS_READ
from tests.sources.test_identity_center_reader import document as identity_center_document
from trustgraph.load_report import LoadReport
from trustgraph.model import Snapshot
from trustgraph.sources.files import load_inputs
from trustgraph.sources.policy_quotas import (
    AWS_MANAGED_POLICY,
    INLINE_POLICY,
    MANAGED_POLICY,
    PERMISSION_SET_INLINE_POLICY,
    PERMISSION_SET_POLICIES,
    RESOURCE_CONTROL_POLICY,
    SERVICE_CONTROL_POLICY,
    TRUST_POLICY,
)


def padded_trust(characters: int) -> dict[str, Any]:
    """A trust policy of at least `characters` non-whitespace characters (a long condition value list)."""
    document = trust(f"arn:aws:iam::{A}:root")
    values = [f"v{i:07d}" for i in range(characters // 11 + 1)]
    document["Statement"][0]["Condition"] = {"StringEquals": {"sts:ExternalId": values}}
    return document


def padded_identity(characters: int) -> dict[str, Any]:
    return identity(allow([f"s3:Get{i:07d}" for i in range(characters // 10 + 1)], "*"))


def export(tmp_path: Path, size: int) -> tuple[Snapshot, LoadReport]:
    account = Account(A)
    account.role("Huge", padded_trust(size), policies={"big": padded_identity(size)})
    account.role("Small", trust(f"arn:aws:iam::{A}:root"), policies={"ok": identity(allow("s3:GetObject", "*"))})
    account.policy("HugeManaged", padded_identity(size))
    path = tmp_path / f"{A}.json"
    path.write_text(json.dumps(account.gaad()), encoding="utf-8")
    return load_inputs([path])


def refusals(report: LoadReport) -> list[str]:
    return [f"{d.location}: {d.message}" for d in report.diagnostics if "largest AWS quota" in d.message]


def test_documents_far_beyond_aws_quotas_are_refused(tmp_path: Path) -> None:
    snapshot, report = export(tmp_path, INLINE_POLICY.limit + 1_000)
    lines = refusals(report)
    assert len(lines) == 3, lines  # the trust policy, the inline policy, the managed policy: one line each
    assert any("AssumeRolePolicyDocument: trust policy of role arn:aws:iam::" in x and "/Huge " in x for x in lines)
    assert any("RolePolicyList[0].PolicyDocument: inline policy " in x and f"of arn:aws:iam::{A}:role/Huge " in x
               for x in lines)
    assert any("PolicyVersionList[0].Document: managed policy arn:aws:iam::" in x and "HugeManaged" in x
               for x in lines)
    assert all(d.source.endswith(f"{A}.json") for d in report.diagnostics if "largest AWS quota" in d.message)
    # The rest of the file is read: the other role whole, the refused role without what was refused.
    small = snapshot.roles[f"arn:aws:iam::{A}:role/Small"]
    assert small.trust is not None and small.inline_policies
    huge = snapshot.roles[f"arn:aws:iam::{A}:role/Huge"]
    assert huge.trust is None and not huge.inline_policies
    assert any("skipped as unreadable" in gap for gap in snapshot.gaps)  # said as incomplete data


def test_documents_at_aws_maximum_quotas_are_read(tmp_path: Path) -> None:
    # Around AWS's own maxima (4,096 for a trust policy, 6,144 for a managed one): nothing refused.
    snapshot, report = export(tmp_path, min(TRUST_POLICY.aws_max, MANAGED_POLICY.aws_max))
    assert refusals(report) == []
    huge = snapshot.roles[f"arn:aws:iam::{A}:role/Huge"]
    assert huge.trust is not None and huge.inline_policies


def test_quota_limit_is_ten_times_the_aws_maximum() -> None:
    assert (TRUST_POLICY.limit, MANAGED_POLICY.limit, INLINE_POLICY.limit) == (40_960, 61_440, 102_400)
    assert TRUST_POLICY.excess("x" * 40_960) is None and TRUST_POLICY.excess("x" * 40_961) == 40_961
    assert TRUST_POLICY.excess("x " * 40_000) is None  # whitespace is not counted, as AWS counts


# -- AWS Organizations: SCPs and RCPs (5,120 characters) ----------------------------------------------------


def padded_deny(characters: int) -> dict[str, Any]:
    return identity(deny([f"s3:Put{i:07d}" for i in range(characters // 10 + 1)], "*"))


def organization(tmp_path: Path, size: int) -> tuple[Snapshot, LoadReport]:
    org = Org()
    org.account(A, name="a")
    org.scp("HugeSCP", padded_deny(size), A)
    org.rcp("HugeRCP", padded_deny(size), A)
    org.scp("SmallSCP", identity(deny("s3:DeleteBucket", "*")), A)
    path = tmp_path / "organization.json"
    path.write_text(json.dumps(org.to_dict()), encoding="utf-8")
    return load_inputs([path])


def test_organization_policies_far_beyond_aws_quota_are_refused(tmp_path: Path) -> None:
    snapshot, report = organization(tmp_path, SERVICE_CONTROL_POLICY.limit + 1_000)
    lines = refusals(report)
    assert len(lines) == 2, lines
    assert any(".content: service control policy HugeSCP is " in x and "(5,120)" in x for x in lines)
    assert any(".content: resource control policy HugeRCP is " in x for x in lines)
    assert snapshot.organization is not None
    assert [p.name for p in snapshot.organization.policies] == ["SmallSCP"]  # the rest of the file is read


def test_organization_policies_at_aws_maximum_are_read(tmp_path: Path) -> None:
    snapshot, report = organization(tmp_path, SERVICE_CONTROL_POLICY.aws_max)
    assert refusals(report) == []
    assert snapshot.organization is not None and len(snapshot.organization.policies) == 3
    assert RESOURCE_CONTROL_POLICY.limit == SERVICE_CONTROL_POLICY.limit == 51_200


# -- IAM Identity Center: a permission set's inline policy (10,240) and its policies (20) ---------------------


def identity_center(tmp_path: Path, inline_size: int, customer_policies: int) -> tuple[Snapshot, LoadReport]:
    value = identity_center_document()
    read_set = value["permission_sets"][1]
    read_set["inline_policy"] = json.dumps(padded_identity(inline_size))
    read_set["customer_managed_policies"] = [{"name": f"team-{i}", "path": "/"} for i in range(customer_policies)]
    read_set["managed_policies"] = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    path = tmp_path / "identity-center.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    return load_inputs([path])


def _read_set(snapshot: Snapshot) -> Any:
    assert snapshot.identity_center is not None
    return next((p for p in snapshot.identity_center.permission_sets if p.permission_set_arn == PS_READ), None)


def test_permission_set_inline_policy_far_beyond_aws_quota_is_refused(tmp_path: Path) -> None:
    snapshot, report = identity_center(tmp_path, PERMISSION_SET_INLINE_POLICY.limit + 1_000, 1)
    lines = refusals(report)
    assert len(lines) == 1 and "permission_sets[1].inline_policy: inline policy of permission set ReadS3 is " in \
        lines[0], lines
    read_set = _read_set(snapshot)
    assert read_set is not None and read_set.inline_policy is None and read_set.inline_policy_unreadable
    assert any("inline policy of permission set ReadS3 is unreadable" in gap for gap in snapshot.gaps)


@pytest.mark.parametrize("count", [PERMISSION_SET_POLICIES.limit, PERMISSION_SET_POLICIES.limit + 1])
def test_permission_set_naming_far_more_policies_than_aws_allows_is_refused(tmp_path: Path, count: int) -> None:
    # One AWS managed policy is listed besides: the bound counts both kinds.
    snapshot, report = identity_center(tmp_path, 100, count - 1)
    read_set = _read_set(snapshot)
    over = count > PERMISSION_SET_POLICIES.limit
    lines = [str(d) for d in report.diagnostics if "the most AWS allows" in d.message]
    assert (read_set is None) is over
    assert len(lines) == int(over)
    if over:
        assert "permission set ReadS3 names 201 AWS managed and customer managed policies" in lines[0]
        assert "permission_sets[1].customer_managed_policies" in lines[0]
        assert snapshot.identity_center is not None and len(snapshot.identity_center.permission_sets) == 1


def test_permission_set_inline_policy_at_aws_maximum_is_read(tmp_path: Path) -> None:
    snapshot, report = identity_center(tmp_path, PERMISSION_SET_INLINE_POLICY.aws_max, 10)
    assert refusals(report) == []
    read_set = _read_set(snapshot)
    assert read_set is not None and read_set.inline_policy is not None and len(read_set.customer_managed_policies) == 10
    assert len(read_set.managed_policies) == 1


# -- AWS managed policies: not held to the customer quota ------------------------------------------------------


def test_aws_managed_policies_past_the_customer_quota_are_read(tmp_path: Path) -> None:
    """AWS's own managed policies are longer than a customer's may be (AWSSupportServiceRolePolicy: over 81,000
    characters): one of 100,000 is read, a customer managed policy of the same size is refused, and an AWS managed
    policy past 10× the largest AWS one is refused too."""
    size = 100_000
    assert MANAGED_POLICY.limit < size < AWS_MANAGED_POLICY.limit
    gaad = Account(A).gaad()
    gaad["Policies"] = [
        {"PolicyName": name, "Arn": arn, "PolicyVersionList": [
            {"Document": padded_identity(chars), "VersionId": "v1", "IsDefaultVersion": True}]}
        for name, arn, chars in (
            ("ReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess", size),
            ("Huge", f"arn:aws:iam::{A}:policy/Huge", size),
            ("Bomb", "arn:aws:iam::aws:policy/Bomb", AWS_MANAGED_POLICY.limit + 1_000))]
    path = tmp_path / f"{A}.json"
    path.write_text(json.dumps(gaad), encoding="utf-8")
    snapshot, report = load_inputs([path])
    assert "arn:aws:iam::aws:policy/ReadOnlyAccess" in snapshot.managed_policies
    lines = refusals(report)
    assert len(lines) == 2 and any("managed policy arn:aws:iam::" + A in x for x in lines), lines
    assert any("AWS managed policy arn:aws:iam::aws:policy/Bomb" in x for x in lines), lines
