"""Trust policies: compile a role's trust once, then decide for any caller whether it may assume the role.

`evaluate_assume` follows the decision order of SEMANTICS §4.2/§4.4: trust Allow and explicit Deny,
RCPs, then for AWS principals SCPs, identity policies and the permissions boundary, each only where
AWS applies it (§1.2–1.4, §4.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from trustgraph.arns import partition_of, root_arn
from trustgraph.model import Condition, Role, Statement
from trustgraph.policy.caller import Caller, OrgFacts, RequestFacts, iso_time
from trustgraph.policy.conditions import Tri, evaluate_condition, evaluate_conditions
from trustgraph.policy.facts import ABSENT, UNKNOWN, KeyValue
from trustgraph.policy.identity import IdentityProfile, PolicySetVerdict, evaluate_set
from trustgraph.policy.placeholders import UNRESOLVED_KEY
from trustgraph.policy.principals import PrincipalRef, classify_principal
from trustgraph.policy.statements import covers_action

# Request parameters that exist only when the request carries a companion action (§3.1): tags need
# sts:TagSession, a source identity needs sts:SetSourceIdentity.
FORCED_COMPANIONS = (("sts:sourceidentity", "sts:SetSourceIdentity"), ("aws:requesttag/", "sts:TagSession"),
                     ("aws:tagkeys", "sts:TagSession"), ("sts:transitivetagkeys", "sts:TagSession"))
MISSING_POLICY_KEY = "trustgraph:PolicyNotInData"
ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")


@dataclass(frozen=True, slots=True)
class TrustGrant:
    statement: Statement
    principal: PrincipalRef


@dataclass(frozen=True, slots=True)
class TrustProblem:
    statement: str
    principal: str | None
    message: str


@dataclass(slots=True)
class CompiledTrust:
    role: Role
    grants: list[TrustGrant] = field(default_factory=list)
    denies: list[tuple[Statement, list[PrincipalRef]]] = field(default_factory=list)
    problems: list[TrustProblem] = field(default_factory=list)
    variables: bool = True
    partition: str | None = None  # the role's partition, worked out once (None: from the role's ARN)
    # When the data was collected (seconds since the epoch): time conditions are decided as of then.
    data_time: float | None = None


class _NothingSent:
    """The request of a caller that passes no tags and no source identity: every key is absent."""

    def value(self, key: str) -> KeyValue:
        return ABSENT


_NOTHING_SENT = _NothingSent()


def companion_of(key: str) -> str | None:
    """The companion action a request must carry for condition key `key` (lower-cased) to be present."""
    for prefix, action in FORCED_COMPANIONS:
        if key.startswith(prefix):
            return action
    return None


def forced_companions(statement: Statement) -> set[str]:
    """Companion actions (sts:TagSession, sts:SetSourceIdentity) a statement's conditions force into the
    request (§3.1): the caller's side must allow them too, so a grant with any cannot be settled per account.

    A condition forces its companion when it cannot hold with its key absent, i.e. when a request without
    tags (or without a source identity) fails it: positive operators, `ForAnyValue:*`, `Null: false`. A
    condition that holds without the key (negated operators, `ForAllValues:*`, `…IfExists`, `Null: true`)
    is met by not sending the key, so it forces nothing."""
    needed: set[str] = set()
    for cond in statement.conditions:
        action = companion_of(cond.key.lower())
        if action is not None and evaluate_condition(cond, _NOTHING_SENT, False) is Tri.FALSE:
            needed.add(action)
    return needed


def _in_partition(ref: PrincipalRef, partition: str) -> PrincipalRef:
    """Principals written without an ARN (bare account id, unique id, `*`, web identity host) belong to
    the partition of the policy's role (§2.6)."""
    if ref.written.startswith("arn:") or ref.partition == partition:
        return ref
    if ref.kind == "account" and ref.account:
        return replace(ref, partition=partition, node_id=root_arn(ref.account, partition))
    return replace(ref, partition=partition)


class _TimeOnly:
    """The request time and nothing else: which conditions on the clock hold at the data time."""

    def __init__(self, now: float) -> None:
        self.now = now

    def value(self, key: str) -> KeyValue:
        if key == "aws:currenttime":
            return (iso_time(self.now),)
        if key == "aws:epochtime":
            return (str(int(self.now)),)
        return UNKNOWN


# id(statement) → (statement, its conditions on the clock, whether it reads principal tags): read once per statement.
_STATEMENT_KEYS: dict[int, tuple[Statement, tuple[Condition, ...], bool]] = {}


def _statement_keys(statement: Statement) -> tuple[tuple[Condition, ...], bool]:
    entry = _STATEMENT_KEYS.get(id(statement))
    if entry is None or entry[0] is not statement:
        clock = tuple(c for c in statement.conditions if c.key.lower() in ("aws:currenttime", "aws:epochtime"))
        tags = any("aws:principaltag/" in c.key.lower() or any("aws:principaltag/" in v.lower() for v in c.values)
                   for c in statement.conditions)
        entry = _STATEMENT_KEYS[id(statement)] = (statement, clock, tags)
    return entry[1], entry[2]


def clock_conditions(statement: Statement) -> tuple[Condition, ...]:
    return _statement_keys(statement)[0] if statement.conditions else ()


def expired(statement: Statement, data_time: float | None) -> Condition | None:
    """The condition on aws:CurrentTime / aws:EpochTime that fails at the data time, if any."""
    if data_time is None:
        return None
    facts = _TimeOnly(data_time)
    return next((c for c in clock_conditions(statement) if evaluate_condition(c, facts, False) is Tri.FALSE), None)


def compile_trust(role: Role, data_time: float | None = None) -> CompiledTrust:
    """`data_time`: when the data was collected; an Allow whose time condition fails then is expired."""
    partition = partition_of(role.arn)
    compiled = CompiledTrust(role, partition=partition, data_time=data_time)
    if role.trust is None:
        return compiled
    compiled.variables = role.trust.supports_variables
    allow_statements: list[tuple[Statement, list[PrincipalRef]]] = []
    for st in role.trust.statements:
        if st.not_principals is not None or st.resources is not None or st.not_resources is not None:
            element = "NotPrincipal" if st.not_principals is not None else "Resource/NotResource"
            compiled.problems.append(TrustProblem(st.label, None, f"trust policies cannot contain {element}; "
                                                  "IAM rejects such a statement, so it is ignored"))
            continue
        if st.principals is None:
            compiled.problems.append(TrustProblem(st.label, None, "statement has no Principal; ignored"))
            continue
        refs = [_in_partition(classify_principal(t, v), partition) for t, v in st.principals]
        if st.effect == "Deny":
            compiled.denies.append((st, refs))
            continue
        late = expired(st, data_time)
        if late is not None:
            compiled.problems.append(TrustProblem(st.label, None, (
                f"its condition {late.key} {late.operator} {', '.join(late.values)} does not hold at the data time "
                f"{iso_time(data_time)}: the statement grants nothing then (expired or not yet valid)")))  # type: ignore[arg-type]
            continue
        allow_statements.append((st, refs))
    for st, refs in allow_statements:
        for ref in refs:
            if ref.kind == "unresolved":
                # Who it names is not known, so neither is the action it needs: the first assume action granted.
                action = next((a for a in ASSUME_ACTIONS if covers_action(st, a)), None)
                if action is None:
                    continue
                ref = replace(ref, assume_action=action)
            if ref.problem:
                compiled.problems.append(TrustProblem(st.label, ref.written, ref.problem))
                if ref.matches_nothing:
                    continue
            if not covers_action(st, ref.action):
                if covers_action(st, "sts:AssumeRole") or covers_action(st, "sts:AssumeRoleWithSAML") or \
                        covers_action(st, "sts:AssumeRoleWithWebIdentity"):
                    compiled.problems.append(TrustProblem(
                        st.label, ref.written, f"mismatched action: a {ref.kind} principal needs {ref.action}"))
                continue
            missing = [a for a in sorted(forced_companions(st))
                       if not any(covers_action(other, a) and any(r.written == ref.written or r.kind == "public"
                                                                  for r in other_refs)
                                  for other, other_refs in allow_statements)]
            if missing:
                compiled.problems.append(TrustProblem(
                    st.label, ref.written, f"its conditions need {', '.join(missing)} in the request, which the "
                    "trust does not allow: the statement can never be met"))
                continue
            compiled.grants.append(TrustGrant(st, ref))
    return compiled


def principal_matches(ref: PrincipalRef, caller: Caller) -> bool:
    if ref.partition != caller.partition and ref.kind not in ("public", "service", "web-identity"):
        return False
    if ref.kind == "public":
        return caller.is_aws_principal
    if ref.kind == "account":
        return caller.is_aws_principal and caller.account == ref.account
    if ref.kind in ("user", "role"):
        return caller.arn == ref.written
    if ref.kind == "session":
        return caller.kind == "role" and caller.account == ref.account and \
            bool(caller.arn) and caller.arn.rsplit("/", 1)[-1] == ref.role_name  # type: ignore[union-attr]
    if ref.kind == "unique-id":
        return caller.unique_id == ref.written or caller.node_id == ref.written
    if ref.kind == "service":
        return caller.kind == "service" and caller.node_id == ref.written
    if ref.kind in ("saml", "oidc", "web-identity"):
        return caller.kind == "federated" and caller.node_id == ref.written
    return caller.kind == "unknown" and caller.node_id == ref.written


class OrgGate(Protocol):
    """SCPs and RCPs (SEMANTICS §4.1); implemented where organization data is read."""

    def rcp(self, caller: Caller, role: Role, action: str, facts: RequestFacts) -> PolicySetVerdict | None: ...

    def scp(self, caller: Caller, role: Role, action: str, facts: RequestFacts) -> PolicySetVerdict | None: ...

    def facts_for(self, account: str | None) -> OrgFacts | None: ...

    def per_principal(self, caller_account: str, role_account: str) -> bool: ...

    def caller_levels(self, account: str | None) -> tuple[object, ...]: ...

    def forget_verdicts(self) -> None:
        """Drop the verdicts kept so far (a memo: asked again, they are decided again, the same)."""
        ...

    @property
    def condition_keys(self) -> frozenset[str]:
        """Every condition key (lower case) a policy of the organization tests."""
        ...


@dataclass(slots=True)
class AssumeVerdict:
    via: str  # the principal form that matched: user, role, session, account, public, unique-id, service, …
    needs_identity: bool
    unresolved: list[Condition] = field(default_factory=list)
    chosen: list[Condition] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    identity_source: str | None = None

    @property
    def conditional(self) -> bool:
        return bool(self.unresolved)


def apply_policy_set(verdict: AssumeVerdict, result: PolicySetVerdict, need_allow: bool, what: str) -> bool:
    """Fold a policy-set result into the verdict; False when it denies for sure."""
    if result.denied is Tri.TRUE:
        return False
    if result.denied is Tri.UNKNOWN:
        verdict.notes.append(f"an explicit Deny in {result.deny_source} may apply")
        verdict.unresolved.extend(result.unresolved)
    if need_allow:
        if result.allowed is Tri.FALSE:
            return False
        if result.allowed is Tri.UNKNOWN:
            verdict.notes.append(f"{what} allows it only under conditions")
            verdict.unresolved.extend(c for c in result.unresolved if c not in verdict.unresolved)
    return True


def evaluate_assume(caller: Caller, trust: CompiledTrust, grant: TrustGrant, profile: IdentityProfile | None,
                    org: OrgGate | None = None, read: set[str] | None = None) -> AssumeVerdict | None:
    """Can `caller` obtain credentials for `trust.role` through `grant`? None means no.

    `read`, when given, collects the condition keys the decision looked up."""
    role = trust.role
    ref = grant.principal
    # Trust never crosses partitions (§2.6); the public stand-in is "anyone", in every partition.
    if caller.kind != "public" and caller.partition != (trust.partition or partition_of(role.arn)):
        return None
    if not principal_matches(ref, caller):
        return None
    if caller.arn == role.arn:
        return None  # a role reaching itself adds no reach
    facts = RequestFacts(caller, role, org.facts_for(role.account) if org else None, read, trust.data_time)
    outcome = evaluate_conditions(grant.statement.conditions, facts, trust.variables)
    if outcome.state is Tri.FALSE:
        return None
    same_account = caller.account == role.account
    via_account = ref.kind == "account" or (ref.kind == "public" and not same_account)
    verdict = AssumeVerdict(via=ref.kind, needs_identity=caller.is_aws_principal and (not same_account or via_account),
                            unresolved=list(outcome.unresolved), chosen=list(outcome.chosen))
    if ref.unresolved:
        verdict.notes.append(f"not evaluated: the principal {ref.written} is a template placeholder; who it names is "
                             "decided when the template is deployed")
        verdict.unresolved.append(Condition("Unknown", UNRESOLVED_KEY, (ref.written,)))
    if caller.session_tags is not None and grant.statement.conditions and _statement_keys(grant.statement)[1]:
        verdict.notes.append("aws:PrincipalTag: " + caller.session_tags.describe())
    if trust.data_time is not None and grant.statement.conditions:
        for c in clock_conditions(grant.statement):
            verdict.notes.append(f"{c.key} {c.operator} {', '.join(c.values)} holds at the data time "
                                 f"{iso_time(trust.data_time)}")
    action = ref.action
    # A condition on request tags or source identity forces companion actions into the request (§3.1):
    # every gate below has to let those through as well.
    actions = [action, *sorted(forced_companions(grant.statement))]
    for st, refs in trust.denies:
        if not any(covers_action(st, a) for a in actions) or not any(principal_matches(r, caller) for r in refs):
            continue
        deny = evaluate_conditions(st.conditions, facts, trust.variables)
        if deny.state is Tri.TRUE:
            return None
        if deny.state is Tri.UNKNOWN:
            verdict.notes.append(f"trust Deny {st.label} may apply")
            verdict.unresolved.extend(deny.unresolved)
    if org is not None and not role.service_linked:
        for act in actions:
            rcp = org.rcp(caller, role, act, facts)
            if rcp is not None and not apply_policy_set(verdict, rcp, True, "the resource control policies"):
                return None
    if not caller.is_aws_principal:
        return verdict
    if org is not None and caller.account:
        for act in actions:
            scp = org.scp(caller, role, act, facts)
            if scp is not None and not apply_policy_set(verdict, scp, True, "the service control policies"):
                return None
    if not caller.concrete:
        return verdict  # an outside principal's own account grants itself whatever it needs
    if profile is None:
        if verdict.needs_identity:
            verdict.notes.append("the caller's permission policies are not in the data")
            verdict.unresolved.append(Condition("Unknown", MISSING_POLICY_KEY, ("identity policies",)))
        return verdict
    # Boundaries cap identity-path grants and direct user/role-ARN grants, not session-ARN or `*` grants (§4.3).
    boundary_required = verdict.needs_identity or ref.kind in ("user", "role", "unique-id")
    for act in actions:
        policies = profile if act == action else profile.for_action(act)
        what = "the caller's identity policy" + ("" if act == action else f" for {act}")
        result = evaluate_set(policies.allows, policies.denies, role.arn, facts)
        if act == action:
            verdict.identity_source = result.allow_source
        if not apply_policy_set(verdict, result, verdict.needs_identity, what):
            if verdict.needs_identity and result.allowed is Tri.FALSE and result.denied is Tri.FALSE \
                    and profile.missing_policies:
                note_missing(verdict, profile.missing_policies, "may be allowed by policies not in the data: ")
                continue
            return None
        if policies.boundary_allows is not None:
            bound = evaluate_set(policies.boundary_allows, policies.boundary_denies, role.arn, facts)
            if not apply_policy_set(verdict, bound, boundary_required, "the permissions boundary"):
                return None
        elif boundary_required and profile.boundary_missing:
            note_missing(verdict, [profile.boundary_missing], "the permissions boundary is not in the data: ")
    return verdict


def note_missing(verdict: AssumeVerdict, arns: list[str], note: str) -> None:
    """Missing data is not a deny (§0.1): keep the edge, conditional on the policies that were not read."""
    condition = Condition("Unknown", MISSING_POLICY_KEY, tuple(arns))
    if condition not in verdict.unresolved:
        verdict.notes.append(note + ", ".join(arns))
        verdict.unresolved.append(condition)
