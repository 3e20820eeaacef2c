"""Identity Center administrators as escalation edges (docs/edges.md, "Identity Center administrators"): who may
assign permission sets or change group memberships reaches the accounts and groups, each rule with its negative
control."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import networkx as nx
from builders import MGMT, A, Account, B, Org, allow, deny, doc, identity, load, trust, trust_stmt

from trustgraph.analysis.reachability import who_can_reach
from trustgraph.graph.build import build_graph
from trustgraph.model import (
    AccountAssignment,
    IdentityCenter,
    IdentityCenterGroup,
    IdentityCenterInstance,
    IdentityCenterUser,
    PermissionSet,
)
from trustgraph.policy.passrole import CONTROLS_USER_KEY

D = "333333333333"  # the delegated administrator account
INSTANCE = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
STORE = "d-1234567890"
ADMIN_SET = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-aaaaaaaaaaaaaaaa"
READ_SET = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-bbbbbbbbbbbbbbbb"
GROUP = "1234567890-11111111-2222-3333-4444-555555555555"
USER = "1234567890-66666666-7777-8888-9999-000000000000"
GROUP_NODE = f"arn:aws:identitystore:::group/{GROUP}"
USER_NODE = f"arn:aws:identitystore:::user/{USER}"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"
ASSIGN = allow("sso:CreateAccountAssignment", "*")


def provider(account: str) -> str:
    return f"arn:aws:iam::{account}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"


def sso_trust(account: str) -> dict[str, Any]:
    return doc(trust_stmt({"Federated": provider(account)}, ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                          condition={"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}))


def sso_role(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role{SSO_PATH}AWSReservedSSO_{name}_0123456789abcdef"


def world(mgmt_policies: dict[str, Any], delegated_policies: dict[str, Any] | None = None, *,
          member_policies: dict[str, Any] | None = None, scp_on: tuple[str, ...] = (),
          admin_in_management: bool = False, admin_set: bool = True) -> tuple[nx.DiGraph, dict[str, str]]:
    """A management account, two members A and B with an administrator and a read-only permission set provisioned
    (the administrator one in the management account too when `admin_in_management`), a delegated administrator
    account D; `*_policies`: name → identity policy of a user there."""
    mgmt, a, b, d = Account(MGMT), Account(A), Account(B), Account(D)
    users: dict[str, str] = {}
    for account, policies in ((mgmt, mgmt_policies), (d, delegated_policies or {}), (a, member_policies or {})):
        for name, policy in policies.items():
            users[name] = account.user(name, policies=policy)
    for account in (a, b, mgmt):
        account.role("Target", trust(account.root))
        for name in ("Admin",) if account is mgmt else ("Admin", "ReadOnly"):
            account.role(f"AWSReservedSSO_{name}_0123456789abcdef", sso_trust(account.id), path=SSO_PATH)
    org = Org()
    for account_id in (A, B, D):
        org.account(account_id)
    org.full_access_everywhere()
    for target in scp_on:
        org.scp("DenyAssignments", doc(deny("sso:CreateAccountAssignment", "*")), target)
    snapshot, _ = load(mgmt, a, b, d, org)
    sets = [PermissionSet(INSTANCE, READ_SET, "ReadOnly", managed_policies=("arn:aws:iam::aws:policy/ReadOnlyAccess",))]
    if admin_set:
        sets.append(PermissionSet(INSTANCE, ADMIN_SET, "Admin",
                                  managed_policies=("arn:aws:iam::aws:policy/AdministratorAccess",)))
    assignments = [AccountAssignment(INSTANCE, account, READ_SET, "GROUP", GROUP) for account in (A, B)]
    if admin_set:
        assignments += [AccountAssignment(INSTANCE, account, ADMIN_SET, "GROUP", GROUP) for account in (A, B)]
    if admin_set and admin_in_management:
        assignments.append(AccountAssignment(INSTANCE, MGMT, ADMIN_SET, "GROUP", GROUP))
    snapshot.identity_center = IdentityCenter(
        instances=(IdentityCenterInstance(INSTANCE, STORE, MGMT, "us-east-1"),),
        users=(IdentityCenterUser(STORE, USER, "someone@example.com"),),
        groups=(IdentityCenterGroup(STORE, GROUP, "Ops"),),
        permission_sets=tuple(sets), account_assignments=tuple(assignments), delegated_admin_account_id=D)
    if not admin_in_management:
        # the management account's Admin role exists only when the set is provisioned there
        snapshot.roles.pop(sso_role(MGMT, "Admin"))
    return build_graph(snapshot), users


def into(g: nx.DiGraph, src: str, dst: str) -> dict[str, Any] | None:
    """src → dst directly or through its policy-group node."""
    if g.has_edge(src, dst):
        return dict(g.edges[src, dst])
    for hub in g.successors(src):
        if g.nodes[hub].get("kind") == "policy-group" and g.has_edge(hub, dst):
            return dict(g.edges[hub, dst])
    return None


def reached(g: nx.DiGraph, target: str) -> dict[str, Any]:
    return {r.principal: r for r in who_can_reach(g, target).reachers}


def test_rule_8_1_create_account_assignment_in_the_management_account_makes_admin_of_member_accounts():
    g, users = world({"ssoadmin": identity(ASSIGN), "clerk": identity(allow("sso:ListInstances", "*"))},
                     member_policies={"local": identity(ASSIGN)})
    for account in (A, B, MGMT):
        edge = into(g, users["ssoadmin"], f"admin:{account}")
        assert edge is not None, account
        assert edge["kind"] == "iam" and edge["technique"] == "sso:CreateAccountAssignment"
        assert edge["hub_entry"] is True and edge["conditions"] == [CONTROLS_USER_KEY]
    found = reached(g, f"arn:aws:iam::{A}:role/Target")
    assert found[users["ssoadmin"]].hops == 1 and found[users["ssoadmin"]].conditional
    # negative controls: no grant, or the grant in an account that does not administer Identity Center
    for name in ("clerk", "local"):
        assert not any(CONTROLS_USER_KEY in d["conditions"] for *_, d in g.out_edges(users[name], data=True))
        assert users[name] not in found


def test_rule_8_2_an_scp_denying_assignments_stops_the_delegated_admin_but_not_the_management_account():
    grants = {"ssoadmin": identity(ASSIGN)}
    g, users = world(grants, {"delegate": identity(ASSIGN)})
    assert into(g, users["delegate"], f"admin:{A}") is not None
    g, users = world(grants, {"delegate": identity(ASSIGN)}, scp_on=(D,))
    assert into(g, users["delegate"], f"admin:{A}") is None and into(g, users["delegate"], f"admin:{B}") is None
    # SCPs never apply to the management account
    g, users = world(grants, {"delegate": identity(ASSIGN)}, scp_on=(MGMT,))
    assert into(g, users["ssoadmin"], f"admin:{A}") is not None


def test_rule_8_3_delegated_admin_reaches_member_accounts_but_not_the_management_account():
    g, users = world({}, {"delegate": identity(ASSIGN)})
    assert into(g, users["delegate"], f"admin:{A}") is not None and into(g, users["delegate"], f"admin:{B}") is not None
    assert into(g, users["delegate"], f"admin:{MGMT}") is None
    assert users["delegate"] not in reached(g, f"arn:aws:iam::{MGMT}:role/Target")


def test_rule_8_3_delegated_admin_vs_management_account_permission_set():
    # Admin is provisioned in the management account: the delegated administrator cannot assign it anywhere
    g, users = world({"ssoadmin": identity(ASSIGN)}, {"delegate": identity(ASSIGN)}, admin_in_management=True)
    assert into(g, users["ssoadmin"], f"admin:{A}") is not None
    assert into(g, users["delegate"], f"admin:{A}") is None
    # it still assigns the sets it manages: the read-only role already provisioned in A
    edge = into(g, users["delegate"], sso_role(A, "ReadOnly"))
    assert edge is not None and edge["technique"] == "sso:CreateAccountAssignment"
    assert into(g, users["delegate"], sso_role(A, "Admin")) is None


def test_rule_8_4_a_condition_on_the_grant_makes_the_edge_conditional_on_it():
    mfa = allow("sso:CreateAccountAssignment", "*", condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    g, users = world({"ssoadmin": identity(mfa)})
    edge = into(g, users["ssoadmin"], f"admin:{A}")
    assert edge is not None and edge["conditions"] == ["aws:MultiFactorAuthPresent", CONTROLS_USER_KEY]


def test_rule_8_4_the_grant_names_the_accounts_it_may_assign_in():
    only_a = allow("sso:CreateAccountAssignment", [INSTANCE, ADMIN_SET, READ_SET, f"arn:aws:sso:::account/{A}"])
    g, users = world({"ssoadmin": identity(only_a)})
    assert into(g, users["ssoadmin"], f"admin:{A}") is not None
    assert into(g, users["ssoadmin"], f"admin:{B}") is None
    # a grant on the read-only set alone: no administrator, the provisioned read-only role
    read_only = allow("sso:CreateAccountAssignment", [INSTANCE, READ_SET, "arn:aws:sso:::account/*"])
    g, users = world({"ssoadmin": identity(read_only)})
    assert into(g, users["ssoadmin"], f"admin:{A}") is None
    assert into(g, users["ssoadmin"], sso_role(A, "ReadOnly")) is not None


def test_rule_8_5_without_an_administrator_set_one_it_creates_makes_it_admin():
    g, users = world({"ssoadmin": identity(ASSIGN)}, admin_set=False)
    assert into(g, users["ssoadmin"], f"admin:{A}") is None
    assert into(g, users["ssoadmin"], sso_role(A, "ReadOnly")) is not None
    creator = identity(ASSIGN, allow(["sso:CreatePermissionSet", "sso:AttachManagedPolicyToPermissionSet"], "*"))
    g, users = world({"ssoadmin": creator}, admin_set=False)
    edge = into(g, users["ssoadmin"], f"admin:{A}")
    assert edge is not None and edge["technique"] == "sso:CreatePermissionSet+CreateAccountAssignment"
    # rewriting the provisioned read-only set needs ProvisionPermissionSet too
    rewriter = identity(ASSIGN, allow("sso:PutInlinePolicyToPermissionSet", "*"))
    g, users = world({"ssoadmin": rewriter}, admin_set=False)
    assert into(g, users["ssoadmin"], f"admin:{A}") is None
    g, users = world({"ssoadmin": identity(ASSIGN, allow(["sso:PutInlinePolicyToPermissionSet",
                                                           "sso:ProvisionPermissionSet"], "*"))}, admin_set=False)
    edge = into(g, users["ssoadmin"], f"admin:{A}")
    assert edge is not None and edge["technique"] == "sso:PutInlinePolicyToPermissionSet+CreateAccountAssignment"


def test_rule_8_6_group_membership_writes_reach_the_group_conditionally():
    g, users = world({"membership": identity(allow("identitystore:CreateGroupMembership", "*")),
                      "renamer": identity(allow("identitystore:UpdateUser", "*"))})
    edge = into(g, users["membership"], GROUP_NODE)
    assert edge is not None and edge["technique"] == "identitystore:CreateGroupMembership"
    assert edge["conditions"] == [CONTROLS_USER_KEY]
    assert into(g, users["membership"], USER_NODE) is None
    edge = into(g, users["renamer"], USER_NODE)
    assert edge is not None and edge["technique"] == "identitystore:UpdateUser"
    found = reached(g, sso_role(A, "Admin"))
    assert found[users["membership"]].conditional and found[users["membership"]].hops == 2
    # a grant naming another group's ARN reaches nothing
    other = allow("identitystore:CreateGroupMembership", "arn:aws:identitystore:::group/other")
    g, users = world({"membership": identity(other)})
    assert into(g, users["membership"], GROUP_NODE) is None


def test_rule_8_7_administrators_of_the_management_account_reach_through_their_admin_node():
    g, users = world({"root-like": identity(allow("*", "*"))})
    edge = g.edges[f"admin:{MGMT}", f"admin:{A}"]
    assert edge["technique"] == "sso:CreateAccountAssignment" and edge["conditions"] == [CONTROLS_USER_KEY]
    assert g.has_edge(f"admin:{MGMT}", GROUP_NODE) and g.has_edge(f"admin:{MGMT}", USER_NODE)
    # its own edges go into its admin node only (one edge per administrator, not per account; sts:AssumeRoot
    # is another matter)
    own = g.edges[users["root-like"], f"admin:{A}"]
    assert [r["technique"] for r in own["evidence"]] == ["sts:AssumeRoot"]
    found = reached(g, f"arn:aws:iam::{A}:role/Target")
    assert found[users["root-like"]].conditional and found[users["root-like"]].hops == 1
    # a delegated administrator account's admin node is bound by its SCPs
    g, _ = world({}, {"boss": identity(allow("*", "*"))}, scp_on=(D,))
    assert not g.has_edge(f"admin:{D}", f"admin:{A}")
    g, _ = world({}, {"boss": identity(allow("*", "*"))})
    assert g.has_edge(f"admin:{D}", f"admin:{A}") and not g.has_edge(f"admin:{D}", f"admin:{MGMT}")


def test_rule_8_8_without_instances_nothing_is_added():
    g, users = world({"ssoadmin": identity(ASSIGN)})
    assert into(g, users["ssoadmin"], f"admin:{A}") is not None
    mgmt = Account(MGMT)
    user = mgmt.user("ssoadmin", policies=identity(ASSIGN))
    snapshot, _ = load(mgmt, Account(A))
    snapshot.identity_center = replace(IdentityCenter(), delegated_admin_account_id=D)
    assert not any(CONTROLS_USER_KEY in d["conditions"] for *_, d in build_graph(snapshot).out_edges(user, data=True))
