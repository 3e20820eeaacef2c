"""Trust classes: an org-wide `{"AWS":"*"}` trust is one shared node per group of alike callers, never one
edge per (principal, role), and every answer is the one the caller-by-caller expansion gives."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from tests.builders import Account, Org, allow, deny, doc, edge, identity, load, no_edge, trust
from trustgraph.analysis.reachability import who_can_reach
from trustgraph.graph.build import GraphBuilder, build_graph
from trustgraph.graph.classes import Group
from trustgraph.policy.organization import OrganizationPolicies
from trustgraph.sources.files import load_inputs

ORG = "o-test"
ACCOUNTS = [f"1000000000{i:02d}" for i in range(12)]
ADMIN_POLICY = identity(allow("sts:AssumeRole", "*"))
CI_POLICY = identity(allow("sts:AssumeRole", "arn:aws:iam::*:role/deploy/*"))


def answers(graph: nx.DiGraph, roles: list[str]) -> set[tuple[object, ...]]:
    return {(r.principal, role, r.hops, r.conditional, tuple(r.conditions))
            for role in roles for r in who_can_reach(graph, role).reachers}


def org_wide(n: int = len(ACCOUNTS), *, org: Org | None = None) -> list[object]:
    """n accounts, each with an admin, a CI role, an app user, a data-perimeter role trusting every principal
    of the organization and a deploy role trusting every CI role of the organization."""
    org = org or Org(ORG)
    pieces: list[object] = []
    for account_id in ACCOUNTS[:n]:
        org.account(account_id)
        a = Account(account_id)
        a.role("Admin", trust(a.root), policies={"admin": ADMIN_POLICY})
        a.role("Runner", trust(a.root), path="/ci/", policies={"ci": CI_POLICY})
        a.user("app", policies={"ci": CI_POLICY})
        a.role("DataPerimeter", trust("*", condition={"StringEquals": {"aws:PrincipalOrgID": ORG}}))
        a.role("Deployer", trust("*", condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci/*"}}),
               path="/deploy/")
        pieces.append(a)
    return [*pieces, org]


def test_class_org_wide_trust_is_shared_not_expanded() -> None:
    snapshot, _ = load(*org_wide())
    graph = build_graph(snapshot)
    expanded = build_graph(snapshot, classes=False)
    n = len(ACCOUNTS)
    hubs = [v for v, d in graph.nodes(data=True) if d.get("kind") == "class"]
    assert hubs, "org-wide trusts are routed through class hubs"
    # Every admin reaches every other account's data-perimeter role, and no edge says so pair by pair.
    admin, perimeter = f"arn:aws:iam::{ACCOUNTS[0]}:role/Admin", f"arn:aws:iam::{ACCOUNTS[5]}:role/DataPerimeter"
    assert not graph.has_edge(admin, perimeter)
    assert edge(graph, admin, perimeter)["conditional"] is False
    class_edges = sum(1 for u, v in graph.edges if graph.nodes[u].get("kind") == "class" or
                      graph.nodes[v].get("kind") == "class")
    assert class_edges <= 6 * n  # members in, roles out: linear
    assert expanded.number_of_edges() - graph.number_of_edges() >= n * (n - 1)  # the pairs it saves
    assert answers(graph, sorted(snapshot.roles)) == answers(expanded, sorted(snapshot.roles))


def test_class_principal_arn_pattern_admits_only_matching_principals() -> None:
    snapshot, _ = load(*org_wide())
    graph = build_graph(snapshot)
    deployer = f"arn:aws:iam::{ACCOUNTS[3]}:role/deploy/Deployer"
    edge(graph, f"arn:aws:iam::{ACCOUNTS[0]}:role/ci/Runner", deployer)
    # The app user's policy is the same, but the trust's aws:PrincipalArn pattern names roles under /ci/ only.
    no_edge(graph, f"arn:aws:iam::{ACCOUNTS[0]}:user/app", deployer)
    reachers = {r.principal for r in who_can_reach(graph, deployer).reachers}
    assert f"arn:aws:iam::{ACCOUNTS[0]}:user/app" not in reachers


def test_class_same_account_member_needs_no_identity_grant() -> None:
    """In the role's own account the trust alone suffices (§1.2): a principal without any grant still
    reaches the data-perimeter role, but not another account's."""
    org = Org(ORG)
    pieces = org_wide(3, org=org)
    a = pieces[0]
    assert isinstance(a, Account)
    reader = a.user("reader")
    snapshot, _ = load(*pieces)
    graph = build_graph(snapshot)
    edge(graph, reader, a.arn("role", "DataPerimeter"))
    no_edge(graph, reader, f"arn:aws:iam::{ACCOUNTS[1]}:role/DataPerimeter")


def test_class_decision_not_shared_when_it_reads_a_member_specific_key() -> None:
    """Admins with the same policy share a group, but a policy condition on the caller's own tag makes the
    decision differ between them: each is then decided on its own."""
    org = Org(ORG)
    tagged = identity(allow("sts:AssumeRole", "*", condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}))
    pieces: list[object] = []
    for account_id, team in zip(ACCOUNTS[:3], ("blue", "red", "blue"), strict=True):
        org.account(account_id)
        a = Account(account_id)
        a.role("Admin", trust(a.root), policies={"admin": tagged}, tags={"team": team})
        a.role("DataPerimeter", trust("*", condition={"StringEquals": {"aws:PrincipalOrgID": ORG}}))
        pieces.append(a)
    snapshot, _ = load(*pieces, org)
    graph = build_graph(snapshot)
    target = f"arn:aws:iam::{ACCOUNTS[1]}:role/DataPerimeter"
    edge(graph, f"arn:aws:iam::{ACCOUNTS[0]}:role/Admin", target)
    edge(graph, f"arn:aws:iam::{ACCOUNTS[2]}:role/Admin", target)
    no_edge(graph, f"arn:aws:iam::{ACCOUNTS[1]}:role/Admin", f"arn:aws:iam::{ACCOUNTS[0]}:role/DataPerimeter")
    assert answers(graph, sorted(snapshot.roles)) == answers(build_graph(snapshot, classes=False),
                                                              sorted(snapshot.roles))


def test_class_rcp_on_principal_account_splits_the_class() -> None:
    """An RCP that tests aws:PrincipalAccount decides differently per caller account."""
    org = Org(ORG)
    pieces = org_wide(4, org=org)
    blocked = ACCOUNTS[2]
    org.rcp("NoAccount2", doc(deny("sts:AssumeRole", "*", principal="*",
                                   condition={"StringEquals": {"aws:PrincipalAccount": blocked}})), org.root)
    snapshot, _ = load(*pieces)
    graph = build_graph(snapshot)
    target = f"arn:aws:iam::{ACCOUNTS[0]}:role/DataPerimeter"
    edge(graph, f"arn:aws:iam::{ACCOUNTS[1]}:role/Admin", target)
    no_edge(graph, f"arn:aws:iam::{blocked}:role/Admin", target)
    assert answers(graph, sorted(snapshot.roles)) == answers(build_graph(snapshot, classes=False),
                                                              sorted(snapshot.roles))


def test_class_membership_conditional_without_organization_data() -> None:
    """Without organization data aws:PrincipalOrgID cannot be settled: the path is kept, conditional on it."""
    pieces = [p for p in org_wide(3) if isinstance(p, Account)]
    snapshot, _ = load(*pieces)
    graph = build_graph(snapshot)
    target = f"arn:aws:iam::{ACCOUNTS[1]}:role/DataPerimeter"
    found = {r.principal: r for r in who_can_reach(graph, target).reachers}
    admin = found[f"arn:aws:iam::{ACCOUNTS[0]}:role/Admin"]
    assert admin.conditional and admin.conditions == ["aws:PrincipalOrgID"]
    assert all(not graph.nodes[n].get("hub") for n in admin.path)


def test_class_answers_equal_expansion_on_samples() -> None:
    snapshot, _ = load_inputs([str(Path(__file__).parents[2] / "samples" / "acme")])
    roles = sorted(snapshot.roles)
    assert answers(build_graph(snapshot), roles) == answers(build_graph(snapshot, classes=False), roles)


def test_class_groups_split_by_ou_only_when_a_policy_tests_org_paths() -> None:
    org = Org(ORG)
    prod, dev = org.ou("ou-prod"), org.ou("ou-dev")
    pieces: list[object] = []
    for i, account_id in enumerate(ACCOUNTS[:6]):
        org.account(account_id, prod if i % 2 else dev)
        a = Account(account_id)
        a.role("Admin", trust(a.root), policies={"admin": ADMIN_POLICY})
        a.role("DataPerimeter", trust("*", condition={"StringEquals": {"aws:PrincipalOrgID": ORG}}))
        pieces.append(a)
    snapshot, _ = load(*pieces, org)
    one_group = [n for n, d in build_graph(snapshot).nodes(data=True) if d.get("kind") == "class"]
    assert len(one_group) == 1  # admins of both OUs are alike: one hub for the organization
    org.full_access_everywhere()
    org.scp("DevStaysInDev", doc(deny("sts:AssumeRole", "*", condition={
        "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/r-root/{dev}/*"}})), org.root)
    snapshot, _ = load(*pieces, org)
    policies = OrganizationPolicies(snapshot.organization)
    builder = GraphBuilder(snapshot, policies, policies.account_facts())
    # the classes are released once the trust edges are drawn: their groups are read just before
    groups: list[Group] = []
    release = builder._trust_edges_drawn

    def keep_groups() -> None:
        assert builder.classes is not None
        groups.extend(g for c in builder.classes.classes.values() for g in c.groups)
        release()
    builder._trust_edges_drawn = keep_groups  # type: ignore[method-assign]
    graph = builder.build()
    admin_groups = [g for g in groups if any(m.endswith(":role/Admin") for m in g.members)]
    assert len(admin_groups) == 2  # one group per OU now
    no_edge(graph, f"arn:aws:iam::{ACCOUNTS[0]}:role/Admin", f"arn:aws:iam::{ACCOUNTS[1]}:role/DataPerimeter")
    edge(graph, f"arn:aws:iam::{ACCOUNTS[1]}:role/Admin", f"arn:aws:iam::{ACCOUNTS[0]}:role/DataPerimeter")
    assert answers(graph, sorted(snapshot.roles)) == answers(build_graph(snapshot, classes=False),
                                                              sorted(snapshot.roles))


def test_class_member_edges_are_classified_as_inside_the_organization() -> None:
    snapshot, _ = load(*org_wide(3))
    graph = build_graph(snapshot)
    members = [d for u, v, d in graph.edges(data=True) if graph.nodes[v].get("kind") == "class"]
    assert members and {d["classification"] for d in members} == {"same-org"}
