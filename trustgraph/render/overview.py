"""The overview picture: the view `trustgraph map --view auto` picks for the size of the data (principals,
accounts, OUs or the matrix), with the sensitive and findings marks. `trustgraph map`, `trustgraph review`
and the notebook draw it through here, so that they show the same picture."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from trustgraph.render.accounts import Folder, account_map, account_view
from trustgraph.render.marks import NO_MARKS, Marks
from trustgraph.render.matrix import matrix_view
from trustgraph.render.ous import ou_view
from trustgraph.render.views import auto_view, principals_view

__all__ = ["MARKED_SEVERITY", "OVERVIEW_MAX_NODES", "findings_marks", "has_ous", "overview"]

# Roles with findings of this severity or worse are marked (low and info findings are hygiene).
MARKED_SEVERITY = "medium"
# `trustgraph map --max-nodes` default: the most principals the auto view draws one by one.
OVERVIEW_MAX_NODES = 400


def has_ous(graph: nx.DiGraph, organization: Any) -> bool:
    """Whether the organization data places accounts in OUs (below the root)."""
    return any("/ou-" in path or path.count("/") > 2 for path in Folder(graph, organization, None, None)
               .org_accounts.values())


def findings_marks(sensitive: Mapping[str, str], findings: Iterable[Any], floor: str = MARKED_SEVERITY) -> Marks:
    """Marks from the sensitive roles (ARN → why) and the findings of severity `floor` or worse."""
    from trustgraph.analysis.findings import Severity

    least = Severity(floor)
    flagged: dict[str, tuple[int, str]] = {}
    details: dict[str, list[dict[str, str]]] = {}
    worst: dict[str, Severity] = {}
    for f in findings:
        if not f.severity.at_least(least):
            continue
        count, _ = flagged.get(f.role, (0, ""))
        if f.role not in worst or f.severity.rank > worst[f.role].rank:
            worst[f.role] = f.severity
        flagged[f.role] = (count + 1, worst[f.role].value)
        entry = {"severity": f.severity.value, "rule": f.rule, "message": f.message}
        if f.statement:
            entry["statement"] = f.statement
        details.setdefault(f.role, []).append(entry)
    return Marks(sensitive=dict(sorted(sensitive.items())), findings=dict(sorted(flagged.items())),
                 findings_floor=floor, details={role: tuple(found) for role, found in sorted(details.items())})


def overview(graph: nx.DiGraph, *, organization: Any = None, marks: Marks = NO_MARKS,
             known_accounts: Mapping[str, str] | None = None,
             max_nodes: int | None = OVERVIEW_MAX_NODES) -> tuple[str, Any]:
    """(view name, picture) of the view `--view auto` picks: "principals", "accounts", "ous" or "matrix"."""
    ous = has_ous(graph, organization)
    view = auto_view(graph, max_nodes, ous)
    if view == "principals":
        return view, principals_view(graph, max_nodes=max_nodes, marks=marks)
    if view == "accounts":
        return view, account_view(graph, organization=organization, known_accounts=known_accounts, marks=marks)
    if view == "ous":
        return view, ou_view(graph, organization=organization, known_accounts=known_accounts, marks=marks)
    amap = account_map(graph, organization=organization, known_accounts=known_accounts, marks=marks)
    return view, matrix_view(graph, amap, by="accounts")
