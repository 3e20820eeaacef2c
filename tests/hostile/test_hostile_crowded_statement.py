"""One trust statement naming 50,000 principals (issue 28, point 3): findings and pictures are linear in the
principals of one statement. The findings a rule makes about them are folded into one finding per (rule,
statement) with the count and a capped list (analysis/findings/fold.py); pictures fold alike principals, whole
outside accounts too, into one node with a count (render/views.fold_repeated).

IAM never holds such a statement (a trust policy is at most 4,096 characters; the readers refuse one 10× longer,
sources/policy_quotas.py), but a saved graph or a hand-made snapshot can: the tests lift the quota to get one.
The bounds are counts (findings, drawn nodes, statements written out, principals classified), which cannot be
flaky, and one CPU-time ratio between 5,000 and 50,000 principals with the collector paused (linear is 10)."""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.builders import A, Account, allow, identity, trust
from trustgraph.analysis.findings import find, fold, helpers
from trustgraph.analysis.findings.fold import FOLD_ABOVE, FOLDED_PRINCIPALS_SHOWN
from trustgraph.analysis.reachability import who_can_reach
from trustgraph.cli import main
from trustgraph.graph.build import build_graph
from trustgraph.graph.schema import TrustGraph
from trustgraph.model import Snapshot
from trustgraph.render.views import principals_view, reachers_view
from trustgraph.sources import policy_quotas
from trustgraph.sources.files import load_inputs

TARGET = f"arn:aws:iam::{A}:role/Crowded"
OUTSIDE_RULE = "TG302"  # an account outside the organization that is no known vendor


def crowd(n: int) -> list[str]:
    """n principals of n/3 outside accounts: account roots (ARN and bare id), role ARNs and user ARNs."""
    out = []
    for i in range(n):
        account = f"{200000000000 + i // 3:012d}"
        out.append((f"arn:aws:iam::{account}:root", f"arn:aws:iam::{account}:role/Deploy{i}",
                    f"arn:aws:iam::{account}:user/u{i}", account)[i % 4])
    return out


def write_crowded(folder: Path, n: int) -> Path:
    a = Account(A)
    a.role("Crowded", trust(crowd(n)), policies={"admin": identity(allow("*", "*"))})
    a.role("Quiet", trust(a.root))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{A}.json"
    path.write_text(json.dumps(a.gaad()), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def beyond_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_quotas, "TIMES", 10_000)


def loaded(tmp_path: Path, n: int) -> tuple[Snapshot, TrustGraph]:
    snapshot, report = load_inputs([write_crowded(tmp_path / str(n), n)])
    assert not [d for d in report.diagnostics if d.level == "error"]
    trust_policy = snapshot.roles[TARGET].trust
    assert trust_policy is not None and len(trust_policy.statements[0].principals or ()) == n
    return snapshot, build_graph(snapshot)


def drawn_nodes(dot: Any) -> int:
    return sum(1 for element in dot.evidence if element.startswith("node-"))


def test_crowded_statement_findings_fold_into_one_per_rule_and_statement(tmp_path: Path) -> None:
    n = 5_000
    snapshot, graph = loaded(tmp_path, n)
    found = find(snapshot, graph)
    outside = [f for f in found if f.rule == OUTSIDE_RULE and f.role == TARGET]
    assert len(outside) == 1
    folded = outside[0]
    assert folded.principal is None and folded.statement == "#0"
    assert folded.evidence["folded"]["count"] == n  # every principal is of an outside account
    listed = folded.evidence["folded"]["principals"]
    assert len(listed) == FOLDED_PRINCIPALS_SHOWN == folded.evidence["folded"]["principals_shown"]
    assert listed == sorted(listed) and f"{n:,} principals of statement #0" in folded.message
    assert len(found) < 50  # findings do not grow with the principals


def test_crowded_statement_a_statement_at_the_fold_bound_keeps_one_finding_per_principal(tmp_path: Path) -> None:
    """The negative control: FOLD_ABOVE principals of one statement are FOLD_ABOVE findings, as they always were;
    one more folds them."""
    for n, expected in ((FOLD_ABOVE, FOLD_ABOVE), (FOLD_ABOVE + 1, 1)):
        snapshot, graph = loaded(tmp_path, n)
        outside = [f for f in find(snapshot, graph) if f.rule == OUTSIDE_RULE and f.role == TARGET]
        assert len(outside) == expected
        assert all(("folded" in f.evidence) is (expected == 1) for f in outside)


def test_crowded_statement_findings_json_keeps_a_capped_list_and_the_count(tmp_path: Path) -> None:
    n = 5_000
    path = write_crowded(tmp_path / "in", n)
    out = tmp_path / "findings.json"
    result = CliRunner().invoke(main, ["findings", "-i", str(path), "-q", "--no-cache", "--format", "json",
                                       "-o", str(out), "--fail-on", "high"])
    assert result.exit_code == 1, result.stderr  # the gate trips on the folded high finding
    doc = json.loads(out.read_text(encoding="utf-8"))
    entry = next(f for f in doc["findings"] if f["rule"] == OUTSIDE_RULE)
    assert entry["principal"] is None and entry["evidence"]["folded"]["count"] == n
    assert len(entry["evidence"]["folded"]["principals"]) == FOLDED_PRINCIPALS_SHOWN
    # The statement is written out once per finding, and there are few findings: far below n² characters.
    assert out.stat().st_size < 200 * n


def test_crowded_statement_pictures_fold_the_principals(tmp_path: Path) -> None:
    n = 5_000
    snapshot, graph = loaded(tmp_path, n)
    reachers = who_can_reach(graph, TARGET).reachers
    assert len(reachers) > n // 2  # the answer lists every one (a root ARN and its bare id are one) …
    assert drawn_nodes(reachers_view(graph, TARGET, reachers)) < 30  # … the picture folds them
    assert drawn_nodes(principals_view(graph, focus=TARGET)) < 30
    # The control: a few principals are drawn one by one.
    snapshot, graph = loaded(tmp_path, 6)
    assert drawn_nodes(reachers_view(graph, TARGET, who_can_reach(graph, TARGET).reachers)) >= 5


def test_crowded_statement_cli_pictures_are_small(tmp_path: Path) -> None:
    path = write_crowded(tmp_path / "in", 2_000)
    for args in (["who-can-reach", TARGET], ["map", "--view", "principals"], ["map"]):
        out = tmp_path / f"{args[0]}.dot"
        result = CliRunner().invoke(main, [*args, "-i", str(path), "-q", "-o", str(out)])
        assert result.exit_code == 0, result.stderr
        assert out.stat().st_size < 40_000, args


def _counted(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> Callable[[], int]:
    calls = [0]
    real = getattr(module, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return lambda: calls[0]


@pytest.mark.slow
def test_crowded_statement_work_is_linear_in_the_principals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    statements_written = _counted(monkeypatch, helpers, "_statement_json")
    classified = _counted(monkeypatch, helpers, "classify_principal")
    folds = _counted(monkeypatch, fold, "folded")
    seconds: dict[int, float] = {}
    counts: dict[int, tuple[int, int, int]] = {}
    for n in (5_000, 50_000):
        snapshot, graph = loaded(tmp_path, n)
        before = (statements_written(), classified(), folds())
        gc.collect()
        gc.disable()  # the collector's rescans of a large heap are no work of the code under test
        try:
            started = time.process_time()
            found = find(snapshot, graph)
            reachers = who_can_reach(graph, TARGET).reachers
            pictures = (reachers_view(graph, TARGET, reachers), principals_view(graph, focus=TARGET))
            seconds[n] = time.process_time() - started
        finally:
            gc.enable()
        counts[n] = (statements_written() - before[0], classified() - before[1], folds() - before[2])
        assert len(found) < 50 and all(drawn_nodes(p) < 30 for p in pictures)
    # One statement is written out as JSON a bounded number of times, however many principals it names; each
    # principal is classified a bounded number of times (linear: 10× the principals, 10× the calls).
    assert counts[50_000][0] == counts[5_000][0] <= 5
    assert counts[50_000][2] == counts[5_000][2] >= 1
    assert counts[50_000][1] <= 10.5 * counts[5_000][1]
    ratio = seconds[50_000] / seconds[5_000]
    assert ratio < 20, f"CPU {seconds}: ×{ratio:.1f} for ×10 the principals"
