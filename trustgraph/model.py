"""The normalized snapshot: what the sources read, in typed form, before any evaluation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# `progress(done, total)`: how long-running core functions report how far they are. The core stays free of
# I/O; the CLI decides whether and how to show it.
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Condition:
    """One (operator, key) pair of a Condition block; its values are ORed."""

    operator: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    # (type, value) pairs as written: type is AWS / Service / Federated / CanonicalUser, or "*" for a
    # bare `"Principal": "*"`.
    principals: tuple[tuple[str, str], ...] | None = None
    not_principals: tuple[tuple[str, str], ...] | None = None
    conditions: tuple[Condition, ...] = ()

    @property
    def label(self) -> str:
        return f"#{self.index}" + (f" ({self.sid})" if self.sid else "")


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    version: str | None
    statements: tuple[Statement, ...]
    # Why statements of the document were skipped (invalid JSON shapes): what was read is not all there was.
    skipped: tuple[str, ...] = ()

    @property
    def supports_variables(self) -> bool:
        # Policy variables exist only in the 2012-10-17 grammar (SEMANTICS §6.4).
        return self.version == "2012-10-17"


@dataclass(frozen=True, slots=True)
class InlinePolicy:
    name: str
    document: PolicyDocument


@dataclass(slots=True)
class ManagedPolicy:
    arn: str
    name: str
    document: PolicyDocument | None  # the default version


@dataclass(slots=True)
class Group:
    arn: str
    name: str
    account: str
    inline_policies: list[InlinePolicy] = field(default_factory=list)
    attached_policy_arns: list[str] = field(default_factory=list)


@dataclass(slots=True)
class User:
    arn: str
    name: str
    account: str
    unique_id: str | None = None
    path: str = "/"
    inline_policies: list[InlinePolicy] = field(default_factory=list)
    attached_policy_arns: list[str] = field(default_factory=list)
    group_names: list[str] = field(default_factory=list)
    boundary_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Role:
    arn: str
    name: str
    account: str
    unique_id: str | None = None
    path: str = "/"
    trust: PolicyDocument | None = None
    inline_policies: list[InlinePolicy] = field(default_factory=list)
    attached_policy_arns: list[str] = field(default_factory=list)
    boundary_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    source: str = ""
    # Roles read from list-roles/get-role/bare trust files carry no permission policies.
    has_identity_data: bool = True
    # ARNs of the instance profiles holding the role (an export's InstanceProfileList): EC2 can run as it.
    instance_profiles: list[str] = field(default_factory=list)

    @property
    def service_linked(self) -> bool:
        return self.path.startswith("/aws-service-role/")


@dataclass(slots=True)
class OrgAccount:
    id: str
    name: str = ""
    email: str = ""
    status: str = "ACTIVE"
    parent_id: str | None = None
    ou_path: str = ""


@dataclass(slots=True)
class OrgPolicy:
    id: str
    name: str
    type: str  # SERVICE_CONTROL_POLICY | RESOURCE_CONTROL_POLICY
    document: PolicyDocument
    targets: list[str] = field(default_factory=list)
    aws_managed: bool = False


@dataclass(slots=True)
class OrgUnit:
    id: str
    name: str
    parent_id: str | None


@dataclass(slots=True)
class Organization:
    id: str
    management_account_id: str | None
    roots: list[OrgUnit] = field(default_factory=list)
    units: list[OrgUnit] = field(default_factory=list)
    accounts: dict[str, OrgAccount] = field(default_factory=dict)
    policies: list[OrgPolicy] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ComputeResource:
    """A resource that runs code as a role: what "code already running as R" edges need to know.

    Read-only inventory from `collect` (list/describe calls per region). Whoever may change the code or the
    commands of such a resource gets code running as its role without any trust policy naming them.
    """

    arn: str
    # lambda-function | ec2-instance | cloudformation-stack | codebuild-project | ecs-task-definition |
    # sagemaker-notebook | glue-dev-endpoint … (docs/edges.md lists them)
    kind: str
    account: str
    region: str
    role_arn: str
    name: str = ""


@dataclass(slots=True)
class Snapshot:
    users: dict[str, User] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    groups: dict[tuple[str, str], Group] = field(default_factory=dict)  # (account, group name)
    managed_policies: dict[str, ManagedPolicy] = field(default_factory=dict)
    # Accounts whose identity side (users, groups, role policies) was read in full.
    collected_accounts: set[str] = field(default_factory=set)
    account_names: dict[str, str] = field(default_factory=dict)
    organization: Organization | None = None
    # When the data was collected (ISO 8601, UTC), from the manifest `trustgraph collect` writes; None when no
    # input says. Time conditions (aws:CurrentTime …) are decided as of this moment, else as of the build.
    collected_at: str | None = None
    # What the data is known to lack, one sentence each: truncated exports, accounts a collection failed to read,
    # partial organization data, skipped files, statements and policies. Empty when nothing is known missing.
    gaps: list[str] = field(default_factory=list)
    # Resources running as roles (see ComputeResource), and the accounts whose inventory was collected: for
    # those, a role with no resource listed has none; elsewhere whether one exists is unknown.
    resources: list[ComputeResource] = field(default_factory=list)
    inventory_accounts: set[str] = field(default_factory=set)

    def account_name(self, account: str) -> str:
        if account in self.account_names:
            return self.account_names[account]
        if self.organization and account in self.organization.accounts:
            return self.organization.accounts[account].name
        return ""

    @property
    def accounts(self) -> set[str]:
        return {r.account for r in self.roles.values()} | {u.account for u in self.users.values()}
