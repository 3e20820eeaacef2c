"""The `aws_iam_policy_document` data source as the policy JSON it produces.

Its `json` attribute is used when the plan knows it. When it is known only after apply, the document is rebuilt
from the data source's arguments, only when every one of them is a known literal (the planned values, else the
configuration's `constant_value`s); otherwise it stays unknown. Documents that merge others
(`source_policy_documents`, `override_policy_documents`, `source_json`, `override_json`) are never rebuilt.
"""

from __future__ import annotations

import json
from typing import Any

from trustgraph.sources.terraform_state import PlanResource

_MERGING = ("source_policy_documents", "override_policy_documents", "source_json", "override_json")
_LISTS = (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
          ("not_resources", "NotResource"))


class _NotLiteral(Exception):
    pass


def document_json(res: PlanResource) -> str | None:
    """The policy JSON of one `aws_iam_policy_document` instance, or None when it is not known before apply."""
    if isinstance(res.values.get("json"), str) and res.values["json"] and not res.is_unknown("json"):
        return res.values["json"]
    arguments = res.values if not _has_unknown(res.unknown, skip=("json", "id")) else None
    if arguments is None or "statement" not in arguments:
        arguments = _literal_config(res.config)
    if arguments is None or any(arguments.get(k) for k in _MERGING):
        return None
    try:
        return json.dumps(_render(arguments))
    except _NotLiteral:
        return None


def _has_unknown(tree: Any, skip: tuple[str, ...] = ()) -> bool:
    if tree is True:
        return True
    if isinstance(tree, dict):
        return any(_has_unknown(v) for k, v in tree.items() if k not in skip)
    if isinstance(tree, list):
        return any(_has_unknown(v) for v in tree)
    return False


def _literal_config(expressions: Any) -> dict[str, Any] | None:
    """The configuration's arguments when every one is a literal (`constant_value`), else None."""
    try:
        value = _literal(expressions)
    except _NotLiteral:
        return None
    return value if isinstance(value, dict) and value else None


def _literal(node: Any) -> Any:
    if isinstance(node, list):  # nested blocks
        return [_literal(item) for item in node]
    if not isinstance(node, dict):
        raise _NotLiteral
    if "constant_value" in node:
        return node["constant_value"]
    if "references" in node:
        raise _NotLiteral
    return {key: _literal(value) for key, value in node.items()}


def _strings(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise _NotLiteral


def _render(arguments: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {"Version": arguments.get("version") or "2012-10-17"}
    if arguments.get("policy_id"):
        document["Id"] = arguments["policy_id"]
    statements = arguments.get("statement") or []
    if not isinstance(statements, list):
        raise _NotLiteral
    document["Statement"] = [_statement(s) for s in statements]
    return document


def _statement(block: Any) -> dict[str, Any]:
    if not isinstance(block, dict):
        raise _NotLiteral
    out: dict[str, Any] = {}
    if block.get("sid"):
        out["Sid"] = block["sid"]
    out["Effect"] = block.get("effect") or "Allow"
    for arg, key in _LISTS:
        values = _strings(block.get(arg))
        if values:
            out[key] = values
    for arg, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        principals = _principals(block.get(arg))
        if principals is not None:
            out[key] = principals
    conditions: dict[str, dict[str, list[str]]] = {}
    for cond in block.get("condition") or []:
        if not isinstance(cond, dict) or not isinstance(cond.get("test"), str) \
                or not isinstance(cond.get("variable"), str):
            raise _NotLiteral
        conditions.setdefault(cond["test"], {}).setdefault(cond["variable"], []).extend(
            _strings(cond.get("values")) or [])
    if conditions:
        out["Condition"] = conditions
    return out


def _principals(blocks: Any) -> Any:
    if not blocks:
        return None
    if not isinstance(blocks, list):
        raise _NotLiteral
    out: dict[str, list[str]] = {}
    for block in blocks:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise _NotLiteral
        identifiers = _strings(block.get("identifiers")) or []
        if block["type"] == "*" and identifiers == ["*"]:
            return "*"  # how the provider writes `type = "*"`: the bare wildcard
        out.setdefault(block["type"], []).extend(identifiers)
    return out
