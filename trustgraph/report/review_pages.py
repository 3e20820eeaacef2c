"""The pages the review's main page links to, as Markdown: every account, every grant to an outside party, every
sensitive role (an index, and a page per group of roles with the same reachers), every finding (a page per rule).
Names and places: review_layout.py."""

from __future__ import annotations

from trustgraph.analysis.findings import RULES
from trustgraph.analysis.findings.groups import FindingGroup
from trustgraph.analysis.usage import chain_text
from trustgraph.report import review_layout as layout
from trustgraph.report.markdown import code, findings_markdown, md, short_arn
from trustgraph.report.review import Review, SensitiveGroup
from trustgraph.report.review_markdown import (
    grants_table,
    link,
    people_text,
    plural,
    review_pages_of,
    sensitive_header,
    sensitive_line,
)


def _head(review: Review, title: str, page: str) -> list[str]:
    """A linked page's title and the way back to the main page."""
    return [f"# {title}", "", f"_{md(review.title)}: part of the review, back to "
            f"{link(layout.MAIN_MD, layout.up(page) + layout.MAIN_MD)}._", ""]


def accounts_page(review: Review) -> str:
    out = _head(review, "Accounts", layout.ACCOUNTS_FILE)
    out += ["| Account | Name | OU path | Roles | Users | In the data |", "|---|---|---|---:|---:|---|"]
    out += [f"| {code(a.id)} | {md(a.name) or '—'} | {code(a.ou_path) if a.ou_path else '—'} | {a.roles} | "
            f"{a.users} | {'yes' if a.collected else 'no'} |" for a in review.accounts]
    return "\n".join(out + [""])


def outside_page(review: Review) -> str:
    title = ("Trust that crosses the organization boundary" if review.organization_id else
             "Trust from outside this data set")
    out = _head(review, title, layout.OUTSIDE_FILE)
    if not review.boundary:
        return "\n".join(out + [f"No role trusts a party outside {review.boundary_name}.", ""])
    return "\n".join(out + grants_table(review.boundary) + [""])


def sensitive_page(review: Review) -> str:
    """Every sensitive role, by account, with the page that shows who reaches it."""
    out = _head(review, "Sensitive roles", layout.SENSITIVE_FILE)
    if not review.sensitive:
        return "\n".join(out + ["No role is admin-equivalent, tagged `trustgraph:sensitive=true`, or matched by "
                                "--sensitive.", ""])
    pages = review_pages_of(review, layout.up(layout.SENSITIVE_FILE))
    out += ["Roles of one group (the same callers, the same reachers) share the page of the group's first role.", "",
            *sensitive_header(review.usage_window is not None)]
    out += [sensitive_line(s, pages[s.role], observed=review.usage_window is not None)
            for s in sorted(review.sensitive, key=lambda s: (s.account, s.role))]
    return "\n".join(out + [""])


def role_page(review: Review, group: SensitiveGroup, picture: str | None) -> str:
    """A sensitive role (or a group of them with the same reachers): why, who reaches it by which path, the
    picture of those paths (`picture`: its place in the bundle, or None)."""
    s, reachers = group.first, group.reachers
    page = layout.role_page(s.role, s.account)
    firm = sum(1 for r in reachers if not r.conditional)
    if len(group.roles) == 1:
        firm = s.unconditional
        out = _head(review, code(short_arn(s.role)), page)
        people = people_text(s)
        out += [f"**Account:** {md(s.account_name)} ({code(s.account)})  ",
                f"**Why sensitive:** {md('; '.join(s.reasons))}  ",
                f"**Reachable by:** {plural(s.reacher_count, 'principal')} ({firm} without any run-time "
                f"condition, {s.outside} from outside)" + (f"  \n**Findings:** {', '.join(s.rules)}" if s.rules else "")
                + (f"  \n**People (Identity Center sign-ins):** {md(people)}" if people else ""), ""]
    else:
        out = _head(review, f"{len(group.roles)} sensitive roles with the same reachers", page)
        out += ["| Role | Why sensitive | Findings |", "|---|---|---|"]
        out += [f"| {code(short_arn(g.role))} | {md('; '.join(g.reasons))} | {', '.join(g.rules) or '—'} |"
                for g in group.roles]
        out += ["", f"**Reachable by:** {plural(len(reachers), 'principal')} ({firm} without any run-time "
                    "condition) besides each other, the same for each of these roles; paths are shown to the "
                    "first.", ""]
        out += [f"**People (Identity Center sign-ins), {code(short_arn(g.role))}:** {md(people_text(g))}  "
                for g in group.roles if people_text(g)]
        if any(people_text(g) for g in group.roles):
            out.append("")
    if reachers:
        observed = review.usage_window is not None  # the Used column only with CloudTrail events
        out += ["| Reacher | Kind | Hops | Path | Conditions |" + (" Used |" if observed else ""),
                "|---|---|---:|---|---|" + ("---|" if observed else "")]
        for r in reachers:
            path = " → ".join(code(short_arn(p)) for p in r.path)
            conds = ", ".join(code(c) for c in r.conditions) if r.conditional else "none"
            out.append(f"| {code(short_arn(r.principal))} | {md(r.kind)} | {r.hops} | {path} | {conds} |"
                       + (f" {chain_text(r.steps)} |" if observed else ""))
        if s.reacher_count > len(s.reachers):
            out.append(f"| … and {s.reacher_count - len(s.reachers)} more "
                       f"({code(f'trustgraph who-can-reach {s.role}')} lists them) | | | | |"
                       + (" |" if observed else ""))
        if observed:
            out += ["", usage_note(review)]
        out.append("")
    if picture:
        out += [f"![Paths to {md(short_arn(s.role))}]({layout.up(page)}{picture})", ""]
    return "\n".join(out)


def usage_note(review: Review) -> str:
    """What the Used column covers: the events' window and accounts (docs/usage.md)."""
    window = review.usage_window or {}
    accounts = ", ".join(code(a) for a in sorted(window.get("accounts") or {})) or "none"
    return (f"_Used: every link of the path seen used in the CloudTrail events from "
            f"{str(window.get('from') or '?')[:10]} to {str(window.get('to') or '?')[:10]} (accounts {accounts}); the "
            "date and calls are its stalest link's. \"not used in window\": a link the events cover was never seen "
            "used; \"unknown\": a link outside them, or not a role assumption._")


def rule_page(review: Review, rule: str, groups: list[FindingGroup]) -> str:
    """Every pattern of one rule's findings: its worst finding in full and where else it fires."""
    row = RULES[rule]
    page = layout.rule_page(rule)
    out = _head(review, f"{rule} {md(row.title)}", page)
    findings = [f for g in groups for f in g.findings]
    out += [f"**Severity:** {row.severity.value} · **Family:** {row.family} · {plural(len(findings), 'finding')} in "
            f"{plural(len(groups), 'pattern')}", ""]
    out.append(findings_markdown(findings, title=None, groups=groups, level=2))
    return "\n".join(out)

