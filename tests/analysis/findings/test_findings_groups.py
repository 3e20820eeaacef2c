"""Findings grouped by pattern (analysis/findings/groups.py): the pattern key, the group ids, the order, the accounts
and OUs; the findings JSON, Markdown and table one entry per group; outside reachers never cut by a limit."""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

import pytest
from builders import A, Account, B, C, benchmark_generator, load, trust
from click.testing import CliRunner

from trustgraph.analysis.findings import Finding, FindingContext, Severity, find
from trustgraph.analysis.findings.context import ReacherSummary
from trustgraph.analysis.findings.groups import group_findings, group_id, pattern_key
from trustgraph.cli import main
from trustgraph.graph.build import build_graph
from trustgraph.model import OrgAccount, Organization, OrgUnit
from trustgraph.report import bundle
from trustgraph.report.findings_doc import findings_document
from trustgraph.report.markdown import findings_markdown
from trustgraph.report.review import TOP_FIXES
from trustgraph.sources.files import load_inputs

VENDOR = "754728514883"
OTHER = "444455556666"


def tg302(account: str, *, name: str = "VendorRole", trusted: str = VENDOR, account_name: str | None = None,
          severity: Severity = Severity.HIGH) -> Finding:
    """A TG302 finding as the rule writes it: the message names the trusted account, never the role's own."""
    return Finding(rule="TG302", severity=severity, role=f"arn:aws:iam::{account}:role/{name}",
                   principal=f"arn:aws:iam::{trusted}:root",
                   message=f"statement #0 trusts every principal of account {trusted} with no condition; {trusted} "
                           "is neither in the organization nor a known vendor",
                   account=account, account_name=account_name, statement="#0")


def tg201(account: str, account_name: str, name: str = "github-deploy") -> Finding:
    """A finding whose principal and message hold the role's own account id and name."""
    return Finding(rule="TG201", severity=Severity.CRITICAL, role=f"arn:aws:iam::{account}:role/github/{name}",
                   principal=f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com",
                   message=f"{name} in {account_name} ({account}) trusts any repository through "
                           f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com",
                   account=account, account_name=account_name)


# -- the pattern key ----------------------------------------------------------------------------------------------


def test_group_findings_differing_only_in_account_id_share_a_group() -> None:
    groups = group_findings([tg302(A), tg302(B), tg302(C)])
    assert len(groups) == 1 and groups[0].count == 3 and groups[0].accounts == (A, B, C)
    # Negative control: a different role name is another pattern.
    assert len(group_findings([tg302(A), tg302(B, name="OtherRole")])) == 2


def test_group_own_account_id_and_name_are_set_aside_in_principal_and_message() -> None:
    first, second = tg201(A, "payments-prod"), tg201(B, "ledger-dev")
    assert pattern_key(first) == pattern_key(second)
    assert "{account}" in pattern_key(first)[2] and "{account-name}" in pattern_key(first)[3]
    assert group_id(first) == group_id(second)
    # Negative control: the same names in a different rule, or a different role name, differ.
    assert group_id(tg201(A, "payments-prod", name="github-plan")) != group_id(first)


def test_group_account_name_set_aside_only_as_a_whole_word() -> None:
    # "prod" is the account's name; "prod-deploy" in the message is another word and stays.
    f = Finding(rule="TG303", severity=Severity.LOW, role=f"arn:aws:iam::{A}:role/x", principal=None,
                message="role prod-deploy of account prod", account=A, account_name="prod")
    assert pattern_key(f)[3] == "role prod-deploy of account {account-name}"


def test_group_other_accounts_are_kept_as_written() -> None:
    # The trusted party is what the finding is about: trusting a vendor and trusting an unknown account are two
    # patterns even for the same role name.
    assert len(group_findings([tg302(A), tg302(B, trusted=OTHER)])) == 2
    # Negative control: the same party trusted from two accounts is one pattern.
    assert len(group_findings([tg302(A, trusted=OTHER), tg302(B, trusted=OTHER)])) == 1


def _sso_finding(account: str, suffix: str, permission_set: str = "AdministratorAccess") -> Finding:
    role = f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_{permission_set}_{suffix}"
    return Finding(rule="TG602", severity=Severity.MEDIUM, role=f"arn:aws:iam::{account}:role/Admin",
                   principal=role, message=f"{account}:role/AWSReservedSSO_{permission_set}_{suffix} can change code "
                   "that runs as this sensitive role", account=account)


def test_group_identity_center_role_suffix_set_aside() -> None:
    first, second = _sso_finding(A, "a805c1b2e77f208a"), _sso_finding(B, "0123456789abcdef")
    assert pattern_key(first) == pattern_key(second) and group_id(first) == group_id(second)
    assert pattern_key(first)[2].endswith("AWSReservedSSO_AdministratorAccess_*")
    # Negative control: another permission set is another pattern, and a suffix that is not 16 hex digits stays.
    assert group_id(_sso_finding(B, "0123456789abcdef", "ReadOnly")) != group_id(first)
    assert group_id(_sso_finding(A, "not-hex")) != group_id(_sso_finding(B, "not-hex2"))


def _tg402(account: str, reachers: int, firm: int) -> Finding:
    return Finding(rule="TG402", severity=Severity.MEDIUM, role=f"arn:aws:iam::{account}:role/OrganizationAccess",
                   principal=None, message=f"sensitive role (admin-equivalent) is reachable by {reachers:,} "
                   f"principals; {firm} of them without any runtime condition", account=account)


def test_group_counts_in_messages_set_aside() -> None:
    assert group_id(_tg402(A, 34, 11)) == group_id(_tg402(B, 39, 12)) == group_id(_tg402(C, 1234, 5))
    assert pattern_key(_tg402(A, 1234, 5))[3] == ("sensitive role (admin-equivalent) is reachable by N principals; "
                                                 "N of them without any runtime condition")
    # Negative control: account ids, numbers inside names and statement labels are not counts.
    assert "754728514883" in pattern_key(tg302(A))[3] and "#0" in pattern_key(tg302(A))[3]
    named = Finding(rule="TG303", severity=Severity.LOW, role=f"arn:aws:iam::{A}:role/deploy-2", principal=None,
                    message="role deploy-2 (v2) in statement #3", account=A)
    assert pattern_key(named)[3] == "role deploy-2 (v2) in statement #3"


def test_group_id_is_stable_between_runs() -> None:
    # The id depends on the key alone: pinned, so a change of the key (which breaks every consumer's saved group ids)
    # is a deliberate one.
    assert group_id(tg302(A)) == group_id(tg302(B)) == "g-" + _sha(
        "TG302\x1farn:aws:iam::{account}:role/VendorRole\x1farn:aws:iam::754728514883:root\x1f"
        "statement #0 trusts every principal of account 754728514883 with no condition; 754728514883 is neither in "
        "the organization nor a known vendor")
    assert re.fullmatch(r"g-[0-9a-f]{12}", group_id(tg302(A)))
    # Negative control: another message is another id.
    assert group_id(tg302(A, trusted=OTHER)) != group_id(tg302(A))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def test_group_worst_instance_first_then_a_stable_order() -> None:
    findings = [tg302(C, severity=Severity.LOW), tg302(B), tg302(A, severity=Severity.LOW), tg302("100000000000")]
    orders = set()
    for seed in range(5):
        shuffled = findings[:]
        random.Random(seed).shuffle(shuffled)
        (group,) = group_findings(shuffled)
        orders.add(tuple(f.account for f in group.findings))
    # High before low; among equals by subject ARN: the same example in every run.
    assert orders == {("100000000000", B, A, C)}
    assert group_findings(findings)[0].severity is Severity.HIGH


def test_group_order_is_by_worst_instance() -> None:
    groups = group_findings([tg302(A, name="Low", severity=Severity.LOW), tg201(B, "dev"), tg302(C, name="High")])
    assert [g.severity for g in groups] == [Severity.CRITICAL, Severity.HIGH, Severity.LOW]


def _organization() -> Organization:
    return Organization(id="o-test", management_account_id="999999999999", roots=[OrgUnit("r-root", "Root", None)],
                        units=[OrgUnit("ou-prod", "Prod", "r-root"), OrgUnit("ou-dev", "Dev", "r-root")],
                        accounts={A: OrgAccount(A, parent_id="ou-prod"), B: OrgAccount(B, parent_id="ou-dev"),
                                  C: OrgAccount(C, parent_id="r-root")})


def test_group_accounts_and_ous_with_organization_data() -> None:
    (group,) = group_findings([tg302(A), tg302(B), tg302(C)], _organization())
    assert group.ous == ("Dev", "Prod", "Root")
    assert group.where() == "×3 accounts (Dev, Prod, Root OUs)"
    # Negative control: without organization data no OU is named.
    (bare,) = group_findings([tg302(A), tg302(B)])
    assert bare.ous == () and bare.where() == "×2 accounts"


# -- outputs ------------------------------------------------------------------------------------------------------


def test_group_findings_json_keeps_every_finding_and_names_its_group() -> None:
    findings = [tg302(A), tg302(B), tg302(C, name="OtherRole")]
    doc = findings_document(findings, organization=_organization())
    assert len(doc["findings"]) == 3
    assert doc["findings"][0]["group"] == doc["findings"][1]["group"] != doc["findings"][2]["group"]
    # The contract's fields are all still there (fields are only added).
    for key in ("rule", "severity", "role", "target_kind", "principal", "message", "evidence", "remediation",
                "fingerprint", "suppression", "in_baseline"):
        assert all(key in f for f in doc["findings"]), key
    first = doc["groups"][0]
    assert first["count"] == 2 and first["accounts"] == [A, B] and first["ous"] == ["Dev", "Prod"]
    assert first["fingerprints"] == [doc["findings"][0]["fingerprint"], doc["findings"][1]["fingerprint"]]
    assert first["worst"] == first["fingerprints"][0] and doc["groups"][1]["count"] == 1
    assert json.loads(json.dumps(doc)) == doc


def test_group_markdown_one_entry_per_group() -> None:
    text = findings_markdown([tg302(A), tg302(B), tg302(C)], organization=_organization())
    assert text.count("#### 1. TG302") == 1 and "#### 2." not in text
    assert "×3 accounts (Dev, Prod, Root OUs)" in text and "**Same pattern:**" in text
    # Negative control: different role names stay separate entries, each without a "same pattern" line.
    apart = findings_markdown([tg302(A), tg302(B, name="OtherRole")])
    assert "#### 2. TG302" in apart and "**Same pattern:**" not in apart


def test_group_findings_table_one_row_per_group(tmp_path: Path) -> None:
    accounts = [Account(x) for x in (A, B, C)]
    for a in accounts:
        a.role("VendorRole", trust(f"arn:aws:iam::{OTHER}:root"))
    for a in accounts:
        (tmp_path / f"{a.id}.json").write_text(json.dumps(a.gaad()), encoding="utf-8")
    table = CliRunner().invoke(main, ["findings", "-i", str(tmp_path), "-q"], catch_exceptions=False).output
    assert table.count("VendorRole") == 1 and "×3 accounts" in table
    out = CliRunner().invoke(main, ["findings", "-i", str(tmp_path), "-q", "--json"], catch_exceptions=False).output
    doc = json.loads(out)
    assert len([f for f in doc["findings"] if f["rule"] == "TG302"]) == 3
    assert len({f["group"] for f in doc["findings"] if f["rule"] == "TG302"}) == 1


# -- outside reachers are never cut -------------------------------------------------------------------------------


def _crown_with_public_reacher():  # type: ignore[no-untyped-def]
    """A sensitive role reached by three users of its account and, under a condition (so last in answer order), by
    the public."""
    a = Account(A)
    users = [a.user(f"u{i}") for i in range(3)]
    statements = trust(users)["Statement"] + trust("*", condition={"StringEquals": {"sts:ExternalId": "x"}})[
        "Statement"]
    crown = a.role("Crown", {"Version": "2012-10-17", "Statement": statements},
                   tags={"trustgraph:sensitive": "true"})
    snapshot, _ = load(a)
    graph = build_graph(snapshot)
    return snapshot, graph, crown


def test_reacher_limit_keeps_public_reacher(monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot, graph, crown = _crown_with_public_reacher()
    monkeypatch.setattr(ReacherSummary, "KEPT", 1)
    summary = FindingContext(snapshot, graph).reacher_summary(crown)
    assert summary.count == 4
    assert [r.principal for r in summary.reachers][0] == "*"
    # Negative control: of the three inside reachers only the limit's one is kept.
    assert len(summary.reachers) == 2 and summary.reachers[1].principal.startswith(f"arn:aws:iam::{A}:user/")


# -- end to end: a generated organization ------------------------------------------------------------------------


def test_review_fix_first_has_one_entry_per_group(tmp_path: Path) -> None:
    data = tmp_path / "org"
    benchmark_generator().generate(data, 8, 100, 20, 7)  # generate_org.py --accounts 8 (its defaults otherwise)
    snapshot, _ = load_inputs([str(data)])
    graph = build_graph(snapshot)
    context = FindingContext(snapshot, graph)
    findings = find(snapshot, graph, context=context)
    bundle.write_bundle(tmp_path / "r", snapshot, graph, findings, diagrams=False, context=context)
    doc = json.loads((tmp_path / "r" / "findings.json").read_text())
    group_of = {(f["role"].split(":", 4)[4], f["message"]): f["group"] for f in doc["findings"]}
    report = (tmp_path / "r" / "report.md").read_text()
    fix_first = report.split("### Fix first", 1)[1].split("\n## ", 1)[0]
    entries = re.findall(r"^\d+\. \*\*.*?\*\* — `([^`]+)`[^:]*?: (.*?)  $", fix_first, flags=re.M)
    top = [g for g in doc["groups"] if g["severity"] in ("critical", "high")]
    assert len(entries) == min(len(top), TOP_FIXES) and len(top) > TOP_FIXES
    groups = [group_of[(role, _unescape(message))] for role, message in entries]
    assert len(set(groups)) == len(groups) and set(groups) <= {g["id"] for g in top}
    # The first ones by severity, then by how many findings the fix settles.
    rank = {"critical": 0, "high": 1}
    by_id = {g["id"]: g for g in top}
    keys = [(rank[by_id[g]["severity"]], -by_id[g]["count"]) for g in groups]
    assert keys == sorted(keys) and max(keys) <= min((rank[g["severity"]], -g["count"]) for g in top
                                                     if g["id"] not in groups)
    # Something was grouped: the generated accounts repeat a vendor role without ExternalId (TG302).
    assert any(by_id[g]["count"] > 1 for g in groups)
    assert sum(by_id[g]["count"] for g in groups) > len(entries)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)
