"""Start-up cost: `import trustgraph` loads none of the core or its heavy dependencies, and the lazy package
API gives the same names as eager imports would."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import trustgraph

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("networkx", "rich", "boto3", "botocore", "graphviz", "pygraphviz", "yaml")


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_import_trustgraph_is_cheap() -> None:
    code = "import json, sys, trustgraph; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert heavy_in(set(json.loads(done.stdout))) == []


def test_every_public_name_resolves_to_its_defining_object() -> None:
    assert set(trustgraph.__all__) == set(trustgraph._API) | {"__version__"}
    for name, (module, attr) in trustgraph._API.items():
        assert getattr(trustgraph, name) is getattr(importlib.import_module(module), attr), name
    namespace: dict[str, object] = {}
    exec("from trustgraph import *", namespace)
    assert set(trustgraph.__all__) <= namespace.keys()
    with pytest.raises(AttributeError):
        trustgraph.no_such_name  # noqa: B018
