"""Terraform plan JSON (`terraform show -json`) read into the Snapshot: every IAM resource type, both sides of
the plan, values known only after apply (placeholders, never guesses), modules, policy-document data sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trustgraph.analysis.reachability import who_can_reach
from trustgraph.graph.build import build_graph
from trustgraph.policy.placeholders import has_placeholder, statement_placeholders
from trustgraph.sources.files import load_inputs
from trustgraph.sources.iac import PLACEHOLDER_ACCOUNT, IacOptions
from trustgraph.sources.terraform_plan import load_plan
from trustgraph.sources.terraform_policy_document import document_json
from trustgraph.sources.terraform_state import PlanResource

IAC = Path(__file__).parents[1] / "iac"
ACCOUNT = "123456789012"


def messages(report) -> list[str]:
    return [d.message for d in report.diagnostics]


def role(snapshot, name: str):
    found = [r for r in snapshot.roles.values() if r.name == name]
    assert len(found) == 1, sorted(r.arn for r in snapshot.roles.values())
    return found[0]


def test_every_iam_resource_type_of_a_plan_is_read() -> None:
    snapshot, report = load_plan(IAC / "plan_basic.json", account_id=ACCOUNT)
    assert report.files_read and not [d for d in report.diagnostics if d.level == "error"]
    deploy = role(snapshot, "deploy")
    assert deploy.arn == f"arn:aws:iam::{ACCOUNT}:role/deploy/deploy" and deploy.path == "/deploy/"
    assert deploy.trust.statements[0].principals == (("AWS", "arn:aws:iam::111122223333:role/ci"),)
    assert [p.name for p in deploy.inline_policies] == ["read", "extra"]  # inline_policy block + aws_iam_role_policy
    assert deploy.attached_policy_arns == ["arn:aws:iam::aws:policy/ReadOnlyAccess",
                                           f"arn:aws:iam::{ACCOUNT}:policy/assume-deploy"]
    assert deploy.boundary_arn == f"arn:aws:iam::{ACCOUNT}:policy/boundary" and deploy.tags == {"team": "platform"}
    assert role(snapshot, "object-trust").trust.statements[0].principals == (("Service", "lambda.amazonaws.com"),)
    users = {u.name: u for u in snapshot.users.values()}
    assert users["alice"].arn == f"arn:aws:iam::{ACCOUNT}:user/people/alice"
    assert users["alice"].tags == {"owner": "alice"}
    assert [p.name for p in users["alice"].inline_policies] == ["assume"]
    assert users["bob"].attached_policy_arns == [f"arn:aws:iam::{ACCOUNT}:policy/assume-deploy"]
    assert sorted(users["alice"].group_names) == ["ops"] and users["bob"].group_names == ["ops"]  # group_membership
    assert users["carol"].group_names == ["audit"]  # user_group_membership
    groups = {g.name: g for g in snapshot.groups.values()}
    assert [p.name for p in groups["ops"].inline_policies] == ["ops-inline"]
    assert groups["audit"].attached_policy_arns == [f"arn:aws:iam::{ACCOUNT}:policy/assume-deploy"]
    assert f"arn:aws:iam::{ACCOUNT}:policy/assume-deploy" in snapshot.managed_policies


def test_value_known_after_apply_is_traced_to_the_one_plan_resource_it_references() -> None:
    snapshot, _ = load_plan(IAC / "plan_basic.json", account_id=ACCOUNT)
    # policy_arn is unknown at plan time; the configuration says aws_iam_policy.assume_deploy.arn.
    assert f"arn:aws:iam::{ACCOUNT}:policy/assume-deploy" in role(snapshot, "deploy").attached_policy_arns
    # Negative control: a reference to a variable is not traceable; the resource is reported, not guessed.
    snapshot, report = load_plan(IAC / "plan_unknown.json", account_id=ACCOUNT)
    assert all(p.name != "orphan" for r in snapshot.roles.values() for p in r.inline_policies)
    assert any("aws_iam_role_policy.orphan" in d.location and "not traceable" in d.message
               for d in report.diagnostics)
    assert any("orphan" in gap for gap in snapshot.gaps)


def test_trust_policy_known_after_apply_is_a_placeholder_not_evaluated() -> None:
    snapshot, report = load_plan(IAC / "plan_unknown.json", account_id=ACCOUNT)
    mystery = role(snapshot, "mystery")
    statement = mystery.trust.statements[0]
    assert statement_placeholders(statement) and all(has_placeholder(v) for _, v in statement.principals)
    assert any("trust policy of mystery is known only after apply" in m for m in messages(report))
    graph = build_graph(snapshot)
    reachers = who_can_reach(graph, mystery.arn).reachers
    assert [r.principal for r in reachers] and all(graph.nodes[r.principal]["kind"] == "unknown" for r in reachers)
    # Negative control: a known trust policy holds no placeholder.
    assert not statement_placeholders(role(snapshot, "prefixed").trust.statements[0])


def test_identity_policy_known_after_apply_is_a_placeholder_and_a_warning() -> None:
    snapshot, report = load_plan(IAC / "plan_unknown.json", account_id=ACCOUNT)
    later = role(snapshot, "mystery").inline_policies[0]
    assert later.name == "later" and statement_placeholders(later.document.statements[0])
    assert any("inline policy later of mystery" in m for m in messages(report))
    assert any("permissions boundary of mystery" in gap for gap in snapshot.gaps)


def test_name_known_after_apply_gets_a_placeholder_name_and_a_warning() -> None:
    snapshot, report = load_plan(IAC / "plan_unknown.json", account_id=ACCOUNT)
    assert role(snapshot, "prefixed").arn == f"arn:aws:iam::{ACCOUNT}:role/prefixed"
    assert any("name is known only after apply" in m and "'prefixed'" in m for m in messages(report))
    assert not any("name is known only after apply" in m and "mystery" in m for m in messages(report))


def test_arn_in_the_plan_is_kept_and_arn_not_in_the_plan_is_derived_from_account_id() -> None:
    snapshot, _ = load_plan(IAC / "plan_unknown.json", account_id=ACCOUNT)
    assert role(snapshot, "existing").arn == "arn:aws:iam::999988887777:role/existing"  # known: not re-derived
    assert role(snapshot, "mystery").arn == f"arn:aws:iam::{ACCOUNT}:role/mystery"


def test_arn_without_account_id_uses_the_placeholder_account_and_says_so_once() -> None:
    snapshot, report = load_plan(IAC / "plan_basic.json")
    assert role(snapshot, "deploy").arn == f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:role/deploy/deploy"
    said = [m for m in messages(report) if "no --account-id" in m]
    assert len(said) == 1 and PLACEHOLDER_ACCOUNT in said[0]
    _, report = load_plan(IAC / "plan_basic.json", account_id=ACCOUNT)
    assert not [m for m in messages(report) if "no --account-id" in m]


def test_deleted_role_is_not_after_the_plan_and_is_before_it() -> None:
    after, _ = load_plan(IAC / "plan_delete.json", side="after", account_id=ACCOUNT)
    before, _ = load_plan(IAC / "plan_delete.json", side="before", account_id=ACCOUNT)
    assert {r.name for r in after.roles.values()} == {"kept", "new"}
    assert {r.name for r in before.roles.values()} == {"old", "kept"}  # created role not there yet


def test_updated_role_reads_its_before_and_after_state() -> None:
    after, _ = load_plan(IAC / "plan_delete.json", side="after", account_id=ACCOUNT)
    before, _ = load_plan(IAC / "plan_delete.json", side="before", account_id=ACCOUNT)
    assert role(after, "kept").trust.statements[0].principals == (("Service", "ec2.amazonaws.com"),)
    assert role(before, "kept").trust.statements[0].principals == (("AWS", "arn:aws:iam::444455556666:root"),)


def test_before_side_without_prior_state_reads_change_before() -> None:
    before, _ = load_plan(IAC / "plan_unknown.json", side="before", account_id=ACCOUNT)
    assert {r.name for r in before.roles.values()} == {"existing"}
    assert role(before, "existing").trust.statements[0].principals == (("AWS", "arn:aws:iam::999988887777:root"),)


def test_roles_of_child_modules_are_read_recursively() -> None:
    snapshot, report = load_plan(IAC / "plan_modules.json", account_id=ACCOUNT)
    assert {r.name for r in snapshot.roles.values()} == {"root-role", "worker-blue", "worker-green", "inner"}
    assert role(snapshot, "worker-blue").path == "/app/"
    assert [p.name for p in role(snapshot, "root-role").inline_policies] == ["assume-anything"]
    graph = build_graph(snapshot)
    reachers = {r.principal: r.hops for r in who_can_reach(graph, role(snapshot, "inner").arn).reachers}
    assert reachers[role(snapshot, "worker-blue").arn] == 1 and reachers[role(snapshot, "root-role").arn] == 2


def test_policy_document_data_source_json_is_used_known_or_rebuilt_from_literals() -> None:
    snapshot, report = load_plan(IAC / "plan_policy_documents.json", account_id=ACCOUNT)
    vendor = role(snapshot, "vendor").trust.statements[0]  # json known (read while planning, prior_state)
    assert vendor.principals == (("AWS", "arn:aws:iam::111122223333:root"),)
    assert vendor.conditions[0].values == ("shared-secret",)
    github = role(snapshot, "github").trust.statements[0]  # json unknown, arguments all known: rebuilt
    assert github.actions == ("sts:AssumeRoleWithWebIdentity",) and github.sid == "Oidc"
    assert github.conditions[0].key == "token.actions.githubusercontent.com:sub"
    literal = role(snapshot, "literal").trust.statements[0]  # only the configuration, all literals
    assert literal.principals == (("Service", "codebuild.amazonaws.com"),)
    # Negative control: an argument unknown at plan time (a variable) → the trust stays unknown.
    assert statement_placeholders(role(snapshot, "opaque").trust.statements[0])
    assert [m for m in messages(report) if "known only after apply" in m] == \
        ["trust policy of opaque is known only after apply: not evaluated (a placeholder stands for it)"]


def test_policy_document_that_merges_other_documents_is_not_rebuilt() -> None:
    args = {"statement": [{"effect": "Allow", "actions": ["s3:GetObject"], "resources": ["*"]}]}
    plain = PlanResource("data.aws_iam_policy_document.d", "aws_iam_policy_document", "data", args,
                         {"json": True})
    assert json.loads(document_json(plain))["Statement"] == [{"Effect": "Allow", "Action": ["s3:GetObject"],
                                                             "Resource": ["*"]}]
    merging = PlanResource("data.aws_iam_policy_document.d", "aws_iam_policy_document", "data",
                           {**args, "source_policy_documents": ["{}"]}, {"json": True})
    assert document_json(merging) is None


def test_wildcard_principal_block_is_the_bare_wildcard() -> None:
    args = {"statement": [{"actions": ["sts:AssumeRole"], "principals": [{"type": "*", "identifiers": ["*"]}]}]}
    res = PlanResource("data.aws_iam_policy_document.d", "aws_iam_policy_document", "data", args, {"json": True})
    assert json.loads(document_json(res))["Statement"][0]["Principal"] == "*"
    args["statement"][0]["principals"] = [{"type": "AWS", "identifiers": ["*"]}]
    assert json.loads(document_json(res))["Statement"][0]["Principal"] == {"AWS": ["*"]}


def _for_each_plan(references: list[str]) -> dict:
    trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"%s"},'
             '"Action":"sts:AssumeRole"}]}')
    changes = [{"address": f'data.aws_iam_policy_document.t["{k}"]', "mode": "data", "type": "aws_iam_policy_document",
                "name": "t", "index": k, "change": {"actions": ["read"], "before": None,
                                                     "after": {"json": trust % f"{k}.amazonaws.com"}}}
               for k in ("ec2", "lambda")]
    changes += [{"address": f'aws_iam_role.r["{k}"]', "mode": "managed", "type": "aws_iam_role", "name": "r",
                 "index": k, "change": {"actions": ["create"], "before": None, "after": {"name": f"r-{k}"},
                                        "after_unknown": {"assume_role_policy": True}}} for k in ("ec2", "lambda")]
    config = {"root_module": {"resources": [{"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role",
                                             "name": "r", "expressions": {"assume_role_policy": {
                                                 "references": references}}}]}}
    return {"format_version": "1.2", "resource_changes": changes, "configuration": config}


def test_for_each_instance_reads_the_data_source_instance_of_its_own_key(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_for_each_plan(["data.aws_iam_policy_document.t", "each.key"])))
    snapshot, _ = load_plan(path, account_id=ACCOUNT)
    assert role(snapshot, "r-lambda").trust.statements[0].principals == (("Service", "lambda.amazonaws.com"),)
    path.write_text(json.dumps(_for_each_plan(["data.aws_iam_policy_document.t.json", "data.aws_iam_policy_document.t",
                                               "each.key"])))
    snapshot, _ = load_plan(path, account_id=ACCOUNT)
    assert role(snapshot, "r-ec2").trust.statements[0].principals == (("Service", "ec2.amazonaws.com"),)
    # Negative control: keyed by something else (each.value): which instance is not known, so not guessed.
    path.write_text(json.dumps(_for_each_plan(["data.aws_iam_policy_document.t", "each.value"])))
    snapshot, _ = load_plan(path, account_id=ACCOUNT)
    assert statement_placeholders(role(snapshot, "r-lambda").trust.statements[0])


@pytest.mark.parametrize("version, warned", [("0.1", False), ("1.2", False), ("2.0", True)])
def test_plan_format_version_outside_0_1_to_1_2_is_warned(tmp_path: Path, version: str, warned: bool) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format_version": version, "planned_values": {"root_module": {}}}))
    _, report = load_inputs([path])
    assert report.files_read == [str(path)]
    assert any("format_version" in m for m in messages(report)) is warned


def test_malformed_plan_is_one_located_error_never_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format_version": "1.2", "resource_changes": {"not": "a list"}}))
    snapshot, report = load_inputs([path])
    assert not snapshot.roles and [d.location for d in report.diagnostics if d.level == "error"] == ["$"]
    path.write_text(json.dumps({"format_version": "1.2", "planned_values": {"root_module": {"resources": [
        {"address": "aws_iam_role.x", "type": "aws_iam_role", "mode": "managed",
         "values": {"name": 7, "assume_role_policy": ["not", "a", "policy"], "inline_policy": "x"}}]}}}))
    snapshot, report = load_inputs([path], iac=IacOptions(account_id=ACCOUNT))
    assert report.files_read == [str(path)]
    assert any(d.level == "error" and "aws_iam_role.x" in d.location for d in report.diagnostics)


def test_policy_attachment_attaches_to_every_listed_principal_of_the_plan(tmp_path: Path) -> None:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    resources = [
        {"address": "aws_iam_role.a", "type": "aws_iam_role", "mode": "managed",
         "values": {"name": "a", "assume_role_policy": trust}},
        {"address": "aws_iam_user.u", "type": "aws_iam_user", "mode": "managed", "values": {"name": "u"}},
        {"address": "aws_iam_policy_attachment.x", "type": "aws_iam_policy_attachment", "mode": "managed",
         "values": {"name": "x", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "roles": ["a"],
                    "users": ["u", "elsewhere"], "groups": []}}]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format_version": "1.2", "planned_values": {"root_module": {"resources": resources}}}))
    snapshot, report = load_plan(path, account_id=ACCOUNT)
    assert role(snapshot, "a").attached_policy_arns == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert next(iter(snapshot.users.values())).attached_policy_arns == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert any("'elsewhere' is not created by this plan" in m for m in messages(report))


def _replace_plan(trust_actions: list[str]) -> dict:
    def trust(principal: dict) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal,
                                                                  "Action": "sts:AssumeRole"}]})
    ci = {"name": "ci", "arn": f"arn:aws:iam::{ACCOUNT}:role/ci",
          "assume_role_policy": trust({"Service": "ec2.amazonaws.com"})}
    deploy = {"name": "deploy", "arn": f"arn:aws:iam::{ACCOUNT}:role/deploy",
              "assume_role_policy": trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/ci"})}
    return {"format_version": "1.2", "resource_changes": [
        {"address": "aws_iam_role.ci", "type": "aws_iam_role", "mode": "managed",
         "change": {"actions": ["delete", "create"], "before": ci, "after": ci, "after_unknown": {}}},
        {"address": "aws_iam_role.deploy", "type": "aws_iam_role", "mode": "managed",
         "change": {"actions": trust_actions, "before": deploy, "after": deploy, "after_unknown": {}}}]}


def test_trust_naming_a_replaced_role_and_not_rewritten_is_warned_as_decayed(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_replace_plan(["no-op"])))
    _, report = load_plan(path)
    assert any("names arn:aws:iam::123456789012:role/ci, which this plan replaces" in m for m in messages(report))
    # Negative control: the plan writes the trust again (update), so it names the new role.
    path.write_text(json.dumps(_replace_plan(["update"])))
    _, report = load_plan(path)
    assert not any("which this plan replaces" in m for m in messages(report))
