"""End-to-end CLI tests on the bundled samples/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from trustgraph.cli import main

ROOT = Path(__file__).resolve().parents[2]
ACME = str(ROOT / "samples" / "acme")
SEED = ROOT / "samples" / "seed"
BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"
CI_PIPELINE = "arn:aws:iam::333333333333:role/ci/CIPipeline"
PROD_DEPLOYER = "arn:aws:iam::444444444444:role/deploy/ProdDeployer"
PROD_ADMIN = "arn:aws:iam::444444444444:role/admin/ProdAdmin"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> dict:
    code, out, err = run(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def by_principal(answer: dict) -> dict[str, dict]:
    return {r["principal"]: r for r in answer["reachers"]}


def test_break_glass_answer_names_the_ci_chain_with_every_hop() -> None:
    answer = run_json("who-can-reach", BREAK_GLASS, "--input", ACME)
    assert answer["target"] == BREAK_GLASS
    reachers = by_principal(answer)
    ci = reachers[CI_PIPELINE]
    assert ci["path"] == [CI_PIPELINE, PROD_DEPLOYER, PROD_ADMIN, BREAK_GLASS]
    assert ci["hops"] == 3 and ci["conditional"] is False and ci["conditions"] == []
    assert ci["kind"] == "role" and ci["classification"] == "same-org"
    github = reachers["arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com"]
    assert github["hops"] == 5 and github["kind"] == "federated" and github["conditional"] is True
    assert "token.actions.githubusercontent.com:sub" in github["conditions"]
    assert reachers["codebuild.amazonaws.com"]["kind"] == "service"
    alice = reachers["arn:aws:iam::222222222222:user/alice"]
    assert (alice["hops"], alice["conditional"], alice["conditions"]) == (1, True, ["aws:MultiFactorAuthPresent"])
    for nobody in ("user/bob", "user/contractor-eve"):
        assert f"arn:aws:iam::222222222222:{nobody}" not in reachers
    assert "arn:aws:iam::666666666666:user/dev-dan" not in reachers


def test_json_contract_fields_present() -> None:
    answer = run_json("who-can-reach", BREAK_GLASS, "--input", ACME)
    for reacher in answer["reachers"]:
        assert {"principal", "kind", "hops", "path", "conditional", "conditions"} <= reacher.keys()
        assert reacher["path"][0] == reacher["principal"] and reacher["path"][-1] == BREAK_GLASS
        assert reacher["hops"] == len(reacher["path"]) - 1


def test_max_hops_limits_chains() -> None:
    answer = run_json("who-can-reach", BREAK_GLASS, "--input", ACME, "--max-hops", "2")
    assert all(r["hops"] <= 2 for r in answer["reachers"])
    assert CI_PIPELINE not in by_principal(answer)


def test_reach_from_a_user() -> None:
    answer = run_json("reach", "arn:aws:iam::222222222222:user/alice", "--input", ACME)
    roles = {r["role"]: r for r in answer["reachable"]}
    assert roles[BREAK_GLASS]["hops"] == 1 and roles[BREAK_GLASS]["conditional"] is True
    # No trust lets alice's chain into ProdReadOnlyAudit; BreakGlass is an administrator of acme-prod, though, and
    # may rewrite that role's trust (iam:UpdateAssumeRolePolicy): an IAM step, left out by --via assume.
    audit = "arn:aws:iam::444444444444:role/admin/ProdReadOnlyAudit"
    assert roles[audit]["path"] == ["arn:aws:iam::222222222222:user/alice", BREAK_GLASS, audit]
    assert [s["technique"] for s in roles[audit]["steps"]][-1] == "iam:UpdateAssumeRolePolicy"
    trust_only = run_json("reach", "arn:aws:iam::222222222222:user/alice", "--input", ACME, "--via", "assume")
    assert audit not in {r["role"] for r in trust_only["reachable"]}


def test_path_k_shortest() -> None:
    answer = run_json("path", CI_PIPELINE, BREAK_GLASS, "--input", ACME, "-k", "2")
    assert answer["paths"][0]["path"] == [CI_PIPELINE, PROD_DEPLOYER, PROD_ADMIN, BREAK_GLASS]
    assert answer["paths"][0]["conditional"] is False


def test_scp_and_rcp_change_answers(tmp_path: Path) -> None:
    iam_only = tmp_path / "iam"
    iam_only.mkdir()
    for f in Path(ACME).glob("[0-9]*.json"):
        (iam_only / f.name).write_text(f.read_text())
    analytics = "arn:aws:iam::444444444444:role/data/AnalyticsExportReader"
    consultant = "arn:aws:iam::444444444444:role/vendor/OldConsultant"
    # Trust only: the administrators of acme-prod reach every role of it through IAM edges, SCPs or not.
    before = by_principal(run_json("who-can-reach", analytics, "--input", str(iam_only), "--via", "assume"))
    after = by_principal(run_json("who-can-reach", analytics, "--input", ACME, "--via", "assume"))
    assert "arn:aws:iam::666666666666:user/dev-dora" in before and after == {}
    assert "arn:aws:iam::999988887777:root" in by_principal(run_json("who-can-reach", consultant, "-i", str(iam_only),
                                                                     "--via", "assume"))
    assert by_principal(run_json("who-can-reach", consultant, "-i", ACME, "--via", "assume")) == {}


def test_from_outside_lists_only_outsiders() -> None:
    answer = run_json("who-can-reach", "arn:aws:iam::555555555555:role/vendor/LegacyMonitoring", "-i", ACME,
                      "--from-outside")
    assert [(r["principal"], r["classification"]) for r in answer["reachers"]] == [
        ("arn:aws:iam::999988887777:root", "external-unknown")]
    # Web identity tokens come from outside the organization (GitHub here); nobody else outside reaches it.
    outsiders = run_json("who-can-reach", BREAK_GLASS, "-i", ACME, "--from-outside")["reachers"]
    assert [(r["principal"], r["classification"]) for r in outsiders] == [
        ("arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com", "federated")]


def test_unknown_target_is_a_clear_error() -> None:
    code, out, err = run("who-can-reach", "arn:aws:iam::444444444444:role/NoSuchRole", "--input", ACME)
    assert code == 2 and "not in the trust graph" in err and "Traceback" not in err + out


def test_no_usable_input_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"RoleDetailList": [')
    code, out, err = run("who-can-reach", BREAK_GLASS, "--input", str(bad))
    assert code == 2
    assert "broken.json" in err and "invalid JSON" in err and "Traceback" not in err + out


def test_bad_file_is_named_and_the_rest_still_read(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    code, out, err = run("who-can-reach", BREAK_GLASS, "--input", ACME, "--input", str(bad), "--json")
    assert code == 0
    assert "broken.json" in err and "skipped 1 files" in err
    assert json.loads(out)["reachers"]


@pytest.mark.parametrize("fmt", ["svg", "dot"])
def test_map_renders_with_bundled_graphviz(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"acme.{fmt}"
    code, _, err = run("map", "--input", ACME, "--view", "principals", "-o", str(out))
    assert code == 0, err
    text = out.read_text()
    if fmt == "svg":
        assert text.lstrip().startswith("<?xml") and "BreakGlass" in text and "(444444444444)" in text
    else:
        assert "digraph" in text and "cluster_444444444444" in text


def test_who_can_reach_draws_the_paths(tmp_path: Path) -> None:
    out = tmp_path / "paths.svg"
    code, _, err = run("who-can-reach", BREAK_GLASS, "--input", ACME, "-o", str(out))
    assert code == 0, err
    svg = out.read_text()
    assert "CIPipeline" in svg and "ProdDeployer" in svg and "bob" not in svg


def test_saved_graph_answers_like_a_fresh_build(tmp_path: Path) -> None:
    graph = tmp_path / "graph.json"
    code, _, err = run("build", "--input", ACME, "-o", str(graph))
    assert code == 0, err
    fresh = run_json("who-can-reach", BREAK_GLASS, "--input", ACME)
    saved = run_json("who-can-reach", BREAK_GLASS, "--graph", str(graph))
    assert fresh == saved


@pytest.mark.parametrize("name", ["ec2-service-role.trust.json", "cross-account-role.trust.json",
                                  "lambda-role.trust.json"])
def test_seed_policies_work_as_inputs_everywhere(tmp_path: Path, name: str) -> None:
    path = str(SEED / name)
    explained = run_json("explain", path)
    assert explained["roles"][0]["statements"]
    code, _, err = run("map", "--input", path, "-o", str(tmp_path / "seed.svg"))
    assert code == 0, err


def test_seed_cross_account_trust_with_role_arn() -> None:
    role = "arn:aws:iam::210987654321:role/CrossAccountAudit"
    answer = run_json("who-can-reach", role, "--input", str(SEED / "cross-account-role.trust.json"),
                      "--role-arn", role)
    assert [(r["principal"], r["kind"], r["hops"]) for r in answer["reachers"]] == [
        ("arn:aws:iam::123456789012:root", "account", 1)]


def test_explain_speaks_plainly() -> None:
    code, out, err = run("explain", str(SEED / "cross-account-role.trust.json"))
    assert code == 0, err
    assert "principals of account 123456789012" in out and "sts:AssumeRole" in out


def _real_output(args: list[str]) -> str:
    """What `trustgraph ARGS` prints on a terminal 160 columns wide, lines right-stripped (as the docs show it)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "COLUMNS": "160"}
    real = subprocess.run([sys.executable, "-m", "trustgraph.cli", *args, "-q", "--no-cache"],
                          capture_output=True, text=True, env=env, check=True, cwd=ROOT).stdout
    return "\n".join(line.rstrip() for line in real.splitlines()) + "\n"


def _blocks(text: str) -> list[tuple[list[str], str]]:
    """The `$ trustgraph …` blocks of a page: (the command's arguments, what the page shows)."""
    blocks = []
    for chunk in text.split("```")[1::2]:
        first, _, shown = chunk.removeprefix("\n").partition("\n")
        if chunk.startswith("\n$ trustgraph "):
            blocks.append((first.removeprefix("$ trustgraph ").split(), shown))
    return blocks


def _section_blocks(page: str, heading: str) -> list[tuple[list[str], str]]:
    """The `$ trustgraph …` blocks of one section (a `## ` heading) of a page."""
    start = page.index(heading)
    end = page.find("\n## ", start + len(heading))
    return _blocks(page[start:end if end != -1 else len(page)])


def _shows(shown: str, real: str) -> bool:
    """A block shows the real output: all of it, or its first lines when the block ends with a `…` line."""
    if shown.endswith("\n…\n"):
        return real.startswith(shown.removesuffix("…\n"))
    return shown == real


def test_shows_is_exact_or_an_explicit_cut() -> None:
    real = "a\nb\nc\n"
    assert _shows("a\nb\nc\n", real) and _shows("a\nb\n…\n", real)
    assert not _shows("a\nb\n", real)  # cut without saying so
    assert not _shows("a\nx\n…\n", real)  # a changed line before the cut


def test_commands_page_quick_start_output_is_the_real_output() -> None:
    """docs/commands.md shows the quick start's who-can-reach answer on samples/acme exactly as the command prints
    it."""
    page = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    start = page.index("Who can reach 444444444444:role/BreakGlass\n")
    shown = page[start:page.index("```", start)]
    assert shown == _real_output(["who-can-reach", "arn:aws:iam::444444444444:role/BreakGlass", "-i",
                                  str(ROOT / "samples" / "acme")])


def test_readme_blocks_are_the_real_output() -> None:
    """Every `$ trustgraph …` block of the README (the five questions, check and chokepoints) is what the command
    prints."""
    blocks = _blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert [args[0] for args, _ in blocks] == ["who-can-reach", "reach", "findings", "diff", "check", "chokepoints"]
    for args, shown in blocks:
        assert _shows(shown, _real_output(args)), args


def test_readme_code_blocks_are_all_checked() -> None:
    """The README holds three kinds of code block, each checked: the two quick-start commands (`.ci/run` runs the
    second), `$ trustgraph …` output blocks (test_readme_blocks_are_the_real_output) and `sh` commands, run here."""
    import shlex
    import subprocess
    import sys
    import tempfile

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    chunks = readme.split("```")[1::2]
    bash = [c.removeprefix("bash\n").strip() for c in chunks if c.startswith("bash\n")]
    assert len(bash) == 2 and all("\n" not in c for c in bash), bash
    assert "pip install . " in bash[0] and "trustgraph map -i samples/acme" in bash[0] and "who-can-reach" in bash[0]
    assert "'.[test]'" in bash[1] and bash[1].endswith("-m pytest")
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip().splitlines()[-1] == bash[1]
    sh = [c.removeprefix("sh\n").strip() for c in chunks if c.startswith("sh\n")]
    others = [c for c in chunks if not c.startswith(("bash\n", "sh\n", "\n$ trustgraph "))]
    assert not others, others
    assert sh
    with tempfile.TemporaryDirectory() as tmp:
        for command in sh:
            words = shlex.split(command)
            assert words[0] == "trustgraph", command
            args = [str(ROOT / w) if w.startswith("samples/") else w for w in words[1:]]
            subprocess.run([sys.executable, "-m", "trustgraph.cli", *args, "-q", "--no-cache"], cwd=tmp, check=True,
                           capture_output=True)
            written = args[args.index("-o") + 1]
            assert (Path(tmp) / written).stat().st_size > 0, command


def test_escalation_walk_through_is_the_real_output() -> None:
    """docs/escalation.md "Beyond trust policies": each command's output exactly as it prints it (160 columns)."""
    page = (ROOT / "docs" / "escalation.md").read_text(encoding="utf-8")
    blocks = _section_blocks(page, "## Beyond trust policies: PassRole, code, IAM\n")
    assert [args[0] for args, _ in blocks] == ["who-can-reach", "path", "who-can-reach", "findings"]
    for args, shown in blocks:
        assert shown == _real_output(args), args


def test_people_page_is_the_real_output() -> None:
    """docs/people.md: who-can-reach --people on samples/acme exactly as it prints it."""
    page = (ROOT / "docs" / "people.md").read_text(encoding="utf-8")
    blocks = _section_blocks(page, "## People (IAM Identity Center)\n")
    assert [args[-1] for args, _ in blocks] == ["--people"]
    for args, shown in blocks:
        assert shown == _real_output(args), args
