"""`trustgraph diff` with infrastructure as code on a side: a live snapshot overlaid with a Terraform plan (the plan's
roles replace the snapshot's of the same ARN, its deletions remove them), the one-argument `--plan` form (the state
a plan starts from against the state it leaves), two CloudFormation templates with parameters, and the commands of
docs/ci.md and docs/change-control.md's plan example, run as written."""

from __future__ import annotations

import copy
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.analysis.test_diff import OUTSIDER, two_accounts, write
from tests.builders import A, Account, B
from trustgraph.cli import main
from trustgraph.model import Snapshot
from trustgraph.sources.files import load_inputs
from trustgraph.sources.iac import IacOptions

ROOT = Path(__file__).resolve().parents[2]
IAC = Path(__file__).resolve().parents[1] / "iac"
DEPLOYER = f"arn:aws:iam::{A}:role/Deployer"
VENDOR = f"arn:aws:iam::{A}:role/Vendor"
CI = f"arn:aws:iam::{B}:role/CI"
ADMIN = f"arn:aws:iam::{A}:role/Admin"  # administrator of account A: it reaches every role there through admin:A
CONTRACTOR = "210987654321"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def diff_json(*args: str) -> dict[str, Any]:
    code, out, err = run("diff", *args, "-q", "--no-cache", "--json")
    assert code == 0, err
    return json.loads(out)


def rows(doc: dict[str, Any]) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(t["change"], t["role"], tuple(t["callers"])) for t in doc["trust"]}


# -- a Terraform plan over the roles of the live snapshot --------------------------------------------------


def _tf_values(entry: dict[str, Any], *, arn_known: bool = True) -> dict[str, Any]:
    """An `aws_iam_role` as the plan states it, from the role's entry in an account export."""
    values: dict[str, Any] = {
        "name": entry["RoleName"], "path": entry["Path"],
        "assume_role_policy": json.dumps(entry["AssumeRolePolicyDocument"]),
        "inline_policy": [{"name": p["PolicyName"], "policy": json.dumps(p["PolicyDocument"])}
                          for p in entry["RolePolicyList"]],
        "managed_policy_arns": [p["PolicyArn"] for p in entry["AttachedManagedPolicies"]],
        "tags_all": {t["Key"]: t["Value"] for t in entry["Tags"]},
    }
    if arn_known:
        values |= {"arn": entry["Arn"], "unique_id": entry["RoleId"]}
    return values


def tf_plan(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]],
            actions: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """A plan (`terraform show -json` shape) taking `aws_iam_role` resources (address → export entry) from `before`
    to `after`; a role only in `after` is created (its ARN known only after apply)."""
    actions = actions or {}
    changes = []
    for address in sorted(set(before) | set(after)):
        old, new = before.get(address), after.get(address)
        new_values = _tf_values(new, arn_known=old is not None) if new is not None else None
        if address in actions:
            act = actions[address]
        elif old is None:
            act = ["create"]
        elif new is None:
            act = ["delete"]
        else:
            act = ["no-op"] if new == old else ["update"]
        changes.append({"address": address, "mode": "managed", "type": "aws_iam_role", "name": address.split(".")[1],
                        "change": {"actions": act, "before": _tf_values(old) if old else None, "after": new_values,
                                   "after_unknown": {"arn": True, "unique_id": True} if old is None else {}}})
    state = [{"address": a, "mode": "managed", "type": "aws_iam_role", "name": a.split(".")[1],
              "values": _tf_values(e)} for a, e in sorted(before.items())]
    planned = [{"address": c["address"], "mode": "managed", "type": "aws_iam_role", "name": c["name"],
                "values": c["change"]["after"]} for c in changes if c["change"]["after"] is not None]
    return {"format_version": "1.2", "prior_state": {"values": {"root_module": {"resources": state}}},
            "planned_values": {"root_module": {"resources": planned}}, "resource_changes": changes}


def trusted_by(snapshot: Snapshot, role: str) -> set[str]:
    trust = snapshot.roles[role].trust
    assert trust is not None
    return {value for s in trust.statements for _, value in s.principals or ()}


def roles_of(pieces: list[object]) -> dict[str, dict[str, Any]]:
    account = pieces[0]
    assert isinstance(account, Account)
    return {r["Arn"]: copy.deepcopy(r) for r in account.roles}


def live_and_plan(tmp: Path, change: str, *, plan_name: str = "0-plan.json") -> tuple[Path, Path]:
    """The live snapshot (two_accounts) and a plan managing its Deployer and Vendor roles. `change`: "outside" (the
    Deployer's trust gains an account outside the organization), "delete" (the Vendor role is destroyed),
    "forget" (Terraform stops managing the Vendor role but leaves it), "create" (a new role, trusted by B's CI
    role), "none" (nothing changes). The plan's file name sorts before the snapshot's path on purpose: the
    greater-path rule for duplicates would keep the snapshot's entries."""
    tmp.mkdir(parents=True, exist_ok=True)
    pieces = two_accounts()
    live = write(tmp, "live", pieces)
    roles = roles_of(pieces)
    before = {"aws_iam_role.deployer": roles[DEPLOYER], "aws_iam_role.vendor": roles[VENDOR]}
    after = copy.deepcopy(before)
    actions: dict[str, list[str]] = {}
    if change == "outside":
        statement = after["aws_iam_role.deployer"]["AssumeRolePolicyDocument"]["Statement"][0]
        statement["Principal"]["AWS"] = [statement["Principal"]["AWS"], f"arn:aws:iam::{CONTRACTOR}:root"]
    elif change in ("delete", "forget"):
        del after["aws_iam_role.vendor"]
        if change == "forget":
            actions["aws_iam_role.vendor"] = ["forget"]
    elif change == "create":
        extra = Account(A)
        extra.role("Reporting", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": CI}, "Action": "sts:AssumeRole"}]}, path="/data/")
        after["aws_iam_role.reporting"] = extra.roles[0]
    plan = tmp / plan_name
    plan.write_text(json.dumps(tf_plan(before, after, actions)), encoding="utf-8")
    return live, plan


ADMIN_DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
READ_DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                               "Resource": "*"}]})


def resource_plan(*changes: tuple[str, list[str], dict[str, Any] | None, dict[str, Any] | None]) -> dict[str, Any]:
    """A plan of (address, actions, before, after) resource changes; the prior state and planned values follow."""
    def resource(address: str, values: dict[str, Any]) -> dict[str, Any]:
        return {"address": address, "mode": "managed", "type": address.split(".")[0], "name": address.split(".")[1],
                "values": values}

    return {"format_version": "1.2",
            "prior_state": {"values": {"root_module": {"resources": [
                resource(a, before) for a, _, before, _ in changes if before is not None]}}},
            "planned_values": {"root_module": {"resources": [
                resource(a, after) for a, _, _, after in changes if after is not None]}},
            "resource_changes": [{**resource(a, {}), "change": {"actions": actions, "before": before, "after": after,
                                                                "after_unknown": {}}}
                                 for a, actions, before, after in changes]}


def write_plan(tmp: Path, plan: dict[str, Any], name: str = "0-plan.json") -> Path:
    path = tmp / name
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


# -- the overlay rule (sources) ----------------------------------------------------------------------------


def test_plan_entry_overlays_the_export_entry_of_the_same_arn_whatever_the_paths(tmp_path: Path) -> None:
    live, plan = live_and_plan(tmp_path, "outside")
    assert str(plan) < str(next(live.iterdir()))  # the greater-path rule alone would keep the export
    for order in ([live, plan], [plan, live]):
        snapshot, report = load_inputs(order)
        assert f"arn:aws:iam::{CONTRACTOR}:root" in trusted_by(snapshot, DEPLOYER), order
        assert not [d for d in report.diagnostics if "is in both" in d.message]
        # The rest of the role is the plan's too, and equal to the export's: identity policies, tags, unique id.
        assert snapshot.roles[DEPLOYER].inline_policies and snapshot.roles[DEPLOYER].unique_id


def test_plan_entry_overlays_the_export_entry_negative_control_two_exports(tmp_path: Path) -> None:
    # Between two exports the duplicate rule is unchanged: the greater path wins, with a warning.
    live, _ = live_and_plan(tmp_path, "outside")
    pieces = two_accounts(deployer_trusts=[CI, f"arn:aws:iam::{CONTRACTOR}:root"])
    other = write(tmp_path, "0-other", pieces)
    snapshot, report = load_inputs([live, other])
    assert f"arn:aws:iam::{CONTRACTOR}:root" not in trusted_by(snapshot, DEPLOYER)
    assert [d for d in report.diagnostics if "is in both" in d.message]


def test_plan_deletion_removes_the_export_entry(tmp_path: Path) -> None:
    live, plan = live_and_plan(tmp_path, "delete")
    for order in ([live, plan], [plan, live]):
        snapshot, report = load_inputs(order)
        assert VENDOR not in snapshot.roles and DEPLOYER in snapshot.roles
        assert any("deleted by this plan" in d.message and d.source == str(plan) for d in report.diagnostics)


@pytest.mark.parametrize("kind", ["user", "group", "managed policy"])
def test_plan_deletion_removes_the_export_entry_of_every_kind(tmp_path: Path, kind: str) -> None:
    account = Account(A)
    user, group = account.user("deploy-bot"), account.group("deployers")
    policy = account.policy("deploy", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    live = write(tmp_path, "live", [account])
    arn, tf_type = {"user": (user, "aws_iam_user"), "group": (group, "aws_iam_group"),
                    "managed policy": (policy, "aws_iam_policy")}[kind]
    values = {"name": arn.rsplit("/", 1)[-1], "arn": arn, "path": "/", "policy": READ_DOC}
    plan = write_plan(tmp_path, resource_plan((f"{tf_type}.x", ["delete"], values, None)))
    stores = {"user": lambda s: set(s.users), "group": lambda s: {g.arn for g in s.groups.values()},
              "managed policy": lambda s: set(s.managed_policies)}
    assert arn not in stores[kind](load_inputs([live, plan])[0])
    assert arn in stores[kind](load_inputs([live, plan], iac=IacOptions(plan_side="before"))[0])


def test_plan_deletion_removes_the_export_entry_negative_controls(tmp_path: Path) -> None:
    # `forget` (a `removed` block with destroy = false) leaves the role in AWS; the state before a plan has it.
    live, plan = live_and_plan(tmp_path, "forget")
    assert VENDOR in load_inputs([live, plan])[0].roles
    live, plan = live_and_plan(tmp_path / "before", "delete")
    assert VENDOR in load_inputs([live, plan], iac=IacOptions(plan_side="before"))[0].roles


GRANT_ADMIN = ("aws_iam_role_policy.vendor_admin", ["create"], None,
               {"name": "admin", "role": "Vendor", "policy": ADMIN_DOC})
ATTACH_READ = ("aws_iam_role_policy_attachment.vendor_read", ["create"], None,
               {"role": "Vendor", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})


def test_plan_policy_of_a_role_it_does_not_hold_amends_the_export_role(tmp_path: Path) -> None:
    live = write(tmp_path, "live", two_accounts())
    plan = write_plan(tmp_path, resource_plan(GRANT_ADMIN, ATTACH_READ))
    for order in ([live, plan], [plan, live]):
        snapshot, report = load_inputs(order, iac=IacOptions(account_id=A))
        vendor = snapshot.roles[VENDOR]
        assert [p.name for p in vendor.inline_policies] == ["admin"], order
        assert vendor.attached_policy_arns == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
        assert not [d for d in report.diagnostics if "not created by this plan" in d.message]


def test_plan_policy_of_a_role_it_does_not_hold_negative_controls(tmp_path: Path) -> None:
    live = write(tmp_path, "live", two_accounts())
    plan = write_plan(tmp_path, resource_plan(GRANT_ADMIN))
    # No export holds the role: nothing is amended, and a warning says so.
    snapshot, report = load_inputs([plan], iac=IacOptions(account_id=A))
    assert any("'Vendor' is not created by this plan nor in the other inputs" in d.message
               for d in report.diagnostics)
    # The plan deploys to another account: that account's Vendor role is not the export's.
    snapshot, report = load_inputs([live, plan], iac=IacOptions(account_id="210987654321"))
    assert snapshot.roles[VENDOR].inline_policies == []
    assert any("not created by this plan nor in the other inputs" in d.message for d in report.diagnostics)
    # Without --account-id, a name held by two accounts is ambiguous: not applied, the warning asks for the account.
    both = two_accounts()
    other = both[1]
    assert isinstance(other, Account)
    other.role("Vendor", {"Version": "2012-10-17", "Statement": []})
    two = write(tmp_path, "two", both)
    snapshot, report = load_inputs([two, plan])
    assert snapshot.roles[VENDOR].inline_policies == []
    assert any("give --account-id" in d.message for d in report.diagnostics)


def test_plan_destroying_a_policy_of_an_export_role_removes_it(tmp_path: Path) -> None:
    pieces = two_accounts()
    account = pieces[0]
    assert isinstance(account, Account)
    vendor = next(r for r in account.roles if r["Arn"] == VENDOR)
    vendor["RolePolicyList"] = [{"PolicyName": "read", "PolicyDocument": json.loads(READ_DOC)}]
    vendor["AttachedManagedPolicies"] = [{"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]
    live = write(tmp_path, "live", pieces)
    plan = write_plan(tmp_path, resource_plan(
        ("aws_iam_role_policy.read", ["delete"], {"name": "read", "role": "Vendor", "policy": READ_DOC}, None),
        ("aws_iam_role_policy_attachment.ro", ["delete"],
         {"role": "Vendor", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, None)))
    snapshot, _ = load_inputs([live, plan], iac=IacOptions(account_id=A))
    assert snapshot.roles[VENDOR].inline_policies == [] and snapshot.roles[VENDOR].attached_policy_arns == []
    exclusive = write_plan(tmp_path, resource_plan(
        ("aws_iam_policy_attachment.ro", ["delete"], {"name": "ro", "roles": ["Vendor"], "users": [], "groups": [],
                                                      "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, None)),
        "1-exclusive.json")
    snapshot, _ = load_inputs([live, exclusive], iac=IacOptions(account_id=A))
    assert snapshot.roles[VENDOR].attached_policy_arns == [] and snapshot.roles[VENDOR].inline_policies
    # Negative control: the state before the plan still has both.
    snapshot, _ = load_inputs([live, plan], iac=IacOptions(account_id=A, plan_side="before"))
    assert [p.name for p in snapshot.roles[VENDOR].inline_policies] == ["read"]
    assert snapshot.roles[VENDOR].attached_policy_arns == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]


def _ci_role(inline: list[dict[str, str]], arns: list[str]) -> dict[str, Any]:
    trust_doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    return {"name": "ci", "arn": f"arn:aws:iam::{A}:role/ci", "path": "/", "assume_role_policy": trust_doc,
            "inline_policy": inline, "managed_policy_arns": arns}


def test_plan_inline_policy_resource_replaces_the_refreshed_block_of_the_same_name(tmp_path: Path) -> None:
    # The role's refreshed `inline_policy` lists the policy aws_iam_role_policy manages, with its old document.
    role = _ci_role([{"name": "p", "policy": READ_DOC}], [])
    plan = write_plan(tmp_path, resource_plan(
        ("aws_iam_role.ci", ["no-op"], role, role),
        ("aws_iam_role_policy.p", ["update"], {"name": "p", "role": "ci", "policy": READ_DOC},
         {"name": "p", "role": "ci", "policy": ADMIN_DOC})))
    after = load_inputs([plan])[0].roles[f"arn:aws:iam::{A}:role/ci"]
    assert [(p.name, p.document.statements[0].actions) for p in after.inline_policies] == [("p", ("*",))]
    before = load_inputs([plan], iac=IacOptions(plan_side="before"))[0].roles[f"arn:aws:iam::{A}:role/ci"]
    assert [(p.name, p.document.statements[0].actions) for p in before.inline_policies] == \
        [("p", ("s3:GetObject",))]


def test_plan_destroying_a_policy_of_its_own_role_removes_the_refreshed_block(tmp_path: Path) -> None:
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    role = _ci_role([{"name": "p", "policy": READ_DOC}], [arn])
    plan = write_plan(tmp_path, resource_plan(
        ("aws_iam_role.ci", ["no-op"], role, role),
        ("aws_iam_role_policy.p", ["delete"], {"name": "p", "role": "ci", "policy": READ_DOC}, None),
        ("aws_iam_role_policy_attachment.ro", ["delete"], {"role": "ci", "policy_arn": arn}, None)))
    after = load_inputs([plan])[0].roles[f"arn:aws:iam::{A}:role/ci"]
    assert after.inline_policies == [] and after.attached_policy_arns == []
    before = load_inputs([plan], iac=IacOptions(plan_side="before"))[0].roles[f"arn:aws:iam::{A}:role/ci"]
    assert [p.name for p in before.inline_policies] == ["p"] and before.attached_policy_arns == [arn]


def test_diff_plan_granting_admin_to_a_role_trusted_from_outside_trips_the_gate(tmp_path: Path) -> None:
    live = write(tmp_path, "live", two_accounts())
    plan = write_plan(tmp_path, resource_plan(GRANT_ADMIN))
    doc = diff_json("--plan", str(plan), str(live), "--account-id", A)
    assert VENDOR in doc["sensitive_roles"]["added"]
    assert {(f["rule"], f["role"]) for f in doc["findings"]["introduced"]} >= {("TG401", VENDOR)}
    assert run("diff", "--plan", str(plan), str(live), "--account-id", A, "-q", "--no-cache",
               "--fail-on", "high")[0] == 1
    quiet = write_plan(tmp_path, resource_plan(("aws_iam_role_policy.vendor_read", ["create"], None,
                                                {"name": "read", "role": "Vendor", "policy": READ_DOC})), "1.json")
    assert run("diff", "--plan", str(quiet), str(live), "--account-id", A, "-q", "--no-cache",
               "--fail-on", "high")[0] == 0


# -- diff: live snapshot vs live snapshot + plan -----------------------------------------------------------


def test_diff_live_plus_plan_reports_added_edge_and_new_outside_trust(tmp_path: Path) -> None:
    live, plan = live_and_plan(tmp_path, "outside")
    doc = diff_json("--old", str(live), "--new", str(live), "--new", str(plan))
    contractor = f"arn:aws:iam::{CONTRACTOR}:root"
    assert rows(doc) == {("added", DEPLOYER, (contractor,))}
    assert [(o["role"], o["caller"], o["change"]) for o in doc["outside"]] == [(DEPLOYER, contractor, "added")]
    assert doc["new"]["inputs"] == [str(live), str(plan)]


def test_diff_live_plus_unchanged_plan_is_empty(tmp_path: Path) -> None:
    # Negative control of the overlay: a plan that changes nothing changes nothing (identity policies, tags and
    # unique ids of the overlaid roles are the plan's, and equal to the export's).
    live, plan = live_and_plan(tmp_path, "none")
    doc = diff_json("--old", str(live), "--new", str(live), "--new", str(plan))
    assert doc["summary"]["trust_changes"] == 0 and not doc["findings"]["introduced"] and not doc["reachers"]


def test_diff_live_plus_plan_deleting_a_role_reports_it_removed(tmp_path: Path) -> None:
    live, plan = live_and_plan(tmp_path, "delete")
    doc = diff_json("--old", str(live), "--new", str(live), "--new", str(plan))
    assert rows(doc) == {("removed", VENDOR, (f"arn:aws:iam::{OUTSIDER}:root",)), ("removed", VENDOR, (ADMIN,))}
    assert {f["role"] for f in doc["findings"]["resolved"]} == {VENDOR}
    assert not doc["findings"]["introduced"]


def test_diff_live_plus_plan_gates_trip(tmp_path: Path) -> None:
    live, plan = live_and_plan(tmp_path, "outside")
    args = ("diff", "--old", str(live), "--new", str(live), "--new", str(plan), "-q", "--no-cache")
    code, _, err = run(*args, "--fail-on", "high")
    assert code == 1 and "--fail-on high" in err
    assert run(*args, "--fail-on-outside")[0] == 1
    assert run(*args, "--fail-on-reachers")[0] == 1  # the contractor now reaches Admin through Deployer
    live, plan = live_and_plan(tmp_path / "none", "none")
    assert run("diff", "--old", str(live), "--new", str(live), "--new", str(plan), "-q", "--no-cache",
               "--fail-on", "info", "--fail-on-outside", "--fail-on-reachers")[0] == 0


def test_diff_account_id_reaches_the_plan_reader(tmp_path: Path) -> None:
    live, plan = live_and_plan(tmp_path, "create")
    created = f"arn:aws:iam::{A}:role/data/Reporting"
    doc = diff_json("--old", str(live), "--new", str(live), "--new", str(plan), "--account-id", A)
    assert rows(doc) == {("added", created, (CI,)), ("added", created, (ADMIN,))}
    # Without it the created role's ARN is in the placeholder account: not the snapshot's account.
    doc = diff_json("--old", str(live), "--new", str(live), "--new", str(plan))
    assert rows(doc) == {("added", "arn:aws:iam::000000000000:role/data/Reporting", (CI,))}


def test_diff_bad_account_id_or_parameter_is_a_usage_error(tmp_path: Path) -> None:
    live, plan = live_and_plan(tmp_path, "none")
    code, _, err = run("diff", str(live), str(plan), "--account-id", "12", "-q")
    assert code == 2 and "12-digit" in err
    code, _, err = run("diff", str(live), str(plan), "--parameter", "novalue", "-q")
    assert code == 2 and "KEY=VALUE" in err


# -- diff --plan: the state a plan starts from against the state it leaves --------------------------------


def test_diff_plan_form_compares_before_and_after_of_one_plan(tmp_path: Path) -> None:
    _, plan = live_and_plan(tmp_path, "outside")
    doc = diff_json("--plan", str(plan))
    assert rows(doc) == {("added", DEPLOYER, (f"arn:aws:iam::{CONTRACTOR}:root",))}
    assert doc["old"]["inputs"] == doc["new"]["inputs"] == [str(plan)]
    assert run("diff", "--plan", str(plan), "-q", "--no-cache", "--fail-on-outside")[0] == 1


def test_diff_plan_form_negative_control_unchanged_plan(tmp_path: Path) -> None:
    _, plan = live_and_plan(tmp_path, "none")
    assert diff_json("--plan", str(plan))["summary"]["trust_changes"] == 0
    assert run("diff", "--plan", str(plan), "-q", "--no-cache", "--fail-on-outside", "--fail-on", "info")[0] == 0


def test_diff_plan_form_over_the_live_snapshot_shows_the_plan_and_nothing_else(tmp_path: Path) -> None:
    live, plan = live_and_plan(tmp_path, "delete")
    doc = diff_json("--plan", str(plan), str(live))
    assert rows(doc) == {("removed", VENDOR, (f"arn:aws:iam::{OUTSIDER}:root",)), ("removed", VENDOR, (ADMIN,))}
    overlaid = diff_json("--old", str(live), "--new", str(live), "--new", str(plan))
    for part in ("summary", "trust", "outside", "reachers"):
        assert doc[part] == overlaid[part], part
    assert [f["fingerprint"] for f in doc["findings"]["resolved"]] == \
        [f["fingerprint"] for f in overlaid["findings"]["resolved"]]
    live, plan = live_and_plan(tmp_path / "create", "create")
    doc = diff_json("--plan", str(plan), str(live), "--account-id", A)
    created = f"arn:aws:iam::{A}:role/data/Reporting"
    assert rows(doc) == {("added", created, (CI,)), ("added", created, (ADMIN,))}


def test_diff_plan_form_side_without_iam_data_is_empty_not_bad_input(tmp_path: Path) -> None:
    # Before a plan that creates every role there is no IAM data: that side is empty, the roles are added.
    role = _ci_role([], [])
    created = write_plan(tmp_path, resource_plan(("aws_iam_role.ci", ["create"], None, role)))
    doc = diff_json("--plan", str(created))
    assert rows(doc) == {("added", f"arn:aws:iam::{A}:role/ci", ("ec2.amazonaws.com",))}
    # A plan changing no IAM resource changes no trust.
    bucket = ("aws_s3_bucket.logs", ["create"], None, {"bucket": "logs"})
    no_iam = write_plan(tmp_path, resource_plan(bucket), "bucket.json")
    assert diff_json("--plan", str(no_iam))["summary"]["trust_changes"] == 0
    # Negative control: outside --plan, a side with no IAM data is still bad input.
    code, _, err = run("diff", str(no_iam), str(created), "-q", "--no-cache")
    assert code == 2 and "no usable IAM data" in err


def test_diff_plan_over_a_saved_graph_equals_the_plan_over_its_inputs(tmp_path: Path) -> None:
    # The nightly saved graph stands for the live data: a pull request's plan is read over it, nothing collected.
    live, plan = live_and_plan(tmp_path, "delete")
    saved = tmp_path / "live.tgdb"
    assert run("build", "-i", str(live), "-o", str(saved), "-q", "--no-cache")[0] == 0
    over_graph = diff_json("--plan", str(plan), str(saved))
    over_inputs = diff_json("--plan", str(plan), str(live))
    for part in ("summary", "trust", "outside", "reachers"):
        assert over_graph[part] == over_inputs[part], part
    assert rows(over_graph) == {("removed", VENDOR, (f"arn:aws:iam::{OUTSIDER}:root",)),
                                ("removed", VENDOR, (ADMIN,))}
    assert over_graph["new"]["inputs"] == [str(saved), str(plan)]
    doc = diff_json("--old", str(saved), "--new", str(saved), "--new", str(plan))
    assert rows(doc) == rows(over_graph)


def test_diff_plan_over_a_saved_graph_negative_control(tmp_path: Path) -> None:
    # The saved graph alone against itself is no change: what the plan removes comes from the plan.
    live, _ = live_and_plan(tmp_path, "delete")
    saved = tmp_path / "live.tgdb"
    assert run("build", "-i", str(live), "-o", str(saved), "-q", "--no-cache")[0] == 0
    assert diff_json(str(saved), str(saved))["summary"]["trust_changes"] == 0
    _, unchanged = live_and_plan(tmp_path / "none", "none")
    assert diff_json("--plan", str(unchanged), str(saved))["summary"]["trust_changes"] == 0


def test_diff_plan_form_usage_errors(tmp_path: Path) -> None:
    live, plan = live_and_plan(tmp_path, "none")
    code, _, err = run("diff", "--plan", str(plan), "--old", str(live), "-q")
    assert code == 2 and "--plan" in err
    assert run("diff", "--plan", str(tmp_path / "missing.json"), "-q")[0] == 2
    saved = tmp_path / "live.tgdb"
    assert run("build", "-i", str(live), "-o", str(saved), "-q", "--no-cache")[0] == 0
    code, _, err = run("diff", "--plan", str(saved), "-q")
    assert code == 2 and "saved graph" in err


# -- diff of two CloudFormation templates with parameters --------------------------------------------------

PARTNER, AUDIT = "555566667777", "888877776666"
STACK_PARAMETERS = ("--account-id", A, "--parameter", f"PartnerAccount={PARTNER}", "--parameter",
                    "ExternalId=x-7", "--parameter", f"AuditAccount={AUDIT}")


def test_diff_two_templates_with_parameters_on_both_sides() -> None:
    doc = diff_json(str(IAC / "stack_partner_v1.yaml"), str(IAC / "stack_partner_v2.yaml"), *STACK_PARAMETERS)
    # The partner role reads the same parameters on both sides: unchanged. Only the new audit role shows.
    assert rows(doc) == {("added", f"arn:aws:iam::{A}:role/audit-access", (f"arn:aws:iam::{AUDIT}:root",))}
    assert [o["caller"] for o in doc["outside"]] == [f"arn:aws:iam::{AUDIT}:root"]


def test_diff_two_templates_negative_control_parameters_matter() -> None:
    # Without the parameters the audit role's principal is a placeholder, never evaluated as an account.
    doc = diff_json(str(IAC / "stack_partner_v1.yaml"), str(IAC / "stack_partner_v2.yaml"), "--account-id", A)
    assert not any(AUDIT in c for t in doc["trust"] for c in t["callers"]) and doc["outside"] == []
    # Identical templates are no change.
    doc = diff_json(str(IAC / "stack_partner_v2.yaml"), str(IAC / "stack_partner_v2.yaml"), *STACK_PARAMETERS)
    assert doc["summary"]["trust_changes"] == 0


def test_template_entry_overlays_the_export_entry_of_the_same_arn(tmp_path: Path) -> None:
    # The live account has partner-access trusting the partner with an ExternalId; the template (not yet deployed)
    # replaces it with the same trust: a template over a snapshot that matches it is no change.
    live = Account(A)
    live.role("partner-access", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"}, "Action": "sts:AssumeRole"}]},
        path="/partners/", managed=["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    folder = write(tmp_path, "live", [live])
    doc = diff_json("--old", str(folder), "--new", str(folder), "--new", str(IAC / "stack_partner_v1.yaml"),
                    *STACK_PARAMETERS)
    (row,) = doc["trust"]
    assert (row["change"], row["role"], row["fields"]) == \
        ("changed", f"arn:aws:iam::{A}:role/partners/partner-access", ["conditional", "conditions"])
    assert row["new"]["conditions"] == ["sts:ExternalId"]


def test_template_policy_of_a_role_it_does_not_hold_amends_the_export_role(tmp_path: Path) -> None:
    template = {"Resources": {
        "Admin": {"Type": "AWS::IAM::Policy", "Properties": {
            "PolicyName": "admin", "Roles": ["Vendor"], "PolicyDocument": json.loads(ADMIN_DOC)}},
        "Read": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
            "ManagedPolicyName": "read", "Roles": ["Vendor"], "PolicyDocument": json.loads(READ_DOC)}}}}
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    live = write(tmp_path, "live", two_accounts())
    snapshot, report = load_inputs([path, live], iac=IacOptions(account_id=A))
    vendor = snapshot.roles[VENDOR]
    assert [p.name for p in vendor.inline_policies] == ["admin"]
    assert vendor.attached_policy_arns == [f"arn:aws:iam::{A}:policy/read"]
    # Negative control: without the export the policies reach no role, and a warning says so.
    snapshot, report = load_inputs([path], iac=IacOptions(account_id=A))
    assert sum("'Vendor' is not in the template nor in the other inputs" in d.message
               for d in report.diagnostics) == 2


# -- docs/ci.md and docs/change-control.md, as written ----------------------------------------------------------------


def _workflow_commands(text: str) -> list[list[str]]:
    """Every `trustgraph …` command line of the workflows (continuation lines joined; `> file` and `|| …` cut)."""
    commands = []
    joined = re.sub(r"\\\n\s*", " ", text)
    for line in joined.splitlines():
        line = re.sub(r"^(- )?run: ", "", line.strip())
        line = line.replace("${{ vars.TERRAFORM_ACCOUNT_ID }}", A).replace("${{ matrix.account }}", A)
        if not line.startswith("trustgraph "):
            continue
        line = re.split(r"\s(?:\|\||>>?)\s", line)[0]
        commands.append(shlex.split(line)[1:])
    return commands


def test_ci_workflow_commands_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each trustgraph command of docs/ci.md, run from a work tree holding what the workflow has by then: `live/`
    (as `trustgraph collect` writes it), `terraform/plan.json`, `.trustgraph/` with a baseline and suppressions, and
    the snapshot-repository layout (`base/iam`, `iam`)."""
    commands = _workflow_commands((ROOT / "docs" / "ci.md").read_text(encoding="utf-8"))
    assert [c[0] for c in commands] == ["collect", "diff", "findings", "diff", "collect", "build", "findings",
                                        "check", "check", "findings"]
    (tmp_path / "terraform").mkdir()
    live, plan = live_and_plan(tmp_path, "outside", plan_name="terraform/plan.json")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".trustgraph").mkdir()
    (tmp_path / ".trustgraph" / "suppressions.yaml").write_text(
        f"- rule: TG302\n  subject: '{VENDOR}'\n  reason: monitoring vendor, contract 2026-114\n", encoding="utf-8")
    (tmp_path / ".trustgraph" / "guardrails.yaml").write_text(
        "rules:\n  - id: outsiders-need-externalid\n    from: {outside: true}\n"
        "    to: {principal: 'arn:aws:iam::*:role/*'}\n    require_conditions: [sts:ExternalId]\n", encoding="utf-8")
    code, baseline, err = run("findings", "-i", "live/", "-q", "--format", "json")
    assert code == 1 or code == 0, err
    (tmp_path / ".trustgraph" / "baseline.json").write_text(baseline, encoding="utf-8")
    (tmp_path / "base").mkdir()
    write(tmp_path / "base", "iam", two_accounts())
    write(tmp_path, "iam", two_accounts(extra=True))
    outcomes = []
    for args in commands:
        if args[0] == "collect":
            continue  # needs AWS: tests/sources/aws/test_collect*.py run it against moto
        code, out, err = run(*args)
        assert code in (0, 1), f"trustgraph {' '.join(args)} → {code}: {err}"
        outcomes.append((args[0], code))
    # The plan's contractor trust is a new high finding (not in the baseline): the Terraform diff gates.
    # The vendor's and the plan's contractor's trusts need no ExternalId: the guardrail gate trips, its Markdown
    # run (no gate) does not.
    assert outcomes == [("diff", 1), ("findings", 0), ("diff", 0), ("build", 0), ("findings", 0), ("check", 1),
                        ("check", 0), ("findings", 0)]
    for artefact in ("trust-change.svg", "trustgraph.sarif", "live.sqlite", ".trustgraph/baseline.json",
                     "guardrails.sarif"):
        assert (tmp_path / artefact).stat().st_size > 0, artefact


STAGING_PLAN = ROOT / "samples" / "terraform" / "acme-staging-plan.json"


def test_change_control_plan_example_is_the_real_output() -> None:
    readme = (ROOT / "docs" / "change-control.md").read_text(encoding="utf-8")
    start = readme.index("```sh\ntrustgraph diff --plan samples/terraform/acme-staging-plan.json")
    command = readme[start + len("```sh\n"):readme.index("\n", start + len("```sh\n"))]
    shown_start = readme.index("### trustgraph diff\n\n", start)
    shown = readme[shown_start:readme.index("```", shown_start)]
    args = [str(ROOT / w) if w.startswith("samples/") else w for w in shlex.split(command)[1:]]
    code, out, err = run(*args, "-q", "--no-cache")
    assert code == 0, err
    assert shown == out
    # The same change read as "live snapshot + plan" on the new side: the same rows, since the plan's prior state
    # is the snapshot's.
    code, same, err = run("diff", "--old", str(ROOT / "samples/acme"), "--new", str(ROOT / "samples/acme"), "--new",
                          str(STAGING_PLAN), *args[args.index("--account-id"):], "-q", "--no-cache")
    assert code == 0 and same == out, err
    # … and `--fail-on high` trips on it, as docs/change-control.md says.
    code, _, err = run(*args, "-q", "--no-cache", "--fail-on", "high")
    assert code == 1 and "2 new or escalated finding(s)" in err
