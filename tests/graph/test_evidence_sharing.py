"""Evidence records are read-only once built: equal parts (conditions, caller_chosen, notes, reason) are one
object, and the ids they name are the graph's own id strings, not copies (docs/performance.md, "Where the
memory goes"). Sharing must never alias parts that differ."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from trustgraph import build_graph, load_inputs

ACME = Path(__file__).resolve().parents[2] / "samples" / "acme"
PARTS = ("conditions", "caller_chosen", "notes", "reason")


def _trust_records() -> tuple[dict[str, object], list[dict[str, object]]]:
    snapshot, _ = load_inputs([ACME])
    graph = build_graph(snapshot)
    seen: dict[int, dict[str, object]] = {}
    for _, _, data in graph.edges(data=True):
        for record in data["evidence"]:
            if record.get("statement") is not None:  # drawn from a trust statement
                seen[id(record)] = record
    return {n: n for n in graph}, list(seen.values())


def test_equal_evidence_parts_are_one_object() -> None:
    _, records = _trust_records()
    for part in PARTS:
        objects: dict[str, set[int]] = defaultdict(set)
        for r in records:
            objects[json.dumps(r[part], sort_keys=True)].add(id(r[part]))
        shared = [v for v in objects if sum(json.dumps(r[part], sort_keys=True) == v for r in records) > 1]
        assert shared, f"acme has repeated {part} values"
        assert all(len(ids) == 1 for ids in objects.values()), part


def test_equal_evidence_parts_are_one_object_control_different_values_apart() -> None:
    _, records = _trust_records()
    for part in PARTS:
        by_id: dict[int, set[str]] = defaultdict(set)
        for r in records:
            by_id[id(r[part])].add(json.dumps(r[part], sort_keys=True))
        if part in ("conditions", "reason"):
            assert len(by_id) > 1, part  # acme's trust records differ here: aliasing would show
        assert all(len(values) == 1 for values in by_id.values()), part


def test_evidence_role_is_the_node_id_string() -> None:
    ids, records = _trust_records()
    assert records
    assert all(r["role"] is ids[r["role"]] for r in records)  # type: ignore[index]
    # control: an equal string built apart is a different object, so `is` above tests sharing, not equality
    role = str(records[0]["role"])
    assert role.encode().decode() is not ids[role]
