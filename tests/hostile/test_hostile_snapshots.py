"""Partial data is visible and never replaces complete data silently; staging directories are cleaned up."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from aws_fakes import (
    NO_INVENTORY,
    OrgFixture,
    collect_with_hook,
    deny_assume_role,
    mocked_organization,
)
from click.testing import CliRunner, Result

from trustgraph.cli import main
from trustgraph.sources.aws.snapshot_writer import SnapshotWriter
from trustgraph.sources.files import load_inputs


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    yield from mocked_organization(monkeypatch, tmp_path)


def collect(monkeypatch: pytest.MonkeyPatch, hook: Any, *args: str) -> Result:
    return collect_with_hook(monkeypatch, hook, *NO_INVENTORY, *args)


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


# -- review -o DIR: the same overwrite policy (--force) --------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
COLLIDING = str(ROOT / "tests" / "hostile" / "colliding_role_names.json")
GOOD = str(ROOT / "tests" / "hostile" / "get_role_ok.json")


def review(*args: str) -> Result:
    return CliRunner().invoke(main, ["review", "-q", "--no-cache", *args])


def test_review_refuses_a_directory_it_did_not_write_unless_force(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = review("-i", COLLIDING, "-o", str(out))
    assert result.exit_code == 2 and "not written by `trustgraph review`" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert review("-i", COLLIDING, "-o", str(out), "--force").exit_code == 0
    assert (out / "notes.txt").read_text() == "mine" and (out / "report.md").exists()


def test_review_refuses_the_current_directory_unless_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.txt").write_text("x")
    result = review("-i", COLLIDING, "-o", ".")
    assert result.exit_code == 2 and "current directory" in result.stderr
    assert not (tmp_path / "report.md").exists()


def test_review_rewrites_its_own_directory_and_removes_its_stale_pictures(tmp_path: Path) -> None:
    out = tmp_path / "rev"
    assert review("-i", COLLIDING, "-o", str(out)).exit_code == 0
    assert len(list((out / "paths").glob("*.svg"))) == 4
    (out / "paths" / "someone-elses.svg").write_text("<svg/>")
    result = review("-i", GOOD, "-o", str(out))  # no sensitive role any more
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in (out / "paths").glob("*.svg")] == ["someone-elses.svg"]


def test_review_never_follows_a_symlinked_paths_directory(tmp_path: Path) -> None:
    out = tmp_path / "rev"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert review("-i", GOOD, "-o", str(out)).exit_code == 0
    (out / "paths").symlink_to(elsewhere, target_is_directory=True)
    refused = review("-i", COLLIDING, "-o", str(out))
    assert refused.exit_code == 2 and "symbolic link" in refused.stderr
    assert review("-i", COLLIDING, "-o", str(out), "--force").exit_code == 0
    assert list(elsewhere.iterdir()) == []
    assert not (out / "paths").is_symlink() and len(list((out / "paths").glob("*.svg"))) == 4
