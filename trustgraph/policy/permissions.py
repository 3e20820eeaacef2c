"""May a principal of the data call an API on a resource? Identity policies, permissions boundary and SCPs.

The same decision order as the identity side of sts:AssumeRole (SEMANTICS §4.2, §6), for any action: an explicit
Deny anywhere denies, the identity policies must allow, a boundary must allow too, and for a member account every
SCP level must allow. Conditions the data cannot settle make the answer conditional; policies missing from the
data make it conditional on `trustgraph:PolicyNotInData`, never a deny (§0.1).

Principals whose policies say the same of an action ask the same questions about it: answers are shared between
them through a key made of the statements concerning the action (with their sources), the account and the SCP
levels, unless the decision read a per-principal fact (its ARN,
tags, user name…), in which case it is made again for every principal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trustgraph.model import Condition, Role, Statement, User
from trustgraph.policy.caller import Caller, RequestFacts
from trustgraph.policy.conditions import Tri
from trustgraph.policy.facts import PER_PRINCIPAL_KEYS, UNKNOWN, AccountScoped, KeyValue
from trustgraph.policy.identity import IdentityProfile, evaluate_set
from trustgraph.policy.regions import requested_region
from trustgraph.policy.statements import covers_action
from trustgraph.policy.trust import AssumeVerdict, OrgGate, apply_policy_set, note_missing

PASSED_TO_SERVICE = "iam:passedtoservice"
ASSOCIATED_RESOURCE = "iam:associatedresourcearn"


@dataclass(frozen=True, slots=True)
class Permission:
    """A principal may call `action` on `resource`: unconditionally, or only if `unresolved` hold."""

    action: str
    resource: str
    unresolved: tuple[Condition, ...] = ()
    source: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def conditional(self) -> bool:
        return bool(self.unresolved)


class CallFacts:
    """The request context of an API call other than sts:AssumeRole: the caller's facts as for AssumeRole,
    plus the values the call itself sets (iam:PassedToService), with the target's tags known only for roles."""

    __slots__ = ("base", "extra", "target_known")

    def __init__(self, base: RequestFacts, extra: dict[str, KeyValue], target_known: bool) -> None:
        self.base = base
        self.extra = extra
        self.target_known = target_known

    def value(self, key: str) -> KeyValue:
        if key in self.extra:
            return self.extra[key]
        if key == ASSOCIATED_RESOURCE:
            return UNKNOWN  # the resource the service will run the role on: chosen when the call is made
        if not self.target_known and key.startswith(("aws:resourcetag/", "iam:resourcetag/")):
            return UNKNOWN
        return self.base.value(key)


@dataclass(slots=True)
class PermissionChecker:
    """Answers "may P call A on X" for the principals of one graph build, sharing answers between principals
    whose policies are equal."""

    org: OrgGate | None = None
    data_time: float | None = None
    # The actions this checker will be asked about: only statements that can concern one of them tell principals
    # apart (empty: every statement does).
    actions: tuple[str, ...] = ()
    # Actions asked only where the resource's own policy names the caller (named_by_resource): their Allow
    # statements decide nothing, so only their Denies (and the boundary) tell principals apart.
    deny_only: tuple[str, ...] = ()
    _memo: dict[tuple[object, ...], tuple[Permission | None, bool]] = field(default_factory=dict)
    # (principal, memo key) → its own answer, where the shared one read who the caller is.
    _own: dict[tuple[str, tuple[object, ...]], tuple[Permission | None]] = field(default_factory=dict)
    _ids: dict[str, int] = field(default_factory=dict)  # principal → the id of its policy content
    _contents: dict[tuple[object, ...], int] = field(default_factory=dict)
    _per_principal: set[int] = field(default_factory=set)  # policy ids whose answers read per-principal facts
    _for_action: dict[tuple[int, str], IdentityProfile] = field(default_factory=dict)
    _action_ids: dict[tuple[int, str], int] = field(default_factory=dict)  # (policy id, action) → its action id
    _action_contents: dict[tuple[object, ...], int] = field(default_factory=dict)
    _per_principal_actions: set[int] = field(default_factory=set)  # action ids whose answers read such facts
    _action_ids_dropped: int = 0  # action ids drawn before the last forget_answers: new ones come after them
    _concerns: dict[tuple[int, bool], tuple[Statement, bool]] = field(default_factory=dict)
    _keys: dict[int, frozenset[str]] = field(default_factory=dict)  # action id → the condition keys it can read

    def _concerned(self, statement: Statement, boundary: bool = False) -> bool:
        """Can the statement concern any action of `actions` (or, a Deny or a boundary statement, of `deny_only`)?
        Judged once per statement (managed policies share theirs between principals)."""
        key = (id(statement), boundary)
        entry = self._concerns.get(key)
        if entry is None or entry[0] is not statement:
            found = not self.actions or any(covers_action(statement, a) for a in self.actions) or (
                (boundary or statement.effect == "Deny") and any(covers_action(statement, a) for a in self.deny_only))
            entry = self._concerns[key] = (statement, found)
        return entry[1]

    def policy_id(self, caller: Caller, profile: IdentityProfile) -> int:
        """Equal for principals whose answers are the same unless a decision reads who they are."""
        found = self._ids.get(caller.node_id)
        if found is None:
            # Where a statement came from changes only the evidence text: the representative's is shown.
            content = (
                caller.kind, caller.account, caller.partition, caller.org,
                tuple((s.statement, s.variables) for s in profile.statements if self._concerned(s.statement)),
                None if profile.boundary_statements is None
                else tuple(s.statement for s in profile.boundary_statements if self._concerned(s.statement, True)),
                tuple(profile.missing_policies), profile.boundary_missing,
                self.org.caller_levels(caller.account) if self.org is not None else None)
            found = self._ids[caller.node_id] = self._contents.setdefault(content, len(self._contents))
        return found

    def forget_answers(self) -> None:
        """Drop the answers kept so far (what was learnt about which policies read per-principal facts stays).

        With them go the other tables whose keys name the account asked about (a policy id is one account's):
        the per-action profiles, the action ids and the contents they were drawn from, the condition keys an
        action id reads, and the organization's verdicts. Called at each account change of the indirect edges,
        they held every account's worth at the build's peak (docs/performance.md, "Where the memory goes").
        An action id asked again afterwards is a new one, with no answers yet: answered again, the same. The
        policy ids and their per-principal marks stay, as they must (policy groups are formed before the
        questions, and read the marks after)."""
        self._memo.clear()
        self._own.clear()
        self._for_action.clear()
        self._action_ids.clear()
        self._action_ids_dropped += len(self._action_contents)
        self._action_contents.clear()
        self._keys.clear()
        if self.org is not None:
            self.org.forget_verdicts()

    def per_principal(self, policy_id: int) -> bool:
        return policy_id in self._per_principal

    def for_action(self, caller: Caller, profile: IdentityProfile, action: str) -> IdentityProfile:
        """profile.for_action(action), once per policy id."""
        key = (self.policy_id(caller, profile), action)
        found = self._for_action.get(key)
        if found is None:
            found = self._for_action[key] = profile.for_action(action)
        return found

    def action_id(self, caller: Caller, profile: IdentityProfile, action: str) -> int:
        """Equal for principals whose answers about `action` are the same unless a decision reads who they are:
        principals whose policies differ elsewhere but say the same of this action (the same statements in the
        same order, from policies of the same names, so that the evidence text is theirs too) share answers."""
        policy = self.policy_id(caller, profile)
        found = self._action_ids.get((policy, action))
        if found is None:
            p = self.for_action(caller, profile, action)
            content = (
                action, caller.kind, caller.account, caller.partition, caller.org, tuple(p.allows), tuple(p.denies),
                None if p.boundary_allows is None else (tuple(p.boundary_allows), tuple(p.boundary_denies)),
                tuple(profile.missing_policies), profile.boundary_missing,
                self.org.caller_levels(caller.account) if self.org is not None else None)
            found = self._action_ids[(policy, action)] = self._action_contents.setdefault(
                content, self._action_ids_dropped + len(self._action_contents))
        return found

    def per_principal_action(self, action_id: int) -> bool:
        return action_id in self._per_principal_actions

    def check(self, caller: Caller, profile: IdentityProfile, action: str, resource: str,
              target: Role | User | None = None, service: str | None = None,
              associated: str | None = None, named_by_resource: bool = False) -> Permission | None:
        """May `caller` (a concrete principal with `profile`) call `action` on `resource`? `target`: the role or
        user the resource is (its tags and account decide resource conditions); `service`: the service a role
        is passed to (iam:PassedToService); `associated`: an ARN pattern of the caller's account that the
        resource the role is passed for matches (iam:AssociatedResourceArn: a resource the caller creates);
        `named_by_resource`: the resource's own policy names the caller's ARN in its account, so no identity
        Allow is needed (SEMANTICS §4) while Denies, the boundary (§4.3) and SCPs still apply."""
        policy = self.policy_id(caller, profile)
        shared = self.action_id(caller, profile, action)
        # A service or associated resource no statement looks at changes no answer: techniques passing a role to
        # the same service (or to several) share one answer per role.
        if service is not None or associated is not None:
            read_keys = self._keys_read(caller, profile, action, shared)
            service = service if PASSED_TO_SERVICE in read_keys else None
            associated = associated if ASSOCIATED_RESOURCE in read_keys else None
        key = (shared, resource, service, associated, named_by_resource)
        cached = self._memo.get(key)
        if cached is not None:
            if not cached[1]:
                return cached[0]
            own = self._own.get((caller.node_id, key))
            if own is not None:
                return own[0]  # this principal asked already (its policy id is marked per-principal then)
        bounded = self.for_action(caller, profile, action).boundary_allows
        if bounded is not None and not bounded:
            # Nothing in the boundary allows the action: denied whatever the resource (a boundary missing from
            # the data leaves boundary_allows None).
            self._memo[key] = (None, False)
            return None
        read: set[str] = set()
        answer = self._decide(caller, profile, action, resource, target, service, associated, read,
                              named_by_resource)
        per_principal = any(k.startswith(PER_PRINCIPAL_KEYS) for k in read)
        if per_principal:
            self._per_principal.add(policy)
            self._per_principal_actions.add(shared)
            self._own[(caller.node_id, key)] = (answer,)
        self._memo[key] = (answer, per_principal)
        return answer

    def _keys_read(self, caller: Caller, profile: IdentityProfile, action: str, shared: int) -> frozenset[str]:
        """The condition keys (lower case) the statements deciding `action` can read: the caller's and its
        boundary's for the action, and every SCP's and RCP's of the organization."""
        found = self._keys.get(shared)
        if found is None:
            p = self.for_action(caller, profile, action)
            statements = [*p.allows, *p.denies, *(p.boundary_allows or ()), *p.boundary_denies]
            found = self._keys[shared] = (self.org.condition_keys if self.org is not None else frozenset()) | {
                c.key.lower() for s in statements for c in s.statement.conditions}
        return found

    def _decide(self, caller: Caller, profile: IdentityProfile, action: str, resource: str,
                target: Role | User | None, service: str | None, associated: str | None,
                read: set[str], named_by_resource: bool = False) -> Permission | None:
        if isinstance(target, Role):
            stand_in = target
        else:
            account = resource.split(":")[4] if resource.count(":") >= 5 else (caller.account or "")
            stand_in = Role(resource, "", account, tags=dict(target.tags) if target is not None else {})
        extra: dict[str, KeyValue] = {PASSED_TO_SERVICE: (service,)} if service else {}
        if associated is not None:
            # A resource of the caller's account: a condition naming only other accounts' resources never holds.
            extra[ASSOCIATED_RESOURCE] = AccountScoped(caller.account or "", associated)
        base = RequestFacts(caller, stand_in, self.org.facts_for(stand_in.account) if self.org else None, read,
                            self.data_time, requested_region(action, caller.partition), extra or None)
        facts = CallFacts(base, extra, target is not None)
        verdict = AssumeVerdict(via="identity", needs_identity=True)
        policies = self.for_action(caller, profile, action)
        result = evaluate_set(policies.allows, policies.denies, resource, facts)
        if not apply_policy_set(verdict, result, not named_by_resource, f"the identity policy for {action}"):
            if result.allowed is Tri.FALSE and result.denied is Tri.FALSE and profile.missing_policies:
                note_missing(verdict, profile.missing_policies, "may be allowed by policies not in the data: ")
            else:
                return None
        if policies.boundary_allows is not None:
            bound = evaluate_set(policies.boundary_allows, policies.boundary_denies, resource, facts)
            if not apply_policy_set(verdict, bound, True, "the permissions boundary"):
                return None
        elif profile.boundary_missing:
            note_missing(verdict, [profile.boundary_missing], "the permissions boundary is not in the data: ")
        # SCPs last: most questions end at the identity policies, and SCPs that exempt principal ARNs make their
        # answer per-principal (no answer shared between principals with the same policies).
        if self.org is not None:
            scp = self.org.scp(caller, stand_in, action, base)
            if scp is not None and not apply_policy_set(verdict, scp, True, "the service control policies"):
                return None
        unresolved: list[Condition] = []
        for c in verdict.unresolved:
            if c not in unresolved:
                unresolved.append(c)
        # Named by the resource's policy, its own Allows (if any) are not what lets it: principals sharing answers
        # may differ in them.
        source = "the resource's policy, which names it" if named_by_resource else result.allow_source
        return Permission(action, resource, tuple(unresolved), source, tuple(verdict.notes))

