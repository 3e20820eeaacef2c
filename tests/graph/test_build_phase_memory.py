"""What the build keeps alive at its peak (docs/performance.md, "Where the memory goes"): each phase's working state
is freed when the phase ends, not when build_graph returns, and none of it changes the graph.

- the trust edges' state (equal-record keys, trust classes, per-account grant indexes) is released before the
  indirect edges start;
- the permission checker's per-account tables and the organization's verdicts are forgotten at each account
  change of the indirect edges (and the verdicts at each account's admin edges);
- the indirect edges' working state is freed before annotate.

Checked on a generated 5-account organization (SCPs and an RCP, org-wide trusts) with a control each: the same
probe finds the state alive where it still is, and the build with the forgetting turned off draws the same graph.
"""

from __future__ import annotations

import json
import weakref
from datetime import UTC, datetime
from typing import Any

import pytest
from builders import benchmark_generator

from trustgraph import build_graph, load_inputs
from trustgraph.graph import build as build_module
from trustgraph.graph.build import GraphBuilder
from trustgraph.graph.indirect import IndirectEdges
from trustgraph.model import Snapshot
from trustgraph.policy.organization import OrganizationPolicies
from trustgraph.policy.permissions import PermissionChecker

MOMENT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    base = tmp_path_factory.mktemp("org5")
    # generate_org.py --accounts 5 --roles-per-account 12 --users-per-account 3 --style org-wide
    benchmark_generator().generate(base / "org", 5, 12, 3, 7, style="org-wide")
    loaded, _ = load_inputs([base / "org"])
    assert loaded.organization is not None and loaded.organization.policies
    return loaded


def _dump(graph: Any) -> str:
    """Every node and edge with all its attributes (evidence included), and the graph's own attributes."""
    return json.dumps({"nodes": sorted([n, d] for n, d in graph.nodes(data=True)),
                       "edges": sorted([s, t, d] for s, t, d in graph.edges(data=True)),
                       "graph": graph.graph}, sort_keys=True, default=str)


def _builder(snapshot: Snapshot) -> GraphBuilder:
    assert snapshot.organization is not None
    policies = OrganizationPolicies(snapshot.organization)
    return GraphBuilder(snapshot, policies, policies.account_facts(), data_time=MOMENT.timestamp())


# -- the trust edges' state ------------------------------------------------------------------------------------------
def _trust_state(builder: GraphBuilder) -> dict[str, int]:
    assert builder.classes is not None
    return {"records": len(builder._evidence), "parts": len(builder._parts), "classes": len(builder.classes.classes),
            "grant indexes": len(builder.directory._indexes)}


def test_trust_phase_state_released_before_indirect_edges(snapshot: Snapshot,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    builder = _builder(snapshot)
    seen: dict[str, dict[str, int]] = {}
    class_members = builder._class_members

    def after_class_members() -> None:
        class_members()
        seen["trust edges drawn"] = _trust_state(builder)
    builder._class_members = after_class_members  # type: ignore[method-assign]
    add = IndirectEdges.add

    def at_indirect(self: IndirectEdges) -> None:
        seen["indirect edges start"] = _trust_state(builder)
        add(self)
    monkeypatch.setattr(IndirectEdges, "add", at_indirect)
    builder.build()
    # control: the same probe finds every table filled while the trust edges are drawn
    assert all(seen["trust edges drawn"].values()), seen
    assert not any(seen["indirect edges start"].values()), seen


# -- the per-account tables of the indirect edges ----------------------------------------------------------------------
def _caller_accounts(org: OrganizationPolicies) -> set[object]:
    return {key[5] for key in org._verdicts}  # (kind, account, resource, action, per-level, caller account, …)


def _record_account_changes(monkeypatch: pytest.MonkeyPatch, forget: Any) -> list[dict[str, Any]]:
    """At each account change: what the checker and the organization hold before and after forget_answers."""
    changes: list[dict[str, Any]] = []

    def probe(checker: PermissionChecker) -> None:
        org = checker.org
        assert isinstance(org, OrganizationPolicies)
        before = {"caller accounts": _caller_accounts(org), "action ids": len(checker._action_ids)}
        forget(checker)
        changes.append({"before": before, "after": {
            "verdicts": len(org._verdicts), "for_action": len(checker._for_action),
            "action ids": len(checker._action_ids), "action contents": len(checker._action_contents),
            "keys": len(checker._keys)}})
    monkeypatch.setattr(PermissionChecker, "forget_answers", probe)
    return changes


def test_account_memos_forgotten_at_each_account_change(snapshot: Snapshot,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    changes = _record_account_changes(monkeypatch, PermissionChecker.forget_answers)
    _builder(snapshot).build()
    assert len(changes) >= 5
    assert all(not any(c["after"].values()) for c in changes), changes
    # what is kept at an account change names the previous account's callers only
    assert all(len(c["before"]["caller accounts"]) <= 1 for c in changes[1:]), changes
    assert any(c["before"]["action ids"] for c in changes[1:])


def _remembering(checker: PermissionChecker) -> None:
    """forget_answers as it was: the answers only."""
    checker._memo.clear()
    checker._own.clear()


def test_account_memos_forgotten_at_each_account_change_control_kept(snapshot: Snapshot,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Negative control: with the answers alone forgotten, the verdicts pile up account after account.
    monkeypatch.setattr(OrganizationPolicies, "forget_verdicts", lambda self: None)
    changes = _record_account_changes(monkeypatch, _remembering)
    _builder(snapshot).build()
    assert len(changes[-1]["before"]["caller accounts"]) >= 4, changes[-1]
    assert changes[-1]["after"]["action ids"] > changes[1]["after"]["action ids"] > 0


def test_forgetting_account_memos_changes_no_edge(snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch) -> None:
    forgetting = _dump(build_graph(snapshot, data_time=MOMENT))
    with monkeypatch.context() as patched:
        patched.setattr(OrganizationPolicies, "forget_verdicts", lambda self: None)
        patched.setattr(PermissionChecker, "forget_answers", _remembering)
        remembering = build_graph(snapshot, data_time=MOMENT)
    assert _dump(remembering) == forgetting
    # control: the dump sees a change to one evidence record's text
    src, dst, data = next(iter(remembering.edges(data=True)))
    data["evidence"] = [{**data["evidence"][0], "reason": "changed"}, *data["evidence"][1:]]
    assert _dump(remembering) != forgetting


# -- the indirect edges' working state ---------------------------------------------------------------------------------
def test_indirect_state_freed_before_annotate(snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[weakref.ref[IndirectEdges]] = []
    alive: dict[str, bool] = {}
    add = IndirectEdges.add

    def keep_ref(self: IndirectEdges) -> None:
        made.append(weakref.ref(self))
        add(self)
    admins, annotate = build_module.add_identity_center_admins, build_module.annotate

    def at_admins(indirect: IndirectEdges) -> None:
        alive["Identity Center administrators"] = made[0]() is not None
        admins(indirect)

    def at_annotate(graph: Any) -> None:
        alive["annotate"] = made[0]() is not None
        annotate(graph)
    monkeypatch.setattr(IndirectEdges, "add", keep_ref)
    monkeypatch.setattr(build_module, "add_identity_center_admins", at_admins)
    monkeypatch.setattr(build_module, "annotate", at_annotate)
    build_graph(snapshot, data_time=MOMENT)
    assert alive == {"Identity Center administrators": True, "annotate": False}  # control: alive the phase before
