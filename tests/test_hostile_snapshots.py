"""Partial data is visible and never replaces complete data silently; staging directories are cleaned up."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from aws_fakes import OrgFixture, build_organization, deny_assume_role, set_fake_credentials
from botocore.retries.standard import ExponentialBackoff
from click.testing import CliRunner, Result
from moto import mock_aws

from trustgraph.cli import collect_cmd, main
from trustgraph.sources.aws.snapshot_writer import SnapshotWriter
from trustgraph.sources.files import load_inputs


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    set_fake_credentials(monkeypatch, tmp_path)
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    with mock_aws():
        yield build_organization()


def collect(monkeypatch: pytest.MonkeyPatch, hook: Any, *args: str) -> Result:
    monkeypatch.setattr(collect_cmd, "client_hook", hook)
    return CliRunner().invoke(main, ["collect", *args], catch_exceptions=False)


def test_partial_never_replaces_a_complete_snapshot_without_allow_partial(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    assert collect(monkeypatch, None, "--org", "-o", str(out)).exit_code == 0
    complete = {p.name: p.read_bytes() for p in out.iterdir()}
    bravo = org.members["bravo"]

    refused = collect(monkeypatch, deny_assume_role(bravo), "--org", "-o", str(out), "--force")
    assert refused.exit_code == 2
    assert f"account(s) {bravo}" in refused.stderr and "--allow-partial" in refused.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == complete
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".snap.")] == []

    replaced = collect(monkeypatch, deny_assume_role(bravo), "--org", "-o", str(out), "--force", "--allow-partial")
    assert replaced.exit_code == 3
    assert json.loads((out / "manifest.json").read_text())["partial"] is True


def test_partial_snapshot_is_read_with_a_warning_naming_the_missing_accounts(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    bravo = org.members["bravo"]
    assert collect(monkeypatch, deny_assume_role(bravo), "--org", "-o", str(out)).exit_code == 3
    _, report = load_inputs([out])
    warnings = [d for d in report.diagnostics if d.level == "warning" and "partial snapshot" in d.message]
    assert len(warnings) == 1 and bravo in warnings[0].message
    assert warnings[0].source == str(out / "manifest.json")


def test_stale_staging_directories_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    target = tmp_path / "snap"
    dead_pid = 2 ** 22 + 12345  # above the default pid_max: no such process
    stale = tmp_path / f".snap.staging-{dead_pid}-abc"
    legacy = tmp_path / ".snap.staging-xyz123"  # named before pids were recorded: stale
    live = tmp_path / f".snap.staging-{os.getppid()}-def"
    for d in (stale, legacy, live):
        d.mkdir()
        (d / "111122223333.json").write_text("{}")
    writer = SnapshotWriter(target, force=False)
    try:
        assert not stale.exists() and not legacy.exists() and live.exists()
        assert set(writer.removed_stale) == {stale, legacy}
    finally:
        writer.abort()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".snap.")] == [live]
