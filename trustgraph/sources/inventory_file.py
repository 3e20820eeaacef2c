"""Read inventory files (schema trustgraph/inventory/v1, see docs/inventory-schema.md): resources running as
roles, and whether the account's listing was complete."""

from __future__ import annotations

from typing import Any, cast

from trustgraph.arns import ACCOUNT_ID, parse_arn
from trustgraph.model import INVENTORY_KINDS, ComputeResource
from trustgraph.sources.snapshot_builder import SnapshotBuilder
from trustgraph.version import SCHEMAS

SCHEMA = SCHEMAS["inventory"]
SCHEMA_FAMILY = SCHEMA.rsplit("/", 1)[0] + "/"
# The kinds the "code already running as role R" edges consume; an entry of another kind is not read.
# kind → the service its ARNs name.
KINDS = INVENTORY_KINDS
SKIPPED = "inventory entries"


def looks_like_inventory(value: dict[str, Any]) -> bool:
    return str(value.get("schema", "")).startswith(SCHEMA_FAMILY)


def _resource(raw: Any, account: str) -> ComputeResource | str:
    """The entry as a ComputeResource, or why it cannot be read."""
    if not isinstance(raw, dict):
        return f"entry is a JSON {type(raw).__name__}, not an object"
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        return f"unknown kind {kind!r} (expected one of {', '.join(sorted(KINDS))})"
    arn = raw.get("arn")
    parsed = parse_arn(arn) if isinstance(arn, str) else None
    if parsed is None:
        return f"arn {arn!r} is not an ARN"
    if parsed.account != account:
        return f"arn {arn} is not in account {account}"
    if parsed.service != KINDS[kind]:
        return f"kind {kind} needs an arn of service {KINDS[kind]}, got {arn}"
    role = raw.get("role_arn")
    role_parsed = parse_arn(role) if isinstance(role, str) else None
    if (role_parsed is None or role_parsed.service != "iam" or not ACCOUNT_ID.match(role_parsed.account)
            or not role_parsed.resource.startswith("role/")):
        return f"role_arn {role!r} is not an IAM role ARN"
    region, name = raw.get("region", ""), raw.get("name", "")
    if not isinstance(region, str) or not isinstance(name, str):
        return "region and name must be strings"
    # parse_arn gave results for both, so both are strings
    return ComputeResource(arn=cast(str, arn), kind=kind, account=account, region=region, role_arn=cast(str, role),
                           name=name)


def _incomplete_because(value: dict[str, Any], skipped: int | None, source: str,
                        builder: SnapshotBuilder) -> str | None:
    """Why the file does not list every resource of its account (None: it does). The file's own `complete`
    is required, and checked against what the file shows: skipped entries, failed listings, regions not read."""
    reasons: list[str] = []
    if skipped is None:
        reasons.append("its resources are unreadable")
    elif skipped:
        reasons.append(f"{skipped} entr{'y' if skipped == 1 else 'ies'} could not be read")
    coverage = value.get("coverage", [])
    if not isinstance(coverage, list):
        builder.report.warning(source, "$.coverage", f"expected a list, got a JSON {type(coverage).__name__}")
        reasons.append("its coverage is unreadable")
        coverage = []
    failed = [c for c in coverage if not isinstance(c, dict) or c.get("status") not in ("ok", "not-offered")]
    if failed:
        what = ", ".join(f"{c.get('service')} in {c.get('region')}" if isinstance(c, dict) else "?" for c in failed[:5])
        reasons.append(f"{len(failed)} listing(s) failed: {what}" + ("…" if len(failed) > 5 else ""))
    regions, enabled = value.get("regions"), value.get("regions_enabled")
    if value.get("regions_problem"):
        reasons.append(f"the enabled regions are unknown: {value['regions_problem']}")
    if enabled is not None:
        if not isinstance(enabled, list) or not isinstance(regions, list):
            reasons.append("its regions are unreadable")
        else:
            missing = sorted({str(r) for r in enabled} - {str(r) for r in regions})
            if missing:
                reasons.append(f"regions not read: {', '.join(missing[:5])}" + ("…" if len(missing) > 5 else ""))
    if not reasons and value.get("complete") is not True:
        reasons.append("the file does not say it is complete")
    return "; ".join(reasons) or None


def read_inventory(value: dict[str, Any], builder: SnapshotBuilder, source: str) -> None:
    report = builder.report
    if value.get("schema") != SCHEMA:
        report.error(source, "$.schema", f"unsupported inventory schema {value.get('schema')!r} (this version reads "
                     f"{SCHEMA})", skipped="inventory files")
        return
    account = value.get("account_id")
    if not isinstance(account, str) or not ACCOUNT_ID.match(account):
        report.error(source, "$.account_id", f"account_id {account!r} is not a 12-digit account id",
                     skipped="inventory files")
        return
    entries = value.get("resources")
    if not isinstance(entries, list):
        report.error(source, "$.resources", f"expected a list, got a JSON {type(entries).__name__}",
                     skipped=SKIPPED)
        entries, unreadable = [], True
    else:
        unreadable = False
    skipped = 0
    resources: dict[tuple[str, str], ComputeResource] = {}
    for i, raw in enumerate(entries):
        found = _resource(raw, account)
        if isinstance(found, str):
            report.error(source, f"$.resources[{i}]", found, skipped=SKIPPED)
            skipped += 1
            continue
        resources[(found.kind, found.arn)] = found  # the same resource twice in one file: the later entry
    incomplete = _incomplete_because(value, None if unreadable else skipped, source, builder)
    builder.inventory(account, source, list(resources.values()), incomplete)
