"""The table of input formats (sources/files.py INPUT_READERS): one row per format, tried in order, and the
message for a file no row recognises names every format that row lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trustgraph.load_report import LoadReport
from trustgraph.sources.files import INPUT_READERS, ReadContext, UnknownFormat, load_inputs, read_value
from trustgraph.sources.iac import PLACEHOLDER_ACCOUNT, IacOptions
from trustgraph.sources.snapshot_builder import SnapshotBuilder

ROLE_ARN = "arn:aws:iam::111111111111:role/Target"
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                  "Principal": {"AWS": "arn:aws:iam::222222222222:root"}}]}


def _detected(value: dict[str, Any], role_arn: str | None = None) -> str:
    ctx = ReadContext(SnapshotBuilder(LoadReport()), "x.json", role_arn, Path("x.json"), IacOptions())
    return next(reader.name for reader in INPUT_READERS if reader.detects(value, ctx))


def test_rows_have_distinct_names() -> None:
    names = [reader.name for reader in INPUT_READERS]
    assert len(names) == len(set(names))


def test_unknown_file_names_the_formats_in_table_order(tmp_path: Path) -> None:
    with pytest.raises(UnknownFormat) as caught:
        read_value({"zeta": 1, "alpha": 2}, SnapshotBuilder(LoadReport()), "x.json", None, tmp_path / "x.json")
    assert str(caught.value) == (
        "not a recognised IAM input (top-level keys: alpha, zeta); expected get-account-authorization-details, "
        "get-role, list-roles, a trust policy, organization.json, an inventory file, identity-center.json, "
        "a Terraform plan (terraform show -json), a CloudFormation template or CloudTrail log files "
        "({\"Records\": [...]}, .json or .json.gz, or JSON lines)")


@pytest.mark.parametrize(("value", "role_arn", "name"), [
    ({"RoleDetailList": [], "Role": {}}, None, "gaad"),  # the first row wins
    ({"Role": {"Arn": ROLE_ARN}, "Roles": []}, None, "get-role"),
    ({"Roles": []}, None, "list-roles"),
    ({"AssumeRolePolicyDocument": POLICY, "Arn": ROLE_ARN}, None, "role"),
    ({"AssumeRolePolicyDocument": POLICY}, ROLE_ARN, "role"),  # the ARN from the command line
    (POLICY, None, "trust-policy"),
    ({"Version": "2012-10-17"}, None, "trust-policy"),
    ({"schema": "trustgraph/graph/1"}, None, "trustgraph-metadata"),
])
def test_detection_order(value: dict[str, Any], role_arn: str | None, name: str) -> None:
    assert _detected(value, role_arn) == name


def test_metadata_row_rejects_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    path.write_text(json.dumps({"schema": "trustgraph/graph/1"}), encoding="utf-8")
    _, report = load_inputs([path])
    assert report.files_rejected == [str(path)]
    assert [d.message for d in report.diagnostics] == [
        "trustgraph/graph/1 is trustgraph metadata, not an IAM input (pass saved graphs with --graph)"]


def test_bare_policy_is_read_under_a_placeholder_arn(tmp_path: Path) -> None:
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(POLICY), encoding="utf-8")
    snapshot, report = load_inputs([path])
    assert report.files_read == [str(path)]
    assert list(snapshot.roles) == [f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:role/trust"]
    assert [d.message for d in report.diagnostics] == [
        f"bare trust policy without --role-arn: read as arn:aws:iam::{PLACEHOLDER_ACCOUNT}:role/trust"]
