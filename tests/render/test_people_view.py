"""The people view (Identity Center groups and users → permission sets → accounts or OUs) and the groups drawn
in who-can-reach pictures: structure on acme (samples/acme/EXPECTED.md §9), folding into OUs on a generated
organization, the grids above a size, the error without Identity Center data."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from builders import benchmark_generator
from click.testing import CliRunner

from trustgraph.cli.app import main
from trustgraph.model import Snapshot
from trustgraph.render import people
from trustgraph.render.dot import TrustDot
from trustgraph.render.engine import picture_bytes
from trustgraph.render.marks import Marks
from trustgraph.render.people import NoPeopleData, people_map, people_view
from trustgraph.render.scene import Scene

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "samples" / "acme"
SSO_ADMIN_PROD = ("arn:aws:iam::444444444444:role/aws-reserved/sso.amazonaws.com/"
                  "AWSReservedSSO_AdministratorAccess_8c1f5e2a9d3b7046")
SSO_ADMIN_DEV = ("arn:aws:iam::666666666666:role/aws-reserved/sso.amazonaws.com/"
                 "AWSReservedSSO_AdministratorAccess_d05a7c3e1b94f268")


def _built(*paths: Path) -> tuple[nx.DiGraph, Snapshot, Marks]:
    from trustgraph.analysis.marks import compute_marks
    from trustgraph.graph.build import build_graph
    from trustgraph.sources.files import load_inputs

    snapshot, _ = load_inputs([str(p) for p in paths])
    graph = build_graph(snapshot)
    return graph, snapshot, compute_marks(graph, snapshot)


@pytest.fixture(scope="module")
def acme() -> tuple[nx.DiGraph, Snapshot, Marks]:
    return _built(ACME)


@pytest.fixture(scope="module")
def org40(tmp_path_factory: pytest.TempPathFactory) -> tuple[nx.DiGraph, Snapshot, Marks]:
    """40 accounts in OUs, 6 groups, 5 permission sets, 150 assignments (the benchmark generator)."""
    out = tmp_path_factory.mktemp("people40")
    benchmark_generator().generate(out, 40, 4, 1, 7, identity_center="200,6,5,150")
    return _built(out)


def _nodes(dot: TrustDot) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in dot.evidence.items() if k.startswith("node-")}


def _edge_lines(dot: TrustDot) -> list[str]:
    return [line for line in dot.source.splitlines() if " -> " in line]


def test_people_view_of_acme(acme: tuple[nx.DiGraph, Snapshot, Marks]) -> None:
    graph, snapshot, marks = acme
    pmap = people_map(graph, snapshot, organization=snapshot.organization, marks=marks)
    groups = {p.name: p.members for p in pmap.principals.values() if p.kind == "group"}
    assert groups == {"PlatformAdmins": 2, "Engineering": 5, "SecurityTeam": 2, "Finance": 2}
    assert [p.name for p in pmap.principals.values() if p.kind == "user"] == ["jonas.weber@acme.example"]
    assert [p.name for p in pmap.principals.values() if p.synced] == ["Engineering"]
    # PowerUserAccess is assigned nowhere: not drawn, counted in the title
    assert set(pmap.sets) == {"AdministratorAccess", "ReadOnly", "BillingAdmin"} and pmap.unassigned_sets == 1
    assert [s.name for s in pmap.sets.values() if s.admin] == ["AdministratorAccess"]
    assert pmap.folded_into == "" and {p.title.split("\n")[1] for p in pmap.places.values()} == \
        {"444444444444", "666666666666", "111111111111"}
    # where each group holds each set: PlatformAdmins administers prod and dev, Engineering dev only
    where = {(pmap.principals[p].name, s): sorted(link.accounts) for (p, s), link in pmap.left.items()}
    assert where == {("PlatformAdmins", "AdministratorAccess"): ["444444444444", "666666666666"],
                     ("Engineering", "AdministratorAccess"): ["666666666666"],
                     ("Engineering", "ReadOnly"): ["444444444444"],
                     ("SecurityTeam", "ReadOnly"): ["444444444444"],
                     ("Finance", "BillingAdmin"): ["111111111111"],
                     ("jonas.weber@acme.example", "AdministratorAccess"): ["444444444444"]}
    dead = [(pmap.principals[p].name, s) for (p, s), link in pmap.left.items() if link.dashed]
    assert dead == [("Finance", "BillingAdmin")]

    dot = people_view(graph, snapshot, organization=snapshot.organization, marks=marks)
    assert isinstance(dot, TrustDot)
    labels = {v["title"]: v for v in _nodes(dot).values()}
    assert set(labels) == {"PlatformAdmins", "Engineering", "SecurityTeam", "Finance", "jonas.weber@acme.example",
                           "AdministratorAccess", "ReadOnly", "BillingAdmin", "acme-prod 444444444444",
                           "acme-dev 666666666666", "acme-management 111111111111"}
    assert re.search(r'label="AdministratorAccess\\n⚠ admin-equivalent"[^\]]*peripheries=2', dot.source)
    assert re.search(r'label="PlatformAdmins\\n2 members"', dot.source)
    assert re.search(r'label="Engineering\\n5 members\\nsynced from the IdP"', dot.source)
    edges = _edge_lines(dot)
    assert len(edges) == 6 + 4  # principal → set, set → account
    dashed = [e for e in edges if "style=dashed" in e]
    assert len(dashed) == 2 and all("not provisioned" in e for e in dashed)  # Finance → BillingAdmin → 111…
    assert 'label="acme-dev, acme-prod"' in dot.source
    assert "1 permission set assigned nowhere" in dot.title
    assert picture_bytes(dot, "svg").startswith(b"<?xml")
    elements = json.loads(picture_bytes(dot, "json"))["elements"]
    assert any(e.get("admin_equivalent") for e in elements.values())


def test_people_view_folds_accounts_into_ous(org40: tuple[nx.DiGraph, Snapshot, Marks]) -> None:
    graph, snapshot, marks = org40
    assert people.PEOPLE_ACCOUNTS < 40
    pmap = people_map(graph, snapshot, organization=snapshot.organization, marks=marks)
    assert pmap.folded_into == "ous"
    assert {p.kind for p in pmap.places.values()} == {"ou"}
    assert any(p.title == "Workloads / Prod" for p in pmap.places.values())
    total = {a for p in pmap.places.values() for a in p.accounts}
    assert len(total) == len({a.account_id for a in snapshot.identity_center.account_assignments})  # type: ignore
    # the permission set → OU edges say how many accounts
    dot = people_view(graph, snapshot, organization=snapshot.organization, marks=marks)
    assert isinstance(dot, TrustDot)
    ou_edges = [e for e in _edge_lines(dot) if re.match(r'\s*s\d+ -> a\d+ \[label="\d+ accounts?', e)]
    assert ou_edges and len(ou_edges) == len(pmap.right)
    assert re.search(r'label="Workloads / Prod\\n\d+ accounts"', dot.source)
    # one by one when asked (and below the threshold)
    flat = people_map(graph, snapshot, organization=snapshot.organization, marks=marks, fold=False)
    assert flat.folded_into == "" and {p.kind for p in flat.places.values()} <= {"account", "org-only"}
    one = people_map(graph, snapshot, organization=snapshot.organization, account=sorted(total)[0])
    assert one.folded_into == "" and len(one.places) == 1


def test_people_view_draws_grids_above_a_size(org40: tuple[nx.DiGraph, Snapshot, Marks],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    graph, snapshot, marks = org40
    monkeypatch.setattr(people, "DOT_EDGES", 10)
    monkeypatch.setattr(people, "DIRECT_USERS", 1)
    scene = people_view(graph, snapshot, organization=snapshot.organization, marks=marks)
    assert isinstance(scene, Scene)
    svg = picture_bytes(scene, "svg").decode()
    assert "users assigned directly" in svg and "Workloads / Prod" in svg
    pmap = people_map(graph, snapshot, organization=snapshot.organization, marks=marks)
    assert [p.kind for p in pmap.principals.values()].count("users") == 1
    data = json.loads(picture_bytes(scene, "json"))
    assert {s["name"] for s in data["permission_sets"]} == set(pmap.sets)
    assert picture_bytes(scene, "png").startswith(b"\x89PNG")


def test_people_view_without_identity_center_data(tmp_path: Path) -> None:
    graph, snapshot, _ = _built(*(p for p in sorted(ACME.glob("*.json")) if p.name != "identity-center.json"))
    with pytest.raises(NoPeopleData, match="identity-center.json"):
        people_map(graph, snapshot)
    inputs = [a for p in sorted(ACME.glob("*.json")) if p.name != "identity-center.json" for a in ("-i", str(p))]
    out = tmp_path / "p.svg"
    result = CliRunner().invoke(main, ["map", *inputs, "--view", "people", "-o", str(out), "-q", "--no-cache"])
    assert result.exit_code == 2, result.output
    assert "Identity Center data" in result.output and "identity-center.json" in result.output
    assert not out.exists()


def test_people_view_from_the_map_command(tmp_path: Path) -> None:
    out = tmp_path / "p.dot"
    result = CliRunner().invoke(main, ["map", "-i", str(ACME), "--view", "people", "-o", str(out), "-q",
                                       "--no-cache"])
    assert result.exit_code == 0, result.output
    assert "AdministratorAccess" in out.read_text() and "jonas.weber@acme.example" in out.read_text()
    result = CliRunner().invoke(main, ["map", "-i", str(ACME), "--view", "people", "--focus", SSO_ADMIN_DEV,
                                       "-o", str(out), "-q", "--no-cache"])
    assert result.exit_code == 2 and "people view" in result.output


@pytest.mark.parametrize(("role", "groups", "users"), [
    (SSO_ADMIN_DEV, {"PlatformAdmins\\ngroup, 2 members", "Engineering\\ngroup, 5 members\\nsynced from the IdP"},
     set()),
    (SSO_ADMIN_PROD, {"PlatformAdmins\\ngroup, 2 members"}, {"jonas.weber@acme.example"}),
])
def test_who_can_reach_draws_groups_not_their_members(tmp_path: Path, role: str, groups: set[str],
                                                      users: set[str]) -> None:
    for extra in ([], ["--people"]):
        out = tmp_path / "w.dot"
        result = CliRunner().invoke(main, ["who-can-reach", role, "-i", str(ACME), "-o", str(out), "-q",
                                           "--no-cache", *extra])
        assert result.exit_code == 0, result.output
        source = out.read_text()
        drawn = re.findall(r'\[label="([^"]*)"[^\]]*tooltip="arn:aws:identitystore:::group/', source)
        assert set(drawn) == groups
        people_drawn = re.findall(r'\[label="([^"]*)"[^\]]*tooltip="arn:aws:identitystore:::user/', source)
        assert set(people_drawn) == users  # members reached through a group are not drawn one by one
