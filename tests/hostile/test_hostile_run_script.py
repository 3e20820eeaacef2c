"""The hostile run (benchmarks/hostile_run.py) on inputs it writes itself: every command runs in its own process,
and a gate exiting 0 on an error, a timeout or a traceback is what it counts. The shared corpus is never read by
the tests (a path that does not exist stands for it)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.builders import A, Account, allow, identity, trust

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "hostile_run.py"
spec = importlib.util.spec_from_file_location("hostile_run", SCRIPT)
assert spec and spec.loader
hostile_run = importlib.util.module_from_spec(spec)
sys.modules["hostile_run"] = hostile_run  # dataclasses look their module up by name
spec.loader.exec_module(hostile_run)


def run_script(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    out_json, out_md = tmp_path / "run.json", tmp_path / "run.md"
    code = hostile_run.main([*args, "--corpus", str(tmp_path / "no-corpus"), "--json", str(out_json),
                             "--markdown", str(out_md), "--timeout", "120", "--jobs", "2", "--all-runs"])
    return code, json.loads(out_json.read_text(encoding="utf-8")), out_md.read_text(encoding="utf-8")


def test_hostile_run_every_command_over_generated_inputs_is_clean(tmp_path: Path) -> None:
    # In a fresh interpreter, as it is meant to run: the script forks one child per run, and a fork of this test
    # process inherits whatever threads earlier tests left running (moto servers), which can crash the child.
    out_json, out_md = tmp_path / "run.json", tmp_path / "run.md"
    done = subprocess.run([sys.executable, str(SCRIPT), "--only", "corpus,generated", "--limit", "3",
                           "--corpus", str(tmp_path / "no-corpus"), "--json", str(out_json), "--markdown",
                           str(out_md), "--timeout", "120", "--jobs", "2", "--all-runs"],
                          capture_output=True, text=True, timeout=900, cwd=SCRIPT.parents[1])
    code, doc = done.returncode, json.loads(out_json.read_text(encoding="utf-8"))
    md = out_md.read_text(encoding="utf-8")
    assert "no corpus at" in done.stderr and doc["corpus"] == "absent, skipped"
    total = doc["summary"]["total"]
    assert total["runs"] == 3 * len(hostile_run.COMMANDS) == len(doc["runs"])
    assert code == 0 and doc["summary"]["bad"] == [], doc["summary"]["bad"]
    assert total["gated"] == 2 * 3  # findings and diff, per case
    # The plans the first cases are (truncated, empty) end every gate with exit 2, not 0.
    assert all(r["exit_code"] == 2 for r in doc["runs"] if r["gated"]), doc["runs"]
    assert "| **all** | 21 | 0 | 0 | 0 | 0 | 6 | 0 |" in md


def test_hostile_run_counts_a_gate_exiting_0_on_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The negative control: `--allow-incomplete` makes a gate pass on what was read, with an unreadable file beside
    it; the script must count that run as a gate exiting 0 on an error."""
    folder = tmp_path / "in"
    folder.mkdir()
    a = Account(A)
    a.role("Quiet", trust(a.root), policies={"read": identity(allow("s3:GetObject", "*"))})
    (folder / f"{A}.json").write_text(json.dumps(a.gaad()), encoding="utf-8")
    (folder / "222222222222.json").write_text('{"RoleDetailList": [', encoding="utf-8")
    case = hostile_run.Case("generated/in", "generated", folder)
    monkeypatch.setattr(hostile_run, "generated_cases", lambda _: [case])
    monkeypatch.setattr(hostile_run, "COMMANDS", [
        ("findings", lambda c, o: ["findings", "-i", str(c.path), "-q", "--fail-on", "high", "--allow-incomplete"]),
        ("findings", lambda c, o: ["findings", "-i", str(c.path), "-q", "--fail-on", "high"])])
    code, doc, md = run_script(tmp_path, "--only", "generated")
    allowed, gated = doc["runs"]
    assert allowed["exit_code"] == 0 and allowed["error_seen"] and allowed["gate_exit_0_on_error"]
    assert gated["exit_code"] == 2 and not gated["gate_exit_0_on_error"]  # the control: the gate as it is
    assert code == 1 and len(doc["summary"]["bad"]) == 1 and "gate_exit_0_on_error" in md
