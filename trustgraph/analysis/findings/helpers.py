"""Statement-level helpers shared by the rule families: condition lookups, claims, JSON of a statement."""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

from trustgraph.model import Condition, Statement
from trustgraph.policy.conditions import parse_operator
from trustgraph.policy.principals import PrincipalRef, classify_principal
from trustgraph.policy.statements import covers_action

ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")
_STRINGY = ("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike")


def principal_refs(st: Statement) -> list[PrincipalRef]:
    return [classify_principal(t, v) for t, v in (st.principals or ())]


def grants_assume(st: Statement, ref: PrincipalRef) -> bool:
    """Does this Allow statement let `ref` call the assume action its kind needs?"""
    return st.effect == "Allow" and covers_action(st, ref.action)


def conditions_on(st: Statement, key: str) -> list[Condition]:
    key = key.lower()
    return [c for c in st.conditions if c.key.lower() == key]


def keys_of(st: Statement) -> set[str]:
    return {c.key.lower() for c in st.conditions}


def is_restricting(cond: Condition) -> bool:
    """A positive string/ARN test that fails when the key is absent (not negated, not …IfExists, not
    ForAllValues, which is true on an empty set)."""
    parsed = parse_operator(cond.operator)
    return parsed.known and not parsed.negated and not parsed.if_exists and parsed.set_op != "forallvalues" \
        and parsed.base in _STRINGY


def uses_wildcards(cond: Condition) -> bool:
    return parse_operator(cond.operator).base in ("stringlike", "arnlike", "arnequals")


def only_wildcards(value: str) -> bool:
    return value.strip("*?") == ""


def provider_host(ref: PrincipalRef) -> str:
    """The condition-key prefix of a federated principal: provider host+path, or the built-in IdP host."""
    if ref.kind == "oidc":
        return ref.written.split(":oidc-provider/", 1)[-1]
    return ref.written


def claim_conditions(st: Statement, host: str, claim: str) -> list[Condition]:
    return conditions_on(st, f"{host}:{claim}")


# The JSON of the statements asked for last, by identity (the statement is kept, so its id is not reused while
# cached): every finding about a statement carries its JSON, and a statement naming 50,000 principals must be
# written out once, not once per principal. Callers never change the dict they get (with_conditions copies it).
_JSON_CACHE: dict[int, tuple[Statement, dict[str, Any]]] = {}
_JSON_CACHE_SIZE = 64


def statement_json(st: Statement) -> dict[str, Any]:
    """The statement as IAM JSON (principals grouped by type, conditions nested operator → key → values); the
    same dict for the same statement object: read it, never change it."""
    hit = _JSON_CACHE.get(id(st))
    if hit is not None and hit[0] is st:
        return hit[1]
    out = _statement_json(st)
    if len(_JSON_CACHE) >= _JSON_CACHE_SIZE:
        del _JSON_CACHE[next(iter(_JSON_CACHE))]
    _JSON_CACHE[id(st)] = (st, out)
    return out


def _statement_json(st: Statement) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if st.sid:
        out["Sid"] = st.sid
    out["Effect"] = st.effect
    if st.principals is not None:
        out["Principal"] = _principal_json(st.principals)
    if st.not_principals is not None:
        out["NotPrincipal"] = _principal_json(st.not_principals)
    if st.actions is not None:
        out["Action"] = _scalar(st.actions)
    if st.not_actions is not None:
        out["NotAction"] = _scalar(st.not_actions)
    if st.conditions:
        block: dict[str, dict[str, Any]] = defaultdict(dict)
        for c in st.conditions:
            block[c.operator][c.key] = _scalar(c.values)
        out["Condition"] = dict(block)
    return out


def _principal_json(pairs: tuple[tuple[str, str], ...]) -> Any:
    if len(pairs) == 1 and pairs[0][0] == "*":
        return "*"
    grouped: dict[str, list[str]] = defaultdict(list)
    for ptype, value in pairs:
        grouped["AWS" if ptype == "*" else ptype].append(value)
    return {k: _scalar(tuple(v)) for k, v in grouped.items()}


def _scalar(values: tuple[str, ...]) -> Any:
    return values[0] if len(values) == 1 else list(values)


def with_conditions(st: Statement, add: dict[str, dict[str, Any]], *, drop_keys: tuple[str, ...] = (),
                    only_principal: tuple[str, str] | None = None) -> dict[str, Any]:
    """The statement's JSON with `add` merged into its Condition block (replacing any condition on the same
    key, and dropping `drop_keys`). `only_principal` narrows Principal to one (type, value) pair."""
    out = dict(statement_json(st))  # the cached dict stays as it is
    if only_principal is not None:
        ptype, value = only_principal
        out["Principal"] = "*" if ptype == "*" else {ptype: value}
    replaced = {k.lower() for block in add.values() for k in block} | {k.lower() for k in drop_keys}
    block: dict[str, dict[str, Any]] = {}
    for op, keys in (out.get("Condition") or {}).items():
        kept = {k: v for k, v in keys.items() if k.lower() not in replaced}
        if kept:
            block[op] = kept
    for op, keys in add.items():
        block.setdefault(op, {}).update(copy.deepcopy(keys))
    if block:
        out["Condition"] = block
    else:
        out.pop("Condition", None)
    return out


def short_node(node: str) -> str:
    """An IAM ARN as ACCOUNT:resource ("account ACCOUNT" for its root), for finding messages."""
    if node.startswith("arn:") and ":iam::" in node:
        account, resource = node.split(":iam::", 1)[1].split(":", 1)
        return f"{account}:{resource}" if resource != "root" else f"account {account}"
    return node
