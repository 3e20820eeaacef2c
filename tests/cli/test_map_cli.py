"""`trustgraph map`: views, the guard, layouts, formats, known accounts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.render.test_render_accounts import org_graph
from trustgraph.cli import main
from trustgraph.render.html import element_evidence
from trustgraph.saved.serialize import save_graph

ROOT = Path(__file__).resolve().parents[2]
ACME = str(ROOT / "samples" / "acme")
BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["map", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def known_accounts(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("known") / "known.yaml"
    path.write_text("- name: Datadog\n  source: https://example.invalid/list\n  accounts: ['464622532012']\n")
    return str(path)


def test_auto_draws_acme_by_principals(tmp_path: Path) -> None:
    out = tmp_path / "acme.dot"
    code, _, err = run("--input", ACME, "-o", str(out))
    assert code == 0, err
    assert "principals view" in err
    assert "cluster_444444444444" in out.read_text()


def test_auto_draws_many_accounts_by_account(tmp_path: Path) -> None:
    graph = tmp_path / "org.json"
    save_graph(org_graph(20), graph)
    code, _, err = run("--graph", str(graph), "-o", str(tmp_path / "org.dot"))
    assert code == 0, err
    assert "accounts view" in err
    assert "Account map: 20 accounts" in (tmp_path / "org.dot").read_text()


def test_account_view_of_acme_with_vendor_names_and_ou_names(tmp_path: Path, known_accounts: str) -> None:
    out = tmp_path / "accounts.dot"
    code, _, err = run("--input", ACME, "--view", "accounts", "--known-accounts", known_accounts, "-o", str(out))
    assert code == 0, err
    src = out.read_text()
    assert "Datadog" in src and "Organization o-acme12345" in src and "<B>NonProd</B>" in src
    assert "1 unknown external account" in src and "GitHub Actions (OIDC)" in src


def test_focus_and_depth(tmp_path: Path) -> None:
    out = tmp_path / "focus.dot"
    code, _, err = run("--input", ACME, "--focus", BREAK_GLASS, "--depth", "2", "-o", str(out))
    assert code == 0, err
    src = out.read_text()
    assert "Who can reach BreakGlass (≤ 2 hops)" in src and "ProdDeployer" in src and "CIPipeline" not in src


@pytest.mark.parametrize("account", ["444444444444", "acme-prod"])
def test_one_account_and_what_touches_it(tmp_path: Path, account: str) -> None:
    out = tmp_path / "prod.dot"
    code, _, err = run("--input", ACME, "--account", account, "-o", str(out))
    assert code == 0, err
    src = out.read_text()
    assert "acme-prod (444444444444) and what touches it" in src and "CIPipeline" in src
    assert "billing-frank" not in src


def test_one_account_in_the_account_view(tmp_path: Path) -> None:
    out = tmp_path / "prod.dot"
    code, _, err = run("--input", ACME, "--view", "accounts", "--account", "444444444444", "-o", str(out))
    assert code == 0, err
    assert "around 444444444444" in out.read_text()


def test_guard_stops_with_advice(tmp_path: Path) -> None:
    out = tmp_path / "big.svg"
    code, _, err = run("--input", ACME, "--view", "principals", "--max-nodes", "10", "-o", str(out))
    assert code == 2
    assert "limit --max-nodes 10" in err and "--view accounts" in err and "--focus" in err
    assert not out.exists()


def test_auto_switches_to_accounts_above_max_nodes(tmp_path: Path) -> None:
    code, _, err = run("--input", ACME, "--max-nodes", "10", "-o", str(tmp_path / "x.dot"))
    assert code == 0, err
    assert "accounts view" in err


def test_html_format(tmp_path: Path) -> None:
    out = tmp_path / "acme.html"
    code, _, err = run("--input", ACME, "--view", "accounts", "-o", str(out))
    assert code == 0, err
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and 'id="tg-evidence"' in page
    blob = page.split('id="tg-evidence">', 1)[1].split("</script>", 1)[0]
    data = json.loads(blob)
    assert any(element_evidence(data, i).get("type") == "edge" for i in range(len(data["elements"])))


@pytest.mark.parametrize("args, message", [
    (["--depth", "2"], "--depth needs --focus"),
    (["--focus", BREAK_GLASS, "--view", "accounts"], "--focus draws principals"),
    (["--focus", BREAK_GLASS, "--account", "444444444444"], "either --focus or --account"),
    (["--view", "principals", "--layout", "radial"], "--layout radial is for the account and OU views"),
    (["--account", "nope"], "no account 'nope'"),
])
def test_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = run("--input", ACME, *args, "-o", str(tmp_path / "x.svg"))
    assert code == 2 and message in err


def test_unknown_focus_is_an_error(tmp_path: Path) -> None:
    code, _, err = run("--input", ACME, "--focus", "arn:aws:iam::444444444444:role/Nope", "-o",
                       str(tmp_path / "x.svg"))
    assert code == 2 and "error" in err


def test_layout_override(tmp_path: Path) -> None:
    out = tmp_path / "sfdp.dot"
    code, _, err = run("--input", ACME, "--view", "accounts", "--layout", "sfdp", "-o", str(out))
    assert code == 0, err
    assert "sfdp layout" in err and "overlap=scale" in out.read_text()


def test_services_can_be_drawn_in_the_account_view(tmp_path: Path) -> None:
    out = tmp_path / "services.dot"
    code, _, err = run("--input", ACME, "--view", "accounts", "--services", "-o", str(out))
    assert code == 0, err
    src = out.read_text()
    assert "AWS services" in src and "service trusts" not in src


# -- views for large organizations, --only, -o -, honest edge cases ------------------------------------------------


@pytest.fixture(scope="module")
def org40_graph(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("org40") / "org.json"
    save_graph(org_graph(40), path)
    return str(path)


def test_auto_draws_a_large_organization_by_ou(tmp_path: Path, org40_graph: str) -> None:
    out = tmp_path / "org.dot"
    code, _, err = run("--graph", org40_graph, "-o", str(out))
    assert code == 0, err
    assert "ous view" in err and "saved graph keeps no policies" in err
    src = out.read_text()
    assert "OU map:" in src and "Prod" in src and "Dev" in src and "40 accounts" in src


def test_matrix_view_and_by_ou(tmp_path: Path, org40_graph: str) -> None:
    code, _, err = run("--graph", org40_graph, "--view", "matrix", "-o", str(tmp_path / "m.svg"))
    assert code == 0, err
    svg = (tmp_path / "m.svg").read_text()
    assert "Trust matrix by account: 40 accounts" in svg and 'class="node" id="cell-' in svg
    code, _, err = run("--graph", org40_graph, "--by", "ous", "-o", str(tmp_path / "o.svg"))
    assert code == 0, err and "matrix view" in err
    assert "Trust matrix by OU" in (tmp_path / "o.svg").read_text()
    code, _, err = run("--graph", org40_graph, "--view", "matrix", "--layout", "sfdp", "-o", str(tmp_path / "x.svg"))
    assert code == 2 and "drop --layout" in err


def test_only_filters_any_view(tmp_path: Path, org40_graph: str) -> None:
    out = tmp_path / "outside.dot"
    code, _, err = run("--graph", org40_graph, "--view", "accounts", "--only", "cross-org", "-o", str(out))
    assert code == 0, err
    src = out.read_text()
    assert "only trust from outside the organization" in src and "unknown external account" in src
    assert "app-0039" not in src  # accounts no outside trust touches are left out
    code, _, err = run("--graph", org40_graph, "--only", "cross-ou,unconditional", "-o", str(tmp_path / "x.dot"))
    assert code == 0, err
    assert "only trust across OUs, unconditional" in (tmp_path / "x.dot").read_text()
    code, _, err = run("--graph", org40_graph, "--only", "sensitive", "-o", str(tmp_path / "none.svg"))
    assert code == 0 and "nothing to draw" in err and not (tmp_path / "none.svg").exists()
    code, _, err = run("--graph", org40_graph, "--only", "inside", "-o", str(tmp_path / "bad.svg"))
    assert code == 2 and "unknown --only inside" in err


def test_ou_drill_down_from_the_cli(tmp_path: Path, org40_graph: str) -> None:
    out = tmp_path / "prod.dot"
    code, _, err = run("--graph", org40_graph, "--ou", "Prod", "-o", str(out))
    assert code == 0, err
    assert "OU Workloads / Prod:" in out.read_text()
    code, _, err = run("--graph", org40_graph, "--ou", "Nope", "-o", str(out))
    assert code == 2 and "no OU 'Nope'" in err
    code, _, err = run("--input", ACME, "--view", "ous", "--known-accounts", str(out), "-o", str(out))
    assert code == 2


def test_dash_writes_text_formats_to_standard_output(tmp_path: Path) -> None:
    code, out, err = run("--input", ACME, "-q", "--view", "accounts", "-o", "-")
    assert code == 0, err
    assert out.startswith("<?xml") and "</svg>" in out and not (tmp_path / "-").exists()
    code, out, _ = run("--input", ACME, "-q", "--view", "accounts", "-o", "-", "--format", "dot")
    assert code == 0 and out.startswith("digraph")
    code, out, _ = run("--input", ACME, "-q", "--view", "accounts", "-o", "-", "--format", "json")
    elements = json.loads(out)["elements"]
    assert code == 0 and any(e.get("title") == "acme-prod" for e in elements.values())
    code, _, err = run("--input", ACME, "-q", "-o", "-", "--format", "png")
    assert code == 2 and "png is binary" in err


def test_sensitive_marks_from_the_cli(tmp_path: Path) -> None:
    out = tmp_path / "acme.dot"
    code, _, err = run("--input", ACME, "-q", "--view", "principals", "--sensitive", "*Reporting*", "-o", str(out))
    assert code == 0, err
    src = out.read_text()
    assert "⚠ admin-equivalent, tagged sensitive" in src  # BreakGlass, the `findings` definition
    assert "⚠ matches --sensitive" in src and "⚑" in src


def test_no_path_or_nobody_writes_no_picture(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "none.svg"
    result = runner.invoke(main, ["path", BREAK_GLASS, "arn:aws:iam::111111111111:root", "-i", ACME, "-o", str(out)])
    assert result.exit_code == 0 and "no picture written" in result.stderr and not out.exists()
    assert "No path" in result.stdout
    lonely = "arn:aws:iam::444444444444:role/data/AnalyticsExportReader"  # no trust policy names a caller in the data
    result = runner.invoke(main, ["who-can-reach", lonely, "-i", ACME, "-o", str(out), "--via", "assume"])
    assert result.exit_code == 0, result.stderr
    assert "nobody in the data reaches" in result.stderr and "no picture written" in result.stderr
    assert "nobody in the data" in result.stdout and not out.exists()
    result = runner.invoke(main, ["who-can-reach", BREAK_GLASS, "-i", ACME, "-q", "-o", "-"])
    assert result.exit_code == 0 and result.stdout.startswith("<?xml") and "Who can reach" not in result.stdout
    result = runner.invoke(main, ["path", BREAK_GLASS, BREAK_GLASS, "-i", ACME, "-o", "-", "--json"])
    assert result.exit_code == 2 and "both write to standard output" in result.stderr


def test_accounts_view_above_forty_accounts_draws_the_matrix_unless_a_layout_or_the_explorer(tmp_path: Path) -> None:
    path = tmp_path / "org50.json"
    save_graph(org_graph(50), path)
    code, _, err = run("--graph", str(path), "--view", "accounts", "-o", str(tmp_path / "m.svg"))
    assert code == 0, err
    assert "accounts view as its matrix, direct layout" in err
    assert "Trust matrix of the organization" in (tmp_path / "m.svg").read_text()
    for args, name in ((("--layout", "radial"), "r.svg"), ((), "x.html"), ((), "s.dot")):
        code, _, err = run("--graph", str(path), "--view", "accounts", *args, "-o", str(tmp_path / name))
        assert code == 0, err
        assert "as its matrix" not in err and "Trust matrix" not in (tmp_path / name).read_text(), name
    # at 40 accounts the graph is drawn
    small = tmp_path / "org40.json"
    save_graph(org_graph(40), small)
    code, _, err = run("--graph", str(small), "--view", "accounts", "-o", str(tmp_path / "g.svg"))
    assert code == 0 and "as its matrix" not in err, err
