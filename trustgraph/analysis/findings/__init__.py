"""Findings: what is wrong with a set of role trusts, how bad, where, and how to fix it.

Pure functions over (Snapshot, trust graph) returning typed `Finding`s; formatting lives in `trustgraph.report`
and the CLI. One module per rule family; the rules themselves are described once in `catalogue`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from trustgraph.analysis.findings.catalogue import RULES, rule
from trustgraph.analysis.findings.context import FindingContext, FindingOptions
from trustgraph.analysis.findings.escalation import check_escalation, check_escalation_accounts
from trustgraph.analysis.findings.federation import check_federation
from trustgraph.analysis.findings.fold import fold_statement_findings
from trustgraph.analysis.findings.hygiene import check_hygiene
from trustgraph.analysis.findings.identity_center import check_identity_center, check_identity_center_role
from trustgraph.analysis.findings.model import SEVERITY_NAMES, Finding, Rule, Severity
from trustgraph.analysis.findings.public import check_public
from trustgraph.analysis.findings.sensitive import check_sensitive
from trustgraph.analysis.findings.third_party import check_third_party
from trustgraph.analysis.findings.usage import check_usage_events, check_usage_role
from trustgraph.graph.schema import TrustGraph
from trustgraph.model import ProgressCallback, Role, Snapshot

Check = Callable[[FindingContext, Role], Iterator[Finding]]
FAMILIES: dict[str, Check] = {
    "public": check_public,
    "federation": check_federation,
    "third-party": check_third_party,
    "sensitive": check_sensitive,
    "hygiene": check_hygiene,
    "escalation": check_escalation,
    "identity-center": check_identity_center_role,
    "usage": check_usage_role,
}
# Families' findings whose target is not a role (a user, an account), run once after the roles.
WHOLE_DATA: dict[str, Callable[[FindingContext], Iterator[Finding]]] = {
    "escalation": check_escalation_accounts,
    "identity-center": check_identity_center,
    "usage": check_usage_events,
}
# Families that read the graph's paths: without a graph they do not run. (identity-center runs its assignment rules
# without one, and the rules that read the graph's sign-ins and problems with one.)
NEEDS_GRAPH = frozenset({"sensitive", "escalation", "usage"})

__all__ = ["FAMILIES", "RULES", "SEVERITY_NAMES", "Finding", "FindingContext", "FindingOptions", "Rule",
           "Severity", "at_or_above", "find", "rule"]


def find(snapshot: Snapshot, graph: TrustGraph | None = None, options: FindingOptions | None = None,
         families: Iterable[str] | None = None, progress: ProgressCallback | None = None,
         context: FindingContext | None = None) -> list[Finding]:
    """Every finding for the snapshot, worst first. `graph` (from `build_graph`) enables the reachability
    rules and the graph evidence; without it only the trust-policy rules run. `progress(roles done, roles)`
    is called every 500 roles and at the end. `context`: one made for this snapshot, graph and options
    already (its sensitive roles are then computed once for the caller and the rules)."""
    ctx = context or FindingContext(snapshot, graph, options)
    names = [f for f in (families or FAMILIES) if graph is not None or f not in NEEDS_GRAPH]
    chosen = [FAMILIES[f] for f in names]
    out: list[Finding] = []
    seen: set[tuple[str, str, str, str | None]] = set()
    arns = sorted(snapshot.roles)
    for i, arn in enumerate(arns):
        if progress and i % 500 == 0:
            progress(i, len(arns))
        role = snapshot.roles[arn]
        for check in chosen:
            for f in check(ctx, role):
                key = (f.rule, f.role, f.principal or "", f.statement)
                if key not in seen:
                    seen.add(key)
                    out.append(f)
    for name in names:
        whole = WHOLE_DATA.get(name)
        for f in whole(ctx) if whole else ():
            key = (f.rule, f.role, f.principal or "", f.statement)
            if key not in seen:
                seen.add(key)
                out.append(f)
    if progress:
        progress(len(arns), len(arns))
    out = fold_statement_findings(out)  # a statement of thousands of principals: one finding per rule
    out.sort(key=Finding.sort_key)
    return out


def at_or_above(findings: Iterable[Finding], threshold: Severity) -> list[Finding]:
    return [f for f in findings if f.severity.at_least(threshold)]
