"""Observed use (docs/usage.md): trust never used in the covered window (TG801), outside principals that used a
trust (TG802), denied AssumeRole attempts from outside the organization (TG803), and use today's graph cannot
explain (TG804). Nothing runs without CloudTrail events in the inputs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from trustgraph.analysis.findings.context import FindingContext
from trustgraph.analysis.findings.helpers import short_node
from trustgraph.analysis.findings.model import Finding, Severity
from trustgraph.arns import ACCOUNT_ID, parse_arn
from trustgraph.graph.schema import graph_dicts, is_hub_data
from trustgraph.graph.usage import CallerIndex, has_usage, unused_trust_edges
from trustgraph.model import Observation, Role

# userIdentity types that are principals of an AWS account (not an identity provider's users, not a service)
_AWS_CALLERS = frozenset({"AWSAccount", "IAMUser", "AssumedRole", "Root", "FederatedUser"})
_OUTSIDE = ("vendor", "external")


def check_usage_role(ctx: FindingContext, role: Role) -> Iterator[Finding]:
    """TG801: the role's trust edges no covered event shows used."""
    if not has_usage(ctx.graph) or role.service_linked or role.arn not in ctx.graph:
        return
    window = ctx.graph.graph["usage_window"]
    nodes = graph_dicts(ctx.graph).nodes
    sensitive = role.arn in ctx.sensitive
    for caller, _ in unused_trust_edges(ctx.graph, [role.arn]):
        data = nodes[caller]
        who = str(data.get("label") or caller) if is_hub_data(data) else short_node(caller)
        yield ctx.finding(
            "TG801", role, caller,
            f"{who} may assume this role, and no event from {str(window['from'])[:10]} to {str(window['to'])[:10]} "
            f"shows it did ({window['events']} CloudTrail events read)",
            severity=Severity.MEDIUM if sensitive else None,
            evidence={"usage_window": {"from": window["from"], "to": window["to"]},
                      "caller_is_hub": is_hub_data(data), "sensitive": sensitive})


def check_usage_events(ctx: FindingContext) -> Iterator[Finding]:
    """TG802–TG804, from the observations themselves."""
    usage = ctx.snapshot.usage
    if usage is None or not has_usage(ctx.graph):
        return
    index = CallerIndex(ctx.snapshot, ctx.graph)
    for obs in usage.observations:
        found = index.resolve(obs)
        role: Role | str = ctx.snapshot.roles.get(found.target) or found.target
        role_account = role.account if isinstance(role, Role) else (parse_arn(found.target) or _NoArn).account
        sensitive = found.target in ctx.sensitive
        account = _caller_account(obs, found.caller)
        outside = obs.caller_type in _AWS_CALLERS and ctx.account_class(account, role_account) in _OUTSIDE
        evidence = _evidence(obs, found.caller)
        if obs.error:
            if outside and obs.error.startswith("AccessDenied"):
                yield ctx.finding(
                    "TG803", role, found.caller,
                    f"{ctx.account_label(account)} tried to assume this role {obs.count} time(s) from "
                    f"{obs.first[:10]} to {obs.last[:10]} and was refused ({obs.error}; last from "
                    f"{obs.evidence.source_ip or 'an unknown address'})",
                    severity=Severity.HIGH if sensitive else None, evidence=evidence)
            continue
        if outside:
            vendor = ctx.account_class(account, role_account) == "vendor"
            yield ctx.finding(
                "TG802", role, found.caller,
                f"{short_node(found.caller)} of {ctx.account_label(account)}, outside the organization, assumed this "
                f"role {obs.count} time(s) from {obs.first[:10]} to {obs.last[:10]}",
                severity=Severity.HIGH if sensitive else (Severity.LOW if vendor else None), evidence=evidence)
        if found.explained_by is None:
            yield ctx.finding(
                "TG804", role, found.caller,
                f"{short_node(found.caller)} assumed this role {obs.count} time(s) (last {obs.last}), but no trust "
                "edge of today's policies admits it: changed since, or a path trustgraph does not model",
                evidence=evidence)


class _NoArn:
    account = ""


def _caller_account(obs: Observation, caller: str) -> str:
    if obs.caller_account:
        return obs.caller_account
    parsed = parse_arn(caller)
    return parsed.account if parsed and ACCOUNT_ID.match(parsed.account) else ""


def _evidence(obs: Observation, caller: str) -> dict[str, Any]:
    ev = obs.evidence
    out: dict[str, Any] = {"action": obs.action, "caller": caller, "caller_type": obs.caller_type,
                           "first": obs.first, "last": obs.last, "count": obs.count,
                           "event": {"time": ev.event_time, "event_id": ev.event_id, "source_ip": ev.source_ip,
                                     "user_agent": ev.user_agent, "recipient_account": ev.recipient_account,
                                     "source": ev.source}}
    if obs.error:
        out["error"] = obs.error
    if obs.subjects:
        out["subjects"] = list(obs.subjects)
    if ev.session:
        out["event"]["session"] = ev.session
    return out
