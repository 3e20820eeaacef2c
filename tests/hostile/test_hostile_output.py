"""Data text is escaped for the medium it goes to: terminal (rich markup, control characters), Markdown,
SVG/DOT. The data: tests/hostile/markup_and_controls.json (role and user names with `[/]`, `[link=…]`, ESC
sequences, NUL) and an organization.json whose account name holds the same."""

from __future__ import annotations

import re
import xml.dom.minidom
from pathlib import Path

import graphviz
import pytest
from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.cli.terminal import safe
from trustgraph.render.engine import GraphvizError, draw_bytes
from trustgraph.render.style import dot_text, html_text, tooltip_text
from trustgraph.report.markdown import code, md

HOSTILE = Path(__file__).resolve().parent
DATA = str(HOSTILE / "markup_and_controls.json")
ORG = str(HOSTILE / "organization_markup.json")
TARGET = "arn:aws:iam::111122223333:role/ops[/]/Ops[/]Admin"
USER = "arn:aws:iam::111122223333:user/al\x1b]8;;http://x\x1b\\ice"
CONTROLS = ("\x1b", "\x00", "\x07", "\x9b")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", [
    ["who-can-reach", TARGET],
    ["reach", USER],
    ["path", USER, TARGET],
    ["findings"],
    ["explain", DATA],
])
def test_terminal_output_escapes_markup_and_control_characters(command: list[str]) -> None:
    args = command + ([] if command[0] == "explain" else ["-i", DATA, "-i", ORG])
    code_, out, err = run(*args)
    assert code_ == 0, err
    for text in (out, err):
        assert not any(c in text for c in CONTROLS), repr(text)
        assert "\x1b]8" not in text
    if command[0] in ("who-can-reach", "path"):
        assert "ops[/]/Ops[/]Admin" in out or "]Admin" in out
    if command[0] == "who-can-reach":
        assert "\\x1b]8;;http://x" in out  # shown, visibly


def test_load_diagnostics_escape_markup() -> None:
    code_, _, err = run("who-can-reach", TARGET, "-i", DATA, "-i", ORG)
    assert code_ == 0
    assert "Link[link=https://evil.example]x[/link]" in err  # printed as text, not a link


def test_safe_makes_controls_visible_and_escapes_markup() -> None:
    from rich.console import Console

    console = Console(width=200, record=True, force_terminal=False)
    for raw, shown in (("a\x1b[2J\x00[/] [link=http://x]y[/link]", "a\\x1b[2J\\x00[/] [link=http://x]y[/link]"),
                       ("bidi\u202eevil", "bidi\\u202eevil")):
        console.print(safe(raw))
        assert console.export_text(clear=True).rstrip("\n") == shown


def test_markdown_helpers_neutralise_controls_and_markdown() -> None:
    assert "\x1b" not in md("x\x1b]52;c;aGk=\x07") and "\\x1b" in md("x\x1b")
    assert md("[a](http://x) <b>|#") == "\\[a\\](http://x) \\<b\\>\\|\\#"
    assert "|" not in code("a|b").replace("\\|", "")
    assert "\x00" not in code("a\x00b")


def test_report_md_has_no_control_characters_and_escapes_markdown(tmp_path: Path) -> None:
    code_, _, err = run("review", "-q", "-i", DATA, "-i", ORG, "-o", str(tmp_path / "rev"))
    assert code_ == 0, err
    report = (tmp_path / "rev" / "report.md").read_text()
    assert not any(c in report for c in CONTROLS)
    prose = re.sub(r"`[^`]*`", "", report)  # code spans show their text literally
    assert "\\[link=" in prose and not re.search(r"(?<!\\)\[link=", prose)


def test_dot_helpers_keep_svg_valid_xml() -> None:
    for helper in (dot_text, html_text, tooltip_text):
        assert not any(c in helper("a\x1b\x00b") for c in CONTROLS)
    dot = graphviz.Digraph()
    dot.node("n", label=dot_text("Nul\x00Esc\x1b[2J"), tooltip=tooltip_text("t\x1b\x00"))
    xml.dom.minidom.parseString(draw_bytes(dot, "svg"))


@pytest.mark.parametrize("view", ["principals", "accounts", "ous", "matrix"])
def test_map_svg_with_control_characters_is_valid_xml(view: str, tmp_path: Path) -> None:
    out = tmp_path / f"{view}.svg"
    code_, _, err = run("map", "-q", "-i", DATA, "-i", ORG, "--view", view, "-o", str(out))
    assert code_ == 0, err
    xml.dom.minidom.parse(str(out))


def test_graphviz_error_is_one_line_and_nonzero_exit() -> None:
    dot = graphviz.Digraph()
    dot.body.append("a -> { ; ]]\n")
    with pytest.raises(GraphvizError) as info:
        draw_bytes(dot, "svg")
    assert "\n" not in str(info.value) and "syntax error" in str(info.value)


def test_graphviz_error_exits_2_with_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import trustgraph.render.engine as engine

    def fail(dot: object, fmt: str) -> bytes:
        raise GraphvizError("Graphviz could not draw the svg picture: Error: syntax error in line 2")

    monkeypatch.setattr(engine, "draw_bytes", fail)
    code_, _, err = run("map", "-q", "-i", DATA, "-o", str(tmp_path / "m.svg"))
    assert code_ == 2
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        "error: Graphviz could not draw the svg picture: Error: syntax error in line 2 (run with --debug for the "
        "traceback)"]


def test_review_picture_names_never_collide_and_report_links_match(tmp_path: Path) -> None:
    from trustgraph.report.review_layout import role_page, role_slug

    out = tmp_path / "rev"
    code_, _, err = run("review", "-q", "-i", str(HOSTILE / "colliding_role_names.json"), "-o", str(out))
    assert code_ == 0, err
    arns = [f"arn:aws:iam::111122223333:role/{n}" for n in ("Ops+Admin", "Ops@Admin", "ops/Admin", "ops-Admin")]
    pictures = sorted((out / "paths").glob("*.svg"))
    assert len(pictures) == 4 and len({role_slug(a) for a in arns}) == 4
    for i, arn in enumerate(arns):
        picture = out / "paths" / f"{role_slug(arn)}.svg"
        # the diagram of this role draws the role's only caller, account 40000000000i
        assert f"40000000000{i}" in picture.read_text()
        page = (out / role_page(arn, "111122223333")).read_text()
        assert page.startswith(f"# `{arn.split(':iam::')[1]}`") and f"(../../paths/{role_slug(arn)}.svg)" in page


def test_report_html_has_no_control_characters(tmp_path: Path) -> None:
    code_, _, err = run("review", "-q", "-i", DATA, "-i", ORG, "-o", str(tmp_path / "rev"))
    assert code_ == 0, err
    html = (tmp_path / "rev" / "report.html").read_text()
    assert not any(c in html for c in CONTROLS)
    assert "\\x1b" in html
