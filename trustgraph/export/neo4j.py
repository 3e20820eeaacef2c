"""Neo4j: CSV files for `neo4j-admin database import full`, and Cypher scripts that load the same files.

Node files are grouped by label set (`nodes-AWSRole.csv`), relationship files by type
(`rels-STS_ASSUMEROLE_ALLOW.csv`). Headers use the import tool's syntax: `id:ID`, `:LABEL`, `:START_ID`,
`:END_ID`, `:TYPE`, typed properties `name:boolean`, `name:long`, `name:double`, and `name:string[]`
with `;` between items (the import tool's default array delimiter). Every node has the `TrustGraph` label
and an `id` property (the trustgraph node id), nodes with an ARN also `arn`, and so do service and federated
principals: their name, which is Cartography's `arn` for them.

`load.cypher` loads the same CSVs into a running Neo4j (5.23 or later) with `LOAD CSV WITH HEADERS` and
`MERGE`, keyed as Cartography keys its nodes, so that on a Cartography database nothing is duplicated or lost:
each principal row with an `arn` (an ARN, a service name, a federated provider as the trust policy writes it:
Cartography's key) is merged on `AWSPrincipal {arn}`, the key chosen per row, every other row on
`TrustGraph {id}`; an empty cell never replaces a property already there. `load-kuzu.cypher` loads them into
LadybugDB (Kùzu's maintained fork; the file keeps its name), an embedded Cypher database (one node table
`TrustGraph`, one relationship table per type), which the tests use to run the queries of docs/export.md.

Data text goes through `csv_text`: `text.visible` (one line; a control character would end a CSV record), then
a `'` before a value that a spreadsheet would run as a formula (docs/export.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import networkx as nx

from trustgraph.export.kinds import (
    CARTOGRAPHY_NAMED_LABELS,
    COMMON_LABEL,
    PRINCIPAL_LABEL,
    neo4j_type,
    node_names,
)
from trustgraph.export.properties import LIST_SEPARATOR, EdgeFlattener, Value, node_properties
from trustgraph.text import visible

Progress = Callable[[int, int | None], None]

# The import tool's type names; a key whose values differ in type across nodes is written as string.
_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
_KUZU_TYPES = {"boolean": "BOOLEAN", "long": "INT64", "double": "DOUBLE", "string": "STRING",
               "string[]": "STRING[]"}
_KEY = re.compile(r"[^A-Za-z0-9_]")
# LadybugDB (like Kùzu before it) guesses a CSV's dialect from its first rows by default: when they quote nothing,
# a later quoted field with a comma (evidence text) is split there and the row has too many columns.
_KUZU_CSV = "(header=true, delim=',', quote='\"', escape='\"', auto_detect=false)"
BATCH = 10_000  # rows per transaction in load.cypher: an org-wide graph in one transaction needs a large heap
ARN = "arn"  # Cartography's key of its AWS principals


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the property name (letters, digits, underscores)
    type: str  # boolean, long, double, string or string[]
    source: str  # the attribute it holds, as named in the graph

    @property
    def header(self) -> str:
        return self.key if self.type == "string" else f"{self.key}:{self.type}"


@dataclass(slots=True)
class Table:
    """One CSV file: its header line and rows, each cell as text."""

    header: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass(slots=True)
class Neo4jExport:
    tables: dict[str, Table]  # file name → content
    scripts: dict[str, str]  # file name → Cypher text
    node_files: list[str]
    relationship_files: list[str]


# A cell a spreadsheet reads as a formula starts with one of these (OWASP CSV injection, ASVS 1.2.10; tab, CR
# and NUL never start a cell here, `visible` writes them as `\x09`-style escapes). `'` is the prefix itself:
# a value that starts with it gets one more, so that dropping one leading `'` always gives the value back.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0", "'")


def csv_text(value: object) -> str:
    """Data text for a CSV cell (or one item of a list cell): control characters as visible escapes, and a
    leading `'` when the text starts with a formula character. Ids and the `:START_ID`/`:END_ID` that refer to
    them go through it alike, so they still match."""
    text = visible(value, one_line=True)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def _cell(value: Value | None, column: Column) -> str:
    if value is None:
        return ""
    if column.type == "string[]":
        items = value if isinstance(value, list) else [value]
        return LIST_SEPARATOR.join(csv_text(_plain(v)) for v in items)
    if column.type != "string":
        return _plain(value)  # a number or boolean: `-1` is a number to a spreadsheet, not a formula
    return csv_text(_plain(value))


def _plain(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _columns(records: Iterable[dict[str, Value]], skip: set[str]) -> list[Column]:
    seen: dict[str, set[str]] = {}
    for props in records:
        for key, value in props.items():
            if key in skip:
                continue
            kind = "string[]" if isinstance(value, list) else _TYPES.get(type(value), "string")
            seen.setdefault(key, set()).add(kind)
    columns = []
    for key, kinds in seen.items():
        kind = kinds.pop() if len(kinds) == 1 else ("string[]" if "string[]" in kinds else "string")
        columns.append(Column(_KEY.sub("_", key), kind, key))
    return columns


def _file_part(labels: Iterable[str]) -> str:
    return "_".join(label for label in labels if label not in (PRINCIPAL_LABEL, COMMON_LABEL))


def neo4j_export(graph: nx.DiGraph, progress: Progress | None = None) -> Neo4jExport:
    total = graph.number_of_nodes() + graph.number_of_edges()
    node_labels_of = {node: (*node_names(data.get("kind"), bool(data.get("hub"))).neo4j, COMMON_LABEL)
                      for node, data in graph.nodes(data=True)}
    node_props = {node: _with_key(node_properties(graph, node), node, node_labels_of[node]) for node in graph}
    node_columns = _columns(node_props.values(), {"id"})
    node_tables: dict[str, Table] = {}
    node_labels: dict[str, tuple[str, ...]] = {}
    node_header = ["id:ID"] + [c.header for c in node_columns] + [":LABEL"]
    for done, (node, props) in enumerate(node_props.items(), 1):
        labels = node_labels_of[node]
        name = f"nodes-{_file_part(labels)}.csv"
        node_labels[name] = labels
        table = node_tables.setdefault(name, Table(node_header))
        row = [csv_text(node)] + [_cell(props.get(c.source), c) for c in node_columns]
        table.rows.append(row + [";".join(labels)])
        if progress and done % 10_000 == 0:
            progress(done, total)

    flatten = EdgeFlattener()
    edge_props = [(a, b, flatten(data)) for a, b, data in graph.edges(data=True)]
    edge_columns = _columns((p for _, _, p in edge_props), set())
    edge_header = [":START_ID", ":END_ID"] + [c.header for c in edge_columns] + [":TYPE"]
    rel_tables: dict[str, Table] = {}
    rel_types: dict[str, str] = {}
    for done, (a, b, props) in enumerate(edge_props, len(node_props) + 1):
        rel_type = neo4j_type(str(props.get("kind")), bool(props.get("conditional")))
        name = f"rels-{rel_type}.csv"
        rel_types[name] = rel_type
        table = rel_tables.setdefault(name, Table(edge_header))
        row = [csv_text(a), csv_text(b)]
        table.rows.append(row + [_cell(props.get(c.source), c) for c in edge_columns] + [rel_type])
        if progress and done % 10_000 == 0:
            progress(done, total)
    if progress:
        progress(total, total)

    node_files = sorted(node_tables)
    rel_files = sorted(rel_tables)
    keys = {name: _keys(table, node_columns, node_labels[name]) for name, table in node_tables.items()}
    node_sets = {name: _filled(table, node_columns, 1) for name, table in node_tables.items()}
    edge_sets = {name: _filled(table, edge_columns, 2) for name, table in rel_tables.items()}
    scripts = {
        "load.cypher": _neo4j_script(node_files, node_labels, node_sets, keys, rel_files, rel_types, edge_sets),
        "load-kuzu.cypher": _kuzu_script(node_files, node_columns, rel_files, rel_types, edge_columns),
    }
    return Neo4jExport({**node_tables, **rel_tables}, scripts, node_files, rel_files)


def _with_key(props: dict[str, Value], node: str, labels: tuple[str, ...]) -> dict[str, Value]:
    """A service or federated principal gets Cartography's key too: its name, as the trust policy writes it."""
    if ARN not in props and CARTOGRAPHY_NAMED_LABELS & set(labels):
        props[ARN] = str(node)
    return props


def _filled(table: Table, columns: list[Column], offset: int) -> list[Column]:
    """The columns load.cypher sets from a file: those with a value in some row, and every list (an empty one
    gives [] on a new node). Setting a column empty in every row would change nothing (an empty cell keeps what
    is there): left out, the statements stay short enough to read and to check."""
    return [c for i, c in enumerate(columns, offset)
            if c.type == "string[]" or any(row[i] for row in table.rows)]


def _keys(table: Table, columns: list[Column], labels: tuple[str, ...]) -> tuple[bool, bool]:
    """Whether some rows of a node file are merged on `AWSPrincipal {arn}`, and whether some on `TrustGraph {id}`:
    principal rows with an arn on the first, all others on the second (one unresolved principal without an ARN
    does not move the rest of its file off Cartography's key)."""
    index = next((i for i, c in enumerate(columns) if c.key == ARN), None)
    if PRINCIPAL_LABEL not in labels or index is None:
        return False, True
    with_arn = sum(1 for row in table.rows if row[index + 1])
    return with_arn > 0, with_arn < len(table.rows)


def _tick(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _neo4j_value(column: Column, current: str) -> str:
    """The value `current` (`n.key`) gets from the row: the cell converted to its type, or, for an empty cell
    (read as null, or as ''), what is already there: setting null would delete a property Cartography wrote,
    such as a role's `path`. An empty list cell gives [] on a new node."""
    field_ = f"row.{_tick(column.header)}"
    if column.type == "boolean":
        value = f"toBoolean({field_})"
    elif column.type == "long":
        value = f"toInteger({field_})"
    elif column.type == "double":
        value = f"toFloat({field_})"
    elif column.type == "string[]":
        value, current = f"split({field_}, '{LIST_SEPARATOR}')", f"coalesce({current}, [])"
    else:
        value = field_
    return f"CASE WHEN coalesce({field_}, '') = '' THEN {current} ELSE {value} END"


def _neo4j_sets(variable: str, columns: list[Column]) -> list[str]:
    return [f"{variable}.{_tick(c.key)} = {_neo4j_value(c, f'{variable}.{_tick(c.key)}')}" for c in columns]


def _neo4j_statement(source: str, where: str, body: list[str], sets: list[str]) -> list[str]:
    lines = [f"LOAD CSV WITH HEADERS FROM 'file:///{source}' AS row"]
    if where:
        lines.append(f"WITH row WHERE {where}")
    lines += ["CALL (row) {", *("  " + line for line in body), "  SET " + (",\n      ".join(sets)),
              f"}} IN TRANSACTIONS OF {BATCH} ROWS;", ""]
    return lines


def _neo4j_script(node_files: list[str], node_labels: dict[str, tuple[str, ...]],
                  node_sets: dict[str, list[Column]], keys: dict[str, tuple[bool, bool]], rel_files: list[str],
                  rel_types: dict[str, str], edge_sets: dict[str, list[Column]]) -> str:
    lines = [
        "// trustgraph export: load the CSV files of this directory into Neo4j (5.23 or later).",
        "// Copy them into the database's import directory, then: cypher-shell -f load.cypher",
        f"// Each file is loaded in transactions of {BATCH:,} rows: cypher-shell runs them as they are; in Neo4j",
        "// Browser, prefix each of those statements with :auto.",
        "// Principals are merged on Cartography's key, AWSPrincipal {arn}, where the row has one; the other rows on",
        f"// {COMMON_LABEL} {{id}}. An empty cell keeps the property already there.",
        f"CREATE CONSTRAINT trustgraph_id IF NOT EXISTS FOR (n:{COMMON_LABEL}) REQUIRE n.id IS UNIQUE;",
    ]
    if any(by_arn for by_arn, _ in keys.values()):
        lines.append(f"CREATE INDEX trustgraph_{PRINCIPAL_LABEL.lower()}_arn IF NOT EXISTS "
                     f"FOR (n:{PRINCIPAL_LABEL}) ON (n.{ARN});")
    lines.append("")
    for name in node_files:
        labels = node_labels[name]
        sets = ["n:" + ":".join(_tick(label) for label in labels), "n.id = row.`id:ID`",
                *_neo4j_sets("n", node_sets[name])]
        by_arn, by_id = keys[name]
        if by_arn:
            lines += _neo4j_statement(name, f"coalesce(row.{ARN}, '') <> ''",
                                      [f"MERGE (n:{PRINCIPAL_LABEL} {{{ARN}: row.{ARN}}})"], sets)
        if by_id:
            lines += _neo4j_statement(name, f"coalesce(row.{ARN}, '') = ''" if by_arn else "",
                                      [f"MERGE (n:{COMMON_LABEL} {{id: row.`id:ID`}})"], sets)
    for name in rel_files:
        # Two MATCH clauses: one comma-separated pattern of two parts is a cartesian product to Neo4j's linter.
        body = [f"MATCH (a:{COMMON_LABEL} {{id: row.`:START_ID`}})", f"MATCH (b:{COMMON_LABEL} {{id: row.`:END_ID`}})",
                f"MERGE (a)-[r:{_tick(rel_types[name])}]->(b)"]
        lines += _neo4j_statement(name, "", body, _neo4j_sets("r", edge_sets[name]))
    return "\n".join(lines)


def _kuzu_script(node_files: list[str], node_columns: list[Column], rel_files: list[str],
                 rel_types: dict[str, str], edge_columns: list[Column]) -> str:
    def ddl(columns: list[Column]) -> str:
        return ", ".join(f"{_tick(c.key)} {_KUZU_TYPES[c.type]}" for c in columns)

    def load_columns(columns: list[Column]) -> str:
        # Read every column as text first: lists are `;`-joined in the CSV and are split below.
        return ", ".join(f"{_tick('c_' + c.key)} {'STRING' if c.type == 'string[]' else _KUZU_TYPES[c.type]}"
                         for c in columns)

    def values(columns: list[Column]) -> str:
        # In the table's column order: COPY matches by position.
        out = []
        for c in columns:
            source = _tick("c_" + c.key)
            if c.type == "string[]":
                source = f"list_filter(string_split(coalesce({source}, ''), '{LIST_SEPARATOR}'), x -> x <> '')"
            out.append(source)
        return ", ".join(out)

    # COPY … FROM (LOAD …): the bulk path. (Per-row MATCH … CREATE exhausts Kùzu's buffer pool on org-wide graphs.)
    lines = ["// trustgraph export: load the CSV files of this directory into LadybugDB (Kùzu's maintained fork;",
             "// run from this directory).",
             f"CREATE NODE TABLE {COMMON_LABEL}(id STRING PRIMARY KEY, {ddl(node_columns)}, labels STRING[]);"]
    for name in rel_files:
        lines.append(f"CREATE REL TABLE {_tick(rel_types[name])}(FROM {COMMON_LABEL} TO {COMMON_LABEL}, "
                     f"{ddl(edge_columns)});")
    for name in node_files:
        lines.append(f"COPY {COMMON_LABEL} FROM (LOAD WITH HEADERS (c_id STRING, {load_columns(node_columns)}, "
                     f"c_labels STRING) FROM '{name}' {_KUZU_CSV} "
                     f"RETURN c_id, {values(node_columns)}, string_split(c_labels, ';'));")
    for name in rel_files:
        lines.append(f"COPY {_tick(rel_types[name])} FROM (LOAD WITH HEADERS (c_start STRING, c_end STRING, "
                     f"{load_columns(edge_columns)}, c_type STRING) FROM '{name}' {_KUZU_CSV} "
                     f"RETURN c_start, c_end, {values(edge_columns)});")
    return "\n".join(lines) + "\n"
