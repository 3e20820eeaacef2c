"""BloodHound OpenGraph: the JSON that BloodHound ingests as graph data, and the extension definition schema that
makes it a structured graph (Pathfinding follows its traversable edges).

Shape (BloodHound's ingest schemas, `cmd/api/src/services/upload/jsonschema/{node,edge,metadata}.json` in
SpecterOps/BloodHound): `{"metadata": {"source_kind"}, "graph": {"nodes": [{"id", "kinds", "properties"}],
"edges": [{"start": {"value", "match_by": "id"}, "end": {...}, "kind", "properties"}]}}`. A node has 1 to 3
kinds (the first picks the icon); property values are primitives or arrays of one primitive type; an edge kind
is `[A-Za-z0-9_]+`. Every kind is under trustgraph's namespace (`TG_AWSRole`: kinds.py), as the extension
schema requires.

Node ids. BloodHound upper-cases every node id and edge endpoint on ingest (graphify/convertors.go,
ConvertGenericNode: "object IDs are uppercased") and reads the text before a colon in Search and Pathfinding as
a kind filter (its docs: "Do not use colons in node id values"). So an id is a user's or role's AWS unique id
(UserId `AIDA…`, RoleId `AROA…`) where the data has it, and otherwise `TG-` and the trustgraph node id in a
reversible encoding that is colon-free and the same once upper-cased (`encode_id` / `decode_id`). The ARN stays
in the `arn` property, the trustgraph id in `trustgraph_id`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import networkx as nx

from trustgraph.export.kinds import (
    BLOODHOUND_NAMESPACE,
    OPENGRAPH_SOURCE_KIND,
    edge_names,
    namespaced,
    node_names,
)
from trustgraph.export.properties import EdgeFlattener, node_properties
from trustgraph.graph.schema import EDGE_SPECS, NODE_SPECS
from trustgraph.version import __version__

Progress = Callable[[int, int | None], None]

ID_PREFIX = "TG-"
# Kept as they are (upper-cased): letters, digits and these. ':' becomes '!'; a capital letter gets a '^' before it;
# every other character is %XX per UTF-8 byte (upper-case hex), so the id is ASCII without lower-case letters.
_KEPT = frozenset("0123456789/._-+=,@")
_AWS_UNIQUE_ID = re.compile(r"[A-Z0-9]{16,128}")  # IAM's unique ids: upper-case letters and digits (AIDA…, AROA…)
_EXTENSION_NAME = "TrustGraph"


def encode_id(node: str) -> str:
    """A trustgraph node id as a BloodHound id: `TG-`, then the id with `:` → `!`, a-z → A-Z, A-Z → `^A`, digits
    and `/._-+=,@` as they are, every other character %XX per UTF-8 byte. Colon-free, and upper-casing leaves it
    as it is, so `decode_id` gets the node id back from what BloodHound stores."""
    out = [ID_PREFIX]
    for char in node:
        if "a" <= char <= "z":
            out.append(char.upper())
        elif "A" <= char <= "Z":
            out.append("^" + char)
        elif char == ":":
            out.append("!")
        elif char in _KEPT:
            out.append(char)
        else:
            out.extend(f"%{b:02X}" for b in char.encode("utf-8", "surrogatepass"))
    return "".join(out)


def decode_id(value: str) -> str:
    """The trustgraph node id of an id `encode_id` made (in any letter case); ValueError for any other text."""
    if not value.upper().startswith(ID_PREFIX):
        raise ValueError(f"not a trustgraph id: {value!r}")
    text = value[len(ID_PREFIX):].upper()
    raw = bytearray()
    i = 0
    while i < len(text):
        char = text[i]
        if char == "^" and i + 1 < len(text) and "A" <= text[i + 1] <= "Z":
            raw += text[i + 1].encode()
            i += 2
        elif char == "%" and re.fullmatch(r"[0-9A-F]{2}", text[i + 1:i + 3]):
            raw.append(int(text[i + 1:i + 3], 16))
            i += 3
        elif char == "!":
            raw += b":"
            i += 1
        elif "A" <= char <= "Z":
            raw += char.lower().encode()
            i += 1
        elif char in _KEPT:
            raw += char.encode()
            i += 1
        else:
            raise ValueError(f"not a trustgraph id: {value!r} (at {i + len(ID_PREFIX)})")
    return raw.decode("utf-8", "surrogatepass")


def bloodhound_ids(graph: nx.DiGraph) -> dict[str, str]:
    """Node id → BloodHound id: the AWS unique id of a user or role that has one no other node shares, else
    `encode_id`. Unique ids are upper-case letters and digits without `-`, encoded ids start with `TG-`: the two
    never meet, and both stay distinct once upper-cased."""
    unique = {node: str(data["unique_id"]) for node, data in graph.nodes(data=True)
              if isinstance(data.get("unique_id"), str) and _AWS_UNIQUE_ID.fullmatch(data["unique_id"])}
    # Two nodes claiming one unique id (hand-edited data) would merge in BloodHound: both keep their encoded ids.
    shared = {uid for uid, count in Counter(unique.values()).items() if count > 1}
    return {node: unique[node] if node in unique and unique[node] not in shared else encode_id(str(node))
            for node in graph}


def opengraph_document(graph: nx.DiGraph, progress: Progress | None = None) -> dict[str, Any]:
    total = graph.number_of_nodes() + graph.number_of_edges()
    ids = bloodhound_ids(graph)
    nodes = []
    for done, (node, data) in enumerate(graph.nodes(data=True), 1):
        names = node_names(data.get("kind"), bool(data.get("hub")))
        properties = node_properties(graph, node)
        # BloodHound upper-cases `name` on ingest: `displayname` keeps the label as written.
        properties["displayname"] = str(properties["name"])
        properties["trustgraph_id"] = str(node)
        nodes.append({"id": ids[node], "kinds": list(names.bloodhound), "properties": properties})
        if progress and done % 10_000 == 0:
            progress(done, total)
    flatten = EdgeFlattener()
    edges = []
    for done, (a, b, data) in enumerate(graph.edges(data=True), len(nodes) + 1):
        edges.append({"start": {"value": ids[a], "match_by": "id"}, "end": {"value": ids[b], "match_by": "id"},
                      "kind": edge_names(data.get("kind")).bloodhound, "properties": flatten(data)})
        if progress and done % 10_000 == 0:
            progress(done, total)
    if progress:
        progress(total, total)
    return {"metadata": {"source_kind": OPENGRAPH_SOURCE_KIND}, "graph": {"nodes": nodes, "edges": edges}}


def extension_schema(document: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """BloodHound's extension definition schema for trustgraph's kinds (every row of graph/schema.py, and any
    other kind `document` holds): upload it once (OpenGraph Management) before the graph, and BloodHound makes the
    graph a structured one whose Pathfinding follows the traversable edges.

    Every edge kind is traversable: an edge means its start can obtain its end's credentials (or, into a hub,
    stands for the hub's members), which is BloodHound's own meaning of a traversable edge, and trustgraph's
    reachability follows every kind."""
    node_kinds: dict[str, dict[str, Any]] = {}
    for spec in NODE_SPECS.values():
        for position, name in enumerate(node_names(spec.kind, False).bloodhound):
            node_kinds.setdefault(name, _node_kind(name, spec.legend if position == 0 else ""))
    relationship_kinds: dict[str, dict[str, Any]] = {}
    for edge in EDGE_SPECS.values():
        name = edge_names(edge.kind).bloodhound
        relationship_kinds.setdefault(name, _relationship_kind(name, edge.legend))
    for node in (document or {}).get("graph", {}).get("nodes", ()):
        for name in node.get("kinds", ()):
            node_kinds.setdefault(name, _node_kind(name, ""))
    for edge in (document or {}).get("graph", {}).get("edges", ()):
        relationship_kinds.setdefault(edge["kind"], _relationship_kind(edge["kind"], ""))
    return {
        "schema": {"name": _EXTENSION_NAME, "display_name": "trustgraph: who can reach which AWS IAM role",
                   "version": f"v{__version__}", "namespace": BLOODHOUND_NAMESPACE},
        "node_kinds": list(node_kinds.values()),
        "relationship_kinds": list(relationship_kinds.values()),
    }


def _bare(name: str) -> str:
    return name.removeprefix(namespaced(""))


def _node_kind(name: str, legend: str) -> dict[str, Any]:
    words = legend or _bare(name)
    return {"name": name, "display_name": f"{_bare(name)} (trustgraph)",
            "description": f"trustgraph node: {words}", "is_display_kind": False}


def _relationship_kind(name: str, legend: str) -> dict[str, Any]:
    return {"name": name, "description": f"trustgraph edge: {legend or _bare(name)}", "is_traversable": True}


# -- the rules BloodHound's docs and ingest set for ids and kinds, as checks --------------------------------------

def id_problems(document: Mapping[str, Any]) -> list[str]:
    """What breaks BloodHound's handling of node ids: a colon (Search and Pathfinding read the text before it as a
    kind filter), two ids equal once upper-cased (ingest upper-cases them: the nodes would merge), an edge end
    that names no node once upper-cased."""
    problems = []
    seen: dict[str, str] = {}
    for node in document["graph"]["nodes"]:
        node_id = node["id"]
        if ":" in node_id:
            problems.append(f"node id {node_id!r} has a colon")
        upper = node_id.upper()
        if upper in seen:
            problems.append(f"node ids {seen[upper]!r} and {node_id!r} are one once upper-cased")
        seen.setdefault(upper, node_id)
    for edge in document["graph"].get("edges", ()):
        for end in ("start", "end"):
            value = edge[end].get("value", "")
            if edge[end].get("match_by", "id") == "id" and value.upper() not in seen:
                problems.append(f"edge {end} {value!r} names no node")
    return problems


def kind_problems(document: Mapping[str, Any], extension: Mapping[str, Any]) -> list[str]:
    """Node and edge kinds outside the extension's namespace or not declared in it (such a node or edge stays out
    of the structured graph: no Pathfinding through it), and the namespace rules of the schema itself."""
    problems = extension_problems(extension)
    declared_nodes = {k["name"] for k in extension.get("node_kinds", ())}
    declared_edges = {k["name"] for k in extension.get("relationship_kinds", ())}
    prefix = f"{extension['schema']['namespace']}_"
    for node in document["graph"]["nodes"]:
        for kind in node["kinds"]:
            if not kind.startswith(prefix) or kind not in declared_nodes:
                problems.append(f"node {node['id']!r}: kind {kind!r} is not a node kind of namespace {prefix}")
    for edge in document["graph"].get("edges", ()):
        if not edge["kind"].startswith(prefix) or edge["kind"] not in declared_edges:
            problems.append(f"edge kind {edge['kind']!r} is not a relationship kind of namespace {prefix}")
    return problems


def extension_problems(extension: Mapping[str, Any]) -> list[str]:
    """The rules BloodHound checks on upload of an extension schema beyond its JSON shape (validateGraphExtension
    in SpecterOps/BloodHound cmd/api/src/services/opengraphschema/extension.go; the docs' Namespacing section):
    each name `<namespace>_<more>`, no name twice across node and relationship kinds, no `tag` namespace."""
    namespace = str(extension.get("schema", {}).get("namespace", ""))
    problems = [] if namespace else ["the schema has no namespace"]
    if namespace.lower() == "tag":
        problems.append("the namespace tag is reserved")
    seen: set[str] = set()
    for section in ("node_kinds", "relationship_kinds"):
        for entry in extension.get(section, ()):
            name = str(entry.get("name", ""))
            if not name.startswith(f"{namespace}_") or name == f"{namespace}_":
                problems.append(f"{section} {name!r} is not {namespace}_<name>")
            if name in seen:
                problems.append(f"{section} {name!r} is declared twice")
            seen.add(name)
    return problems


def traversable_kinds(extension: Mapping[str, Any]) -> frozenset[str]:
    """The relationship kinds BloodHound's Pathfinding follows under this extension schema."""
    return frozenset(k["name"] for k in extension.get("relationship_kinds", ()) if k.get("is_traversable"))


def untraversable(graph: nx.DiGraph, extension: Mapping[str, Any]) -> list[str]:
    """The edge kinds of `graph` (trustgraph's kinds) that Pathfinding would not follow under `extension`."""
    follow = traversable_kinds(extension)
    return sorted({str(kind) for kind in _edge_kinds(graph) if edge_names(kind).bloodhound not in follow})


def _edge_kinds(graph: nx.DiGraph) -> Iterable[Any]:
    return {data.get("kind") for *_, data in graph.edges(data=True)}
