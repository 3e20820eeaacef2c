"""Trust classes: org-wide `{"AWS":"*"}` trusts as shared nodes instead of one edge per (principal, role).

A role that trusts `*` limited by conditions on the caller (aws:PrincipalOrgID, PrincipalOrgPaths,
PrincipalAccount, PrincipalArn patterns…) admits a *class* of principals. Expanding it caller by caller
costs principals × roles, which grows with the square of the organization. Instead:

- the class is keyed by the grant's caller-side conditions; each principal of the data is tested against
  them once and, if it can match, linked once (a `member` edge, conditional when the test is);
- members are grouped by everything else the decision reads about a caller (kind, partition, the content
  of its identity policies and boundary, its organization facts, the SCP levels above it): a *group* is
  one hub node `class:I.J`, and for each role of the class the group is decided once, for one
  representative, and gets one edge to the role;
- a decision that looked up a key in which members of a group differ (aws:PrincipalArn, PrincipalAccount,
  tags, user name or id) is not shared: those members get their own edges to that role.

Same-account callers are not routed through classes (for them the trust alone suffices, §1.2): the
builder expands them directly, and their direct edge always wins over a class path of the same length.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from trustgraph.arns import partition_of
from trustgraph.graph.callers import CallerDirectory
from trustgraph.model import Condition, Organization, PolicyDocument, Role, Snapshot, Statement, User
from trustgraph.policy.caller import Caller, RequestFacts
from trustgraph.policy.conditions import Tri, evaluate_conditions
from trustgraph.policy.globs import arn_matches
from trustgraph.policy.identity import IdentityProfile, SourcedStatement
from trustgraph.policy.trust import (
    AssumeVerdict,
    CompiledTrust,
    OrgGate,
    TrustGrant,
    evaluate_assume,
    forced_companions,
)

# Keys about the calling principal: they decide class membership.
CALLER_KEYS = ("aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths",
               "aws:principaltag/", "aws:principaltype", "aws:username", "aws:userid")
# Of the keys a decision may read, those in which two members of one group can differ.
MEMBER_SPECIFIC_KEYS = ("aws:principalarn", "aws:principalaccount", "aws:principaltag/", "aws:username",
                        "aws:userid")
ORG_PATHS = "aws:principalorgpaths"


def policies_test_org_paths(snapshot: Snapshot, org: Organization | None) -> bool:
    """Does any identity policy, boundary, SCP or RCP test aws:PrincipalOrgPaths? Only then must members of
    one group share their OU path; otherwise the whole organization can share one group."""
    documents: list[PolicyDocument | None] = [p.document for p in snapshot.managed_policies.values()]
    principals: list[User | Role] = [*snapshot.users.values(), *snapshot.roles.values()]
    for principal in principals:
        documents.extend(i.document for i in principal.inline_policies)
    for group in snapshot.groups.values():
        documents.extend(i.document for i in group.inline_policies)
    if org is not None:
        documents.extend(p.document for p in org.policies)
    return any(c.key.lower() == ORG_PATHS for d in documents if d is not None for s in d.statements
               for c in s.conditions)


def caller_side(condition: Condition) -> bool:
    return condition.key.lower().startswith(CALLER_KEYS)


def shareable(grant: TrustGrant, compiled: CompiledTrust) -> bool:
    """Can this `*` grant be decided per class? Not with policy variables (they tie the caller to the role)
    nor when the trust has Deny statements (decided caller by caller, as everything else)."""
    if grant.principal.kind != "public" or compiled.role.service_linked:
        return False
    if any("${" in v for c in grant.statement.conditions for v in c.values):
        return False
    return not compiled.denies


def _own_account(resource: str, own: str) -> bool:
    """Is this ARN pattern limited to the caller's own account (its account segment is that id)?"""
    segments = resource.split(":", 5)
    return len(segments) == 6 and segments[4] == own


def _statement_key(s: SourcedStatement, own: str | None = None) -> tuple[object, ...] | None:
    """The content of a statement; with `own`, an Allow as seen from outside the caller's own account:
    resources in its own account dropped (None when nothing is left)."""
    st = s.statement
    resources, not_resources = st.resources, st.not_resources
    if own is not None:
        if resources is not None:
            resources = tuple(r for r in resources if not _own_account(r, own))
            if not resources:
                return None
        if not_resources is not None:
            not_resources = tuple(r for r in not_resources if not _own_account(r, own))
    return (st.effect, st.actions, st.not_actions, resources, not_resources, st.conditions, s.source, s.variables)


def profile_key(profile: IdentityProfile | None, companions: bool,
                account: str | None = None) -> tuple[object, ...] | None:
    """The content of an identity profile, without where it came from (statement positions, ARNs).

    With `account`, Allows (identity and boundary) are keyed as seen from outside the caller's own account:
    a grant on `arn:aws:iam::<own>:role/ops/*` can never match a role of another account, so callers whose
    policies differ only there group together. That is exact for class edges: a group is decided for a
    representative outside the role's account, and members inside the role's account have a direct edge
    that needs no Allow (§1.2). Denies stay literal: an own-account Deny must split the group, or a member
    inside the role's account could pass through the hub where its own Deny stops it."""
    if profile is None:
        return None

    def keys(statements: Iterable[SourcedStatement] | None, own: str | None = None) -> tuple[object, ...] | None:
        if statements is None:
            return None
        return tuple(k for s in statements if (k := _statement_key(s, own)) is not None)

    return (keys(profile.allows, account), keys(profile.denies), keys(profile.boundary_allows, account),
            keys(profile.boundary_denies), tuple(profile.missing_policies), profile.boundary_missing,
            keys(profile.statements) if companions else None,
            keys(profile.boundary_statements) if companions else None)


@dataclass(slots=True)
class _Coverage:
    """Which groups' identity policies can allow sts:AssumeRole on a given role ARN."""

    everything: list[int] = field(default_factory=list)
    exact: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_account: dict[str, dict[str, list[int]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    anywhere: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, group: int, profile: IdentityProfile | None) -> None:
        if profile is None or profile.missing_policies:
            self.everything.append(group)  # unknown policies may allow anything: decide it role by role
            return
        for s in profile.allows:
            resources = s.statement.resources
            if resources is None or any("${" in r for r in resources) or "*" in resources:
                self.everything.append(group)
                return
        for s in profile.allows:
            for resource in s.statement.resources or ():
                if "*" not in resource and "?" not in resource:
                    self.exact[resource].append(group)
                    continue
                segments = resource.split(":", 5)
                if len(segments) == 6 and not any(ch in segments[4] for ch in "*?"):
                    self.by_account[segments[4]][resource].append(group)
                else:
                    self.anywhere[resource].append(group)

    def candidates(self, role_arn: str, account: str) -> list[int]:
        found = set(self.everything)
        found.update(self.exact.get(role_arn, ()))
        for patterns in (self.by_account.get(account, {}), self.anywhere):
            for pattern, groups in patterns.items():
                if arn_matches(pattern, role_arn):
                    found.update(groups)
        return sorted(found)


@dataclass(slots=True)
class Group:
    node_id: str
    members: list[str]  # principal ARNs, sorted
    used: bool = False


@dataclass(slots=True)
class TrustClass:
    index: int
    conditions: tuple[Condition, ...]  # the caller-side conditions that define it
    action: str
    partition: str
    groups: list[Group] = field(default_factory=list)
    # member ARN → the unresolved caller-side conditions of its membership (empty: it is a member for sure)
    membership: dict[str, tuple[Condition, ...]] = field(default_factory=dict)
    coverage: _Coverage = field(default_factory=_Coverage)

    @property
    def label(self) -> str:
        if not self.conditions:
            return "any principal ({\"AWS\":\"*\"})"
        return "; ".join(f"{c.key} {c.operator} {', '.join(c.values)}" for c in self.conditions)


@dataclass(frozen=True, slots=True)
class ClassEdge:
    """One decided edge to the role: from the hub of `group`, or (group None, the decision was not shareable)
    from `caller` itself."""

    group: Group | None
    caller: Caller
    grant: TrustGrant
    verdict: AssumeVerdict


class TrustClasses:
    """The classes of one build. `directory` is the builder's CallerDirectory (principals, profiles)."""

    def __init__(self, directory: CallerDirectory, org: OrgGate | None,
                 candidates: Callable[[Statement], list[str]]) -> None:
        self.directory = directory
        self.org = org
        self._candidates = candidates  # principal ARNs a class's conditions can possibly admit
        self.classes: dict[tuple[object, ...], TrustClass] = {}
        snapshot: Snapshot = directory.snapshot
        # Without a policy testing OU paths, members need only share the organization, not the OU.
        self._by_ou = policies_test_org_paths(snapshot, snapshot.organization)
        self._specific = MEMBER_SPECIFIC_KEYS if self._by_ou else (*MEMBER_SPECIFIC_KEYS, ORG_PATHS)
        self._profile_keys: dict[tuple[str, bool], tuple[object, ...] | None] = {}

    def release(self) -> None:
        """Drop the classes (members, coverage) once the trust edges are drawn: the graph holds what they made."""
        self.classes = {}
        self._profile_keys = {}

    def _class_for(self, grant: TrustGrant, role: Role) -> TrustClass:
        statement = grant.statement
        caller_conditions = tuple(c for c in statement.conditions if caller_side(c))
        partition = partition_of(role.arn)
        companions = bool(forced_companions(statement))
        key = (caller_conditions, grant.principal.action, partition, companions)
        found = self.classes.get(key)
        if found is not None:
            return found
        cls = TrustClass(len(self.classes), caller_conditions, grant.principal.action, partition)
        self.classes[key] = cls
        d = self.directory
        groups: dict[tuple[object, ...], list[str]] = {}
        probe = replace(statement, conditions=caller_conditions)
        for arn in self._candidates(probe):
            caller: Caller = d.concrete(arn)
            if caller.partition != partition:
                continue
            outcome = evaluate_conditions(caller_conditions, RequestFacts(caller, role), True)
            if outcome.state is Tri.FALSE:
                continue
            cls.membership[arn] = outcome.unresolved
            content = self._profile_keys.get((arn, companions))
            if content is None:
                content = self._profile_keys[(arn, companions)] = profile_key(
                    d.profile(arn), companions, caller.account)
            org_facts = caller.org if self._by_ou or caller.org is None else caller.org.org_id
            signature = (caller.kind, content, org_facts,
                         ":role/aws-service-role/" in arn,
                         self.org.caller_levels(caller.account) if self.org is not None else None)
            groups.setdefault(signature, []).append(arn)
        for members in sorted(groups.values(), key=lambda m: m[0]):
            group_index = len(cls.groups)
            cls.groups.append(Group(f"class:{cls.index}.{group_index}", sorted(members)))
            cls.coverage.add(group_index, d.profile(members[0]))
        return cls

    def edges(self, role: Role, grant: TrustGrant, compiled: CompiledTrust) -> Iterable[tuple[TrustClass, ClassEdge]]:
        """Edges into `role` for callers of other accounts admitted by `grant` (a `*` grant)."""
        cls = self._class_for(grant, role)
        rest = TrustGrant(replace(grant.statement, conditions=tuple(
            c for c in grant.statement.conditions if not caller_side(c))), grant.principal)
        d = self.directory
        for index in cls.coverage.candidates(role.arn, role.account):
            group = cls.groups[index]
            rep = next((m for m in group.members if d.concrete(m).account != role.account), None)
            if rep is None:
                continue  # only same-account members: the builder gives them direct edges
            read: set[str] = set()
            caller = d.concrete(rep)
            verdict = None
            if len(group.members) > 1:  # a hub for one member would only add a node and an edge
                verdict = evaluate_assume(caller, compiled, rest, d.profile(rep), self.org, read)
            if len(group.members) > 1 and not any(k.startswith(self._specific) for k in read):
                if verdict is not None:
                    group.used = True
                    yield cls, ClassEdge(group, caller, grant, verdict)
                continue
            # The decision depends on who exactly calls: decide each member on its own, full statement.
            for arn in group.members:
                member = d.concrete(arn)
                if member.account == role.account:
                    continue
                own = evaluate_assume(member, compiled, grant, d.profile(arn), self.org)
                if own is not None:
                    yield cls, ClassEdge(None, member, grant, own)
