"""The command line's habits: suggestions for a mistyped command, machine-readable tables (--format tsv|csv),
quiet exit on a closed pipe, a `schema` on every JSON answer, an example in every --help, and -o checked
before any work."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.cli.app import unknown_command
from trustgraph.cli.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
ACME = str(ROOT / "samples" / "acme")
BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


# --- suggestions for a mistyped command ---------------------------------------------------------------------


def test_mistyped_command_suggests_the_closest() -> None:
    code, out, err = run("who-can-rech", BREAK_GLASS, "-i", ACME)
    assert code == 2 and out == ""
    assert "No such command 'who-can-rech'. Did you mean who-can-reach?" in err
    code, _, err = run("findngs", "-i", ACME)
    assert code == 2 and "Did you mean findings?" in err


def test_mistyped_command_with_two_close_names_names_both() -> None:
    assert unknown_command("whocanreach", sorted(COMMANDS)).endswith("Did you mean who-can-reach or reach?")


def test_mistyped_command_far_from_every_name_suggests_none_and_lists_them() -> None:
    code, _, err = run("xyzzy")
    assert code == 2 and "Did you mean" not in err
    assert "Commands: " + ", ".join(sorted(COMMANDS)) in err


def test_mistyped_command_check_leaves_real_commands_and_group_options_alone() -> None:
    code, out, _ = run("who-can-reach", BREAK_GLASS, "-i", ACME, "-q", "--json")
    assert code == 0 and '"target"' in out
    code, out, _ = run("--debug", "--help")
    assert code == 0 and "Commands:" in out
