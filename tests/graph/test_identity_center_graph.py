"""graph/identity_center.py: IAM Identity Center users and groups in front of the AWSReservedSSO_* roles, each rule
with its negative control (samples/acme/EXPECTED.md §9)."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import networkx as nx
import pytest

from tests.builders import benchmark_generator
from trustgraph import load_inputs
from trustgraph.analysis.reachability import reach, who_can_reach
from trustgraph.graph.build import build_graph
from trustgraph.graph.identity_center import INLINE_POLICY_KEY, group_node, user_node
from trustgraph.graph.schema import EdgeKind, NodeKind, is_answer
from trustgraph.model import OrgPolicy, PolicyDocument, Snapshot
from trustgraph.policy.passrole import CONTROLS_USER_KEY
from trustgraph.sources.policy_parser import parse_policy

ACME = Path(__file__).resolve().parents[2] / "samples" / "acme"
PROD, DEV, MGMT = "444444444444", "666666666666", "111111111111"
SSO_PATH = "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_"
SSO_ADMIN_PROD = f"arn:aws:iam::{PROD}:{SSO_PATH}AdministratorAccess_8c1f5e2a9d3b7046"
SSO_READONLY_PROD = f"arn:aws:iam::{PROD}:{SSO_PATH}ReadOnly_2e7d0b9f4a61c583"
SSO_ADMIN_DEV = f"arn:aws:iam::{DEV}:{SSO_PATH}AdministratorAccess_d05a7c3e1b94f268"
SSO_READONLY_DEV = f"arn:aws:iam::{DEV}:{SSO_PATH}ReadOnly_61f9a2d8e3c047b5"
PROVIDER_PROD = f"arn:aws:iam::{PROD}:saml-provider/AWSSSO_4b8e2d71c09f3a56_DO_NOT_DELETE"
PROVIDER_DEV = f"arn:aws:iam::{DEV}:saml-provider/AWSSSO_4b8e2d71c09f3a56_DO_NOT_DELETE"
BREAKGLASS = f"arn:aws:iam::{PROD}:role/BreakGlass"


@pytest.fixture(scope="module")
def acme() -> Snapshot:
    snapshot, _ = load_inputs([ACME])
    assert snapshot.identity_center is not None
    return snapshot


@pytest.fixture(scope="module")
def graph(acme: Snapshot) -> nx.DiGraph:
    return build_graph(acme)


def _doc(raw: dict) -> PolicyDocument:
    document, problems = parse_policy(raw)
    assert document is not None and not problems
    return document


def _copy(snapshot: Snapshot) -> Snapshot:
    return copy.deepcopy(snapshot)


def _user(g: nx.DiGraph, name: str) -> str:
    return next(n for n, d in g.nodes(data=True) if d.get("kind") == NodeKind.IDENTITY_CENTER_USER
                and d["name"] == name)


def _group(g: nx.DiGraph, name: str) -> str:
    return next(n for n, d in g.nodes(data=True) if d.get("kind") == NodeKind.IDENTITY_CENTER_GROUP
                and d["name"] == name)


def _problems(g: nx.DiGraph, kind: str) -> list[dict]:
    return [p for p in g.graph["identity_center"]["problems"] if p["kind"] == kind]


def _people(g: nx.DiGraph, target: str, **kw: object) -> set[str]:
    nodes = g.nodes
    return {nodes[r.principal]["name"] for r in who_can_reach(g, target, people=True, **kw).reachers
            if r.kind == NodeKind.IDENTITY_CENTER_USER}


# -- nodes ------------------------------------------------------------------------------------------------------


def test_users_and_groups_are_nodes_with_their_names_and_counts(graph: nx.DiGraph) -> None:
    maria = graph.nodes[_user(graph, "maria.garcia@acme.example")]
    assert _user(graph, "maria.garcia@acme.example").startswith("arn:aws:identitystore:::user/")
    assert maria["label"] == maria["name"] == "maria.garcia@acme.example" and maria["display_name"] == "Maria Garcia"
    assert maria["identity_store_id"] == "d-9067a2c5e1" and maria["in_data"] is True
    assert maria["emails"] == ["maria.garcia@acme.example"] and "account" not in maria
    engineering = graph.nodes[_group(graph, "Engineering")]
    assert engineering["members"] == 5 and engineering["external"] is True
    admins = graph.nodes[_group(graph, "PlatformAdmins")]
    assert admins["members"] == 2 and admins["external"] is False
    assert is_answer(maria) and is_answer(admins)


def test_membership_is_an_edge_of_no_hop(graph: nx.DiGraph) -> None:
    edge = graph.edges[_user(graph, "maria.garcia@acme.example"), _group(graph, "PlatformAdmins")]
    assert edge["kind"] == EdgeKind.GROUP_MEMBER and edge["scope"] == "member" and edge["conditional"] is False
    assert len(edge["evidence"]) == 1
    memberships = [e for e in graph.edges(data=True) if e[2]["kind"] == EdgeKind.GROUP_MEMBER]
    assert len(memberships) == 11


# -- sign-ins ---------------------------------------------------------------------------------------------------


def test_an_assignment_is_a_sign_in_edge_to_the_permission_sets_role(graph: nx.DiGraph) -> None:
    edge = graph.edges[_group(graph, "PlatformAdmins"), SSO_ADMIN_PROD]
    assert edge["kind"] == EdgeKind.SSO and edge["permission_set"] == "AdministratorAccess"
    assert edge["technique"] == "sso:AdministratorAccess" and edge["permission_set_arn"].startswith("arn:aws:sso:::")
    assert edge["scope"] == edge["classification"] == "federated"
    assert edge["evidence"][0]["assignment"]["principal_type"] == "GROUP"
    direct = graph.edges[_user(graph, "jonas.weber@acme.example"), SSO_ADMIN_PROD]
    assert direct["evidence"][0]["assignment"]["principal_type"] == "USER"


def test_the_audience_is_settled_and_nothing_else_is_added(graph: nx.DiGraph) -> None:
    # the trust asks SAML:aud, which an Identity Center sign-in always presents
    assert graph.edges[PROVIDER_PROD, SSO_ADMIN_PROD]["conditions"] == ["SAML:aud"]
    edge = graph.edges[_group(graph, "PlatformAdmins"), SSO_ADMIN_PROD]
    assert edge["conditional"] is False and edge["conditions"] == []


def test_sso_admin_prod_is_reached_by_three_people(graph: nx.DiGraph) -> None:
    assert _people(graph, SSO_ADMIN_PROD) == {"maria.garcia@acme.example", "tom.nguyen@acme.example",
                                             "jonas.weber@acme.example"}
    reachers = who_can_reach(graph, SSO_ADMIN_PROD, people=True).reachers
    assert all(r.hops == 1 for r in reachers if r.kind == NodeKind.IDENTITY_CENTER_USER)


def test_a_user_not_in_the_group_reaches_nothing(graph: nx.DiGraph) -> None:
    assert reach(graph, _user(graph, "grace.kim@acme.example")).reachable == []
    assert reach(graph, _user(graph, "fatima.haddad@acme.example")).reachable[0].principal == SSO_READONLY_PROD
    assert "grace.kim@acme.example" not in _people(graph, SSO_ADMIN_PROD)


def test_a_group_assigned_in_another_account_does_not_reach_this_accounts_role(graph: nx.DiGraph) -> None:
    engineering = _group(graph, "Engineering")
    assert graph.has_edge(engineering, SSO_ADMIN_DEV) and not graph.has_edge(engineering, SSO_ADMIN_PROD)
    assert {"priya.shah@acme.example", "lars.eriksen@acme.example", "kenji.sato@acme.example"} \
        <= _people(graph, SSO_ADMIN_DEV)
    assert not _people(graph, SSO_ADMIN_PROD) & {"priya.shah@acme.example", "kenji.sato@acme.example"}


def test_an_assignment_without_its_role_gives_no_edge_and_a_problem(graph: nx.DiGraph) -> None:
    [problem] = _problems(graph, "unprovisioned")
    assert problem["account"] == MGMT and problem["permission_set"] == "BillingAdmin"
    finance = _group(graph, "Finance")
    assert problem["principal"] == finance and graph.out_degree(finance) == 0
    assert reach(graph, _user(graph, "omar.khalil@acme.example")).reachable == []


def test_an_assignment_in_an_account_without_data_is_no_problem(acme: Snapshot) -> None:
    snapshot = _copy(acme)
    snapshot.collected_accounts.discard(MGMT)
    assert _problems(build_graph(snapshot), "unprovisioned") == []


def test_an_orphaned_role_is_a_problem_and_reached_by_no_person(graph: nx.DiGraph) -> None:
    [problem] = _problems(graph, "orphaned")
    assert problem["role"] == SSO_READONLY_DEV and problem["permission_set"] == "ReadOnly"
    assert not any(d["kind"] == EdgeKind.SSO for _, _, d in graph.in_edges(SSO_READONLY_DEV, data=True))
    assert _people(graph, SSO_READONLY_DEV, max_hops=1) == set()
    assert graph.has_edge(PROVIDER_DEV, SSO_READONLY_DEV)  # the trust edge stays


def test_a_role_whose_trust_does_not_admit_the_provider_gets_no_sign_in(acme: Snapshot) -> None:
    snapshot = _copy(acme)
    snapshot.roles[SSO_ADMIN_PROD].trust = _doc({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROD}:root"}, "Action": "sts:AssumeRole"}]})
    g = build_graph(snapshot)
    assert not g.has_edge(_group(g, "PlatformAdmins"), SSO_ADMIN_PROD)
    assert [p["role"] for p in _problems(g, "trust-mismatch")] == [SSO_ADMIN_PROD, SSO_ADMIN_PROD]
    # negative control: the other roles keep theirs
    assert g.has_edge(_group(g, "PlatformAdmins"), SSO_ADMIN_DEV)


def test_a_trust_condition_is_carried_to_the_sign_in(acme: Snapshot) -> None:
    snapshot = _copy(acme)
    snapshot.roles[SSO_ADMIN_PROD].trust = _doc({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": PROVIDER_PROD},
         "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
         "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"},
                       "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]})
    g = build_graph(snapshot)
    edge = g.edges[_group(g, "PlatformAdmins"), SSO_ADMIN_PROD]
    assert edge["conditional"] is True and edge["conditions"] == ["aws:SourceIp"]
    assert g.edges[_group(g, "PlatformAdmins"), SSO_ADMIN_DEV]["conditional"] is False


def test_an_rcp_denying_the_sign_in_removes_it(acme: Snapshot) -> None:
    snapshot = _copy(acme)
    assert snapshot.organization is not None
    snapshot.organization.policies.append(OrgPolicy("p-denysaml", "DenySAML", "RESOURCE_CONTROL_POLICY", _doc({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                                                "Action": "sts:AssumeRoleWithSAML", "Resource": "*"}]}),
        targets=[PROD]))
    g = build_graph(snapshot)
    assert not g.has_edge(PROVIDER_PROD, SSO_ADMIN_PROD)
    assert not g.has_edge(_group(g, "PlatformAdmins"), SSO_ADMIN_PROD)
    assert g.has_edge(_group(g, "PlatformAdmins"), SSO_ADMIN_DEV)


def test_an_unreadable_inline_policy_makes_the_sign_in_conditional(acme: Snapshot) -> None:
    snapshot = _copy(acme)
    ic = snapshot.identity_center
    assert ic is not None
    sets = tuple(replace(p, inline_policy_unreadable=True) if p.name == "ReadOnly" else p for p in ic.permission_sets)
    snapshot.identity_center = replace(ic, permission_sets=sets)
    g = build_graph(snapshot)
    edge = g.edges[_group(g, "Engineering"), SSO_READONLY_PROD]
    assert edge["conditional"] is True and edge["conditions"] == [INLINE_POLICY_KEY]
    assert g.edges[_group(g, "Engineering"), SSO_ADMIN_DEV]["conditional"] is False


def test_assignments_naming_what_is_not_in_the_data_are_problems(acme: Snapshot) -> None:
    snapshot = _copy(acme)
    ic = snapshot.identity_center
    assert ic is not None
    first = ic.account_assignments[0]
    extra = (replace(first, principal_type="USER", principal_id="nobody"),
             replace(first, principal_type="GROUP", principal_id="nogroup"),
             replace(first, permission_set_arn="arn:aws:sso:::permissionSet/ssoins-x/ps-missing"))
    snapshot.identity_center = replace(ic, account_assignments=ic.account_assignments + extra)
    g = build_graph(snapshot)
    assert [p["principal"] for p in _problems(g, "missing-user")] == [user_node("nobody")]
    assert [p["principal"] for p in _problems(g, "missing-group")] == [group_node("nogroup")]
    assert len(_problems(g, "missing-permission-set")) == 1
    assert user_node("nobody") not in g and group_node("nogroup") not in g


def test_a_role_whose_policies_differ_from_its_permission_set_is_a_problem(acme: Snapshot, graph: nx.DiGraph) -> None:
    assert _problems(graph, "policy-mismatch") == []
    snapshot = _copy(acme)
    snapshot.roles[SSO_ADMIN_PROD].attached_policy_arns.append("arn:aws:iam::aws:policy/IAMFullAccess")
    [problem] = _problems(build_graph(snapshot), "policy-mismatch")
    assert problem["role"] == SSO_ADMIN_PROD and "IAMFullAccess" in problem["detail"]


# -- the AWSSSO provider ------------------------------------------------------------------------------------------


def test_the_provider_is_superseded_only_where_the_data_covers_the_account(acme: Snapshot, graph: nx.DiGraph) -> None:
    assert graph.nodes[PROVIDER_PROD]["superseded_by"] == "identity-center"
    assert not is_answer(graph.nodes[PROVIDER_PROD])
    assert graph.graph["identity_center"]["covered_accounts"] == [MGMT, PROD, DEV]
    snapshot = _copy(acme)
    ic = snapshot.identity_center
    assert ic is not None
    kept = tuple(a for a in ic.account_assignments if a.account_id != DEV)
    snapshot.identity_center = replace(ic, account_assignments=kept)
    g = build_graph(snapshot)
    assert "superseded_by" not in g.nodes[PROVIDER_DEV] and g.nodes[PROVIDER_PROD]["superseded_by"]


def test_the_superseded_provider_is_no_answer_but_stays_with_trust_only(graph: nx.DiGraph) -> None:
    default = {r.principal for r in who_can_reach(graph, SSO_ADMIN_PROD).reachers}
    assert PROVIDER_PROD not in default and _group(graph, "PlatformAdmins") in default
    trust_only = {r.principal for r in who_can_reach(graph, SSO_ADMIN_PROD, via="assume").reachers}
    # people are reached only by sign-ins: with --via assume the provider still says who may sign in
    assert PROVIDER_PROD in trust_only
    assert not any(k.startswith("identity-center") for k in (graph.nodes[p]["kind"] for p in trust_only))
    # following sign-ins too, the people answer and the provider does not
    assert PROVIDER_PROD not in {r.principal for r in who_can_reach(graph, SSO_ADMIN_PROD, via="assume,sso").reachers}


def test_a_user_reached_through_a_group_is_left_to_the_group_unless_people_are_asked(graph: nx.DiGraph) -> None:
    answer = {r.principal: r for r in who_can_reach(graph, SSO_ADMIN_PROD).reachers}
    assert _group(graph, "PlatformAdmins") in answer and answer[_group(graph, "PlatformAdmins")].members == 2
    assert _user(graph, "jonas.weber@acme.example") in answer  # assigned directly
    assert _user(graph, "maria.garcia@acme.example") not in answer
    maria = next(r for r in who_can_reach(graph, SSO_ADMIN_PROD, people=True).reachers
                 if r.principal == _user(graph, "maria.garcia@acme.example"))
    assert maria.hops == 1 and maria.path == [maria.principal, SSO_ADMIN_PROD]
    assert maria.steps == [{"from": _group(graph, "PlatformAdmins"), "to": SSO_ADMIN_PROD, "kind": "sso",
                            "technique": "sso:AdministratorAccess", "permission_set": "AdministratorAccess"}]


def test_breakglass_is_reached_by_three_people_in_two_hops_and_by_none_on_trust_only(graph: nx.DiGraph) -> None:
    reachers = [r for r in who_can_reach(graph, BREAKGLASS, people=True).reachers
                if r.kind == NodeKind.IDENTITY_CENTER_USER]
    assert sorted(graph.nodes[r.principal]["name"] for r in reachers) == [
        "jonas.weber@acme.example", "maria.garcia@acme.example", "tom.nguyen@acme.example"]
    assert {r.hops for r in reachers} == {2}
    assert _people(graph, BREAKGLASS, via="assume") == set()


# -- without Identity Center data, and saved graphs -------------------------------------------------------------


def _plain(g: nx.DiGraph) -> tuple[dict, dict, dict]:
    return ({n: dict(d) for n, d in g.nodes(data=True)}, {(u, v): dict(d) for u, v, d in g.edges(data=True)},
            {k: v for k, v in g.graph.items() if k != "data_time"})


def test_without_identity_center_data_the_graph_is_the_one_of_iam_alone(acme: Snapshot, graph: nx.DiGraph) -> None:
    snapshot = _copy(acme)
    snapshot.identity_center = None
    plain = build_graph(snapshot, data_time=None)
    assert "identity_center" not in plain.graph
    assert not any(str(d.get("kind", "")).startswith("identity-center") for _, d in plain.nodes(data=True))
    assert not any(d.get("kind") in (EdgeKind.SSO, EdgeKind.GROUP_MEMBER) for *_, d in plain.edges(data=True))
    assert not any("superseded_by" in d for _, d in plain.nodes(data=True))
    # the Identity Center layer only adds: take it away (its people, and its administrators' edges: the management
    # account's admins assign permission sets) and the graph is the IAM graph, attribute for attribute
    people = graph.copy()
    people.remove_nodes_from([n for n, d in graph.nodes(data=True) if str(d["kind"]).startswith("identity-center")])
    people.remove_edges_from([(u, v) for u, v, d in graph.edges(data=True)
                              if all(CONTROLS_USER_KEY in [c["key"] for c in r["conditions"]] for r in d["evidence"])])
    for _, d in people.nodes(data=True):
        d.pop("superseded_by", None)
    del people.graph["identity_center"]
    nodes, edges, attrs = _plain(people)
    plain_nodes, plain_edges, plain_attrs = _plain(plain)
    assert nodes == plain_nodes and edges == plain_edges
    assert {k: v for k, v in attrs.items() if k != "data_time_source"} == \
        {k: v for k, v in plain_attrs.items() if k != "data_time_source"}


def test_a_saved_graph_keeps_the_people(graph: nx.DiGraph, acme: Snapshot, tmp_path: Path) -> None:
    from trustgraph.saved.serialize import read_saved, save_graph
    path = tmp_path / "acme.tgz"
    save_graph(graph, path, snapshot=acme)
    back = read_saved(path).graph
    assert _plain(back)[0] == _plain(graph)[0] and _plain(back)[1] == _plain(graph)[1]
    assert back.graph["identity_center"] == json.loads(json.dumps(graph.graph["identity_center"]))


def test_exports_name_the_new_kinds(graph: nx.DiGraph) -> None:
    from trustgraph.export.opengraph import opengraph_document
    doc = json.dumps(opengraph_document(graph))
    for name in ("AWSIdentityCenterUser", "AWSIdentityCenterGroup", "AWSIdentityCenterMemberOf",
                 "AWSIdentityCenterAssignment"):
        assert name in doc


# -- growth ------------------------------------------------------------------------------------------------------


def test_a_generated_org_with_identity_center_grows_by_memberships_and_assignments(tmp_path: Path) -> None:
    generated = benchmark_generator().generate(tmp_path, 12, 8, 2, identity_center="300,20,6,400")
    snapshot, _ = load_inputs([tmp_path])
    ic = snapshot.identity_center
    assert ic is not None and generated.identity_center_path is not None
    with_people = build_graph(snapshot)
    without = copy.deepcopy(snapshot)
    without.identity_center = None
    plain = build_graph(without)
    added_nodes = with_people.number_of_nodes() - plain.number_of_nodes()
    added_edges = with_people.number_of_edges() - plain.number_of_edges()
    assert added_nodes == len(ic.users) + len(ic.groups)
    memberships = len({(m.user_id, m.group_id) for m in ic.group_memberships})
    # The administrators of Identity Center (docs/edges.md): from a few sources (the management account's admin
    # node, policy groups) to each account, group and user at most: never callers × accounts.
    administering = [(u, v) for u, v, d in with_people.edges(data=True)
                     if any(c["key"] == CONTROLS_USER_KEY for r in d["evidence"] for c in r["conditions"])]
    sources = {u for u, _ in administering}
    assert 0 < len(sources) <= 3
    assert len(administering) <= len(sources) * (len(snapshot.collected_accounts) + len(ic.groups) + len(ic.users))
    # one edge per membership, at most one per assignment (none for an unprovisioned one): never users × roles
    assert memberships <= added_edges - len(administering) <= memberships + len(ic.account_assignments)
    signed_in = sum(1 for *_, d in with_people.edges(data=True) if d["kind"] == EdgeKind.SSO)
    assert signed_in >= len(ic.account_assignments) // 2
