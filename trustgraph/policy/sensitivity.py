"""Which roles are sensitive: admin-equivalent permissions, a `trustgraph:sensitive` tag, or a user pattern.

Admin-equivalent means an Allow in the role's own identity policies (inline and attached managed) of
- every action on every resource;
- an IAM action that lets the holder grant itself more (privilege escalation: attach/put a policy, a new
  policy version, credentials for another user, rewrite a trust, remove a boundary) on any resource of its
  kind, or on the role itself / the customer-managed policies attached to it (a Resource pattern such as
  `policy/team-*` that covers the role's own policy still escalates);
- iam:PassRole together with a service that runs code as the passed role (Lambda, EC2, CloudFormation,
  CodeBuild, Glue, SageMaker notebooks, training and processing jobs, ECS, Data Pipeline);
- an action that runs code as a role something already uses, without PassRole: new code for an existing
  Lambda function, an SSM command or session on an instance, an EC2 Instance Connect key, a Glue development
  endpoint's key, an update of a CloudFormation stack, a CodeBuild project, a SageMaker notebook's URL.
A statement counts only if its conditions can hold for a session of the role at the data time (a
DateLessThan aws:TokenIssueTime in the past never does); one whose conditions the data cannot settle counts
and says "(with conditions)". An explicit Deny that applies to the same action and resource, or a
permissions boundary that does not allow it, cancels that reason. The tag `trustgraph:sensitive=false`
opts a role out of the automatic detection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from trustgraph.model import Condition, Group, PolicyDocument, Role, Snapshot, Statement, User
from trustgraph.policy.caller import Caller, RequestFacts
from trustgraph.policy.conditions import Tri, evaluate_conditions
from trustgraph.policy.facts import UNKNOWN, KeyValue
from trustgraph.policy.globs import glob_match
from trustgraph.policy.passrole import PERMISSIVE_VERSION_KEY
from trustgraph.policy.regions import requested_region
from trustgraph.policy.statements import covers_action, covers_resource
from trustgraph.policy.trust import MISSING_POLICY_KEY

SENSITIVE_TAG = "trustgraph:sensitive"
# AWS-managed policies that are admin-equivalent by name, used when their document is not in the data.
ADMIN_POLICY_NAMES = {"AdministratorAccess": "full administrator", "IAMFullAccess": "every IAM action"}
# Samples of unrelated services: a statement that allows all of them on "*" allows every action.
_EVERY_SERVICE_PROBES = ("iam:CreateUser", "s3:GetObject", "ec2:RunInstances", "kms:Decrypt",
                         "organizations:LeaveOrganization", "sts:AssumeRole")
# IAM actions that let a principal raise its own privileges, with the resource kind they act on.
ESCALATION_ACTIONS: dict[str, str] = {
    "iam:CreatePolicyVersion": "policy",
    "iam:SetDefaultPolicyVersion": "policy",
    "iam:AttachRolePolicy": "role",
    "iam:PutRolePolicy": "role",
    "iam:UpdateAssumeRolePolicy": "role",
    "iam:DeleteRolePermissionsBoundary": "role",
    "iam:PutRolePermissionsBoundary": "role",
    "iam:AttachUserPolicy": "user",
    "iam:PutUserPolicy": "user",
    "iam:CreateAccessKey": "user",
    "iam:CreateLoginProfile": "user",
    "iam:UpdateLoginProfile": "user",
    "iam:AddUserToGroup": "group",
    "iam:DeleteUserPermissionsBoundary": "user",
    "iam:PutUserPermissionsBoundary": "user",
    "iam:AttachGroupPolicy": "group",
    "iam:PutGroupPolicy": "group",
}
# Services that run code as a passed role (SEMANTICS §7.4): PassRole on any role plus one of these.
PASSROLE_RUNNERS = ("lambda:CreateFunction", "ec2:RunInstances", "cloudformation:CreateStack",
                    "codebuild:CreateProject", "glue:CreateDevEndpoint", "glue:CreateJob",
                    "sagemaker:CreateNotebookInstance", "sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob",
                    "ecs:RegisterTaskDefinition", "datapipeline:CreatePipeline")
# Actions that run code as a role an existing resource already uses, no PassRole needed (SEMANTICS §7.4
# "related edges without PassRole"): every action of a tuple is needed, on any resource.
RUN_AS_EXISTING: tuple[tuple[tuple[str, ...], str], ...] = (
    (("lambda:UpdateFunctionCode",), "the role of any existing Lambda function"),
    (("ssm:SendCommand",), "the instance profile role of any managed EC2 instance"),
    (("ssm:StartSession",), "the instance profile role of any managed EC2 instance"),
    (("ec2-instance-connect:SendSSHPublicKey",), "the instance profile role of any EC2 instance it can reach"),
    (("glue:UpdateDevEndpoint",), "the role of any existing Glue development endpoint"),
    (("cloudformation:UpdateStack",), "the service role of any existing CloudFormation stack"),
    (("codebuild:UpdateProject", "codebuild:StartBuild"), "the service role of any existing CodeBuild project"),
    (("sagemaker:CreatePresignedNotebookInstanceUrl",), "the role of any existing SageMaker notebook instance"),
)


@dataclass(slots=True)
class Sensitivity:
    role: str
    reasons: list[str] = field(default_factory=list)
    admin_equivalent: bool = False

    @property
    def summary(self) -> str:
        return "; ".join(self.reasons)

    @property
    def label(self) -> str:
        """Short form for messages: "admin-equivalent, tagged sensitive"."""
        parts = []
        if self.admin_equivalent:
            parts.append("admin-equivalent")
        if any(r.startswith("tagged ") for r in self.reasons):
            parts.append("tagged sensitive")
        if any(r.startswith("matches --sensitive") for r in self.reasons):
            parts.append("matches --sensitive")
        return ", ".join(parts) or "sensitive"


@dataclass(frozen=True, slots=True)
class _Sourced:
    statement: Statement
    source: str


# id(statement) → (statement, relevant): statements of a managed policy are shared by every role it is attached
# to, so each is judged once (the statement is kept to tell a reused id apart).
_RELEVANT: dict[int, tuple[Statement, bool]] = {}


def _relevant(statement: Statement) -> bool:
    """Does the statement concern any action admin-equivalence is judged on? Actions that escalate on any
    resource, or the every-service probes on every resource (NotResource included)."""
    entry = _RELEVANT.get(id(statement))
    if entry is not None and entry[0] is statement:
        return entry[1]
    escalating = (*ESCALATION_ACTIONS, "iam:PassRole", *PASSROLE_RUNNERS,
                  *(a for group, _ in RUN_AS_EXISTING for a in group))
    found = any(covers_action(statement, a) for a in escalating) or (
        (statement.resources is None or "*" in statement.resources)
        and any(covers_action(statement, a) for a in _EVERY_SERVICE_PROBES))
    _RELEVANT[id(statement)] = (statement, found)
    return found


def _statements(principal: Role | User, snapshot: Snapshot) -> tuple[list[_Sourced], list[str]]:
    found: list[_Sourced] = []
    missing: list[str] = []

    def add(doc: PolicyDocument | None, source: str) -> None:
        if doc is not None:
            found.extend(_Sourced(s, source) for s in doc.statements if _relevant(s))

    def managed(arns: list[str], prefix: str) -> None:
        for arn in arns:
            policy = snapshot.managed_policies.get(arn)
            if policy is None:
                missing.append(arn)
            else:
                add(policy.document, f"{prefix}managed policy {policy.name}")

    for inline in principal.inline_policies:
        add(inline.document, f"inline policy {inline.name}")
    managed(principal.attached_policy_arns, "")
    for group in _groups(principal, snapshot):
        for inline in group.inline_policies:
            add(inline.document, f"group {group.name}: inline policy {inline.name}")
        managed(group.attached_policy_arns, f"group {group.name}: ")
    return found, missing


def _groups(principal: Role | User, snapshot: Snapshot) -> list[Group]:
    if not isinstance(principal, User):
        return []
    return [g for name in principal.group_names if (g := snapshot.groups.get((principal.account, name))) is not None]


def _probe_arn(role: Role | User, kind: str) -> str:
    partition = role.arn.split(":", 2)[1] if role.arn.count(":") >= 2 else "aws"
    return f"arn:{partition}:iam::{role.account}:{kind}/trustgraph-probe-any-{kind}"


def _targets(principal: Role | User, kind: str, snapshot: Snapshot) -> list[str]:
    """Resources an escalation action of this kind can be used on to escalate: any of its kind, the principal
    itself (a role's role actions, a user's user actions), its own groups and the customer-managed policies
    attached to it or to them."""
    targets = [_probe_arn(principal, kind)]
    groups = _groups(principal, snapshot)
    if kind == ("role" if isinstance(principal, Role) else "user"):
        if not (isinstance(principal, Role) and principal.iam_protected):  # IAM refuses writes on it
            targets.append(principal.arn)
    elif kind == "group":
        targets.extend(g.arn for g in groups)
    elif kind == "policy":
        attached = [*principal.attached_policy_arns, *(a for g in groups for a in g.attached_policy_arns)]
        targets.extend(a for a in dict.fromkeys(attached) if ":iam::aws:policy/" not in a)
    return targets


class _Session:
    """The request context of a session of the role (or of the user) calling some API: its own facts and the data
    time; the target resource's tags are not known."""

    def __init__(self, principal: Role | User, data_time: float | None) -> None:
        user = isinstance(principal, User)
        self.partition = principal.arn.split(":", 2)[1] if principal.arn.count(":") >= 2 else "aws"
        caller = Caller("user" if user else "role", principal.arn, account=principal.account, arn=principal.arn,
                        unique_id=principal.unique_id, username=principal.name if user else None,
                        tags=principal.tags, concrete=True, partition=self.partition)
        # The resource side of the request is unknown (UNKNOWN below); the stand-in only carries an account.
        self.facts = RequestFacts(caller, Role(principal.arn, principal.name, principal.account), now=data_time)

    def calling(self, action: str) -> _Call:
        """The context of a call of `action`: the session's, and the region the action settles (IAM's)."""
        return _Call(self, requested_region(action, self.partition))

    def value(self, key: str) -> KeyValue:
        if key.startswith(("aws:resourcetag/", "iam:resourcetag/")) or key == "aws:resourceaccount":
            return UNKNOWN
        return self.facts.value(key)


class _Call:
    __slots__ = ("region", "session")

    def __init__(self, session: _Session, region: str | None) -> None:
        self.session = session
        self.region = region

    def value(self, key: str) -> KeyValue:
        if key == "aws:requestedregion" and self.region is not None:
            return (self.region,)
        return self.session.value(key)


@dataclass(frozen=True, slots=True)
class _Grant:
    """An Allow of an action that no Deny or boundary takes away: where it comes from, and the caller-side
    conditions (of the Allow, of a Deny that may apply, of the boundary) it holds under."""

    source: str
    conditions: tuple[Condition, ...] = ()


def _outcome(statement: Statement, facts: _Call) -> tuple[Tri, tuple[Condition, ...]]:
    found = evaluate_conditions(statement.conditions, facts, True)
    return found.state, found.unresolved


def _grant_on(statements: list[_Sourced], denies: list[_Sourced], boundary: list[_Sourced] | None,
              action: str, resource: str, call: _Call) -> _Grant | None:
    unresolved: list[Condition] = []
    for d in denies:
        if not covers_action(d.statement, action) or covers_resource(d.statement, resource) is False:
            continue
        state, keys = _outcome(d.statement, call)
        if state is Tri.TRUE:
            return None
        if state is Tri.UNKNOWN:
            unresolved.extend(keys)  # a Deny that applies if these hold
    if boundary is not None:
        bounds = [_outcome(b.statement, call) for b in boundary
                  if covers_action(b.statement, action) and covers_resource(b.statement, resource) is not False]
        held = [keys for state, keys in bounds if state is not Tri.FALSE]
        if not held:
            return None
        if not any(state is not Tri.UNKNOWN for state, _ in bounds if state is not Tri.FALSE):
            unresolved.extend(held[0])
    best: _Grant | None = None
    for s in statements:
        if not covers_action(s.statement, action) or covers_resource(s.statement, resource) is False:
            continue
        state, keys = _outcome(s.statement, call)
        if state is Tri.FALSE:
            continue
        conditions = tuple(dict.fromkeys((*keys, *unresolved)))
        grant = _Grant(s.source + (" (with conditions)" if conditions else ""), conditions)
        if not conditions:
            return grant
        best = best or grant
    return best


def _grant(statements: list[_Sourced], denies: list[_Sourced], boundary: list[_Sourced] | None,
           action: str, resources: list[str], facts: _Session) -> _Grant | None:
    """The Allow for `action` on one of `resources` (an unconditional one first), unless a Deny or the boundary
    takes it away; an Allow whose conditions can never hold for a session of the principal is no Allow."""
    call = facts.calling(action)
    best: _Grant | None = None
    for resource in resources:
        grant = _grant_on(statements, denies, boundary, action, resource, call)
        if grant is not None and not grant.conditions:
            return grant
        best = best or grant
    return best


def _allowed(statements: list[_Sourced], denies: list[_Sourced], boundary: list[_Sourced] | None,
             action: str, resources: list[str], facts: _Session) -> str | None:
    """The source of _grant, "(with conditions)" when it holds only under some."""
    grant = _grant(statements, denies, boundary, action, resources, facts)
    return None if grant is None else grant.source


def _context(principal: Role | User, statements: list[_Sourced], snapshot: Snapshot, data_time: float | None
             ) -> tuple[list[_Sourced], list[_Sourced], list[_Sourced] | None, _Session]:
    """(allows, denies, boundary allows or None, request facts) to judge a principal's statements with."""
    allows = [s for s in statements if s.statement.effect == "Allow"]
    denies = [s for s in statements if s.statement.effect == "Deny"]
    boundary: list[_Sourced] | None = None
    if principal.boundary_arn:
        policy = snapshot.managed_policies.get(principal.boundary_arn)
        if policy is not None and policy.document is not None:
            boundary = [_Sourced(s, "boundary") for s in policy.document.statements if s.effect == "Allow"]
    return allows, denies, boundary, _Session(principal, data_time)


# Policy writes on the principal itself (its own role or user, its groups, the customer-managed policies attached
# to them): whoever may make them can grant itself every permission, i.e. take over its account.
SELF_WRITES = ("iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:AttachUserPolicy", "iam:PutUserPolicy",
               "iam:AttachGroupPolicy", "iam:PutGroupPolicy", "iam:CreatePolicyVersion")


# What an administrator does through its account's admin node (graph/indirect.py): rewrite any role's trust and
# create credentials for any user. A principal takes its account over only if its permissions boundary (if any)
# lets it call these on every role and user: effective permissions are the identity policies ∩ the boundary
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
TAKEOVER_ACTIONS = (("iam:UpdateAssumeRolePolicy", "role"), ("iam:CreateAccessKey", "user"))
# The IAM write whose grant stands for "every action" when an administrator's takeover is judged: what it does
# next are IAM calls, so conditions of its other grants (aws:RequestedRegion of an S3 call) do not apply.
_IAM_PROBE = _EVERY_SERVICE_PROBES[0]


@dataclass(frozen=True, slots=True)
class Takeover:
    """Why a principal can take its account over, and the caller-side conditions of every grant that uses
    (operator, key, values as written; those the data settles are left out)."""

    reason: str
    conditions: tuple[Condition, ...] = ()


SET_DEFAULT_VERSION = "iam:SetDefaultPolicyVersion"


def takeover(principal: Role | User, snapshot: Snapshot, memo: dict[tuple[object, ...], list[str]] | None = None,
             data_time: float | None = None) -> Takeover | None:
    """Can the principal get every permission of its account: every action on every resource, an administrator
    policy attached, a policy write on itself (SELF_WRITES) that its boundary lets grant the takeover actions, or
    the removal or replacement of its own boundary where its identity policies without it make it an administrator
    (BOUNDARY_WRITES)? Other escalations (rewriting another role's trust, credentials for other users, PassRole,
    code running as another role) reach particular roles and users, not the whole account."""
    return _takeover(principal, snapshot, memo, data_time, rewrite_boundary=True)


def _takeover(principal: Role | User, snapshot: Snapshot, memo: dict[tuple[object, ...], list[str]] | None,
              data_time: float | None, rewrite_boundary: bool) -> Takeover | None:
    if isinstance(principal, Role) and not principal.has_identity_data:
        return None
    statements, missing = _statements(principal, snapshot)
    writes = (*SELF_WRITES, SET_DEFAULT_VERSION, "iam:CreateUser",
              *(a for pair in BOUNDARY_WRITES.values() for a in pair))
    if not any(ADMIN_POLICY_NAMES.get(a.rsplit("/", 1)[-1]) for a in missing) and not any(
            s.statement.effect == "Allow" and any(covers_action(s.statement, a) for a in writes) for s in statements):
        return None  # neither every action (iam:CreateUser is one of the probes) nor a policy write: no takeover
    reasons = admin_reasons(principal, snapshot, memo, data_time)
    full = _administrator(reasons)
    if not full and not any(r.startswith("admin-equivalent: privilege escalation") for r in reasons):
        return None
    allows, denies, boundary, facts = _context(principal, statements, snapshot, data_time)
    unknown_boundary = _unknown_boundary(principal, snapshot)
    if full:
        if any("(with conditions)" not in r for r in full):
            return Takeover("; ".join(full), unknown_boundary)
        grant = _grant(allows, denies, boundary, _IAM_PROBE, ["*"], facts)
        return Takeover("; ".join(full), (*(grant.conditions if grant else ()), *unknown_boundary))
    found: list[tuple[str, _Grant]] = []
    for action in (*SELF_WRITES, SET_DEFAULT_VERSION):
        own = _targets(principal, ESCALATION_ACTIONS[action], snapshot)[1:]  # without "any of its kind"
        grant = _grant(allows, denies, boundary, action, own, facts) if own else None
        if grant is not None and action == SET_DEFAULT_VERSION:
            # Only a non-default version that grants more makes it a takeover; the snapshot keeps the default one.
            grant = _Grant(grant.source, (*grant.conditions, Condition(
                "Unknown", PERMISSIVE_VERSION_KEY, ("a non-default version of an attached policy grants more",))))
        if grant is not None:
            found.append((action, grant))
    bounded = _boundary_admits(boundary, principal, facts)
    if not found or bounded is None:
        # No self-write, or the boundary caps what one can give it below the takeover: unless it may lift the cap.
        return _boundary_rewrite(principal, snapshot, memo, data_time, (allows, denies, boundary, facts)) \
            if rewrite_boundary else None
    action, grant = min(found, key=lambda f: len(f[1].conditions))  # an unconditional write first
    return Takeover(f"admin-equivalent: {action} on itself ({grant.source})",
                    tuple(dict.fromkeys((*grant.conditions, *bounded, *unknown_boundary))))


# Writes on a principal's own permissions boundary (role, user): removing it leaves the identity policies alone in
# force; replacing it puts in force the identity policies ∩ the new boundary, which the writer picks unless a
# condition on iam:PermissionsBoundary pins it
# (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUserPermissionsBoundary.html,
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutUserPermissionsBoundary.html).
BOUNDARY_WRITES: dict[str, tuple[str, str]] = {
    "role": ("iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"),
    "user": ("iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary"),
}
PERMISSIONS_BOUNDARY_KEY = "iam:permissionsboundary"
# The boundary a condition on iam:PermissionsBoundary requires is named by a pattern (or cannot be read): whether
# that boundary lets the principal take its account over is not settled.
REQUIRED_BOUNDARY_KEY = "trustgraph:RequiredBoundaryAllows"


def pinned_boundaries(conditions: Iterable[Condition]) -> tuple[tuple[Condition, ...], tuple[str, ...] | None]:
    """(the other conditions, the boundary ARNs a condition on iam:PermissionsBoundary names, or None when none
    does). The usual forms pin the boundary a new or rewritten principal must carry: an Allow with StringEquals /
    ArnEquals, or a Deny with StringNotEquals / ArnNotEquals; either way its values are the boundaries allowed
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PermissionsBoundary)."""
    rest: list[Condition] = []
    pins: list[str] = []
    found = False
    for c in conditions:
        if c.key.lower() == PERMISSIONS_BOUNDARY_KEY:
            found = True
            pins.extend(v for v in c.values if v not in pins)
        else:
            rest.append(c)
    return tuple(rest), (tuple(pins) if found else None)


def under_boundaries(principal: Role | User, pins: tuple[str, ...], snapshot: Snapshot,
                     data_time: float | None = None) -> tuple[Condition, ...] | None:
    """A principal given every permission, under one of the pinned boundaries: the conditions under which the best
    of them still lets it take its account over (None: none does). A pin that is a pattern leaves it conditional on
    REQUIRED_BOUNDARY_KEY; a boundary not in the data, on trustgraph:PolicyNotInData (made_administrator)."""
    best: tuple[Condition, ...] | None = None
    for pin in pins:
        if "*" in pin or "?" in pin or "$" in pin:
            found: tuple[Condition, ...] | None = (Condition("Unknown", REQUIRED_BOUNDARY_KEY, (pin,)),)
        else:
            found = made_administrator(_with_boundary(principal, pin), snapshot, data_time)
        if found is not None and (best is None or len(found) < len(best)):
            best = found
    return best


def _with_boundary(principal: Role | User, boundary: str | None) -> Role | User:
    return replace(principal, boundary_arn=boundary)


def _boundary_rewrite(principal: Role | User, snapshot: Snapshot, memo: dict[tuple[object, ...], list[str]] | None,
                      data_time: float | None,
                      context: tuple[list[_Sourced], list[_Sourced], list[_Sourced] | None, _Session]
                      ) -> Takeover | None:
    """A principal with a boundary that may delete it, or put another in its place, takes its account over when its
    identity policies under what is left in force do (the same takeover rule, once: no second rewrite)."""
    if not principal.boundary_arn:
        return None
    allows, denies, boundary, facts = context
    kind = "role" if isinstance(principal, Role) else "user"
    own = _targets(principal, kind, snapshot)[1:]  # itself, unless IAM refuses writes on it
    if not own:
        return None
    best: Takeover | None = None
    for action in BOUNDARY_WRITES[kind]:
        grant = _grant(allows, denies, boundary, action, own, facts)
        if grant is None:
            continue
        rest, pins = pinned_boundaries(grant.conditions)
        if action.startswith("iam:Delete") or pins is None:
            candidates: tuple[str | None, ...] = (None,)  # no boundary, or one the writer picks: every action
        else:
            candidates = pins
        for candidate in candidates:
            if candidate is not None and ("*" in candidate or "?" in candidate):
                inner = _takeover(_with_boundary(principal, None), snapshot, memo, data_time, rewrite_boundary=False)
                extra: tuple[Condition, ...] = (Condition("Unknown", REQUIRED_BOUNDARY_KEY, (candidate,)),)
            else:
                inner = _takeover(_with_boundary(principal, candidate), snapshot, memo, data_time,
                                  rewrite_boundary=False)
                extra = ()
            if inner is None:
                continue
            found = Takeover(f"admin-equivalent: {action} on itself ({grant.source}), after which it is "
                             f"{inner.reason.removeprefix('admin-equivalent: ')}",
                             tuple(dict.fromkeys((*rest, *extra, *inner.conditions))))
            if best is None or len(found.conditions) < len(best.conditions):
                best = found
    return best


def takeover_reasons(principal: Role | User, snapshot: Snapshot,
                     memo: dict[tuple[object, ...], list[str]] | None = None,
                     data_time: float | None = None) -> list[str]:
    """takeover's reason (empty: the principal cannot take its account over)."""
    found = takeover(principal, snapshot, memo, data_time)
    return [] if found is None else [found.reason]


def _unknown_boundary(principal: Role | User, snapshot: Snapshot) -> tuple[Condition, ...]:
    """A boundary that is not in the data may cap anything: the takeover depends on it."""
    policy = snapshot.managed_policies.get(principal.boundary_arn) if principal.boundary_arn else None
    if principal.boundary_arn and (policy is None or policy.document is None):
        return (Condition("Unknown", MISSING_POLICY_KEY, (principal.boundary_arn,)),)
    return ()


def _boundary_admits(boundary: list[_Sourced] | None, principal: Role | User,
                     facts: _Session) -> tuple[Condition, ...] | None:
    """The conditions under which the boundary allows the takeover actions on every role and user (None: it does
    not, so no policy the principal is given makes it an administrator)."""
    if boundary is None:
        return ()
    conditions: list[Condition] = []
    for action, kind in TAKEOVER_ACTIONS:
        grant = _grant(boundary, [], None, action, [_probe_arn(principal, kind)], facts)
        if grant is None:
            return None
        conditions.extend(grant.conditions)
    return tuple(dict.fromkeys(conditions))


def made_administrator(principal: Role | User, snapshot: Snapshot,
                       data_time: float | None = None) -> tuple[Condition, ...] | None:
    """A policy given to the principal makes it an administrator: under these conditions of its boundary (None: the
    boundary does not allow the takeover actions). Whether IAM lets the policy be written onto it (Role.iam_protected)
    is the writer's question: a new version of a policy attached to a protected role still changes it."""
    _, _, boundary, facts = _context(principal, [], snapshot, data_time)
    bounded = _boundary_admits(boundary, principal, facts)
    return None if bounded is None else (*bounded, *_unknown_boundary(principal, snapshot))


def _administrator(reasons: list[str]) -> list[str]:
    """The admin_reasons that make a principal an administrator as it is: every action, an administrator policy."""
    return [r for r in reasons if r.startswith("admin-equivalent: every action")
            or r.endswith(tuple(f"({d})" for d in ADMIN_POLICY_NAMES.values()))]


def administrator_reasons(principal: Role | User, snapshot: Snapshot,
                          memo: dict[tuple[object, ...], list[str]] | None = None,
                          data_time: float | None = None) -> list[str]:
    """The takeover_reasons that need no step first: the principal's own policies allow every action on every
    resource, or an administrator policy is attached. A principal that must first write a policy onto itself
    (the other takeover) is not an administrator yet: that write is its escalation."""
    if isinstance(principal, Role) and not principal.has_identity_data:
        return []
    return _administrator(admin_reasons(principal, snapshot, memo, data_time))


def admin_reasons(role: Role | User, snapshot: Snapshot, memo: dict[tuple[object, ...], list[str]] | None = None,
                  data_time: float | None = None) -> list[str]:
    """Why the role's (or the user's, groups included) own policies make it admin-equivalent (empty: they do not).

    `memo` shares the answer between roles with the same policies (a managed policy attached to thousands
    of roles is judged once); the role is part of the key only when a Resource or a condition could tell roles
    apart. `data_time`: conditions on the clock are decided as of then."""
    if isinstance(role, Role) and not role.has_identity_data:
        return []
    statements, missing = _statements(role, snapshot)
    if memo is not None:
        resources = [r for st in statements for r in (st.statement.resources or st.statement.not_resources or ())]
        # What can tell two roles with the same policies apart: their account (any specific Resource), the role
        # itself (a role Resource may name it; conditions read its ARN and tags), its own attached policies.
        own = "role" if isinstance(role, Role) else "user"
        role_targets = [st for st in statements
                        if any(covers_action(st.statement, a)
                               for a, kind in ESCALATION_ACTIONS.items() if kind in (own, "group"))]
        key = (role.account if any(r != "*" for r in resources) else None,
               role.arn if any(f":{own}/" in r or ":group/" in r for st in role_targets
                               for r in (st.statement.resources or ()))
               or any(st.statement.conditions for st in statements) else None,
               (tuple(role.attached_policy_arns), tuple(g.arn for g in _groups(role, snapshot)))
               if any(":policy/" in r for r in resources) else None, own,
               role.arn.split(":", 2)[1], tuple(statements), tuple(missing), role.boundary_arn, data_time)
        cached = memo.get(key)
        if cached is None:
            cached = memo[key] = admin_reasons(role, snapshot, data_time=data_time)
        return list(cached)
    allows, denies, boundary, facts = _context(role, statements, snapshot, data_time)
    reasons: list[str] = []
    for arn in missing:
        name = arn.rsplit("/", 1)[-1]
        if arn.startswith("arn:aws") and ":iam::aws:policy/" in arn and name in ADMIN_POLICY_NAMES:
            reasons.append(f"{name} attached ({ADMIN_POLICY_NAMES[name]})")
    everything = [_allowed(allows, denies, boundary, a, ["*"], facts) for a in _EVERY_SERVICE_PROBES]
    if all(everything):
        reasons.append(f"admin-equivalent: every action on every resource ({everything[0]})")
        return reasons
    escalations = []
    for action, kind in ESCALATION_ACTIONS.items():
        source = _allowed(allows, denies, boundary, action, _targets(role, kind, snapshot), facts)
        if source:
            escalations.append((action, source))
    passrole = _allowed(allows, denies, boundary, "iam:PassRole", [_probe_arn(role, "role")], facts)
    if passrole:
        runners = [a for a in PASSROLE_RUNNERS if _allowed(allows, denies, boundary, a, ["*"], facts)]
        if runners:
            escalations.append((f"iam:PassRole + {runners[0]}", passrole))
    if escalations:
        listed = ", ".join(a for a, _ in escalations[:4]) + ("…" if len(escalations) > 4 else "")
        reasons.append(f"admin-equivalent: privilege escalation through {listed} ({escalations[0][1]})")
    for actions, whose in RUN_AS_EXISTING:
        sources = [_allowed(allows, denies, boundary, a, ["*"], facts) for a in actions]
        if all(sources):
            reasons.append(f"admin-equivalent: runs code as {whose} through {' + '.join(actions)} ({sources[0]})")
    return reasons


def _tag_value(role: Role) -> str | None:
    for key, value in role.tags.items():
        if key.lower() == SENSITIVE_TAG:
            return value.strip().lower()
    return None


def matches_pattern(role: Role, pattern: str) -> bool:
    """ARN glob (`arn:aws:iam::*:role/admin/*`), or a role-name glob (`*Admin*`)."""
    if pattern.startswith("arn:"):
        return glob_match(pattern, role.arn)
    return glob_match(pattern, role.name)


def classify_role(role: Role, snapshot: Snapshot, patterns: Iterable[str] = (),
                  memo: dict[tuple[object, ...], list[str]] | None = None,
                  data_time: float | None = None) -> Sensitivity | None:
    found = Sensitivity(role.arn)
    tag = _tag_value(role)
    for pattern in patterns:
        if matches_pattern(role, pattern):
            found.reasons.append(f"matches --sensitive {pattern}")
    if tag == "true":
        found.reasons.append(f"tagged {SENSITIVE_TAG}=true")
    if tag != "false" and not role.service_linked:
        admin = admin_reasons(role, snapshot, memo, data_time)
        if admin:
            found.admin_equivalent = True
            found.reasons.extend(admin)
    return found if found.reasons else None


def sensitive_roles(snapshot: Snapshot, patterns: Iterable[str] = (),
                    data_time: float | None = None) -> dict[str, Sensitivity]:
    """Role ARN → why it is sensitive, for every sensitive role of the snapshot (conditions on the clock decided
    as of `data_time`, seconds since the epoch; None: left unsettled)."""
    patterns = tuple(patterns)
    out: dict[str, Sensitivity] = {}
    memo: dict[tuple[object, ...], list[str]] = {}
    for arn, role in sorted(snapshot.roles.items()):
        found = classify_role(role, snapshot, patterns, memo, data_time)
        if found is not None:
            out[arn] = found
    return out
