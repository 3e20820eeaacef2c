"""A change as a pull-request comment: one summary line, then short tables, each capped ("… and N more").
Data text goes through `md`/`code` (report/markdown.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from trustgraph.analysis.diff import (
    ADDED,
    CHANGED,
    NOW_UNUSED,
    NOW_USED,
    REMOVED,
    EdgeFacts,
    GraphDiff,
    Incomplete,
    TrustChange,
    UsageChange,
)
from trustgraph.analysis.findings import RULES, Finding
from trustgraph.analysis.findings.gate import Triage
from trustgraph.report.markdown import code, gate_note, md, short_arn

ROWS = 10  # rows per table; the rest are counted
T = TypeVar("T")


def summary_line(diff: GraphDiff) -> str:
    """"2 trust changes (1 added, 1 changed) · 1 new outside trust · 2 new reachers of sensitive roles ·
    findings: 1 introduced, 1 resolved" — or "No trust changes and no finding changes.\""""
    parts = []
    if diff.trust:
        counts = ", ".join(f"{n} {c}" for c in (ADDED, CHANGED, REMOVED)
                           if (n := sum(1 for t in diff.trust if t.change == c)))
        parts.append(f"{len(diff.trust)} trust change{'s' if len(diff.trust) != 1 else ''} ({counts})")
    if diff.outside:
        parts.append(f"{len(diff.outside)} new trust from outside")
    new = sum(1 for r in diff.reachers if r.change == "new")
    firm = sum(1 for r in diff.reachers if r.change == "unconditional")
    lost = len(diff.reachers) - new - firm
    if new:
        parts.append(f"{new} new reacher{'s' if new != 1 else ''} of sensitive roles")
    if firm:
        parts.append(f"{firm} reacher{'s' if firm != 1 else ''} of sensitive roles now unconditional")
    if lost:
        parts.append(f"{lost} lost reacher{'s' if lost != 1 else ''} of sensitive roles")
    if diff.sensitive_added:
        parts.append(f"{len(diff.sensitive_added)} role(s) newly sensitive")
    found = [f"{n} {what}" for n, what in ((len(diff.findings_introduced), "introduced"),
                                           (len(diff.findings_resolved), "resolved"),
                                           (len(diff.findings_escalated), "escalated")) if n]
    if found:
        parts.append("findings: " + ", ".join(found))
    line = " · ".join(parts) + "." if parts else "No trust changes and no finding changes."
    return line + (f" Observed use: {usage_counts(diff)}." if diff.usage else "")


# Observed use that changed between the snapshots (docs/usage.md), in the order the groups are shown.
USAGE_CHANGE_LABELS = {NOW_USED: "became used", NOW_UNUSED: "became unused"}
USAGE_CHANGE_NOTES = {NOW_USED: "seen used in the new side's CloudTrail events; the old side's covered it and saw no "
                                "call (first, last, calls: the new side's)",
                      NOW_UNUSED: "seen used in the old side's events; the new side's cover it and saw no call "
                                  "(first, last, calls: the old side's)"}


def usage_groups(diff: GraphDiff) -> list[tuple[str, list[UsageChange]]]:
    """The usage changes by change (became used, became unused), each group in role, caller order; empty groups
    left out."""
    groups = [(change, sorted((u for u in diff.usage if u.change == change), key=lambda u: (u.role, u.caller)))
              for change in USAGE_CHANGE_LABELS]
    return [(change, items) for change, items in groups if items]


def usage_counts(diff: GraphDiff) -> str:
    """"2 trust became used, 1 became unused"."""
    return ", ".join(f"{len(items)} {'trust ' if i == 0 else ''}{USAGE_CHANGE_LABELS[change]}"
                     for i, (change, items) in enumerate(usage_groups(diff)))


# How a reacher change reads in a table: "unconditional" alone would read as the reach's state, not its change.
REACHER_CHANGE_LABELS = {"new": "new", "lost": "lost", "unconditional": "now unconditional"}


def facts_text(facts: EdgeFacts | None) -> str:
    if facts is None:
        return "—"
    conditions = ", ".join(facts.conditions) if facts.conditional else "unconditional"
    return f"{facts.kind}, {conditions}, {facts.classification}"


def callers_text(t: TrustChange) -> str:
    """One caller as itself; several as "N principals [via hub] (the first and N-1 more)"."""
    first = code(short_arn(t.callers[0]))
    if len(t.callers) == 1 and t.via is None:
        return first
    via = f" via {md(t.via)}" if t.via else ""
    more = f" and {len(t.callers) - 1} more" if len(t.callers) > 1 else ""
    return f"{len(t.callers)} principal{'s' if len(t.callers) != 1 else ''}{via} ({first}{more})"


def _table(head: Sequence[str], items: Sequence[T], row: Callable[[T], Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row(item)) + " |" for item in items[:ROWS]]
    if len(items) > ROWS:
        lines.append(f"\n… and {len(items) - ROWS} more (see `--format json`).")
    return lines + [""]


def _finding_row(triage: Triage | None) -> Callable[[Finding], Sequence[str]]:
    def row(f: Finding) -> Sequence[str]:
        return (f.severity.value, f.rule, code(short_arn(f.role)), code(short_arn(f.principal)) if f.principal else "—",
                md(RULES[f.rule].title) + gate_note(f, triage))
    return row


def incomplete_banner(diff: GraphDiff, old: Incomplete | None, new: Incomplete | None) -> list[str]:
    """A quoted warning when a side lacks data: what it lacks, and how much would have read as change."""
    sides = [(name, side) for name, side in (("old", old), ("new", new)) if side]
    aside = diff.not_in_data
    if not sides and not aside.accounts:
        return []
    lines = ["> [!WARNING]", "> **Incomplete data:** this comparison cannot show what is not in the data."]
    for name, side in sides:
        what = list(side.partial) or list(side.reasons)
        more = f" (and {len(what) - 3} more)" if len(what) > 3 else ""
        lines.append(f"> - {name} side: " + md("; ".join(what[:3])) + more)
    if aside.accounts:
        counts = [f"{n} {what}" for n, what in ((len(aside.trust), "trust change(s)"),
                                                (len(aside.reachers), "reacher change(s)"),
                                                (len(aside.findings), "finding change(s)")) if n]
        accounts = ", ".join(code(a) for a in aside.accounts[:10]) + (" …" if len(aside.accounts) > 10 else "")
        lines.append(f"> - account(s) missing on a side: {accounts}"
                     + (f"; {', '.join(counts)} touching them are listed as not in the data, not as changes"
                        if counts else ""))
    return lines + [""]


def _not_in_data(diff: GraphDiff) -> list[str]:
    aside = diff.not_in_data
    if not aside:
        return []
    out = ["**Not in the data** (an account missing on one side: neither added nor removed)", ""]
    if aside.trust:
        out += _table(("Would read as", "Role", "Caller"), aside.trust,
                      lambda t: (t.change, code(short_arn(t.role)), callers_text(t)))
    if aside.reachers:
        out += _table(("Would read as", "Sensitive role", "Principal"), aside.reachers,
                      lambda r: (REACHER_CHANGE_LABELS[r.change], code(short_arn(r.role)),
                                 code(short_arn(r.principal))))
    if aside.findings:
        out += _table(("Would read as", "Severity", "Rule", "Role", "Principal"), aside.findings,
                      lambda item: (item[0], item[1].severity.value, item[1].rule, code(short_arn(item[1].role)),
                                    code(short_arn(item[1].principal)) if item[1].principal else "—"))
    return out


def diff_markdown(diff: GraphDiff, *, title: str = "trustgraph diff", level: int = 3,
                  triage: Triage | None = None, gate: dict[str, Any] | None = None,
                  old_incomplete: Incomplete | None = None, new_incomplete: Incomplete | None = None) -> str:
    h = "#" * level
    out = [f"{h} {md(title)}", ""] + incomplete_banner(diff, old_incomplete, new_incomplete)
    out += [summary_line(diff), ""]
    if gate and gate.get("incomplete"):
        out += ["**Gate failed:** " + md(gate["incomplete"]), ""]
    if gate and gate.get("reasons"):
        out += ["**Gate failed:** " + md("; ".join(gate["reasons"])), ""]
    if diff.trust:
        out += ["**Trust changes**", ""]
        out += _table(("Change", "Role", "Caller", "Before", "After"), diff.trust,
                      lambda t: (t.change, code(short_arn(t.role)), callers_text(t), md(facts_text(t.old)),
                                 md(facts_text(t.new))))
    if diff.outside:
        out += ["**New trust from outside the organization**", ""]
        out += _table(("Role", "Caller", "Classification", "Conditions"), diff.outside,
                      lambda o: (code(short_arn(o.role)), code(short_arn(o.caller)), md(o.classification),
                                 md(", ".join(o.conditions) or "none")))
    if diff.reachers:
        out += ["**Reachers of sensitive roles**", ""]
        out += _table(("", "Sensitive role", "Principal", "Hops", "Conditions"), diff.reachers,
                      lambda r: (REACHER_CHANGE_LABELS[r.change], code(short_arn(r.role)),
                                 code(short_arn(r.principal)), str(r.hops),
                                 md(", ".join(r.conditions) or "none")))
    if diff.sensitive_added:
        out += ["**Newly sensitive roles**", ""]
        out += _table(("Role", "Why"), list(diff.sensitive_added.items()),
                      lambda item: (code(short_arn(item[0])), md(item[1])))
    head = ("Severity", "Rule", "Role", "Principal", "Finding")
    if diff.findings_introduced:
        out += ["**Findings introduced**", ""] + _table(head, diff.findings_introduced, _finding_row(triage))
    if diff.findings_escalated:
        out += ["**Findings escalated**", ""]
        out += _table(("Before", "After", "Rule", "Role", "Principal"), diff.findings_escalated,
                      lambda p: (p[0].severity.value, p[1].severity.value, p[1].rule, code(short_arn(p[1].role)),
                                 code(short_arn(p[1].principal)) if p[1].principal else "—"))
    if diff.findings_resolved:
        out += ["**Findings resolved**", ""] + _table(head, diff.findings_resolved, _finding_row(None))
    for change, items in usage_groups(diff):
        out += [f"**Trust that {USAGE_CHANGE_LABELS[change]}** ({len(items)}): {md(USAGE_CHANGE_NOTES[change])}", ""]
        out += _table(("Role", "Caller", "First", "Last", "Calls"), items,
                      lambda u: (code(short_arn(u.role)), code(short_arn(u.caller)), md(u.first[:10]),
                                 md(u.last[:10]), str(u.count)))
    out += _not_in_data(diff)
    return "\n".join(out).rstrip() + "\n"
