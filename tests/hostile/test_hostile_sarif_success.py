"""SARIF says whether the run saw all of its input (issue 28): `runs[0].invocations[0].executionSuccessful` is false,
with the reason as a notification, when an input could not be read or the snapshot has gaps, for `findings
--format sarif`, `check --format sarif` and the review bundle's findings.sarif and guardrails.sarif; true on whole
data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from trustgraph.cli import main

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "samples" / "acme"
RULES = ROOT / "samples" / "guardrails" / "acme.yaml"
GAP_ROLE = {"RoleDetailList": [{
    "Path": "/", "RoleName": "Orphan", "RoleId": "AROAORPHAN", "Arn": "arn:aws:iam::999999999999:role/Orphan",
    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}]},
    "RolePolicyList": [],
    "AttachedManagedPolicies": [{"PolicyName": "Gone", "PolicyArn": "arn:aws:iam::999999999999:policy/Gone"}]}],
    "UserDetailList": [], "GroupDetailList": [], "Policies": []}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def invocation(text: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(text)["runs"][0]["invocations"][0]
    return value


def acme_with(tmp_path: Path, name: str, content: str) -> Path:
    folder = tmp_path / "acme"
    shutil.copytree(ACME, folder)
    (folder / name).write_text(content, encoding="utf-8")
    return folder


@pytest.fixture()
def unreadable(tmp_path: Path) -> Path:
    return acme_with(tmp_path, "999999999999-broken.json", '{"RoleDetailList": [')


@pytest.fixture()
def with_gap(tmp_path: Path) -> Path:
    """Every file read, but a managed policy a role attaches is not in the data: a gap of the snapshot."""
    return acme_with(tmp_path, "999999999999-gap.json", json.dumps(GAP_ROLE))


def sarif_outputs(folder: Path, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """The invocation of every SARIF the tool writes, by name."""
    out: dict[str, dict[str, Any]] = {}
    _, text, _ = run("findings", "-i", str(folder), "-q", "--format", "sarif")
    out["findings"] = invocation(text)
    _, text, _ = run("check", "-i", str(folder), "--rules", str(RULES), "-q", "--format", "sarif")
    out["check"] = invocation(text)
    bundle = tmp_path / "review"
    code, _, err = run("review", "-i", str(folder), "-o", str(bundle), "--rules", str(RULES), "-q", "--no-diagrams")
    assert code in (0, 3), err
    out["review findings.sarif"] = invocation((bundle / "findings.sarif").read_text(encoding="utf-8"))
    out["review guardrails.sarif"] = invocation((bundle / "guardrails.sarif").read_text(encoding="utf-8"))
    return out


def test_sarif_execution_unsuccessful_when_an_input_could_not_be_read(unreadable: Path, tmp_path: Path) -> None:
    for name, inv in sarif_outputs(unreadable, tmp_path).items():
        assert inv["executionSuccessful"] is False, name
        assert any(n["level"] == "error" and "999999999999-broken.json" in n["message"]["text"]
                   for n in inv["toolExecutionNotifications"]), name


def test_sarif_execution_unsuccessful_when_the_snapshot_has_gaps(with_gap: Path, tmp_path: Path) -> None:
    for name, inv in sarif_outputs(with_gap, tmp_path).items():
        assert inv["executionSuccessful"] is False, name
        assert any("Gone" in n["message"]["text"] for n in inv["toolExecutionNotifications"]), name


def test_sarif_execution_successful_on_whole_data(tmp_path: Path) -> None:
    for name, inv in sarif_outputs(ACME, tmp_path).items():
        assert inv["executionSuccessful"] is True, name
        assert inv["toolExecutionNotifications"] == [], name
