"""Inventory of one account: which resources run code as which role (schema `trustgraph/inventory/v1`).

Read-only list/describe calls, region by region, one listing per (service, region). A listing that fails
(AccessDenied, an SCP denying the region, throttling past the retries) is recorded in `coverage` with its
reason and never stops the others; the account's inventory is then not `complete`, and readers must not
conclude from it that a role has no resource (docs/inventory-schema.md).

Which role each kind records:
- ECS task definitions: the task role (`taskRoleArn`), the credentials the containers' code gets. The
  execution role is used by the ECS agent (image pulls, logs, secrets injection) and is not handed to the
  code, so changing the task's code does not yield it.
- EC2 instances: the role of the attached instance profile (from the IAM export's `InstanceProfileList`,
  which lists every profile that holds a role); every such profile is listed too, as `ec2-instance-profile`
  (region ""), attached or not, since RunInstances can attach it.
- CloudFormation stacks: the stack's service role (`RoleARN`); a stack without one acts as its caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from trustgraph.sources.aws.failures import action_of, describe_failure
from trustgraph.sources.aws.iam_export import Interrupted
from trustgraph.sources.aws.pages import bounded_pages
from trustgraph.sources.aws.snapshot_writer import checked_account_id
from trustgraph.version import SCHEMAS

SCHEMA = SCHEMAS["inventory"]
INVENTORY_DIR = "inventory"
GLOBAL_REGION = "global"
# The most names BatchGetProjects accepts in one call.
CODEBUILD_BATCH = 100
# Instances in these states can never run code again.
GONE_STATES = frozenset({"terminated", "shutting-down"})

Entry = dict[str, str]
# (client, account id, region, partition) → the resources of one service in one region.
Listing = Callable[[Any, str, str, str], Iterator[Entry]]


def inventory_file_name(account_id: str) -> str:
    return f"{INVENTORY_DIR}/{checked_account_id(account_id)}.json"


def _entry(kind: str, arn: str, name: str, region: str, role_arn: str) -> Entry:
    return {"kind": kind, "arn": arn, "name": name, "region": region, "role_arn": role_arn}


def _lambda_functions(client: Any, account: str, region: str, partition: str) -> Iterator[Entry]:
    for page in bounded_pages(client, "list_functions"):
        for fn in page.get("Functions") or []:
            if fn.get("Role"):
                yield _entry("lambda-function", fn["FunctionArn"], fn.get("FunctionName", ""), region, fn["Role"])


def _cloudformation_stacks(client: Any, account: str, region: str, partition: str) -> Iterator[Entry]:
    for page in bounded_pages(client, "describe_stacks"):
        for stack in page.get("Stacks") or []:
            if stack.get("RoleARN"):
                yield _entry("cloudformation-stack", stack["StackId"], stack.get("StackName", ""), region,
                             stack["RoleARN"])


def _codebuild_projects(client: Any, account: str, region: str, partition: str) -> Iterator[Entry]:
    names = [name for page in bounded_pages(client, "list_projects") for name in page.get("projects") or []]
    for start in range(0, len(names), CODEBUILD_BATCH):
        reply = client.batch_get_projects(names=names[start:start + CODEBUILD_BATCH])
        for project in reply.get("projects") or []:
            if project.get("serviceRole"):
                yield _entry("codebuild-project", project["arn"], project.get("name", ""), region,
                             project["serviceRole"])


def _ecs_task_definitions(client: Any, account: str, region: str, partition: str) -> Iterator[Entry]:
    # ListTaskDefinitions lists ACTIVE revisions only (its default): INACTIVE ones can no longer be run.
    for page in bounded_pages(client, "list_task_definitions"):
        for arn in page.get("taskDefinitionArns") or []:
            definition = client.describe_task_definition(taskDefinition=arn).get("taskDefinition") or {}
            if definition.get("taskRoleArn"):
                name = f"{definition.get('family', '')}:{definition.get('revision', '')}"
                yield _entry("ecs-task-definition", arn, name, region, definition["taskRoleArn"])


def _sagemaker_notebooks(client: Any, account: str, region: str, partition: str) -> Iterator[Entry]:
    for page in bounded_pages(client, "list_notebook_instances"):
        for notebook in page.get("NotebookInstances") or []:
            name = notebook["NotebookInstanceName"]
            detail = client.describe_notebook_instance(NotebookInstanceName=name)
            if detail.get("RoleArn"):
                yield _entry("sagemaker-notebook", notebook["NotebookInstanceArn"], name, region, detail["RoleArn"])


def _glue_dev_endpoints(client: Any, account: str, region: str, partition: str) -> Iterator[Entry]:
    for page in bounded_pages(client, "get_dev_endpoints"):
        for endpoint in page.get("DevEndpoints") or []:
            if endpoint.get("RoleArn"):
                name = endpoint.get("EndpointName", "")
                arn = f"arn:{partition}:glue:{region}:{account}:devEndpoint/{name}"
                yield _entry("glue-dev-endpoint", arn, name, region, endpoint["RoleArn"])


def _ec2_instances(profiles: dict[str, str]) -> Listing:
    def listing(client: Any, account: str, region: str, partition: str) -> Iterator[Entry]:
        for page in bounded_pages(client, "describe_instances"):
            for reservation in page.get("Reservations") or []:
                for instance in reservation.get("Instances") or []:
                    if (instance.get("State") or {}).get("Name") in GONE_STATES:
                        continue
                    profile = (instance.get("IamInstanceProfile") or {}).get("Arn")
                    role = profiles.get(profile or "")
                    if role is None:
                        continue  # no profile, or a profile holding no role: no credentials on the instance
                    ident = instance["InstanceId"]
                    name = next((t.get("Value", "") for t in instance.get("Tags") or [] if t.get("Key") == "Name"),
                                ident)
                    arn = f"arn:{partition}:ec2:{region}:{account}:instance/{ident}"
                    yield _entry("ec2-instance", arn, name, region, role)
    return listing


def regional_listings(profiles: dict[str, str]) -> dict[str, Listing]:
    """boto3 service name → its listing. `profiles`: instance profile ARN → the role it holds."""
    return {
        "lambda": _lambda_functions,
        "ec2": _ec2_instances(profiles),
        "cloudformation": _cloudformation_stacks,
        "codebuild": _codebuild_projects,
        "ecs": _ecs_task_definitions,
        "sagemaker": _sagemaker_notebooks,
        "glue": _glue_dev_endpoints,
    }


SERVICES = tuple(regional_listings({}))
DEFAULT_ACTIONS = {
    "lambda": "lambda:ListFunctions", "ec2": "ec2:DescribeInstances", "cloudformation": "cloudformation:DescribeStacks",
    "codebuild": "codebuild:ListProjects", "ecs": "ecs:ListTaskDefinitions",
    "sagemaker": "sagemaker:ListNotebookInstances", "glue": "glue:GetDevEndpoints",
}


def instance_profiles(gaad: dict[str, Any]) -> dict[str, str]:
    """Instance profile ARN → role ARN, from an IAM export's `RoleDetailList[].InstanceProfileList`."""
    profiles: dict[str, str] = {}
    for role in gaad.get("RoleDetailList") or []:
        for profile in role.get("InstanceProfileList") or []:
            if isinstance(profile, dict) and isinstance(profile.get("Arn"), str):
                profiles[profile["Arn"]] = role["Arn"]
    return profiles


@dataclass
class Coverage:
    """One listing: a service in a region (or `iam` in `global`)."""

    service: str
    region: str
    status: str  # ok | failed | not-offered (botocore's endpoint data lists no such service in the region)
    resources: int = 0
    reason_code: str | None = None
    reason: str | None = None
    aws_message: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"service": self.service, "region": self.region, "status": self.status,
                                "resources": self.resources}
        for key in ("reason_code", "reason", "aws_message"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass
class InventoryExport:
    account_id: str
    regions: list[str]
    regions_enabled: list[str] | None
    """From ec2:DescribeRegions; None when it could not be read."""
    regions_problem: str | None = None
    coverage: list[Coverage] = field(default_factory=list)
    resources: list[Entry] = field(default_factory=list)

    @property
    def failures(self) -> list[Coverage]:
        return [c for c in self.coverage if c.status == "failed"]

    @property
    def all_regions(self) -> bool:
        return self.regions_enabled is not None and set(self.regions_enabled) <= set(self.regions)

    @property
    def complete(self) -> bool:
        return self.all_regions and not self.failures and self.regions_problem is None

    def to_json(self, collected_at: str) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "account_id": self.account_id,
            "collected_at": collected_at,
            "complete": self.complete,
            "regions": self.regions,
            "regions_enabled": self.regions_enabled,
            **({"regions_problem": self.regions_problem} if self.regions_problem else {}),
            "coverage": [c.to_json() for c in self.coverage],
            "resources": self.resources,
        }


ClientFor = Callable[[str, str | None], Any]


def enabled_regions(client_for: ClientFor) -> list[str]:
    """The regions enabled for the account (opt-in regions only once opted in), from ec2:DescribeRegions."""
    reply = client_for("ec2", None).describe_regions(AllRegions=False)
    return sorted(r["RegionName"] for r in reply.get("Regions") or [])


def export_inventory(
    client_for: ClientFor,
    account_id: str,
    partition: str,
    gaad: dict[str, Any],
    regions: Sequence[str] | None,
    offered: Callable[[str], set[str]],
    on_stage: Callable[[str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> InventoryExport:
    """List every service of `regional_listings` in each region (`regions`, else the enabled ones).

    `client_for(service, region)` builds clients with the account's credentials; `offered(service)` is the
    set of regions botocore knows the service in (a service not offered in a region has nothing there)."""
    enabled: list[str] | None = None
    problem: str | None = None
    try:
        enabled = enabled_regions(client_for)
    except Exception as exc:  # noqa: BLE001 - without the region list the inventory is partial, not absent
        problem = describe_failure(exc, "ec2:DescribeRegions").reason
    export = InventoryExport(account_id, sorted(regions) if regions else list(enabled or []), enabled, problem)

    profiles = instance_profiles(gaad)
    for profile, role in sorted(profiles.items()):
        name = profile.rsplit("/", 1)[-1]
        export.resources.append(_entry("ec2-instance-profile", profile, name, "", role))
    export.coverage.append(Coverage("iam", GLOBAL_REGION, "ok", len(profiles)))

    listings = regional_listings(profiles)
    offered_in = {service: offered(service) for service in listings}
    for number, region in enumerate(export.regions, start=1):
        if on_stage is not None:
            on_stage(f"inventory {region} ({number}/{len(export.regions)})")
        for service, listing in listings.items():
            if should_stop is not None and should_stop():
                raise Interrupted()
            if region not in offered_in[service]:
                export.coverage.append(Coverage(service, region, "not-offered"))
                continue
            found: list[Entry] = []
            try:
                for entry in listing(client_for(service, region), account_id, region, partition):
                    found.append(entry)
            except Exception as exc:  # noqa: BLE001 - one listing's failure is recorded, the others go on
                failure = describe_failure(exc, action_of(exc, service, DEFAULT_ACTIONS[service]))
                export.coverage.append(Coverage(service, region, "failed", len(found), failure.code,
                                                f"{region}: {failure.reason}", failure.detail))
            else:
                export.coverage.append(Coverage(service, region, "ok", len(found)))
            export.resources.extend(found)  # what was listed before a failure exists all the same
    return export
