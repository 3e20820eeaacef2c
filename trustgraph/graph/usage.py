"""Observed use on the graph (docs/usage.md): which trust edges CloudTrail saw used, and what the events cover.

`add_usage` resolves each observation's caller to a node of the graph (an assumed-role session is its role, a
cross-account copy's unique id is looked up), puts `first_used`, `last_used` and `use_count` on the trust edge
that explains the call (caller → role, or the hub edge of an account or trust class the caller is a member of),
and records in the graph:

- `usage_window`: the accounts whose events were read, each with the period they cover, the whole period, and
  how many events and files were read. An edge whose role's account (or whose IAM caller's account) is covered
  and that carries no `last_used` was not seen used in that window; any other edge's use is unknown.
- `usage_pairs`: "caller<TAB>role" → {first, last, count} for every successful call: a caller entering through a
  hub has its own record there (the hub's edge carries the use of all its members).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from trustgraph.arns import parse_arn
from trustgraph.graph.schema import NodeKind, TrustGraph, graph_dicts, is_hub_data, is_membership, is_trust_edge
from trustgraph.model import Observation, Role, Snapshot, User

USED, UNUSED, UNKNOWN = "used", "unused", "unknown"
# Callers a CloudTrail AssumeRole* event can name: the other kinds (Identity Center people, hubs) never appear.
_OBSERVABLE = frozenset({NodeKind.USER.value, NodeKind.ROLE.value, NodeKind.ACCOUNT.value, NodeKind.SERVICE.value,
                         NodeKind.FEDERATED.value, NodeKind.UNKNOWN.value, NodeKind.PUBLIC.value})
_IAM_CALLERS = frozenset({NodeKind.USER.value, NodeKind.ROLE.value, NodeKind.ACCOUNT.value})


@dataclass(frozen=True, slots=True)
class Resolved:
    caller: str  # a node of the graph, or what the event named when no node is it
    target: str
    explained_by: tuple[str, str] | None  # the trust edge that admits the call, if today's graph has one


class CallerIndex:
    """How an event's caller and role are found in the graph: exact ARN, unique id, a role by account and name
    (an assumed-role ARN has no path)."""

    def __init__(self, snapshot: Snapshot, graph: TrustGraph) -> None:
        self.graph = graph
        principals: list[User | Role] = [*snapshot.users.values(), *snapshot.roles.values()]
        self.by_id = {p.unique_id: p.arn for p in principals if p.unique_id}
        self.by_name = {(r.account, r.name): arn for arn, r in snapshot.roles.items()}

    def node(self, arn: str, unique_id: str = "") -> str:
        if unique_id and unique_id in self.by_id:
            return self.by_id[unique_id]
        if unique_id and unique_id in self.graph:  # a trust naming the unique id of a deleted principal
            return unique_id
        if arn in self.graph:
            return arn
        parsed = parse_arn(arn)
        if parsed and parsed.service == "iam" and parsed.resource.startswith("role/"):
            return self.by_name.get((parsed.account, parsed.resource.rsplit("/", 1)[-1]), arn)
        return arn

    def resolve(self, obs: Observation) -> Resolved:
        caller, target = self.node(obs.caller, obs.caller_id), self.node(obs.target)
        return Resolved(caller, target, explaining_edge(self.graph, caller, target))


def explaining_edge(graph: TrustGraph, caller: str, target: str) -> tuple[str, str] | None:
    """The trust edge of `graph` through which `caller` may assume `target` in one step: the direct edge, or the
    edge of a hub (account, trust class) `caller` is a member of."""
    if caller not in graph or target not in graph:
        return None
    _, succ, _ = graph_dicts(graph)
    direct = succ[caller].get(target)
    if direct is not None and is_trust_edge(direct):
        return caller, target
    nodes = graph_dicts(graph).nodes
    for hub, data in succ[caller].items():
        if is_membership(data) and is_hub_data(nodes[hub]):
            edge = succ[hub].get(target)
            if edge is not None and is_trust_edge(edge):
                return hub, target
    return None


def _merge(record: dict[str, Any], first: str, last: str, count: int) -> None:
    record["first_used"] = min(record.get("first_used") or first, first)
    record["last_used"] = max(record.get("last_used") or last, last)
    record["use_count"] = int(record.get("use_count") or 0) + count


def calls(observations: Iterable[Observation]) -> int:
    """The calls several observations of one caller and role record: within a copy (one delivery of the events)
    each record is a call; between copies a day counts as its largest copy, since each copy of a call (the
    caller's account's, the role's account's) names the caller its own way."""
    per_copy: dict[tuple[str, str], int] = {}
    for obs in observations:
        for copy, day, count in obs.days or (("", obs.first[:10], obs.count),):
            per_copy[(copy, day)] = per_copy.get((copy, day), 0) + count
    per_day: dict[str, int] = {}
    for (_, day), count in per_copy.items():
        per_day[day] = max(per_day.get(day, 0), count)
    return sum(per_day.values())


def add_usage(graph: TrustGraph, snapshot: Snapshot) -> None:
    usage = snapshot.usage
    if usage is None:
        return
    index = CallerIndex(snapshot, graph)
    pairs: dict[str, dict[str, Any]] = {}
    _, succ, _ = graph_dicts(graph)
    grouped: dict[Resolved, list[Observation]] = {}
    for obs in usage.observations:
        if not obs.error:
            grouped.setdefault(index.resolve(obs), []).append(obs)
    for found, observations in grouped.items():
        first, last = min(o.first for o in observations), max(o.last for o in observations)
        count = calls(observations)
        _merge(pairs.setdefault(f"{found.caller}\t{found.target}", {}), first, last, count)
        if found.explained_by is not None:
            a, b = found.explained_by
            _merge(succ[a][b], first, last, count)
    spans = usage.coverage.values()
    graph.graph["usage_window"] = {
        "accounts": {account: {"from": first, "to": last} for account, (first, last) in usage.coverage.items()},
        "from": min((s[0] for s in spans), default=None), "to": max((s[1] for s in spans), default=None),
        "events": usage.events, "files": usage.files}
    graph.graph["usage_pairs"] = {k: {"first": v["first_used"], "last": v["last_used"], "count": v["use_count"]}
                                  for k, v in sorted(pairs.items())}


def has_usage(graph: TrustGraph) -> bool:
    return "usage_window" in graph.graph


def covered(graph: TrustGraph, caller: str, target: str) -> bool:
    """Whether the events read would show a call caller → target: they cover the role's account (every
    assumption is recorded there) or, for an IAM caller, the caller's."""
    accounts = (graph.graph.get("usage_window") or {}).get("accounts") or {}
    nodes = graph_dicts(graph).nodes
    target_account = nodes[target].get("account") if target in nodes else None
    if target_account in accounts:
        return True
    data = nodes.get(caller) or {}
    return data.get("kind") in _IAM_CALLERS and data.get("account") in accounts


def step_usage(graph: TrustGraph, caller: str, edge_from: str, target: str) -> tuple[str, dict[str, Any] | None]:
    """(used | unused | unknown, {first, last, count} or None) of one step of a route: `caller` the principal
    taking it, `edge_from` the edge's start (the caller, or the hub it passes through)."""
    nodes, succ, _ = graph_dicts(graph)
    data = succ[edge_from][target]
    if not is_trust_edge(data) or nodes[caller].get("kind") not in _OBSERVABLE:
        return UNKNOWN, None
    record = (graph.graph.get("usage_pairs") or {}).get(f"{caller}\t{target}")
    if record is not None:
        return USED, record
    return (UNUSED if covered(graph, caller, target) else UNKNOWN), None


def edge_state(graph: TrustGraph, caller: str, role: str) -> str:
    """used | unused | unknown of one edge of the graph: a trust edge carrying `last_used` is used (a hub's edge:
    some member's call), one the events cover from a caller they can name (or a hub) is unused, anything else
    (uncovered, a non-trust edge, a caller no event names) is unknown."""
    nodes, succ, _ = graph_dicts(graph)
    data = succ[caller][role]
    if not is_trust_edge(data):
        return UNKNOWN
    if data.get("last_used"):
        return USED
    if nodes[caller].get("kind") not in _OBSERVABLE and not is_hub_data(nodes[caller]):
        return UNKNOWN
    return UNUSED if covered(graph, caller, role) else UNKNOWN


def unused_trust_edges(graph: TrustGraph, roles: Iterable[str]) -> list[tuple[str, str]]:
    """The trust edges into `roles` that the covered window shows no use of (a hub's edge: no member's use)."""
    _, _, pred = graph_dicts(graph)
    return [(caller, role) for role in roles for caller in pred.get(role, {})
            if edge_state(graph, caller, role) == UNUSED]
