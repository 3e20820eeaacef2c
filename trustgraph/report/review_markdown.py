"""The review's main page as Markdown (report.md): paste-able into a design doc, a few pages long whatever the size of
the organization; what grows with it is on the pages it links to (review_pages.py, review_layout.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from trustgraph.analysis.findings import RULES, SEVERITY_NAMES
from trustgraph.analysis.findings.groups import FindingGroup
from trustgraph.analysis.usage import paths_used_text
from trustgraph.report import review_layout as layout
from trustgraph.report.guardrails import check_markdown
from trustgraph.report.markdown import code, md, severity_table, short_arn
from trustgraph.report.review import BoundaryRow, OuRow, Review, SensitiveRole
from trustgraph.report.review_matrix import MatrixTable, pages_line

METHOD = (
    "trustgraph read the IAM data listed above (get-account-authorization-details exports and, when given, "
    "organization.json), evaluated every role trust policy together with the callers' identity policies, "
    "permissions boundaries, SCPs and RCPs, and built a graph of who can obtain credentials for which role. "
    "Conditions that only run time can settle (MFA, ExternalId, identity-provider claims, source IP) are "
    "kept on the edges and shown, never dropped. Missing data is not treated as a deny. What the data cannot "
    "show: IAM Identity Center assignments, session policies, resource policies other than trust policies, "
    "and iam:PassRole routes into service roles."
)

# A boundary row names this many of the sensitive roles it reaches; the rest are counted.
SENSITIVE_LISTED = 5


def plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def people_text(s: SensitiveRole) -> str:
    """The Identity Center people of a sensitive role, counted, and the groups they come through with their member
    counts: "3 people: 2 through PlatformAdmins, 1 assigned directly; group PlatformAdmins (2 members)". Empty
    when nobody of the Identity Center data reaches it (or there is no such data)."""
    if not s.people and not s.people_groups:
        return ""
    text = s.people_summary or "0 people"
    groups = sorted(set(s.people_groups))
    if groups:
        text += f"; {'group' if len(groups) == 1 else 'groups'} " + ", ".join(
            f"{name} ({plural(members, 'member')})" for name, members in groups)
    return text


DATA_TIME_SOURCE = {"manifest": "collection manifest", "build": "time of this report: no manifest",
                    "given": "given"}


def completeness(review: Review) -> str:
    if not review.incomplete:
        return "nothing known missing from the inputs"
    return f"INCOMPLETE, {plural(len(review.incomplete), 'gap')}: " + "; ".join(review.incomplete)


def at_a_glance(review: Review) -> list[tuple[str, str]]:
    counts = review.severity_counts
    severities = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none"
    effective = [b for b in review.boundary if b.effective != "blocked"]
    parties = {b.party for b in review.boundary}
    org = f" in organization {review.organization_id}" if review.organization_id else ""
    caveat = "; the data is incomplete (see Data), so more may exist" if review.incomplete else ""
    when = [("Data as of", f"{review.data_time} ({DATA_TIME_SOURCE.get(review.data_time_source or '', '?')})")] \
        if review.data_time else []
    return [
        ("Data", completeness(review)),
        *when,
        ("Accounts", f"{len(review.accounts)}{org}"),
        ("Roles / users", f"{review.role_count} / {review.user_count}"),
        ("Sensitive roles", str(len(review.sensitive))),
        (f"Trust from outside {review.boundary_name}",
         f"{plural(len(review.boundary), 'grant')} to {plural(len(parties), 'outside party')}; "
         f"{len(effective)} effective"),
        ("Findings", f"{len(review.findings)} ({severities}){caveat}"),
    ]


# The trust map is the view `trustgraph map --view auto` picks (render.overview): its heading and caption.
MAP_HEADINGS = {"principals": "Trust map", "accounts": "Account trust map", "ous": "OU trust map",
                "matrix": "Account trust matrix"}
_MARKS = " ⚠ marks sensitive roles, ⚑ roles with findings (medium or worse)."
MAP_CAPTIONS = {
    "principals": "Every user and role, in a box per account; an arrow means the caller can assume the role. Red "
                  "arrows come from outside the organization, dashed ones hold only under run-time conditions."
                  + _MARKS,
    "accounts": "Each arrow stands for the role trusts from one party into an account; red arrows come from outside "
                "the organization, dashed ones hold only under run-time conditions. AWS service principals are "
                "left out." + _MARKS,
    "ous": "One node per organizational unit (its accounts folded), the outside world grouped by kind; each arrow "
           "stands for the role trusts from one group into another. Red arrows come from outside the "
           "organization, dashed ones hold only under run-time conditions." + _MARKS,
    "matrix": "Too many accounts for a map and no OU data to fold them: accounts on both axes, each cell the trust "
              "from its row (the callers' side, then the outside sources) to its column (the roles' side). A red "
              "border: some of it reaches sensitive roles; ⚠ and ⚑ on the labels mark the accounts holding "
              "sensitive roles or roles with findings.",
}


def map_heading(view: str) -> str:
    return MAP_HEADINGS.get(view, MAP_HEADINGS["accounts"])


def map_caption(view: str) -> str:
    return MAP_CAPTIONS.get(view, MAP_CAPTIONS["accounts"])




def link(text: str, target: str) -> str:
    """A Markdown link to a file of the bundle (`target` is made by review_layout: no character needs escaping)."""
    return f"[{text}]({target})"


def fix_lines(number: int, g: FindingGroup, base: str = "", cut: int = 0) -> list[str]:
    """One pattern to fix: severity, rule, where, the message of its worst finding, and the fix (with the reach to
    sensitive roles it cuts, `cut` pairs, when any)."""
    f = g.worst
    cuts = f" It cuts {plural(cut, 'principal–sensitive role pair')}." if cut else ""
    return [f"{number}. **{f.severity.value} · {f.rule} {md(RULES[f.rule].title)}** — {code(short_arn(f.role))}"
            f"{'' if g.count == 1 else ' ' + md(g.where())}: {md(f.message)}  ",
            f"   _Fix:_ {md(f.remediation)}{cuts} ({link('all ' + f.rule, base + layout.rule_page(f.rule))})"]


def reaches_text(b: BoundaryRow) -> str:
    if not b.reaches:
        return "—"
    text = plural(len(b.reaches), "role")
    if b.sensitive_reached:
        shown = b.sensitive_reached[:SENSITIVE_LISTED]
        more = len(b.sensitive_reached) - len(shown)
        text += f" incl. **{len(b.sensitive_reached)} sensitive** " + \
            ", ".join(code(short_arn(r)) for r in shown) + (f" and {more} more" if more else "")
    return text


def grants_table(rows: list[BoundaryRow]) -> list[str]:
    """Every grant to an outside party, one row each."""
    out = ["| Outside party | Role | Statement | Conditions | Effective | Then reaches | Findings |",
           "|---|---|---|---|---|---|---|"]
    for b in rows:
        conds = ", ".join(code(c) for c in b.conditions) or "none"
        out.append(f"| {md(b.party)} | {code(short_arn(b.role))} | {md(b.statement)} | {conds} | "
                   f"**{b.effective}** — {md(b.effective_detail)} | {reaches_text(b)} | {', '.join(b.rules) or '—'} |")
    return out


@dataclass(slots=True)
class Party:
    """The grants to one outside party, summed up for the main page."""

    name: str
    kind: str
    roles: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    effective: Counter[str] = field(default_factory=Counter)
    sensitive: set[str] = field(default_factory=set)
    rules: set[str] = field(default_factory=set)


def parties(review: Review) -> list[Party]:
    """The outside parties, in the order of the grants (public first, then web identity, unknown accounts, vendors),
    most effective grants first within a kind."""
    by_name: dict[str, Party] = {}
    order: dict[str, int] = {}
    for b in review.boundary:
        p = by_name.setdefault(b.party, Party(b.party, b.party_kind))
        order.setdefault(b.party, len(order))
        p.roles.add(b.role)
        p.accounts.add(b.role_account)
        p.effective[b.effective] += 1
        p.sensitive.update(b.sensitive_reached)
        p.rules.update(b.rules)
    kinds = {"public": 0, "web-identity": 1, "external-account": 2, "vendor": 3, "aws-owned": 4}
    return sorted(by_name.values(), key=lambda p: (kinds.get(p.kind, 9), -len(p.sensitive),
                                                   -(p.effective["allow"] + p.effective["conditional"]),
                                                   order[p.name]))


def effective_text(p: Party) -> str:
    return ", ".join(f"{n} {what}" for what in ("allow", "conditional", "blocked", "no edge")
                     if (n := p.effective[what]))


def sensitive_line(s: SensitiveRole, page: str, others: int = 0, observed: bool = False) -> str:
    """A sensitive role's row in the main page's and the index's tables, linked to `page` (its group's page);
    `others`: the roles of its group besides it; `observed` (CloudTrail events loaded): how many of its listed
    reachers' paths were used."""
    more = f" and {plural(others, 'role')} with the same reachers" if others else ""
    return (f"| {link(md(short_arn(s.role)), page)}{more} | "
            f"{md('; '.join(s.reasons))} | {s.reacher_count} | {s.unconditional} | {s.outside} | "
            f"{', '.join(s.rules) or '—'} |" + (f" {paths_used_text([r.steps for r in s.reachers])} |"
                                               if observed else ""))


SENSITIVE_HEADER = ["| Role | Why sensitive | Reachers | Without conditions | From outside | Findings |",
                    "|---|---|---:|---:|---:|---|"]
USED_HEADER = (" Paths used (listed reachers) |", "---|")  # the column added with CloudTrail events


def sensitive_header(observed: bool) -> list[str]:
    return [row + (USED_HEADER[i] if observed else "") for i, row in enumerate(SENSITIVE_HEADER)]


def ou_name(row: OuRow) -> str:
    return md(row.name) if row.ou_path else "outside the organization data"


def rule_rows(review: Review, base: str = "") -> list[str]:
    """The findings overview: one row per rule that fired, its findings by severity, its patterns and the first
    three of them, and the page with all of them."""
    by_rule = rule_groups(review)
    out = ["| Rule | Title | " + " | ".join(SEVERITY_NAMES) + " | Patterns | Top patterns | Detail |",
           "|---|---|" + "---:|" * len(SEVERITY_NAMES) + "---:|---|---|"]
    for rule in sorted(by_rule, key=lambda r: (-by_rule[r][0].severity.rank, r)):
        groups = by_rule[rule]
        counts = Counter(f.severity.value for g in groups for f in g.findings)
        top = "; ".join(f"{code(short_arn(g.worst.role))} {md(g.where())}" for g in groups[:TOP_PATTERNS])
        more = f"; … {len(groups) - TOP_PATTERNS} more" if len(groups) > TOP_PATTERNS else ""
        page = layout.rule_page(rule)
        out.append(f"| {rule} | {md(RULES[rule].title)} | "
                   + " | ".join(str(counts.get(s, 0) or "") for s in SEVERITY_NAMES)
                   + f" | {len(groups)} | {top}{more} | {link(page, base + page)} |")
    return out


TOP_PATTERNS = 3  # patterns named per rule in the findings overview


def rule_groups(review: Review) -> dict[str, list[FindingGroup]]:
    """The review's patterns by rule, each rule's worst first."""
    by_rule: dict[str, list[FindingGroup]] = {}
    for g in review.groups:
        by_rule.setdefault(g.rule, []).append(g)
    return by_rule


def most_exposed(review: Review) -> list[tuple[SensitiveRole, int]]:
    """The first EXPOSED_LISTED groups of sensitive roles, most exposed first: (its most exposed role, how many other
    roles share its reachers and page)."""
    sizes = {s.role: len(g.roles) for g in review.sensitive_groups for s in g.roles}
    pages = review_pages_of(review)
    seen: set[str] = set()
    out: list[tuple[SensitiveRole, int]] = []
    for s in review.most_exposed:
        if pages[s.role] not in seen:
            seen.add(pages[s.role])
            out.append((s, sizes[s.role] - 1))
            if len(out) == layout.EXPOSED_LISTED:
                break
    return out


def review_pages_of(review: Review, base: str = "") -> dict[str, str]:
    """Sensitive role → the page that shows it: its group's, named after the group's first role."""
    return {s.role: base + layout.role_page(g.first.role, g.first.account)
            for g in review.sensitive_groups for s in g.roles}


def matrix_lines(matrix: MatrixTable) -> list[str]:
    out = ["| From \\ to | " + " | ".join(md(c) for c in matrix.columns) + " |",
           "|---|" + "---:|" * len(matrix.columns)]
    out += [f"| {md(title)} | " + " | ".join(cell or "·" for cell in cells) + " |" for title, cells in matrix.rows]
    return out


def render_markdown(review: Review, *, map_image: str | None, map_view: str = "accounts",
                    matrix: MatrixTable | None = None) -> str:
    """The main page: at a glance, what to fix first, the accounts (by OU when many), the trust map, the OU matrix,
    the trust from outside, the sensitive roles by OU and the most exposed, the findings by rule. Every list that
    grows with the organization is cut here and whole on a linked page."""
    out: list[str] = [f"# {md(review.title)}", ""]
    inputs = ", ".join(code(i) for i in review.inputs) or "—"
    out += [f"_Generated by trustgraph {md(review.version)} from {inputs}._", ""]
    out += ["## At a glance", "", "| | |", "|---|---|"]
    out += [f"| {k} | {md(v)} |" for k, v in at_a_glance(review)]
    out.append("")
    if review.incomplete:
        out += ["### Incomplete data", "", "The inputs are known to lack the following; findings and reachability "
                "cover only what was read, so an absent finding is not evidence of absence.", ""]
        out += [f"- {md(gap)}" for gap in review.incomplete]
        out.append("")
    fixes = review.top_fixes
    if fixes:
        out += ["### Fix first", ""]
        for i, g in enumerate(fixes, 1):
            out += fix_lines(i, g, cut=review.fix_cuts.get(g.id, 0))
        rest = len(review.top_groups) - len(fixes)
        out += [""] + ([f"{rest} more patterns of high or critical findings: see the findings by rule below.", ""]
                       if rest > 0 else [])
    out += ["## Accounts", ""]
    if len(review.accounts) <= layout.ACCOUNTS_INLINE:
        out += ["| Account | Name | OU path | Roles | Users | In the data |", "|---|---|---|---:|---:|---|"]
        for a in review.accounts:
            out.append(f"| {code(a.id)} | {md(a.name) or '—'} | {code(a.ou_path) if a.ou_path else '—'} | {a.roles} "
                       f"| {a.users} | {'yes' if a.collected else 'no'} |")
    else:
        out += [f"{len(review.accounts)} accounts by OU; {link('every account', layout.ACCOUNTS_FILE)} one by one.", "",
                "| OU | Accounts | Roles | Users |", "|---|---:|---:|---:|"]
        out += [f"| {ou_name(r)} | {r.accounts} | {r.roles} | {r.users} |" for r in review.ou_rows
                if r.accounts]
    out.append("")
    out += [f"## {map_heading(map_view)}", ""]
    if map_image:
        out += [f"![{map_heading(map_view)}]({map_image})", ""]
    out += [map_caption(map_view), ""]
    if matrix is not None:
        out += [f"## {matrix.what} trust matrix", "", matrix.note, "", *matrix_lines(matrix), ""]
        if matrix.pages:
            out += [f"{md(pages_line(matrix))} [{md(matrix.pages)}]({matrix.pages}).", ""]
    out += ["## Trust that crosses the organization boundary" if review.organization_id else
            "## Trust from outside this data set", ""]
    if not review.boundary:
        out += [f"No role trusts a party outside {review.boundary_name}.", ""]
    elif len(review.boundary) <= layout.GRANTS_INLINE:
        out += [*grants_table(review.boundary), ""]
    else:
        everyone = parties(review)
        shown = everyone[:layout.PARTIES_LISTED]
        out += [f"{plural(len(review.boundary), 'grant')} to {plural(len(everyone), 'outside party')}, one row per "
                f"party{f' (the first {len(shown)})' if len(shown) < len(everyone) else ''}; "
                f"{link('every grant', layout.OUTSIDE_FILE)} with its statement, conditions and what it reaches.", "",
                "| Outside party | Kind | Roles | Accounts | Grants | Sensitive roles reached | Findings |",
                "|---|---|---:|---:|---|---:|---|"]
        out += [f"| {md(p.name)} | {p.kind} | {len(p.roles)} | {len(p.accounts)} | {effective_text(p)} | "
                f"{len(p.sensitive)} | {', '.join(sorted(p.rules)) or '—'} |" for p in shown]
        out.append("")
    out += ["## Sensitive roles", ""]
    if not review.sensitive:
        out += ["No role is admin-equivalent, tagged `trustgraph:sensitive=true`, or matched by --sensitive.", ""]
    else:
        pages = review_pages_of(review)
        out += [f"{plural(len(review.sensitive), 'sensitive role')}; {link('every one', layout.SENSITIVE_FILE)} with "
                "a page of its own (who reaches it, by which path, and the picture).", "",
                "### By OU", "", "| OU | Sensitive roles | Reached from outside | Reached by most |",
                "|---|---:|---:|---|"]
        for r in review.ou_rows:
            if r.most_reached is None:
                continue
            s = r.most_reached
            out.append(f"| {ou_name(r)} | {r.sensitive} | {r.sensitive_from_outside} | "
                       f"{link(md(short_arn(s.role)), pages[s.role])} "
                       f"({plural(s.reacher_count, 'reacher')}) |")
        observed = review.usage_window is not None
        out += ["", "### Most exposed", "", *sensitive_header(observed)]
        out += [sensitive_line(s, pages[s.role], others, observed) for s, others in most_exposed(review)]
        out.append("")
    if review.guardrails is not None:
        out.append(check_markdown(review.guardrails, title="Guardrails", level=2))
    out += ["## Findings", ""]
    if not review.findings:
        out += ["No findings.", ""]
    else:
        out += [f"{len(review.findings)} findings in {len(review.groups)} patterns (analysis/findings/groups.py): each "
                "rule's page shows every pattern once, for its worst finding, with where else it fires; findings.json "
                "lists every finding with its group.", "", severity_table(review.findings, review.groups), "",
                *rule_rows(review), ""]
    out += ["## Appendix A: rules", "", "| Rule | Severity | Title | Family |", "|---|---|---|---|"]
    out += [f"| {r.id} | {r.severity.value} | {md(r.title)} | {r.family} |" for r in RULES.values()]
    out += ["", "## Appendix B: method and limits", "", METHOD, ""]
    return "\n".join(out)
