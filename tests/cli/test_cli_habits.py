"""The command line's habits: suggestions for a mistyped command, machine-readable tables (--format tsv|csv),
quiet exit on a closed pipe, a `schema` on every JSON answer, an example in every --help, and -o checked
before any work."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.cli.app import unknown_command
from trustgraph.cli.commands import COMMANDS
from trustgraph.cli.output import rows_text
from trustgraph.version import SCHEMAS

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


# --- --format tsv|csv: rows for machines ---------------------------------------------------------------------

BOX = set("┏━┃┡│└┌┐┘╇╈┼")  # the table's frame (a path's "─[technique]→" is text)


def rows_of(text: str, fmt: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ",",
                           quoting=csv.QUOTE_NONE if fmt == "tsv" else csv.QUOTE_MINIMAL))


@pytest.mark.parametrize("fmt", ["tsv", "csv"])
def test_format_rows_of_who_can_reach_are_the_json_answer_with_a_header(fmt: str) -> None:
    answer = json.loads(run("who-can-reach", BREAK_GLASS, "-i", ACME, "-q", "--json")[1])
    code, out, _ = run("who-can-reach", BREAK_GLASS, "-i", ACME, "-q", "--format", fmt)
    assert code == 0 and not BOX & set(out)
    header, *rows = rows_of(out, fmt)
    assert header == ["principal", "account_name", "kind", "from", "hops", "path", "conditions"]
    assert [r[0] for r in rows] == [r["principal"] for r in answer["reachers"]]  # full ids, none shortened
    assert [int(r[4]) for r in rows] == [r["hops"] for r in answer["reachers"]]
    assert [r[6] for r in rows] == [", ".join(r["conditions"]) for r in answer["reachers"]]


@pytest.mark.parametrize(("args", "header"), [
    (("reach", "arn:aws:iam::222222222222:user/alice"), ["role", "hops", "path", "conditions"]),
    (("path", "arn:aws:iam::222222222222:user/alice", BREAK_GLASS), ["rank", "hops", "path", "conditions"]),
    (("who-can-reach", BREAK_GLASS, "--people"),
     ["person", "name", "kind", "through", "permission_set", "hops", "path", "conditions"]),
])
def test_format_rows_of_every_query_table(args: tuple[str, ...], header: list[str]) -> None:
    code, out, _ = run(*args, "-i", ACME, "-q", "--format", "tsv")
    assert code == 0 and not BOX & set(out)
    first, *rows = rows_of(out, "tsv")
    assert first == header and rows and all(len(r) == len(header) for r in rows)


def test_format_rows_of_findings_one_per_finding() -> None:
    document = json.loads(run("findings", "-i", ACME, "-q", "--format", "json")[1])
    code, out, _ = run("findings", "-i", ACME, "-q", "--format", "csv")
    assert code == 0
    header, *rows = rows_of(out, "csv")
    assert header[:4] == ["severity", "rule", "role", "principal"] and header[-1] == "fingerprint"
    assert [(r[1], r[2], r[-1]) for r in rows] == [(f["rule"], f["role"], f["fingerprint"])
                                                   for f in document["findings"]]


def test_format_rows_escape_separators_and_quote_and_never_cut() -> None:
    long = "x" * 5_000
    nasty = ["tab\there", "new\nline", 'comma, "quote"', "=SUM(A1)", long]
    tsv = rows_text(("a", "b", "c", "d", "e"), [nasty], "tsv")
    assert tsv.count("\n") == 2 and tsv.splitlines()[1].count("\t") == 4
    assert rows_of(tsv, "tsv")[1] == ["tab\\x09here", "new\\x0aline", 'comma, "quote"', "=SUM(A1)", long]
    csv_rows = rows_of(rows_text(("a", "b", "c", "d", "e"), [nasty], "csv"), "csv")
    assert csv_rows[1] == ["tab\\x09here", "new\\x0aline", 'comma, "quote"', "'=SUM(A1)", long]
    # the control: plain cells come out as they went in
    assert rows_of(rows_text(("a",), [["arn:aws:iam::1:role/x"]], "csv"), "csv") == [["a"], ["arn:aws:iam::1:role/x"]]


def test_format_default_stays_the_table() -> None:
    code, out, _ = run("who-can-reach", BREAK_GLASS, "-i", ACME, "-q")
    assert code == 0 and BOX & set(out) and "Who can reach" in out


@pytest.mark.parametrize("extra", [("--json",), ("-o", "-")])
def test_format_rows_refuse_a_second_answer_on_stdout(extra: tuple[str, ...]) -> None:
    code, out, err = run("who-can-reach", BREAK_GLASS, "-i", ACME, "-q", "--format", "tsv", *extra)
    assert code == 2 and out == "" and "pick one" in err


def test_format_picture_names_still_choose_the_picture(tmp_path: Path) -> None:
    target = tmp_path / "paths"
    code, out, _ = run("who-can-reach", BREAK_GLASS, "-i", ACME, "-q", "-o", str(target), "--format", "dot")
    assert code == 0 and target.read_text().startswith(("digraph", "strict digraph")) and BOX & set(out)


def test_format_piped_default_table_is_not_folded_to_80_columns() -> None:
    # A real pipe, no COLUMNS: rich would draw 80 columns and fold every path; each row stays on one line.
    def piped(env: dict[str, str]) -> str:
        return subprocess.run([sys.executable, "-m", "trustgraph", "who-can-reach", BREAK_GLASS, "-i", ACME, "-q"],
                              capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=True).stdout
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["PYTHONPATH"] = str(ROOT)
    whole = "CIPipeline → ProdDeployer → ProdAdmin → BreakGlass"
    assert any(whole in line and "333333333333:role/ci/CIPipeline" in line for line in piped(env).splitlines())
    # the control: at 80 columns the same row is folded
    assert not any(whole in line for line in piped({**env, "COLUMNS": "80"}).splitlines())


# --- a closed pipe (`| head`) ends the run quietly with exit 141 -------------------------------------------


def closed_early(*command: str) -> tuple[int, str]:
    """Run `command` with its standard output a pipe whose reader is gone before anything is written (what
    `| head -c 10` is once head has its bytes): (exit status, stderr)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    return proc.wait(timeout=120), err


TRUSTGRAPH = (sys.executable, "-m", "trustgraph")


@pytest.mark.parametrize("args", [
    ("who-can-reach", BREAK_GLASS, "-i", ACME, "-q"),
    ("who-can-reach", BREAK_GLASS, "-i", ACME, "-q", "--format", "tsv"),
    ("who-can-reach", BREAK_GLASS, "-i", ACME, "-q", "--json"),
    ("findings", "-i", ACME, "-q", "--fail-on", "low"),  # a gate that would trip: the cut run is not decided
    ("--help",),
    ("reach", "--help"),
])
def test_broken_pipe_exits_141_without_a_word(args: tuple[str, ...]) -> None:
    assert closed_early(*TRUSTGRAPH, *args) == (141, "")


def test_broken_pipe_harness_breaks_a_plain_python_pipe() -> None:
    # the control: the same closed pipe makes a program without the handler fail loudly
    code, err = closed_early(sys.executable, "-c", "print('x' * 100_000)")
    assert code != 0 and "BrokenPipeError" in err


def test_broken_pipe_handler_leaves_a_read_pipe_alone() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([*TRUSTGRAPH, "who-can-reach", BREAK_GLASS, "-i", ACME, "-q", "--format", "tsv"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0 and done.stderr == "" and done.stdout.startswith("principal\t")


def test_broken_pipe_inside_a_command_is_handled_by_the_group(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(exc: OSError):  # type: ignore[no-untyped-def]
        def emit(*_: object) -> None:
            raise exc
        return emit

    alice = "arn:aws:iam::222222222222:user/alice"
    monkeypatch.setattr("trustgraph.cli.reach_cmd.emit_json", failing(BrokenPipeError(32, "Broken pipe")))
    code, _, err = run("reach", alice, "-i", ACME, "-q", "--json")
    assert (code, err) == (141, "")
    # the control: any other write error is still an error
    monkeypatch.setattr("trustgraph.cli.reach_cmd.emit_json", failing(OSError(5, "Input/output error")))
    code, _, err = run("reach", alice, "-i", ACME, "-q", "--json")
    assert code == 2 and "error:" in err


# --- a `schema` on every JSON answer ----------------------------------------------------------------------------

SEED = ROOT / "samples" / "seed"
ALICE = "arn:aws:iam::222222222222:user/alice"


def json_answers(tmp_path: Path) -> dict[str, dict]:
    """Every command's JSON answer on the samples, by its SCHEMAS name."""
    def answer(*args: str) -> dict:
        code, out, err = run(*args)
        assert code == 0, err
        return json.loads(out)

    return {
        "who-can-reach": answer("who-can-reach", BREAK_GLASS, "-i", ACME, "-q", "--json"),
        "reach": answer("reach", ALICE, "-i", ACME, "-q", "--json"),
        "path": answer("path", ALICE, BREAK_GLASS, "-i", ACME, "-q", "--json"),
        "explain": answer("explain", str(SEED / "lambda-role.trust.json"), "--json"),
        "export": answer("export", "-i", ACME, "-q", "--format", "graphml", "-o", str(tmp_path / "g.graphml"),
                         "--json"),
        "findings": answer("findings", "-i", ACME, "-q", "--json"),
        "diff": answer("diff", ACME, ACME, "-q", "--json"),
    }


def test_schema_names_every_json_answer(tmp_path: Path) -> None:
    for name, document in json_answers(tmp_path).items():
        assert document["schema"] == SCHEMAS[name] == f"trustgraph/{name}/v1", name


def test_schema_is_added_beside_the_fields_never_instead_of_one(tmp_path: Path) -> None:
    # the control: the fields the answers had before the schema are all still there, unrenamed
    answers = json_answers(tmp_path)
    before = {"who-can-reach": {"target", "reachers"}, "reach": {"source", "reachable"},
              "path": {"source", "target", "paths"}, "explain": {"roles"},
              "export": {"format", "output", "nodes", "edges", "expanded_hubs", "files"}}
    for name, fields in before.items():
        assert set(answers[name]) == fields | {"schema"}, name
    assert answers["who-can-reach"]["reachers"][0].keys() >= {"principal", "kind", "hops", "path", "conditional",
                                                              "conditions", "steps"}
    assert answers["reach"]["reachable"][0].keys() >= {"role", "hops", "path", "conditional", "conditions"}


def test_schema_names_are_one_table_of_distinct_versioned_names() -> None:
    assert len(set(SCHEMAS.values())) == len(SCHEMAS)
    assert all(value == f"trustgraph/{key}/v1" for key, value in SCHEMAS.items())
    from trustgraph.graph.schema import GRAPH_SCHEMA
    from trustgraph.report.diff_doc import SCHEMA as DIFF
    from trustgraph.report.findings_doc import SCHEMA as FINDINGS

    assert (GRAPH_SCHEMA, DIFF, FINDINGS) == (SCHEMAS["graph"], SCHEMAS["diff"], SCHEMAS["findings"])


# --- an example in every --help -------------------------------------------------------------------------------


def example_lines(help_text: str) -> list[str]:
    """The lines of the "Examples:" block that ends a --help (empty when there is none or it is not last)."""
    head, sep, block = help_text.rstrip().rpartition("\n  Examples:\n")
    if not sep or not head:
        return []
    lines = [line.strip() for line in block.splitlines()]
    return lines if all(line.startswith("trustgraph ") for line in lines) else []


def names_itself(name: str, help_text: str) -> bool:
    return any(line.startswith(f"trustgraph {name} ") for line in example_lines(help_text))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_examples_end_every_help_and_name_the_command(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"], terminal_width=100)
    assert result.exit_code == 0
    # every line of the block starts with `trustgraph `: click kept them as written, none rewrapped
    assert names_itself(name, result.stdout), result.stdout[-600:]


def test_examples_walk_covers_every_command_of_the_group() -> None:
    assert set(main.list_commands(click.Context(main))) == set(COMMANDS)


def test_examples_check_fails_a_help_without_them() -> None:
    # the controls: no epilog, an epilog that is not last, an example of another command
    bare = click.Command("bare", help="Does things.")
    assert not names_itself("bare", CliRunner().invoke(bare, ["--help"], prog_name="trustgraph bare").stdout)
    assert not names_itself("reach", "Usage: x\n\n  Examples:\n    trustgraph reach a\n\nOptions:\n  -h\n")
    assert not names_itself("path", "Usage: x\n\n  Examples:\n    trustgraph reach a b\n")
    assert names_itself("path", "Usage: x\n\n  Examples:\n    trustgraph path a b\n")


# --- -o checked before any work ----------------------------------------------------------------------------------

DRAWING = {
    "who-can-reach": ("who-can-reach", BREAK_GLASS, "-i", ACME),
    "path": ("path", ALICE, BREAK_GLASS, "-i", ACME),
    "map": ("map", "-i", ACME),
    "diff": ("diff", ACME, ACME),
}


class Loaded(Exception):
    """Raised by the stand-in for reading inputs: the command got that far (--debug lets it through)."""


@pytest.fixture
def no_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise Loaded()

    monkeypatch.setattr("trustgraph.cli.inputs.load_inputs", refuse)
    monkeypatch.setattr("trustgraph.cli.inputs.read_saved", refuse)


@pytest.mark.parametrize("command", sorted(DRAWING))
def test_output_extension_is_checked_before_the_inputs_are_read(command: str, tmp_path: Path,
                                                                no_loading: None) -> None:
    result = CliRunner().invoke(main, ["--debug", *DRAWING[command], "--no-cache", "-q",
                                       "-o", str(tmp_path / "map.xyz")])
    assert result.exit_code == 2 and not isinstance(result.exception, Loaded)
    assert "ends in .xyz" in result.stderr and ".svg, .png, .pdf, .dot, .html, .json" in result.stderr
    assert not (tmp_path / "map.xyz").exists()


@pytest.mark.parametrize("name", ["map.svg", "MAP.SVG", "map.htm", "map", "-"])
def test_output_extension_accepted_names_go_on_to_the_inputs(name: str, tmp_path: Path, no_loading: None) -> None:
    # the control: with a good name the same command reaches the reading of its inputs
    target = name if name == "-" else str(tmp_path / name)
    result = CliRunner().invoke(main, ["--debug", *DRAWING["map"], "--no-cache", "-q", "-o", target])
    assert isinstance(result.exception, Loaded)


def test_output_extension_check_leaves_files_other_commands_write_alone(tmp_path: Path) -> None:
    # findings chooses its format with --format, build and export write what they write: no suffix is asked for
    code, _, err = run("findings", "-i", ACME, "-q", "--format", "csv", "-o", str(tmp_path / "findings.out"))
    assert code == 0, err
    assert (tmp_path / "findings.out").read_text().startswith("severity,rule,")
