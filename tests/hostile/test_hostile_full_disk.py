"""Whole or untouched outputs (issue 28): on a full disk every command that writes a file or a bundle leaves the
previous good output as it was, leaves no temporary behind, and exits 2 with one line naming the path.

The full disk is simulated in the output directory only: a file opened there for writing is created (and
truncated, as the open would) but its data goes to /dev/full, where every write fails with ENOSPC; SQLite files
there get a page limit of a few pages, so that SQLite's own writes fail with SQLITE_FULL ("database or disk is
full"). Everything else (the inputs, the build cache) is written normally."""

from __future__ import annotations

import builtins
import errno
import io
import os
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from networkx.utils import decorators as nx_decorators

from trustgraph.atomic import OutputError, replacing, replacing_together, write_text
from trustgraph.cli import main

ROOT = Path(__file__).resolve().parents[2]
ACME = str(ROOT / "samples" / "acme")
TARGET = "arn:aws:iam::444444444444:role/BreakGlass"

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _inside(path: Any, directory: Path) -> bool:
    if not isinstance(path, (str, os.PathLike)) or str(path).startswith("file:"):
        return False
    return Path(os.path.abspath(path)).is_relative_to(directory.resolve())


@pytest.fixture()
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """Make the disk under a directory full (see the module docstring)."""

    def fill(directory: Path) -> None:
        real_open, real_connect = builtins.open, sqlite3.connect

        def open_on_full_disk(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if _inside(file, directory) and any(c in mode for c in "wax+"):
                real_open(file, "ab" if "a" in mode else "wb").close()  # created and truncated, as the open would
                return real_open("/dev/full", "wb" if "b" in mode else "w", *args, **kwargs)
            return real_open(file, mode, *args, **kwargs)

        def connect_on_full_disk(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
            con = real_connect(database, *args, **kwargs)
            if _inside(database, directory):
                con.execute("PRAGMA max_page_count = 3")
            return con

        monkeypatch.setattr(builtins, "open", open_on_full_disk)
        monkeypatch.setattr(io, "open", open_on_full_disk)  # pathlib's write_text and write_bytes
        monkeypatch.setattr(sqlite3, "connect", connect_on_full_disk)
        # networkx keeps the `open` it found first per file suffix
        monkeypatch.setattr(nx_decorators, "_dispatch_dict",
                            defaultdict(lambda: open_on_full_disk, **nx_decorators.fopeners))

    return fill


def _tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _one_line_naming(err: str, path: Path) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: cannot write ") and str(path) in lines[0], err
    assert "No space left on device" in lines[0] or "disk is full" in lines[0], err
    assert "--debug" not in err and "Traceback" not in err


# One case per writer: the command line writing `out` (a file or a directory), and the path the error names.
CASES: dict[str, tuple[Callable[[Path], list[str]], Callable[[Path], Path]]] = {
    "export opengraph": (lambda out: ["export", "-i", ACME, "--format", "opengraph", "-o", str(out)], lambda o: o),
    "export graphml": (lambda out: ["export", "-i", ACME, "--format", "graphml", "-o", str(out)], lambda o: o),
    "export gexf": (lambda out: ["export", "-i", ACME, "--format", "gexf", "-o", str(out)], lambda o: o),
    "export neo4j": (lambda out: ["export", "-i", ACME, "--format", "neo4j", "-o", str(out)], lambda o: o),
    "findings -o json": (lambda out: ["findings", "-i", ACME, "--format", "json", "-o", str(out)], lambda o: o),
    "findings -o sarif": (lambda out: ["findings", "-i", ACME, "--format", "sarif", "-o", str(out)], lambda o: o),
    "findings -o markdown": (lambda out: ["findings", "-i", ACME, "--format", "markdown", "-o", str(out)],
                             lambda o: o),
    "findings -o table": (lambda out: ["findings", "-i", ACME, "-o", str(out)], lambda o: o),
    "review -o": (lambda out: ["review", "-i", ACME, "-o", str(out)], lambda o: o),
    "build -o": (lambda out: ["build", "-i", ACME, "--no-cache", "-o", str(out)], lambda o: o),
    "build -o from the cache": (lambda out: ["build", "-i", ACME, "-o", str(out)], lambda o: o),
    "map -o": (lambda out: ["map", "-i", ACME, "--view", "accounts", "-o", str(out)], lambda o: o),
    "who-can-reach -o": (lambda out: ["who-can-reach", TARGET, "-i", ACME, "-o", str(out)], lambda o: o),
}
NAMES = {"export opengraph": "og.json", "export graphml": "g.graphml", "export gexf": "g.gexf",
         "export neo4j": "neo4j", "findings -o json": "f.json", "findings -o sarif": "f.sarif",
         "findings -o markdown": "f.md", "findings -o table": "f.txt", "review -o": "review",
         "build -o": "g.tgdb", "build -o from the cache": "g.tgdb", "map -o": "map.svg",
         "who-can-reach -o": "paths.svg"}


@pytest.mark.parametrize("case", list(CASES))
def test_a_full_disk_leaves_the_previous_output_untouched_and_is_one_line(
        case: str, tmp_path: Path, full_disk: Callable[[Path], None]) -> None:
    command, named = CASES[case]
    folder = tmp_path / "out"
    out = folder / NAMES[case]
    code, _, err = run(*command(out), "-q")
    assert code == 0, err
    before = _tree(folder)
    assert before

    full_disk(folder)
    code, _, err = run(*command(out), "-q")
    assert code == 2, err
    _one_line_naming(err, named(out))
    assert _tree(folder) == before  # the previous output as it was, and no temporary left beside it


@pytest.mark.parametrize("case", ["export opengraph", "export neo4j", "review -o", "build -o", "findings -o table"])
def test_a_full_disk_leaves_no_new_output_behind(case: str, tmp_path: Path,
                                                 full_disk: Callable[[Path], None]) -> None:
    command, named = CASES[case]
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "new" / NAMES[case]
    full_disk(folder)
    code, _, err = run(*command(out), "-q")
    assert code == 2, err
    _one_line_naming(err, named(out))
    assert list(folder.iterdir()) == []  # neither a file nor the directories made for it


def test_a_full_disk_is_one_line_without_quiet_too(tmp_path: Path, full_disk: Callable[[Path], None]) -> None:
    out = tmp_path / "out" / "g.tgdb"
    full_disk(tmp_path / "out")
    code, _, err = run("build", "-i", ACME, "--no-cache", "-o", str(out))
    assert code == 2
    errors = [line for line in err.splitlines() if not line.startswith(("trustgraph: ", "summary: "))]
    assert errors == [f"error: cannot write {out}: database or disk is full"], err


# -------------------------------------------------------------------------------------- the helper itself


def test_replacing_renames_only_a_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(OutputError, match=r"a\.txt: No space left on device"), replacing(target) as tmp:
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    write_text(target, "new")
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_bundle_is_renamed_into_place_only_once_every_file_is_written(tmp_path: Path) -> None:
    (tmp_path / "one").write_text("old one")
    with pytest.raises(OutputError, match="two"), replacing_together() as staging:
        staging.write_text(tmp_path / "one", "new one")
        staging.path(tmp_path / "sub" / "two")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert _tree(tmp_path) == {"one": b"old one"}  # and the directory made for `two` is gone
    with replacing_together() as staging:
        staging.write_text(tmp_path / "one", "new one")
        staging.write_text(tmp_path / "sub" / "two", "two")
    assert _tree(tmp_path) == {"one": b"new one", "sub/two": b"two"}


def test_an_error_that_is_not_a_write_error_passes_through_and_cleans_up(tmp_path: Path) -> None:
    with pytest.raises(KeyError), replacing(tmp_path / "x") as tmp:
        tmp.write_text("partial")
        raise KeyError("bug")
    assert list(tmp_path.iterdir()) == []
