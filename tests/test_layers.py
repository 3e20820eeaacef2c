"""Layers point down only: a module imports from its own layer or the layers below it (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import trustgraph

PACKAGE = Path(trustgraph.__file__).parent

# Bottom to top. The package's own __init__ (the lazy public API) stands above everything.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("text", "arns", "gc_pause", "version", "load_report", "atomic"),
    ("model",),
    ("policy",),
    ("sources",),
    ("graph",),
    ("saved",),
    ("analysis",),
    ("render", "report", "export"),
    ("cli",),
    ("__init__", "__main__"),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "trustgraph":
                found += [(node.lineno, f"trustgraph.{a.name}") for a in node.names]
            elif node.module.startswith("trustgraph."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("trustgraph.")]
    return found


def _module_layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    return rel.parts[0] if rel.parts[0] != "__init__" else "__init__"


def test_every_module_has_a_layer():
    unplaced = sorted({_module_layer(p) for p in PACKAGE.rglob("*.py")} - RANK.keys())
    assert unplaced == [], f"modules or packages without a layer in LAYERS: {unplaced}"


def test_imports_point_down_only():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        mine = _module_layer(path)
        for line, module in _imports(path):
            target = _layer(module)
            if RANK.get(target, -1) > RANK[mine]:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module} ({mine} → {target})")
    assert upward == []


def test_the_walk_sees_an_upward_import(tmp_path):
    # the check itself: a graph module importing the analysis layer is caught
    probe = tmp_path / "probe.py"
    probe.write_text("from trustgraph.analysis.reachability import who_can_reach\n")
    assert [_layer(m) for _, m in _imports(probe)] == ["analysis"]
    assert RANK["analysis"] > RANK["graph"]
