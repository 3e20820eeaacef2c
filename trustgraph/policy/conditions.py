"""Condition blocks: keys AND, values OR, operators per SEMANTICS §5.1, three-valued.

A condition evaluates to TRUE, FALSE, UNKNOWN (runtime facts decide) or CHOSEN (the caller decides
by what it puts in the request). Statements keep the UNKNOWN ones on the edge as its conditions.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache

from trustgraph.model import Condition
from trustgraph.policy.facts import ABSENT, CHOSEN, UNKNOWN, AccountScoped, Alternatives, Facts, KeyValue
from trustgraph.policy.globs import arn_covers, arn_matches, glob_match
from trustgraph.policy.placeholders import has_placeholder


class Tri(Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"
    CHOSEN = "chosen"


@dataclass(frozen=True, slots=True)
class ConditionsOutcome:
    state: Tri
    unresolved: tuple[Condition, ...] = ()  # UNKNOWN conditions, when state is UNKNOWN
    chosen: tuple[Condition, ...] = ()  # CHOSEN conditions, assumed met / avoided by the caller


VARIABLE = re.compile(r"\$\{([^}]*)\}")
_UNRESOLVED = object()


def substitute(text: str, facts: Facts) -> str | None | object:
    """Resolve policy variables in `text`: the string, None if it can never match, or _UNRESOLVED."""
    if "${" not in text:
        return text
    unresolved = False
    dead = False

    def repl(m: re.Match[str]) -> str:
        nonlocal unresolved, dead
        body = m.group(1).strip()
        if body in ("*", "?", "$"):
            return body
        default = None
        if "," in body:
            body, raw_default = body.split(",", 1)
            default = raw_default.strip().strip("'")
            body = body.strip()
        value = facts.value(body.lower())
        if isinstance(value, tuple) and len(value) == 1:
            return value[0]
        if value is UNKNOWN or value is CHOSEN or isinstance(value, (AccountScoped, Alternatives)):
            unresolved = True
            return ""
        if default is not None:
            return default
        dead = True  # absent or multivalued: "a variable that cannot resolve yields no match"
        return ""

    out = VARIABLE.sub(repl, text)
    if dead:
        return None
    if unresolved:
        return _UNRESOLVED
    return out


def _num(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _date(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Policy dates without a zone are UTC (never the zone of the machine running trustgraph).
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _compare(conv: Callable[[str], float | None], test: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def match(ctx: str, pol: str) -> bool:
        a, b = conv(ctx), conv(pol)
        return a is not None and b is not None and test(a, b)

    return match


def _ip(ctx: str, pol: str) -> bool:
    try:
        return ipaddress.ip_address(ctx) in ipaddress.ip_network(pol, strict=False)
    except ValueError:
        return False


# base operator (positive form, lower-case) → (matcher, negated)
_POSITIVE: dict[str, Callable[[str, str], bool]] = {
    "stringequals": lambda c, p: c == p,
    "stringequalsignorecase": lambda c, p: c.lower() == p.lower(),
    "stringlike": lambda c, p: glob_match(p, c),
    "arnequals": lambda c, p: arn_matches(p, c),
    "arnlike": lambda c, p: arn_matches(p, c),
    "numericequals": _compare(_num, lambda a, b: a == b),
    "numericlessthan": _compare(_num, lambda a, b: a < b),
    "numericlessthanequals": _compare(_num, lambda a, b: a <= b),
    "numericgreaterthan": _compare(_num, lambda a, b: a > b),
    "numericgreaterthanequals": _compare(_num, lambda a, b: a >= b),
    "dateequals": _compare(_date, lambda a, b: a == b),
    "datelessthan": _compare(_date, lambda a, b: a < b),
    "datelessthanequals": _compare(_date, lambda a, b: a <= b),
    "dategreaterthan": _compare(_date, lambda a, b: a > b),
    "dategreaterthanequals": _compare(_date, lambda a, b: a >= b),
    "bool": lambda c, p: c.lower() == p.lower(),
    "binaryequals": lambda c, p: c == p,
    "ipaddress": _ip,
}
_NEGATED = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
    "numericnotequals": "numericequals",
    "datenotequals": "dateequals",
    "notipaddress": "ipaddress",
}


@dataclass(frozen=True, slots=True)
class ParsedOperator:
    set_op: str | None  # "foranyvalue" | "forallvalues" | None
    base: str  # positive base operator, lower-case, or "null"
    negated: bool
    if_exists: bool
    known: bool


@lru_cache(maxsize=4096)
def parse_operator(operator: str) -> ParsedOperator:
    op = operator.lower()
    set_op = None
    for prefix in ("foranyvalue:", "forallvalues:"):
        if op.startswith(prefix):
            set_op, op = prefix[:-1], op[len(prefix):]
    if_exists = op.endswith("ifexists")
    if if_exists:
        op = op[: -len("ifexists")]
    if op == "null":
        return ParsedOperator(set_op, "null", False, False, True)
    if op in _NEGATED:
        return ParsedOperator(set_op, _NEGATED[op], True, if_exists, True)
    return ParsedOperator(set_op, op, False, if_exists, op in _POSITIVE)


def _account_scoped(parsed: ParsedOperator, values: tuple[str, ...], account: str, within: str | None) -> Tri:
    # The caller is "some principal of `account`": a pattern naming another account can never match.
    if parsed.negated or parsed.base not in ("arnlike", "arnequals", "stringlike", "stringequals"):
        return Tri.UNKNOWN
    if within is not None and parsed.base != "stringequals" and any(arn_covers(v, within) for v in values):
        return Tri.TRUE  # every ARN the value may be matches
    for value in values:
        segments = value.split(":", 5)
        if len(segments) != 6 or glob_match(segments[4], account):
            return Tri.UNKNOWN
    return Tri.FALSE


def _combine(states: set[Tri]) -> Tri:
    if states == {Tri.TRUE}:
        return Tri.TRUE
    if states == {Tri.FALSE}:
        return Tri.FALSE
    if Tri.UNKNOWN in states:
        return Tri.UNKNOWN  # the options the caller would pick depend on facts the data does not settle
    return Tri.CHOSEN


class _OneOption:
    """`facts`, with one key fixed to one of its alternatives."""

    __slots__ = ("facts", "key", "option")

    def __init__(self, facts: Facts, key: str, option: KeyValue) -> None:
        self.facts, self.key, self.option = facts, key, option

    def value(self, key: str) -> KeyValue:
        return self.option if key == self.key else self.facts.value(key)


# Condition → (holds a template placeholder, the keys its policy variables name): read once per distinct condition.
_SHAPES: dict[Condition, tuple[bool, tuple[str, ...]]] = {}


def _shape(cond: Condition) -> tuple[bool, tuple[str, ...]]:
    shape = _SHAPES.get(cond)
    if shape is None:
        braces = "{" in cond.key or any("{" in v for v in cond.values)
        template = braces and (has_placeholder(cond.key) or any(has_placeholder(v) for v in cond.values))
        names = tuple(body.split(",", 1)[0].strip().lower() for v in cond.values for body in
                      (m.group(1) for m in VARIABLE.finditer(v))) if braces else ()
        shape = _SHAPES[cond] = (template, tuple(n for n in names if n not in ("*", "?", "$")))
    return shape


def unresolved_template(cond: Condition) -> bool:
    """Does the condition hold a template placeholder (Terraform/CloudFormation) in its key or values?"""
    return _shape(cond)[0]


def evaluate_condition(cond: Condition, facts: Facts, variables: bool) -> Tri:
    parsed = parse_operator(cond.operator)
    template, variable_keys = _shape(cond)
    if template:
        return Tri.UNKNOWN  # filled in at deploy time: not evaluated, kept on the edge
    value: KeyValue = facts.value(cond.key.lower())
    if isinstance(value, Alternatives):
        # The caller picks the option: a condition that holds under every option holds, one that holds under
        # none fails, one that holds under some is the caller's choice (met in an Allow, avoided in a Deny).
        key = cond.key.lower()
        return _combine({evaluate_condition(cond, _OneOption(facts, key, o), variables) for o in value.options})
    if variable_keys and variables and isinstance(value, tuple) and value and parsed.known and parsed.base != "null":
        for name in variable_keys:
            options = facts.value(name)
            if isinstance(options, Alternatives):
                # A variable whose value the caller picks (a session tag): each option decides on its own; an
                # option that is "any value the caller chooses" can be made to fit.
                return _combine({Tri.CHOSEN if o is CHOSEN else
                                 evaluate_condition(cond, _OneOption(facts, name, o), variables)
                                 for o in options.options})
    if value is UNKNOWN or not parsed.known:
        return Tri.UNKNOWN
    if value is CHOSEN:
        # The caller picks the value, but a policy variable still binds to the caller: when every policy
        # value names a variable the caller lacks (${aws:username} for a role), nothing it sends can match.
        if variables and cond.values and not parsed.negated and not parsed.if_exists and parsed.base != "null" \
                and parsed.set_op != "forallvalues" and all(substitute(v, facts) is None for v in cond.values):
            return Tri.FALSE
        return Tri.CHOSEN
    if isinstance(value, AccountScoped):
        return _account_scoped(parsed, cond.values, value.account, value.within)
    if parsed.base == "null":
        wants_absent = any(v.lower() == "true" for v in cond.values)
        present = value is not ABSENT and len(value) > 0  # type: ignore[arg-type]
        return Tri.TRUE if present != wants_absent else Tri.FALSE
    if value is ABSENT or (isinstance(value, tuple) and not value and parsed.set_op):
        if parsed.if_exists or parsed.set_op == "forallvalues" or (parsed.negated and parsed.set_op is None):
            return Tri.TRUE
        return Tri.FALSE
    assert isinstance(value, tuple)
    policy_values: list[str] = []
    for raw in cond.values:
        resolved = substitute(raw, facts) if variables else raw
        if resolved is _UNRESOLVED:
            return Tri.UNKNOWN
        if isinstance(resolved, str):
            policy_values.append(resolved)
    match = _POSITIVE[parsed.base]

    def hit(ctx: str) -> bool:
        return any(match(ctx, pol) for pol in policy_values)

    if parsed.set_op == "forallvalues":
        ok = all(hit(c) != parsed.negated for c in value)
    elif parsed.set_op == "foranyvalue":
        ok = any(hit(c) != parsed.negated for c in value)
    elif parsed.negated:
        ok = not any(hit(c) for c in value)
    else:
        ok = any(hit(c) for c in value)
    return Tri.TRUE if ok else Tri.FALSE


_MET = ConditionsOutcome(Tri.TRUE)  # immutable: one instance serves every statement without conditions


def evaluate_conditions(conditions: tuple[Condition, ...], facts: Facts, variables: bool) -> ConditionsOutcome:
    """AND over every (operator, key) pair."""
    if not conditions:
        return _MET
    unresolved: list[Condition] = []
    chosen: list[Condition] = []
    for cond in conditions:
        state = evaluate_condition(cond, facts, variables)
        if state is Tri.FALSE:
            return ConditionsOutcome(Tri.FALSE)
        if state is Tri.UNKNOWN:
            unresolved.append(cond)
        elif state is Tri.CHOSEN:
            chosen.append(cond)
    if unresolved:
        return ConditionsOutcome(Tri.UNKNOWN, tuple(unresolved), tuple(chosen))
    if chosen:
        return ConditionsOutcome(Tri.CHOSEN, (), tuple(chosen))
    return _MET
