"""Trust hygiene (TG501): statements and principals the trust compiler found can never match."""

from __future__ import annotations

from collections.abc import Iterator

from trustgraph.analysis.findings.context import FindingContext
from trustgraph.analysis.findings.model import Finding
from trustgraph.model import Role
from trustgraph.policy.trust import compile_trust

# Reported by their own rules (TG102 NotPrincipal).
_OWN_RULES = ("NotPrincipal",)


def check_hygiene(ctx: FindingContext, role: Role) -> Iterator[Finding]:
    if role.trust is None or role.service_linked:
        return
    seen: set[tuple[str, str | None, str]] = set()
    for problem in compile_trust(role, ctx.data_time).problems:
        if any(word in problem.message for word in _OWN_RULES):
            continue
        key = (problem.statement, problem.principal, problem.message)
        if key in seen:
            continue
        seen.add(key)
        who = f"{problem.principal}: " if problem.principal else ""
        yield ctx.finding("TG501", role, problem.principal,
                          f"statement {problem.statement}: {who}{problem.message}",
                          evidence={"statement": problem.statement, "problem": problem.message})
