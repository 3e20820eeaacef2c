"""Indirect edges: reaching a role (or user) without a trust policy naming the caller (SEMANTICS §7.4, §7.5).

Added after the trust edges, from the rule tables in policy/passrole.py:

- `passrole`: P passes R to a service that runs code (same account only; R's trust must allow the service, as
  the graph's `service` edge into R says);
- `code`: P changes code or commands of a resource already running as R (inventory: the resources listed;
  accounts without inventory: conditional on `trustgraph:ResourceRunsAsRole`, for roles trusting the service);
- `iam`: P rewrites R's trust or creates credentials for user U; principals that are admin-equivalent
  and can take over their account (policy.sensitivity.takeover: every action, or a policy write on
  themselves) enter its admin node `admin:A` (one node per account, a hub: never an answer), which has one `iam`
  edge to every role (rewrite its trust) and user (new credentials) of A. An admin's reach through trusts is its
  own (its concrete edges) or that of the roles it takes over: the admin node is not made a member of the account
  hub, whose org-wide trusts are drawn through trust classes instead, so that the class and expanded graphs
  keep the same answers;
- `assume-root`: principals of the management account allowed sts:AssumeRoot → `admin:A` of each member account.

Edges into an admin node cost no hop (`hub_entry`): becoming admin of one's own account is not a change of
identity; the hop is the step from the admin node to the role or user. Each (caller, target) pair is one DiGraph
edge: another kind realising the same pair is folded in (`kinds`, and a `kind` on each evidence record), so that
queries restricted to some kinds see exactly the alternatives they allow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from trustgraph.arns import partition_of, root_arn
from trustgraph.graph.callers import CallerDirectory
from trustgraph.graph.iam_writes import WrittenObjects, of_kind
from trustgraph.graph.schema import EdgeKind, NodeKind, TrustGraph, graph_dicts
from trustgraph.model import INVENTORY_KINDS, ComputeResource, Condition, Role, Snapshot, User
from trustgraph.policy.caller import Caller, RequestFacts
from trustgraph.policy.grant_targets import GrantTargets
from trustgraph.policy.identity import IdentityProfile
from trustgraph.policy.passrole import (
    ADD_TO_GROUP,
    ASSUME_ROOT,
    CODE_TECHNIQUES,
    GROUP_WRITES,
    INSTANCE_PROFILE,
    NEW_PRINCIPALS,
    PASSROLE_TECHNIQUES,
    PERMISSIVE_VERSION_KEY,
    POLICY_WRITES,
    RESOURCE_EXISTS_KEY,
    ROLE_TECHNIQUE,
    ROLE_WRITES,
    ROOT_ACCESS_KEY,
    RUNS_AS_ROLE_KEY,
    STACKSETS_ACCESS_KEY,
    STACKSETS_ORG,
    STACKSETS_ORG_ACTIONS,
    TAKEOVER,
    USER_TECHNIQUES,
    USER_WRITES,
    Extra,
    NewPrincipal,
    Technique,
    associated_resource,
    checked_actions,
    chosen_resources,
    shared_resources,
)
from trustgraph.policy.permissions import Permission, PermissionChecker
from trustgraph.policy.regions import requested_region
from trustgraph.policy.sensitivity import (
    Takeover,
    made_administrator,
    pinned_boundaries,
    takeover,
    under_boundaries,
)
from trustgraph.policy.trust import AssumeVerdict, OrgGate, apply_policy_set

WRITE = "policy-write"  # a Link kind that is never drawn: see _writes_on_reached
# The write's target is reached only through conditional edges: the takeover depends on their conditions.
REACHES_KEY = "trustgraph:ReachesWriteTarget"


@dataclass(slots=True)
class Link:
    """An indirect edge found for a caller, before it is drawn from the caller or from its group node."""

    dst: str
    kind: str
    technique: str
    unresolved: list[Condition]
    reason: str
    notes: list[str]
    service: str | None = None
    hub_entry: bool = False
    # A policy write (WRITE): the principals it changes, when they are not `dst` itself (a policy, a group).
    targets: tuple[str, ...] = ()


def admin_node(account: str) -> str:
    return f"admin:{account}"


def _reachable(graph: TrustGraph, start: str, firm: bool, wanted: set[str]) -> set[str]:
    """Which of `wanted` are reachable from `start` (over unconditional edges only, when `firm`). The search
    stops once all are found: a caller typically reaches its write targets long before it has seen the graph."""
    seen = {start}
    found = wanted & seen
    if len(found) == len(wanted):
        return found
    stack = [start]
    succ = graph_dicts(graph).succ
    while stack:
        for nxt, data in succ[stack.pop()].items():
            if nxt not in seen and not (firm and data.get("conditional")):
                seen.add(nxt)
                stack.append(nxt)
                if nxt in wanted:
                    found.add(nxt)
                    if len(found) == len(wanted):
                        return found
    return found


def _names(candidates: frozenset[str] | None, arn: str) -> bool:
    return candidates is None or arn in candidates


def _dicts(conditions: Iterable[Condition]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for c in conditions:
        item: dict[str, object] = {"operator": c.operator, "key": c.key, "values": list(c.values)}
        if item not in out:
            out.append(item)
    return out


class IndirectEdges:
    def __init__(self, graph: TrustGraph, snapshot: Snapshot, directory: CallerDirectory, org: OrgGate | None,
                 data_time: float | None) -> None:
        self.graph = graph
        self.snapshot = snapshot
        self.directory = directory
        self.org = org
        self.checker = PermissionChecker(org, data_time, checked_actions())
        self.targets = GrantTargets(directory)
        self.objects = WrittenObjects(snapshot)
        self.object_targets = GrantTargets(self.objects)
        self._made: dict[str, tuple[Condition, ...] | None] = {}  # principal → made_administrator
        self._out: list[Link] = []
        self._self: str | None = None
        self._groups: dict[str, int] = {}
        self._group_nodes: dict[tuple[str, ...], str] = {}  # members → their policy-group node
        self._passrole_hubs: dict[tuple[str, str, tuple[str, ...]], str] = {}
        # Roles an instance profile holds (the export's InstanceProfileList, or the inventory's profiles).
        self._profiled = {arn for arn, role in snapshot.roles.items() if role.instance_profiles} | {
            r.role_arn for r in snapshot.resources if r.kind == "ec2-instance-profile"}
        # (account, name) of the service-linked roles in the data, and the accounts whose roles are all in it: an
        # authorization-details export (it lists every role, with its InstanceProfileList) with no known gaps.
        self._linked_roles = {(r.account, r.name) for r in snapshot.roles.values() if r.service_linked}
        exported = {r.account for r in snapshot.roles.values() if r.instance_profiles_known}
        self._roles_listed = {a for a in exported & snapshot.collected_accounts
                              if not any(a in gap for gap in snapshot.gaps)}
        self._admins: set[str] = set()  # principals that enter their account's admin node
        # (caller, policy write on another principal of its account): a takeover if the caller reaches it.
        self._writes: list[tuple[str, Link]] = []
        self._resource_index: dict[tuple[str, str], list[ComputeResource]] = defaultdict(list)
        for r in snapshot.resources:
            if r.role_arn in snapshot.roles:
                self._resource_index[(r.account, r.kind)].append(r)
        self.data_time = data_time
        # (service principal, account) → roles of that account whose trust lets the service assume them.
        self.trusting: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._best: dict[tuple[object, ...], list[Permission] | None] = {}
        self.admin_memo: dict[tuple[object, ...], list[str]] = {}
        self._shared_values: dict[object, object] = {}

    # -- helpers ----------------------------------------------------------------------------------------------
    def _callers(self) -> Iterable[tuple[Caller, IdentityProfile, User | Role]]:
        """Principals of the data whose own policies are known, excluding service-linked roles (only their
        service uses them)."""
        d = self.directory
        for account in sorted(self.snapshot.collected_accounts):
            for arn in d.callers_in(account):
                principal = d.principals[arn]
                if isinstance(principal, Role) and principal.service_linked:
                    continue
                profile = d.profile(arn)
                if profile is not None:
                    yield d.concrete(arn), profile, principal

    def _patterns(self, caller: Caller, profile: IdentityProfile, action: str) -> list[str]:
        """The Resource patterns of the caller's statements allowing `action`."""
        allows = self.checker.for_action(caller, profile, action).allows
        return [r for s in allows for r in (s.statement.resources or ())]

    def _memo_key(self, caller: Caller, profile: IdentityProfile, actions: tuple[str, ...]) -> tuple[object, ...]:
        """What answers about `actions` depend on: shared between principals whose policies say the same of
        them, unless an answer read who the caller is."""
        shared = tuple(self.checker.action_id(caller, profile, a) for a in actions)
        key: tuple[object, ...] = (shared, actions)
        if any(self.checker.per_principal_action(i) for i in shared):
            key = (*key, caller.node_id)  # the answer read who the caller is: its own
        return key

    def _may(self, caller: Caller, profile: IdentityProfile, action: str) -> Permission | None:
        """May the caller call `action` on a resource of its account that it names itself (or any existing one)?
        The unconditional answer among the candidate resources wins."""
        found = self._together(caller, profile, (action,))
        return None if found is None else found[0]

    def _together(self, caller: Caller, profile: IdentityProfile, actions: tuple[str, ...]
                  ) -> list[Permission] | None:
        """May the caller call every one of `actions` on ONE resource of its account, that it names itself or
        that exists (create a project and start a build of it)? Each action allowed on a resource of its own is
        not enough. The resource on which all are allowed unconditionally wins, else the first allowing all."""
        key = self._memo_key(caller, profile, actions)
        if key in self._best:
            return self._best[key]
        patterns = {a: self._patterns(caller, profile, a) for a in actions}
        best: list[Permission] | None = None
        candidates = chosen_resources(actions[0], caller.partition, caller.account or "", patterns[actions[0]]) \
            if len(actions) == 1 else shared_resources(actions, caller.partition, caller.account or "", patterns)
        for resource in candidates:
            found: list[Permission] = []
            for action in actions:
                p = self.checker.check(caller, profile, action, resource)
                if p is None:
                    break
                found.append(p)
            else:
                if best is None or (any(p.conditional for p in best) and not any(p.conditional for p in found)):
                    best = found
                if not any(p.conditional for p in best):
                    break
        self._best[key] = best
        return best

    def _all(self, caller: Caller, profile: IdentityProfile, actions: Iterable[str],
             resource: str | None = None, together: tuple[str, ...] = ()) -> list[Permission] | None:
        """May the caller call every one of `actions`: on `resource` (an existing one), or else on resources it
        names, the actions of `together` on one and the same resource?"""
        actions = tuple(actions)
        if resource is not None:
            found = []
            for action in actions:
                p = self.checker.check(caller, profile, action, resource)
                if p is None:
                    return None
                found.append(p)
            return found
        group = tuple(a for a in actions if a in together)
        if len(group) < 2:
            group = ()
        found = []
        if group:
            shared = self._together(caller, profile, group)
            if shared is None:
                return None
            found.extend(shared)
        for action in actions:
            if action in group:
                continue
            p = self._may(caller, profile, action)
            if p is None:
                return None
            found.append(p)
        return found

    def _extras(self, caller: Caller, profile: IdentityProfile, technique: Technique,
                extras: tuple[Extra, ...], settled: tuple[Extra, ...] = ()
                ) -> tuple[list[Condition], list[str]] | None:
        """What the technique's extra steps add to its edge: nothing when the caller may take one alternative
        unconditionally, else the conditions of the first it may take, else the extra's pseudo key. An extra of
        `settled` is known not to be taken already (the data shows it): without an alternative, no edge (None).
        An alternative's actions that must act on the resource of the technique's own actions (invoke the
        function just created) are asked together with them."""
        unresolved: list[Condition] = []
        notes: list[str] = []
        for extra in extras:
            options = []
            for alt in extra.alternatives:
                together = (*extra.one_resource, *technique.one_resource)
                joined = alt
                if any(a in technique.one_resource for a in alt):
                    joined = (*(a for a in technique.actions if a in technique.one_resource), *alt)
                found = self._all(caller, profile, joined, together=together)
                if found is not None:
                    options.append(found)
            firm = next((o for o in options if not any(x.conditional for x in o)), None)
            if firm is not None:
                continue
            if options:
                unresolved.extend(c for x in options[0] for c in x.unresolved)
            elif extra in settled:
                return None
            else:
                unresolved.append(Condition("Unknown", extra.key, (extra.text,)))
                notes.append(f"only if {extra.text}")
        return unresolved, notes

    def _admin(self, account: str) -> str:
        node = admin_node(account)
        if node not in self.graph:
            self.graph.add_node(node, kind=NodeKind.ACCOUNT_ADMIN.value, hub=True, in_data=False, account=account,
                                label=f"admin of {self.snapshot.account_name(account) or account}",
                                account_name=self.snapshot.account_name(account))
        return node

    def link(self, src: str, dst: str, kind: str, technique: str, unresolved: list[Condition], reason: str,
             notes: list[str] | None = None, service: str | None = None, hub_entry: bool = False) -> None:
        """Add src → dst, or fold this alternative into the existing edge (unconditional if any alternative is)."""
        # Evidence records are never changed once drawn: equal values are one object (an organization's indirect
        # edges repeat a few reasons, notes and conditions hundreds of thousands of times).
        shared = self._shared_values
        conditions = shared.setdefault(("conditions", *unresolved), _dicts(unresolved))
        evidence: dict[str, object] = {
            "role": dst, "statement": None, "sid": None, "principal": src, "principal_form": kind,
            "action": technique, "effect": "Allow", "conditions": conditions,
            "caller_chosen": shared.setdefault(("caller_chosen",), []),
            "notes": shared.setdefault(("notes", *(notes or ())), list(notes or [])),
            "reason": shared.setdefault(reason, reason), "kind": kind, "technique": technique}
        if service:
            evidence["service"] = service
        keys = sorted({c.key for c in unresolved})
        g = self.graph
        if g.has_edge(src, dst):
            data = g.edges[src, dst]
            data["evidence"].append(evidence)
            kinds = data.setdefault("kinds", [data["kind"]])
            if kind not in kinds:
                kinds.append(kind)
            data.setdefault("technique", technique)
            if not unresolved:
                data["conditional"] = False
                data["conditions"] = []
            elif data["conditional"]:
                data["conditions"] = sorted(set(data["conditions"]) | set(keys))
            return
        src_account = g.nodes[src].get("account") if src in g else None
        dst_account = g.nodes[dst].get("account") if dst in g else None
        attrs: dict[str, object] = {
            "kind": kind, "scope": "same-account" if src_account == dst_account else "cross-account",
            "conditional": bool(unresolved), "conditions": keys, "evidence": [evidence], "kinds": [kind],
            "technique": technique}
        if service:
            attrs["service"] = service
        if hub_entry:
            attrs["hub_entry"] = True
        g.add_edge(src, dst, **attrs)

    # -- the edge kinds -------------------------------------------------------------------------------------------
    def add(self) -> None:
        g = self.graph
        for src, dst, data in g.edges(data=True):
            if data.get("kind") == EdgeKind.SERVICE and g.nodes[src].get("kind") == NodeKind.SERVICE:
                account: str | None = g.nodes[dst].get("account")
                if account and dst in self.snapshot.roles and not self.snapshot.roles[dst].service_linked:
                    self.trusting[(src, account)].append(dst)
        callers = list(self._callers())
        self._escalation(callers)
        groups: dict[int, list[tuple[Caller, IdentityProfile, User | Role]]] = defaultdict(list)
        for item in callers:
            groups[self.checker.policy_id(item[0], item[1])].append(item)
        account = None
        for pid, members in groups.items():
            if members[0][0].account != account:
                # Groups come account by account and their questions name their account's resources: the answers
                # kept for the last account are never asked again (an organization's worth would not fit).
                account = members[0][0].account
                self.checker.forget_answers()
                self._best.clear()
            links = self._links(members[0][0], members[0][1], alone=len(members) == 1)
            if len(members) == 1:
                self._draw([members[0]], links)
            elif not self.checker.per_principal(pid):
                self._draw(members, links)
            else:
                # A decision read who the caller is (an SCP exempting some ARNs, a condition on tags): decide
                # each member, then share a node among the members whose edges came out the same.
                alike: dict[tuple[object, ...], list[tuple[Caller, IdentityProfile, User | Role]]] = defaultdict(list)
                found: dict[tuple[object, ...], list[Link]] = {}
                for member in members:
                    own = self._links(member[0], member[1], alone=True)
                    key = tuple((x.dst, x.kind, x.technique, tuple(x.unresolved), x.service) for x in own)
                    alike[key].append(member)
                    found.setdefault(key, own)
                for shared, sharing in alike.items():
                    self._draw(sharing, found[shared])
        self._assume_root(callers)
        self._stacksets_org(callers)
        self._writes_on_reached()
        for account in sorted(self.snapshot.collected_accounts):
            if admin_node(account) in self.graph:
                self._admin_edges(account)

    def _links(self, caller: Caller, profile: IdentityProfile, alone: bool) -> list[Link]:
        """The PassRole, code and targeted IAM edges out of `caller`; `alone`: the caller's own (it does not
        reach itself), else those of every principal with its policies (drawn from their group node)."""
        self._out = []
        self._self = caller.arn if alone else None
        self._passrole(caller, profile)
        self._code(caller, profile)
        self._targeted(caller, profile)
        return self._out

    def _draw(self, members: list[tuple[Caller, IdentityProfile, User | Role]], links: list[Link]) -> None:
        """The links of principals with the same edges: from the principal itself, or from their group node."""
        writes = [x for x in links if x.kind == WRITE]
        if writes:
            self._writes.extend((m[0].node_id, w) for m in members for w in writes)
            links = [x for x in links if x.kind != WRITE]
        if not links:
            return
        src = members[0][0].node_id if len(members) == 1 else self._group(members)
        for link in links:
            self.link(src, link.dst, link.kind, link.technique, link.unresolved, link.reason, link.notes, link.service,
                      link.hub_entry)

    def _group(self, members: list[tuple[Caller, IdentityProfile, User | Role]]) -> str:
        """One node for principals whose policies give them the same indirect edges: members × targets edges
        would grow with the square of an account."""
        key = tuple(m[0].node_id for m in members)
        found = self._group_nodes.get(key)
        if found is not None:
            return found  # the same principals share one node for every pass (Identity Center administrators)
        account = members[0][0].account or ""
        self._groups[account] = self._groups.get(account, 0) + 1
        node = self._group_nodes[key] = f"policies:{account}:{self._groups[account]}"
        self.graph.add_node(node, kind=NodeKind.POLICY_GROUP.value, hub=True, in_data=False, account=account,
                            label=f"{len(members)} principals with the same policies", members=len(members),
                            account_name=self.snapshot.account_name(account))
        for caller, _, _ in members:
            self.graph.add_edge(caller.node_id, node, kind=EdgeKind.MEMBER.value, scope="member", conditional=False,
                                conditions=[], evidence=[{
                                    "role": None, "statement": None, "sid": None, "principal": caller.node_id,
                                    "principal_form": "member", "action": None, "effect": "Allow", "conditions": [],
                                    "caller_chosen": [], "notes": [],
                                    "reason": "its policies give it the same PassRole, code and IAM edges as the "
                                              "other members'"}])
        return node

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
        for technique in PASSROLE_TECHNIQUES:
            roles = self.trusting.get((technique.service, account))
            if not roles:
                continue
            steps = self._on_existing(caller, profile, technique) if technique.resource_kind else \
                self._all(caller, profile, technique.actions, together=technique.one_resource)
            if steps is None:
                continue
            extras, settled = self._service_linked(technique.extras, account)
            for group, own, unmet in self._by_instance_profile(technique, extras, roles):
                self._pass(caller, profile, technique, group, steps, named, own, (*settled, *unmet))

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
              steps: list[Permission], named: frozenset[str] | None, extras: tuple[Extra, ...],
              settled: tuple[Extra, ...]) -> None:
        account = caller.account or ""
        found = self._extras(caller, profile, technique, extras, settled)
        if found is None:
            return
        extra, notes = found
        own = [*(c for s in steps for c in s.unresolved), *extra]
        associated = associated_resource(technique, caller.partition, account)
        passes = {arn: self.checker.check(caller, profile, "iam:PassRole", arn, self.snapshot.roles[arn],
                                          technique.passed_to_service, associated)
                  for arn in roles if _names(named, arn)}
        passed = [arn for arn, p in passes.items() if p is not None]
        if len(passed) > 1 and len({passes[arn].unresolved for arn in passed}) == 1:  # type: ignore[union-attr]
            # The caller may pass these roles alike: through one node per account, technique and set of roles
            # (callers + roles edges, not their product; callers with the same grants share it).
            passing = passes[passed[0]]
            assert passing is not None
            reason = (f"its own policies allow iam:PassRole on {len(passed)} roles trusting {technique.service} "
                      f"({passing.source}) and {' + '.join(technique.actions)}")
            self._out.append(Link(self._passrole_hub(account, technique, passed), EdgeKind.PASSROLE.value,
                                  technique.technique, [*passing.unresolved, *own], reason,
                                  [*passing.notes, *notes], technique.service, hub_entry=True))
            return
        for arn, passing in passes.items():
            if passing is None or arn == self._self:
                continue
            unresolved = [*passing.unresolved, *own, *self._service_trust(technique.service, arn)]
            reason = (f"its own policies allow iam:PassRole on the role to {technique.service} "
                      f"({passing.source}) and {' + '.join(technique.actions)}; the role's trust allows "
                      f"{technique.service}")
            self._out.append(Link(arn, EdgeKind.PASSROLE.value, technique.technique, unresolved, reason,
                                  [*passing.notes, *notes], technique.service))

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
                    steps = self._all(caller, profile, technique.actions, resource.arn)
                    found = None if steps is None else self._extras(caller, profile, technique, technique.extras)
                    if steps is None or found is None:
                        continue
                    extra, notes = found
                    unresolved = [*(c for s in steps for c in s.unresolved), *extra]
                    reason = (f"its own policies allow {' + '.join(technique.actions)} on {resource.arn} "
                              f"({steps[0].source}), which runs as the role")
                    self._out.append(Link(resource.role_arn, EdgeKind.CODE.value, technique.technique, unresolved,
                                          reason, notes, technique.service))
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
            self._out.append(Link(self._code_hub(account, technique, roles), EdgeKind.CODE.value,
                                  technique.technique,
                                  [*(c for s in steps for c in s.unresolved), *extra], reason, notes,
                                  technique.service, hub_entry=True))

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

    def _escalation(self, callers: list[tuple[Caller, IdentityProfile, User | Role]]) -> None:
        admins: dict[str, list[tuple[str, Takeover]]] = defaultdict(list)
        for caller, _, principal in callers:
            found = takeover(principal, self.snapshot, self.admin_memo, self.data_time)
            if found is not None:
                admins[caller.account or ""].append((caller.node_id, found))
                self._admins.add(caller.node_id)
        for account, members in sorted(admins.items()):
            node = self._admin(account)
            for arn, found in members:
                # The caller-side conditions of the grants the takeover uses (MFA, source IP…) are the edge's.
                self.link(arn, node, EdgeKind.IAM.value, TAKEOVER, list(found.conditions),
                          "admin of its account: " + found.reason, hub_entry=True)

    def _targeted(self, caller: Caller, profile: IdentityProfile) -> None:
        """IAM techniques on particular roles and users of the caller's account (an administrator has them all
        through its admin node)."""
        if caller.node_id in self._admins:
            return
        account = caller.account or ""
        # action → the principals one of its Allow statements could name (None: any principal of the account)
        named: dict[str, frozenset[str] | None] = {}
        for action in (ROLE_TECHNIQUE, *USER_TECHNIQUES, *ROLE_WRITES, *USER_WRITES):
            allows = self.checker.for_action(caller, profile, action).allows
            if allows:
                names = self.targets.candidates(account, allows, bool(profile.missing_policies))
                named[action] = None if names is None else frozenset(names)
        self._object_writes(caller, profile, account)
        self._join_group(caller, profile, account)
        for new in NEW_PRINCIPALS:
            self._new_principal(caller, profile, account, new)
        if not named:
            return
        if any(found is None for found in named.values()):
            arns: Iterable[str] = self.directory.callers_in(account)
        else:
            arns = sorted(set().union(*named.values()))  # type: ignore[arg-type]
        for arn in arns:
            if arn == caller.arn:
                continue  # a write on itself is a takeover (sensitivity.takeover), a new key for itself nothing
            target = self.directory.principals[arn]
            reach: tuple[str, ...]
            if isinstance(target, Role):
                if target.iam_protected:
                    continue  # IAM refuses writes on it: no trust rewrite, no policy write
                reach, writes = (ROLE_TECHNIQUE,), ROLE_WRITES
            else:
                reach, writes = USER_TECHNIQUES, USER_WRITES
            if arn != self._self:
                for action in (a for a in reach if a in named and _names(named[a], arn)):
                    found = self.checker.check(caller, profile, action, arn, target)
                    if found is None:
                        continue
                    self._out.append(Link(arn, EdgeKind.IAM.value, action, list(found.unresolved),
                                          f"its own policies allow {action} on it ({found.source})",
                                          list(found.notes)))
                    if not found.conditional:
                        break
            for action in (a for a in writes if a in named and _names(named[a], arn)):
                found = self.checker.check(caller, profile, action, arn, target)
                if found is not None:
                    # Decided after every edge is drawn: it takes the account over only if the caller reaches it.
                    self._out.append(Link(arn, WRITE, action, list(found.unresolved),
                                          f"its own policies allow {action} on it ({found.source})",
                                          list(found.notes)))
                    break

    def _object_writes(self, caller: Caller, profile: IdentityProfile, account: str) -> None:
        """New default versions of customer-managed policies, and policies written onto groups: a WRITE on the
        policy or group, whose targets are the principals it changes (a takeover if the caller reaches one)."""
        for actions, kind in ((POLICY_WRITES, "policy"), (GROUP_WRITES, "group")):
            for action in actions:
                allows = self.checker.for_action(caller, profile, action).allows
                if not allows:
                    continue
                names = self.object_targets.candidates(account, allows, bool(profile.missing_policies))
                for obj in of_kind(self.objects.callers_in(account) if names is None else names, kind):
                    found = self.checker.check(caller, profile, action, obj)
                    if found is None:
                        continue
                    unresolved = list(found.unresolved)
                    notes = list(found.notes)
                    if action == "iam:SetDefaultPolicyVersion":
                        unresolved.append(Condition("Unknown", PERMISSIVE_VERSION_KEY, (obj,)))
                        notes.append("only if the policy has a non-default version that grants more")
                    self._out.append(Link(obj, WRITE, action, unresolved,
                                          f"its own policies allow {action} on {obj} ({found.source})", notes,
                                          targets=self.objects.principals(obj)))

    def _join_group(self, caller: Caller, profile: IdentityProfile, account: str) -> None:
        """A user that may add itself to a group whose policies make it an administrator (with its own boundary)
        takes its account over: an edge into the admin node, no principal to reach first."""
        user = self.directory.principals.get(caller.arn or "")
        allows = self.checker.for_action(caller, profile, ADD_TO_GROUP).allows
        if not isinstance(user, User) or not allows:
            return
        names = self.object_targets.candidates(account, allows, bool(profile.missing_policies))
        for arn in of_kind(self.objects.callers_in(account) if names is None else names, "group"):
            group = self.objects.groups.get(arn)
            if group is None or group.name in user.group_names:
                continue
            found = self.checker.check(caller, profile, ADD_TO_GROUP, arn)
            if found is None:
                continue
            joined = replace(user, group_names=[*user.group_names, group.name])
            admin = takeover(joined, self.snapshot, self.admin_memo, self.data_time)
            if admin is None:
                continue
            self._out.append(Link(self._admin(account), EdgeKind.IAM.value, ADD_TO_GROUP,
                                  [*found.unresolved, *admin.conditions],
                                  f"its own policies allow {ADD_TO_GROUP} on {arn} ({found.source}); in that group "
                                  f"it is {admin.reason}", list(found.notes), hub_entry=True))
            if not found.conditional and not admin.conditions:
                return

    def _new_principal(self, caller: Caller, profile: IdentityProfile, account: str, new: NewPrincipal) -> None:
        """A caller that may create a role (user), write a policy onto it and use it takes its account over: an edge
        into the admin node. Every action is checked on one ARN of the new principal, named inside the Resource
        patterns its grants allow; a condition on iam:PermissionsBoundary caps the new principal by the boundary it
        pins (sensitivity.under_boundaries)."""
        if not self.checker.for_action(caller, profile, new.create).allows:
            return  # as for the takeover: policies missing from the data are not read as granting it
        patterns = [r for action in (new.create, *new.writes, *new.uses)
                    for s in self.checker.for_action(caller, profile, action).allows
                    for r in (s.statement.resources or ())]
        shape = f":iam::{account}:{new.kind}/"
        best: Link | None = None
        for arn in chosen_resources(new.create, caller.partition, account, patterns):
            if shape not in arn:
                continue
            found = self._new_principal_at(caller, profile, account, new, arn)
            if found is not None and (best is None or len(found.unresolved) < len(best.unresolved)):
                best = found
            if best is not None and not best.unresolved:
                break
        if best is not None:
            self._out.append(best)

    def _new_principal_at(self, caller: Caller, profile: IdentityProfile, account: str, new: NewPrincipal,
                          arn: str) -> Link | None:
        created = self.checker.check(caller, profile, new.create, arn)
        if created is None:
            return None
        steps: list[Permission] = [created]
        for actions, trusted in ((new.writes, False), (new.uses, new.kind == "role")):
            options = [p for action in actions
                       if (p := self.checker.check(caller, profile, action, arn, named_by_resource=trusted))]
            if not options:
                return None
            steps.append(min(options, key=lambda p: len(p.unresolved)))
        unresolved, pins = pinned_boundaries(c for step in steps for c in step.unresolved)
        bounded: tuple[Condition, ...] = ()
        if pins is not None:
            name = arn.rsplit("/", 1)[-1]
            stand_in = Role(arn, name, account) if new.kind == "role" else User(arn, name, account)
            capped = under_boundaries(stand_in, pins, self.snapshot, self.data_time)
            if capped is None:
                return None  # the boundary it must carry keeps it below an administrator
            bounded = capped
        write = steps[1].action
        return Link(self._admin(account), EdgeKind.IAM.value, new.technique(write),
                    list(dict.fromkeys((*unresolved, *bounded))),
                    f"its own policies allow {new.create}, {write} and {steps[2].action} on a new {new.kind} {arn} "
                    f"({created.source}): it makes the {new.kind} an administrator of account {account} and uses it",
                    [n for step in steps for n in step.notes], hub_entry=True)

    def _made_admin(self, arn: str) -> tuple[Condition, ...] | None:
        """Under which conditions of its boundary a policy written onto the principal makes it an administrator."""
        if arn not in self._made:
            self._made[arn] = made_administrator(self.directory.principals[arn], self.snapshot, self.data_time)
        return self._made[arn]

    def _writes_on_reached(self) -> None:
        """A caller that may write a policy onto a principal it reaches (through any edge drawn so far), or onto a
        policy or group that holds one, can make that principal an administrator (as far as the principal's
        boundary lets it be one), and itself through it: an edge into the admin node. One pass: a takeover found
        here does not open further writes (their targets are in the same account, reached already)."""
        targets: dict[str, set[str]] = defaultdict(set)
        for src, write in self._writes:
            targets[src].update(write.targets or (write.dst,))
        reached: dict[str, tuple[set[str], set[str]]] = {}
        for src, write in self._writes:
            if src in self._admins:
                continue
            if src not in reached:
                loose = _reachable(self.graph, src, False, targets[src])
                reached[src] = (_reachable(self.graph, src, True, loose) if loose else set(), loose)
            firm, loose = reached[src]
            best: tuple[bool, int, str, tuple[Condition, ...]] | None = None
            for target in write.targets or (write.dst,):
                made = self._made_admin(target) if target in loose else None
                if made is not None:
                    found = (target not in firm, len(made), target, made)
                    best = found if best is None or found < best else best
            if best is None:
                continue
            _, _, target, made = best
            unresolved = [*write.unresolved, *made]
            if target not in firm:
                unresolved.append(Condition("Unknown", REACHES_KEY, (target,)))
            account = self.graph.nodes[target].get("account") or ""
            through = "" if target == write.dst else f", which changes {target}"
            self.link(src, self._admin(account), EdgeKind.IAM.value, write.technique, unresolved,
                      write.reason + through + "; it reaches that principal, which the write makes an administrator "
                      f"of account {account}", write.notes, hub_entry=True)

    def _abstract_admin(self, account: str) -> Caller:
        principals = self.directory.callers_in(account)
        return self.directory.abstract_account(account, partition_of(principals[0]) if principals else "aws")

    def _admin_edges(self, account: str) -> None:
        """admin:A → every role (rewrite its trust) and user (new credentials) of A, as SCPs let A's principals."""
        node = admin_node(account)
        caller = self._abstract_admin(account)
        for arn in self.directory.callers_in(account):
            target = self.directory.principals[arn]
            if isinstance(target, Role):
                if target.iam_protected:
                    continue  # IAM refuses to edit its trust (service-linked, Identity Center's; §7.3)
                actions: tuple[str, ...] = (ROLE_TECHNIQUE,)
            else:
                actions = USER_TECHNIQUES
            for action in actions:
                unresolved = self._scp(caller, target, action)
                if unresolved is None:
                    continue
                what = "rewrites its trust policy" if action == ROLE_TECHNIQUE else "creates credentials for it"
                self.link(node, arn, EdgeKind.IAM.value, action, unresolved,
                          f"an administrator of account {account} {what} ({action})")
                if not unresolved:
                    break

    def _scp(self, caller: Caller, target: Role | User, action: str) -> list[Condition] | None:
        """What SCPs leave of `action` on `target` for principals of the target's account (None: denied)."""
        if self.org is None:
            return []
        stand_in = target if isinstance(target, Role) else Role(target.arn, target.name, target.account,
                                                                 tags=dict(target.tags))
        facts = RequestFacts(caller, stand_in, self.org.facts_for(target.account), None, self.data_time,
                             requested_region(action, caller.partition))
        result = self.org.scp(caller, stand_in, action, facts)
        verdict = AssumeVerdict(via="scp", needs_identity=True)
        if result is not None and not apply_policy_set(verdict, result, True, "the service control policies"):
            return None
        return list(verdict.unresolved)

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
