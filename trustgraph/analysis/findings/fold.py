"""Findings of one rule about the principals of one statement, folded into one finding when there are many.

A rule that judges the principals of a trust statement one by one (an outside account, an account-wide trust, a
deleted principal…) makes one finding per principal. A statement naming thousands of them (IAM holds about 270
in the largest trust policy; a saved graph, a plan or a hand-made file may hold 50,000) would make as many
findings, each carrying the statement: output growing with the square of the principals. Above FOLD_ABOVE
findings of one rule about one statement, they become one finding with the count, the worst severity, and the
first FOLDED_PRINCIPALS_SHOWN principals (docs/findings.md, "Folded findings").
"""

from __future__ import annotations

from collections import Counter, defaultdict

from trustgraph.analysis.findings.model import SEVERITY_NAMES, Finding

# More findings than this of one rule about one statement are folded into one.
FOLD_ABOVE = 20
# A folded finding lists this many of its principals (sorted); `count` says how many there are.
FOLDED_PRINCIPALS_SHOWN = 100

_Key = tuple[str, str, str]


def _key(finding: Finding) -> _Key | None:
    if finding.statement is None or finding.principal is None:
        return None
    return (finding.rule, finding.role, finding.statement)


def fold_statement_findings(findings: list[Finding]) -> list[Finding]:
    """`findings` with each (rule, role, statement) of more than FOLD_ABOVE principal findings replaced by one
    folded finding, where the first of them was; everything else as it was, in its order."""
    groups: dict[_Key, list[Finding]] = defaultdict(list)
    for f in findings:
        key = _key(f)
        if key is not None:
            groups[key].append(f)
    many = {key: members for key, members in groups.items() if len(members) > FOLD_ABOVE}
    if not many:
        return findings
    out: list[Finding] = []
    for f in findings:
        key = _key(f)
        if key is None or key not in many:
            out.append(f)
        elif many[key]:
            out.append(folded(many[key]))
            many[key] = []  # said once
    return out


def folded(members: list[Finding]) -> Finding:
    """One finding standing for `members` (one rule, role and statement): the worst of them is its example."""
    head = max(members, key=lambda f: (f.severity.rank, f.principal or ""))
    principals = sorted(str(f.principal) for f in members)
    severities = Counter(f.severity.value for f in members)
    counts = ", ".join(f"{severities[name]:,} {name}" for name in SEVERITY_NAMES if severities[name])
    shown = principals[:FOLDED_PRINCIPALS_SHOWN]
    mitigations = sorted({m for f in members for m in f.mitigated_by})
    message = (f"{len(members):,} principals of statement {head.statement} are found by {head.rule} ({counts}); "
               f"folded into one finding, the worst of them: {head.message}")
    evidence = {**head.evidence, "folded": {"count": len(members), "principals": shown,
                                            "principals_shown": len(shown), "severities": dict(severities),
                                            "example_principal": head.principal}}
    return Finding(rule=head.rule, severity=head.severity, role=head.role, principal=None, message=message,
                   evidence=evidence, remediation=head.remediation, account=head.account,
                   account_name=head.account_name, statement=head.statement, fixed_statement=head.fixed_statement,
                   mitigated_by=mitigations[:FOLDED_PRINCIPALS_SHOWN], source=head.source)


__all__ = ["FOLDED_PRINCIPALS_SHOWN", "FOLD_ABOVE", "fold_statement_findings", "folded"]
