"""`map --view matrix --rules FILE` (render/matrix_rules.py, docs/pictures.md): the cells a deny or allow_only
guardrail forbids are tinted, the cells holding violations painted with their count, on samples/acme."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.render.matrix import FORBIDDEN_COLOUR, VIOLATION_COLOUR

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "samples" / "acme"
RULES = ROOT / "samples" / "guardrails" / "acme.yaml"


def _map(tmp_path: Path, name: str, *extra: str) -> tuple[int, str, Path]:
    out = tmp_path / name
    result = CliRunner().invoke(main, ["map", "-i", str(ACME), "-q", "-o", str(out), *extra])
    return result.exit_code, result.output, out


def _cells(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    rows = [r["title"] for r in doc["rows"]]
    cols = [c["title"] for c in doc["columns"]]
    return {(rows[c["row"]], cols[c["column"]]): c for c in doc["rule_cells"]}


def test_matrix_rules_tint_the_cells_a_rule_forbids(tmp_path: Path) -> None:
    code, output, out = _map(tmp_path, "m.json", "--view", "matrix", "--rules", str(RULES))
    assert code == 0, output
    cells = _cells(json.loads(out.read_text()))
    # deny: NonProd's accounts may not reach Prod's roles (the rule holds: forbidden, not broken).
    for nonprod in ("acme-dev", "acme-staging"):
        assert "nonprod-never-reaches-prod" in cells[nonprod, "acme-prod"]["forbidden_by"]
        assert cells[nonprod, "acme-prod"]["violations"] == 0
    # allow_only: only Security may reach BreakGlass (in acme-prod), so every other row is forbidden there.
    assert "breakglass-trusts-only-security" in cells["acme-management", "acme-prod"]["forbidden_by"]
    # Negative controls: Security is let through, NonProd → Security is not guarded, Prod → Prod only by allow_only.
    assert ("acme-security", "acme-prod") not in cells
    assert ("acme-dev", "acme-security") not in cells
    assert cells["acme-prod", "acme-prod"]["forbidden_by"] == ["breakglass-trusts-only-security"]


def test_matrix_rules_paint_the_cells_that_break_a_rule(tmp_path: Path) -> None:
    code, output, out = _map(tmp_path, "m.json", "--view", "matrix", "--rules", str(RULES))
    assert code == 0, output
    doc = json.loads(out.read_text())
    cells = _cells(doc)
    assert cells["acme-management", "acme-prod"]["violations_by_rule"] == {"breakglass-trusts-only-security": 1}
    assert cells["acme-prod", "acme-prod"]["violations"] == 2  # ProdAdmin and ProdDeployer
    # Every violation `check` reports is a cell's count or said to be in no cell (codebuild: services are no row).
    check = CliRunner().invoke(main, ["check", "-i", str(ACME), "-q", "--rules", str(RULES), "--format", "json"])
    total = json.loads(check.output)["violation_count"]
    assert sum(c["violations"] for c in doc["rule_cells"]) + doc["rule_violations_not_drawn"] == total == 7
    # Negative control: the rules Acme keeps paint forbidden cells and no broken one.
    kept = tmp_path / "kept.yaml"
    kept.write_text(RULES.read_text().split("  - id: breakglass-trusts-only-security")[0])
    code, output, out = _map(tmp_path, "kept.json", "--view", "matrix", "--rules", str(kept))
    assert code == 0, output
    doc = json.loads(out.read_text())
    assert doc["rule_cells"] and not any(c["violations"] for c in doc["rule_cells"])


def test_matrix_rules_drawn_with_a_legend_only_when_asked(tmp_path: Path) -> None:
    code, output, out = _map(tmp_path, "m.svg", "--view", "matrix", "--rules", str(RULES))
    assert code == 0, output
    svg = out.read_text()
    assert FORBIDDEN_COLOUR in svg and VIOLATION_COLOUR in svg
    assert "tinted: a guardrail forbids" in svg and "6 violations of the guardrails" in svg
    code, output, out = _map(tmp_path, "plain.svg", "--view", "matrix")
    svg = out.read_text()
    assert FORBIDDEN_COLOUR not in svg and VIOLATION_COLOUR not in svg and "guardrail" not in svg
    # By OU: NonProd → Prod forbidden there too.
    code, output, out = _map(tmp_path, "ous.json", "--view", "matrix", "--by", "ous", "--rules", str(RULES))
    assert code == 0, output
    cells = _cells(json.loads(out.read_text()))
    assert "nonprod-never-reaches-prod" in cells["NonProd", "Prod"]["forbidden_by"]


def test_matrix_rules_only_for_the_matrix(tmp_path: Path) -> None:
    code, output, _ = _map(tmp_path, "m.svg", "--view", "ous", "--rules", str(RULES))
    assert code == 2 and "--rules paints the matrix" in output
