"""The account view: folding principals into accounts, counts and markers, OU clusters, the radial layout
for very large organizations, determinism."""

from __future__ import annotations

import math
import random
import re
import time
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from builders import benchmark_generator

from trustgraph.analysis.reachability import restrict
from trustgraph.render.accounts import DOT_LIMIT, account_map, account_view, edge_text
from trustgraph.render.radial import Box, radial_layout
from trustgraph.render.views import render_account_view

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "samples" / "acme"
DATADOG = "464622532012"


# -- a synthetic graph that follows the graph contract (docs/ARCHITECTURE.md) ----------------------------


def _evidence(role: str, principal: str, form: str, conditions: list[dict[str, Any]] | None = None,
              sid: str | None = "Trust") -> dict[str, Any]:
    return {"role": role, "statement": 0, "sid": sid, "principal": principal, "principal_form": form,
            "action": "sts:AssumeRole", "effect": "Allow", "conditions": conditions or [], "caller_chosen": [],
            "notes": [], "reason": f"trust names {principal}"}


class GraphMaker:
    """Builds trust graphs by hand: nodes and edges with the attributes graph/build.py sets."""

    def __init__(self, organization_id: str | None = "o-test") -> None:
        self.g = nx.DiGraph()
        self.g.graph.update(schema="trustgraph/graph/v1", collected_accounts=[], account_names={}, trust_problems=[])
        if organization_id:
            self.g.graph["organization_id"] = organization_id
            self.g.graph["accounts"] = {"org_id": organization_id, "org_accounts": {}, "vendors": {}, "names": {},
                                        "ou_names": {}}

    def account(self, account: str, name: str = "", ou_path: str | None = None) -> None:
        self.g.graph["collected_accounts"] = sorted({*self.g.graph["collected_accounts"], account})
        if name:
            self.g.graph["account_names"][account] = name
        if ou_path is not None:
            self.g.graph["accounts"]["org_accounts"][account] = ou_path

    def principal(self, account: str, kind: str, name: str, **attrs: Any) -> str:
        arn = f"arn:aws:iam::{account}:{kind}/{name}"
        attrs.setdefault("path", "/")
        self.g.add_node(arn, kind=kind, label=name, account=account, in_data=True,
                        account_name=self.g.graph["account_names"].get(account, ""), **attrs)
        return arn

    def role(self, account: str, name: str, **attrs: Any) -> str:
        return self.principal(account, "role", name, service_linked=False, tags={}, identity_data=True, **attrs)

    def user(self, account: str, name: str) -> str:
        return self.principal(account, "user", name)

    def outside(self, node: str, kind: str, **attrs: Any) -> str:
        label = attrs.pop("label", node)
        self.g.add_node(node, kind=kind, label=label, in_data=False, **attrs)
        return node

    def external_account(self, account: str, **attrs: Any) -> str:
        return self.outside(f"arn:aws:iam::{account}:root", "account", label=account, account=account,
                            collected=False, **attrs)

    def trust(self, src: str, dst: str, form: str = "user", conditions: list[str] | None = None,
              scope: str | None = None, sid: str | None = "Trust") -> None:
        s, d = self.g.nodes[src], self.g.nodes[dst]
        if scope is None:
            if s["kind"] in ("service", "federated", "public"):
                scope = s["kind"]
            else:
                scope = "same-account" if s.get("account") == d.get("account") else "cross-account"
        kind = {"service": "service", "federated": "web-identity"}.get(s["kind"], "assume")
        conds = [{"operator": "StringEquals", "key": k, "values": ["x"]} for k in conditions or []]
        self.g.add_edge(src, dst, kind=kind, scope=scope, conditional=bool(conditions),
                        conditions=sorted(conditions or []), evidence=[_evidence(dst, src, form, conds, sid)])


def org_graph(n_accounts: int = 8, seed: int | None = None) -> nx.DiGraph:
    """An organization: management + security hubs reaching every account, CI, a vendor, two unknown
    outsiders, a public trust, GitHub OIDC providers and Lambda service roles. `seed` shuffles the order
    in which nodes and edges are added (the pictures must not depend on it)."""
    m = GraphMaker()
    ids = [f"{100000000000 + i * 7919:012d}" for i in range(n_accounts)]
    m.g.graph["accounts"]["ou_names"] = {"ou-prod": "Prod", "ou-dev": "Dev", "ou-work": "Workloads"}
    for i, acct in enumerate(ids):
        ou = "o-test/r-root/" if i < 2 else ("o-test/r-root/ou-work/ou-prod/" if i % 2 else
                                             "o-test/r-root/ou-work/ou-dev/")
        m.account(acct, ["management", "security"][i] if i < 2 else f"app-{i:04d}", ou)
    mgmt, sec = ids[0], ids[1]
    admin = m.user(mgmt, "org-admin")
    auditor = m.role(sec, "Auditor")
    calls: list[tuple[Any, ...]] = []
    for i, acct in enumerate(ids):
        oaar = m.role(acct, "OrganizationAccountAccessRole")
        audit = m.role(acct, "AuditReader")
        app = m.role(acct, "app-lambda", path="/service-role/")
        calls += [(admin, oaar, "user"), (auditor, audit, "role", ["aws:MultiFactorAuthPresent"] if i % 3 else None),
                  (oaar, audit, "role")]
        m.outside("lambda.amazonaws.com", "service")
        calls.append(("lambda.amazonaws.com", app, "service"))
    vendor = m.external_account(DATADOG)
    calls.append((vendor, f"arn:aws:iam::{ids[2]}:role/AuditReader", "account", ["sts:ExternalId"]))
    for outsider in ("999988887777", "777766665555"):
        calls.append((m.external_account(outsider), f"arn:aws:iam::{ids[3]}:role/OrganizationAccountAccessRole",
                      "account"))
    public = m.outside("*", "public")
    calls.append((public, f"arn:aws:iam::{ids[4 % n_accounts]}:role/AuditReader", "public"))
    for acct in ids[2:5]:
        provider = m.outside(f"arn:aws:iam::{acct}:oidc-provider/token.actions.githubusercontent.com", "federated",
                             account=acct, provider_type="oidc")
        deployer = m.role(acct, "GitHubDeployer")
        calls.append((provider, deployer, "oidc", ["token.actions.githubusercontent.com:sub"]))
    # A trust that names "*" but resolves to a principal of the organization.
    calls.append((f"arn:aws:iam::{ids[2]}:role/AuditReader", f"arn:aws:iam::{sec}:role/Auditor", "public"))
    if seed is not None:
        random.Random(seed).shuffle(calls)
    for call in calls:
        m.trust(*call)
    if seed is not None:
        # Same graph, different insertion order of the nodes as well.
        shuffled = nx.DiGraph()
        shuffled.graph.update(m.g.graph)
        nodes = list(m.g.nodes(data=True))
        random.Random(seed).shuffle(nodes)
        shuffled.add_nodes_from(nodes)
        edges = list(m.g.edges(data=True))
        random.Random(seed + 1).shuffle(edges)
        shuffled.add_edges_from(edges)
        return shuffled
    return m.g


def acme_graph(known: bool = True) -> tuple[nx.DiGraph, Any]:
    from trustgraph.graph.build import build_graph
    from trustgraph.graph.classification import annotate
    from trustgraph.sources.files import load_inputs

    snapshot, _ = load_inputs([str(ACME)])
    graph = build_graph(snapshot)
    if known:
        annotate(graph, vendors={DATADOG: "Datadog"})
    return graph, snapshot.organization


# -- folding -----------------------------------------------------------------------------------------------


def test_acme_folds_into_its_six_accounts_and_named_outside_sources() -> None:
    graph, org = acme_graph()
    amap = account_map(graph, organization=org)
    accounts = {n.title for n in amap.nodes.values() if n.kind == "account"}
    assert accounts == {"acme-management", "acme-security", "acme-shared-services", "acme-prod", "acme-staging",
                        "acme-dev"}
    vendor = amap.nodes[f"acct:{DATADOG}"]
    assert (vendor.kind, vendor.title) == ("vendor", "Datadog")
    assert amap.nodes["external"].accounts == {"999988887777"}
    github = next(n for n in amap.nodes.values() if n.kind == "federated" and "GitHub" in n.title)
    assert len(github.members) == 3 and github.accounts == {"333333333333", "555555555555", "666666666666"}
    # Every trust edge of the graph is either folded into an account-view edge or counted inside one account
    # (the account view folds trust only: PassRole, code and IAM edges are drawn on the principal graph).
    graph = restrict(graph, "assume")
    folded = sum(len(e.members) for e in amap.edges.values())
    inside = sum(n.internal + n.service_trusts for n in amap.nodes.values())
    # A principal's membership of its own account's hub is no trust: not counted at all.
    joins = sum(1 for _, v, d in graph.edges(data=True)
                if d.get("kind") == "member" and graph.nodes[v]["kind"] == "account")
    assert folded + inside + joins == graph.number_of_edges()


def test_without_vendor_names_outside_accounts_are_one_group() -> None:
    graph, org = acme_graph(known=False)
    amap = account_map(graph, organization=org)
    assert amap.nodes["external"].accounts == {DATADOG, "999988887777"}
    assert f"acct:{DATADOG}" not in amap.nodes
    # ...unless the caller passes the names.
    named = account_map(graph, organization=org, known_accounts={DATADOG: "Datadog"})
    assert named.nodes[f"acct:{DATADOG}"].title == "Datadog"


def test_edge_counts_by_kind_and_markers() -> None:
    g = org_graph(8)
    amap = account_map(g)
    sec, app2 = "acct:100000007919", "acct:100000015838"
    text, marks = edge_text(g, amap.edges[(sec, app2)])
    assert text == "1 role → 1 role" and marks == "conditional"
    # management → app: the admin user reaches OrganizationAccountAccessRole.
    text, marks = edge_text(g, amap.edges[("acct:100000000000", app2)])
    assert (text, marks) == ("1 user → 1 role", "")
    text, marks = edge_text(g, amap.edges[("public", "acct:100000031676")])
    assert text == "anyone → 1 role" and "via * (1)" in marks
    # A "*" trust resolved to a principal of the organization is marked on the organization's edge.
    _, marks = edge_text(g, amap.edges[(app2, sec)])
    assert "via * (1)" in marks
    federated = amap.edges[("fed:oidc:token.actions.githubusercontent.com", app2)]
    assert edge_text(g, federated)[0] == "1 provider → 1 role"
    assert amap.nodes["fed:oidc:token.actions.githubusercontent.com"].title == "GitHub Actions (OIDC)"


def test_same_account_and_service_trust_are_counted_inside_the_account() -> None:
    g = org_graph(8)
    amap = account_map(g)
    app = amap.nodes["acct:100000015838"]
    assert app.internal == 1 and app.service_trusts == 1
    assert "services" not in amap.nodes
    drawn = account_map(g, services=True)
    assert ("services", "acct:100000015838") in drawn.edges
    assert drawn.nodes["acct:100000015838"].service_trusts == 0


def test_account_filter_keeps_one_account_and_what_touches_it() -> None:
    g = org_graph(8)
    amap = account_map(g, account="100000023757")
    assert set(amap.nodes) == {"acct:100000023757", "acct:100000000000", "acct:100000007919", "external",
                               "fed:oidc:token.actions.githubusercontent.com"}
    assert all("acct:100000023757" in pair for pair in amap.edges)
    with pytest.raises(KeyError):
        account_map(g, account="123456789012")


# -- DOT -----------------------------------------------------------------------------------------------------


def test_acme_account_view_dot_has_nested_ou_clusters_legend_and_no_colon_ids() -> None:
    graph, org = acme_graph()
    dot = account_view(graph, organization=org)
    src = dot.source
    assert dot.engine == "dot"
    assert "Organization o-acme12345" in src
    for ou in ("Workloads", "Prod", "NonProd", "Security", "Infrastructure"):
        assert f"<B>{ou}</B>" in src  # a title node (render/clusters.py)
    assert "Legend" in src and "Datadog" in src
    # Node statements are `aN [...]`: DOT ids never carry a ':' (it would be read as a port).
    assert not re.findall(r"^\s*[^\s\[]*:[^\s\[]* \[", src, re.M)
    # Nested: Prod inside Workloads inside the organization cluster.
    workloads = src.index("<B>Workloads</B>")
    assert src.index("subgraph cluster_ou0") < workloads < src.index("<B>Prod</B>")


def test_ou_names_fall_back_to_ids_without_organization_data() -> None:
    g = org_graph(6)
    del g.graph["accounts"]["ou_names"]
    src = account_view(g).source
    assert "ou-prod" in src and "Organization o-test" in src


def test_same_graph_in_any_insertion_order_gives_the_same_dot() -> None:
    one = account_view(org_graph(10, seed=1)).source
    two = account_view(org_graph(10, seed=2)).source
    assert one == two
    assert account_view(org_graph(10)).source == one


def test_evidence_for_every_drawn_node_and_edge() -> None:
    g = org_graph(6)
    dot = account_view(g)
    drawn = set(re.findall(r'id="((?:node|edge)-[a-z0-9-]+)"', dot.source))
    assert drawn == set(dot.evidence)
    edge = next(v for v in dot.evidence.values() if v["type"] == "edge" and v["conditional"])
    assert edge["members"][0]["conditions"] and edge["members"][0]["statements"] == ["#0 (Trust)"]


def test_data_text_is_escaped_in_dot_and_svg(tmp_path: Path) -> None:
    g = org_graph(4)
    g.graph["account_names"]["100000023757"] = 'evil <b>"quoted"</b> & \\N back\\slash'
    out = render_account_view(g, tmp_path / "x.svg", "svg")
    svg = out.read_text()
    assert "evil &lt;b&gt;&quot;quoted&quot;&lt;/b&gt; &amp; \\N back\\slash" in svg
    assert "<b>" not in svg


# -- very large organizations ------------------------------------------------------------------------------


def test_radial_layout_never_overlaps_and_handles_tiny_sectors() -> None:
    rng = random.Random(5)
    center = [Box(f"hub{i}", 120 + 20 * i, 40) for i in range(4)]
    sizes = [1, 1, 2, 397, 398, 199, 3]
    groups = [(f"ou{g}", [Box(f"g{g}n{i}", rng.uniform(60, 150), 36) for i in range(n)])
              for g, n in enumerate(sizes)]
    layout = radial_layout(center, groups)
    boxes = {b.key: b for b in center} | {b.key: b for _, members in groups for b in members}
    assert set(layout.positions) == set(boxes)
    # Same cell for every group member: centres at least one cell apart horizontally or vertically.
    cell_w = max(b.width for _, m in groups for b in m)
    cell_h = max(b.height for _, m in groups for b in m)
    pts = sorted((layout.positions[k], k) for k in boxes if k.startswith("g"))
    for i, ((x1, y1), _) in enumerate(pts):
        for (x2, y2), _ in pts[i + 1:i + 40]:
            assert abs(x2 - x1) >= cell_w * 0.999 or abs(y2 - y1) >= cell_h * 0.5 or \
                math.hypot(x2 - x1, y2 - y1) >= cell_w * 0.999
    assert [s.count for s in layout.sectors] == sizes
    assert layout.radius < 3000  # a disc, not a ring of a thousand nodes


def test_a_thousand_account_organization_draws_radially_in_seconds(tmp_path: Path) -> None:
    g = org_graph(1000)
    started = time.perf_counter()
    dot = account_view(g)
    assert dot.layout == "radial" and len([k for k in dot.evidence if k.startswith("node-")]) > DOT_LIMIT
    out = render_account_view(g, tmp_path / "org.svg", "svg")
    elapsed = time.perf_counter() - started
    svg = out.read_text()
    assert "Legend" in svg and "app&#45;0999" in svg and "Workloads / Prod" in svg
    assert elapsed < 30, elapsed
    # Deterministic all the way to the SVG.
    again = render_account_view(org_graph(1000, seed=3), tmp_path / "again.svg", "svg")
    assert again.read_bytes() == out.read_bytes()


def test_large_map_can_be_drawn_force_directed() -> None:
    g = org_graph(150)
    dot = account_view(g, engine="sfdp")
    assert dot.engine == "sfdp" and "overlap=scale" in dot.source and "cluster" not in dot.source


@pytest.mark.slow
def test_generated_thousand_account_organization(tmp_path: Path) -> None:
    """The benchmark generator's organization (when the generator is present) draws as an account map."""
    generate = benchmark_generator().generate
    from trustgraph.graph.build import build_graph
    from trustgraph.sources.files import load_inputs

    info = generate(tmp_path / "org", 1000, 0, 0, 7)
    snapshot, _ = load_inputs([str(tmp_path / "org")])
    graph = build_graph(snapshot)
    started = time.perf_counter()
    out = render_account_view(graph, tmp_path / "org.svg", "svg", organization=snapshot.organization)
    elapsed = time.perf_counter() - started
    svg = out.read_text()
    assert elapsed < 30, elapsed
    assert "Account map: 1000 accounts" in svg and "Legend" in svg
    assert "Workloads / Prod" in svg  # OU names from organization.json
    assert len(info.account_ids) == 1000
