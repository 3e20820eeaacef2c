"""`trustgraph export`: BloodHound OpenGraph, Neo4j CSV + Cypher, GraphML/GEXF, checked against the real
readers — the OpenGraph ingest schema, networkx's GraphML reader, and an embedded Cypher database (LadybugDB)
that loads the CSVs and answers the documented queries as trustgraph does."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import networkx as nx
import pytest
from click.testing import CliRunner

from trustgraph.analysis.reachability import who_can_reach
from trustgraph.cli import main
from trustgraph.export.graphml import flat_graph
from trustgraph.export.hubs import expand_hubs
from trustgraph.export.kinds import edge_names, node_names
from trustgraph.export.neo4j import neo4j_export
from trustgraph.export.opengraph import encode_id, opengraph_document
from trustgraph.export.properties import EVIDENCE_MAX, EdgeFlattener, evidence_text, flat_value
from trustgraph.export.queries import TITLES, query
from trustgraph.graph.build import build_graph
from trustgraph.graph.schema import EDGE_SPECS, NODE_SPECS, hop_cost
from trustgraph.sources.files import load_inputs

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "samples" / "acme"
HOSTILE = ROOT / "tests" / "hostile"
SCHEMA = json.loads((ROOT / "tests" / "data" / "opengraph.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
OUTSIDE_OK = ("same-account", "same-org")


@pytest.fixture(scope="module")
def acme() -> nx.DiGraph:
    snapshot, _ = load_inputs([str(ACME)])
    return build_graph(snapshot)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def tiny(node_kind: str = "role", edge_kind: str = "assume") -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_node("arn:aws:iam::111111111111:user/a", kind="user", label="a", account="111111111111")
    graph.add_node("arn:aws:iam::111111111111:role/r", kind=node_kind, label="r", account="111111111111")
    graph.add_edge("arn:aws:iam::111111111111:user/a", "arn:aws:iam::111111111111:role/r", kind=edge_kind,
                   conditional=True, conditions=["sts:ExternalId"], classification="same-account",
                   evidence=[{"sid": "S", "statement": 0, "reason": "trusted"}])
    return graph


def errors(document: dict) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(document)]


# --- BloodHound OpenGraph ------------------------------------------------------------------------------

def test_opengraph_document_matches_the_ingest_schema(acme: nx.DiGraph) -> None:
    document = opengraph_document(acme)
    assert errors(document) == []
    assert len(document["graph"]["nodes"]) == acme.number_of_nodes()
    assert len(document["graph"]["edges"]) == acme.number_of_edges()


def test_opengraph_schema_rejects_what_bloodhound_rejects() -> None:
    good = opengraph_document(tiny())
    assert errors(good) == []
    nested = json.loads(json.dumps(good))
    nested["graph"]["nodes"][0]["properties"]["tags"] = {"team": "x"}
    four_kinds = json.loads(json.dumps(good))
    four_kinds["graph"]["nodes"][0]["kinds"] = ["A", "B", "C", "D"]
    dashed = json.loads(json.dumps(good))
    dashed["graph"]["edges"][0]["kind"] = "assume-role"
    mixed = json.loads(json.dumps(good))
    mixed["graph"]["edges"][0]["properties"]["conditions"] = ["a", 1]
    for bad in (nested, four_kinds, dashed, mixed):
        assert errors(bad), bad


def test_opengraph_edges_name_their_ends_by_id_and_keep_conditions(acme: nx.DiGraph) -> None:
    document = opengraph_document(tiny())
    edge = document["graph"]["edges"][0]
    assert edge["start"] == {"value": encode_id("arn:aws:iam::111111111111:user/a"), "match_by": "id"}
    assert edge["kind"] == "TG_AWSAssumeRole"
    assert edge["properties"]["conditional"] is True
    assert edge["properties"]["conditions"] == ["sts:ExternalId"]
    assert edge["properties"]["classification"] == "same-account"
    assert edge["properties"]["evidence"] == "S: trusted"
    assert document["metadata"] == {"source_kind": "TrustGraph"}


def test_hubs_are_nodes_of_their_own_kind_with_member_edges(acme: nx.DiGraph) -> None:
    document = opengraph_document(acme)
    kinds = {n["properties"]["trustgraph_id"]: n["kinds"] for n in document["graph"]["nodes"]}
    classes = [n for n, d in acme.nodes(data=True) if d.get("kind") == "class"]
    assert classes and all(kinds[c] == ["TG_AWSTrustClass"] for c in classes)
    class_ids = {encode_id(c) for c in classes}
    into_classes = [e for e in document["graph"]["edges"] if e["end"]["value"] in class_ids]
    assert into_classes and all(e["kind"] == "TG_AWSMemberOf" for e in into_classes)
    principals = [n for n, d in acme.nodes(data=True) if d.get("kind") == "role"]
    assert all(kinds[p] == ["TG_AWSRole", "TG_AWSPrincipal"] for p in principals)


# --- Kind mapping --------------------------------------------------------------------------------------

def test_kind_mapping_known_kinds_use_their_table_rows() -> None:
    assert edge_names("assume").opengraph == "AWSAssumeRole"
    assert edge_names("assume").neo4j == "STS_ASSUMEROLE_ALLOW"
    assert node_names("role", False).neo4j == ("AWSRole", "AWSPrincipal")
    assert "TrustGraphHub" in node_names("account", True).neo4j
    assert "TrustGraphHub" not in node_names("account", False).neo4j
    for kind in EDGE_SPECS:
        names = edge_names(kind)
        assert names.opengraph.isidentifier() and names.neo4j.isidentifier()
    for kind in NODE_SPECS:
        assert 1 <= len(node_names(kind, False).opengraph) <= 3


def test_kind_mapping_unknown_kinds_are_exported_generically() -> None:
    graph = tiny(node_kind="future-hub", edge_kind="iam-write")
    document = opengraph_document(graph)
    assert errors(document) == []
    assert document["graph"]["nodes"][1]["kinds"] == ["TG_AWSFutureHub"]
    assert document["graph"]["edges"][0]["kind"] == "TG_AWSIamWrite"
    assert edge_names("iam-write").neo4j == "IAM_WRITE"
    export = neo4j_export(graph)
    assert "rels-IAM_WRITE.csv" in export.tables and "nodes-AWSFutureHub.csv" in export.tables


def test_kind_mapping_indirect_edges_and_their_hubs_have_table_rows() -> None:
    named = {"passrole": ("AWSPassRole", "IAM_PASSROLE_ALLOW"), "code": ("AWSCodeAsRole", "CODE_AS_ROLE_ALLOW"),
             "iam": ("AWSIAMTakeover", "IAM_TAKEOVER_ALLOW"), "assume-root": ("AWSAssumeRoot", "STS_ASSUMEROOT_ALLOW")}
    for kind, (opengraph, neo4j) in named.items():
        assert (edge_names(kind).opengraph, edge_names(kind).neo4j) == (opengraph, neo4j), kind
    hubs = {"account-admin": "AWSAccountAdmin", "policy-group": "AWSPolicyGroup", "code-runner": "AWSCodeRunner",
            "passrole-runner": "AWSPassRoleRunner"}
    for kind, name in hubs.items():
        assert node_names(kind, True).opengraph == (name,) and node_names(kind, True).neo4j == (name, "TrustGraphHub")
    # The control: a kind without a row gets the generic name, which differs from the table's.
    assert edge_names("code-x").opengraph == "AWSCodeX"


def test_kind_mapping_every_kind_of_the_sample_graph_has_a_row(acme: nx.DiGraph) -> None:
    assert {d.get("kind") for _, d in acme.nodes(data=True)} <= NODE_SPECS.keys()
    assert {d.get("kind") for *_, d in acme.edges(data=True)} <= EDGE_SPECS.keys()
    assert {"iam", "code", "passrole", "assume-root"} <= {d.get("kind") for *_, d in acme.edges(data=True)}


def test_indirect_edges_export_their_technique(acme: nx.DiGraph) -> None:
    document = opengraph_document(acme)
    passrole = [e for e in document["graph"]["edges"] if e["kind"] == "TG_AWSPassRole"]
    assert passrole and all(e["properties"]["technique"] for e in passrole)
    trust = [e for e in document["graph"]["edges"] if e["kind"] == "TG_AWSAssumeRole"]
    assert trust and not [e for e in trust if "technique" in e["properties"]]  # the control
    header = neo4j_export(acme).tables["rels-IAM_TAKEOVER_ALLOW.csv"].header
    assert "technique" in header and "kinds:string[]" in header


# --- Properties ----------------------------------------------------------------------------------------

def test_properties_are_primitives_or_lists_of_one_type() -> None:
    assert flat_value({"team": "x", "env": "prod"}) == ["env=prod", "team=x"]
    assert flat_value([{"key": "k"}]) == '[{"key": "k"}]'
    assert flat_value(["a", 1]) == ["a", "1"]
    assert flat_value(["a", "b"]) == ["a", "b"]
    assert flat_value(3) == 3 and flat_value(None) is None


def test_evidence_text_is_cut_to_its_limit() -> None:
    short = [{"sid": "S", "reason": "r"}]
    assert evidence_text(short) == "S: r"
    long = [{"sid": "S", "reason": "x" * (2 * EVIDENCE_MAX)}]
    text = evidence_text(long)
    assert len(text) == EVIDENCE_MAX and text.endswith("…")


def test_member_edges_cost_no_hop() -> None:
    flatten = EdgeFlattener()
    assert flatten({"kind": "member"})["hop"] == 0
    assert flatten({"kind": "assume"})["hop"] == 1


def test_hub_entry_edges_cost_no_hop_as_reachability_counts_them(acme: nx.DiGraph) -> None:
    flatten = EdgeFlattener()
    assert flatten({"kind": "iam", "hub_entry": True, "technique": "account-takeover"})["hop"] == 0
    assert flatten({"kind": "iam", "technique": "iam:UpdateAssumeRolePolicy"})["hop"] == 1
    for *_, data in acme.edges(data=True):
        assert flatten(data)["hop"] == hop_cost(data)


# --- --expand-hubs -------------------------------------------------------------------------------------

def _answers(graph: nx.DiGraph, role: str) -> list[tuple]:
    return [(r.principal, r.hops, r.conditional, tuple(r.conditions)) for r in who_can_reach(graph, role).reachers]


def test_expand_hubs_gives_every_who_can_reach_answer_unchanged(acme: nx.DiGraph) -> None:
    expanded = expand_hubs(acme)
    assert not [n for n, d in expanded.nodes(data=True) if d.get("kind") == "class"]
    assert not [1 for *_, d in expanded.edges(data=True) if d.get("kind") == "member"]
    assert [1 for *_, d in expanded.edges(data=True) if d.get("via_hub")]
    roles = [n for n, d in acme.nodes(data=True) if d.get("kind") == "role"]
    for role in roles:
        assert _answers(expanded, role) == _answers(acme, role), role


def test_expand_hubs_keeps_the_better_of_a_direct_and_a_hub_edge() -> None:
    graph = nx.DiGraph()
    graph.add_node("u", kind="user")
    graph.add_node("r", kind="role")
    graph.add_node("class:0.1", kind="class", hub=True)
    graph.add_edge("u", "r", kind="assume", conditional=True, conditions=["aws:MultiFactorAuthPresent"])
    graph.add_edge("u", "class:0.1", kind="member", conditional=False, conditions=[])
    graph.add_edge("class:0.1", "r", kind="assume", conditional=False, conditions=[])
    assert expand_hubs(graph).edges["u", "r"]["conditional"] is False
    graph.edges["class:0.1", "r"]["conditional"] = True
    graph.edges["class:0.1", "r"]["conditions"] = ["aws:SourceIp", "sts:ExternalId"]
    assert expand_hubs(graph).edges["u", "r"]["conditions"] == ["aws:MultiFactorAuthPresent"]


def test_expand_hubs_follows_hub_chains_and_composes_their_conditions() -> None:
    graph = nx.DiGraph()
    for node, kind in (("u", "user"), ("r", "role"), ("admin:1", "account-admin")):
        graph.add_node(node, kind=kind, hub=kind == "account-admin")
    graph.add_node("policies:1:0", kind="policy-group", hub=True)
    graph.add_node("passrole:1:svc:0", kind="passrole-runner", hub=True)
    graph.add_edge("u", "policies:1:0", kind="member", conditional=False, conditions=[])
    graph.add_edge("policies:1:0", "passrole:1:svc:0", kind="passrole", hub_entry=True, conditional=True,
                   conditions=["aws:RequestedRegion"], evidence=[{"sid": "A", "reason": "pass"}])
    graph.add_edge("passrole:1:svc:0", "r", kind="passrole", technique="iam:PassRole", conditional=False,
                   conditions=[], evidence=[{"sid": "B", "reason": "trust"}])
    graph.add_edge("r", "admin:1", kind="iam", hub_entry=True, technique="account-takeover", conditional=False,
                   conditions=[])
    graph.add_edge("admin:1", "u", kind="iam", technique="iam:CreateAccessKey", conditional=False, conditions=[])
    graph.add_edge("admin:1", "r", kind="iam", technique="iam:UpdateAssumeRolePolicy", conditional=False,
                   conditions=[])
    expanded = expand_hubs(graph)
    assert set(expanded) == {"u", "r"}
    edge = expanded.edges["u", "r"]
    assert edge["kind"] == "passrole" and edge["technique"] == "iam:PassRole"
    assert edge["conditional"] is True and edge["conditions"] == ["aws:RequestedRegion"]
    assert [e["sid"] for e in edge["evidence"]] == ["A", "B"]
    assert edge["via_hub"] == "policies:1:0" and edge["via_hubs"] == ["policies:1:0", "passrole:1:svc:0"]
    assert expanded.edges["r", "u"]["technique"] == "iam:CreateAccessKey"
    assert not expanded.has_edge("r", "r")  # the admin node's edge back to its own entrant is no edge
    # The control: an edge into a hub that costs a hop is no way in.
    del graph.edges["r", "admin:1"]["hub_entry"]
    assert not expand_hubs(graph).has_edge("r", "u")


# --- GraphML / GEXF ------------------------------------------------------------------------------------

def test_graphml_reads_back_with_the_same_nodes_edges_and_kinds(acme: nx.DiGraph, tmp_path: Path) -> None:
    path = tmp_path / "g.graphml"
    nx.write_graphml(flat_graph(acme), path)
    back = nx.read_graphml(path)
    assert set(back.nodes) == set(acme.nodes)
    assert set(back.edges) == set(acme.edges)
    assert {n: d["kind"] for n, d in back.nodes(data=True)} == {n: d["kind"] for n, d in acme.nodes(data=True)}
    assert {(a, b): d["kind"] for a, b, d in back.edges(data=True)} == \
        {(a, b): d["kind"] for a, b, d in acme.edges(data=True)}
    conditional = [(a, b) for a, b, d in acme.edges(data=True) if d["conditions"]]
    a, b = conditional[0]
    assert back.edges[a, b]["conditions"] == ";".join(acme.edges[a, b]["conditions"])


def test_graphml_keeps_the_graph_attributes(acme: nx.DiGraph, tmp_path: Path) -> None:
    path = tmp_path / "g.graphml"
    nx.write_graphml(flat_graph(acme), path)
    back = nx.read_graphml(path)
    assert back.graph["schema"] == acme.graph["schema"]
    assert back.graph["collected_accounts"] == ";".join(acme.graph["collected_accounts"])


def test_a_key_of_mixed_types_is_written_as_text(tmp_path: Path) -> None:
    graph = tiny()
    graph.nodes["arn:aws:iam::111111111111:role/r"]["members"] = 3
    assert flat_graph(graph).nodes["arn:aws:iam::111111111111:role/r"]["members"] == 3  # one type: kept
    graph.nodes["arn:aws:iam::111111111111:user/a"]["members"] = "three"
    flat = flat_graph(graph)
    assert flat.nodes["arn:aws:iam::111111111111:role/r"]["members"] == "3"
    nx.write_graphml(flat, tmp_path / "g.graphml")
    export = neo4j_export(graph)
    assert "members" in export.tables["nodes-AWSRole.csv"].header
    graph.nodes["arn:aws:iam::111111111111:user/a"]["members"] = 4
    assert "members:long" in neo4j_export(graph).tables["nodes-AWSRole.csv"].header


def test_gexf_reads_back_with_the_same_nodes_and_edges(acme: nx.DiGraph, tmp_path: Path) -> None:
    path = tmp_path / "g.gexf"
    nx.write_gexf(flat_graph(acme), path)
    back = nx.read_gexf(path)
    assert set(back.nodes) == set(acme.nodes)
    assert set(back.edges) == set(acme.edges)


def test_graphml_control_characters_become_visible_escapes(tmp_path: Path) -> None:
    graph = tiny()
    graph.nodes["arn:aws:iam::111111111111:role/r"]["label"] = "r\x1b[31m"
    path = tmp_path / "g.graphml"
    nx.write_graphml(flat_graph(graph), path)
    back = nx.read_graphml(path)
    assert back.nodes["arn:aws:iam::111111111111:role/r"]["name"] == "r\\x1b[31m"
    assert back.nodes["arn:aws:iam::111111111111:user/a"]["name"] == "a"


# --- Neo4j ---------------------------------------------------------------------------------------------

def _write(export, directory: Path) -> None:  # type: ignore[no-untyped-def]
    for name, table in export.tables.items():
        with open(directory / name, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(table.header)
            writer.writerows(table.rows)
    for name, text in export.scripts.items():
        (directory / name).write_text(text, encoding="utf-8")


def test_neo4j_csv_headers_use_the_import_tool_syntax(acme: nx.DiGraph) -> None:
    export = neo4j_export(acme)
    for name in export.node_files:
        header = export.tables[name].header
        assert header[0] == "id:ID" and header[-1] == ":LABEL"
        assert "hub:boolean" in header and "tags:string[]" in header
    for name in export.relationship_files:
        header = export.tables[name].header
        assert header[:2] == [":START_ID", ":END_ID"] and header[-1] == ":TYPE"
        assert "conditions:string[]" in header and "conditional:boolean" in header and "hop:long" in header
    ids = [row[0] for name in export.node_files for row in export.tables[name].rows]
    assert sorted(ids) == sorted(acme.nodes)
    assert sum(len(export.tables[n].rows) for n in export.relationship_files) == acme.number_of_edges()
    rows = export.tables["rels-STS_ASSUMEROLE_ALLOW.csv"].rows
    header = export.tables["rels-STS_ASSUMEROLE_ALLOW.csv"].header
    column = header.index("conditions:string[]")
    with_two = [r for r in rows if ";" in r[column]]
    assert all(r[-1] == "STS_ASSUMEROLE_ALLOW" for r in rows)
    if with_two:
        assert all(k.startswith(("aws:", "sts:", "saml:")) or ":" in k for k in with_two[0][column].split(";"))


def test_neo4j_property_names_are_identifiers_and_keep_their_values() -> None:
    graph = tiny()
    graph.nodes["arn:aws:iam::111111111111:role/r"]["odd-name"] = "v"
    table = neo4j_export(graph).tables["nodes-AWSRole.csv"]
    assert "odd_name" in table.header and "odd-name" not in table.header
    assert table.rows[0][table.header.index("odd_name")] == "v"
    plain = neo4j_export(tiny()).tables["nodes-AWSRole.csv"]
    assert "odd_name" not in plain.header


def test_neo4j_loader_merges_arn_principals_on_cartographys_key(acme: nx.DiGraph) -> None:
    script = neo4j_export(acme).scripts["load.cypher"]
    role = "LOAD CSV WITH HEADERS FROM 'file:///nodes-AWSRole.csv' AS row\n" \
           "WITH row WHERE coalesce(row.arn, '') <> ''\nCALL (row) {\n  MERGE (n:AWSPrincipal {arn: row.arn})\n" \
           "  SET n:`AWSRole`:`AWSPrincipal`:`TrustGraph`,"
    assert role in script
    assert "CREATE INDEX trustgraph_awsprincipal_arn IF NOT EXISTS FOR (n:AWSPrincipal) ON (n.arn);" in script
    # Trust classes are no principals: merged on the trustgraph id, with no condition on the row.
    assert "LOAD CSV WITH HEADERS FROM 'file:///nodes-AWSTrustClass_TrustGraphHub.csv' AS row\nCALL (row) {\n" \
           "  MERGE (n:TrustGraph {id: row.`id:ID`})" in script
    assert "  MERGE (a)-[r:`STS_ASSUMEROLE_ALLOW`]->(b)" in script
    assert script.count("IN TRANSACTIONS OF 10000 ROWS;") == script.count("LOAD CSV")
    assert "CALL {" not in script  # the deprecated importing WITH: `CALL (row) { … }` instead


def test_neo4j_csv_control_characters_become_visible_escapes(tmp_path: Path) -> None:
    graph = tiny()
    nx.relabel_nodes(graph, {"arn:aws:iam::111111111111:user/a": "odd\nname\x1b"}, copy=False)
    export = neo4j_export(graph)
    _write(export, tmp_path)
    for name in export.tables:
        lines = (tmp_path / name).read_text().splitlines()
        assert len(lines) == 1 + len(export.tables[name].rows)
    text = (tmp_path / "nodes-AWSUser.csv").read_text()
    assert "odd\\x0aname\\x1b" in text
    assert "arn:aws:iam::111111111111:role/r" in (tmp_path / "nodes-AWSRole.csv").read_text()


LADYBUG_RUN = ROOT / "tests" / "ladybug_run.py"


class LadybugDatabase:
    """A LadybugDB database on disk, queried in a child process (tests/ladybug_run.py): a native crash is one
    failed test with a message."""

    def __init__(self, directory: Path, runner: Path = LADYBUG_RUN) -> None:
        self.directory = directory
        self.runner = runner

    def run(self, queries: list[tuple[str, dict]], load: bool = False) -> list[list[tuple]]:
        request = json.dumps({"load": load, "queries": [[text, params] for text, params in queries]})
        done = subprocess.run([sys.executable, str(self.runner), str(self.directory)], input=request,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            signal = f" (signal {-done.returncode})" if done.returncode < 0 else ""
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            first = [q for q, _ in queries][:1]
            pytest.fail(f"LadybugDB exited with {done.returncode}{signal} running {first}: {last}", pytrace=False)
        return [[tuple(row) for row in rows] for rows in json.loads(done.stdout)]


@pytest.fixture(scope="module")
def ladybug_acme(acme: nx.DiGraph, tmp_path_factory: pytest.TempPathFactory) -> LadybugDatabase:
    pytest.importorskip("real_ladybug")
    directory = tmp_path_factory.mktemp("neo4j")
    _write(neo4j_export(acme), directory)
    database = LadybugDatabase(directory)
    database.run([], load=True)
    return database


def _rows(database: LadybugDatabase, text: str, **params: str) -> list[tuple]:
    return database.run([(text, params)])[0]


def test_a_ladybug_crash_fails_one_test_with_a_message(tmp_path: Path) -> None:
    pytest.importorskip("real_ladybug")
    (tmp_path / "load-kuzu.cypher").write_text("")
    assert LadybugDatabase(tmp_path).run([("RETURN 1", {})], load=True) == [[(1,)]]  # the control: the runner works
    crashing = tmp_path / "crash.py"
    crashing.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    with pytest.raises(pytest.fail.Exception, match=r"LadybugDB exited with -11 \(signal 11\) running \['RETURN 1'\]"):
        LadybugDatabase(tmp_path, runner=crashing).run([("RETURN 1", {})])


def _late_quoted_field() -> nx.DiGraph:
    graph = nx.DiGraph()
    for i in range(400):  # more rows than LadybugDB samples to guess a dialect (256), none of them quoted
        graph.add_node(f"u{i}", kind="user")
        graph.add_node(f"r{i}", kind="role")
        graph.add_edge(f"u{i}", f"r{i}", kind="passrole", scope="same-account", conditional=True,
                       conditions=["aws:MultiFactorAuthPresent"], classification="same-account", kinds=["passrole"],
                       technique="lambda:CreateFunction", service="lambda.amazonaws.com",
                       evidence=[{"reason": "its own policies allow iam:PassRole on 2 roles (group Developers)"}])
    graph.add_edge("late", "r1", kind="passrole", evidence=[{"sid": "S", "reason": "trusted, conditionally"}])
    return graph


def test_ladybug_loader_names_the_csv_dialect_so_late_quoted_fields_keep_their_columns(tmp_path: Path) -> None:
    pytest.importorskip("real_ladybug")
    export = neo4j_export(_late_quoted_field())
    _write(export, tmp_path)
    database = LadybugDatabase(tmp_path)
    database.run([], load=True)
    assert _rows(database, "MATCH (a {id: 'late'})-[r]->(b {id: 'r1'}) RETURN r.evidence, r.hop") == \
        [("S: trusted, conditionally", 1)]
    # The control: left to guess the dialect, LadybugDB misreads the quoted field and the load fails.
    guessing = tmp_path / "guessing"
    guessing.mkdir()
    _write(export, guessing)
    script = (guessing / "load-kuzu.cypher").read_text()
    assert "auto_detect=false" in script
    (guessing / "load-kuzu.cypher").write_text(re.sub(r"\(header=true[^)]*\)", "(header=true)", script))
    with pytest.raises(pytest.fail.Exception, match="LadybugDB exited"):
        LadybugDatabase(guessing).run([], load=True)


def test_ladybug_loads_every_node_and_relationship(ladybug_acme: LadybugDatabase, acme: nx.DiGraph) -> None:
    assert _rows(ladybug_acme, "MATCH (n:TrustGraph) RETURN count(*)") == [(acme.number_of_nodes(),)]
    assert _rows(ladybug_acme, "MATCH ()-[r]->() RETURN count(*)") == [(acme.number_of_edges(),)]
    role = "arn:aws:iam::444444444444:role/BreakGlass"
    assert _rows(ladybug_acme, "MATCH (n:TrustGraph {id: $id}) RETURN n.arn, n.kind, n.labels", id=role) == \
        [(role, "role", ["AWSRole", "AWSPrincipal", "TrustGraph"])]


def test_documented_who_can_reach_query_answers_as_trustgraph(ladybug_acme: LadybugDatabase, acme: nx.DiGraph) -> None:
    roles = [n for n, d in acme.nodes(data=True) if d.get("kind") == "role"]
    answers = ladybug_acme.run([(query("who-can-reach", "ladybug"), {"id": role}) for role in roles])
    answered = 0
    # The query lists every principal with a path: Identity Center users one by one (who_can_reach's `people`),
    # and the AWSSSO providers their sign-ins supersede in trustgraph's answer.
    paths = acme.copy()
    for _, data in paths.nodes(data=True):
        data.pop("superseded_by", None)
    for role, got in zip(roles, answers, strict=True):
        expected = [(r.principal, r.kind, r.hops, r.conditional)
                    for r in who_can_reach(paths, role, people=True).reachers]
        assert got == expected, role
        answered += len(expected)
    assert answered > 100  # the control: the query is not trivially empty
    # Chains through hub chains and admin nodes count as trustgraph counts them (edges into hubs cost no hop).
    through_hubs = [r for role in roles for r in who_can_reach(acme, role).reachers
                    if any(acme.nodes[n].get("kind") in ("account-admin", "passrole-runner") for n in r.route)]
    assert through_hubs


def test_documented_outside_trust_query_answers_as_the_graph(ladybug_acme: LadybugDatabase, acme: nx.DiGraph) -> None:
    expected = sorted(((a, d["kind"], b, d["classification"], d["conditional"])
                       for a, b, d in acme.edges(data=True)
                       if d["kind"] not in ("member", "group-member") and d["classification"] not in OUTSIDE_OK),
                      key=lambda r: (r[3], r[2], r[0]))
    got = _rows(ladybug_acme, query("outside-trust", "ladybug"))
    assert got == expected
    assert {r[3] for r in got} >= {"external-unknown", "aws-service"}
    assert not [r for r in got if r[3] in OUTSIDE_OK]


def test_documented_longest_chains_query_answers_as_trustgraph(ladybug_acme: LadybugDatabase, acme: nx.DiGraph) -> None:
    pairs = []
    for role in (n for n, d in acme.nodes(data=True) if d.get("kind") == "role"):
        pairs += [(r.principal, role, r.hops) for r in who_can_reach(acme, role).reachers if not r.conditional]
    pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
    got = _rows(ladybug_acme, query("longest-chains", "ladybug"))
    assert got == pairs[:25]
    assert got[0][2] >= 3


def test_docs_show_the_neo4j_queries_the_tests_run() -> None:
    docs = (ROOT / "docs" / "export.md").read_text()
    for name in TITLES:
        assert query(name, "neo4j").strip() in docs, name
    assert "HOPS" not in docs and "list_sum" not in docs.split("### Three ready queries")[1].split("```")[1]


# --- CLI -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["opengraph", "neo4j", "graphml", "gexf"])
def test_cli_export_writes_and_summarises(fmt: str, tmp_path: Path, acme: nx.DiGraph) -> None:
    target = tmp_path / f"out.{fmt}"
    code, out, err = run("export", "-i", str(ACME), "--format", fmt, "-o", str(target), "--json", "-q")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["format"] == fmt and summary["nodes"] == acme.number_of_nodes() > 0
    assert summary["edges"] == acme.number_of_edges() > 0
    assert all(Path(f["path"]).stat().st_size == f["bytes"] > 0 for f in summary["files"])
    if fmt == "opengraph":
        assert errors(json.loads(target.read_text())) == []
    if fmt == "neo4j":
        assert {Path(f["path"]).name for f in summary["files"]} >= {"load.cypher", "load-kuzu.cypher",
                                                                     "nodes-AWSRole.csv"}


def test_cli_export_expand_hubs_and_saved_graph(tmp_path: Path, acme: nx.DiGraph) -> None:
    saved = tmp_path / "g.tgdb"
    assert run("build", "-i", str(ACME), "-o", str(saved), "-q")[0] == 0
    code, out, err = run("export", "--graph", str(saved), "--format", "opengraph", "-o", str(tmp_path / "x.json"),
                         "--expand-hubs", "--json", "-q")
    assert code == 0, err
    summary = json.loads(out)
    dropped = [n for n, data in acme.nodes(data=True) if data.get("hub") and data.get("kind") != "account"]
    assert dropped and summary["expanded_hubs"] is True and summary["nodes"] == acme.number_of_nodes() - len(dropped)
    kinds = {k for n in json.loads((tmp_path / "x.json").read_text())["graph"]["nodes"] for k in n["kinds"]}
    assert not kinds & {"TG_AWSTrustClass", "TG_AWSAccountAdmin", "TG_AWSPolicyGroup", "TG_AWSCodeRunner",
                        "TG_AWSPassRoleRunner"}
    assert "TG_AWSAccount" in kinds


def test_cli_export_refuses_a_file_where_a_directory_is_needed(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run("export", "-i", str(ACME), "--format", "neo4j", "-o", str(blocker), "-q")
    assert code == 2 and "is a file" in err and "Traceback" not in err
    code, _, err = run("export", "-i", str(ACME), "--format", "graphml", "-o", str(tmp_path), "-q")
    assert code == 2 and "is a directory" in err
    code, _, _ = run("export", "-i", str(ACME), "--format", "graphml", "-o", str(tmp_path / "ok.graphml"), "-q")
    assert code == 0


def test_cli_export_says_in_one_line_what_it_cannot_write(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run("export", "-i", str(ACME), "--format", "opengraph", "-o", str(blocker / "x.json"), "-q")
    assert code == 2 and "cannot write" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_export_of_the_hostile_corpus_stays_valid(tmp_path: Path) -> None:
    out = tmp_path / "h.json"
    code, _, err = run("export", "-i", str(HOSTILE), "--no-cache", "-q", "--format", "opengraph", "-o", str(out))
    assert code == 0, err
    assert errors(json.loads(out.read_text())) == []
    code, _, err = run("export", "-i", str(HOSTILE), "--no-cache", "-q", "--format", "graphml",
                       "-o", str(tmp_path / "h.graphml"))
    assert code == 0, err
    nx.read_graphml(tmp_path / "h.graphml")
    code, _, err = run("export", "-i", str(HOSTILE), "--no-cache", "-q", "--format", "neo4j", "-o", str(tmp_path / "n"))
    assert code == 0, err
    for path in (tmp_path / "n").glob("*.csv"):
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert len({len(r) for r in rows}) == 1, path  # every record has the header's columns


def test_opengraph_file_is_the_document_whatever_the_chunk_size(acme: nx.DiGraph, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from trustgraph.cli import export_cmd

    document = opengraph_document(acme)
    for chunk in (1, 7, 10_000):
        monkeypatch.setattr(export_cmd, "JSON_CHUNK", chunk)
        buffer = io.StringIO()
        export_cmd._dump_opengraph(document, buffer)
        assert json.loads(buffer.getvalue()) == document
