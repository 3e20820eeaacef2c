"""The review's main page as one self-contained HTML file: inline CSS, the trust map as a data: URI, every string
escaped; it links to the bundle's other pages (review_layout.py) and folds each rule's detail (`<details>`)."""

from __future__ import annotations

import base64
import json
from collections import Counter
from html import escape

from trustgraph.analysis.findings import RULES, SEVERITY_NAMES, Severity
from trustgraph.analysis.findings.groups import FindingGroup
from trustgraph.analysis.guardrails import RuleResult, violation_count
from trustgraph.analysis.usage import paths_used_text
from trustgraph.report import review_layout as layout
from trustgraph.report.guardrails import guardrail_rows, rule_demand
from trustgraph.report.markdown import ACCOUNTS_LISTED, short_arn
from trustgraph.report.review import BoundaryRow, Review, SensitiveRole
from trustgraph.report.review_markdown import (
    METHOD,
    SENSITIVE_LISTED,
    at_a_glance,
    effective_text,
    map_caption,
    map_heading,
    most_exposed,
    parties,
    review_pages_of,
    rule_groups,
)
from trustgraph.report.review_matrix import MatrixTable, pages_line
from trustgraph.text import visible

CSS = """
:root{--crit:#a50e0e;--high:#d93025;--med:#e37400;--low:#1a73e8;--info:#5f6368;--line:#dadce0;--bg:#f8f9fa}
*{box-sizing:border-box}body{font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;
color:#202124;margin:0;background:#fff}main{max-width:1180px;margin:0 auto;padding:32px 28px 64px}
h1{font-size:28px;margin:0 0 4px}h2{font-size:21px;margin:40px 0 12px;padding-bottom:6px;border-bottom:1px solid
var(--line)}h3{font-size:17px;margin:24px 0 8px}.sub{color:#5f6368;margin:0 0 24px}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:13.5px}th,td{border:1px solid var(--line);
padding:6px 8px;text-align:left;vertical-align:top}th{background:var(--bg);font-weight:600}
code,pre{font-family:SFMono-Regular,Consolas,"Liberation Mono",monospace;font-size:12.5px}
code{background:var(--bg);padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:10px 12px;overflow:auto}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600;color:#fff}
.critical{background:var(--crit)}.high{background:var(--high)}.medium{background:var(--med)}
.low{background:var(--low)}.info{background:var(--info)}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0 20px}.card{border:1px solid var(--line);border-radius:8px;
padding:10px 16px;min-width:120px}.card b{display:block;font-size:24px}
.finding{border:1px solid var(--line);border-left:5px solid var(--info);border-radius:6px;padding:12px 16px;
margin:14px 0}.finding.sev-critical{border-left-color:var(--crit)}.finding.sev-high{border-left-color:var(--high)}
.finding.sev-medium{border-left-color:var(--med)}.finding.sev-low{border-left-color:var(--low)}
.finding h4{margin:0 0 6px;font-size:15.5px}.meta{color:#5f6368;font-size:13px}.why{color:#3c4043}
.fig{border:1px solid var(--line);border-radius:8px;padding:8px;margin:12px 0;overflow:auto;background:#fff}
.fig img{max-width:100%;height:auto}.eff-allow{color:var(--high);font-weight:600}.eff-conditional{color:var(--med);
font-weight:600}.eff-blocked{color:#188038;font-weight:600}ol.fix li{margin-bottom:8px}
details{border:1px solid var(--line);border-radius:6px;padding:6px 12px;margin:8px 0}summary{cursor:pointer}
@media print{main{max-width:none}.finding,.fig{break-inside:avoid}}
"""


def e(value: object) -> str:
    """Data text for report.html: HTML-escaped, control characters (ESC, NUL, bidi overrides) made visible."""
    return escape(visible(value), quote=True)


def c(value: object) -> str:
    return f"<code>{e(value)}</code>"


def badge(severity: Severity | str) -> str:
    name = severity.value if isinstance(severity, Severity) else str(severity)
    return f'<span class="badge {e(name)}">{e(name)}</span>'


def svg_img(svg: bytes | None, alt: str) -> str:
    if not svg:
        return ""
    data = base64.b64encode(svg).decode("ascii")
    return f'<div class="fig"><img alt="{e(alt)}" src="data:image/svg+xml;base64,{data}"></div>'


def _same_pattern(g: FindingGroup) -> str:
    """Where else a group's pattern fires (empty for one finding): the HTML of markdown.group_lines."""
    if g.count == 1:
        return ""
    others = [a for a in g.accounts if a != g.worst.account]
    more = len(others) - ACCOUNTS_LISTED
    return (f"<p><b>Same pattern:</b> {e(g.where())}, group {c(g.id)}; shown for {c(g.worst.account or '—')}, also "
            f"in {', '.join(c(a) for a in others[:ACCOUNTS_LISTED])}"
            + (f" and {more} more (findings.json lists every one)" if more > 0 else "") + "</p>")


def _finding(g: FindingGroup, number: int) -> str:
    f = g.worst
    rule = RULES[f.rule]
    meta = [f"{f.target_kind} {c(f.role)}"]
    if f.account_name:
        meta.append(f"account {e(f.account_name)}")
    if f.principal:
        meta.append(f"principal {c(f.principal)}")
    if f.statement:
        meta.append(f"statement {e(f.statement)}")
    refs = ", ".join(f'<a href="{e(u)}">{i}</a>' for i, u in enumerate(rule.references, 1))
    parts = [f'<div class="finding sev-{e(f.severity.value)}" id="finding-{number}">',
             f"<h4>{number}. {badge(f.severity)} {e(f.rule)} {e(rule.title)}</h4>",
             f'<div class="meta">{" · ".join(meta)}</div>', f"<p>{e(f.message)}</p>", _same_pattern(g)]
    if f.mitigated_by:
        parts.append(f"<p><b>Mitigated:</b> {e('; '.join(f.mitigated_by))}</p>")
    parts.append(f'<p class="why"><b>Why it matters.</b> {e(rule.rationale)} <span class="meta">Sources: {refs}'
                 "</span></p>")
    parts.append(f"<p><b>How to fix.</b> {e(f.remediation)}</p>")
    if f.fixed_statement:
        parts.append("<p>Corrected trust statement:</p><pre><code>"
                     f"{e(json.dumps(f.fixed_statement, indent=2))}</code></pre>")
    parts.append("</div>")
    return "".join(parts)


def link(text: str, target: str) -> str:
    """A hyperlink to a file of the bundle (`target` made by review_layout: safe in an attribute once escaped)."""
    return f'<a href="{e(target)}">{text}</a>'


def _reaches(b: BoundaryRow) -> str:
    if not b.reaches:
        return "—"
    text = f"{len(b.reaches)} role(s)"
    if b.sensitive_reached:
        shown = b.sensitive_reached[:SENSITIVE_LISTED]
        more = len(b.sensitive_reached) - len(shown)
        text += f" incl. <b>{len(b.sensitive_reached)} sensitive</b> " + \
            ", ".join(c(short_arn(r)) for r in shown) + (f" and {more} more" if more else "")
    return text


def _sensitive_row(s: SensitiveRole, page: str, picture: str | None, others: int, observed: bool = False) -> str:
    drawn = f" · {link('picture', picture)}" if picture else ""
    more = f" and {others} role(s) with the same reachers" if others else ""
    used = f"<td>{e(paths_used_text([r.steps for r in s.reachers]))}</td>" if observed else ""
    return (f"<tr><td>{link(c(short_arn(s.role)), page)}{more}{drawn}</td><td>{e('; '.join(s.reasons))}</td>"
            f"<td>{s.reacher_count}</td><td>{s.unconditional}</td><td>{s.outside}</td>"
            f"<td>{e(', '.join(s.rules)) or '—'}</td>{used}</tr>")


def _guardrails(results: list[RuleResult]) -> str:
    """The Guardrails section: each rule, whether it holds, and its groups of violations (as the Markdown)."""
    h = ["<h2>Guardrails</h2>",
         f"<p>{violation_count(results)} violation(s) of {sum(1 for r in results if r.violations)} of "
         f"{len(results)} rule(s) (guardrails.json lists every violation with its statements).</p>"]
    for r in results:
        state = f"{len(r.violations)} violation(s)" if r.violations else "holds"
        h.append(f"<h3>{c(r.rule.id)}: {e(state)}</h3><p>{e(r.rule.description)} <span class=\"meta\">"
                 f"{e(rule_demand(r))}</span></p>")
        if not r.violations:
            continue
        h.append("<table><tr><th>From</th><th>Role</th><th>Principals</th><th>Shortest path (example)</th>"
                 "<th>Statements</th></tr>")
        rows, rest = guardrail_rows(r)
        for row in rows:
            names = ", ".join(c(n) for n in row.names)
            more = f" and {row.more} more" if row.more else ""
            statements = "<br>".join(e(st) for st in row.statements)
            h.append(f"<tr><td>{e(row.source)}</td><td>{c(row.role)}</td><td>{row.count}: {names}{e(more)}</td>"
                     f"<td>{c(row.path)}{e(row.missing)}</td><td>{statements}</td></tr>")
        if rest is not None:
            h.append(f"<tr><td colspan=\"5\">… and {rest.violations} more at {rest.groups} more role(s) "
                     "and place(s)</td></tr>")
        h.append("</table>")
    return "\n".join(h)


def render_html(review: Review, *, map_svg: bytes | None, path_files: dict[str, str] | None = None,
                map_view: str = "accounts", matrix: MatrixTable | None = None) -> str:
    """The main page as HTML: what report.md says, the trust map inline; each rule's first patterns in full in a
    folded section (`<details>`), everything else on the linked pages (review_layout.py)."""
    path_files = path_files or {}
    h: list[str] = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                    '<meta name="viewport" content="width=device-width, initial-scale=1">',
                    f"<title>{e(review.title)}</title><style>{CSS}</style></head><body><main>"]
    h.append(f"<h1>{e(review.title)}</h1>")
    h.append(f'<p class="sub">Generated by trustgraph {e(review.version)} from '
             f'{", ".join(c(i) for i in review.inputs) or "—"}</p>')
    counts = review.severity_counts
    h.append('<div class="cards">' + "".join(
        f'<div class="card"><b>{n}</b>{badge(s)}</div>' for s, n in counts.items()) + "</div>")
    h.append("<h2>At a glance</h2><table>" + "".join(
        f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in at_a_glance(review)) + "</table>")
    if review.incomplete:
        h.append('<div class="finding sev-high"><h4>Incomplete data</h4><p>The inputs are known to lack the following; '
                 "findings and reachability cover only what was read, so an absent finding is not evidence of "
                 "absence.</p><ul>" + "".join(f"<li>{e(gap)}</li>" for gap in review.incomplete) + "</ul></div>")
    fixes = review.top_fixes
    if fixes:
        h.append('<h3>Fix first</h3><ol class="fix">')
        for g in fixes:
            f = g.worst
            h.append(f"<li>{badge(f.severity)} <b>{e(f.rule)} {e(RULES[f.rule].title)}</b> — "
                     f"{c(short_arn(f.role))}{'' if g.count == 1 else ' ' + e(g.where())}: {e(f.message)}<br>"
                     f"<i>Fix:</i> {e(f.remediation)}{e(_cuts(review.fix_cuts.get(g.id, 0)))} "
                     f"({link('all ' + e(f.rule), layout.rule_page(f.rule))})</li>")
        h.append("</ol>")
        rest = len(review.top_groups) - len(fixes)
        if rest > 0:
            h.append(f"<p>{rest} more patterns of high or critical findings: see the findings by rule below.</p>")
    h.append("<h2>Accounts</h2>")
    if len(review.accounts) <= layout.ACCOUNTS_INLINE:
        h.append("<table><tr><th>Account</th><th>Name</th><th>OU path</th><th>Roles</th><th>Users</th>"
                 "<th>In the data</th></tr>")
        for a in review.accounts:
            h.append(f"<tr><td>{c(a.id)}</td><td>{e(a.name) or '—'}</td>"
                     f"<td>{c(a.ou_path) if a.ou_path else '—'}</td><td>{a.roles}</td><td>{a.users}</td>"
                     f"<td>{'yes' if a.collected else 'no'}</td></tr>")
    else:
        h.append(f"<p>{len(review.accounts)} accounts by OU; {link('every account', layout.ACCOUNTS_FILE)} one by "
                 "one.</p><table><tr><th>OU</th><th>Accounts</th><th>Roles</th><th>Users</th></tr>")
        h.extend(f"<tr><td>{e(r.name) if r.ou_path else 'outside the organization data'}</td><td>{r.accounts}</td>"
                 f"<td>{r.roles}</td><td>{r.users}</td></tr>" for r in review.ou_rows if r.accounts)
    h.append("</table>")
    h.append(f"<h2>{e(map_heading(map_view))}</h2>")
    h.append(svg_img(map_svg, map_heading(map_view)))
    h.append(f"<p>{e(map_caption(map_view))}</p>")
    if matrix is not None:
        h.append(f"<h2>{e(matrix.what)} trust matrix</h2><p>{e(matrix.note)}</p><table><tr><th>From \\ to</th>"
                 + "".join(f"<th>{e(col)}</th>" for col in matrix.columns) + "</tr>")
        h.extend(f"<tr><th>{e(title)}</th>" + "".join(f"<td>{e(cell) or '·'}</td>" for cell in cells) + "</tr>"
                 for title, cells in matrix.rows)
        h.append("</table>")
        if matrix.pages:
            h.append(f"<p>{e(pages_line(matrix))} {link(e(matrix.pages), matrix.pages)}.</p>")
    h.append("<h2>Trust that crosses the organization boundary</h2>" if review.organization_id else
             "<h2>Trust from outside this data set</h2>")
    if not review.boundary:
        h.append(f"<p>No role trusts a party outside {review.boundary_name}.</p>")
    elif len(review.boundary) <= layout.GRANTS_INLINE:
        h.append("<table><tr><th>Outside party</th><th>Role</th><th>Statement</th><th>Conditions</th>"
                 "<th>Effective</th><th>Then reaches</th><th>Findings</th></tr>")
        for b in review.boundary:
            h.append(f"<tr><td>{e(b.party)}</td><td>{c(short_arn(b.role))}</td><td>{e(b.statement)}</td>"
                     f"<td>{', '.join(c(x) for x in b.conditions) or 'none'}</td>"
                     f'<td><span class="eff-{e(b.effective.split()[0])}">{e(b.effective)}</span> — '
                     f"{e(b.effective_detail)}</td><td>{_reaches(b)}</td><td>{e(', '.join(b.rules)) or '—'}</td></tr>")
        h.append("</table>")
    else:
        everyone = parties(review)
        h.append(f"<p>{len(review.boundary)} grants to {len(everyone)} outside parties, one row per party"
                 + (f" (the first {layout.PARTIES_LISTED})" if len(everyone) > layout.PARTIES_LISTED else "")
                 + f"; {link('every grant', layout.OUTSIDE_FILE)} with its statement, conditions and what it "
                 "reaches.</p><table><tr><th>Outside party</th><th>Kind</th><th>Roles</th><th>Accounts</th>"
                 "<th>Grants</th><th>Sensitive roles reached</th><th>Findings</th></tr>")
        h.extend(f"<tr><td>{e(p.name)}</td><td>{e(p.kind)}</td><td>{len(p.roles)}</td><td>{len(p.accounts)}</td>"
                 f"<td>{e(effective_text(p))}</td><td>{len(p.sensitive)}</td>"
                 f"<td>{e(', '.join(sorted(p.rules))) or '—'}</td></tr>" for p in everyone[:layout.PARTIES_LISTED])
        h.append("</table>")
    h.append("<h2>Sensitive roles</h2>")
    if not review.sensitive:
        h.append("<p>No role is admin-equivalent, tagged <code>trustgraph:sensitive=true</code>, or matched by "
                 "--sensitive.</p>")
    else:
        pages = review_pages_of(review)
        observed = review.usage_window is not None  # CloudTrail events among the inputs (docs/usage.md)
        pictures = {s.role: path_files.get(g.first.role) for g in review.sensitive_groups for s in g.roles}
        h.append(f"<p>{len(review.sensitive)} sensitive role(s); {link('every one', layout.SENSITIVE_FILE)} with a "
                 "page of its own (who reaches it, by which path, and the picture).</p>")
        h.append("<h3>By OU</h3><table><tr><th>OU</th><th>Sensitive roles</th><th>Reached from outside</th>"
                 "<th>Reached by most</th></tr>")
        for r in review.ou_rows:
            if r.most_reached is not None:
                s = r.most_reached
                h.append(f"<tr><td>{e(r.name) if r.ou_path else 'outside the organization data'}</td>"
                         f"<td>{r.sensitive}</td><td>{r.sensitive_from_outside}</td>"
                         f"<td>{link(c(short_arn(s.role)), pages[s.role])} ({s.reacher_count} reachers)</td></tr>")
        h.append("</table><h3>Most exposed</h3><table><tr><th>Role</th><th>Why sensitive</th><th>Reachers</th>"
                 "<th>Without conditions</th><th>From outside</th><th>Findings</th>"
                 + ("<th>Paths used (listed reachers)</th>" if observed else "") + "</tr>")
        h.extend(_sensitive_row(s, pages[s.role], pictures.get(s.role), others, observed)
                 for s, others in most_exposed(review))
        h.append("</table>")
    if review.guardrails is not None:
        h.append(_guardrails(review.guardrails))
    h.append("<h2>Findings</h2>")
    if not review.findings:
        h.append("<p>No findings.</p>")
    else:
        h.append(f"<p>{len(review.findings)} findings in {len(review.groups)} patterns: each rule's page shows every "
                 "pattern once, for its worst finding, with where else it fires (findings.json lists every finding "
                 f"with its group). Below, each rule's first {FOLDED_PATTERNS} patterns in full, folded.</p>")
        h.append("<table><tr><th>Rule</th><th>Title</th>" + "".join(f"<th>{badge(sev)}</th>" for sev in SEVERITY_NAMES)
                 + "<th>Patterns</th><th>Detail</th></tr>")
        by_rule = rule_groups(review)
        order = sorted(by_rule, key=lambda r: (-by_rule[r][0].severity.rank, r))
        for rule in order:
            groups = by_rule[rule]
            sev = Counter(f.severity.value for g in groups for f in g.findings)
            h.append(f"<tr><td>{e(rule)}</td><td>{e(RULES[rule].title)}</td>"
                     + "".join(f"<td>{sev.get(x, 0) or ''}</td>" for x in SEVERITY_NAMES)
                     + f"<td>{len(groups)}</td><td>{link(e(layout.rule_page(rule)), layout.rule_page(rule))}</td></tr>")
        h.append("</table>")
        number = 0
        for rule in order:
            groups = by_rule[rule]
            h.append(f"<details><summary>{badge(groups[0].severity)} <b>{e(rule)} {e(RULES[rule].title)}</b>: "
                     f"{len(groups)} pattern(s)</summary>")
            for g in groups[:FOLDED_PATTERNS]:
                number += 1
                h.append(_finding(g, number))
            if len(groups) > FOLDED_PATTERNS:
                h.append(f"<p>… {len(groups) - FOLDED_PATTERNS} more on "
                         f"{link(e(layout.rule_page(rule)), layout.rule_page(rule))}.</p>")
            h.append("</details>")
    h.append("<h2>Appendix A: rules</h2><table><tr><th>Rule</th><th>Severity</th><th>Title</th><th>Family</th></tr>")
    for row in RULES.values():
        h.append(f"<tr><td>{e(row.id)}</td><td>{badge(row.severity)}</td><td>{e(row.title)}</td>"
                 f"<td>{e(row.family)}</td></tr>")
    h.append(f"</table><h2>Appendix B: method and limits</h2><p>{e(METHOD)}</p>")
    h.append("</main></body></html>")
    return "\n".join(h)


FOLDED_PATTERNS = 5  # each rule's patterns shown in full on the HTML page, in its folded section


def _cuts(cut: int) -> str:
    """The reach to sensitive roles a fix cuts, in words (as the Markdown page says it)."""
    return f" It cuts {cut} principal–sensitive role pair{'' if cut == 1 else 's'}." if cut else ""
