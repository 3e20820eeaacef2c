"""Read organization.json (schema trustgraph/organization/v1, see docs/organization-schema.md)."""

from __future__ import annotations

from typing import Any

from trustgraph.model import OrgAccount, Organization, OrgPolicy, OrgUnit
from trustgraph.sources.snapshot_builder import SnapshotBuilder

SCHEMA = "trustgraph/organization/v1"


def looks_like_organization(value: dict[str, Any]) -> bool:
    return value.get("schema") == SCHEMA or (
        isinstance(value.get("organization"), dict) and isinstance(value.get("accounts"), list))


def _ou_path(org: Organization, parent_id: str | None) -> str:
    parents = {u.id: u.parent_id for u in org.units} | {r.id: None for r in org.roots}
    chain: list[str] = []
    seen: set[str] = set()
    current = parent_id
    while current and current not in seen:
        seen.add(current)
        chain.append(current)
        current = parents.get(current)
    return "/".join([org.id, *reversed(chain)]) + "/"


def read_organization(value: dict[str, Any], builder: SnapshotBuilder, source: str) -> None:
    report = builder.report
    info = value.get("organization") if isinstance(value.get("organization"), dict) else {}
    org = Organization(id=str(info.get("id", "")), management_account_id=info.get("management_account_id"))
    for key, target in (("roots", org.roots), ("organizational_units", org.units)):
        for i, raw in enumerate(value.get(key) or []):
            if not isinstance(raw, dict) or "id" not in raw:
                report.error(source, f"$.{key}[{i}]", "entry without an id", skipped="organization entries")
                continue
            target.append(OrgUnit(str(raw["id"]), str(raw.get("name", raw["id"])), raw.get("parent_id")))
    for i, raw in enumerate(value.get("accounts") or []):
        if not isinstance(raw, dict) or "id" not in raw:
            report.error(source, f"$.accounts[{i}]", "account without an id", skipped="organization entries")
            continue
        account = OrgAccount(
            id=str(raw["id"]), name=str(raw.get("name", "")), email=str(raw.get("email", "")),
            status=str(raw.get("status", "ACTIVE")), parent_id=raw.get("parent_id"),
            ou_path=str(raw.get("ou_path") or ""))
        org.accounts[account.id] = account
    for account in org.accounts.values():
        if not account.ou_path:
            account.ou_path = _ou_path(org, account.parent_id)
    for i, raw in enumerate(value.get("policies") or []):
        at = f"$.policies[{i}]"
        if not isinstance(raw, dict) or raw.get("type") not in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
            report.error(source, at, "policy without a known type (SERVICE_CONTROL_POLICY or "
                         "RESOURCE_CONTROL_POLICY)", skipped="organization policies")
            continue
        document = builder.policy(raw.get("content"), source, f"{at}.content")
        if document is None:
            continue
        org.policies.append(OrgPolicy(
            id=str(raw.get("id", f"policy-{i}")), name=str(raw.get("name", "")), type=raw["type"],
            document=document, targets=[str(t) for t in raw.get("targets") or []],
            aws_managed=bool(raw.get("aws_managed", False))))
    if value.get("policies_complete") is False:
        report.warning(source, "$.policies_complete", "some SCPs/RCPs could not be read when this snapshot was "
                       "collected: answers may show paths that organization policies would block")
    snapshot = builder.snapshot
    if snapshot.organization is not None:
        report.warning(source, "", "a second organization file replaces the first one read")
    snapshot.organization = org
    for account in org.accounts.values():
        if account.name:
            snapshot.account_names.setdefault(account.id, account.name)
