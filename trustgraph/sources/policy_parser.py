"""Parse IAM policy documents in every form the AWS tools print them.

A document may be a dict, a JSON string or a URL-encoded JSON string (the raw Query API encodes
policy fields; botocore decodes them, other tools do not). Scalars and lists are accepted wherever
IAM accepts both. Problems never raise: they are returned with their JSON location so that the
caller can name the file and keep going with the rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from trustgraph.model import Condition, PolicyDocument, Statement
from trustgraph.policy.placeholders import has_placeholder
from trustgraph.sources.surrogates import may_hold_surrogates, replace_lone_surrogates

PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
NO_VALUE = "AWS::NoValue"


def is_intrinsic(value: Any) -> bool:
    """A CloudFormation intrinsic function: {"Ref": …} or {"Fn::…": …}."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    name = str(next(iter(value)))
    return name in ("Ref", "Condition") or name.startswith("Fn::")


def render_intrinsic(value: Any) -> list[str]:
    """A CloudFormation intrinsic as the strings it may stand for, template parts left as `${…}` placeholders
    (e.g. {"Ref": "RoleName"} → "${RoleName}", Fn::If → both branches, AWS::NoValue → nothing)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (int, float, bool)):
        return [str(value).lower() if isinstance(value, bool) else str(value)]
    if not is_intrinsic(value):
        return ["${" + json.dumps(value, sort_keys=True)[:60] + "}"]
    name, arg = next(iter(value.items()))
    if name == "Ref":
        return [] if arg == NO_VALUE else [f"${{{arg}}}"]
    if name == "Fn::Sub":
        text = arg[0] if isinstance(arg, list) and arg else arg
        return [text] if isinstance(text, str) else [f"${{{name}}}"]
    if name == "Fn::GetAtt":
        path = ".".join(str(a) for a in arg) if isinstance(arg, list) else str(arg)
        return [f"${{{path}}}"]
    if name == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
        return render_intrinsic(arg[1]) + render_intrinsic(arg[2])
    if name == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
        return _join_options(arg[0], arg[1])
    if name == "Fn::FindInMap" and isinstance(arg, list):
        path = ".".join((render_intrinsic(a) or ["?"])[0].strip("${}") for a in arg)
        return [f"${{Fn::FindInMap:{path}}}"]
    return [f"${{{name}}}"]


def _join_options(separator: Any, parts: list[Any]) -> list[str]:
    combos: list[list[str]] = [[]]
    for part in parts:
        options = render_intrinsic(part)
        if not options:
            continue
        combos = [c + [o] for c in combos for o in options][:8]
    return [str(separator).join(c) for c in combos]


@dataclass(frozen=True, slots=True)
class ParseProblem:
    location: str
    message: str


class _Invalid(Exception):
    def __init__(self, location: str, message: str) -> None:
        super().__init__(message)
        self.location = location
        self.message = message


def decode_document(raw: Any) -> Any:
    """Return the JSON value of a policy document given as dict, JSON text or URL-encoded JSON text."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if not text:
        raise ValueError("empty policy document")
    if text[0] not in "{[" and "%" in text:
        text = unquote(text)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"policy document is not valid JSON ({exc.msg} at char {exc.pos})") from None
    except RecursionError:
        raise ValueError("policy document is nested too deeply to be a policy") from None
    if may_hold_surrogates(text):  # a document given as text is read here, not by the file reader: same rule
        value, _ = replace_lone_surrogates(value)
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if is_intrinsic(value):
        rendered = render_intrinsic(value)
        if rendered:
            return tuple(rendered)
        raise _Invalid(where, "CloudFormation value resolves to AWS::NoValue")
    if isinstance(value, list) and value and all(isinstance(v, str) or is_intrinsic(v) for v in value):
        return tuple(r for v in value for r in ([v] if isinstance(v, str) else render_intrinsic(v)))
    if isinstance(value, list) and not value:
        raise _Invalid(where, "empty list")
    raise _Invalid(where, f"expected a string or a list of strings, got {_shape(value)}")


def _shape(value: Any) -> str:
    if isinstance(value, list) and not value:
        return "an empty list"
    if isinstance(value, list):
        return "a list containing " + ", ".join(sorted({type(v).__name__ for v in value}))
    return type(value).__name__


def _condition_values(value: Any, where: str) -> list[str]:
    if is_intrinsic(value):
        return render_intrinsic(value)
    return [_condition_value(value, where)]


def _condition_value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise _Invalid(where, f"condition value must be a string, number or boolean, got {_shape(value)}")


def _principals(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if value == "*":
        return (("*", "*"),)
    if is_intrinsic(value) and next(iter(value)) == "Fn::If" and isinstance(value["Fn::If"], list) \
            and len(value["Fn::If"]) == 3:
        # Either branch may be deployed: read both (a branch that is AWS::NoValue adds nothing).
        branches = [b for b in value["Fn::If"][1:] if not (is_intrinsic(b) and b.get("Ref") == NO_VALUE)]
        either = list(dict.fromkeys(pair for b in branches for pair in _principals(b, where)))
        if not either:
            raise _Invalid(where, "Principal resolves to AWS::NoValue")
        return tuple(either)
    if not isinstance(value, dict) or not value:
        raise _Invalid(where, f"Principal must be \"*\" or an object of principal types, got {_shape(value)}")
    pairs: list[tuple[str, str]] = []
    for ptype, pvalue in value.items():
        if ptype not in PRINCIPAL_TYPES and not has_placeholder(ptype):
            raise _Invalid(f"{where}.{ptype}", f"unknown principal type {ptype!r}")
        for item in _strings(pvalue, f"{where}.{ptype}"):
            pairs.append((ptype, item))
    return tuple(pairs)


def _conditions(value: Any, where: str) -> tuple[Condition, ...]:
    if not isinstance(value, dict):
        raise _Invalid(where, f"Condition must be an object, got {_shape(value)}")
    out: list[Condition] = []
    for operator, block in value.items():
        if not isinstance(block, dict):
            raise _Invalid(f"{where}.{operator}", f"condition operator block must be an object, got {_shape(block)}")
        for key, raw_values in block.items():
            at = f"{where}.{operator}.{key}"
            items = raw_values if isinstance(raw_values, list) else [raw_values]
            out.append(Condition(operator, key, tuple(r for v in items for r in _condition_values(v, at))))
    return tuple(out)


def _statement(index: int, raw: Any, where: str) -> Statement:
    if not isinstance(raw, dict):
        raise _Invalid(where, f"statement must be an object, got {_shape(raw)}")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise _Invalid(f"{where}.Effect", f"Effect must be \"Allow\" or \"Deny\", got {effect!r}")
    if "Action" in raw and "NotAction" in raw:
        raise _Invalid(where, "statement has both Action and NotAction")
    if "Action" not in raw and "NotAction" not in raw:
        raise _Invalid(where, "statement has neither Action nor NotAction")
    sid = raw.get("Sid")

    def opt(name: str) -> tuple[str, ...] | None:
        return _strings(raw[name], f"{where}.{name}") if name in raw else None

    return Statement(
        index=index,
        sid=str(sid) if sid is not None else None,
        effect=effect,
        actions=opt("Action"),
        not_actions=opt("NotAction"),
        resources=opt("Resource"),
        not_resources=opt("NotResource"),
        principals=_principals(raw["Principal"], f"{where}.Principal") if "Principal" in raw else None,
        not_principals=_principals(raw["NotPrincipal"], f"{where}.NotPrincipal") if "NotPrincipal" in raw else None,
        # An empty object is no condition; anything else that is not an object is an error, never "no condition".
        conditions=_conditions(raw["Condition"], f"{where}.Condition") if raw.get("Condition", {}) != {} else (),
    )


def parse_policy(raw: Any, where: str = "$") -> tuple[PolicyDocument | None, list[ParseProblem]]:
    """Parse one policy document. Invalid statements are dropped and reported; the rest is kept."""
    try:
        value = decode_document(raw)
    except ValueError as exc:
        return None, [ParseProblem(where, str(exc))]
    if is_intrinsic(value) and next(iter(value)) == "Fn::Sub":
        # The whole document is a CloudFormation substitution: its text is the document, with placeholders.
        try:
            value = decode_document(render_intrinsic(value)[0])
        except ValueError as exc:
            return None, [ParseProblem(where, str(exc))]
    if not isinstance(value, dict):
        return None, [ParseProblem(where, f"policy document must be a JSON object, got {_shape(value)}")]
    version = value.get("Version")
    problems: list[ParseProblem] = []
    if "Statement" not in value:
        problems.append(ParseProblem(where, "policy document has no Statement: it grants nothing"))
        raw_statements: list[Any] = []
    else:
        stmt = value["Statement"]
        raw_statements = stmt if isinstance(stmt, list) else [stmt]
    # A statement chosen by a CloudFormation condition (Fn::If): either branch may be deployed.
    raw_statements = [b for st in raw_statements for b in (
        [x for x in st["Fn::If"][1:] if not (is_intrinsic(x) and x.get("Ref") == NO_VALUE)]
        if is_intrinsic(st) and next(iter(st)) == "Fn::If" and isinstance(st["Fn::If"], list)
        and len(st["Fn::If"]) == 3 else [st])]
    statements: list[Statement] = []
    for index, raw_statement in enumerate(raw_statements):
        at = f"{where}.Statement[{index}]" if isinstance(value.get("Statement"), list) else f"{where}.Statement"
        try:
            statements.append(_statement(index, raw_statement, at))
        except _Invalid as exc:
            problems.append(ParseProblem(exc.location, f"invalid statement skipped: {exc.message}"))
    skipped = tuple(p.message for p in problems if p.message.startswith("invalid statement"))
    return PolicyDocument(version if isinstance(version, str) else None, tuple(statements), skipped), problems
