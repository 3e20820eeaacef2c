"""The review bundle of a large organization holds the account matrix split one page per OU (render/matrix_pages.py)
and links its index from the main page's matrix section; a small one does not. A generated 120-account organization
with the threshold lowered to 50."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import benchmark_generator
from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.render import matrix_pages
from trustgraph.report.review_layout import MATRIX_DIR, MATRIX_FILE


@pytest.fixture(scope="module")
def org120(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("org120") / "org"
    benchmark_generator().generate(base, 120, 8, 2, 7)  # generate_org.py --accounts 120 --roles 8 --users 2
    return base


def _review(data: Path, out: Path) -> Path:
    result = CliRunner().invoke(main, ["review", "-i", str(data), "-q", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_review_links_the_account_matrix_pages_above_the_threshold(org120: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matrix_pages, "SPLIT_ABOVE", 50)
    bundle = _review(org120, tmp_path / "review")
    index = bundle / MATRIX_FILE
    pages = sorted((bundle / MATRIX_DIR).glob("*.svg"))
    assert index.is_file() and len(pages) >= 3
    svg = index.read_text(encoding="utf-8")
    assert all(f'href="{MATRIX_DIR}/{p.name}"' in svg for p in pages)
    report = (bundle / "report.md").read_text(encoding="utf-8")
    assert f"]({MATRIX_FILE})" in report and f"{len(pages)} pages" in report
    assert f'href="{MATRIX_FILE}"' in (bundle / "report.html").read_text(encoding="utf-8")
    listed = json.loads((bundle / ".trustgraph-review").read_text(encoding="utf-8"))["files"]
    assert MATRIX_FILE in listed and all(f"{MATRIX_DIR}/{p.name}" in listed for p in pages)
    # Negative control: at the default threshold (300) the same organization gets no pages, and the run removes
    # those of the previous one.
    monkeypatch.setattr(matrix_pages, "SPLIT_ABOVE", 300)
    _review(org120, bundle)
    assert not index.exists() and not (bundle / MATRIX_DIR).exists()
    assert MATRIX_FILE not in (bundle / "report.md").read_text(encoding="utf-8")
