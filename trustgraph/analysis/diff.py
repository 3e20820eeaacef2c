"""What a change does to trust: two graphs (and their findings) → a typed `GraphDiff`. Pure, no I/O.

**Compared relation.** The graph draws some trust through hub nodes (account hubs `arn:aws:iam::A:root`
with `member` edges from the account's uniform callers; trust classes `class:I.J` for org-wide `*` trusts;
policy groups; an account's admin node and the PassRole and code runners, entered by an indirect edge that
costs no hop). Hub ids are not stable between builds (class numbering follows the data), so hub edges are never
compared by id. What is compared is the *effective one-hop relation* caller → role: a direct edge, or caller →
hub → role through edges that enter hubs (membership, or a hub entry: `schema.hop_cost` 0), however many in a row
(a policy group entering an admin node or a runner, an admin node entering another account's), conditional when
any edge is, condition keys of all. Both ends are principals, never hubs: a principal that becomes an account's
administrator through its policy group gains the account's roles and users, said of the principal. A direct
edge wins over a hub path, as in the build; among hub paths the unconditional one, then the one with fewest
condition keys.

**Without the square of the organization.** Hubs are matched between the two graphs by their *key*
(`schema.diff_key`: the account of an account hub or admin node, the conditions (label) of a trust class…); a
key's groups may be split differently on each side. For each key, the members are bucketed by (their groups
before, their groups after); per bucket the roles reachable through those groups are compared once, so the work
is members + buckets × roles, and only pairs of a bucket whose roles differ are looked at one by one (each is then
checked against the whole effective relation: a principal that moved from a class path to a direct edge
with the same conditions is no change). Changes through one hub key to one role are reported as *one*
`TrustChange` with all its callers ("12 members of org-wide trust X gained role R"); so are direct edges
to one role that changed alike (the same facts before and after: "25 principals of the role's account
gained it").

**Sensitive roles.** Reachers are compared only for sensitive roles (either side) that a trust change
touches or that lie downstream of one (reachable from a changed role on either side): one traversal per
graph from the changed roles, then `who_can_reach` on both sides for those roles only.

**Findings** are matched by `Finding.fingerprint` (rule id + role + principal), never by message text.

A side is any graph with its findings: `side_from_snapshot` makes one from a Snapshot (files, a live
collection, or any other source that produces a Snapshot, such as an infrastructure-as-code plan).

**Missing data is not change.** Each side records what it is known to lack (`Incomplete`: accounts a collection
failed to read or read truncated, input files that were rejected, every gap of its snapshot). A change that
touches an account missing on either side (the role's account, a caller's, an account on a reacher's path, a
finding's role or principal) is reported under `GraphDiff.not_in_data`, never as removed, lost or resolved (nor
as added, new or introduced): the data cannot tell a change from a hole. A rejected file that names no account
(its name does not start with one) makes every account that holds principals only on the other side missing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from trustgraph.analysis.findings import Finding, FindingContext, FindingOptions, find
from trustgraph.analysis.reachability import who_can_reach
from trustgraph.arns import parse_arn
from trustgraph.graph.classification import classify_nodes, is_outside, prepared_context
from trustgraph.graph.schema import (
    TrustGraph,
    diff_key,
    edge_kind,
    graph_dicts,
    hop_cost,
    is_hub,
    is_hub_data,
    is_membership,
)
from trustgraph.graph.usage import covered, explaining_edge, has_usage
from trustgraph.model import Snapshot

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
INTRODUCED, RESOLVED, ESCALATED = "introduced", "resolved", "escalated"
NOW_USED, NOW_UNUSED = "now-used", "now-unused"


@dataclass(frozen=True, slots=True)
class EdgeFacts:
    """What one side says about caller → role: how, under which condition keys, from where."""

    kind: str
    conditional: bool
    conditions: tuple[str, ...]
    classification: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "conditional": self.conditional, "conditions": list(self.conditions),
                "classification": self.classification}


@dataclass(frozen=True, slots=True)
class TrustChange:
    """One change of the effective caller → role relation, for every caller it applies to alike. `via`: None
    for direct edges, else the key of the hub the callers use (schema.diff_key: "org-wide trust <conditions>",
    "account hub <id>", "admin of account <id>" …)."""

    change: str  # added | removed | changed
    role: str
    callers: tuple[str, ...]
    via: str | None
    old: EdgeFacts | None
    new: EdgeFacts | None

    @property
    def fields(self) -> tuple[str, ...]:
        """The facts that differ (for `changed`): kind, conditional, conditions, classification."""
        if self.old is None or self.new is None:
            return ()
        return tuple(f for f in ("kind", "conditional", "conditions", "classification")
                     if getattr(self.old, f) != getattr(self.new, f))


@dataclass(frozen=True, slots=True)
class OutsideTrust:
    """A caller outside the organization (or the data set, without organization data) that can newly obtain
    credentials for a role in one step: a new edge, or an edge whose caller is now counted as outside."""

    role: str
    caller: str
    classification: str
    conditional: bool
    conditions: tuple[str, ...]
    change: str  # added | now-outside


@dataclass(frozen=True, slots=True)
class ReacherChange:
    """A principal that newly reaches (new) or no longer reaches (lost) a sensitive role, by any chain, or that
    reached it only under conditions (MFA, ExternalId …) before and now without (unconditional)."""

    role: str
    principal: str
    change: str  # new | lost | unconditional
    hops: int
    conditional: bool
    conditions: tuple[str, ...]
    classification: str | None
    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UsageChange:
    """A caller → role trust both sides hold whose observed use changed (docs/usage.md): `now-used`, seen used
    only in the new side's events while the old side's covered it and saw no call; `now-unused`, the other way
    round. `first`, `last`, `count`: the calls of the side that saw them."""

    role: str
    caller: str
    change: str  # now-used | now-unused
    first: str
    last: str
    count: int


@dataclass(slots=True)
class NotInData:
    """What would read as a change but touches an account missing on one side: the data cannot tell."""

    accounts: list[str] = field(default_factory=list)  # missing on either side
    trust: list[TrustChange] = field(default_factory=list)
    outside: list[OutsideTrust] = field(default_factory=list)  # callers outside the organization in `trust`
    reachers: list[ReacherChange] = field(default_factory=list)
    findings: list[tuple[str, Finding]] = field(default_factory=list)  # (introduced | resolved | escalated, finding)
    sensitive_roles: list[str] = field(default_factory=list)  # roles that would read as newly (no longer) sensitive

    def __bool__(self) -> bool:
        return bool(self.trust or self.reachers or self.findings or self.sensitive_roles)


@dataclass(slots=True)
class GraphDiff:
    trust: list[TrustChange] = field(default_factory=list)
    outside: list[OutsideTrust] = field(default_factory=list)
    reachers: list[ReacherChange] = field(default_factory=list)
    sensitive_added: dict[str, str] = field(default_factory=dict)  # role → why, sensitive only after
    sensitive_removed: dict[str, str] = field(default_factory=dict)
    findings_introduced: list[Finding] = field(default_factory=list)
    findings_resolved: list[Finding] = field(default_factory=list)
    findings_escalated: list[tuple[Finding, Finding]] = field(default_factory=list)  # (before, after)
    sensitive_checked: list[str] = field(default_factory=list)  # sensitive roles whose reachers were compared
    not_in_data: NotInData = field(default_factory=NotInData)
    # Trust that became used or unused (both sides with CloudTrail events): use, not a change of trust, so it
    # does not make the diff non-empty.
    usage: list[UsageChange] = field(default_factory=list)

    def count(self, change: str) -> int:
        """Caller → role pairs with this change (a hub change counts each of its callers)."""
        return sum(len(t.callers) for t in self.trust if t.change == change)

    @property
    def empty(self) -> bool:
        return not (self.trust or self.outside or self.reachers or self.sensitive_added or self.sensitive_removed
                    or self.findings_introduced or self.findings_resolved or self.findings_escalated)


# The sentences `SnapshotBuilder` writes into `Snapshot.gaps` (a saved graph keeps them, and nothing else says
# which accounts a collection missed): (pattern, the account group or None, whether a gate may pass on it).
_GAP_PATTERNS: tuple[tuple[re.Pattern[str], bool, bool], ...] = (
    (re.compile(r"^account (\S+)(?: \(.*?\))? was failed by the collection"), True, False),
    # A suspended account is not collected on purpose: not in the data, but no reason to stop a gate.
    (re.compile(r"^account (\S+)(?: \(.*?\))? was skipped by the collection"), True, True),
    (re.compile(r"^authorization details for account (\S+) are truncated"), True, False),
    (re.compile(r"^organization data is (?:partial|failed)"), False, False),
    (re.compile(r"^the inventory of account \S+ is incomplete"), False, False),
    (re.compile(r"^the Identity Center data is incomplete"), False, False),
    # Entries, documents or statements an input holds that could not be read (one error line each): what they
    # grant or deny is unknown, so no gate may pass on them.
    (re.compile(r"^\d+ .+ skipped as unreadable$"), False, False),
    (re.compile(r"^\d+ input file\(s\) could not be read"), False, False),
)
_REJECTED = _GAP_PATTERNS[-1][0]
_ACCOUNT_PREFIX = re.compile(r"^(\d{12})(?!\d)")


@dataclass(frozen=True, slots=True)
class Incomplete:
    """What one side (or one run of `findings`) is known to lack. `accounts`: not (wholly) in the data;
    `files`: inputs that could not be read; `reasons`: every gap of the snapshot, one sentence each;
    `partial`: the sentences a gate must not pass on (a rejected file, an account a collection failed to read or
    read truncated, partial organization, inventory or Identity Center data: what a collection calls partial)."""

    accounts: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    partial: tuple[str, ...] = ()
    # A rejected file whose name says no account: which accounts it held is unknown.
    unattributed: bool = False

    def __bool__(self) -> bool:
        """Whether anything is missing: gaps that leave every account and file read (a policy the data does not
        hold, a value known only after apply) are reasons, said by every command, but not missing data."""
        return bool(self.accounts or self.files or self.partial)

    def as_dict(self) -> dict[str, Any]:
        return {"partial": bool(self.partial), "accounts": list(self.accounts), "files": list(self.files),
                "reasons": list(self.reasons)}


def incompleteness(snapshot: Snapshot, files_rejected: Iterable[str] | None = None) -> Incomplete:
    """What `snapshot` is known to lack. `files_rejected`: the load report's rejected files, when there is a
    report (without one, the snapshot's gap sentence says how many)."""
    accounts: list[str] = []
    partial: list[str] = []
    files = list(dict.fromkeys(files_rejected or ()))
    for gap in snapshot.gaps:
        for pattern, names_account, benign in _GAP_PATTERNS:
            match = pattern.match(gap)
            if match is None:
                continue
            if names_account:
                accounts.append(match.group(1))
            if not benign:
                partial.append(gap)
            break
    unattributed = False
    for path in files:
        found = _ACCOUNT_PREFIX.match(PurePath(path).name)
        if found:
            accounts.append(found.group(1))
        else:
            unattributed = True
    said = any(_REJECTED.match(p) for p in partial)
    if files and not said:
        partial.append(f"{len(files)} input file(s) could not be read: {', '.join(files[:5])}"
                       + ("…" if len(files) > 5 else ""))
    # Without a load report (an old saved graph) the gap sentence is all there is: which files, unknown.
    unattributed = unattributed or (said and not files)
    return Incomplete(tuple(sorted(set(accounts))), tuple(files), tuple(dict.fromkeys([*snapshot.gaps, *partial])),
                      tuple(partial), unattributed)


@dataclass(slots=True)
class Side:
    """One side of a comparison: the graph, its findings, its sensitive roles (role → why), and what it lacks."""

    graph: TrustGraph
    findings: list[Finding] = field(default_factory=list)
    sensitive: Mapping[str, str] = field(default_factory=dict)
    incomplete: Incomplete = field(default_factory=Incomplete)


def side_from_snapshot(snapshot: Snapshot, graph: TrustGraph | None = None,
                       options: FindingOptions | None = None, files_rejected: Iterable[str] | None = None) -> Side:
    """Build (unless given) the graph of a snapshot, run every rule and name its sensitive roles.
    `files_rejected`: the inputs of the side that could not be read (the load report's)."""
    if graph is None:
        from trustgraph.graph.build import build_graph
        graph = build_graph(snapshot)
    context = FindingContext(snapshot, graph, options)
    found = find(snapshot, graph, context.options, context=context)
    return Side(graph, found, {arn: s.label for arn, s in context.sensitive.items()},
                incompleteness(snapshot, files_rejected))


# -- the effective relation ----------------------------------------------------------------------------


def _enters(edge: Mapping[str, Any]) -> bool:
    """An edge into a hub that puts its caller in the hub's place (membership, or becoming an account's admin):
    the relation goes on from the hub."""
    return hop_cost(edge) == 0


def _facts(data: Mapping[str, Any]) -> EdgeFacts:
    conditional = bool(data.get("conditional"))
    return EdgeFacts(edge_kind(data), conditional,
                     tuple(sorted(data.get("conditions") or ())) if conditional else (),
                     str(data.get("classification", "")))


Group = tuple[str, bool, tuple[str, ...]]  # hub id, the way in conditional, the way in's condition keys
Way = tuple[bool, tuple[str, ...]]  # conditional, condition keys


def _rank(way: Way) -> tuple[bool, int, tuple[str, ...]]:
    return way[0], len(way[1]), way[1]


def _join(way: Way, edge: Mapping[str, Any]) -> Way:
    """The way extended by one edge: conditional when either is, with the condition keys of both."""
    if not edge.get("conditional"):
        return way
    return True, tuple(sorted(set(way[1]) | set(edge.get("conditions") or ())))


def _through(group: Group, hub_edge: Mapping[str, Any], classification: str) -> EdgeFacts:
    conditional, keys = _join((group[1], group[2]), hub_edge)
    return EdgeFacts(edge_kind(hub_edge), conditional, keys, classification)


def _better(a: EdgeFacts, b: EdgeFacts) -> bool:
    return (a.conditional, len(a.conditions), a.conditions) < (b.conditional, len(b.conditions), b.conditions)


def _best_ways(succ: Mapping[str, Mapping[str, Any]], nodes: Mapping[str, Mapping[str, Any]],
               start: Mapping[str, Way]) -> dict[str, Way]:
    """Every hub reached from `start` (hub → the way into it) through further hub entries, each with its best way
    (unconditional first, then the fewest condition keys). Hubs are few and their chains short (a policy group →
    an admin node → another account's admin node)."""
    best = dict(start)
    stack = list(best)
    while stack:
        hub = stack.pop()
        way = best[hub]
        for nxt, edge in succ[hub].items():
            if not _enters(edge) or not is_hub_data(nodes[nxt]):
                continue
            found = _join(way, edge)
            old = best.get(nxt)
            if old is None or _rank(found) < _rank(old):
                best[nxt] = found
                stack.append(nxt)
    return best


class _Relation:
    """The effective caller → role relation of one graph, answered pair by pair."""

    def __init__(self, graph: TrustGraph) -> None:
        self.graph = graph
        self.ctx = prepared_context(graph)
        self._keys: dict[str, str] = {}
        self._from_hub: dict[str, dict[str, Way]] = {}
        self._groups: dict[str, tuple[Group, ...]] = {}

    def key(self, hub: str) -> str:
        found = self._keys.get(hub)
        if found is None:
            found = self._keys[hub] = diff_key(self.graph, hub)
        return found

    def _hub_ways(self, hub: str) -> dict[str, Way]:
        found = self._from_hub.get(hub)
        if found is None:
            dicts = graph_dicts(self.graph)
            found = self._from_hub[hub] = _best_ways(dicts.succ, dicts.nodes, {hub: (False, ())})
        return found

    def groups(self, caller: str) -> tuple[Group, ...]:
        """Every hub the caller stands in without a hop, with its best way in: the hubs it enters, and the hubs
        those enter in turn (a policy group's admin node or code runner; an admin node's other accounts)."""
        found = self._groups.get(caller)
        if found is not None:
            return found
        dicts = graph_dicts(self.graph)
        best: dict[str, Way] = {}
        for hub, edge in dicts.succ.get(caller, {}).items():
            if not _enters(edge) or not is_hub_data(dicts.nodes[hub]):
                continue
            first = _join((False, ()), edge)
            for reached, way in self._hub_ways(hub).items():
                joined = (first[0] or way[0], tuple(sorted(set(first[1]) | set(way[1]))))
                old = best.get(reached)
                if old is None or _rank(joined) < _rank(old):
                    best[reached] = joined
        found = self._groups[caller] = tuple(sorted((h, c, k) for h, (c, k) in best.items()))
        return found

    def effective(self, caller: str, role: str) -> tuple[EdgeFacts, str | None] | None:
        """(facts, None) for a direct edge, (facts, hub key) for the best hub path, None if neither. Hubs are never
        an end: a change is always said of the principals on both ends."""
        g = self.graph
        if caller not in g or role not in g or is_hub(g, caller) or is_hub(g, role):
            return None
        direct = graph_dicts(g).succ[caller].get(role)
        if direct is not None and not is_membership(direct):
            return _facts(direct), None
        best: tuple[EdgeFacts, str] | None = None
        for group in self.groups(caller):
            out = graph_dicts(g).succ[group[0]].get(role)
            if out is None:
                continue
            facts = _through(group, out, classify_nodes(g, caller, role, self.ctx))
            if best is None or _better(facts, best[0]):
                best = (facts, self.key(group[0]))
        return best


Signature = tuple[str, bool, tuple[str, ...], str]  # kind, conditional, keys, classification: EdgeFacts as a tuple


def _signature(data: Mapping[str, Any]) -> Signature:
    conditional = bool(data.get("conditional"))
    keys = data.get("conditions")
    return (edge_kind(data), conditional, tuple(sorted(keys)) if conditional and keys else (),
            data.get("classification", ""))


def _direct_edges(graph: TrustGraph) -> dict[tuple[str, str], Signature]:
    """Every direct caller → role edge (nothing from or to a hub: membership edges are into one) with what it says;
    plain tuples, as this runs over every edge of both graphs."""
    nodes = graph_dicts(graph).nodes
    out: dict[tuple[str, str], Signature] = {}
    for u, succ in graph_dicts(graph).succ.items():
        if is_hub_data(nodes[u]):
            continue
        for v, d in succ.items():
            if not is_hub_data(nodes[v]):
                out[(u, v)] = _signature(d)
    return out


def _hub_groups(rel: _Relation) -> dict[str, dict[str, tuple[Group, ...]]]:
    """Hub key → caller (never a hub) → its groups of that key, hubs entered through other hubs included."""
    dicts = graph_dicts(rel.graph)
    callers = {member for hub, data in dicts.nodes.items() if is_hub_data(data)
               for member, edge in dicts.pred[hub].items() if _enters(edge) and not is_hub_data(dicts.nodes[member])}
    out: dict[str, dict[str, list[Group]]] = defaultdict(lambda: defaultdict(list))
    for caller in callers:
        for group in rel.groups(caller):
            out[rel.key(group[0])][caller].append(group)
    return {k: {m: tuple(sorted(groups)) for m, groups in members.items()} for k, members in out.items()}


def _roles_through(g: TrustGraph, groups: tuple[Group, ...]) -> dict[str, tuple[bool, int, tuple[str, ...], str]]:
    """Role (any principal, never a hub) → (conditional, number of keys, keys, kind) of the best path through these
    groups; the caller's classification is left out (decided pair by pair for the pairs that differ)."""
    dicts = graph_dicts(g)
    best: dict[str, tuple[bool, int, tuple[str, ...], str]] = {}
    for hub, way_conditional, way_keys in groups:
        for role, out in dicts.succ[hub].items():
            if is_hub_data(dicts.nodes[role]):
                continue  # a hub entered from this one: its roles are the caller's own group
            conditional, keys = _join((way_conditional, way_keys), out)
            value = (conditional, len(keys), keys, edge_kind(out))
            old = best.get(role)
            if old is None or value < old:
                best[role] = value
    return best


def _hub_candidates(old: _Relation, new: _Relation) -> set[tuple[str, str]]:
    """Caller → role pairs whose hub paths may differ, bucketed so that unchanged groups cost nothing."""
    before, after = _hub_groups(old), _hub_groups(new)
    found: set[tuple[str, str]] = set()
    for key in set(before) | set(after):
        b, a = before.get(key, {}), after.get(key, {})
        buckets: dict[tuple[tuple[Group, ...], tuple[Group, ...]], list[str]] = defaultdict(list)
        for member in set(b) | set(a):
            buckets[(b.get(member, ()), a.get(member, ()))].append(member)
        memo_old: dict[tuple[Group, ...], dict[str, tuple[bool, int, tuple[str, ...], str]]] = {}
        memo_new: dict[tuple[Group, ...], dict[str, tuple[bool, int, tuple[str, ...], str]]] = {}
        for (groups_old, groups_new), members in buckets.items():
            r_old = memo_old.get(groups_old)
            if r_old is None:
                r_old = memo_old[groups_old] = _roles_through(old.graph, groups_old)
            r_new = memo_new.get(groups_new)
            if r_new is None:
                r_new = memo_new[groups_new] = _roles_through(new.graph, groups_new)
            # Same roles under the same conditions: nothing to look at, however the groups were renumbered.
            for role in (r for r in set(r_old) | set(r_new) if r_old.get(r) != r_new.get(r)):
                found.update((m, role) for m in members)
    return found


def trust_changes(old_graph: TrustGraph, new_graph: TrustGraph) -> list[TrustChange]:
    """Every change of the effective caller → role relation, hub changes grouped per (hub key, role)."""
    old, new = _Relation(old_graph), _Relation(new_graph)
    d_old, d_new = _direct_edges(old_graph), _direct_edges(new_graph)
    candidates = {pair for pair in set(d_old) | set(d_new) if d_old.get(pair) != d_new.get(pair)}
    candidates |= _hub_candidates(old, new)
    grouped: dict[tuple[str, str, str | None, EdgeFacts | None, EdgeFacts | None], list[str]] = defaultdict(list)
    for caller, role in candidates:
        before, after = old.effective(caller, role), new.effective(caller, role)
        f_old = before[0] if before else None
        f_new = after[0] if after else None
        if f_old == f_new:
            continue
        change = ADDED if f_old is None else REMOVED if f_new is None else CHANGED
        via = after[1] if after else before[1] if before else None
        grouped[(change, role, via, f_old, f_new)].append(caller)
    order = {ADDED: 0, CHANGED: 1, REMOVED: 2}
    return sorted((TrustChange(change, role, tuple(sorted(callers)), via, f_old, f_new)
                   for (change, role, via, f_old, f_new), callers in grouped.items()),
                  key=lambda t: (order[t.change], t.role, t.via or "", t.callers))


# -- outside trust, sensitive reachers, findings -----------------------------------------------------------


def _outside(old_graph: TrustGraph, new_graph: TrustGraph, changes: Iterable[TrustChange]) -> list[OutsideTrust]:
    ctx_old, ctx_new = prepared_context(old_graph), prepared_context(new_graph)
    found = []
    for t in changes:
        if t.new is None or t.change == REMOVED:
            continue
        for caller in t.callers:
            if caller not in new_graph or not is_outside(new_graph, caller, ctx_new):
                continue
            if t.change == ADDED:
                found.append(OutsideTrust(t.role, caller, t.new.classification, t.new.conditional,
                                          t.new.conditions, ADDED))
            elif caller in old_graph and not is_outside(old_graph, caller, ctx_old):
                found.append(OutsideTrust(t.role, caller, t.new.classification, t.new.conditional,
                                          t.new.conditions, "now-outside"))
    return sorted(found, key=lambda o: (o.role, o.caller))


def _downstream(graph: TrustGraph, start: Iterable[str]) -> set[str]:
    succ = graph_dicts(graph).succ
    seen = {s for s in start if s in succ}
    stack = list(seen)
    while stack:
        for nxt in succ[stack.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _reachers(graph: TrustGraph, role: str) -> dict[str, Any]:
    if role not in graph:
        return {}
    return {r.principal: r for r in who_can_reach(graph, role).reachers if r.principal != role}


def reacher_changes(old: Side, new: Side, changes: Iterable[TrustChange]) -> tuple[list[ReacherChange], list[str]]:
    """New and lost reachers of the sensitive roles a change touches or lies upstream of, and those roles."""
    touched = {t.role for t in changes}
    sensitive = set(old.sensitive) | set(new.sensitive)
    if not touched or not sensitive:
        return [], []
    affected = sorted(sensitive & (_downstream(old.graph, touched) | _downstream(new.graph, touched) | touched))
    out: list[ReacherChange] = []
    for role in affected:
        before, after = _reachers(old.graph, role), _reachers(new.graph, role)
        if role in new.sensitive:
            for p in sorted(set(after) - set(before)):
                r = after[p]
                out.append(ReacherChange(role, p, "new", r.hops, r.conditional, tuple(r.conditions),
                                         r.classification, tuple(r.path)))
            # A reach that needed MFA or an ExternalId and now needs nothing is as new to a reviewer as a reacher.
            for p in sorted(p for p in set(after) & set(before) if before[p].conditional and not after[p].conditional):
                r = after[p]
                out.append(ReacherChange(role, p, "unconditional", r.hops, r.conditional, tuple(r.conditions),
                                         r.classification, tuple(r.path)))
        if role in old.sensitive:
            for p in sorted(set(before) - set(after)):
                r = before[p]
                out.append(ReacherChange(role, p, "lost", r.hops, r.conditional, tuple(r.conditions),
                                         r.classification, tuple(r.path)))
    return out, affected


def finding_changes(old: Iterable[Finding], new: Iterable[Finding]
                    ) -> tuple[list[Finding], list[Finding], list[tuple[Finding, Finding]]]:
    """(introduced, resolved, escalated) by fingerprint; escalated: the worst finding of a fingerprint got
    more severe, as (before, after)."""
    by_old: dict[str, list[Finding]] = defaultdict(list)
    by_new: dict[str, list[Finding]] = defaultdict(list)
    for f in old:
        by_old[f.fingerprint].append(f)
    for f in new:
        by_new[f.fingerprint].append(f)
    introduced = [f for fp, fs in by_new.items() if fp not in by_old for f in fs]
    resolved = [f for fp, fs in by_old.items() if fp not in by_new for f in fs]
    escalated = []
    for fp in set(by_old) & set(by_new):
        worst_old = max(by_old[fp], key=lambda f: f.severity.rank)
        worst_new = max(by_new[fp], key=lambda f: f.severity.rank)
        if worst_new.severity.rank > worst_old.severity.rank:
            escalated.append((worst_old, worst_new))
    return (sorted(introduced, key=Finding.sort_key), sorted(resolved, key=Finding.sort_key),
            sorted(escalated, key=lambda pair: pair[1].sort_key()))


# -- what the data cannot tell ------------------------------------------------------------------------------


def _accounts_in_data(graph: TrustGraph) -> set[str]:
    """The accounts whose principals were read (not merely named by a policy)."""
    return {str(d["account"]) for _, d in graph.nodes(data=True)
            if d.get("in_data") and d.get("account") and not is_hub_data(d)}


def missing_accounts(old: Side, new: Side) -> tuple[set[str], set[str]]:
    """The accounts missing on each side: those it says it lacks, and, when it rejected a file that names no
    account, every account holding principals only on the other side."""
    missing_old, missing_new = set(old.incomplete.accounts), set(new.incomplete.accounts)
    if old.incomplete.unattributed or new.incomplete.unattributed:
        in_old, in_new = _accounts_in_data(old.graph), _accounts_in_data(new.graph)
        if old.incomplete.unattributed:
            missing_old |= in_new - in_old
        if new.incomplete.unattributed:
            missing_new |= in_old - in_new
    return missing_old, missing_new


class _Accounts:
    """The account of a node or a principal as written (an ARN or a bare account id), from either graph."""

    def __init__(self, *graphs: TrustGraph) -> None:
        self.graphs = graphs

    def __call__(self, name: str | None) -> str | None:
        if not name:
            return None
        for g in self.graphs:
            data = g.nodes.get(name) if name in g else None
            if data is not None and data.get("account"):
                return str(data["account"])
        if _ACCOUNT_PREFIX.fullmatch(name):
            return name
        parsed = parse_arn(name)
        return parsed.account or None if parsed else None


def _split_trust(changes: list[TrustChange], unknown: set[str], account: _Accounts
                 ) -> tuple[list[TrustChange], list[TrustChange]]:
    """(changes the data shows, changes that touch an account in `unknown`): a row is split by its callers."""
    kept: list[TrustChange] = []
    aside: list[TrustChange] = []
    for t in changes:
        if account(t.role) in unknown:
            aside.append(t)
            continue
        missing = tuple(c for c in t.callers if account(c) in unknown)
        if not missing:
            kept.append(t)
            continue
        aside.append(TrustChange(t.change, t.role, missing, t.via, t.old, t.new))
        if len(missing) < len(t.callers):
            kept.append(TrustChange(t.change, t.role, tuple(c for c in t.callers if c not in missing), t.via,
                                    t.old, t.new))
    return kept, aside


def _set_aside(diff: GraphDiff, unknown: set[str], account: _Accounts) -> None:
    """Move the reachers, findings and sensitive roles that touch an account in `unknown` to `diff.not_in_data`."""
    aside = diff.not_in_data

    def touches(r: ReacherChange) -> bool:
        return any(account(n) in unknown for n in (r.role, r.principal, *r.path))

    aside.reachers = [r for r in diff.reachers if touches(r)]
    diff.reachers = [r for r in diff.reachers if not touches(r)]

    def hidden(f: Finding) -> bool:
        return account(f.role) in unknown or account(f.principal) in unknown

    aside.findings = sorted([(INTRODUCED, f) for f in diff.findings_introduced if hidden(f)]
                            + [(RESOLVED, f) for f in diff.findings_resolved if hidden(f)]
                            + [(ESCALATED, b) for _, b in diff.findings_escalated if hidden(b)],
                            key=lambda item: (item[1].sort_key(), item[0]))
    diff.findings_introduced = [f for f in diff.findings_introduced if not hidden(f)]
    diff.findings_resolved = [f for f in diff.findings_resolved if not hidden(f)]
    diff.findings_escalated = [(a, b) for a, b in diff.findings_escalated if not hidden(b)]
    for roles in (diff.sensitive_added, diff.sensitive_removed):
        for role in [r for r in roles if account(r) in unknown]:
            aside.sensitive_roles.append(role)
            del roles[role]
    aside.sensitive_roles.sort()


def usage_changes(old: TrustGraph, new: TrustGraph) -> list[UsageChange]:
    """The trust both graphs hold that one side's events saw used and the other's, covering it, did not. Only
    the caller → role pairs seen used on one side are looked at (graph/usage.py's `usage_pairs`); a pair whose
    trust is on one side only is a trust change, and one the other side's events do not cover is unknown."""
    if not (has_usage(old) and has_usage(new)):
        return []
    before, after = old.graph["usage_pairs"], new.graph["usage_pairs"]
    out = []
    for key in sorted(before.keys() ^ after.keys()):
        caller, role = key.split("\t", 1)
        if explaining_edge(old, caller, role) is None or explaining_edge(new, caller, role) is None:
            continue
        change, record, other = (NOW_USED, after[key], old) if key in after else (NOW_UNUSED, before[key], new)
        if covered(other, caller, role):
            out.append(UsageChange(role, caller, change, record["first"], record["last"], record["count"]))
    return out


def diff_sides(old: Side, new: Side) -> GraphDiff:
    """Everything the change from `old` to `new` does to trust; what touches an account missing on either side is
    set aside (`GraphDiff.not_in_data`), and outside trust is judged on what the data shows."""
    changes = trust_changes(old.graph, new.graph)
    reachers, checked = reacher_changes(old, new, changes)
    introduced, resolved, escalated = finding_changes(old.findings, new.findings)
    missing_old, missing_new = missing_accounts(old, new)
    unknown = missing_old | missing_new
    account = _Accounts(new.graph, old.graph)
    kept, aside = _split_trust(changes, unknown, account) if unknown else (changes, [])
    diff = GraphDiff(
        trust=kept,
        outside=_outside(old.graph, new.graph, kept),
        reachers=reachers,
        sensitive_added={r: why for r, why in sorted(new.sensitive.items()) if r not in old.sensitive},
        sensitive_removed={r: why for r, why in sorted(old.sensitive.items()) if r not in new.sensitive},
        findings_introduced=introduced,
        findings_resolved=resolved,
        findings_escalated=escalated,
        sensitive_checked=checked,
        not_in_data=NotInData(accounts=sorted(unknown), trust=aside,
                              outside=_outside(old.graph, new.graph, aside) if aside else []),
        usage=usage_changes(old.graph, new.graph),
    )
    if unknown:
        _set_aside(diff, unknown, account)
    return diff
