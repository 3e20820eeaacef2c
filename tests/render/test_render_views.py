"""Principal-level pictures: the whole map, a focus upstream of a role, one account, reach paths; the guard
against unreadable pictures; the legend; DOT ids and evidence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_render_accounts import GraphMaker, acme_graph, org_graph

from trustgraph.render.engine import render
from trustgraph.render.views import ViewTooLarge, auto_view, principals_view, reach_paths_view

BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"
PROD_ADMIN = "arn:aws:iam::444444444444:role/admin/ProdAdmin"
PROD_DEPLOYER = "arn:aws:iam::444444444444:role/deploy/ProdDeployer"
CI_PIPELINE = "arn:aws:iam::333333333333:role/ci/CIPipeline"


def drawn_nodes(dot) -> set[str]:  # type: ignore[no-untyped-def]
    """The nodes drawn, one by one or folded into a group."""
    return {n for k, v in dot.evidence.items() if k.startswith("node-") for n in [v["id"], *v.get("folded", ())]}


def test_whole_map_has_a_legend_clusters_and_no_colon_in_dot_ids() -> None:
    graph, _ = acme_graph()
    dot = principals_view(graph)
    src = dot.source
    assert "Legend" in src and "cluster_444444444444" in src
    assert not re.findall(r"^\s*[^\s\[]*:[^\s\[]* \[", src, re.M)
    assert not re.findall(r"^\s*\S*:\S* -> ", src, re.M)
    assert BREAK_GLASS in drawn_nodes(dot)


def test_service_linked_roles_that_lead_nowhere_are_hidden_unless_asked() -> None:
    graph, _ = acme_graph()
    linked = {n for n, d in graph.nodes(data=True) if d.get("service_linked")}
    # Those that lead somewhere (e.g. acme-security's reach OrgWideAuditReader through "*") stay.
    lead = {n for n in linked if any(d.get("kind") != "member" for _, _, d in graph.out_edges(n, data=True))}
    assert linked - lead and lead
    default = principals_view(graph)
    assert linked & drawn_nodes(default) == lead
    assert "service-linked roles hidden" in default.title
    assert "trustedadvisor.amazonaws.com" not in drawn_nodes(default)  # only trusted by a hidden role
    everything = principals_view(graph, service_linked=True)
    assert linked <= drawn_nodes(everything)


def test_a_service_is_drawn_once_per_account_cluster_that_trusts_it() -> None:
    g = org_graph(4)
    dot = principals_view(g)
    lambdas = [k for k, v in dot.evidence.items() if v.get("id") == "lambda.amazonaws.com"]
    assert len(lambdas) == 4
    # Every copy's edges stay inside its account's cluster.
    for element in lambdas:
        copy_id = element.removeprefix("node-")
        targets = re.findall(rf"^\s*{copy_id} -> (\w+)", dot.source, re.M)
        accounts = {dot.evidence[f"node-{t}"]["account"] for t in targets}
        assert len(accounts) == 1


def test_focus_draws_only_what_is_upstream_within_depth() -> None:
    graph, _ = acme_graph()
    two = drawn_nodes(principals_view(graph, focus=BREAK_GLASS, depth=2))
    assert {BREAK_GLASS, PROD_ADMIN, PROD_DEPLOYER} <= two and CI_PIPELINE not in two
    three = drawn_nodes(principals_view(graph, focus=BREAK_GLASS, depth=3))
    assert CI_PIPELINE in three and "arn:aws:iam::222222222222:user/bob" not in three


def test_account_view_of_principals_draws_only_edges_touching_the_account() -> None:
    graph, _ = acme_graph()
    dot = principals_view(graph, account="444444444444")
    ids = {k.removeprefix("node-"): v["id"] for k, v in dot.evidence.items() if k.startswith("node-")}
    for element, info in dot.evidence.items():
        if element.startswith("edge-"):
            src, dst = info["from"], info["to"]
            assert graph.nodes[src].get("account") == "444444444444" or \
                graph.nodes[dst].get("account") == "444444444444"
    assert any(graph.nodes[n].get("account") == "333333333333" for n in ids.values())  # CIPipeline touches it
    assert "acme-prod" in dot.title
    with pytest.raises(KeyError):
        principals_view(graph, account="123456789012")


def test_guard_refuses_a_view_too_large_and_suggests_the_way_out() -> None:
    graph, _ = acme_graph()
    with pytest.raises(ViewTooLarge) as exc:
        principals_view(graph, max_nodes=10)
    message = str(exc.value)
    assert "--view accounts" in message and "--focus" in message and "--max-nodes" in message
    with pytest.raises(ViewTooLarge, match="lower --depth"):
        principals_view(graph, focus=BREAK_GLASS, max_nodes=3)


def test_auto_view_picks_accounts_for_many_accounts_or_many_principals() -> None:
    graph, _ = acme_graph()
    assert auto_view(graph, 400) == "principals"
    assert auto_view(graph, 20) == "accounts"
    assert auto_view(org_graph(16), 10_000) == "accounts"
    assert auto_view(org_graph(15), 10_000) == "principals"


def test_reach_paths_draw_only_the_path_edges() -> None:
    graph, _ = acme_graph()
    path = [CI_PIPELINE, PROD_DEPLOYER, PROD_ADMIN, BREAK_GLASS]
    dot = reach_paths_view(graph, BREAK_GLASS, [path])
    edges = {(v["from"], v["to"]) for k, v in dot.evidence.items() if k.startswith("edge-")}
    assert edges == set(zip(path, path[1:], strict=False))
    assert "Legend" in dot.source and "target" in dot.source


def test_edge_evidence_carries_statements_and_conditions() -> None:
    graph, _ = acme_graph()
    dot = principals_view(graph, focus=BREAK_GLASS)
    alice = next(v for k, v in dot.evidence.items()
                 if k.startswith("edge-") and v["from"].endswith(":user/alice") and v["to"] == BREAK_GLASS)
    assert alice["conditional"] and "aws:MultiFactorAuthPresent" in alice["conditions"]
    statement = alice["evidence"][0]
    assert statement["sid"] == "SecurityAccountWithMFA"
    assert statement["conditions"][0]["key"] == "aws:MultiFactorAuthPresent"


def test_same_input_same_dot_and_data_text_escaped(tmp_path: Path) -> None:
    assert principals_view(org_graph(5, seed=1)).source == principals_view(org_graph(5, seed=2)).source
    m = GraphMaker(organization_id=None)
    m.account("111111111111", 'team "a" \\N <x>')
    a = m.role("111111111111", "Target")
    u = m.user("111111111111", "bob")
    m.trust(u, a, conditions=["aws:SourceIp"])
    out = render(principals_view(m.g), tmp_path / "x.svg")
    svg = out.read_text()
    assert "team &quot;a&quot; \\N &lt;x&gt;" in svg and "<x>" not in svg


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf", "dot"])
def test_every_format_renders(tmp_path: Path, fmt: str) -> None:
    g = org_graph(5)
    out = render(principals_view(g), tmp_path / f"map.{fmt}")
    data = out.read_bytes()
    magic = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF", "dot": b"digraph"}[fmt]
    assert data.startswith(magic)
    assert out.stat().st_mode & 0o044  # readable by others like any file the user creates
