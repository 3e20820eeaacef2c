"""Roles trusted alike share one reverse search (reachability.SharedReachers): the findings ask who can reach every
sensitive role, and an organization's sensitive roles are mostly a few templates trusted by the same callers. The
shared answers must be each role's own search's, and the findings JSON the same as with one search per role."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from builders import Account, benchmark_generator, can_assume, load, trust

from trustgraph import load_inputs
from trustgraph.analysis.chokepoints import fix_cuts
from trustgraph.analysis.findings import FindingContext, find
from trustgraph.analysis.reachability import SharedReachers, in_edge_signature, reached_from
from trustgraph.graph.build import build_graph
from trustgraph.model import Snapshot
from trustgraph.report.findings_doc import findings_document

ACME = Path(__file__).resolve().parents[3] / "samples" / "acme"
ADMIN = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def _context(snapshot: Snapshot) -> FindingContext:
    return FindingContext(snapshot, build_graph(snapshot))


def _alike_and_apart() -> tuple[FindingContext, dict[str, str]]:
    """Two admin roles trusting the same Ops role, one trusting a user instead, and one on a cycle: trusted by Ops
    and trusted by Ops' own trust (it can assume Ops)."""
    a = Account()
    dev = a.user("dev", policies=[can_assume()])
    ops = a.arn("role", "Ops")
    looped = a.arn("role", "LoopAdmin")
    a.role("Ops", trust({"AWS": [dev, looped]}), policies=[can_assume()])
    roles = {
        "first": a.role("AdminA", trust({"AWS": ops}), policies=[{"Version": "2012-10-17", "Statement": [ADMIN]}]),
        "alike": a.role("AdminB", trust({"AWS": ops}), policies=[{"Version": "2012-10-17", "Statement": [ADMIN]}]),
        "apart": a.role("AdminC", trust({"AWS": dev}), policies=[{"Version": "2012-10-17", "Statement": [ADMIN]}]),
        "looped": a.role("LoopAdmin", trust({"AWS": ops}),
                         policies=[{"Version": "2012-10-17", "Statement": [ADMIN, can_assume()["Statement"][0]]}]),
    }
    snapshot, _ = load(a)
    return _context(snapshot), roles


def test_roles_with_identical_trust_share_one_reverse_search() -> None:
    ctx, roles = _alike_and_apart()
    graph = ctx.trust_graph
    assert in_edge_signature(graph, roles["first"]) == in_edge_signature(graph, roles["alike"])
    shared = SharedReachers(graph)
    first, alike = shared.of(roles["first"]), shared.of(roles["alike"])
    assert shared.searches == 1
    assert first and alike == reached_from(graph, roles["alike"])  # the class mate's own answer, renamed
    assert all(r.route[-1] == roles["alike"] and r.path[-1] == roles["alike"] for r in alike)
    # Negative control: a role trusting another caller has another signature and searches on its own.
    assert in_edge_signature(graph, roles["apart"]) != in_edge_signature(graph, roles["first"])
    assert shared.of(roles["apart"]) == reached_from(graph, roles["apart"])
    assert shared.searches == 2


def test_role_on_a_trust_cycle_searches_alone() -> None:
    ctx, roles = _alike_and_apart()
    graph = ctx.trust_graph
    # LoopAdmin is trusted as AdminA is, but reaches Ops, its own caller: it is one of AdminA's reachers.
    assert in_edge_signature(graph, roles["looped"]) == in_edge_signature(graph, roles["first"])
    assert roles["looped"] in {r.principal for r in reached_from(graph, roles["first"])}
    shared = SharedReachers(graph)
    assert shared.of(roles["first"]) == reached_from(graph, roles["first"])
    assert shared.of(roles["looped"]) == reached_from(graph, roles["looped"])
    assert shared.searches == 2
    # Asked first, the role on the cycle stands for no class: AdminA then searches too, and so does AdminB once.
    shared = SharedReachers(graph)
    assert [shared.of(roles[k]) for k in ("looped", "first", "alike")] == \
        [reached_from(graph, roles[k]) for k in ("looped", "first", "alike")]
    assert shared.searches == 2


def _findings_json(snapshot: Snapshot) -> tuple[str, int, int]:
    """The findings JSON (with what each fix cuts), the searches run and the sensitive roles in the graph."""
    ctx = _context(snapshot)
    found = find(snapshot, ctx.graph, context=ctx)
    doc = findings_document(found, cuts=fix_cuts(ctx.graph, found, ctx.sensitive))
    return json.dumps(doc, sort_keys=True), ctx.shared_reachers.searches, sum(r in ctx.graph for r in ctx.sensitive)


def _one_search_per_role(monkeypatch: pytest.MonkeyPatch) -> None:
    def own_search(self: SharedReachers, target: str) -> Any:
        self.searches += 1
        return reached_from(self.graph, target, self.people, self.kinds)
    monkeypatch.setattr(SharedReachers, "of", own_search)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    data = tmp_path_factory.mktemp("org") / "org"
    benchmark_generator().generate(data, 30, 100, 20, 7)  # generate_org.py --accounts 30 (its defaults otherwise)
    snapshot, _ = load_inputs([data])
    return snapshot


@pytest.mark.parametrize("which", ["acme", "generated"])
def test_findings_json_is_the_same_with_shared_reverse_searches(which: str, generated: Snapshot,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = generated if which == "generated" else load_inputs([ACME])[0]
    shared, searches, roles = _findings_json(snapshot)
    with monkeypatch.context() as m:
        _one_search_per_role(m)
        alone, alone_searches, _ = _findings_json(snapshot)
    assert alone_searches == roles  # the old path: one search per sensitive role
    assert shared == alone
    if which == "generated":
        assert searches < roles / 3  # the comparison compared shared answers: most roles shared a search
        assert '"TG40' in shared  # and the sensitive rules fired on them


def test_review_people_are_the_same_with_shared_reverse_searches(monkeypatch: pytest.MonkeyPatch) -> None:
    from trustgraph.report.review import _SignIns
    snapshot, _ = load_inputs([ACME])
    graph = build_graph(snapshot)
    assert "identity_center" in graph.graph  # the sample's people sign in: the review lists them
    roles = sorted(r for r in sensitive_in_acme(snapshot) if r in graph)
    sign_ins = _SignIns(graph)
    shared = [sign_ins.of(r) for r in roles]
    with monkeypatch.context() as m:
        _one_search_per_role(m)
        alone = _SignIns(graph)
        assert [alone.of(r) for r in roles] == shared
        assert alone.searches.searches == len(roles)
    assert any(people for people, _ in shared)  # the comparison compared people
    assert sign_ins.searches.searches < len(roles)  # and some roles shared a search


def sensitive_in_acme(snapshot: Snapshot) -> list[str]:
    return list(FindingContext(snapshot, None).sensitive)
