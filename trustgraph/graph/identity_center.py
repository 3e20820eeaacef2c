"""The people in front of the AWSReservedSSO_* roles: IAM Identity Center users and groups, and their sign-ins.

For each account assignment (account A, permission set P, a user or group) the principal may sign in to the role
Identity Center provisioned for P in A, named `AWSReservedSSO_<P>_<16 hex>` on the path
`/aws-reserved/sso.amazonaws.com/` (plus the instance's region outside us-east-1) (docs/edges.md, "sso"). The
sign-in is sts:AssumeRoleWithSAML through A's `AWSSSO_…_DO_NOT_DELETE` SAML provider, so its verdict is that of
the provider's `saml` edge into the role (trust policy, RCPs), less `SAML:aud`: Identity Center always presents the
AWS sign-in endpoint as the audience. No such edge: no sign-in.

Cost: one pass over the roles (an index by account and permission-set name), then one step per user, group,
membership and assignment; never users × roles.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from trustgraph.arns import SSO_ROLE_NAME, partition_of
from trustgraph.graph.schema import EdgeKind, NodeKind, TrustGraph, edge_kind, graph_dicts
from trustgraph.model import IdentityCenter, PermissionSet, Role, Snapshot

USER_PREFIX = "arn:aws:identitystore:::user/"
GROUP_PREFIX = "arn:aws:identitystore:::group/"
SUPERSEDED_BY = "identity-center"
AUDIENCE_KEY = "saml:aud"  # compared lower-case: condition keys are case-insensitive
INLINE_POLICY_KEY = "trustgraph:PermissionSetInlinePolicy"
ACTION = "sts:AssumeRoleWithSAML"

_ROLE_PATH = re.compile(r"^/aws-reserved/sso\.amazonaws\.com/(?:[a-z]{2}(?:-[a-z]+)+-\d+/)?$")
_PROVIDER = re.compile(r":saml-provider/AWSSSO_[^/]*_DO_NOT_DELETE$")


def user_node(user_id: str) -> str:
    return USER_PREFIX + user_id


def group_node(group_id: str) -> str:
    return GROUP_PREFIX + group_id


def sso_role_permission_set(role: Role) -> str | None:
    """The permission set name of a role Identity Center provisioned (its name and path say so), else None."""
    match = SSO_ROLE_NAME.fullmatch(role.name)
    if match is None or not _ROLE_PATH.match(role.path or ""):
        return None
    return match.group(1)


def is_sso_provider(node: str) -> bool:
    """An account's SAML provider that Identity Center made for its sign-ins."""
    return bool(_PROVIDER.search(node))


def _problem(kind: str, account: str | None = None, permission_set: str | None = None, role: str | None = None,
             principal: str | None = None, detail: str = "") -> dict[str, Any]:
    return {"kind": kind, "account": account, "permission_set": permission_set, "role": role,
            "principal": principal, "detail": detail}


class IdentityCenterEdges:
    """Adds the Identity Center nodes and edges to a built trust graph, and records what did not fit."""

    def __init__(self, graph: TrustGraph, snapshot: Snapshot, data: IdentityCenter) -> None:
        self.graph = graph
        self.snapshot = snapshot
        self.data = data
        self.problems: list[dict[str, Any]] = []

    def add(self) -> None:
        g, data = self.graph, self.data
        users = {u.user_id: u for u in data.users}
        groups = {grp.group_id: grp for grp in data.groups}
        sets = {p.permission_set_arn: p for p in data.permission_sets}
        members: Counter[str] = Counter(m.group_id for m in data.group_memberships if m.user_id in users)
        for user in data.users:
            g.add_node(user_node(user.user_id), kind=NodeKind.IDENTITY_CENTER_USER.value, label=user.user_name,
                       name=user.user_name, display_name=user.display_name,
                       identity_store_id=user.identity_store_id, in_data=True, emails=list(user.emails))
        for group in data.groups:
            name = group.display_name or group.group_id
            g.add_node(group_node(group.group_id), kind=NodeKind.IDENTITY_CENTER_GROUP.value, label=name,
                       name=name, display_name=group.display_name, identity_store_id=group.identity_store_id,
                       in_data=True, members=members[group.group_id], external=bool(group.external_ids))
        self._memberships(users, groups)
        roles = self._sso_roles()
        explained: set[str] = set()
        covered: set[str] = set()
        for assignment in data.account_assignments:
            account = assignment.account_id
            covered.add(account)
            pset = sets.get(assignment.permission_set_arn)
            if assignment.principal_type == "USER":
                principal = user_node(assignment.principal_id)
                known = assignment.principal_id in users
            else:
                principal = group_node(assignment.principal_id)
                known = assignment.principal_id in groups
            if pset is None:
                self.problems.append(_problem("missing-permission-set", account, assignment.permission_set_arn,
                                              principal=principal,
                                              detail="the assignment names a permission set not in the data"))
                continue
            matched = roles.get((account, pset.name), [])
            explained.update(r.arn for r in matched)
            if not known:
                kind = "missing-user" if assignment.principal_type == "USER" else "missing-group"
                self.problems.append(_problem(kind, account, pset.name, principal=principal,
                                              detail=f"the assignment names a {assignment.principal_type.lower()} "
                                                     "not in the data"))
                continue
            if not matched:
                if account in self.snapshot.collected_accounts:
                    self.problems.append(_problem(
                        "unprovisioned", account, pset.name, principal=principal,
                        detail=f"no AWSReservedSSO_{pset.name}_* role in the account's data: the assignment "
                               "gives nobody anything"))
                continue
            for role in matched:
                self._sign_in(principal, role, pset, assignment)
        for (account, name), matched in sorted(roles.items()):
            for role in matched:
                if role.arn not in explained:
                    self.problems.append(_problem(
                        "orphaned", account, name, role=role.arn,
                        detail=f"no assignment of permission set {name} in account {account}"
                               + ("" if data.complete else " in the data read (it is partial)")))
        self._policy_mismatches(roles, {p.name: p for p in data.permission_sets}, covered)
        for node in self._providers(covered):
            g.nodes[node]["superseded_by"] = SUPERSEDED_BY
        g.graph["identity_center"] = {
            "instances": [{"instance_arn": i.instance_arn, "identity_store_id": i.identity_store_id,
                           "owner_account_id": i.owner_account_id, "region": i.region} for i in data.instances],
            "complete": data.complete,
            "missing": list(data.missing),
            "counts": {"users": len(data.users), "groups": len(data.groups),
                       "group_memberships": len(data.group_memberships),
                       "permission_sets": len(data.permission_sets),
                       "account_assignments": len(data.account_assignments)},
            "covered_accounts": sorted(covered),
            "problems": self.problems,
        }

    # -- pieces -----------------------------------------------------------------------------------------------
    def _memberships(self, users: dict[str, Any], groups: dict[str, Any]) -> None:
        seen: set[tuple[str, str]] = set()
        for m in self.data.group_memberships:
            if m.user_id not in users or m.group_id not in groups or (m.user_id, m.group_id) in seen:
                continue
            seen.add((m.user_id, m.group_id))
            src, dst = user_node(m.user_id), group_node(m.group_id)
            evidence: dict[str, Any] = {"role": None, "statement": None, "sid": None, "principal": src,
                        "principal_form": "identity-center", "action": None, "effect": "Allow", "conditions": [],
                        "caller_chosen": [], "notes": [], "kind": EdgeKind.GROUP_MEMBER.value,
                        "reason": f"member of Identity Center group {self.graph.nodes[dst]['label']}"}
            self.graph.add_edge(src, dst, kind=EdgeKind.GROUP_MEMBER.value, scope="member", conditional=False,
                                conditions=[], evidence=[evidence])

    def _sso_roles(self) -> dict[tuple[str, str], list[Role]]:
        """(account, permission set name) → the roles Identity Center provisioned for it there."""
        out: dict[tuple[str, str], list[Role]] = defaultdict(list)
        for arn in sorted(self.snapshot.roles):
            role = self.snapshot.roles[arn]
            name = sso_role_permission_set(role)
            if name is not None:
                out[(role.account, name)].append(role)
        return out

    def _saml_edge(self, role: Role) -> tuple[str, dict[str, Any]] | None:
        for src, data in graph_dicts(self.graph).pred.get(role.arn, {}).items():
            if edge_kind(data) == EdgeKind.SAML and is_sso_provider(src) \
                    and self.graph.nodes[src].get("account") == role.account:
                return src, data
        return None

    def _sign_in(self, principal: str, role: Role, pset: PermissionSet, assignment: Any) -> None:
        g = self.graph
        found = self._saml_edge(role)
        if found is None:
            self.problems.append(_problem(
                "trust-mismatch", role.account, pset.name, role=role.arn, principal=principal,
                detail="the role's trust does not admit the account's AWSSSO SAML provider (or a policy denies "
                       "the sign-in): nobody can sign in to it"))
            return
        provider, saml = found
        # The sign-in needs one of the trust's alternatives: each record's conditions, less the audience.
        alternatives = []
        for record in saml.get("evidence", ()):
            alternatives.append([c for c in record.get("conditions", ()) if str(c.get("key")).lower() != AUDIENCE_KEY])
        conditional = bool(alternatives) and all(alternatives)
        conditions: list[dict[str, Any]] = []
        if conditional:
            for alternative in alternatives:
                conditions.extend(c for c in alternative if c not in conditions)
        if pset.inline_policy_unreadable:
            conditional = True
            conditions.append({"operator": "Unknown", "key": INLINE_POLICY_KEY, "values": [pset.name]})
        keys = sorted({str(c["key"]) for c in conditions})
        how = "directly" if assignment.principal_type == "USER" else "to the group"
        reason = (f"permission set {pset.name} assigned {how} in account {role.account}: Identity Center signs "
                  f"in to the role through {provider.rsplit('/', 1)[-1]} ({ACTION})")
        if keys:
            reason += "; only if " + ", ".join(keys) + " hold at run time"
        evidence = {"role": role.arn, "statement": None, "sid": None, "principal": principal,
                    "principal_form": "identity-center", "action": ACTION, "effect": "Allow",
                    "conditions": conditions, "caller_chosen": [], "notes": [], "reason": reason,
                    "kind": EdgeKind.SSO.value, "technique": f"sso:{pset.name}", "saml_provider": provider,
                    "assignment": {"instance_arn": assignment.instance_arn, "account": assignment.account_id,
                                   "permission_set_arn": assignment.permission_set_arn,
                                   "principal_type": assignment.principal_type,
                                   "principal_id": assignment.principal_id}}
        g.add_edge(principal, role.arn, kind=EdgeKind.SSO.value, scope="federated", classification="federated",
                   conditional=conditional, conditions=keys, evidence=[evidence], technique=f"sso:{pset.name}",
                   permission_set=pset.name, permission_set_arn=pset.permission_set_arn)

    def _policy_mismatches(self, roles: dict[tuple[str, str], list[Role]], by_name: dict[str, PermissionSet],
                           covered: set[str]) -> None:
        for (account, name), matched in sorted(roles.items()):
            pset = by_name.get(name)
            if pset is None or account not in covered:
                continue
            for role in matched:
                if not role.has_identity_data:
                    continue
                partition = partition_of(role.arn)
                wanted = set(pset.managed_policies) | {
                    f"arn:{partition}:iam::{account}:policy{ref.path}{ref.name}"
                    for ref in pset.customer_managed_policies}
                have = set(role.attached_policy_arns)
                if have != wanted:
                    missing, extra = sorted(wanted - have), sorted(have - wanted)
                    detail = "the role's managed policies differ from the permission set's" + \
                        (f"; missing {', '.join(missing)}" if missing else "") + \
                        (f"; not in the permission set {', '.join(extra)}" if extra else "")
                    self.problems.append(_problem("policy-mismatch", account, name, role=role.arn, detail=detail))

    def _providers(self, covered: set[str]) -> list[str]:
        return sorted(n for n, d in self.graph.nodes(data=True)
                      if d.get("kind") == NodeKind.FEDERATED and d.get("account") in covered and is_sso_provider(n))


def add_identity_center(graph: TrustGraph, snapshot: Snapshot) -> None:
    """Add the people and groups of `snapshot.identity_center` (when set) and their sign-ins to `graph`."""
    if snapshot.identity_center is not None:
        IdentityCenterEdges(graph, snapshot, snapshot.identity_center).add()
