"""Progress of the long phases: the core's callbacks, and what the CLI shows on stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trustgraph.analysis.findings import find
from trustgraph.cli import progress
from trustgraph.graph.build import build_graph
from trustgraph.sources.files import load_inputs

ROOT = Path(__file__).resolve().parent.parent
ACME = ROOT / "samples" / "acme"


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
