"""Privilege escalation through the indirect edges (docs/edges.md): PassRole to a sensitive role (TG601), code
already running as one (TG602), IAM writes on a sensitive role, an admin-equivalent user or the whole account
(TG603), sts:AssumeRoot into member accounts (TG604), Identity Center assignments into other accounts
(TG605), and service-managed StackSets deployed into member accounts (TG606).

Each target is looked at from its in-edges, through the hubs that stand for many callers (policy groups, PassRole
and code runners; their entrants are found once per hub), never by a who-can-reach per principal. A principal that
can already take its account over (analysis.sensitivity.takeover_reasons) is not escalating: it is left out, and
for the account takeover itself only principals that are not administrators yet (administrator_reasons) count.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from trustgraph.analysis.findings.context import FindingContext
from trustgraph.analysis.findings.helpers import short_node
from trustgraph.analysis.findings.model import Finding, Severity
from trustgraph.arns import root_arn
from trustgraph.graph.indirect import admin_node
from trustgraph.graph.schema import EdgeKind, NodeKind, graph_dicts, is_hub_data, is_membership, stands_for_callers
from trustgraph.model import Role, User
from trustgraph.policy.passrole import (
    CONTROLS_USER_KEY,
    ROOT_ACCESS_KEY,
    RUNS_AS_ROLE_KEY,
    STACKSETS_ACCESS_KEY,
    STACKSETS_ORG,
)
from trustgraph.policy.sensitivity import admin_reasons, administrator_reasons, takeover_reasons

ROOT_ACCOUNTS_SHOWN = 5  # member accounts a TG604 message names; the evidence lists them all
ESCALATIONS_PER_TARGET = 10  # findings one by one per target and rule; the rest are counted in one more
RULE_OF_KIND = {EdgeKind.PASSROLE: "TG601", EdgeKind.CODE: "TG602", EdgeKind.IAM: "TG603"}
# What a route into a sensitive role lets its principal do; {what}: the role's sensitivity, {how}: the techniques.
WHAT = {EdgeKind.PASSROLE: "can run code as this sensitive role ({what}) by passing it to a service: {how}",
        EdgeKind.CODE: "can change code that already runs as this sensitive role ({what}): {how}",
        EdgeKind.IAM: "can rewrite the trust of this sensitive role ({what}): {how}"}


@dataclass(slots=True)
class Route:
    """One principal's indirect step into a target: through which hubs, by which techniques, on what conditions."""

    principal: str
    conditional: bool
    conditions: list[str]
    techniques: list[str]
    through: list[str] = field(default_factory=list)  # hub nodes, caller side first
    evidence: list[dict[str, Any]] = field(default_factory=list)  # the edges' records: reasons name the grants

    def then(self, other: Route) -> Route:
        """This route (into a hub) followed by `other` (from that hub on)."""
        keys = sorted(set(self.conditions) | set(other.conditions))
        techniques = [t for t in dict.fromkeys([*self.techniques, *other.techniques]) if t != "iam:PassRole"] \
            or ["iam:PassRole"]
        return Route(self.principal, self.conditional or other.conditional, keys, techniques,
                     [*self.through, *other.through], [*self.evidence, *other.evidence])

    def order(self) -> tuple[bool, int, str]:
        return (self.conditional, len(self.conditions), self.principal)


def _step(data: dict[str, Any],
          kinds: frozenset[str]) -> tuple[bool, list[str], list[str], list[dict[str, Any]]] | None:
    """The alternatives of `kinds` on one edge (member edges pass as they are): (conditional, keys, techniques,
    records), None when the edge has none. As `reachability.restrict` does: conditional only if every kept
    alternative is."""
    if is_membership(data):
        return bool(data.get("conditional")), list(data.get("conditions") or ()), [], []
    records = [r for r in data.get("evidence", ()) if r.get("kind", data.get("kind")) in kinds]
    if not records:
        return None
    firm = [r for r in records if not r.get("conditions")]
    conditional = not firm
    keys = sorted({c["key"] for r in records for c in r.get("conditions", ())}) if conditional else []
    techniques = list(dict.fromkeys(str(r.get("technique")) for r in (firm or records) if r.get("technique")))
    return conditional, keys, techniques, records


class Escalations:
    """The routes into targets of a graph, with the entrants of each hub found once."""

    def __init__(self, ctx: FindingContext) -> None:
        self.ctx = ctx
        self.graph = ctx.graph
        self._entrants: dict[tuple[str, frozenset[str]], dict[str, Route]] = {}
        self._takeover: dict[str, bool] = {}
        self._administrator: dict[str, bool] = {}
        self.memo: dict[tuple[object, ...], list[str]] = {}

    def principal(self, node: str) -> Role | User | None:
        return self.ctx.snapshot.roles.get(node) or self.ctx.snapshot.users.get(node)

    def can_take_over(self, node: str) -> bool:
        """Can this principal take its account over already (it is not escalating into one of its roles)?"""
        return self._judged(self._takeover, takeover_reasons, node)

    def is_administrator(self, node: str) -> bool:
        return self._judged(self._administrator, administrator_reasons, node)

    def _judged(self, answers: dict[str, bool], reasons: Callable[..., list[str]], node: str) -> bool:
        """Whether `reasons` finds any for the principal `node`, asked once per node."""
        found = answers.get(node)
        if found is None:
            p = self.principal(node)
            found = answers[node] = bool(p is not None and reasons(p, self.ctx.snapshot, self.memo,
                                                                   self.ctx.data_time))
        return found

    def routes(self, target: str, kinds: frozenset[str]) -> list[Route]:
        """Every principal whose one indirect step of `kinds` (through caller hubs) leads into `target`, its best
        route each (unconditional first, then fewest condition keys)."""
        best: dict[str, Route] = {}
        for pred, data in graph_dicts(self.graph).pred[target].items():
            step = _step(data, kinds)
            if step is None or is_membership(data):
                continue
            here = Route(pred, step[0], step[1], step[2], [], step[3])
            node = graph_dicts(self.graph).nodes[pred]
            if is_hub_data(node):
                if not stands_for_callers(node):
                    continue  # trust hubs (account, class) are role assumptions; admin nodes are judged apart
                here.through = [pred]
                found = [r.then(here) for r in self.entrants(pred, kinds).values()]
            else:
                found = [here]
            for r in found:
                known = best.get(r.principal)
                if known is None or r.order() < known.order():
                    best[r.principal] = r
        return sorted(best.values(), key=Route.order)

    def entrants(self, hub: str, kinds: frozenset[str], seen: frozenset[str] = frozenset()) -> dict[str, Route]:
        key = (hub, kinds)
        cached = self._entrants.get(key)
        if cached is not None:
            return cached
        out: dict[str, Route] = {}
        for pred, data in graph_dicts(self.graph).pred[hub].items():
            step = _step(data, kinds)
            if step is None or pred in seen:
                continue
            here = Route(pred, step[0], step[1], step[2], [], step[3])
            node = graph_dicts(self.graph).nodes[pred]
            if is_hub_data(node):
                if not stands_for_callers(node):
                    continue
                here.through = [pred]
                found = [r.then(here) for r in self.entrants(pred, kinds, seen | {hub}).values()]
            else:
                found = [here]
            for r in found:
                known = out.get(r.principal)
                if known is None or r.order() < known.order():
                    out[r.principal] = r
        self._entrants[key] = out
        return out


# One Escalations per FindingContext: the hubs' entrants and the takeover verdicts are shared by every role.
_BY_CONTEXT: weakref.WeakKeyDictionary[FindingContext, Escalations] = weakref.WeakKeyDictionary()


def _escalations(ctx: FindingContext) -> Escalations:
    found = _BY_CONTEXT.get(ctx)
    if found is None:
        found = _BY_CONTEXT[ctx] = Escalations(ctx)
    return found


def _hub_label(graph: Any, node: str) -> str:
    return str(graph.nodes[node].get("label") or node)


def _braced(text: str) -> str:
    """Data text inside a message template: its braces kept as they are."""
    return text.replace("{", "{{").replace("}", "}}")


def _grants(route: Route) -> list[str]:
    """The reasons of the route's records: each names the policy that grants the step."""
    return list(dict.fromkeys(str(r["reason"]) for r in route.evidence if r.get("reason")))


def _why_conditional(route: Route) -> str:
    if not route.conditional:
        return ", with no runtime condition"
    if RUNS_AS_ROLE_KEY in route.conditions:
        kinds = sorted({str(c["values"][0]) for r in route.evidence for c in r.get("conditions", ())
                        if c.get("key") == RUNS_AS_ROLE_KEY and c.get("values")})
        return (f", only if {', '.join(route.conditions)} hold: no inventory of the account says which "
                f"{' or '.join(kinds) or 'resource'} runs as the role")
    return f", only if {', '.join(route.conditions)} hold"


def _route_json(graph: Any, route: Route) -> dict[str, Any]:
    return {"principal": route.principal, "techniques": route.techniques, "conditional": route.conditional,
            "conditions": route.conditions,
            "through": [{"node": h, "kind": graph.nodes[h].get("kind"), "label": graph.nodes[h].get("label")}
                        for h in route.through],
            "grants": _grants(route), "evidence": route.evidence}


def _severity(route: Route, unsettled: tuple[str, ...] = ()) -> Severity:
    """High; a route that depends on conditions is one step lower (`unsettled`: keys every such route has)."""
    conditions = [k for k in route.conditions if k not in unsettled]
    return Severity.HIGH.lowered() if route.conditional and conditions else Severity.HIGH


def _capped(ctx: FindingContext, rule_id: str, subject: Role | User | str, routes: list[Route], what: str,
            base: dict[str, Any], unsettled: tuple[str, ...] = ()) -> Iterator[Finding]:
    """One finding per route, worst first, up to ESCALATIONS_PER_TARGET; the rest counted in one more."""
    routes = sorted(routes, key=lambda r: (-_severity(r, unsettled).rank, *r.order()))
    for r in routes[:ESCALATIONS_PER_TARGET]:
        p = ctx.graph.nodes[r.principal]
        label = p.get("account_name")
        who = short_node(r.principal) + (f" ({label})" if label else "")
        via = f" through {', '.join(_hub_label(ctx.graph, h) for h in r.through)}" if r.through else ""
        grants = _grants(r)
        yield ctx.finding(
            rule_id, subject, r.principal,
            f"{who} {what.format(how=' or '.join(r.techniques))}{via}{_why_conditional(r)}"
            + (f"; {grants[0]}" if grants else ""),
            severity=_severity(r, unsettled), evidence={**base, "route": _route_json(ctx.graph, r)})
    rest = routes[ESCALATIONS_PER_TARGET:]
    if rest:
        yield ctx.finding(
            rule_id, subject, None,
            f"{len(rest)} more principal(s) than the {ESCALATIONS_PER_TARGET} reported one by one "
            f"{what.format(how='(as above)')}; "
            f"{sum(1 for r in rest if not r.conditional)} of them with no runtime condition",
            severity=max((_severity(r, unsettled) for r in rest), key=lambda s: s.rank),
            evidence={**base, "more_principals": len(rest),
                      "principals": [r.principal for r in rest[:50]]})


def check_escalation(ctx: FindingContext, role: Role) -> Iterator[Finding]:
    """TG601–TG603 into a sensitive role: PassRole, code running as it, a rewrite of its trust."""
    sensitivity = ctx.sensitive.get(role.arn)
    if sensitivity is None or role.arn not in ctx.graph:
        return
    esc = _escalations(ctx)
    base = {"sensitive_because": sensitivity.reasons}
    for kind, rule_id in RULE_OF_KIND.items():
        routes = [r for r in esc.routes(role.arn, frozenset({kind.value}))
                  if r.principal != role.arn and not esc.can_take_over(r.principal)]
        what = WHAT[kind].replace("{what}", _braced(sensitivity.label))
        yield from _capped(ctx, rule_id, role, routes, what, base)


def check_escalation_accounts(ctx: FindingContext) -> Iterator[Finding]:
    """What has no role as its target: credentials of an admin-equivalent user and the account takeover (TG603),
    root sessions in member accounts (TG604), Identity Center assignments in other accounts (TG605)."""
    esc = _escalations(ctx)
    graph = ctx.graph
    nodes, _, preds = graph_dicts(graph)
    snapshot = ctx.snapshot
    iam = frozenset({EdgeKind.IAM.value})
    for arn, user in sorted(snapshot.users.items()):
        if arn not in graph or not any(not is_hub_data(nodes[p]) or stands_for_callers(nodes[p])
                                       for p in preds[arn]):
            continue  # only the admin node reaches it (or nothing): no one escalates into it
        routes = [r for r in esc.routes(arn, iam) if r.principal != arn and not esc.can_take_over(r.principal)]
        if not routes:
            continue
        reasons = admin_reasons(user, snapshot, esc.memo, ctx.data_time)
        if reasons:
            yield from _capped(ctx, "TG603", user, routes,
                               "can obtain credentials of this admin-equivalent user: {how}",
                               {"sensitive_because": reasons})
    management = snapshot.organization.management_account_id if snapshot.organization else None
    roots: dict[str, list[tuple[str, str, Route]]] = {}  # principal → (member account, its label, route)
    assigned: dict[str, list[tuple[str, str, Route]]] = {}  # the same for Identity Center assignments (TG605)
    deployed: dict[str, list[tuple[str, str, Route]]] = {}  # the same for service-managed StackSets (TG606)
    for account in sorted(snapshot.collected_accounts):
        node = admin_node(account)
        if node not in graph or graph.nodes[node].get("kind") != NodeKind.ACCOUNT_ADMIN:
            continue
        name = snapshot.account_name(account)
        label = f"{name} ({account})" if name else account
        takeover = [r for r in esc.routes(node, iam)
                    if graph.nodes[r.principal].get("account") == account and not esc.is_administrator(r.principal)]
        yield from _capped(ctx, "TG603", root_arn(account), takeover,
                           f"can take over account {_braced(label)} without being its administrator already: {{how}}",
                           {"account": account})
        for r in esc.routes(node, frozenset({EdgeKind.ASSUME_ROOT.value})):
            if graph.nodes[r.principal].get("account") == management and not esc.can_take_over(r.principal):
                roots.setdefault(r.principal, []).append((account, label, r))
        for r in esc.routes(node, iam):
            if graph.nodes[r.principal].get("account") == account or esc.can_take_over(r.principal):
                continue
            if any(t.startswith("sso:") for t in r.techniques):
                assigned.setdefault(r.principal, []).append((account, label, r))
            elif STACKSETS_ORG in r.techniques:
                deployed.setdefault(r.principal, []).append((account, label, r))
    # One finding per management principal, not per member account: the grant to fix is the principal's, and an
    # organization of thousands of accounts would otherwise repeat it thousands of times. The key every such route
    # depends on (centralized root access, signing in as a user, trusted access) does not lower the severity.
    yield from _per_principal_findings(
        ctx, esc, "TG604", roots, (ROOT_ACCESS_KEY,), {"management": management},
        lambda who, n, shown, how: f"{who} can take a root session in {n} member account(s) ({shown}) with {how}, "
                                   "once centralized root access is enabled")
    yield from _per_principal_findings(
        ctx, esc, "TG605", assigned, (CONTROLS_USER_KEY,), {},
        lambda who, n, shown, how: f"{who} can become administrator of {n} other account(s) ({shown}) through IAM "
                                   f"Identity Center with {how}, signing in as a user it assigns")
    yield from _per_principal_findings(
        ctx, esc, "TG606", deployed, (STACKSETS_ACCESS_KEY,), {"management": management},
        lambda who, n, shown, how: f"{who} can deploy service-managed StackSets into {n} member account(s) "
                                   f"({shown}) with administrative rights there, once trusted access for StackSets "
                                   "is activated")


def _per_principal_findings(ctx: FindingContext, esc: Escalations, rule: str,
                            reached_by: dict[str, list[tuple[str, str, Route]]], unsettled: tuple[str, ...],
                            evidence: dict[str, Any], message: Callable[[str, int, str, str], str]
                            ) -> Iterator[Finding]:
    """One finding per principal reaching several accounts: its worst route, the accounts named (message(who,
    how many, their labels, the techniques)), and the policy granting it."""
    for principal, reached in sorted(reached_by.items()):
        best, shown = _per_principal(reached, unsettled)
        grants = _grants(best)
        yield ctx.finding(
            rule, esc.principal(principal) or principal, principal,
            message(short_node(principal), len(reached), shown, " or ".join(best.techniques))
            + (f"; {grants[0]}" if grants else ""),
            severity=_severity(best, unsettled),
            evidence={**evidence, "accounts": [account for account, _, _ in reached],
                      "route": _route_json(ctx.graph, best)})


def _per_principal(reached: list[tuple[str, str, Route]], unsettled: tuple[str, ...]) -> tuple[Route, str]:
    """The worst route of one principal into several accounts, and the accounts' labels as a message names them."""
    routes = sorted((r for _, _, r in reached), key=lambda r: (-_severity(r, unsettled).rank, *r.order()))
    shown = ", ".join(_braced(label) for _, label, _ in reached[:ROOT_ACCOUNTS_SHOWN])
    more = f" and {len(reached) - ROOT_ACCOUNTS_SHOWN} more" if len(reached) > ROOT_ACCOUNTS_SHOWN else ""
    return routes[0], shown + more
