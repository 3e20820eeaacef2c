"""The command line as people type it, and docs that match the code: --debug anywhere, several paths after
one -i, distinct messages for paths that cannot be read, staging directories never read, piped tables as
wide as their content, README examples that run and docs that link only what exists."""

from __future__ import annotations

import glob
import os
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.cli.app import normalise_args

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "hostile"
GOOD = str(HOSTILE / "get_role_ok.json")
ACME = ROOT / "samples" / "acme"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_debug_is_accepted_after_the_command() -> None:
    code, _, err = run("reach", "arn:aws:iam::111122223333:role/GetRoleOk", "-i", GOOD, "--debug", "-q")
    assert code == 0, err
    assert normalise_args(["findings", "-i", GOOD, "--debug"])[0] == "--debug"


def test_collect_keeps_its_own_debug() -> None:
    assert normalise_args(["collect", "-o", "x", "--debug"]) == ["--debug", "collect", "-o", "x", "--debug"]


def test_input_takes_several_paths_as_a_glob_gives_them() -> None:
    files = sorted(glob.glob(str(ACME / "[0-9]*.json")))
    code, out, err = run("who-can-reach", "arn:aws:iam::444444444444:role/vendor/OldConsultant", "-i", *files,
                         "--json", "-q")
    assert code == 0, err
    assert "999988887777" in out
    assert normalise_args(["who-can-reach", "-i", files[0], files[1], "arn:aws:iam::1:role/x"]) == [
        "who-can-reach", "-i", files[0], "-i", files[1], "arn:aws:iam::1:role/x"]


def test_repeated_input_option_still_works() -> None:
    code, _, err = run("findings", "--input", GOOD, "--input", str(HOSTILE / "ids_not_strings.json"), "-q")
    assert code == 0, err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_unreadable_paths_have_distinct_messages(tmp_path: Path) -> None:
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    (tmp_path / "dangling.json").symlink_to(tmp_path / "nowhere.json")
    os.mkfifo(tmp_path / "pipe.json")
    paths = [tmp_path / "loop1", tmp_path / "dangling.json", tmp_path / "pipe.json", tmp_path / "none.json"]
    code, _, err = run("findings", "-q", "-i", GOOD, *[a for p in paths for a in ("-i", str(p))])
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 4
    assert f"error: {tmp_path / 'loop1'}: symbolic link loop" in err
    assert f"error: {tmp_path / 'dangling.json'}: dangling symbolic link" in err
    assert f"error: {tmp_path / 'pipe.json'}: a named pipe (FIFO)" in err
    assert f"error: {tmp_path / 'none.json'}: no such file or directory" in err


def test_staging_directory_is_never_read_as_data(tmp_path: Path) -> None:
    snapshot = tmp_path / "snaps"
    staging = snapshot / ".2026.staging-abc123"
    staging.mkdir(parents=True)
    (snapshot / "role.json").write_text(Path(GOOD).read_text())
    (staging / "other.json").write_text(Path(GOOD).read_text().replace("GetRoleOk", "FromStaging"))
    code, out, err = run("reach", "111122223333", "-i", str(snapshot), "--json")
    assert code == 0, err
    assert "FromStaging" not in out
    assert f"warning: {staging}: staging directory of an unfinished `trustgraph collect`" in err


def test_piped_tables_are_as_wide_as_their_content(monkeypatch: pytest.MonkeyPatch) -> None:
    from trustgraph.cli import output

    monkeypatch.delenv("COLUMNS", raising=False)
    assert output._width() == output.PIPE_WIDTH
    monkeypatch.setenv("COLUMNS", "120")
    assert output._width() is None


# -- docs ---------------------------------------------------------------------------------------------------

DOCS = [ROOT / "README.md", ROOT / "samples" / "README.md", ACME / "EXPECTED.md", ROOT / "docs" / "ARCHITECTURE.md",
        ROOT / "docs" / "organization-schema.md", *(ROOT / "docs" / f"{page}.md" for page in (
            "commands", "cli", "collection", "findings", "escalation", "people", "change-control", "inputs",
            "semantics", "performance", "python-api", "pictures", "export"))]
# The pages with `$ trustgraph …` terminal sessions (README's five questions, the walk-throughs moved out of it).
SESSION_PAGES = [ROOT / "README.md", *(ROOT / "docs" / f"{page}.md" for page in ("escalation", "people", "semantics"))]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_docs_link_only_files_that_exist(doc: Path) -> None:
    text = doc.read_text()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://", "#", "mailto:")):
            continue
        assert (doc.parent / target.split("#")[0]).exists(), f"{doc.name} links {target}"
    assert "SEMANTICS.md" not in text


def test_readme_known_accounts_example_ships() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "--known-accounts samples/known-accounts.yaml" in readme
    known = str(ROOT / "samples" / "known-accounts.yaml")
    code, _, err = run("findings", "-q", "-i", str(ACME), "--known-accounts", known)
    assert code == 0, err


def _readme_sessions() -> list[tuple[str, list[str]]]:
    """The terminal sessions of README and docs: each `$ trustgraph …` line with the output lines shown under it."""
    sessions: list[tuple[str, list[str]]] = []
    in_session = False
    for line in "\n".join(page.read_text() for page in SESSION_PAGES).splitlines():
        if line.startswith("$ trustgraph "):
            sessions.append((line[2:], []))
            in_session = True
        elif line.startswith("```"):
            in_session = False
        elif in_session and line.strip():
            sessions[-1][1].append(line)
    return sessions


@pytest.mark.parametrize(("command", "shown"), _readme_sessions(), ids=lambda v: v if isinstance(v, str) else "")
def test_readme_sample_commands_run_and_show_what_the_readme_says(command: str, shown: list[str]) -> None:
    words = shlex.split(command)[1:]
    args: list[str] = []
    for word in words:
        matches = sorted(glob.glob(str(ROOT / word))) if any(c in word for c in "*?[") else []
        args += matches or [str(ROOT / word) if word.startswith("samples/") else word]
    code, out, err = run(*args, "--no-cache", "-q")
    assert code == 0, err
    flat = " ".join(out.split())
    for line in shown:
        if line.startswith("Who can reach"):
            assert " ".join(line.split()) in flat
            continue
        if line.lstrip()[:1] in ("┏", "┡", "├", "└"):
            continue  # a table border, drawn at the README's width (test_cli_samples compares those blocks exactly)
        principal = line.split()[0]
        if "…" not in principal:
            assert principal in out, f"{principal} not in the output of {command}"
