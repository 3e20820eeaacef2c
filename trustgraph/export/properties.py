"""Node and edge attributes as flat properties: what every export target can store.

BloodHound OpenGraph and Neo4j take primitives and lists of primitives of one type; GraphML and GEXF take
primitives only (`scalar_properties` joins lists with `;`). Nothing is dropped: a mapping of plain values
(role tags) becomes a sorted list of `key=value`, any other structure (class conditions) its JSON text,
and an edge's evidence a short text of its statements and reasons. Every edge also gets `hop`, what
reachability counts for it (`hop_cost`: 0 into a hub by membership or as a hub entry, 1 for the others), so
that queries in other tools count hops as trustgraph does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from trustgraph.graph.schema import NodeKind, hop_cost

Primitive = str | int | float | bool
Value = Primitive | list[str] | list[int] | list[float] | list[bool]

EVIDENCE_MAX = 1000  # characters of evidence text per edge: enough for the statements, short for a UI panel
LIST_SEPARATOR = ";"


def _is_primitive(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def flat_value(value: Any) -> Value | None:
    """One attribute value as a primitive or a list of primitives of one type (None: nothing to store)."""
    if value is None or _is_primitive(value):
        return value
    if isinstance(value, Mapping):
        if all(_is_primitive(v) for v in value.values()):
            return sorted(f"{k}={_text(v)}" for k, v in value.items())
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, Iterable):
        items = list(value)
        if all(_is_primitive(v) for v in items):
            kinds = {type(v) for v in items}
            return items if len(kinds) <= 1 else [_text(v) for v in items]
        return json.dumps(items, sort_keys=True, default=str)
    return str(value)


def _text(value: Primitive) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def evidence_text(evidence: Iterable[Mapping[str, Any]]) -> str:
    """The statements behind an edge, each as `sid: reason`, cut to EVIDENCE_MAX characters."""
    parts = []
    for record in evidence or ():
        where = record.get("sid") or (f"statement {record['statement']}" if record.get("statement") is not None
                                      else record.get("principal_form") or "")
        reason = record.get("reason") or ""
        parts.append(f"{where}: {reason}" if where else str(reason))
    text = " | ".join(parts)
    return text if len(text) <= EVIDENCE_MAX else text[:EVIDENCE_MAX - 1] + "…"


def node_properties(graph: nx.DiGraph, node: str) -> dict[str, Value]:
    data = graph.nodes[node]
    props: dict[str, Value] = {"name": str(data.get("label") or node)}
    if str(node).startswith("arn:"):
        props["arn"] = str(node)
    for key, value in data.items():
        if key == "label":
            continue
        flat = flat_value(value)
        if flat is not None:
            props[key] = flat
    props.setdefault("kind", NodeKind.UNKNOWN.value)
    props.setdefault("hub", False)
    return props


class EdgeFlattener:
    """Edge properties; evidence texts are computed once per shared evidence record (the build shares
    equal records between edges)."""

    def __init__(self) -> None:
        self._texts: dict[int, str] = {}

    def __call__(self, data: Mapping[str, Any]) -> dict[str, Value]:
        props: dict[str, Value] = {}
        for key, value in data.items():
            if key == "evidence":
                props["evidence"] = self._evidence(value)
                continue
            flat = flat_value(value)
            if flat is not None:
                props[key] = flat
        props.setdefault("kind", "unknown")
        props.setdefault("conditional", False)
        props.setdefault("conditions", [])
        props["hop"] = hop_cost(data)
        return props

    def _evidence(self, evidence: list[Mapping[str, Any]]) -> str:
        if len(evidence or ()) == 1:
            key = id(evidence[0])
            text = self._texts.get(key)
            if text is None:
                text = self._texts[key] = evidence_text(evidence)
            return text
        return evidence_text(evidence)


def scalar_properties(props: Mapping[str, Value]) -> dict[str, Primitive]:
    """For formats without lists (GraphML, GEXF): lists joined with `;`."""
    return {k: LIST_SEPARATOR.join(_text(v) for v in value) if isinstance(value, list) else value
            for k, value in props.items()}
