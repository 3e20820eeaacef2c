"""The saved graph (SQLite): exact round trips, the snapshot inside it, bad files, the old JSON format."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import networkx as nx
import pytest
from builders import benchmark_generator

from trustgraph.graph.build import build_graph
from trustgraph.graph.schema import GRAPH_SCHEMA as SCHEMA
from trustgraph.load_report import LoadReport
from trustgraph.model import Snapshot
from trustgraph.saved.serialize import (
    GraphFileError,
    keep_products,
    load_graph,
    read_saved,
    save_graph,
    saved_inputs,
)
from trustgraph.saved.store import SQLITE_MAGIC, STORE_VERSION
from trustgraph.sources.files import load_inputs

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "samples" / "acme"


def assert_identical(expected: nx.DiGraph, actual: nx.DiGraph) -> None:
    """Same nodes, edges, attributes (values, types and key order), neighbour orders, graph attributes."""
    assert type(actual) is nx.DiGraph
    assert json.dumps(actual.graph) == json.dumps(expected.graph)
    assert list(actual._node) == list(expected._node)
    for node, attrs in expected._node.items():
        assert json.dumps(actual._node[node]) == json.dumps(attrs), node
        assert list(actual._adj[node]) == list(expected._adj[node]), node
        assert list(actual._pred[node]) == list(expected._pred[node]), node
    assert actual.number_of_edges() == expected.number_of_edges()
    for u, v, attrs in expected.edges(data=True):
        assert json.dumps(actual._adj[u][v]) == json.dumps(attrs), (u, v)
        assert actual._pred[v][u] is actual._adj[u][v]


def round_trip(graph: nx.DiGraph, tmp_path: Path, **kwargs) -> nx.DiGraph:
    path = tmp_path / "graph.tgdb"
    save_graph(graph, path, **kwargs)
    assert path.read_bytes()[:16] == SQLITE_MAGIC
    return load_graph(path)


@pytest.fixture(scope="module")
def acme() -> tuple[Snapshot, LoadReport, nx.DiGraph]:
    snapshot, report = load_inputs([ACME])
    return snapshot, report, build_graph(snapshot)


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Snapshot, LoadReport, nx.DiGraph]:
    """A small organization from the benchmark generator: hubs, member edges, SCPs, every trust kind."""
    generator = benchmark_generator()
    directory = tmp_path_factory.mktemp("org")
    generator.generate(directory, accounts=12, roles_per_account=40, users_per_account=6, seed=11,
                       mix=generator.TrustMix(org_wildcard=0.02))
    snapshot, report = load_inputs([directory])
    return directory, snapshot, report, build_graph(snapshot)


def test_acme_round_trip_is_identical(acme, tmp_path: Path) -> None:
    snapshot, report, graph = acme
    path = tmp_path / "acme.tgdb"
    save_graph(graph, path, snapshot=snapshot, report=report, inputs=[str(ACME)])
    saved = read_saved(path, snapshot=True, report=True)
    assert_identical(graph, saved.graph)
    assert saved.snapshot == snapshot and saved.report == report and saved.inputs == [str(ACME)]
    assert saved_inputs(path) == [str(ACME)]


def test_generated_organization_round_trip_is_identical_and_about_the_size_of_its_inputs(org, tmp_path: Path) -> None:
    directory, snapshot, report, graph = org
    assert any(d.get("hub") for _, d in graph.nodes(data=True))
    assert any(d["kind"] == "member" for _, _, d in graph.edges(data=True))
    path = tmp_path / "org.tgdb"
    save_graph(graph, path, snapshot=snapshot, report=report)
    saved = read_saved(path, snapshot=True, report=True)
    assert_identical(graph, saved.graph)
    assert saved.snapshot == snapshot and saved.report == report
    inputs = sum(p.stat().st_size for p in directory.glob("*.json"))
    # the graph twice (packed for loading whole, by node for queries: store_version 3) and the snapshot
    assert path.stat().st_size < 1.2 * inputs


@pytest.mark.parametrize("damage", ["node attribute", "edge attribute", "evidence field", "evidence item",
                                    "graph attribute", "predecessor order", "value type"])
def test_the_identity_check_notices_what_a_lossy_store_would_drop(acme, tmp_path: Path, damage: str) -> None:
    """The round-trip assertions above would fail if the store dropped or changed anything."""
    _, _, graph = acme
    loaded = round_trip(graph, tmp_path)
    assert_identical(graph, loaded)
    u, v, data = next((u, v, d) for u, v, d in loaded.edges(data=True) if d["conditions"])
    if damage == "node attribute":
        del loaded.nodes[u]["label"]
    elif damage == "edge attribute":
        del data["classification"]
    elif damage == "evidence field":
        data["evidence"] = [{k: x for k, x in e.items() if k != "reason"} for e in data["evidence"]]
    elif damage == "evidence item":
        data["evidence"] = data["evidence"][1:]
    elif damage == "graph attribute":
        del loaded.graph["trust_problems"]
    elif damage == "predecessor order":
        role = next(n for n in loaded if len(loaded._pred[n]) > 1)
        loaded._pred[role] = dict(reversed(loaded._pred[role].items()))
    else:
        data["conditional"] = int(data["conditional"])
    with pytest.raises(AssertionError):
        assert_identical(graph, loaded)


def test_any_json_attributes_and_node_ids_round_trip(tmp_path: Path) -> None:
    """The store knows no attribute names: odd values, new attributes, non-string ids all come back."""
    g = nx.DiGraph(schema=SCHEMA, nested={"a": [1, {"b": None}]}, empty=[])
    g.add_node(1, flag=True, count=1, ratio=1.0, text="1", none=None, tags={"k": "v"}, items=["x", 2])
    g.add_node((2, "two"), flag=1, count=True, tags={"k": "v"}, nested={"deep": [[1], {"x": [True]}]})
    g.add_node("three", text="with\0nul", empty="", zero=0.0, negative_zero=-0.0, number=0, false=False)
    g.add_edge(1, (2, "two"), kind="assume", evidence=[{"role": "r", "statement": 0, "conditions": []},
                                                       {"role": "r", "statement": 1, "conditions": [{"k": 1}]}])
    g.add_edge((2, "two"), 1, kind="member", evidence=[])
    g.add_edge("three", "three", evidence="not a list of dicts")
    g.add_edge("three", 1)
    g.add_edge(1, "three", evidence=[{"role": "r", "statement": 0, "conditions": []}], new_attribute=[1, "a"])
    loaded = round_trip(g, tmp_path)
    assert_identical(g, loaded)
    nul = nx.DiGraph()
    nul.add_edge("a\0b", "c", evidence=[])  # string node ids holding NUL
    assert_identical(nul, round_trip(nul, tmp_path / "nul"))
    assert loaded.nodes[1]["flag"] is True and type(loaded.nodes[(2, "two")]["flag"]) is int
    assert loaded.edges[1, "three"]["evidence"] == [{"role": "r", "statement": 0, "conditions": []}]


def test_loaded_attribute_containers_belong_to_their_node_or_edge(org, tmp_path: Path) -> None:
    """Equal values are stored once, but each node and edge gets its own lists and dicts (annotate and
    callers may change them); only evidence, read-only, is shared between edges."""
    *_, graph = org
    loaded = round_trip(graph, tmp_path)
    tags = [d["tags"] for _, d in loaded.nodes(data=True) if d.get("tags") == {}]
    assert len(tags) > 1 and len({id(t) for t in tags}) == len(tags)
    conditions = [d["conditions"] for _, _, d in loaded.edges(data=True)]
    assert len({id(c) for c in conditions}) == len(conditions)
    lists = [d["evidence"] for _, _, d in loaded.edges(data=True)]
    assert len({id(e) for e in lists}) == len(lists)
    first = next(d for _, _, d in loaded.edges(data=True) if d["conditions"])
    first["conditions"].append("changed")
    assert_identical(graph, round_trip(graph, tmp_path))
    assert sum("changed" in d["conditions"] for _, _, d in loaded.edges(data=True)) == 1


def test_a_loaded_graph_saves_again_identically(org, tmp_path: Path) -> None:
    *_, graph = org
    once = round_trip(graph, tmp_path / "once")
    assert_identical(graph, round_trip(once, tmp_path / "twice"))


def test_old_node_link_json_graphs_still_load(acme, tmp_path: Path) -> None:
    _, _, graph = acme
    data = nx.node_link_data(graph, edges="edges")
    data["schema"] = SCHEMA
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(data))
    loaded = load_graph(path)
    assert sorted(loaded.edges) == sorted(graph.edges) and loaded.graph == graph.graph
    with pytest.raises(GraphFileError, match="without the policies"):
        read_saved(path, snapshot=True, require_snapshot=True)


def test_file_names_that_look_like_uri_syntax(acme, tmp_path: Path) -> None:
    *_, graph = acme
    path = tmp_path / "a dir?#%20" / "graph?mode=rw#x.tgdb"
    save_graph(graph, path)
    assert_identical(graph, load_graph(path))


def test_graph_only_save_has_no_snapshot(acme, tmp_path: Path) -> None:
    _, _, graph = acme
    path = tmp_path / "graph.tgdb"
    save_graph(graph, path)
    assert read_saved(path, snapshot=True).snapshot is None
    with pytest.raises(GraphFileError, match=r"graph\.tgdb: holds the graph only"):
        read_saved(path, snapshot=True, require_snapshot=True)


def test_only_the_snapshot_fields_asked_for_are_read(acme, tmp_path: Path) -> None:
    snapshot, _, graph = acme
    path = tmp_path / "graph.tgdb"
    save_graph(graph, path, snapshot=snapshot)
    partial = read_saved(path, snapshot=("organization",)).snapshot
    assert partial is not None and partial.organization == snapshot.organization and not partial.roles


# ---------------------------------------------------------------------------------------------- bad files


@pytest.fixture()
def saved(acme, tmp_path: Path) -> Path:
    snapshot, report, graph = acme
    path = tmp_path / "good.tgdb"
    save_graph(graph, path, snapshot=snapshot, report=report)
    return path


def _one_line_error(path: Path, **kwargs) -> str:
    with pytest.raises(GraphFileError) as info:
        read_saved(path, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message


@pytest.mark.parametrize("keep", [20, 100, 4096, 0.5, -1000])
def test_a_truncated_saved_graph_is_a_one_line_error(saved: Path, tmp_path: Path, keep: float) -> None:
    data = saved.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep
    path = tmp_path / "truncated.tgdb"
    path.write_bytes(data[:cut])
    message = _one_line_error(path, snapshot=True, report=True)
    assert "damaged" in message or "not a readable SQLite database" in message or "not a graph saved" in message


def test_an_sqlite_database_of_something_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE meta (key TEXT, value TEXT)")
        con.execute("INSERT INTO meta VALUES ('format', 'something')")
    con.close()
    assert "an SQLite database, but not a graph saved by trustgraph" in _one_line_error(path)


def test_another_store_version_is_refused_with_a_hint(saved: Path) -> None:
    with sqlite3.connect(saved) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'store_version'", (str(STORE_VERSION + 1),))
    con.close()
    message = _one_line_error(saved)
    assert f"format version {STORE_VERSION + 1}" in message and "trustgraph build" in message


def test_policies_of_another_model_version_are_refused_but_the_graph_loads(acme, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from trustgraph.saved import store

    snapshot, report, graph = acme
    path = tmp_path / "other-model.tgdb"
    with monkeypatch.context() as patch:  # written by a trustgraph whose model classes differ
        patch.setattr(store.SNAPSHOT_CODEC, "fingerprint", "0000")
        save_graph(graph, path, snapshot=snapshot, report=report)
    assert read_saved(path).graph.number_of_nodes() > 0
    assert "another trustgraph version" in _one_line_error(path, snapshot=True, require_snapshot=True)


def test_a_damaged_table_is_a_one_line_error(saved: Path) -> None:
    with sqlite3.connect(saved) as con:
        con.execute("UPDATE edges SET data = x'0102' WHERE name = 'dst'")
    con.close()
    assert "damaged saved graph" in _one_line_error(saved)


@pytest.mark.parametrize("content", [b"", b"\x00\x01binary", b"[1, 2]", b'{"schema": "other"}', b"{not json"])
def test_other_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "graph.json"
    path.write_bytes(content)
    _one_line_error(path)


def test_a_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    assert "cannot read" in _one_line_error(tmp_path / "nope.tgdb")


def test_a_saved_graph_does_not_depend_on_hash_randomization(tmp_path: Path) -> None:
    # sets (the collected accounts…) are written sorted: two processes with other string hashes write one file
    import os
    import subprocess
    import sys

    acme = Path(__file__).resolve().parents[2] / "samples" / "acme"
    tables = []
    for seed in ("1", "2"):
        out = tmp_path / f"acme-{seed}.tgdb"
        subprocess.run([sys.executable, "-m", "trustgraph.cli", "build", "-i", str(acme), "--no-cache", "-q",
                        "-o", str(out)], check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        tables.append(list(sqlite3.connect(out).execute("SELECT * FROM snapshot")))
    assert tables[0] == tables[1]


def test_products_added_to_a_saved_graph_read_back_and_the_graph_is_unchanged(acme, tmp_path: Path) -> None:
    snapshot, report, graph = acme
    path = tmp_path / "entry.tgdb"
    save_graph(graph, path, snapshot=snapshot, report=report)
    assert read_saved(path, products=("marks",)).products == {}  # negative control: none written
    keep_products(path, {"marks": {"format": 1, "sensitive": {"a": "b"}}})
    saved = read_saved(path, snapshot=True, report=True, products=("marks", "other"))
    assert saved.products == {"marks": {"format": 1, "sensitive": {"a": "b"}}}
    assert_identical(graph, saved.graph)
    assert saved.snapshot == snapshot
    keep_products(path, {"marks": {"format": 1}})  # replaced, not added twice
    assert read_saved(path, products=("marks",)).products == {"marks": {"format": 1}}


def test_products_are_never_added_to_a_damaged_saved_graph(acme, tmp_path: Path) -> None:
    snapshot, _, graph = acme
    path = tmp_path / "entry.tgdb"
    save_graph(graph, path, snapshot=snapshot)
    with sqlite3.connect(path) as con:
        con.execute("UPDATE edges SET data = x'0102' WHERE name = 'dst'")
    con.close()
    with pytest.raises(GraphFileError, match="does not match its digest"):
        keep_products(path, {"marks": {}})
    assert "damaged saved graph" in _one_line_error(path)  # still refused: no fresh digest was written
