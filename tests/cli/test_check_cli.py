"""`trustgraph check --rules` end to end on samples/acme: the sample guardrails (EXPECTED.md §10), the JSON contract,
SARIF, Markdown, the gate's exit codes and located errors for a bad rules file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from test_findings_cli import SARIF_SUBSET

from trustgraph.cli import main

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "samples" / "acme"
RULES = ROOT / "samples" / "guardrails" / "acme.yaml"
BREAKGLASS = "arn:aws:iam::444444444444:role/BreakGlass"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def rules_file(tmp_path: Path, text: str, name: str = "rules.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


KEPT = """rules:
  - id: nonprod-never-reaches-prod
    from: {ou: NonProd}
    to: {ou: Prod}
    deny: true
"""


@pytest.fixture(scope="module")
def acme_json() -> dict:
    code, out, _ = run("check", "-i", str(ACME), "--rules", str(RULES), "-q", "--json")
    assert code == 0  # no gate asked: violations are an answer, not a failure
    return json.loads(out)


def test_sample_guardrails_acme_keeps_three_and_breaks_breakglass(acme_json: dict) -> None:
    counts = {r["id"]: r["violation_count"] for r in acme_json["rules"]}
    assert counts == {"nonprod-never-reaches-prod": 0, "security-needs-mfa-for-breakglass": 0,
                      "datadog-needs-externalid": 0, "breakglass-trusts-only-security": 7}
    broken = acme_json["rules"][3]
    # EXPECTED.md §1 rows 1–6 and 9: everyone but the security account's principals
    assert {v["principal"].rsplit("/", 1)[-1] for v in broken["violations"]} == {
        "ProdAdmin", "ProdDeployer", "CIPipeline", "GitHubActionsDeployer", "codebuild.amazonaws.com",
        "token.actions.githubusercontent.com", "org-admin"}
    assert acme_json["violation_count"] == 7 and acme_json["incomplete"] == []


def test_sample_breaking_rule_with_every_edge_kind(tmp_path: Path) -> None:
    """EXPECTED.md §10: without `via`, account takeovers, PassRole and Identity Center sign-ins count too."""
    text = RULES.read_text().replace("    via: [assume]\n", "")
    code, out, _ = run("check", "-i", str(ACME), "--rules", rules_file(tmp_path, text), "-q", "--json")
    broken = json.loads(out)["rules"][3]
    assert code == 0 and broken["violation_count"] == 13
    names = {v["principal"].rsplit("/", 1)[-1] for v in broken["violations"]}
    assert {"OrganizationAccountAccessRole", "jenkins-legacy"} <= names
    assert {g["from"] for g in broken["groups"]} >= {"people", "groups", "OU Workloads/Prod"}


def test_json_contract_fields(acme_json: dict) -> None:
    assert acme_json["schema"] == "trustgraph/check/v1"
    rule = acme_json["rules"][3]
    assert {"id", "violations", "violation_count"} <= set(rule)
    prod_admin = next(v for v in rule["violations"] if v["principal"].endswith("role/admin/ProdAdmin"))
    assert {"principal", "role", "path", "steps", "statements"} <= set(prod_admin)
    assert prod_admin["role"] == BREAKGLASS and prod_admin["path"][-1] == BREAKGLASS
    assert [s["kind"] for s in prod_admin["steps"]] == ["assume"]
    statement = prod_admin["statements"][0]
    assert statement["file"].endswith("444444444444-acme-prod.json")
    assert (statement["statement"], statement["sid"]) == (1, "PlatformAdminFallback")
    groups = {(g["from"], g["count"]) for g in rule["groups"]}
    assert ("OU Infrastructure", 3) in groups and ("OU Workloads/Prod", 2) in groups


def test_table_names_rule_group_and_statement() -> None:
    code, out, _ = run("check", "-i", str(ACME), "--rules", str(RULES), "-q")
    assert code == 0
    assert "nonprod-never-reaches-prod: holds" in out and "breakglass-trusts-only-security: 7 violation(s)" in out
    assert "OU Workloads/Prod" in out and "#1 (PlatformAdminFallback)" in out


def test_markdown_output(tmp_path: Path) -> None:
    out = tmp_path / "check.md"
    code, _, _ = run("check", "-i", str(ACME), "--rules", str(RULES), "-q", "--format", "markdown", "-o", str(out))
    assert code == 0
    text = out.read_text()
    assert "**7 violation(s)** of 1 of 4 rule(s)." in text and "| OU Workloads/Prod |" in text


def test_sarif_output_is_valid_and_points_at_the_role_line(tmp_path: Path) -> None:
    out = tmp_path / "check.sarif"
    code, _, _ = run("check", "-i", str(ACME), "--rules", str(RULES), "-q", "--format", "sarif", "-o", str(out))
    assert code == 0
    sarif = json.loads(out.read_text())
    jsonschema.validate(sarif, SARIF_SUBSET)
    run_ = sarif["runs"][0]
    assert [r["id"] for r in run_["tool"]["driver"]["rules"]][3] == "breakglass-trusts-only-security"
    assert len(run_["results"]) == 4  # one per group (rule, where the principals are, role)
    result = run_["results"][0]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("444444444444-acme-prod.json")
    line = (ACME / "444444444444-acme-prod.json").read_text().splitlines()[location["region"]["startLine"] - 1]
    assert "BreakGlass" in line
    assert len({r["partialFingerprints"]["trustgraphGuardrail/v1"] for r in run_["results"]}) == 4


# -- the gate ------------------------------------------------------------------------------------------------------


def test_gate_exit_0_when_every_rule_holds(tmp_path: Path) -> None:
    code, _, err = run("check", "-i", str(ACME), "--rules", rules_file(tmp_path, KEPT), "-q", "--fail-on-violation")
    assert code == 0, err


def test_gate_exit_1_on_a_violation() -> None:
    code, _, err = run("check", "-i", str(ACME), "--rules", str(RULES), "-q", "--fail-on-violation")
    assert code == 1
    assert "--fail-on-violation: 7 violation(s) of 1 rule(s): breakglass-trusts-only-security" in err


def test_gate_exit_2_on_incomplete_data_unless_allowed(tmp_path: Path) -> None:
    data = tmp_path / "acme"
    shutil.copytree(ACME, data)
    (data / "777777777777-acme-new.json").write_text('{"RoleDetailList": [', encoding="utf-8")  # cut off
    code, _, err = run("check", "-i", str(data), "--rules", str(RULES), "-q", "--fail-on-violation")
    assert code == 2 and "error: incomplete data" in err and "--allow-incomplete" in err
    assert run("check", "-i", str(data), "--rules", str(RULES), "-q", "--fail-on-violation",
               "--allow-incomplete")[0] == 1
    kept = rules_file(tmp_path, KEPT)
    assert run("check", "-i", str(data), "--rules", kept, "-q", "--fail-on-violation")[0] == 2
    assert run("check", "-i", str(data), "--rules", kept, "-q", "--fail-on-violation", "--allow-incomplete")[0] == 0
    code, out, _ = run("check", "-i", str(data), "--rules", kept, "-q", "--json")
    assert code == 0 and json.loads(out)["incomplete"]  # no gate: the answer says what it lacks


def test_rule_naming_an_ou_the_data_lacks_exits_2(tmp_path: Path) -> None:
    path = rules_file(tmp_path, KEPT.replace("{ou: Prod}", "{ou: Prodd}"))
    code, _, err = run("check", "-i", str(ACME), "--rules", path, "-q")
    assert code == 2 and f"rule nonprod-never-reaches-prod ({path}:2): OU 'Prodd' is not in the organization" in err


# -- a bad rules file: exit 2, one located line per mistake ----------------------------------------------------------


def bad(tmp_path: Path, text: str, name: str = "rules.yaml") -> list[str]:
    code, out, err = run("check", "-i", str(ACME), "--rules", rules_file(tmp_path, text, name), "-q")
    assert code == 2 and out == "" and "Traceback" not in err
    return err.removeprefix("error: ").splitlines()


def test_bad_rules_file_unknown_key(tmp_path: Path) -> None:
    lines = bad(tmp_path, KEPT + "    descripton: typo\n")
    assert lines == [f"{tmp_path / 'rules.yaml'}:6: rules[0].descripton: unknown key 'descripton'; a rule takes "
                     "id, description, from, to, deny, allow_only, require_conditions, via"]


def test_bad_rules_file_unknown_selector(tmp_path: Path) -> None:
    lines = bad(tmp_path, KEPT.replace("{ou: NonProd}", "{ou: NonProd, acount: '1'}").replace("{ou: Prod}", "{org: 1}"))
    assert lines == [
        f"{tmp_path / 'rules.yaml'}:3: rules[0].from.acount: unknown selector 'acount'; selectors: ou, account, "
        "principal, kind, outside, sensitive, tag",
        f"{tmp_path / 'rules.yaml'}:4: rules[0].to.org: unknown selector 'org'; selectors: ou, account, principal, "
        "kind, outside, sensitive, tag"]


def test_bad_rules_file_bad_via(tmp_path: Path) -> None:
    lines = bad(tmp_path, KEPT + "    via: [assume, walk]\n")
    assert lines == [f"{tmp_path / 'rules.yaml'}:6: rules[0].via: unknown via walk: use assume, passrole, code, "
                     "iam, sso, all"]


def test_bad_rules_file_bad_yaml(tmp_path: Path) -> None:
    lines = bad(tmp_path, "rules:\n  - id: a\n    to: {ou: Prod\n")
    assert len(lines) == 1 and "not valid YAML" in lines[0] and "line 4" in lines[0]


def test_bad_rules_file_duplicate_key(tmp_path: Path) -> None:
    lines = bad(tmp_path, KEPT + "    deny: false\n")
    assert len(lines) == 1 and "duplicate key 'deny'" in lines[0] and "line 6" in lines[0]


def test_bad_rules_file_json_is_located_too(tmp_path: Path) -> None:
    text = '{"rules": [\n  {"id": "a", "to": {"ou": "Prod"},\n   "deny": true, "from": {"kind": "robot"}}\n]}\n'
    lines = bad(tmp_path, text, "rules.json")
    assert lines == [f"{tmp_path / 'rules.json'}:3: rules[0].from.kind: unknown kind robot; kinds: role, user, "
                     "account, service, federated, public, unknown, identity-center-user, identity-center-group"]


# -- review --rules --------------------------------------------------------------------------------------------------


def test_review_rules_adds_a_guardrails_section_and_files(tmp_path: Path) -> None:
    out = tmp_path / "review"
    code, _, err = run("review", "-i", str(ACME), "-q", "-o", str(out), "--no-diagrams", "--rules", str(RULES))
    assert code == 0, err
    md = (out / "report.md").read_text()
    assert "## Guardrails" in md and "### `breakglass-trusts-only-security`: 7 violation(s)" in md
    assert md.index("## Guardrails") < md.index("## Findings")
    assert "<h2>Guardrails</h2>" in (out / "report.html").read_text()
    assert json.loads((out / "guardrails.json").read_text())["violation_count"] == 7
    jsonschema.validate(json.loads((out / "guardrails.sarif").read_text()), SARIF_SUBSET)
    # without --rules: no section, and the files of the previous run are removed (they would be stale)
    assert run("review", "-i", str(ACME), "-q", "-o", str(out), "--no-diagrams")[0] == 0
    assert "## Guardrails" not in (out / "report.md").read_text() and not (out / "guardrails.json").exists()


def test_review_rules_file_with_a_mistake_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "review"
    code, _, err = run("review", "-i", str(ACME), "-q", "-o", str(out), "--no-diagrams",
                       "--rules", rules_file(tmp_path, KEPT + "    via: walk\n"))
    assert code == 2 and "rules[0].via: unknown via walk" in err and not out.exists()


def test_a_rule_guarding_nothing_is_warned_about(tmp_path: Path) -> None:
    path = rules_file(tmp_path, KEPT.replace("{ou: Prod}", "{principal: 'arn:aws:iam::*:role/BreakGlas'}"))
    code, out, err = run("check", "-i", str(ACME), "--rules", path)
    assert code == 0 and "warning: rule nonprod-never-reaches-prod" in err and "selects no role or user" in err
    code, _, err = run("check", "-i", str(ACME), "--rules", rules_file(tmp_path, KEPT, "kept.yaml"))
    assert code == 0 and "warning" not in err


def test_check_on_a_saved_graph_gives_the_same_answer(tmp_path: Path, acme_json: dict) -> None:
    saved = tmp_path / "acme.tgdb"
    assert run("build", "-i", str(ACME), "-o", str(saved), "-q")[0] == 0
    code, out, _ = run("check", "--graph", str(saved), "--rules", str(RULES), "-q", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["rules"] == acme_json["rules"] and doc["inputs"] == acme_json["inputs"]
