"""PassRole and code edges (SEMANTICS §7.4, docs/edges.md "passrole" and "code"): a caller passes a role to a service
that runs its code, or changes the code of a resource already running as the role. Rule tables: policy/passrole.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from trustgraph.graph.indirect_base import Hub, IndirectBase, Link, names_arn
from trustgraph.graph.schema import EdgeKind, NodeKind
from trustgraph.model import INVENTORY_KINDS, ComputeResource, Condition
from trustgraph.policy.caller import Caller
from trustgraph.policy.identity import IdentityProfile
from trustgraph.policy.passrole import (
    CODE_TECHNIQUES,
    INSTANCE_PROFILE,
    PASSROLE_TECHNIQUES,
    RESOURCE_EXISTS_KEY,
    RUNS_AS_ROLE_KEY,
    Extra,
    Technique,
    acts_on,
    associated_resource,
)
from trustgraph.policy.permissions import Permission


class ComputeEdges(IndirectBase):
    def _service_trust(self, service: str, role: str) -> list[Condition]:
        """The conditions of the service's own edge into the role (aws:SourceAccount …): the caller creates the
        resource the service acts for, so it can usually meet them, but the data does not show it."""
        data = self.graph.edges[service, role]
        if not data["conditional"]:
            return []
        return [Condition(str(c["operator"]), str(c["key"]), tuple(c["values"]))
                for c in data["evidence"][0]["conditions"]]

    def _passrole(self, caller: Caller, profile: IdentityProfile) -> None:
        allows = self.checker.for_action(caller, profile, "iam:PassRole").allows
        if not allows and not profile.missing_policies:
            return
        account = caller.account or ""
        found = self.targets.candidates(account, allows, bool(profile.missing_policies))
        named = None if found is None else frozenset(found)
        # Techniques passing roles to one service ask the same PassRole questions: decided once, and a technique
        # none of whose roles may be passed asks nothing else.
        decided: dict[tuple[str, str, str | None], dict[str, Permission]] = {}
        for technique in PASSROLE_TECHNIQUES:
            roles = self.trusting.get((technique.service, account))
            if not roles:
                continue
            associated = associated_resource(technique, caller.partition, account)
            key = (technique.service, technique.passed_to_service, associated)
            passes = decided.get(key)
            if passes is None:
                passes = decided[key] = {
                    arn: p for arn in roles if names_arn(named, arn) and (p := self.checker.check(
                        caller, profile, "iam:PassRole", arn, self.snapshot.roles[arn], technique.passed_to_service,
                        associated)) is not None}
            if not passes:
                continue
            steps = self._on_existing(caller, profile, technique) if technique.resource_kind else \
                self._all(caller, profile, technique.actions, together=technique.one_resource)
            if steps is None:
                continue
            extras, settled = self._service_linked(technique.extras, account)
            for group, own, unmet in self._by_instance_profile(technique, extras, [r for r in roles if r in passes]):
                self._pass(caller, profile, technique, group, steps, passes, own, (*settled, *unmet))

    def _on_existing(self, caller: Caller, profile: IdentityProfile, technique: Technique
                     ) -> list[Permission] | None:
        """The steps of a PassRole technique that gives an existing resource the role: the caller's actions on one
        the inventory lists (an unconditional answer wins), or, where no inventory lists the kind, on any resource
        of the kind, conditional on one existing."""
        account = caller.account or ""
        if account in self.snapshot.inventory_accounts and technique.resource_kind in INVENTORY_KINDS:
            best: list[Permission] | None = None
            for resource in self._resources(account, technique.resource_kind):
                steps = self._all(caller, profile, technique.actions, resource.arn)
                if steps is None:
                    continue
                firm = not any(s.conditional for s in steps)
                if best is None or firm:
                    best = steps
                if firm:
                    break
            return best
        steps = self._all(caller, profile, technique.actions)
        if steps is None:
            return None
        exists = Condition("Unknown", RESOURCE_EXISTS_KEY, (technique.resource_kind,))
        return [*steps, Permission(technique.actions[0], "*", (exists,))]

    def _service_linked(self, extras: tuple[Extra, ...], account: str) -> tuple[tuple[Extra, ...], tuple[Extra, ...]]:
        """The extras still needed in `account`, and those of them the data shows not taken: a service-linked
        role the account's data holds is there; one missing from an account whose roles are all in the data
        (an authorization-details export without known gaps) is not."""
        kept: list[Extra] = []
        settled: list[Extra] = []
        for extra in extras:
            if extra.service_linked_role and (account, extra.service_linked_role) in self._linked_roles:
                continue
            kept.append(extra)
            if extra.service_linked_role and account in self._roles_listed:
                settled.append(extra)
        return tuple(kept), tuple(settled)

    def _by_instance_profile(self, technique: Technique, extras: tuple[Extra, ...], roles: list[str]
                             ) -> Iterator[tuple[list[str], tuple[Extra, ...], tuple[Extra, ...]]]:
        """The roles a technique passes, with the extra steps each needs and those the data shows not taken: EC2
        runs a role only through an instance profile, so for a role that has one (in the export or the
        inventory) that step is already taken, and for one whose export lists none it is not."""
        if INSTANCE_PROFILE not in extras:
            yield roles, extras, ()
            return
        held = [arn for arn in roles if arn in self._profiled]
        bare = [arn for arn in roles if arn not in self._profiled and self.snapshot.roles[arn].instance_profiles_known]
        rest = [arn for arn in roles if arn not in self._profiled and arn not in bare]
        if held:
            yield held, tuple(e for e in extras if e is not INSTANCE_PROFILE), ()
        if bare:
            yield bare, extras, (INSTANCE_PROFILE,)
        if rest:
            yield rest, extras, ()

    def _pass(self, caller: Caller, profile: IdentityProfile, technique: Technique, roles: list[str],
              steps: list[Permission], decided: dict[str, Permission], extras: tuple[Extra, ...],
              settled: tuple[Extra, ...]) -> None:
        """`roles`: those of `decided` (the caller's PassRole grant on each) that need these extra steps."""
        account = caller.account or ""
        found = self._extras(caller, profile, technique, extras, settled)
        if found is None:
            return
        extra, notes = found
        own = [*(c for s in steps for c in s.unresolved), *extra]
        passes = {arn: decided[arn] for arn in roles}
        passed = list(passes)
        if len(passed) > 1 and len({passes[arn].unresolved for arn in passed}) == 1:
            # The caller may pass these roles alike: through one node per account, technique and set of roles
            # (callers + roles edges, not their product; callers with the same grants share it).
            passing = passes[passed[0]]
            assert passing is not None
            reason = (f"its own policies allow iam:PassRole on {len(passed)} roles trusting {technique.service} "
                      f"({passing.source}) and {' + '.join(technique.actions)}")
            self._out.append(Link("", EdgeKind.PASSROLE.value,
                                  technique.technique, [*passing.unresolved, *own], reason,
                                  [*passing.notes, *notes], technique.service, hub_entry=True,
                                  actions=("iam:PassRole", *technique.actions),
                                  hub=Hub("passrole", account, technique, tuple(passed))))
            return
        for arn, passing in passes.items():
            if arn == self._self:
                continue
            unresolved = [*passing.unresolved, *own, *self._service_trust(technique.service, arn)]
            reason = (f"its own policies allow iam:PassRole on the role to {technique.service} "
                      f"({passing.source}) and {' + '.join(technique.actions)}; the role's trust allows "
                      f"{technique.service}")
            self._out.append(Link(arn, EdgeKind.PASSROLE.value, technique.technique, unresolved, reason,
                                  [*passing.notes, *notes], technique.service,
                                  actions=("iam:PassRole", *technique.actions)))

    def _passrole_hub(self, account: str, technique: Technique, roles: list[str]) -> str:
        """The node standing for "one of these roles of the account, passed to their service" (the technique is on
        the edges into it), with an edge to each carrying the conditions of its service trust."""
        key = (account, technique.service, tuple(roles))
        node = self._passrole_hubs.get(key)
        if node is not None:
            return node
        node = self._passrole_hubs[key] = f"passrole:{account}:{technique.service}:{len(self._passrole_hubs)}"
        self.graph.add_node(node, kind=NodeKind.PASSROLE_RUNNER.value, hub=True, in_data=False, account=account,
                            label=f"{len(roles)} roles passed to {technique.service}",
                            account_name=self.snapshot.account_name(account))
        for arn in roles:
            self.link(node, arn, EdgeKind.PASSROLE.value, "iam:PassRole", self._service_trust(technique.service, arn),
                      f"its trust allows {technique.service}, to which the role is passed", [], technique.service)
        return node

    def _code(self, caller: Caller, profile: IdentityProfile) -> None:
        account = caller.account or ""
        inventory = account in self.snapshot.inventory_accounts
        for technique in CODE_TECHNIQUES:
            if inventory:
                for resource in self._resources(account, technique.resource_kind):
                    if resource.role_arn == self._self:
                        continue
                    # Actions on a resource of their own (a lifecycle configuration the caller creates) are asked
                    # on one it names, the others on the listed resource.
                    on = [a for a in technique.actions if acts_on(a, resource.arn)]
                    own = [a for a in technique.actions if a not in on]
                    here = self._all(caller, profile, on, resource.arn)
                    steps = None if here is None else (None if (mine := self._all(caller, profile, own)) is None
                                                       else [*here, *mine])
                    found = None if steps is None else self._extras(caller, profile, technique, technique.extras)
                    if steps is None or found is None:
                        continue
                    extra, notes = found
                    unresolved = [*(c for s in steps for c in s.unresolved), *extra]
                    reason = (f"its own policies allow {' + '.join(technique.actions)} on {resource.arn} "
                              f"({steps[0].source}), which runs as the role")
                    self._out.append(Link(resource.role_arn, EdgeKind.CODE.value, technique.technique, unresolved,
                                          reason, notes, technique.service, actions=technique.actions))
                continue
            roles = self.trusting.get((technique.service, account))
            if not roles:
                continue
            # Any resource of the kind may run as any of these roles: the actions are asked of the resources the
            # caller's policies name (one named function is enough), the actions of one_resource on one of them.
            steps = self._all(caller, profile, technique.actions, together=technique.one_resource)
            found = None if steps is None else self._extras(caller, profile, technique, technique.extras)
            if steps is None or found is None:
                continue
            extra, notes = found
            # Every such caller reaches every role trusting the service alike: through one node per account and
            # technique, callers + roles edges instead of callers × roles.
            reason = (f"its own policies allow {' + '.join(technique.actions)} on a {technique.resource_kind} "
                      f"({steps[0].source}); no inventory of account {account}")
            self._out.append(Link("", EdgeKind.CODE.value, technique.technique,
                                  [*(c for s in steps for c in s.unresolved), *extra], reason, notes,
                                  technique.service, hub_entry=True, actions=technique.actions,
                                  hub=Hub("code", account, technique)))

    def _hub_node(self, hub: Hub) -> str:
        """The node of `hub`, drawn if it is not yet."""
        if hub.kind == "admin":
            return self._admin(hub.account)
        assert hub.technique is not None
        if hub.kind == "passrole":
            return self._passrole_hub(hub.account, hub.technique, list(hub.roles))
        return self._code_hub(hub.account, hub.technique, self.trusting[(hub.technique.service, hub.account)])

    def _code_hub(self, account: str, technique: Technique, roles: list[str]) -> str:
        """The node standing for "code of any resource of this kind in the account", with its edges to the roles
        trusting the service, each conditional on a resource running as it (no inventory says which)."""
        node = f"code:{account}:{technique.technique}"
        if node in self.graph:
            return node
        self.graph.add_node(node, kind=NodeKind.CODE_RUNNER.value, hub=True, in_data=False, account=account,
                            label=f"code of any {technique.resource_kind} ({technique.technique})",
                            account_name=self.snapshot.account_name(account))
        runs = Condition("Unknown", RUNS_AS_ROLE_KEY, (technique.resource_kind,))
        for arn in roles:
            self.link(node, arn, EdgeKind.CODE.value, technique.technique, [runs],
                      f"no inventory of account {account}: only if a {technique.resource_kind} runs as this role "
                      f"({RUNS_AS_ROLE_KEY}); its trust allows {technique.service}",
                      [f"only if a {technique.resource_kind} runs as the role"], technique.service)
        return node

    def _resources(self, account: str, kind: str) -> list[ComputeResource]:
        """The inventory's resources of one kind in an account that run as a role of the data."""
        return self._resource_index.get((account, kind), [])

