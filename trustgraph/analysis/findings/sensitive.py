"""Sensitive roles (admin-equivalent, tagged, or matched by --sensitive): reachable from outside the
organization (TG401), by many principals (TG402), or through long chains of role assumptions (TG403)."""

from __future__ import annotations

from collections.abc import Iterator

from trustgraph.analysis.findings.context import FindingContext
from trustgraph.analysis.findings.helpers import short_node
from trustgraph.analysis.findings.model import Finding, Severity
from trustgraph.analysis.findings.third_party import management_pattern_nodes
from trustgraph.analysis.reachability import Reached
from trustgraph.graph.schema import NodeKind
from trustgraph.model import Role

OUTSIDE_PER_ROLE = 10  # TG401 findings one by one per sensitive role; the rest are counted in one more
MFA_KEYS = ("aws:multifactorauthpresent", "aws:multifactorauthage")


def _chain(r: Reached) -> str:
    return " → ".join(short_node(p) for p in r.path)


def _reacher_json(ctx: FindingContext, r: Reached, role_arn: str) -> dict[str, object]:
    """The Reacher fields the evidence shows, read off the search answer (a Reacher adds steps and account facts)."""
    return {"principal": r.principal, "kind": r.kind, "hops": r.hops, "path": r.path,
            "conditional": r.conditional, "conditions": r.conditions,
            "classification": ctx.classification(r, role_arn)}


def _entry_pattern(ctx: FindingContext, r: Reached) -> str | None:
    """The AWS-designed management pattern of the first hop of a reacher's path, if it follows one."""
    if len(r.path) < 2:
        return None
    first = ctx.snapshot.roles.get(r.path[1])
    if first is None:
        return None
    patterns = ctx.first_hop_patterns.get(first.arn)
    if patterns is None:
        patterns = ctx.first_hop_patterns[first.arn] = management_pattern_nodes(first)
    return patterns.get(r.path[0])


def check_sensitive(ctx: FindingContext, role: Role) -> Iterator[Finding]:
    sensitivity = ctx.sensitive.get(role.arn)
    if sensitivity is None or role.arn not in ctx.graph:
        return
    # Answers in who_can_reach's order, without classification and steps: most reachers are only counted, and
    # classified only where a finding shows or counts them by classification.
    reachers = ctx.reachers(role.arn)
    if not reachers:
        return
    why = sensitivity.label
    base = {"sensitive_because": sensitivity.reasons}
    # TG401: reachers outside the organization (without organization data: outside the data set).
    outside_what = "the organization" if ctx.org_id else "this data set"
    outside: list[tuple[Severity, Reached, str | None]] = []
    for r in reachers:
        if not ctx.outside(r.principal):
            continue
        entry = _entry_pattern(ctx, r)
        if entry is not None and ctx.org_id is None and r.hops == 1:
            continue  # the trust itself is reported once, as the AWS-designed pattern it is (TG302)
        if r.kind == NodeKind.PUBLIC and not r.conditional:
            severity = Severity.CRITICAL
        elif not r.conditional:
            severity = Severity.HIGH
        else:
            severity = Severity.MEDIUM
        if entry is not None and ctx.org_id is None:
            severity = severity.lowered(2)
        outside.append((severity, r, entry))
    # Worst first; past OUTSIDE_PER_ROLE the rest is one finding that counts them, so that a role reachable
    # from every account of a large organization's outside is not thousands of findings.
    outside.sort(key=lambda item: (-item[0].rank, item[1].conditional, item[1].hops, item[1].principal))
    for severity, r, entry in outside[:OUTSIDE_PER_ROLE]:
        cond = f", only if {', '.join(r.conditions)} hold" if r.conditional else " with no runtime condition"
        label = ctx.graph.nodes[r.principal].get("vendor") or ctx.graph.nodes[r.principal].get("account_name")
        who = f"{short_node(r.principal)}" + (f" ({label})" if label else "")
        note = ""
        if entry is not None and ctx.org_id is None:
            note = f" (it enters through {entry}; without organization data that account cannot be placed)"
        message = (f"sensitive role ({why}) is reachable from outside {outside_what} by {who} "
                   f"in {r.hops} hop(s){cond}: {_chain(r)}{note}")
        yield ctx.finding("TG401", role, r.principal, message, severity=severity,
                          evidence={**base, "reacher": _reacher_json(ctx, r, role.arn)})
    rest = outside[OUTSIDE_PER_ROLE:]
    if rest:
        by_class: dict[str, int] = {}
        for _, r, _ in rest:
            key = ctx.classification(r, role.arn) or "unknown"
            by_class[key] = by_class.get(key, 0) + 1
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(by_class.items()))
        yield ctx.finding(
            "TG401", role, None,
            f"sensitive role ({why}) is reachable from outside {outside_what} by {len(rest)} more principal(s) "
            f"than the {OUTSIDE_PER_ROLE} reported one by one ({kinds})",
            severity=max((s for s, _, _ in rest), key=lambda s: s.rank),
            evidence={**base, "more_reachers": len(rest), "by_classification": by_class,
                      "reachers": [_reacher_json(ctx, r, role.arn) for _, r, _ in rest[:50]]})
    # TG402: many reachers. AWS services are not principals anyone signs in as: they are counted apart.
    principals = [r for r in reachers if r.kind != NodeKind.SERVICE]
    services = [r for r in reachers if r.kind == NodeKind.SERVICE]
    if len(principals) >= ctx.options.many_reachers:
        by_kind: dict[str, int] = {}
        for r in principals:
            by_kind[r.kind] = by_kind.get(r.kind, 0) + 1
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(by_kind.items()))
        firm_count = sum(1 for r in principals if not r.conditional)
        also = f"; AWS services reaching it as well: {len(services)}" if services else ""
        yield ctx.finding(
            "TG402", role, None,
            f"sensitive role ({why}) is reachable by {len(principals)} principals ({kinds}); {firm_count} of them "
            f"without any runtime condition{also}",
            evidence={**base, "reacher_count": len(principals), "unconditional": firm_count, "by_kind": by_kind,
                      "services": len(services),
                      "reachers": [_reacher_json(ctx, r, role.arn) for r in principals[:50]]})
    # TG403: long chains.
    long = [r for r in reachers if r.hops >= ctx.options.long_chain_hops]
    if long:
        firm = [r for r in long if not r.conditional]
        example = min(firm or long, key=lambda r: (r.hops, r.principal))
        mfa_routes = [r for r in reachers if r.conditional and any(k.lower() in MFA_KEYS for k in r.conditions)]
        contrast = ""
        if firm and mfa_routes:
            contrast = "; other routes require MFA, these do not"
        severity = Severity.HIGH if firm else Severity.MEDIUM
        detail = "with no runtime condition on any hop" if firm else "each conditional"
        yield ctx.finding(
            "TG403", role, example.principal,
            f"sensitive role ({why}) is reachable through {len(long)} chain(s) of ≥ "
            f"{ctx.options.long_chain_hops} role assumptions, {len(firm)} {detail if firm else 'conditional'}"
            f"{contrast}; e.g. {_chain(example)}",
            severity=severity,
            evidence={**base, "chains": [_reacher_json(ctx, r, role.arn)
                                         for r in sorted(long, key=lambda r: (r.conditional, r.hops, r.principal))],
                      "mfa_protected_routes": [r.principal for r in mfa_routes]})
