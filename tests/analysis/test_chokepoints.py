"""Choke points (analysis/chokepoints.py, docs/chokepoints.md): which statements an edge depends on, the greedy
search, and the verification that removing the suggested statements from copies of the inputs leaves exactly
`pairs_total - cumulative_pairs_cut` pairs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.builders import A, Account, B, Org, allow, benchmark_generator, build, doc, identity, trust, trust_stmt
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


def _verify(source: Path, tmp_path: Path, k: int, each_step: bool = False) -> tuple[int, int]:
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
    if each_step:  # the first i suggestions removed leave what step i says
        for i, step in enumerate(found.suggestions[:-1], 1):
            copy = tmp_path / f"step-{i}"
            remove_units(source, copy, [s.unit for s in found.suggestions[:i]])
            assert _pairs(build_graph(load_inputs((str(copy),))[0]), targets) == \
                found.pairs_total - step.cumulative_pairs_cut, step
    return found.pairs_total, left


def test_chokepoint_removal_verified_on_acme(tmp_path: Path) -> None:
    total, left = _verify(ROOT / "samples" / "acme", tmp_path, 10, each_step=True)
    assert total > left > 0


def test_chokepoint_removal_verified_on_a_generated_organization(tmp_path: Path) -> None:
    data = tmp_path / "org"
    benchmark_generator().generate(data, 30, 100, 20, 7)  # generate_org.py --accounts 30 (its defaults otherwise)
    total, left = _verify(data, tmp_path, 10)
    assert total > left


# -- which statements an edge depends on (builder graphs) ---------------------------------------------------------

def _run(graph: TrustGraph, targets: list[str], k: int = 5) -> Any:
    return chokepoints(graph, [Scope(graph, frozenset(targets))], k=k, legitimate=legitimate_access(graph))


def test_trust_statement_removal_cuts_its_edge() -> None:
    a = Account(A)
    alice = a.user("alice", policies={"p": identity(allow("sts:AssumeRole", "*"))})
    role = a.role("Admin", trust(alice))
    found = _run(build(a), [role])
    assert found.pairs_total == 1
    [s] = found.suggestions
    assert (s.unit.kind, s.unit.owner, s.unit.index, s.pairs_cut) == (TRUST, role, 0, 1)
    assert s.breaks[0].what == "same-account access"
    # negative control: a role nobody reaches has nothing to cut
    assert not _run(build(a), [a.role("Lonely", trust())]).suggestions


def test_edge_backed_by_two_statements_is_not_cut_by_removing_one() -> None:
    a = Account(A)
    alice = a.user("alice", policies={"p": identity(allow("sts:AssumeRole", "*"))})
    role = a.role("Admin", doc(trust_stmt(alice, sid="One"), trust_stmt(alice, sid="Two")))
    found = _run(build(a), [role])
    assert found.pairs_total == 1 and not found.suggestions  # neither statement alone cuts the pair
    # control: with one of the two statements the same edge is cut
    b = Account(A)
    bob = b.user("bob", policies={"p": identity(allow("sts:AssumeRole", "*"))})
    single = b.role("Admin", doc(trust_stmt(bob, sid="One")))
    assert [s.pairs_cut for s in _run(build(b), [single]).suggestions] == [1]


def test_class_hub_trust_statement_cuts_every_member() -> None:
    org = Org("o-test")
    pieces: list[object] = []
    for account_id in (A, B):
        org.account(account_id)
        acct = Account(account_id)
        acct.role("Admin", trust(acct.root), policies={"admin": identity(allow("sts:AssumeRole", "*"))})
        acct.user("app", policies={"p": identity(allow("sts:AssumeRole", "*"))})
        pieces.append(acct)
    c = Account("333333333333")
    org.account(c.id)
    target = c.role("DataPerimeter", trust("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-test"}}))
    graph = build(*pieces, c, org)
    assert any(d.get("kind") == "class" for _, d in graph.nodes(data=True)), "the trust goes through a class hub"
    found = _run(graph, [target], k=1)
    [s] = found.suggestions
    assert s.unit == Unit(TRUST, target, TRUST, 0, "333333333333")
    assert s.pairs_cut == found.pairs_total >= 4  # both accounts' admins and apps, through one hub edge


def test_passrole_edge_depends_on_the_service_trust() -> None:
    a = Account(A)
    dev = a.user("dev", policies={"p": identity(allow(["iam:PassRole", "lambda:CreateFunction",
                                                       "lambda:InvokeFunction"], "*"))})
    fn = a.role("Fn", trust({"Service": "lambda.amazonaws.com"}), path="/service-role/")
    graph = build(a)
    assert graph.has_edge(dev, fn) or any(graph.has_edge(dev, n) for n in graph.successors(dev))
    found = _run(graph, [fn], k=2)
    assert found.pairs_total >= 2  # the service and the developer
    [s] = found.suggestions
    assert (s.unit.owner, s.unit.index) == (fn, 0) and s.pairs_cut == found.pairs_total
    assert any(b.what == "pipelines and workloads" for b in s.breaks)  # the service itself loses the role


def test_permission_set_assignment_removal_verified_on_acme(tmp_path: Path) -> None:
    """An assignment is a unit of its own: its sso edge needs it and one statement of the role's trust admitting
    the AWSSSO provider. Removing one assignment from a copy of the Identity Center data cuts what the search
    says; the edge's trust group alone (negative control) is not the assignment."""
    from trustgraph.analysis.chokepoints import _Search, edge_alternatives, is_cut

    source = ROOT / "samples" / "acme"
    snapshot, _ = load_inputs((str(source),))
    graph = build_graph(snapshot)
    sso = [(u, v, d) for u, v, d in graph.edges(data=True) if d.get("kind") == "sso"]
    u, v, data = next(e for e in sso if "user/" in e[0])
    alternatives = edge_alternatives(graph, u, v, data)
    assert alternatives is not None
    [[assignment, trust_group]] = alternatives
    [unit] = assignment
    assert unit.kind == ASSIGNMENT and unit.policy == data["permission_set_arn"]
    assert is_cut(alternatives, {unit}) and is_cut(alternatives, trust_group)
    assert not is_cut(alternatives, set())
    targets = _targets(graph, {v})
    search = _Search(graph, [Scope(graph, targets)])
    expected, _, _ = search.score(search.cuts(unit))
    assert expected > 0, "the assignment alone carries some pair"
    copy = tmp_path / "copy"
    remove_units(source, copy, [unit])
    rebuilt_snapshot, _ = load_inputs((str(copy),))
    assert _pairs(graph, targets) - _pairs(build_graph(rebuilt_snapshot), targets) == expected


# -- findings and the review: what each fix cuts ------------------------------------------------------------------


def _outside_trusts() -> tuple[Any, str, str]:
    a = Account(A)
    admin = a.role("ZZZAdmin", trust("arn:aws:iam::999988887777:root"),
                   policies={"admin": identity(allow("*", "*"))})
    reporting = a.role("AAAReporting", trust("arn:aws:iam::888877776666:root"))
    return a, admin, reporting


def test_fix_first_is_ordered_by_pairs_cut() -> None:
    from tests.builders import load
    from trustgraph.analysis.findings import find
    from trustgraph.analysis.findings.context import FindingContext
    from trustgraph.report.review import build_review

    a, admin, reporting = _outside_trusts()
    snapshot, _ = load(a)
    graph = build_graph(snapshot)
    context = FindingContext(snapshot, graph)
    findings = find(snapshot, graph, context=context)
    review = build_review(snapshot, graph, findings, context=context)
    fixes = [g.worst.role for g in review.top_fixes if g.worst.rule == "TG302"]
    assert fixes == [admin, reporting]  # the admin role's outside trust cuts a pair, the other none
    assert review.fix_cuts[review.top_fixes[0].id] == 1
    # control: without the cuts the same patterns are ordered by name (AAAReporting first)
    review.fix_cuts = {}
    assert [g.worst.role for g in review.top_fixes if g.worst.rule == "TG302"] == [reporting, admin]


def test_findings_json_pairs_cut() -> None:
    from tests.builders import load
    from trustgraph.analysis.chokepoints import fix_cuts
    from trustgraph.analysis.findings import find
    from trustgraph.analysis.findings.context import FindingContext
    from trustgraph.report.findings_doc import findings_document

    a, admin, reporting = _outside_trusts()
    snapshot, _ = load(a)
    graph = build_graph(snapshot)
    context = FindingContext(snapshot, graph)
    findings = find(snapshot, graph, context=context)
    doc = findings_document(findings, cuts=fix_cuts(graph, findings, context.sensitive))
    by_role = {(f["rule"], f["role"]): f["pairs_cut"] for f in doc["findings"]}
    assert by_role[("TG302", admin)] == 1 and by_role[("TG302", reporting)] == 0
    assert all(f["pairs_cut"] is None for f in doc["findings"] if f["statement"] is None)  # no statement, no count
    assert all(f["pairs_cut"] is None for f in doc["findings"] if f["severity"] not in ("high", "critical"))
    # findings below the severity counted get no count (here: every one, with the bar above critical)
    above = findings_document(findings, cuts=fix_cuts(graph, findings, context.sensitive, min_rank=99))
    assert all(f["pairs_cut"] is None for f in above["findings"])
    assert doc["reach_pairs_total"] >= 1
    assert all("pairs_cut" in g for g in doc["groups"])
    # control: without cuts the fields are there, null
    plain = findings_document(findings)
    assert plain["reach_pairs_total"] is None and all(f["pairs_cut"] is None for f in plain["findings"])
