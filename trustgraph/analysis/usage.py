"""Observed use in answers (docs/usage.md): how fresh a reacher's chain is, and the --used-since / --unused-for
filters. A chain is as fresh as its stalest link; a link outside the events' coverage is unknown, never unused."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from trustgraph.graph.schema import TrustGraph, graph_dicts, is_hub_data, is_membership
from trustgraph.graph.usage import UNKNOWN, UNUSED, USED, edge_state, explaining_edge

_DURATION = re.compile(r"^(\d+)([dw])$")


class BadSince(ValueError):
    pass


def chain_usage(steps: Sequence[Mapping[str, Any]]) -> tuple[str, str | None]:
    """(used | unused | unknown, the stalest link's last use) of a route's steps: unused when a covered link was
    never seen used, unknown when some link cannot be judged, else used as of its stalest link."""
    states = [s.get("usage") for s in steps]
    if not states or any(state is None for state in states):
        return UNKNOWN, None
    if UNUSED in states:
        return UNUSED, None
    if UNKNOWN in states:
        return UNKNOWN, None
    return USED, min(str(s["last_used"]) for s in steps)


def chain_use(steps: Sequence[Mapping[str, Any]]) -> tuple[str, str | None, int]:
    """`chain_usage` with the calls of the stalest link (the one whose last use is given)."""
    state, last = chain_usage(steps)
    if state != USED:
        return state, None, 0
    stalest = min(steps, key=lambda s: str(s["last_used"]))
    return state, last, int(stalest.get("use_count") or 0)


def chain_text(steps: Sequence[Mapping[str, Any]]) -> str:
    """A reacher's path in words, for the review: "used 2025-06-30 (3×)", "not used in window", "unknown"."""
    state, last, count = chain_use(steps)
    if state == USED and last:
        return f"used {last[:10]} ({count}×)"
    return "not used in window" if state == UNUSED else "unknown"


def paths_used_text(chains: Sequence[Sequence[Mapping[str, Any]]]) -> str:
    """How many of these paths were used, not used, unknown: "2 used · 1 not used · 4 unknown" (the states
    `chain_text` words one by one)."""
    states = [chain_usage(steps)[0] for steps in chains]
    parts = [(states.count(USED), "used"), (states.count(UNUSED), "not used"), (states.count(UNKNOWN), "unknown")]
    return " · ".join(f"{n} {word}" for n, word in parts if n) or "—"


@dataclass(frozen=True, slots=True)
class EdgeUse:
    """What the events say of one drawn edge: used (its last call and how many), unused, or unknown."""

    state: str
    last: str | None = None
    count: int = 0


def member_uses(graph: TrustGraph) -> dict[tuple[str, str], EdgeUse]:
    """(member, hub) → the member's own use of the hub's trust: the calls through the hub (`usage_pairs` whose
    explaining edge starts at the hub), latest and summed. Linear in the pairs seen used."""
    out: dict[tuple[str, str], EdgeUse] = {}
    for key, record in (graph.graph.get("usage_pairs") or {}).items():
        caller, role = key.split("\t", 1)
        edge = explaining_edge(graph, caller, role)
        if edge is None or edge[0] == caller:
            continue
        seen = out.get((caller, edge[0]))
        last = max(str(record["last"]), seen.last or "") if seen else str(record["last"])
        out[(caller, edge[0])] = EdgeUse(USED, last, int(record["count"]) + (seen.count if seen else 0))
    return out


def edge_use(graph: TrustGraph, u: str, v: str, members: Mapping[tuple[str, str], EdgeUse]) -> EdgeUse:
    """The use of edge u → v as a picture draws it (docs/usage.md): a trust edge by `graph.usage.edge_state` (a
    hub's edge: any member's call); a member's edge into a hub used when the member's own call through the hub
    is recorded (`member_uses`), else unknown (membership is no trust the events could show unused)."""
    nodes, succ, _ = graph_dicts(graph)
    data = succ[u][v]
    if is_membership(data):
        if is_hub_data(nodes[v]) and (u, v) in members:
            return members[(u, v)]
        return EdgeUse(UNKNOWN)
    state = edge_state(graph, u, v)
    if state == USED:
        return EdgeUse(USED, str(data["last_used"]), int(data.get("use_count") or 0))
    return EdgeUse(state)


def since_moment(text: str, graph: TrustGraph) -> str:
    """The ISO 8601 moment `text` names: a date or date-time, or a duration (`90d`, `12w`) counted back from the
    end of the usage window (the latest event read), so that answers do not move with the clock."""
    found = _DURATION.match(text.strip())
    if found:
        end = (graph.graph.get("usage_window") or {}).get("to")
        if not end:
            raise BadSince("no usage data is loaded: pass CloudTrail events with -i (docs/usage.md)")
        days = int(found[1]) * (7 if found[2] == "w" else 1)
        moment = datetime.fromisoformat(str(end).replace("Z", "+00:00")) - timedelta(days=days)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadSince(f"{text!r} is neither a duration (90d, 12w) nor an ISO 8601 date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def used_since(steps: Sequence[Mapping[str, Any]], since: str) -> bool:
    """Every link of the chain was seen used at or after `since`."""
    state, last = chain_usage(steps)
    return state == USED and last is not None and _iso(last) >= since


def unused_for(steps: Sequence[Mapping[str, Any]], since: str) -> bool:
    """Some link of the chain is covered by the events and was not seen used at or after `since`."""
    for step in steps:
        if step.get("usage") == UNUSED:
            return True
        if step.get("usage") == USED and _iso(str(step["last_used"])) < since:
            return True
    return False


def _iso(stamp: str) -> str:
    """CloudTrail's eventTime (2025-06-30T08:01:55Z) in the one form comparisons use."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
