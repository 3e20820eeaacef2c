"""Opt-in: render report.html in headless Chromium and check it paints the review (marker `browser`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from trustgraph.cli import main

CHROMIUM = Path("/usr/bin/chromium")
ACME = Path(__file__).resolve().parents[2] / "samples" / "acme"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs headless Chromium at /usr/bin/chromium")]


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           *args], capture_output=True, text=True, timeout=120)


def test_review_html_renders_in_headless_chromium(tmp_path: Path):
    out = tmp_path / "bundle"
    result = CliRunner().invoke(main, ["review", "-i", str(ACME), "-q", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0
    report = (out / "report.html").resolve().as_uri()
    shot = tmp_path / "review.png"
    _chromium("--window-size=1280,2000", f"--screenshot={shot}", report)
    assert shot.exists() and shot.stat().st_size > 50_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = _chromium("--dump-dom", report).stdout
    assert "Fix first" in dom and "Trust map" in dom and "data:image/svg+xml;base64," in dom
