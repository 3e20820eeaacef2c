"""An organization built in parts and merged answers as one build of it (graph/parts.py, docs/scale-out.md)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner

from tests.builders import A, Account, B, allow, benchmark_equivalence, benchmark_generator, identity, load, trust
from trustgraph.cli.app import main
from trustgraph.graph.build import build_graph
from trustgraph.graph.indirect_base import admin_node
from trustgraph.graph.parts import MergeError, Merger, batch, in_units, merge
from trustgraph.model import Snapshot
from trustgraph.saved.serialize import read_saved
from trustgraph.sources.files import load_inputs

ACME = Path(__file__).resolve().parents[2] / "samples" / "acme"
MOMENT = datetime(2026, 1, 31, tzinfo=UTC)
TIME = "2026-01-31T00:00:00Z"


def _parts(snapshot: Snapshot, count: int, inputs: str = "same") -> list[tuple[nx.DiGraph, str]]:
    out = []
    for k in range(1, count + 1):
        g = build_graph(snapshot, data_time=MOMENT, part=batch(snapshot, k, count))
        g.graph["part"].update(index=k, count=count, inputs=inputs, trustgraph="test")
        out.append((g, f"part-{k}"))
    return out


def _answers(graph: nx.DiGraph, via: str | None) -> set[tuple[Any, ...]]:
    equivalence = benchmark_equivalence()
    return equivalence._rows(equivalence.graph_answers(graph, via)[1])


def _pairs(graph: nx.DiGraph) -> set[tuple[Any, ...]]:
    """Who reaches which role, whatever the path (a graph missing edges may answer a pair by a longer one)."""
    return {answer[:2] for answer in _answers(graph, None)}


def _same_answers(whole: nx.DiGraph, merged: nx.DiGraph) -> None:
    for via in (None, "assume"):
        assert _answers(merged, via) == _answers(whole, via), via


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """30-account organizations of generate_org.py: the default style, org-wide `*` trusts (trust classes), and
    Identity Center."""
    base = tmp_path_factory.mktemp("orgs")
    gen = benchmark_generator()
    gen.generate(base / "default", 30, 20, 6, 7)
    gen.generate(base / "org-wide", 30, 20, 6, 7, style="org-wide")
    gen.generate(base / "identity-center", 30, 20, 6, 7, identity_center="60,6,6,120")
    return {p.name: p for p in base.iterdir()}


@pytest.mark.parametrize("dataset", ["acme", "default", "org-wide", "identity-center"])
def test_merged_parts_answer_like_whole_build(dataset: str, generated: dict[str, Path]) -> None:
    snapshot, _ = load_inputs([ACME if dataset == "acme" else generated[dataset]])
    whole = build_graph(snapshot, data_time=MOMENT)
    merged = merge(_parts(snapshot, 3), snapshot)
    _same_answers(whole, merged)
    assert merged.graph["parts"]["missing_accounts"] == []
    # every principal and every caller node as one build draws it (hub ids are the build's own)
    hubs = {n for n, d in whole.nodes(data=True) if d.get("hub")}
    for node, data in whole.nodes(data=True):
        if node not in hubs:
            assert merged.nodes[node] == data, node
    assert merged.number_of_edges() == whole.number_of_edges()
    # Control: one part alone answers less (the parts did split the work).
    alone = merge(_parts(snapshot, 3)[:1], snapshot)
    assert len(_pairs(alone)) < len(_pairs(whole))


def test_merged_class_hubs_are_one_node_per_content(generated: dict[str, Path]) -> None:
    snapshot, _ = load_inputs([generated["org-wide"]])
    whole = build_graph(snapshot, data_time=MOMENT)
    merger = Merger()
    for graph, name in _parts(snapshot, 3):
        merger.add(graph, name)
    merged = merger.finish(snapshot)

    def classes(g: nx.DiGraph) -> int:
        return sum(1 for _, d in g.nodes(data=True) if d.get("kind") == "class")

    assert classes(merged) == classes(whole) > 0
    # Control: the parts drew the same class hubs again and again (renamed per part, they would all be kept).
    assert merger.stats.class_hubs_seen > merger.stats.class_hubs_kept == classes(whole)
    assert merger.stats.member_edges_shared > 0
    # what two parts both drew, they drew alike
    assert merger.stats.edge_conflicts == [] and merger.stats.node_conflicts == []


def _write_through_other_account() -> tuple[Snapshot, str]:
    """A user of A may write a policy onto role Target of A, which it reaches only through role Hop of B."""
    a, b = Account(A), Account(B)
    hop = b.arn("role", "Hop")
    target = a.arn("role", "Target")
    writer = a.user("writer", policies=identity(allow("iam:PutRolePolicy", target), allow("sts:AssumeRole", hop)))
    a.role("Target", trust(hop))
    a.role("Other", trust(A))
    b.role("Hop", trust(writer), policies=identity(allow("sts:AssumeRole", target)))
    snapshot, _ = load(a, b)
    return snapshot, writer


def test_a_policy_write_reached_through_another_part_is_decided_by_the_merge() -> None:
    snapshot, writer = _write_through_other_account()
    whole = build_graph(snapshot, data_time=MOMENT)
    assert whole.has_edge(writer, admin_node(A))  # the write makes Target an administrator, reached through Hop
    parts = _parts(snapshot, 2)
    first = parts[0][0]
    assert not first.has_edge(writer, admin_node(A))  # the part does not see Hop's trust: it cannot decide
    assert [w["src"] for w in first.graph["part"]["writes"]] == [writer]
    merged = merge(copy.deepcopy(parts), snapshot)
    assert merged.has_edge(writer, admin_node(A))
    _same_answers(whole, merged)
    # Control: the same parts merged without their deferred writes answer less than one build.
    for graph, _ in parts:
        graph.graph["part"]["writes"] = []
    undecided = merge(parts, snapshot)
    assert not undecided.has_edge(writer, admin_node(A))
    assert _answers(undecided, None) != _answers(whole, None)


def test_a_merge_missing_a_part_says_it_is_incomplete() -> None:
    snapshot, _ = load_inputs([ACME])
    parts = _parts(snapshot, 3)
    merged = merge(parts[:2], snapshot)
    missing = sorted(batch(snapshot, 3, 3))
    assert merged.graph["parts"]["missing_accounts"] == missing
    assert any("parts missing from the merge" in gap for gap in merged.graph["incomplete"])
    assert _pairs(merged) < _pairs(build_graph(snapshot, data_time=MOMENT))
    # Control: all three parts leave nothing missing.
    whole = merge(_parts(snapshot, 3), snapshot)
    assert whole.graph["parts"]["missing_accounts"] == []
    assert not any("parts missing" in gap for gap in whole.graph["incomplete"])


def test_parts_of_other_inputs_are_refused() -> None:
    snapshot, _ = load_inputs([ACME])
    first, second = _parts(snapshot, 2)[0], _parts(snapshot, 2, inputs="other")[1]
    merger = Merger()
    merger.add(*first)
    with pytest.raises(MergeError, match="other inputs"):
        merger.add(*second)
    # Controls: the same part twice overlaps; parts of the same inputs merge.
    with pytest.raises(MergeError, match="also in part"):
        merger.add(*_parts(snapshot, 2)[0])
    merger.add(*_parts(snapshot, 2)[1])


def test_ou_parts_cover_the_accounts_under_them() -> None:
    snapshot, _ = load_inputs([ACME])
    workloads = in_units(snapshot, ["Workloads"])
    assert workloads == {"444444444444", "555555555555", "666666666666"}
    assert in_units(snapshot, ["ou-acme-2b7g5y8k"]) == {"555555555555", "666666666666"}
    with pytest.raises(ValueError, match="no such OU"):
        in_units(snapshot, ["Nowhere"])


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_parts_by_ou_and_account_merge_like_one_build(tmp_path: Path) -> None:
    files = []
    for i, selection in enumerate((["--ou", "Workloads"], ["--ou", "Security", "--ou", "Infrastructure"],
                                   ["--account", "111111111111"])):
        out = tmp_path / f"part-{i}.tgdb"
        result = _cli("build", "-i", str(ACME), *selection, "--data-time", TIME, "-q", "-o", str(out))
        assert result.exit_code == 0, result.output
        files.append(str(out))
    merged = tmp_path / "merged.tgdb"
    result = _cli("merge", *files, "-q", "-o", str(merged))
    assert result.exit_code == 0, result.output
    snapshot, _ = load_inputs([ACME])
    _same_answers(build_graph(snapshot, data_time=MOMENT), read_saved(merged).graph)
    # Controls: without the management account's part the merge is written, incomplete, exit 3; without
    # --data-time (acme holds no collection time) a part is refused, exit 2.
    result = _cli("merge", *files[:2], "-q", "-o", str(tmp_path / "two.tgdb"))
    assert result.exit_code == 3 and "incomplete" in result.output
    assert read_saved(tmp_path / "two.tgdb").graph.graph["parts"]["missing_accounts"] == ["111111111111"]
    result = _cli("build", "-i", str(ACME), "--part", "1/2", "-q", "-o", str(tmp_path / "x.tgdb"))
    assert result.exit_code == 2 and "--data-time" in result.output


def test_cli_merge_refuses_parts_of_other_inputs(tmp_path: Path) -> None:
    other = tmp_path / "acme-changed"
    other.mkdir()
    for f in ACME.glob("*.json"):
        (other / f.name).write_bytes(f.read_bytes())
    (other / "666666666666-acme-dev.json").unlink()
    for name, data in (("a", ACME), ("b", other)):
        result = _cli("build", "-i", str(data), "--part", "1/2" if name == "a" else "2/2", "--data-time", TIME, "-q",
                      "-o", str(tmp_path / f"{name}.tgdb"))
        assert result.exit_code == 0, result.output
    result = _cli("merge", str(tmp_path / "a.tgdb"), str(tmp_path / "b.tgdb"), "-q", "-o", str(tmp_path / "m.tgdb"))
    assert result.exit_code == 2
    assert "other inputs" in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "m.tgdb").exists()
    # Control: part 2 of the same inputs merges.
    result = _cli("build", "-i", str(ACME), "--part", "2/2", "--data-time", TIME, "-q", "-o", str(tmp_path / "c.tgdb"))
    assert result.exit_code == 0, result.output
    result = _cli("merge", str(tmp_path / "a.tgdb"), str(tmp_path / "c.tgdb"), "-q", "-o", str(tmp_path / "m.tgdb"))
    assert result.exit_code == 0, result.output
