"""Start-up cost: `trustgraph --version` and `--help` import neither the core nor its heavy dependencies,
the lazy package API and command registry give the same names and help as eager imports would."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import trustgraph
from trustgraph.cli import main
from trustgraph.cli.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("networkx", "rich", "boto3", "botocore", "graphviz", "pygraphviz", "yaml")


def modules_after(*args: str) -> set[str]:
    """Modules loaded by a fresh interpreter that runs `trustgraph ARGS` (stdout discarded)."""
    code = (
        "import contextlib, io, json, sys\n"
        "from trustgraph.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main({list(args)!r}, prog_name='trustgraph', standalone_mode=False)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          check=True, timeout=60)
    return set(json.loads(done.stdout))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


@pytest.mark.parametrize("args", [("--version",), ("--help",)])
def test_version_and_help_import_nothing_heavy(args: tuple[str, ...]) -> None:
    modules = modules_after(*args)
    assert heavy_in(modules) == []
    assert not any(m.startswith(("trustgraph.analysis", "trustgraph.graph", "trustgraph.render",
                                 "trustgraph.sources")) or m.endswith("_cmd") for m in modules)


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


def test_registry_names_every_command_module_and_nothing_else() -> None:
    modules = {f"trustgraph.cli.{p.stem}" for p in (ROOT / "trustgraph" / "cli").glob("*_cmd.py")}
    assert {c.module for c in COMMANDS.values()} == modules
    for name, entry in COMMANDS.items():
        importlib.import_module(entry.module)
        assert name in main.commands, f"{entry.module} does not register {name!r}"
    assert set(main.commands) == set(COMMANDS)


@pytest.mark.parametrize("limit", [20, 45, 74, 200])
def test_registered_help_lines_match_the_commands(limit: int) -> None:
    for name, entry in COMMANDS.items():
        real = main.get_command(click.Context(main), name)
        assert real is not None
        stand_in = click.Command(name, help=entry.short_help)
        assert stand_in.get_short_help_str(limit) == real.get_short_help_str(limit), name


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"], terminal_width=100)
    assert result.exit_code == 0
    listed = result.stdout.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed if line.strip()] == sorted(COMMANDS)
    assert "Draw the trust map." in result.stdout


def test_python_dash_m_trustgraph_is_the_command() -> None:
    from trustgraph.version import __version__

    done = subprocess.run([sys.executable, "-m", "trustgraph", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == f"trustgraph, version {__version__}"
