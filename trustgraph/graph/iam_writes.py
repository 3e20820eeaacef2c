"""What an IAM write on a policy or a group changes: the principals it reaches, indexed once per build.

A new default version of a customer-managed policy (iam:CreatePolicyVersion, iam:SetDefaultPolicyVersion) changes
every role and user it is attached to, directly or through a group; a policy written onto a group changes every
user in it. Built in one pass over the snapshot's attachments (never per caller), and read through the same
`GrantTargets` lookup the principal writes use, so that a grant on `policy/team-*` is matched once per account.
"""

from __future__ import annotations

from collections import defaultdict

from trustgraph.model import Snapshot
from trustgraph.policy.globs import arn_matches


def _customer_managed(arn: str) -> bool:
    return ":iam::aws:policy/" not in arn


class WrittenObjects:
    """Customer-managed policies attached to something, and groups with members: object ARN → the principals a
    write on it changes. Answers `callers_in` / `matching_arn` (policy.grant_targets.Principals) over the objects."""

    def __init__(self, snapshot: Snapshot) -> None:
        reached: dict[str, dict[str, None]] = defaultdict(dict)  # ordered sets
        self.groups = {group.arn: group for group in snapshot.groups.values()}
        for arn in self.groups:
            reached[arn] = {}  # every group, members or not: a user may add itself (iam:AddUserToGroup)
        for arn, role in snapshot.roles.items():
            for policy in role.attached_policy_arns:
                if _customer_managed(policy):
                    reached[policy][arn] = None
        for arn, user in snapshot.users.items():
            for policy in user.attached_policy_arns:
                if _customer_managed(policy):
                    reached[policy][arn] = None
            for name in user.group_names:
                held = snapshot.groups.get((user.account, name))
                if held is None:
                    continue
                reached[held.arn][arn] = None
                for policy in held.attached_policy_arns:
                    if _customer_managed(policy):
                        reached[policy][arn] = None
        self._reached = {obj: tuple(principals) for obj, principals in reached.items()}
        self._by_account: dict[str, list[str]] = defaultdict(list)
        for obj in sorted(self._reached):
            parts = obj.split(":")
            if len(parts) >= 6:
                self._by_account[parts[4]].append(obj)

    def principals(self, obj: str) -> tuple[str, ...]:
        """The roles and users a write on the policy or group changes."""
        return self._reached.get(obj, ())

    def callers_in(self, account: str) -> list[str]:
        return self._by_account.get(account, [])

    def matching_arn(self, pattern: str) -> list[str]:
        parts = pattern.split(":")
        account = parts[4] if len(parts) >= 6 else "*"
        pool = self._reached if account in ("*", "") or "?" in account or "*" in account else \
            self._by_account.get(account, [])
        return [obj for obj in pool if arn_matches(pattern, obj)]


def of_kind(objects: list[str] | frozenset[str], kind: str) -> list[str]:
    """The policies (`kind` "policy") or groups ("group") among `objects`."""
    return sorted(o for o in objects if o.split(":", 5)[-1].startswith(f"{kind}/"))
