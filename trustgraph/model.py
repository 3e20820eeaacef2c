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
    # The input listed the role's instance profiles (an authorization-details export always does): an empty
    # `instance_profiles` then means none holds it. False when the input does not say (get-role, list-roles, IaC).
    instance_profiles_known: bool = False
    # RoleLastUsed of an authorization-details export or get-role: when the role was last assumed, by anyone
    # (ISO 8601), and in which region. Says nothing about which caller: never per-edge use.
    last_used: str | None = None
    last_used_region: str | None = None

    @property
    def service_linked(self) -> bool:
        return self.path.startswith("/aws-service-role/")

    @property
    def iam_protected(self) -> bool:
        """IAM refuses writes on the role (its trust, its policies, its boundary): a service-linked role only its
        service changes (UnmodifiableEntity), and a role IAM Identity Center provisioned (path
        `/aws-reserved/sso.amazonaws.com/`) only Identity Center changes ("protected role"). docs/edges.md cites
        the pages."""
        return self.service_linked or self.path.startswith("/aws-reserved/sso.amazonaws.com/")


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


# The kinds of resource an inventory lists (kind → the service its ARNs name). Where a kind is not listed, an
# inventory says nothing about which resources of it exist (docs/edges.md: techniques on such kinds are decided
# as for accounts without inventory).
INVENTORY_KINDS = {
    "lambda-function": "lambda", "ec2-instance": "ec2", "ec2-instance-profile": "iam",
    "cloudformation-stack": "cloudformation", "codebuild-project": "codebuild", "ecs-task-definition": "ecs",
    "sagemaker-notebook": "sagemaker", "glue-dev-endpoint": "glue",
}


@dataclass(frozen=True, slots=True)
class ComputeResource:
    """A resource that runs code as a role: what "code already running as R" edges need to know.

    Read-only inventory from `collect` (list/describe calls per region). Whoever may change the code or the
    commands of such a resource gets code running as its role without any trust policy naming them.
    """

    arn: str
    # one of INVENTORY_KINDS (docs/inventory-schema.md lists them)
    kind: str
    account: str
    region: str
    role_arn: str
    name: str = ""


# -- IAM Identity Center (docs/identity-center-schema.md): the people behind AWSReservedSSO_* roles -----------


@dataclass(frozen=True, slots=True)
class IdentityCenterInstance:
    instance_arn: str
    identity_store_id: str
    owner_account_id: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class ExternalId:
    """A user's or group's id in the external identity provider (SCIM); `issuer` is "" when the input gave a
    bare string."""

    issuer: str
    id: str


@dataclass(frozen=True, slots=True)
class IdentityCenterUser:
    identity_store_id: str
    user_id: str
    user_name: str
    display_name: str = ""
    emails: tuple[str, ...] = ()
    external_ids: tuple[ExternalId, ...] = ()


@dataclass(frozen=True, slots=True)
class IdentityCenterGroup:
    identity_store_id: str
    group_id: str
    display_name: str = ""
    external_ids: tuple[ExternalId, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupMembership:
    identity_store_id: str
    group_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class CustomerManagedPolicyRef:
    """A customer managed policy by name and path: each account the permission set is provisioned to must hold
    a policy of that name, and the role gets that account's."""

    name: str
    path: str = "/"


@dataclass(frozen=True, slots=True)
class PermissionsBoundaryRef:
    """A permission set's boundary: an AWS or customer managed policy ARN, or a customer managed policy by name
    and path (resolved in each account, like `CustomerManagedPolicyRef`). Exactly one is set."""

    managed_policy_arn: str | None = None
    customer_managed_policy: CustomerManagedPolicyRef | None = None


@dataclass(frozen=True, slots=True)
class PermissionSet:
    instance_arn: str
    permission_set_arn: str
    name: str
    session_duration: str | None = None  # ISO 8601 duration, e.g. PT1H
    managed_policies: tuple[str, ...] = ()
    customer_managed_policies: tuple[CustomerManagedPolicyRef, ...] = ()
    inline_policy: PolicyDocument | None = None
    # The permission set has an inline policy that could not be read: what it grants is unknown.
    inline_policy_unreadable: bool = False
    permissions_boundary: PermissionsBoundaryRef | None = None


@dataclass(frozen=True, slots=True)
class AccountAssignment:
    instance_arn: str
    account_id: str
    permission_set_arn: str
    principal_type: str  # USER | GROUP
    principal_id: str


@dataclass(frozen=True, slots=True)
class IdentityCenter:
    """Who the people are: Identity Center users and groups, permission sets and which principal has which
    permission set in which account. Each permission set provisioned to an account is a role there named
    AWSReservedSSO_<name>_<suffix>."""

    instances: tuple[IdentityCenterInstance, ...] = ()
    users: tuple[IdentityCenterUser, ...] = ()
    groups: tuple[IdentityCenterGroup, ...] = ()
    group_memberships: tuple[GroupMembership, ...] = ()
    permission_sets: tuple[PermissionSet, ...] = ()
    account_assignments: tuple[AccountAssignment, ...] = ()
    delegated_admin_account_id: str | None = None
    # False when some of it could not be read or was skipped: `missing` says what, one sentence each. Then a
    # person without an assignment here may still have one.
    complete: bool = True
    missing: tuple[str, ...] = ()


# -- Observed use (docs/usage.md): role assumptions CloudTrail recorded, aggregated per caller, role and outcome ---


@dataclass(frozen=True, slots=True)
class UseEvidence:
    """One recorded event standing for an observation (the latest seen): where to find it and what it says."""

    event_time: str
    event_id: str
    source_ip: str = ""
    user_agent: str = ""
    recipient_account: str = ""
    source: str = ""  # file and line or record index
    session: str = ""  # the caller's session ARN (assumed-role or federated-user), when it was one


@dataclass(slots=True)
class Observation:
    """The calls of one caller to one role with one outcome, as CloudTrail recorded them.

    `caller` is what the event names: an IAM role or user ARN (an assumed-role session is its role), an account
    root ARN, a SAML or OIDC provider ARN, a web identity host, a service name; `caller_id` the unique id (AROA…,
    AIDA…) when the event gave only that (the role owner's copy of a cross-account call). `error` is "" for a
    successful call, else the event's errorCode."""

    caller: str
    caller_type: str  # userIdentity.type
    target: str  # requestParameters.roleArn
    action: str  # AssumeRole | AssumeRoleWithSAML | AssumeRoleWithWebIdentity
    error: str
    first: str
    last: str
    count: int
    evidence: UseEvidence
    caller_id: str = ""
    caller_account: str = ""
    subjects: tuple[str, ...] = ()  # SAML / web identity subjects seen (the first few)
    # (copy, day, calls): where the records were delivered (a trail's prefix and the recipient account) and how many
    # calls each day. Two records of one call (a cross-account call logged in both accounts) are in two copies:
    # per day the largest copy counts (`count` here; graph/usage.py again across the observations of one caller).
    days: tuple[tuple[str, str, int], ...] = ()


@dataclass(slots=True)
class Usage:
    """What CloudTrail inputs say: the observations, and what they cover (account → first and last event time
    of any event recorded in that account), so that "not seen" is told apart from "not looked at"."""

    observations: list[Observation] = field(default_factory=list)
    coverage: dict[str, tuple[str, str]] = field(default_factory=dict)
    events: int = 0
    files: int = 0


@dataclass(frozen=True, slots=True)
class IacOrigin:
    """Where a Terraform plan or CloudFormation template declares a principal, so that a code-scanning result can
    point at the line a pull request changes (`sources/iac_locations.py`) rather than at the plan or template."""

    kind: str  # "terraform" | "cloudformation"
    source: str  # the plan or template file read
    # Terraform: the resource as its module's configuration names it (`aws_iam_role.deploy`: no module prefix, no
    # instance key); CloudFormation: the logical id.
    resource: str
    # Terraform: the module's directory relative to the plan's ("" for the root module); None when the module is
    # not a local directory (a registry or Git source) or for CloudFormation.
    module_dir: str | None = None


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
    # IAM Identity Center's users, groups, permission sets and assignments, when an input held them. Stored in
    # saved graphs only when present (`trustgraph.saved.codec.OPTIONAL_PART`).
    identity_center: IdentityCenter | None = field(default=None, metadata={"optional_part": True})
    # Role assumptions CloudTrail recorded (docs/usage.md), when an input held CloudTrail events.
    usage: Usage | None = field(default=None, metadata={"optional_part": True})
    # Principal ARN → where a plan or template declares it (IacOrigin), for the principals a planned source holds.
    iac_origins: dict[str, IacOrigin] | None = field(default=None, metadata={"optional_part": True})

    def account_name(self, account: str) -> str:
        if account in self.account_names:
            return self.account_names[account]
        if self.organization and account in self.organization.accounts:
            return self.organization.accounts[account].name
        return ""

    @property
    def accounts(self) -> set[str]:
        return {r.account for r in self.roles.values()} | {u.account for u in self.users.values()}
