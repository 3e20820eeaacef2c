"""CloudFormation templates read into the Snapshot: YAML short forms, intrinsics evaluated only as far as the
template, --account-id and --parameter decide them (the rest kept symbolic and reported), every IAM resource
type, conditions, generated names, CDK-synthesized templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trustgraph.policy.placeholders import statement_placeholders
from trustgraph.sources.cloudformation_yaml import load_yaml_template
from trustgraph.sources.files import load_inputs
from trustgraph.sources.iac import PLACEHOLDER_ACCOUNT, IacOptionError, parse_options

IAC = Path(__file__).parents[1] / "iac"
SHORT = IAC / "template_short_forms.yaml"
ACCOUNT = "123456789012"


def load(path: Path, account: str | None = ACCOUNT, *parameters: str):
    return load_inputs([path], iac=parse_options(account, parameters))


def role(snapshot, name: str):
    found = [r for r in snapshot.roles.values() if r.name == name]
    assert len(found) == 1, sorted(r.arn for r in snapshot.roles.values())
    return found[0]


def principals(snapshot, name: str) -> list[tuple[str, str]]:
    return [p for s in role(snapshot, name).trust.statements for p in s.principals]


def symbolic(report) -> list[str]:
    return [d.location + " " + d.message for d in report.diagnostics if "kept symbolic" in d.message]


# -- YAML ---------------------------------------------------------------------------------------------------
def test_yaml_short_forms_read_as_the_long_form() -> None:
    text = """
a: !Ref X
b: !Sub "x-${Y}"
c: !GetAtt Role.Arn
d: !Join [":", [a, b]]
e: !If [Cond, 1, 2]
f: !Select [0, [a]]
g: !Split [",", "a,b"]
h: !ImportValue Exported
i: !FindInMap [M, K, V]
j: !Base64 text
k: !Equals [a, b]
l: !Condition Cond
m: !GetAtt [Role, Arn]
n: !Sub ["${A}", {A: !Ref B}]
"""
    assert load_yaml_template(text) == {
        "a": {"Ref": "X"}, "b": {"Fn::Sub": "x-${Y}"}, "c": {"Fn::GetAtt": ["Role", "Arn"]},
        "d": {"Fn::Join": [":", ["a", "b"]]}, "e": {"Fn::If": ["Cond", 1, 2]}, "f": {"Fn::Select": [0, ["a"]]},
        "g": {"Fn::Split": [",", "a,b"]}, "h": {"Fn::ImportValue": "Exported"},
        "i": {"Fn::FindInMap": ["M", "K", "V"]}, "j": {"Fn::Base64": "text"}, "k": {"Fn::Equals": ["a", "b"]},
        "l": {"Condition": "Cond"}, "m": {"Fn::GetAtt": ["Role", "Arn"]},
        "n": {"Fn::Sub": ["${A}", {"A": {"Ref": "B"}}]}}


def test_yaml_dates_stay_text() -> None:
    assert load_yaml_template("Version: 2012-10-17\nWhen: 2010-09-09") == {"Version": "2012-10-17",
                                                                          "When": "2010-09-09"}


def test_invalid_yaml_is_one_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("Resources:\n  Role: [unclosed\n")
    snapshot, report = load_inputs([path])
    errors = [d for d in report.diagnostics if d.level == "error"]
    assert report.files_rejected == [str(path)] and len(errors) == 1
    assert errors[0].location.startswith("line ") and errors[0].message.startswith("invalid YAML")


def test_yaml_in_a_directory_is_read_only_when_it_is_a_template(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(SHORT.read_text())
    (tmp_path / "ci.yml").write_text("jobs:\n  test: {runs-on: ubuntu}\n")
    _, report = load_inputs([tmp_path])
    assert report.files_read == [str(tmp_path / "template.yaml")] and not report.files_rejected


# -- values ---------------------------------------------------------------------------------------------------
def test_account_id_resolves_aws_account_id_and_without_it_stays_symbolic() -> None:
    snapshot, report = load(IAC / "template_long_form.json", ACCOUNT, "PartnerAccount=555566667777")
    assert ("AWS", f"arn:aws:iam::{ACCOUNT}:role/ops") in principals(snapshot, "partner-access")
    snapshot, report = load(IAC / "template_long_form.json", None, "PartnerAccount=555566667777")
    assert ("AWS", "arn:aws:iam::${AWS::AccountId}:role/ops") in principals(snapshot, "partner-access")
    assert any("AWS::AccountId" in s and "--account-id" in s for s in symbolic(report))
    assert role(snapshot, "partner-access").account == PLACEHOLDER_ACCOUNT
    assert sum("no --account-id" in d.message for d in report.diagnostics) == 1


def test_partition_defaults_to_aws_and_a_parameter_overrides_it() -> None:
    snapshot, _ = load(IAC / "template_long_form.json", ACCOUNT, "PartnerAccount=555566667777")
    assert ("AWS", "arn:aws:iam::555566667777:root") in principals(snapshot, "partner-access")
    snapshot, _ = load(IAC / "template_long_form.json", ACCOUNT, "PartnerAccount=555566667777",
                       "AWS::Partition=aws-cn")
    assert ("AWS", "arn:aws-cn:iam::555566667777:root") in principals(snapshot, "partner-access")
    assert role(snapshot, "partner-access").arn.startswith("arn:aws-cn:iam::")


def test_parameter_value_wins_over_default_and_a_missing_value_is_reported() -> None:
    snapshot, report = load(SHORT)
    assert ("AWS", "arn:aws:iam::111122223333:root") in principals(snapshot, "deploy-dev")  # Default
    condition = role(snapshot, "deploy-dev").trust.statements[0].conditions[0]
    assert condition.values == ("${ExternalId}",)  # no Default, no value: symbolic
    assert any(".DeployRole.Properties.AssumeRolePolicyDocument.Statement[0].Condition" in s
               and "DeployRole" in s and '{"Ref": "ExternalId"}' in s for s in symbolic(report))
    assert all(d.source == str(SHORT) for d in report.diagnostics)
    snapshot, _ = load(SHORT, ACCOUNT, "TrustedAccount=222222222222", "ExternalId=s3cret")
    assert ("AWS", "arn:aws:iam::222222222222:root") in principals(snapshot, "deploy-dev")
    assert role(snapshot, "deploy-dev").trust.statements[0].conditions[0].values == ("s3cret",)


def test_ref_and_getatt_of_the_templates_iam_resources_give_names_and_arns() -> None:
    snapshot, _ = load(SHORT)
    deploy = role(snapshot, "deploy-dev")
    assert deploy.arn == f"arn:aws:iam::{ACCOUNT}:role/deploy/deploy-dev"  # !Sub of a parameter, Path
    assert ("AWS", deploy.arn) in principals(snapshot, "GeneratedNameRole")  # !GetAtt DeployRole.Arn
    assert f"arn:aws:iam::{ACCOUNT}:policy/assume-deploy" in deploy.attached_policy_arns  # !Ref ManagedPolicy
    policy = snapshot.managed_policies[f"arn:aws:iam::{ACCOUNT}:policy/assume-deploy"]
    assert policy.document.statements[0].resources == (deploy.arn,)


def test_getatt_of_a_non_iam_resource_is_kept_symbolic_and_reported() -> None:
    snapshot, report = load(SHORT)
    statements = role(snapshot, "bucket-reader").inline_policies[0].document.statements
    assert statement_placeholders(statements[0]) and statement_placeholders(statements[1])
    assert any("BucketReader" in s and "Bucket.Arn" in s for s in symbolic(report))
    # Negative control: a statement with no intrinsic has no placeholder.
    assert not statement_placeholders(role(snapshot, "deploy-dev").trust.statements[1])


@pytest.mark.parametrize("intrinsic", ["Fn::ImportValue", "Fn::Base64", "Fn::GetAZs", "Fn::Cidr"])
def test_intrinsics_decided_at_deploy_are_kept_symbolic_one_diagnostic_each(intrinsic: str) -> None:
    _, report = load(SHORT)
    assert len([s for s in symbolic(report) if intrinsic in s]) == 1


def test_join_select_split_and_find_in_map_are_evaluated() -> None:
    snapshot, report = load(SHORT)
    assert ("AWS", "arn:aws:iam::444455556666:root") in principals(snapshot, "deploy-dev")  # Join + FindInMap
    assert ("Service", "lambda.amazonaws.com") in principals(snapshot, "GeneratedNameRole")  # Select + Split
    assert "auditor-a" in {u.name for u in snapshot.users.values()}  # Select of a CommaDelimitedList
    assert not any("FindInMap" in s or "Fn::Split" in s or "Fn::Join" in s for s in symbolic(report))


def test_fn_if_decidable_from_parameters_takes_one_branch() -> None:
    dev, _ = load(SHORT)
    prod, _ = load(SHORT, ACCOUNT, "Env=prod")
    assert ("AWS", "arn:aws:iam::999999999999:root") not in principals(dev, "deploy-dev")  # AWS::NoValue branch
    assert ("AWS", "arn:aws:iam::999999999999:root") in principals(prod, "deploy-prod")


def test_fn_if_not_decidable_reads_both_branches_and_says_unknown() -> None:
    snapshot, report = load(SHORT)
    assert {("AWS", ACCOUNT), ("AWS", "arn:aws:iam::222233334444:root")} <= set(principals(snapshot,
                                                                                           "GeneratedNameRole"))
    assert any("HasExternalId" in s and "not decidable" in s for s in symbolic(report))
    # Negative control: with the parameter given, the condition is decided and one branch is read.
    snapshot, report = load(SHORT, ACCOUNT, "ExternalId=x")
    assert ("AWS", "arn:aws:iam::222233334444:root") not in principals(snapshot, "GeneratedNameRole")
    assert not any("HasExternalId" in s for s in symbolic(report))


def test_resource_condition_decided_false_is_not_read_and_true_is() -> None:
    dev, report = load(SHORT)
    assert "prod-only" not in {r.name for r in dev.roles.values()}
    assert any("ProdOnlyRole" in d.message and "decide false" in d.message for d in report.diagnostics)
    prod, _ = load(SHORT, ACCOUNT, "Env=prod")
    assert "prod-only" in {r.name for r in prod.roles.values()}


def test_role_without_role_name_is_read_under_its_logical_id_and_says_so() -> None:
    snapshot, report = load(SHORT)
    assert role(snapshot, "GeneratedNameRole").arn == f"arn:aws:iam::{ACCOUNT}:role/GeneratedNameRole"
    assert any("GeneratedNameRole has no RoleName" in d.message for d in report.diagnostics)
    assert not any("DeployRole has no RoleName" in d.message for d in report.diagnostics)


def test_ssm_parameter_default_is_not_a_value(tmp_path: Path) -> None:
    template = {"Parameters": {"Trusted": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/trusted"},
                               "Plain": {"Type": "String", "Default": "arn:aws:iam::111122223333:root"}},
                "Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "r",
                              "AssumeRolePolicyDocument": {"Statement": [
                                  {"Effect": "Allow", "Principal": {"AWS": [{"Ref": "Trusted"}, {"Ref": "Plain"}]},
                                   "Action": "sts:AssumeRole"}]}}}}}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template))
    snapshot, _ = load(path)
    assert principals(snapshot, "r") == [("AWS", "${Trusted}"), ("AWS", "arn:aws:iam::111122223333:root")]


# -- resources ------------------------------------------------------------------------------------------------
def test_every_iam_resource_type_of_a_template_is_read() -> None:
    snapshot, report = load(SHORT)
    assert not [d for d in report.diagnostics if d.level == "error"]
    deploy = role(snapshot, "deploy-dev")
    assert [p.name for p in deploy.inline_policies] == ["read", "shared", "role-policy"]  # Policies, Policy, RolePolicy
    assert deploy.attached_policy_arns[0] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert deploy.boundary_arn == f"arn:aws:iam::{ACCOUNT}:policy/boundary" and deploy.tags == {"env": "dev"}
    generated = role(snapshot, "GeneratedNameRole")
    assert generated.attached_policy_arns == [f"arn:aws:iam::{ACCOUNT}:policy/assume-deploy"]  # ManagedPolicy.Roles
    users = {u.name: u for u in snapshot.users.values()}
    assert users["operator"].path == "/people/"
    assert [p.name for p in users["operator"].inline_policies] == ["user-data", "shared", "user-policy"]
    assert users["operator"].group_names == ["operators"] and users["auditor-a"].group_names == ["operators"]
    group = next(iter(snapshot.groups.values()))
    assert group.name == "operators" and [p.name for p in group.inline_policies] == ["shared", "group-policy"]
    assert group.attached_policy_arns == [f"arn:aws:iam::{ACCOUNT}:policy/assume-deploy"]


def test_policy_naming_a_role_outside_the_template_is_warned(tmp_path: Path) -> None:
    template = {"Resources": {"P": {"Type": "AWS::IAM::Policy", "Properties": {
        "PolicyName": "p", "Roles": ["existing-role"],
        "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}}}}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template))
    _, report = load(path)
    assert any("'existing-role' is not in the template" in d.message for d in report.diagnostics)


def test_inline_policy_from_a_transform_is_a_gap_not_an_error(tmp_path: Path) -> None:
    template = {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "r", "AssumeRolePolicyDocument": {"Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": [{"Fn::Transform": {"Name": "Macro"}}]}}}}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template))
    snapshot, report = load(path)
    assert not [d for d in report.diagnostics if d.level == "error"] and role(snapshot, "r").inline_policies == []
    assert any("inline policy is not known before deploy" in gap for gap in snapshot.gaps)


def test_cdk_assembly_reads_the_template_and_skips_its_metadata_files() -> None:
    snapshot, report = load(IAC / "cdk.out")
    assert report.files_read == [str(IAC / "cdk.out" / "AppStack.template.json")] and not report.files_rejected
    worker = role(snapshot, "WorkerRole7C8F1E6A")
    assert principals(snapshot, "WorkerRole7C8F1E6A") == [("AWS", f"arn:aws:iam::{ACCOUNT}:root")]
    assert worker.attached_policy_arns == ["arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"]
    assert [p.name for p in worker.inline_policies] == ["WorkerRoleDefaultPolicy3F9A1C2B"]
    assert any("AppStack/WorkerRole/Resource" in d.message for d in report.diagnostics)  # the construct path


def test_template_without_iam_resources_is_read_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"AWSTemplateFormatVersion": "2010-09-09",
                                "Resources": {"B": {"Type": "AWS::S3::Bucket"}}}))
    snapshot, report = load(path)
    assert report.files_read and not snapshot.roles
    assert any("no IAM roles" in d.message for d in report.diagnostics)


@pytest.mark.parametrize("account, parameters, problem", [
    ("12345", (), "12-digit"), (None, ("NoEquals",), "KEY=VALUE"), (None, ("=x",), "KEY=VALUE")])
def test_bad_option_values_are_one_clear_error(account, parameters, problem) -> None:
    with pytest.raises(IacOptionError, match=problem):
        parse_options(account, parameters)
    assert parse_options("123456789012", ("A=b=c",)).parameter_map == {"A": "b=c"}


def test_transform_and_nested_stack_are_said_not_silently_missing(tmp_path: Path) -> None:
    template = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {
        "Fn": {"Type": "AWS::Serverless::Function", "Properties": {}},
        "Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "child.yaml"}}}}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template))
    snapshot, report = load(path)
    assert any("Transform AWS::Serverless-2016-10-31" in gap for gap in snapshot.gaps)
    assert any("Child is a nested stack" in d.message for d in report.diagnostics)
    # Negative control: a plain template has neither.
    snapshot, report = load(IAC / "template_long_form.json", ACCOUNT, "PartnerAccount=555566667777")
    assert not any("Transform" in gap or "nested stack" in gap for gap in snapshot.gaps)
