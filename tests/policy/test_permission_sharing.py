"""Principals share permission answers only where nothing they differ in can change them: the rules that let the
indirect edges decide once per policy group (policy/permissions.py)."""

from __future__ import annotations

from builders import MGMT, A, Account, Org, allow, deny, identity, load, trust

from trustgraph.graph.build import build_graph

ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
LAMBDA = {"Service": "lambda.amazonaws.com"}
EC2 = {"Service": "ec2.amazonaws.com"}
CREATE_ROLE = allow(["iam:CreateRole", "iam:AttachRolePolicy"], "*")


def _group_of(g: object, principal: str) -> str | None:
    return next((n for n in g.successors(principal) if str(n).startswith("policies:")), None)  # type: ignore[attr-defined]


def test_assume_role_allows_do_not_split_a_policy_group_where_the_trust_names_the_caller() -> None:
    a = Account(A)
    one = a.user("one", policies=identity(CREATE_ROLE, allow("sts:AssumeRole", "arn:aws:iam::*:role/x")))
    two = a.user("two", policies=identity(CREATE_ROLE, allow("sts:AssumeRole", "arn:aws:iam::*:role/y")))
    denied = a.user("denied", policies=identity(CREATE_ROLE, deny("sts:AssumeRole", "*")))
    snapshot, _ = load(a)
    g = build_graph(snapshot)
    assert _group_of(g, one) is not None and _group_of(g, one) == _group_of(g, two)
    # a Deny on the action still tells principals apart: it stops assuming the new role, so no takeover
    assert _group_of(g, denied) != _group_of(g, one)
    admin = f"admin:{A}"
    assert g.has_edge(_group_of(g, one), admin)
    assert not g.has_edge(denied, admin) and not g.has_edge(_group_of(g, denied) or denied, admin)


def test_scps_see_the_passed_to_service_of_a_passrole_and_answers_are_shared_only_without_such_a_condition() -> None:
    a = Account(A)
    fn = a.role("Fn", trust(LAMBDA))
    vm = a.role("Vm", trust(EC2))
    run = allow(["lambda:CreateFunction", "lambda:InvokeFunction", "ec2:RunInstances", "iam:CreateInstanceProfile",
                 "iam:AddRoleToInstanceProfile"], "*")
    anywhere = a.user("anywhere", policies=identity(run, allow("iam:PassRole", "*")))
    org = Org()
    org.account(A)
    org.full_access_everywhere()
    # An SCP, not the caller's policy, limits iam:PassRole to Lambda: the answers must not be shared across services.
    org.scp("PassOnlyToLambda", {"Version": "2012-10-17", "Statement": [deny(
        "iam:PassRole", "*", condition={"StringNotEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})]}, A)
    snapshot, _ = load(a, Account(MGMT), org)
    g = build_graph(snapshot)
    reached = {v for _, v, d in g.edges(anywhere, data=True) if d.get("kind") == "passrole"}
    assert fn in reached and vm not in reached

    free = Account(A)
    free.role("Fn", trust(LAMBDA))
    free.role("Vm", trust(EC2))
    caller = free.user("anywhere", policies=identity(run, allow("iam:PassRole", "*")))
    g = build_graph(load(free)[0])
    assert {fn, vm} <= {v for _, v, d in g.edges(caller, data=True) if d.get("kind") == "passrole"}
