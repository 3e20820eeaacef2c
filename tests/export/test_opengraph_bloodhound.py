"""The BloodHound export against what BloodHound publishes and does: its node, edge, metadata and extension schemas
(tests/export/schemas/, each citing its source), its id rules (no colon; ids and edge ends upper-cased on ingest),
its namespace rule for kinds, and Pathfinding over the traversable edges of the extension schema.

BloodHound itself does not run here. `ingest` does to a document what BloodHound's ingest is documented and coded
to do (SpecterOps/BloodHound cmd/api/src/services/graphify/convertors.go ConvertGenericNode / ConvertGenericEdge:
ids and edge ends upper-cased; ingestnodes.go normalizeEinNodeProperties: `name` upper-cased, `objectid` set;
docs/opengraph/developer/metadata.mdx: the source kind added to every node's kinds), and `pathfind` follows only
the relationship kinds the extension schema marks traversable, as Pathfinding does on a structured graph."""

from __future__ import annotations

import json
import re
from collections import deque
from pathlib import Path
from typing import Any

import jsonschema
import networkx as nx
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from trustgraph.analysis.reachability import who_can_reach
from trustgraph.cli import main
from trustgraph.cli.export_cmd import extension_path
from trustgraph.export.kinds import BLOODHOUND_NAMESPACE, edge_names, node_names
from trustgraph.export.opengraph import (
    ID_PREFIX,
    bloodhound_ids,
    decode_id,
    encode_id,
    extension_problems,
    extension_schema,
    id_problems,
    kind_problems,
    opengraph_document,
    traversable_kinds,
    untraversable,
)
from trustgraph.graph.build import build_graph
from trustgraph.graph.schema import EDGE_SPECS, NODE_SPECS, is_hub_data
from trustgraph.sources.files import load_inputs

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "samples" / "acme"
HOSTILE = ROOT / "tests" / "hostile"
SCHEMAS = ROOT / "tests" / "export" / "schemas"
VALIDATORS = {name: jsonschema.Draft202012Validator(json.loads((SCHEMAS / f"{name}.schema.json").read_text()))
              for name in ("node", "edge", "metadata", "extension")}


@pytest.fixture(scope="module")
def acme() -> nx.DiGraph:
    snapshot, _ = load_inputs([str(ACME)])
    return build_graph(snapshot)


@pytest.fixture(scope="module")
def document(acme: nx.DiGraph) -> dict[str, Any]:
    return opengraph_document(acme)


@pytest.fixture(scope="module")
def extension(document: dict[str, Any]) -> dict[str, Any]:
    return extension_schema(document)


def payload_errors(document: dict[str, Any]) -> list[str]:
    """Every node, edge and the metadata against BloodHound's published schemas; the payload's top level as its
    docs give it (graph with nodes and edges, optional metadata, nothing else)."""
    found = [f"top level: {key}" for key in document if key not in ("graph", "metadata")]
    found += [f"graph: {key}" for key in document["graph"] if key not in ("nodes", "edges")]
    found += [f"metadata: {e.message}" for e in VALIDATORS["metadata"].iter_errors(document.get("metadata", {}))]
    for node in document["graph"]["nodes"]:
        found += [f"node {node.get('id')}: {e.message}" for e in VALIDATORS["node"].iter_errors(node)]
    for edge in document["graph"].get("edges", ()):
        found += [f"edge {edge.get('kind')}: {e.message}" for e in VALIDATORS["edge"].iter_errors(edge)]
    return found


def schema_errors(extension: dict[str, Any]) -> list[str]:
    return [e.message for e in VALIDATORS["extension"].iter_errors(extension)]


def copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def tiny() -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_node("arn:aws:iam::111111111111:user/a", kind="user", label="a", account="111111111111",
                   unique_id="AIDAEXAMPLEUSER00001")
    graph.add_node("arn:aws:iam::111111111111:role/R", kind="role", label="R", account="111111111111")
    graph.add_edge("arn:aws:iam::111111111111:user/a", "arn:aws:iam::111111111111:role/R", kind="assume",
                   conditional=False, conditions=[], classification="same-account", evidence=[])
    return graph


# --- BloodHound's ingest and Pathfinding, as documented ----------------------------------------------------------

def ingest(document: dict[str, Any]) -> nx.MultiDiGraph:
    """The graph BloodHound stores for `document`: nodes keyed by the upper-cased id (`objectid`), `name`
    upper-cased, the source kind added to the kinds; an edge joins the nodes its upper-cased ends name, and is
    dropped when one is missing."""
    source_kind = (document.get("metadata") or {}).get("source_kind")
    stored: nx.MultiDiGraph = nx.MultiDiGraph()
    for node in document["graph"]["nodes"]:
        props = dict(node.get("properties") or {})
        objectid = node["id"].upper()
        props["objectid"] = objectid
        if isinstance(props.get("name"), str):
            props["name"] = props["name"].upper()
        stored.add_node(objectid, labels=[*node["kinds"], *([source_kind] if source_kind else [])], props=props)
    for edge in document["graph"].get("edges", ()):
        start, end = edge["start"]["value"].upper(), edge["end"]["value"].upper()
        if start in stored and end in stored:
            stored.add_edge(start, end, key=edge["kind"], kind=edge["kind"], props=edge.get("properties") or {})
    return stored


def pathfind_to(stored: nx.MultiDiGraph, target: str, follow: frozenset[str]) -> set[str]:
    """Every node with a path to `target` over relationships of the `follow` kinds."""
    seen = {target}
    queue = deque([target])
    while queue:
        node = queue.popleft()
        for caller, _, kind in stored.in_edges(node, keys=True):
            if kind in follow and caller not in seen:
                seen.add(caller)
                queue.append(caller)
    return seen - {target}


def by_arn(stored: nx.MultiDiGraph, arn: str) -> str:
    """The objectid of the node whose `arn` property is `arn` (the property BloodHound leaves as written)."""
    found = [n for n, data in stored.nodes(data=True) if data["props"].get("arn") == arn]
    assert len(found) == 1, arn
    return found[0]


# --- the published schemas ----------------------------------------------------------------------------------------

def test_bloodhound_payload_matches_the_published_node_edge_and_metadata_schemas(acme: nx.DiGraph,
                                                                               document: dict[str, Any]) -> None:
    assert payload_errors(document) == []
    assert len(document["graph"]["nodes"]) == acme.number_of_nodes()
    assert len(document["graph"]["edges"]) == acme.number_of_edges()
    assert document["metadata"] == {"source_kind": "TrustGraph"}


def test_bloodhound_payload_schemas_reject_what_bloodhound_rejects(document: dict[str, Any]) -> None:
    def broken(change: Any) -> dict[str, Any]:
        bad = copy(document)
        change(bad)
        return bad

    controls = {
        "objectid property": lambda d: d["graph"]["nodes"][0]["properties"].update(objectid="X"),
        "four kinds": lambda d: d["graph"]["nodes"][0].update(kinds=["TG_A", "TG_B", "TG_C", "TG_D"]),
        "no kinds": lambda d: d["graph"]["nodes"][0].update(kinds=[]),
        "nested property": lambda d: d["graph"]["nodes"][0]["properties"].update(tags={"team": "x"}),
        "mixed list": lambda d: d["graph"]["edges"][0]["properties"].update(conditions=["a", 1]),
        "dashed edge kind": lambda d: d["graph"]["edges"][0].update(kind="TG_assume-role"),
        "edge without properties": lambda d: d["graph"]["edges"][0].pop("properties"),
        "end with matchers and value": lambda d: d["graph"]["edges"][0]["end"].update(
            match_by="property", property_matchers=[{"key": "arn", "operator": "equals", "value": "x"}]),
        "metadata field": lambda d: d["metadata"].update(version=1),
        "extra top level": lambda d: d.update(data_type="x"),
    }
    for name, change in controls.items():
        assert payload_errors(broken(change)), name


def test_bloodhound_extension_schema_matches_the_documented_format(extension: dict[str, Any]) -> None:
    assert schema_errors(extension) == []
    assert extension["schema"]["namespace"] == BLOODHOUND_NAMESPACE
    assert extension["schema"]["version"].startswith("v")
    for control in ({"node_kinds": [], "relationship_kinds": []},  # no schema
                    {**extension, "schema": {**extension["schema"], "version": "1.0.0"}},
                    {**extension, "node_kinds": [{"name": "TG_X", "display_name": "x", "color": "red"}]},
                    {**extension, "relationship_kinds": [{"name": "TG_X", "is_traversable": "yes"}]},
                    {**extension, "node_kinds": [{"name": "TG_X", "display_name": "x",
                                                  "info": {"Bad Key": {"title": "t"}}}]}):
        assert schema_errors(control), control


def test_bloodhound_extension_namespace_rules(extension: dict[str, Any]) -> None:
    assert extension_problems(extension) == []
    node, edge = extension["node_kinds"][0], extension["relationship_kinds"][0]
    controls = {
        "unprefixed node kind": {**extension, "node_kinds": [{**node, "name": "AWSRole"}]},
        "prefix only": {**extension, "relationship_kinds": [{**edge, "name": "TG_"}]},
        "a name twice": {**extension, "relationship_kinds": [{**edge, "name": node["name"]}]},
        "reserved namespace": {**extension, "schema": {**extension["schema"], "namespace": "Tag"}},
    }
    for name, control in controls.items():
        assert extension_problems(control), name


# --- ids ------------------------------------------------------------------------------------------------------------

def test_bloodhound_ids_have_no_colon_and_stay_distinct_once_upper_cased(acme: nx.DiGraph,
                                                                        document: dict[str, Any]) -> None:
    assert id_problems(document) == []
    colons = [n for n in acme if ":" in str(n)]
    assert len(colons) > acme.number_of_nodes() / 2  # the control: trustgraph's own ids (ARNs, hub ids) have colons
    stored = ingest(document)
    assert stored.number_of_nodes() == acme.number_of_nodes()
    assert stored.number_of_edges() == acme.number_of_edges()  # every edge end found once upper-cased


def test_bloodhound_id_check_fails_a_colon_a_case_twin_and_a_dangling_end(document: dict[str, Any]) -> None:
    colon = copy(document)
    colon["graph"]["nodes"][0]["id"] = "arn:aws:iam::111111111111:role/x"
    assert any("colon" in p for p in id_problems(colon))
    twins = copy(document)
    twins["graph"]["nodes"][1]["id"] = twins["graph"]["nodes"][0]["id"].lower()
    assert any("upper-cased" in p for p in id_problems(twins))
    dangling = copy(document)
    dangling["graph"]["edges"][0]["end"]["value"] = "TG-NOWHERE"
    assert any("names no node" in p for p in id_problems(dangling))


def test_bloodhound_ids_are_aws_unique_ids_where_the_data_has_them(acme: nx.DiGraph,
                                                                  document: dict[str, Any]) -> None:
    nodes = {n["properties"]["trustgraph_id"]: n for n in document["graph"]["nodes"]}
    with_unique = {n: d["unique_id"] for n, d in acme.nodes(data=True) if d.get("unique_id")}
    assert with_unique and all(nodes[n]["id"] == uid for n, uid in with_unique.items())
    assert {uid[:4] for uid in with_unique.values()} == {"AIDA", "AROA"}
    others = [n for n in acme if n not in with_unique]
    assert others and all(nodes[n]["id"] == encode_id(n) and decode_id(nodes[n]["id"]) == n for n in others)
    # The ARN and the trustgraph id stay properties, whatever the id.
    role = "arn:aws:iam::444444444444:role/BreakGlass"
    assert nodes[role]["properties"]["arn"] == role and nodes[role]["properties"]["trustgraph_id"] == role
    assert nodes[role]["properties"]["displayname"] == "BreakGlass"


def test_bloodhound_ids_encode_a_unique_id_two_nodes_claim() -> None:
    graph = tiny()
    assert bloodhound_ids(graph)["arn:aws:iam::111111111111:user/a"] == "AIDAEXAMPLEUSER00001"
    graph.nodes["arn:aws:iam::111111111111:role/R"]["unique_id"] = "AIDAEXAMPLEUSER00001"
    ids = bloodhound_ids(graph)
    assert ids == {n: encode_id(n) for n in graph}
    graph.nodes["arn:aws:iam::111111111111:role/R"]["unique_id"] = "not:an-id"  # not IAM's form: encoded
    assert bloodhound_ids(graph)["arn:aws:iam::111111111111:role/R"].startswith(ID_PREFIX)


@given(st.text())
def test_bloodhound_id_encoding_round_trips_through_upper_casing(node: str) -> None:
    encoded = encode_id(node)
    assert ":" not in encoded and encoded.isascii()
    assert encoded.upper() == encoded
    assert decode_id(encoded.upper()) == node
    assert decode_id(encoded.lower()) == node


@given(st.text(), st.text())
def test_bloodhound_id_encoding_keeps_distinct_ids_distinct(a: str, b: str) -> None:
    assert (encode_id(a).upper() == encode_id(b).upper()) == (a == b)


def test_bloodhound_id_decoding_refuses_what_encoding_never_makes() -> None:
    assert decode_id("TG-ARN!AWS!IAM!!111111111111!ROLE/^BREAK^GLASS") == "arn:aws:iam::111111111111:role/BreakGlass"
    # Text whose upper case differs between Python and Go (ß → SS, ı → I) and a lone surrogate: bytes, not letters.
    for odd in ("straße", "ıd", "x\ud800y", "a^b!c%d"):
        encoded = encode_id(odd)
        assert encoded.isascii() and decode_id(encoded.upper()) == odd, odd
    for text in ("AROAEXAMPLE", "TG-A:B", "TG-^1", "TG-%G0", "TG-%4", "TG-A B"):
        with pytest.raises(ValueError):
            decode_id(text)


# --- kinds ------------------------------------------------------------------------------------------------------------

def test_bloodhound_every_kind_is_under_the_namespace_and_declared(document: dict[str, Any],
                                                                  extension: dict[str, Any]) -> None:
    assert kind_problems(document, extension) == []
    kinds = {k for n in document["graph"]["nodes"] for k in n["kinds"]}
    kinds |= {e["kind"] for e in document["graph"]["edges"]}
    assert kinds and all(k.startswith(f"{BLOODHOUND_NAMESPACE}_") for k in kinds)
    # every row of the schema is declared, the names made from the rows (kinds.py)
    declared = {k["name"] for k in extension["node_kinds"]} | {k["name"] for k in extension["relationship_kinds"]}
    assert {k for spec in NODE_SPECS.values() for k in node_names(spec.kind, False).bloodhound} <= declared
    assert {edge_names(kind).bloodhound for kind in EDGE_SPECS} <= declared


def test_bloodhound_kind_check_fails_unprefixed_and_undeclared_kinds(document: dict[str, Any],
                                                                    extension: dict[str, Any]) -> None:
    bare = copy(document)
    bare["graph"]["nodes"][0]["kinds"] = ["AWSRole"]
    assert kind_problems(bare, extension)
    undeclared = copy(document)
    undeclared["graph"]["edges"][0]["kind"] = "TG_AWSSomethingNew"
    assert kind_problems(undeclared, extension)
    # a kind the rows do not name (a newer graph) is declared from the document itself
    assert kind_problems(undeclared, extension_schema(undeclared)) == []


def test_bloodhound_traversable_edges_cover_every_edge_kind(acme: nx.DiGraph, extension: dict[str, Any]) -> None:
    kinds = {d["kind"] for *_, d in acme.edges(data=True)}
    assert {"assume", "passrole", "code", "iam", "member"} <= kinds
    assert untraversable(acme, extension) == []
    assert traversable_kinds(extension) == {k["name"] for k in extension["relationship_kinds"]}
    control = copy(extension)
    for kind in control["relationship_kinds"]:
        if kind["name"] == "TG_AWSPassRole":
            kind["is_traversable"] = False
    assert untraversable(acme, control) == ["passrole"]


# --- Pathfinding after ingest -------------------------------------------------------------------------------------

def test_bloodhound_pathfinding_after_ingest_finds_every_who_can_reach_answer(acme: nx.DiGraph,
                                                                             document: dict[str, Any],
                                                                             extension: dict[str, Any]) -> None:
    """Over the graph as BloodHound stores it (ids upper-cased), the traversable edges lead every principal
    trustgraph answers to the role, through hubs and role after role; nothing else reaches it."""
    stored = ingest(document)
    follow = traversable_kinds(extension)
    # As the Kùzu query test does: people one by one, and the AWSSSO providers their sign-ins supersede.
    paths = acme.copy()
    for _, data in paths.nodes(data=True):
        data.pop("superseded_by", None)
    chains = 0
    for role in (n for n, d in acme.nodes(data=True) if d.get("kind") == "role"):
        target = by_arn(stored, role)
        found = {stored.nodes[n]["props"]["trustgraph_id"] for n in pathfind_to(stored, target, follow)
                 if not stored.nodes[n]["props"]["hub"]}
        reachers = who_can_reach(paths, role, people=True).reachers
        assert found == {r.principal for r in reachers} - {role}, role
        chains += sum(1 for r in reachers if any(acme.nodes[n].get("kind") == "role" for n in r.route[1:-1]))
    assert chains  # principal → role → role: a role on the way


def test_bloodhound_pathfinding_loses_answers_without_a_traversable_kind(acme: nx.DiGraph,
                                                                        document: dict[str, Any],
                                                                        extension: dict[str, Any]) -> None:
    stored = ingest(document)
    role = "arn:aws:iam::444444444444:role/BreakGlass"
    every = pathfind_to(stored, by_arn(stored, role), traversable_kinds(extension))
    without = pathfind_to(stored, by_arn(stored, role), traversable_kinds(extension) - {"TG_AWSAssumeRole"})
    assert without < every


def test_bloodhound_hubs_stay_waypoints_after_ingest(document: dict[str, Any]) -> None:
    stored = ingest(document)
    hubs = [n for n, d in stored.nodes(data=True) if is_hub_data(d["props"])]
    assert hubs and all(d["props"]["hub"] for n, d in stored.nodes(data=True) if n in hubs)
    assert all("TrustGraph" in d["labels"] and len(d["labels"]) <= 4 for _, d in stored.nodes(data=True))


# --- the documented Cypher ------------------------------------------------------------------------------------------

def _bloodhound_cypher() -> list[str]:
    section = (ROOT / "docs" / "export.md").read_text().split("## BloodHound")[1].split("\n## ")[0]
    return re.findall(r"```cypher\n(.*?)```", section, re.S)


def test_documented_bloodhound_cypher_matches_what_ingest_stores(document: dict[str, Any],
                                                                 extension: dict[str, Any]) -> None:
    """The BloodHound queries of docs/export.md name declared kinds, match `name` and `objectid` with upper-case
    literals (ingest upper-cases them) and `arn` as written (ingest leaves it), and each literal finds its node in
    the stored acme graph."""
    blocks = _bloodhound_cypher()
    assert len(blocks) >= 3
    stored = ingest(document)
    declared = {k["name"] for k in extension["node_kinds"]} | {k["name"] for k in extension["relationship_kinds"]}
    values: dict[str, set[str]] = {key: {str(d["props"].get(key)) for _, d in stored.nodes(data=True)}
                                   for key in ("name", "objectid", "arn")}
    literals = 0
    for text in blocks:
        assert set(re.findall(r"\bTG_\w+", text)) <= declared, text
        for key, literal in re.findall(r"\.(name|objectid|arn)\s*=\s*'([^']*)'", text):
            literals += 1
            if key in ("name", "objectid"):
                assert literal == literal.upper(), literal
            assert literal in values[key], (key, literal)
        assert ":" not in "".join(re.findall(r"objectid\s*=\s*'([^']*)'", text))
    assert literals >= 3
    # the control: the same literal as written in the data finds nothing once BloodHound upper-cased `name`
    assert "BreakGlass" not in values["name"] and "BREAKGLASS" in values["name"]


# --- the CLI writes both files --------------------------------------------------------------------------------------

def test_cli_bloodhound_export_writes_the_extension_schema_beside_the_graph(tmp_path: Path) -> None:
    target = tmp_path / "trust.opengraph.json"
    result = CliRunner().invoke(main, ["export", "-i", str(ACME), "--format", "opengraph", "-o", str(target),
                                       "--json", "-q"])
    assert result.exit_code == 0, result.stderr
    schema_file = extension_path(target)
    assert schema_file.name == "trust.opengraph.extension.json"
    written = {Path(f["path"]).name for f in json.loads(result.stdout)["files"]}
    assert written == {"trust.opengraph.json", "trust.opengraph.extension.json"}
    document, extension = json.loads(target.read_text()), json.loads(schema_file.read_text())
    assert payload_errors(document) == [] and schema_errors(extension) == []
    assert extension == extension_schema(document) and kind_problems(document, extension) == []


def test_cli_bloodhound_export_of_the_hostile_corpus_keeps_the_rules(tmp_path: Path) -> None:
    target = tmp_path / "h.json"
    result = CliRunner().invoke(main, ["export", "-i", str(HOSTILE), "--no-cache", "-q", "--format", "opengraph",
                                       "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    document = json.loads(target.read_text())
    extension = json.loads(extension_path(target).read_text())
    assert payload_errors(document) == [] and id_problems(document) == []
    assert kind_problems(document, extension) == [] and schema_errors(extension) == []
    trustgraph_ids = [n["properties"]["trustgraph_id"] for n in document["graph"]["nodes"]]
    assert all(decode_id(n["id"]) == tid for n, tid in zip(document["graph"]["nodes"], trustgraph_ids, strict=True)
               if n["id"].startswith(ID_PREFIX))
