"""Every command from a saved graph (--graph) answers as from the inputs; the build cache and --no-cache."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

import trustgraph.cli.inputs as inputs_module
from trustgraph.cli import cache, main
from trustgraph.saved.serialize import read_saved

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.fixture(scope="module", autouse=True)
def one_build_time():  # type: ignore[no-untyped-def]
    """Every build in this module stands for the same moment: without a manifest the data time is the build
    time, to the second, and a fresh build a second after the saved one would differ in `data_time` only."""
    import trustgraph.graph.build as build_module

    moment = build_module.datetime.now(build_module.UTC).replace(microsecond=0)

    class Frozen(build_module.datetime):  # type: ignore[misc,valid-type]
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def,override]
            return moment if tz is not None else moment.replace(tzinfo=None)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build_module, "datetime", Frozen)
        yield


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("saved") / "acme.tgdb"
    code, _, err = run("build", "-i", ACME, "-o", str(path), "--no-cache")
    assert code == 0, err
    return str(path)


class Builds:
    """Counts graph builds (a cache hit builds nothing)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = inputs_module.build_graph

        def counting(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(inputs_module, "build_graph", counting)


@pytest.fixture()
def builds(monkeypatch: pytest.MonkeyPatch) -> Builds:
    return Builds(monkeypatch)


# ------------------------------------------------------------------------------------- --graph everywhere


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "markdown"])
def test_findings_from_a_saved_graph_match_the_inputs(saved: str, known: str, fmt: str) -> None:
    fresh = run("findings", "-i", ACME, "--known-accounts", known, "--format", fmt, "--no-cache")
    loaded = run("findings", "--graph", saved, "--known-accounts", known, "--format", fmt)
    assert fresh[0] == loaded[0] == 0, loaded[2]
    assert loaded[1] == fresh[1] and loaded[1].strip()


def test_review_from_a_saved_graph_matches_the_inputs(saved: str, known: str, tmp_path: Path) -> None:
    fresh, loaded = tmp_path / "fresh", tmp_path / "loaded"
    assert run("review", "-i", ACME, "--known-accounts", known, "-o", str(fresh), "-q", "--no-cache")[0] == 0
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
    assert run("map", "-i", ACME, *view, "--known-accounts", known, "-o", str(fresh), "--no-cache")[0] == 0
    code, _, err = run("map", "--graph", saved, *view, "--known-accounts", known, "-o", str(loaded))
    assert code == 0, err
    assert loaded.read_text() == fresh.read_text()
    if view[1] == "accounts":
        assert "<B>NonProd</B>" in loaded.read_text()  # OU names come from the stored organization


@pytest.mark.parametrize("command", [("who-can-reach", BREAK_GLASS, "--json"),
                                     ("reach", "arn:aws:iam::333333333333:role/ci/CIPipeline", "--json"),
                                     ("path", "arn:aws:iam::333333333333:role/ci/CIPipeline", BREAK_GLASS,
                                      "--json")])
def test_queries_from_a_saved_graph_match_the_inputs(saved: str, command: tuple[str, ...]) -> None:
    fresh = run(*command, "-i", ACME, "--no-cache")
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


# -------------------------------------------------------------------------------------------- the cache


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("graph-*.tgdb"))


def test_a_second_run_reads_the_cache(build_cache: Path, builds: Builds) -> None:
    first = run("who-can-reach", BREAK_GLASS, "-i", ACME, "--json")
    assert builds.count == 1 and len(entries(build_cache)) == 1
    second = run("who-can-reach", BREAK_GLASS, "-i", ACME, "--json")
    third = run("findings", "-i", ACME, "--format", "json")
    fourth = run("map", "-i", ACME, "--view", "accounts", "-o", str(build_cache.parent / "m.dot"))
    # The answer is the same; stderr says the build was read from the cache instead of built.
    assert builds.count == 1 and first[:2] == second[:2] and third[0] == 0 and fourth[0] == 0
    assert "read cached build" in second[2] and "build graph" not in second[2]
    assert third[1] == run("findings", "-i", ACME, "--format", "json", "--no-cache")[1]
    assert builds.count == 2 and len(entries(build_cache)) == 1


def test_no_cache_neither_reads_nor_writes(build_cache: Path, builds: Builds) -> None:
    run("reach", "arn:aws:iam::333333333333:role/ci/CIPipeline", "-i", ACME, "--no-cache")
    assert builds.count == 1 and entries(build_cache) == []
    run("reach", "arn:aws:iam::333333333333:role/ci/CIPipeline", "-i", ACME)
    run("reach", "arn:aws:iam::333333333333:role/ci/CIPipeline", "-i", ACME, "--no-cache")
    assert builds.count == 3 and len(entries(build_cache)) == 1


def test_changed_content_or_options_miss_the_cache(build_cache: Path, builds: Builds, tmp_path: Path) -> None:
    data = tmp_path / "acme"
    shutil.copytree(ACME, data)
    run("who-can-reach", BREAK_GLASS, "-i", str(data), "--json")
    run("who-can-reach", BREAK_GLASS, "-i", str(data), "--json")
    assert builds.count == 1
    victim = sorted(data.glob("*.json"))[0]
    victim.write_text(victim.read_text() + "\n")  # same data, other bytes
    run("who-can-reach", BREAK_GLASS, "-i", str(data), "--json")
    assert builds.count == 2
    run("who-can-reach", BREAK_GLASS, "-i", str(data), "--json", "--role-arn", "arn:aws:iam::1:role/x")
    assert builds.count == 3
    (data / "extra.json").write_text("{not json")
    run("who-can-reach", BREAK_GLASS, "-i", str(data), "--json")
    assert builds.count == 4 and len(entries(build_cache)) == 4


def test_load_warnings_are_shown_on_a_cached_run(build_cache: Path, builds: Builds, tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    first = run("who-can-reach", BREAK_GLASS, "-i", ACME, "-i", str(bad), "--json")
    second = run("who-can-reach", BREAK_GLASS, "-i", ACME, "-i", str(bad), "--json")
    assert builds.count == 1
    assert first[:2] == second[:2] and "broken.json" in second[2] and "skipped 1 files" in second[2]
    warnings = [line for line in first[2].splitlines() if not line.startswith("trustgraph: ")]
    assert warnings == [line for line in second[2].splitlines() if not line.startswith("trustgraph: ")]
    quiet = run("who-can-reach", BREAK_GLASS, "-i", ACME, "-i", str(bad), "--json", "-q")
    assert "skipped" not in quiet[2] and "broken.json" in quiet[2]  # errors stay visible with -q


def test_a_damaged_cache_entry_is_rebuilt(build_cache: Path, builds: Builds) -> None:
    first = run("who-can-reach", BREAK_GLASS, "-i", ACME, "--json")
    (entry,) = entries(build_cache)
    entry.write_bytes(entry.read_bytes()[:5000])
    second = run("who-can-reach", BREAK_GLASS, "-i", ACME, "--json")
    # The same answer (stderr holds the phases' timings, which differ run to run).
    assert builds.count == 2 and first[:2] == second[:2] and entries(build_cache) == [entry]
    assert read_saved(entry).graph.number_of_edges() > 0


def test_an_unwritable_cache_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("TRUSTGRAPH_CACHE_DIR", str(blocker / "cache"))
    code, out, err = run("who-can-reach", BREAK_GLASS, "-i", ACME, "--json")
    assert code == 0 and json.loads(out)["reachers"] and "cannot write the build cache" in err


def test_a_failing_cache_write_is_a_warning(monkeypatch: pytest.MonkeyPatch, build_cache: Path) -> None:
    def broken(*args, **kwargs):
        raise TypeError("cannot encode the type <new model field>")

    monkeypatch.setattr(inputs_module, "save_graph", broken)
    code, out, err = run("who-can-reach", BREAK_GLASS, "-i", ACME, "--json")
    assert code == 0 and json.loads(out)["reachers"] and "cannot encode the type" in err
    assert entries(build_cache) == []


def test_build_output_comes_from_the_cache_with_its_own_inputs(build_cache: Path, builds: Builds,
                                                                tmp_path: Path) -> None:
    run("who-can-reach", BREAK_GLASS, "-i", ACME)
    out = tmp_path / "acme.tgdb"
    code, _, err = run("build", "-i", ACME, "-o", str(out))
    assert code == 0 and builds.count == 1, err
    saved = read_saved(out, snapshot=True, report=True)
    assert saved.inputs == [ACME] and saved.snapshot is not None and "cache_key" not in saved.meta
    assert out.stat().st_mode & 0o777 == 0o666 & ~_umask()
    with sqlite3.connect(entries(build_cache)[0]) as con:
        assert dict(con.execute("SELECT key, value FROM meta"))["cache_key"]
    con.close()


def test_old_entries_are_evicted(build_cache: Path) -> None:
    now = time.time()
    for i in range(cache.KEEP + 3):
        path = build_cache / f"graph-{i:032x}.tgdb"
        path.write_bytes(b"")
        os.utime(path, (now - 100 * i, now - 100 * i))
    stale = build_cache / ".graph-dead.tgdb.123.tmp"
    stale.write_bytes(b"")
    os.utime(stale, (now - 2 * cache.STALE_TEMP_S, now - 2 * cache.STALE_TEMP_S))
    cache.evict()
    assert [p.name for p in entries(build_cache)] == [f"graph-{i:032x}.tgdb" for i in range(cache.KEEP)]
    assert not stale.exists()


def test_the_cache_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TRUSTGRAPH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "trustgraph"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "trustgraph"
    monkeypatch.setenv("TRUSTGRAPH_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache.cache_dir() == tmp_path / "explicit"


def test_the_key_follows_content_paths_and_options(tmp_path: Path) -> None:
    data = tmp_path / "a"
    shutil.copytree(ACME, data)
    key = cache.cache_key([str(data)], None)
    assert key == cache.cache_key([str(data)], None) and key != cache.cache_key([str(data)], "arn:aws:iam::1:role/r")
    shutil.copytree(data, tmp_path / "b")
    assert cache.cache_key([str(tmp_path / "b")], None) != key  # files are named in findings and warnings
    (data / "notes.txt").write_text("not read by the input walk")
    assert cache.cache_key([str(data)], None) == key
    assert cache.cache_key([str(data), str(tmp_path / "missing")], None) != key
