"""The snapshot directory: refuse without --force, replace atomically with it, never half-write."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from aws_fakes import MANAGEMENT_ACCOUNT, NO_INVENTORY, set_fake_credentials
from click.testing import CliRunner, Result
from moto import mock_aws

from trustgraph.cli import collect_cmd, main
from trustgraph.sources.aws import snapshot_writer
from trustgraph.sources.aws.snapshot_writer import SnapshotRefused, SnapshotWriter


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    set_fake_credentials(monkeypatch, tmp_path)
    monkeypatch.setattr(collect_cmd, "client_hook", None)
    with mock_aws():
        yield


def collect(*args: str) -> Result:
    return CliRunner().invoke(main, ["collect", *NO_INVENTORY, *args], catch_exceptions=False)


def contents(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()}


def leftovers(parent: Path, name: str) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(f".{name}.")]


def test_second_run_refuses_without_force(aws: Any, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    assert collect("-o", str(out)).exit_code == 0
    before = contents(out)

    result = collect("-o", str(out))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {out} already holds a snapshot or other files; pass --force to replace it"]
    assert contents(out) == before
    assert leftovers(tmp_path, "snap") == []


@pytest.mark.parametrize("exchange_supported", [True, False], ids=["renameat2", "two-renames"])
def test_force_replaces_the_whole_snapshot(
        aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange_supported: bool) -> None:
    if not exchange_supported:
        monkeypatch.setattr(snapshot_writer, "_exchange", lambda first, second: False)
    out = tmp_path / "snap"
    assert collect("-o", str(out)).exit_code == 0
    (out / "999999999999.json").write_text("{}")  # a file the new snapshot does not have
    first_start = json.loads((out / "manifest.json").read_text())["started_at"]

    result = collect("-o", str(out), "--force")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"{MANAGEMENT_ACCOUNT}.json", "manifest.json"]
    assert json.loads((out / "manifest.json").read_text())["started_at"] >= first_start
    assert leftovers(tmp_path, "snap") == []


def test_force_never_replaces_a_directory_that_is_not_a_snapshot(aws: Any, tmp_path: Path) -> None:
    out = tmp_path / "home"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    result = collect("-o", str(out), "--force")
    assert result.exit_code == 2
    assert "is not a trustgraph snapshot (no manifest.json); refusing to replace it even with --force" \
        in result.stderr
    assert (out / "notes.txt").read_text() == "precious"


def test_an_empty_existing_directory_is_used(aws: Any, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    out.mkdir()
    assert collect("-o", str(out)).exit_code == 0
    assert (out / "manifest.json").exists()


def test_output_that_is_a_file_is_refused(aws: Any, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    out.write_text("x")
    result = CliRunner().invoke(main, ["collect", "-o", str(out), "--force"])
    assert result.exit_code == 2
    assert out.read_text() == "x"


def test_writer_abort_removes_staging_and_keeps_the_target(tmp_path: Path) -> None:
    writer = SnapshotWriter(tmp_path / "snap", force=False)
    writer.write_json("111111111111.json", {"UserDetailList": []})
    assert (writer.staging / "111111111111.json").exists()
    writer.abort()
    assert not writer.staging.exists()
    assert not (tmp_path / "snap").exists()
    with pytest.raises(RuntimeError):
        writer.write_json("late.json", {})
    assert list(tmp_path.iterdir()) == []


def test_interrupted_file_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = SnapshotWriter(tmp_path / "snap", force=False)

    def interrupted_fsync(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted_fsync)
    with pytest.raises(KeyboardInterrupt):
        writer.write_json("111111111111.json", {"big": "x" * 100_000})
    assert list(writer.staging.iterdir()) == []  # neither the file nor its temp name
    writer.abort()


def test_writer_serializes_datetimes_as_iso_8601(tmp_path: Path) -> None:
    import datetime as dt

    from dateutil.tz import tzoffset

    writer = SnapshotWriter(tmp_path / "snap", force=False)
    when = dt.datetime(2024, 5, 1, 12, 0, tzinfo=tzoffset(None, 7200))
    writer.write_json("x.json", {"CreateDate": when})
    writer.write_json("manifest.json", {"schema": "trustgraph/manifest/v1"})
    writer.commit()
    written = json.loads((tmp_path / "snap" / "x.json").read_text())
    assert written == {"CreateDate": "2024-05-01T10:00:00+00:00"}


def test_refusal_happens_before_any_staging(tmp_path: Path) -> None:
    out = tmp_path / "snap"
    out.mkdir()
    (out / "a.json").write_text("{}")
    with pytest.raises(SnapshotRefused):
        SnapshotWriter(out, force=False)
    assert leftovers(tmp_path, "snap") == []
