"""A saved graph read on demand: a networkx DiGraph whose node, successor and predecessor dicts are Mappings that
read a node's row of the `adjacency` table (`trustgraph.saved.store`) when a search first asks for it, so that
`who-can-reach`, `reach` and `path` on a saved graph read what their answer touches, not the whole file. The
searches of `trustgraph.analysis` walk it as they walk a loaded graph (the same dicts, in the same orders).

Every row is checked against its own digest when it is read; a damaged row is a GraphFileError naming the file,
raised by the search that reads it. Read only: the graph, its nodes and edges must not be changed (commands that
change the graph, e.g. with --known-accounts, load it whole).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

import networkx as nx

from trustgraph.gc_pause import collector_paused
from trustgraph.load_report import LoadReport
from trustgraph.model import Snapshot
from trustgraph.saved.serialize import GraphFileError, check_file
from trustgraph.saved.store import EVIDENCE_SLOT, SQLITE_MAGIC, SavedFile, StoreError, _fresh, _unpacked, name_bucket

_Attrs = dict[str, Any]
KeepKind = Callable[[Any], bool]  # a node kind → whether the graph holds nodes of it
KeepEdge = Callable[[_Attrs], "_Attrs | None"]  # an edge's attributes → those kept (None: the edge is left out)
_BATCH = 2048  # rows read at once when every node is listed
_ENTRY = 5  # an adjacency entry: node number, name value id, kind value id, edge_attrs id, evidence reference


class _Reader:
    """The rows of one open saved graph, each read once and kept (values, names, node rows, edge attributes)."""

    def __init__(self, saved: SavedFile) -> None:
        self.saved = saved
        self.path = saved.path
        meta = saved.meta
        self.count = int(meta["nodes"])
        self.buckets = int(meta["name_buckets"])
        self.rows_read = 0  # rows fetched from the file (what a query cost; tests read it)
        self.on_damage: Callable[[], str] | None = None  # called before a damaged row is reported: what to add
        self._shapes: list[tuple[str, ...]] = []
        self.graph: dict[str, Any] = {}
        self._nums: dict[str, int] = {}
        self._buckets_read: set[int] = set()
        self._rows: dict[int, tuple[str, _Attrs, Any, Any]] = {}
        self._strings: dict[int, str] = {}
        self._vals: dict[int, Any] = {}
        self._templates: dict[int, tuple[_Attrs, str | None]] = {}
        self._evidence: dict[int, _Attrs] = {}
        self._edges: dict[tuple[int, int], _Attrs] = {}
        with self.checked():
            self._shapes = [tuple(json.loads(keys)) for _, keys, _ in self._keyed("shapes", "ORDER BY id")]
            self.graph = {key.decode("utf-8"): json.loads(value)
                          for _, key, value in self._keyed("graph_attrs", "ORDER BY pos")}

    # -- reading -------------------------------------------------------------------------------------
    def checked(self) -> Any:
        return _Checked(self)

    def _keyed(self, table: str, where: str, args: tuple[Any, ...] = ()) -> list[tuple[bytes, ...]]:
        rows = self.saved.keyed(table, where, args)
        self.rows_read += len(rows)
        return rows

    def value(self, vid: int) -> Any:
        """A value by id (even: a string, odd: a JSON value; -1: None), containers the caller's own."""
        if vid < 0:
            return None
        if vid % 2 == 0:
            found = self._strings.get(vid // 2)
            if found is None:
                rows = self._keyed("strings", "WHERE first <= ? ORDER BY first DESC LIMIT 1", (vid // 2,))
                if not rows:
                    raise ValueError(f"no string {vid // 2}")
                first = int(rows[0][0])
                for i, text in enumerate(rows[0][1].decode("utf-8", "surrogatepass").split("\0")):
                    self._strings[first + i] = text
                found = self._strings.get(vid // 2)
                if found is None:
                    raise ValueError(f"no string {vid // 2}")
            return found
        if vid not in self._vals:
            rows = self._keyed("vals", "WHERE id = ?", (vid // 2,))
            if not rows:
                raise ValueError(f"no value {vid // 2}")
            self._vals[vid] = json.loads(rows[0][1])
        value = self._vals[vid]
        return _fresh(value) if type(value) in (list, dict) else value

    def num(self, name: Any) -> int | None:
        """A node's number, None when the graph has no such node."""
        found = self._nums.get(name) if type(name) is str else None
        if found is not None or type(name) is not str:
            return found
        bucket = name_bucket(name, self.buckets)
        if bucket in self._buckets_read:
            return None
        with self.checked():
            rows = self._keyed("node_names", "WHERE bucket = ?", (bucket,))
            if not rows:
                raise ValueError(f"no node_names row {bucket}")
            names = json.loads(rows[0][1])
            if not isinstance(names, dict):
                raise ValueError(f"node_names row {bucket}")
        self._buckets_read.add(bucket)
        self._nums.update(names)
        return self._nums.get(name)

    def row(self, num: int) -> tuple[str, _Attrs, Any, Any]:
        """(name, attributes, successor entries, predecessor entries) of node `num`."""
        found = self._rows.get(num)
        if found is None:
            with self.checked():
                rows = self._keyed("adjacency", "WHERE num = ?", (num,))
                if not rows:
                    raise ValueError(f"no adjacency row {num}")
                found = self._rows[num] = self._parse(rows[0][1], with_edges=True)
        return found

    def _parse(self, data: bytes, with_edges: bool) -> tuple[str, _Attrs, Any, Any]:
        ints = _unpacked(data)
        keys = self._shapes[ints[1]]
        end = 2 + len(keys)
        name = self.value(ints[0])
        attrs = dict(zip(keys, map(self.value, ints[2:end]), strict=True))
        if not with_edges:
            return name, attrs, None, None
        succ = ints[end + 1:end + 1 + _ENTRY * ints[end]]
        at = end + 1 + len(succ)
        pred = ints[at + 1:at + 1 + _ENTRY * ints[at]]
        if len(succ) != _ENTRY * ints[end] or at + 1 + len(pred) != len(ints) or len(pred) != _ENTRY * ints[at]:
            raise ValueError("adjacency row of the wrong length")
        return name, attrs, succ, pred

    def scan(self) -> Iterator[tuple[str, _Attrs]]:
        """Every node and its attributes in graph order, read in batches and not kept (a search over all names)."""
        for start in range(0, self.count, _BATCH):
            with self.checked():
                rows = self._keyed("adjacency", "WHERE num >= ? AND num < ? ORDER BY num", (start, start + _BATCH))
                if len(rows) != min(_BATCH, self.count - start):
                    raise ValueError("adjacency rows missing")
                batch = [self._rows[int(num)][:2] if int(num) in self._rows else self._parse(data, False)[:2]
                         for num, data in rows]
            yield from batch

    def neighbours(self, entries: Any) -> tuple[Any, Any, list[tuple[int, int]]]:
        """A row's successor or predecessor entries as parallel sequences: node numbers, kind value ids and edge
        references (`edge`'s arguments), the columns sliced at once (a hub's row holds thousands of entries)."""
        return entries[0::_ENTRY], entries[2::_ENTRY], list(zip(entries[3::_ENTRY], entries[4::_ENTRY], strict=True))

    def names(self, entries: Any) -> list[str]:
        """The names of a row's entries (looked up in the string cache first), each name's number noted."""
        with self.checked():
            string = self._strings.get
            found = [string(i >> 1) if not i & 1 else None for i in entries[1::_ENTRY]]
            # strings not read yet (or a name that is no string): looked up one by one
            names: list[str] = [self.value(i) for i in entries[1::_ENTRY]] if None in found else found  # type: ignore[assignment]
            known = self._nums
            if len(known) < self.count:
                for name, num in zip(names, entries[0::_ENTRY], strict=True):
                    known.setdefault(name, num)
        return names

    def edge(self, attrs: int, evidence: int) -> _Attrs:
        """An edge's attributes (shared by the edges alike: read only)."""
        found = self._edges.get((attrs, evidence))
        if found is not None:
            return found
        with self.checked():
            return self._edge(attrs, evidence)

    def _edge(self, attrs: int, evidence: int) -> _Attrs:
        template = self._templates.get(attrs)
        if template is None:
            rows = self._keyed("edge_attrs", "WHERE id = ?", (attrs,))
            if not rows:
                raise ValueError(f"no edge_attrs row {attrs}")
            shape, *ids = json.loads(rows[0][1])
            keys = self._shapes[shape]
            slot = next((k for k, i in zip(keys, ids, strict=True) if i == EVIDENCE_SLOT), None)
            base = dict(zip(keys, map(self.value, ids), strict=True))
            base.pop(slot, None)  # filled from the edge's own evidence when asked for
            template = self._templates[attrs] = (base, slot)
        base, _ = template
        data = _Edge(base)  # the template's containers shared: read only
        if evidence != -1:
            data.cited = (self, evidence)
        self._edges[(attrs, evidence)] = data
        return data

    def evidence(self, evidence: int) -> list[_Attrs]:
        """The evidence list an edge cites (`edge`'s evidence reference)."""
        with self.checked():
            if evidence >= 0:
                return [self._record(evidence)]
            rows = self._keyed("evidence_lists", "WHERE id = ?", (-2 - evidence,))
            if not rows:
                raise ValueError(f"no evidence_lists row {-2 - evidence}")
            return [self._record(int(i)) for i in rows[0][1].split(b",") if i]

    def _record(self, number: int) -> _Attrs:
        found = self._evidence.get(number)
        if found is None:
            rows = self._keyed("evidence", "WHERE first <= ? ORDER BY first DESC LIMIT 1", (number,))
            if not rows:
                raise ValueError(f"no evidence {number}")
            first, shape, count, ids = int(rows[0][0]), int(rows[0][1]), int(rows[0][2]), _unpacked(rows[0][3])
            keys = self._shapes[shape]
            if len(ids) != count * len(keys):
                raise ValueError("evidence run of the wrong length")
            stream = map(self.value, ids)
            for i in range(count):
                self._evidence[first + i] = dict(zip(keys, islice(stream, len(keys)), strict=True))
            found = self._evidence.get(number)
            if found is None:
                raise ValueError(f"no evidence {number}")
        return found


class _Edge(dict[str, Any]):
    """An edge's attributes, its evidence list read when first asked for (`get`, `[]`, `in`): the searches read
    the evidence only of an edge `--via` keeps in part. Until then the list is not among the items."""

    __slots__ = ("cited",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.cited: tuple[_Reader, int] | None = None

    def _cite(self) -> list[_Attrs]:
        assert self.cited is not None
        reader, evidence = self.cited
        records = self["evidence"] = reader.evidence(evidence)
        self.cited = None
        return records

    def __missing__(self, key: str) -> Any:
        if key == "evidence" and self.cited is not None:
            return self._cite()
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        if key == "evidence" and self.cited is not None:
            return self._cite()
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        return (key == "evidence" and self.cited is not None) or super().__contains__(key)


class _Checked:
    """Around the reading and decoding of rows: what a damaged row raises becomes a GraphFileError naming the file.
    (The Mappings raise KeyError for a node the graph does not hold outside these blocks.)"""

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        if exc is None or isinstance(exc, GraphFileError):
            return
        if isinstance(exc, StoreError):
            message = str(exc)
        elif isinstance(exc, (ValueError, TypeError, IndexError, KeyError)):
            message = f"damaged saved graph ({type(exc).__name__}: {exc})"
        else:
            return
        hint = self.reader.on_damage() if self.reader.on_damage is not None else ""
        raise GraphFileError(f"{self.reader.path}: {message}{hint}") from None


class _View:
    """The graph as a search sees it: every node and edge, or (`restricted`) those a filter keeps."""

    def __init__(self, reader: _Reader, keep_kind: KeepKind | None = None, keep_edge: KeepEdge | None = None) -> None:
        self.reader = reader
        self.keep_kind = keep_kind
        self.keep_edge = keep_edge
        self._succ: dict[str, Mapping[str, _Attrs]] = {}
        self._pred: dict[str, Mapping[str, _Attrs]] = {}

    def num(self, name: Any) -> int | None:
        num = self.reader.num(name)
        if num is None or self.keep_kind is None:
            return num
        return num if self.keep_kind(self.reader.row(num)[1].get("kind")) else None

    def node(self, name: Any) -> _Attrs:
        num = self.num(name)
        if num is None:
            raise KeyError(name)
        return self.reader.row(num)[1]

    def names(self) -> Iterator[str]:
        return (name for name, _ in self.items())

    def items(self) -> Iterator[tuple[str, _Attrs]]:
        keep = self.keep_kind
        return ((n, d) for n, d in self.reader.scan() if keep is None or keep(d.get("kind")))

    def adjacent(self, name: Any, successors: bool) -> Mapping[str, _Attrs]:
        made = self._succ if successors else self._pred
        found = made.get(name)
        if found is not None:
            return found
        num = self.num(name)
        if num is None:
            raise KeyError(name)
        with collector_paused():  # many small long-lived objects, no cycles
            return self._adjacent(name, num, successors, made)

    def _adjacent(self, name: Any, num: int, successors: bool,
                  made: dict[str, Mapping[str, _Attrs]]) -> Mapping[str, _Attrs]:
        _, _, succ, pred = self.reader.row(num)
        entries = succ if successors else pred
        nums, kinds, edges = self.reader.neighbours(entries)
        if self.keep_kind is None and self.keep_edge is None:
            row = made[name] = _Row(self.reader, entries, nums, edges)
            return row
        kept = []
        names = self.reader.names(entries)
        value, edge = self.reader.value, self.reader.edge
        with self.reader.checked():
            for other, other_name, kind, key in zip(nums, names, kinds, edges, strict=True):
                if self.keep_kind is not None and not self.keep_kind(value(kind)):
                    continue
                data = edge(*key)
                if self.keep_edge is not None:
                    data = self.keep_edge(data)  # type: ignore[assignment]
                    if data is None:
                        continue
                kept.append((other, other_name, data))
        if not successors:
            # a restricted graph's predecessors come in the order of their nodes (analysis.reachability.restrict)
            kept.sort(key=lambda entry: entry[0])
        found = made[name] = {other_name: data for _, other_name, data in kept}
        return found


class _Row(Mapping[str, _Attrs]):
    """A node's successors or predecessors: neighbour → edge attributes. A lookup finds the neighbour by its number
    and makes that one edge's attributes (a path asks a hub's row for one edge of thousands); the names are read
    when the row is iterated, and `items()` makes every edge's attributes, in the saved order."""

    __slots__ = ("_by_num", "_edges", "_entries", "_names", "_nums", "_reader", "_whole")

    def __init__(self, reader: _Reader, entries: Any, nums: Any, edges: list[tuple[int, int]]) -> None:
        self._reader = reader
        self._entries = entries
        self._nums = nums
        self._edges = edges
        self._by_num: dict[int, int] | None = None
        self._names: list[str] | None = None
        self._whole: dict[str, _Attrs] | None = None

    def _at(self, name: object) -> int | None:
        num = self._reader.num(name)
        if num is None:
            return None
        if self._by_num is None:
            self._by_num = dict(zip(self._nums, range(len(self._nums)), strict=True))
        return self._by_num.get(num)

    def __getitem__(self, name: str) -> _Attrs:
        if self._whole is not None:
            return self._whole[name]
        at = self._at(name)
        if at is None:
            raise KeyError(name)
        return self._reader.edge(*self._edges[at])

    def _keys(self) -> list[str]:
        if self._names is None:
            self._names = self._reader.names(self._entries)
        return self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._nums)

    def __contains__(self, name: object) -> bool:
        try:
            return self._at(name) is not None
        except TypeError:  # an unhashable name
            return False

    def items(self) -> Any:
        if self._whole is None:
            edge = self._reader.edge
            self._whole = dict(zip(self._keys(), [edge(*key) for key in self._edges], strict=True))
        return self._whole.items()


class _Nodes(Mapping[Any, _Attrs]):
    def __init__(self, view: _View) -> None:
        self._view = view

    def __getitem__(self, name: Any) -> _Attrs:
        return self._view.node(name)

    def __contains__(self, name: object) -> bool:
        try:
            return self._view.num(name) is not None
        except TypeError:  # an unhashable query
            return False

    def __iter__(self) -> Iterator[Any]:
        return self._view.names()

    def __len__(self) -> int:
        if self._view.keep_kind is None:
            return self._view.reader.count
        return sum(1 for _ in self._view.names())

    def items(self) -> Any:  # every node's attributes without keeping them (not Mapping's lookup per name)
        return self._view.items()


class _Adjacency(Mapping[Any, Mapping[str, _Attrs]]):
    def __init__(self, view: _View, successors: bool) -> None:
        self._view = view
        self._successors = successors

    def __getitem__(self, name: Any) -> Mapping[str, _Attrs]:
        return self._view.adjacent(name, self._successors)

    def __contains__(self, name: object) -> bool:
        try:
            return self._view.num(name) is not None
        except TypeError:
            return False

    def __iter__(self) -> Iterator[Any]:
        return self._view.names()

    def __len__(self) -> int:
        return len(_Nodes(self._view))


class LazyGraph(nx.DiGraph):
    """A saved graph whose nodes and edges are read when first asked for (read only)."""

    def __init__(self, reader: _Reader, keep_kind: KeepKind | None = None,
                 keep_edge: KeepEdge | None = None) -> None:
        super().__init__()
        self._reader = reader
        view = _View(reader, keep_kind, keep_edge)
        self.graph = reader.graph
        self._node = _Nodes(view)
        self._adj = _Adjacency(view, True)  # networkx makes _succ the same object
        self._pred = _Adjacency(view, False)
        self._restricted: dict[Any, LazyGraph] = {}

    def restricted(self, key: Any, keep_kind: KeepKind, keep_edge: KeepEdge) -> LazyGraph:
        """The graph with only the nodes whose kind `keep_kind` keeps and the edges (between them) `keep_edge`
        keeps, as it gives them; applied to each row as it is read. One per `key`."""
        found = self._restricted.get(key)
        if found is None:
            found = self._restricted[key] = LazyGraph(self._reader, keep_kind, keep_edge)
        return found

    def when_damaged(self, callback: Callable[[], str]) -> None:
        """Call `callback` before a damaged row is reported (a build cache entry removes itself); what it returns
        is added to the message."""
        self._reader.on_damage = callback

    @property
    def rows_read(self) -> int:
        """Rows read from the file so far, by this graph and the graphs restricted from it."""
        return self._reader.rows_read

    @property
    def path(self) -> str:
        return self._reader.path

    def saved(self) -> SavedFile:
        """The open file (its snapshot and products)."""
        return self._reader.saved


def in_sqlite(path: str | Path) -> bool:
    """Whether `path` is an SQLite file (a saved graph of this format, or a damaged one), not the node-link JSON of
    older versions. Raises GraphFileError when it cannot be read, as `read_saved` does."""
    check_file(path)
    try:
        with open(path, "rb") as fh:
            return fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError as exc:
        raise GraphFileError(f"{path}: cannot read: {exc.strerror}") from None


def open_lazy(path: str | Path) -> LazyGraph | None:
    """The saved graph at `path` read on demand, or None when the file cannot be (an old JSON file, node ids that
    are no strings): then load it whole. Raises GraphFileError for a file that is no saved graph this version
    reads, as `read_saved` does."""
    if not in_sqlite(path):
        return None
    try:
        saved = SavedFile(path)
    except StoreError as exc:
        raise GraphFileError(f"{path}: {exc}") from None
    if saved.meta.get("node_ids") != "text" or "name_buckets" not in saved.meta:
        saved.close()
        return None
    try:
        return LazyGraph(_Reader(saved))
    except BaseException:
        saved.close()
        raise


def stored_snapshot(graph: LazyGraph) -> Snapshot | None:
    """The whole snapshot stored beside a graph read on demand (None when the file holds none this version reads)."""
    saved = graph.saved()
    try:
        return saved.snapshot() if saved.has_snapshot else None
    except StoreError as exc:
        raise GraphFileError(f"{graph.path}: {exc}") from None


def stored_report(graph: LazyGraph) -> LoadReport | None:
    """The load report stored beside a graph read on demand."""
    try:
        return graph.saved().report()
    except StoreError as exc:
        raise GraphFileError(f"{graph.path}: {exc}") from None
