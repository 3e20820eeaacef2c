"""Views for large organizations: the OU view, the matrix, the boundary filter (`--only`), marks for sensitive
roles and roles with findings, folding of alike principals, dead ends. Asserts on the DOT and SVG content."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from builders import benchmark_generator
from test_render_accounts import DATADOG, GraphMaker, acme_graph, org_graph

from trustgraph.render.accounts import account_map, account_view
from trustgraph.render.boundary import describe_only, only_filter, parse_only
from trustgraph.render.engine import picture_bytes, render
from trustgraph.render.html import element_evidence
from trustgraph.render.marks import Marks
from trustgraph.render.matrix import matrix_view, trust_matrix
from trustgraph.render.ous import UnknownOU, find_ou, ou_map, ou_view
from trustgraph.render.scene import Rect, Scene, Text
from trustgraph.render.views import FOLD_ABOVE, auto_view, fold_repeated, principals_view, reach_paths_view

ROOT = Path(__file__).resolve().parents[2]
BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"


@pytest.fixture(scope="module")
def org40(tmp_path_factory: pytest.TempPathFactory) -> tuple[nx.DiGraph, Any, Marks]:
    """The benchmark generator's organization of 40 accounts, built, with the marks `map` computes."""
    generate = benchmark_generator().generate
    from trustgraph.analysis.marks import compute_marks
    from trustgraph.graph.build import build_graph
    from trustgraph.sources.files import load_inputs

    out = tmp_path_factory.mktemp("org40")
    generate(out, 40, 8, 2, 7)
    snapshot, _ = load_inputs([str(out)])
    graph = build_graph(snapshot)
    return graph, snapshot.organization, compute_marks(graph, snapshot)


# -- OU view -------------------------------------------------------------------------------------------------


def test_ou_view_of_a_generated_organization(org40: tuple[nx.DiGraph, Any, Marks], tmp_path: Path) -> None:
    graph, org, marks = org40
    amap = account_map(graph, organization=org, marks=marks)
    omap = ou_map(graph, amap)
    ous = {n.title: n for n in omap.nodes.values() if n.kind == "ou"}
    assert set(ous) == {"accounts under the root", "Security", "Infrastructure", "Prod", "NonProd", "Sandbox"}
    assert sum(len(n.accounts) for n in ous.values()) == 40
    # The outside world grouped: one node per kind of source.
    kinds = sorted(n.kind for n in omap.nodes.values() if n.kind != "ou")
    assert kinds.count("federated") == 1 and kinds.count("external") == 1
    providers = next(n for n in omap.nodes.values() if n.kind == "federated")
    assert "identity providers" in providers.title and "GitHub Actions" in providers.subtitle
    # Every trust between accounts lands either on an OU edge or inside one OU.
    assert sum(len(e.members) for e in omap.edges.values()) + sum(n.between for n in ous.values()) == \
        sum(len(e.members) for e in amap.edges.values())
    dot = ou_view(graph, organization=org, marks=marks, rankdir="TB")
    src = dot.source
    assert src.startswith("digraph") and "OU map: 6 OU nodes, 40 accounts" in src
    assert "Workloads" in src and "cluster" in src and "Legend" in src
    assert "organizational unit (its accounts folded)" in src
    assert re.search(r"<B>\d[\d,]* trusts?</B>", src)  # folded edges say how many trusts
    assert "conditional" in src and "sensitive" in src
    # OUs holding sensitive roles: marked (double border) and counted.
    assert "peripheries=2" in src and "sensitive role" in src
    svg = render(dot, tmp_path / "ous.svg").read_text()
    assert "Security" in svg and "Legend" in svg
    assert ou_view(graph, organization=org, marks=marks, rankdir="TB").source == src


def test_ou_drill_down_draws_its_accounts_and_folds_the_rest(org40: tuple[nx.DiGraph, Any, Marks]) -> None:
    graph, org, marks = org40
    amap = account_map(graph, organization=org, marks=marks)
    drilled = ou_map(graph, amap, ou="Prod")
    accounts = [n for n in drilled.nodes.values() if n.kind == "account"]
    assert accounts and all("prod" in n.title for n in accounts)
    titles = {n.title for n in drilled.nodes.values() if n.kind == "ou"}
    # The sibling OU, the other top-level OUs and the root's accounts stay folded.
    assert {"NonProd", "Security", "Infrastructure", "Sandbox", "accounts under the root"} <= titles
    assert find_ou(amap, "prod") == find_ou(amap, find_ou(amap, "Prod")[-1])
    workloads = ou_map(graph, amap, ou="Workloads")
    assert {"Prod", "NonProd"} <= {n.title for n in workloads.nodes.values() if n.kind == "ou"}
    with pytest.raises(UnknownOU, match="no OU 'Nope'"):
        ou_map(graph, amap, ou="Nope")
    src = ou_view(graph, organization=org, ou="Prod").source
    assert "OU Workloads / Prod:" in src


# -- matrix --------------------------------------------------------------------------------------------------


def _svg(scene: Scene) -> ET.Element:
    return ET.fromstring(scene.draw("svg"))


def _texts(root: ET.Element) -> list[str]:
    """The visible text of every <text> (without its <title> tooltip)."""
    return [(t.text or "") + "".join(c.tail or "" for c in t) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_matrix_of_a_generated_organization(org40: tuple[nx.DiGraph, Any, Marks], tmp_path: Path) -> None:
    graph, org, marks = org40
    amap = account_map(graph, organization=org, marks=marks)
    m = trust_matrix(graph, amap)
    assert len(m.cols) == 40 and len(m.rows) > 40  # outside sources are extra rows
    assert [u.band for u in m.rows[len(m.cols):]] == ["outside"] * (len(m.rows) - len(m.cols))
    bands = [u.band for u in m.cols]
    assert bands == sorted(bands, key=bands.index) and len(set(bands)) == 6  # sorted by OU: bands are runs
    # Cells add up to every trust between accounts plus the trust inside them.
    folded = sum(len(e.members) for (a, b), e in amap.edges.items() if not b.startswith("class:"))
    inside = sum(n.internal for n in amap.nodes.values() if n.kind == "account")
    assert sum(c.trusts for c in m.cells.values()) == folded + inside
    security = next(i for i, u in enumerate(m.rows) if u.title == "security")
    assert sum(1 for (i, _), c in m.cells.items() if i == security) >= 30  # the security account reaches all
    scene = matrix_view(graph, amap)
    root = _svg(scene)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    texts = _texts(root)
    assert "Legend" in texts and any(t.startswith("Trust matrix by account: 40 accounts") for t in texts)
    assert any("Workloads / Prod" in t for t in texts) and "security · 100000007919" in texts
    assert any(t.startswith("from an identity provider") for t in texts)
    cells = [g for g in root.iter(f"{ns}g") if g.get("id", "").startswith("cell-")]
    assert len(cells) == len(m.cells)
    titles = [g.find(f"{ns}rect/{ns}title").text or "" for g in cells]
    assert any("sensitive role" in t for t in titles) and any("conditional" in t for t in titles)
    # Red borders on cells whose trust reaches sensitive roles; marks beside accounts holding them.
    assert any(g.find(f"{ns}rect").get("stroke") == "#c5221f" for g in cells)
    assert any("sensitive role" in (r.findtext(f"{ns}title") or "") for r in root.iter(f"{ns}rect")
               if r.get("fill") == "#c5221f")
    assert scene.draw("svg") == matrix_view(graph, account_map(graph, organization=org, marks=marks)).draw("svg")
    data = json.loads(scene.draw("json"))
    assert data["view"] == "matrix" and len(data["columns"]) == 40
    png = render(scene, tmp_path / "matrix.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert render(scene, tmp_path / "matrix.pdf").read_bytes().startswith(b"%PDF")
    page = render(scene, tmp_path / "matrix.html").read_text()
    blob = json.loads(page.split('id="tg-evidence">', 1)[1].split("</script>", 1)[0])
    assert any(element_evidence(blob, i).get("trusts") for i in range(len(blob["elements"])))
    with pytest.raises(ValueError, match="drawn directly"):
        picture_bytes(scene, "dot")


def test_matrix_by_ou_writes_the_numbers(org40: tuple[nx.DiGraph, Any, Marks]) -> None:
    graph, org, marks = org40
    omap = ou_map(graph, account_map(graph, organization=org, marks=marks))
    m = trust_matrix(graph, omap, "ous")
    assert [u.title for u in m.cols][:1] == ["accounts under the root"] and len(m.cols) == 6
    texts = _texts(_svg(matrix_view(graph, omap, by="ous")))
    assert "Trust matrix by OU: 6 OUs" in texts[0]
    for cell in m.cells.values():
        assert f"{cell.trusts:,}" in texts


def test_matrix_text_is_escaped() -> None:
    m = GraphMaker()
    m.account("111111111111", 'evil <&"> \x07name', "o-test/r-root/")
    role = m.role("111111111111", "R")
    user = m.user("111111111111", "u")
    m.trust(user, role)
    svg = matrix_view(m.g, account_map(m.g)).draw("svg").decode()
    ET.fromstring(svg)
    assert "evil &lt;&amp;&quot;&gt; \ufffdname" in svg


def test_scene_anchors_and_rotation_reach_the_svg() -> None:
    scene = Scene(100, 50, "t")
    scene.add(Text(10, 20, "a<b", 9, anchor="end", rotate=-90))
    scene.add(Rect(1, 2, 3, 4, fill="#ffffff", id="cell-0-0", title="x & y"))
    svg = scene.draw("svg").decode()
    assert 'text-anchor="end"' in svg and 'transform="rotate(-90 10 20)"' in svg and "a&lt;b" in svg
    assert '<g class="node" id="cell-0-0">' in svg and "<title>x &amp; y</title>" in svg


# -- the boundary filter -------------------------------------------------------------------------------------


def test_only_values_parse_and_describe() -> None:
    assert parse_only(["sensitive,cross-org", "outside"]) == ("cross-org", "outside", "sensitive")
    with pytest.raises(ValueError, match="unknown --only nope"):
        parse_only(["nope"])
    assert describe_only(("cross-org", "sensitive")) == \
        "only trust from outside the organization, to sensitive roles"


def test_only_filter_keeps_the_trust_asked_for() -> None:
    g = org_graph(8)
    cross_org = only_filter(g, ["cross-org"]).graph
    kinds = {g.nodes[u]["kind"] for u, _ in cross_org.edges}
    assert kinds == {"account", "public"}  # the vendor, the unknown accounts, anyone
    assert all(g.nodes[u].get("account") not in g.graph["collected_accounts"] for u, _ in cross_org.edges)
    outside = only_filter(g, ["outside"]).graph
    assert {g.nodes[u]["kind"] for u, _ in outside.edges} == {"account", "public", "federated"}
    unconditional = only_filter(g, ["unconditional"]).graph
    assert unconditional.number_of_edges() and not any(d["conditional"] for *_, d in unconditional.edges(data=True))
    cross_ou = only_filter(g, ["cross-ou"]).graph
    paths = g.graph["accounts"]["org_accounts"]
    assert cross_ou.number_of_edges()
    for u, v in cross_ou.edges:
        assert paths[g.nodes[u]["account"]] != paths[g.nodes[v]["account"]]
    audit = {n for n in g if n.endswith("role/AuditReader")}
    sensitive = only_filter(g, ["sensitive", "cross-org"], sensitive=audit).graph
    assert set(sensitive.edges) == {(f"arn:aws:iam::{DATADOG}:root", "arn:aws:iam::100000015838:role/AuditReader"),
                                    ("*", "arn:aws:iam::100000031676:role/AuditReader")}
    # The views draw the filtered graph: the account view keeps only what the kept trust touches.
    amap = account_map(sensitive, all_accounts=False)
    assert {n.kind for n in amap.nodes.values()} == {"account", "external", "public"}


def test_only_filter_through_a_trust_class_keeps_members_that_pass() -> None:
    m = GraphMaker()
    for acct, ou in (("111111111111", "o-test/r-root/ou-a/"), ("222222222222", "o-test/r-root/ou-b/")):
        m.account(acct, f"acct-{acct[0]}", ou)
    target = m.role("111111111111", "Shared")
    near, far = m.role("111111111111", "Near"), m.role("222222222222", "Far")
    m.g.add_node("class:1.1", kind="class", hub=True, in_data=False, label="aws:PrincipalOrgID StringEquals o-test",
                 members=2, member_accounts=2)
    for member in (near, far):
        m.g.add_edge(member, "class:1.1", kind="member", scope="member", conditional=False, conditions=[],
                     evidence=[])
    m.trust("class:1.1", target, "public")
    kept = only_filter(m.g, ["cross-ou"]).graph
    assert set(kept.edges) == {(far, "class:1.1"), ("class:1.1", target)}


# -- marks, dead ends, folding -------------------------------------------------------------------------------


def test_sensitive_roles_and_findings_are_marked_on_every_picture() -> None:
    graph, org = acme_graph()
    marks = Marks(sensitive={BREAK_GLASS: "admin-equivalent"}, findings={BREAK_GLASS: (2, "high")})
    principals = principals_view(graph, marks=marks).source
    assert "⚠ admin-equivalent" in principals and "⚑ 2 findings (high)" in principals
    assert "peripheries=2" in principals and "sensitive role (admin-equivalent" in principals
    assert "role with findings (medium or worse" in principals
    paths = reach_paths_view(graph, BREAK_GLASS, [[BREAK_GLASS]], marks).source
    assert "⚠ admin-equivalent" in paths
    accounts = account_view(graph, organization=org, marks=marks).source
    assert "⚠ 1/1 sensitive role reachable from outside" in accounts and "⚑ 1 role with findings" in accounts
    assert "accounts: how many of theirs a principal outside it reaches (double red border" in accounts
    assert re.search(r"⚠ 1 sensitive", accounts)  # on the edges that reach it
    assert "⚠" not in account_view(graph, organization=org).source  # no marks given, none drawn


def test_unresolved_principals_are_dead_ends() -> None:
    graph, org = acme_graph()
    src = principals_view(graph).source
    assert "unresolved: deleted or invalid" in src and "arrowhead=tee" in src
    assert "a dead end, nothing can use the trust" in src
    accounts = account_view(graph, organization=org).source
    assert "arrowhead=tee" in accounts and "a dead end" in accounts


def test_edge_labels_stay_at_their_arrowheads() -> None:
    graph, _ = acme_graph()
    src = principals_view(graph).source
    assert "headlabel=" in src and " label=\"via" not in src


def test_alike_principals_fold_into_one_node_before_the_guard() -> None:
    m = GraphMaker()
    m.account("111111111111", "hub")
    m.account("222222222222", "busy")
    caller = m.role("111111111111", "Deployer")
    for i in range(FOLD_ABOVE + 20):
        m.trust(caller, m.role("222222222222", f"app-{i:03d}"), "role")
    odd = m.role("222222222222", "Odd")
    m.trust(caller, odd, "role", ["aws:MultiFactorAuthPresent"])
    dot = principals_view(m.g, account="222222222222", max_nodes=50)
    src = dot.source
    assert "120 roles: app-000, app-001, app-002 +117" in src
    assert "Odd" in src and "alike principals folded" in src
    assert sum("->" in line and "style=invis" not in line for line in src.splitlines()) == 2  # titles: invisible
    nodes = {n for n in m.g if n != odd}
    edges = {e for e in m.g.edges if odd not in e}
    _, kept, _, _, folded = fold_repeated(m.g, nodes, edges, keep=[caller])
    assert folded == 119 and len(kept) == 2


def test_every_picture_is_capped_at_about_8000_pixels() -> None:
    graph, org = acme_graph()
    assert 'size="83,83"' in principals_view(graph).source
    assert 'size="83,83"' in account_view(graph, organization=org).source


def test_auto_view_picks_the_level_by_size() -> None:
    assert auto_view(org_graph(10), 400) == "principals"
    assert auto_view(org_graph(10), 5) == "accounts"
    assert auto_view(org_graph(25), 400) == "accounts"
    assert auto_view(org_graph(40), 400, has_ous=True) == "ous"
    assert auto_view(org_graph(40), 400, has_ous=False) == "matrix"


def test_ou_view_titles_are_nodes_edges_route_around(org40: tuple[nx.DiGraph, Any, Marks]) -> None:
    graph, org, marks = org40
    src = ou_view(graph, organization=org, marks=marks).source
    assert "rankdir=TB" in src  # trust runs between OUs: the outside world above the organization
    assert re.search(r"cluster_ou\d+_title \[label=<<B>Workloads</B>>", src)
    assert re.search(r"cluster_ou\d+_title -> a\d+ \[style=invis\]", src)
    # Only outside trust: left to right, and the counts say they are of the drawn trust only.
    outside = only_filter(graph, ["outside"], sensitive=marks.sensitive, organization=org)
    src = ou_view(outside.graph, organization=org, marks=marks, partial=True,
                  note=describe_only(["outside"])).source
    assert "rankdir=LR" in src and "in these trusts" in src and "only trust from outside" in src
    # Left to right too the title is a node, sharing the cluster's first column (minlen=0).
    assert re.search(r"cluster_ou\d+_title \[label=<<B>Workloads</B>>", src) and "label=Workloads" not in src
    assert re.search(r"cluster_ou\d+_title -> a\d+ \[minlen=0 style=invis\]", src)


def test_alike_roles_of_many_accounts_fold_across_accounts() -> None:
    m = GraphMaker()
    m.account("111111111111", "security")
    auditor = m.role("111111111111", "Auditor")
    for i in range(FOLD_ABOVE + 30):
        account = f"{200000000000 + i:012d}"
        m.account(account, f"app-{i:03d}")
        m.trust(auditor, m.role(account, "AuditReader"), "role")
    # The whole map (around one account, more than PEER_FOLD_ABOVE peers fold by OU first: test_hub_account_fold).
    src = principals_view(m.g, max_nodes=20).source
    assert "130 roles in 130 accounts: AuditReader ×130" in src
    assert "cluster_111111111111" in src and "cluster_200000000000" not in src  # drawn outside account boxes
