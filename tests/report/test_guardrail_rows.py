"""One function makes the rows of a guardrail's table of violations (report/guardrails.guardrail_rows): the
review's report.md and report.html show the same rows, the "(no hop needs …)" of require_conditions included."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from click.testing import CliRunner

from trustgraph.cli import main

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "samples" / "acme"
RULES = ROOT / "samples" / "guardrails" / "acme.yaml"
# A rule Acme breaks for want of a condition: the security account reaches BreakGlass, never needing ExternalId.
NEEDS_EXTERNAL_ID = """
  - id: security-needs-externalid-for-breakglass
    from: {ou: Security}
    to: {principal: "arn:aws:iam::*:role/BreakGlass"}
    require_conditions: [sts:ExternalId]
"""


def _rows_md(text: str) -> list[list[str]]:
    section = text.split("## Guardrails", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| from |")]
    return [[_plain(cell) for cell in line.strip("|").split(" | ")] for line in rows]


def _rows_html(text: str) -> list[list[str]]:
    section = text.split("<h2>Guardrails</h2>", 1)[1].split("<h2>", 1)[0]
    rows = re.findall(r"<tr><td>(.*?)</td></tr>", section)
    return [[_plain(cell) for cell in row.split("</td><td>")] for row in rows]


def _plain(cell: str) -> str:
    """A cell's words without the medium: code spans, tags, escapes."""
    cell = re.sub(r"<br>", " / ", cell)
    cell = re.sub(r"<[^>]+>", "", cell)
    cell = unescape(cell).replace("`", "")
    return re.sub(r"\\(.)", r"\1", cell).strip()  # Markdown's escapes


def test_guardrail_rows_same_in_markdown_and_html(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.read_text() + NEEDS_EXTERNAL_ID)
    out = tmp_path / "review"
    result = CliRunner().invoke(main, ["review", "-i", str(ACME), "-q", "-o", str(out), "--rules", str(rules)])
    assert result.exit_code == 0, result.output
    md_rows = _rows_md((out / "report.md").read_text(encoding="utf-8"))
    html_rows = _rows_html((out / "report.html").read_text(encoding="utf-8"))
    assert len(md_rows) >= 4
    assert md_rows == html_rows
    missing = [row for row in md_rows if "(no hop needs sts:ExternalId)" in row[3]]
    assert missing, md_rows  # the HTML had left it out
    # Negative control: a rule that holds has no rows in either medium.
    assert not any("security-needs-mfa" in cell for row in md_rows for cell in row)
