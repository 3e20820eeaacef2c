"""The architecture-review model: everything the review bundle shows, computed once from the data.

Pure (no I/O): `build_review` returns a `Review` that the Markdown and HTML writers render the same way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import networkx as nx

from trustgraph.analysis.chokepoints import fix_cuts
from trustgraph.analysis.findings import Finding, FindingContext, FindingOptions
from trustgraph.analysis.findings.federation import provider_of
from trustgraph.analysis.findings.groups import FindingGroup, group_findings
from trustgraph.analysis.findings.helpers import grants_assume, principal_refs
from trustgraph.analysis.findings.public import limiting_conditions
from trustgraph.analysis.guardrails import RuleResult
from trustgraph.analysis.people import Person, people_summary
from trustgraph.analysis.reachability import Reacher, SharedReachers, reachable_roles, restrict
from trustgraph.graph.schema import EdgeKind, NodeKind, TrustGraph, Via, is_kind
from trustgraph.model import Snapshot
from trustgraph.version import __version__


@dataclass(slots=True)
class AccountRow:
    id: str
    name: str
    ou_path: str
    roles: int
    users: int
    collected: bool
    ou_name: str = ""  # the OU path in names ("Workloads / Prod"; "organization root"); "" outside the org data


@dataclass(slots=True)
class BoundaryRow:
    """One trust grant that lets a party outside the organization in."""

    party: str  # who, for people: "Datadog (464622532012)", "unknown account 999988887777", "anyone"
    party_kind: str  # vendor | aws-owned | external-account | public | web-identity
    principal: str  # as written in the trust policy
    node: str  # graph node of the party
    role: str
    role_account: str
    statement: str
    conditions: list[str]
    effective: str  # allow | conditional | blocked | no edge
    effective_detail: str
    reaches: list[str] = field(default_factory=list)  # roles reachable from the party, this one included
    sensitive_reached: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SensitiveRole:
    role: str
    account: str
    account_name: str
    reasons: list[str]
    # every outside reacher, then the first ReacherSummary.KEPT others, each in answer order (unconditional first,
    # then by hops)
    reachers: list[Reacher]
    rules: list[str]
    reacher_count: int = 0  # all of them
    unconditional: int = 0
    outside: int = 0  # of the reachers, those from outside the organization (FindingContext.outside)
    direct: tuple[object, ...] = ()  # (principal, conditional, conditions) of every one-hop reacher
    # With Identity Center data: the people who sign in and reach the role by role assumptions (trust and sign-ins,
    # EXPECTED §9 "trust only"; their steps left out), the groups they come through as (name, member count), and
    # the line that counts them ("3 people: 2 through PlatformAdmins, 1 assigned directly"); empty otherwise.
    people: list[Person] = field(default_factory=list)
    people_groups: list[tuple[str, int]] = field(default_factory=list)
    people_summary: str = ""


@dataclass(slots=True)
class SensitiveGroup:
    """Sensitive roles trusted by the same callers and reached by the same principals along the same routes (the
    roles themselves aside): one section of the review instead of one per role."""

    roles: list[SensitiveRole]
    reachers: list[Reacher]  # of the first role; for a group, without the group's own roles and routes through them

    @property
    def first(self) -> SensitiveRole:
        return self.roles[0]


def _direct(s: SensitiveRole) -> tuple[object, ...]:
    return s.direct


def _outside(s: SensitiveRole, members: set[str]) -> list[Reacher]:
    return [r for r in s.reachers if r.principal not in members and not members.intersection(r.path[1:-1])]


def _route_key(reachers: list[Reacher]) -> tuple[object, ...]:
    return tuple(sorted((r.principal, r.hops, r.conditional, tuple(r.conditions), tuple(r.path[:-1]))
                        for r in reachers))


def group_sensitive(sensitive: list[SensitiveRole]) -> list[SensitiveGroup]:
    """Roles with the same direct callers, then the same reachers once the group's own roles are set aside (roles
    of a group usually reach each other through the caller they share)."""
    by_callers: dict[tuple[object, ...], list[SensitiveRole]] = {}
    for s in sensitive:
        by_callers.setdefault(_direct(s) if s.reachers else ("unreached", s.role), []).append(s)
    groups: list[SensitiveGroup] = []
    for candidates in by_callers.values():
        if len(candidates) == 1:
            groups.append(SensitiveGroup(candidates, candidates[0].reachers))
            continue
        members = {s.role for s in candidates}
        split: dict[tuple[object, ...], SensitiveGroup] = {}
        for s in candidates:
            outside = _outside(s, members)
            split.setdefault(_route_key(outside), SensitiveGroup([], outside)).roles.append(s)
        for group in split.values():
            groups.append(group if len(group.roles) > 1 else SensitiveGroup(group.roles, group.roles[0].reachers))
    return sorted(groups, key=lambda g: g.first.role)


@dataclass(slots=True)
class OuRow:
    """One OU (its path; "" for accounts outside the organization data) in the main page's tables."""

    ou_path: str
    name: str = ""  # AccountRow.ou_name
    accounts: int = 0
    roles: int = 0
    users: int = 0
    sensitive: int = 0
    sensitive_from_outside: int = 0  # sensitive roles some principal outside the organization reaches
    most_reached: SensitiveRole | None = None  # its sensitive role with the most reachers


# The main page names this many patterns to fix first; the rest are in the findings pages.
TOP_FIXES = 10


@dataclass(slots=True)
class Review:
    title: str
    version: str
    inputs: list[str]
    organization_id: str | None
    accounts: list[AccountRow]
    role_count: int
    user_count: int
    findings: list[Finding]
    boundary: list[BoundaryRow]
    sensitive: list[SensitiveRole]
    vendors_known: int
    # What the data is known to lack (Snapshot.gaps): said first, so that "0 findings" is never read as "all clear".
    incomplete: list[str] = field(default_factory=list)
    data_time: str | None = None
    data_time_source: str | None = None
    groups: list[FindingGroup] = field(default_factory=list)  # the findings by pattern, worst first
    guardrails: list[RuleResult] | None = None  # `review --rules`: each guardrail's violations (docs/guardrails.md)
    # CloudTrail events among the inputs (graph/usage.py's `usage_window`): the reachers' paths say their use
    usage_window: dict[str, Any] | None = None
    # group id → the (principal, sensitive role) pairs removing its findings' trust statements cuts (chokepoints)
    fix_cuts: dict[str, int] = field(default_factory=dict)
    _sensitive_groups: list[SensitiveGroup] | None = field(default=None, repr=False, compare=False)

    @property
    def sensitive_groups(self) -> list[SensitiveGroup]:
        """The sensitive roles in groups with the same reachers (found once: every page asks)."""
        if self._sensitive_groups is None:
            self._sensitive_groups = group_sensitive(self.sensitive)
        return self._sensitive_groups

    @property
    def severity_counts(self) -> dict[str, int]:
        counts = Counter(f.severity.value for f in self.findings)
        return {s: counts.get(s, 0) for s in ("critical", "high", "medium", "low", "info")}

    @property
    def boundary_name(self) -> str:
        """What "inside" means: the organization when organization data was read, else the data set."""
        return "the organization" if self.organization_id else "this data set"

    @property
    def top_groups(self) -> list[FindingGroup]:
        """The patterns of high and critical findings, one entry each, worst first."""
        return [g for g in self.groups if g.severity.rank >= 3]

    @property
    def top_fixes(self) -> list[FindingGroup]:
        """What to fix first: the first TOP_FIXES patterns of high and critical findings, by the reach to sensitive
        roles their fix cuts (docs/chokepoints.md), then by severity, then by how many findings a fix settles (a
        template's weakness in a hundred accounts before a one-off)."""
        return sorted(self.top_groups, key=lambda g: (-self.fix_cuts.get(g.id, 0), -g.severity.rank, -g.count,
                                                      g.sort_key()))[:TOP_FIXES]

    @property
    def ou_rows(self) -> list[OuRow]:
        """The accounts, roles, users and sensitive roles of each OU path, by path."""
        rows: dict[str, OuRow] = {}
        ou_of: dict[str, str] = {}
        for a in self.accounts:
            row = rows.setdefault(a.ou_path, OuRow(a.ou_path, a.ou_name))
            row.accounts += 1
            row.roles += a.roles
            row.users += a.users
            ou_of[a.id] = a.ou_path
        for s in self.sensitive:
            row = rows.setdefault(ou_of.get(s.account, ""), OuRow(ou_of.get(s.account, "")))
            row.sensitive += 1
            row.sensitive_from_outside += s.outside > 0
            if row.most_reached is None or s.reacher_count > row.most_reached.reacher_count:
                row.most_reached = s
        return sorted(rows.values(), key=lambda r: (r.ou_path == "", r.name, r.ou_path))

    @property
    def most_exposed(self) -> list[SensitiveRole]:
        """The sensitive roles most at risk: reached from outside first, then by how many principals reach them."""
        return sorted(self.sensitive, key=lambda s: (-s.outside, -s.unconditional, -s.reacher_count, s.role))


def _party(ctx: FindingContext, kind: str, account: str | None, written: str) -> tuple[str, str]:
    if kind == "public":
        return "anyone with an AWS account (*)", "public"
    if kind in ("oidc", "web-identity"):
        from trustgraph.policy.principals import classify_principal
        provider = provider_of(classify_principal("Federated", written))
        label = provider.label if provider else "web identity"
        where = f" (provider in {account})" if account else ""
        return f"{label} workflows/users: {provider.host if provider else written}{where}", "web-identity"
    vendor = ctx.vendors.get(account or "")
    if vendor and ctx.aws_owned(account):
        return f"{vendor} ({account}, owned by AWS)", "aws-owned"
    if vendor:
        return f"{vendor} ({account})", "vendor"
    return f"unknown account {account}", "external-account"


def boundary_inventory(ctx: FindingContext, findings: list[Finding]) -> list[BoundaryRow]:
    rows: list[BoundaryRow] = []
    by_key: dict[tuple[str, str], list[str]] = {}
    for f in findings:
        if f.principal:
            by_key.setdefault((f.role, f.principal), []).append(f.rule)
    # node → (roles it reaches, the sensitive ones): one party is granted by many roles.
    reach_cache: dict[str, tuple[list[str], list[str]]] = {}
    for arn in sorted(ctx.snapshot.roles):
        role = ctx.snapshot.roles[arn]
        if role.trust is None or role.service_linked:
            continue
        for st in role.trust.statements:
            if st.effect != "Allow" or st.not_principals is not None:
                continue
            for ref in principal_refs(st):
                if not grants_assume(st, ref):
                    continue
                if ref.kind == "public":
                    pass
                elif ref.kind in ("oidc", "web-identity"):
                    provider = provider_of(ref)
                    if provider is None:
                        continue
                elif ref.kind in ("account", "user", "role", "session") and ref.account and not ref.problem:
                    if ctx.account_class(ref.account, role.account) not in ("vendor", "external"):
                        continue
                else:
                    continue
                party, kind = _party(ctx, ref.kind, ref.account, ref.written)
                node = ref.node_id
                edge = ctx.edge(node, role.arn)
                if edge is not None:
                    effective = "conditional" if edge.get("conditional") else "allow"
                    detail = ", ".join(edge.get("conditions", [])) if edge.get("conditional") else \
                        "no runtime condition"
                else:
                    denial = ctx.org_denial(role, ref.account) if ref.account else None
                    limits = limiting_conditions(st) if ref.kind == "public" else []
                    effective = "blocked"
                    if denial:
                        detail = f"denied by {denial}"
                    elif limits:
                        detail = "limited by " + ", ".join(sorted({c.key for c in limits}))
                    else:
                        detail = "no edge in the trust graph (a condition can never hold, or policies deny it)"
                reached: list[str] = []
                sensitive_reached: list[str] = []
                if edge is not None:
                    if node not in reach_cache:
                        roles = reachable_roles(ctx.trust_graph, node)
                        reach_cache[node] = (roles, [r for r in roles if r in ctx.sensitive])
                    reached, sensitive_reached = reach_cache[node]
                rows.append(BoundaryRow(
                    party=party, party_kind=kind, principal=ref.written, node=node, role=role.arn,
                    role_account=role.account, statement=st.label,
                    conditions=sorted({c.key for c in st.conditions}), effective=effective, effective_detail=detail,
                    reaches=reached, sensitive_reached=sensitive_reached,
                    rules=sorted(set(by_key.get((role.arn, ref.written), [])))))
    order = {"public": 0, "web-identity": 1, "external-account": 2, "vendor": 3, "aws-owned": 4}
    rows.sort(key=lambda r: (order[r.party_kind], r.party, r.role))
    return rows


class _SignIns:
    """Who of the Identity Center data reaches a role by sign-ins and role assumptions. One search per role (one per
    class of roles trusted alike: `SharedReachers`) over the trust and sign-in edges WITHOUT the group-member edges:
    its answers are the groups and the people assigned directly, and a group's people are its members (found once
    for the whole review). A search that walked every member of every group would cost roles × people; this costs
    the roles' searches plus a set union per role."""

    KINDS = frozenset({NodeKind.IDENTITY_CENTER_USER.value, NodeKind.IDENTITY_CENTER_GROUP.value})

    def __init__(self, graph: TrustGraph) -> None:
        signs_in = restrict(graph, (Via.ASSUME.value, Via.SSO.value))
        self.members: dict[str, list[str]] = {}
        self.graph: TrustGraph = nx.DiGraph()
        self.graph.graph = signs_in.graph
        self.graph.add_nodes_from(signs_in.nodes(data=True))
        for u, v, d in signs_in.edges(data=True):
            if is_kind(d, EdgeKind.GROUP_MEMBER):
                self.members.setdefault(v, []).append(u)
            else:
                self.graph.add_edge(u, v, **d)
        # Roles signed in to and assumed alike (one permission set's roles across accounts) share one search.
        self.searches = SharedReachers(self.graph, kinds=self.KINDS)

    def of(self, role: str) -> tuple[list[Person], list[tuple[str, int]]]:
        """(the people, in who-can-reach's order; (name, members) of the groups they come through)."""
        if role not in self.graph:
            return [], []
        nodes = self.graph.nodes
        people: dict[str, Person] = {}
        groups: list[tuple[str, int]] = []
        for r in self.searches.of(role):
            data = nodes[r.principal]
            name = str(data.get("name") or data.get("label") or r.principal)
            permission_set = next((str(d["permission_set"]) for a, b in pairwise(r.route)
                                   if (d := self.graph.edges[a, b]).get("permission_set")), None)
            if is_kind(data, NodeKind.IDENTITY_CENTER_GROUP):
                groups.append((name, int(data.get("members") or 0)))
                for member in self.members.get(r.principal, ()):
                    if member not in people:  # a person counts once, through the first (best) way in
                        who = nodes[member]
                        people[member] = Person(member, str(who.get("kind")),
                                                str(who.get("name") or who.get("label") or member), name,
                                                permission_set, r.hops, r.conditional, r.conditions,
                                                [member, *r.path[1:]], [])
            elif r.principal not in people:
                people[r.principal] = Person(r.principal, r.kind, name, None, permission_set, r.hops, r.conditional,
                                             r.conditions, r.path, [])
        return list(people.values()), sorted(groups)


def sensitive_overview(ctx: FindingContext, findings: list[Finding]) -> list[SensitiveRole]:
    out = []
    rules_of: dict[str, set[str]] = {}
    for f in findings:
        rules_of.setdefault(f.role, set()).add(f.rule)
    sign_ins = _SignIns(ctx.graph) if "identity_center" in ctx.graph.graph else None
    for arn, s in sorted(ctx.sensitive.items()):
        role = ctx.snapshot.roles[arn]
        summary = ctx.reacher_summary(arn)
        row = SensitiveRole(arn, role.account, ctx.snapshot.account_name(role.account), s.reasons,
                            summary.reachers, sorted(rules_of.get(arn, ())), summary.count,
                            summary.unconditional, sum(1 for r in summary.reachers if ctx.outside(r.principal)),
                            summary.direct)
        if sign_ins is not None:
            row.people, row.people_groups = sign_ins.of(arn)
            row.people_summary = people_summary(row.people) if row.people else ""
        out.append(row)
    return out


def ou_names(ou_path: str, unit_names: dict[str, str]) -> str:
    """An OU path in names: "o-x/r-y/ou-a/ou-b/" → "Workloads / Prod" ("organization root" for an account there)."""
    chain = [unit_names.get(p, p) for p in ou_path.strip("/").split("/") if p.startswith("ou-")]
    return " / ".join(chain) or "organization root"


def build_review(snapshot: Snapshot, graph: nx.DiGraph, findings: list[Finding],
                 options: FindingOptions | None = None, inputs: list[str] | None = None,
                 title: str | None = None, context: FindingContext | None = None) -> Review:
    """The review of a snapshot; `context`: the one `find` used, so its reachability answers are reused."""
    ctx = context or FindingContext(snapshot, graph, options)
    accounts: list[AccountRow] = []
    org = snapshot.organization
    ids = sorted(snapshot.accounts | snapshot.collected_accounts | (set(org.accounts) if org else set()))
    roles_in = Counter(r.account for r in snapshot.roles.values())
    unit_names = {u.id: u.name or u.id for u in org.units} if org else {}
    users_in = Counter(u.account for u in snapshot.users.values())
    for account in ids:
        org_account = org.accounts.get(account) if org else None
        accounts.append(AccountRow(
            id=account, name=snapshot.account_name(account), ou_path=org_account.ou_path if org_account else "",
            roles=roles_in[account], users=users_in[account],
            collected=account in snapshot.collected_accounts,
            ou_name=ou_names(org_account.ou_path, unit_names) if org_account else ""))
    if title is None:
        scope = f"organization {org.id}" if org else f"{len(ids)} account(s)"
        title = f"IAM role trust review: {scope}"
    return Review(title=title, version=__version__, inputs=list(inputs or []),
                  organization_id=org.id if org else None, accounts=accounts, role_count=len(snapshot.roles),
                  user_count=len(snapshot.users), findings=findings,
                  boundary=boundary_inventory(ctx, findings), sensitive=sensitive_overview(ctx, findings),
                  vendors_known=len(ctx.vendors), incomplete=list(snapshot.gaps),
                  data_time=graph.graph.get("data_time"), data_time_source=graph.graph.get("data_time_source"),
                  groups=group_findings(findings, org), usage_window=graph.graph.get("usage_window"),
                  fix_cuts=fix_cuts(graph, findings, ctx.sensitive).groups)
