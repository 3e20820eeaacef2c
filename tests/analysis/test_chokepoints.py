"""Choke points (analysis/chokepoints.py, docs/chokepoints.md): which statements an edge depends on, the greedy
search, and the verification that removing the suggested statements from copies of the inputs leaves exactly
`pairs_total - cumulative_pairs_cut` pairs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tests.builders import A, Account, B, Org, allow, benchmark_generator, build, doc, identity, trust, trust_stmt
from trustgraph.analysis.chokepoints import (
    ASSIGNMENT,
    IDENTITY,
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


def _remove_inline(entry: dict[str, Any], key: str, inline: dict[tuple[str, str], list[int]]) -> bool:
    """Takes the units' statements out of the entry's inline policies (UserPolicyList, RolePolicyList)."""
    changed = False
    for policy in entry.get(key) or ():
        found = inline.pop((entry.get("Arn"), policy.get("PolicyName")), None)
        if found is not None:
            document = policy["PolicyDocument"]
            if isinstance(document, str):
                document = json.loads(unquote(document))
            policy["PolicyDocument"] = _remove_trust(document, found)
            changed = True
    return changed


def remove_units(source: Path, copy: Path, units: list[Unit]) -> None:
    """Copies the input directory and takes the units' statements out of the copies: a trust statement from its
    role's AssumeRolePolicyDocument, an inline policy's statement from its user's or role's policy list, an
    assignment from the Identity Center document."""
    shutil.copytree(source, copy)
    trust: dict[str, list[int]] = {}
    inline: dict[tuple[str, str], list[int]] = {}
    assignments: list[dict[str, str]] = []
    for unit in units:
        if unit.kind == TRUST:
            assert unit.index is not None
            trust.setdefault(unit.owner, []).append(unit.index)
        elif unit.kind == IDENTITY:
            assert unit.index is not None
            inline.setdefault((unit.owner, unit.policy), []).append(unit.index)
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
                changed = _remove_inline(role, "RolePolicyList", inline) or changed
            for user in value.get("UserDetailList") or ():
                changed = _remove_inline(user, "UserPolicyList", inline) or changed
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
    assert not inline, f"inline policies not found in the inputs: {sorted(inline)}"


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


# -- identity-policy statements (the caller's own inline policies) ------------------------------------------------


def _verified_on_files(tmp_path: Path, pieces: list[Any], targets: list[str], k: int = 5) -> Any:
    """The suggestions on the pieces written as input files, each removal checked by rebuilding a copy without it."""
    from tests.builders import _value

    source = tmp_path / "source"
    source.mkdir(parents=True)
    for i, piece in enumerate(pieces):
        (source / f"input-{i}.json").write_text(json.dumps(_value(piece)), encoding="utf-8")
    graph = build_graph(load_inputs((str(source),))[0])
    wanted = frozenset(targets)
    found = chokepoints(graph, [Scope(graph, wanted)], k=k, legitimate=legitimate_access(graph))
    for i, step in enumerate(found.suggestions, 1):
        copy = tmp_path / f"step-{i}"
        remove_units(source, copy, [s.unit for s in found.suggestions[:i]])
        assert _pairs(build_graph(load_inputs((str(copy),))[0]), wanted) == \
            found.pairs_total - step.cumulative_pairs_cut, step
    return found


def _lambda_role(a: Account) -> str:
    # two statements admitting Lambda: neither alone is a unit that cuts the PassRole edge
    service = {"Service": "lambda.amazonaws.com"}
    return a.role("Fn", doc(trust_stmt(service, sid="One"), trust_stmt(service, sid="Two")), path="/service-role/")


def test_identity_statement_granting_passrole_alone_cuts_the_passrole_edge(tmp_path: Path) -> None:
    a = Account(A)
    dev = a.user("dev", policies={"pass": identity(allow("iam:PassRole", "*", sid="Pass")),
                                  "fn": identity(allow(["lambda:CreateFunction", "lambda:InvokeFunction"], "*"))})
    fn = _lambda_role(a)
    found = _verified_on_files(tmp_path, [a], [fn])
    [s] = found.suggestions
    assert s.unit == Unit(IDENTITY, dev, "pass", 0, A) and (s.sid, s.edge_kind, s.pairs_cut) == ("Pass", "passrole", 1)
    from trustgraph.report.chokepoints import suggestion_json

    told = suggestion_json(s, {})
    assert (told["unit"], told["principal_arn"], told["policy"], told["statement_index"], told["sid"]) == (
        "identity", dev, "pass", 0, "Pass")
    assert told["statement"] == f"inline policy pass of {dev}, statement #0 (Pass)"
    # negative control: iam:PassRole granted by a second statement too, no statement alone cuts the edge
    b = Account(A)
    b.user("dev", policies={"pass": identity(allow("iam:PassRole", "*")), "again": identity(allow("iam:PassRole", "*")),
                            "fn": identity(allow(["lambda:CreateFunction", "lambda:InvokeFunction"], "*"))})
    other = _verified_on_files(tmp_path / "two", [b], [_lambda_role(b)])
    assert other.pairs_total == 2 and not other.suggestions


def test_identity_statement_naming_other_actions_is_not_a_unit(tmp_path: Path) -> None:
    """A statement whose actions other edges ask about too (a wildcard, an IAM write) is never suggested: its removal
    could change more than the edges naming it."""
    a = Account(A)
    a.user("dev", policies={"pass": identity(allow(["iam:PassRole", "iam:Get*"], "*")),
                            "fn": identity(allow(["lambda:CreateFunction", "lambda:InvokeFunction"], "*"))})
    found = _verified_on_files(tmp_path, [a], [_lambda_role(a)])
    assert found.pairs_total == 2 and not found.suggestions
    # control: the same grant with iam:PassRole alone is suggested
    b = Account(A)
    dev = b.user("dev", policies={"pass": identity(allow("iam:PassRole", "*")),
                                  "fn": identity(allow(["lambda:CreateFunction", "lambda:InvokeFunction"], "*"))})
    assert [s.unit.owner for s in _verified_on_files(tmp_path / "b", [b], [_lambda_role(b)]).suggestions] == [dev]


def test_identity_statement_granting_code_change_alone_cuts_the_code_edge(tmp_path: Path) -> None:
    service = {"Service": "glue.amazonaws.com"}
    a = Account(A)
    dev = a.user("dev", policies={"glue": identity(allow("glue:UpdateDevEndpoint", "*"))})
    role = a.role("Glue", doc(trust_stmt(service, sid="One"), trust_stmt(service, sid="Two")))
    found = _verified_on_files(tmp_path, [a], [role])
    [s] = found.suggestions
    assert s.unit == Unit(IDENTITY, dev, "glue", 0, A) and s.edge_kind == "code" and s.pairs_cut == 1
    # negative control: granted by two statements of the same policy, neither alone cuts it
    b = Account(A)
    b.user("dev", policies={"glue": identity(allow("glue:UpdateDevEndpoint", "*"),
                                             allow("glue:UpdateDevEndpoint", "arn:aws:glue:*:*:devEndpoint/*"))})
    other = _verified_on_files(tmp_path / "two", [b],
                               [b.role("Glue", doc(trust_stmt(service, sid="One"), trust_stmt(service, sid="Two")))])
    assert other.pairs_total == 2 and not other.suggestions


def test_identity_statement_removal_verified_on_a_generated_organization(tmp_path: Path) -> None:
    """The generated organization's deploy roles pass their execution role by inline statements of their own: a
    rebuild of copies without them (one, and all together) has lost exactly the edges the search says, and exactly
    the pairs (here none: the sensitive roles stay reached by other paths)."""
    from trustgraph.analysis.chokepoints import _Search

    data = tmp_path / "org"
    benchmark_generator().generate(data, 30, 100, 20, 7)
    snapshot, _ = load_inputs((str(data),))
    graph = build_graph(snapshot)
    targets = _targets(graph, set(sensitive_roles(snapshot)))
    every = _Search(graph, [Scope(graph, frozenset(n for n, d in graph.nodes(data=True) if d.get("kind") == "role"))])
    units = sorted(u for u in every.edges_of if u.kind == IDENTITY)
    assert units, "the organization has identity units"
    search = _Search(graph, [Scope(graph, targets)])
    for name, chosen in (("one", units[:1]), ("all", units)):
        cut = {edge for _, edge in every.cuts_of(chosen)}
        assert cut, name
        copy = tmp_path / name
        remove_units(data, copy, chosen)
        rebuilt = build_graph(load_inputs((str(copy),))[0])
        assert not [e for e in cut if rebuilt.has_edge(*e)], name
        holders = {u.owner for u in chosen}
        # nothing else of theirs went: an edge they lost otherwise is now drawn from a policy group they joined
        # (their policies came out the same as other principals')
        lost = {(u, v) for u, v in graph.edges if u in holders and not rebuilt.has_edge(u, v) and not any(
            rebuilt.nodes[g].get("kind") == NodeKind.POLICY_GROUP and rebuilt.has_edge(g, v)
            for g in rebuilt.successors(u))}
        assert lost == {e for e in cut if e[0] in holders}, name
        expected, _, _ = search.score(search.cuts_of(chosen))
        assert _pairs(rebuilt, targets) == search.pairs() - expected, name


def test_identity_statement_sharing_an_action_with_another_is_not_a_unit(tmp_path: Path) -> None:
    """Removing a statement that shares an action with another statement (here iam:PassRole, also allowed on one
    other role) would take that action on some resources only, which no evidence records: not a unit, even for the
    action it alone grants (lambda:CreateFunction)."""
    a = Account(A)
    other = a.role("Other", trust({"Service": "ecs-tasks.amazonaws.com"}))
    a.user("dev", policies={"both": identity(allow(["iam:PassRole", "lambda:CreateFunction"], "*")),
                            "other": identity(allow("iam:PassRole", other)),
                            "invoke": identity(allow("lambda:InvokeFunction", "*"))})
    found = _verified_on_files(tmp_path, [a], [_lambda_role(a)])
    assert found.pairs_total == 2 and not found.suggestions
    # control: without the second PassRole statement the first is the unit
    b = Account(A)
    dev = b.user("dev", policies={"both": identity(allow(["iam:PassRole", "lambda:CreateFunction"], "*")),
                                  "invoke": identity(allow("lambda:InvokeFunction", "*"))})
    [s] = _verified_on_files(tmp_path / "b", [b], [_lambda_role(b)]).suggestions
    assert s.unit == Unit(IDENTITY, dev, "both", 0, A)
