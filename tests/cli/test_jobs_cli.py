"""--jobs N on every command that builds a graph from inputs (docs/cli.md): N >= 1, by default the machine's cores
(TRUSTGRAPH_JOBS sets it too); the graph is the same for any N, so the build cache serves any N. The builds here
stay in this process (acme is too small to fork for); tests/graph/test_parallel_build.py forks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

import trustgraph.cli.inputs as inputs_module
from trustgraph.cli import main
from trustgraph.graph.parallel import cores
from trustgraph.model import Snapshot

ROOT = Path(__file__).resolve().parents[2]
ACME = str(ROOT / "samples" / "acme")
BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def _options(command: click.Command) -> set[str]:
    return {o for p in command.params for o in getattr(p, "opts", ())}


def test_jobs_on_every_command_that_builds_from_inputs() -> None:
    assert isinstance(main, click.Group)
    context = click.Context(main)
    commands = {name: main.get_command(context, name) for name in main.list_commands(context)}
    options = {name: _options(c) for name, c in commands.items() if c is not None}
    building = {name for name, found in options.items() if "--no-cache" in found}
    assert {"build", "who-can-reach", "findings", "map", "diff"} <= building
    assert all("--jobs" in options[name] for name in building)
    # control: a command that reads no inputs has no --jobs
    assert not all("--jobs" in found for found in options.values())


def test_jobs_below_one_is_a_usage_error() -> None:
    code, _, err = run("who-can-reach", BREAK_GLASS, "-i", ACME, "--jobs", "0", "--no-cache")
    assert code == 2 and "--jobs" in err
    code, _, err = run("who-can-reach", BREAK_GLASS, "-i", ACME, "--no-cache", env={"TRUSTGRAPH_JOBS": "none"})
    assert code == 2 and "--jobs" in err
    assert run("who-can-reach", BREAK_GLASS, "-i", ACME, "--jobs", "1", "--no-cache")[0] == 0  # control


def test_jobs_default_is_the_machines_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    _, out, _ = run("build", "--help")
    assert "--jobs N" in out and "the machine's cores" in out
    seen: list[int] = []
    real = inputs_module.build_graph

    def spy(snapshot: Snapshot, progress: Any = None, jobs: int = 1) -> Any:
        seen.append(jobs)
        return real(snapshot, progress=progress)  # in this process: a fork of a test process is unsafe

    monkeypatch.setattr(inputs_module, "build_graph", spy)
    monkeypatch.delenv("TRUSTGRAPH_JOBS")
    assert run("who-can-reach", BREAK_GLASS, "-i", ACME, "--no-cache")[0] == 0
    assert seen == [cores()] and cores() >= 1
    # controls: TRUSTGRAPH_JOBS sets it, and --jobs wins over it
    monkeypatch.setenv("TRUSTGRAPH_JOBS", "3")
    run("who-can-reach", BREAK_GLASS, "-i", ACME, "--no-cache")
    run("who-can-reach", BREAK_GLASS, "-i", ACME, "--no-cache", "--jobs", "2")
    assert seen[1:] == [3, 2]


def test_jobs_is_not_in_the_build_cache_key() -> None:
    first = run("who-can-reach", BREAK_GLASS, "-i", ACME, "--json", "--jobs", "1")
    second = run("who-can-reach", BREAK_GLASS, "-i", ACME, "--json", "--jobs", "3")
    assert first[0] == 0 and first[1] == second[1]
    assert "build graph" in first[2]
    assert "read cached build" in second[2] and "build graph" not in second[2]
    # control: other inputs are another key
    other = run("who-can-reach", BREAK_GLASS, "-i", ACME, "--json", "--jobs", "3", "--role-arn",
                "arn:aws:iam::444444444444:role/Other")
    assert "build graph" in other[2]
