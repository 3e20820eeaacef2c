"""What `trustgraph chokepoints` found: the JSON contract (`trustgraph/chokepoints/v1`, docs/chokepoints.md), Markdown
and the words a suggestion is told in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from trustgraph.analysis.chokepoints import IDENTITY, TRUST, ChokePoints, Suggestion
from trustgraph.report.markdown import code, md, short_arn
from trustgraph.version import SCHEMAS


def statement_words(s: Suggestion) -> str:
    """The statement to remove, as a reviewer looks it up."""
    unit = s.unit
    if unit.kind == TRUST:
        sid = f" ({s.sid})" if s.sid else ""
        return f"trust policy of {unit.owner}, statement #{unit.index}{sid}"
    if unit.kind == IDENTITY:
        sid = f" ({s.sid})" if s.sid else ""
        return f"inline policy {unit.policy} of {unit.owner}, statement #{unit.index}{sid}"
    pset, holder = s.names or (unit.policy, unit.owner)
    return f"assignment of permission set {pset} to {holder} in account {unit.account}"


def breaks_words(s: Suggestion) -> str:
    return "; ".join(f"{b.what}: {b.pairs}" for b in s.breaks) or "none found"


def suggestion_json(s: Suggestion, files: Mapping[str, str]) -> dict[str, Any]:
    unit = s.unit
    return {
        "rank": s.rank, "account": unit.account, "principal_arn": unit.owner, "policy": unit.policy,
        "statement_index": unit.index, "sid": s.sid, "edge_kind": s.edge_kind, "pairs_cut": s.pairs_cut,
        "cumulative_pairs_cut": s.cumulative_pairs_cut, "cumulative_share": s.cumulative_share,
        "breaks": [{"what": b.what, "pairs": b.pairs, "examples": b.examples} for b in s.breaks],
        "statement": statement_words(s), "file": files.get(unit.owner) if unit.kind in (TRUST, IDENTITY) else None,
        "unit": unit.kind,
        "assignment": dict(unit.assignment) or None,
        "edges_cut": [{"from": u, "to": v} for u, v in s.edges_cut],
        "permission_set_name": s.names[0] if s.names else None, "principal_name": s.names[1] if s.names else None,
    }


def chokepoints_document(found: ChokePoints, *, targets: str, files: Mapping[str, str] | None = None,
                         incomplete: Iterable[str] = (), inputs: Iterable[str] = ()) -> dict[str, Any]:
    return {
        "schema": SCHEMAS["chokepoints"], "targets": targets, "pairs_total": found.pairs_total,
        "pairs_left": found.pairs_total - (found.suggestions[-1].cumulative_pairs_cut if found.suggestions else 0),
        "candidates": found.candidates, "scored": found.scored,
        "suggestions": [suggestion_json(s, files or {}) for s in found.suggestions],
        "incomplete": list(incomplete), "inputs": list(inputs),
    }


def chokepoints_markdown(found: ChokePoints, *, targets: str, incomplete: Iterable[str] = ()) -> str:
    lines = ["# trustgraph chokepoints", "",
             f"{found.pairs_total} (principal, role) pairs reach {md(targets)}. Remove, in this order:", "",
             "| # | Statement | Edge | Pairs cut | Cumulative | Also breaks |", "|---:|---|---|---:|---:|---|"]
    for s in found.suggestions:
        sid = f" ({md(s.sid)})" if s.sid else ""
        what = (f"{code(short_arn(s.unit.owner))} trust #{s.unit.index}{sid}" if s.unit.kind == TRUST else
                f"{code(short_arn(s.unit.owner))} inline policy {md(s.unit.policy)} #{s.unit.index}{sid}"
                if s.unit.kind == IDENTITY else
                f"permission set {md((s.names or (s.unit.policy, ''))[0])} assigned to "
                f"{md((s.names or ('', s.unit.owner))[1])} in {code(s.unit.account)}")
        lines.append(f"| {s.rank} | {what} | {md(s.edge_kind)} | {s.pairs_cut} | {s.cumulative_pairs_cut} "
                     f"({s.cumulative_share:.0%}) | {md(breaks_words(s))} |")
    if not found.suggestions:
        lines.append("| | no statement cuts a pair | | | | |")
    lines += [f"\nIncomplete data: {md(gap)}" for gap in incomplete]
    return "\n".join(lines) + "\n"
