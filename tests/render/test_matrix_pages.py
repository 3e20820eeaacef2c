"""The account matrix of a large organization is split (render/matrix_pages.py, docs/pictures.md): an index (the OU
matrix, each OU linked to its page) and one page per OU, each page's account labels readable at page size. Checked on
a generated 120-account organization with the split threshold lowered (the 1,000-account numbers are in
docs/pictures.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from builders import benchmark_generator
from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.render import matrix_pages
from trustgraph.render.matrix import MAX_SIDE
from trustgraph.render.matrix_pages import MatrixPages
from trustgraph.render.overview import VIEWS, ViewOptions, has_ous
from trustgraph.render.scene import Scene, Text

READABLE = 10.0  # points: 10 px at 100 % in the PNG (the SVG's points are larger still)


@pytest.fixture(scope="module")
def org120(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, Path]:
    from trustgraph.graph.build import build_graph
    from trustgraph.sources.files import load_inputs

    base = tmp_path_factory.mktemp("org120") / "org"
    benchmark_generator().generate(base, 120, 8, 2, 7)  # generate_org.py --accounts 120 --roles 8 --users 2
    snapshot, _ = load_inputs([str(base)])
    return build_graph(snapshot), snapshot.organization, base


def _draw(org: tuple[Any, Any, Path], **options: Any) -> Any:
    graph, organization, _ = org
    opts = ViewOptions(organization=organization, has_ous=has_ous(graph, organization), **options)
    return VIEWS["matrix"].draw(graph, opts)


def _account_labels(scene: Scene) -> list[Text]:
    """The axis labels naming an account (`name · 12-digit id`)."""
    return [t for t in scene.items if isinstance(t, Text) and re.search(r" · \d{12}$", t.text)]


def test_account_matrix_split_above_the_threshold(org120: tuple[Any, Any, Path]) -> None:
    split = _draw(org120, split_above=50, output_file="out/matrix.svg")
    assert isinstance(split, MatrixPages)
    graph = org120[0]
    accounts = {str(d["account"]) for _, d in graph.nodes(data=True) if d.get("in_data") and d.get("account")}
    assert len(split.pages) >= 3
    # Every account is drawn one by one on exactly one page (as a row and a column), and no page holds another's.
    seen: dict[str, str] = {}
    for page in split.pages:
        rows = {u["detail"] for u in page.scene.data["rows"] if re.fullmatch(r"\d{12}", u["detail"] or "")}
        for account in rows:
            assert account not in seen, (account, page.name, seen.get(account))
            seen[account] = page.name
        assert len(rows) == page.accounts, page.name
    assert accounts <= set(seen)
    # Readable at page size: account labels of at least 10 points, the page within the picture's cap.
    for page in split.pages:
        labels = _account_labels(page.scene)
        assert labels, page.name
        assert min(t.size for t in labels) >= READABLE, page.name
        assert page.scene.width <= MAX_SIDE + 1000 and page.scene.height <= MAX_SIDE + 1500
    # The index: the OU matrix, every page linked from an OU label (SVG) and listed in its JSON.
    index = split.index
    assert index.data["by"] == "ous"
    links = {t.href for t in index.items if isinstance(t, Text) and t.href}
    assert links == {f"matrix/{p.name}.svg" for p in split.pages}
    assert [p["file"] for p in index.data["pages"]] == [f"matrix/{p.name}.svg" for p in split.pages]
    svg = index.draw("svg").decode()
    assert f'<a href="matrix/{split.pages[0].name}.svg">' in svg


def test_account_matrix_not_split_at_or_below_the_threshold(org120: tuple[Any, Any, Path]) -> None:
    # Negative controls: below the threshold, to standard output, or --by ous: one picture.
    assert isinstance(_draw(org120, split_above=200, output_file="matrix.svg"), Scene)
    assert isinstance(_draw(org120, split_above=50, output_file="-"), Scene)
    assert isinstance(_draw(org120, split_above=50, output_file="matrix.svg", by="ous"), Scene)


def test_map_writes_the_index_and_one_page_per_ou(org120: tuple[Any, Any, Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matrix_pages, "SPLIT_ABOVE", 50)
    out = tmp_path / "matrix.json"
    result = CliRunner().invoke(main, ["map", "-i", str(org120[2]), "--view", "matrix", "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "split: the index and" in result.output
    index = json.loads(out.read_text())
    files = [tmp_path / p["file"] for p in index["pages"]]
    assert files and all(f.is_file() for f in files)
    assert sorted(p.name for p in (tmp_path / "matrix").iterdir()) == sorted(f.name for f in files)
    page = json.loads(files[-1].read_text())
    assert page["by"] == "accounts" and page["title"].startswith(f"Trust matrix, page {len(files)} of {len(files)}")
    # The same command above the threshold writes one picture and no directory.
    monkeypatch.setattr(matrix_pages, "SPLIT_ABOVE", 300)
    single = tmp_path / "single.json"
    result = CliRunner().invoke(main, ["map", "-i", str(org120[2]), "--view", "matrix", "-o", str(single)],
                                catch_exceptions=False)
    assert result.exit_code == 0 and "split" not in result.output
    assert "pages" not in json.loads(single.read_text()) and not (tmp_path / "single").exists()
