"""SEMANTICS §7.4: escalation techniques beyond the first tables — each rule with a positive and a negative control
(docs/edges.md gives the AWS page of each)."""

from __future__ import annotations

from typing import Any

import networkx as nx
from builders import A, Account, B, allow, build, identity, lambda_function, trust

from trustgraph.analysis.reachability import restrict, who_can_reach
from trustgraph.model import ComputeResource

PASS_ANY = allow("iam:PassRole", "*")
EC2 = {"Service": "ec2.amazonaws.com"}
LAMBDA = {"Service": "lambda.amazonaws.com"}


def ways(g: nx.DiGraph, src: str, dst: str, kind: str) -> list[dict[str, Any]]:
    """Every way src → dst of one kind, directly or through hub nodes (policy group, runner hubs): for each, the
    techniques on it and the condition keys of the whole way."""
    view = restrict(g, kind)
    found: list[dict[str, Any]] = []
    stack: list[list[str]] = [[src]]
    while stack:
        way = stack.pop()
        for nxt in view.successors(way[-1]):
            if nxt == dst:
                nodes = [*way, dst]
                edges = [view.edges[u, v] for u, v in zip(nodes, nodes[1:], strict=False)]
                records = [r for e in edges for r in e["evidence"] if r.get("kind", e["kind"]) == kind]
                found.append({
                    "techniques": sorted({str(r["technique"]) for r in records if r.get("technique")}),
                    "conditional": any(e["conditional"] for e in edges),
                    "conditions": sorted({k for e in edges if e["conditional"] for k in e["conditions"]})})
            elif view.nodes[nxt].get("hub") and nxt not in way and len(way) < 3:
                stack.append([*way, nxt])
    return found


def way_by(g: nx.DiGraph, src: str, dst: str, kind: str, technique: str) -> dict[str, Any]:
    """The way src → dst that `technique` opens (fails naming the techniques that do reach it)."""
    found = [w for w in ways(g, src, dst, kind) if technique in w["techniques"]]
    assert found, f"no {technique} way {src} -> {dst}: {ways(g, src, dst, kind)}"
    return found[0]


def no_way_by(g: nx.DiGraph, src: str, dst: str, kind: str, technique: str) -> None:
    found = [w for w in ways(g, src, dst, kind) if technique in w["techniques"]]
    assert not found, found


# -- ec2:RequestSpotInstances -------------------------------------------------------------------------------


def test_request_spot_instances_passes_a_role_through_an_instance_profile():
    a = Account(A)
    spot = a.user("spot", policies=identity(PASS_ANY, allow("ec2:RequestSpotInstances", "*")))
    builder = a.user("builder", policies=identity(PASS_ANY, allow(
        ["ec2:RequestSpotInstances", "iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"], "*")))
    instance = a.role("Instance", trust(EC2))
    g = build(a)
    assert way_by(g, spot, instance, "passrole", "ec2:RequestSpotInstances")["conditions"] == [
        "trustgraph:InstanceProfileForRole"]
    assert way_by(g, builder, instance, "passrole", "ec2:RequestSpotInstances")["conditional"] is False


def test_request_spot_instances_needs_passrole_and_the_spot_request():
    a = Account(A)
    no_pass = a.user("no-pass", policies=identity(allow("ec2:RequestSpotInstances", "*")))
    no_spot = a.user("no-spot", policies=identity(PASS_ANY, allow("ec2:DescribeSpotInstanceRequests", "*")))
    scoped = a.user("scoped", policies=identity(PASS_ANY, allow(
        "ec2:RequestSpotInstances", f"arn:aws:ec2:*:{A}:spot-instances-request/*")))
    instance = a.role("Instance", trust(EC2))
    g = build(a)
    no_way_by(g, no_pass, instance, "passrole", "ec2:RequestSpotInstances")
    no_way_by(g, no_spot, instance, "passrole", "ec2:RequestSpotInstances")
    # Its resource is the spot request the caller creates: a policy on that ARN allows it.
    way_by(g, scoped, instance, "passrole", "ec2:RequestSpotInstances")


# -- lambda:AddPermission: a way to invoke the function one creates ------------------------------------------


def test_add_permission_settles_that_the_new_function_is_invoked():
    a = Account(A)
    granting = a.user("granting", policies=identity(PASS_ANY, allow(["lambda:CreateFunction", "lambda:AddPermission"],
                                                                    "*")))
    creating = a.user("creating", policies=identity(PASS_ANY, allow("lambda:CreateFunction", "*")))
    app = a.role("App", trust(LAMBDA))
    g = build(a)
    assert way_by(g, granting, app, "passrole", "lambda:CreateFunction")["conditional"] is False
    # The control: without any way to invoke it, the edge stays conditional.
    assert way_by(g, creating, app, "passrole", "lambda:CreateFunction")["conditions"] == [
        "trustgraph:FunctionInvoked"]


def test_add_permission_denied_on_functions_leaves_the_invoke_unsettled():
    a = Account(A)
    denied = a.user("denied", policies=identity(
        PASS_ANY, allow(["lambda:CreateFunction", "lambda:AddPermission"], "*"),
        {"Effect": "Deny", "Action": "lambda:AddPermission", "Resource": f"arn:aws:lambda:*:{A}:function:*"}))
    app = a.role("App", trust(LAMBDA))
    g = build(a)
    assert way_by(g, denied, app, "passrole", "lambda:CreateFunction")["conditions"] == [
        "trustgraph:FunctionInvoked"]


# -- lambda:UpdateFunctionConfiguration + iam:PassRole: an existing function gets the passed role -------------


SWAP = ["lambda:UpdateFunctionConfiguration", "lambda:UpdateFunctionCode"]


def test_update_function_configuration_swaps_a_listed_functions_role():
    a = Account(A)
    plain = a.role("Plain", trust(LAMBDA))
    target = a.role("Target", trust(LAMBDA))
    swapper = a.user("swapper", policies=identity(PASS_ANY, allow(SWAP, f"arn:aws:lambda:*:{A}:function:api")))
    config_only = a.user("config-only", policies=identity(
        PASS_ANY, allow("lambda:UpdateFunctionConfiguration", f"arn:aws:lambda:*:{A}:function:api")))
    g = build(a, resources=[lambda_function("api", plain)], inventory={A})
    assert way_by(g, swapper, target, "passrole", "lambda:UpdateFunctionConfiguration")["conditional"] is False
    # Without new code the function runs its own code as the role: only if the caller's code gets into it.
    assert way_by(g, config_only, target, "passrole", "lambda:UpdateFunctionConfiguration")["conditions"] == [
        "trustgraph:FunctionCodeControlled"]


def test_update_function_configuration_needs_a_function_it_may_update():
    a = Account(A)
    plain = a.role("Plain", trust(LAMBDA))
    target = a.role("Target", trust(LAMBDA))
    elsewhere = a.user("elsewhere", policies=identity(PASS_ANY, allow(SWAP, f"arn:aws:lambda:*:{A}:function:other")))
    no_pass = a.user("no-pass", policies=identity(allow(SWAP, "*")))
    anywhere = a.user("anywhere", policies=identity(PASS_ANY, allow(SWAP, "*")))
    g = build(a, resources=[lambda_function("api", plain)], inventory={A})
    no_way_by(g, elsewhere, target, "passrole", "lambda:UpdateFunctionConfiguration")
    no_way_by(g, no_pass, target, "passrole", "lambda:UpdateFunctionConfiguration")
    # An inventory listing no function at all: nothing to swap.
    empty = build(a, resources=[], inventory={A})
    no_way_by(empty, anywhere, target, "passrole", "lambda:UpdateFunctionConfiguration")
    # Without inventory: conditional on a function existing.
    g = build(a)
    assert way_by(g, anywhere, target, "passrole", "lambda:UpdateFunctionConfiguration")["conditions"] == [
        "trustgraph:ResourceExists"]
    assert way_by(g, elsewhere, target, "passrole", "lambda:UpdateFunctionConfiguration")["conditions"] == [
        "trustgraph:ResourceExists"]


# -- ECS: ecs:CreateService and ecs:StartTask besides RunTask ----------------------------------------------------

ECS_TASKS = {"Service": "ecs-tasks.amazonaws.com"}


def test_create_service_runs_a_registered_task_definition_with_the_passed_task_role():
    a = Account(A)
    deployer = a.user("deployer", policies=identity(PASS_ANY, allow(
        ["ecs:RegisterTaskDefinition", "ecs:CreateService"], "*")))
    unregistered = a.user("unregistered", policies=identity(PASS_ANY, allow("ecs:CreateService", "*")))
    task = a.role("Task", trust(ECS_TASKS))
    g = build(a)
    assert way_by(g, deployer, task, "passrole", "ecs:RegisterTaskDefinition+CreateService")["conditional"] is False
    no_way_by(g, unregistered, task, "passrole", "ecs:RegisterTaskDefinition+CreateService")


def test_start_task_depends_on_a_registered_container_instance():
    a = Account(A)
    starter = a.user("starter", policies=identity(PASS_ANY, allow(
        ["ecs:RegisterTaskDefinition", "ecs:StartTask"], "*")))
    no_pass = a.user("no-pass", policies=identity(allow(["ecs:RegisterTaskDefinition", "ecs:StartTask"], "*")))
    task = a.role("Task", trust(ECS_TASKS))
    g = build(a)
    assert way_by(g, starter, task, "passrole", "ecs:RegisterTaskDefinition+StartTask")["conditions"] == [
        "trustgraph:ContainerInstanceRegistered"]
    no_way_by(g, no_pass, task, "passrole", "ecs:RegisterTaskDefinition+StartTask")


# -- Glue: glue:CreateTrigger with a new job, glue:UpdateJob on an existing one ----------------------------------

GLUE = {"Service": "glue.amazonaws.com"}


def test_create_trigger_runs_a_new_glue_job_with_the_passed_role():
    a = Account(A)
    scheduler = a.user("scheduler", policies=identity(PASS_ANY, allow(["glue:CreateJob", "glue:CreateTrigger"], "*")))
    creator = a.user("creator", policies=identity(PASS_ANY, allow("glue:CreateJob", "*")))
    job = a.role("Job", trust(GLUE))
    g = build(a)
    assert way_by(g, scheduler, job, "passrole", "glue:CreateJob+CreateTrigger")["conditional"] is False
    no_way_by(g, creator, job, "passrole", "glue:CreateJob+CreateTrigger")


def test_update_job_swaps_an_existing_jobs_role_and_needs_a_run():
    a = Account(A)
    runner = a.user("runner", policies=identity(PASS_ANY, allow(["glue:UpdateJob", "glue:StartJobRun"], "*")))
    updater = a.user("updater", policies=identity(PASS_ANY, allow("glue:UpdateJob", "*")))
    reader = a.user("reader", policies=identity(PASS_ANY, allow(["glue:GetJob", "glue:StartJobRun"], "*")))
    job = a.role("Job", trust(GLUE))
    # No inventory lists Glue jobs: even an inventoried account leaves the job's existence open.
    g = build(a, resources=[], inventory={A})
    assert way_by(g, runner, job, "passrole", "glue:UpdateJob")["conditions"] == ["trustgraph:ResourceExists"]
    assert way_by(g, updater, job, "passrole", "glue:UpdateJob")["conditions"] == [
        "trustgraph:GlueJobRuns", "trustgraph:ResourceExists"]
    no_way_by(g, reader, job, "passrole", "glue:UpdateJob")


# -- codebuild:StartBuild / StartBuildBatch with a buildspec override ----------------------------------------------

CODEBUILD = {"Service": "codebuild.amazonaws.com"}


def _project(name: str, role: str) -> ComputeResource:
    return ComputeResource(f"arn:aws:codebuild:us-east-1:{A}:project/{name}", "codebuild-project", A, "us-east-1",
                           role, name)


def test_start_build_with_a_buildspec_override_runs_commands_as_the_projects_role():
    a = Account(A)
    builds = a.role("Builds", trust(CODEBUILD))
    builder = a.user("builder", policies=identity(allow("codebuild:StartBuild", f"arn:aws:codebuild:*:{A}:project/ci")))
    batcher = a.user("batcher", policies=identity(allow("codebuild:StartBuildBatch", "*")))
    g = build(a, resources=[_project("ci", builds)], inventory={A})
    assert way_by(g, builder, builds, "code", "codebuild:StartBuild")["conditional"] is False
    assert way_by(g, batcher, builds, "code", "codebuild:StartBuildBatch")["conditional"] is False


def test_start_build_on_another_project_reaches_nothing():
    a = Account(A)
    builds = a.role("Builds", trust(CODEBUILD))
    idle = a.role("Idle", trust(CODEBUILD))
    other = a.user("other", policies=identity(allow("codebuild:StartBuild", f"arn:aws:codebuild:*:{A}:project/x")))
    lister = a.user("lister", policies=identity(allow("codebuild:BatchGetProjects", "*")))
    anyone = a.user("anyone", policies=identity(allow("codebuild:StartBuild", "*")))
    g = build(a, resources=[_project("ci", builds)], inventory={A})
    no_way_by(g, other, builds, "code", "codebuild:StartBuild")
    no_way_by(g, lister, builds, "code", "codebuild:StartBuild")
    no_way_by(g, anyone, idle, "code", "codebuild:StartBuild")  # no listed project runs as it
    way_by(g, anyone, builds, "code", "codebuild:StartBuild")


def test_start_build_batch_on_another_project_reaches_nothing():
    a = Account(A)
    builds = a.role("Builds", trust(CODEBUILD))
    other = a.user("other", policies=identity(allow("codebuild:StartBuildBatch",
                                                    f"arn:aws:codebuild:*:{A}:project/x")))
    single = a.user("single", policies=identity(allow("codebuild:StartBuild", f"arn:aws:codebuild:*:{A}:project/x")))
    batcher = a.user("batcher", policies=identity(allow("codebuild:StartBuildBatch",
                                                        f"arn:aws:codebuild:*:{A}:project/ci")))
    g = build(a, resources=[_project("ci", builds)], inventory={A})
    no_way_by(g, other, builds, "code", "codebuild:StartBuildBatch")
    no_way_by(g, single, builds, "code", "codebuild:StartBuildBatch")
    way_by(g, batcher, builds, "code", "codebuild:StartBuildBatch")  # control


# -- SageMaker: a lifecycle configuration set on an existing notebook -------------------------------------------

SAGEMAKER = {"Service": "sagemaker.amazonaws.com"}
LIFECYCLE = "sagemaker:CreateNotebookInstanceLifecycleConfig+UpdateNotebookInstance"
LIFECYCLE_ACTIONS = ["sagemaker:CreateNotebookInstanceLifecycleConfig", "sagemaker:UpdateNotebookInstance",
                     "sagemaker:StartNotebookInstance"]


def _notebook(name: str, role: str) -> ComputeResource:
    return ComputeResource(f"arn:aws:sagemaker:us-east-1:{A}:notebook-instance/{name}", "sagemaker-notebook", A,
                           "us-east-1", role, name)


def test_notebook_lifecycle_config_runs_a_script_as_the_notebooks_role():
    a = Account(A)
    notebook = a.role("Notebook", trust(SAGEMAKER))
    restarter = a.user("restarter", policies=identity(allow([*LIFECYCLE_ACTIONS, "sagemaker:StopNotebookInstance"],
                                                            "*")))
    starter = a.user("starter", policies=identity(allow(LIFECYCLE_ACTIONS, "*")))
    g = build(a, resources=[_notebook("lab", notebook)], inventory={A})
    assert way_by(g, restarter, notebook, "code", LIFECYCLE)["conditional"] is False
    assert way_by(g, starter, notebook, "code", LIFECYCLE)["conditions"] == ["trustgraph:NotebookStopped"]


def test_notebook_lifecycle_config_needs_the_update_and_the_start():
    a = Account(A)
    notebook = a.role("Notebook", trust(SAGEMAKER))
    no_start = a.user("no-start", policies=identity(allow(
        ["sagemaker:CreateNotebookInstanceLifecycleConfig", "sagemaker:UpdateNotebookInstance"], "*")))
    no_update = a.user("no-update", policies=identity(allow(
        ["sagemaker:CreateNotebookInstanceLifecycleConfig", "sagemaker:StartNotebookInstance"], "*")))
    g = build(a, resources=[_notebook("lab", notebook)], inventory={A})
    no_way_by(g, no_start, notebook, "code", LIFECYCLE)
    no_way_by(g, no_update, notebook, "code", LIFECYCLE)


# -- ec2-instance-connect:SendSSHPublicKey ---------------------------------------------------------------------


def _instance(ident: str, role: str) -> ComputeResource:
    return ComputeResource(f"arn:aws:ec2:us-east-1:{A}:instance/{ident}", "ec2-instance", A, "us-east-1", role)


def test_send_ssh_public_key_to_an_instance_depends_on_reaching_its_ssh_port():
    a = Account(A)
    instance = a.role("Instance", trust(EC2))
    ops = a.user("ops", policies=identity(allow("ec2-instance-connect:SendSSHPublicKey",
                                                f"arn:aws:ec2:*:{A}:instance/i-1")))
    g = build(a, resources=[_instance("i-1", instance)], inventory={A})
    assert way_by(g, ops, instance, "code", "ec2-instance-connect:SendSSHPublicKey")["conditions"] == [
        "trustgraph:InstanceConnectReachable"]


def test_send_ssh_public_key_to_another_instance_reaches_nothing():
    a = Account(A)
    instance = a.role("Instance", trust(EC2))
    other = a.user("other", policies=identity(allow("ec2-instance-connect:SendSSHPublicKey",
                                                    f"arn:aws:ec2:*:{A}:instance/i-2")))
    denied = a.user("denied", policies=identity(allow("ec2-instance-connect:SendSSHPublicKey", "*"),
                                                {"Effect": "Deny", "Action": "ec2-instance-connect:*",
                                                 "Resource": "*"}))
    g = build(a, resources=[_instance("i-1", instance)], inventory={A})
    no_way_by(g, other, instance, "code", "ec2-instance-connect:SendSSHPublicKey")
    no_way_by(g, denied, instance, "code", "ec2-instance-connect:SendSSHPublicKey")


# -- apprunner:CreateService: the instance role ---------------------------------------------------------------

APPRUNNER_TASKS = {"Service": "tasks.apprunner.amazonaws.com"}


def _pass_to(service: str) -> dict[str, Any]:
    return allow("iam:PassRole", "*", condition={"StringEquals": {"iam:PassedToService": service}})


def test_apprunner_create_service_runs_code_as_the_passed_instance_role():
    a = Account(A)
    deployer = a.user("deployer", policies=identity(_pass_to("apprunner.amazonaws.com"),
                                                    allow("apprunner:CreateService", "*")))
    instance = a.role("Instance", trust(APPRUNNER_TASKS))
    g = build(a)
    assert way_by(g, deployer, instance, "passrole", "apprunner:CreateService")["conditional"] is False


def test_apprunner_create_service_needs_passrole_to_apprunner_and_a_role_trusting_its_tasks():
    a = Account(A)
    wrong_service = a.user("wrong-service", policies=identity(_pass_to("tasks.apprunner.amazonaws.com"),
                                                              allow("apprunner:CreateService", "*")))
    deployer = a.user("deployer", policies=identity(PASS_ANY, allow("apprunner:CreateService", "*")))
    instance = a.role("Instance", trust(APPRUNNER_TASKS))
    access = a.role("Build", trust({"Service": "build.apprunner.amazonaws.com"}))  # an access role
    g = build(a)
    no_way_by(g, wrong_service, instance, "passrole", "apprunner:CreateService")
    no_way_by(g, deployer, access, "passrole", "apprunner:CreateService")
    way_by(g, deployer, instance, "passrole", "apprunner:CreateService")


# -- CloudFormation StackSets, self-managed: the administration role ------------------------------------------

CLOUDFORMATION = {"Service": "cloudformation.amazonaws.com"}
STACKSET = "cloudformation:CreateStackSet+CreateStackInstances"


def test_self_managed_stackset_passes_the_administration_role_which_reaches_the_execution_roles():
    a, b = Account(A), Account(B)
    deployer = a.user("deployer", policies=identity(PASS_ANY, allow(
        ["cloudformation:CreateStackSet", "cloudformation:CreateStackInstances"], "*")))
    admin_role = a.role("AWSCloudFormationStackSetAdministrationRole", trust(CLOUDFORMATION),
                        policies=identity(allow("sts:AssumeRole", "arn:aws:iam::*:role/"
                                                "AWSCloudFormationStackSetExecutionRole")))
    execution = b.role("AWSCloudFormationStackSetExecutionRole", trust(admin_role))
    g = build(a, b)
    assert way_by(g, deployer, admin_role, "passrole", STACKSET)["conditional"] is False
    assert deployer in {r.principal for r in who_can_reach(g, execution).reachers}


def test_self_managed_stackset_needs_the_stack_instances_and_passrole():
    a = Account(A)
    sets_only = a.user("sets-only", policies=identity(PASS_ANY, allow("cloudformation:CreateStackSet", "*")))
    no_pass = a.user("no-pass", policies=identity(allow(
        ["cloudformation:CreateStackSet", "cloudformation:CreateStackInstances"], "*")))
    admin_role = a.role("AWSCloudFormationStackSetAdministrationRole", trust(CLOUDFORMATION))
    g = build(a)
    no_way_by(g, sets_only, admin_role, "passrole", STACKSET)
    no_way_by(g, no_pass, admin_role, "passrole", STACKSET)


def test_update_stack_set_passes_a_new_administration_role_to_an_existing_stack_set():
    a = Account(A)
    admin_role = a.role("StackSetAdmin", trust({"Service": "cloudformation.amazonaws.com"}))
    updater = a.user("updater", policies=identity(PASS_ANY, allow("cloudformation:UpdateStackSet", "*")))
    g = build(a)
    assert way_by(g, updater, admin_role, "passrole", "cloudformation:UpdateStackSet")["conditions"] == [
        "trustgraph:ResourceExists"]


def test_update_stack_set_needs_passrole_and_the_update():
    a = Account(A)
    admin_role = a.role("StackSetAdmin", trust({"Service": "cloudformation.amazonaws.com"}))
    no_pass = a.user("no-pass", policies=identity(allow("cloudformation:UpdateStackSet", "*")))
    no_update = a.user("no-update", policies=identity(PASS_ANY, allow("cloudformation:DescribeStackSet", "*")))
    g = build(a)
    no_way_by(g, no_pass, admin_role, "passrole", "cloudformation:UpdateStackSet")
    no_way_by(g, no_update, admin_role, "passrole", "cloudformation:UpdateStackSet")
