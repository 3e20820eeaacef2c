"""Service and resource control policies (SEMANTICS §4.1, §4.2) over an Organization.

SCPs limit the caller's side: member accounts only, an Allow needed at every level from the root to the
account, never the management account, never service-linked roles, never callers outside the org.
RCPs limit the role's side whoever calls, except in the management account and for service-linked roles.
"""

from __future__ import annotations

from trustgraph.model import Organization, Role
from trustgraph.policy.caller import Caller, OrgFacts, RequestFacts
from trustgraph.policy.conditions import Tri
from trustgraph.policy.facts import tests_per_principal_facts
from trustgraph.policy.identity import PolicySetVerdict, SourcedStatement, evaluate_set, relevant
from trustgraph.policy.statements import covers_action

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"


class OrganizationPolicies:
    def __init__(self, org: Organization) -> None:
        self.org = org
        parents = {u.id: u.parent_id for u in org.units} | {r.id: None for r in org.roots}
        self.levels: dict[str, list[str]] = {}
        for account in org.accounts.values():
            chain: list[str] = []
            current, seen = account.parent_id, set()
            while current and current not in seen:
                seen.add(current)
                chain.append(current)
                current = parents.get(current)
            if not chain and account.ou_path:
                chain = [p for p in reversed(account.ou_path.strip("/").split("/")[1:])]
            self.levels[account.id] = [*reversed(chain), account.id]
        self.by_target: dict[tuple[str, str], list[SourcedStatement]] = {}
        self._relevant: dict[tuple[str, str, str], tuple[list[SourcedStatement], list[SourcedStatement]]] = {}
        self._verdicts: dict[tuple[object, ...], PolicySetVerdict] = {}
        self._shapes: dict[tuple[str, str, str], tuple[bool, bool]] = {}
        self.has_type = {SCP: False, RCP: False}
        for policy in org.policies:
            self.has_type[policy.type] = True
            statements = [SourcedStatement(s, f"{'SCP' if policy.type == SCP else 'RCP'} {policy.name or policy.id}",
                                           policy.document.supports_variables)
                          for s in policy.document.statements]
            for target in policy.targets:
                self.by_target.setdefault((policy.type, target), []).extend(statements)

    def per_principal(self, caller_account: str, role_account: str) -> bool:
        """Do SCPs on the caller's levels or RCPs on the role's levels test per-principal facts?"""
        checks = [(SCP, caller_account), (RCP, role_account)]
        return any(tests_per_principal_facts(s.statement) and covers_action(s.statement, "sts:AssumeRole")
                   for kind, account in checks
                   for level in self.levels.get(account, [account])
                   for s in self.by_target.get((kind, level), ()))

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
        # account, kind and organization facts: every other such caller gets the same one.
        # When nothing on the path names a resource or tests its tags either, the verdict is the same for
        # every role of the account.
        caller = facts.caller
        shape = self._shapes.get((kind, account, action))
        role_key = "*" if shape is not None and shape[1] else resource
        key = (kind, account, role_key, action, need_allow_per_level, caller.account, caller.kind, caller.org)
        cached = self._verdicts.get(key)
        if cached is not None:
            return cached
        result = self._walk_levels(kind, account, resource, action, facts, need_allow_per_level)
        if shape is None:
            shape = self._shapes[(kind, account, action)] = self._shape(kind, account, action)
            role_key = "*" if shape[1] else resource
            key = (kind, account, role_key, action, need_allow_per_level, caller.account, caller.kind, caller.org)
        if shape[0]:
            self._verdicts[key] = result
        return result

    def _shape(self, kind: str, account: str, action: str) -> tuple[bool, bool]:
        """(no per-principal key on the path, no resource-specific element on the path)."""
        statements = [s.statement for level in self.levels.get(account, [account])
                      for group in self._relevant.get((kind, level, action), ([], [])) for s in group]
        account_level = not any(tests_per_principal_facts(st) for st in statements)
        role_independent = all(st.resources == ("*",) and not any(
            c.key.lower().startswith(("aws:resourcetag/", "iam:resourcetag/")) for c in st.conditions)
            for st in statements)
        return account_level, role_independent

    def _walk_levels(self, kind: str, account: str, resource: str, action: str, facts: RequestFacts,
                     need_allow_per_level: bool) -> PolicySetVerdict:
        result = PolicySetVerdict(Tri.TRUE, Tri.FALSE)
        for level in self.levels.get(account, [account]):
            statements = self.by_target.get((kind, level))
            if not statements:
                continue  # a level the data lists nothing for keeps the default full-access policy
            cached = self._relevant.get((kind, level, action))
            if cached is None:
                cached = self._relevant[(kind, level, action)] = relevant(statements, action)
            allows, denies = cached
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
