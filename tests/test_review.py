"""`trustgraph review`: the bundle's files, its content on samples/acme, escaping, and no external assets."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.report.review_markdown import role_slug

ACME = Path(__file__).resolve().parent.parent / "samples" / "acme"
KNOWN = "- name: 'Datadog'\n  source: ['https://docs.datadoghq.com/']\n  accounts: ['464622532012']\n"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("review")
    known = base / "known.yaml"
    known.write_text(KNOWN, encoding="utf-8")
    out = base / "bundle"
    result = CliRunner().invoke(main, ["review", "-i", str(ACME), "--known-accounts", str(known), "-q",
                                       "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_review_writes_every_file(bundle: Path):
    for name in ("report.md", "report.html", "trust-map.svg", "findings.json", "findings.sarif"):
        assert (bundle / name).stat().st_size > 0, name
    assert (bundle / "paths" / f"{role_slug('arn:aws:iam::444444444444:role/BreakGlass')}.svg").exists()
    assert json.loads((bundle / "findings.json").read_text())["findings"]


def test_review_markdown_sections_and_content(bundle: Path):
    md = (bundle / "report.md").read_text()
    for heading in ("## At a glance", "### Fix first", "## Accounts", "## Account trust map",
                    "## Trust that crosses the organization boundary", "## Sensitive roles", "## Findings",
                    "## Appendix A: rules"):
        assert heading in md, heading
    assert "![Account trust map](trust-map.svg)" in md
    assert "Datadog (464622532012)" in md and "unknown account 999988887777" in md
    assert "denied by RCP DenyExternalExceptVendors" in md
    assert f"paths/{role_slug('arn:aws:iam::444444444444:role/BreakGlass')}.svg" in md


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_review_html_is_self_contained(bundle: Path):
    html = (bundle / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    parser = _Tags()
    parser.feed(html)
    names = {t for t, _ in parser.tags}
    assert not names & {"script", "link", "iframe", "object", "embed"}
    sources = [a["src"] for _, a in parser.tags if "src" in a]
    assert len(sources) >= 2 and all((s or "").startswith("data:image/svg+xml;base64,") for s in sources)
    # Hyperlinks (documentation references) are allowed; nothing the page needs is fetched.
    assert all(t == "a" for t, a in parser.tags if "href" in a)
    assert "Trust that crosses the organization boundary" in html and "BreakGlass" in html


def test_review_html_escapes_every_string_from_the_data(tmp_path: Path):
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "<b>x</b>", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}))
    evil = "arn:aws:iam::111122223333:role/<img src=x onerror=alert(1)>"
    out = tmp_path / "bundle"
    result = CliRunner().invoke(main, ["review", "-i", str(trust), "--role-arn", evil, "-q", "-o", str(out),
                                       "--title", "<script>alert('t')</script>"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    assert "<img src=x" not in html and "<script>alert" not in html and "<b>x</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;script&gt;" in html
    md = (out / "report.md").read_text()
    assert "<script>" not in md and "\\<script\\>" in md


def test_review_without_diagrams(tmp_path: Path):
    result = CliRunner().invoke(main, ["review", "-i", str(ACME), "-q", "-o", str(tmp_path / "b"),
                                       "--no-diagrams"], catch_exceptions=False)
    assert result.exit_code == 0
    assert not (tmp_path / "b" / "trust-map.svg").exists()
    assert "## Findings" in (tmp_path / "b" / "report.md").read_text()
