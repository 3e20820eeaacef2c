"""Every command from a saved graph (--graph) answers as from the inputs."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.graph.serialize import read_saved

ROOT = Path(__file__).resolve().parent.parent
ACME = str(ROOT / "samples" / "acme")
BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"
KNOWN = "- name: Datadog\n  source: https://example.invalid/list\n  accounts: ['464622532012']\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("known") / "known.yaml"
    path.write_text(KNOWN)
    return str(path)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("saved") / "acme.tgdb"
    code, _, err = run("build", "-i", ACME, "-o", str(path))
    assert code == 0, err
    return str(path)


# ------------------------------------------------------------------------------------- --graph everywhere


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "markdown"])
def test_findings_from_a_saved_graph_match_the_inputs(saved: str, known: str, fmt: str) -> None:
    fresh = run("findings", "-i", ACME, "--known-accounts", known, "--format", fmt)
    loaded = run("findings", "--graph", saved, "--known-accounts", known, "--format", fmt)
    assert fresh[0] == loaded[0] == 0, loaded[2]
    assert loaded[1] == fresh[1] and loaded[1].strip()


def test_review_from_a_saved_graph_matches_the_inputs(saved: str, known: str, tmp_path: Path) -> None:
    fresh, loaded = tmp_path / "fresh", tmp_path / "loaded"
    assert run("review", "-i", ACME, "--known-accounts", known, "-o", str(fresh), "-q")[0] == 0
    code, _, err = run("review", "--graph", saved, "--known-accounts", known, "-o", str(loaded), "-q")
    assert code == 0, err
    files = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(loaded) for p in loaded.rglob("*") if p.is_file())
    assert Path("report.md") in files and Path("findings.json") in files
    for name in files:
        assert (loaded / name).read_bytes() == (fresh / name).read_bytes(), name


@pytest.mark.parametrize("view", [("--view", "accounts"), ("--view", "principals"),
                                  ("--focus", BREAK_GLASS), ("--account", "444444444444")])
def test_map_from_a_saved_graph_matches_the_inputs(saved: str, known: str, tmp_path: Path, view) -> None:
    fresh, loaded = tmp_path / "fresh.dot", tmp_path / "loaded.dot"
    assert run("map", "-i", ACME, *view, "--known-accounts", known, "-o", str(fresh))[0] == 0
    code, _, err = run("map", "--graph", saved, *view, "--known-accounts", known, "-o", str(loaded))
    assert code == 0, err
    assert loaded.read_text() == fresh.read_text()
    if view[1] == "accounts":
        assert "label=NonProd" in loaded.read_text()  # OU names come from the stored organization


@pytest.mark.parametrize("command", [("who-can-reach", BREAK_GLASS, "--json"),
                                     ("reach", "arn:aws:iam::333333333333:role/ci/CIPipeline", "--json"),
                                     ("path", "arn:aws:iam::333333333333:role/ci/CIPipeline", BREAK_GLASS,
                                      "--json")])
def test_queries_from_a_saved_graph_match_the_inputs(saved: str, command: tuple[str, ...]) -> None:
    fresh = run(*command, "-i", ACME)
    loaded = run(*command, "--graph", saved)
    assert fresh[0] == loaded[0] == 0 and loaded[1] == fresh[1]


def test_graph_and_input_together_are_refused(saved: str) -> None:
    code, _, err = run("findings", "--graph", saved, "-i", ACME)
    assert code == 2 and "either --graph or --input" in err


def test_commands_needing_policies_explain_an_old_graph(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    assert run("build", "-i", ACME, "-o", str(tmp_path / "new.tgdb"))[0] == 0
    graph = read_saved(tmp_path / "new.tgdb").graph
    data = nx.node_link_data(graph, edges="edges")
    data["schema"] = graph.graph["schema"]
    old.write_text(json.dumps(data))
    code, out, err = run("findings", "--graph", str(old))
    assert code == 2 and "without the policies" in err and "trustgraph build" in err and "Traceback" not in err
    # who-can-reach and map still work on it, and build converts it (graph only, there are no policies).
    assert run("who-can-reach", BREAK_GLASS, "--graph", str(old), "--json")[0] == 0
    converted = tmp_path / "converted.tgdb"
    assert run("build", "--graph", str(old), "-o", str(converted))[0] == 0
    assert read_saved(converted).graph.number_of_edges() == graph.number_of_edges()


def test_build_from_a_saved_graph_keeps_its_policies(saved: str, tmp_path: Path, known: str) -> None:
    again = tmp_path / "again.tgdb"
    code, _, err = run("build", "--graph", saved, "--known-accounts", known, "-o", str(again))
    assert code == 0, err
    reread = read_saved(again, snapshot=True)
    assert reread.snapshot is not None and reread.snapshot == read_saved(saved, snapshot=True).snapshot
    assert reread.inputs == [ACME]
    assert any(d.get("vendor") == "Datadog" for _, d in reread.graph.nodes(data=True))


@pytest.mark.parametrize("content", [b"", b"SQLite format 3\x00" + b"\x00" * 200, b"{\"schema\": 1}"])
def test_bad_graph_files_are_one_line_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.tgdb"
    path.write_bytes(content)
    for command in (("who-can-reach", BREAK_GLASS), ("findings",), ("map", "-o", str(tmp_path / "m.svg"))):
        code, out, err = run(*command, "--graph", str(path))
        assert code == 2 and err.startswith(f"error: {path}: ") and err.count("\n") == 1, err
        assert "Traceback" not in out + err
