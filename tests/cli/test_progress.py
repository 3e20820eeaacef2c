"""Progress of the long phases: the core's callbacks, and what the CLI shows on stderr."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from trustgraph.analysis.findings import find
from trustgraph.cli import main, progress
from trustgraph.graph.build import build_graph
from trustgraph.sources.files import load_inputs

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "samples" / "acme"
BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"
CI_PIPELINE = "arn:aws:iam::333333333333:role/ci/CIPipeline"
PHASE_LINE = re.compile(r"^trustgraph: (?P<name>[a-z ]+)(: (?P<what>[\d,]+ [a-z]+))? in \d+\.\d s$")


def test_core_reports_progress_through_the_callback_only(capfd: pytest.CaptureFixture[str]) -> None:
    reads: list[tuple[int, int]] = []
    snapshot, report = load_inputs([ACME], progress=lambda done, total: reads.append((done, total)))
    files = len(report.files_read) + len(report.files_rejected)
    assert reads[0] == (0, files) and reads[-1] == (files, files)
    assert [d for d, _ in reads] == sorted(d for d, _ in reads)

    builds: list[tuple[int, int]] = []
    graph = build_graph(snapshot, progress=lambda done, total: builds.append((done, total)))
    assert builds[-1] == (len(snapshot.roles), len(snapshot.roles))

    rules: list[tuple[int, int]] = []
    assert find(snapshot, graph, progress=lambda done, total: rules.append((done, total))) == find(snapshot, graph)
    assert rules[0] == (0, len(snapshot.roles)) and rules[-1] == (len(snapshot.roles), len(snapshot.roles))

    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def phase_lines(stderr: str) -> dict[str, str | None]:
    """The phases named on stderr, each with what it counted."""
    found = [PHASE_LINE.match(line) for line in stderr.splitlines() if line.startswith("trustgraph:")]
    assert all(found), stderr
    return {m["name"]: m["what"] for m in found if m}


def test_not_on_a_terminal_each_phase_ends_with_one_timed_line_and_stdout_stays_json() -> None:
    result = run("who-can-reach", BREAK_GLASS, "-i", str(ACME), "--json")
    assert result.exit_code == 0, result.output
    assert phase_lines(result.stderr) == {"read inputs": "9 files", "build graph": "59 roles"}
    assert json.loads(result.stdout)["target"] == BREAK_GLASS
    assert result.stdout == run("who-can-reach", BREAK_GLASS, "-i", str(ACME), "--json", "-q").stdout


def test_quiet_prints_no_phase_line() -> None:
    result = run("who-can-reach", BREAK_GLASS, "-i", str(ACME), "--json", "-q")
    assert result.exit_code == 0 and result.stderr == ""
    json.loads(result.stdout)


@pytest.mark.parametrize(("args", "phases"), [
    # build keeps the marks of pictures with the graph: the rules run once, before it is saved.
    (("build", "-o", "{tmp}/g.json"), ["read inputs", "build graph", "check rules", "save graph"]),
    (("build", "--no-marks", "-o", "{tmp}/g.json"), ["read inputs", "build graph", "save graph"]),
    # the JSON counts what each finding's fix cuts (docs/chokepoints.md)
    (("findings", "--format", "json"), ["read inputs", "build graph", "check rules", "count what each fix cuts"]),
    (("chokepoints", "--json"), ["read inputs", "build graph", "find sensitive roles", "find choke points"]),
    # Pictures mark sensitive roles and roles with findings: the rules run first.
    (("map", "-o", "{tmp}/m.dot"), ["read inputs", "build graph", "check rules", "render"]),
    (("path", CI_PIPELINE, BREAK_GLASS, "-o", "{tmp}/p.dot", "--json"), ["read inputs", "build graph", "check rules",
                                                                        "render"]),
    (("review", "--no-diagrams", "-o", "{tmp}/review"), ["read inputs", "build graph", "check rules",
                                                         "write review"]),
])
def test_every_long_phase_of_a_command_is_reported(args: tuple[str, ...], phases: list[str], tmp_path: Path) -> None:
    argv = [a.format(tmp=tmp_path) for a in args]
    result = run(argv[0], "-i", str(ACME), *argv[1:])
    assert result.exit_code == 0, result.output
    assert list(phase_lines(result.stderr)) == phases
    if "--json" in argv or "json" in argv:
        json.loads(result.stdout)
    quiet = run(argv[0], "-i", str(ACME), *argv[1:], "-q")
    assert quiet.exit_code == 0 and "trustgraph:" not in quiet.stderr


def test_a_saved_graph_is_read_in_a_phase(tmp_path: Path) -> None:
    assert run("build", "-i", str(ACME), "-o", str(tmp_path / "g.json"), "-q").exit_code == 0
    result = run("reach", CI_PIPELINE, "--graph", str(tmp_path / "g.json"), "--json")
    assert list(phase_lines(result.stderr)) == ["read graph"]
    assert json.loads(result.stdout)["reachable"]


def test_a_failed_phase_prints_no_line(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError), progress.phase("build graph", total=3, unit="roles"):
        raise RuntimeError("boom")
    assert capfd.readouterr().err == ""


def test_closing_line_counts_with_thousands_separators() -> None:
    tick = progress.Phase("read inputs", None, "files")
    tick(0, 1001)
    tick(1001)
    assert tick.summary(3.24) == "trustgraph: read inputs: 1,001 files in 3.2 s"
    tick.detail = "94 nodes"
    assert tick.summary(0.04) == "trustgraph: read inputs: 94 nodes in 0.0 s"
    assert progress.Phase("render", None, None).summary(1.0) == "trustgraph: render in 1.0 s"


TERMINAL_SCRIPT = """
import os, time
from trustgraph.cli import progress

with progress.phase("quick", total=2, unit="files") as tick:
    tick(1, 2)
progress.SHOW_AFTER = 0.0
with progress.phase("build graph", total=40, unit="roles") as tick:
    # Graphviz's noise filter points descriptor 2 at a file while it draws: the display must still show.
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        tick(17, 40)
        time.sleep(0.4)
        with progress.phase("nested"):  # no second live display: rich would refuse it
            pass
        os.dup2(saved, 2)
    tick(40, 40)
print("done")
"""


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_on_a_terminal_a_live_display_and_no_line() -> None:
    primary, secondary = os.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    child = subprocess.Popen([sys.executable, "-c", TERMINAL_SCRIPT], stdin=subprocess.DEVNULL,
                             stdout=secondary, stderr=secondary, env=env, cwd=ROOT)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert child.wait(timeout=60) == 0
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert "done" in shown, shown
    assert "build graph" in shown and "17/40" in shown, shown
    assert "quick" not in shown and "nested" not in shown and "trustgraph:" not in shown, shown
