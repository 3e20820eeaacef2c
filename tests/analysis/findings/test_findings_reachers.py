"""The findings count who can reach a sensitive role from the search's answers and make a Reacher only for those
they show: every answer, classification and kept Reacher must be who_can_reach's own."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from trustgraph import load_inputs
from trustgraph.analysis.findings import FindingContext
from trustgraph.analysis.findings.context import ReacherSummary
from trustgraph.analysis.reachability import full_reacher, who_can_reach
from trustgraph.graph.build import build_graph

ACME = Path(__file__).resolve().parents[3] / "samples" / "acme"


@pytest.fixture(scope="module")
def ctx() -> FindingContext:
    snapshot, _ = load_inputs([ACME])
    return FindingContext(snapshot, build_graph(snapshot))


def _reached_roles(ctx: FindingContext) -> list[str]:
    roles = [arn for arn in sorted(ctx.sensitive) if ctx.reachers(arn)]
    assert len(roles) >= 3  # the sample's sensitive roles are reached: the comparisons below compare something
    return roles


def test_findings_reachers_are_who_can_reach_answers_in_its_order(ctx: FindingContext) -> None:
    some_outside = False
    for arn in _reached_roles(ctx):
        expected = [r for r in who_can_reach(ctx.trust_graph, arn).reachers if r.principal != arn]
        found = ctx.reachers(arn)
        assert [ctx.full_reacher(r, arn) for r in found] == expected
        assert [ctx.classification(r, arn) for r in found] == [r.classification for r in expected]
        outside = {r.principal for r in who_can_reach(ctx.trust_graph, arn, from_outside=True).reachers}
        assert [ctx.outside(r.principal) for r in found] == [r.principal in outside for r in expected]
        some_outside = some_outside or bool(outside)
    assert some_outside

def test_findings_reacher_differs_when_the_answer_differs(ctx: FindingContext) -> None:
    # Negative control: a Reacher is made from the answer it is given, not looked up again.
    arn = next(a for a in _reached_roles(ctx) if len(ctx.reachers(a)) >= 2)
    first, second = ctx.reachers(arn)[:2]
    made = full_reacher(ctx.trust_graph, replace(first, hops=first.hops + 1), arn, ctx.classification_context)
    assert made != ctx.full_reacher(first, arn)
    assert ctx.full_reacher(second, arn) != ctx.full_reacher(first, arn)


def test_review_summary_keeps_who_can_reach_reachers(ctx: FindingContext) -> None:
    for arn in _reached_roles(ctx):
        expected = [r for r in who_can_reach(ctx.trust_graph, arn).reachers if r.principal != arn]
        outside = {r.principal for r in who_can_reach(ctx.trust_graph, arn, from_outside=True).reachers}
        summary = ctx.reacher_summary(arn)
        # Outside reachers first (all of them), then the others up to the limit, each part in who_can_reach's order.
        assert summary.reachers == [r for r in expected if r.principal in outside] + \
            [r for r in expected if r.principal not in outside][:ReacherSummary.KEPT]
        assert summary.count == len(expected)
        assert summary.unconditional == sum(1 for r in expected if not r.conditional)
        assert summary.direct == tuple(sorted((r.principal, r.conditional, tuple(r.conditions))
                                              for r in expected if r.hops == 1))
