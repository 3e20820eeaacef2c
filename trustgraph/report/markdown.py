"""Findings as Markdown: a severity summary, then each pattern of findings (its worst finding, where else it fires)
with why it matters and the fix."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from trustgraph.analysis.findings import RULES, SEVERITY_NAMES, Finding, Severity
from trustgraph.analysis.findings.gate import Triage
from trustgraph.analysis.findings.groups import FindingGroup, group_findings
from trustgraph.model import Organization
from trustgraph.text import visible

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#~!])")
# An `@` that GitHub would read as the start of a mention (`@user`, `@org/team`): one not preceded by an ASCII
# letter, digit or `_` (`alice@example.com` mentions nobody). GitHub finds mentions after Markdown is rendered,
# so neither `\@` nor `&#64;` stops one (github/markup#1168, github/cmark-gfm#181); an empty HTML comment
# after the `@` splits the text GitHub scans and renders as nothing, in GitHub and any CommonMark renderer.
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@")
INERT_AT = "@<!-- -->"


def md(text: object) -> str:
    """Escape free text for Markdown (also neutralises HTML tags in renderers that allow them); control
    characters (ESC, NUL, bidi overrides) are written as visible `\\x1b`-style escapes, newlines as spaces;
    an `@` that would start a mention is made inert (a pull-request comment notifies nobody).
    The one helper for data text in report.md, the Markdown findings and the diff comment."""
    escaped = _MD_SPECIAL.sub(r"\\\1", visible(str(text).replace("\n", " "), one_line=True))
    return _MENTION.sub(INERT_AT, escaped)


def code(text: object) -> str:
    """An inline code span that survives backticks in the text, control characters (made visible) and
    `|` (escaped, so a span inside a table cell does not split the cell). GitHub finds no mention inside a
    code span, so an `@` stays as it is."""
    s = visible(str(text).replace("\n", " "), one_line=True).replace("|", "\\|")
    fence = "``" if "`" in s else "`"
    if "``" in s:
        fence = "`" * (max(len(run) for run in re.findall("`+", s)) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def fenced(text: str, info: str = "") -> list[str]:
    """A fenced code block around `text` (JSON text: control characters arrive escaped), its fence longer than
    any run of backticks inside, so that an ARN with ``` (IAM paths may hold backticks) cannot close it early."""
    fence = "`" * max(3, max((len(run) + 1 for run in re.findall("`+", text)), default=0))
    return [f"{fence}{info}", text, fence]


def short_arn(node: str) -> str:
    if node.startswith("arn:") and ":iam::" in node:
        account, resource = node.split(":iam::", 1)[1].split(":", 1)
        return f"{account}:{resource}" if resource != "root" else f"{account} (account)"
    return node


def severity_table(findings: list[Finding], groups: list[FindingGroup]) -> str:
    counts = {s: 0 for s in SEVERITY_NAMES}
    patterns = {s: 0 for s in SEVERITY_NAMES}
    for f in findings:
        counts[f.severity.value] += 1
    for g in groups:
        patterns[g.severity.value] += 1
    rows = ["| Severity | Findings | Patterns |", "|---|---:|---:|"]
    rows += [f"| {s} | {n} | {patterns[s]} |" for s, n in counts.items()]
    return "\n".join(rows)


def gate_note(f: Finding, triage: Triage | None) -> str:
    """" (suppressed: reason)" or " (in the baseline)" when a gate set the finding aside, else ""."""
    if triage is None:
        return ""
    suppression = triage.suppression(f)
    if suppression is not None:
        return f" (suppressed: {md(suppression.reason)})"
    return " (in the baseline)" if triage.in_baseline(f) else ""


def group_gate_note(g: FindingGroup, triage: Triage | None) -> str:
    """The gate note of a group: its one finding's, else how many of its findings a gate set aside."""
    if triage is None or g.count == 1:
        return gate_note(g.worst, triage)
    notes = g.set_aside(triage)
    return f" ({md(notes)})" if notes else ""


def overview_table(groups: list[FindingGroup], triage: Triage | None = None) -> str:
    rows = ["| # | Severity | Rule | Role | Principal | Where | Finding |", "|---:|---|---|---|---|---|---|"]
    for i, g in enumerate(groups, 1):
        f = g.worst
        rows.append(f"| {i} | {f.severity.value} | {f.rule} | {code(short_arn(f.role))} | "
                    f"{code(short_arn(f.principal)) if f.principal else '—'} | {md(g.where())} | "
                    f"{md(RULES[f.rule].title)}{group_gate_note(g, triage)} |")
    return "\n".join(rows)


# A group's entry names this many of its other accounts; findings.json lists every finding of the group.
ACCOUNTS_LISTED = 10


def group_lines(g: FindingGroup) -> list[str]:
    """What a group's entry adds to its worst finding's detail: where else it fires (empty for one finding)."""
    if g.count == 1:
        return []
    others = [a for a in g.accounts if a != g.worst.account]
    shown = ", ".join(code(a) for a in others[:ACCOUNTS_LISTED])
    more = len(others) - ACCOUNTS_LISTED
    return [f"**Same pattern:** {md(g.where())}, group {code(g.id)}; shown for {code(g.worst.account or '—')}, also "
            f"in {shown}" + (f" and {more} more (findings.json lists every one)" if more > 0 else ""), ""]


def finding_markdown(f: Finding, number: int | None = None, heading: str = "####",
                     triage: Triage | None = None, group: FindingGroup | None = None) -> str:
    rule = RULES[f.rule]
    prefix = f"{number}. " if number is not None else ""
    lines = [f"{heading} {prefix}{f.rule} {md(rule.title)}", ""]
    where = [f"**{f.target_kind.capitalize()}:** {code(f.role)}"]
    if f.account_name:
        where.append(f"**Account:** {md(f.account_name)} ({code(f.account)})")
    if f.principal:
        where.append(f"**Principal:** {code(f.principal)}")
    if f.statement:
        where.append(f"**Statement:** {md(f.statement)}")
    where.append(f"**Severity:** {f.severity.value}")
    lines += ["  \n".join(where), "", md(f.message), ""]
    if group is not None:
        lines += group_lines(group)
    if f.mitigated_by:
        lines += [f"**Mitigated:** {md('; '.join(f.mitigated_by))}", ""]
    suppression = triage.suppression(f) if triage is not None else None
    if suppression is not None:
        until = f", until {suppression.expires}" if suppression.expires else ""
        lines += [f"**Suppressed** ({md(suppression.entry)}{until}): {md(suppression.reason)}", ""]
    sources = ", ".join(f"[{i}]({u})" for i, u in enumerate(rule.references, 1))
    lines += [f"**Why it matters.** {md(rule.rationale)} Sources: {sources}", ""]
    lines += [f"**How to fix.** {md(f.remediation)}", ""]
    if f.fixed_statement:
        lines += ["Corrected trust statement:", "", *fenced(json.dumps(f.fixed_statement, indent=2), "json"), ""]
    return "\n".join(lines)


def findings_markdown(findings: Iterable[Finding], *, title: str | None = "Findings", level: int = 2,
                      triage: Triage | None = None, organization: Organization | None = None,
                      groups: list[FindingGroup] | None = None) -> str:
    """The findings one entry per pattern (analysis/findings/groups.py): its worst finding in full, and where else it
    fires. `groups`: the findings' groups when the caller has them already."""
    findings = sorted(findings, key=Finding.sort_key)
    h = "#" * level
    out = [f"{h} {title}", ""] if title else []
    if not findings:
        return "\n".join(out + ["No findings.", ""])
    groups = groups if groups is not None else group_findings(findings, organization)
    out += [severity_table(findings, groups), "", overview_table(groups, triage), ""]
    number = 0
    for severity in sorted(Severity, key=lambda s: -s.rank):
        chosen = [g for g in groups if g.severity is severity]
        if not chosen:
            continue
        count = sum(g.count for g in chosen)
        out += [f"{h}# {severity.value.capitalize()} ({count}" + (f", {len(chosen)} patterns" if len(chosen) != count
                                                                  else "") + ")", ""]
        for g in chosen:
            number += 1
            out.append(finding_markdown(g.worst, number, heading=f"{h}##", triage=triage, group=g))
    return "\n".join(out)
