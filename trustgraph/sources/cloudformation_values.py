"""CloudFormation intrinsic functions, evaluated only as far as the template and the user's values decide them.

Known: pseudo parameters (`AWS::AccountId` from --account-id, `AWS::Partition` "aws" unless given,
`AWS::URLSuffix`, others only from --parameter), template parameters (--parameter KEY=VALUE, else the
parameter's Default), and the IAM resources of the template (`Ref` → role, user or group name or managed policy
ARN; `Fn::GetAtt X.Arn` → its ARN). With those, `Ref`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`,
`Fn::FindInMap`, `Fn::If` (when its condition is decidable), `Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`
are evaluated. Everything else (`Fn::ImportValue`, `Fn::GetAtt` of other resources, `Fn::Base64`,
`Fn::GetAZs`, `Fn::Cidr`, a parameter without value…) is kept in its long form, which the policy parser reads
as a `${…}` placeholder (not evaluated), and reported once where it is: never evaluated as a literal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trustgraph.sources.policy_parser import is_intrinsic, render_intrinsic

NO_VALUE = "AWS::NoValue"
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class _Removed:
    """AWS::NoValue: the property or list item is left out."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


REMOVED = _Removed()


@dataclass(slots=True)
class IamResource:
    """What `Ref` and `Fn::GetAtt` of a template's IAM resource return."""

    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


# (location, intrinsic as written, why it is kept) → a diagnostic
Reporter = Callable[[str, str, str], None]


@dataclass(slots=True)
class TemplateScope:
    partition: str = "aws"
    pseudo: dict[str, str] = field(default_factory=dict)  # pseudo parameters with known values
    parameters: dict[str, Any] = field(default_factory=dict)  # name → value (string or list)
    declared: set[str] = field(default_factory=set)  # every parameter the template declares
    resources: dict[str, IamResource] = field(default_factory=dict)
    other_resources: set[str] = field(default_factory=set)  # every other logical id of the template
    mappings: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)


def short(value: Any) -> str:
    # Encoded only as far as it is shown: a value shared through YAML aliases can be large written out.
    pieces: list[str] = []
    size = 0
    for piece in json.JSONEncoder(sort_keys=True, default=str).iterencode(value):
        pieces.append(piece)
        size += len(piece)
        if size > 80:
            break
    text = "".join(pieces)
    return text if len(text) <= 80 else text[:77] + "…"


class Resolver:
    def __init__(self, scope: TemplateScope, report: Reporter) -> None:
        self.scope = scope
        self.report = report
        self._deciding: set[str] = set()
        self._decided: dict[str, bool | None] = {}
        # id(value) -> (value, its resolution), for one top-level `resolve`. A YAML alias (or an `!If` whose branches
        # are aliases) is one object in several places: resolved once, its result shared, so the work follows the
        # document as a DAG and a chain of such `!If`s is not copied out. The value is kept so its id is not reused.
        self._resolved: dict[int, tuple[Any, Any]] = {}

    # -- values ---------------------------------------------------------------------------------------------
    def resolve(self, value: Any, where: str, depth: int = 0) -> Any:
        """The value with what can be evaluated evaluated; AWS::NoValue items and properties are removed.

        Inside one call (depth 0), a list or mapping met again (the same object: a YAML alias) gives the result of
        its first resolution, whose symbolic parts were reported where it was first met."""
        if depth == 0:
            self._resolved = {}
        if depth > 60:
            self.report(where, short(value), "nested too deeply to evaluate")
            return value
        if not isinstance(value, (list, dict)):
            return value
        known = self._resolved.get(id(value))
        if known is not None:
            return known[1]
        result = self._resolve(value, where, depth)
        self._resolved[id(value)] = (value, result)
        return result

    def _resolve(self, value: Any, where: str, depth: int) -> Any:
        if isinstance(value, list):
            items = [self.resolve(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
            return [v for v in items if v is not REMOVED]
        if not isinstance(value, dict):
            return value
        if is_intrinsic(value):
            name, arg = next(iter(value.items()))
            return self._intrinsic(str(name), arg, where, depth)
        out = {}
        for key, item in value.items():
            resolved = self.resolve(item, f"{where}.{key}", depth + 1)
            if resolved is not REMOVED:
                out[key] = resolved
        return out

    def _intrinsic(self, name: str, arg: Any, where: str, depth: int) -> Any:
        if name == "Ref":
            return self._ref(arg, where)
        if name == "Fn::Sub":
            return self._sub(arg, where, depth)
        if name == "Fn::GetAtt":
            return self._get_att(arg, where)
        if name == "Fn::If":
            return self._if(arg, where, depth)
        resolved = self.resolve(arg, f"{where}.{name}", depth + 1)
        if name == "Fn::Join" and isinstance(resolved, list) and len(resolved) == 2 \
                and isinstance(resolved[0], str) and isinstance(resolved[1], list):
            if all(isinstance(p, str) for p in resolved[1]):
                return resolved[0].join(resolved[1])
            return {name: resolved}  # an unknown part: reported where it is
        if name == "Fn::Select" and isinstance(resolved, list) and len(resolved) == 2 \
                and isinstance(resolved[1], list) and _index(resolved[0]) is not None:
            index = _index(resolved[0])
            if index is not None and 0 <= index < len(resolved[1]):
                return resolved[1][index]
            self.report(where, short({name: arg}), "index out of range")
            return {name: resolved}
        if name == "Fn::Split" and isinstance(resolved, list) and len(resolved) == 2 \
                and isinstance(resolved[0], str) and resolved[0] and isinstance(resolved[1], str):
            return resolved[1].split(resolved[0])
        if name == "Fn::FindInMap":
            return self._find_in_map(resolved, arg, where)
        if name in ("Fn::Join", "Fn::Select", "Fn::Split") and _contains_intrinsic(resolved):
            return {name: resolved}  # its unknown part was reported where it is
        if name == "Condition":
            return {name: resolved}
        self.report(where, short({name: arg}), f"{name} is not evaluated before deploy")
        return {name: resolved}

    def _ref(self, target: Any, where: str) -> Any:
        if not isinstance(target, str):
            self.report(where, short({"Ref": target}), "Ref of something that is not a name")
            return {"Ref": target}
        known = self.lookup(target)
        if known is not None:
            return known
        self.report(where, short({"Ref": target}), self._why_unknown(target))
        return {"Ref": target}

    def lookup(self, name: str) -> Any:
        """What `Ref name` / `${name}` stands for, when known (None otherwise)."""
        if name == NO_VALUE:
            return REMOVED
        if name in self.scope.pseudo:
            return self.scope.pseudo[name]
        if name in self.scope.parameters:
            return self.scope.parameters[name]
        resource = self.scope.resources.get(name)
        if resource is not None:
            return resource.ref
        if "." in name:  # ${Resource.Attribute} in Fn::Sub
            logical, _, attribute = name.partition(".")
            resource = self.scope.resources.get(logical)
            if resource is not None:
                return resource.attributes.get(attribute)
        return None

    def _why_unknown(self, name: str) -> str:
        if name.startswith("AWS::"):
            hint = "--account-id" if name == "AWS::AccountId" else f"--parameter {name}=…"
            return f"pseudo parameter {name} is not known (give {hint})"
        if name in self.scope.declared:
            return f"parameter {name} has no Default and no value (give --parameter {name}=…)"
        if name.split(".")[0] in self.scope.resources:
            return f"attribute {name} of an IAM resource is known only after deploy"
        if name.split(".")[0] in self.scope.other_resources:
            return (f"{name.split('.')[0]} is a resource of the template other than a role, user, group or managed "
                    "policy: known only after deploy")
        return f"{name} is neither a parameter nor a resource of the template"

    def _sub(self, arg: Any, where: str, depth: int) -> Any:
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            text, variables = arg[0], self.resolve(arg[1], f"{where}.Fn::Sub[1]", depth + 1)
        elif isinstance(arg, str):
            text, variables = arg, {}
        else:
            self.report(where, short({"Fn::Sub": arg}), "Fn::Sub of an unexpected shape")
            return {"Fn::Sub": arg}
        variables = variables if isinstance(variables, dict) else {}
        unknown: list[str] = []
        partial: list[str] = []

        def substitute(match: re.Match[str]) -> str:
            body = match.group(1)
            if body.startswith("!"):
                return match.group(0)  # ${!Literal}: written as ${Literal}, after the other substitutions
            if ":" in body and "::" not in body:
                return match.group(0)  # an IAM policy variable (${aws:username}): IAM fills it, not CloudFormation
            value = variables.get(body) if body in variables else self.lookup(body)
            if isinstance(value, str):
                return value
            if body in variables:  # its own unknown part was reported where it is: shown as what it stands for
                partial.append(body)
                options = render_intrinsic(value)
                return options[0] if len(options) == 1 else match.group(0)
            if body not in unknown:
                unknown.append(body)
            return match.group(0)

        result = _SUB_VARIABLE.sub(substitute, text)
        for body in unknown:
            self.report(where, "${" + body + "}", f"in Fn::Sub: {self._why_unknown(body)}")
        if unknown or partial:
            return {"Fn::Sub": result}
        return re.sub(r"\$\{!", "${", result)

    def _get_att(self, arg: Any, where: str) -> Any:
        parts = arg.split(".", 1) if isinstance(arg, str) else arg
        if isinstance(parts, list) and len(parts) == 2 and all(isinstance(p, str) for p in parts):
            value = self.lookup(f"{parts[0]}.{parts[1]}")
            if isinstance(value, str):
                return value
            self.report(where, short({"Fn::GetAtt": arg}), self._why_unknown(f"{parts[0]}.{parts[1]}"))
        else:
            self.report(where, short({"Fn::GetAtt": arg}), "Fn::GetAtt of an unexpected shape")
        return {"Fn::GetAtt": arg}

    def _find_in_map(self, resolved: Any, arg: Any, where: str) -> Any:
        if isinstance(resolved, list) and len(resolved) >= 3 and all(isinstance(k, str) for k in resolved[:3]):
            node: Any = self.scope.mappings
            for key in resolved[:3]:
                node = node.get(key) if isinstance(node, dict) else None
            if node is not None:
                return node
            self.report(where, short({"Fn::FindInMap": arg}), "the mapping has no such entry")
        elif not _contains_intrinsic(resolved):
            self.report(where, short({"Fn::FindInMap": arg}), "Fn::FindInMap of an unexpected shape")
        return {"Fn::FindInMap": resolved}

    def _if(self, arg: Any, where: str, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
            self.report(where, short({"Fn::If": arg}), "Fn::If of an unexpected shape")
            return {"Fn::If": arg}
        decided = self.decide(arg[0])
        if decided is not None:
            return self.resolve(arg[1] if decided else arg[2], where, depth + 1)
        self.report(where, f"Fn::If {arg[0]}", f"condition {arg[0]} is not decidable from the parameters: either "
                    "branch may be deployed (both are read)")
        branches = [self.resolve(b, f"{where}.Fn::If[{i + 1}]", depth + 1) for i, b in enumerate(arg[1:])]
        return {"Fn::If": [arg[0], *({"Ref": NO_VALUE} if b is REMOVED else b for b in branches)]}

    # -- conditions -----------------------------------------------------------------------------------------
    def decide(self, name: str) -> bool | None:
        """The condition's truth when the parameters decide it, else None."""
        if name in self._decided:
            return self._decided[name]
        if name in self._deciding or name not in self.scope.conditions:
            return None
        self._deciding.add(name)
        try:
            result = self._truth(self.scope.conditions[name], 0)
        finally:
            self._deciding.discard(name)
        self._decided[name] = result
        return result

    def _truth(self, value: Any, depth: int) -> bool | None:
        if depth > 30 or not is_intrinsic(value):
            return value if isinstance(value, bool) else None
        name, arg = next(iter(value.items()))
        if name == "Condition" and isinstance(arg, str):
            return self.decide(arg)
        if name == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            quiet = Resolver(self.scope, lambda *_: None)
            left, right = (quiet.resolve(a, "$") for a in arg)
            if _contains_intrinsic([left, right]) or left is REMOVED or right is REMOVED:
                return None
            return _scalar(left) == _scalar(right)
        if name == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
            inner = self._truth(arg[0], depth + 1)
            return None if inner is None else not inner
        if name in ("Fn::And", "Fn::Or") and isinstance(arg, list) and arg:
            values = [self._truth(a, depth + 1) for a in arg]
            if name == "Fn::And":
                return False if False in values else (None if None in values else True)
            return True if True in values else (None if None in values else False)
        return None


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, (int, float)) else value


def _index(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _contains_intrinsic(value: Any) -> bool:
    if isinstance(value, list):
        return any(_contains_intrinsic(v) for v in value)
    if isinstance(value, dict):
        return is_intrinsic(value) or any(_contains_intrinsic(v) for v in value.values())
    return False
