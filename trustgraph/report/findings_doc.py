"""Findings as JSON. A contract: fields may be added, never renamed or dropped.

`{"findings": [{"rule", "severity", "role", "principal", "message", "evidence", "remediation", …}], …}`

Each finding has a `fingerprint` (rule id + role + principal: what baselines, suppressions and
`trustgraph diff` match on), `suppression` (null, or the entry that accepts it: reason, entry, expires) and
`in_baseline` (false unless `--baseline` holds it). With a gate (`--baseline`/`--suppressions`) the document
has `gate`: counts of open, baselined and suppressed findings, and the expired suppressions.

Each finding also names its `group` (`g-` and 12 hex digits): findings that differ only in their own account
(analysis/findings/groups.py: the same rule, role name, principal and message once the account id and name are set
aside) share it, and it is the same in every run. The document's `groups` lists each group once, worst first:
`id`, `rule`, `severity` (of its worst finding), `count`, `accounts`, `ous` (names, with organization data),
`worst` (the fingerprint of the finding the reports show) and `fingerprints` (every finding's, worst first).

Each high or critical finding whose fix is to change one statement of a role's trust also has `pairs_cut`: how
many (principal, sensitive role) reach pairs removing that statement cuts, recomputed exactly
(analysis/chokepoints.py, docs/chokepoints.md); null for the others. Each group has `pairs_cut` for its
statements removed together, and the document `reach_pairs_total`, the pairs there are.

`incomplete` lists what the data is known to lack (truncated exports, accounts a collection could not read,
skipped statements …): an empty list means nothing is known missing, never that nothing could be.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from trustgraph.analysis.chokepoints import FixCuts
from trustgraph.analysis.findings import RULES, SEVERITY_NAMES, Finding, Rule
from trustgraph.analysis.findings.gate import Suppression, Triage
from trustgraph.analysis.findings.groups import FindingGroup, group_findings, group_id
from trustgraph.model import Organization
from trustgraph.version import SCHEMAS, __version__

SCHEMA = SCHEMAS["findings"]


def suppression_json(s: Suppression) -> dict[str, Any]:
    return {"rule": s.rule, "subject": s.subject, "principal": s.principal, "reason": s.reason,
            "expires": s.expires.isoformat() if s.expires else None, "entry": s.entry}


def finding_json(f: Finding, triage: Triage | None = None, cuts: FixCuts | None = None) -> dict[str, Any]:
    rule = RULES[f.rule]
    suppression = triage.suppression(f) if triage is not None else None
    return {
        "rule": f.rule,
        "severity": f.severity.value,
        "role": f.role,
        "target_kind": f.target_kind,
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
        "fingerprint": f.fingerprint,
        "suppression": suppression_json(suppression) if suppression is not None else None,
        "in_baseline": triage.in_baseline(f) if triage is not None else False,
        "group": group_id(f),
        "pairs_cut": cuts.findings.get(f.fingerprint) if cuts is not None else None,
    }


def group_json(g: FindingGroup, cuts: FixCuts | None = None) -> dict[str, Any]:
    return {"id": g.id, "rule": g.rule, "severity": g.severity.value, "count": g.count,
            "accounts": list(g.accounts), "ous": list(g.ous), "worst": g.worst.fingerprint,
            "fingerprints": [f.fingerprint for f in g.findings],
            "pairs_cut": cuts.groups.get(g.id) if cuts is not None else None}


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


def gate_json(triage: Triage) -> dict[str, Any]:
    return {"open": len(triage.open), "baselined": len(triage.baselined), "suppressed": len(triage.suppressed),
            "expired_suppressions": [suppression_json(s) for s in triage.expired]}


def findings_document(findings: Iterable[Finding], *, inputs: Iterable[str] = (), incomplete: Iterable[str] = (),
                      data_time: str | None = None, triage: Triage | None = None,
                      organization: Organization | None = None, cuts: FixCuts | None = None) -> dict[str, Any]:
    """`cuts`: what each finding's and group's statements cut of the reach to sensitive roles (`fix_cuts`)."""
    findings = list(findings)
    used = sorted({f.rule for f in findings})
    doc = {
        "schema": SCHEMA,
        "tool": {"name": "trustgraph", "version": __version__},
        "inputs": list(inputs),
        "incomplete": list(incomplete),
        "data_time": data_time,
        "summary": summary(findings),
        "findings": [finding_json(f, triage, cuts) for f in findings],
        "rules": [rule_json(RULES[r]) for r in used],
        "groups": [group_json(g, cuts) for g in group_findings(findings, organization)],
        "reach_pairs_total": cuts.pairs_total if cuts is not None else None,
    }
    if triage is not None:
        doc["gate"] = gate_json(triage)
    return doc
