"""One script draws every picture: docs/images/make_images.py's IMAGES covers each picture README and docs/ show,
and each of them is in the repository. (The script itself is not run here: it draws a 1,000-account organization.)"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "images" / "make_images.py"


def _script_images() -> set[str]:
    spec = importlib.util.spec_from_file_location("make_images", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return set(module.IMAGES)


def shown_pictures(text: str) -> set[str]:
    """The docs/images files a Markdown page shows or links (from README: docs/images/…, from docs/: images/…)."""
    return {match.rsplit("/", 1)[-1] for match in re.findall(r"\]\(((?:docs/)?images/[^)\s]+)\)", text)}


def test_shown_pictures_reads_both_link_forms() -> None:
    text = "![a](docs/images/a.png) ![b](images/b.svg) [c](other/c.png) ![d](https://x/images/d.png)"
    assert shown_pictures(text) == {"a.png", "b.svg"}


def test_pictures_script_draws_every_picture_the_docs_show() -> None:
    drawn = _script_images()
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    shown = {name: page.name for page in pages for name in shown_pictures(page.read_text(encoding="utf-8"))}
    assert shown, "no pictures found: the link pattern no longer matches"
    assert {"acme-paths-breakglass.png", "acme-staging-change.png"} <= shown.keys()
    missing = {name: page for name, page in shown.items() if name not in drawn}
    assert not missing, f"pictures shown but not drawn by {SCRIPT.name}: {missing}"


def test_pictures_script_outputs_are_committed() -> None:
    images = ROOT / "docs" / "images"
    absent = sorted(name for name in _script_images() if not (images / name).is_file())
    assert not absent, absent
    stale = sorted(p.name for p in images.iterdir() if p.suffix in (".png", ".svg") and p.name not in _script_images())
    assert not stale, f"pictures no script draws: {stale}"


def trustgraph_imports(source: str) -> list[tuple[str, str]]:
    """Every (module, name) the script imports from trustgraph, at the top or inside its functions."""
    import ast

    return [(node.module, alias.name) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("trustgraph")
            for alias in node.names]


def test_pictures_script_imports_only_what_trustgraph_has() -> None:
    # The script is not run here, so a renamed function would break it unseen (it did once: picture_marks).
    import importlib

    found = trustgraph_imports(SCRIPT.read_text(encoding="utf-8"))
    assert ("trustgraph.render.engine", "render") in found
    missing = [f"{module}.{name}" for module, name in found
               if not hasattr(importlib.import_module(module), name)]
    assert not missing, f"{SCRIPT.name} imports what trustgraph no longer has: {missing}"
    # The control: a name trustgraph does not have is caught.
    stale = trustgraph_imports("def f():\n    from trustgraph.cli.pictures import picture_marks\n")
    assert not all(hasattr(importlib.import_module(m), n) for m, n in stale)
