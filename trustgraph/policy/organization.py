"""Service and resource control policies (SEMANTICS §4.1, §4.2) over an Organization.

SCPs limit the caller's side: member accounts only, an Allow needed at every level from the root to the
account, never the management account, never service-linked roles, never callers outside the org.
RCPs limit the role's side whoever calls, except in the management account and for service-linked roles.
"""

from __future__ import annotations

from trustgraph.model import Condition, Organization, Role
from trustgraph.policy.caller import Caller, OrgFacts, RequestFacts
from trustgraph.policy.conditions import Tri, evaluate_condition
from trustgraph.policy.facts import PER_PRINCIPAL_KEYS, tests_per_principal_facts
from trustgraph.policy.identity import PolicySetVerdict, SourcedStatement, evaluate_set, relevant

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
ASSUME = "sts:AssumeRole"


class OrganizationPolicies:
    def __init__(self, org: Organization) -> None:
        self.org = org
        # The levels from the root down to the account, read off its OU path (o-…/r-…/ou-…/), which the
        # loader derives from the OU tree when the file does not give it.
        self.levels: dict[str, list[str]] = {
            a.id: [*a.ou_path.strip("/").split("/")[1:], a.id] if a.ou_path else [a.id]
            for a in org.accounts.values()}
        self.by_target: dict[tuple[str, str], list[SourcedStatement]] = {}
        self._relevant: dict[tuple[str, str, str], tuple[list[SourcedStatement], list[SourcedStatement]]] = {}
        self._verdicts: dict[tuple[object, ...], tuple[PolicySetVerdict, frozenset[str]]] = {}
        self._shapes: dict[tuple[str, str, str], tuple[bool, bool]] = {}
        self._caller_levels: dict[str | None, tuple[object, ...]] = {}
        self._probes: dict[tuple[str, str, str], tuple[tuple[Condition, bool], ...] | None] = {}
        self.has_type = {SCP: False, RCP: False}
        # Looked up by level, and an account outside the org is its own (possibly None) level.
        self._attached_ids: dict[tuple[str, str | None], list[str]] = {}
        # Every condition key an SCP or RCP of the organization tests (lower case).
        self.condition_keys = frozenset(c.key.lower() for p in org.policies for st in p.document.statements
                                        for c in st.conditions)
        for policy in org.policies:
            self.has_type[policy.type] = True
            for target in policy.targets:
                self._attached_ids.setdefault((policy.type, target), []).append(policy.id)
            statements = [SourcedStatement(s, f"{'SCP' if policy.type == SCP else 'RCP'} {policy.name or policy.id}",
                                           policy.document.supports_variables)
                          for s in policy.document.statements]
            for target in policy.targets:
                self.by_target.setdefault((policy.type, target), []).extend(statements)

    def per_principal(self, caller_account: str, role_account: str) -> bool:
        """Do SCPs on the caller's levels or RCPs on the role's levels test per-principal facts?"""
        return not (self._shape(SCP, caller_account, ASSUME)[0] and self._shape(RCP, role_account, ASSUME)[0])

    def caller_levels(self, account: str | None) -> tuple[object, ...]:
        """What decides the SCP side for callers of `account`: whether SCPs apply there at all and the
        policies attached at each level (by id: FullAWSAccess on every account is one policy). Callers with
        equal keys get equal SCP verdicts unless the policies read a key in which they differ."""
        found = self._caller_levels.get(account)
        if found is None:
            found = self._caller_levels[account] = ("exempt",) if not self._member(account) else tuple(
                tuple(sorted(self._attached_ids.get((SCP, level), ())))
                for level in self.levels.get(account or "", [account]))
        return found

    def forget_verdicts(self) -> None:
        """Drop the verdicts kept so far: their keys name the accounts asked about, so a build going account by
        account need not keep an organization's worth (the shapes and relevant statements, per level, stay)."""
        self._verdicts.clear()

    def account_facts(self) -> dict[str, OrgFacts]:
        return {a.id: OrgFacts(self.org.id, a.ou_path or None) for a in self.org.accounts.values()}

    def facts_for(self, account: str | None) -> OrgFacts | None:
        if account is None:
            return None
        acct = self.org.accounts.get(account)
        return OrgFacts(self.org.id, acct.ou_path or None) if acct else OrgFacts(None, None)

    def _member(self, account: str | None) -> bool:
        return bool(account) and account in self.org.accounts and account != self.org.management_account_id

    def _evaluate(self, kind: str, account: str, resource: str, action: str, facts: RequestFacts,
                  need_allow_per_level: bool) -> PolicySetVerdict | None:
        if not self.has_type[kind]:
            return None  # no such policies in the data: FullAWSAccess / RCPFullAWSAccess everywhere
        # Without per-principal condition keys on the path, the verdict depends only on the caller's
        # account, kind and organization facts: every other such caller gets the same one. When nothing on
        # the path names a resource or tests its tags either, it is the same for every role of the account.
        account_level, role_independent = self._shape(kind, account, action)
        caller = facts.caller
        key: tuple[object, ...] = (kind, account, "*" if role_independent else resource, action,
                                   need_allow_per_level, caller.account, caller.kind, caller.org,
                                   tuple(sorted(facts.call.items())) if facts.call else ())
        if not account_level:
            # Per-principal conditions on the path: callers for whom each of them comes out the same (most callers
            # are not the few ARNs an SCP exempts) get the same verdict, which read the same keys.
            probes = self._probe_conditions(kind, account, action)
            if probes is not None:
                outer, facts.read = facts.read, None
                try:
                    key = (*key, caller.concrete,
                           tuple(evaluate_condition(c, facts, variables) for c, variables in probes))
                finally:
                    facts.read = outer
                account_level = True
        cached = self._verdicts.get(key)
        if cached is not None:
            result, keys = cached
            if facts.read is not None:
                facts.read.update(keys)  # a cached verdict still tells which keys decided it
            return result
        outer, facts.read = facts.read, set()
        try:
            result = self._walk_levels(kind, account, resource, action, facts, need_allow_per_level)
        finally:
            keys, facts.read = frozenset(facts.read or ()), outer
        if outer is not None:
            outer.update(keys)
        if account_level:
            self._verdicts[key] = (result, keys)
        return result

    def _relevant_at(self, kind: str, level: str,
                     action: str) -> tuple[list[SourcedStatement], list[SourcedStatement]] | None:
        """(allows, denies) for `action` attached at one level; None when nothing is attached there."""
        statements = self.by_target.get((kind, level))
        if not statements:
            return None
        cached = self._relevant.get((kind, level, action))
        if cached is None:
            cached = self._relevant[(kind, level, action)] = relevant(statements, action)
        return cached

    def _shape(self, kind: str, account: str, action: str) -> tuple[bool, bool]:
        """(no per-principal key on the path, no resource-specific element on the path)."""
        shape = self._shapes.get((kind, account, action))
        if shape is None:
            statements = [s.statement for level in self.levels.get(account, [account])
                          for group in self._relevant_at(kind, level, action) or ([], []) for s in group]
            shape = self._shapes[(kind, account, action)] = (
                not any(tests_per_principal_facts(st) for st in statements),
                all(st.resources == ("*",) and not any(
                    c.key.lower().startswith(("aws:resourcetag/", "iam:resourcetag/")) for c in st.conditions)
                    for st in statements))
        return shape

    def _probe_conditions(self, kind: str, account: str, action: str) -> tuple[tuple[Condition, bool], ...] | None:
        """The conditions on the path that test per-principal facts, with whether their policy supports variables;
        None when a Resource on the path holds a policy variable (its match may depend on the principal too)."""
        cache_key = (kind, account, action)
        if cache_key in self._probes:
            return self._probes[cache_key]
        sourced = [s for level in self.levels.get(account, [account])
                   for group in self._relevant_at(kind, level, action) or ([], []) for s in group]
        found: tuple[tuple[Condition, bool], ...] | None = tuple(
            (c, s.variables) for s in sourced for c in s.statement.conditions
            if c.key.lower().startswith(PER_PRINCIPAL_KEYS) or any("${" in v for v in c.values))
        if any("${" in r for s in sourced for r in (*(s.statement.resources or ()),
                                                   *(s.statement.not_resources or ()))):
            found = None
        self._probes[cache_key] = found
        return found

    def _walk_levels(self, kind: str, account: str, resource: str, action: str, facts: RequestFacts,
                     need_allow_per_level: bool) -> PolicySetVerdict:
        result = PolicySetVerdict(Tri.TRUE, Tri.FALSE)
        for level in self.levels.get(account, [account]):
            attached = self._relevant_at(kind, level, action)
            if attached is None:
                continue  # a level the data lists nothing for keeps the default full-access policy
            allows, denies = attached
            verdict = evaluate_set(allows, denies, resource, facts)
            if verdict.denied is Tri.TRUE:
                return verdict
            if verdict.denied is Tri.UNKNOWN:
                result.denied, result.deny_source = Tri.UNKNOWN, verdict.deny_source
                result.unresolved.extend(verdict.unresolved)
            if need_allow_per_level and verdict.allowed is not Tri.TRUE:
                if verdict.allowed is Tri.FALSE:
                    return PolicySetVerdict(Tri.FALSE, Tri.FALSE, [], None, None)
                result.allowed = Tri.UNKNOWN
                result.unresolved.extend(verdict.unresolved)
        return result

    def scp(self, caller: Caller, role: Role, action: str, facts: RequestFacts) -> PolicySetVerdict | None:
        if not caller.is_aws_principal or not self._member(caller.account):
            return None
        if caller.arn and ":role/aws-service-role/" in caller.arn:
            return None  # SCPs never restrict service-linked roles
        return self._evaluate(SCP, caller.account or "", role.arn, action, facts, need_allow_per_level=True)

    def rcp(self, caller: Caller, role: Role, action: str, facts: RequestFacts) -> PolicySetVerdict | None:
        if not self._member(role.account) or role.service_linked:
            return None
        if caller.arn and ":role/aws-service-role/" in caller.arn:
            return None  # RCPs never restrict calls made by service-linked roles
        # Customer RCPs can only deny; RCPFullAWSAccess is the only Allow, so only denies decide.
        return self._evaluate(RCP, role.account, role.arn, action, facts, need_allow_per_level=False)
