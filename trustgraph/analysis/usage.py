"""Observed use in answers (docs/usage.md): how fresh a reacher's chain is, and the --used-since / --unused-for
filters. A chain is as fresh as its stalest link; a link outside the events' coverage is unknown, never unused."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from trustgraph.graph.schema import TrustGraph
from trustgraph.graph.usage import UNKNOWN, UNUSED, USED

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
