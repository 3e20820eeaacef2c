"""Every command over the hostile corpus (tests/hostile/): exit 0 (or 2 when nothing usable is left), never a
traceback, and every error line names its file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from trustgraph.cli import main

HOSTILE = Path(__file__).resolve().parent
FILES = sorted(HOSTILE.glob("*.json"))
ROLE = "arn:aws:iam::111122223333:role/GetRoleOk"
# Lines about the run as a whole, not about one input.
GLOBAL_ERRORS = ("error: no usable IAM data in the inputs", "is not in the trust graph")


def _commands(tmp: Path) -> list[list[str]]:
    return [
        ["who-can-reach", ROLE, "--no-cache"],
        ["reach", ROLE, "--no-cache"],
        ["path", ROLE, ROLE, "--no-cache"],
        ["findings", "--no-cache"],
        ["findings", "--no-cache", "--format", "json"],
        ["findings", "--no-cache", "--format", "sarif"],
        ["findings", "--no-cache", "--format", "markdown"],
        ["map", "--no-cache", "-o", str(tmp / "map.svg")],
        ["map", "--no-cache", "--view", "matrix", "-o", str(tmp / "matrix.svg")],
        ["review", "--no-cache", "-o", str(tmp / "review"), "--force"],
        ["build", "--no-cache", "-o", str(tmp / "graph.tg")],
    ]


def _check(args: list[str], expect_data: bool) -> None:
    result = CliRunner().invoke(main, args)
    text = result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    assert "Traceback" not in text, args
    assert result.exit_code in ((0,) if expect_data else (0, 2)), (args, result.exit_code, result.stderr)
    for line in result.stderr.splitlines():
        if line.startswith("error:") and not any(g in line for g in GLOBAL_ERRORS):
            assert str(HOSTILE) in line, f"error line names no file: {line!r} ({args})"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_command_survives_each_hostile_file_beside_good_data(path: Path, tmp_path: Path) -> None:
    for command in _commands(tmp_path):
        _check(command + ["-i", str(path), "-i", str(HOSTILE / "get_role_ok.json")], expect_data=True)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_hostile_file_alone_exits_0_or_2_with_located_errors(path: Path, tmp_path: Path) -> None:
    _check(["findings", "--no-cache", "-i", str(path)], expect_data=False)
    _check(["who-can-reach", ROLE, "--no-cache", "-i", str(path)], expect_data=False)


def test_every_command_over_the_whole_corpus(tmp_path: Path) -> None:
    for command in _commands(tmp_path):
        _check(command + ["-i", str(HOSTILE)], expect_data=True)


def test_explain_over_each_hostile_file(tmp_path: Path) -> None:
    for path in FILES:
        _check(["explain", str(path)], expect_data=False)
