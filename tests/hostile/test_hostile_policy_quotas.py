"""Documents far beyond AWS's quotas are refused (issue 28): a trust policy, managed policy or inline policy longer
than 10× AWS's largest quota for it (whitespace not counted) is one located error naming the role or policy, and
the rest of the file is read; a document at AWS's own maximum reads as it always did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.builders import A, Account, allow, identity, trust
from trustgraph.load_report import LoadReport
from trustgraph.model import Snapshot
from trustgraph.sources.files import load_inputs
from trustgraph.sources.policy_quotas import INLINE_POLICY, MANAGED_POLICY, TRUST_POLICY


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
