"""One organization built in parts, on several machines, and the parts merged into one graph (docs/scale-out.md).

Every part reads the whole organization's inputs (reading is cheap) and evaluates only what its accounts own:

- the trust edges into roles of its accounts (callers from anywhere, account hubs and trust classes as one build
  draws them: `GraphBuilder.part`);
- the indirect edges of callers in its accounts (PassRole, code and IAM edges stay in the caller's account;
  sts:AssumeRoot and service-managed StackSets are the management account's callers'), the edges of the hubs of
  its accounts, and those of the admin nodes it enters (`admin:A` → every principal of A: equal in each part that
  draws them);
- every principal node (equal in every part).

What needs edges of other parts is left to the merge: a policy write whose target the part's own edges do not reach
firmly (`IamEdges.pending`: the merge decides it over the merged graph, as one build would), the statements kept
off every write path (`_keep_identity_off_write_paths`), Identity Center's sign-ins (they take the verdict of the
AWSSSO provider's edge into each role) and administrators, and observed use. Trust classes are numbered per build
(`class:I.J`): the merge keys each class hub by its content (conditions, label, members) and keeps one node per
content, so a class drawn in three parts is one hub with its member edges once. The answers of the merged graph
are those of one build of the whole organization (tests/graph/test_parts.py compares every who-can-reach answer).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from trustgraph.graph.build import organization_gate
from trustgraph.graph.callers import CallerDirectory
from trustgraph.graph.classification import annotate
from trustgraph.graph.identity_center import add_identity_center
from trustgraph.graph.identity_center_admins import add_identity_center_admins
from trustgraph.graph.indirect import IndirectEdges
from trustgraph.graph.schema import EdgeKind, NodeKind, TrustGraph
from trustgraph.graph.usage import add_usage
from trustgraph.model import Snapshot
from trustgraph.policy.passrole import TAKEOVER

PART = "part"  # the graph attribute of a part: its accounts, selection, inputs digest and what it left to the merge
PARTS = "parts"  # the graph attribute of a merged graph: which parts it holds, which are missing
# Graph attributes each part has for itself; every other must be equal in every part.
_OWN = frozenset({PART, "trust_problems"})


class MergeError(ValueError):
    """Parts that cannot be merged (other inputs, another version, overlapping accounts): one line."""


def universe(snapshot: Snapshot) -> list[str]:
    """The accounts parts are cut from: those collected and those holding a principal of the data."""
    return sorted(snapshot.collected_accounts | {r.account for r in snapshot.roles.values()}
                  | {u.account for u in snapshot.users.values()})


def batch(snapshot: Snapshot, index: int, count: int) -> frozenset[str]:
    """Part `index` of `count` (1-based): every count-th account of the sorted ids, starting at the index-th. Dealt
    round, the parts hold equal numbers of accounts whatever the ids."""
    if count < 1 or not 1 <= index <= count:
        raise ValueError(f"part {index}/{count}: K/N needs 1 <= K <= N")
    return frozenset(universe(snapshot)[index - 1::count])


def in_units(snapshot: Snapshot, units: Iterable[str]) -> frozenset[str]:
    """The accounts under any of `units` (an OU or root id, or an OU name) anywhere on their OU path."""
    org = snapshot.organization
    if org is None:
        raise ValueError("--ou needs the organization's data (organization.json) among the inputs")
    wanted = set(units)
    names = {u.id for u in [*org.roots, *org.units] if u.name in wanted}
    found: set[str] = set()
    for account in org.accounts.values():
        path = set(account.ou_path.strip("/").split("/"))
        if path & wanted or path & names:
            found.add(account.id)
    unknown = sorted(u for u in wanted if u not in {x.id for x in [*org.roots, *org.units]}
                     and u not in {x.name for x in [*org.roots, *org.units]})
    if unknown:
        raise ValueError(f"--ou {unknown[0]}: no such OU (or root) in the organization's data")
    return frozenset(found & set(universe(snapshot)))


def _class_key(graph: TrustGraph, node: str, data: dict[str, Any]) -> tuple[object, ...]:
    members = tuple(sorted(graph.predecessors(node)))
    return data.get("label"), json.dumps(data.get("class_conditions"), sort_keys=True), members


@dataclass
class MergeStats:
    parts: list[int | str] = field(default_factory=list)
    class_hubs_seen: int = 0  # class hub nodes in the parts
    class_hubs_kept: int = 0  # distinct by content: nodes of the merged graph
    member_edges_shared: int = 0  # member edges of a class or account hub drawn by more than one part, kept once
    edges_shared: int = 0  # any other edge drawn by more than one part (admin nodes' edges), kept once
    node_conflicts: list[str] = field(default_factory=list)  # nodes whose attributes differ between parts
    edge_conflicts: list[tuple[str, str]] = field(default_factory=list)  # edges two parts drew differently


class Merger:
    """Union of part graphs (`add` one at a time: only the merged graph and one part are in memory), then `finish`
    with the snapshot (any part's: they are the same inputs) to decide what needed the whole graph."""

    def __init__(self) -> None:
        self.graph: TrustGraph | None = None
        self.stats = MergeStats()
        self.accounts: dict[str, str] = {}  # account → the part holding it
        self._classes: dict[tuple[object, ...], str] = {}  # class content → its node in the merged graph
        self._class_index: dict[tuple[object, ...], int] = {}  # (label, conditions) → class number
        self._taken: set[str] = set()  # class hub ids of the merged graph
        self._writes: list[dict[str, Any]] = []
        self._writers: set[str] = set()
        self._problems: list[dict[str, Any]] = []
        self._selection: dict[str, Any] | None = None

    def add(self, part: TrustGraph, name: str) -> None:
        info = part.graph.get(PART)
        if not isinstance(info, dict):
            raise MergeError(f"{name}: not a part (build it with `trustgraph build --part K/N`)")
        selection = {k: info.get(k) for k in ("inputs", "count", "data_time", "trustgraph")}
        if self._selection is None:
            self._selection = selection
        else:
            for key, value in selection.items():
                if value != self._selection[key]:
                    what = {"inputs": "other inputs (or other trustgraph code)", "count": "another number of parts",
                            "data_time": "another --data-time", "trustgraph": "another trustgraph"}[key]
                    raise MergeError(f"{name}: built from {what} than the first part ({key}: {value} vs "
                                     f"{self._selection[key]}); build every part from the same inputs and version")
        label = info.get("index") or name
        for account in info.get("accounts", ()):
            if account in self.accounts:
                raise MergeError(f"{name}: account {account} is also in part {self.accounts[account]}")
            self.accounts[account] = str(label)
        self.stats.parts.append(label)
        self._writes.extend(info.get("writes", ()))
        self._writers.update(info.get("writers", ()))
        self._problems.extend(part.graph.get("trust_problems", ()))
        if self.graph is None:
            self.graph = part
            for node, data in part.nodes(data=True):
                if data.get("kind") == NodeKind.CLASS:
                    self.stats.class_hubs_seen += 1
                    self._keep_class(part, node, data)
            return
        g = self.graph
        for key, value in part.graph.items():
            if key not in _OWN and g.graph.get(key) != value:
                raise MergeError(f"{name}: graph attribute {key} differs from the first part's (other inputs?)")
        ids: dict[str, str] = {}
        for node, data in part.nodes(data=True):
            if data.get("kind") == NodeKind.CLASS:
                self.stats.class_hubs_seen += 1
                ids[node] = self._class_node(part, node, data)
                continue
            if node in g:
                if g.nodes[node] != data and len(self.stats.node_conflicts) < 20:
                    self.stats.node_conflicts.append(node)
                continue
            g.add_node(node)
            g.nodes[node].update(data)
        for src, dst, data in part.edges(data=True):
            src, dst = ids.get(src, src), ids.get(dst, dst)
            if g.has_edge(src, dst):
                if data.get("kind") == EdgeKind.MEMBER:
                    self.stats.member_edges_shared += 1
                else:
                    self.stats.edges_shared += 1
                if g.edges[src, dst] != data and len(self.stats.edge_conflicts) < 20:
                    self.stats.edge_conflicts.append((src, dst))  # each edge has one owner: none expected
                continue
            g.add_edge(src, dst)
            g.edges[src, dst].update(data)

    def _class_node(self, part: TrustGraph, node: str, data: dict[str, Any]) -> str:
        found = self._classes.get(_class_key(part, node, data))
        if found is not None:
            return found
        assert self.graph is not None
        merged = self._keep_class(part, node, data, keep=False)
        self.graph.add_node(merged)
        self.graph.nodes[merged].update(data)
        return merged

    def _keep_class(self, part: TrustGraph, node: str, data: dict[str, Any], keep: bool = True) -> str:
        """The merged id of a class hub `class:I.J`: the first part's own; a class another part adds keeps the number
        I of the first part's class with its conditions (else the next number) and its group J."""
        key = _class_key(part, node, data)
        number, group = node.removeprefix("class:").split(".", 1)
        if keep:
            self._class_index.setdefault(key[:2], int(number))
            merged = node
        else:
            if key[:2] not in self._class_index:
                self._class_index[key[:2]] = max(self._class_index.values(), default=-1) + 1
            merged = base = f"class:{self._class_index[key[:2]]}.{group}"
            extra = 0
            while merged in self._taken:
                extra += 1
                merged = f"{base}.{extra}"
        self._classes[key] = merged
        self._taken.add(merged)
        self.stats.class_hubs_kept += 1
        return merged

    def missing(self, snapshot: Snapshot) -> list[str]:
        return [a for a in universe(snapshot) if a not in self.accounts]

    def finish(self, snapshot: Snapshot) -> TrustGraph:
        """Decide on the merged graph what the parts left to it, in the order one build does it."""
        g = self.graph
        assert g is not None and self._selection is not None
        g.graph.pop(PART, None)
        g.graph["trust_problems"] = sorted(self._problems, key=lambda p: str(p.get("role")))
        org_gate, org_facts = organization_gate(snapshot)
        data_time = self._selection["data_time"]
        edges = IndirectEdges(g, snapshot, CallerDirectory(snapshot, org_facts), org_gate, data_time)
        admins = [n for n, d in g.nodes(data=True) if d.get("kind") == NodeKind.ACCOUNT_ADMIN]
        edges._admins = {src for node in admins for src, data in g.pred[node].items()
                         if any(r.get("action") == TAKEOVER for r in data.get("evidence", ()))}
        edges._identity_records = [(src, record) for src, _, data in g.edges(data=True)
                                   for record in data.get("evidence", ()) if "identity" in record]
        # One build decides the writes before any admin node has its edges: set aside while they are decided.
        held = [(node, dst, data) for node in admins for dst, data in g.succ[node].items()]
        g.remove_edges_from([(node, dst) for node, dst, _ in held])
        edges.take_deferred(self._writes, sorted(self._writers))
        g.add_edges_from(held)
        # Admin nodes a part drew for a write it deferred, which the merge did not take: one build has none.
        g.remove_nodes_from([n for n in admins if not g.pred[n]])
        self._restore_groups(edges)
        add_identity_center(g, snapshot)
        add_identity_center_admins(edges)
        annotate(g)
        add_usage(g, snapshot)
        missing = self.missing(snapshot)
        g.graph[PARTS] = {"count": self._selection["count"], "merged": self.stats.parts,
                          "missing_accounts": missing, "class_hubs_in_parts": self.stats.class_hubs_seen,
                          "class_hubs": self.stats.class_hubs_kept,
                          "member_edges_shared": self.stats.member_edges_shared,
                          "edges_shared": self.stats.edges_shared}
        if missing:
            g.graph["incomplete"] = [*g.graph.get("incomplete", ()),
                                     f"parts missing from the merge: {len(missing)} accounts have no part "
                                     f"(e.g. {', '.join(missing[:3])}): their roles' trust edges and their "
                                     "principals' indirect edges are not in the graph"]
        return g

    def _restore_groups(self, edges: IndirectEdges) -> None:
        """The policy-group nodes as the indirect pass left them, so that Identity Center administrators with the
        same members share one and new ones are numbered on (`IndirectBase._group`)."""
        g = edges.graph
        for node, data in g.nodes(data=True):
            if data.get("kind") == NodeKind.POLICY_GROUP:
                account = str(data.get("account") or "")
                edges._groups[account] = edges._groups.get(account, 0) + 1
                edges._group_nodes[tuple(g.predecessors(node))] = node


def merge(parts: Sequence[tuple[TrustGraph, str]], snapshot: Snapshot) -> TrustGraph:
    """Merge part graphs held in memory (tests; the CLI adds them one at a time)."""
    merger = Merger()
    for graph, name in parts:
        merger.add(graph, name)
    return merger.finish(snapshot)
