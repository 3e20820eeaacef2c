"""Queries from a saved graph read on demand (`trustgraph.saved.lazy`): the same answers as from the graph loaded
whole, reading only the rows the answer touches, and a damaged row refused when a query reads it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from builders import benchmark_generator
from click.testing import CliRunner

from trustgraph.analysis.answers import paths_json, reach_json, who_can_reach_json
from trustgraph.analysis.people import people_of, person_json
from trustgraph.analysis.reachability import k_shortest_paths, reach, who_can_reach
from trustgraph.cli.app import main
from trustgraph.graph.build import build_graph
from trustgraph.saved.lazy import LazyGraph, open_lazy
from trustgraph.saved.serialize import GraphFileError, load_graph, save_graph
from trustgraph.saved.store import STORE_VERSION, SavedFile, _unpacked
from trustgraph.sources.files import load_inputs

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "samples" / "acme"
BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"
# every option of the searches: --via groups, --max-hops, --from-outside, --people
OPTIONS: list[dict[str, Any]] = [
    {}, {"via": "assume"}, {"via": "all"}, {"via": "passrole"}, {"via": ("assume", "iam")}, {"max_hops": 1},
    {"max_hops": 2, "via": "assume"}, {"from_outside": True}, {"people": True},
]


def _saved(graph: nx.DiGraph, path: Path, **kwargs: Any) -> Path:
    save_graph(graph, path, **kwargs)
    return path


@pytest.fixture(scope="module")
def acme_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    snapshot, report = load_inputs([ACME])
    return _saved(build_graph(snapshot), tmp_path_factory.mktemp("acme") / "acme.tg", snapshot=snapshot,
                  report=report)


@pytest.fixture(scope="module")
def org_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """generate_org.py --accounts 30 (20 roles and 5 users per account: every role is asked about)."""
    data = tmp_path_factory.mktemp("org30")
    benchmark_generator().generate(data, 30, 20, 5, 7)
    snapshot, report = load_inputs([data])
    return _saved(build_graph(snapshot), data.parent / "org30.tg", snapshot=snapshot, report=report)


def _lazy(path: Path) -> LazyGraph:
    graph = open_lazy(path)
    assert isinstance(graph, LazyGraph)
    return graph


def _who(graph: nx.DiGraph, target: str, options: dict[str, Any]) -> str:
    """The JSON who-can-reach prints (without its usage facts: these graphs hold no CloudTrail events)."""
    people = options.get("people", False)
    answer = who_can_reach(graph, target, options.get("max_hops"), from_outside=options.get("from_outside", False),
                           via=options.get("via"), people=people)
    payload = who_can_reach_json(answer)
    if people:
        payload["people"] = [person_json(p) for p in people_of(graph, answer.reachers)]
    return json.dumps(payload)


def _principals(graph: nx.DiGraph, *kinds: str) -> list[str]:
    return [n for n, d in graph.nodes(data=True) if d.get("kind") in kinds]


@pytest.mark.parametrize("which", ["acme", "org30"])
def test_lazy_who_can_reach_matches_full_load(which: str, acme_file: Path, org_file: Path) -> None:
    path = acme_file if which == "acme" else org_file
    full, lazy = load_graph(path), _lazy(path)
    roles = _principals(full, "role")
    users = _principals(full, "user")[:20]
    assert len(roles) > 20
    for target in roles + users:
        for options in OPTIONS:
            assert _who(lazy, target, options) == _who(full, target, options), (target, options)
    # negative control: the comparison tells answers apart
    assert _who(full, roles[0], {}) != _who(full, roles[1], {}) or _who(full, roles[0], {}) != _who(full, roles[2], {})


@pytest.mark.parametrize("which", ["acme", "org30"])
def test_lazy_reach_and_path_match_full_load(which: str, acme_file: Path, org_file: Path) -> None:
    path = acme_file if which == "acme" else org_file
    full, lazy = load_graph(path), _lazy(path)
    sources = _principals(full, "user")[:40] + _principals(full, "role")[::7]
    for source in sources:
        for options in OPTIONS[:7]:
            expected = json.dumps(reach_json(reach(full, source, options.get("max_hops"), via=options.get("via"))))
            got = json.dumps(reach_json(reach(lazy, source, options.get("max_hops"), via=options.get("via"))))
            assert got == expected, (source, options)
    for source in sources[:25]:
        found = reach(full, source).reachable
        for target in [r.principal for r in found[:: max(1, len(found) // 4)]]:
            for k, via in ((3, None), (1, "assume"), (5, "all"), (3, "passrole")):
                expected = json.dumps(paths_json(source, target, k_shortest_paths(full, source, target, k, via)))
                assert json.dumps(paths_json(source, target, k_shortest_paths(lazy, source, target, k, via))) \
                    == expected, (source, target, k, via)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Rows fetched from any saved graph from now on."""
    fetched = [0]
    query = SavedFile._query

    def counted(self: SavedFile, sql: str, args: Any = ()) -> list[Any]:
        rows = query(self, sql, args)
        fetched[0] += len(rows)
        return rows

    monkeypatch.setattr(SavedFile, "_query", counted)
    return fetched


def test_a_lazy_query_reads_only_the_rows_its_answer_touches(org_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with sqlite3.connect(org_file) as con:
        total = sum(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
        nodes = con.execute("SELECT count(*) FROM adjacency").fetchone()[0]
    con.close()
    full = load_graph(org_file)
    target = next(n for n in _principals(full, "role") if 3 < len(who_can_reach(full, n).reachers) < 20)
    fetched = _counting(monkeypatch)
    lazy = _lazy(org_file)
    answer = who_can_reach(lazy, target)
    assert 3 < len(answer.reachers) < 20
    touched = len(lazy._reader._rows)  # node rows read: the target, its reachers and the hubs between
    assert touched < nodes / 10, (touched, nodes)
    assert fetched[0] < total / 5, (fetched[0], total)
    # control: a full load reads every row of the graph's tables
    fetched[0] = 0
    load_graph(org_file)
    assert fetched[0] > total / 2, (fetched[0], total)


def _flip(path: Path, table: str, key_column: str, key: int, column: str = "data") -> None:
    """One byte of one row changed, its digest not."""
    with sqlite3.connect(path) as con:
        data = bytearray(con.execute(f"SELECT CAST({column} AS BLOB) FROM {table} WHERE {key_column} = ?",  # noqa: S608
                                     (key,)).fetchone()[0])
        data[len(data) // 2] ^= 0x01
        value: Any = bytes(data) if table == "adjacency" else data.decode("utf-8", "replace")
        con.execute(f"UPDATE {table} SET {column} = ? WHERE {key_column} = ?", (value, key))  # noqa: S608
    con.close()


def _num(path: Path, name: str) -> int:
    graph = _lazy(path)
    num = graph._reader.num(name)
    assert num is not None
    return num


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_damaged_row_a_lazy_query_reads_is_a_one_line_error(acme_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "damaged.tg"
    path.write_bytes(acme_file.read_bytes())
    code, out, _ = _run("who-can-reach", BREAK_GLASS, "--graph", str(path), "--json")
    assert code == 0 and json.loads(out)["reachers"]  # negative control: the intact file answers
    _flip(path, "adjacency", "num", _num(path, BREAK_GLASS))
    code, out, err = _run("who-can-reach", BREAK_GLASS, "--graph", str(path), "--json", "-q")
    assert code == 2 and out == ""
    assert err.startswith(f"error: {path}: damaged saved graph (adjacency row") and err.count("\n") == 1, err
    assert "Traceback" not in err
    # a row of another part of the graph, which this query never reads, does not stop it
    other = tmp_path / "other.tg"
    other.write_bytes(acme_file.read_bytes())
    _flip(other, "adjacency", "num", _num(other, "arn:aws:iam::222222222222:user/alice"))
    code, out, err = _run("who-can-reach", "arn:aws:iam::333333333333:role/ci/CIPipeline", "--graph", str(other),
                          "--via", "assume", "--json")
    assert code == 0, err


def test_a_damaged_string_row_is_a_one_line_error(acme_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "damaged.tg"
    path.write_bytes(acme_file.read_bytes())
    _flip(path, "strings", "first", 0, "text")
    with pytest.raises(GraphFileError, match="damaged saved graph"):
        who_can_reach(_lazy(path), BREAK_GLASS)


def test_a_lazy_query_refuses_another_store_version_with_the_rebuild_hint(acme_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "old.tg"
    path.write_bytes(acme_file.read_bytes())
    assert _run("who-can-reach", BREAK_GLASS, "--graph", str(path), "--json")[0] == 0  # control
    with sqlite3.connect(path) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'store_version'", (str(STORE_VERSION - 1),))
    con.close()
    for command in (("who-can-reach", BREAK_GLASS), ("reach", "arn:aws:iam::222222222222:user/alice"),
                    ("path", "arn:aws:iam::222222222222:user/alice", BREAK_GLASS)):
        code, _, err = _run(*command, "--graph", str(path))
        assert code == 2 and f"format version {STORE_VERSION - 1}" in err and "trustgraph build" in err, err
        assert err.count("\n") == 1


def test_lazy_cli_answers_match_the_full_load_byte_for_byte(acme_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    full = load_graph(acme_file)
    commands = [("who-can-reach", BREAK_GLASS), ("who-can-reach", BREAK_GLASS, "--people"),
                ("who-can-reach", BREAK_GLASS, "--via", "assume", "--max-hops", "2"),
                ("reach", "arn:aws:iam::222222222222:user/alice"), ("reach", "alice", "--via", "passrole"),
                ("path", "arn:aws:iam::222222222222:user/alice", BREAK_GLASS, "-k", "2")]
    commands += [("who-can-reach", role) for role in _principals(full, "role")[:10]]
    answers = {}
    for fmt in ((), ("--json",), ("--format", "tsv")):
        for command in commands:
            answers[command, fmt] = _run(*command, "--graph", str(acme_file), *fmt)
    monkeypatch.setattr("trustgraph.cli.inputs.open_lazy", lambda path: None)  # the file loaded whole
    for (command, fmt), lazy in answers.items():
        assert _run(*command, "--graph", str(acme_file), *fmt)[:2] == lazy[:2], (command, fmt)  # stderr: progress
        assert lazy[0] == 0 and lazy[1]
    # negative control: the comparison sees a difference
    assert answers[commands[0], ()] != answers[commands[1], ()]


def test_a_cached_rerun_reads_the_cache_entry_on_demand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    opened: list[Any] = []
    real = open_lazy

    def spy(path: Any) -> Any:
        opened.append(real(path))
        return opened[-1]

    monkeypatch.setattr("trustgraph.cli.inputs.open_lazy", spy)
    first = _run("who-can-reach", BREAK_GLASS, "-i", str(ACME), "--json")
    assert first[0] == 0 and opened == []  # built: nothing to open
    second = _run("who-can-reach", BREAK_GLASS, "-i", str(ACME), "--json")
    assert second[:2] == first[:2]
    assert len(opened) == 1 and isinstance(opened[0], LazyGraph) and opened[0].rows_read > 0


def test_adjacency_rows_hold_every_edge_in_saved_order(acme_file: Path) -> None:
    full = load_graph(acme_file)
    saved = SavedFile(acme_file)
    try:
        rows = saved.keyed("adjacency", "ORDER BY num")
    finally:
        saved.close()
    assert len(rows) == full.number_of_nodes()
    total = 0
    for (_, data), node in zip(rows, full.nodes, strict=True):
        ints = _unpacked(data)
        total += ints[2 + len(full.nodes[node])]
    assert total == full.number_of_edges()


def test_a_cache_entry_found_damaged_by_a_query_is_rebuilt_with_a_warning(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    first = _run("who-can-reach", BREAK_GLASS, "-i", str(ACME), "--json")
    (entry,) = (tmp_path / "cache").glob("graph-*")
    again = _run("who-can-reach", BREAK_GLASS, "-i", str(ACME), "--json")
    assert again[:2] == first[:2] and "warning" not in again[2]  # control: the intact entry read
    _flip(entry, "adjacency", "num", _num(entry, BREAK_GLASS))  # found when the search reads it, not on opening
    code, out, err = _run("who-can-reach", BREAK_GLASS, "-i", str(ACME), "--json")
    assert (code, out) == first[:2], err
    warnings = [line for line in err.splitlines() if line.startswith("warning")]
    assert len(warnings) == 1 and warnings[0].startswith(
        f"warning: the build cache entry is unusable, rebuilding: {entry}: damaged saved graph (adjacency row ")
    # built and written anew: the next run reads it on demand without a warning
    code, out, err = _run("who-can-reach", BREAK_GLASS, "-i", str(ACME), "--json")
    assert (code, out) == first[:2] and "warning" not in err
    for command in (("reach", "arn:aws:iam::222222222222:user/alice"),
                    ("path", "arn:aws:iam::222222222222:user/alice", BREAK_GLASS)):
        expected = _run(*command, "-i", str(ACME), "--json")
        _flip(entry, "adjacency", "num", _num(entry, "arn:aws:iam::222222222222:user/alice"))
        code, out, err = _run(*command, "-i", str(ACME), "--json")
        assert (code, out) == expected[:2] and "unusable, rebuilding" in err, (command, err)


def test_lazy_answers_with_cloudtrail_usage_match_the_full_load(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # the usage facts read the snapshot (RoleLastUsed) beside the graph: read on demand too
    path = tmp_path / "usage.tg"
    assert _run("build", "-i", str(ACME), "-i", str(ROOT / "samples" / "acme-cloudtrail"), "--no-cache", "-q",
                "-o", str(path))[0] == 0
    prod_admin = "arn:aws:iam::444444444444:role/admin/ProdAdmin"
    commands = [("--json",), (), ("--json", "--used-since", "90d"), ("--unused-for", "30d"), ("--people", "--json")]
    lazy = [_run("who-can-reach", prod_admin, "--graph", str(path), "-q", *args) for args in commands]
    assert "usage_window" in json.loads(lazy[0][1]) and "last used" in lazy[1][1]
    monkeypatch.setattr("trustgraph.cli.inputs.open_lazy", lambda path: None)  # the file loaded whole
    for args, got in zip(commands, lazy, strict=True):
        assert _run("who-can-reach", prod_admin, "--graph", str(path), "-q", *args) == got, args
