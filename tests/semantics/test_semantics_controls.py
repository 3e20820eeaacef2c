"""Every semantics test that asserts an absence (no_edge) also asserts a presence in the same fixture: a
positive control, so the test fails if the fixture never loaded instead of passing vacuously."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

POSITIVE = {"edge", "unconditional", "conditional", "conditional_on", "problems"}
FILES = sorted((Path(__file__).resolve().parent).glob("test_semantics_[0-9]*.py"))


def _positive(test: ast.expr) -> bool:
    """`x in y`, `x <= y`, `... == {non-empty set}`, `any(...)`: the assertion needs something present."""
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "any":
        return True
    if isinstance(test, ast.BoolOp):
        return any(_positive(v) for v in test.values)
    if not isinstance(test, ast.Compare):
        return False
    for op, right in zip(test.ops, test.comparators, strict=True):
        if isinstance(op, ast.In | ast.LtE | ast.GtE):
            return True
        if isinstance(op, ast.Eq) and isinstance(right, ast.Set | ast.List | ast.Tuple | ast.Dict) and (
                getattr(right, "elts", None) or getattr(right, "keys", None)):
            return True
        if isinstance(op, ast.Eq) and isinstance(right, ast.Constant) and right.value not in (None, 0, "", False):
            return True
    return False


def _absence_only(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for fn in tree.body:
        if not (isinstance(fn, ast.FunctionDef) and fn.name.startswith("test")):
            continue
        calls = {n.func.id for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        positive_asserts = [n for n in ast.walk(fn) if isinstance(n, ast.Assert) and _positive(n.test)]
        if "no_edge" in calls and not (calls & POSITIVE) and not positive_asserts:
            found.append(f"{path.name}::{fn.name}")
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_absence_assertions_have_a_positive_control(path: Path) -> None:
    assert _absence_only(path) == []
