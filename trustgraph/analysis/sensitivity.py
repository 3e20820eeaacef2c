"""Which roles are sensitive: admin-equivalent permissions, a `trustgraph:sensitive` tag, or a user pattern.

Admin-equivalent means an Allow in the role's own identity policies (inline and attached managed) of every
action on every resource, or of an IAM action that lets the holder grant itself more (privilege
escalation: attach/put a policy, new policy version, credentials for another user, rewrite a trust,
remove a boundary, or iam:PassRole together with a service that runs code as the passed role), on any
resource of its kind. An explicit Deny on the same action and resource in the role's policies, or a
permissions boundary that does not allow it, cancels that reason. The tag `trustgraph:sensitive=false`
opts a role out of the automatic detection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from trustgraph.model import PolicyDocument, Role, Snapshot, Statement
from trustgraph.policy.globs import glob_match
from trustgraph.policy.statements import covers_action, covers_resource

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
                    "sagemaker:CreateNotebookInstance", "sagemaker:CreateTrainingJob", "ecs:RegisterTaskDefinition",
                    "datapipeline:CreatePipeline")


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


def _statements(role: Role, snapshot: Snapshot) -> tuple[list[_Sourced], list[str]]:
    found: list[_Sourced] = []
    missing: list[str] = []

    def add(doc: PolicyDocument | None, source: str) -> None:
        if doc is not None:
            found.extend(_Sourced(s, source) for s in doc.statements)

    for inline in role.inline_policies:
        add(inline.document, f"inline policy {inline.name}")
    for arn in role.attached_policy_arns:
        policy = snapshot.managed_policies.get(arn)
        if policy is None:
            missing.append(arn)
        else:
            add(policy.document, f"managed policy {policy.name}")
    return found, missing


def _probe_arn(role: Role, kind: str) -> str:
    partition = role.arn.split(":", 2)[1] if role.arn.count(":") >= 2 else "aws"
    return f"arn:{partition}:iam::{role.account}:{kind}/trustgraph-probe-any-{kind}"


def _allowed(statements: list[_Sourced], denies: list[_Sourced], boundary: list[_Sourced] | None,
             action: str, resource: str) -> str | None:
    """The source of an Allow for (action, resource), unless a Deny or the boundary takes it away."""
    if any(covers_action(d.statement, action) and covers_resource(d.statement, resource) is not False
           and not d.statement.conditions for d in denies):
        return None
    if boundary is not None and not any(covers_action(b.statement, action) and
                                        covers_resource(b.statement, resource) is not False for b in boundary):
        return None
    for s in statements:
        if covers_action(s.statement, action) and covers_resource(s.statement, resource) is not False:
            return s.source + (" (with conditions)" if s.statement.conditions else "")
    return None


def admin_reasons(role: Role, snapshot: Snapshot, memo: dict[tuple[object, ...], list[str]] | None = None) -> list[str]:
    """Why the role's own policies make it admin-equivalent (empty: they do not).

    `memo` shares the answer between roles with the same policies (a managed policy attached to thousands
    of roles is judged once); the account is part of the key only when a Resource could tell accounts apart."""
    if not role.has_identity_data:
        return []
    statements, missing = _statements(role, snapshot)
    if memo is not None:
        account_bound = any(r != "*" for s in statements for r in (s.statement.resources or s.statement.not_resources
                                                                   or ()))
        key = (role.account if account_bound else None, role.arn.split(":", 2)[1], tuple(statements),
               tuple(missing), role.boundary_arn)
        cached = memo.get(key)
        if cached is None:
            cached = memo[key] = admin_reasons(role, snapshot)
        return list(cached)
    allows = [s for s in statements if s.statement.effect == "Allow"]
    denies = [s for s in statements if s.statement.effect == "Deny"]
    boundary: list[_Sourced] | None = None
    if role.boundary_arn:
        policy = snapshot.managed_policies.get(role.boundary_arn)
        if policy is not None and policy.document is not None:
            boundary = [_Sourced(s, "boundary") for s in policy.document.statements if s.effect == "Allow"]
    reasons: list[str] = []
    for arn in missing:
        name = arn.rsplit("/", 1)[-1]
        if arn.startswith("arn:aws") and ":iam::aws:policy/" in arn and name in ADMIN_POLICY_NAMES:
            reasons.append(f"{name} attached ({ADMIN_POLICY_NAMES[name]})")
    everything = [_allowed(allows, denies, boundary, a, "*") for a in _EVERY_SERVICE_PROBES]
    if all(everything):
        reasons.append(f"admin-equivalent: every action on every resource ({everything[0]})")
        return reasons
    escalations = []
    for action, kind in ESCALATION_ACTIONS.items():
        source = _allowed(allows, denies, boundary, action, _probe_arn(role, kind))
        if source:
            escalations.append((action, source))
    passrole = _allowed(allows, denies, boundary, "iam:PassRole", _probe_arn(role, "role"))
    if passrole:
        runners = [a for a in PASSROLE_RUNNERS if _allowed(allows, denies, boundary, a, "*")]
        if runners:
            escalations.append((f"iam:PassRole + {runners[0]}", passrole))
    if escalations:
        listed = ", ".join(a for a, _ in escalations[:4]) + ("…" if len(escalations) > 4 else "")
        reasons.append(f"admin-equivalent: privilege escalation through {listed} ({escalations[0][1]})")
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
                  memo: dict[tuple[object, ...], list[str]] | None = None) -> Sensitivity | None:
    found = Sensitivity(role.arn)
    tag = _tag_value(role)
    for pattern in patterns:
        if matches_pattern(role, pattern):
            found.reasons.append(f"matches --sensitive {pattern}")
    if tag == "true":
        found.reasons.append(f"tagged {SENSITIVE_TAG}=true")
    if tag != "false" and not role.service_linked:
        admin = admin_reasons(role, snapshot, memo)
        if admin:
            found.admin_equivalent = True
            found.reasons.extend(admin)
    return found if found.reasons else None


# The last answer, with the snapshot it was computed for: `findings` and then `review` ask for the same one.
_last: list[tuple[Snapshot, int, tuple[str, ...], dict[str, Sensitivity]]] = []


def sensitive_roles(snapshot: Snapshot, patterns: Iterable[str] = ()) -> dict[str, Sensitivity]:
    """Role ARN → why it is sensitive, for every sensitive role of the snapshot."""
    patterns = tuple(patterns)
    for seen, count, seen_patterns, answer in _last:
        if seen is snapshot and count == len(snapshot.roles) and seen_patterns == patterns:
            return dict(answer)
    out: dict[str, Sensitivity] = {}
    memo: dict[tuple[object, ...], list[str]] = {}
    for arn, role in sorted(snapshot.roles.items()):
        found = classify_role(role, snapshot, patterns, memo)
        if found is not None:
            out[arn] = found
    _last[:] = [(snapshot, len(snapshot.roles), patterns, out)]
    return dict(out)


def sensitive_in_graph(graph: Any, patterns: Iterable[str] = ()) -> dict[str, str]:
    """Role ARN → why, from what a saved graph holds: the `trustgraph:sensitive` tag and the patterns.
    Admin-equivalence needs the roles' policies, which a graph does not keep."""
    patterns = tuple(patterns)
    out: dict[str, str] = {}
    for node, data in graph.nodes(data=True):
        if data.get("kind") != "role" or not data.get("in_data"):
            continue
        tags = data.get("tags") or {}
        tag = next((str(v).strip().lower() for k, v in tags.items() if str(k).lower() == SENSITIVE_TAG), None)
        name = str(data.get("label") or node.rsplit("/", 1)[-1])
        if any(glob_match(p, node) if p.startswith("arn:") else glob_match(p, name) for p in patterns):
            out[node] = "matches --sensitive"
        elif tag == "true":
            out[node] = "tagged sensitive"
    return dict(sorted(out.items()))
