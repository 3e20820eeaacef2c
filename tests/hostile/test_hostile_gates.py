"""No gate passes on an error (issue 28): with a --fail-on option, an input that could not be read, a plan that is
not a plan or a side a collection marks partial ends the run with exit 2 once its output is written, and
--allow-incomplete gives back the exit codes of the data that was read; gate files with a key given twice or a
date no calendar has are refused at their line. And missing data is never change: the trust, reachers and
findings of an account missing on one side of `diff` are "not in the data", not removed, lost or resolved."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.builders import A, Account, B, Org, allow, identity, trust
from trustgraph.analysis.diff import incompleteness
from trustgraph.cli import main
from trustgraph.sources.files import load_inputs

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "samples" / "terraform" / "acme-staging-plan.json"
OUTSIDER = "777777777777"
WRAPPER = "[command]/home/runner/work/_temp/0c1b7f3e/terraform-bin show -json tfplan\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def accounts(*, b_admin_trusts_outsider: bool = False) -> dict[str, Any]:
    """Two accounts of one organization: A's Deployer trusts B's CI (B's CI reaches A's admin role), B's Vendor
    trusts an outside account without an ExternalId (a high finding)."""
    org = Org()
    org.account(A, name="a")
    org.account(B, name="b")
    a, b = Account(A), Account(B)
    b.role("CI", trust(b.root), policies={"ci": identity(allow("sts:AssumeRole", "*"))})
    b.role("Vendor", trust(f"arn:aws:iam::{OUTSIDER}:root"))
    if b_admin_trusts_outsider:
        b.role("Backdoor", trust(f"arn:aws:iam::{OUTSIDER}:root"), policies={"admin": identity(allow("*", "*"))})
    a.role("Deployer", trust(b.arn("role", "CI")), policies={"ci": identity(allow("sts:AssumeRole", "*"))})
    a.role("Admin", trust(a.arn("role", "Deployer")), policies={"admin": identity(allow("*", "*"))})
    return {f"{A}.json": a.gaad(), f"{B}.json": b.gaad(), "organization.json": org.to_dict()}


def write(folder: Path, files: dict[str, Any]) -> Path:
    folder.mkdir()
    for name, value in files.items():
        (folder / name).write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return folder


def manifest(failed: str) -> dict[str, Any]:
    """What `trustgraph collect` writes when one account was throttled."""
    return {"schema": "trustgraph/manifest/v1", "finished_at": "2026-01-05T10:00:00Z", "partial": True,
            "accounts": [{"account_id": A, "status": "ok", "credentials": "caller"},
                         {"account_id": failed, "status": "failed", "credentials": "assumed-role",
                          "stage": "iam:GetAccountAuthorizationDetails", "reason_code": "Throttling",
                          "reason": "Rate exceeded"}]}


@pytest.fixture()
def old(tmp_path: Path) -> Path:
    return write(tmp_path / "old", accounts())


def plan_text() -> str:
    return PLAN.read_text(encoding="utf-8")


def gated_plan_diff(live: Path, plan: Path, *extra: str) -> tuple[int, str, str]:
    return run("diff", "--plan", str(plan), str(live), "--account-id", "555555555555", "-q", "--json",
               "--fail-on", "high", *extra)


def assert_incomplete_exit(code: int, out: str, err: str) -> None:
    assert code == 2, err
    assert out.strip(), "the output is written before the run ends"
    # The loader's own lines say what it could not read; the run ends with one line saying why it fails.
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: incomplete data") and "--allow-incomplete" in last, err
    assert sum("incomplete data" in line for line in err.splitlines()) == 1 and "--debug" not in err


# -- plans that are not plans ----------------------------------------------------------------------------------


def test_truncated_plan_never_passes_a_gate(old: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(plan_text()[: len(plan_text()) // 2], encoding="utf-8")
    code, out, err = gated_plan_diff(old, plan)
    assert_incomplete_exit(code, out, err)
    side = json.loads(out)["new"]["incomplete"]
    assert side["partial"] and side["files"] == [str(plan)]
    assert gated_plan_diff(old, plan, "--allow-incomplete")[0] == 0  # what it did before: nothing compared


def test_empty_plan_never_passes_a_gate(old: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text("", encoding="utf-8")
    assert_incomplete_exit(*gated_plan_diff(old, plan))
    assert gated_plan_diff(old, plan, "--allow-incomplete")[0] == 0


def test_plan_whose_resource_changes_is_an_object_is_not_a_plan(old: Path, tmp_path: Path) -> None:
    value = json.loads(plan_text())
    value["resource_changes"] = {"aws_iam_role.qa_access": value["resource_changes"][0]}
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(value), encoding="utf-8")
    code, out, err = gated_plan_diff(old, plan)
    assert_incomplete_exit(code, out, err)
    assert "resource_changes is not a list" in " ".join(json.loads(out)["new"]["incomplete"]["reasons"]) + err
    assert gated_plan_diff(old, plan, "--allow-incomplete")[0] == 0


def test_plan_with_the_setup_terraform_wrapper_line_reads_as_the_plan(old: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.json"
    plain.write_text(plan_text(), encoding="utf-8")
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(WRAPPER + plan_text() + "\n::debug::Terraform exited with code 0.\n", encoding="utf-8")
    code_plain, out_plain, _ = gated_plan_diff(old, plain, "--no-cache")
    code, out, err = gated_plan_diff(old, wrapped, "--no-cache")
    assert code == code_plain == 1, err
    doc, expected = json.loads(out.replace(str(wrapped), str(plain))), json.loads(out_plain)
    assert "incomplete" not in doc["new"] and "incomplete" not in doc["old"]
    for side in ("old", "new"):
        for d in (doc, expected):
            d[side].pop("data_time")
            d[side].pop("inputs")
    assert doc == expected


def test_wrapper_line_before_anything_but_a_plan_is_refused(old: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(WRAPPER + json.dumps(accounts()[f"{A}.json"]), encoding="utf-8")
    assert_incomplete_exit(*gated_plan_diff(old, plan))


# -- sides that lack data ----------------------------------------------------------------------------------------


def test_unreadable_new_side_account_file_is_not_in_the_data(old: Path, tmp_path: Path) -> None:
    files = accounts()
    files[f"{B}.json"] = json.dumps(files[f"{B}.json"])[:200]  # cut off mid-write
    new = write(tmp_path / "new", files)
    code, out, err = run("diff", str(old), str(new), "-q", "--json", "--fail-on", "high")
    assert_incomplete_exit(code, out, err)
    doc = json.loads(out)
    assert doc["new"]["incomplete"]["files"] == [str(new / f"{B}.json")]
    assert doc["new"]["incomplete"]["accounts"] == [B]
    assert "incomplete" not in doc["old"]
    # Nothing of B reads as removed, lost or resolved: it is not in the data.
    assert doc["summary"]["trust_removed"] == 0 and doc["summary"]["findings_resolved"] == 0
    assert doc["summary"]["sensitive_reachers_lost"] == 0
    aside = doc["not_in_data"]
    assert aside["accounts"] == [B]
    assert aside["trust"] and all(t["change"] == "removed" for t in aside["trust"])
    assert any(f["change"] == "resolved" and f["account"] == B for f in aside["findings"])
    assert run("diff", str(old), str(new), "-q", "--fail-on", "high", "--allow-incomplete")[0] == 0


def test_partial_manifest_on_one_side_is_not_change(old: Path, tmp_path: Path) -> None:
    files = accounts()
    del files[f"{B}.json"]
    files["manifest.json"] = manifest(failed=B)
    new = write(tmp_path / "new", files)
    code, out, err = run("diff", str(old), str(new), "-q", "--format", "markdown", "--fail-on", "high")
    assert_incomplete_exit(code, out, err)
    assert "**Incomplete data:**" in out and "Throttling" in out and "Not in the data" in out
    assert "Findings resolved" not in out and "| removed |" not in out.split("Not in the data")[0]
    code, out, _ = run("diff", str(old), str(new), "-q", "--json")
    assert code == 0  # no gate, no exit 2: the answer says what it lacks
    doc = json.loads(out)
    assert doc["new"]["incomplete"]["partial"] and doc["new"]["incomplete"]["accounts"] == [B]
    assert doc["summary"]["trust_removed"] == 0 and doc["not_in_data"]["trust"]
    assert run("diff", str(old), str(new), "-q", "--fail-on", "high", "--allow-incomplete")[0] == 0


def test_partial_side_fails_every_gate_option(old: Path, tmp_path: Path) -> None:
    files = accounts()
    del files[f"{B}.json"]
    files["manifest.json"] = manifest(failed=B)
    new = write(tmp_path / "new", files)
    for gate in ("--fail-on-outside", "--fail-on-reachers"):
        assert_incomplete_exit(*run("diff", str(old), str(new), "-q", "--json", gate))


def test_what_may_be_new_still_trips_a_gate_allowed_incomplete_data(tmp_path: Path) -> None:
    """The old side lacks B (a throttled collection), the new side has B with a new admin role trusting an outsider:
    not in the data, but a gate told to decide anyway counts it, as it did before."""
    files = accounts()
    del files[f"{B}.json"]
    files["manifest.json"] = manifest(failed=B)
    old = write(tmp_path / "old", files)
    new = write(tmp_path / "new", accounts(b_admin_trusts_outsider=True))
    assert_incomplete_exit(*run("diff", str(old), str(new), "-q", "--json", "--fail-on", "high"))
    code, _, err = run("diff", str(old), str(new), "-q", "--fail-on", "high", "--allow-incomplete")
    assert code == 1 and "missing on a side" in err


def test_saved_graph_side_keeps_what_it_lacks(old: Path, tmp_path: Path) -> None:
    files = accounts()
    del files[f"{B}.json"]
    files["manifest.json"] = manifest(failed=B)
    new = write(tmp_path / "new", files)
    saved = tmp_path / "new.tgdb"
    assert run("build", "-i", str(new), "-o", str(saved), "-q")[0] == 0
    code, out, err = run("diff", str(old), str(saved), "-q", "--json", "--fail-on", "high")
    assert_incomplete_exit(code, out, err)
    assert json.loads(out)["new"]["incomplete"]["accounts"] == [B]


def test_gap_sentences_are_read_back_as_missing_accounts(tmp_path: Path) -> None:
    """`incompleteness` reads the sentences the snapshot builder writes: this fails if one of them changes."""
    files = accounts()
    del files[f"{B}.json"]
    files["manifest.json"] = manifest(failed=B)
    snapshot, report = load_inputs([write(tmp_path / "in", files)])
    found = incompleteness(snapshot, report.files_rejected)
    assert found.accounts == (B,) and found.partial and not found.files


# -- findings ---------------------------------------------------------------------------------------------------


def test_findings_gate_with_baseline_and_an_unreadable_input_exits_2(old: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert run("findings", "-i", str(old), "-q", "--format", "json", "-o", str(baseline))[0] == 0
    files = accounts()
    files[f"{B}.json"] = "{\"RoleDetailList\": ["
    broken = write(tmp_path / "broken", files)
    sarif = tmp_path / "out.sarif"
    args = ("findings", "-i", str(broken), "-q", "--fail-on", "high", "--baseline", str(baseline), "--format",
            "sarif", "-o", str(sarif))
    code, _, err = run(*args)
    assert code == 2 and err.strip().splitlines()[-1].startswith("error: incomplete data"), err
    invocation = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert any(n["level"] == "error" and f"{B}.json" in n["message"]["text"]
               for n in invocation["toolExecutionNotifications"])
    assert run(*args, "--allow-incomplete")[0] == 0  # every finding read is in the baseline


def test_findings_gate_on_whole_data_is_unchanged(old: Path) -> None:
    code, out, err = run("findings", "-i", str(old), "-q", "--fail-on", "high", "--format", "sarif")
    assert code == 1 and "incomplete" not in err
    assert json.loads(out)["runs"][0]["invocations"][0]["executionSuccessful"] is True


# -- gate files ---------------------------------------------------------------------------------------------------


def test_suppression_with_two_expires_keys_is_refused(old: Path, tmp_path: Path) -> None:
    suppressions = tmp_path / "suppressions.yaml"
    suppressions.write_text(f"- rule: TG302\n  subject: 'arn:aws:iam::{B}:role/*'\n  reason: vendor\n"
                            "  expires: 2020-01-01\n  expires: 2099-12-31\n", encoding="utf-8")
    code, _, err = run("findings", "-i", str(old), "-q", "--fail-on", "high", "--suppressions", str(suppressions))
    assert code == 2 and "duplicate key 'expires'" in err and "line 5" in err and "--debug" not in err
    assert len(err.strip().splitlines()) == 1


def test_suppression_json_with_a_key_given_twice_is_refused(old: Path, tmp_path: Path) -> None:
    suppressions = tmp_path / "suppressions.json"
    suppressions.write_text('[{"rule": "TG302", "subject": "*", "reason": "r",\n "expires": "2020-01-01",\n'
                            ' "expires": "2099-12-31"}]', encoding="utf-8")
    code, _, err = run("diff", str(old), str(old), "-q", "--fail-on", "high", "--suppressions", str(suppressions))
    assert code == 2 and "duplicate key 'expires'" in err and "--debug" not in err


def test_baseline_with_a_key_given_twice_is_refused(old: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text('{"findings": [], "findings": []}', encoding="utf-8")
    code, _, err = run("findings", "-i", str(old), "-q", "--fail-on", "high", "--baseline", str(baseline))
    assert code == 2 and "duplicate key 'findings'" in err


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_impossible_expiry_date_is_a_located_error(old: Path, tmp_path: Path, suffix: str) -> None:
    suppressions = tmp_path / f"suppressions{suffix}"
    if suffix == ".yaml":
        suppressions.write_text("- rule: TG302\n  subject: '*'\n  reason: r\n  expires: 2026-02-30\n",
                                encoding="utf-8")
    else:
        suppressions.write_text('[{"rule": "TG302", "subject": "*", "reason": "r", "expires": "2026-02-30"}]',
                                encoding="utf-8")
    code, _, err = run("findings", "-i", str(old), "-q", "--fail-on", "high", "--suppressions", str(suppressions))
    assert code == 2 and "2026-02-30" in err and "is not a date" in err and "--debug" not in err, err
    assert ("line 4" in err) if suffix == ".yaml" else ("entry 1" in err)
    assert len(err.strip().splitlines()) == 1


def test_gate_files_keep_merge_keys_and_real_dates(old: Path, tmp_path: Path) -> None:
    suppressions = tmp_path / "suppressions.yaml"
    suppressions.write_text("- &v {rule: TG302, subject: '*', reason: vendor, expires: 2099-12-31}\n"
                            "- <<: *v\n  rule: TG201\n", encoding="utf-8")
    code, _, err = run("findings", "-i", str(old), "-q", "--suppressions", str(suppressions))
    assert code == 0, err


def test_copy_of_whole_data_diffs_to_nothing_and_passes(old: Path, tmp_path: Path) -> None:
    new = tmp_path / "copy"
    shutil.copytree(old, new)
    code, out, err = run("diff", str(old), str(new), "-q", "--json", "--fail-on", "info", "--fail-on-outside",
                         "--fail-on-reachers")
    assert code == 0, err
    doc = json.loads(out)
    assert "not_in_data" not in doc and "incomplete" not in doc["old"] and "incomplete" not in doc["gate"]


# -- an unrelated org-wide hub -----------------------------------------------------------------------------------


def _org_wide_files(drop: str | None = None) -> dict[str, Any]:
    from tests.graph.test_trust_classes import org_wide

    files: dict[str, Any] = {}
    for piece in org_wide(6):
        if isinstance(piece, Account):
            if piece.id != drop:
                files[f"{piece.id}.json"] = piece.gaad()
        else:
            files["organization.json"] = piece.to_dict()  # type: ignore[attr-defined]
    return files


def test_removing_one_accounts_data_changes_no_unrelated_org_wide_hub(tmp_path: Path) -> None:
    """Six accounts, each with roles every principal of the organization (and every CI role) may assume through an
    org-wide trust class. One account's data is removed: only trust to or from that account may read as changed,
    never the class membership of the other five accounts' principals."""
    from tests.graph.test_trust_classes import ACCOUNTS

    gone = ACCOUNTS[3]
    old = write(tmp_path / "old", _org_wide_files())
    new = write(tmp_path / "new", _org_wide_files(drop=gone))
    code, out, err = run("diff", str(old), str(new), "-q", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["trust"], "the removed account's trust is reported (the control: the diff sees the removal)"
    for change in doc["trust"]:
        assert f":{gone}:" in change["role"] or all(f":{gone}:" in c for c in change["callers"]), change
    # Marked as missing (a collection that failed on it), the same removal is no change at all.
    files = _org_wide_files(drop=gone)
    record = manifest(failed=gone)
    failed = record["accounts"][-1]
    record["accounts"] = [{"account_id": a, "status": "ok", "credentials": "caller"}
                          for a in ACCOUNTS[:6] if a != gone] + [failed]
    files["manifest.json"] = record
    partial = write(tmp_path / "partial", files)
    code, out, err = run("diff", str(old), str(partial), "-q", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["trust"] == [] and doc["summary"]["trust_removed"] == 0, err
    assert doc["not_in_data"]["accounts"] == [gone] and doc["not_in_data"]["trust"]


def test_a_gate_never_passes_on_a_document_skipped_as_unreadable(tmp_path: Path) -> None:
    """A trust policy past its quota is one error line and is skipped: what it grants is unknown, so a gate that
    would pass on what was read exits 2 instead (findings, and diff of the data against itself); the same data
    with the document read passes."""
    from tests.hostile.test_hostile_policy_quotas import padded_trust
    from trustgraph.sources.policy_quotas import TRUST_POLICY

    def folder(name: str, trust_size: int) -> Path:
        a = Account(A)
        a.role("Huge", padded_trust(trust_size))
        return write(tmp_path / name, {f"{A}.json": a.gaad()})

    skipped, whole = folder("skipped", TRUST_POLICY.limit + 100), folder("whole", 100)
    for data in (skipped, whole):
        findings = ("findings", "-i", str(data), "-q", "--fail-on", "critical", "--format", "json")
        diff = ("diff", str(data), str(data), "-q", "--json", "--fail-on", "critical")
        for args in (findings, diff):
            code, out, err = run(*args)
            if data is skipped:
                assert_incomplete_exit(code, out, err)
                assert "skipped as unreadable" in err
                assert run(*args, "--allow-incomplete")[0] == 0
            else:
                assert code == 0 and not err.strip(), err
