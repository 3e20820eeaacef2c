"""Indirect ways to get code running as a role (SEMANTICS §7.4, §7.5): the rule tables.

- PassRole techniques: the caller passes role R to a service (iam:PassRole on R, with iam:PassedToService = the
  service principal) and calls the API that starts compute with it; R's trust must allow that service.
- Code techniques: the caller changes the code or the commands of a resource that already runs as R; no PassRole.
- IAM techniques: rewriting R's trust, or creating credentials for a user.

Each technique names every action it needs (all of them), and optional `extras`: steps that the data cannot show
to be possible (an instance profile for R, a way to invoke a new function). When the caller's policies allow one
alternative of an extra, it is settled; otherwise the edge is kept, conditional on the extra's pseudo key, unless the
data shows the step not taken (a role whose export lists no instance profile; an account whose roles are all in the
data without the service-linked role): then no edge. `one_resource` names the actions that act on one and the same
resource (a project created, then built). docs/edges.md gives the AWS documentation page of each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice, product

from trustgraph.policy.globs import glob_meet

# Pseudo condition keys: facts an edge depends on that no policy in the data settles.
INSTANCE_PROFILE_KEY = "trustgraph:InstanceProfileForRole"
INVOKED_KEY = "trustgraph:FunctionInvoked"
RUNS_AS_ROLE_KEY = "trustgraph:ResourceRunsAsRole"
SSM_MANAGED_KEY = "trustgraph:InstanceManagedBySSM"
SERVICE_LINKED_KEY = "trustgraph:ServiceLinkedRoleExists"
NOTEBOOK_OPENED_KEY = "trustgraph:NotebookOpened"
ROOT_ACCESS_KEY = "trustgraph:CentralizedRootAccess"
RESOURCE_EXISTS_KEY = "trustgraph:ResourceExists"
FUNCTION_CODE_KEY = "trustgraph:FunctionCodeControlled"
CONTAINER_INSTANCE_KEY = "trustgraph:ContainerInstanceRegistered"
JOB_RUNS_KEY = "trustgraph:GlueJobRuns"
NOTEBOOK_STOPPED_KEY = "trustgraph:NotebookStopped"
INSTANCE_CONNECT_KEY = "trustgraph:InstanceConnectReachable"


@dataclass(frozen=True, slots=True)
class Extra:
    """A step the technique needs besides its actions: settled when the caller may call every action of one
    alternative, else the edge depends on `key`."""

    alternatives: tuple[tuple[str, ...], ...]
    key: str
    text: str
    # Actions of an alternative that must act on one and the same resource (an instance profile created and then
    # filled): each action allowed on a resource of its own is not enough.
    one_resource: tuple[str, ...] = ()
    # The step is taken when the account's data holds a service-linked role of this name (AWS creates it once
    # per account), and known not taken when the account's roles are all in the data without it.
    service_linked_role: str = ""


@dataclass(frozen=True, slots=True)
class Technique:
    technique: str  # what evidence and edges show, e.g. "lambda:CreateFunction"
    service: str  # the service principal R must trust (and iam:PassedToService)
    actions: tuple[str, ...]  # every one of them is needed
    extras: tuple[Extra, ...] = ()
    # The ComputeResource kind the actions act on: code techniques change such a resource; a PassRole technique
    # with one gives an existing resource of the kind the passed role (the caller must be allowed its actions on
    # one: a listed one where an inventory lists the kind, else any, conditional on RESOURCE_EXISTS_KEY).
    resource_kind: str = ""
    # Actions (of `actions`, and of the extras' alternatives) that act on one and the same resource: the caller
    # needs one resource that every one of them is allowed on (create a project and start a build of that
    # project). Actions on resources of different types (a launch template and an Auto Scaling group) are not.
    one_resource: tuple[str, ...] = ()
    # iam:PassedToService where it is not the service principal the role trusts (App Runner)
    passed_to: str = ""

    @property
    def passed_to_service(self) -> str:
        return self.passed_to or self.service


INSTANCE_PROFILE = Extra((("iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"),), INSTANCE_PROFILE_KEY,
                         "an instance profile holding the role exists (none is in the data for it)",
                         ("iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"))
# lambda:AddPermission: the caller adds a statement naming itself to the new function's resource-based policy,
# which allows its own invoke within the account whatever its identity policies say of lambda:InvokeFunction.
INVOKE = Extra((("lambda:InvokeFunction",), ("lambda:CreateEventSourceMapping",), ("lambda:AddPermission",)),
               INVOKED_KEY, "something invokes the new function")
# A function whose role is swapped runs its own code: the caller's runs in it through new code (or a layer and
# wrapper script set in the configuration, which needs a layer it may use: not in the data).
FUNCTION_CODE = Extra((("lambda:UpdateFunctionCode",),), FUNCTION_CODE_KEY,
                      "the caller's code runs in the function (new code, or a layer it may use)")
# ecs:StartTask places the task on container instances the caller names: the data does not list them.
CONTAINER_INSTANCE = Extra((), CONTAINER_INSTANCE_KEY, "a container instance is registered in a cluster of the account")
# An updated Glue job runs when the caller starts it, or a trigger it creates fires (a SCHEDULED trigger with
# StartOnCreation), or through a trigger or schedule of its own that the data does not show.
JOB_RUN = Extra((("glue:StartJobRun",), ("glue:CreateTrigger",)), JOB_RUNS_KEY, "something runs the updated Glue job")
# UpdateNotebookInstance needs the notebook stopped: the caller stops it, or it is stopped already.
NOTEBOOK_STOPPED = Extra((("sagemaker:StopNotebookInstance",),), NOTEBOOK_STOPPED_KEY,
                         "the notebook instance is stopped")
# A key pushed with SendSSHPublicKey serves only for an SSH login: the instance must run EC2 Instance Connect and
# its SSH port be reachable from the caller, which the IAM data does not show.
INSTANCE_CONNECT = Extra((), INSTANCE_CONNECT_KEY,
                         "the instance runs EC2 Instance Connect and its SSH port is reachable by the caller")
SSM_MANAGED = Extra((), SSM_MANAGED_KEY, "the instance runs the SSM agent and is registered with Systems Manager")
# Creating an Auto Scaling group needs its service-linked role in the account, which AWS creates on the first
# group if the caller may create it (docs/edges.md).
AUTOSCALING_ROLE = Extra((("iam:CreateServiceLinkedRole",),), SERVICE_LINKED_KEY,
                         "the service-linked role AWSServiceRoleForAutoScaling exists in the account",
                         service_linked_role="AWSServiceRoleForAutoScaling")
# A notebook instance runs code as its role when someone opens its Jupyter server (a presigned URL) or through a
# lifecycle configuration script that runs when it is created or started.
NOTEBOOK_ACCESS = Extra((("sagemaker:CreatePresignedNotebookInstanceUrl",),
                         ("sagemaker:CreateNotebookInstanceLifecycleConfig",)), NOTEBOOK_OPENED_KEY,
                        "someone opens the new notebook instance or it runs a lifecycle configuration script")

EC2 = "ec2.amazonaws.com"
LAMBDA = "lambda.amazonaws.com"
CLOUDFORMATION = "cloudformation.amazonaws.com"
CODEBUILD = "codebuild.amazonaws.com"
SAGEMAKER = "sagemaker.amazonaws.com"
ECS_TASKS = "ecs-tasks.amazonaws.com"
GLUE = "glue.amazonaws.com"
APPRUNNER_TASKS = "tasks.apprunner.amazonaws.com"  # what an App Runner instance role trusts
APPRUNNER = "apprunner.amazonaws.com"  # iam:PassedToService of App Runner's roles

PASSROLE_TECHNIQUES: tuple[Technique, ...] = (
    Technique("ec2:RunInstances", EC2, ("ec2:RunInstances",), (INSTANCE_PROFILE,)),
    Technique("ec2:RequestSpotInstances", EC2, ("ec2:RequestSpotInstances",), (INSTANCE_PROFILE,)),
    Technique("ec2:AssociateIamInstanceProfile", EC2, ("ec2:AssociateIamInstanceProfile",), (INSTANCE_PROFILE,)),
    Technique("lambda:CreateFunction", LAMBDA, ("lambda:CreateFunction",), (INVOKE,),
              one_resource=("lambda:CreateFunction", "lambda:InvokeFunction", "lambda:AddPermission")),
    # An existing function runs on its own triggers: no invoke needed, as for lambda:UpdateFunctionCode.
    Technique("lambda:UpdateFunctionConfiguration", LAMBDA, ("lambda:UpdateFunctionConfiguration",),
              (FUNCTION_CODE,), "lambda-function"),
    Technique("cloudformation:CreateStack", CLOUDFORMATION, ("cloudformation:CreateStack",)),
    Technique("cloudformation:CreateChangeSet+ExecuteChangeSet", CLOUDFORMATION,
              ("cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"),
              one_resource=("cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet")),
    # Self-managed StackSets: the administration role passed (it trusts CloudFormation) assumes the execution roles
    # of the target accounts, which the trust edges out of it show.
    Technique("cloudformation:CreateStackSet+CreateStackInstances", CLOUDFORMATION,
              ("cloudformation:CreateStackSet", "cloudformation:CreateStackInstances"),
              one_resource=("cloudformation:CreateStackSet", "cloudformation:CreateStackInstances")),
    # The same on an existing stack set: the update passes a new administration role and deploys to its instances
    # (no inventory lists stack sets: conditional on RESOURCE_EXISTS_KEY).
    Technique("cloudformation:UpdateStackSet", CLOUDFORMATION, ("cloudformation:UpdateStackSet",),
              resource_kind="cloudformation-stackset"),
    Technique("codebuild:CreateProject+StartBuild", CODEBUILD, ("codebuild:CreateProject", "codebuild:StartBuild"),
              one_resource=("codebuild:CreateProject", "codebuild:StartBuild")),
    Technique("codebuild:CreateProject+StartBuildBatch", CODEBUILD,
              ("codebuild:CreateProject", "codebuild:StartBuildBatch"),
              one_resource=("codebuild:CreateProject", "codebuild:StartBuildBatch")),
    Technique("sagemaker:CreateNotebookInstance", SAGEMAKER, ("sagemaker:CreateNotebookInstance",), (NOTEBOOK_ACCESS,),
              one_resource=("sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl")),
    Technique("sagemaker:CreateTrainingJob", SAGEMAKER, ("sagemaker:CreateTrainingJob",)),
    Technique("sagemaker:CreateProcessingJob", SAGEMAKER, ("sagemaker:CreateProcessingJob",)),
    Technique("autoscaling:CreateLaunchConfiguration+CreateAutoScalingGroup", EC2,
              ("autoscaling:CreateLaunchConfiguration", "autoscaling:CreateAutoScalingGroup"),
              (INSTANCE_PROFILE, AUTOSCALING_ROLE)),
    # With a launch template, Auto Scaling also checks the caller's ec2:RunInstances.
    Technique("ec2:CreateLaunchTemplate+autoscaling:CreateAutoScalingGroup", EC2,
              ("ec2:CreateLaunchTemplate", "autoscaling:CreateAutoScalingGroup", "ec2:RunInstances"),
              (INSTANCE_PROFILE, AUTOSCALING_ROLE)),
    Technique("ecs:RegisterTaskDefinition+RunTask", ECS_TASKS, ("ecs:RegisterTaskDefinition", "ecs:RunTask")),
    Technique("ecs:RegisterTaskDefinition+CreateService", ECS_TASKS,
              ("ecs:RegisterTaskDefinition", "ecs:CreateService")),
    Technique("ecs:RegisterTaskDefinition+StartTask", ECS_TASKS, ("ecs:RegisterTaskDefinition", "ecs:StartTask"),
              (CONTAINER_INSTANCE,)),
    Technique("glue:CreateDevEndpoint", GLUE, ("glue:CreateDevEndpoint",)),
    # The instance role: the credentials the service's code gets.
    Technique("apprunner:CreateService", APPRUNNER_TASKS, ("apprunner:CreateService",), passed_to=APPRUNNER),
    Technique("glue:CreateJob+StartJobRun", GLUE, ("glue:CreateJob", "glue:StartJobRun"),
              one_resource=("glue:CreateJob", "glue:StartJobRun")),
    Technique("glue:CreateJob+CreateTrigger", GLUE, ("glue:CreateJob", "glue:CreateTrigger")),
    # The job update replaces the whole definition, its script location and Role included.
    Technique("glue:UpdateJob", GLUE, ("glue:UpdateJob",), (JOB_RUN,), "glue-job"),
)

CODE_TECHNIQUES: tuple[Technique, ...] = (
    # An existing function runs on its own triggers: no invoke permission needed.
    Technique("lambda:UpdateFunctionCode", LAMBDA, ("lambda:UpdateFunctionCode",), resource_kind="lambda-function"),
    Technique("cloudformation:UpdateStack", CLOUDFORMATION, ("cloudformation:UpdateStack",),
              resource_kind="cloudformation-stack"),
    Technique("codebuild:UpdateProject+StartBuild", CODEBUILD, ("codebuild:UpdateProject", "codebuild:StartBuild"),
              resource_kind="codebuild-project", one_resource=("codebuild:UpdateProject", "codebuild:StartBuild")),
    # StartBuild's buildspecOverride replaces the build commands for that build: no UpdateProject needed.
    Technique("codebuild:StartBuild", CODEBUILD, ("codebuild:StartBuild",), resource_kind="codebuild-project"),
    Technique("codebuild:StartBuildBatch", CODEBUILD, ("codebuild:StartBuildBatch",),
              resource_kind="codebuild-project"),
    Technique("ssm:SendCommand", EC2, ("ssm:SendCommand",), (SSM_MANAGED,), "ec2-instance"),
    Technique("ssm:StartSession", EC2, ("ssm:StartSession",), (SSM_MANAGED,), "ec2-instance"),
    Technique("ec2-instance-connect:SendSSHPublicKey", EC2, ("ec2-instance-connect:SendSSHPublicKey",),
              (INSTANCE_CONNECT,), "ec2-instance"),
    Technique("ec2:ModifyInstanceAttribute+StopInstances+StartInstances", EC2,
              ("ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"), resource_kind="ec2-instance",
              one_resource=("ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances")),
    Technique("sagemaker:CreatePresignedNotebookInstanceUrl", SAGEMAKER,
              ("sagemaker:CreatePresignedNotebookInstanceUrl",), resource_kind="sagemaker-notebook"),
    # A lifecycle configuration's OnStart script runs as root with the notebook's role at its next start. The
    # first action names the notebook (its ARN shape is the one checked without inventory).
    Technique("sagemaker:CreateNotebookInstanceLifecycleConfig+UpdateNotebookInstance", SAGEMAKER,
              ("sagemaker:UpdateNotebookInstance", "sagemaker:CreateNotebookInstanceLifecycleConfig",
               "sagemaker:StartNotebookInstance"), (NOTEBOOK_STOPPED,), "sagemaker-notebook"),
    Technique("glue:UpdateDevEndpoint", GLUE, ("glue:UpdateDevEndpoint",), resource_kind="glue-dev-endpoint"),
)

# Resource ARN shapes of the actions above, `{p}` partition, `{a}` account, `*` a name the caller chooses (for
# new resources) or any existing one. Checking a shape instantiated with a placeholder name lets Denies and Allows
# on `arn:aws:lambda:*:*:function:*`-style patterns apply; actions missing here are checked on "*".
RESOURCE_SHAPES: dict[str, str] = {
    "ec2:RunInstances": "arn:{p}:ec2:*:{a}:instance/*",
    "ec2:RequestSpotInstances": "arn:{p}:ec2:*:{a}:spot-instances-request/*",
    "ec2:AssociateIamInstanceProfile": "arn:{p}:ec2:*:{a}:instance/*",
    "ec2:ModifyInstanceAttribute": "arn:{p}:ec2:*:{a}:instance/*",
    "ec2:StopInstances": "arn:{p}:ec2:*:{a}:instance/*",
    "ec2:StartInstances": "arn:{p}:ec2:*:{a}:instance/*",
    "ec2:CreateLaunchTemplate": "arn:{p}:ec2:*:{a}:launch-template/*",
    "ssm:SendCommand": "arn:{p}:ec2:*:{a}:instance/*",
    "ssm:StartSession": "arn:{p}:ec2:*:{a}:instance/*",
    "ec2-instance-connect:SendSSHPublicKey": "arn:{p}:ec2:*:{a}:instance/*",
    "lambda:CreateFunction": "arn:{p}:lambda:*:{a}:function:*",
    "lambda:UpdateFunctionCode": "arn:{p}:lambda:*:{a}:function:*",
    "lambda:UpdateFunctionConfiguration": "arn:{p}:lambda:*:{a}:function:*",
    "lambda:InvokeFunction": "arn:{p}:lambda:*:{a}:function:*",
    "lambda:AddPermission": "arn:{p}:lambda:*:{a}:function:*",
    "lambda:CreateEventSourceMapping": "arn:{p}:lambda:*:{a}:event-source-mapping:*",
    "cloudformation:CreateStack": "arn:{p}:cloudformation:*:{a}:stack/*/*",
    "cloudformation:CreateChangeSet": "arn:{p}:cloudformation:*:{a}:stack/*/*",
    "cloudformation:ExecuteChangeSet": "arn:{p}:cloudformation:*:{a}:stack/*/*",
    "cloudformation:UpdateStack": "arn:{p}:cloudformation:*:{a}:stack/*/*",
    "cloudformation:CreateStackSet": "arn:{p}:cloudformation:*:{a}:stackset/*:*",
    "cloudformation:CreateStackInstances": "arn:{p}:cloudformation:*:{a}:stackset/*:*",
    "cloudformation:UpdateStackSet": "arn:{p}:cloudformation:*:{a}:stackset/*:*",
    "codebuild:CreateProject": "arn:{p}:codebuild:*:{a}:project/*",
    "codebuild:UpdateProject": "arn:{p}:codebuild:*:{a}:project/*",
    "codebuild:StartBuild": "arn:{p}:codebuild:*:{a}:project/*",
    "codebuild:StartBuildBatch": "arn:{p}:codebuild:*:{a}:project/*",
    "sagemaker:CreateNotebookInstance": "arn:{p}:sagemaker:*:{a}:notebook-instance/*",
    "sagemaker:CreatePresignedNotebookInstanceUrl": "arn:{p}:sagemaker:*:{a}:notebook-instance/*",
    "sagemaker:UpdateNotebookInstance": "arn:{p}:sagemaker:*:{a}:notebook-instance/*",
    "sagemaker:StartNotebookInstance": "arn:{p}:sagemaker:*:{a}:notebook-instance/*",
    "sagemaker:StopNotebookInstance": "arn:{p}:sagemaker:*:{a}:notebook-instance/*",
    "sagemaker:CreateNotebookInstanceLifecycleConfig": "arn:{p}:sagemaker:*:{a}:notebook-instance-lifecycle-config/*",
    "sagemaker:CreateTrainingJob": "arn:{p}:sagemaker:*:{a}:training-job/*",
    "sagemaker:CreateProcessingJob": "arn:{p}:sagemaker:*:{a}:processing-job/*",
    "autoscaling:CreateLaunchConfiguration":
        "arn:{p}:autoscaling:*:{a}:launchConfiguration:*:launchConfigurationName/*",
    "autoscaling:CreateAutoScalingGroup": "arn:{p}:autoscaling:*:{a}:autoScalingGroup:*:autoScalingGroupName/*",
    "ecs:RunTask": "arn:{p}:ecs:*:{a}:task-definition/*",
    "ecs:StartTask": "arn:{p}:ecs:*:{a}:task-definition/*",
    "ecs:CreateService": "arn:{p}:ecs:*:{a}:service/*/*",
    "glue:CreateDevEndpoint": "arn:{p}:glue:*:{a}:devEndpoint/*",
    "apprunner:CreateService": "arn:{p}:apprunner:*:{a}:service/*/*",
    "glue:UpdateDevEndpoint": "arn:{p}:glue:*:{a}:devEndpoint/*",
    "glue:CreateJob": "arn:{p}:glue:*:{a}:job/*",
    "glue:StartJobRun": "arn:{p}:glue:*:{a}:job/*",
    "glue:UpdateJob": "arn:{p}:glue:*:{a}:job/*",
    "glue:CreateTrigger": "arn:{p}:glue:*:{a}:trigger/*",
    "iam:CreateRole": "arn:{p}:iam::{a}:role/*",
    "iam:CreateUser": "arn:{p}:iam::{a}:user/*",
    "iam:CreateInstanceProfile": "arn:{p}:iam::{a}:instance-profile/*",
    "iam:AddRoleToInstanceProfile": "arn:{p}:iam::{a}:instance-profile/*",
}
PLACEHOLDER = "trustgraph-any"


def resource_pattern(action: str, partition: str, account: str) -> str:
    """The ARN pattern of "any resource of this action's kind" in `account` (one region stands for all)."""
    shape = RESOURCE_SHAPES.get(action)
    if shape is None:
        return "*"
    region = "us-east-1" if shape.split(":")[3] == "*" else ""
    parts = shape.format(p=partition, a=account).split(":")
    parts[3] = region
    return ":".join(parts)


def associated_resource(technique: Technique, partition: str, account: str) -> str:
    """The ARN pattern of the resource the technique makes the role run on, in the caller's account (what
    iam:AssociatedResourceArn holds): the resource of its first action with a known shape, else any ARN of
    the account."""
    for action in technique.actions:
        shape = RESOURCE_SHAPES.get(action)
        if shape is not None:
            return shape.format(p=partition, a=account)
    return f"arn:{partition}:*:*:{account}:*"


def acts_on(action: str, arn: str) -> bool:
    """Does `action` act on the resource `arn` names (its service and resource type), rather than on a resource of
    its own? Actions without a known shape are taken to act on it."""
    shape = RESOURCE_SHAPES.get(action)
    if shape is None:
        return True
    shape_parts, arn_parts = shape.split(":", 5), arn.split(":", 5)
    if len(arn_parts) < 6 or shape_parts[2] != arn_parts[2]:
        return False
    kind = shape_parts[5].split("*", 1)[0]  # "notebook-instance/", "function:", "stack/"
    return arn_parts[5].startswith(kind)


def resource_shape(action: str, partition: str, account: str) -> str:
    """An ARN standing for "a resource of this action's kind, named as the caller likes" in `account`."""
    return resource_pattern(action, partition, account).replace("*", PLACEHOLDER)


def _in_account(pattern: str, partition: str, account: str) -> str | None:
    """A Resource pattern narrowed to the caller's partition, account and one region (None: it names none of
    the caller's resources, or is too vague to stand for a resource kind)."""
    segments = pattern.split(":")
    if pattern == "*" or len(segments) < 6 or "$" in pattern:
        return None
    if segments[4] not in ("*", account) or segments[1] not in ("*", partition):
        return None
    segments[1], segments[4] = partition, account
    if segments[3] in ("*", "?"):
        segments[3] = "us-east-1"
    return ":".join(segments)


def chosen_resources(action: str, partition: str, account: str, patterns: list[str]) -> list[str]:
    """Resources a caller may pick: the generic one, and one inside each Resource pattern its policies allow the
    action on (a policy limited to `function:dev-*` still lets it create `dev-x`, and one naming
    `function:deploy-hook` lets it change that function)."""
    found = [resource_shape(action, partition, account)]
    for pattern in patterns:
        narrowed = _in_account(pattern, partition, account)
        if narrowed is None:
            continue
        candidate = narrowed.replace("*", PLACEHOLDER).replace("?", "x")
        if candidate not in found:
            found.append(candidate)
    return found


MEET_TRIES = 16  # choices of one pattern per action tried for a resource inside all of them


def shared_resources(actions: tuple[str, ...], partition: str, account: str,
                     patterns: dict[str, list[str]]) -> Iterator[str]:
    """Resources a caller may pick to call every one of `actions` (actions on one resource type) on the same
    resource: those of chosen_resources for the patterns of all of them, then, for each choice of one pattern
    per action, a resource inside all of the chosen patterns (`project/a-*` and `project/*-x` meet in
    `project/a-x`). Generated lazily: the caller stops at the first resource every action is allowed on."""
    found = chosen_resources(actions[0], partition, account, [p for a in actions for p in patterns.get(a, [])])
    yield from found
    kind = resource_pattern(actions[0], partition, account)
    choices: list[list[str]] = []
    for action in actions:
        own = patterns.get(action, [])
        narrowed = {n for p in own if (n := _in_account(p, partition, account)) is not None}
        if not own or any(p == "*" or p.count(":") < 5 for p in own):
            narrowed.add(kind)  # allowed on any resource (or on what policies not in the data say)
        choices.append(sorted(narrowed))
    for choice in islice(product(*choices), MEET_TRIES):
        if len(set(choice)) == 1:
            continue  # one pattern for all: its own resource was tried above
        meet = glob_meet((kind, *choice))
        if meet is not None:
            candidate = meet.replace("?", "x")
            if candidate not in found:
                found.append(candidate)
                yield candidate


# IAM techniques on a role or a user of the same account (SEMANTICS §7.4, "related edges without PassRole").
ROLE_TECHNIQUE = "iam:UpdateAssumeRolePolicy"
USER_TECHNIQUES = ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")
# Policy writes on another role or user: the caller takes its account over if it reaches that principal.
ROLE_WRITES = ("iam:AttachRolePolicy", "iam:PutRolePolicy")
USER_WRITES = ("iam:AttachUserPolicy", "iam:PutUserPolicy")
# Writes on a customer-managed policy (its new default version) or on a group: a takeover if the caller reaches a
# principal the policy is attached to, or a member of the group (graph/iam_writes.py).
POLICY_WRITES = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")
GROUP_WRITES = ("iam:AttachGroupPolicy", "iam:PutGroupPolicy")
# A user adding itself to a group whose policies make it an administrator.
ADD_TO_GROUP = "iam:AddUserToGroup"
# iam:SetDefaultPolicyVersion grants more only if the policy has a non-default version that does: the snapshot keeps
# the default version alone, so the edge depends on it.
PERMISSIVE_VERSION_KEY = "trustgraph:PermissivePolicyVersion"
ASSUME_ROOT = "sts:AssumeRoot"
# Service-managed StackSets: the management account (with trusted access for StackSets activated in Organizations)
# deploys stack instances into member accounts through the service-linked role
# AWSServiceRoleForCloudFormationStackSetsOrgMember and an execution role with administrator permissions there.
STACKSETS_ORG = "cloudformation:CreateStackSet+CreateStackInstances (SERVICE_MANAGED)"
STACKSETS_ORG_ACTIONS = ("cloudformation:CreateStackSet", "cloudformation:CreateStackInstances")
STACKSETS_ACCESS_KEY = "trustgraph:StackSetsTrustedAccess"


@dataclass(frozen=True, slots=True)
class NewPrincipal:
    """A principal the caller creates, writes an administrator policy onto, and uses: every action is checked on
    one ARN of the new principal (graph/indirect.py)."""

    kind: str  # "role" or "user"
    create: str
    writes: tuple[str, ...]  # one of them
    uses: tuple[str, ...]  # one of them: how the caller gets the new principal's credentials

    def technique(self, write: str) -> str:
        return f"{self.create}+{write.split(':', 1)[1]}"


# A new role's trust is the caller's choice: it names the caller, so within the account sts:AssumeRole needs no
# identity Allow (checked with named_by_resource). A new user's credentials: an access key or a console password.
NEW_PRINCIPALS = (
    NewPrincipal("role", "iam:CreateRole", ROLE_WRITES, ("sts:AssumeRole",)),
    NewPrincipal("user", "iam:CreateUser", USER_WRITES, ("iam:CreateAccessKey", "iam:CreateLoginProfile")),
)
# The technique of the edge into an account's admin node of a principal that can take its account over.
TAKEOVER = "account-takeover"


def named_uses() -> tuple[str, ...]:
    """Actions the indirect edges ask only where the resource's policy names the caller: assuming a role it
    created, whose trust it wrote (an identity Allow is not needed, only Denies and the boundary count)."""
    return tuple(sorted({a for new in NEW_PRINCIPALS if new.kind == "role" for a in new.uses}))


def checked_actions() -> tuple[str, ...]:
    """Every action the indirect edges ask a principal's policies about (but named_uses)."""
    actions = {"iam:PassRole", ROLE_TECHNIQUE, *USER_TECHNIQUES, *ROLE_WRITES, *USER_WRITES, *POLICY_WRITES,
               *GROUP_WRITES, ADD_TO_GROUP, ASSUME_ROOT,
               *(a for new in NEW_PRINCIPALS for a in (new.create, *new.writes, *new.uses) if a not in named_uses())}
    for technique in (*PASSROLE_TECHNIQUES, *CODE_TECHNIQUES):
        actions.update(technique.actions)
        actions.update(a for extra in technique.extras for alt in extra.alternatives for a in alt)
    return tuple(sorted(actions))


# IAM Identity Center administration (docs/edges.md, "Identity Center administrators"): who may change who gets
# what. Checked by their own PermissionChecker (graph/identity_center_admins.py), so that principals whose policies
# differ only here keep sharing their policy groups for the techniques above.
SSO_ASSIGN = "sso:CreateAccountAssignment"
SSO_PROVISION = "sso:ProvisionPermissionSet"
SSO_CREATE_SET = "sso:CreatePermissionSet"
# Writes that make a permission set grant what its writer likes (a customer managed policy reference needs a
# policy of that name in each account, which the data does not settle: not counted).
SSO_SET_WRITES = ("sso:PutInlinePolicyToPermissionSet", "sso:AttachManagedPolicyToPermissionSet")
STORE_ADD_MEMBER = "identitystore:CreateGroupMembership"
STORE_UPDATE_USER = "identitystore:UpdateUser"
# The caller signs in to Identity Center as a user it controls (its own, one it creates, or one whose identity it
# rewrites): nothing in the IAM data says which person an IAM principal is.
CONTROLS_USER_KEY = "trustgraph:ControlsIdentityCenterUser"


def identity_center_actions() -> tuple[str, ...]:
    """Every action the Identity Center administrator edges ask a principal's policies about."""
    return tuple(sorted({SSO_ASSIGN, SSO_PROVISION, SSO_CREATE_SET, *SSO_SET_WRITES, STORE_ADD_MEMBER,
                         STORE_UPDATE_USER}))


def identity_unit_actions() -> frozenset[str]:
    """The actions (lower case) a statement of a caller's identity policy may name, and only those, for choke points
    to offer its removal (docs/chokepoints.md): actions the PassRole and code techniques need, that no extra step, IAM
    technique, policy write, StackSets or AssumeRoot question asks. Removing such a statement changes only the
    PassRole and code edges whose evidence names it."""
    needed = {"iam:PassRole", *(a for t in (*PASSROLE_TECHNIQUES, *CODE_TECHNIQUES) for a in t.actions)}
    other = {ROLE_TECHNIQUE, *USER_TECHNIQUES, *ROLE_WRITES, *USER_WRITES, *POLICY_WRITES, *GROUP_WRITES, ADD_TO_GROUP,
             ASSUME_ROOT, *STACKSETS_ORG_ACTIONS,
             *(a for new in NEW_PRINCIPALS for a in (new.create, *new.writes, *new.uses)),
             *(a for t in (*PASSROLE_TECHNIQUES, *CODE_TECHNIQUES) for extra in t.extras
               for alt in extra.alternatives for a in alt)}
    return frozenset(a.lower() for a in needed - other if not a.lower().startswith(("sts:", "organizations:")))
