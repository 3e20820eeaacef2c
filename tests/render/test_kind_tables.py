"""Every graph kind of the schema has a picture style and export names, and a kind added to the schema alone (one
row in graph/schema.py, nothing else) is drawn and exported."""

from __future__ import annotations

import networkx as nx
import pytest

from trustgraph.export.kinds import HUB_LABEL, edge_names, node_names
from trustgraph.export.neo4j import neo4j_export
from trustgraph.export.opengraph import decode_id, opengraph_document
from trustgraph.graph import schema
from trustgraph.graph.schema import EdgeKind, EdgeSpec, Hub, NodeKind, NodeSpec, Via
from trustgraph.render.dot import drawn_as, to_dot
from trustgraph.render.style import EDGE_STYLE, NODE_STYLE, PLAIN_EDGE, SCOPE_LEGEND, edge_style, node_style
from trustgraph.render.views import principals_view

ACCOUNT = "111111111111"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Deploy"
GROUP = f"arn:aws:identitystore::{ACCOUNT}:group/Admins"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"


# --- every kind of the schema has its rows ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(NodeKind))
def test_every_node_kind_has_a_style_and_export_names(kind: NodeKind) -> None:
    assert kind in NODE_STYLE, f"render/style.py NODE_STYLE has no row for node kind {kind}"
    spec = schema.NODE_SPECS[kind]
    assert spec.opengraph and spec.neo4j, f"schema row of {kind} has no export names"
    assert 1 <= len(spec.opengraph) <= 3  # BloodHound takes 1 to 3 kinds per node
    assert node_names(kind, False).opengraph == spec.opengraph
    assert node_names(kind, False).neo4j == spec.neo4j


@pytest.mark.parametrize("kind", list(EdgeKind))
def test_every_edge_kind_has_a_style_and_export_names(kind: EdgeKind) -> None:
    spec = schema.EDGE_SPECS[kind]
    assert spec.opengraph.isidentifier() and spec.neo4j.isidentifier(), f"schema row of {kind} has no export names"
    assert (edge_names(kind).opengraph, edge_names(kind).neo4j) == (spec.opengraph, spec.neo4j)
    if spec.styled_by_kind or spec.via is None:
        # Drawn by its kind (the indirect edges), or by the scope named after it (membership): a row of its own.
        assert kind in EDGE_STYLE, f"render/style.py EDGE_STYLE has no row for edge kind {kind}"
        assert kind in SCOPE_LEGEND, f"render/style.py SCOPE_LEGEND has no words for edge kind {kind}"


def test_a_kind_without_any_row_is_drawn_in_the_default_style() -> None:
    assert node_style("future-kind") == NODE_STYLE[NodeKind.UNKNOWN]
    assert node_style(None) == NODE_STYLE[NodeKind.UNKNOWN]
    assert edge_style("future-scope") == EDGE_STYLE[PLAIN_EDGE]
    graph = nx.DiGraph()
    graph.add_node(USER, kind="future-kind", label="alice", account=ACCOUNT)
    graph.add_node(ROLE, kind=NodeKind.ROLE.value, label="Deploy", account=ACCOUNT)
    graph.add_edge(USER, ROLE, kind="future-edge", scope="future-scope")
    source = to_dot(graph).source
    assert "alice" in source and "Deploy" in source and " -> " in source


# --- a kind added to the schema only ---------------------------------------------------------------------------

@pytest.fixture
def sso_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    """An IAM Identity Center group and two edge kinds, added as schema rows and nowhere else."""
    monkeypatch.setitem(schema.NODE_SPECS, "sso-group", NodeSpec(
        kind="sso-group", hub=Hub.NEVER, legend="IAM Identity Center group", words=("SSO group", "SSO groups"),
        opengraph=("AWSSSOGroup", "AWSPrincipal"), neo4j=("AWSIdentityStoreGroup", "AWSPrincipal"),
        in_account_box=True))
    monkeypatch.setitem(schema.EDGE_SPECS, "sso-assign", EdgeSpec(
        kind="sso-assign", via=Via.ASSUME, hop_cost=1, legend="assigned a permission set", opengraph="AWSSSOAssign",
        neo4j="SSO_ASSIGNMENT_ALLOW", trust=True))
    monkeypatch.setitem(schema.EDGE_SPECS, "sso-provision", EdgeSpec(
        kind="sso-provision", via=Via.IAM, hop_cost=1, legend="provisions the role's permission set",
        opengraph="AWSSSOProvision", neo4j="SSO_PROVISION_ALLOW", styled_by_kind=True))


def sso_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_node(GROUP, kind="sso-group", label="Admins", account=ACCOUNT, in_data=True)
    graph.add_node(USER, kind=NodeKind.USER.value, label="alice", account=ACCOUNT, in_data=True)
    graph.add_node(ROLE, kind=NodeKind.ROLE.value, label="Deploy", account=ACCOUNT, in_data=True, path="/")
    graph.add_edge(GROUP, ROLE, kind="sso-assign", scope="same-account", conditional=False, conditions=[],
                   evidence=[])
    graph.add_edge(USER, ROLE, kind="sso-provision", scope="same-account", conditional=False, conditions=[],
                   technique="sso:ProvisionPermissionSet", evidence=[])
    return graph


@pytest.mark.usefixtures("sso_kinds")
def test_a_kind_added_to_the_schema_is_drawn() -> None:
    graph = sso_graph()
    dot = principals_view(graph, focus=ROLE)
    source = dot.source
    group = next(k.removeprefix("node-") for k, v in dot.evidence.items() if v.get("id") == GROUP)
    # in its account's box (its row says so), in the default node style, named in the legend by its kind
    account_box = source.split(f"subgraph cluster_{ACCOUNT}", 1)[1].split("}", 1)[0]
    assert f"\t\t{group} [label=Admins" in account_box
    assert f'fillcolor="{NODE_STYLE[NodeKind.UNKNOWN]["fillcolor"]}"' in account_box.split(f"{group} [", 1)[1]
    assert ">sso-group<" in source
    # the trust edge is drawn by its scope; the edge drawn by its kind gets a plain line, its technique and the
    # legend words of its row
    assert drawn_as(graph.edges[GROUP, ROLE]) == "same-account"
    assert drawn_as(graph.edges[USER, ROLE]) == "sso-provision"
    assert "sso:ProvisionPermissionSet" in source
    assert ">provisions the role&#x27;s permission set<" in source
    assert {(v["from"], v["to"]) for k, v in dot.evidence.items() if k.startswith("edge-")} == \
        {(GROUP, ROLE), (USER, ROLE)}


@pytest.mark.usefixtures("sso_kinds")
def test_a_kind_added_to_the_schema_is_exported_with_its_row_names() -> None:
    graph = sso_graph()
    document = opengraph_document(graph)
    kinds = {n["properties"]["trustgraph_id"]: n["kinds"] for n in document["graph"]["nodes"]}
    assert kinds[GROUP] == ["TG_AWSSSOGroup", "TG_AWSPrincipal"]  # BloodHound's names: the row's, namespaced
    edges = {(decode_id(e["start"]["value"]), decode_id(e["end"]["value"])): e["kind"]
             for e in document["graph"]["edges"]}
    assert edges == {(GROUP, ROLE): "TG_AWSSSOAssign", (USER, ROLE): "TG_AWSSSOProvision"}
    export = neo4j_export(graph)
    assert "nodes-AWSIdentityStoreGroup.csv" in export.tables
    assert {"rels-SSO_ASSIGNMENT_ALLOW.csv", "rels-SSO_PROVISION_ALLOW.csv"} <= export.tables.keys()
    assert HUB_LABEL not in node_names("sso-group", False).neo4j
