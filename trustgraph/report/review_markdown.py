"""The review as Markdown (report.md): paste-able into a design doc; pictures are files next to it."""

from __future__ import annotations

import hashlib
import re

from trustgraph.analysis.findings import RULES
from trustgraph.report.guardrails import check_markdown
from trustgraph.report.markdown import code, findings_markdown, md, short_arn
from trustgraph.report.review import Review, SensitiveRole

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


def role_slug(arn: str) -> str:
    """A file name for the role's picture: readable (the ARN with other characters as `-`) and unique (a
    short hash of the exact ARN), so `Ops+Admin` and `Ops@Admin`, or `role/ops/Admin` and `role/ops-Admin`,
    never share a file."""
    short = short_arn(arn)
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "-", short).strip("-.")[:100] or "role"
    return f"{readable}-{hashlib.sha256(arn.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}"


def _plural(n: int, word: str) -> str:
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
            f"{name} ({_plural(members, 'member')})" for name, members in groups)
    return text


DATA_TIME_SOURCE = {"manifest": "collection manifest", "build": "time of this report: no manifest",
                    "given": "given"}


def completeness(review: Review) -> str:
    if not review.incomplete:
        return "nothing known missing from the inputs"
    return f"INCOMPLETE, {_plural(len(review.incomplete), 'gap')}: " + "; ".join(review.incomplete)


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
         f"{_plural(len(review.boundary), 'grant')} to {_plural(len(parties), 'outside party')}; "
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


def render_markdown(review: Review, *, map_image: str | None, path_images: dict[str, str],
                    map_view: str = "accounts") -> str:
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
    top = review.top_groups
    if top:
        out += ["### Fix first", ""]
        for i, g in enumerate(top, 1):
            f = g.worst
            out.append(f"{i}. **{f.severity.value} · {f.rule} {md(RULES[f.rule].title)}** — {code(short_arn(f.role))}"
                       f"{'' if g.count == 1 else ' ' + md(g.where())}: {md(f.message)}  \n"
                       f"   _Fix:_ {md(f.remediation)}")
        out.append("")
    out += ["## Accounts", "", "| Account | Name | OU path | Roles | Users | In the data |",
            "|---|---|---|---:|---:|---|"]
    for a in review.accounts:
        out.append(f"| {code(a.id)} | {md(a.name) or '—'} | {code(a.ou_path) if a.ou_path else '—'} | {a.roles} | "
                   f"{a.users} | {'yes' if a.collected else 'no'} |")
    out.append("")
    out += [f"## {map_heading(map_view)}", ""]
    if map_image:
        out += [f"![{map_heading(map_view)}]({map_image})", ""]
    out += [map_caption(map_view), ""]
    out += ["## Trust that crosses the organization boundary" if review.organization_id else
            "## Trust from outside this data set", ""]
    if not review.boundary:
        out += [f"No role trusts a party outside {review.boundary_name}.", ""]
    else:
        out += ["| Outside party | Role | Statement | Conditions | Effective | Then reaches | Findings |",
                "|---|---|---|---|---|---|---|"]
        for b in review.boundary:
            conds = ", ".join(code(c) for c in b.conditions) or "none"
            effective = f"**{b.effective}** — {md(b.effective_detail)}"
            reaches = "—"
            if b.reaches:
                reaches = _plural(len(b.reaches), "role")
                if b.sensitive_reached:
                    shown = b.sensitive_reached[:SENSITIVE_LISTED]
                    more = len(b.sensitive_reached) - len(shown)
                    reaches += f" incl. **{len(b.sensitive_reached)} sensitive** " + \
                        ", ".join(code(short_arn(r)) for r in shown) + (f" and {more} more" if more else "")
            rules = ", ".join(b.rules) or "—"
            out.append(f"| {md(b.party)} | {code(short_arn(b.role))} | {md(b.statement)} | {conds} | {effective} | "
                       f"{reaches} | {rules} |")
        out.append("")
    out += ["## Sensitive roles", ""]
    if not review.sensitive:
        out += ["No role is admin-equivalent, tagged `trustgraph:sensitive=true`, or matched by --sensitive.", ""]
    for group in review.sensitive_groups:
        s, reachers = group.first, group.reachers
        firm = sum(1 for r in reachers if not r.conditional)
        if len(group.roles) == 1:
            firm = s.unconditional
            out += [f"### {code(short_arn(s.role))}", ""]
            people = people_text(s)
            out += [f"**Why sensitive:** {md('; '.join(s.reasons))}  ",
                    f"**Reachable by:** {_plural(s.reacher_count, 'principal')} ({firm} without any run-time "
                    "condition)" + (f"  \n**Findings:** {', '.join(s.rules)}" if s.rules else "")
                    + (f"  \n**People (Identity Center sign-ins):** {md(people)}" if people else ""), ""]
        else:
            out += [f"### {len(group.roles)} sensitive roles with the same reachers", ""]
            out += ["| Role | Why sensitive | Findings |", "|---|---|---|"]
            out += [f"| {code(short_arn(g.role))} | {md('; '.join(g.reasons))} | {', '.join(g.rules) or '—'} |"
                    for g in group.roles]
            out += ["", f"**Reachable by:** {_plural(len(reachers), 'principal')} ({firm} without any run-time "
                        "condition) besides each other, the same for each of these roles; paths are shown to the "
                        "first.", ""]
            out += [f"**People (Identity Center sign-ins), {code(short_arn(g.role))}:** {md(people_text(g))}  "
                    for g in group.roles if people_text(g)]
            if any(people_text(g) for g in group.roles):
                out.append("")
        if reachers:
            out += ["| Reacher | Kind | Hops | Path | Conditions |", "|---|---|---:|---|---|"]
            for r in reachers:
                path = " → ".join(code(short_arn(p)) for p in r.path)
                conds = ", ".join(code(c) for c in r.conditions) if r.conditional else "none"
                out.append(f"| {code(short_arn(r.principal))} | {md(r.kind)} | {r.hops} | {path} | {conds} |")
            if s.reacher_count > len(s.reachers):
                out.append(f"| … and {s.reacher_count - len(s.reachers)} more "
                           f"({code(f'trustgraph who-can-reach {s.role}')} lists them) | | | | |")
            out.append("")
        image = path_images.get(s.role)
        if image:
            out += [f"![Paths to {md(short_arn(s.role))}]({image})", ""]
    if review.guardrails is not None:
        out.append(check_markdown(review.guardrails, title="Guardrails", level=2))
    out.append(findings_markdown(review.findings, title="Findings", level=2, groups=review.groups))
    out += ["## Appendix A: rules", "", "| Rule | Severity | Title | Family |", "|---|---|---|---|"]
    out += [f"| {r.id} | {r.severity.value} | {md(r.title)} | {r.family} |" for r in RULES.values()]
    out += ["", "## Appendix B: method and limits", "", METHOD, ""]
    return "\n".join(out)
