"""Evidence records are plain dicts whose key table is shared among them (schema.record_maker, CPython's
key-sharing dictionaries): about half the memory of a dict of their own, the same keys in the same order for every
reader (docs/performance.md, "Where the memory goes")."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from trustgraph import build_graph, load_inputs
from trustgraph.graph.schema import INDIRECT_RECORD_KEYS, record_maker

ACME = Path(__file__).resolve().parents[2] / "samples" / "acme"


def _records() -> list[dict[str, object]]:
    snapshot, _ = load_inputs([ACME])
    graph = build_graph(snapshot)
    seen: dict[int, dict[str, object]] = {}
    for _, _, data in graph.edges(data=True):
        for record in data["evidence"]:
            seen[id(record)] = record
    return list(seen.values())


def test_evidence_records_share_one_key_table() -> None:
    records = [r for r in _records() if "principal_form" in r]
    forms = {r["principal_form"] for r in records}
    assert {"role", "account", "passrole", "iam"} <= forms  # trust and indirect records both
    compact = [r for r in records if sys.getsizeof(r) < sys.getsizeof(dict(r))]
    assert len(compact) >= 0.9 * len(records)
    assert all(type(r) is dict for r in records)  # noqa: E721  # exactly a dict: every consumer sees one
    # control: a dict of its own (what the records were) is not compact
    assert all(sys.getsizeof(dict(r)) > sys.getsizeof(r) for r in compact)


def test_evidence_records_share_one_key_table_read_as_plain_dicts() -> None:
    make = record_maker(INDIRECT_RECORD_KEYS)
    fields = {"role": "r", "statement": None, "principal": "p", "kind": "code", "technique": "lambda"}
    shared = make(fields)
    assert shared == fields and list(shared) == list(fields)  # the writer's order, not the layout's
    assert json.dumps(shared) == json.dumps(fields)
    shared["service"] = "lambda.amazonaws.com"  # a listed key added later
    shared["unlisted"] = 1  # a key not laid out: a table of its own, still a dict
    del shared["statement"]
    assert shared == {"role": "r", "principal": "p", "kind": "code", "technique": "lambda",
                      "service": "lambda.amazonaws.com", "unlisted": 1}
    assert list(shared)[-2:] == ["service", "unlisted"]
    # control: two records never share values, only keys
    other = make(fields)
    other["role"] = "other"
    assert make(fields)["role"] == "r" and other["role"] == "other"
