"""The saved graph: one SQLite file holding the trust graph, and optionally the snapshot it was built from.

Tables (`store_version` 1):

- `meta(key, value)`: `format` (`trustgraph/saved-graph`), `store_version`, `trustgraph_version`, the graph
  `schema`, node and edge counts, `node_ids` (`text`, or `json` for graphs whose node ids are not all
  strings), `snapshot_codec` / `report_codec` (fingerprints of the model classes, when stored), and any
  extra keys the writer adds (the build cache records its key there).
- `graph_attrs(pos, key, value)`: the graph-level attributes, one JSON value each, in order.
- `vals(id, value)`: every distinct attribute value (JSON), shared by nodes, edge attributes and evidence.
  Long strings (evidence reasons, principals), condition lists and notes are stored once here.
- `shapes(id, keys, containers)`: every distinct list of attribute names (JSON), in the order of the
  attribute dict, and the positions where a node of that shape holds a list or a dict (copied on load).
- `nodes(id, name, record)`: one row per node in graph order; `record` is `[shape, value id, …]`.
- `edge_attrs(id, record)`: every distinct edge attribute dict, the evidence list excepted (its value id
  is -1, a placeholder that keeps the key's position).
- `evidence(id, record)`: every distinct evidence dict, once, however many edges cite it.
- `evidence_lists(id, ids)`: the evidence of edges citing other than exactly one record (`id,id,…`).
- `edges(name, data)`: the edges as packed little-endian 32-bit integer arrays (one row per array),
  because reading 600k rows one by one costs more than the whole rest of the load:
  `out_degree` and `in_degree` (per node, in node order); `dst`, `attrs` and `evidence` (per edge, grouped
  by source node in its successor order): target node id, `edge_attrs` id, and an `evidence` id, -1 when
  the edge has no evidence list, or -2-k for `evidence_lists` row k; `pred_src` and `pred_edge` (per
  edge, grouped by target node in its predecessor order): source node id and the edge's position in the
  successor order. Both orders come back as saved, so searches break ties as on the graph that was saved.
- `snapshot(part, data)`: zlib-compressed JSON (see `trustgraph.codec`): one row per Snapshot field,
  `_tables` for the shared policy objects, `_report` for the LoadReport.

Nothing here knows the attribute names: any JSON-ready node, edge or graph attribute is stored. Values
load as JSON gives them back (tuples as lists), like the node-link JSON the file replaces.

Loaded graphs share identical evidence dicts (and the lists inside them) between edges: evidence is
read-only once the graph is built. Node and edge attribute dicts, and the lists and dicts inside them,
are each edge's and node's own.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import zlib
from array import array
from collections.abc import Iterable, Mapping
from contextlib import closing
from itertools import islice
from pathlib import Path
from typing import Any

import networkx as nx

from trustgraph import __version__
from trustgraph.codec import Codec, CodecError
from trustgraph.gc_pause import collector_paused
from trustgraph.model import Snapshot
from trustgraph.sources.report import LoadReport

SQLITE_MAGIC = b"SQLite format 3\x00"
FORMAT = "trustgraph/saved-graph"
STORE_VERSION = 1
APPLICATION_ID = 0x54477266  # "TGrf" in the SQLite header: `file` and other tools can tell the files apart
EVIDENCE_SLOT = -1  # value id of the evidence key in an edge_attrs record: the list is in edges.evidence
ZLIB_LEVEL = 1  # level 6 saves 20 % of the snapshot's bytes for twice the time

SNAPSHOT_CODEC = Codec(Snapshot)
REPORT_CODEC = Codec(LoadReport)

_SCALAR_TYPES = (bool, int, float, type(None))


def _make_dumps() -> Any:
    """Compact JSON text of a value; the C encoder is built once instead of once per call."""
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - interpreters without the C accelerator
        return encoder.encode
    iterencode = make(None, encoder.default, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    return lambda value: "".join(iterencode(value, 0))


_DUMPS = _make_dumps()
_QUOTE = json.encoder.encode_basestring


def _hashable(value: Any) -> Any:
    """A dict key equal for two values exactly when their JSON texts are equal (and cheaper to compute)."""
    t = type(value)
    if t is str:
        return value
    if t in _SCALAR_TYPES:
        return t, value  # True == 1, but not (bool, True) == (int, 1)
    if t is list and all(type(x) is str for x in value):
        return (list, *value)
    return None, _DUMPS(value)


class StoreError(ValueError):
    """The file is not a saved graph this version reads (the caller names the file)."""


# ------------------------------------------------------------------------------------------- write


class _Interner:
    """Distinct values and attribute-name lists, numbered in order of first use."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._strings: dict[str, int] = {}
        self._scalars: dict[tuple[type, Any], int] = {}
        self._texts: dict[str, int] = {}
        self.shapes: list[str] = []
        self.containers: list[set[int]] = []  # per shape: positions where a tracked record held a container
        self._shapes: dict[tuple[Any, ...], int] = {}

    def value(self, v: Any) -> int:
        t = type(v)
        if t is str:
            found = self._strings.get(v)
            if found is None:
                found = self._strings[v] = self._add(_QUOTE(v))
            return found
        if t in _SCALAR_TYPES:
            key = (t, v)
            found = self._scalars.get(key)
            if found is None:
                found = self._scalars[key] = self._add(_DUMPS(v))
            return found
        text = _DUMPS(v)
        found = self._texts.get(text)
        if found is None:
            found = self._texts[text] = self._add(text)
        return found

    def _add(self, text: str) -> int:
        self.values.append(text)
        return len(self.values) - 1

    def shape(self, keys: tuple[Any, ...]) -> int:
        found = self._shapes.get(keys)
        if found is None:
            if not all(type(k) is str for k in keys):
                raise TypeError(f"attribute names must be strings, got {keys!r}")
            found = self._shapes[keys] = len(self.shapes)
            self.shapes.append(_DUMPS(list(keys)))
            self.containers.append(set())
        return found

    def record(self, attrs: Mapping[str, Any], placeholder: str | None = None, track: bool = False) -> str:
        """`[shape, value id, …]`; the value of `placeholder` (if given) is stored as EVIDENCE_SLOT. With
        `track`, the shape remembers where this record holds containers."""
        shape = self.shape(tuple(attrs))
        strings = self._strings
        value = self.value
        ids = [shape]
        for key, v in attrs.items():
            if type(v) is str:  # most values: one lookup, no call
                found = strings.get(v)
                ids.append(value(v) if found is None else found)
            elif key == placeholder:
                ids.append(EVIDENCE_SLOT)
            else:
                ids.append(value(v))
                if track and type(v) in (list, dict):
                    self.containers[shape].add(len(ids) - 2)
        return _DUMPS(ids)


def _packed(values: Iterable[int], typecode: str = "i") -> bytes:
    packed = array(typecode, values)
    if sys.byteorder == "big":  # pragma: no cover - the format is little-endian everywhere
        packed.byteswap()
    return packed.tobytes()


def _compress(value: Any) -> bytes:
    return zlib.compress(_DUMPS(value).encode("utf-8"), ZLIB_LEVEL)


def write_store(graph: nx.DiGraph, path: str | Path, *, snapshot: Snapshot | None = None,
                report: LoadReport | None = None, meta: Mapping[str, str] | None = None) -> None:
    """Write the graph (and the snapshot and load report, when given) to `path`, atomically."""
    if graph.is_multigraph() or not graph.is_directed():
        raise TypeError("only a networkx DiGraph can be saved")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 is for the temporary file, not for the result
        with collector_paused(), closing(sqlite3.connect(tmp, isolation_level=None)) as con:
            _write(con, graph, snapshot, report, meta or {})
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


SCHEMA_SQL = """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE graph_attrs (pos INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT NOT NULL);
    CREATE TABLE vals (id INTEGER PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE shapes (id INTEGER PRIMARY KEY, keys TEXT NOT NULL, containers TEXT NOT NULL);
    CREATE TABLE nodes (id INTEGER PRIMARY KEY, name NOT NULL, record TEXT NOT NULL);
    CREATE TABLE edge_attrs (id INTEGER PRIMARY KEY, record TEXT NOT NULL);
    CREATE TABLE evidence (id INTEGER PRIMARY KEY, record TEXT NOT NULL);
    CREATE TABLE evidence_lists (id INTEGER PRIMARY KEY, ids TEXT NOT NULL);
    CREATE TABLE edges (name TEXT PRIMARY KEY, data BLOB NOT NULL);
    CREATE TABLE snapshot (part TEXT PRIMARY KEY, data BLOB NOT NULL)
"""


def _write(con: sqlite3.Connection, graph: nx.DiGraph, snapshot: Snapshot | None, report: LoadReport | None,
           extra: Mapping[str, str]) -> None:
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute(f"PRAGMA application_id={APPLICATION_ID}")
    con.execute("BEGIN")
    for statement in SCHEMA_SQL.split(";"):
        con.execute(statement)
    interner = _Interner()

    # Nodes, in graph order.
    text_ids = all(type(n) is str for n in graph._node)
    index: dict[Any, int] = {}
    node_rows = []
    for i, (node, attrs) in enumerate(graph._node.items()):
        index[node] = i
        node_rows.append((i, node if text_ids else _DUMPS(node), interner.record(attrs, track=True)))
    con.executemany("INSERT INTO nodes VALUES (?, ?, ?)", node_rows)
    del node_rows

    # Edges, by source in successor order; attribute dicts and evidence dicts each stored once.
    attr_ids: dict[tuple[Any, ...], int] = {}
    evidence_ids: dict[str, int] = {}
    evidence_by_object: dict[int, int] = {}  # evidence shared by object (a loaded graph): no re-encoding
    attr_rows: list[tuple[int, str]] = []
    evidence_rows: list[tuple[int, str]] = []
    list_rows: list[tuple[int, str]] = []
    dst: list[int] = []
    attrs_of: list[int] = []
    evidence_of: list[int] = []
    position: dict[Any, dict[Any, int]] = {}  # source → target → edge position
    evidence_at: dict[tuple[str, ...], int | None] = {}  # attribute names → position of "evidence"
    dumps, by_object, hashable = _DUMPS, evidence_by_object.get, _hashable
    for u, nbrs in graph._adj.items():
        position[u] = dict(zip(nbrs, range(len(dst), len(dst) + len(nbrs)), strict=True))
        for v, data in nbrs.items():
            dst.append(index[v])
            evidence = data.get("evidence")
            ids: list[int] | None = None
            if type(evidence) is list:  # a list of dicts: each dict stored once, the edge cites them
                ids = []
                for item in evidence:
                    if type(item) is not dict:
                        ids = None  # anything else is stored as an ordinary value
                        break
                    found = by_object(id(item))
                    if found is None:
                        text = dumps(item)
                        found = evidence_ids.get(text)
                        if found is None:
                            found = evidence_ids[text] = len(evidence_rows)
                            evidence_rows.append((found, interner.record(item)))
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
                attr_rows.append((attrs_id, interner.record(data, "evidence" if ids is not None else None)))
            attrs_of.append(attrs_id)
            if ids is None:
                evidence_of.append(-1)
            elif len(ids) == 1:
                evidence_of.append(ids[0])
            else:
                evidence_of.append(-2 - len(list_rows))
                list_rows.append((len(list_rows), ",".join(map(str, ids))))
    pred_src: list[int] = []
    pred_edge: list[int] = []
    for v, nbrs in graph._pred.items():
        for u in nbrs:
            pred_src.append(index[u])
            pred_edge.append(position[u][v])
    del position
    arrays = {
        "out_degree": _packed((len(nbrs) for nbrs in graph._adj.values()), "I"),
        "in_degree": _packed((len(nbrs) for nbrs in graph._pred.values()), "I"),
        "dst": _packed(dst, "I"), "attrs": _packed(attrs_of, "I"), "evidence": _packed(evidence_of),
        "pred_src": _packed(pred_src, "I"), "pred_edge": _packed(pred_edge, "I"),
    }
    con.executemany("INSERT INTO edges VALUES (?, ?)", arrays.items())
    con.executemany("INSERT INTO edge_attrs VALUES (?, ?)", attr_rows)
    con.executemany("INSERT INTO evidence VALUES (?, ?)", evidence_rows)
    con.executemany("INSERT INTO evidence_lists VALUES (?, ?)", list_rows)
    del evidence_rows, evidence_ids, evidence_by_object

    con.executemany("INSERT INTO vals VALUES (?, ?)", enumerate(interner.values))
    con.executemany("INSERT INTO shapes VALUES (?, ?, ?)",
                    [(i, keys, _DUMPS(sorted(positions)))
                     for i, (keys, positions) in enumerate(zip(interner.shapes, interner.containers, strict=True))])
    con.executemany("INSERT INTO graph_attrs VALUES (?, ?, ?)",
                    [(i, str(k), _DUMPS(v)) for i, (k, v) in enumerate(graph.graph.items())])

    meta = {
        "format": FORMAT, "store_version": str(STORE_VERSION), "trustgraph_version": __version__,
        "schema": str(graph.graph.get("schema", "")), "nodes": str(graph.number_of_nodes()),
        "edges": str(graph.number_of_edges()), "node_ids": "text" if text_ids else "json",
    }
    if snapshot is not None:
        fields, tables = SNAPSHOT_CODEC.encode_fields(snapshot)
        con.executemany("INSERT INTO snapshot VALUES (?, ?)",
                        [(name, _compress(value)) for name, value in fields.items()]
                        + [("_tables", _compress(tables))])
        meta["snapshot_codec"] = SNAPSHOT_CODEC.fingerprint
    if report is not None:
        con.execute("INSERT INTO snapshot VALUES ('_report', ?)", (_compress(REPORT_CODEC.encode(report)),))
        meta["report_codec"] = REPORT_CODEC.fingerprint
    meta.update(extra)
    con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    con.execute("COMMIT")


# -------------------------------------------------------------------------------------------- read


def _fresh(value: Any) -> Any:
    """A copy of a JSON container (lists and dicts copied, scalars shared)."""
    if type(value) is list:
        return [_fresh(x) if type(x) in (list, dict) else x for x in value]
    if type(value) is dict:
        return {k: _fresh(x) if type(x) in (list, dict) else x for k, x in value.items()}
    return value


class SavedFile:
    """An open saved graph. Read what you need: `graph()`, `snapshot()`, `report()`, `meta`."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._con = sqlite3.connect(f"file:{Path(path).resolve().as_posix()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open: {exc}") from None
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
            app = self._con.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in self._con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a readable SQLite database ({exc})") from None
        if app != APPLICATION_ID or "meta" not in tables:
            raise StoreError("an SQLite database, but not a graph saved by trustgraph")
        meta = dict(self._query("SELECT key, value FROM meta"))
        if meta.get("format") != FORMAT:
            raise StoreError("an SQLite database, but not a graph saved by trustgraph")
        version = meta.get("store_version")
        if version != str(STORE_VERSION):
            raise StoreError(f"saved-graph format version {version}, this trustgraph {__version__} reads version "
                             f"{STORE_VERSION}; rebuild it with `trustgraph build`")
        return meta

    @property
    def has_snapshot(self) -> bool:
        return self.meta.get("snapshot_codec") == SNAPSHOT_CODEC.fingerprint

    def _part(self, name: str) -> Any:
        rows = self._query("SELECT data FROM snapshot WHERE part = ?", (name,))
        if not rows:
            raise StoreError(f"damaged saved graph (no snapshot part {name!r})")
        try:
            return json.loads(zlib.decompress(rows[0][0]))
        except (zlib.error, ValueError, TypeError) as exc:
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
        with collector_paused():
            encoded = {name: self._part(name) for name in names}
            tables = self._part("_tables") if any(SNAPSHOT_CODEC.uses_tables(n) for n in names) else {}
            try:
                return Snapshot(**SNAPSHOT_CODEC.decode_fields(encoded, tables))
            except CodecError as exc:
                raise StoreError(f"damaged saved graph (snapshot: {exc})") from None

    def report(self) -> LoadReport | None:
        if self.meta.get("report_codec") != REPORT_CODEC.fingerprint:
            return None
        try:
            return REPORT_CODEC.decode(self._part("_report"))
        except CodecError as exc:
            raise StoreError(f"damaged saved graph (load report: {exc})") from None

    def graph(self) -> nx.DiGraph:
        with collector_paused():
            try:
                return self._graph()
            except (ValueError, TypeError, IndexError, KeyError) as exc:
                raise StoreError(f"damaged saved graph ({type(exc).__name__}: {exc})") from None

    def _json_rows(self, sql: str) -> list[Any]:
        """One column of JSON texts, ordered by id, parsed in one call."""
        texts = [r[0] for r in self._query(sql)]
        return json.loads("[" + ",".join(texts) + "]")

    def _arrays(self) -> dict[str, array]:
        arrays = {}
        for name, data in self._query("SELECT name, data FROM edges"):
            typed = array("i" if name == "evidence" else "I")
            typed.frombytes(data)
            if sys.byteorder == "big":  # pragma: no cover
                typed.byteswap()
            arrays[name] = typed
        return arrays

    def _graph(self) -> nx.DiGraph:
        values = self._json_rows("SELECT value FROM vals ORDER BY id")
        shape_rows = self._query("SELECT keys, containers FROM shapes ORDER BY id")
        shapes = [tuple(json.loads(keys)) for keys, _ in shape_rows]
        # (position, key) of each node attribute that may hold a container, per shape
        fixes = [tuple((i, keys[i]) for i in json.loads(positions))
                 for keys, (_, positions) in zip(shapes, shape_rows, strict=True)]
        # Containers are copied for each node and edge that uses them (they are theirs to change).
        copiers = {i: _copier(v) for i, v in enumerate(values) if type(v) in (list, dict)}
        values.append(None)  # EVIDENCE_SLOT (-1) reads as this placeholder, replaced by the edge's list
        get = values.__getitem__

        graph = nx.DiGraph()
        graph.graph.update((k, json.loads(v)) for k, v in
                           self._query("SELECT key, value FROM graph_attrs ORDER BY pos"))

        rows = self._query("SELECT name, record FROM nodes ORDER BY id")
        records = json.loads("[" + ",".join([r[1] for r in rows]) + "]")
        names = [r[0] for r in rows]
        del rows
        if self.meta.get("node_ids") == "json":
            names = [_as_node_id(json.loads(n)) for n in names]
        node = graph._node
        copier = copiers.get
        for name, (shape, *ids) in zip(names, records, strict=True):
            attrs = dict(zip(shapes[shape], map(get, ids), strict=True))
            for i, key in fixes[shape]:
                copy = copier(ids[i])
                if copy is not None:
                    attrs[key] = copy(attrs[key])
            node[name] = attrs
        del records

        templates = []
        for shape, *ids in self._json_rows("SELECT record FROM edge_attrs ORDER BY id"):
            keys = shapes[shape]
            templates.append((dict(zip(keys, map(get, ids), strict=True)),
                              tuple((k, copiers[i]) for k, i in zip(keys, ids, strict=True) if i in copiers)))
        evidence = [dict(zip(shapes[shape], map(get, ids), strict=True))
                    for shape, *ids in self._json_rows("SELECT record FROM evidence ORDER BY id")]
        lists = [[int(i) for i in text.split(",") if i]
                 for (text,) in self._query("SELECT ids FROM evidence_lists ORDER BY id")]

        arrays = self._arrays()
        out_degree, in_degree = arrays["out_degree"], arrays["in_degree"]
        dst, attrs_of, evidence_of = arrays["dst"], arrays["attrs"], arrays["evidence"]
        pred_src, pred_edge = arrays["pred_src"], arrays["pred_edge"]
        edges = int(self.meta.get("edges", -1))
        if not (len(out_degree) == len(in_degree) == len(names)
                and sum(out_degree) == sum(in_degree) == len(dst) == len(attrs_of) == len(evidence_of)
                == len(pred_src) == len(pred_edge) == edges):
            raise ValueError("edge arrays of inconsistent lengths")

        datas = []
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
        adj, pred = graph._adj, graph._pred
        targets, items = map(names.__getitem__, dst), iter(datas)
        for name, degree in zip(names, out_degree, strict=True):
            adj[name] = dict(zip(islice(targets, degree), islice(items, degree), strict=True)) if degree else {}
        sources, items = map(names.__getitem__, pred_src), map(datas.__getitem__, pred_edge)
        for name, degree in zip(names, in_degree, strict=True):
            pred[name] = dict(zip(islice(sources, degree), islice(items, degree), strict=True)) if degree else {}
        return graph


def _copier(value: Any) -> Any:
    """The cheapest copy function that gives each user of a stored container its own."""
    if all(type(x) not in (list, dict) for x in (value.values() if type(value) is dict else value)):
        return list.copy if type(value) is list else dict.copy
    return _fresh


def _as_node_id(value: Any) -> Any:
    return tuple(_as_node_id(v) for v in value) if type(value) is list else value


def is_sqlite(path: str | Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False

