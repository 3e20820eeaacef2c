"""Edges from an organization's management account into its member accounts' admin nodes (SEMANTICS §7.5,
docs/edges.md "assume-root" and "Service-managed StackSets"): sts:AssumeRoot, and stack sets deployed with
service-managed permissions.
"""

from __future__ import annotations

from trustgraph.arns import root_arn
from trustgraph.graph.indirect_base import IndirectBase
from trustgraph.graph.schema import EdgeKind, NodeKind
from trustgraph.model import Condition, Role, User
from trustgraph.policy.caller import Caller
from trustgraph.policy.identity import IdentityProfile
from trustgraph.policy.passrole import (
    ASSUME_ROOT,
    ROOT_ACCESS_KEY,
    STACKSETS_ACCESS_KEY,
    STACKSETS_ORG,
    STACKSETS_ORG_ACTIONS,
    chosen_resources,
)
from trustgraph.policy.permissions import Permission


class OrganizationEdges(IndirectBase):
    def _assume_root(self, callers: list[tuple[Caller, IdentityProfile, User | Role]]) -> None:
        org = self.snapshot.organization
        if org is None or not org.management_account_id:
            return
        management = org.management_account_id
        members = sorted(a for a in self.snapshot.collected_accounts if a != management and a in org.accounts)
        for caller, profile, _ in callers:
            if caller.account != management or not self.checker.for_action(caller, profile, ASSUME_ROOT).allows:
                continue
            for account in members:
                found = self.checker.check(caller, profile, ASSUME_ROOT, root_arn(account, caller.partition))
                if found is None:
                    continue
                unresolved = [*found.unresolved, Condition("Unknown", ROOT_ACCESS_KEY, (
                    "centralized root access is enabled and the task policy allows escalation",))]
                self.link(caller.node_id, self._admin(account), EdgeKind.ASSUME_ROOT.value, ASSUME_ROOT, unresolved,
                          f"its own policies allow sts:AssumeRoot on account {account} ({found.source}): a root "
                          "session there, only if centralized root access is enabled and the task policy it asks for "
                          "lets it take over the account (e.g. IAMCreateRootUserPassword)",
                          list(found.notes), hub_entry=True)

    def _stacksets_org(self, callers: list[tuple[Caller, IdentityProfile, User | Role]]) -> None:
        """Principals of the management account allowed to create a service-managed stack set and its stack
        instances enter one hub of that account, which has an edge into the admin node of each member account: the
        stack instances run with administrator permissions there. Callers + members edges, never their product."""
        org = self.snapshot.organization
        if org is None or not org.management_account_id:
            return
        management = org.management_account_id
        members = sorted(a for a in self.snapshot.collected_accounts if a != management and a in org.accounts)
        if not members:
            return
        hub: str | None = None
        for caller, profile, _ in callers:
            if caller.account != management or not all(
                    self.checker.for_action(caller, profile, a).allows for a in STACKSETS_ORG_ACTIONS):
                continue
            steps = self._on_one_stack_set(caller, profile, management)
            if steps is None:
                continue
            hub = hub or self._stacksets_hub(management, members)
            self.link(caller.node_id, hub, EdgeKind.IAM.value, STACKSETS_ORG,
                      list(dict.fromkeys(c for s in steps for c in s.unresolved)),
                      f"its own policies allow {' + '.join(STACKSETS_ORG_ACTIONS)} on a stack set of the management "
                      f"account ({steps[0].source}): a service-managed stack set deploys into the member accounts",
                      [n for s in steps for n in s.notes], hub_entry=True)

    def _on_one_stack_set(self, caller: Caller, profile: IdentityProfile, account: str) -> list[Permission] | None:
        """Both StackSets actions on one stack set ARN the caller names (an unconditional answer wins)."""
        patterns = [r for a in STACKSETS_ORG_ACTIONS for s in self.checker.for_action(caller, profile, a).allows
                    for r in (s.statement.resources or ())]
        best: list[Permission] | None = None
        for arn in chosen_resources(STACKSETS_ORG_ACTIONS[0], caller.partition, account, patterns):
            if ":stackset/" not in arn:
                continue
            steps = [p for a in STACKSETS_ORG_ACTIONS if (p := self.checker.check(caller, profile, a, arn))]
            if len(steps) < len(STACKSETS_ORG_ACTIONS):
                continue
            if best is None or sum(len(s.unresolved) for s in steps) < sum(len(s.unresolved) for s in best):
                best = steps
            if not any(s.unresolved for s in best):
                break
        return best

    def _stacksets_hub(self, management: str, members: list[str]) -> str:
        """The node standing for "a service-managed stack set of the management account", with an edge into the
        admin node of each member account, conditional on trusted access being activated."""
        node = f"stacksets:{management}"
        self.graph.add_node(node, kind=NodeKind.STACKSETS_DEPLOYER.value, hub=True, in_data=False, account=management,
                            label="service-managed StackSets", account_name=self.snapshot.account_name(management))
        access = Condition("Unknown", STACKSETS_ACCESS_KEY, (
            "trusted access for StackSets is activated in AWS Organizations",))
        for account in members:
            self.link(node, self._admin(account), EdgeKind.IAM.value, STACKSETS_ORG, [access],
                      f"a service-managed stack set of the management account deploys stack instances into account "
                      f"{account} with administrator permissions (its AWSServiceRoleForCloudFormationStackSetsOrgMember"
                      f" and stacksets-exec role), only if trusted access for StackSets is activated",
                      ["only if trusted access for StackSets is activated in AWS Organizations"], hub_entry=True)
        return node

