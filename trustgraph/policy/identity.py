"""The caller's own side: identity policies and permissions boundary for sts:AssumeRole on a role.

A profile keeps only the statements that can concern sts:AssumeRole, once per caller, so that testing
a caller against thousands of roles costs a few pattern matches each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trustgraph.model import Condition, PolicyDocument, Snapshot, Statement, User
from trustgraph.policy.conditions import VARIABLE, Tri, evaluate_conditions
from trustgraph.policy.facts import Facts
from trustgraph.policy.statements import covers_action, covers_resource

ASSUME = "sts:AssumeRole"


@dataclass(frozen=True, slots=True)
class SourcedStatement:
    statement: Statement
    source: str  # e.g. "inline policy DevAccess", "managed policy arn:…", "group Admins: inline policy X"
    variables: bool


@dataclass(slots=True)
class PolicySetVerdict:
    """Outcome of a set of policies for one request."""

    allowed: Tri  # TRUE / FALSE / UNKNOWN (an Allow whose conditions the data cannot settle)
    denied: Tri  # TRUE / FALSE / UNKNOWN (an explicit Deny whose conditions the data cannot settle)
    unresolved: list[Condition] = field(default_factory=list)
    allow_source: str | None = None
    deny_source: str | None = None


def relevant(statements: list[SourcedStatement], action: str) -> tuple[list[SourcedStatement], list[SourcedStatement]]:
    allows = [s for s in statements if s.statement.effect == "Allow" and covers_action(s.statement, action)]
    denies = [s for s in statements if s.statement.effect == "Deny" and covers_action(s.statement, action)]
    return allows, denies


def evaluate_set(allows: list[SourcedStatement], denies: list[SourcedStatement], resource: str,
                 facts: Facts) -> PolicySetVerdict:
    verdict = PolicySetVerdict(Tri.FALSE, Tri.FALSE)
    for s in denies:
        hit = covers_resource(s.statement, resource, facts, s.variables)
        if hit is False:
            continue
        outcome = evaluate_conditions(s.statement.conditions, facts, s.variables)
        # A caller avoids a Deny keyed on request parameters it chooses itself.
        if outcome.state is Tri.TRUE and hit:
            verdict.denied, verdict.deny_source = Tri.TRUE, s.source
            verdict.unresolved = []
            return verdict
        if outcome.state is Tri.UNKNOWN or (hit is None and outcome.state is Tri.TRUE):
            verdict.denied, verdict.deny_source = Tri.UNKNOWN, s.source
            verdict.unresolved.extend(outcome.unresolved)
            if hit is None:
                verdict.unresolved.extend(_resource_variables(s))
    deny_keys = list(verdict.unresolved)
    for s in allows:
        hit = covers_resource(s.statement, resource, facts, s.variables)
        if hit is False:
            continue
        outcome = evaluate_conditions(s.statement.conditions, facts, s.variables)
        if outcome.state is Tri.FALSE:
            continue
        if outcome.state in (Tri.TRUE, Tri.CHOSEN) and hit:
            verdict.allowed, verdict.allow_source = Tri.TRUE, s.source
            verdict.unresolved = deny_keys  # the conditional Allows seen before no longer matter
            return verdict
        if verdict.allowed is Tri.FALSE:
            verdict.allowed, verdict.allow_source = Tri.UNKNOWN, s.source
        verdict.unresolved.extend(outcome.unresolved)
        if hit is None:
            verdict.unresolved.extend(_resource_variables(s))
    return verdict


def _resource_variables(s: SourcedStatement) -> list[Condition]:
    """A Resource whose policy variables the data cannot resolve depends on those keys at run time."""
    patterns = s.statement.resources or s.statement.not_resources or ()
    keys = sorted({m.group(1).split(",", 1)[0].strip() for p in patterns for m in VARIABLE.finditer(p)})
    return [Condition("ResourceVariable", key, tuple(p for p in patterns if key in p)) for key in keys]


# (id of a document, source) → the document and its sourced statements: shared between the principals the same
# policy is attached to (SourcedStatement is frozen), instead of one copy each.
SharedStatements = dict[tuple[int, str], tuple[PolicyDocument, list[SourcedStatement]]]


def _document_statements(document: PolicyDocument | None, source: str,
                         shared: SharedStatements | None = None) -> list[SourcedStatement]:
    """The statements of `document` as coming from `source`; with `shared`, the same objects (a list not to
    change) for every principal asking about the same document and source."""
    if document is None:
        return []
    if shared is None:
        return [SourcedStatement(s, source, document.supports_variables) for s in document.statements]
    key = (id(document), source)
    found = shared.get(key)
    if found is None or found[0] is not document:
        found = shared[key] = (document, [SourcedStatement(s, source, document.supports_variables)
                                          for s in document.statements])
    return found[1]


@dataclass(slots=True)
class IdentityProfile:
    """The sts:AssumeRole-relevant statements of one user or role."""

    allows: list[SourcedStatement]
    denies: list[SourcedStatement]
    boundary_allows: list[SourcedStatement] | None  # None: no boundary
    boundary_denies: list[SourcedStatement]
    missing_policies: list[str]  # attached managed policies (and groups) absent from the data
    # Every statement, for companion actions a trust condition forces (§3.1): see `for_action`.
    statements: list[SourcedStatement] = field(default_factory=list)
    boundary_statements: list[SourcedStatement] | None = None
    boundary_missing: str | None = None  # ARN of a boundary policy absent from the data

    @property
    def may_assume_anything(self) -> bool:
        return bool(self.allows) or bool(self.missing_policies)

    def for_action(self, action: str) -> IdentityProfile:
        """The same principal's profile for another action, e.g. sts:TagSession."""
        allows, denies = relevant(self.statements, action)
        boundary_allows: list[SourcedStatement] | None = None
        boundary_denies: list[SourcedStatement] = []
        if self.boundary_statements is not None:
            boundary_allows, boundary_denies = relevant(self.boundary_statements, action)
        return IdentityProfile(allows, denies, boundary_allows, boundary_denies, self.missing_policies,
                               self.statements, self.boundary_statements, self.boundary_missing)


def build_profile(principal: object, snapshot: Snapshot, action: str = ASSUME,
                  shared: SharedStatements | None = None) -> IdentityProfile:
    """The principal's profile for `action`; `shared`: statements already drawn for other principals (a build
    keeps one table for all of them)."""
    statements: list[SourcedStatement] = []
    missing: list[str] = []

    def managed(arns: list[str], prefix: str) -> None:
        for arn in arns:
            policy = snapshot.managed_policies.get(arn)
            if policy is None:
                missing.append(arn)
                continue
            statements.extend(_document_statements(policy.document, f"{prefix}managed policy {policy.name}", shared))

    for inline in principal.inline_policies:  # type: ignore[attr-defined]
        statements.extend(_document_statements(inline.document, f"inline policy {inline.name}", shared))
    managed(principal.attached_policy_arns, "")  # type: ignore[attr-defined]
    if isinstance(principal, User):
        for group_name in principal.group_names:
            group = snapshot.groups.get((principal.account, group_name))
            if group is None:
                missing.append(f"group {group_name}")  # missing data is not a deny (§0.1)
                continue
            for inline in group.inline_policies:
                statements.extend(_document_statements(inline.document,
                                                       f"group {group.name}: inline policy {inline.name}", shared))
            managed(group.attached_policy_arns, f"group {group.name}: ")
    allows, denies = relevant(statements, action)
    boundary_allows: list[SourcedStatement] | None = None
    boundary_denies: list[SourcedStatement] = []
    boundary_statements: list[SourcedStatement] | None = None
    boundary_missing: str | None = None
    boundary_arn = principal.boundary_arn  # type: ignore[attr-defined]
    if boundary_arn:
        policy = snapshot.managed_policies.get(boundary_arn)
        if policy is None:
            missing.append(boundary_arn)
            boundary_missing = boundary_arn
        else:
            boundary_statements = list(_document_statements(policy.document, f"permissions boundary {policy.name}",
                                                            shared))
            boundary_allows, boundary_denies = relevant(boundary_statements, action)
    return IdentityProfile(allows, denies, boundary_allows, boundary_denies, missing, statements,
                           boundary_statements, boundary_missing)
