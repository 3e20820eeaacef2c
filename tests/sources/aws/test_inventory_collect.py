"""`trustgraph collect` inventory against moto (mock_aws): one resource of each kind, listing failures recorded
per service and region, pagination, and readers that do not claim more than was listed."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_fakes import (
    MANAGEMENT_ACCOUNT,
    REGION,
    _RawBody,
    collect_with_hook,
    no_retry_wait,
    set_fake_credentials,
    short_circuit_error,
)
from botocore.awsrequest import AWSResponse
from click.testing import CliRunner, Result
from moto import mock_aws

from trustgraph.cli import collect_cmd, main
from trustgraph.sources.aws.inventory_export import SERVICES, Coverage, export_inventory
from trustgraph.sources.files import load_inputs
from trustgraph.sources.inventory_file import KINDS

OTHER_REGION = "eu-west-1"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:role/{name}"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    set_fake_credentials(monkeypatch, tmp_path)
    no_retry_wait(monkeypatch)
    monkeypatch.setattr(collect_cmd, "client_hook", None)
    with mock_aws():
        yield


def make_resources(region: str = REGION) -> dict[str, str]:
    """One resource of every kind moto can create, each running as its own role; kind → role name."""
    iam = boto3.client("iam", region_name=region)
    roles = {kind: f"{kind}-role" for kind in KINDS}
    roles["ec2-instance-profile"] = roles["ec2-instance"]  # the instance runs as the role of its profile
    for name in roles.values():
        if name not in {r["RoleName"] for r in iam.list_roles()["Roles"]}:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    iam.create_instance_profile(InstanceProfileName="web")
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName=roles["ec2-instance"])
    iam.create_instance_profile(InstanceProfileName="spare", Path="/spare/")  # holds no role: no resource

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("index.py", "def handler(event, context):\n    return 1\n")
    boto3.client("lambda", region_name=region).create_function(
        FunctionName="resize", Runtime="python3.12", Role=role_arn(roles["lambda-function"]), Handler="index.handler",
        Code={"ZipFile": archive.getvalue()})
    ec2 = boto3.client("ec2", region_name=region)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1,
                      IamInstanceProfile={"Arn": f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:instance-profile/web"},
                      TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}])
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)  # no instance profile: no role
    template = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
    cfn = boto3.client("cloudformation", region_name=region)
    cfn.create_stack(StackName="network", TemplateBody=template, RoleARN=role_arn(roles["cloudformation-stack"]))
    cfn.create_stack(StackName="as-caller", TemplateBody=template)  # no service role: acts as its caller
    boto3.client("codebuild", region_name=region).create_project(
        name="build", source={"type": "S3", "location": "bucket/source.zip"}, artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                     "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole=role_arn(roles["codebuild-project"]))
    boto3.client("ecs", region_name=region).register_task_definition(
        family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}],
        taskRoleArn=role_arn(roles["ecs-task-definition"]), executionRoleArn=role_arn("ecs-execution-role"))
    boto3.client("sagemaker", region_name=region).create_notebook_instance(
        NotebookInstanceName="lab", InstanceType="ml.t2.medium", RoleArn=role_arn(roles["sagemaker-notebook"]))
    boto3.client("glue", region_name=region).create_dev_endpoint(
        EndpointName="etl", RoleArn=role_arn(roles["glue-dev-endpoint"]))
    return roles


def success(parsed: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    """A `before-call` result: the call succeeds at once with this reply."""
    return AWSResponse("https://fault.invalid/", 200, {}, _RawBody(b"")), {
        **parsed, "ResponseMetadata": {"HTTPStatusCode": 200, "RetryAttempts": 0}}


def enabled(*regions: str) -> Any:
    """Client hook: ec2:DescribeRegions answers `regions` (moto enables all ~30, ~30 s of listings per run)."""
    def hook(client: Any, _account: str | None) -> None:
        if client.meta.service_model.service_name == "ec2":
            client.meta.events.register("before-call.ec2.DescribeRegions", lambda **_: success(
                {"Regions": [{"RegionName": r, "OptInStatus": "opt-in-not-required"} for r in regions]}))
    return hook


def deny(service: str, operation: str, region: str, message: str) -> Any:
    def hook(client: Any, _account: str | None) -> None:
        if client.meta.service_model.service_name == service and client.meta.region_name == region:
            client.meta.events.register(f"before-call.{service}.{operation}",
                                        lambda **_: short_circuit_error("AccessDeniedException", message))
    return hook


def combine(*hooks: Any) -> Any:
    def hook(client: Any, account: str | None) -> None:
        for each in hooks:
            each(client, account)
    return hook


def collect(monkeypatch: pytest.MonkeyPatch, hook: Any, *args: str) -> Result:
    return collect_with_hook(monkeypatch, hook, *args)


def inventory_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "inventory" / f"{MANAGEMENT_ACCOUNT}.json").read_text())


def test_inventory_lists_each_kind_with_the_role_it_runs_as(aws: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    roles = make_resources()
    out = tmp_path / "snap"
    result = collect(monkeypatch, enabled(REGION), "-o", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""

    inventory = inventory_of(out)
    assert inventory["schema"] == "trustgraph/inventory/v1" and inventory["complete"] is True
    assert inventory["regions"] == inventory["regions_enabled"] == [REGION]
    assert {(c["service"], c["region"], c["status"]) for c in inventory["coverage"]} == (
        {(s, REGION, "ok") for s in SERVICES} | {("iam", "global", "ok")})
    by_kind = {r["kind"]: r for r in inventory["resources"]}
    assert sorted(by_kind) == sorted(KINDS) and len(inventory["resources"]) == len(KINDS)  # nothing role-less
    for kind, name in roles.items():
        assert by_kind[kind]["role_arn"] == role_arn(name), kind
    # ECS: the task role (the code's credentials), not the execution role (the agent's).
    assert by_kind["ecs-task-definition"]["name"] == "app:1"
    assert by_kind["ec2-instance"]["name"] == "web-1"
    assert by_kind["ec2-instance"]["arn"].startswith(f"arn:aws:ec2:{REGION}:{MANAGEMENT_ACCOUNT}:instance/i-")
    assert by_kind["ec2-instance-profile"] == {
        "kind": "ec2-instance-profile", "arn": f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:instance-profile/web",
        "name": "web", "region": "", "role_arn": role_arn(roles["ec2-instance"])}
    assert by_kind["glue-dev-endpoint"]["arn"] == f"arn:aws:glue:{REGION}:{MANAGEMENT_ACCOUNT}:devEndpoint/etl"
    manifest = json.loads(result.stdout)
    assert manifest["accounts"][0]["inventory"] == {
        "status": "ok", "file": f"inventory/{MANAGEMENT_ACCOUNT}.json", "regions": 1, "all_regions": True,
        "resources": len(KINDS), "problems": []}

    snapshot, report = load_inputs([out])
    assert [str(d) for d in report.diagnostics] == []
    assert {(r.kind, r.role_arn) for r in snapshot.resources} == {(k, role_arn(n)) for k, n in roles.items()}
    assert snapshot.inventory_accounts == {MANAGEMENT_ACCOUNT}


def test_access_denied_on_one_service_in_one_region_is_recorded_and_makes_the_inventory_partial(
        aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_resources(REGION)
    boto3.client("iam", region_name=REGION).create_role(RoleName="other-role", AssumeRolePolicyDocument=TRUST)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("index.py", "")
    boto3.client("lambda", region_name=OTHER_REGION).create_function(
        FunctionName="hidden", Runtime="python3.12", Role=role_arn("other-role"), Handler="index.handler",
        Code={"ZipFile": archive.getvalue()})
    message = ("User: arn:aws:sts::123456789012:assumed-role/Reader/x is not authorized to perform: "
               "lambda:ListFunctions with an explicit deny in a service control policy")
    out = tmp_path / "snap"
    result = collect(monkeypatch, combine(enabled(REGION, OTHER_REGION),
                                          deny("lambda", "ListFunctions", OTHER_REGION, message)),
                     "-o", str(out), "--regions", f"{REGION},{OTHER_REGION}")

    assert result.exit_code == 3  # partial
    assert result.stderr.splitlines() == [
        f"warning: account {MANAGEMENT_ACCOUNT}: inventory: lambda {OTHER_REGION}: lambda:ListFunctions: denied by "
        "a service control policy"]
    inventory = inventory_of(out)
    assert inventory["complete"] is False
    [failed] = [c for c in inventory["coverage"] if c["status"] == "failed"]
    assert failed == {"service": "lambda", "region": OTHER_REGION, "status": "failed", "resources": 0,
                      "reason_code": "scp-deny",
                      "reason": f"{OTHER_REGION}: lambda:ListFunctions: denied by a service control policy",
                      "aws_message": message}
    # Every other listing went on: the same service in the other region, other services in this one.
    assert sum(1 for c in inventory["coverage"] if c["status"] == "ok") == 2 * len(SERVICES) - 1 + 1  # + iam
    assert {r["name"] for r in inventory["resources"] if r["kind"] == "lambda-function"} == {"resize"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["partial"] is True and manifest["summary"]["inventory_incomplete"] == 1
    record = manifest["accounts"][0]
    assert record["status"] == "ok" and record["file"] == f"{MANAGEMENT_ACCOUNT}.json"  # the account was read
    assert record["inventory"]["status"] == "partial"

    snapshot, _ = load_inputs([out])
    assert snapshot.inventory_accounts == set()  # no reader may conclude a role there has no resource
    assert len(snapshot.resources) == len(KINDS)  # what was listed is still there
    assert any(f"the inventory of account {MANAGEMENT_ACCOUNT} is incomplete (1 listing(s) failed: lambda in "
               f"{OTHER_REGION})" in gap for gap in snapshot.gaps)


def test_narrower_regions_than_enabled_leave_the_inventory_incomplete(
        aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    result = collect(monkeypatch, enabled(REGION, OTHER_REGION), "-o", str(out), "--regions", REGION)
    assert result.exit_code == 0, result.stderr  # nothing failed: what was asked for was read
    inventory = inventory_of(out)
    assert inventory["complete"] is False and inventory["regions"] == [REGION]
    assert json.loads((out / "manifest.json").read_text())["accounts"][0]["inventory"]["all_regions"] is False
    snapshot, _ = load_inputs([out])
    assert snapshot.inventory_accounts == set()
    assert any(f"regions not read: {OTHER_REGION}" in gap for gap in snapshot.gaps)

    result = collect(monkeypatch, enabled(REGION), "-o", str(out), "--regions", REGION, "--force")
    assert result.exit_code == 0, result.stderr
    assert load_inputs([out])[0].inventory_accounts == {MANAGEMENT_ACCOUNT}


def test_describe_regions_denied_reads_the_given_regions_and_stays_incomplete(
        aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    result = collect(monkeypatch, deny("ec2", "DescribeRegions", REGION, "nope"), "-o", str(out),
                     "--regions", REGION)
    assert result.exit_code == 3
    assert "inventory: ec2:DescribeRegions: AccessDenied" in result.stderr
    inventory = inventory_of(out)
    assert inventory["regions"] == [REGION] and inventory["regions_enabled"] is None
    assert inventory["complete"] is False
    assert inventory["regions_problem"] == "ec2:DescribeRegions: AccessDenied"
    snapshot, _ = load_inputs([out])
    assert snapshot.inventory_accounts == set()
    assert any("the enabled regions are unknown: ec2:DescribeRegions: AccessDenied" in gap for gap in snapshot.gaps)


def test_no_inventory_writes_none(aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    result = collect(monkeypatch, None, "-o", str(out), "--no-inventory", "--json")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"{MANAGEMENT_ACCOUNT}.json", "manifest.json"]
    assert "inventory" not in json.loads(result.stdout)["accounts"][0]


def test_bad_region_names_are_refused(aws: Any, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["collect", "-o", str(tmp_path / "s"), "--regions", "us-east-1,Mars"])
    assert result.exit_code == 2 and "not a region name: Mars" in result.output
    assert not (tmp_path / "s").exists()


def test_listings_follow_every_page(aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto answers ListFunctions in one page; two pages are injected to prove the marker is followed."""
    seen: list[str | None] = []

    def pages(params: dict[str, Any], **_: Any) -> Any:
        marker = (params.get("query_string") or {}).get("Marker")
        seen.append(marker)
        function = {"FunctionName": f"f{len(seen)}", "Role": role_arn("r"),
                    "FunctionArn": f"arn:aws:lambda:{REGION}:{MANAGEMENT_ACCOUNT}:function:f{len(seen)}"}
        return success({"Functions": [function]} | ({"NextMarker": "page-2"} if marker is None else {}))

    def hook(client: Any, account: str | None) -> None:
        enabled(REGION)(client, account)
        if client.meta.service_model.service_name == "lambda":
            client.meta.events.register("before-call.lambda.ListFunctions", pages)

    out = tmp_path / "snap"
    assert collect(monkeypatch, hook, "-o", str(out)).exit_code == 0
    assert seen == [None, "page-2"]
    assert [r["name"] for r in inventory_of(out)["resources"] if r["kind"] == "lambda-function"] == ["f1", "f2"]


def test_codebuild_projects_are_described_in_batches_of_100(aws: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    codebuild = boto3.client("codebuild", region_name=REGION)
    for i in range(101):
        codebuild.create_project(
            name=f"p{i:03}", source={"type": "S3", "location": "bucket/s.zip"}, artifacts={"type": "NO_ARTIFACTS"},
            environment={"type": "LINUX_CONTAINER", "image": "x", "computeType": "BUILD_GENERAL1_SMALL"},
            serviceRole=role_arn("build"))
    batches: list[int] = []

    def hook(client: Any, account: str | None) -> None:
        enabled(REGION)(client, account)
        if client.meta.service_model.service_name == "codebuild":
            client.meta.events.register("provide-client-params.codebuild.BatchGetProjects",
                                        lambda params, **_: batches.append(len(params["names"])))

    out = tmp_path / "snap"
    assert collect(monkeypatch, hook, "-o", str(out)).exit_code == 0
    assert batches == [100, 1]
    assert sum(1 for r in inventory_of(out)["resources"] if r["kind"] == "codebuild-project") == 101


def test_a_service_not_offered_in_a_region_is_not_a_failure() -> None:
    calls: list[tuple[str, str | None]] = []

    class Client:
        def describe_regions(self, **_: Any) -> dict[str, Any]:
            return {"Regions": [{"RegionName": "xx-new-1"}]}

        def get_paginator(self, _name: str) -> Any:
            class Empty:
                def paginate(self) -> list[dict[str, Any]]:
                    return [{}]
            return Empty()

    def client_for(service: str, region: str | None) -> Any:
        calls.append((service, region))
        return Client()

    export = export_inventory(client_for, MANAGEMENT_ACCOUNT, "aws", {}, None,
                              lambda service: {"xx-new-1"} if service != "glue" else set())
    assert ("glue", "xx-new-1") not in calls and ("lambda", "xx-new-1") in calls
    assert Coverage("glue", "xx-new-1", "not-offered") in export.coverage
    assert export.complete is True


def test_inventory_progress_goes_through_the_listener(aws: Any, tmp_path: Path) -> None:
    from trustgraph.sources.aws.collector import CollectOptions, Collector, SilentListener
    from trustgraph.sources.aws.session import SessionFactory, SessionSettings

    class Recording(SilentListener):
        def __init__(self) -> None:
            self.stages: list[str] = []

        def account_stage(self, account_id: str, stage: str) -> None:
            self.stages.append(stage)

    listener = Recording()
    sessions = SessionFactory(SessionSettings(region=REGION, client_hook=enabled(REGION, OTHER_REGION)))
    options = CollectOptions(output_dir=tmp_path / "snap", regions=(OTHER_REGION, REGION))
    result = Collector(sessions, options, listener).run()
    assert result.manifest.accounts[0].inventory is not None
    assert listener.stages[-3:] == ["inventory", f"inventory {OTHER_REGION} (1/2)", f"inventory {REGION} (2/2)"]


def test_terminated_instances_run_no_code(aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    iam = boto3.client("iam", region_name=REGION)
    iam.create_role(RoleName="web", AssumeRolePolicyDocument=TRUST)
    iam.create_instance_profile(InstanceProfileName="web")
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="web")
    ec2 = boto3.client("ec2", region_name=REGION)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    profile = {"Arn": f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:instance-profile/web"}
    running, gone, stopped = (ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, IamInstanceProfile=profile)
                              ["Instances"][0]["InstanceId"] for _ in range(3))
    ec2.terminate_instances(InstanceIds=[gone])
    ec2.stop_instances(InstanceIds=[stopped])  # can be started again: still runs as the role
    out = tmp_path / "snap"
    assert collect(monkeypatch, enabled(REGION), "-o", str(out)).exit_code == 0
    listed = {r["arn"].rsplit("/", 1)[-1] for r in inventory_of(out)["resources"] if r["kind"] == "ec2-instance"}
    assert listed == {running, stopped}


def test_ecs_records_the_task_role_not_the_execution_role(aws: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ecs = boto3.client("ecs", region_name=REGION)
    container = [{"name": "app", "image": "nginx", "memory": 128}]
    ecs.register_task_definition(family="with-task-role", containerDefinitions=container,
                                 taskRoleArn=role_arn("task"), executionRoleArn=role_arn("execution"))
    ecs.register_task_definition(family="execution-only", containerDefinitions=container,
                                 executionRoleArn=role_arn("execution"))
    out = tmp_path / "snap"
    assert collect(monkeypatch, enabled(REGION), "-o", str(out)).exit_code == 0
    tasks = [r for r in inventory_of(out)["resources"] if r["kind"] == "ecs-task-definition"]
    assert [(r["name"], r["role_arn"]) for r in tasks] == [("with-task-role:1", role_arn("task"))]


def test_partial_inventory_never_replaces_a_complete_snapshot_without_allow_partial(
        aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    assert collect(monkeypatch, enabled(REGION), "-o", str(out)).exit_code == 0
    before = inventory_of(out)
    denied = combine(enabled(REGION), deny("glue", "GetDevEndpoints", REGION, "no"))
    result = collect(monkeypatch, denied, "-o", str(out), "--force")
    assert result.exit_code == 2
    assert (f"the inventory of account(s) {MANAGEMENT_ACCOUNT} is incomplete) and {out} holds a complete snapshot"
            in result.stderr)
    assert inventory_of(out) == before
    result = collect(monkeypatch, denied, "-o", str(out), "--force", "--allow-partial")
    assert result.exit_code == 3 and inventory_of(out)["complete"] is False
