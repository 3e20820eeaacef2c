"""Public trust: `*` principals that no condition limits (TG101) and NotPrincipal with Allow (TG102)."""

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
from trustgraph.analysis.findings.model import Finding
from trustgraph.model import Condition, Role, Statement

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
