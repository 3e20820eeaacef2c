"""What is read back is verified (issue 28): a saved graph's schema must be exactly the one written (a view or a
trigger in its place is refused, never run), a snapshot part is inflated only up to its recorded size (a zlib
bomb is refused, not inflated), and a digest of the content is checked on every load: a poisoned or truncated
build cache entry is rebuilt with a warning, a damaged --graph file is one line and exit 2."""

from __future__ import annotations

import json
import resource
import signal
import sqlite3
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.saved import store
from trustgraph.saved.serialize import GraphFileError, read_saved

ROOT = Path(__file__).resolve().parents[2]
ACME = str(ROOT / "samples" / "acme")
TARGET = "arn:aws:iam::444444444444:role/BreakGlass"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def expired(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("saved") / "acme.tgdb"
    code, _, err = run("build", "-i", ACME, "--no-cache", "-q", "-o", str(path))
    assert code == 0, err
    return path


@pytest.fixture()
def saved(good: Path, tmp_path: Path) -> Path:
    path = tmp_path / "graph.tgdb"
    path.write_bytes(good.read_bytes())
    return path


def _edit(path: Path, *statements: str, resign: bool = False) -> None:
    """Change the file with SQL; with `resign`, write every digest anew (the rows', the data's and the meta's), as
    someone forging the file would."""
    with closing(sqlite3.connect(path, isolation_level=None)) as con:
        for statement in statements:
            con.execute(statement)
        if resign:
            for table, columns in store._KEYED.items():
                cells = ", ".join(f"CAST({column} AS BLOB)" for column in columns)
                for row in con.execute(f"SELECT {cells}, rowid FROM {table}").fetchall():  # noqa: S608
                    con.execute(f"UPDATE {table} SET digest = ? WHERE rowid = ?",  # noqa: S608
                                (store._row_digest(table, row[:-1]), row[-1]))
            con.execute("UPDATE meta SET value = ? WHERE key = 'data_digest'",
                        (store._data_digest(store._fetch_tables(con)),))
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            con.execute("UPDATE meta SET value = ? WHERE key = 'meta_digest'", (store._meta_digest(meta),))


def _one_line_graph_error(path: Path, *command: str) -> str:
    """The error of a query (read on demand: it checks the rows it reads) or of `command` (findings loads the graph
    and the snapshot whole, and checks all of it)."""
    code, _, err = run(*(command or ("who-can-reach", TARGET)), "--graph", str(path), "-q")
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: "), err
    assert "--debug" not in err
    return lines[0]


# ----------------------------------------------------------------------------------------- the schema


RECURSIVE = "WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM r)"


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # a view that runs would grow without end


@pytest.mark.parametrize("table", ["strings", "meta", "edges", "snapshot"])
def test_a_recursive_view_in_place_of_a_table_is_refused_not_run(saved: Path, table: str) -> None:
    columns = {"strings": "chunk, text", "meta": "key, value", "edges": "name, data", "snapshot": "part, data"}[table]
    _edit(saved, f"DROP TABLE {table}",
          f"CREATE VIEW {table}({columns}) AS {RECURSIVE} SELECT n, 'x' FROM r")
    # In a process of its own: the query of a view runs in SQLite's C code, where no Python alarm interrupts it.
    done = subprocess.run([sys.executable, "-m", "trustgraph", "who-can-reach", TARGET, "--graph", str(saved), "-q"],
                          capture_output=True, text=True, timeout=120, preexec_fn=_limited)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {saved}: "), done.stderr
    assert "not a graph saved by trustgraph" in lines[0] or f"view {table}" in lines[0]
    with time_limit(20), pytest.raises(GraphFileError):
        read_saved(saved, snapshot=True, report=True)


@pytest.mark.parametrize("extra", [
    "CREATE TRIGGER nodes_trigger AFTER INSERT ON vals BEGIN SELECT 1; END",
    f"CREATE VIEW other AS {RECURSIVE} SELECT n FROM r",
    "CREATE TABLE other (x)",
    "CREATE INDEX vals_value ON vals (value)",
])
def test_anything_beside_the_tables_written_is_refused(saved: Path, extra: str) -> None:
    _edit(saved, extra, resign=True)
    with time_limit(20):
        assert "its tables are not those written" in _one_line_graph_error(saved)


def test_a_table_with_other_columns_is_refused(saved: Path) -> None:
    _edit(saved, "ALTER TABLE vals ADD COLUMN extra TEXT", resign=True)
    assert "its tables are not those written" in _one_line_graph_error(saved)


def test_the_schema_of_a_saved_graph_is_not_trusted(good: Path) -> None:
    with store.SavedFile(good) as opened:
        assert opened._con.execute("PRAGMA trusted_schema").fetchone() == (0,)


# ------------------------------------------------------------------------------------------- zlib bomb


def _bomb(size: int) -> bytes:
    packer = zlib.compressobj(9)
    zeros = b"0" * (1 << 20)
    return b"".join([packer.compress(zeros) for _ in range(size >> 20)]) + packer.flush()


def test_a_zlib_bomb_in_a_snapshot_part_is_refused_not_inflated(saved: Path) -> None:
    bomb = _bomb(256 << 20)  # 256 MiB of zeros in a quarter of a megabyte
    _edit(saved, f"UPDATE snapshot SET data = x'{bomb.hex()}' WHERE part = 'roles'", resign=True)
    tracemalloc.start()
    try:
        with time_limit(20), pytest.raises(GraphFileError, match="inflates beyond its recorded"):
            read_saved(saved, snapshot=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20  # the recorded size, not the bomb's


def test_a_part_that_inflates_to_less_than_recorded_is_refused(saved: Path) -> None:
    _edit(saved, f"UPDATE snapshot SET data = x'{zlib.compress(b'[]').hex()}' WHERE part = 'roles'", resign=True)
    with pytest.raises(GraphFileError, match="does not inflate to its recorded"):
        read_saved(saved, snapshot=True)


def test_a_part_without_a_recorded_size_is_refused(saved: Path) -> None:
    _edit(saved, """UPDATE meta SET value = '{}' WHERE key = 'snapshot_sizes'""", resign=True)
    with pytest.raises(GraphFileError, match="snapshot part .*: has no recorded size"):
        read_saved(saved, snapshot=True)


# ---------------------------------------------------------------------------------------------- digests


@pytest.mark.parametrize(("change", "query_reads_it"), [
    ("UPDATE strings SET text = replace(text, 'BreakGlass', 'BreakGlasz')", True),
    ("UPDATE edges SET data = substr(data, 1, length(data) - 4) WHERE name = 'dst'", False),
    ("UPDATE snapshot SET data = data || x'00' WHERE part = 'roles'", False),
    ("UPDATE vals SET value = '1' WHERE id = 0", True),
    ("DELETE FROM evidence_lists WHERE id = (SELECT max(id) FROM evidence_lists)", False),
    ("UPDATE nodes SET count = 'x' WHERE run = 0", False),
    ("UPDATE adjacency SET data = substr(data, 1, length(data) - 4) WHERE num = 0", False),
])
def test_changed_content_is_refused_by_its_digest(saved: Path, change: str, query_reads_it: bool) -> None:
    _edit(saved, change)
    # a command that loads the whole graph and snapshot refuses any change to the tables it reads
    if "adjacency" not in change:
        assert "does not match its digest" in _one_line_graph_error(saved, "findings")
    # a query refuses the rows it reads (and answers when the change is in rows it never reads)
    if query_reads_it:
        assert "does not match its digest" in _one_line_graph_error(saved)


def test_a_changed_meta_row_is_refused_by_its_digest(saved: Path) -> None:
    _edit(saved, """UPDATE meta SET value = '["elsewhere"]' WHERE key = 'inputs'""")
    assert "meta table does not match its digest" in _one_line_graph_error(saved)


def test_a_saved_graph_of_version_1_is_refused_with_a_hint(saved: Path) -> None:
    _edit(saved, "UPDATE meta SET value = '1' WHERE key = 'store_version'",
          "DELETE FROM meta WHERE key IN ('data_digest', 'meta_digest', 'snapshot_sizes')")
    assert "format version 1" in (message := _one_line_graph_error(saved)) and "trustgraph build" in message


# ------------------------------------------------------------------------------------------ build cache


def _only_entry(cache: Path) -> Path:
    entries = list(cache.glob("graph-*.tgdb"))
    assert len(entries) == 1, entries
    return entries[0]


def _answer(*extra: str) -> tuple[int, str, str]:
    return run("who-can-reach", TARGET, "-i", ACME, "--json", *extra)


@pytest.mark.parametrize("damage", ["poisoned", "truncated", "forged meta"])
def test_a_damaged_cache_entry_is_rebuilt_with_a_warning(build_cache: Path, damage: str) -> None:
    code, expected, _ = _answer("-q")
    assert code == 0
    entry = _only_entry(build_cache)
    if damage == "poisoned":  # the answer changed inside the entry: another role name
        _edit(entry, "UPDATE strings SET text = replace(text, 'BreakGlass', 'BreakGlasz')")
    elif damage == "truncated":  # a crash or a full disk while something else wrote it
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])
    else:
        _edit(entry, "UPDATE meta SET value = '2' WHERE key = 'nodes'")
    code, answer, err = _answer()
    assert code == 0, err
    assert json.loads(answer) == json.loads(expected)
    assert "warning: the build cache entry is unusable, rebuilding:" in err
    assert err.count("warning: the build cache entry") == 1
    # rebuilt and written anew: the next run reads it without a warning
    code, again, err = _answer()
    assert code == 0 and "build cache entry" not in err and json.loads(again) == json.loads(expected)
    assert read_saved(_only_entry(build_cache)).graph.number_of_nodes() > 0


def test_a_damaged_cache_entry_warns_only_without_quiet(build_cache: Path) -> None:
    code, expected, _ = _answer("-q")
    _edit(_only_entry(build_cache), "UPDATE strings SET text = replace(text, 'BreakGlass', 'BreakGlasz')")
    code, answer, err = _answer("-q")
    assert code == 0 and err == "" and json.loads(answer) == json.loads(expected)


def test_build_from_the_cache_keeps_the_digest_of_the_data(build_cache: Path, tmp_path: Path) -> None:
    code, _, _ = _answer("-q")
    out = tmp_path / "g.tgdb"
    code, _, err = run("build", "-i", ACME, "-q", "-o", str(out))  # copied from the entry, inputs recorded
    assert code == 0, err
    saved = read_saved(out, snapshot=True, report=True)
    assert saved.inputs == [ACME] and "cache_key" not in saved.meta
    _edit(out, "UPDATE strings SET text = replace(text, 'BreakGlass', 'BreakGlasz')")
    assert "does not match its digest" in _one_line_graph_error(out)
