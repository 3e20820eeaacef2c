"""load.cypher loaded over a Cartography graph: every node keyed the way Cartography keys it (the key chosen per
row), no empty cell over a property Cartography wrote, and trustgraph's own relationship types where its meaning
is not Cartography's (hub membership, trust under conditions), so Cartography's queries answer as before.

The Cartography graph is a small one shaped as its models write it (cartography-cncf/cartography,
cartography/models/aws/iam/: role.py, user.py, group.py, service_principal.py, federated_principal.py,
root_principal.py, group_membership.py, sts_assumerole_allow.py): every principal keyed by `id` = `arn`, and
`arn` a service name for a service principal, the provider as written for a federated one.

The engine is LadybugDB (embedded; FalkorDB's embedded build needs Python 3.12), run in a child process by
tests/ladybug_run.py. It runs each statement of the real load.cypher after a mechanical rewrite (`translate`):
the rows of `LOAD CSV` come in as a parameter (an empty cell as null, as Neo4j's LOAD CSV reads it), `CALL (row)
{ … } IN TRANSACTIONS` is dropped, and LadybugDB's one node table `N` stands for every label: labels become a list
property, and the two labels the script merges and matches on (AWSPrincipal, TrustGraph) also boolean properties
`is_AWSPrincipal`, `is_TrustGraph` that its patterns carry, so a MERGE matches and creates as Neo4j's does with
the label. LadybugDB's names for toBoolean/toInteger/toFloat/split replace Neo4j's, and a relationship's two
ends are matched in a WHERE (a LadybugDB bug). The keys, the per-row choice, the empty-cell rule and
the relationship types are the script's own.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import networkx as nx
import pytest

from tests.export.test_export import LadybugDatabase, _write
from trustgraph.export.kinds import edge_names, neo4j_type
from trustgraph.export.neo4j import neo4j_export

ACCOUNT = "111111111111"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Deploy"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/Build"  # trustgraph's only: its path makes the role file set paths
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
GROUP = f"arn:aws:iam::{ACCOUNT}:group/devs"
ROOT_PRINCIPAL = f"arn:aws:iam::{ACCOUNT}:root"
PARTNER = "arn:aws:iam::222222222222:role/Partner"  # in Cartography's graph; to trustgraph an unresolved principal
SERVICE = "ec2.amazonaws.com"
GOOGLE = "accounts.google.com"
DELETED = "AROAEXAMPLEDELETEDROLE"  # a deleted principal, as a trust policy shows it: no ARN

# Cartography's nodes: (labels, properties) as its models write them.
CARTOGRAPHY_NODES = [
    (["AWSAccount"], {"id": ACCOUNT, "name": "prod", "lastupdated": 1}),
    (["AWSRole", "AWSPrincipal"], {"id": ROLE, "arn": ROLE, "name": "Deploy", "path": "/ci/",
                                   "roleid": "AROADEPLOY", "createdate": "2024-01-01", "lastupdated": 1}),
    (["AWSRole", "AWSPrincipal"], {"id": PARTNER, "arn": PARTNER, "name": "Partner", "path": "/partners/",
                                   "roleid": "AROAPARTNER", "lastupdated": 1}),
    (["AWSUser", "AWSPrincipal"], {"id": USER, "arn": USER, "name": "alice", "path": "/", "userid": "AIDAALICE",
                                   "lastupdated": 1}),
    (["AWSGroup", "AWSPrincipal"], {"id": GROUP, "arn": GROUP, "name": "devs", "path": "/", "groupid": "AGPADEVS",
                                    "lastupdated": 1}),
    (["AWSServicePrincipal", "AWSPrincipal"], {"id": SERVICE, "arn": SERVICE, "type": "Service", "lastupdated": 1}),
    (["AWSFederatedPrincipal", "AWSPrincipal"], {"id": GOOGLE, "arn": GOOGLE, "type": "Federated",
                                                 "lastupdated": 1}),
    (["AWSRootPrincipal", "AWSPrincipal"], {"id": ROOT_PRINCIPAL, "arn": ROOT_PRINCIPAL, "lastupdated": 1}),
]
CARTOGRAPHY_RELS = [
    (ACCOUNT, "RESOURCE", ROLE),
    (ROLE, "TRUSTS_AWS_PRINCIPAL", USER),
    (USER, "STS_ASSUMEROLE_ALLOW", ROLE),  # alice's policies allow sts:AssumeRole on it, and the trust admits her
    (USER, "MEMBER_AWS_GROUP", GROUP),
    (USER, "MEMBER_OF", GROUP),  # Cartography's canonical (:UserAccount)-[:MEMBER_OF]->(:UserGroup)
]
# Two Cartography queries: who can assume which role, and who is in which group.
CAN_ASSUME = "MATCH (p:N)-[:STS_ASSUMEROLE_ALLOW]->(r:N) RETURN p.arn, r.arn ORDER BY p.arn, r.arn"
GROUPS = "MATCH (u:N)-[:MEMBER_OF]->(g:N) RETURN u.arn, g.arn ORDER BY u.arn, g.arn"
KEYED = ("AWSPrincipal", "TrustGraph")  # the labels load.cypher merges or matches on
PROPERTIES = ["id", "arn", "name", "path", "roleid", "userid", "groupid", "createdate", "type", "lastupdated"]


def trustgraph_graph() -> nx.DiGraph:
    """What trustgraph builds for the same account: the role without its path (known only from its trust policy),
    the partner role unresolved, a deleted principal without an ARN, an account hub, a conditional trust."""
    graph = nx.DiGraph()
    graph.add_node(ROLE, kind="role", label="Deploy", account=ACCOUNT, in_data=True)
    graph.add_node(OTHER_ROLE, kind="role", label="Build", account=ACCOUNT, in_data=True, path="/ci/")
    graph.add_node(USER, kind="user", label="alice", account=ACCOUNT, in_data=True, path="/")
    graph.add_node(PARTNER, kind="unknown", label="Partner", in_data=False)
    graph.add_node(DELETED, kind="unknown", label=DELETED, in_data=False)
    graph.add_node(SERVICE, kind="service", label=SERVICE, in_data=False)
    graph.add_node(GOOGLE, kind="federated", label=GOOGLE, in_data=False, provider_type="oidc")
    graph.add_node(ROOT_PRINCIPAL, kind="account", label="prod", account=ACCOUNT, hub=True, collected=True)
    plain = {"conditional": False, "conditions": [], "classification": "same-account", "scope": "same-account"}
    graph.add_edge(USER, ROLE, kind="assume", **plain)
    graph.add_edge(USER, ROOT_PRINCIPAL, kind="member", **plain)
    graph.add_edge(ROOT_PRINCIPAL, ROLE, kind="assume", **plain)
    graph.add_edge(SERVICE, ROLE, kind="service", **{**plain, "classification": "aws-service"})
    graph.add_edge(GOOGLE, ROLE, kind="web-identity", **{**plain, "classification": "external-federated"})
    graph.add_edge(PARTNER, ROLE, kind="assume", conditional=True, conditions=["sts:ExternalId"],
                   classification="external-unknown", scope="cross-account")
    graph.add_edge(DELETED, ROLE, kind="assume", **{**plain, "classification": "external-unknown"})
    return graph


_TYPES = {"": "STRING", "boolean": "BOOLEAN", "long": "INT64", "double": "DOUBLE", "string[]": "STRING[]"}
_CONVERT = {"toBoolean": "BOOLEAN", "toInteger": "INT64", "toFloat": "DOUBLE"}


def _columns(headers: list[list[str]], skip: set[str]) -> dict[str, str]:
    columns: dict[str, str] = {}
    for header in headers:
        for cell in header:
            key, _, kind = cell.partition(":")
            if key and key not in skip:
                columns[key] = _TYPES[kind]
    return columns


def schema(directory: Path, rel_types: set[str]) -> list[str]:
    """LadybugDB tables for the Cartography graph and the export: one node table, one rel table per type."""
    headers = {p.name: next(csv.reader(p.open(encoding="utf-8"))) for p in directory.glob("*.csv")}
    nodes = {**{k: "STRING" for k in PROPERTIES}, "lastupdated": "INT64",
             **{f"is_{label}": "BOOLEAN" for label in KEYED},
             **_columns([h for n, h in headers.items() if n.startswith("nodes-")], {"id"})}
    edges = {"lastupdated": "INT64", **_columns([h for n, h in headers.items() if n.startswith("rels-")], set())}
    ddl = ["CREATE NODE TABLE N(k SERIAL PRIMARY KEY, labels STRING[], "
           + ", ".join(f"`{k}` {t}" for k, t in nodes.items()) + ")"]
    ddl += [f"CREATE REL TABLE `{t}`(FROM N TO N, " + ", ".join(f"`{k}` {v}" for k, v in edges.items()) + ")"
            for t in sorted(rel_types)]
    return ddl


def cartography_graph() -> list[tuple[str, dict]]:
    # LadybugDB takes no map parameter as a pattern: properties one by one.
    statements = []
    for labels, props in CARTOGRAPHY_NODES:
        keyed = {f"is_{label}": True for label in KEYED if label in labels}
        values = list({**props, **keyed}.items())
        statements.append(("CREATE (n:N {" + ", ".join(f"`{k}`: $p{i}" for i, (k, _) in enumerate(values)) + "}) "
                           "SET n.labels = $labels", {**{f"p{i}": v for i, (_, v) in enumerate(values)},
                                                      "labels": labels}))
    statements += [(f"MATCH (a:N {{id: $a}}), (b:N {{id: $b}}) CREATE (a)-[:`{t}` {{lastupdated: 1}}]->(b)",
                    {"a": a, "b": b}) for a, t, b in CARTOGRAPHY_RELS]
    return statements


def translate(statement: str, directory: Path, empty: str | None = None) -> tuple[str, dict] | None:
    """One statement of load.cypher as LadybugDB runs it (the module docstring lists the rewrites)."""
    if statement.startswith("CREATE "):
        return None  # the constraint and index: nothing to check here
    source = re.match(r"LOAD CSV WITH HEADERS FROM 'file:///([^']+)' AS row\n", statement)
    assert source, statement
    with open(directory / source[1], newline="", encoding="utf-8") as fh:
        rows = [{k: (v if v != "" else empty) for k, v in row.items()} for row in csv.DictReader(fh)]
    text = "UNWIND $rows AS row\n" + statement[source.end():]
    text = text.replace("CALL (row) {\n", "")
    text = re.sub(r"\n\} IN TRANSACTIONS OF \d+ ROWS$", "", text)
    # LadybugDB 0.15 fails ("unordered_map::at") to MERGE a relationship between nodes matched by a property
    # pattern on an UNWIND variable; the same match as a WHERE works.
    text = re.sub(r"MATCH \(a:TrustGraph \{id: ([^}]+)\}\)\n\s*MATCH \(b:TrustGraph \{id: ([^}]+)\}\)",
                  r"MATCH (a:N), (b:N) WHERE a.id = \1 AND b.id = \2 AND a.is_TrustGraph AND b.is_TrustGraph", text)
    text = re.sub(r"\((\w):(AWSPrincipal|TrustGraph) \{(\w+): ([^}]+)\}\)", r"(\1:N {\3: \4, is_\2: true})", text)
    text = re.sub(r"SET n:((?:`\w+`:?)+),", _set_labels, text)
    text = re.sub(r"(toBoolean|toInteger|toFloat)\((row\.`[^`]+`)\)", lambda m: f"CAST({m[2]} AS {_CONVERT[m[1]]})",
                  text)
    text = text.replace("split(row.", "string_split(row.")
    return text, {"rows": rows}


def _set_labels(match: re.Match[str]) -> str:
    labels = re.findall(r"`(\w+)`", match[1])
    keyed = "".join(f"n.is_{label} = true, " for label in KEYED if label in labels)
    return ("SET " + keyed + "n.labels = list_distinct(list_concat(coalesce(n.labels, []), ["
            + ", ".join(f"'{label}'" for label in labels) + "])),")


def statements_of(script: str) -> list[str]:
    text = "\n".join(line for line in script.splitlines() if not line.startswith("//"))
    return [s.strip().removesuffix(";") for s in text.split(";\n") if s.strip()]


class Loaded:
    """The Cartography graph in LadybugDB, then load.cypher over it; `load` runs the script (again)."""

    def __init__(self, directory: Path, script: str, empty: str | None = None) -> None:
        self.directory = directory
        self.database = LadybugDatabase(directory)
        statements = [t for s in statements_of(script) if (t := translate(s, directory, empty))]
        types = set(re.findall(r"\[r:`(\w+)`\]", script)) | {t for _, t, _ in CARTOGRAPHY_RELS}
        self.script = statements
        self.database.run([(s, {}) for s in schema(directory, types)] + cartography_graph())

    def load(self) -> None:
        self.database.run(self.script)

    def rows(self, text: str, **params: object) -> list[tuple]:
        return self.database.run([(text, params)])[0]


def load_over_cartography(directory: Path, graph: nx.DiGraph | None = None,
                          edit: dict[str, str] | None = None, empty: str | None = None) -> Loaded:
    pytest.importorskip("real_ladybug")
    directory.mkdir(parents=True, exist_ok=True)
    export = neo4j_export(graph if graph is not None else trustgraph_graph())
    _write(export, directory)
    script = export.scripts["load.cypher"]
    for old, new in (edit or {}).items():
        assert old in script, old
        script = script.replace(old, new)
    loaded = Loaded(directory, script, empty)
    loaded.load()
    return loaded


def _cartography_properties(loaded: Loaded) -> dict[str, dict]:
    got = loaded.rows("MATCH (n:N) WHERE n.lastupdated IS NOT NULL RETURN " + ", ".join(f"n.`{k}`" for k in PROPERTIES))
    return {row[0]: {k: v for k, v in zip(PROPERTIES, row, strict=True) if v is not None} for row in got}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    return load_over_cartography(tmp_path_factory.mktemp("cartography"))


def test_cartography_merge_duplicates_no_node(loaded: Loaded) -> None:
    ids = loaded.rows("MATCH (n:N) RETURN n.id, count(*) ORDER BY n.id")
    assert [i for i, count in ids if count > 1] == []
    arns = loaded.rows("MATCH (n:N) WHERE n.arn IS NOT NULL RETURN n.arn, count(*)")
    assert [a for a, count in arns if count > 1] == []
    # One node per principal, with Cartography's labels and trustgraph's.
    labels = dict(loaded.rows("MATCH (n:N) WHERE n.id IN $ids RETURN n.id, n.labels",
                              ids=[SERVICE, GOOGLE, PARTNER, ROLE]))
    assert labels[SERVICE] == ["AWSServicePrincipal", "AWSPrincipal", "TrustGraph"]
    assert labels[GOOGLE] == ["AWSFederatedPrincipal", "AWSPrincipal", "TrustGraph"]
    assert labels[PARTNER] == ["AWSRole", "AWSPrincipal", "AWSUnknownPrincipal", "TrustGraph"]
    assert len(ids) == len(CARTOGRAPHY_NODES) + 2  # the nodes trustgraph adds: the deleted principal, a role


def test_cartography_merge_loses_no_property(loaded: Loaded) -> None:
    got = _cartography_properties(loaded)
    lost = {id_: {k: (v, got[id_].get(k)) for k, v in props.items() if got[id_].get(k) != v}
            for id_, props in ((p["id"], p) for _, p in CARTOGRAPHY_NODES)}
    assert {id_: changed for id_, changed in lost.items() if changed} == {}
    assert got[GOOGLE]["name"] == GOOGLE  # what trustgraph adds, beside
    # trustgraph's own properties are there too.
    assert loaded.rows("MATCH (n:N {id: $id}) RETURN n.kind, n.hub, n.account", id=ROLE) == [("role", False, ACCOUNT)]


def test_cartography_merge_twice_changes_nothing(tmp_path: Path) -> None:
    loaded = load_over_cartography(tmp_path)
    query = "MATCH (n:N) OPTIONAL MATCH (n)-[r]->() RETURN n.id, n.labels, n.path, count(r) ORDER BY n.id"
    before = loaded.rows(query)
    loaded.load()
    assert loaded.rows(query) == before


def test_key_is_chosen_per_row_so_one_row_without_arn_moves_no_other(loaded: Loaded, tmp_path: Path) -> None:
    # The unresolved principals' file holds a row without ARN (keyed on its id) and one with (on Cartography's
    # key): the partner role is Cartography's node, the deleted principal a node of its own.
    assert loaded.rows("MATCH (n:N {id: $id}) RETURN n.arn, n.labels", id=DELETED) == \
        [(None, ["AWSUnknownPrincipal", "AWSPrincipal", "TrustGraph"])]
    # The control: the whole file keyed as its ARN-less row (the rule before) duplicates the partner role.
    per_file = load_over_cartography(tmp_path, edit={
        "WITH row WHERE coalesce(row.arn, '') <> ''\nCALL (row) {\n  MERGE (n:AWSPrincipal {arn: row.arn})":
            "WITH row WHERE coalesce(row.arn, '') <> ''\nCALL (row) {\n  MERGE (n:TrustGraph {id: row.`id:ID`})"})
    assert per_file.rows("MATCH (n:N {arn: $arn}) RETURN count(*)", arn=PARTNER) == [(2,)]


def test_an_empty_cell_never_replaces_a_property(loaded: Loaded, tmp_path: Path) -> None:
    # trustgraph's role has no path (an empty cell, read as null here): Cartography's stays.
    assert loaded.rows("MATCH (n:N {id: $id}) RETURN n.path", id=ROLE) == [("/ci/",)]
    # The control: setting the cell as it is (what `SET n += {…}` did) erases it.
    erasing = load_over_cartography(tmp_path / "null", edit={
        "n.`path` = CASE WHEN coalesce(row.`path`, '') = '' THEN n.`path` ELSE row.`path` END":
            "n.`path` = row.`path`"})
    assert erasing.rows("MATCH (n:N {id: $id}) RETURN n.path", id=ROLE) == [(None,)]
    # An engine that reads the empty cell as '' keeps it too.
    as_text = load_over_cartography(tmp_path / "text", empty="")
    assert as_text.rows("MATCH (n:N {id: $id}) RETURN n.path, n.labels", id=ROLE) == \
        [("/ci/", ["AWSRole", "AWSPrincipal", "TrustGraph"])]
    assert _cartography_properties(as_text) == _cartography_properties(loaded)


def test_hub_membership_leaves_cartographys_member_of_alone(loaded: Loaded) -> None:
    assert loaded.rows(GROUPS) == [(USER, GROUP)]  # Cartography's answer, as before the load
    assert loaded.rows("MATCH (u:N)-[:TRUSTGRAPH_MEMBER_OF]->(h:N) RETURN u.id, h.id") == [(USER, ROOT_PRINCIPAL)]
    # The control: the member edge was Cartography's MEMBER_OF type before, and would answer this query.
    assert edge_names("member").neo4j == "TRUSTGRAPH_MEMBER_OF" != "MEMBER_OF"


def test_conditional_trust_is_not_cartographys_can_assume(loaded: Loaded) -> None:
    can_assume = loaded.rows(CAN_ASSUME)
    assert (PARTNER, ROLE) not in can_assume  # trusted only with an external id
    assert loaded.rows("MATCH (p:N)-[r:CONDITIONAL_STS_ASSUMEROLE_ALLOW]->(t:N) RETURN p.id, t.id, r.conditions") \
        == [(PARTNER, ROLE, ["sts:ExternalId"])]
    # The control: an unconditional trust is Cartography's relationship (merged onto alice's, one edge).
    assert (USER, ROLE) in can_assume
    assert loaded.rows("MATCH (p:N {id: $id})-[r:STS_ASSUMEROLE_ALLOW]->() RETURN count(r), r.lastupdated, r.hop",
                       id=USER) == [(1, 1, 1)]
    assert neo4j_type("assume", True) == "CONDITIONAL_STS_ASSUMEROLE_ALLOW"


# --- The rules in the export itself (no database) ------------------------------------------------------------

def test_service_and_federated_principals_are_keyed_on_their_name_as_cartography_keys_them() -> None:
    export = neo4j_export(trustgraph_graph())
    for name, node in (("nodes-AWSServicePrincipal.csv", SERVICE), ("nodes-AWSFederatedPrincipal.csv", GOOGLE)):
        table = export.tables[name]
        assert table.rows[0][table.header.index("arn")] == node, name
    # The control: a principal of no Cartography kind without an ARN (a deleted one) has no key.
    table = export.tables["nodes-AWSUnknownPrincipal.csv"]
    assert {r[0]: r[table.header.index("arn")] for r in table.rows} == {DELETED: "", PARTNER: PARTNER}


def test_key_is_chosen_per_row_in_the_script() -> None:
    script = neo4j_export(trustgraph_graph()).scripts["load.cypher"]
    unknown = [s for s in statements_of(script) if "nodes-AWSUnknownPrincipal.csv" in s]
    assert [s.splitlines()[1] for s in unknown] == ["WITH row WHERE coalesce(row.arn, '') <> ''",
                                                      "WITH row WHERE coalesce(row.arn, '') = ''"]
    # The control: a file whose rows all have an ARN gets the arn statement only.
    assert len([s for s in statements_of(script) if "nodes-AWSRole.csv" in s]) == 1


def test_an_empty_cell_keeps_the_property_in_the_script() -> None:
    script = neo4j_export(trustgraph_graph()).scripts["load.cypher"]
    assert "+=" not in script
    assert "n.`path` = CASE WHEN coalesce(row.`path`, '') = '' THEN n.`path` ELSE row.`path` END" in script
    # A column empty in every row of a file is not set from it (it would change nothing): the control is the
    # user file, whose path is set, against the service file, whose rows have none.
    service = next(s for s in statements_of(script) if "nodes-AWSServicePrincipal.csv" in s)
    user = next(s for s in statements_of(script) if "nodes-AWSUser.csv" in s)
    assert "n.`path`" in user and "n.`path`" not in service


def test_hub_membership_has_trustgraphs_own_relationship_type() -> None:
    export = neo4j_export(trustgraph_graph())
    assert "rels-TRUSTGRAPH_MEMBER_OF.csv" in export.tables and "rels-MEMBER_OF.csv" not in export.tables
    # The control: Identity Center membership keeps its own type.
    assert edge_names("group-member").neo4j == "IDENTITY_CENTER_MEMBER_OF"


def test_conditional_trust_has_trustgraphs_own_relationship_type() -> None:
    export = neo4j_export(trustgraph_graph())
    conditional = export.tables["rels-CONDITIONAL_STS_ASSUMEROLE_ALLOW.csv"]
    assert [(r[0], r[1], r[-1]) for r in conditional.rows] == [(PARTNER, ROLE, "CONDITIONAL_STS_ASSUMEROLE_ALLOW")]
    assert conditional.rows[0][conditional.header.index("conditions:string[]")] == "sts:ExternalId"
    unconditional = export.tables["rels-STS_ASSUMEROLE_ALLOW.csv"]
    assert {(r[0], r[1]) for r in unconditional.rows} == {(USER, ROLE), (ROOT_PRINCIPAL, ROLE), (DELETED, ROLE)}
    # The control: types Cartography does not have keep theirs, conditions as properties only.
    assert neo4j_type("passrole", True) == "IAM_PASSROLE_ALLOW" == neo4j_type("passrole", False)
    assert neo4j_type("assume", False) == "STS_ASSUMEROLE_ALLOW"
