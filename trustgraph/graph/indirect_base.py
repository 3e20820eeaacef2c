"""The machinery every family of indirect edges shares (SEMANTICS §7.4, §7.5): the callers, their permission checks
(one resource for several actions, a technique's extra steps), policy-group nodes, and drawing an edge or folding
another kind into it. The families live beside it: indirect_compute (PassRole, code), indirect_iam (IAM writes,
account takeover), indirect_org (AssumeRoot, service-managed StackSets); graph/indirect.py puts them together.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from trustgraph.graph.callers import CallerDirectory
from trustgraph.graph.iam_writes import WrittenObjects
from trustgraph.graph.schema import INDIRECT_RECORD_KEYS, EdgeKind, NodeKind, TrustGraph, graph_dicts, record_maker
from trustgraph.model import ComputeResource, Condition, Role, Snapshot, Statement, User
from trustgraph.policy.caller import Caller
from trustgraph.policy.grant_targets import GrantTargets
from trustgraph.policy.identity import IdentityProfile
from trustgraph.policy.passrole import (
    Extra,
    Technique,
    checked_actions,
    chosen_resources,
    identity_unit_actions,
    named_uses,
    shared_resources,
)
from trustgraph.policy.permissions import Permission, PermissionChecker
from trustgraph.policy.statements import covers_action
from trustgraph.policy.trust import OrgGate

# Evidence records of indirect edges: plain dicts sharing one key table (schema.record_maker).
_record = record_maker(INDIRECT_RECORD_KEYS)
WRITE = "policy-write"  # a Link kind that is never drawn: see _writes_on_reached
# The write's target is reached only through conditional edges: the takeover depends on their conditions.
REACHES_KEY = "trustgraph:ReachesWriteTarget"


@dataclass(frozen=True, slots=True)
class Hub:
    """A hub node a link enters, named when the link is drawn (`IndirectBase._resolve`): a PassRole runner's id
    counts the runners drawn before it, and finding links draws nothing (they may be found in another process)."""

    kind: str  # "passrole" (roles of `roles` passed to the technique's service), "code" or "admin" (the account's)
    account: str
    technique: Technique | None = None
    roles: tuple[str, ...] = ()


@dataclass(slots=True)
class Link:
    """An indirect edge found for a caller, before it is drawn from the caller or from its group node."""

    dst: str  # "" while `hub` names it
    kind: str
    technique: str
    unresolved: list[Condition]
    reason: str
    notes: list[str]
    service: str | None = None
    hub_entry: bool = False
    # Every action the edge needs the caller's own policies to allow (choke points: which statements grant them).
    actions: tuple[str, ...] = ()
    # A policy write (WRITE): the principals it changes, when they are not `dst` itself (a policy, a group).
    targets: tuple[str, ...] = ()
    hub: Hub | None = None  # the hub node it enters, named when drawn


def admin_node(account: str) -> str:
    return f"admin:{account}"


def reachable(graph: TrustGraph, start: str, firm: bool, wanted: set[str]) -> set[str]:
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


def names_arn(candidates: frozenset[str] | None, arn: str) -> bool:
    return candidates is None or arn in candidates


def _dicts(conditions: Iterable[Condition]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for c in conditions:
        item: dict[str, object] = {"operator": c.operator, "key": c.key, "values": list(c.values)}
        if item not in out:
            out.append(item)
    return out


class IndirectBase:
    def __init__(self, graph: TrustGraph, snapshot: Snapshot, directory: CallerDirectory, org: OrgGate | None,
                 data_time: float | None, part: frozenset[str] | None = None,
                 jobs: int = 1) -> None:
        self.graph = graph
        # A part build's accounts (graph/parts.py): only their principals are callers here.
        self.part = part
        # Policy writes a part could not decide (their targets are reached only through other parts' edges).
        self.deferred: list[tuple[str, Link]] = []
        self.jobs = jobs  # processes deciding the links of the policy groups (graph/parallel.py)
        self.snapshot = snapshot
        self.directory = directory
        self.org = org
        self.checker = PermissionChecker(org, data_time, checked_actions(), named_uses())
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
        # Choke points (docs/chokepoints.md): (caller, action) → the statement alone granting it, if a unit; the
        # evidence records naming one (src, record), taken back where a removal could change more than the edge.
        self._unit_actions = identity_unit_actions()
        self._grantors: dict[tuple[str, str], tuple[dict[str, object], ...] | None] = {}
        self._identity_records: list[tuple[str, dict[str, object]]] = []

    # -- helpers ----------------------------------------------------------------------------------------------
    def _callers(self) -> Iterable[tuple[Caller, IdentityProfile, User | Role]]:
        """Principals of the data whose own policies are known, excluding service-linked roles (only their
        service uses them)."""
        d = self.directory
        for account in sorted(self.snapshot.collected_accounts):
            if self.part is not None and account not in self.part:
                continue
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
        if not profile.missing_policies and any(not self.checker.for_action(caller, profile, a).allows
                                                for a in actions):
            return None  # an action no statement allows: no resource to look for
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
             notes: list[str] | None = None, service: str | None = None, hub_entry: bool = False,
             identity: list[tuple[dict[str, object], ...]] | None = None) -> None:
        """Add src → dst, or fold this alternative into the existing edge (unconditional if any alternative is).
        `identity`: for the actions the caller's own policies must allow, the statement alone granting each, where
        it is a unit (docs/chokepoints.md, `_sole`)."""
        # Evidence records are never changed once drawn: equal values are one object (an organization's indirect
        # edges repeat a few reasons, notes and conditions hundreds of thousands of times).
        shared = self._shared_values
        src, dst = sys.intern(src), sys.intern(dst)  # one string per id, however many records name it
        conditions = shared.setdefault(("conditions", *unresolved), _dicts(unresolved))
        evidence = _record({
            "role": dst, "statement": None, "sid": None, "principal": src, "principal_form": kind,
            "action": technique, "effect": "Allow", "conditions": conditions,
            "caller_chosen": shared.setdefault(("caller_chosen",), []),
            "notes": shared.setdefault(("notes", *(notes or ())), list(notes or [])),
            "reason": shared.setdefault(reason, reason), "kind": kind, "technique": technique})
        if service:
            evidence["service"] = service
        if identity:
            key = ("identity", *(tuple((g["principal"], g["policy"], g["statement"]) for g in group)
                                 for group in identity))
            evidence["identity"] = shared.setdefault(key, [list(group) for group in identity])
            self._identity_records.append((src, evidence))
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

    def _draw(self, members: list[tuple[Caller, IdentityProfile, User | Role]], links: list[Link]) -> None:
        """The links of principals with the same edges: from the principal itself, or from their group node."""
        writes = [x for x in links if x.kind == WRITE]
        if writes:
            self._writes.extend((m[0].node_id, w) for m in members for w in writes)
            links = [x for x in links if x.kind != WRITE]
        if not links:
            return
        src = members[0][0].node_id if len(members) == 1 else self._group(members)
        # Only a caller drawn alone, that is no administrator of its account and has no policy write (whose takeover
        # depends on it), with all its policies in the data, has edges whose statements choke points can name.
        alone = len(members) == 1 and src not in self._admins and not writes and not members[0][1].missing_policies
        for link in links:
            identity = self._identity(members[0][0], members[0][1], members[0][2], link.actions) \
                if alone and link.actions else None
            self.link(src, link.dst, link.kind, link.technique, link.unresolved, link.reason, link.notes, link.service,
                      link.hub_entry, identity)

    def _identity(self, caller: Caller, profile: IdentityProfile, principal: User | Role,
                  actions: tuple[str, ...]) -> list[tuple[dict[str, object], ...]]:
        """For each action, the statement granting it, when it is a unit (`_sole`): removing it takes that action
        from the caller altogether, so the edge's alternative with it. Actions granted otherwise have no entry."""
        out = []
        for action in dict.fromkeys(actions):
            found = self._sole(caller, profile, principal, action)
            if found:
                out.append(found)
        return out

    def _sole(self, caller: Caller, profile: IdentityProfile, principal: User | Role, action: str
              ) -> tuple[dict[str, object], ...] | None:
        """The statement granting `action`, when it is the caller's only statement allowing it, a statement of its
        own inline policy that `_removable` admits, and the only one allowing each other action it names too.
        Removing such a statement takes its actions from the caller on every resource and nothing else: a
        statement sharing an action with another (which may allow it on fewer resources or under conditions) would
        take part of an action, which no evidence records, and is no unit."""
        key = (caller.node_id, action.lower())
        if key in self._grantors:
            return self._grantors[key]
        self._grantors[key] = None
        allowing = self._allowing(caller, profile, action)
        if len(allowing) != 1 or not self._removable(allowing[0]):
            return None
        statement = allowing[0]
        policy = next((p.name for p in principal.inline_policies
                       if any(s is statement for s in p.document.statements)), None)
        if policy is None or any(len(self._allowing(caller, profile, a)) != 1 for a in statement.actions or ()):
            return None
        found = ({"principal": principal.arn, "policy": policy, "statement": statement.index, "sid": statement.sid},)
        self._grantors[key] = found
        return found

    def _allowing(self, caller: Caller, profile: IdentityProfile, action: str) -> list[Statement]:
        return [s.statement for s in profile.statements
                if s.statement.effect == "Allow" and covers_action(s.statement, action)]

    def _removable(self, statement: Statement) -> bool:
        """A statement naming only actions of `identity_unit_actions`, literally (no wildcard, no NotAction): its
        removal changes the PassRole and code edges that name it and nothing else."""
        return statement.not_actions is None and bool(statement.actions) and all(
            "*" not in a and "?" not in a and a.lower() in self._unit_actions for a in statement.actions or ())

    def _keep_identity_off_write_paths(self) -> None:
        """A policy write is a takeover when its caller reaches the principal written on (`_writes_on_reached`):
        removing an edge on the way could take that takeover too. The edges the writing callers reach name no
        statement."""
        if not self._identity_records or not self._writes:
            return
        succ = graph_dicts(self.graph).succ
        seen = {src for src, _ in self._writes}
        stack = list(seen)
        while stack:
            for nxt in succ[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        for src, record in self._identity_records:
            if src in seen:
                record.pop("identity", None)

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

