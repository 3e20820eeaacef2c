"""manifest.json: what a collection run did, per account. Schema `trustgraph/manifest/v1`.

The file loader skips it by its schema prefix, so it can sit beside the account files. It never
holds credentials; the ExternalId (a shared value, not a secret, but still not ours to spread) is
recorded only as "used".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from trustgraph.sources.aws.iam_export import EntityCounts
from trustgraph.version import SCHEMAS

SCHEMA = SCHEMAS["manifest"]

AccountStatus = Literal["ok", "failed", "skipped"]
OrganizationStatus = Literal["ok", "partial", "failed"]
InventoryStatus = Literal["ok", "partial", "failed"]
IdentityCenterStatus = Literal["ok", "partial", "failed"]
CloudTrailStatus = Literal["ok", "partial", "failed"]


@dataclass
class InventoryRecord:
    """The account's inventory (resources running as roles): `ok` when every listing succeeded, `partial` when
    some failed (`problems` says which), `failed` when none could be written. `all_regions`: every enabled
    region was read (false with a narrower --regions, or when ec2:DescribeRegions failed)."""

    status: InventoryStatus
    file: str | None = None
    regions: int = 0
    all_regions: bool = False
    resources: int = 0
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class CloudTrailRecord:
    """The account's CloudTrail event history (`--cloudtrail-days`): `ok` when every enabled region was read to
    the end, `partial` when a region failed, some events were unreadable or not every enabled region was read
    (`problems` says which), `failed` when no region could be read. `regions`: per region read, its status,
    events, pages and file (`cloudtrail/<account>/<region>.jsonl.gz`)."""

    status: CloudTrailStatus
    events: int = 0
    all_regions: bool = False
    regions: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AccountRecord:
    account_id: str
    status: AccountStatus
    credentials: Literal["caller", "assumed-role"]
    name: str | None = None
    role_arn: str | None = None
    file: str | None = None
    stage: str | None = None
    """The call that failed: sts:AssumeRole or iam:GetAccountAuthorizationDetails."""
    reason_code: str | None = None
    reason: str | None = None
    aws_message: str | None = None
    counts: EntityCounts | None = None
    duration_seconds: float | None = None
    inventory: InventoryRecord | None = None
    cloudtrail: CloudTrailRecord | None = None
    # The exception behind a failure, for --debug only; never serialized.
    error: BaseException | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "error" and v is not None}
        if self.inventory is not None:
            data["inventory"] = self.inventory.to_json()
        if self.cloudtrail is not None:
            data["cloudtrail"] = self.cloudtrail.to_json()
        return data


@dataclass
class OrganizationRecord:
    status: OrganizationStatus
    id: str | None = None
    management_account_id: str | None = None
    file: str | None = None
    accounts: int = 0
    organizational_units: int = 0
    policies: int = 0
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class IdentityCenterRecord:
    """IAM Identity Center (identity-center.json): `ok` when everything was read (also when there is no instance:
    `instances` 0), `partial` when some reads failed (`problems` says which, e.g. an AccessDenied), `failed` when
    nothing could be read or written. `region`: where the instances were looked for."""

    status: IdentityCenterStatus
    region: str
    file: str | None = None
    instances: int = 0
    users: int = 0
    groups: int = 0
    group_memberships: int = 0
    permission_sets: int = 0
    account_assignments: int = 0
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Manifest:
    trustgraph_version: str
    started_at: str
    caller_arn: str
    caller_account_id: str
    mode: Literal["caller-account", "accounts", "organization"]
    output_dir: str
    finished_at: str | None = None
    role_name: str | None = None
    external_id_used: bool = False
    concurrency: int = 1
    accounts: list[AccountRecord] = field(default_factory=list)
    organization: OrganizationRecord | None = None
    identity_center: IdentityCenterRecord | None = None
    cloudtrail: dict[str, Any] | None = None
    """With --cloudtrail-days: the window every account and region was asked for (days, start, end, source)."""
    snapshot_written: bool = False

    @property
    def succeeded(self) -> list[AccountRecord]:
        return [a for a in self.accounts if a.status == "ok"]

    @property
    def failed(self) -> list[AccountRecord]:
        return [a for a in self.accounts if a.status == "failed"]

    @property
    def inventory_incomplete(self) -> list[AccountRecord]:
        """Accounts read whose inventory listings (some or all) failed."""
        return [a for a in self.succeeded if a.inventory is not None and a.inventory.status != "ok"]

    @property
    def cloudtrail_incomplete(self) -> list[AccountRecord]:
        """Accounts read whose CloudTrail event history (some regions or events) could not be read."""
        return [a for a in self.succeeded if a.cloudtrail is not None and a.cloudtrail.status != "ok"]

    @property
    def partial(self) -> bool:
        org_incomplete = self.organization is not None and self.organization.status != "ok"
        return bool(self.failed) or org_incomplete or bool(self.inventory_incomplete) or \
            self.identity_center_incomplete or bool(self.cloudtrail_incomplete)

    @property
    def identity_center_incomplete(self) -> bool:
        return self.identity_center is not None and self.identity_center.status != "ok"

    def to_json(self) -> dict[str, Any]:
        data = self._to_json()
        if self.identity_center is not None:  # only --org reads it: other manifests stay as they were
            data["identity_center"] = self.identity_center.to_json()
        if self.cloudtrail is not None:  # only --cloudtrail-days reads it
            data["cloudtrail"] = self.cloudtrail
            data["summary"]["cloudtrail_incomplete"] = len(self.cloudtrail_incomplete)
        return data

    def _to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "trustgraph_version": self.trustgraph_version,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "caller_arn": self.caller_arn,
            "caller_account_id": self.caller_account_id,
            "mode": self.mode,
            "role_name": self.role_name,
            "external_id_used": self.external_id_used,
            "concurrency": self.concurrency,
            "output_dir": self.output_dir,
            "snapshot_written": self.snapshot_written,
            "partial": self.partial,
            "summary": {
                "ok": len(self.succeeded),
                "failed": len(self.failed),
                "skipped": sum(1 for a in self.accounts if a.status == "skipped"),
                "inventory_incomplete": len(self.inventory_incomplete),
            },
            "accounts": [a.to_json() for a in self.accounts],
            "organization": self.organization.to_json() if self.organization else None,
        }
