"""SEMANTICS §7.4–7.5: indirect edges — PassRole to a service, code already running as a role, IAM escalation
through the account's admin node, sts:AssumeRoot — and `--via` filtering of the answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
from builders import (
    MGMT,
    A,
    Account,
    B,
    Org,
    allow,
    build,
    deny,
    doc,
    identity,
    lambda_function,
    load,
    trust,
    trust_stmt,
)
from click.testing import CliRunner

from trustgraph.analysis.reachability import reach, restrict, who_can_reach
from trustgraph.cli.app import main
from trustgraph.graph.build import build_graph
from trustgraph.model import ComputeResource, Snapshot
from trustgraph.policy.passrole import CODE_TECHNIQUES, PASSROLE_TECHNIQUES, TAKEOVER, Technique
from trustgraph.saved.serialize import load_graph, save_graph

LAMBDA = {"Service": "lambda.amazonaws.com"}
EC2 = {"Service": "ec2.amazonaws.com"}
CREATE_AND_INVOKE = allow(["lambda:CreateFunction", "lambda:InvokeFunction"], "*")
PASS_ANY = allow("iam:PassRole", "*")


def alternatives(g: nx.DiGraph, src: str, dst: str, kind: str) -> list[dict[str, Any]]:
    """The evidence records of one kind on the edge src → dst (none: no such alternative)."""
    if not g.has_edge(src, dst):
        return []
    data = g.edges[src, dst]
    return [r for r in data["evidence"] if r.get("kind", data["kind"]) == kind]


def technique_edge(g: nx.DiGraph, src: str, dst: str, kind: str) -> dict[str, Any]:
    """src → dst restricted to one kind, directly or through hub nodes (a policy group, a node standing for every
    role a technique reaches alike): the last edge's attributes, with the conditions of the whole way."""
    allowed = {"passrole": "passrole", "code": "code", "iam": "iam", "assume-root": "iam"}[kind]
    view = restrict(g, allowed)
    ways: list[list[str]] = [[src]]
    while ways:
        way = ways.pop(0)
        for nxt in view.successors(way[-1]):
            if nxt == dst:
                nodes = [*way, dst]
                edges = [view.edges[u, v] for u, v in zip(nodes, nodes[1:], strict=False)]
                keys = sorted({k for e in edges if e["conditional"] for k in e["conditions"]})
                technique = next(e["technique"] for e in edges if e.get("technique") and e["kind"] != "member")
                return {**edges[-1], "conditional": any(e["conditional"] for e in edges), "conditions": keys,
                        "technique": technique}
            if view.nodes[nxt].get("hub") and nxt not in way and len(way) < 3:
                ways.append([*way, nxt])
    raise AssertionError(f"no {kind} edge {src} -> {dst}; edges out: {list(g.successors(src))}")


def no_alternative(g: nx.DiGraph, src: str, dst: str, kind: str) -> None:
    assert not alternatives(g, src, dst, kind), alternatives(g, src, dst, kind)


# -- §7.4 PassRole to a service --------------------------------------------------------------------------


def test_rule_7_4_passrole_and_create_function_reach_a_role_trusting_lambda():
    a = Account(A)
    dev = a.user("dev", policies=identity(PASS_ANY, CREATE_AND_INVOKE))
    app = a.role("App", trust(LAMBDA))
    other = a.user("other", policies=identity(CREATE_AND_INVOKE))  # no PassRole: negative control
    g = build(a)
    data = technique_edge(g, dev, app, "passrole")
    assert data["conditional"] is False and data["kind"] == "passrole"
    assert data["technique"] == "lambda:CreateFunction" and data["service"] == "lambda.amazonaws.com"
    no_alternative(g, other, app, "passrole")
    answer = who_can_reach(g, app)
    step = next(r for r in answer.reachers if r.principal == dev).steps[0]
    assert (step["kind"], step["technique"]) == ("passrole", "lambda:CreateFunction")


def test_rule_7_4_without_a_way_to_invoke_the_new_function_the_edge_is_conditional():
    a = Account(A)
    dev = a.user("dev", policies=identity(PASS_ANY, allow("lambda:CreateFunction", "*")))
    app = a.role("App", trust(LAMBDA))
    data = technique_edge(build(a), dev, app, "passrole")
    assert data["conditional"] is True and data["conditions"] == ["trustgraph:FunctionInvoked"]


def test_rule_7_4_passed_to_service_must_name_the_service():
    a = Account(A)
    to_ec2 = a.user("to-ec2", policies=identity(
        allow("iam:PassRole", "*", condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
        CREATE_AND_INVOKE))
    to_lambda = a.user("to-lambda", policies=identity(
        allow("iam:PassRole", "*", condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
        CREATE_AND_INVOKE))
    app = a.role("App", trust(LAMBDA))
    g = build(a)
    no_alternative(g, to_ec2, app, "passrole")
    assert technique_edge(g, to_lambda, app, "passrole")["conditional"] is False


def test_rule_7_4_associated_resource_arn_makes_the_edge_conditional():
    a = Account(A)
    dev = a.user("dev", policies=identity(
        allow("iam:PassRole", "*",
              condition={"ArnLike": {"iam:AssociatedResourceArn": "arn:aws:lambda:*:*:function:ok-*"}}),
        CREATE_AND_INVOKE))
    plain = a.user("plain", policies=identity(PASS_ANY, CREATE_AND_INVOKE))
    app = a.role("App", trust(LAMBDA))
    g = build(a)
    data = technique_edge(g, dev, app, "passrole")
    assert data["conditional"] is True and data["conditions"] == ["iam:AssociatedResourceArn"]
    assert technique_edge(g, plain, app, "passrole")["conditional"] is False


def test_rule_7_4_an_explicit_deny_on_passrole_blocks_the_edge():
    a = Account(A)
    app = a.role("App", trust(LAMBDA))
    blocked = a.user("blocked", policies=identity(PASS_ANY, CREATE_AND_INVOKE, deny("iam:PassRole", app)))
    allowed = a.user("allowed", policies=identity(PASS_ANY, CREATE_AND_INVOKE,
                                                  deny("iam:PassRole", a.arn("role", "X"))))
    g = build(a)
    no_alternative(g, blocked, app, "passrole")
    assert technique_edge(g, allowed, app, "passrole")["conditional"] is False


def test_rule_7_4_an_scp_denying_passrole_blocks_the_edge():
    def built(scp_denies: bool) -> tuple[nx.DiGraph, str, str]:
        a = Account(A)
        dev = a.user("dev", policies=identity(PASS_ANY, CREATE_AND_INVOKE))
        app = a.role("App", trust(LAMBDA))
        org = Org()
        org.account(A)
        org.full_access_everywhere()
        if scp_denies:
            org.scp("NoPassing", doc(deny("iam:PassRole", "*")), A)
        return build(a, org), dev, app

    g, dev, app = built(scp_denies=True)
    no_alternative(g, dev, app, "passrole")
    g, dev, app = built(scp_denies=False)
    assert technique_edge(g, dev, app, "passrole")["conditional"] is False


def test_rule_7_4_a_role_in_another_account_is_never_passed():
    a, b = Account(A), Account(B)
    dev = a.user("dev", policies=identity(PASS_ANY, CREATE_AND_INVOKE))
    theirs = b.role("App", trust(LAMBDA))
    ours = a.role("App", trust(LAMBDA))
    g = build(a, b)
    no_alternative(g, dev, theirs, "passrole")
    assert technique_edge(g, dev, ours, "passrole")["conditional"] is False


def test_rule_7_4_a_permissions_boundary_without_passrole_blocks_the_edge():
    a = Account(A)
    narrow = a.policy("Narrow", doc(allow(["lambda:*"], "*")))
    wide = a.policy("Wide", doc(allow(["lambda:*", "iam:PassRole"], "*")))
    bounded = a.user("bounded", policies=identity(PASS_ANY, CREATE_AND_INVOKE), boundary=narrow)
    loose = a.user("loose", policies=identity(PASS_ANY, CREATE_AND_INVOKE), boundary=wide)
    app = a.role("App", trust(LAMBDA))
    g = build(a)
    no_alternative(g, bounded, app, "passrole")
    assert technique_edge(g, loose, app, "passrole")["conditional"] is False


def test_rule_7_4_a_role_trusting_another_service_is_not_reached_through_lambda():
    a = Account(A)
    dev = a.user("dev", policies=identity(PASS_ANY, CREATE_AND_INVOKE))
    instance = a.role("Instance", trust(EC2))
    function = a.role("Function", trust(LAMBDA))
    g = build(a)
    no_alternative(g, dev, instance, "passrole")
    assert technique_edge(g, dev, function, "passrole")["technique"] == "lambda:CreateFunction"


def test_rule_7_4_run_instances_needs_an_instance_profile_or_the_rights_to_make_one():
    a = Account(A)
    runner = a.user("runner", policies=identity(PASS_ANY, allow("ec2:RunInstances", "*")))
    builder = a.user("builder", policies=identity(PASS_ANY, allow(
        ["ec2:RunInstances", "iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"], "*")))
    instance = a.role("Instance", trust(EC2))
    g = build(a)
    data = technique_edge(g, runner, instance, "passrole")
    assert data["conditional"] is True and data["conditions"] == ["trustgraph:InstanceProfileForRole"]
    data = technique_edge(g, builder, instance, "passrole")
    assert data["conditional"] is False and data["technique"] == "ec2:RunInstances"


def test_rule_7_4_run_instances_with_an_existing_instance_profile_needs_no_new_one():
    a = Account(A)
    runner = a.user("runner", policies=identity(PASS_ANY, allow("ec2:RunInstances", "*")))
    held = a.role("Held", trust(EC2))
    bare = a.role("Bare", trust(EC2))
    listed = a.role("Listed", trust(EC2))
    next(r for r in a.roles if r["Arn"] == held)["InstanceProfileList"] = [
        {"Arn": f"arn:aws:iam::{A}:instance-profile/Held", "InstanceProfileName": "Held"}]
    inventory = [ComputeResource(f"arn:aws:iam::{A}:instance-profile/Listed", "ec2-instance-profile", A, "",
                                 listed, "Listed")]
    g = build(a, resources=inventory)
    # The export's InstanceProfileList, or the inventory's profiles: the profile exists, RunInstances is enough.
    for role in (held, listed):
        data = technique_edge(g, runner, role, "passrole")
        assert data["conditional"] is False and data["technique"] == "ec2:RunInstances", role
    # The control: a role no profile holds still needs one to exist.
    assert technique_edge(g, runner, bare, "passrole")["conditions"] == ["trustgraph:InstanceProfileForRole"]


def test_rule_7_4_conditions_in_the_service_trust_make_the_edge_conditional():
    a = Account(A)
    dev = a.user("dev", policies=identity(PASS_ANY, CREATE_AND_INVOKE))
    scoped = a.role("Scoped", doc(trust_stmt(LAMBDA, condition={"StringEquals": {"aws:SourceAccount": A}})))
    open_role = a.role("Open", trust(LAMBDA))
    g = build(a)
    assert technique_edge(g, dev, scoped, "passrole")["conditions"] == ["aws:SourceAccount"]
    assert technique_edge(g, dev, open_role, "passrole")["conditional"] is False


def test_rule_7_4_the_service_action_must_be_allowed_too():
    a = Account(A)
    dev = a.user("dev", policies=identity(PASS_ANY, allow("lambda:InvokeFunction", "*")))
    scoped = a.user("scoped", policies=identity(
        PASS_ANY, allow(["lambda:CreateFunction", "lambda:InvokeFunction"], f"arn:aws:lambda:*:{A}:function:dev-*")))
    app = a.role("App", trust(LAMBDA))
    g = build(a)
    no_alternative(g, dev, app, "passrole")
    # The caller names the new function: a policy limited to dev-* still lets it create dev-anything.
    assert technique_edge(g, scoped, app, "passrole")["conditional"] is False


# -- §7.4 code already running as a role -------------------------------------------------------------------


def test_rule_7_4_update_function_code_without_inventory_is_conditional_on_a_function_running_as_the_role():
    a = Account(A)
    dev = a.user("dev", policies=identity(allow("lambda:UpdateFunctionCode", "*")))
    function = a.role("Function", trust(LAMBDA))
    instance = a.role("Instance", trust(EC2))
    reader = a.user("reader", policies=identity(allow("lambda:GetFunction", "*")))
    g = build(a)
    # Through the account's one node for "code of any Lambda function": callers + roles edges, not their product.
    hub = f"code:{A}:lambda:UpdateFunctionCode"
    assert g.nodes[hub]["hub"] is True and g.edges[dev, hub]["hub_entry"] is True
    assert "no inventory" in g.edges[hub, function]["evidence"][0]["reason"]
    found = {r.principal: r for r in who_can_reach(g, function, via="code").reachers}
    assert found[dev].hops == 1 and found[dev].path == [dev, function]
    assert found[dev].conditional and found[dev].conditions == ["trustgraph:ResourceRunsAsRole"]
    assert reader not in found
    assert dev not in {r.principal for r in who_can_reach(g, instance, via="code").reachers}
    assert not g.has_edge(hub, instance)


def test_rule_7_4_update_function_code_with_inventory_reaches_the_functions_role():
    a = Account(A)
    function = a.role("Function", trust(LAMBDA))
    idle = a.role("Idle", trust(LAMBDA))  # trusts Lambda, but no function runs as it
    dev = a.user("dev", policies=identity(allow("lambda:UpdateFunctionCode", f"arn:aws:lambda:*:{A}:function:api")))
    wrong = a.user("wrong", policies=identity(allow("lambda:UpdateFunctionCode", f"arn:aws:lambda:*:{A}:function:x")))
    g = build(a, resources=[lambda_function("api", function)], inventory={A})
    data = technique_edge(g, dev, function, "code")
    assert data["conditional"] is False and data["technique"] == "lambda:UpdateFunctionCode"
    no_alternative(g, wrong, function, "code")
    no_alternative(g, dev, idle, "code")


def test_rule_7_4_ssm_send_command_to_an_instance_depends_on_the_ssm_agent():
    a = Account(A)
    instance = a.role("Instance", trust(EC2))
    ops = a.user("ops", policies=identity(allow("ssm:SendCommand", "*")))
    vm = ComputeResource(f"arn:aws:ec2:us-east-1:{A}:instance/i-1", "ec2-instance", A, "us-east-1", instance)
    g = build(a, resources=[vm], inventory={A})
    assert technique_edge(g, ops, instance, "code")["conditions"] == ["trustgraph:InstanceManagedBySSM"]
    g = build(a, resources=[], inventory={A})
    no_alternative(g, ops, instance, "code")


# -- §7.4 IAM escalation ---------------------------------------------------------------------------------------


def test_rule_7_4_update_assume_role_policy_on_a_role_reaches_it():
    a, b = Account(A), Account(B)
    target = a.role("Target", trust(A))
    elsewhere = b.role("Target", trust(B))
    editor = a.user("editor", policies=identity(allow("iam:UpdateAssumeRolePolicy", [target, elsewhere])))
    denied = a.user("denied", policies=identity(allow("iam:UpdateAssumeRolePolicy", target),
                                                deny("iam:UpdateAssumeRolePolicy", "*")))
    g = build(a, b)
    data = technique_edge(g, editor, target, "iam")
    assert data["conditional"] is False and data["technique"] == "iam:UpdateAssumeRolePolicy"
    no_alternative(g, editor, elsewhere, "iam")  # rewriting a trust is an IAM call in the role's own account
    no_alternative(g, denied, target, "iam")


def test_rule_7_4_create_access_key_on_a_user_reaches_the_user():
    a = Account(A)
    victim = a.user("victim")
    keys = a.user("keys", policies=identity(allow("iam:CreateAccessKey", victim)))
    none = a.user("none", policies=identity(allow("iam:ListAccessKeys", victim)))
    g = build(a)
    assert technique_edge(g, keys, victim, "iam")["technique"] == "iam:CreateAccessKey"
    no_alternative(g, none, victim, "iam")
    answer = who_can_reach(g, victim)
    assert keys in {r.principal for r in answer.reachers}


def test_rule_7_4_an_administrator_enters_the_admin_node_once_and_reaches_every_role_of_its_account():
    a = Account(A)
    admins = [a.user(f"admin{i}", policies=identity(allow("*", "*"))) for i in range(3)]
    roles = [a.role(f"R{i}", trust(B)) for i in range(4)]  # no trust names anyone of A
    reader = a.user("reader", policies=identity(allow("s3:GetObject", "*")))
    g = build(a)
    node = f"admin:{A}"
    assert g.nodes[node]["kind"] == "account-admin" and g.nodes[node]["hub"] is True
    for admin in admins:
        assert g.edges[admin, node]["hub_entry"] is True and not g.has_edge(admin, roles[0])
    assert not g.has_edge(reader, node)
    # One edge per role and user of the account, not admins × roles.
    assert sum(1 for _ in g.successors(node)) == len(roles) + len(admins) + 1  # + reader
    answer = who_can_reach(g, roles[0])
    found = {r.principal: r for r in answer.reachers if r.account == A}
    assert set(found) == set(admins)
    assert found[admins[0]].hops == 1 and found[admins[0]].path == [admins[0], roles[0]]
    assert node not in {r.principal for r in answer.reachers}
    assert [s["technique"] for s in found[admins[0]].steps] == ["account-takeover", "iam:UpdateAssumeRolePolicy"]


def test_rule_7_4_a_policy_write_on_itself_makes_an_administrator_a_write_on_another_role_does_not():
    a = Account(A)
    target = a.role("Target", trust(B))
    selfish = a.role("Selfish", trust(B), policies=identity(allow("iam:PutRolePolicy", a.arn("role", "Selfish"))))
    other = a.role("Other", trust(B), policies=identity(allow("iam:PutRolePolicy", a.arn("role", "Unrelated"))))
    g = build(a)
    assert g.has_edge(selfish, f"admin:{A}")
    assert not g.has_edge(other, f"admin:{A}")
    assert selfish in {r.principal for r in who_can_reach(g, target).reachers}
    assert other not in {r.principal for r in who_can_reach(g, target).reachers}


def test_rule_7_4_an_scp_denying_trust_rewrites_leaves_the_admin_node_without_role_edges():
    def built(deny_rewrites: bool) -> tuple[nx.DiGraph, str, str]:
        a = Account(A)
        a.user("admin", policies=identity(allow("*", "*")))
        role = a.role("Target", trust(B))
        user = a.user("someone")
        org = Org()
        org.account(A)
        org.full_access_everywhere()
        if deny_rewrites:
            org.scp("NoTrustRewrites", doc(deny("iam:UpdateAssumeRolePolicy", "*")), A)
        return build(a, org), role, user

    g, role, user = built(deny_rewrites=True)
    assert not g.has_edge(f"admin:{A}", role) and g.has_edge(f"admin:{A}", user)
    g, role, user = built(deny_rewrites=False)
    assert g.edges[f"admin:{A}", role]["conditional"] is False


# -- §7.5 sts:AssumeRoot -------------------------------------------------------------------------------------


def test_rule_7_5_assume_root_from_the_management_account_reaches_the_member_accounts_admin_node():
    mgmt, member = Account(MGMT), Account(A)
    boss = mgmt.user("boss", policies=identity(allow("sts:AssumeRoot", "*")))
    clerk = mgmt.user("clerk", policies=identity(allow("sts:GetCallerIdentity", "*")))
    local = member.user("local", policies=identity(allow("sts:AssumeRoot", "*")))
    target = member.role("Target", trust(B))
    org = Org()
    org.account(A)
    g = build(mgmt, member, org)
    data = g.edges[boss, f"admin:{A}"]
    assert data["kind"] == "assume-root" and data["conditional"] is True
    assert data["conditions"] == ["trustgraph:CentralizedRootAccess"]
    assert not g.has_edge(clerk, f"admin:{A}")
    assert not any(d["kind"] == "assume-root" for _, _, d in g.out_edges(local, data=True))
    found = {r.principal: r for r in who_can_reach(g, target).reachers}
    assert found[boss].conditional and found[boss].hops == 1
    assert boss not in {r.principal for r in who_can_reach(g, target, via="assume,passrole,code").reachers}


# -- §7 queries: --via, folded alternatives, saved graphs ---------------------------------------------------------


def _folded() -> tuple[nx.DiGraph, str, str]:
    """dev may assume App only with MFA, and pass it to Lambda without any condition: one edge, two kinds."""
    a = Account(A)
    dev = a.user("dev", policies=identity(allow("sts:AssumeRole", "*"), PASS_ANY, CREATE_AND_INVOKE))
    a.user("admin", policies=identity(allow("*", "*")))
    app = a.role("App", doc(trust_stmt(a.arn("user", "dev"),
                                       condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
                            trust_stmt(LAMBDA)))
    return build(a), dev, app


def test_rule_7_via_keeps_the_alternatives_it_allows_with_their_own_conditions():
    g, dev, app = _folded()
    data = g.edges[dev, app]
    assert data["kinds"] == ["assume", "passrole"] and data["conditional"] is False
    assume_only = who_can_reach(g, app, via="assume").reachers
    assert [(r.principal, r.conditional, r.conditions) for r in assume_only if r.principal == dev] == [
        (dev, True, ["aws:MultiFactorAuthPresent"])]
    passrole = [r for r in who_can_reach(g, app, via=["passrole"]).reachers if r.principal == dev]
    assert passrole and passrole[0].conditional is False and passrole[0].steps[0]["kind"] == "passrole"
    assert dev not in {r.principal for r in who_can_reach(g, app, via="code").reachers}
    assert app in {r.principal for r in reach(g, dev, via="assume").reachable}


def test_rule_7_via_rejects_unknown_kinds():
    g, _, app = _folded()
    try:
        who_can_reach(g, app, via="teleport")
    except ValueError as e:
        assert "teleport" in str(e)
    else:
        raise AssertionError("unknown --via accepted")


def test_rule_7_saved_graph_round_trips_the_indirect_edges(tmp_path: Path):
    g, dev, app = _folded()
    path = tmp_path / "g.tgdb"
    save_graph(g, path)
    loaded = load_graph(path)
    assert json.dumps(loaded.edges[dev, app]) == json.dumps(g.edges[dev, app])
    assert json.dumps(loaded.nodes[f"admin:{A}"]) == json.dumps(g.nodes[f"admin:{A}"])
    assert [(r.principal, r.conditional) for r in who_can_reach(loaded, app, via="assume").reachers] == \
        [(r.principal, r.conditional) for r in who_can_reach(g, app, via="assume").reachers]


def test_rule_7_cli_via_and_hop_techniques_in_json(tmp_path: Path):
    a = Account(A)
    dev = a.user("dev", policies=identity(PASS_ANY, CREATE_AND_INVOKE))
    app = a.role("App", trust(LAMBDA))
    data = tmp_path / "gaad.json"
    data.write_text(json.dumps(a.gaad()), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["who-can-reach", app, "-i", str(data), "-q", "--no-cache", "--json"])
    assert result.exit_code == 0, result.stderr
    reacher = next(r for r in json.loads(result.stdout)["reachers"] if r["principal"] == dev)
    assert reacher["steps"] == [{"from": dev, "to": app, "kind": "passrole", "technique": "lambda:CreateFunction"}]
    result = runner.invoke(main, ["who-can-reach", app, "-i", str(data), "-q", "--no-cache", "--json",
                                  "--via", "assume"])
    assert dev not in {r["principal"] for r in json.loads(result.stdout)["reachers"]}
    result = runner.invoke(main, ["who-can-reach", app, "-i", str(data), "-q", "--no-cache", "--via", "nope"])
    assert result.exit_code == 2 and "nope" in result.stderr
    result = runner.invoke(main, ["path", dev, app, "-i", str(data), "-q", "--no-cache"])
    assert "passrole lambda:CreateFunction" in result.stdout


def test_rule_7_indirect_edges_are_built_only_from_the_data_not_from_snapshot_defaults():
    snapshot = Snapshot()
    assert build_graph(snapshot).number_of_edges() == 0


def test_rule_7_principals_with_the_same_policies_share_one_policy_group_node():
    a = Account(A)
    devs = [a.user(f"dev{i}", policies=identity(PASS_ANY, CREATE_AND_INVOKE)) for i in range(3)]
    apps = [a.role(f"App{i}", trust(LAMBDA)) for i in range(4)]
    g = build(a)
    groups = [n for n, d in g.nodes(data=True) if d.get("kind") == "policy-group"]
    assert len(groups) == 1 and g.nodes[groups[0]]["hub"] is True
    assert all(g.edges[dev, groups[0]]["kind"] == "member" for dev in devs)
    # group → the account's node for lambda:CreateFunction → each app: not devs × apps
    assert sum(1 for _, _, d in g.edges(data=True) if d["kind"] == "passrole") == len(apps) + 1
    for app in apps:
        found = {r.principal: r for r in who_can_reach(g, app, via="passrole").reachers}
        assert set(found) == set(devs) and all(r.hops == 1 and not r.conditional for r in found.values())
        assert groups[0] not in found


def test_rule_7_an_scp_exempting_one_principal_splits_the_group_by_outcome():
    a = Account(A)
    policies = identity(PASS_ANY, CREATE_AND_INVOKE)
    exempt = a.user("exempt", policies=policies)
    others = [a.user(f"dev{i}", policies=policies) for i in range(2)]
    app = a.role("App", trust(LAMBDA))
    org = Org()
    org.account(A)
    org.full_access_everywhere()
    only_exempt = {"ArnNotEquals": {"aws:PrincipalArn": exempt}}
    org.scp("OnlyExemptPasses", doc(deny("iam:PassRole", "*", condition=only_exempt)), A)
    g = build(a, org)
    found = {r.principal for r in who_can_reach(g, app, via="passrole").reachers}
    assert found == {exempt} and not set(others) & found


def test_rule_7_4_a_policy_write_on_a_role_it_reaches_makes_the_caller_an_administrator():
    a = Account(A)
    writer_arn = a.arn("user", "writer")
    stranger_arn = a.arn("user", "stranger")
    helper = a.role("Helper", trust(writer_arn))  # the writer reaches Helper; the stranger does not
    writes = allow(["iam:PutRolePolicy"], a.arn("role", "Helper"))
    a.user("writer", policies=identity(writes, allow("sts:AssumeRole", "*")))
    a.user("stranger", policies=identity(writes))
    target = a.role("Target", trust(B))
    g = build(a)
    data = g.edges[writer_arn, f"admin:{A}"]
    assert data["technique"] == "iam:PutRolePolicy" and data["conditional"] is False and data["hub_entry"]
    assert not g.has_edge(stranger_arn, f"admin:{A}")
    found = {r.principal: r for r in who_can_reach(g, target).reachers}
    assert writer_arn in found and stranger_arn not in found
    # Helper itself is no administrator: only the writer's route through it is.
    assert helper not in found and not g.has_edge(helper, f"admin:{A}")


def test_rule_7_findings_see_trust_edges_only():
    from trustgraph.analysis.findings import FindingContext

    a = Account(A)
    target = a.role("Target", trust(a.arn("user", "trusted")))
    trusted = a.user("trusted")
    editor = a.user("editor", policies=identity(allow("iam:UpdateAssumeRolePolicy", target)))
    snapshot, _ = load(a)
    g = build_graph(snapshot)
    ctx = FindingContext(snapshot, g)
    assert g.has_edge(editor, target) and ctx.edge(editor, target) is None
    assert ctx.edge(trusted, target) is not None
    assert {r.principal for r in ctx.reachers(target)} == {trusted}


def test_rule_7_principals_whose_policies_say_the_same_of_an_action_share_its_answers():
    from trustgraph.policy.caller import Caller
    from trustgraph.policy.identity import build_profile
    from trustgraph.policy.permissions import PermissionChecker

    a = Account(A)
    a.group("deployers", policies=identity(PASS_ANY))  # the same statement from the same policy
    a.user("one", groups=["deployers"], policies=identity(allow("lambda:CreateFunction", "*")))
    a.user("two", groups=["deployers"], policies=identity(allow("ec2:RunInstances", "*")))
    a.group("narrow", policies=identity(allow("iam:PassRole", a.arn("role", "App"))))
    a.user("three", groups=["narrow"], policies=identity(allow("ec2:RunInstances", "*")))
    snapshot, _ = load(a)
    checker = PermissionChecker(actions=("iam:PassRole", "lambda:CreateFunction", "ec2:RunInstances"))
    ids = {}
    for name in ("one", "two", "three"):
        arn = a.arn("user", name)
        caller = Caller("user", arn, A, arn, concrete=True)
        profile = build_profile(snapshot.users[arn], snapshot)
        ids[name] = (checker.policy_id(caller, profile), checker.action_id(caller, profile, "iam:PassRole"),
                     checker.action_id(caller, profile, "ec2:RunInstances"))
    assert ids["one"][0] != ids["two"][0] and ids["one"][1] == ids["two"][1]  # same PassRole statement
    assert ids["two"][1] != ids["three"][1]  # another PassRole statement
    assert ids["one"][2] != ids["two"][2]


def test_rule_7_a_shared_answer_that_read_who_the_caller_is_is_decided_again_for_each_principal():
    a = Account(A)
    a.group("deployers", policies=identity(PASS_ANY, CREATE_AND_INVOKE))
    exempt = a.user("exempt", groups=["deployers"])
    other = a.user("other", groups=["deployers"], policies=identity(allow("ec2:RunInstances", "*")))
    app = a.role("App", trust(LAMBDA))
    org = Org()
    org.account(A)
    org.full_access_everywhere()
    only_exempt = {"ArnNotEquals": {"aws:PrincipalArn": exempt}}
    org.scp("OnlyExemptPasses", doc(deny("iam:PassRole", "*", condition=only_exempt)), A)
    found = {r.principal for r in who_can_reach(build(a, org), app, via="passrole").reachers}
    assert found == {exempt}
    free = {r.principal for r in who_can_reach(build(a), app, via="passrole").reachers}
    assert free == {exempt, other}


def test_rule_7_an_scp_verdict_is_shared_only_between_callers_its_exemptions_treat_alike():
    a = Account(A)
    # Different policies (no answer shared through the permission checker): only the SCP verdict can be shared.
    users = {name: a.user(name, policies=identity(PASS_ANY, CREATE_AND_INVOKE)) for name in ("a1", "exempt", "z9")}
    app = a.role("App", trust(LAMBDA))
    org = Org()
    org.account(A)
    org.full_access_everywhere()
    only_exempt = {"ArnNotLike": {"aws:PrincipalArn": users["exempt"]}}
    org.scp("OnlyExemptPasses", doc(deny("iam:PassRole", "*", condition=only_exempt)), A)
    found = {r.principal for r in who_can_reach(build(a, org), app, via="passrole").reachers}
    assert found == {users["exempt"]}
    free = {r.principal for r in who_can_reach(build(a), app, via="passrole").reachers}
    assert free == set(users.values())


def test_rule_7_4_a_permissions_boundary_missing_from_the_data_makes_the_edge_conditional_not_denied():
    a = Account(A)
    gone = a.arn("policy", "NotExported")
    unknown = a.user("unknown", policies=identity(PASS_ANY, CREATE_AND_INVOKE), boundary=gone)
    empty = a.policy("Empty", doc(allow(["s3:GetObject"], "*")))
    denied = a.user("denied", policies=identity(PASS_ANY, CREATE_AND_INVOKE), boundary=empty)
    app = a.role("App", trust(LAMBDA))
    g = build(a)
    edge = technique_edge(g, unknown, app, "passrole")
    assert edge["conditional"] is True and "trustgraph:PolicyNotInData" in edge["conditions"]
    no_alternative(g, denied, app, "passrole")


# -- one positive and one negative case per technique (docs/edges.md, "Catalogue coverage") ---------------------


def _technique(name: str) -> Technique:
    return next(t for t in (*PASSROLE_TECHNIQUES, *CODE_TECHNIQUES) if t.technique == name)


def _reachers(g: nx.DiGraph, role: str, via: str) -> set[str]:
    return {r.principal for r in who_can_reach(g, role, via=via).reachers}


def _passrole_world(name: str, *, passrole: bool = True, last_action: bool = True) -> tuple[nx.DiGraph, str, str]:
    """A role trusting the technique's service and a user allowed every action of the technique (less iam:PassRole
    or its last action when told)."""
    technique = _technique(name)
    actions = list(technique.actions if last_action else technique.actions[:-1])
    a = Account(A)
    role = a.role("Runner", trust({"Service": technique.service}))
    statements = [allow(actions, "*")] if actions else []
    dev = a.user("dev", policies=identity(*statements, *([PASS_ANY] if passrole else [])))
    return build(a), dev, role


def _passrole_reaches(name: str) -> None:
    g, dev, role = _passrole_world(name)
    assert technique_edge(g, dev, role, "passrole")["technique"] == name


def _passrole_blocked(name: str) -> None:
    for world in (_passrole_world(name, passrole=False), _passrole_world(name, last_action=False)):
        g, dev, role = world
        assert dev not in _reachers(g, role, "passrole")


def _code_world(name: str, *, last_action: bool = True) -> tuple[nx.DiGraph, str, str]:
    """A resource of the technique's kind running as a role (inventory collected), and a user allowed every action
    of the technique on any resource (less its last action when told)."""
    technique = _technique(name)
    actions = list(technique.actions if last_action else technique.actions[:-1])
    a = Account(A)
    role = a.role("Runner", trust({"Service": technique.service}))
    dev = a.user("dev", policies=identity(*([allow(actions, "*")] if actions else [])))
    resource = ComputeResource(f"arn:aws:{technique.resource_kind}:us-east-1:{A}:x/running", technique.resource_kind,
                               A, "us-east-1", role, "running")
    return build(a, resources=[resource], inventory={A}), dev, role


def _code_reaches(name: str) -> None:
    g, dev, role = _code_world(name)
    assert technique_edge(g, dev, role, "code")["technique"] == name


def _code_blocked(name: str) -> None:
    g, dev, role = _code_world(name, last_action=False)
    assert dev not in _reachers(g, role, "code")


def test_passrole_ec2_run_instances():
    _passrole_reaches("ec2:RunInstances")


def test_passrole_ec2_run_instances_without_passrole_or_run_instances():
    _passrole_blocked("ec2:RunInstances")


def test_passrole_lambda_create_function():
    _passrole_reaches("lambda:CreateFunction")


def test_passrole_lambda_create_function_without_passrole_or_create_function():
    _passrole_blocked("lambda:CreateFunction")


def test_passrole_lambda_create_function_with_an_event_source_mapping_needs_no_invoke():
    a = Account(A)
    app = a.role("App", trust(LAMBDA))
    mapped = a.user("mapped", policies=identity(PASS_ANY, allow(
        ["lambda:CreateFunction", "lambda:CreateEventSourceMapping"], "*")))
    alone = a.user("alone", policies=identity(PASS_ANY, allow("lambda:CreateFunction", "*")))
    g = build(a)
    assert technique_edge(g, mapped, app, "passrole")["conditional"] is False
    assert technique_edge(g, alone, app, "passrole")["conditions"] == ["trustgraph:FunctionInvoked"]


def test_passrole_cloudformation_create_stack():
    _passrole_reaches("cloudformation:CreateStack")


def test_passrole_cloudformation_create_stack_without_passrole_or_create_stack():
    _passrole_blocked("cloudformation:CreateStack")


def test_passrole_cloudformation_create_change_set_and_execute_change_set():
    _passrole_reaches("cloudformation:CreateChangeSet+ExecuteChangeSet")


def test_passrole_cloudformation_create_change_set_without_execute_change_set():
    _passrole_blocked("cloudformation:CreateChangeSet+ExecuteChangeSet")


def test_passrole_codebuild_create_project_and_start_build():
    _passrole_reaches("codebuild:CreateProject+StartBuild")


def test_passrole_codebuild_create_project_without_start_build():
    _passrole_blocked("codebuild:CreateProject+StartBuild")


def test_passrole_codebuild_create_project_and_start_build_batch():
    _passrole_reaches("codebuild:CreateProject+StartBuildBatch")


def test_passrole_codebuild_create_project_without_start_build_batch():
    _passrole_blocked("codebuild:CreateProject+StartBuildBatch")


def test_passrole_sagemaker_create_notebook_instance():
    _passrole_reaches("sagemaker:CreateNotebookInstance")


def test_passrole_sagemaker_create_notebook_instance_without_passrole_or_the_action():
    _passrole_blocked("sagemaker:CreateNotebookInstance")


def test_passrole_sagemaker_create_training_job():
    _passrole_reaches("sagemaker:CreateTrainingJob")


def test_passrole_sagemaker_create_training_job_without_passrole_or_the_action():
    _passrole_blocked("sagemaker:CreateTrainingJob")


def test_passrole_sagemaker_create_processing_job():
    _passrole_reaches("sagemaker:CreateProcessingJob")


def test_passrole_sagemaker_create_processing_job_without_passrole_or_the_action():
    _passrole_blocked("sagemaker:CreateProcessingJob")


def test_passrole_ecs_register_task_definition_and_run_task():
    _passrole_reaches("ecs:RegisterTaskDefinition+RunTask")


def test_passrole_ecs_register_task_definition_without_run_task():
    _passrole_blocked("ecs:RegisterTaskDefinition+RunTask")


def test_passrole_glue_create_dev_endpoint():
    _passrole_reaches("glue:CreateDevEndpoint")


def test_passrole_glue_create_dev_endpoint_without_passrole_or_the_action():
    _passrole_blocked("glue:CreateDevEndpoint")


def test_passrole_glue_create_job_and_start_job_run():
    _passrole_reaches("glue:CreateJob+StartJobRun")


def test_passrole_glue_create_job_without_start_job_run():
    _passrole_blocked("glue:CreateJob+StartJobRun")


def test_code_lambda_update_function_code():
    _code_reaches("lambda:UpdateFunctionCode")


def test_code_lambda_update_function_code_without_the_action():
    _code_blocked("lambda:UpdateFunctionCode")


def test_code_cloudformation_update_stack():
    _code_reaches("cloudformation:UpdateStack")


def test_code_cloudformation_update_stack_without_the_action():
    _code_blocked("cloudformation:UpdateStack")


def test_code_ec2_modify_instance_attribute_stop_and_start_instances():
    _code_reaches("ec2:ModifyInstanceAttribute+StopInstances+StartInstances")


def test_code_ec2_modify_instance_attribute_without_start_instances():
    _code_blocked("ec2:ModifyInstanceAttribute+StopInstances+StartInstances")


def test_code_sagemaker_create_presigned_notebook_instance_url():
    _code_reaches("sagemaker:CreatePresignedNotebookInstanceUrl")


def test_code_sagemaker_create_presigned_notebook_instance_url_without_the_action():
    _code_blocked("sagemaker:CreatePresignedNotebookInstanceUrl")


def test_code_glue_update_dev_endpoint():
    _code_reaches("glue:UpdateDevEndpoint")


def test_code_glue_update_dev_endpoint_without_the_action():
    _code_blocked("glue:UpdateDevEndpoint")


def test_code_ssm_start_session():
    _code_reaches("ssm:StartSession")


def test_code_ssm_start_session_without_the_action():
    _code_blocked("ssm:StartSession")


def _user_credentials(action: str, on_victim: bool) -> tuple[nx.DiGraph, str, str]:
    a = Account(A)
    victim = a.user("victim")
    other = a.user("other")
    caller = a.user("caller", policies=identity(allow(action, victim if on_victim else other)))
    return build(a), caller, victim


def test_iam_create_login_profile():
    g, caller, victim = _user_credentials("iam:CreateLoginProfile", on_victim=True)
    assert technique_edge(g, caller, victim, "iam")["technique"] == "iam:CreateLoginProfile"


def test_iam_create_login_profile_on_another_user():
    g, caller, victim = _user_credentials("iam:CreateLoginProfile", on_victim=False)
    assert caller not in _reachers(g, victim, "iam")


def test_iam_update_login_profile():
    g, caller, victim = _user_credentials("iam:UpdateLoginProfile", on_victim=True)
    assert technique_edge(g, caller, victim, "iam")["technique"] == "iam:UpdateLoginProfile"


def test_iam_update_login_profile_on_another_user():
    g, caller, victim = _user_credentials("iam:UpdateLoginProfile", on_victim=False)
    assert caller not in _reachers(g, victim, "iam")


def _self_write(action: str, on_itself: bool) -> tuple[nx.DiGraph, str]:
    """A principal allowed a policy write on itself (its user or role, its group, its customer-managed policy), or
    on an unrelated principal or policy of the same kind."""
    a = Account(A)
    kind = action.split(":")[1]
    if "Group" in kind:
        target = a.group("team") if on_itself else a.group("others")
        if not on_itself:
            a.group("team")
        arn = a.user("writer", groups=["team"], policies=identity(allow(action, target)))
    elif kind == "CreatePolicyVersion":
        mine = a.policy("Mine", doc(allow("s3:GetObject", "*")))
        theirs = a.policy("Theirs", doc(allow("s3:GetObject", "*")))
        arn = a.user("writer", managed=[mine], policies=identity(allow(action, mine if on_itself else theirs)))
    elif "Role" in kind:
        arn = a.role("Writer", trust(B), policies=identity(
            allow(action, a.arn("role", "Writer" if on_itself else "Unrelated"))))
    else:
        arn = a.user("writer", policies=identity(allow(action, a.arn("user", "writer" if on_itself else "other"))))
    return build(a), arn


def _takes_over(action: str) -> None:
    g, arn = _self_write(action, on_itself=True)
    assert g.edges[arn, f"admin:{A}"]["technique"] == TAKEOVER


def _no_takeover(action: str) -> None:
    g, arn = _self_write(action, on_itself=False)
    assert not g.has_edge(arn, f"admin:{A}")


def test_account_takeover_put_user_policy_on_itself():
    _takes_over("iam:PutUserPolicy")


def test_account_takeover_put_user_policy_on_another_user_is_none():
    _no_takeover("iam:PutUserPolicy")


def test_account_takeover_attach_user_policy_on_itself():
    _takes_over("iam:AttachUserPolicy")


def test_account_takeover_attach_user_policy_on_another_user_is_none():
    _no_takeover("iam:AttachUserPolicy")


def test_account_takeover_attach_role_policy_on_itself():
    _takes_over("iam:AttachRolePolicy")


def test_account_takeover_attach_role_policy_on_another_role_is_none():
    _no_takeover("iam:AttachRolePolicy")


def test_account_takeover_attach_group_policy_on_its_group():
    _takes_over("iam:AttachGroupPolicy")


def test_account_takeover_attach_group_policy_on_another_group_is_none():
    _no_takeover("iam:AttachGroupPolicy")


def test_account_takeover_put_group_policy_on_its_group():
    _takes_over("iam:PutGroupPolicy")


def test_account_takeover_put_group_policy_on_another_group_is_none():
    _no_takeover("iam:PutGroupPolicy")


def test_account_takeover_create_policy_version_of_its_policy():
    _takes_over("iam:CreatePolicyVersion")


def test_account_takeover_create_policy_version_of_another_policy_is_none():
    _no_takeover("iam:CreatePolicyVersion")


def _write_on_reached(write: str, reach: str | None) -> tuple[nx.DiGraph, str]:
    """A caller allowed `write` on another principal of its account (a role for role writes, else a user), and
    the step `reach` that gets it there (sts:AssumeRole through the role's trust, iam:UpdateAssumeRolePolicy,
    iam:CreateAccessKey), or none."""
    a = Account(A)
    caller = a.arn("user", "caller")
    if "Role" in write:
        target = a.role("Helper", trust(caller if reach == "sts:AssumeRole" else B))
    else:
        target = a.user("helper")
    a.user("caller", policies=identity(allow(write, target), *([allow(reach, target)] if reach else [])))
    return build(a), caller


def test_iam_attach_role_policy_on_a_role_it_assumes():
    g, caller = _write_on_reached("iam:AttachRolePolicy", "sts:AssumeRole")
    assert g.edges[caller, f"admin:{A}"]["technique"] == "iam:AttachRolePolicy"


def test_iam_attach_role_policy_on_a_role_whose_trust_it_rewrites():
    g, caller = _write_on_reached("iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy")
    assert g.edges[caller, f"admin:{A}"]["technique"] == "iam:AttachRolePolicy"


def test_iam_attach_role_policy_on_a_role_it_does_not_reach():
    g, caller = _write_on_reached("iam:AttachRolePolicy", None)
    assert not g.has_edge(caller, f"admin:{A}")


def test_iam_put_role_policy_on_a_role_whose_trust_it_rewrites():
    g, caller = _write_on_reached("iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy")
    assert g.edges[caller, f"admin:{A}"]["technique"] == "iam:PutRolePolicy"


def test_iam_attach_user_policy_on_a_user_it_makes_keys_for():
    g, caller = _write_on_reached("iam:AttachUserPolicy", "iam:CreateAccessKey")
    assert g.edges[caller, f"admin:{A}"]["technique"] == "iam:AttachUserPolicy"


def test_iam_attach_user_policy_on_a_user_it_does_not_reach():
    g, caller = _write_on_reached("iam:AttachUserPolicy", None)
    assert not g.has_edge(caller, f"admin:{A}")


def test_iam_put_user_policy_on_a_user_it_makes_keys_for():
    g, caller = _write_on_reached("iam:PutUserPolicy", "iam:CreateAccessKey")
    assert g.edges[caller, f"admin:{A}"]["technique"] == "iam:PutUserPolicy"


def test_iam_put_user_policy_on_a_user_it_does_not_reach():
    g, caller = _write_on_reached("iam:PutUserPolicy", None)
    assert not g.has_edge(caller, f"admin:{A}")
