"""What `trustgraph check` found: the JSON contract (`trustgraph/check/v1`, docs/guardrails.md), Markdown and the words
a hop's statement is told in. SARIF is in report/sarif.py, beside the findings'."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from trustgraph.analysis.guardrails import RuleKind, RuleResult, Violation, ViolationGroup, violation_count
from trustgraph.report.markdown import code, md, short_arn
from trustgraph.version import SCHEMAS

# How many principals a group names in the JSON and Markdown beside its count (the violations list has them all).
GROUP_NAMES = 10
# How many groups of one rule the table and the Markdown show, largest first (a pull-request comment holds at most
# 65,536 characters); the JSON and SARIF have them all.
SHOWN_GROUPS = 50


def rule_demand(result: RuleResult) -> str:
    """What a rule demands, in words."""
    rule = result.rule
    if rule.kind is RuleKind.DENY:
        return "no principal it judges may reach the guarded roles"
    if rule.kind is RuleKind.ALLOW_ONLY:
        return "only " + " or ".join(s.describe() for s in rule.allowed) + " may reach the guarded roles"
    return "every path to the guarded roles depends on " + ", ".join(rule.conditions)


def statement_text(s: dict[str, Any]) -> str:
    """One statement of a hop, as a reviewer reads it: a trust statement by policy, index, Sid and file; any other
    grant by its action and why."""
    if s.get("policy"):
        # numbered as everywhere else (model.Statement.label): #index from 0, then the Sid
        sid = f" ({s['sid']})" if s.get("sid") else ""
        where = f" in {s['file']}" if s.get("file") else ""
        text = f"{s['policy']} statement #{s['statement']}{sid}{where}"
    else:
        text = f"{s.get('kind')}: {s.get('action') or ''}".rstrip(": ")
        if s.get("reason"):
            text += f" ({s['reason']})"
    if s.get("conditions"):
        text += f" if {', '.join(s['conditions'])}"
    return text


def violation_json(v: Violation) -> dict[str, Any]:
    return {"principal": v.principal, "role": v.role, "path": v.path, "steps": v.steps, "statements": v.statements,
            "conditional": v.conditional, "conditions": v.conditions, "missing_conditions": v.missing,
            "from": v.source}


def _group_json(g: ViolationGroup) -> dict[str, Any]:
    return {"from": g.source, "role": g.role, "count": g.count,
            "principals": [v.principal for v in g.violations[:GROUP_NAMES]],
            "example": violation_json(g.violations[0])}


def check_document(results: list[RuleResult], *, incomplete: Iterable[str] = (),
                   inputs: Iterable[str] = ()) -> dict[str, Any]:
    """The answer of `check --format json`. A contract: fields may be added, never renamed or dropped."""
    return {
        "schema": SCHEMAS["check"],
        "inputs": list(inputs),
        "rules": [{"id": r.rule.id, "description": r.rule.description, "kind": r.rule.kind.value,
                   "via": list(r.rule.via) if r.rule.via else None,
                   "violations": [violation_json(v) for v in r.violations],
                   "violation_count": len(r.violations), "guarded": r.guarded,
                   "groups": [_group_json(g) for g in r.groups]}
                  for r in results],
        "violation_count": violation_count(results),
        "incomplete": list(incomplete),
    }


def path_words(v: Violation) -> str:
    """A violation's path with the kind of each hop: `a →[assume] b →[passrole lambda:CreateFunction] c`."""
    kinds: dict[str, str] = {}
    for step in v.steps:
        label = f"{step.get('kind')} {step.get('technique') or ''}".strip()
        kinds[str(step.get("to"))] = label
    # a hop that ends at a hub is told on the hop out of it: name each principal's hop by the step into it
    text = short_arn(v.path[0])
    pending: list[str] = []
    for node in v.route[1:]:
        if node in kinds and kinds[node] not in pending:
            pending.append(kinds[node])
        if node in v.path[1:]:
            text += f" →[{', '.join(pending)}] {short_arn(node)}"
            pending = []
    return text


@dataclass(frozen=True, slots=True)
class GuardrailRow:
    """One row of a rule's table of violations, as every medium shows it (`check --format markdown`, the review's
    report.md and report.html): one group of violations (where the principals are, the role), by its example."""

    source: str  # where the principals are: their OU, else their account, else their kind
    role: str  # short ARN
    count: int
    names: list[str]  # the first principals, short ARNs
    more: int  # how many more principals the group holds
    path: str  # the example's path with the kind of each hop (path_words)
    missing: str  # require_conditions: "(no hop needs K, …)", else ""
    statements: list[str]  # the statements of the example's hops, in words


@dataclass(frozen=True, slots=True)
class GuardrailRest:
    """What a rule's table leaves out past SHOWN_GROUPS groups."""

    groups: int
    violations: int


NAMED_IN_ROW = 3  # principals a row names before "and N more"


def guardrail_rows(result: RuleResult) -> tuple[list[GuardrailRow], GuardrailRest | None]:
    """The rows of a rule's table of violations, largest groups first, and what is left out past SHOWN_GROUPS."""
    rows = []
    for g in result.groups[:SHOWN_GROUPS]:
        v = g.violations[0]
        rows.append(GuardrailRow(
            g.source, short_arn(g.role), g.count, [short_arn(x.principal) for x in g.violations[:NAMED_IN_ROW]],
            max(0, g.count - NAMED_IN_ROW), path_words(v),
            f" (no hop needs {', '.join(v.missing)})" if v.missing else "",
            [statement_text(st) for st in v.statements if not st.get("membership")]))
    rest = result.groups[SHOWN_GROUPS:]
    return rows, GuardrailRest(len(rest), sum(g.count for g in rest)) if rest else None


def check_markdown(results: list[RuleResult], *, incomplete: Iterable[str] = (), title: str = "trustgraph check",
                   level: int = 1) -> str:
    head = "#" * level
    incomplete = list(incomplete)
    broken = [r for r in results if r.violations]
    total = violation_count(results)
    lines = [f"{head} {md(title)}", ""]
    if not broken:
        lines.append(f"All {len(results)} rule(s) hold" + (" on incomplete data." if incomplete else "."))
    else:
        lines.append(f"**{total} violation(s)** of {len(broken)} of {len(results)} rule(s).")
    lines.append("")
    for gap in incomplete:
        lines.append(f"- incomplete data: {md(gap)}")
    if incomplete:
        lines.append("")
    for r in results:
        state = f"{len(r.violations)} violation(s)" if r.violations else "holds"
        lines += [f"{head}# {code(r.rule.id)}: {state}", ""]
        if r.rule.description:
            lines += [md(r.rule.description), ""]
        lines += [f"Demands: {md(rule_demand(r))}; `to`: {md(' or '.join(s.describe() for s in r.rule.to))}"
                  + (f"; `from`: {md(' or '.join(s.describe() for s in r.rule.sources))}" if r.rule.sources else ""),
                  ""]
        if not r.violations:
            continue
        lines += ["| from | role | principals | shortest path (example) | statements |", "|---|---|---|---|---|"]
        rows, rest = guardrail_rows(r)
        for row in rows:
            names = ", ".join(code(n) for n in row.names)
            more = f" and {row.more} more" if row.more else ""
            statements = "<br>".join(md(st) for st in row.statements)
            lines.append(f"| {md(row.source)} | {code(row.role)} | {row.count}: {names}{more} | "
                         f"{code(row.path)}{md(row.missing)} | {statements} |")
        if rest is not None:
            lines.append(f"| … | {rest.groups} more role(s) and place(s) | {rest.violations} | "
                         "`--format json` lists every violation | |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
