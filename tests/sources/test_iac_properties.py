"""Property tests for the template and plan readers: never a traceback on arbitrary nested JSON or YAML, every
problem is a diagnostic naming the file."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustgraph.load_report import LoadReport
from trustgraph.sources.cloudformation import read_template
from trustgraph.sources.files import YamlError, load_input_file, load_inputs
from trustgraph.sources.iac import IacOptions
from trustgraph.sources.snapshot_builder import SnapshotBuilder
from trustgraph.sources.terraform_plan import read_plan

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INTRINSICS = ["Ref", "Fn::Sub", "Fn::GetAtt", "Fn::Join", "Fn::If", "Fn::Select", "Fn::Split", "Fn::ImportValue",
              "Fn::FindInMap", "Fn::Base64", "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition",
              "Fn::Transform", "Fn::GetAZs"]
KEYS = st.sampled_from([*INTRINSICS, "Effect", "Statement", "Principal", "Action", "Resource", "Condition",
                        "RoleName", "Roles", "Users", "Groups", "PolicyDocument", "Policies", "ManagedPolicyArns",
                        "Path", "AWS", "Default", "Type", "Tags", "Key", "Value"]) | st.text(max_size=6)
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
           | st.sampled_from(["AWS::AccountId", "AWS::NoValue", "AWS::Partition", "P", "R", "Cond", "${P}",
                              "${R.Arn}", "${!x}", "${aws:username}", "arn:aws:iam::111122223333:root", "*",
                              "Allow", "sts:AssumeRole", "2012-10-17", "R.Arn", ""])
           | st.text(max_size=8))
JSONISH = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                       max_leaves=30)
TYPES = st.sampled_from(["AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::ManagedPolicy",
                         "AWS::IAM::Policy", "AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy",
                         "AWS::IAM::UserToGroupAddition", "AWS::S3::Bucket"])
LOGICAL = st.sampled_from(["R", "U", "G", "P", "Q"])


@st.composite
def templates(draw):
    resources = draw(st.dictionaries(LOGICAL, st.fixed_dictionaries(
        {"Type": TYPES, "Properties": JSONISH}, optional={"Condition": SCALARS, "Metadata": JSONISH}), max_size=5))
    template = {"Resources": resources}
    for section in ("Parameters", "Conditions", "Mappings"):
        if draw(st.booleans()):
            template[section] = draw(st.dictionaries(st.sampled_from(["P", "Cond", "M", "X"]), JSONISH, max_size=3))
    return template


PLAN_TYPES = st.sampled_from(["aws_iam_role", "aws_iam_user", "aws_iam_group", "aws_iam_policy", "aws_iam_role_policy",
                              "aws_iam_role_policy_attachment", "aws_iam_user_group_membership",
                              "aws_iam_group_membership", "aws_iam_policy_document", "aws_s3_bucket"])


@st.composite
def plans(draw):
    changes = draw(st.lists(st.fixed_dictionaries({
        "address": st.sampled_from(["aws_iam_role.r", "module.m.aws_iam_role.r[\"a\"]", "aws_iam_policy.p", "x",
                                    "data.aws_iam_policy_document.d"]),
        "type": PLAN_TYPES, "mode": st.sampled_from(["managed", "data"]),
        "change": st.fixed_dictionaries({"actions": st.lists(st.sampled_from(["create", "delete", "update", "read"]),
                                                             max_size=2),
                                         "before": JSONISH, "after": JSONISH, "after_unknown": JSONISH})}), max_size=5))
    return {"format_version": draw(st.sampled_from(["1.2", "0.1", "9"])), "resource_changes": changes,
            "planned_values": {"root_module": {"resources": draw(st.lists(JSONISH, max_size=3)),
                                               "child_modules": draw(st.lists(JSONISH, max_size=2))}},
            "configuration": draw(JSONISH)}


OPTIONS = st.builds(IacOptions, account_id=st.sampled_from([None, "123456789012"]),
                    parameters=st.sampled_from([(), (("P", "x"),), (("AWS::Region", "eu-west-1"),)]),
                    plan_side=st.sampled_from(["after", "before"]))


def _read(reader, value, options) -> None:
    builder = SnapshotBuilder(LoadReport())
    reader(value, builder, "t.json", options)
    builder.finish()
    assert all(d.source and d.message for d in builder.report.diagnostics)


@SETTINGS
@given(templates(), OPTIONS)
def test_template_loader_never_raises_on_arbitrary_nested_values(template, options):
    _read(read_template, template, options)


@SETTINGS
@given(plans(), OPTIONS)
def test_plan_loader_never_raises_on_arbitrary_nested_values(plan, options):
    _read(read_plan, plan, options)


@SETTINGS
@given(templates())
def test_template_loader_never_raises_on_arbitrary_yaml_templates(template):
    text = yaml.safe_dump(template, allow_unicode=True)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "t.yaml"
        path.write_text(text)
        snapshot, report = load_inputs([path], iac=IacOptions(account_id="123456789012"))
        assert report.files_read or report.files_rejected


YAML_TOKENS = st.sampled_from(["!Ref ", "!Sub ", "!GetAtt ", "!If ", "!Join ", "!Select ", "!Base64 ", "!Bogus ",
                               "Resources:", "\n", "  ", "- ", ": ", "[", "]", "{", "}", ",", "R", "Type",
                               "AWS::IAM::Role", "Properties", "&a ", "*a", "? ", "'", '"', "#", "2012-10-17", "|"])


@SETTINGS
@given(st.lists(YAML_TOKENS, max_size=40).map("".join))
def test_yaml_reader_gives_a_value_or_one_yaml_error_on_arbitrary_text(text):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "t.yaml"
        path.write_text(text)
        try:
            load_input_file(path)
        except (YamlError, json.JSONDecodeError):
            pass
        snapshot, report = load_inputs([path])
        assert report.files_read or report.files_rejected
