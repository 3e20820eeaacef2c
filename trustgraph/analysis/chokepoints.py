"""Choke points (docs/chokepoints.md): the policy statements whose removal cuts the most (principal, target role)
reach pairs, chosen greedily, each step's cut recomputed on the graph rather than estimated.

A removable unit is one statement the data holds: a statement of a role's trust policy, an Identity Center
permission-set assignment, or a statement of a user's or role's inline policy that the build found to be, alone
or with others, what grants an action a PassRole or code edge needs (the evidence's `identity`). The edges it
removes are read from the edges' evidence: each evidence record is one alternative of its edge, and an alternative
needs every one of its groups of statements, a group any one of its statements (a PassRole or code edge into a
role needs one of the statements of the role's trust that admit the service, and one of the caller's statements
granting each action it asks, where recorded; a sign-in needs its assignment and one of the statements admitting
the account's AWSSSO provider). An
edge goes when every alternative has lost a whole group: an edge backed by two statements stays when one goes.

Reach is kept as one bitset of targets per node (the targets it reaches), found by one fixpoint over the reversed
graph: the cost is that of a search whatever the number of targets. Scoring a statement recomputes the bitsets of
the ancestors of the edges it cuts only, on the graph as the previous steps left it; the candidates are looked at
in the order of a cheap upper bound (ancestor answers × targets behind each cut edge) and the search stops as soon
as no remaining bound can beat the best exact cut found.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from trustgraph.analysis.findings.groups import group_id
from trustgraph.analysis.findings.model import Finding
from trustgraph.analysis.guardrails import Guardrail, RuleKind, depends_on, select
from trustgraph.analysis.reachability import restrict
from trustgraph.graph.identity_center import is_sso_provider
from trustgraph.graph.schema import EdgeKind, NodeKind, TrustGraph, graph_dicts, is_answer, is_kind

TRUST = "trust"
ASSIGNMENT = "assignment"
IDENTITY = "identity"  # a statement of a user's or role's inline policy
# The candidates scored exactly per step at most, in the order of their upper bounds (the pick is exact among them;
# the bound usually stops the search sooner).
EXACT_BUDGET = 200


@dataclass(frozen=True, slots=True, order=True)
class Unit:
    """One removable statement. `owner`: the role whose trust policy holds it, the Identity Center user or group of
    an assignment, or the user or role whose inline policy holds it; `policy`: "trust", the permission set ARN, or
    the inline policy's name; `index`: the statement's index in its policy (None for an assignment)."""

    kind: str  # TRUST | ASSIGNMENT | IDENTITY
    owner: str
    policy: str
    index: int | None
    account: str
    assignment: tuple[tuple[str, str], ...] = ()  # an assignment's fields as the Identity Center data holds them


@dataclass(frozen=True, slots=True)
class Scope:
    """Which pairs count: principals judged (None: every answer), not allowed, reaching `targets` in `graph`
    (already restricted by --via); `keep`: only edges it admits (a rule requiring a condition key judges the
    paths that do without it)."""

    graph: TrustGraph
    targets: frozenset[str]
    judged: frozenset[str] | None = None
    allowed: frozenset[str] = frozenset()
    keep: Callable[[Mapping[str, Any]], bool] | None = None
    name: str = ""


@dataclass(slots=True)
class Break:
    """Legitimate access a removal takes too, of one kind."""

    what: str
    pairs: int
    examples: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Suggestion:
    rank: int
    unit: Unit
    sid: str | None
    edge_kind: str
    pairs_cut: int
    cumulative_pairs_cut: int
    cumulative_share: float
    edges_cut: list[tuple[str, str]]
    breaks: list[Break]
    names: tuple[str, str] | None = None  # an assignment's permission set and user or group, by name


@dataclass(slots=True)
class ChokePoints:
    pairs_total: int
    suggestions: list[Suggestion]
    candidates: int  # statements on some counted path
    scored: int  # exact recomputations made


Alternatives = list[list[frozenset[Unit]]]


# -- which statements an edge depends on --------------------------------------------------------------------------


def _trust_units(graph: TrustGraph, role: str, records: Iterable[Mapping[str, Any]]) -> frozenset[Unit]:
    account = str(graph.nodes[role].get("account") or "") if role in graph else ""
    return frozenset(Unit(TRUST, role, TRUST, int(r["statement"]), account) for r in records
                     if r.get("statement") is not None and r.get("role") == role)


def _service_trust(full: TrustGraph, service: str | None, role: str) -> frozenset[Unit]:
    """The statements of the role's trust admitting the service (its `service` edge), any one of which a PassRole
    or code edge into the role needs."""
    data = full.succ.get(service, {}).get(role) if service and service in full else None
    return _trust_units(full, role, data.get("evidence", ())) if data else frozenset()


def _groups(full: TrustGraph, u: str, v: str, record: Mapping[str, Any], kind: str) -> list[frozenset[Unit]]:
    nodes = graph_dicts(full).nodes
    if record.get("statement") is not None and record.get("role") == v:
        return [_trust_units(full, v, [record])]
    groups: list[frozenset[Unit]] = []
    if kind == EdgeKind.SSO and isinstance(record.get("assignment"), Mapping):
        fields = record["assignment"]
        account = str(fields.get("account") or "")
        groups.append(frozenset({Unit(ASSIGNMENT, u, str(fields.get("permission_set_arn") or ""), None, account,
                                      tuple(sorted((str(k), str(x)) for k, x in fields.items())))}))
        provider = record.get("saml_provider")
        saml = full.succ.get(str(provider), {}).get(v) if provider in full else None
        trust = _trust_units(full, v, saml.get("evidence", ())) if saml else frozenset()
        if trust:
            groups.append(trust)
    elif v in nodes and is_kind(nodes[v], NodeKind.ROLE) and (
            kind == EdgeKind.PASSROLE or (kind == EdgeKind.CODE and is_kind(nodes[u], NodeKind.CODE_RUNNER))):
        # a PassRole edge, and code of any resource of a kind (no inventory), need the role's trust to admit the
        # service; code of a resource the inventory lists runs as the role whatever its trust says
        trust = _service_trust(full, record.get("service"), v)
        if trust:
            groups.append(trust)
    if kind in (EdgeKind.PASSROLE, EdgeKind.CODE):
        # the caller's own grants: an alternative is gone once every statement granting one action it needs is
        groups.extend(_identity_groups(full, record))
    return groups


def _identity_groups(full: TrustGraph, record: Mapping[str, Any]) -> list[frozenset[Unit]]:
    """The caller's inline statements granting each action a PassRole or code edge needs, as the build recorded
    them (`identity` in the evidence: only where every statement granting the action is one a suggestion may
    remove; graph/indirect_base.py)."""
    nodes = graph_dicts(full).nodes
    out = []
    for group in record.get("identity") or ():
        units = frozenset(Unit(IDENTITY, str(g["principal"]), str(g["policy"]), int(g["statement"]),
                               str(nodes.get(str(g["principal"]), {}).get("account") or ""))
                          for g in group)
        if units:
            out.append(units)
    return out


def _identity_sid(record: Mapping[str, Any], unit: Unit) -> str | None:
    for group in record.get("identity") or ():
        for g in group:
            if (g["principal"], g["policy"], g["statement"]) == (unit.owner, unit.policy, unit.index):
                return None if g.get("sid") is None else str(g["sid"])
    return None


def removable(graph: TrustGraph, unit: Unit) -> bool:
    """Whether a suggestion may name the unit: not the trust of a service-linked role (IAM refuses to change it) nor
    of a role IAM Identity Center provisions (`/aws-reserved/sso.amazonaws.com/`: Identity Center owns its trust;
    its assignments are the units). Such statements still count where an edge depends on them."""
    if unit.kind != TRUST:
        return True
    data = graph_dicts(graph).nodes.get(unit.owner, {})
    return not data.get("service_linked") and not str(data.get("path") or "").startswith("/aws-reserved/")


def edge_alternatives(full: TrustGraph, u: str, v: str, data: Mapping[str, Any]) -> Alternatives | None:
    """The alternatives of an edge as groups of statements (see the module's doc), or None when some alternative
    depends on no statement a suggestion may remove (the edge can never be cut)."""
    out: Alternatives = []
    for record in data.get("evidence", ()):
        groups = _groups(full, u, v, record, str(record.get("kind") or data.get("kind") or EdgeKind.ASSUME))
        if not groups:
            return None
        out.append(groups)
    return out or None


def is_cut(alternatives: Alternatives, removed: set[Unit] | frozenset[Unit]) -> bool:
    return all(any(group <= removed for group in alternative) for alternative in alternatives)


# -- reach as bitsets ------------------------------------------------------------------------------------------


class _View:
    """One scope's graph: its adjacency (edges `keep` admits), the bitset of targets each node reaches, and the
    edges removed so far."""

    def __init__(self, scope: Scope, bit: Mapping[str, int]) -> None:
        self.scope = scope
        nodes, succ, pred = graph_dicts(scope.graph)
        keep = scope.keep
        if keep is None:
            self.succ: Mapping[str, Mapping[str, Any]] = succ
            self.pred: Mapping[str, Mapping[str, Any]] = pred
        else:
            self.succ = {n: {v: d for v, d in adj.items() if keep(d)} for n, adj in succ.items()}
            self.pred = {n: {u: d for u, d in adj.items() if keep(d)} for n, adj in pred.items()}
        self.own = {t: bit[t] for t in scope.targets}
        self.mask = 0
        for t in scope.targets:
            self.mask |= bit[t]
        judged, allowed = scope.judged, scope.allowed
        # With Identity Center data its people are the answers, never the AWSSSO providers they sign in through:
        # not only those `superseded` (an account with assignments), or removing an account's last assignment
        # would make its provider an answer and add pairs.
        people = "identity_center" in scope.graph.graph
        self.counted = {n for n, d in nodes.items() if is_answer(d) and (judged is None or n in judged)
                        and n not in allowed and not (people and is_sso_provider(n))}
        self.removed: set[tuple[str, str]] = set()
        self.bits = self.fixpoint(self._ancestors(scope.targets, self.removed), self.removed, {})

    def _ancestors(self, starts: Iterable[str], removed: Collection[tuple[str, str]]) -> list[str]:
        """The nodes with a path to one of `starts`, nearest first."""
        order = list(dict.fromkeys(starts))
        seen = set(order)
        queue = deque(order)
        while queue:
            node = queue.popleft()
            for caller in self.pred.get(node, ()):
                if caller not in seen and (caller, node) not in removed:
                    seen.add(caller)
                    order.append(caller)
                    queue.append(caller)
        return order

    def fixpoint(self, nodes: list[str], removed: Collection[tuple[str, str]],
                 outside: Mapping[str, int]) -> dict[str, int]:
        """The bitsets of `nodes` on the graph less `removed`, the other nodes' bitsets taken from `outside`: the
        least fixpoint of bits(n) = own(n) | bits of its successors, found by a worklist (cycles included)."""
        region = set(nodes)
        new = {n: self.own.get(n, 0) for n in nodes}
        queue = deque(nodes)
        queued = set(nodes)
        succ, pred, own = self.succ, self.pred, self.own
        while queue:
            node = queue.popleft()
            queued.discard(node)
            value = own.get(node, 0)
            for target in succ.get(node, ()):
                if (node, target) in removed:
                    continue
                value |= new[target] if target in region else outside.get(target, 0)
            if value != new[node]:
                new[node] = value
                for caller in pred.get(node, ()):
                    if caller in region and caller not in queued and (caller, node) not in removed:
                        queued.add(caller)
                        queue.append(caller)
        return {n: b for n, b in new.items() if b}

    def counted_bits(self, node: str, bits: Mapping[str, int], bit: Mapping[str, int]) -> int:
        if node not in self.counted:
            return 0
        return bits.get(node, 0) & self.mask & ~bit.get(node, 0)


class _Search:
    def __init__(self, full: TrustGraph, scopes: list[Scope]) -> None:
        self.full = full
        targets = sorted({t for s in scopes for t in s.targets})
        self.target_of = targets
        self.bit = {t: 1 << i for i, t in enumerate(targets)}
        self.views = [_View(s, self.bit) for s in scopes]
        self.removed_units: set[Unit] = set()
        # unit → (view, edge) it takes part in; edge → its alternatives
        self.alternatives: list[dict[tuple[str, str], Alternatives]] = []
        self.edges_of: dict[Unit, list[tuple[int, tuple[str, str]]]] = {}
        self.sids: dict[Unit, str | None] = {}
        self.kinds: dict[Unit, str] = {}
        self.names: dict[Unit, tuple[str, str]] = {}  # an assignment's permission set and user or group, by name
        for i, view in enumerate(self.views):
            found: dict[tuple[str, str], Alternatives] = {}
            for v, callers in view.pred.items():
                if not view.bits.get(v):
                    continue  # reaches no target: cutting it cuts no pair
                for u, data in callers.items():
                    if not view.bits.get(u):
                        continue
                    alternatives = edge_alternatives(full, u, v, data)
                    if alternatives is None:
                        continue
                    found[(u, v)] = alternatives
                    for alternative, record in zip(alternatives, data.get("evidence", ()), strict=False):
                        for group in alternative:
                            for unit in group:
                                self.edges_of.setdefault(unit, []).append((i, (u, v)))
                                if unit.kind == TRUST and record.get("statement") == unit.index \
                                        and record.get("role") == unit.owner:
                                    self.sids.setdefault(unit, record.get("sid"))
                                    self.kinds.setdefault(unit, str(record.get("kind") or data.get("kind")))
                                elif unit.kind == IDENTITY:
                                    if unit not in self.kinds and _identity_sid(record, unit) is not None:
                                        self.sids[unit] = _identity_sid(record, unit)
                                    self.kinds.setdefault(unit, str(record.get("kind") or data.get("kind")))
                                elif unit.kind == ASSIGNMENT:
                                    self.kinds.setdefault(unit, EdgeKind.SSO.value)
                                    holder = graph_dicts(full).nodes.get(unit.owner, {})
                                    self.names.setdefault(unit, (str(data.get("permission_set") or unit.policy),
                                                                 str(holder.get("name") or unit.owner)))
            self.alternatives.append(found)
        self.ancestors_bound = _answer_ancestors(full)
        # target bit position → the counted principals reaching it: the pairs of a target, at most what any edge
        # into it can cut
        self.reachers = [0] * len(targets)
        for node in self._counted_nodes():
            for i in _positions(self._counted(node, [v.bits for v in self.views])):
                self.reachers[i] += 1

    def pairs(self) -> int:
        return sum(self._counted(n, [v.bits for v in self.views]).bit_count() for n in self._counted_nodes())

    def _counted_nodes(self) -> set[str]:
        out: set[str] = set()
        for view in self.views:
            out.update(n for n in view.bits if n in view.counted)
        return out

    def _counted(self, node: str, bits: list[Mapping[str, int]]) -> int:
        value = 0
        for view, b in zip(self.views, bits, strict=True):
            value |= view.counted_bits(node, b, self.bit)
        return value

    def cuts(self, unit: Unit) -> list[tuple[int, tuple[str, str]]]:
        """The edges removing `unit` (after the units removed so far) would take away."""
        return self.cuts_of({unit})

    def cuts_of(self, units: Collection[Unit]) -> list[tuple[int, tuple[str, str]]]:
        """The edges removing all of `units` together (after the units removed so far) would take away."""
        removed = self.removed_units | set(units)
        out = []
        for i, edge in dict.fromkeys(e for unit in units for e in self.edges_of.get(unit, ())):
            view = self.views[i]
            if edge not in view.removed and is_cut(self.alternatives[i][edge], removed):
                out.append((i, edge))
        return out

    def bound(self, cuts: list[tuple[int, tuple[str, str]]]) -> int:
        """At most what removing these edges cuts: per edge, the answers with a path to its source times the
        targets behind it, and the pairs of those targets."""
        total = 0
        for i, (u, v) in cuts:
            view = self.views[i]
            behind = view.bits.get(v, 0) & view.mask
            total += min(self.ancestors_bound.get(u, 0) * behind.bit_count(),
                         sum(self.reachers[t] for t in _positions(behind)))
        return total

    def score(self, cuts: list[tuple[int, tuple[str, str]]]) -> tuple[int, list[dict[str, int]], dict[str, int]]:
        """The exact pairs removing these edges cuts: (count, each view's new bitsets of the nodes that changed,
        node → the counted bits it lost)."""
        new_bits: list[dict[str, int]] = []
        touched: set[str] = set()
        for i, view in enumerate(self.views):
            mine = [edge for j, edge in cuts if j == i]
            if not mine:
                new_bits.append({})
                continue
            removed = view.removed | set(mine)
            region = [n for n in view._ancestors([u for u, _ in mine], removed) if n in view.bits]
            for u, _ in mine:
                if u not in region and u in view.bits:
                    region.insert(0, u)
            recomputed = view.fixpoint(region, removed, view.bits)
            changed = {n: recomputed.get(n, 0) for n in region if recomputed.get(n, 0) != view.bits.get(n, 0)}
            new_bits.append(changed)
            touched.update(changed)
        lost: dict[str, int] = {}
        for node in touched:
            before = after = 0
            for view, changed in zip(self.views, new_bits, strict=True):
                before |= view.counted_bits(node, view.bits, self.bit)
                after |= view.counted_bits(node, changed if node in changed else view.bits, self.bit)
            if before & ~after:
                lost[node] = before & ~after
        return sum(b.bit_count() for b in lost.values()), new_bits, lost

    def commit(self, unit: Unit, cuts: list[tuple[int, tuple[str, str]]], new_bits: list[dict[str, int]],
               lost: Mapping[str, int]) -> None:
        self.removed_units.add(unit)
        for bits in lost.values():
            for i in _positions(bits):
                self.reachers[i] -= 1
        for i, edge in cuts:
            self.views[i].removed.add(edge)
        for view, changed in zip(self.views, new_bits, strict=True):
            for node, value in changed.items():
                if value:
                    view.bits[node] = value
                else:
                    view.bits.pop(node, None)


def _positions(bits: int) -> Iterable[int]:
    """The positions of the set bits of an int, lowest first."""
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


def _answer_ancestors(graph: TrustGraph) -> dict[str, int]:
    """An upper bound, per node, of the answers with a path to it (itself included): sums over the condensation
    in topological order, capped at the number of answers (a sum counts an ancestor once per path)."""
    nodes = graph_dicts(graph).nodes
    answers = {n for n, d in nodes.items() if is_answer(d)}
    cap = len(answers)
    dag = nx.condensation(graph)
    members = dag.graph["mapping"]
    own: dict[int, int] = {}
    for node, component in members.items():
        if node in answers:
            own[component] = own.get(component, 0) + 1
    total: dict[int, int] = {}
    for component in nx.topological_sort(dag):
        value = own.get(component, 0) + sum(total[p] for p in dag.pred[component])
        total[component] = min(value, cap)
    return {node: total[component] for node, component in members.items()}


# -- the greedy search -----------------------------------------------------------------------------------------


def chokepoints(full: TrustGraph, scopes: list[Scope], k: int = 10, *,
                legitimate: Callable[[str, str], str | None] | None = None,
                budget: int = EXACT_BUDGET) -> ChokePoints:
    """The k statements that, removed one after the other, cut the most counted pairs (each the best of the
    candidates scored at its step), with the exact pairs each cut. `full`: the whole graph (a PassRole edge's
    service trust is read from it); `legitimate(principal, role)`: why a pair a removal cuts is legitimate
    access (None: it is not), for `breaks`."""
    search = _Search(full, scopes)
    total = search.pairs()
    suggestions: list[Suggestion] = []
    cumulative = 0
    scored = 0
    candidates = len(search.edges_of)
    # A statement's exact cut at an earlier step: what it cuts seldom grows as others go (lazy greedy), so it orders
    # the candidates with the bound; the pick is the best exact cut among those scored.
    last: dict[Unit, int] = {}
    for rank in range(1, k + 1):
        ranked = []
        for unit in search.edges_of:
            if unit in search.removed_units or not removable(full, unit):
                continue
            cuts = search.cuts(unit)
            if cuts:
                ranked.append((min(search.bound(cuts), last.get(unit, total)), unit, cuts))
        ranked.sort(key=lambda r: (-r[0], r[1]))
        best: tuple[int, Unit, list[tuple[int, tuple[str, str]]], list[dict[str, int]], dict[str, int]] | None = None
        for i, (bound, unit, cuts) in enumerate(ranked):
            if bound == 0 or (best is not None and (bound <= best[0] or i >= budget)):
                break
            gain, new_bits, lost = search.score(cuts)
            last[unit] = gain
            scored += 1
            if gain and (best is None or gain > best[0]):
                best = (gain, unit, cuts, new_bits, lost)
        if best is None:
            break
        gain, unit, cuts, new_bits, lost = best
        breaks = _breaks(search, cuts, lost, legitimate)
        # What a statement cuts can grow once another is gone (two statements granting one role, parallel paths to
        # a target): the earlier cuts of statements leading to the targets the removed edges led to no longer order
        # them.
        behind = [0] * len(search.views)
        for i, (_, v) in cuts:
            behind[i] |= search.views[i].bits.get(v, 0)
        search.commit(unit, cuts, new_bits, lost)
        for other in [u for u in last if any(search.views[i].bits.get(v, 0) & behind[i]
                                             for i, (_, v) in search.edges_of[u])]:
            del last[other]
        cumulative += gain
        suggestions.append(Suggestion(rank, unit, search.sids.get(unit), search.kinds.get(unit, ""), gain,
                                      cumulative, round(cumulative / total, 4) if total else 0.0,
                                      sorted({edge for _, edge in cuts}), breaks, search.names.get(unit)))
    return ChokePoints(total, suggestions, candidates, scored)


def _breaks(search: _Search, cuts: list[tuple[int, tuple[str, str]]], lost: Mapping[str, int],
            legitimate: Callable[[str, str], str | None] | None) -> list[Break]:
    """The legitimate access among what a removal takes: the cut pairs `legitimate` names, and the hops of the cut
    edges themselves (who loses the step into the role), grouped by why they are legitimate."""
    if legitimate is None:
        return []
    found: dict[str, Break] = {}

    def add(principal: str, role: str) -> None:
        why = legitimate(principal, role)
        if why is None:
            return
        entry = found.setdefault(why, Break(why, 0))
        entry.pairs += 1
        if len(entry.examples) < 3:
            entry.examples.append(f"{principal} → {role}")

    seen: set[tuple[str, str]] = set()
    for node, bits in sorted(lost.items()):
        for i in _positions(bits):
            role = search.target_of[i]
            seen.add((node, role))
            add(node, role)
    nodes = graph_dicts(search.full).nodes
    for i, (u, v) in sorted(set(cuts)):
        view = search.views[i]
        for principal in _standing_at(view, u, nodes):
            if (principal, v) not in seen:
                seen.add((principal, v))
                add(principal, v)
    return sorted(found.values(), key=lambda b: (-b.pairs, b.what))


def _standing_at(view: _View, node: str, nodes: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The answers that take an edge out of `node`: the node itself, or the members entering a hub."""
    if is_answer(nodes[node]):
        return [node]
    return sorted(u for u, d in view.pred.get(node, {}).items()
                  if is_answer(nodes[u]) and d.get("kind") == EdgeKind.MEMBER)


def legitimate_access(graph: TrustGraph,
                      allowed: Mapping[str, Collection[str]] | None = None) -> Callable[[str, str], str | None]:
    """The heuristic of `breaks` (docs/chokepoints.md): a pair is legitimate access when a rule allows it
    (`allowed`: rule id → the principals its allow_only names), when the principal is a pipeline or workload (an
    OIDC or web-identity provider, a service, or a role one of them may assume), when it is people signing in
    (Identity Center users and groups, SAML providers), or when principal and role are in the same account."""
    nodes, _, pred = graph_dicts(graph)
    rules = {rule: frozenset(names) for rule, names in (allowed or {}).items()}
    workloads: dict[str, bool] = {}

    def workload(node: str) -> bool:
        if node not in workloads:
            data = nodes.get(node, {})
            if is_kind(data, NodeKind.SERVICE) or (is_kind(data, NodeKind.FEDERATED)
                                                   and data.get("provider_type") in ("oidc", "web-identity")):
                workloads[node] = True
            else:
                workloads[node] = is_kind(data, NodeKind.ROLE) and any(
                    is_kind(d, EdgeKind.SERVICE, EdgeKind.WEB_IDENTITY) for d in pred.get(node, {}).values())
        return workloads[node]

    def why(principal: str, role: str) -> str | None:
        for rule, names in rules.items():
            if principal in names:
                return f"allowed by rule {rule}"
        data = nodes.get(principal, {})
        if is_kind(data, NodeKind.IDENTITY_CENTER_USER, NodeKind.IDENTITY_CENTER_GROUP) or (
                is_kind(data, NodeKind.FEDERATED) and data.get("provider_type") == "saml"):
            return "people signing in (Identity Center, SAML)"
        if workload(principal):
            return "pipelines and workloads"
        mine, theirs = nodes.get(principal, {}).get("account"), nodes.get(role, {}).get("account")
        if mine and mine == theirs:
            return "same-account access"
        return None

    return why


# -- which pairs count ---------------------------------------------------------------------------------------------


def role_targets(graph: TrustGraph, roles: Iterable[str]) -> frozenset[str]:
    """The roles of the graph among `roles` (sensitive roles, a role named by --to)."""
    nodes = graph_dicts(graph).nodes
    return frozenset(r for r in roles if r in nodes and is_kind(nodes[r], NodeKind.ROLE))


def target_scope(graph: TrustGraph, targets: Iterable[str], via: Iterable[str] | str | None = None) -> Scope:
    """Every answer reaching one of these roles, following `via`."""
    view = restrict(graph, via)
    return Scope(view, role_targets(view, targets), name="targets")


def rule_scopes(graph: TrustGraph, rules: Iterable[Guardrail], *,
                sensitive: Collection[str] = ()) -> tuple[list[Scope], dict[str, frozenset[str]]]:
    """The pairs breaking the rules: a deny or allow_only rule's judged principals reaching its roles (less those
    it allows), a require_conditions rule's reaching them by a path that does without one of its keys. Also each
    allow_only rule's allowed principals, for `breaks`."""
    scopes: list[Scope] = []
    allowed: dict[str, frozenset[str]] = {}
    for chosen in select(graph, rules, sensitive=sensitive):
        rule = chosen.rule
        view = restrict(graph, rule.via)
        targets = role_targets(view, chosen.targets)
        if rule.kind is RuleKind.ALLOW_ONLY:
            allowed[rule.id] = chosen.allowed
        if rule.kind is RuleKind.REQUIRE_CONDITIONS:
            for key in rule.conditions:
                scopes.append(Scope(view, targets, chosen.judged, chosen.allowed, _without(key),
                                    f"{rule.id} without {key}"))
        else:
            scopes.append(Scope(view, targets, chosen.judged, chosen.allowed, name=rule.id))
    return scopes, allowed


def _without(key: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda data: not depends_on(data, key)


# -- what a finding's fix cuts -------------------------------------------------------------------------------------

_STATEMENT_INDEX = re.compile(r"^#(\d+)")


def finding_unit(graph: TrustGraph, finding: Finding) -> Unit | None:
    """The trust statement a finding is about, as a unit (None: the finding names no statement of a role's trust)."""
    found = _STATEMENT_INDEX.match(finding.statement or "")
    nodes = graph_dicts(graph).nodes
    if found is None or finding.role not in nodes or not is_kind(nodes[finding.role], NodeKind.ROLE):
        return None
    return Unit(TRUST, finding.role, TRUST, int(found.group(1)), str(nodes[finding.role].get("account") or ""))


@dataclass(slots=True)
class FixCuts:
    """How many (principal, sensitive role) pairs removing each finding's statement cuts, alone (by fingerprint;
    absent: the finding names no statement), and each group's statements together (by group id)."""

    pairs_total: int
    findings: dict[str, int]
    groups: dict[str, int]


# Findings below this severity rank (high) get no count: at 1,000 accounts counting every medium and low finding's
# statement cost about the build again, and what to fix first is chosen among high and critical findings.
FIX_CUTS_MIN_RANK = 3


def fix_cuts(graph: TrustGraph, findings: Iterable[Finding], sensitive: Iterable[str],
             min_rank: int = FIX_CUTS_MIN_RANK) -> FixCuts:
    """What removing the trust statement of each high or critical finding (`min_rank`), and of each group of them,
    cuts of the reach to the sensitive roles: each set scored once on the graph as it is (the same exact
    recomputation as a greedy step), sets alike shared."""
    search = _Search(graph, [target_scope(graph, sensitive)])
    memo: dict[frozenset[Unit], int] = {}

    def cut(units: frozenset[Unit]) -> int:
        if units not in memo:
            cuts = search.cuts_of(units)
            memo[units] = search.score(cuts)[0] if cuts else 0
        return memo[units]

    by_finding: dict[str, int] = {}
    by_group: dict[str, set[Unit]] = {}
    for f in findings:
        unit = finding_unit(graph, f) if f.severity.rank >= min_rank else None
        if unit is None:
            continue
        by_finding[f.fingerprint] = cut(frozenset({unit}))
        by_group.setdefault(group_id(f), set()).add(unit)
    return FixCuts(search.pairs(), by_finding, {g: cut(frozenset(units)) for g, units in by_group.items()})
