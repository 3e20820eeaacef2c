"""Picture marks (sensitive roles, roles with findings): made once per build, kept with the saved graph and the
build cache entry, reused by every picture; `--no-marks` (docs/pictures.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from trustgraph.analysis import findings as findings_pkg
from trustgraph.analysis.findings import FindingContext, find
from trustgraph.analysis.marks import MARKS_FORMAT, Marks, MarksFormatError, compute_marks, findings_marks
from trustgraph.cli import main
from trustgraph.cli.output import PictureFile
from trustgraph.graph.build import build_graph
from trustgraph.saved.serialize import read_saved, save_graph
from trustgraph.sources.files import load_inputs

ROOT = Path(__file__).resolve().parents[2]
ACME = str(ROOT / "samples" / "acme")
BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"
CI = "arn:aws:iam::333333333333:role/ci/CIPipeline"
MARK_GLYPHS = ("⚠", "⚑")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def rule_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every run of a findings rule family on a role, whichever entry point ran it."""
    runs: list[str] = []
    for name, check in list(findings_pkg.FAMILIES.items()):
        def counted(ctx: Any, role: Any, _check: Any = check, _name: str = name) -> Any:
            runs.append(_name)
            return _check(ctx, role)
        monkeypatch.setitem(findings_pkg.FAMILIES, name, counted)
    yield runs


@pytest.fixture(scope="module")
def acme_built() -> tuple[Any, Any]:
    snapshot, _ = load_inputs([ACME])
    return snapshot, build_graph(snapshot)


def _drawn(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# -- made once -------------------------------------------------------------------------------------------------

def test_marks_made_once_per_build_picture_from_cache_runs_no_rules(tmp_path: Path, rule_runs: list[str]) -> None:
    first, second = tmp_path / "first.dot", tmp_path / "second.dot"
    assert run("who-can-reach", BREAK_GLASS, "-i", ACME, "-o", str(first))[0] == 0
    assert rule_runs, "the build for a picture runs the rules once"  # positive control
    rule_runs.clear()
    assert run("who-can-reach", BREAK_GLASS, "-i", ACME, "-o", str(second))[0] == 0
    assert run("path", CI, BREAK_GLASS, "-i", ACME, "-o", str(tmp_path / "path.dot"))[0] == 0
    assert run("map", "-i", ACME, "-o", str(tmp_path / "map.dot"))[0] == 0
    assert rule_runs == []
    assert _drawn(first) == _drawn(second) and any(g in _drawn(second) for g in MARK_GLYPHS)


def test_marks_made_once_saved_graph_picture_runs_no_rules(tmp_path: Path, rule_runs: list[str]) -> None:
    saved = tmp_path / "acme.tgdb"
    assert run("build", "-i", ACME, "-o", str(saved))[0] == 0
    assert rule_runs  # `build` makes the marks (positive control)
    assert read_saved(saved, products=("marks",)).products["marks"]["format"] == MARKS_FORMAT
    rule_runs.clear()
    for args in (("who-can-reach", BREAK_GLASS), ("path", CI, BREAK_GLASS), ("map", "--view", "accounts")):
        out = tmp_path / f"{args[0]}.dot"
        code, _, err = run(*args, "--graph", str(saved), "-o", str(out))
        assert code == 0, err
        assert any(g in _drawn(out) for g in MARK_GLYPHS), args
    assert rule_runs == []


def test_marks_not_made_for_commands_that_do_not_draw(tmp_path: Path, rule_runs: list[str]) -> None:
    assert run("who-can-reach", BREAK_GLASS, "-i", ACME, "--json")[0] == 0
    assert run("path", CI, BREAK_GLASS, "-i", ACME, "--json")[0] == 0
    assert rule_runs == []
    # the first picture of that build makes them once and keeps them with the cache entry
    assert run("who-can-reach", BREAK_GLASS, "-i", ACME, "-o", str(tmp_path / "a.dot"))[0] == 0
    assert rule_runs  # positive control
    rule_runs.clear()
    assert run("who-can-reach", BREAK_GLASS, "-i", ACME, "-o", str(tmp_path / "b.dot"))[0] == 0
    assert rule_runs == []
    assert _drawn(tmp_path / "a.dot") == _drawn(tmp_path / "b.dot")


# -- kept with the saved graph -----------------------------------------------------------------------------------

def test_saved_graph_round_trips_marks(tmp_path: Path, acme_built: tuple[Any, Any]) -> None:
    snapshot, graph = acme_built
    marks = compute_marks(graph, snapshot)
    assert marks.sensitive and marks.findings and marks.details
    with_marks, without = tmp_path / "with.tgdb", tmp_path / "without.tgdb"
    save_graph(graph, with_marks, snapshot=snapshot, products={"marks": marks.to_json()})
    save_graph(graph, without, snapshot=snapshot)
    assert Marks.from_json(read_saved(with_marks, products=("marks",)).products["marks"]) == marks
    assert read_saved(without, products=("marks",)).products == {}  # negative control
    assert read_saved(with_marks).products == {}  # read only when asked for


def test_saved_marks_of_another_format_are_refused() -> None:
    good = Marks(sensitive={BREAK_GLASS: "admin-equivalent"}, findings={BREAK_GLASS: (2, "high")}).to_json()
    assert Marks.from_json(good).findings == {BREAK_GLASS: (2, "high")}
    for bad in ({**good, "format": MARKS_FORMAT + 1}, {**good, "findings": {BREAK_GLASS: "two"}}, [], None,
                {**good, "sensitive": []}):
        with pytest.raises(MarksFormatError):
            Marks.from_json(bad)


def test_old_saved_graph_without_marks_draws_recomputed(tmp_path: Path, acme_built: tuple[Any, Any],
                                                        rule_runs: list[str]) -> None:
    snapshot, graph = acme_built
    old, new = tmp_path / "old.tgdb", tmp_path / "new.tgdb"
    save_graph(graph, old, snapshot=snapshot)  # what a trustgraph before marks were kept wrote
    save_graph(graph, new, snapshot=snapshot, products={"marks": compute_marks(graph, snapshot).to_json()})
    rule_runs.clear()
    code, _, err = run("who-can-reach", BREAK_GLASS, "--graph", str(old), "-o", str(tmp_path / "old.dot"))
    assert code == 0 and "keeps no marks" in err
    assert rule_runs  # recomputed
    rule_runs.clear()
    code, _, err = run("who-can-reach", BREAK_GLASS, "--graph", str(new), "-o", str(tmp_path / "new.dot"))
    assert code == 0 and "keeps no marks" not in err and rule_runs == []  # negative control
    assert _drawn(tmp_path / "old.dot") == _drawn(tmp_path / "new.dot")
    # saving it again keeps them
    again = tmp_path / "again.tgdb"
    assert run("build", "--graph", str(old), "-o", str(again))[0] == 0
    assert "marks" in read_saved(again, products=("marks",)).products


def test_build_no_marks_keeps_none(tmp_path: Path, rule_runs: list[str]) -> None:
    saved = tmp_path / "bare.tgdb"
    assert run("build", "-i", ACME, "--no-marks", "-o", str(saved))[0] == 0
    assert rule_runs == []
    assert read_saved(saved, products=("marks",)).products == {}


# -- made again when they would differ --------------------------------------------------------------------------

def test_marks_for_other_sensitive_patterns_are_made_again(tmp_path: Path, rule_runs: list[str]) -> None:
    saved = tmp_path / "acme.tgdb"
    assert run("build", "-i", ACME, "-o", str(saved))[0] == 0
    rule_runs.clear()
    plain, patterned = tmp_path / "plain.dot", tmp_path / "patterned.dot"
    assert run("map", "--graph", str(saved), "--view", "principals", "-o", str(plain))[0] == 0
    assert rule_runs == []  # negative control
    code, _, err = run("map", "--graph", str(saved), "--view", "principals", "--sensitive", "CIPipeline",
                       "-o", str(patterned))
    assert code == 0, err
    assert rule_runs and "matches --sensitive" in _drawn(patterned) and "matches --sensitive" not in _drawn(plain)


def test_marks_after_account_files_are_made_again(tmp_path: Path, rule_runs: list[str]) -> None:
    names = tmp_path / "accounts.yaml"
    names.write_text("'464622532012': partner\n")
    assert run("who-can-reach", BREAK_GLASS, "-i", ACME, "-o", str(tmp_path / "a.dot"))[0] == 0
    rule_runs.clear()
    assert run("who-can-reach", BREAK_GLASS, "-i", ACME, "-o", str(tmp_path / "b.dot"))[0] == 0
    assert rule_runs == []  # negative control
    assert run("who-can-reach", BREAK_GLASS, "-i", ACME, "--accounts-file", str(names),
               "-o", str(tmp_path / "c.dot"))[0] == 0
    assert rule_runs  # the rules read the classification the account files change


# -- the same marks as the rules ---------------------------------------------------------------------------------

def test_marks_equal_what_the_rules_give(acme_built: tuple[Any, Any]) -> None:
    snapshot, graph = acme_built
    context = FindingContext(snapshot, graph)
    found = find(snapshot, graph, context=context)
    expected = findings_marks({arn: s.label for arn, s in context.sensitive.items()}, found)
    marks = compute_marks(graph, snapshot)
    assert marks == expected
    flagged = {f.role for f in found if f.severity.at_least(findings_pkg.Severity("medium"))}
    assert set(marks.findings) == flagged and BREAK_GLASS in marks.sensitive
    low_only = {f.role for f in found} - flagged
    assert not low_only & set(marks.findings)  # low and info findings are not marked (negative control)


def test_marks_from_the_cache_draw_what_marks_made_now_draw(tmp_path: Path) -> None:
    fresh, cached = tmp_path / "fresh.dot", tmp_path / "cached.dot"
    assert run("who-can-reach", BREAK_GLASS, "-i", ACME, "--no-cache", "-o", str(fresh))[0] == 0
    assert run("who-can-reach", BREAK_GLASS, "-i", ACME, "-o", str(tmp_path / "warm-up.dot"))[0] == 0
    assert run("who-can-reach", BREAK_GLASS, "-i", ACME, "-o", str(cached))[0] == 0
    assert _drawn(fresh) == _drawn(cached)


# -- --no-marks --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [("who-can-reach", BREAK_GLASS), ("path", CI, BREAK_GLASS),
                                     ("map", "--view", "principals"), ("map", "--view", "accounts")])
def test_no_marks_draws_no_marks(tmp_path: Path, rule_runs: list[str], command: tuple[str, ...]) -> None:
    bare, marked = tmp_path / "bare.dot", tmp_path / "marked.dot"
    code, _, err = run(*command, "-i", ACME, "--no-marks", "-o", str(bare))
    assert code == 0, err
    assert rule_runs == []  # not made either
    assert not any(g in _drawn(bare) for g in MARK_GLYPHS)
    assert run(*command, "-i", ACME, "-o", str(marked))[0] == 0
    assert any(g in _drawn(marked) for g in MARK_GLYPHS)  # positive control


def test_no_marks_on_diff_draws_no_marks(tmp_path: Path) -> None:
    new = tmp_path / "new"
    new.mkdir()
    for source in Path(ACME).iterdir():
        if source.is_file():
            text = source.read_text(encoding="utf-8")
            (new / source.name).write_text(text.replace('"aws:MultiFactorAuthPresent": "true"',
                                                        '"aws:MultiFactorAuthPresent": "false"'), encoding="utf-8")
    bare, marked = tmp_path / "bare.dot", tmp_path / "marked.dot"
    assert run("diff", ACME, str(new), "--no-marks", "-o", str(bare))[0] == 0
    assert run("diff", ACME, str(new), "-o", str(marked))[0] == 0
    assert "⚠" not in _drawn(bare)
    assert "⚠" in _drawn(marked)  # positive control


def test_review_no_marks_draws_no_marks_keeps_guardrails(tmp_path: Path) -> None:
    """review --no-marks: its map and its path pictures (reachers_view) mark nothing; --rules still adds the
    guardrails; the main page's text is the same but for its matrix, whose cells have no ⚠ either."""
    rules = str(ROOT / "samples" / "guardrails" / "acme.yaml")
    bare, marked = tmp_path / "bare", tmp_path / "marked"
    code, _, err = run("review", "-i", ACME, "-o", str(bare), "--no-marks", "--rules", rules, "-q")
    assert code == 0, err
    assert run("review", "-i", ACME, "-o", str(marked), "--rules", rules, "-q")[0] == 0

    def drawn(bundle: Path) -> list[str]:
        return [p.read_text(encoding="utf-8") for p in [bundle / "trust-map.svg", *sorted(bundle.glob("paths/*.svg"))]]

    assert len(drawn(bare)) == len(drawn(marked)) > 1  # the map and the path pictures, drawn either way
    assert not any(g in svg for svg in drawn(bare) for g in MARK_GLYPHS)
    assert all(any(g in svg for g in MARK_GLYPHS) for svg in drawn(marked))  # positive control
    assert (bare / "guardrails.json").is_file() and "Guardrails" in (bare / "report.md").read_text(encoding="utf-8")
    bare_md, marked_md = ((b / "report.md").read_text(encoding="utf-8") for b in (bare, marked))
    assert _without_matrix(bare_md) == _without_matrix(marked_md)


def _matrix_section(report: str) -> str:
    return report.split("## OU trust matrix", 1)[1].split("\n## ", 1)[0]


def _without_matrix(report: str) -> str:
    return report.replace(_matrix_section(report), "")


def test_review_no_marks_leaves_the_matrix_unmarked(tmp_path: Path) -> None:
    bare, marked = tmp_path / "bare", tmp_path / "marked"
    assert run("review", "-i", ACME, "-o", str(bare), "--no-marks", "-q")[0] == 0
    assert run("review", "-i", ACME, "-o", str(marked), "-q")[0] == 0
    bare_md, marked_md = ((b / "report.md").read_text(encoding="utf-8") for b in (bare, marked))
    assert "⚠" not in _matrix_section(bare_md)
    assert "⚠" in _matrix_section(marked_md)  # positive control
    bare_html, marked_html = ((b / "report.html").read_text(encoding="utf-8") for b in (bare, marked))
    matrix_html = [h.split("trust matrix</h2>", 1)[1].split("<h2>", 1)[0] for h in (bare_html, marked_html)]
    assert "⚠" not in matrix_html[0] and "⚠" in matrix_html[1]


def test_only_sensitive_with_no_marks_still_keeps_sensitive_trust(tmp_path: Path) -> None:
    out = tmp_path / "only.dot"
    code, _, err = run("map", "-i", ACME, "--only", "sensitive", "--no-marks", "-o", str(out))
    assert code == 0 and "no picture written" not in err, err
    assert "BreakGlass" in _drawn(out) and not any(g in _drawn(out) for g in MARK_GLYPHS)


# -- every drawing command checks -o first -----------------------------------------------------------------------

def test_every_command_with_no_marks_checks_its_picture_file_first() -> None:
    assert isinstance(main, click.Group)
    drawing = []
    for name in main.list_commands(click.Context(main)):
        command = main.get_command(click.Context(main), name)
        params = {p.name: p for p in command.params} if command else {}
        if "no_marks" in params and name not in ("build", "review"):  # build writes a graph, review a directory
            drawing.append(name)
            assert isinstance(params["output"].type, PictureFile), name
    assert sorted(drawing) == ["diff", "map", "path", "who-can-reach"]
    code, _, err = run("who-can-reach", BREAK_GLASS, "-i", "/nonexistent", "-o", "x.bmp")
    assert code == 2 and ".bmp" in err  # refused before the (missing) input is read
