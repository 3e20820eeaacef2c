"""Where trust comes from: same account, same organization, a known vendor, an unknown outsider, anyone.

The account facts live in the graph (`graph.graph["accounts"]`) so that saved graphs keep them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trustgraph.graph.schema import NodeKind, TrustGraph


def account_context(graph: TrustGraph) -> dict[str, Any]:
    accounts: dict[str, Any] = graph.graph.setdefault("accounts", {"org_id": None, "org_accounts": {}, "internal": [],
                                                                   "vendors": {}, "names": {}})
    return accounts


# Callers whose trust comes from an identity provider: its tokens, or the people of IAM Identity Center.
_FEDERATED = frozenset({NodeKind.FEDERATED, NodeKind.IDENTITY_CENTER_USER, NodeKind.IDENTITY_CENTER_GROUP})


def _internal(ctx: Mapping[str, Any], account: str | None) -> bool:
    if not account:
        return False
    if ctx.get("org_id"):
        return account in ctx["org_accounts"] or account in ctx["internal_names"]
    return account in ctx["internal_set"]


def prepared_context(graph: TrustGraph) -> dict[str, Any]:
    """The account context with lookup sets built once; pass it to repeated classification calls."""
    ctx = dict(account_context(graph))
    ctx["internal_set"] = set(ctx.get("internal", []))
    ctx["internal_names"] = set(ctx.get("own_names", []))
    return ctx


def classify_nodes(graph: TrustGraph, source: str, target: str, ctx: Mapping[str, Any] | None = None) -> str:
    """Classification of `source` as a caller of `target` (both node ids)."""
    ctx = ctx or prepared_context(graph)
    s, t = graph.nodes[source], graph.nodes[target]
    kind = s.get("kind")
    if kind == NodeKind.PUBLIC:
        return "public"
    if kind == NodeKind.SERVICE:
        return "aws-service"
    if kind in _FEDERATED:
        return "federated"
    if kind == NodeKind.CLASS:
        return "same-org"  # a trust class stands for principals of the data set (graph/classes.py)
    account, target_account = s.get("account"), t.get("account")
    if t.get("kind") == NodeKind.CLASS:
        # Membership of a trust class: its members are principals of the data set.
        return "same-org" if _internal(ctx, account) else "external-unknown"
    if account and account == target_account:
        return "same-account"
    if _internal(ctx, account) and _internal(ctx, target_account):
        return "same-org"
    if account and account in ctx.get("vendors", {}):
        return "known-third-party"
    return "external-unknown"


def is_outside(graph: TrustGraph, node: str, ctx: Mapping[str, Any] | None = None) -> bool:
    """Is this reacher outside the organization (or, without org data, outside the data set)?"""
    data = graph.nodes[node]
    kind = data.get("kind")
    if kind == NodeKind.PUBLIC:
        return True
    if kind == NodeKind.SERVICE:
        return False
    if kind == NodeKind.FEDERATED:
        # Web identity tokens come from outside issuers (GitHub, Google, Cognito…); SAML is the org's own IdP.
        return data.get("provider_type") != "saml"
    if kind in (NodeKind.UNKNOWN, NodeKind.CLASS, NodeKind.IDENTITY_CENTER_USER, NodeKind.IDENTITY_CENTER_GROUP):
        return False  # Identity Center's people sign in through the organization's own instance
    return not _internal(ctx or prepared_context(graph), data.get("account"))


def annotate(graph: TrustGraph, *, vendors: Mapping[str, str] | None = None,
             names: Mapping[str, str] | None = None) -> None:
    """Record vendor and account names, then (re)classify every edge and label account nodes."""
    ctx = account_context(graph)
    if vendors:
        ctx["vendors"] = {**ctx.get("vendors", {}), **vendors}
    if names:
        ctx["names"] = {**ctx.get("names", {}), **names}
        ctx["own_names"] = sorted(set(ctx.get("own_names", [])) | set(names))
        ctx["internal"] = sorted(set(ctx.get("internal", [])) | set(names))
    account_names = {**graph.graph.get("account_names", {}), **ctx.get("names", {})}
    graph.graph["account_names"] = account_names
    prepared = prepared_context(graph)
    for _node, data in graph.nodes(data=True):
        account = data.get("account")
        if not account:
            continue
        vendor = prepared["vendors"].get(account)
        name = account_names.get(account) or vendor or ""
        if name:
            data["account_name"] = name
        if vendor:
            data["vendor"] = vendor
        ou_path = prepared["org_accounts"].get(account)
        if ou_path:
            data["ou_path"] = ou_path
        if data.get("kind") == NodeKind.ACCOUNT:
            data["label"] = name or account
    for src, dst, data in graph.edges(data=True):
        data["classification"] = classify_nodes(graph, src, dst, prepared)
        vendor = graph.nodes[src].get("vendor")
        if data["classification"] == "known-third-party" and vendor:
            data["vendor"] = vendor
