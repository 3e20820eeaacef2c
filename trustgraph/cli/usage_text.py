"""Observed use in words, for tables (docs/usage.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trustgraph.analysis.usage import chain_usage
from trustgraph.graph.schema import TrustGraph
from trustgraph.graph.usage import UNUSED, USED
from trustgraph.model import Snapshot


def last_used_text(steps: Sequence[Mapping[str, Any]]) -> str:
    """The "last used" cell: the stalest link's last use, "never" (covered, not seen), or "unknown"."""
    state, last = chain_usage(steps)
    if state == USED and last:
        return last[:10]
    return "never" if state == UNUSED else "unknown"


def usage_footer(graph: TrustGraph, snapshot: Snapshot | None, target: str) -> str:
    window = graph.graph.get("usage_window") or {}
    accounts = ", ".join(sorted(window.get("accounts") or {})) or "none"
    line = (f"usage: {window.get('events', 0)} CloudTrail event(s) from {str(window.get('from') or '?')[:10]} to "
            f"{str(window.get('to') or '?')[:10]}, accounts {accounts}; 'never': not seen in that window, "
            "'unknown': outside it")
    role = snapshot.roles.get(target) if snapshot is not None else None
    if role is not None and role.last_used:
        line += f"\nrole last used (RoleLastUsed, any caller): {role.last_used[:10]}" + \
            (f" in {role.last_used_region}" if role.last_used_region else "")
    return line
