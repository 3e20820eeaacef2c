"""Read organization.json (schema trustgraph/organization/v1, see docs/organization-schema.md)."""

from __future__ import annotations

from typing import Any

from trustgraph.model import OrgAccount, Organization, OrgPolicy, OrgUnit
from trustgraph.sources.policy_quotas import ORGANIZATION_POLICIES
from trustgraph.sources.snapshot_builder import SnapshotBuilder
from trustgraph.version import SCHEMAS

SCHEMA = SCHEMAS["organization"]


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


def _entries(value: dict[str, Any], key: str, report: Any, source: str) -> list[Any]:
    """`value[key]` when it is a list (or absent); anything else is one located error and no entries."""
    entries = value.get(key)
    if entries is None:
        return []
    if not isinstance(entries, list):
        report.error(source, f"$.{key}", f"expected a list, got a JSON {type(entries).__name__}",
                     skipped="organization entries")
        return []
    return entries


def _text(raw: Any, default: str = "") -> str:
    return raw if isinstance(raw, str) else (str(raw) if isinstance(raw, int | float) and raw is not True else default)


def _id(raw: dict[str, Any]) -> str | None:
    value = raw.get("id")
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and str(value) else None


def read_organization(value: dict[str, Any], builder: SnapshotBuilder, source: str) -> None:
    report = builder.report
    info = value.get("organization")
    if not isinstance(info, dict):
        if info is not None:
            report.error(source, "$.organization", f"expected an object, got a JSON {type(info).__name__}",
                         skipped="organization entries")
        info = {}
    management = info.get("management_account_id")
    org = Organization(id=_text(info.get("id")),
                       management_account_id=management if isinstance(management, str) else None)
    for key, target in (("roots", org.roots), ("organizational_units", org.units)):
        for i, raw in enumerate(_entries(value, key, report, source)):
            ident = _id(raw) if isinstance(raw, dict) else None
            if ident is None:
                report.error(source, f"$.{key}[{i}]", "entry without an id", skipped="organization entries")
                continue
            parent = raw.get("parent_id")
            target.append(OrgUnit(ident, _text(raw.get("name"), ident), parent if isinstance(parent, str) else None))
    for i, raw in enumerate(_entries(value, "accounts", report, source)):
        ident = _id(raw) if isinstance(raw, dict) else None
        if ident is None:
            report.error(source, f"$.accounts[{i}]", "account without an id", skipped="organization entries")
            continue
        parent = raw.get("parent_id")
        account = OrgAccount(
            id=ident, name=_text(raw.get("name")), email=_text(raw.get("email")),
            status=_text(raw.get("status"), "ACTIVE"), parent_id=parent if isinstance(parent, str) else None,
            ou_path=_text(raw.get("ou_path")))
        org.accounts[account.id] = account
    for account in org.accounts.values():
        if not account.ou_path:
            account.ou_path = _ou_path(org, account.parent_id)
    for i, raw in enumerate(_entries(value, "policies", report, source)):
        at = f"$.policies[{i}]"
        if not isinstance(raw, dict) or raw.get("type") not in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
            report.error(source, at, "policy without a known type (SERVICE_CONTROL_POLICY or "
                         "RESOURCE_CONTROL_POLICY)", skipped="organization policies")
            continue
        document = builder.policy(raw.get("content"), source, f"{at}.content", ORGANIZATION_POLICIES[raw["type"]],
                                  _text(raw.get("name")) or _text(raw.get("id"), f"policy-{i}"))
        if document is None:
            continue
        targets = raw.get("targets") or []
        if not isinstance(targets, list):
            report.error(source, f"{at}.targets", f"expected a list, got a JSON {type(targets).__name__}",
                         skipped="organization policies")
            continue
        org.policies.append(OrgPolicy(
            id=_text(raw.get("id"), f"policy-{i}"), name=_text(raw.get("name")), type=raw["type"],
            document=document, targets=[str(t) for t in targets if isinstance(t, str | int)],
            aws_managed=raw.get("aws_managed") is True))
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
