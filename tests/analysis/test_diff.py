"""`trustgraph diff`: what a change does to trust (analysis/diff.py), its JSON contract, its Markdown and its
picture, and the gates (--fail-on, --fail-on-outside, --fail-on-reachers, with --baseline/--suppressions)."""

from __future__ import annotations

import json
import re
import shutil
import xml.dom.minidom
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.builders import A, Account, B, Org, allow, identity, load, trust
from tests.graph.test_trust_classes import ORG, org_wide
from trustgraph.analysis.diff import ADDED, CHANGED, REMOVED, GraphDiff, diff_sides, side_from_snapshot
from trustgraph.cli import main

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "samples" / "acme"
HOSTILE = Path(__file__).resolve().parents[1] / "hostile" / "markup_and_controls.json"
OUTSIDER = "777777777777"
CONTROLS = ("\x1b", "\x00", "\x07", "\x9b")
ADMIN = identity(allow("*", "*"))
ASSUME_ANY = identity(allow("sts:AssumeRole", "*"))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def two_accounts(*, deployer_trusts: Any = None, admin_trusts: Any = None, extra: bool = False,
                 vendor_condition: dict[str, Any] | None = None) -> list[object]:
    """Account A (Deployer, Admin, a vendor role) and account B (a CI role that may assume anything)."""
    org = Org(ORG)
    org.account(A)
    org.account(B)
    a, b = Account(A), Account(B)
    b.role("CI", trust(b.root), policies={"ci": ASSUME_ANY})
    a.role("Deployer", trust(deployer_trusts or b.arn("role", "CI")), policies={"ci": ASSUME_ANY})
    a.role("Admin", trust(admin_trusts or a.arn("role", "Deployer")), policies={"admin": ADMIN})
    a.role("Vendor", trust(f"arn:aws:iam::{OUTSIDER}:root", condition=vendor_condition))
    if extra:
        a.role("Reader", trust(b.arn("role", "CI")))
    return [a, b, org]


def compare(old: list[object], new: list[object]) -> GraphDiff:
    return diff_sides(side_from_snapshot(load(*old)[0]), side_from_snapshot(load(*new)[0]))


def write(tmp: Path, name: str, pieces: list[object]) -> Path:
    folder = tmp / name
    folder.mkdir()
    for i, piece in enumerate(pieces):
        value = piece.gaad() if isinstance(piece, Account) else piece.to_dict()  # type: ignore[attr-defined]
        (folder / f"{i}.json").write_text(json.dumps(value), encoding="utf-8")
    return folder


EXTERNAL_ID = {"StringEquals": {"sts:ExternalId": "x-123"}}


# -- the relation --------------------------------------------------------------------------------------


def test_diff_same_data_is_empty() -> None:
    assert compare(two_accounts(vendor_condition=EXTERNAL_ID), two_accounts(vendor_condition=EXTERNAL_ID)).empty


def test_diff_edge_added() -> None:
    # The new role's trust names CI; account A's administrator (Admin: *:*) reaches it too, through admin:A.
    diff = compare(two_accounts(), two_accounts(extra=True))
    added = [t for t in diff.trust if t.change == ADDED]
    assert [(t.role.rsplit("/", 1)[-1], t.callers, t.via) for t in added] == \
        [("Reader", (f"arn:aws:iam::{B}:role/CI",), None),
         ("Reader", (f"arn:aws:iam::{A}:role/Admin",), f"admin of account {A}")]
    assert added[0].old is None and added[0].new is not None
    assert added[1].new is not None and added[1].new.kind == "iam"
    assert not [t for t in diff.trust if t.change != ADDED]


def test_diff_edge_removed() -> None:
    diff = compare(two_accounts(extra=True), two_accounts())
    assert [(t.change, t.role.rsplit("/", 1)[-1], t.via) for t in diff.trust] == \
        [(REMOVED, "Reader", None), (REMOVED, "Reader", f"admin of account {A}")]


def test_diff_principal_that_becomes_account_administrator_reaches_the_accounts_roles() -> None:
    # Becoming admin is an `iam` edge into admin:A (a hub entry, no hop), not a member edge: the relation goes on
    # from the admin node to every role of the account.
    def pieces(admin: bool) -> list[object]:
        a = Account(A)
        a.role("Ops", trust(a.arn("role", "Ops")))
        a.role("Billing", trust(a.arn("role", "Ops")))
        a.user("dana", policies={"self": identity(allow("iam:AttachUserPolicy", a.arn("user", "dana")))}
               if admin else {"read": identity(allow("s3:GetObject", "*"))})
        return [a]

    dana = f"arn:aws:iam::{A}:user/dana"
    diff = compare(pieces(admin=False), pieces(admin=True))
    gained = sorted((t.role.rsplit("/", 1)[-1], t.via) for t in diff.trust
                    if t.change == ADDED and dana in t.callers and ":role/" in t.role)
    assert gained == [("Billing", f"admin of account {A}"), ("Ops", f"admin of account {A}")]
    assert all(t.new is not None and t.new.kind == "iam" for t in diff.trust if dana in t.callers)
    assert not [t for t in diff.trust if t.change != ADDED]
    lost = compare(pieces(admin=True), pieces(admin=False))
    assert {t.role.rsplit("/", 1)[-1] for t in lost.trust if t.change == REMOVED and ":role/" in t.role} == \
        {"Billing", "Ops"}


def test_diff_edge_changed_conditions() -> None:
    diff = compare(two_accounts(vendor_condition=EXTERNAL_ID), two_accounts())
    (change,) = diff.trust
    assert change.change == CHANGED and change.role.endswith("role/Vendor")
    assert change.fields == ("conditional", "conditions")
    assert change.old is not None and change.old.conditions == ("sts:ExternalId",)
    assert change.new is not None and not change.new.conditional


SERVICE_ONLY = {"Service": "ec2.amazonaws.com"}


def test_diff_new_reacher_of_sensitive_role() -> None:
    # Admin (admin-equivalent) trusted only EC2; now it trusts Deployer, and through it B's CI role.
    before, after = two_accounts(admin_trusts=SERVICE_ONLY), two_accounts()
    diff = compare(before, after)
    new_reachers = [r for r in diff.reachers if r.change == "new"]
    assert {(r.role.rsplit("/", 1)[-1], r.principal, r.hops) for r in new_reachers} == {
        ("Admin", f"arn:aws:iam::{A}:role/Deployer", 1), ("Admin", f"arn:aws:iam::{B}:role/CI", 2)}
    assert diff.sensitive_checked == [f"arn:aws:iam::{A}:role/Admin"]
    back = compare(after, before)
    assert {(r.change, r.principal) for r in back.reachers} == {
        ("lost", f"arn:aws:iam::{A}:role/Deployer"), ("lost", f"arn:aws:iam::{B}:role/CI"),
        ("new", "ec2.amazonaws.com")}


def test_diff_reacher_of_sensitive_role_now_unconditional() -> None:
    # Admin trusted Deployer only with MFA; the change drops the condition: Deployer (and B's CI through it)
    # reached Admin before, but now without MFA — reported as "unconditional", not as new.
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}

    def with_admin_trust(condition: dict[str, Any] | None) -> list[object]:
        pieces = two_accounts()
        pieces[0].role("Admin", trust(pieces[0].arn("role", "Deployer"), condition=condition),  # type: ignore[attr-defined]
                       policies={"admin": ADMIN})
        return pieces

    diff = compare(with_admin_trust(mfa), with_admin_trust(None))
    firm = {(r.change, r.principal) for r in diff.reachers}
    assert (("unconditional", f"arn:aws:iam::{A}:role/Deployer") in firm
            and all(change == "unconditional" for change, _ in firm))
    # The control: the other way round the reach only gains a condition, which is no new exposure.
    assert not [r for r in compare(with_admin_trust(None), with_admin_trust(mfa)).reachers
                if r.change == "unconditional"]


def test_diff_new_reacher_of_sensitive_role_negative_control() -> None:
    # A change that touches no sensitive role (nor anything upstream of one) compares no reachers.
    diff = compare(two_accounts(), two_accounts(extra=True))
    assert diff.trust and not diff.reachers and diff.sensitive_checked == []


def test_diff_new_outside_trust() -> None:
    old = two_accounts()
    new = two_accounts(deployer_trusts=[f"arn:aws:iam::{B}:role/CI", f"arn:aws:iam::{OUTSIDER}:root"])
    diff = compare(old, new)
    assert [(o.role.rsplit("/", 1)[-1], o.caller, o.classification) for o in diff.outside] == \
        [("Deployer", f"arn:aws:iam::{OUTSIDER}:root", "external-unknown")]


def test_diff_new_outside_trust_negative_control() -> None:
    # New trust from inside the organization is a trust change, never outside trust.
    diff = compare(two_accounts(), two_accounts(extra=True))
    assert diff.trust and diff.outside == []


def test_diff_caller_now_outside_the_organization() -> None:
    # Account B leaves the organization: its CI role's existing trust into A is now trust from outside.
    before = two_accounts()
    after = two_accounts()
    org = after[-1]
    assert isinstance(org, Org)
    org.accounts = [a for a in org.accounts if a["id"] != B]
    diff = compare(before, after)
    assert [(o.caller, o.change, o.classification) for o in diff.outside] == \
        [(f"arn:aws:iam::{B}:role/CI", "now-outside", "external-unknown")]
    (change,) = [t for t in diff.trust if t.callers == (f"arn:aws:iam::{B}:role/CI",)]
    assert change.change == CHANGED and change.fields == ("classification",)


def test_diff_finding_introduced_and_resolved() -> None:
    diff = compare(two_accounts(vendor_condition=EXTERNAL_ID), two_accounts())
    # Dropping the ExternalId makes the unknown-account trust worse: same fingerprint, higher severity.
    assert [(a.rule, a.severity.value, b.severity.value) for a, b in diff.findings_escalated] == \
        [("TG302", "low", "high")]
    assert not diff.findings_introduced
    reverse = compare(two_accounts(), two_accounts(vendor_condition=EXTERNAL_ID))
    assert not reverse.findings_escalated  # de-escalation is no escalation
    gone = compare(two_accounts(), two_accounts(extra=True))
    outsider = compare(two_accounts(extra=True),
                       two_accounts(extra=True, deployer_trusts=f"arn:aws:iam::{OUTSIDER}:root"))
    assert any(f.rule == "TG302" and f.principal == f"arn:aws:iam::{OUTSIDER}:root"
               for f in outsider.findings_introduced)
    back = compare(two_accounts(extra=True, deployer_trusts=f"arn:aws:iam::{OUTSIDER}:root"),
                   two_accounts(extra=True))
    assert {f.fingerprint for f in back.findings_resolved} >= \
        {f.fingerprint for f in outsider.findings_introduced if f.rule == "TG302"}
    assert not gone.findings_introduced and not gone.findings_resolved


def test_diff_findings_matched_by_fingerprint_not_message() -> None:
    old = side_from_snapshot(load(*two_accounts())[0])
    new = side_from_snapshot(load(*two_accounts())[0])
    for f in new.findings:
        f.message += " (reworded)"
    assert not diff_sides(old, new).findings_introduced
    new.findings[0].principal = "arn:aws:iam::999999999999:root"
    assert len(diff_sides(old, new).findings_introduced) == 1


def test_diff_org_wide_class_change_reported_once() -> None:
    old, new = org_wide(6), org_wide(6)
    first = new[0]
    assert isinstance(first, Account)
    first.role("Extra", trust("*", condition={"StringEquals": {"aws:PrincipalOrgID": ORG}}))
    diff = compare(old, new)
    hubbed = [t for t in diff.trust if t.via is not None]
    assert len(hubbed) == 1, hubbed
    (change,) = hubbed
    assert change.change == ADDED and change.role.endswith("role/Extra")
    assert change.via == f"org-wide trust aws:PrincipalOrgID StringEquals {ORG}"
    assert len(change.callers) == 5  # the admins of the five other accounts
    # Its own account's principals need no class (the trust alone suffices): direct edges, changed alike,
    # so one change too.
    direct = [t for t in diff.trust if t.via is None and t.role.endswith("role/Extra")]
    assert [len(t.callers) for t in direct] == [5]
    # The same organization built twice: hubs renumbered or not, no change.
    assert compare(org_wide(6), org_wide(6)).empty
    # The picture draws the class change as one edge from one node standing for its members.
    from trustgraph.graph.build import build_graph
    from trustgraph.render.diff import change_graph
    picture = change_graph(diff, build_graph(load(*old)[0]), build_graph(load(*new)[0]))
    classes = [n for n, d in picture.nodes(data=True) if d.get("kind") == "class"]
    assert len(classes) == 1 and picture.nodes[classes[0]]["members"] == 5
    assert list(picture.successors(classes[0])) == [change.role]


def test_diff_org_wide_pairs_are_looked_at_only_where_roles_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the square of the organization: identical builds look at no caller → role pair one by one, and a
    new org-wide role only at the pairs it adds."""
    from trustgraph.analysis import diff as diff_module
    from trustgraph.graph.build import build_graph

    calls: list[tuple[str, str]] = []
    effective = diff_module._Relation.effective

    def counted(self: object, caller: str, role: str) -> object:
        calls.append((caller, role))
        return effective(self, caller, role)  # type: ignore[arg-type]

    monkeypatch.setattr(diff_module._Relation, "effective", counted)
    n = 12
    same = build_graph(load(*org_wide(n))[0])
    assert diff_module.trust_changes(same, build_graph(load(*org_wide(n))[0])) == []
    assert calls == []
    new = org_wide(n)
    first = new[0]
    assert isinstance(first, Account)
    first.role("Extra", trust("*", condition={"StringEquals": {"aws:PrincipalOrgID": ORG}}))
    changes = diff_module.trust_changes(same, build_graph(load(*new)[0]))
    pairs = sum(len(t.callers) for t in changes)
    assert len(set(calls)) == pairs  # every pair looked at is a reported change
    assert {role for _, role in calls} <= {first.arn("role", "Extra"), first.arn("role", "DataPerimeter")}


def test_diff_org_wide_new_member_gains_every_class_role_in_one_change_per_role() -> None:
    old, new = org_wide(4), org_wide(4)
    first = new[0]
    assert isinstance(first, Account)
    first.role("Admin2", trust(first.root), policies={"admin": ASSUME_ANY})
    diff = compare(old, new)
    gained = [t for t in diff.trust if t.via is not None and t.callers == (first.arn("role", "Admin2"),)]
    # Admin2 joins its account hub and the org-wide class: one change per role reached through a hub.
    assert gained and all(t.change == ADDED for t in gained)
    assert len({t.role for t in gained}) == len(gained)


# -- CLI: formats, picture, gates -------------------------------------------------------------------------


@pytest.fixture()
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return (write(tmp_path, "old", two_accounts(vendor_condition=EXTERNAL_ID)),
            write(tmp_path, "new", two_accounts(deployer_trusts=[f"arn:aws:iam::{B}:role/CI",
                                                                 f"arn:aws:iam::{OUTSIDER}:root"])))


def test_diff_json_contract(pair: tuple[Path, Path]) -> None:
    code, out, err = run("diff", str(pair[0]), str(pair[1]), "-q", "--no-cache", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "trustgraph/diff/v1"
    assert set(doc) >= {"tool", "old", "new", "summary", "trust", "outside", "sensitive_roles", "reachers",
                        "findings"}
    assert doc["old"]["inputs"] == [str(pair[0])] and doc["new"]["inputs"] == [str(pair[1])]
    assert set(doc["summary"]) >= {"trust_added", "trust_changed", "trust_removed", "outside_trust_new",
                                   "sensitive_reachers_new", "findings_introduced", "findings_resolved"}
    row = doc["trust"][0]
    assert set(row) == {"change", "role", "via", "caller_count", "callers", "old", "new", "fields"}
    assert set(doc["findings"]) == {"introduced", "resolved", "escalated"}
    introduced = doc["findings"]["introduced"][0]
    assert {"rule", "severity", "role", "principal", "fingerprint", "suppression", "in_baseline"} <= set(introduced)
    assert doc["outside"][0]["caller"] == f"arn:aws:iam::{OUTSIDER}:root"
    assert "gate" not in doc
    code, fmt_out, _ = run("diff", str(pair[0]), str(pair[1]), "-q", "--format", "json")
    assert json.loads(fmt_out)["summary"] == doc["summary"]


def test_diff_fail_on_exit_codes(pair: tuple[Path, Path]) -> None:
    old, new = map(str, pair)
    assert run("diff", old, new, "-q")[0] == 0
    code, _, err = run("diff", old, new, "-q", "--fail-on", "high")
    assert code == 1 and "--fail-on high" in err
    assert run("diff", old, old, "-q", "--fail-on", "info")[0] == 0  # nothing introduced
    assert run("diff", old, new, "-q", "--fail-on-outside")[0] == 1
    assert run("diff", old, old, "-q", "--fail-on-outside")[0] == 0
    assert run("diff", old, "-q")[0] == 2  # one side only
    assert run("diff", old, str(Path(old).parent / "missing"), "-q")[0] == 2
    assert run("diff", old, new, "-q", "--fail-on", "severe")[0] == 2


def test_diff_fail_on_reachers(tmp_path: Path) -> None:
    old = write(tmp_path, "old", two_accounts(admin_trusts=SERVICE_ONLY))
    new = write(tmp_path, "new", two_accounts())
    code, _, err = run("diff", str(old), str(new), "-q", "--fail-on-reachers")
    assert code == 1 and "sensitive" in err
    both = write(tmp_path, "both", two_accounts(admin_trusts={"AWS": f"arn:aws:iam::{A}:role/Deployer",
                                                              **SERVICE_ONLY}))
    assert run("diff", str(both), str(old), "-q", "--fail-on-reachers")[0] == 0  # only lost reachers


def test_diff_baseline_and_suppressions_apply(pair: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = map(str, pair)
    code, base, _ = run("findings", "-i", new, "-q", "--format", "json")
    (tmp_path / "base.json").write_text(base, encoding="utf-8")
    assert run("diff", old, new, "-q", "--fail-on", "high")[0] == 1
    assert run("diff", old, new, "-q", "--fail-on", "high", "--baseline", str(tmp_path / "base.json"))[0] == 0
    sup = tmp_path / "sup.yaml"
    sup.write_text(f"- rule: TG302\n  subject: 'arn:aws:iam::{A}:role/*'\n  reason: vendor under contract\n"
                   f"- rule: TG401\n  subject: 'arn:aws:iam::{A}:role/Admin'\n  reason: break-glass path\n"
                   "  expires: 2999-12-31\n", encoding="utf-8")
    code, out, err = run("diff", old, new, "-q", "--fail-on", "high", "--suppressions", str(sup), "--json")
    assert code == 0, err
    doc = json.loads(out)
    suppressed = [f for f in doc["findings"]["introduced"] if f["suppression"]]
    assert suppressed and suppressed[0]["suppression"]["reason"] == "vendor under contract"
    assert doc["gate"]["suppressed"] >= 1 and doc["gate"]["tripped"] is False


def test_diff_saved_graph_as_a_side(pair: tuple[Path, Path], tmp_path: Path) -> None:
    saved = tmp_path / "old.sqlite"
    assert run("build", "-i", str(pair[0]), "-o", str(saved), "-q", "--no-cache")[0] == 0
    code, out, err = run("diff", str(saved), str(pair[0]), "-q", "--json")
    assert code == 0, err
    assert json.loads(out)["summary"]["trust_changes"] == 0
    # Two saved graphs are not one side; a saved graph with files read over it is (tests/analysis/test_diff_iac.py).
    assert run("diff", "--old", str(saved), "--old", str(saved), "--new", str(pair[1]), "-q")[0] == 2


def test_diff_several_paths_per_side(tmp_path: Path) -> None:
    pieces = two_accounts()
    old = write(tmp_path, "old", pieces)
    files = sorted(old.iterdir())
    code, out, err = run("diff", "--old", str(files[0]), "--old", str(files[1]), "--old", str(files[2]),
                         "--new", str(old), "-q", "--json")
    assert code == 0, err
    assert json.loads(out)["summary"]["trust_changes"] == 0


def test_diff_picture_generated(pair: tuple[Path, Path], tmp_path: Path) -> None:
    svg = tmp_path / "diff.svg"
    code, _, err = run("diff", str(pair[0]), str(pair[1]), "-q", "-o", str(svg))
    assert code == 0, err
    text = svg.read_text(encoding="utf-8")
    xml.dom.minidom.parseString(text)
    assert "Deployer" in text and "Vendor" in text
    assert "#188038" in text and "#e37400" in text  # an added and a changed edge, in their colours
    assert "Reader" not in text  # only what changed
    dot = tmp_path / "diff.dot"
    assert run("diff", str(pair[0]), str(pair[1]), "-q", "-o", str(dot))[0] == 0
    assert "#d93025" not in dot.read_text(encoding="utf-8")  # nothing removed


def test_diff_markdown_is_short_and_capped(tmp_path: Path) -> None:
    old_pieces, new_pieces = two_accounts(), two_accounts()
    extra = new_pieces[0]
    assert isinstance(extra, Account)
    for i in range(14):
        extra.role(f"Reader{i}", trust(f"arn:aws:iam::{B}:role/CI"))
    old, new = write(tmp_path, "old", old_pieces), write(tmp_path, "new", new_pieces)
    code, out, err = run("diff", str(old), str(new), "-q", "--format", "markdown")
    assert code == 0, err
    # each new role: CI by its trust, Admin as account A's administrator
    assert out.startswith("### trustgraph diff\n\n28 trust changes (28 added)")
    assert "… and 18 more" in out
    assert out.count("| added |") == 10


# -- hostile names --------------------------------------------------------------------------------------


@pytest.fixture()
def hostile_pair(tmp_path: Path) -> tuple[Path, Path]:
    data = json.loads(HOSTILE.read_text(encoding="utf-8"))
    new = tmp_path / "new.json"
    shutil.copyfile(HOSTILE, new)
    data["RoleDetailList"] = [r for r in data["RoleDetailList"] if not r["RoleName"].startswith("Ops")]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data), encoding="utf-8")
    return old, new


def test_diff_markdown_escapes_hostile_names(hostile_pair: tuple[Path, Path]) -> None:
    code, out, err = run("diff", str(hostile_pair[0]), str(hostile_pair[1]), "-q", "--format", "markdown")
    assert code == 0, err
    assert not any(c in out for c in CONTROLS)
    assert "\\x1b]8;;http://x" in out  # the link escape shown, visibly
    assert "Ops[/]Admin" in out  # inside a code span, where brackets need no escape
    for line in out.splitlines():
        if line.startswith("| added"):
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) == 7, line  # no data `|` splits a cell


def test_diff_terminal_and_picture_escape_hostile_names(hostile_pair: tuple[Path, Path], tmp_path: Path) -> None:
    svg = tmp_path / "diff.svg"
    code, out, err = run("diff", str(hostile_pair[0]), str(hostile_pair[1]), "-q", "-o", str(svg))
    assert code == 0, err
    for text in (out, err):
        assert not any(c in text for c in CONTROLS), repr(text)
    assert "]Admin" in out
    xml.dom.minidom.parseString(svg.read_text(encoding="utf-8"))


# -- docs/change-control.md --------------------------------------------------------------------------------


def acme_pr(target: Path) -> Path:
    """samples/acme with docs/change-control.md's pull request applied: the security account's
    OrganizationAccountAccessRole added to ProdAdmin's trust, and the sts:ExternalId condition dropped from
    DatadogIntegration's."""
    shutil.copytree(ACME, target)
    prod = target / "444444444444-acme-prod.json"
    data = json.loads(prod.read_text(encoding="utf-8"))
    for role in data["RoleDetailList"]:
        if role["RoleName"] == "ProdAdmin":
            statement = role["AssumeRolePolicyDocument"]["Statement"][0]
            statement["Principal"]["AWS"] = [statement["Principal"]["AWS"],
                                             "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"]
        if role["RoleName"] == "DatadogIntegration":
            del role["AssumeRolePolicyDocument"]["Statement"]["Condition"]
    prod.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return target


def test_change_control_example_is_the_real_output(tmp_path: Path) -> None:
    readme = (ROOT / "docs" / "change-control.md").read_text(encoding="utf-8")
    start = readme.index("### trustgraph diff\n\n")
    shown = readme[start:readme.index("```", start)]
    new = acme_pr(tmp_path / "acme-pr")
    known = str(ROOT / "samples" / "known-accounts.yaml")
    code, out, err = run("diff", str(ACME), str(new), "--known-accounts", known, "--format", "markdown", "-q",
                         "--no-cache")
    assert code == 0, err
    assert shown == out
    # … and `--fail-on high` trips on it, as docs/change-control.md says.
    code, _, err = run("diff", str(ACME), str(new), "--known-accounts", known, "-q", "--fail-on", "high")
    assert code == 1 and "1 new or escalated finding(s)" in err


# -- missing data ------------------------------------------------------------------------------------------------


def test_diff_account_missing_on_a_side_is_not_in_the_data_not_removed() -> None:
    from dataclasses import replace

    from trustgraph.analysis.diff import Incomplete

    old = side_from_snapshot(load(*two_accounts())[0])
    a, b, org = two_accounts()
    new = side_from_snapshot(load(a, org)[0])  # B's data is gone: a collection that failed to read it
    assert compare(two_accounts(), [a, org]).count(REMOVED)  # read as change when nothing says B is missing
    new = replace(new, incomplete=Incomplete(accounts=(B,), partial=(f"account {B} was failed by the collection",)))
    diff = diff_sides(old, new)
    assert diff.count(REMOVED) == 0 and not diff.findings_resolved and not any(
        r.change == "lost" for r in diff.reachers)
    assert diff.not_in_data.accounts == [B] and diff.not_in_data.trust
    assert all(f":{B}:" in t.role or all(f":{B}:" in c for c in t.callers) for t in diff.not_in_data.trust)


# -- every edge kind, through every hub ------------------------------------------------------------------------

HUB_IDS = re.compile(r"\b(?:admin|policies|passrole|code|class):\d{12}|\bpolicies:|\bcode:\d")


def _hand_graph(edges: list[tuple[str, str, dict[str, Any]]]) -> Any:
    """A graph of one account: user u, role r, and the hubs the edges name (kind from the id's prefix)."""
    import networkx as nx

    from trustgraph.graph.schema import NodeKind

    g = nx.DiGraph()
    g.add_node("u", kind=NodeKind.USER.value, account=A, in_data=True)
    g.add_node("r", kind=NodeKind.ROLE.value, account=A, in_data=True)
    hubs = {"policies": NodeKind.POLICY_GROUP, "admin": NodeKind.ACCOUNT_ADMIN, "code": NodeKind.CODE_RUNNER,
            "passrole": NodeKind.PASSROLE_RUNNER}
    for src, dst, data in edges:
        for node in (src, dst):
            if node not in g:
                g.add_node(node, kind=hubs[node.split(":")[0]].value, hub=True, account=node.split(":")[1],
                           label=node.split(":")[0])
        g.add_edge(src, dst, **{"conditional": False, "conditions": [], "evidence": [], **data})
    return g


def _kinds() -> list[str]:
    from trustgraph.graph.schema import EdgeKind

    return [k.value for k in EdgeKind]


@pytest.mark.parametrize("kind", _kinds())
def test_diff_compares_every_edge_kind(kind: str) -> None:
    from trustgraph.analysis.diff import Side
    from trustgraph.graph.schema import edge_spec

    if edge_spec(kind).via is None:  # membership: into a hub, whose edge goes on to the role
        edges = [("u", f"policies:{A}:1", {"kind": kind}), (f"policies:{A}:1", "r", {"kind": "iam"})]
        expected = "iam"
    else:
        edges = [("u", "r", {"kind": kind})]
        expected = kind
    diff = diff_sides(Side(_hand_graph([])), Side(_hand_graph(edges)))
    assert [(t.change, t.role, t.callers, t.new.kind if t.new else None) for t in diff.trust] == \
        [(ADDED, "r", ("u",), expected)]
    # The negative control: the same edges on both sides are no change.
    assert diff_sides(Side(_hand_graph(edges)), Side(_hand_graph(edges))).empty


@pytest.mark.parametrize("kind", [k for k in _kinds() if k not in ("member", "group-member")])
def test_diff_compares_every_edge_kind_through_a_chain_of_hubs(kind: str) -> None:
    # u is a member of a policy group that enters account A's admin node, which enters account B's: the edge out
    # of the last hub is u's, said of u and r, never of a hub.
    from trustgraph.analysis.diff import Side

    chain = [("u", f"policies:{A}:1", {"kind": "member"}),
             (f"policies:{A}:1", f"admin:{A}", {"kind": "iam", "hub_entry": True}),
             (f"admin:{A}", f"admin:{B}", {"kind": "iam", "hub_entry": True, "conditional": True,
                                           "conditions": ["trustgraph:ControlsIdentityCenterUser"]})]
    into_role = (f"admin:{B}", "r", {"kind": kind})
    diff = diff_sides(Side(_hand_graph(chain)), Side(_hand_graph([*chain, into_role])))
    (change,) = diff.trust
    assert (change.change, change.role, change.callers, change.via) == (ADDED, "r", ("u",), f"admin of account {B}")
    assert change.new is not None and change.new.kind == kind
    assert change.new.conditions == ("trustgraph:ControlsIdentityCenterUser",)
    # The negative control: without the chain's first step, u is in no hub and gains nothing.
    assert diff_sides(Side(_hand_graph(chain[1:])), Side(_hand_graph([*chain[1:], into_role]))).empty


def _policy_group_world(policy: dict[str, Any], *, lambda_roles: int = 1) -> list[object]:
    """Two users of A with the same policies (one policy-group node), roles trusting Lambda, one other user."""
    a = Account(A)
    for i in range(lambda_roles):
        a.role(f"Function{i}", trust({"Service": "lambda.amazonaws.com"}))
    a.user("d1", policies={"p": policy})
    a.user("d2", policies={"p": policy})
    a.user("bystander", policies={"read": identity(allow("s3:GetObject", "*"))})
    return [a]


READ = identity(allow("s3:GetObject", "*"))
D1, D2, BYSTANDER = (f"arn:aws:iam::{A}:user/{n}" for n in ("d1", "d2", "bystander"))


def _no_hub_named(diff: GraphDiff) -> None:
    for t in diff.trust:
        for name in (t.role, *t.callers):
            assert not HUB_IDS.search(name), t


def test_diff_code_runner_entered_through_a_policy_group_is_said_of_the_role_and_the_principals() -> None:
    before = load(*_policy_group_world(READ))[0]
    after = load(*_policy_group_world(identity(allow("lambda:UpdateFunctionCode", "*"))))[0]
    new_side = side_from_snapshot(after)
    assert f"code:{A}:lambda:UpdateFunctionCode" in new_side.graph  # the hub the change goes through
    assert any(n.startswith(f"policies:{A}:") for n in new_side.graph)
    diff = diff_sides(side_from_snapshot(before), new_side)
    (change,) = [t for t in diff.trust if t.new is not None and t.new.kind == "code"]
    assert (change.change, change.role, change.callers) == (ADDED, f"arn:aws:iam::{A}:role/Function0", (D1, D2))
    assert change.via == f"code of any lambda-function (lambda:UpdateFunctionCode) in account {A}"
    assert not [t for t in diff.trust if BYSTANDER in t.callers]  # the negative control: nothing changed for it
    _no_hub_named(diff)


def test_diff_passrole_runner_entered_through_a_policy_group_is_said_of_each_role() -> None:
    passing = identity(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "*"))
    diff = compare(_policy_group_world(READ, lambda_roles=2), _policy_group_world(passing, lambda_roles=2))
    rows = sorted((t.role.rsplit("/", 1)[-1], t.callers) for t in diff.trust if t.new and t.new.kind == "passrole")
    assert rows == [("Function0", (D1, D2)), ("Function1", (D1, D2))]
    assert not [t for t in diff.trust if BYSTANDER in t.callers]
    _no_hub_named(diff)
    assert compare(_policy_group_world(passing, lambda_roles=2), _policy_group_world(passing, lambda_roles=2)).empty


def _sso_admins(policy: dict[str, Any]) -> Any:
    """Two users of the management account sharing a policy group that may assign an administrator permission set
    in accounts A and B (the group enters admin:A and admin:B, not the users)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "semantics"))
    from test_semantics_8_identity_center_admins import world  # type: ignore[import-not-found]

    from trustgraph.analysis.diff import Side

    graph, _ = world({"ops1": policy, "ops2": policy})
    return Side(graph)


def test_diff_principal_that_becomes_administrator_through_its_policy_group_is_reported() -> None:
    from tests.builders import MGMT

    assign = identity(allow("sso:CreateAccountAssignment", "*"))
    before, after = _sso_admins(READ), _sso_admins(assign)
    ops = (f"arn:aws:iam::{MGMT}:user/ops1", f"arn:aws:iam::{MGMT}:user/ops2")
    group = next(n for n in after.graph.successors(ops[0]) if n.startswith(f"policies:{MGMT}:"))
    assert after.graph.has_edge(group, f"admin:{A}") and not after.graph.has_edge(ops[0], f"admin:{A}")
    diff = diff_sides(before, after)
    target = f"arn:aws:iam::{A}:role/Target"
    (change,) = [t for t in diff.trust if t.role == target]
    assert (change.change, change.callers, change.via) == (ADDED, ops, f"admin of account {A}")
    assert change.new is not None and change.new.kind == "iam" and change.new.conditional
    assert {t.via for t in diff.trust} >= {f"admin of account {A}", f"admin of account {B}"}
    _no_hub_named(diff)
    # The negative control: the same grants on both sides are no change; taking them away is a removal.
    assert diff_sides(after, _sso_admins(assign)).empty
    lost = diff_sides(after, before)
    assert [t.change for t in lost.trust if t.role == target] == [REMOVED]


def test_diff_tables_name_principals_never_hub_ids(tmp_path: Path) -> None:
    old = write(tmp_path, "old", _policy_group_world(READ))
    new = write(tmp_path, "new", _policy_group_world(identity(allow("lambda:UpdateFunctionCode", "*"))))
    code, out, err = run("diff", str(old), str(new), "-q", "--no-cache", "--json")
    assert code == 0, err
    doc = json.loads(out)
    rows = [r for r in doc["trust"] if r["new"] and r["new"]["kind"] == "code"]
    assert [(r["role"], r["callers"]) for r in rows] == [(f"arn:aws:iam::{A}:role/Function0", [D1, D2])]
    assert set(rows[0]) >= {"change", "role", "via", "caller_count", "callers", "old", "new", "fields"}
    assert not HUB_IDS.search(json.dumps(doc["trust"])) and not HUB_IDS.search(json.dumps(doc["reachers"]))
    code, text, err = run("diff", str(old), str(new), "-q", "--no-cache")
    assert code == 0, err
    assert "Function0" in text and "d1" in text  # the positive control: the change is in the table
    assert not HUB_IDS.search(text)


SAMPLES = Path(__file__).resolve().parents[2] / "samples"
ALICE_READER = ("arn:aws:iam::222222222222:user/alice", "arn:aws:iam::222222222222:role/security/OrgWideAuditReader")


def _usage_side(tmp: Path, name: str, events: str | None, accounts: tuple[str, ...] = ()) -> Any:
    """acme with the sample's CloudTrail events, or with quiet events (no role assumption) covering `accounts`."""
    from trustgraph.sources.files import load_inputs

    inputs = [str(SAMPLES / "acme")]
    if events is not None:
        inputs.append(events)
    elif accounts:
        quiet = tmp / name
        quiet.mkdir()
        (quiet / "quiet.jsonl").write_text("".join(json.dumps(
            {"eventVersion": "1.08", "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
             "eventTime": "2025-06-30T10:00:00Z", "recipientAccountId": a}) + "\n" for a in accounts))
        inputs.append(str(quiet))
    return side_from_snapshot(load_inputs(inputs)[0])


def test_diff_usage_trust_now_used_and_now_unused(tmp_path: Path) -> None:
    from trustgraph.report.diff_doc import diff_document

    used = _usage_side(tmp_path, "used", str(SAMPLES / "acme-cloudtrail"))
    quiet = _usage_side(tmp_path, "quiet", None, ("222222222222", "333333333333", "444444444444"))
    lost = {(u.caller, u.role): u for u in diff_sides(used, quiet).usage}
    assert lost[ALICE_READER].change == "now-unused" and lost[ALICE_READER].count == 3
    gained = {(u.caller, u.role): u for u in diff_sides(quiet, used).usage}
    assert gained[ALICE_READER].change == "now-used" and set(gained) == set(lost)
    doc = diff_document(diff_sides(quiet, used))
    assert doc["summary"]["trust_now_used"] == len(gained) and doc["summary"]["trust_now_unused"] == 0
    assert {"role", "caller", "change", "first", "last", "count"} == set(doc["usage"][0])
    # negative control: the same events on both sides change no use
    assert diff_sides(used, used).usage == []


def test_diff_usage_needs_events_on_both_sides_covering_the_trust(tmp_path: Path) -> None:
    used = _usage_side(tmp_path, "used", str(SAMPLES / "acme-cloudtrail"))
    # a side without events says nothing about use: not "now unused"
    assert diff_sides(used, _usage_side(tmp_path, "none", None)).usage == []
    # events that cover other accounts only: alice's use of the reader in 222222222222 is unknown, not unused
    elsewhere = _usage_side(tmp_path, "elsewhere", None, ("444444444444",))
    assert ALICE_READER not in {(u.caller, u.role) for u in diff_sides(used, elsewhere).usage}
    covering = _usage_side(tmp_path, "covering", None, ("222222222222",))
    assert ALICE_READER in {(u.caller, u.role) for u in diff_sides(used, covering).usage}
