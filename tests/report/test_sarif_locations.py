"""SARIF for code scanning: no fixed category unless --sarif-category names one, and results on the source line of
infrastructure as code (the `.tf` resource block, the template's logical id), the plan or template as fallback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from tests.cli.test_findings_cli import SARIF_SUBSET
from trustgraph.cli import main
from trustgraph.model import IacOrigin
from trustgraph.sources.iac_locations import json_resource_lines, source_line, yaml_resource_lines

ACME = Path(__file__).resolve().parents[2] / "samples" / "acme"
ACCOUNT = "123456789012"
# Any AWS principal may assume it: TG101 (public trust) on the role, whatever else holds.
OPEN_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
GUARDRAILS = "rules:\n  - id: nobody-outside\n    from: {outside: true}\n    to: {principal: '*'}\n    deny: true\n"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def sarif_of(*args: str) -> dict[str, Any]:
    code, out = run("findings", *args, "-q", "--format", "sarif")
    assert code == 0, out
    sarif = json.loads(out)
    jsonschema.validate(sarif, SARIF_SUBSET)
    return sarif


def location(sarif: dict[str, Any], role_name: str) -> tuple[str, int]:
    """(uri, startLine) of the TG101 result on the role named `role_name`."""
    result = next(r for r in sarif["runs"][0]["results"]
                  if r["ruleId"] == "TG101" and r["properties"]["role"].endswith(f"role/{role_name}"))
    physical = result["locations"][0]["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical["region"]["startLine"]


def _role(address: str, name: str) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "type": "aws_iam_role", "name": address.rsplit(".", 1)[-1],
            "values": {"name": name, "path": "/", "assume_role_policy": OPEN_TRUST}}


def write_plan(directory: Path, *, module_source: str = "./modules/app", key: str = "") -> Path:
    """A plan of two roles open to any AWS account: `aws_iam_role.open` (root module; `key`: its instance key, as
    `for_each` makes) and `module.app.aws_iam_role.worker` (module `app`, from `module_source`)."""
    plan = {
        "format_version": "1.2",
        "planned_values": {"root_module": {
            "resources": [_role(f"aws_iam_role.open{key}", "open")],
            "child_modules": [{"address": "module.app",
                               "resources": [_role("module.app.aws_iam_role.worker", "worker")]}]}},
        "configuration": {"root_module": {
            "resources": [{"address": "aws_iam_role.open", "type": "aws_iam_role", "name": "open"}],
            "module_calls": {"app": {"source": module_source, "module": {
                "resources": [{"address": "aws_iam_role.worker", "type": "aws_iam_role", "name": "worker"}]}}}}},
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "plan.json"
    path.write_text(json.dumps(plan, indent=1))
    return path


ROOT_TF = '''terraform {
  required_version = ">= 1.6"
}

# The role the pipeline assumes.
resource "aws_iam_role" "open" {
  name               = "open"
  assume_role_policy = data.aws_iam_policy_document.open.json
}

module "app" {
  source = "./modules/app"
}
'''
ROOT_LINE = 6
MODULE_TF = '''variable "env" {
  type = string
}

resource "aws_iam_policy" "unrelated" {
  name = "unrelated"
}

resource "aws_iam_role" "worker" {
  name = "worker"
}
'''
MODULE_LINE = 9


def write_configuration(directory: Path) -> None:
    (directory / "main.tf").write_text(ROOT_TF)
    (directory / "modules" / "app").mkdir(parents=True)
    (directory / "modules" / "app" / "iam.tf").write_text(MODULE_TF)


# -- the category ------------------------------------------------------------------------------------------------

def test_sarif_category_absent_by_default_so_the_upload_category_applies(tmp_path: Path) -> None:
    sarif = sarif_of("-i", str(ACME))
    assert "automationDetails" not in sarif["runs"][0]
    rules = tmp_path / "rules.yaml"
    rules.write_text(GUARDRAILS)
    code, out = run("check", "-i", str(ACME), "--rules", str(rules), "-q", "--format", "sarif")
    assert code == 0, out
    assert "automationDetails" not in json.loads(out)["runs"][0]


def test_sarif_category_given_is_the_run_automation_id(tmp_path: Path) -> None:
    sarif = sarif_of("-i", str(ACME), "--sarif-category", "account-111111111111")
    assert sarif["runs"][0]["automationDetails"] == {"id": "account-111111111111/"}
    # A name already ending in `/` is the category as it is (GitHub: the category is what precedes the last `/`).
    assert sarif_of("-i", str(ACME), "--sarif-category", "iam/prod/")["runs"][0]["automationDetails"]["id"] == \
        "iam/prod/"
    rules = tmp_path / "rules.yaml"
    rules.write_text(GUARDRAILS)
    code, out = run("check", "-i", str(ACME), "--rules", str(rules), "-q", "--format", "sarif",
                    "--sarif-category", "guardrails-prod")
    assert code == 0, out
    assert json.loads(out)["runs"][0]["automationDetails"] == {"id": "guardrails-prod/"}


def test_sarif_category_without_a_name_is_refused() -> None:
    code, out = run("findings", "-i", str(ACME), "-q", "--format", "sarif", "--sarif-category", "/")
    assert code == 2 and "--sarif-category" in out
    code, out = run("findings", "-i", str(ACME), "-q", "--format", "sarif", "--sarif-category", "a\x1bb")
    assert code == 2


# -- Terraform ------------------------------------------------------------------------------------------------------

def test_terraform_finding_points_at_the_resource_block_line(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "tf")
    write_configuration(tmp_path / "tf")
    uri, line = location(sarif_of("-i", str(plan), "--account-id", ACCOUNT), "open")
    assert uri.endswith("tf/main.tf") and line == ROOT_LINE
    assert ROOT_TF.splitlines()[line - 1] == 'resource "aws_iam_role" "open" {'


def test_terraform_instance_of_for_each_points_at_its_resource_block(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "tf", key='["prod"]')
    write_configuration(tmp_path / "tf")
    uri, line = location(sarif_of("-i", str(plan), "--account-id", ACCOUNT), "open")
    assert uri.endswith("tf/main.tf") and line == ROOT_LINE


def test_terraform_module_finding_points_into_the_local_module_directory(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "tf")
    write_configuration(tmp_path / "tf")
    uri, line = location(sarif_of("-i", str(plan), "--account-id", ACCOUNT), "worker")
    assert uri.endswith("tf/modules/app/iam.tf") and line == MODULE_LINE
    assert MODULE_TF.splitlines()[line - 1] == 'resource "aws_iam_role" "worker" {'


def test_terraform_without_tf_files_falls_back_to_the_plan(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "tf")  # no .tf file beside it
    uri, line = location(sarif_of("-i", str(plan), "--account-id", ACCOUNT), "open")
    assert uri.endswith("tf/plan.json")
    assert '"open"' in plan.read_text().splitlines()[line - 1]


def test_terraform_registry_module_falls_back_to_the_plan(tmp_path: Path) -> None:
    # The module comes from the registry: its files are not in the repository, whatever the directories hold.
    plan = write_plan(tmp_path / "tf", module_source="terraform-aws-modules/iam/aws")
    write_configuration(tmp_path / "tf")
    sarif = sarif_of("-i", str(plan), "--account-id", ACCOUNT)
    assert location(sarif, "worker")[0].endswith("tf/plan.json")
    assert location(sarif, "open") == (location(sarif, "open")[0], ROOT_LINE)  # the root module still resolves


def test_terraform_file_that_does_not_parse_falls_back_to_the_plan(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "tf")
    write_configuration(tmp_path / "tf")
    (tmp_path / "tf" / "main.tf").write_text(ROOT_TF.replace('"open" {', '"open" {{'))
    assert location(sarif_of("-i", str(plan), "--account-id", ACCOUNT), "open")[0].endswith("tf/plan.json")


def test_terraform_location_survives_a_saved_graph(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "tf")
    write_configuration(tmp_path / "tf")
    saved = tmp_path / "g.sqlite"
    code, out = run("build", "-i", str(plan), "--account-id", ACCOUNT, "-o", str(saved), "-q")
    assert code == 0, out
    uri, line = location(sarif_of("--graph", str(saved)), "worker")
    assert uri.endswith("tf/modules/app/iam.tf") and line == MODULE_LINE


def test_guardrail_results_point_at_the_resource_block_too(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "tf")
    write_configuration(tmp_path / "tf")
    rules = tmp_path / "rules.yaml"
    rules.write_text(GUARDRAILS)
    code, out = run("check", "-i", str(plan), "--account-id", ACCOUNT, "--rules", str(rules), "-q",
                    "--format", "sarif")
    assert code == 0, out
    sarif = json.loads(out)
    jsonschema.validate(sarif, SARIF_SUBSET)
    result = next(r for r in sarif["runs"][0]["results"] if r["properties"]["role"].endswith("role/open"))
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"].endswith("tf/main.tf")
    assert physical["region"]["startLine"] == ROOT_LINE


# -- CloudFormation ----------------------------------------------------------------------------------------------

YAML_TEMPLATE = '''AWSTemplateFormatVersion: "2010-09-09"
Description: >
  Resources: not this one (a folded string)
Parameters:
  Env: {Type: String, Default: dev}
Resources:
  Unrelated:
    Type: AWS::SNS::Topic
  OpenRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "open-${Env}"
      AssumeRolePolicyDocument:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal: {AWS: "*"}
            Action: sts:AssumeRole
'''


def test_cloudformation_yaml_finding_points_at_the_logical_id_line(tmp_path: Path) -> None:
    template = tmp_path / "stack.yaml"
    template.write_text(YAML_TEMPLATE)
    uri, line = location(sarif_of("-i", str(template), "--account-id", ACCOUNT), "open-dev")
    assert uri.endswith("stack.yaml") and YAML_TEMPLATE.splitlines()[line - 1] == "  OpenRole:"


def test_cloudformation_json_finding_points_at_the_logical_id_line(tmp_path: Path) -> None:
    # Tab indentation: valid JSON that PyYAML refuses, so the JSON scan is what finds the line.
    text = json.dumps({"Metadata": {"Resources": {"OpenRole": "not this one"}}, "Resources": {
        "Unrelated": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "a \" { tricky: string"}},
        "OpenRole": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "open-json", "AssumeRolePolicyDocument": json.loads(OPEN_TRUST)}}}}, indent="\t")
    template = tmp_path / "stack.template.json"
    template.write_text(text)
    uri, line = location(sarif_of("-i", str(template), "--account-id", ACCOUNT), "open-json")
    assert uri.endswith("stack.template.json") and text.splitlines()[line - 1] == '\t\t"OpenRole": {'


def test_cloudformation_template_changed_since_falls_back_to_the_template(tmp_path: Path) -> None:
    template = tmp_path / "stack.yaml"
    template.write_text(YAML_TEMPLATE)
    origin = IacOrigin("cloudformation", str(template), "OpenRole")
    assert source_line(origin) is not None
    assert source_line(IacOrigin("cloudformation", str(template), "GoneRole")) is None
    assert source_line(IacOrigin("cloudformation", str(tmp_path / "missing.yaml"), "OpenRole")) is None


def test_resource_lines_are_only_the_top_level_resources_keys() -> None:
    text = '{"Metadata": {"Resources": {"A": 1}},\n "Resources": {\n  "B": {"Resources": {"C": 1}},\n  "D": {}}}'
    assert json_resource_lines(text) == {"B": 3, "D": 4}
    assert yaml_resource_lines(text) == {"B": 3, "D": 4}  # the same document as YAML (JSON is YAML here)
    assert yaml_resource_lines("Metadata:\n  Resources:\n    A: 1\nResources:\n  B: !Ref X\n") == {"B": 5}
    assert yaml_resource_lines(": : not yaml [") == {}


@pytest.mark.parametrize("source", ["./modules/app", "../shared/app"])
def test_module_directories_follow_local_sources_only(source: str) -> None:
    from trustgraph.sources.terraform_state import module_directories

    configuration = {"root_module": {"module_calls": {
        "app": {"source": source, "module": {"module_calls": {"inner": {"source": "./inner"},
                                                              "remote": {"source": "git::https://x/y.git"}}}},
        "registry": {"source": "terraform-aws-modules/iam/aws",
                     "module": {"module_calls": {"local_in_remote": {"source": "./z"}}}}}}}
    found = module_directories(configuration)
    base = source.removeprefix("./")
    assert found["module.app"] == base and found["module.app.module.inner"] == f"{base}/inner"
    assert found["module.app.module.remote"] is None and found["module.registry"] is None
    assert found["module.registry.module.local_in_remote"] is None  # inside a downloaded module: not here
