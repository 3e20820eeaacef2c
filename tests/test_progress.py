"""Progress of the long phases: the core's callbacks, and what the CLI shows on stderr."""

from __future__ import annotations

from pathlib import Path

from trustgraph.analysis.findings import find
from trustgraph.graph.build import build_graph
from trustgraph.sources.files import load_inputs

ROOT = Path(__file__).resolve().parent.parent
ACME = ROOT / "samples" / "acme"


def test_core_reports_progress_through_the_callback_only(capfd) -> None:  # type: ignore[no-untyped-def]
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
