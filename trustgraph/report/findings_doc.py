"""Findings as JSON. A contract: fields may be added, never renamed or dropped.

`{"findings": [{"rule", "severity", "role", "principal", "message", "evidence", "remediation", …}], …}`

`incomplete` lists what the data is known to lack (truncated exports, accounts a collection could not read,
skipped statements …): an empty list means nothing is known missing, never that nothing could be.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from trustgraph import __version__
from trustgraph.analysis.findings import RULES, SEVERITY_NAMES, Finding, Rule

SCHEMA = "trustgraph/findings/v1"


def finding_json(f: Finding) -> dict[str, Any]:
    rule = RULES[f.rule]
    return {
        "rule": f.rule,
        "severity": f.severity.value,
        "role": f.role,
        "principal": f.principal,
        "message": f.message,
        "evidence": f.evidence,
        "remediation": f.remediation,
        "rule_name": rule.name,
        "title": rule.title,
        "account": f.account,
        "account_name": f.account_name,
        "statement": f.statement,
        "fixed_statement": f.fixed_statement,
        "mitigated_by": f.mitigated_by,
        "source": f.source,
        "references": list(rule.references),
    }


def rule_json(rule: Rule) -> dict[str, Any]:
    return {"id": rule.id, "name": rule.name, "title": rule.title, "severity": rule.severity.value,
            "family": rule.family, "rationale": rule.rationale, "references": list(rule.references),
            "remediation": rule.remediation}


def summary(findings: Iterable[Finding]) -> dict[str, Any]:
    findings = list(findings)
    counts = Counter(f.severity.value for f in findings)
    return {"total": len(findings), "by_severity": {s: counts.get(s, 0) for s in SEVERITY_NAMES},
            "by_rule": dict(sorted(Counter(f.rule for f in findings).items())),
            "roles": len({f.role for f in findings})}


def findings_document(findings: Iterable[Finding], *, inputs: Iterable[str] = (), incomplete: Iterable[str] = (),
                      data_time: str | None = None) -> dict[str, Any]:
    findings = list(findings)
    used = sorted({f.rule for f in findings})
    return {
        "schema": SCHEMA,
        "tool": {"name": "trustgraph", "version": __version__},
        "inputs": list(inputs),
        "incomplete": list(incomplete),
        "data_time": data_time,
        "summary": summary(findings),
        "findings": [finding_json(f) for f in findings],
        "rules": [rule_json(RULES[r]) for r in used],
    }
