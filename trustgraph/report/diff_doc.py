"""A change (`trustgraph diff`) as JSON. A contract (docs/diff.md): fields may be added, never renamed or dropped."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trustgraph.analysis.diff import (
    ADDED,
    CHANGED,
    NOW_UNUSED,
    NOW_USED,
    REMOVED,
    GraphDiff,
    Incomplete,
    ReacherChange,
    TrustChange,
)
from trustgraph.analysis.findings.gate import Triage
from trustgraph.report.findings_doc import finding_json, gate_json
from trustgraph.version import SCHEMAS, __version__

SCHEMA = SCHEMAS["diff"]


def summary(diff: GraphDiff) -> dict[str, Any]:
    return {
        "trust_added": diff.count(ADDED),
        "trust_changed": diff.count(CHANGED),
        "trust_removed": diff.count(REMOVED),
        "trust_changes": len(diff.trust),
        "outside_trust_new": len(diff.outside),
        "sensitive_reachers_new": sum(1 for r in diff.reachers if r.change == "new"),
        "sensitive_reachers_lost": sum(1 for r in diff.reachers if r.change == "lost"),
        "sensitive_reachers_unconditional": sum(1 for r in diff.reachers if r.change == "unconditional"),
        "sensitive_roles_added": len(diff.sensitive_added),
        "sensitive_roles_removed": len(diff.sensitive_removed),
        "findings_introduced": len(diff.findings_introduced),
        "findings_resolved": len(diff.findings_resolved),
        "findings_escalated": len(diff.findings_escalated),
        "trust_now_used": sum(1 for u in diff.usage if u.change == NOW_USED),
        "trust_now_unused": sum(1 for u in diff.usage if u.change == NOW_UNUSED),
    }


def trust_json(t: TrustChange) -> dict[str, Any]:
    return {"change": t.change, "role": t.role, "via": t.via, "caller_count": len(t.callers),
            "callers": list(t.callers), "old": t.old.as_dict() if t.old else None,
            "new": t.new.as_dict() if t.new else None, "fields": list(t.fields)}


def reacher_json(r: ReacherChange) -> dict[str, Any]:
    return {"role": r.role, "principal": r.principal, "change": r.change, "hops": r.hops,
            "conditional": r.conditional, "conditions": list(r.conditions), "classification": r.classification,
            "path": list(r.path)}


def _side(inputs: Iterable[str], time: str | None, incomplete: Incomplete | None) -> dict[str, Any]:
    side: dict[str, Any] = {"inputs": list(inputs), "data_time": time}
    if incomplete:  # only when the side lacks something: a complete side reads as it always did
        side["incomplete"] = incomplete.as_dict()
    return side


def not_in_data_json(diff: GraphDiff) -> dict[str, Any]:
    aside = diff.not_in_data
    return {"accounts": list(aside.accounts), "trust": [trust_json(t) for t in aside.trust],
            "reachers": [reacher_json(r) for r in aside.reachers],
            "findings": [{"change": change, **finding_json(f)} for change, f in aside.findings],
            "sensitive_roles": list(aside.sensitive_roles)}


def diff_document(diff: GraphDiff, *, old_inputs: Iterable[str] = (), new_inputs: Iterable[str] = (),
                  old_time: str | None = None, new_time: str | None = None, triage: Triage | None = None,
                  gate: dict[str, Any] | None = None, old_incomplete: Incomplete | None = None,
                  new_incomplete: Incomplete | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "tool": {"name": "trustgraph", "version": __version__},
        "old": _side(old_inputs, old_time, old_incomplete),
        "new": _side(new_inputs, new_time, new_incomplete),
        "summary": summary(diff),
        "trust": [trust_json(t) for t in diff.trust],
        "outside": [{"role": o.role, "caller": o.caller, "classification": o.classification,
                     "conditional": o.conditional, "conditions": list(o.conditions), "change": o.change}
                    for o in diff.outside],
        "sensitive_roles": {"added": dict(diff.sensitive_added), "removed": dict(diff.sensitive_removed),
                            "checked": list(diff.sensitive_checked)},
        "reachers": [reacher_json(r) for r in diff.reachers],
        "findings": {
            "introduced": [finding_json(f, triage) for f in diff.findings_introduced],
            "resolved": [finding_json(f) for f in diff.findings_resolved],
            "escalated": [{"before": finding_json(a), "after": finding_json(b, triage)}
                          for a, b in diff.findings_escalated],
        },
        "usage": [{"role": u.role, "caller": u.caller, "change": u.change, "first": u.first, "last": u.last,
                   "count": u.count} for u in diff.usage],
    }
    if diff.not_in_data.accounts or diff.not_in_data:
        doc["not_in_data"] = not_in_data_json(diff)
    if gate is not None:
        doc["gate"] = {**gate, **(gate_json(triage) if triage is not None else {})}
    return doc
