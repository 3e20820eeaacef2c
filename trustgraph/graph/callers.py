"""Caller lookups for graph building: principals by ARN, unique id and account, with identity indexes."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

from trustgraph.arns import partition_of, root_arn
from trustgraph.graph.schema import NodeKind
from trustgraph.model import Role, Snapshot, User
from trustgraph.policy.caller import Caller, OrgFacts
from trustgraph.policy.globs import ArnPatternSet, arn_matches
from trustgraph.policy.identity import IdentityProfile, SharedStatements, build_profile
from trustgraph.policy.session_tags import TAG_SESSION, SessionTagging, session_tagging
from trustgraph.policy.statements import covers_action
from trustgraph.policy.trust import compile_trust


def covers_every_role(pattern: str) -> bool:
    if pattern == "*":
        return True
    parts = pattern.split(":", 5)
    return len(parts) == 6 and parts[1] in ("*", "aws") and parts[2] in ("*", "iam") and parts[4] == "*" \
        and parts[5] in ("*", "role/*")


def is_uniform(profile: IdentityProfile) -> bool:
    """Allows sts:AssumeRole on every role with no condition, and nothing in its policies can deny it."""
    if profile.denies or profile.boundary_denies or profile.missing_policies:
        return False

    def unconditional_all(statements: list) -> bool:  # type: ignore[type-arg]
        return any(not s.statement.conditions and s.statement.resources is not None
                   and any(covers_every_role(r) for r in s.statement.resources) for s in statements)

    if not unconditional_all(profile.allows):
        return False
    return profile.boundary_allows is None or unconditional_all(profile.boundary_allows)


@dataclass(slots=True)
class AccountGrantIndex:
    """Which callers of one account have an sts:AssumeRole grant that could cover a given role ARN.

    Exact ARNs sit in a dict; patterns (each distinct one once, with its callers) are looked up through an
    ArnPatternSet built on the first query, so a role is matched against the few patterns that share a
    literal prefix with its ARN, not against every pattern of the account.
    """

    exact: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    patterns: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    everything: list[str] = field(default_factory=list)
    # Callers whose identity side allows sts:AssumeRole on every role, unconditionally and with nothing
    # that could deny it: for them an account-wide trust needs no per-caller check (see uniform_callers).
    uniform: list[str] = field(default_factory=list)
    _lookup: ArnPatternSet[list[str]] | None = field(default=None, init=False, repr=False, compare=False)
    _lookup_size: int = field(default=-1, init=False, repr=False, compare=False)

    def candidates(self, role_arn: str, include_uniform: bool = True) -> list[str]:
        found = set(self.everything)
        if include_uniform:
            found.update(self.uniform)
        found.update(self.exact.get(role_arn, ()))
        lookup = self._lookup
        if lookup is None or self._lookup_size != len(self.patterns):  # built once the index is filled
            lookup = self._lookup = ArnPatternSet(self.patterns.items())
            self._lookup_size = len(self.patterns)
        for callers in lookup.matching(role_arn):
            found.update(callers)
        return sorted(found)


def _session_tagging(role: Role) -> SessionTagging | None:
    """What session tags the sessions of `role` may carry (only roles whose trust allows sts:TagSession)."""
    if role.trust is None or not any(covers_action(st, TAG_SESSION) for st in role.trust.statements
                                     if st.effect == "Allow"):
        return None
    return session_tagging(role, {g.principal.written for g in compile_trust(role).grants})


class CallerDirectory:
    def __init__(self, snapshot: Snapshot, org_facts: dict[str, OrgFacts] | None = None) -> None:
        self.snapshot = snapshot
        self.org_facts = org_facts
        self.principals: dict[str, User | Role] = {**snapshot.users, **snapshot.roles}
        self.by_unique_id: dict[str, str] = {}
        self.by_account: dict[str, list[str]] = defaultdict(list)
        self.roles_by_name: dict[tuple[str, str], str] = {}
        for arn, p in sorted(self.principals.items()):
            if p.unique_id:
                self.by_unique_id[p.unique_id] = arn
            self.by_account[p.account].append(arn)
            if isinstance(p, Role):
                self.roles_by_name[(p.account, p.name)] = arn
        # Principals sorted by the resource part of their ARN, to find those an aws:PrincipalArn pattern
        # can match by its literal prefix instead of testing every principal.
        self._by_resource = sorted((arn.split(":", 5)[5], arn) for arn in self.principals)
        self._resource_keys = [r for r, _ in self._by_resource]
        # The same, per account: a pattern naming one account must not scan the namesakes of every other one
        # (role/ci/* in each of thousands of accounts made that lookup grow with the organization).
        self._account_resources: dict[str, tuple[list[str], list[tuple[str, str]]]] = {}
        self._callers: dict[str, Caller] = {}
        self._profiles: dict[str, IdentityProfile | None] = {}
        self._statements: SharedStatements = {}  # one SourcedStatement per statement and source, not per principal
        self._indexes: dict[str, AccountGrantIndex] = {}

    def org_of(self, account: str | None) -> OrgFacts | None:
        if self.org_facts is None or account is None:
            return None
        return self.org_facts.get(account, OrgFacts(None, None))

    def concrete(self, arn: str) -> Caller:
        caller = self._callers.get(arn)
        if caller is None:
            p = self.principals[arn]
            caller = Caller(
                kind=(NodeKind.USER if isinstance(p, User) else NodeKind.ROLE).value, node_id=arn, account=p.account,
                arn=arn, unique_id=p.unique_id, username=p.name if isinstance(p, User) else None, tags=p.tags,
                partition=partition_of(arn), concrete=True, org=self.org_of(p.account),
                session_tags=_session_tagging(p) if isinstance(p, Role) else None)
            self._callers[arn] = caller
        return caller

    def profile(self, arn: str) -> IdentityProfile | None:
        if arn not in self._profiles:
            p = self.principals[arn]
            has_data = not isinstance(p, Role) or p.has_identity_data
            self._profiles[arn] = build_profile(p, self.snapshot, shared=self._statements) if has_data \
                else None
        return self._profiles[arn]

    def abstract_account(self, account: str, partition: str = "aws") -> Caller:
        return Caller(NodeKind.ACCOUNT.value, root_arn(account, partition), account=account, partition=partition,
                      org=self.org_of(account))

    def grant_index(self, account: str) -> AccountGrantIndex:
        index = self._indexes.get(account)
        if index is None:
            index = AccountGrantIndex()
            for arn in self.by_account.get(account, ()):
                profile = self.profile(arn)
                if profile is None:
                    continue
                if profile.missing_policies:
                    index.everything.append(arn)
                    continue
                if is_uniform(profile) and ":role/aws-service-role/" not in arn:
                    index.uniform.append(arn)
                    continue
                for s in profile.allows:
                    st = s.statement
                    if st.resources is None or any("${" in r for r in st.resources):
                        index.everything.append(arn)  # NotResource or variables: test every role
                        break
                    for resource in st.resources:
                        if resource == "*":
                            index.everything.append(arn)
                        elif "*" in resource or "?" in resource:
                            index.patterns[resource].append(arn)
                        else:
                            index.exact[resource].append(arn)
            self._indexes[account] = index
        return index

    def forget_grant_indexes(self) -> None:
        """Drop the per-account sts:AssumeRole indexes: only the trust edges use them."""
        self._indexes = {}

    def matching_arn(self, pattern: str) -> list[str]:
        """Principals whose ARN an ArnLike pattern matches."""
        segments = pattern.split(":", 5)
        if len(segments) != 6:
            return []
        resource = segments[5]
        cut = min((i for i, ch in enumerate(resource) if ch in "*?$"), default=len(resource))
        prefix = resource[:cut]
        account = segments[4]
        if account and not any(ch in account for ch in "*?$"):
            keys, pairs = self._resources_of(account)
        else:
            keys, pairs = self._resource_keys, self._by_resource
        found = []
        for i in range(bisect.bisect_left(keys, prefix), len(keys)):  # no slice: that copies the rest each call
            key, arn = pairs[i]
            if not key.startswith(prefix):
                break
            if arn_matches(pattern, arn):
                found.append(arn)
        return found

    def _resources_of(self, account: str) -> tuple[list[str], list[tuple[str, str]]]:
        if not self._account_resources:
            # Every account's at once, in one pass over the organization's sorted pairs: each account's stays sorted,
            # and holds the same (resource, ARN) tuples rather than a copy of each.
            by_account: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for pair in self._by_resource:
                by_account[self.principals[pair[1]].account].append(pair)
            self._account_resources = {a: ([r for r, _ in pairs], pairs) for a, pairs in by_account.items()}
        return self._account_resources.get(account) or ([], [])

    def callers_in(self, account: str) -> list[str]:
        return self.by_account.get(account, [])
