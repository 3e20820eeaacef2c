"""The HTML explorer at scale: evidence stored once, small pages, hostile text kept as text, and (opt-in,
marker `browser`, Playwright driving /usr/bin/chromium) paint time, the evidence panel, paths and filters."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_render_accounts import GraphMaker

from trustgraph.cli import main
from trustgraph.render.engine import render
from trustgraph.render.html import LIST_CAP, element_evidence, element_ids, embed_json, html_page, page_data
from trustgraph.render.views import principals_view

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "samples" / "acme"
BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"
CHROMIUM = Path("/usr/bin/chromium")

HOSTILE = ["</script><script>window.__pwned=1</script>", '<img src=x onerror="window.__pwned=2">',
           "[link](https://evil.example/)", "\x1b[31mred\x1b[0m \x07 \u2028"]


def blob_of(page: str) -> dict[str, Any]:
    text = re.search(r'<script type="application/json" id="tg-evidence">(.*?)</script>', page, re.S).group(1)
    return json.loads(text)


def _map(args: list[str]) -> None:
    result = CliRunner().invoke(main, ["map", "-q", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def org100(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("org100")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate_org.py"), "--accounts", "100",
                    "--roles-per-account", "20", "--users-per-account", "4", "-o", str(out / "org")], check=True,
                   capture_output=True)
    _map(["-i", str(out / "org"), "--view", "accounts", "-o", str(out / "accounts.html")])
    return out


@pytest.fixture(scope="module")
def org100_compact(org100: Path) -> Path:
    """The same account view as a large organization's page: edges in the data, drawn by the script."""
    from trustgraph.render import html as html_module

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(html_module, "COMPACT_EDGES", 100)
        _map(["-i", str(org100 / "org"), "--view", "accounts", "-o", str(org100 / "compact.html")])
    return org100 / "compact.html"


def test_large_drawings_send_their_edges_as_data(org100: Path, org100_compact: Path) -> None:
    full = (org100 / "accounts.html").read_text(encoding="utf-8")
    page = org100_compact.read_text(encoding="utf-8")
    data = blob_of(page)
    edges = len(data["edges"]) // 2
    assert len(data["draw"]) == edges > 100 and all(data["draw"])
    assert page.count('class="edge"') < full.count('class="edge"') - edges + 5
    assert 'id="tg-edge-layer"' in page and 'data-tg-compact="1"' in page
    # Each edge: [class, "M x,y c …", class, "m dx,dy l … z"] with whole numbers on the curve.
    first = data["draw"][0]
    assert re.fullmatch(r"M-?\d+,-?\d+c[-\d, ]+", first[1]) and first[3].startswith("m")
    assert f"#tg-canvas .s{first[0]} " in page
    assert len(page) < len(full)


@pytest.fixture(scope="module")
def acme_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("acme") / "acme.html"
    _map(["-i", str(ACME), "-o", str(out)])
    return out


# -- without a browser ----------------------------------------------------------------------------------

def test_generated_page_is_small_and_lists_are_capped(org100: Path) -> None:
    page = (org100 / "accounts.html").read_text(encoding="utf-8")
    # 100 accounts, about 1,500 folded links: the page was 25 MB with evidence repeated per edge.
    assert len(page.encode()) < 3_000_000
    data = blob_of(page)
    edges = len(data["edges"]) // 2
    assert len(element_ids(data)) == len(data["elements"]) >= data["nodes"] + edges > 500
    infos = [element_evidence(data, i) for i in range(len(data["elements"]))]
    assert 0 < data["edge_cap"] <= LIST_CAP
    # The counts stay whole: listed + "N more" = the trusts folded into the edge.
    for v in infos:
        if v.get("type") == "edge":
            assert len(v["members"]["$r"]) + v["members"].get("$more", 0) == v["trusts"]
    # Ends of the drawn edges are drawn nodes.
    assert all(0 <= end < data["nodes"] for end in data["edges"])


def _drawing(nodes: int, edges: list[tuple[int, int]]) -> str:
    """A stand-in for Graphviz's SVG: the element groups and titles page_data reads."""
    parts = [f'<g id="node-n{i}" class="node">\n<title>n{i}</title></g>' for i in range(nodes)]
    parts += [f'<g id="edge-n{a}-n{b}" class="edge">\n<title>n{a}&#45;&gt;n{b}</title></g>' for a, b in edges]
    return "<svg>" + "\n".join(parts) + "</svg>"


@pytest.mark.parametrize("links", [40, 20_000])
def test_edges_of_large_pictures_list_fewer_trusts(links: int) -> None:
    pairs = [(i % 200, 200 + i // 200) for i in range(links)]
    evidence: dict[str, Any] = {f"node-n{i}": {"type": "node", "title": f"account {i}"} for i in range(400)}
    for a, b in pairs:
        members = [{"from": f"arn:aws:iam::{a:012d}:role/r{j}", "to": f"arn:aws:iam::{b:012d}:role/t"}
                   for j in range(50)]
        evidence[f"edge-n{a}-n{b}"] = {"type": "edge", "title": f"account {a} → account {b}", "trusts": 80,
                                       "members": members, "members_not_listed": 30}
    data = page_data(_drawing(400, pairs), evidence)
    assert data["edge_cap"] == (LIST_CAP if links == 40 else 0)
    for i in range(data["nodes"], data["nodes"] + links):
        info = element_evidence(data, i)
        assert "title" not in info  # "tail → head", put together in the page
        assert "members_not_listed" not in info
        if data["edge_cap"]:
            assert len(info["members"]["$r"]) == data["edge_cap"]
            assert len(info["members"]["$r"]) + info["members"]["$more"] == 80
        else:
            assert "members" not in info and info["trusts"] == 80  # the count stays
    if links > 1000:
        assert len(embed_json(data)) < links * 80 + 100_000  # about 70 bytes a link


def test_evidence_records_are_distinct_statements(acme_html: Path) -> None:
    from trustgraph.graph.build import build_graph
    from trustgraph.sources.files import load_inputs

    graph = build_graph(load_inputs([ACME])[0])
    data = blob_of(acme_html.read_text(encoding="utf-8"))
    infos = [element_evidence(data, i) for i in range(len(data["elements"]))]
    drawn = {(v["from"], v["to"]) for v in infos if v.get("type") == "edge"}
    # (edges into a folded group of alike hubs join two nodes of the picture, not of the graph: left out here)
    plain = {(u, v) for u, v in drawn if graph.has_edge(u, v)}
    statements = {json.dumps(e, sort_keys=True, default=str) for u, v in plain
                  for e in graph.edges[u, v].get("evidence", [])}
    stored = [r for r in data["records"] if isinstance(r, dict) and "statement" in r and "principal_form" in r]
    assert len(stored) >= len(statements) > 5 and len(drawn) > len(plain)
    keys = [json.dumps(r, sort_keys=True) for r in data["records"]]
    assert len(keys) == len(set(keys))  # each record once
    # Elements refer to statements by id; no element holds a statement itself.
    for info in infos:
        if info.get("type") == "edge":
            assert set(info["evidence"]) == {"$r"}


def test_statements_shared_by_many_elements_are_stored_once() -> None:
    statement = {"statement": 0, "sid": "Shared", "principal_form": "account", "conditions": [
        {"key": "aws:PrincipalOrgID", "operator": "StringEquals", "values": ["o-" + "x" * 200]}]}
    evidence = {f"edge-n{i}-n{i + 1}": {"type": "edge", "title": str(i), "evidence": [statement]} for i in range(500)}
    data = page_data("<svg></svg>", evidence)
    assert len(data["records"]) == 2  # the statement and its condition
    assert sum(len(json.dumps(r)) for r in data["records"]) < 600
    assert all(element_evidence(data, i)["evidence"] == {"$r": [1]} for i in range(500))


def test_hostile_text_is_escaped_in_the_blob(tmp_path: Path) -> None:
    m = GraphMaker(organization_id=None)
    m.account("111111111111", HOSTILE[0])
    target = m.role("111111111111", HOSTILE[1])
    bob = m.user("111111111111", HOSTILE[2])
    m.trust(bob, target, conditions=["aws:SourceIp"], sid=HOSTILE[3])
    m.g.edges[bob, target]["evidence"][0]["conditions"][0]["values"] = HOSTILE
    page = render(principals_view(m.g), tmp_path / "hostile.html", "html").read_text(encoding="utf-8")
    raw = re.search(r'id="tg-evidence">(.*?)</script>', page, re.S).group(1)
    for bad in ("<", ">", "&", "\x1b", "\x07", "\u2028"):
        assert bad not in raw
    assert len(re.findall(r"<script\b", page)) == 2 and "<img" not in page
    text = json.dumps(blob_of(page), ensure_ascii=False)
    for hostile in HOSTILE:
        assert json.dumps(hostile, ensure_ascii=False)[1:-1] in text  # the text survives, only encoded


def test_findings_reach_the_panel_data() -> None:
    evidence = {"node-n0": {"type": "node", "title": "BreakGlass", "id": "arn:aws:iam::111111111111:role/B"},
                "node-n1": {"type": "node", "title": "acct", "accounts": ["111111111111"]},
                "node-n2": {"type": "node", "title": "other", "accounts": ["222222222222"]}}
    found = {"arn:aws:iam::111111111111:role/B": ({"severity": "high", "rule": "TG403", "message": "m"},)}
    page = html_page("<svg></svg>", evidence, findings=found)
    data = blob_of(page)
    assert "findings" in element_evidence(data, "node-n0") and "findings" in element_evidence(data, "node-n1")
    assert "findings" not in element_evidence(data, "node-n2")


# -- Playwright + Chromium (opt-in) --------------------------------------------------------------------

needs_browser = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs headless Chromium at /usr/bin/chromium")


def _open(path: Path) -> Any:
    sync_api = pytest.importorskip("playwright.sync_api")
    manager = sync_api.sync_playwright().start()
    chromium = manager.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: errors.append(f"request {r.url}") if not r.url.startswith("file:") else None)
    page.goto(path.as_uri())
    page.wait_for_selector("html[data-tg-ready]", state="attached", timeout=60_000)

    def close() -> None:
        chromium.close()
        manager.stop()
    return page, errors, close


def _first_paint(page: Any) -> float:
    """Chromium's first-paint time (ms from navigation start); waits for it to be reported."""
    for _ in range(200):
        found = page.evaluate("(performance.getEntriesByName('first-paint')[0] || {}).startTime")
        if found is not None:
            return float(found)
        page.wait_for_timeout(50)
    return float("inf")


def _classes(page: Any, element: str) -> list[str]:
    return page.evaluate("id => Array.from(document.getElementById(id).classList)", element)


@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize("which", ["acme", "org100", "org100-compact"])
def test_explorer_in_chromium(which: str, request: pytest.FixtureRequest) -> None:
    if which == "acme":
        path = request.getfixturevalue("acme_html")
    elif which == "org100":
        path = request.getfixturevalue("org100") / "accounts.html"
    else:
        path = request.getfixturevalue("org100_compact")
    page, errors, close = _open(path)
    try:
        assert _first_paint(page) < 3000
        # Every drawn edge is in the drawing with its id (a compact page's script drew them).
        assert page.evaluate("document.querySelectorAll('#tg-canvas g.edge[id^=edge-]').length") >= len(
            page.evaluate("window.trustgraph.data.edges")) // 2
        data = page.evaluate("window.trustgraph.data")
        ids, n = page.evaluate("window.trustgraph.ids"), data["nodes"]
        # A node with callers: the head of the first drawn edge whose tail also has callers (a path of 2).
        edges = [(n + k, data["edges"][2 * k], data["edges"][2 * k + 1]) for k in range(len(data["edges"]) // 2)]
        heads = {h for _, _, h in edges}
        edge, tail, head = next(e for e in edges if e[1] in heads and e[1] != e[2])
        node = ids[head]
        # Hovering a node lights its neighbours and the edges between.
        page.locator(f"[id='{ids[tail]}']").dispatch_event("mouseover")
        page.wait_for_timeout(200)
        assert "tg-hover" in _classes(page, ids[edge]) and "tg-hover" in _classes(page, node)
        # A real click on the node: its evidence in the panel, its neighbours marked.
        page.locator(f"[id='{node}']").dispatch_event("click")
        panel = page.locator("#tg-panel").inner_text()
        title = page.evaluate("id => window.trustgraph.evidence(id).title", node)
        assert title in panel and "Who can reach this" in panel
        assert "tg-selected" in _classes(page, node) and "tg-near" in _classes(page, ids[edge])
        # Who can reach it: the whole path is highlighted, one hop further up too.
        page.locator("#tg-who").click()
        upstream = next(e for e in edges if e[2] == tail)
        for element in (ids[edge], ids[tail], ids[upstream[0]], ids[upstream[1]], node):
            assert "tg-path" in _classes(page, element), element
        assert "can reach this" in page.locator("#tg-panel").inner_text()
        page.locator("#tg-what").click()
        assert "tg-path" in _classes(page, node) and "tg-path" not in _classes(page, ids[upstream[1]])
        # Filters hide elements; clearing them shows everything again.
        options = page.evaluate("Array.from(document.querySelectorAll('#tg-f-cls option')).map(o => o.value)")
        assert len(options) >= 2
        page.select_option("#tg-f-cls", options[1])
        hidden = page.evaluate("document.querySelectorAll('#tg-canvas .tg-hidden').length")
        kept = [e for e in edges if element_evidence(data, e[0]).get("classification") == options[1]]
        assert 0 < hidden < len(ids) and kept
        assert "tg-hidden" not in _classes(page, ids[kept[0][0]])
        other = next(e for e in edges if element_evidence(data, e[0]).get("classification") != options[1])
        assert "tg-hidden" in _classes(page, ids[other[0]])
        page.select_option("#tg-f-cls", "")
        assert page.evaluate("document.querySelectorAll('#tg-canvas .tg-hidden').length") == 0
        if page.locator("#tg-f-sens-box").is_visible():
            page.locator("#tg-f-sens").check()
            assert page.evaluate("document.querySelectorAll('#tg-canvas .tg-hidden').length") > 0
        assert n > 0 and errors == []
    finally:
        close()


@pytest.mark.browser
@needs_browser
def test_acme_panel_shows_findings_in_chromium(acme_html: Path) -> None:
    page, errors, close = _open(acme_html)
    try:
        hits = page.evaluate("window.trustgraph.search('BreakGlass')")
        assert hits
        page.locator(f"[id='{hits[0]}']").dispatch_event("click")
        panel = page.locator("#tg-panel").inner_text()
        assert "Findings" in panel and "TG4" in panel and errors == []
        assert page.evaluate("window.__pwned === undefined")
    finally:
        close()


def test_findings_are_listed_worst_first_within_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    from trustgraph.render import html as html_module

    monkeypatch.setattr(html_module, "FINDINGS_BUDGET", 2 * html_module.FINDING_BYTES)
    evidence = {"node-n0": {"type": "node", "title": "acct", "accounts": ["111111111111"]}}
    found = {f"arn:aws:iam::111111111111:role/r{i}": ({"severity": severity, "rule": f"TG{i}", "message": "m"},)
             for i, severity in enumerate(["low", "medium", "critical", "high"])}
    data = page_data("<svg></svg>", evidence, found)
    listed = element_evidence(data, "node-n0")["findings"]
    assert data["findings_cap"] == 2 and listed["$more"] == 2
    assert [data["records"][r]["severity"] for r in listed["$r"]] == ["critical", "high"]


def test_finding_cards_of_an_account_name_their_role() -> None:
    finding = {"severity": "high", "rule": "TG401", "message": "m"}
    role = "arn:aws:iam::111111111111:role/r1"
    account = page_data("<svg></svg>", {"node-n0": {"type": "node", "title": "acct", "accounts": ["111111111111"]}},
                        {role: (finding,)})
    card = account["records"][element_evidence(account, "node-n0")["findings"]["$r"][0]]
    assert card["role"] == role
    # negative control: a role's own card needs no role name (the panel is the role's)
    own = page_data("<svg></svg>", {"node-n0": {"type": "node", "title": "r1", "id": role}}, {role: (finding,)})
    assert "role" not in own["records"][element_evidence(own, "node-n0")["findings"]["$r"][0]]


def _who_can_reach_json(target: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["who-can-reach", target, "-i", str(ACME), "-q", "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_explorer_counts_what_who_can_reach_counts(acme_html: Path) -> None:
    """Without a browser: each drawn principal's evidence holds the count the CLI prints (the same function), and
    the principals whose only reach is PassRole or code are drawn and searchable."""
    data = blob_of(acme_html.read_text(encoding="utf-8"))
    infos = {element: element_evidence(data, element) for element in element_ids(data)[:data["nodes"]]}
    by_id = {info["id"]: info for info in infos.values()}
    answer = _who_can_reach_json(BREAK_GLASS)
    assert by_id[BREAK_GLASS]["reachers"] == len(answer["reachers"]) == 15
    # negative control: another role has its own count, not BreakGlass's
    prod_admin = "arn:aws:iam::333333333333:role/ci/CIPipeline"
    assert by_id[prod_admin]["reachers"] == len(_who_can_reach_json(prod_admin)["reachers"]) != 15
    searched = " ".join(str(info.get("search", "")) for info in infos.values())
    for user in ("dev-erin", "dev-faye", "dev-dan", "jenkins-legacy", "platform-pat"):
        assert f"user/{user}" in searched, user


@pytest.mark.browser
@needs_browser
def test_explorer_finds_dev_erin_and_counts_breakglass_reachers_as_the_cli(acme_html: Path) -> None:
    answer = _who_can_reach_json(BREAK_GLASS)
    page, errors, close = _open(acme_html)
    try:
        assert page.evaluate("window.trustgraph.search('dev-erin')")  # drawn: her only route is PassRole
        assert page.evaluate("window.trustgraph.search('no-such-principal-anywhere')") == []
        hits = page.evaluate("window.trustgraph.search('role/BreakGlass')")
        assert len(hits) == 1
        page.locator(f"[id='{hits[0]}']").dispatch_event("click")
        page.locator("#tg-who").click()
        panel = page.locator("#tg-panel").inner_text()
        assert f"{len(answer['reachers'])} principals can reach this" in panel and len(answer["reachers"]) == 15
        assert page.evaluate(f"window.trustgraph.whoCanReach('{hits[0]}')") == 15
        # every reacher the picture draws is lit
        lit = page.evaluate("Array.from(document.querySelectorAll('#tg-canvas g.node.tg-path')).length")
        assert lit > 5 and errors == []
    finally:
        close()
