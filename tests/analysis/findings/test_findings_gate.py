"""Baselines and suppressions for `findings --fail-on`: fingerprints, the triage, the files, the CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.builders import A, Account, trust
from trustgraph.analysis.findings import Finding, Severity
from trustgraph.analysis.findings.gate import Suppression, triage
from trustgraph.cli import main
from trustgraph.cli.gate_files import GateFileError, load_baseline, load_suppressions

OUTSIDER = "777777777777"
ROLE = f"arn:aws:iam::{A}:role/app/Reader"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def finding(rule: str = "TG302", role: str = ROLE, principal: str | None = f"arn:aws:iam::{OUTSIDER}:root",
            message: str = "m", statement: str = "#0") -> Finding:
    return Finding(rule, Severity.HIGH, role, principal, message, statement=statement)


def test_fingerprint_is_rule_role_principal_not_message_nor_statement() -> None:
    assert finding().fingerprint == finding(message="other words", statement="#3 (Sid)").fingerprint
    assert finding().fingerprint != finding(rule="TG303").fingerprint
    assert finding().fingerprint != finding(principal=f"arn:aws:iam::{A}:root").fingerprint
    assert finding().fingerprint != finding(role=ROLE + "2").fingerprint


def test_fingerprint_of_a_per_role_rule_ignores_its_example_principal() -> None:
    chain = finding(rule="TG403", principal=f"arn:aws:iam::{A}:user/one")
    assert chain.fingerprint == finding(rule="TG403", principal=f"arn:aws:iam::{A}:user/other").fingerprint
    assert chain.fingerprint != finding(rule="TG403", role=ROLE + "2").fingerprint
    # Negative control: for a per-principal rule the principal is the subject.
    assert finding(principal=f"arn:aws:iam::{A}:user/one").fingerprint != \
        finding(principal=f"arn:aws:iam::{A}:user/other").fingerprint


def test_suppression_matches_rule_and_subject_glob() -> None:
    s = Suppression("TG302", f"arn:aws:iam::{A}:role/app/*", "why")
    assert s.matches(finding())
    assert not s.matches(finding(rule="TG303"))
    assert not s.matches(finding(role=f"arn:aws:iam::{A}:role/Other"))
    assert Suppression("*", "*", "why").matches(finding(rule="TG101"))
    with_principal = Suppression("TG302", "*", "why", principal=f"arn:aws:iam::{A}:*")
    assert not with_principal.matches(finding())
    assert with_principal.matches(finding(principal=f"arn:aws:iam::{A}:root"))


def test_suppression_expires_after_its_day() -> None:
    s = Suppression("TG302", "*", "why", expires=date(2030, 6, 1))
    assert not s.expired(date(2030, 6, 1))
    assert s.expired(date(2030, 6, 2))
    split = triage([finding()], suppressions=[s], today=date(2030, 6, 2))
    assert split.expired == [s] and split.open and not split.suppressed  # expired: suppresses nothing
    split = triage([finding()], suppressions=[s], today=date(2030, 6, 1))
    assert not split.expired and not split.open and split.suppression(split.suppressed[0][0]) is s


def test_baseline_splits_known_from_new() -> None:
    known, new = finding(), finding(role=ROLE + "2")
    split = triage([known, new], baseline={known.fingerprint})
    assert split.baselined == [known] and split.open == [new]
    assert split.in_baseline(known) and not split.in_baseline(new)


def test_suppressions_file_requires_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("- rule: TG302\n  subject: '*'\n", encoding="utf-8")
    with pytest.raises(GateFileError, match="entry 1: a reason is required"):
        load_suppressions(path)
    path.write_text("- rule: TG302\n  subject: '*'\n  reason: '  '\n", encoding="utf-8")
    with pytest.raises(GateFileError, match="reason is required"):
        load_suppressions(path)
    path.write_text("- rule: TG302\n  subject: '*'\n  reason: ok\n  expires: 2030-01-02\n", encoding="utf-8")
    assert load_suppressions(path)[0].expires == date(2030, 1, 2)


@pytest.mark.parametrize("entry, message", [
    ("- rule: TG999\n  subject: '*'\n  reason: r\n", "rule must be a rule id"),
    ("- rule: TG302\n  reason: r\n", "subject"),
    ("- rule: TG302\n  subject: '*'\n  reason: r\n  expire: 2030-01-01\n", "unknown field"),
    ("- rule: TG302\n  subject: '*'\n  reason: r\n  expires: soon\n", "expires must be a date"),
    ("rule: TG302\n", "expected a list"),
    ("- [unclosed\n", "not valid YAML"),
])
def test_suppressions_file_rejects_bad_entries(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(entry, encoding="utf-8")
    with pytest.raises(GateFileError, match=message):
        load_suppressions(path)


def test_suppressions_file_json_form(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"suppressions": [{"rule": "tg302", "subject": "*", "reason": "r"}]}),
                    encoding="utf-8")
    assert load_suppressions(path)[0].rule == "TG302"


def test_baseline_file_must_be_a_findings_document(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"findings": [{"rule": "TG302", "role": ROLE,
                                              "principal": f"arn:aws:iam::{OUTSIDER}:root"}]}), encoding="utf-8")
    assert load_baseline(path) == {finding().fingerprint}
    path.write_text(json.dumps({"runs": []}), encoding="utf-8")
    with pytest.raises(GateFileError, match="not a findings document"):
        load_baseline(path)


# -- the CLI ----------------------------------------------------------------------------------------------


def account(*outsiders: str) -> dict[str, object]:
    a = Account(A)
    a.role("Reader", trust([f"arn:aws:iam::{o}:root" for o in outsiders]), path="/app/")
    return a.gaad()


@pytest.fixture()
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(account(OUTSIDER)), encoding="utf-8")
    new.write_text(json.dumps(account(OUTSIDER, "888888888888")), encoding="utf-8")
    return old, new


def baseline_of(path: Path, tmp_path: Path) -> Path:
    code, out, err = run("findings", "-i", str(path), "-q", "--format", "json", "--no-cache")
    assert code == 0, err
    doc = json.loads(out)
    assert all(f["fingerprint"] and f["suppression"] is None and f["in_baseline"] is False for f in doc["findings"])
    base = tmp_path / "baseline.json"
    base.write_text(out, encoding="utf-8")
    return base


def test_findings_baseline_old_finding_passes_new_fails(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = inputs
    base = baseline_of(old, tmp_path)
    assert run("findings", "-i", str(old), "-q", "--fail-on", "low")[0] == 1  # without the baseline
    assert run("findings", "-i", str(old), "-q", "--fail-on", "low", "--baseline", str(base))[0] == 0
    code, _, err = run("findings", "-i", str(new), "-q", "--fail-on", "low", "--baseline", str(base))
    assert code == 1 and "in the baseline" in err
    code, out, _ = run("findings", "-i", str(new), "-q", "--format", "json", "--baseline", str(base))
    doc = json.loads(out)
    assert {f["in_baseline"] for f in doc["findings"]} == {True, False}
    assert doc["gate"]["baselined"] >= 1 and doc["gate"]["open"] >= 1


def test_findings_suppression_reported_and_not_counted(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    _, new = inputs
    sup = tmp_path / "s.yaml"
    sup.write_text(f"- rule: '*'\n  subject: '{ROLE}'\n  reason: partners under contract\n  expires: 2999-01-01\n",
                   encoding="utf-8")
    assert run("findings", "-i", str(new), "-q", "--fail-on", "low")[0] == 1
    assert run("findings", "-i", str(new), "-q", "--fail-on", "low", "--suppressions", str(sup))[0] == 0
    code, out, _ = run("findings", "-i", str(new), "-q", "--format", "json", "--suppressions", str(sup))
    doc = json.loads(out)
    assert all(f["suppression"]["reason"] == "partners under contract" for f in doc["findings"])
    code, out, _ = run("findings", "-i", str(new), "-q", "--format", "sarif", "--suppressions", str(sup))
    results = json.loads(out)["runs"][0]["results"]
    assert results and all(r["suppressions"] == [{
        "kind": "external", "status": "accepted", "justification": "partners under contract",
        "properties": {"entry": "s.yaml entry 1", "expires": "2999-01-01"}}] for r in results)
    assert all("baselineState" not in r for r in results)
    code, out, _ = run("findings", "-i", str(new), "-q", "--suppressions", str(sup))
    assert "suppressed (s.yaml entry 1): partners under contract" in out
    code, out, _ = run("findings", "-i", str(new), "-q", "--format", "markdown", "--suppressions", str(sup))
    assert "(suppressed: partners under contract)" in out
    assert "**Suppressed** (s.yaml entry 1, until 2999-01-01): partners under contract" in out


def test_findings_sarif_baseline_state(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = inputs
    base = baseline_of(old, tmp_path)
    code, out, _ = run("findings", "-i", str(new), "-q", "--format", "sarif", "--baseline", str(base))
    states = {r["baselineState"] for r in json.loads(out)["runs"][0]["results"]}
    assert states == {"new", "unchanged"}


def test_findings_expired_suppression_fails_naming_the_entry(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    old, _ = inputs
    sup = tmp_path / "s.yaml"
    sup.write_text("- rule: TG101\n  subject: 'arn:aws:iam::*:role/none'\n  reason: r\n  expires: 2001-01-01\n",
                   encoding="utf-8")
    code, _, err = run("findings", "-i", str(old), "-q", "--fail-on", "critical", "--suppressions", str(sup))
    assert code == 1
    assert "s.yaml entry 1 (TG101 arn:aws:iam::*:role/none) expired on 2001-01-01" in err
    # Without a gate, a warning only.
    code, _, err = run("findings", "-i", str(old), "-q", "--suppressions", str(sup))
    assert code == 0 and "warning:" in err and "expired" in err


def test_findings_suppression_without_reason_is_a_usage_error(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    old, _ = inputs
    sup = tmp_path / "s.yaml"
    sup.write_text("- rule: TG302\n  subject: '*'\n", encoding="utf-8")
    code, _, err = run("findings", "-i", str(old), "-q", "--fail-on", "low", "--suppressions", str(sup))
    assert code == 2 and "s.yaml entry 1: a reason is required" in err and "Traceback" not in err
