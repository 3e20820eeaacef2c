"""SEMANTICS §7.4: what the PassRole and code techniques need, action by action — one resource for the actions
that act on one, facts the data settles, what the services check, named resources without inventory."""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest
from builders import A, Account, B, allow, build, deny, identity, load, trust
from test_semantics_7_indirect_edges import PASS_ANY, alternatives, technique_edge

from trustgraph.model import ComputeResource

LAMBDA = {"Service": "lambda.amazonaws.com"}
EC2 = {"Service": "ec2.amazonaws.com"}
CODEBUILD = {"Service": "codebuild.amazonaws.com"}
GLUE = {"Service": "glue.amazonaws.com"}
CLOUDFORMATION = {"Service": "cloudformation.amazonaws.com"}


def arn(service: str, resource: str, account: str = A) -> str:
    region = "" if service == "iam" else "us-east-1"
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def no_way(g: nx.DiGraph, src: str, dst: str, kind: str) -> None:
    """No edge of `kind` from src to dst, directly or through hub nodes (a passrole or code runner node)."""
    with pytest.raises(AssertionError, match="no .* edge"):
        technique_edge(g, src, dst, kind)


# -- 3. One resource, several actions -------------------------------------------------------------------------

# (technique, service trusted, (first action, its resource), (second action, its resource pattern with {n}))
ONE_RESOURCE = [
    ("codebuild:CreateProject+StartBuild", CODEBUILD,
     ("codebuild:CreateProject", "codebuild:StartBuild"), "codebuild", "project/{n}-*"),
    ("codebuild:CreateProject+StartBuildBatch", CODEBUILD,
     ("codebuild:CreateProject", "codebuild:StartBuildBatch"), "codebuild", "project/{n}-*"),
    ("glue:CreateJob+StartJobRun", GLUE, ("glue:CreateJob", "glue:StartJobRun"), "glue", "job/{n}-*"),
    ("cloudformation:CreateChangeSet+ExecuteChangeSet", CLOUDFORMATION,
     ("cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"), "cloudformation", "stack/{n}-*/*"),
]


@pytest.mark.parametrize(("technique", "service", "actions", "prefix", "shape"), ONE_RESOURCE,
                         ids=[row[0] for row in ONE_RESOURCE])
def test_rule_7_4_one_resource_the_actions_of_a_technique_need_the_same_resource(
        technique: str, service: dict[str, str], actions: tuple[str, str], prefix: str, shape: str) -> None:
    a = Account(A)
    first, second = actions
    apart = a.user("apart", policies=identity(PASS_ANY, allow(first, arn(prefix, shape.format(n="a"))),
                                              allow(second, arn(prefix, shape.format(n="b")))))
    same = a.user("same", policies=identity(PASS_ANY, allow(first, arn(prefix, shape.format(n="a"))),
                                            allow(second, arn(prefix, shape.format(n="a")))))
    role = a.role("Runner", trust(service))
    g = build(a)
    no_way(g, apart, role, "passrole")
    data = technique_edge(g, same, role, "passrole")
    assert data["technique"] == technique and data["conditional"] is False


def test_rule_7_4_one_resource_patterns_that_overlap_meet_in_a_resource_both_allow():
    a = Account(A)
    dev = a.user("dev", policies=identity(PASS_ANY, allow("codebuild:CreateProject", arn("codebuild", "project/a-*")),
                                          allow("codebuild:StartBuild", arn("codebuild", "project/*-x"))))
    disjoint = a.user("disjoint", policies=identity(
        PASS_ANY, allow("codebuild:CreateProject", arn("codebuild", "project/a-*")),
        allow("codebuild:StartBuild", arn("codebuild", "project/b*-x"))))
    role = a.role("Builder", trust(CODEBUILD))
    g = build(a)
    assert technique_edge(g, dev, role, "passrole")["conditional"] is False  # project/a-x
    no_way(g, disjoint, role, "passrole")


def test_rule_7_4_one_resource_a_deny_on_the_shared_resource_leaves_another_one():
    a = Account(A)
    dev = a.user("dev", policies=identity(
        PASS_ANY, allow(["codebuild:CreateProject", "codebuild:StartBuild"], arn("codebuild", "project/*")),
        deny("codebuild:StartBuild", arn("codebuild", "project/prod-*"))))
    only_prod = a.user("only-prod", policies=identity(
        PASS_ANY, allow(["codebuild:CreateProject", "codebuild:StartBuild"], arn("codebuild", "project/prod-*")),
        deny("codebuild:StartBuild", arn("codebuild", "project/prod-*"))))
    role = a.role("Builder", trust(CODEBUILD))
    g = build(a)
    assert technique_edge(g, dev, role, "passrole")["conditional"] is False
    no_way(g, only_prod, role, "passrole")


def test_rule_7_4_one_resource_the_new_function_must_be_the_one_invoked():
    a = Account(A)
    apart = a.user("apart", policies=identity(PASS_ANY, allow("lambda:CreateFunction", arn("lambda", "function:a-*")),
                                              allow("lambda:InvokeFunction", arn("lambda", "function:b-*"))))
    same = a.user("same", policies=identity(PASS_ANY, allow("lambda:CreateFunction", arn("lambda", "function:a-*")),
                                            allow("lambda:InvokeFunction", arn("lambda", "function:a-*"))))
    app = a.role("App", trust(LAMBDA))
    g = build(a)
    # It may create a-x but invoke only b-*: something else must invoke a-x.
    assert technique_edge(g, apart, app, "passrole")["conditions"] == ["trustgraph:FunctionInvoked"]
    assert technique_edge(g, same, app, "passrole")["conditional"] is False


def test_rule_7_4_one_resource_the_instance_profile_created_must_be_the_one_filled():
    a = Account(A)
    apart = a.user("apart", policies=identity(
        PASS_ANY, allow("ec2:RunInstances", "*"),
        allow("iam:CreateInstanceProfile", arn("iam", "instance-profile/a-*")),
        allow("iam:AddRoleToInstanceProfile", arn("iam", "instance-profile/b-*"))))
    same = a.user("same", policies=identity(
        PASS_ANY, allow("ec2:RunInstances", "*"),
        allow(["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"], arn("iam", "instance-profile/a-*"))))
    instance = a.role("Instance", trust(EC2))
    g = build(a)
    assert technique_edge(g, apart, instance, "passrole")["conditions"] == ["trustgraph:InstanceProfileForRole"]
    assert technique_edge(g, same, instance, "passrole")["conditional"] is False


def test_rule_7_4_one_resource_code_actions_act_on_the_same_existing_resource():
    a = Account(A)
    apart = a.user("apart", policies=identity(allow("codebuild:UpdateProject", arn("codebuild", "project/a-*")),
                                              allow("codebuild:StartBuild", arn("codebuild", "project/b-*"))))
    same = a.user("same", policies=identity(allow(["codebuild:UpdateProject", "codebuild:StartBuild"],
                                                  arn("codebuild", "project/a-*"))))
    role = a.role("Builder", trust(CODEBUILD))
    g = build(a)
    # StartBuild alone (a buildspec override) still runs commands in the b-* projects: that way is taken, the
    # update of an a-* project followed by a build of a b-* one is not.
    assert technique_edge(g, apart, role, "code")["technique"] == "codebuild:StartBuild"
    hub = f"code:{A}:codebuild:UpdateProject+StartBuild"
    assert hub in g and not g.has_edge(apart, hub)
    assert g.has_edge(same, hub)
    data = technique_edge(g, same, role, "code")
    assert data["conditions"] == ["trustgraph:ResourceRunsAsRole"]


def test_rule_7_4_one_resource_user_data_stop_and_start_act_on_one_instance():
    a = Account(A)
    actions = ["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"]
    apart = a.user("apart", policies=identity(allow(actions[:2], arn("ec2", "instance/i-1")),
                                              allow(actions[2], arn("ec2", "instance/i-2"))))
    same = a.user("same", policies=identity(allow(actions, arn("ec2", "instance/i-1"))))
    role = a.role("Instance", trust(EC2))
    g = build(a)
    no_way(g, apart, role, "code")
    assert technique_edge(g, same, role, "code")["technique"] == \
        "ec2:ModifyInstanceAttribute+StopInstances+StartInstances"


# -- 4. Facts the data settles ----------------------------------------------------------------------------------


def _profiles(a: Account, role: str, profiles: list[dict[str, Any]] | None) -> None:
    entry = next(r for r in a.roles if r["Arn"] == role)
    if profiles is None:
        entry.pop("InstanceProfileList", None)
    else:
        entry["InstanceProfileList"] = profiles


def test_rule_7_4_settled_a_role_the_export_lists_without_instance_profile_is_not_run_by_ec2():
    a = Account(A)
    runner = a.user("runner", policies=identity(PASS_ANY, allow("ec2:RunInstances", "*")))
    builder = a.user("builder", policies=identity(PASS_ANY, allow(
        ["ec2:RunInstances", "iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"], "*")))
    bare = a.role("Bare", trust(EC2))
    _profiles(a, bare, [])  # the export lists the role's instance profiles: none
    unlisted = a.role("Unlisted", trust(EC2))
    _profiles(a, unlisted, None)  # a file of another shape: nothing said either way
    g = build(a)
    no_way(g, runner, bare, "passrole")
    assert technique_edge(g, builder, bare, "passrole")["conditional"] is False
    assert technique_edge(g, runner, unlisted, "passrole")["conditions"] == ["trustgraph:InstanceProfileForRole"]


def test_rule_7_4_settled_the_reader_tells_an_empty_instance_profile_list_from_a_missing_one():
    a = Account(A)
    listed = a.role("Listed", trust(EC2))
    _profiles(a, listed, [])
    held = a.role("Held", trust(EC2))
    _profiles(a, held, [{"Arn": arn("iam", "instance-profile/Held"), "InstanceProfileName": "Held"}])
    broken = a.role("Broken", trust(EC2))
    _profiles(a, broken, [{"InstanceProfileName": "no-arn"}])
    unlisted = a.role("Unlisted", trust(EC2))
    snapshot, _ = load(a)
    roles = snapshot.roles
    assert roles[listed].instance_profiles_known and not roles[listed].instance_profiles
    assert roles[held].instance_profiles_known and roles[held].instance_profiles
    assert not roles[broken].instance_profiles_known
    assert not roles[unlisted].instance_profiles_known


# -- 6. Named resources without inventory -------------------------------------------------------------------


def test_rule_7_4_named_resource_without_inventory_a_grant_on_one_function_may_run_as_a_role():
    a = Account(A)
    hook = a.user("hook", policies=identity(allow("lambda:UpdateFunctionCode", arn("lambda", "function:deploy-hook"))))
    elsewhere = a.user("elsewhere", policies=identity(
        allow("lambda:UpdateFunctionCode", arn("lambda", "function:deploy-hook", B))))
    denied = a.user("denied", policies=identity(
        allow("lambda:UpdateFunctionCode", arn("lambda", "function:deploy-hook")),
        deny("lambda:UpdateFunctionCode", f"arn:aws:lambda:*:{A}:function:deploy-*")))
    function = a.role("Function", trust(LAMBDA))
    g = build(a)
    data = technique_edge(g, hook, function, "code")
    assert data["technique"] == "lambda:UpdateFunctionCode"
    assert data["conditions"] == ["trustgraph:ResourceRunsAsRole"]
    no_way(g, elsewhere, function, "code")  # another account's function: not one of this account
    no_way(g, denied, function, "code")


def test_rule_7_4_named_resource_without_inventory_a_named_stack_and_instance_too():
    a = Account(A)
    stack = a.user("stack", policies=identity(
        allow("cloudformation:UpdateStack", arn("cloudformation", "stack/deploy/*"))))
    other = a.user("other", policies=identity(allow("cloudformation:DescribeStacks", arn("cloudformation", "stack/*"))))
    role = a.role("Deployer", trust(CLOUDFORMATION))
    g = build(a)
    assert technique_edge(g, stack, role, "code")["conditions"] == ["trustgraph:ResourceRunsAsRole"]
    no_way(g, other, role, "code")


def test_rule_7_4_named_resource_with_inventory_still_checks_the_listed_resource():
    a = Account(A)
    role = a.role("Function", trust(LAMBDA))
    hook = a.user("hook", policies=identity(allow("lambda:UpdateFunctionCode", arn("lambda", "function:deploy-hook"))))
    listed = ComputeResource(arn("lambda", "function:api"), "lambda-function", A, "us-east-1", role, "api")
    g = build(a, resources=[listed], inventory={A})
    no_way(g, hook, role, "code")  # the inventory says which function runs as it: not deploy-hook
    g = build(a, resources=[ComputeResource(arn("lambda", "function:deploy-hook"), "lambda-function", A,
                                               "us-east-1", role, "deploy-hook")], inventory={A})
    assert technique_edge(g, hook, role, "code")["conditional"] is False


def _pass_for(resources: list[str], operator: str = "ArnLike", effect: str = "Allow") -> dict[str, Any]:
    condition = {operator: {"iam:AssociatedResourceArn": resources}}
    return allow("iam:PassRole", "*", condition=condition) if effect == "Allow" else \
        deny("iam:PassRole", "*", condition=condition)


def test_rule_7_4_settled_associated_resource_arn_of_another_account_never_matches():
    a = Account(A)
    create = allow(["lambda:CreateFunction", "lambda:InvokeFunction"], "*")
    theirs = a.user("theirs", policies=identity(_pass_for([f"arn:aws:lambda:*:{B}:function:*"]), create))
    ours = a.user("ours", policies=identity(_pass_for([f"arn:aws:lambda:*:{A}:function:ok-*"]), create))
    every = a.user("every", policies=identity(_pass_for([f"arn:aws:lambda:*:{A}:function:*"]), create))
    mixed = a.user("mixed", policies=identity(
        _pass_for([f"arn:aws:lambda:*:{B}:function:*", f"arn:aws:lambda:*:{A}:function:*"]), create))
    app = a.role("App", trust(LAMBDA))
    g = build(a)
    # The function is created in the caller's account: a condition naming only account B's resources is a deny.
    no_way(g, theirs, app, "passrole")
    # One of its own account's functions: only if the caller names it so (and may create it so).
    assert technique_edge(g, ours, app, "passrole")["conditions"] == ["iam:AssociatedResourceArn"]
    # Every function of its account: whatever it creates matches.
    assert technique_edge(g, every, app, "passrole")["conditional"] is False
    assert technique_edge(g, mixed, app, "passrole")["conditional"] is False


def test_rule_7_4_settled_associated_resource_arn_deny_naming_another_account_does_not_apply():
    a = Account(A)
    create = allow(["lambda:CreateFunction", "lambda:InvokeFunction"], "*")
    elsewhere = a.user("elsewhere", policies=identity(
        PASS_ANY, create, _pass_for([f"arn:aws:lambda:*:{B}:function:*"], effect="Deny")))
    here = a.user("here", policies=identity(
        PASS_ANY, create, _pass_for([f"arn:aws:lambda:*:{A}:function:*"], effect="Deny")))
    app = a.role("App", trust(LAMBDA))
    g = build(a)
    assert technique_edge(g, elsewhere, app, "passrole")["conditional"] is False
    no_way(g, here, app, "passrole")


def test_rule_7_4_settled_associated_resource_arn_of_one_region_stays_conditional():
    a = Account(A)
    run = allow(["ec2:RunInstances", "iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"], "*")
    regional = a.user("regional", policies=identity(
        _pass_for([f"arn:aws:ec2:us-east-1:{A}:instance/*"], "StringLike"), run))
    other = a.user("other", policies=identity(_pass_for([f"arn:aws:ec2:us-east-1:{B}:instance/*"], "StringLike"), run))
    instance = a.role("Instance", trust(EC2))
    g = build(a)
    assert technique_edge(g, regional, instance, "passrole")["conditions"] == ["iam:AssociatedResourceArn"]
    no_way(g, other, instance, "passrole")


# -- 5. What the services require -------------------------------------------------------------------------------


def techniques(g: nx.DiGraph, src: str, dst: str) -> dict[str, list[str]]:
    """The passrole alternatives on the direct edge src → dst: technique → the keys it depends on."""
    found = alternatives(g, src, dst, "passrole")
    return {r["technique"]: sorted({c["key"] for c in r["conditions"]}) for r in found}


PROFILE_RIGHTS = ["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"]
TEMPLATE = "ec2:CreateLaunchTemplate+autoscaling:CreateAutoScalingGroup"
CONFIGURATION = "autoscaling:CreateLaunchConfiguration+CreateAutoScalingGroup"


def test_rule_7_4_service_requirements_an_auto_scaling_group_from_a_launch_template_needs_run_instances():
    a = Account(A)
    asg = ["ec2:CreateLaunchTemplate", "autoscaling:CreateAutoScalingGroup", "iam:CreateServiceLinkedRole",
           *PROFILE_RIGHTS]
    without = a.user("without", policies=identity(PASS_ANY, allow(asg, "*")))
    with_run = a.user("with-run", policies=identity(PASS_ANY, allow([*asg, "ec2:RunInstances"], "*")))
    instance = a.role("Instance", trust(EC2))
    g = build(a)
    assert TEMPLATE not in techniques(g, without, instance)
    assert techniques(g, with_run, instance)[TEMPLATE] == []


def test_rule_7_4_service_requirements_an_auto_scaling_group_needs_its_service_linked_role():
    asg = ["autoscaling:CreateLaunchConfiguration", "autoscaling:CreateAutoScalingGroup", *PROFILE_RIGHTS]

    def built(linked: bool, listed: bool) -> tuple[nx.DiGraph, str, str, str]:
        a = Account(A)
        plain = a.user("plain", policies=identity(PASS_ANY, allow(asg, "*")))
        creator = a.user("creator", policies=identity(PASS_ANY, allow([*asg, "iam:CreateServiceLinkedRole"], "*")))
        instance = a.role("Instance", trust(EC2))
        if linked:
            a.role("AWSServiceRoleForAutoScaling", trust({"Service": "autoscaling.amazonaws.com"}),
                   path="/aws-service-role/autoscaling.amazonaws.com/")
        if listed:  # an authorization-details export: every role with its InstanceProfileList
            for entry in a.roles:
                entry["InstanceProfileList"] = []
            instance_entry = next(r for r in a.roles if r["Arn"] == instance)
            instance_entry["InstanceProfileList"] = [{"Arn": arn("iam", "instance-profile/i")}]
        return build(a), plain, creator, instance

    g, plain, creator, instance = built(linked=True, listed=True)
    assert techniques(g, plain, instance)[CONFIGURATION] == []
    g, plain, creator, instance = built(linked=False, listed=True)
    assert CONFIGURATION not in techniques(g, plain, instance)  # the export shows no such role in the account
    assert techniques(g, creator, instance)[CONFIGURATION] == []
    g, plain, creator, instance = built(linked=False, listed=False)
    assert techniques(g, plain, instance)[CONFIGURATION] == ["trustgraph:ServiceLinkedRoleExists"]


def test_rule_7_4_service_requirements_a_new_notebook_instance_runs_code_once_opened():
    a = Account(A)
    sagemaker = {"Service": "sagemaker.amazonaws.com"}
    create = "sagemaker:CreateNotebookInstance"
    url = "sagemaker:CreatePresignedNotebookInstanceUrl"
    alone = a.user("alone", policies=identity(PASS_ANY, allow(create, "*")))
    notebooks_a, notebooks_b = arn("sagemaker", "notebook-instance/a-*"), arn("sagemaker", "notebook-instance/b-*")
    opens = a.user("opens", policies=identity(PASS_ANY, allow([create, url], notebooks_a)))
    elsewhere = a.user("elsewhere", policies=identity(PASS_ANY, allow(create, notebooks_a), allow(url, notebooks_b)))
    scripted = a.user("scripted", policies=identity(PASS_ANY, allow(
        [create, "sagemaker:CreateNotebookInstanceLifecycleConfig"], "*")))
    role = a.role("Notebook", trust(sagemaker))
    g = build(a)
    key = "trustgraph:NotebookOpened"
    assert techniques(g, alone, role)["sagemaker:CreateNotebookInstance"] == [key]
    assert techniques(g, opens, role)["sagemaker:CreateNotebookInstance"] == []
    assert techniques(g, elsewhere, role)["sagemaker:CreateNotebookInstance"] == [key]
    assert techniques(g, scripted, role)["sagemaker:CreateNotebookInstance"] == []


def test_rule_7_4_one_resource_an_action_on_a_resource_of_its_own_is_not_asked_on_the_listed_one():
    """A lifecycle configuration is a resource of its own: a grant scoped to configurations still lets the caller
    create one for a listed notebook it may update and start."""
    from trustgraph.model import ComputeResource

    a = Account(A)
    role = a.role("Notebook", trust({"Service": "sagemaker.amazonaws.com"}))
    on_notebook = allow(["sagemaker:UpdateNotebookInstance", "sagemaker:StartNotebookInstance",
                         "sagemaker:StopNotebookInstance"], arn("sagemaker", "notebook-instance/lab"))
    scoped = a.user("scoped", policies=identity(on_notebook, allow(
        "sagemaker:CreateNotebookInstanceLifecycleConfig", arn("sagemaker", "notebook-instance-lifecycle-config/*"))))
    without = a.user("without", policies=identity(on_notebook))
    lab = ComputeResource(arn("sagemaker", "notebook-instance/lab"), "sagemaker-notebook", A, "us-east-1", role, "lab")
    g = build(a, resources=[lab], inventory={A})
    technique = "sagemaker:CreateNotebookInstanceLifecycleConfig+UpdateNotebookInstance"
    assert any(r.get("technique") == technique for r in alternatives(g, scoped, role, "code"))
    assert not any(r.get("technique") == technique for r in alternatives(g, without, role, "code"))
