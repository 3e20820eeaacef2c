"""SEMANTICS §7.5: service-managed CloudFormation StackSets — principals of the management account that may create a
stack set and its stack instances reach the admin node of every member account, through one hub of the management
account, conditional on trusted access for StackSets (docs/edges.md, "iam — IAM escalation")."""

from __future__ import annotations

from builders import MGMT, A, Account, B, Org, allow, build, deny, identity, trust

HUB = f"stacksets:{MGMT}"
ACTIONS = ["cloudformation:CreateStackSet", "cloudformation:CreateStackInstances"]
KEY = "trustgraph:StackSetsTrustedAccess"


def member(account: str) -> Account:
    """A member account in the data (an account with nothing in it is not collected)."""
    found = Account(account)
    found.role("Workload", trust(MGMT))
    return found


def _org() -> Org:
    org = Org()
    org.account(A)
    org.account(B)
    org.full_access_everywhere()
    return org


def test_service_managed_stackset_from_the_management_account_reaches_every_member_admin():
    mgmt = Account(MGMT)
    deployer = mgmt.user("deployer", policies=identity(allow(ACTIONS, f"arn:aws:cloudformation:*:{MGMT}:stackset/*")))
    g = build(mgmt, member(A), member(B), _org())
    entry = g.edges[deployer, HUB]
    assert entry["hub_entry"] and entry["conditional"] is False and g.nodes[HUB]["kind"] == "stacksets-deployer"
    for account in (A, B):
        data = g.edges[HUB, f"admin:{account}"]
        assert data["conditions"] == [KEY] and data["kind"] == "iam" and data["hub_entry"]
    assert not g.has_edge(HUB, f"admin:{MGMT}")  # StackSets do not deploy into the management account


def test_service_managed_stackset_needs_the_management_account_and_both_actions():
    mgmt = Account(MGMT)
    sets_only = mgmt.user("sets-only", policies=identity(allow("cloudformation:CreateStackSet", "*")))
    denied = mgmt.user("denied", policies=identity(allow(ACTIONS, "*"),
                                                   deny("cloudformation:CreateStackInstances", "*")))
    a = member(A)
    outsider = a.user("outsider", policies=identity(allow(ACTIONS, "*")))
    g = build(mgmt, a, member(B), _org())
    assert not g.has_edge(sets_only, HUB) and not g.has_edge(denied, HUB)
    assert not g.has_edge(outsider, HUB)  # a member account's stack sets are self-managed only
    assert HUB not in g  # nobody may: no hub
    # The control: the same grants in the management account open it.
    mgmt.user("deployer", policies=identity(allow(ACTIONS, "*")))
    g = build(mgmt, a, member(B), _org())
    assert g.has_edge(mgmt.arn("user", "deployer"), HUB) and g.has_edge(HUB, f"admin:{A}")


def test_service_managed_stackset_needs_an_organization():
    mgmt = Account(MGMT)
    deployer = mgmt.user("deployer", policies=identity(allow(ACTIONS, "*")))
    a = Account(A)
    a.role("Target", trust(B))
    g = build(mgmt, a)
    assert not g.has_edge(deployer, HUB)
