"""Session tags: which aws:PrincipalTag values a session of a role can carry besides the role's IAM tags.

A request made with a role session carries as principal tags the session tags passed when the role was
assumed (they override the role's tags with the same key) and the transitive tags inherited along a role
chain; a session passed no tags carries the role's own tags. Passing tags, including the transitive ones a
chained session brings along, needs `sts:TagSession` in the role's trust. So what a session of role R can
carry is decided by R's trust alone:

- no Allow of `sts:TagSession` → only R's IAM tags;
- an Allow of `sts:TagSession` for an AWS principal that may also assume R → that caller picks the values
  (limited by the statement's conditions on `aws:RequestTag/<key>` and `aws:TagKeys`);
- an Allow for a SAML/OIDC provider or a service only → the provider's assertion or token, or the service,
  sends the values: the data cannot tell which.

Sources: "Passing session tags in AWS STS" (id_session-tags.html), SEMANTICS §5.2 (caveat on principal tags).
"""

from __future__ import annotations

from dataclasses import dataclass

from trustgraph.model import Condition, Role, Statement
from trustgraph.policy.conditions import Tri, evaluate_condition, parse_operator
from trustgraph.policy.facts import CHOSEN, UNKNOWN, Alternatives, KeyValue
from trustgraph.policy.principals import classify_principal
from trustgraph.policy.statements import covers_action

TAG_SESSION = "sts:TagSession"
_PROVIDER_KINDS = ("saml", "oidc", "web-identity", "service")
_LITERAL_OPERATORS = ("stringequals", "stringequalsignorecase", "stringlike")


class _Only:
    def __init__(self, key: str, value: tuple[str, ...]) -> None:
        self.key, self.values = key, value

    def value(self, key: str) -> KeyValue:
        return self.values if key == self.key else UNKNOWN


@dataclass(frozen=True, slots=True)
class _Grant:
    statement: Statement
    chooser: bool  # True: an AWS principal picks the values; False: an identity provider or service sends them


@dataclass(frozen=True, slots=True)
class SessionTagging:
    """Who can put session tags on the sessions of one role, and under which trust conditions."""

    role: str
    choosers: tuple[str, ...]  # AWS principals (as written) that pass values of their choosing
    senders: tuple[str, ...]  # identity providers and services whose tokens/assertions carry the values
    grants: tuple[_Grant, ...]

    def describe(self) -> str:
        name = self.role.rsplit("/", 1)[-1]
        if self.choosers:
            return (f"session tags of {name} are chosen by whoever assumes it with sts:TagSession (its trust "
                    f"allows it for {', '.join(self.choosers)}) and override its IAM tags")
        return (f"session tags of {name} are sent by {', '.join(self.senders)} and override its IAM tags; the data "
                "does not show their values")

    def value(self, tag: str, iam: KeyValue) -> KeyValue:
        """aws:PrincipalTag/<tag> (lower-case) of a session of the role: its IAM tag, or what a tagging caller
        (or provider) passes."""
        options: list[tuple[str, ...] | object] = [iam]
        for grant in self.grants:
            options.extend(_tag_options(grant, tag))
        unique: list[tuple[str, ...] | object] = []
        for option in options:
            if option not in unique:
                unique.append(option)
        if len(unique) == 1:
            return iam
        return Alternatives(tuple(unique))  # type: ignore[arg-type]


def _tag_options(grant: _Grant, tag: str) -> list[object]:
    conditions = grant.statement.conditions
    for cond in conditions:
        if cond.key.lower() == "aws:tagkeys":
            lowered = Condition(cond.operator, cond.key, tuple(v.lower() for v in cond.values))
            if evaluate_condition(lowered, _Only("aws:tagkeys", (tag,)), False) is Tri.FALSE:
                return []  # this statement never lets the key through
    if not grant.chooser:
        return [UNKNOWN]
    key = f"aws:requesttag/{tag}"
    limits = [c for c in conditions if c.key.lower() == key]
    if not limits:
        return [CHOSEN]
    literals = {v for c in limits if parse_operator(c.operator).base in _LITERAL_OPERATORS
                and not parse_operator(c.operator).negated and not parse_operator(c.operator).set_op
                for v in c.values if "*" not in v and "?" not in v and "${" not in v}
    if not literals:
        return [CHOSEN]  # patterns or negated limits: some value the caller picks gets through
    allowed = [v for v in sorted(literals)
               if all(evaluate_condition(c, _Only(key, (v,)), False) is not Tri.FALSE for c in limits)]
    return [(v,) for v in allowed]


def session_tagging(role: Role, grant_principals: set[str]) -> SessionTagging | None:
    """How the sessions of `role` can be tagged; None when its trust lets nobody pass session tags.
    `grant_principals`: the principals (as written) the trust lets assume the role."""
    if role.trust is None or role.service_linked:
        return None
    choosers: list[str] = []
    senders: list[str] = []
    grants: list[_Grant] = []
    for st in role.trust.statements:
        if st.effect != "Allow" or st.principals is None or st.not_principals is not None \
                or st.resources is not None or st.not_resources is not None or not covers_action(st, TAG_SESSION):
            continue
        refs = [classify_principal(t, v) for t, v in st.principals]
        live = [r for r in refs if not r.matches_nothing and (r.written in grant_principals or r.kind == "public")]
        if not live:
            continue
        chooser = [r.written for r in live if r.kind not in _PROVIDER_KINDS]
        sender = [r.written for r in live if r.kind in _PROVIDER_KINDS]
        if chooser:
            grants.append(_Grant(st, True))
            choosers.extend(w for w in chooser if w not in choosers)
        if sender:
            grants.append(_Grant(st, False))
            senders.extend(w for w in sender if w not in senders)
    if not grants:
        return None
    return SessionTagging(role.arn, tuple(choosers), tuple(senders), tuple(grants))

