"""docs/edges.md "Catalogue coverage": the table of the public pathfinding.cloud catalogue's escalation paths is
complete (every id of tests/data/pathfinding_ids.txt has one row), and each `modelled` row names a technique of
the code's tables and a positive and a negative test that exist."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from trustgraph.graph.schema import EDGE_SPECS
from trustgraph.policy.passrole import (
    ADD_TO_GROUP,
    ASSUME_ROOT,
    CODE_TECHNIQUES,
    GROUP_WRITES,
    NEW_PRINCIPALS,
    PASSROLE_TECHNIQUES,
    POLICY_WRITES,
    ROLE_TECHNIQUE,
    ROLE_WRITES,
    TAKEOVER,
    USER_TECHNIQUES,
    USER_WRITES,
)

ROOT = Path(__file__).resolve().parents[2]
EDGES = ROOT / "docs" / "edges.md"
IDS = ROOT / "tests" / "data" / "pathfinding_ids.txt"
SECTION = "## Catalogue coverage"
COLUMNS = ["id", "permissions", "status", "technique", "positive test", "negative test", "why / note"]
ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*]+$")


@dataclass(frozen=True)
class Row:
    id: str
    permissions: tuple[str, ...]
    status: str
    technique: str
    positive: tuple[str, ...]
    negative: tuple[str, ...]
    why: str


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _names(cell: str) -> tuple[str, ...]:
    return tuple(n.strip().strip("`") for n in cell.split(",") if n.strip())


def section(text: str) -> str:
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:] if end < 0 else text[start:end]


def parse_table(text: str) -> list[Row]:
    """The rows of the section's table (the lines starting with `|`, less the header and its rule)."""
    lines = [line for line in section(text).splitlines() if line.startswith("|")]
    assert lines and _cells(lines[0]) == COLUMNS, lines[:1]
    rows = []
    for line in lines[2:]:
        cells = _cells(line)
        assert len(cells) == len(COLUMNS), line
        rows.append(Row(cells[0], _names(cells[1]), cells[2], cells[3].strip("`"), _names(cells[4]),
                        _names(cells[5]), cells[6]))
    return rows


def known_techniques() -> set[str]:
    """The technique names the graph's edges carry, and the trust edge kinds (a catalogue path may be a plain
    role assumption)."""
    tables = {t.technique for t in (*PASSROLE_TECHNIQUES, *CODE_TECHNIQUES)}
    iam = {ROLE_TECHNIQUE, *USER_TECHNIQUES, *ROLE_WRITES, *USER_WRITES, *POLICY_WRITES, *GROUP_WRITES, ADD_TO_GROUP,
           ASSUME_ROOT, TAKEOVER, *(new.technique(w) for new in NEW_PRINCIPALS for w in new.writes)}
    return tables | iam | {str(kind) for kind, spec in EDGE_SPECS.items() if spec.trust}


@cache
def defined_tests() -> frozenset[str]:
    """Every test function defined anywhere under tests/ (read, not imported)."""
    found = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found.update(node.name for node in ast.walk(tree)
                     if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"))
    return frozenset(found)


def problems(rows: list[Row], ids: list[str], techniques: set[str], tests: frozenset[str]) -> list[str]:
    """What is wrong with the table, one sentence each (none: it is sound)."""
    out = []
    seen: set[str] = set()
    for row in rows:
        if row.id in seen:
            out.append(f"{row.id}: more than one row")
        seen.add(row.id)
        if not row.permissions or not all(ACTION.match(p) for p in row.permissions):
            out.append(f"{row.id}: permissions must be IAM action names: {row.permissions}")
        if row.status == "modelled":
            if row.technique not in techniques:
                out.append(f"{row.id}: technique {row.technique!r} is in no table of the code")
            for column, names in (("positive", row.positive), ("negative", row.negative)):
                if not names:
                    out.append(f"{row.id}: no {column} test")
                out.extend(f"{row.id}: {column} test {n} does not exist" for n in names if n not in tests)
        elif row.status == "not modelled":
            if not row.why:
                out.append(f"{row.id}: not modelled without a reason")
        else:
            out.append(f"{row.id}: status {row.status!r} is neither 'modelled' nor 'not modelled'")
    out.extend(f"{i}: no row" for i in ids if i not in seen)
    return out


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return parse_table(EDGES.read_text(encoding="utf-8"))


def catalogue_ids() -> list[str]:
    return [line.strip() for line in IDS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_catalogue_every_id_has_a_row(rows: list[Row]) -> None:
    ids = catalogue_ids()
    assert len(ids) == len(set(ids)) > 0
    assert [p for p in problems(rows, ids, known_techniques(), defined_tests()) if p.endswith("no row")] == []
    # The negative control: an id the table does not hold is reported.
    assert problems(rows, ["made-up-999"], known_techniques(), defined_tests())[-1] == "made-up-999: no row"


def test_catalogue_modelled_rows_name_a_technique_and_tests_that_exist(rows: list[Row]) -> None:
    assert problems(rows, [], known_techniques(), defined_tests()) == []
    assert any(r.status == "modelled" for r in rows) and any(r.status == "not modelled" for r in rows)
    # The negative controls: an unknown technique, a missing test, a row without tests are reported.
    bad = [Row("x-1", ("iam:PassRole",), "modelled", "teleport:Anywhere", ("test_nowhere",), (), "")]
    assert problems(bad, [], known_techniques(), defined_tests()) == [
        "x-1: technique 'teleport:Anywhere' is in no table of the code",
        "x-1: positive test test_nowhere does not exist", "x-1: no negative test"]


def test_catalogue_no_row_is_duplicated(rows: list[Row]) -> None:
    assert len({r.id for r in rows}) == len(rows)
    twice = [rows[0], rows[0]]
    assert f"{rows[0].id}: more than one row" in problems(twice, [], known_techniques(), defined_tests())


def test_catalogue_section_names_the_commit_it_was_read_at() -> None:
    text = section(EDGES.read_text(encoding="utf-8"))
    assert re.search(r"catalogue commit `[0-9a-f]{40}`", text)
