"""The saved graph: one SQLite file holding the trust graph, and optionally the snapshot it was built from.

Layout (`store_version` 3). Integer arrays are little-endian int32 BLOBs; "value ids" index the values:
an even id 2k is the k-th string of `strings`, an odd id 2k+1 the k-th JSON value of `vals`. The graph is held
twice: packed in whole-graph arrays (`nodes`, `edges`: a full load reads them at once) and by node (`adjacency`,
`node_names`: a query reads the rows of the nodes its answer touches, `trustgraph.saved.lazy`).

- `meta(key, value)`: `format` (`trustgraph/saved-graph`), `store_version`, `trustgraph_version`, the graph
  `schema`, `nodes` and `edges` counts, `node_ids` (`text`, or `json` when some node id is not a string),
  `strings` (their count), `name_buckets` (the rows of `node_names`; only with text node ids),
  `snapshot_codec` / `report_codec` (fingerprints of the model classes, when stored), `snapshot_codec.<field>`
  (an optional snapshot part's fingerprint, only when that part is stored: Identity Center data), `inputs` (JSON list,
  when given), `products` (JSON list of the analysis products stored, when some are: `marks`),
  `snapshot_sizes` (JSON: each snapshot part's size uncompressed), `data_digest` (SHA-256 over the
  contents of the tables a full load reads, see `_data_digest`), `meta_digest` (SHA-256 over every other meta row)
  and whatever else the writer adds (the build cache records its key).
- Every table but `meta`, `nodes` and `edges` is keyed by an integer or a name and has a `digest` column: SHA-256
  of the row (table name, key and content, `_row_digest`), checked whenever the row is read by key.
- `graph_attrs(pos, key, value)`: the graph-level attributes, one JSON value each, in order.
- `strings(first, text)`: every distinct string value (evidence reasons, principals, labels, node ids, …) once,
  joined by NUL characters in rows of at most `ROW_BYTES` (one SQLite page), keyed by the number of the row's
  first string (a string holding a NUL is stored in `vals` instead).
- `vals(id, value)`: every other distinct value (JSON): numbers, booleans, null, lists, dicts.
- `shapes(id, keys, containers)`: every distinct list of attribute names (JSON) in the order of the
  attribute dict, and where a node of that shape holds a list or a dict (those are copied per node).
- `nodes(run, shape, count, names, ids)`: the nodes in graph order, in runs of one shape: their ids (joined
  by NUL, or a JSON list when `node_ids` is `json`) and `count × len(shape)` value ids.
- `edge_attrs(id, record)`: every distinct edge attribute dict as `[shape, value id, …]` (JSON); the value
  id of an evidence list is -1, a placeholder for the edge's own list (the key keeps its position).
- `evidence(first, shape, count, ids)`: every distinct evidence dict once, numbered in order across runs of one
  shape (of at most `ROW_BYTES` of value ids), each run keyed by the number of its first record.
- `evidence_lists(id, ids)`: the evidence of edges citing other than exactly one record (`id,id,…`).
- `edges(name, data)`: integer arrays. Per node in node order: `out_degree`, `in_degree`. Per edge,
  grouped by source in its successor order: `dst` (node number), `attrs` (`edge_attrs` id), `evidence`
  (an evidence number, -1 when the edge has no evidence list, -2-k for `evidence_lists` row k). Per edge,
  grouped by target in its predecessor order: `pred_src` (node number), `pred_edge` (the edge's position
  in the successor order). Both orders come back as saved, so searches break ties as on the saved graph.
- `node_names(bucket, data)`: node id → node number (a JSON object), the ids spread over `name_buckets` rows by
  CRC-32 (`name_bucket`, about `NAMES_PER_BUCKET` each): finding a node reads one row, and so does finding
  that there is no such node.
- `adjacency(num, data)`: one row per node, by node number: its id's and its shape's value ids and its attribute
  value ids, then its successors (their count, then per successor in the saved order: node number, the value
  ids of its id and of its `kind`, `edge_attrs` id, evidence reference as in `edges`), then its predecessors the
  same way. A neighbour's kind is there so that `--via` can leave out hubs without reading their rows.
- `snapshot(part, data)`: zlib-compressed JSON (`trustgraph.saved.codec`): one row per Snapshot field (with the
  policy objects it shares), `_report` for the LoadReport, `_<name>` for an analysis product (`_marks`: what
  pictures mark, `trustgraph.analysis.marks`; JSON this module does not read, listed in the `products` meta row).
  A file without a product (written before products were kept, or by a command that did not make it) is read as
  before. A part is read by its key (and its row digest), without the rest of the file.

What is read back is checked before it is used: the SQLite schema must be exactly the one written (tables only,
so that no view or trigger runs; `trusted_schema` off) and the meta digest must match; a full load checks the data
digest over everything it reads, a read by key (a query, a snapshot part) each row's digest; a snapshot part is
inflated only up to its recorded size (a part that would grow beyond it is refused, not inflated). Files of
another `store_version` are refused with a hint to rebuild them.

Nothing here knows attribute names: any JSON-ready node, edge or graph attribute is stored, and loads back
as JSON gives it (tuples as lists). Packed arrays rather than a row per node or edge for the full load: reading
600k rows one by one costs more than all the rest of a load; a row per node for the queries, which read few.

Loaded graphs share identical evidence dicts (and the lists inside them) between edges: evidence is
read-only once the graph is built. Node and edge attribute dicts, and the lists and dicts in them, are
each node's and edge's own.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
import sys
import zlib
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import closing
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import quote

import networkx as nx

from trustgraph.atomic import replacing
from trustgraph.gc_pause import collector_paused
from trustgraph.load_report import LoadReport
from trustgraph.model import Snapshot
from trustgraph.saved.codec import Codec, CodecError
from trustgraph.version import __version__

SQLITE_MAGIC = b"SQLite format 3\x00"
FORMAT = "trustgraph/saved-graph"
# 2: the digests and the snapshot part sizes; 3: row digests, node_names and adjacency (queries read by key).
# The build cache key includes it.
STORE_VERSION = 3
APPLICATION_ID = 0x54477266  # "TGrf" in the SQLite header: `file` and other tools can tell the files apart
EVIDENCE_SLOT = -1  # value id of the evidence key in an edge_attrs record: the list is the edge's own
ZLIB_LEVEL = 1  # level 6 saves 20 % of the snapshot's bytes for twice the time
# Rows within one SQLite page (a longer row spills into overflow pages, half empty): a query reads the rows of
# the strings and evidence records it touches.
ROW_BYTES = 3900
NAMES_PER_BUCKET = 64  # node names per node_names row (on average)
INT32 = next(code for code in "ilh" if array(code).itemsize == 4)

SNAPSHOT_CODEC = Codec(Snapshot)
REPORT_CODEC = Codec(LoadReport)

_SCALAR_TYPES = (bool, int, float, type(None))
_CONTAINERS = (list, dict)


def _make_dumps() -> Callable[[Any], str]:
    """Compact JSON text of a value; the C encoder is built once instead of once per call."""
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - interpreters without the C accelerator
        return encoder.encode
    iterencode = make(None, encoder.default, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    return lambda value: "".join(iterencode(value, 0))


_DUMPS = _make_dumps()


def _hashable(value: Any) -> Any:
    """A dict key equal for two values exactly when their JSON texts are equal (and cheaper to compute)."""
    t = type(value)
    if t is str:
        return value
    if t is float:
        return t, value.hex()  # -0.0 == 0.0, but not as JSON
    if t in _SCALAR_TYPES:
        return t, value  # True == 1, but not (bool, True) == (int, 1)
    if t is list and all(type(x) is str for x in value):  # also the empty list
        return (list, *value)
    return None, _DUMPS(value)


def _packed(values: Iterable[int]) -> bytes:
    packed = array(INT32, values)
    if sys.byteorder == "big":  # pragma: no cover - the format is little-endian everywhere
        packed.byteswap()
    return packed.tobytes()


def _unpacked(data: bytes) -> array[int]:
    values = array(INT32)
    values.frombytes(data)
    if sys.byteorder == "big":  # pragma: no cover
        values.byteswap()
    return values


class StoreError(ValueError):
    """The file is not a saved graph this version reads (the caller names the file)."""


# ------------------------------------------------------------------------------------------- write


class _Interner:
    """Distinct values and attribute-name lists, numbered in order of first use."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.others: list[str] = []  # JSON texts
        self._strings: dict[str, int] = {}
        self._others: dict[Any, int] = {}  # _hashable(value) → id
        self.shapes: list[str] = []
        self.containers: list[set[int]] = []  # per shape: positions where a tracked record held a container
        self._shapes: dict[tuple[Any, ...], int] = {}

    def value(self, v: Any) -> int:
        if type(v) is str:
            found = self._strings.get(v)
            if found is None:
                if "\0" in v:
                    found = self._strings[v] = self._other(_DUMPS(v))
                else:
                    found = self._strings[v] = 2 * len(self.strings)
                    self.strings.append(v)
            return found
        key = _hashable(v)
        found = self._others.get(key)
        if found is None:
            found = self._others[key] = self._other(_DUMPS(v))
        return found

    def _other(self, text: str) -> int:
        self.others.append(text)
        return 2 * len(self.others) - 1

    def shape(self, keys: tuple[Any, ...]) -> int:
        found = self._shapes.get(keys)
        if found is None:
            if not all(type(k) is str for k in keys):
                raise TypeError(f"attribute names must be strings, got {keys!r}")
            found = self._shapes[keys] = len(self.shapes)
            self.shapes.append(_DUMPS(list(keys)))
            self.containers.append(set())
        return found

    def ids(self, attrs: Mapping[str, Any], placeholder: str | None = None, track: bool = False) -> list[int]:
        """The value ids of a dict's values; the value of `placeholder` (if given) is EVIDENCE_SLOT. With
        `track`, the dict's shape remembers where it holds containers."""
        strings, value = self._strings, self.value
        ids: list[int] = []
        for key, v in attrs.items():
            if type(v) is str:  # most values: one lookup, no call
                found = strings.get(v)
                if found is None:
                    found = value(v)
            elif key == placeholder:
                found = EVIDENCE_SLOT
            else:
                found = value(v)
                if track and type(v) in _CONTAINERS:
                    self.containers[self.shape(tuple(attrs))].add(len(ids))
            ids.append(found)
        return ids


class _Runs:
    """Consecutive records grouped in runs of one shape (of at most `cap` value ids): (shape, count, packed value
    ids, names)."""

    def __init__(self, cap: int | None = None) -> None:
        self.rows: list[tuple[int, int, list[int], list[Any]]] = []
        self.cap = cap  # value ids per run, at most (one record more when a record alone holds more)

    def add(self, shape: int, ids: list[int], name: Any = None) -> None:
        if (not self.rows or self.rows[-1][0] != shape
                or (self.cap is not None and len(self.rows[-1][2]) + len(ids) > self.cap)):
            self.rows.append((shape, 0, [], []))
        run_shape, count, values, names = self.rows[-1]
        values.extend(ids)
        names.append(name)
        self.rows[-1] = (run_shape, count + 1, values, names)


SCHEMA_SQL = """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE graph_attrs (pos INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT NOT NULL, digest BLOB NOT NULL);
    CREATE TABLE strings (first INTEGER PRIMARY KEY, text TEXT NOT NULL, digest BLOB NOT NULL);
    CREATE TABLE vals (id INTEGER PRIMARY KEY, value TEXT NOT NULL, digest BLOB NOT NULL);
    CREATE TABLE shapes (id INTEGER PRIMARY KEY, keys TEXT NOT NULL, containers TEXT NOT NULL, digest BLOB NOT NULL);
    CREATE TABLE nodes (run INTEGER PRIMARY KEY, shape INTEGER NOT NULL, count INTEGER NOT NULL,
                        names TEXT NOT NULL, ids BLOB NOT NULL);
    CREATE TABLE edge_attrs (id INTEGER PRIMARY KEY, record TEXT NOT NULL, digest BLOB NOT NULL);
    CREATE TABLE evidence (first INTEGER PRIMARY KEY, shape INTEGER NOT NULL, count INTEGER NOT NULL,
                           ids BLOB NOT NULL, digest BLOB NOT NULL);
    CREATE TABLE evidence_lists (id INTEGER PRIMARY KEY, ids TEXT NOT NULL, digest BLOB NOT NULL);
    CREATE TABLE edges (name TEXT PRIMARY KEY, data BLOB NOT NULL);
    CREATE TABLE snapshot (part TEXT PRIMARY KEY, data BLOB NOT NULL, digest BLOB NOT NULL);
    CREATE TABLE node_names (bucket INTEGER PRIMARY KEY, data TEXT NOT NULL, digest BLOB NOT NULL);
    CREATE TABLE adjacency (num INTEGER PRIMARY KEY, data BLOB NOT NULL, digest BLOB NOT NULL)
"""

# The tables read by key (row by row, each row checked against its own digest): key column, then content columns.
_KEYED: dict[str, tuple[str, ...]] = {
    "graph_attrs": ("pos", "key", "value"), "strings": ("first", "text"), "vals": ("id", "value"),
    "shapes": ("id", "keys", "containers"), "edge_attrs": ("id", "record"),
    "evidence": ("first", "shape", "count", "ids"), "evidence_lists": ("id", "ids"), "snapshot": ("part", "data"),
    "node_names": ("bucket", "data"), "adjacency": ("num", "data"),
}


def _row_digest(table: str, cells: Iterable[Any]) -> bytes:
    """SHA-256 of one row of a keyed table, its key included (a row moved to another key does not match): each
    cell as the bytes `CAST(cell AS BLOB)` gives (text as UTF-8, integers in decimal), length first."""
    digest = hashlib.sha256(table.encode() + b"\0")
    for cell in cells:
        data = cell if type(cell) is bytes else str(cell).encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.digest()


def _insert(con: sqlite3.Connection, table: str, rows: Iterable[Sequence[Any]]) -> None:
    """Rows of a keyed table, each with its digest."""
    marks = ", ".join("?" * (len(_KEYED[table]) + 1))
    con.executemany(f"INSERT INTO {table} VALUES ({marks})",  # noqa: S608 - names from _KEYED
                    ((*row, _row_digest(table, row)) for row in rows))


def name_bucket(name: str, buckets: int) -> int:
    """The node_names row holding a node's name (CRC-32: the same in every process, unlike hash())."""
    return zlib.crc32(name.encode("utf-8", "surrogatepass")) % buckets


_Attrs = dict[str, Any]
_Neighbours = dict[Any, dict[Any, _Attrs]]


def _dicts(graph: nx.DiGraph[Any]) -> tuple[dict[Any, _Attrs], _Neighbours, _Neighbours]:
    """networkx's own node, successor and predecessor dicts, read and filled directly: going through the public
    views costs a call per node and edge, and saved graphs hold millions of edges."""
    return graph._node, graph._adj, graph._pred  # type: ignore[attr-defined]


def write_store(graph: nx.DiGraph[Any], path: str | Path, *, snapshot: Snapshot | None = None,
                report: LoadReport | None = None, meta: Mapping[str, str] | None = None,
                products: Mapping[str, Any] | None = None) -> None:
    """Write the graph (and the snapshot, the load report and analysis products (name → JSON value), when
    given) to `path`, atomically."""
    if graph.is_multigraph() or not graph.is_directed():
        raise TypeError("only a networkx DiGraph can be saved")
    with replacing(path) as tmp, collector_paused(), closing(sqlite3.connect(tmp, isolation_level=None)) as con:
        _write(con, graph, snapshot, report, meta or {}, products or {})


def add_products(path: str | Path, products: Mapping[str, Any]) -> None:
    """Add (or replace) analysis products in the saved graph `path`, atomically: a copy with the product rows
    and the digests written anew. The data is checked against its digest first, so that a damaged file is
    never given a digest that would pass. Raises OSError, StoreError."""
    with open(path, "rb") as src, replacing(path) as tmp:
        with open(tmp, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        with closing(sqlite3.connect(tmp, isolation_level=None)) as con:
            con.execute("PRAGMA journal_mode=OFF")
            con.execute("BEGIN")
            try:
                meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
                if meta.get("data_digest") != _data_digest(_fetch_tables(con)):
                    raise StoreError("damaged saved graph (its content does not match its digest)")
                sizes = json.loads(meta.get("snapshot_sizes", "{}"))
                names = set(json.loads(meta.get("products", "[]")))
            except (sqlite3.DatabaseError, TypeError, ValueError, OverflowError) as exc:
                raise StoreError(f"damaged saved graph ({exc})") from None
            rows = [(_product_part(name), _compress(value, sizes, _product_part(name)))
                    for name, value in products.items()]
            con.executemany("DELETE FROM snapshot WHERE part = ?", [(part,) for part, _ in rows])
            _insert(con, "snapshot", rows)
            meta["products"] = _DUMPS(sorted(names | set(products)))
            meta["snapshot_sizes"] = _DUMPS(dict(sorted(sizes.items())))
            meta["data_digest"] = _data_digest(_fetch_tables(con))
            meta["meta_digest"] = _meta_digest(meta)
            con.execute("DELETE FROM meta")
            con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            con.execute("COMMIT")


def _product_part(name: str) -> str:
    # Beside the snapshot's fields (identifiers) and `_report`: a name of its own, `_<name>`.
    if not name.isidentifier() or name == "report":
        raise ValueError(f"not a product name: {name!r}")
    return f"_{name}"


def copy_store(source: str | Path, target: str | Path, *, drop: Iterable[str] = (),
               meta: Mapping[str, str] | None = None) -> None:
    """Copy the saved graph `source` to `target` (atomically), without the meta rows `drop` and with `meta` added.
    The data is copied as it is, with its digest: only the meta digest is written anew, so a copy of a damaged
    file is refused as the file was. Raises OSError when `source` cannot be read."""
    with open(source, "rb") as src, replacing(target) as tmp:
        with open(tmp, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        with closing(sqlite3.connect(tmp, isolation_level=None)) as con:
            con.execute("PRAGMA journal_mode=OFF")
            con.execute("BEGIN")
            con.executemany("DELETE FROM meta WHERE key = ?", [(k,) for k in (*drop, *(meta or {}), "meta_digest")])
            con.executemany("INSERT INTO meta VALUES (?, ?)", (meta or {}).items())
            rows = dict(con.execute("SELECT key, value FROM meta").fetchall())
            con.execute("INSERT INTO meta VALUES ('meta_digest', ?)", (_meta_digest(rows),))
            con.execute("COMMIT")


def _write(con: sqlite3.Connection, graph: nx.DiGraph[Any], snapshot: Snapshot | None, report: LoadReport | None,
           extra: Mapping[str, str], products: Mapping[str, Any]) -> None:
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute(f"PRAGMA application_id={APPLICATION_ID}")
    con.execute("BEGIN")
    for statement in SCHEMA_SQL.split(";"):
        con.execute(statement)
    interner = _Interner()
    graph_nodes, graph_adj, graph_pred = _dicts(graph)

    # Nodes, in graph order.
    text_ids = all(type(n) is str and "\0" not in n for n in graph_nodes)
    index: dict[Any, int] = {}
    nodes = _Runs()
    # per node, for its adjacency row: [name, shape, value ids…], and the name's and the kind's value ids
    node_rows: list[list[int]] = []
    labels: list[tuple[int, int]] = []
    for i, (node, attrs) in enumerate(graph_nodes.items()):
        index[node] = i
        shape, node_values = interner.shape(tuple(attrs)), interner.ids(attrs, track=True)
        nodes.add(shape, node_values, node)
        if text_ids:
            name = interner.value(node)
            labels.append((name, interner.value(attrs["kind"]) if "kind" in attrs else -1))
            node_rows.append([name, shape, *node_values])
    con.executemany("INSERT INTO nodes VALUES (?, ?, ?, ?, ?)", [
        (run, shape, count, "\0".join(names) if text_ids else _DUMPS(names), _packed(ids))
        for run, (shape, count, ids, names) in enumerate(nodes.rows)])
    del nodes

    # Edges, by source in successor order; attribute dicts and evidence dicts each stored once.
    attr_ids: dict[tuple[Any, ...], int] = {}
    attr_rows: list[tuple[int, str]] = []
    evidence_ids: dict[tuple[int, ...], int] = {}  # (shape, value id, …) → evidence number
    evidence_by_object: dict[int, int] = {}  # evidence shared by object (a loaded graph): no re-encoding
    evidence = _Runs(ROW_BYTES // 4)
    list_rows: list[tuple[int, str]] = []
    dst: list[int] = []
    attrs_of: list[int] = []
    evidence_of: list[int] = []
    position: dict[Any, dict[Any, int]] = {}  # source → target → edge position
    evidence_at: dict[tuple[str, ...], int] = {}  # attribute names → position of "evidence"
    by_object, hashable, shape_of, ids_of = evidence_by_object.get, _hashable, interner.shape, interner.ids
    distinct = 0
    for u, nbrs in graph_adj.items():
        position[u] = dict(zip(nbrs, range(len(dst), len(dst) + len(nbrs)), strict=True))
        for v, data in nbrs.items():
            dst.append(index[v])
            cited = data.get("evidence")
            ids: list[int] | None = None
            if type(cited) is list:  # a list of dicts: each dict stored once, the edge cites them
                ids = []
                for item in cited:
                    if type(item) is not dict:
                        ids = None  # anything else is stored as an ordinary value
                        break
                    found = by_object(id(item))
                    if found is None:
                        shape, item_ids = shape_of(tuple(item)), ids_of(item)
                        record = (shape, *item_ids)  # exact: value ids are per JSON value
                        found = evidence_ids.get(record)
                        if found is None:
                            found = evidence_ids[record] = distinct
                            distinct += 1
                            evidence.add(shape, item_ids)
                        evidence_by_object[id(item)] = found
                    ids.append(found)
            keys = tuple(data)
            values = list(data.values())
            if ids is not None:
                at = evidence_at.get(keys)
                if at is None:
                    at = evidence_at[keys] = keys.index("evidence")
                values[at] = None
            key = (keys, ids is not None, *map(hashable, values))
            attrs_id = attr_ids.get(key)
            if attrs_id is None:
                attrs_id = attr_ids[key] = len(attr_rows)
                encoded = [interner.shape(keys), *interner.ids(data, "evidence" if ids is not None else None)]
                attr_rows.append((attrs_id, _DUMPS(encoded)))
            attrs_of.append(attrs_id)
            if ids is None:
                evidence_of.append(-1)
            elif len(ids) == 1:
                evidence_of.append(ids[0])
            else:
                evidence_of.append(-2 - len(list_rows))
                list_rows.append((len(list_rows), ",".join(map(str, ids))))
    del evidence_ids, evidence_by_object, attr_ids
    pred_src: list[int] = []
    pred_edge: list[int] = []
    for v, nbrs in graph_pred.items():
        for u in nbrs:
            pred_src.append(index[u])
            pred_edge.append(position[u][v])
    del position, index
    arrays = {
        "out_degree": _packed(len(nbrs) for nbrs in graph_adj.values()),
        "in_degree": _packed(len(nbrs) for nbrs in graph_pred.values()),
        "dst": _packed(dst), "attrs": _packed(attrs_of), "evidence": _packed(evidence_of),
        "pred_src": _packed(pred_src), "pred_edge": _packed(pred_edge),
    }
    con.executemany("INSERT INTO edges VALUES (?, ?)", arrays.items())
    if text_ids:
        _write_index(con, list(graph_nodes), node_rows, labels, graph_adj, graph_pred, dst, attrs_of, evidence_of,
                     pred_src, pred_edge)
    del node_rows, labels
    _insert(con, "edge_attrs", attr_rows)
    firsts = itertools.accumulate((count for _, count, _, _ in evidence.rows), initial=0)
    _insert(con, "evidence", [(first, shape, count, _packed(ids))
                              for first, (shape, count, ids, _) in zip(firsts, evidence.rows, strict=False)])
    _insert(con, "evidence_lists", list_rows)
    del evidence, arrays, dst, attrs_of, evidence_of, pred_src, pred_edge

    strings = interner.strings
    _insert(con, "strings", _string_chunks(strings))
    _insert(con, "vals", enumerate(interner.others))
    _insert(con, "shapes", [
        (i, keys, _DUMPS(sorted(positions)))
        for i, (keys, positions) in enumerate(zip(interner.shapes, interner.containers, strict=True))])
    _insert(con, "graph_attrs", [(i, str(k), _DUMPS(v)) for i, (k, v) in enumerate(graph.graph.items())])

    meta = {
        "format": FORMAT, "store_version": str(STORE_VERSION), "trustgraph_version": __version__,
        "schema": str(graph.graph.get("schema", "")), "nodes": str(graph.number_of_nodes()),
        "edges": str(graph.number_of_edges()), "node_ids": "text" if text_ids else "json",
        "strings": str(len(strings)),
    }
    if text_ids:
        meta["name_buckets"] = str(_buckets(len(graph_nodes)))
    sizes: dict[str, int] = {}
    if snapshot is not None:
        stored = SNAPSHOT_CODEC.stored_fields(snapshot)
        _insert(con, "snapshot", [
            (name, _compress(SNAPSHOT_CODEC.encode_field(name, getattr(snapshot, name)), sizes, name))
            for name in stored])
        meta["snapshot_codec"] = SNAPSHOT_CODEC.fingerprint
        # An optional part (Identity Center data) has its own fingerprint, written only when the part is.
        meta.update({f"snapshot_codec.{name}": SNAPSHOT_CODEC.part_fingerprints[name]
                     for name in SNAPSHOT_CODEC.optional if name in stored})
    if report is not None:
        _insert(con, "snapshot", [("_report", _compress(REPORT_CODEC.encode(report), sizes, "_report"))])
        meta["report_codec"] = REPORT_CODEC.fingerprint
    if products:
        _insert(con, "snapshot", [
            (_product_part(name), _compress(value, sizes, _product_part(name))) for name, value in products.items()])
        meta["products"] = _DUMPS(sorted(products))
    meta["snapshot_sizes"] = _DUMPS(dict(sorted(sizes.items())))
    meta.update(extra)
    # Digested as read back, so that writer and reader digest one form of the rows.
    meta["data_digest"] = _data_digest(_fetch_tables(con))
    meta["meta_digest"] = _meta_digest(meta)
    con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    con.execute("COMMIT")


def _string_chunks(strings: list[str]) -> list[tuple[int, str]]:
    """The strings joined by NUL in rows of at most ROW_BYTES (but a longer string alone), each keyed by the number
    of its first."""
    rows: list[tuple[int, str]] = []
    first = size = 0
    for i, text in enumerate(strings):
        length = len(text.encode("utf-8", "surrogatepass")) + 1 if not text.isascii() else len(text) + 1
        if size and size + length > ROW_BYTES:
            rows.append((first, "\0".join(strings[first:i])))
            first, size = i, 0
        size += length
    if first < len(strings):
        rows.append((first, "\0".join(strings[first:])))
    return rows


def _buckets(nodes: int) -> int:
    return max(1, -(-nodes // NAMES_PER_BUCKET))


def _write_index(con: sqlite3.Connection, names: list[str], node_rows: list[list[int]],
                 labels: list[tuple[int, int]], adj: _Neighbours, pred: _Neighbours, dst: list[int],
                 attrs_of: list[int], evidence_of: list[int], pred_src: list[int], pred_edge: list[int]) -> None:
    """node_names and adjacency: what a query reads by key (`trustgraph.saved.lazy`)."""
    buckets: list[dict[str, int]] = [{} for _ in range(_buckets(len(names)))]
    for num, name in enumerate(names):
        buckets[name_bucket(name, len(buckets))][name] = num
    _insert(con, "node_names", [(bucket, _DUMPS(found)) for bucket, found in enumerate(buckets)])

    def entries(row: list[int], others: Iterable[int], edges: Iterable[int]) -> None:
        start = len(row)
        row.append(0)
        for other, edge in zip(others, edges, strict=True):
            row.extend((other, *labels[other], attrs_of[edge], evidence_of[edge]))
        row[start] = (len(row) - start - 1) // 5

    rows: list[tuple[int, bytes]] = []
    out_at = in_at = 0
    for num, (row, succ, into) in enumerate(zip(node_rows, adj.values(), pred.values(), strict=True)):
        entries(row, dst[out_at:out_at + len(succ)], range(out_at, out_at + len(succ)))
        entries(row, pred_src[in_at:in_at + len(into)], pred_edge[in_at:in_at + len(into)])
        out_at += len(succ)
        in_at += len(into)
        rows.append((num, _packed(row)))
    _insert(con, "adjacency", rows)


def _compress(value: Any, sizes: dict[str, int], part: str) -> bytes:
    data = _DUMPS(value).encode("utf-8")
    sizes[part] = len(data)
    return zlib.compress(data, ZLIB_LEVEL)


# ------------------------------------------------------------------------------------ verification

# Every data table, as read for loading and for the digest: text as UTF-8 bytes (cast, so that a value of another
# type in a column digests differently, or fails), rows in key order.
_FETCH: dict[str, str] = {
    "graph_attrs": "SELECT pos, CAST(key AS BLOB), CAST(value AS BLOB) FROM graph_attrs ORDER BY pos",
    "strings": "SELECT first, CAST(text AS BLOB) FROM strings ORDER BY first",
    "vals": "SELECT id, CAST(value AS BLOB) FROM vals ORDER BY id",
    "shapes": "SELECT id, CAST(keys AS BLOB), CAST(containers AS BLOB) FROM shapes ORDER BY id",
    "nodes": "SELECT run, shape, count, CAST(names AS BLOB), CAST(ids AS BLOB) FROM nodes ORDER BY run",
    "edge_attrs": "SELECT id, CAST(record AS BLOB) FROM edge_attrs ORDER BY id",
    "evidence": "SELECT first, shape, count, CAST(ids AS BLOB) FROM evidence ORDER BY first",
    "evidence_lists": "SELECT id, CAST(ids AS BLOB) FROM evidence_lists ORDER BY id",
    "edges": "SELECT CAST(name AS BLOB), CAST(data AS BLOB) FROM edges ORDER BY name",
    "snapshot": "SELECT CAST(part AS BLOB), CAST(data AS BLOB) FROM snapshot ORDER BY part",
}
_Rows = list[tuple[Any, ...]]


def _fetch_tables(con: sqlite3.Connection) -> dict[str, _Rows]:
    return {table: con.execute(sql).fetchall() for table, sql in _FETCH.items()}


def _digest_rows(digest: Any, name: str, rows: Sequence[Sequence[Any]]) -> None:
    """Feed one table to `digest`, a column at a time (a call per row would cost more than the hashing): per column
    the values' lengths, then the values (integer columns: the values as int64)."""
    digest.update(f"{name}\0{len(rows)}\0".encode())
    for column in zip(*rows, strict=True):
        if type(column[0]) is int:
            digest.update(array("q", column).tobytes())
        else:
            digest.update(array("q", map(len, column)).tobytes())
            digest.update(b"".join(column))


def _data_digest(tables: Mapping[str, Sequence[Sequence[Any]]]) -> str:
    """SHA-256 over every data table (as `_fetch_tables` reads them). TypeError or OverflowError: a value of
    another type than the column's."""
    digest = hashlib.sha256()
    for name in _FETCH:
        _digest_rows(digest, name, tables[name])
    return "sha256:" + digest.hexdigest()


def _meta_digest(meta: Mapping[str, str]) -> str:
    """SHA-256 over the meta rows but `meta_digest` itself (which covers the data digest and the counts)."""
    digest = hashlib.sha256()
    _digest_rows(digest, "meta", [(k.encode(), v.encode()) for k, v in sorted(meta.items()) if k != "meta_digest"])
    return "sha256:" + digest.hexdigest()


@cache
def _schema() -> frozenset[tuple[str, str, str, str]]:
    """sqlite_master of a file this version writes: (type, name, table, SQL with blanks collapsed)."""
    with closing(sqlite3.connect(":memory:")) as con:
        for statement in SCHEMA_SQL.split(";"):
            con.execute(statement)
        return _master(con)


def _master(con: sqlite3.Connection) -> frozenset[tuple[str, str, str, str]]:
    return frozenset((str(kind), str(name), str(table), " ".join(str(sql).split()) if sql is not None else "")
                     for kind, name, table, sql in
                     con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())


def _inflate(data: bytes, size: int) -> bytes:
    """`data` decompressed, at most `size` bytes: a stream that would inflate beyond its recorded size (a zlib
    bomb) is refused before it grows, not after."""
    if size <= 0:  # a max_length of 0 means no limit
        raise ValueError("has no recorded size")
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, size)
    if len(out) == size and not inflater.eof and inflater.decompress(inflater.unconsumed_tail, 1):
        raise ValueError(f"inflates beyond its recorded {size:,} bytes")
    if len(out) != size or not inflater.eof or inflater.unused_data:
        raise ValueError(f"does not inflate to its recorded {size:,} bytes")
    return out


# -------------------------------------------------------------------------------------------- read


def _fresh(value: Any) -> Any:
    """A copy of a JSON container (lists and dicts copied, scalars shared)."""
    if type(value) is list:
        return [_fresh(x) if type(x) in _CONTAINERS else x for x in value]
    if type(value) is dict:
        return {k: _fresh(x) if type(x) in _CONTAINERS else x for k, x in value.items()}
    return value


def _copier(value: Any) -> Callable[[Any], Any]:
    """The cheapest copy function that gives each user of a stored container its own."""
    if all(type(x) not in _CONTAINERS for x in (value.values() if type(value) is dict else value)):
        return list.copy if type(value) is list else dict.copy
    return _fresh


def _as_node_id(value: Any) -> Any:
    return tuple(_as_node_id(v) for v in value) if type(value) is list else value


class SavedFile:
    """An open saved graph. Read what you need: `graph()`, `snapshot()`, `report()`, `meta`."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._con = sqlite3.connect(f"file:{quote(Path(path).resolve().as_posix())}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open: {exc}") from None
        self._tables: dict[str, _Rows] | None = None
        try:
            self.meta = self._read_meta()
        except BaseException:
            self._con.close()
            raise

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> SavedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _query(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        try:
            return self._con.execute(sql, tuple(args)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"damaged saved graph ({exc})") from None

    def _read_meta(self) -> dict[str, str]:
        try:
            # No function a view or trigger of the file names may run (there must be none: checked below).
            self._con.execute("PRAGMA trusted_schema=OFF")
            app = self._con.execute("PRAGMA application_id").fetchone()[0]
            master = _master(self._con)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a readable SQLite database ({exc})") from None
        # meta is read first (for the version) only when it is the table written, never a view.
        if app != APPLICATION_ID or not {row for row in _schema() if row[1] == "meta"} <= master:
            raise StoreError("an SQLite database, but not a graph saved by trustgraph")
        rows = self._query("SELECT key, value FROM meta")
        if not all(type(k) is str and type(v) is str for k, v in rows):
            raise StoreError("damaged saved graph (meta table)")
        meta = dict(rows)
        if meta.get("format") != FORMAT:
            raise StoreError("an SQLite database, but not a graph saved by trustgraph")
        version = meta.get("store_version")
        if version != str(STORE_VERSION):
            raise StoreError(f"saved-graph format version {version}, this trustgraph {__version__} reads version "
                             f"{STORE_VERSION}; rebuild it with `trustgraph build`")
        if master != _schema():
            extra = sorted(f"{kind} {name}" for kind, name, _, _ in master - _schema())
            raise StoreError("damaged saved graph (its tables are not those written"
                             + (f": {', '.join(extra[:3])}" if extra else "") + ")")
        if meta.get("meta_digest") != _meta_digest(meta):
            raise StoreError("damaged saved graph (its meta table does not match its digest)")
        return meta

    def _data(self) -> dict[str, _Rows]:
        """Every data table, read once and checked against the data digest before anything is built from it."""
        if self._tables is None:
            tables = {table: self._query(sql) for table, sql in _FETCH.items()}
            try:
                digest = _data_digest(tables)
            except (TypeError, ValueError, OverflowError):
                digest = None  # a value of another type than its column's
            if digest is None or digest != self.meta.get("data_digest"):
                raise StoreError("damaged saved graph (its content does not match its digest)")
            self._tables = tables
        return self._tables

    # -- the snapshot ---------------------------------------------------------------------------------
    @property
    def has_snapshot(self) -> bool:
        return self.meta.get("snapshot_codec") == SNAPSHOT_CODEC.fingerprint and all(
            self.meta.get(f"snapshot_codec.{name}", fingerprint) == fingerprint
            for name, fingerprint in SNAPSHOT_CODEC.part_fingerprints.items())

    def keyed(self, table: str, where: str, args: Iterable[Any] = ()) -> list[tuple[bytes, ...]]:
        """Rows of a keyed table (`_KEYED`): key and content cells as bytes (`CAST … AS BLOB`), each row checked
        against its digest. `where`: the SQL after the table name (a WHERE on the key, an ORDER BY)."""
        columns = ", ".join(f"CAST({column} AS BLOB)" for column in _KEYED[table])
        rows = self._query(f"SELECT {columns}, digest FROM {table} {where}", args)  # noqa: S608 - names from _KEYED
        for *cells, digest in rows:
            if digest != _row_digest(table, cells):
                key = cells[0].decode("utf-8", "replace") if type(cells[0]) is bytes else cells[0]
                raise StoreError(f"damaged saved graph ({table} row {key} does not match its digest)")
        return [tuple(cells) for *cells, _ in rows]

    def _part(self, name: str) -> Any:
        rows = self.keyed("snapshot", "WHERE part = ?", (name,))
        if not rows:
            raise StoreError(f"damaged saved graph (no snapshot part {name!r})")
        data = rows[0][1]
        try:
            size = json.loads(self.meta.get("snapshot_sizes", "{}")).get(name)
            return json.loads(_inflate(data, size if type(size) is int else 0))
        except (zlib.error, ValueError, TypeError, AttributeError) as exc:
            raise StoreError(f"damaged saved graph (snapshot part {name!r}: {exc})") from None

    def snapshot(self, fields: Iterable[str] | None = None) -> Snapshot:
        """The stored snapshot (only the given Snapshot fields, the others left empty, when `fields` is set)."""
        if "snapshot_codec" not in self.meta:
            raise StoreError("holds the graph only, not the policies it was built from; "
                             "save it again with `trustgraph build`")
        if not self.has_snapshot:
            raise StoreError(f"its policies were saved by another trustgraph version "
                             f"({self.meta.get('trustgraph_version')}); save it again with `trustgraph build`")
        names = list(fields) if fields is not None else SNAPSHOT_CODEC.field_names
        # An optional part not stored (the data had none, or the file predates it) stays at its default.
        names = [n for n in names if n not in SNAPSHOT_CODEC.optional or f"snapshot_codec.{n}" in self.meta]
        with collector_paused():
            try:
                return Snapshot(**{name: SNAPSHOT_CODEC.decode_field(name, self._part(name)) for name in names})
            except CodecError as exc:
                raise StoreError(f"damaged saved graph (snapshot: {exc})") from None

    def report(self) -> LoadReport | None:
        if self.meta.get("report_codec") != REPORT_CODEC.fingerprint:
            return None
        try:
            return REPORT_CODEC.decode(self._part("_report"))
        except CodecError as exc:
            raise StoreError(f"damaged saved graph (load report: {exc})") from None

    def product(self, name: str) -> Any:
        """An analysis product stored beside the graph (its JSON value), None when the file holds none."""
        try:
            stored = json.loads(self.meta.get("products", "[]"))
        except ValueError:
            raise StoreError("damaged saved graph (meta products)") from None
        if not isinstance(stored, list) or name not in stored:
            return None
        return self._part(_product_part(name))

    # -- the graph ------------------------------------------------------------------------------------
    def graph(self) -> nx.DiGraph[Any]:
        tables = self._data()
        with collector_paused():
            try:
                return self._graph(tables)
            except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
                raise StoreError(f"damaged saved graph ({type(exc).__name__}: {exc})") from None

    def _values(self, tables: dict[str, _Rows]) -> list[Any]:
        """Every stored value by id (even ids strings, odd ids JSON values), and None at -1."""
        strings: list[str] = []
        for _, text in tables["strings"]:
            strings.extend(text.decode("utf-8").split("\0"))
        if len(strings) != int(self.meta.get("strings", -1)):
            raise ValueError("string table of the wrong length")
        others = json.loads(b"[" + b",".join([value for _, value in tables["vals"]]) + b"]")
        values: list[Any] = [None] * (2 * max(len(strings), len(others)) + 1)
        values[0:2 * len(strings):2] = strings
        values[1:2 * len(others):2] = others
        return values

    def _graph(self, tables: dict[str, _Rows]) -> nx.DiGraph[Any]:
        values = self._values(tables)
        get = values.__getitem__
        # Containers are copied for each node and edge that uses them (they are theirs to change).
        copiers = {id(v): _copier(v) for v in values if type(v) in _CONTAINERS}
        shape_rows = [(keys, containers) for _, keys, containers in tables["shapes"]]
        shapes = [tuple(json.loads(keys)) for keys, _ in shape_rows]
        # per shape: the keys where a node may hold a container
        fixes = [tuple(keys[i] for i in json.loads(positions))
                 for keys, (_, positions) in zip(shapes, shape_rows, strict=True)]

        graph: nx.DiGraph[Any] = nx.DiGraph()
        graph.graph.update((k.decode("utf-8"), json.loads(v)) for _, k, v in tables["graph_attrs"])

        node, adj, pred = _dicts(graph)
        names: list[Any] = []
        text_ids = self.meta.get("node_ids") == "text"
        copier = copiers.get
        for _, shape, count, run_names, blob in tables["nodes"]:
            keys, fix = shapes[shape], fixes[shape]
            ids = _unpacked(blob)
            batch = run_names.decode("utf-8").split("\0") if text_ids else [
                _as_node_id(n) for n in json.loads(run_names)]
            if len(ids) != count * len(keys) or len(batch) != count:
                raise ValueError("node run of the wrong length")
            stream = map(get, ids)
            for name in batch:
                attrs = dict(zip(keys, stream, strict=False))  # takes len(keys) values from the stream
                for key in fix:
                    copy = copier(id(attrs[key]))
                    if copy is not None:
                        attrs[key] = copy(attrs[key])
                node[name] = attrs
            names.extend(batch)
        if len(names) != int(self.meta.get("nodes", -1)):
            raise ValueError("node count differs from the meta table")

        templates = []
        for _, record in tables["edge_attrs"]:
            shape, *ids = json.loads(record)
            keys = shapes[shape]
            templates.append((dict(zip(keys, map(get, ids), strict=True)),
                              tuple((k, copiers[id(values[i])]) for k, i in zip(keys, ids, strict=True)
                                    if id(values[i]) in copiers)))
        evidence: list[dict[str, Any]] = []
        for _, shape, count, blob in tables["evidence"]:
            keys = shapes[shape]
            ids = _unpacked(blob)
            if len(ids) != count * len(keys):
                raise ValueError("evidence run of the wrong length")
            stream = map(get, ids)
            evidence.extend([dict(zip(keys, stream, strict=False)) for _ in range(count)])
        lists = [[int(i) for i in text.split(b",") if i] for _, text in tables["evidence_lists"]]

        arrays = {name.decode("utf-8"): _unpacked(data) for name, data in tables["edges"]}
        out_degree, in_degree = arrays["out_degree"], arrays["in_degree"]
        dst, attrs_of, evidence_of = arrays["dst"], arrays["attrs"], arrays["evidence"]
        pred_src, pred_edge = arrays["pred_src"], arrays["pred_edge"]
        if not (len(out_degree) == len(in_degree) == len(names)
                and sum(out_degree) == sum(in_degree) == len(dst) == len(attrs_of) == len(evidence_of)
                == len(pred_src) == len(pred_edge) == int(self.meta.get("edges", -1))):
            raise ValueError("edge arrays of inconsistent lengths")

        datas: list[_Attrs] = []
        append = datas.append
        for a, e in zip(attrs_of, evidence_of, strict=True):
            base, mutable = templates[a]
            data = base.copy()
            for key, copy in mutable:
                data[key] = copy(data[key])
            if e >= 0:
                data["evidence"] = [evidence[e]]
            elif e != -1:
                data["evidence"] = [evidence[i] for i in lists[-2 - e]]
            append(data)

        # Whole neighbour dicts at once, in the saved successor and predecessor orders.
        targets, items = map(names.__getitem__, dst), iter(datas)
        for name, degree in zip(names, out_degree, strict=True):
            adj[name] = dict(zip(islice(targets, degree), islice(items, degree), strict=True)) if degree else {}
        sources, items = map(names.__getitem__, pred_src), map(datas.__getitem__, pred_edge)
        for name, degree in zip(names, in_degree, strict=True):
            pred[name] = dict(zip(islice(sources, degree), islice(items, degree), strict=True)) if degree else {}
        return graph
