"""Public trust: `*` principals that no condition limits (TG101) and NotPrincipal with Allow (TG102).

A `*` trust is limited by a condition of its own on who the caller is (aws:PrincipalOrgID, aws:PrincipalArn …)
or by a trust Deny of every principal "unless" it is someone (StringNotEquals aws:PrincipalOrgID,
ArnNotLike aws:PrincipalArn …): then it is not public, and what it is left open to is reported only when that
is an account or organization outside the data (TG302)."""

from __future__ import annotations

from collections.abc import Iterator

from trustgraph.analysis.findings.context import FindingContext
from trustgraph.analysis.findings.helpers import (
    grants_assume,
    is_restricting,
    only_wildcards,
    principal_refs,
    statement_json,
    with_conditions,
)
from trustgraph.analysis.findings.model import Finding, Severity
from trustgraph.model import Condition, PolicyDocument, Role, Statement
from trustgraph.policy.conditions import parse_operator
from trustgraph.policy.statements import covers_action

# Keys whose value the caller cannot choose and that name who it is (or, for services, whom it acts for).
PRINCIPAL_KEYS = ("aws:principalorgid", "aws:principalorgpaths", "aws:principalarn", "aws:principalaccount",
                  "aws:userid", "aws:username", "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid",
                  "aws:sourceorgpaths", "aws:sourceowner", "aws:principalservicename")


def limiting_condition(cond: Condition) -> bool:
    """Does this condition restrict the callers of a `*` statement to principals the owner chose?"""
    key = cond.key.lower()
    if key == "aws:principalisawsservice":
        # Bool true: only AWS services (which then act for the resources that name the role).
        return cond.operator.lower() == "bool" and all(v.lower() == "true" for v in cond.values)
    if key not in PRINCIPAL_KEYS or not is_restricting(cond):
        return False
    for value in cond.values:
        if only_wildcards(value):
            return False
        if key in ("aws:principalarn", "aws:sourcearn"):
            parts = value.split(":")
            # ArnLike arn:aws:iam::*:role/x matches role x in every account: anyone can create it.
            if len(parts) >= 5 and ("*" in parts[4] or "?" in parts[4]) and parts[4] != "":
                return False
        if key in ("aws:principalaccount", "aws:sourceaccount") and ("*" in value or "?" in value):
            return False
        if key == "aws:principalorgid" and "*" in value:
            return False
    return True


def limiting_conditions(st: Statement) -> list[Condition]:
    return [c for c in st.conditions if limiting_condition(c)]


def _positive(cond: Condition) -> Condition | None:
    """The test a caller must pass to escape a Deny condition: StringNotEquals → StringEquals, ArnNotLike →
    ArnLike (…IfExists dropped: the principal keys are present whenever they can match); None if not negated."""
    parsed = parse_operator(cond.operator)
    if not parsed.negated:
        return None
    operator = cond.operator.replace("IfExists", "").replace("ifexists", "")
    for negated in ("Not", "not"):
        if negated in operator.split(":")[-1]:
            head, _, tail = operator.rpartition(":")
            operator = (head + ":" if head else "") + tail.replace(negated, "", 1)
            break
    return Condition(operator, cond.key, cond.values)


def deny_leaves_open(trust: PolicyDocument, action: str) -> tuple[Statement, list[Condition]] | None:
    """A trust Deny that covers every principal: (the Deny, the conditions a caller must meet to escape it).
    An unconditional one leaves nobody (empty list). None when no Deny limits who can call: a Deny keyed on
    anything but who the caller is (source IP, MFA …) narrows when, not who."""
    for st in trust.statements:
        if st.effect != "Deny" or st.principals is None or not covers_action(st, action) or \
                not any(r.kind == "public" for r in principal_refs(st)):
            continue
        if not st.conditions:
            return st, []
        escapes = [_positive(c) for c in st.conditions]
        # The Deny applies when all its conditions hold; a caller escapes it by failing any one of them, so
        # every one must name who the caller is for the Deny to limit the callers.
        if all(e is not None and limiting_condition(e) for e in escapes):
            return st, [e for e in escapes if e is not None]
    return None


def _open_to(conds: list[Condition]) -> tuple[set[str], set[str]]:
    """(accounts, organizations) the limiting conditions leave a trust open to."""
    accounts: set[str] = set()
    orgs: set[str] = set()
    for c in conds:
        key = c.key.lower()
        for value in c.values:
            if key in ("aws:principalaccount", "aws:sourceaccount"):
                accounts.add(value)
            elif key in ("aws:principalarn", "aws:sourcearn"):
                segments = value.split(":")
                if len(segments) >= 5 and segments[4]:
                    accounts.add(segments[4])
            elif key == "aws:principalorgid":
                orgs.add(value)
    return accounts, orgs


def _outside_limit(ctx: FindingContext, role: Role, st: Statement, conds: list[Condition],
                   deny: Statement | None) -> Iterator[Finding]:
    """A `*` trust limited to callers named by conditions: a finding only when they name an account (or an
    organization) outside the data set, the organization and the known vendors."""
    accounts, orgs = _open_to(conds)
    outside = sorted(a for a in accounts if ctx.account_class(a, role.account) == "external")
    foreign_orgs = sorted(o for o in orgs if ctx.org_id is not None and o != ctx.org_id)
    if not outside and not foreign_orgs:
        return
    limit = "; ".join(f"{c.key} {c.operator} {', '.join(c.values)}" for c in conds)
    how = f"Deny {deny.label} leaves it open only to callers with {limit}" if deny is not None else \
        f"its conditions limit it to {limit}"
    where = ", ".join([*(f"account {a}" for a in outside), *(f"organization {o}" for o in foreign_orgs)])
    scope = "the organization" if ctx.org_id else "this data set"
    yield ctx.finding(
        "TG302", role, ", ".join(v for c in conds for v in c.values),
        f"statement {st.label} trusts every AWS principal, but {how}: {where}, outside {scope} and not a known "
        "vendor", statement=st, severity=Severity.MEDIUM,
        evidence={"external_accounts": outside, "external_organizations": foreign_orgs,
                  "limited_by": [{"operator": c.operator, "key": c.key, "values": list(c.values)} for c in conds],
                  "deny_statement": deny.label if deny is not None else None, "statement_json": statement_json(st)})


def _fixed(ctx: FindingContext, role: Role, st: Statement) -> dict[str, object]:
    org = ctx.org_id or "o-EXAMPLE"
    return with_conditions(st, {"StringEquals": {"aws:PrincipalOrgID": org}},
                           only_principal=("AWS", "*"))


def check_public(ctx: FindingContext, role: Role) -> Iterator[Finding]:
    if role.trust is None:
        return
    for st in role.trust.statements:
        if st.effect == "Allow" and st.not_principals is not None:
            excluded = ", ".join(v for _, v in st.not_principals)
            yield ctx.finding(
                "TG102", role, f"NotPrincipal: {excluded}",
                f"statement {st.label} allows every principal except {excluded}; IAM rejects NotPrincipal in a "
                "trust policy, and where it is accepted it reads as public",
                statement=st, evidence={"not_principal": [v for _, v in st.not_principals],
                                        "statement_json": statement_json(st)})
            continue
        refs = [r for r in principal_refs(st) if r.kind == "public" and grants_assume(st, r)]
        if not refs or st.not_principals is not None or st.resources is not None or st.not_resources is not None:
            continue
        limits = limiting_conditions(st)
        if limits:
            yield from _outside_limit(ctx, role, st, limits, None)
            continue
        denied = deny_leaves_open(role.trust, refs[0].action)
        if denied is not None:
            deny, escapes = denied
            if escapes:  # an unconditional Deny of everyone leaves nothing to report
                yield from _outside_limit(ctx, role, st, escapes, deny)
            continue
        edge = ctx.edge("*", role.arn)
        evidence: dict[str, object] = {
            "principal_as_written": refs[0].written,
            "conditions": [{"operator": c.operator, "key": c.key, "values": list(c.values)} for c in st.conditions],
            "statement_json": statement_json(st),
        }
        if edge is not None:
            evidence["graph_edge"] = {"from": "*", "conditional": edge.get("conditional", False),
                                      "conditions": edge.get("conditions", [])}
        note = ""
        if st.conditions:
            keys = ", ".join(sorted({c.key for c in st.conditions}))
            note = f" Its conditions ({keys}) do not limit who the caller is."
        bare = " (written as a bare \"Principal\": \"*\")" if refs[0].written == "*" and \
            any(t == "*" for t, _ in st.principals or ()) else ""
        yield ctx.finding(
            "TG101", role, "*",
            f"statement {st.label} trusts every AWS principal{bare}: anyone with an AWS account can assume "
            f"this role.{note}",
            statement=st, evidence=evidence, fixed=_fixed(ctx, role, st))
