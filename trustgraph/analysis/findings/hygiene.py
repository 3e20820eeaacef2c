"""Trust hygiene: statements and principals the trust compiler found can never match (TG501), and values that
were not evaluated, template placeholders and unreadable statements (TG502)."""

from __future__ import annotations

from collections.abc import Iterator

from trustgraph.analysis.findings.context import FindingContext
from trustgraph.analysis.findings.model import Finding
from trustgraph.model import Role
from trustgraph.policy.placeholders import statement_placeholders
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
    yield from _not_evaluated(ctx, role)


def _not_evaluated(ctx: FindingContext, role: Role) -> Iterator[Finding]:
    assert role.trust is not None
    for st in role.trust.statements:
        found = statement_placeholders(st)
        if not found:
            continue
        are = "is a template placeholder" if len(found) == 1 else "are template placeholders"
        yield ctx.finding("TG502", role, None,
                          f"statement {st.label}: {', '.join(found)} {are}, filled in when the template is deployed; "
                          "trustgraph did not evaluate what this statement allows",
                          statement=st, evidence={"placeholders": found})
    if role.trust.skipped:
        reasons = sorted(set(role.trust.skipped))
        yield ctx.finding("TG502", role, None,
                          f"{len(role.trust.skipped)} statement(s) of the trust could not be read and were not "
                          f"evaluated: {'; '.join(reasons)}",
                          evidence={"skipped_statements": list(role.trust.skipped)})
