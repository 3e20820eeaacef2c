"""The self-contained HTML picture: nothing fetched, data text escaped everywhere, and (opt-in, headless
Chromium) pan/zoom, search and the evidence panel working in a real browser."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
import subprocess
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from test_render_accounts import GraphMaker, org_graph

from trustgraph.render.accounts import account_view
from trustgraph.render.engine import render
from trustgraph.render.html import EXPLORER_ASSETS, EXPLORER_CSS, EXPLORER_JS, element_ids, embed_json, html_page
from trustgraph.render.views import principals_view

CHROMIUM = Path("/usr/bin/chromium")

EVIL_ROLE = '<img src=x onerror="window.__pwned=1">'
EVIL_ACCOUNT = "</script><script>window.__pwned=2</script>"
EVIL_SID = '"><svg onload="window.__pwned=3">'
EVIL_VALUE = "</script><!-- \u2028 & <b>x</b>"


def evil_graph() -> Any:
    m = GraphMaker(organization_id=None)
    m.account("111111111111", EVIL_ACCOUNT)
    target = m.role("111111111111", EVIL_ROLE)
    bob = m.user("111111111111", "bob")
    m.trust(bob, target, conditions=["aws:SourceIp"], sid=EVIL_SID)
    m.g.edges[bob, target]["evidence"][0]["conditions"][0]["values"] = [EVIL_VALUE]
    m.g.add_node("BreakGlass-marker", kind="unknown", label="BreakGlass", in_data=False)
    m.trust("BreakGlass-marker", target, form="unique-id")
    return m.g


def page_for(graph: Any, tmp_path: Path, name: str = "map.html", accounts: bool = False) -> str:
    dot = account_view(graph) if accounts else principals_view(graph)
    return render(dot, tmp_path / name, "html").read_text(encoding="utf-8")


def test_page_is_self_contained(tmp_path: Path) -> None:
    page = page_for(org_graph(6), tmp_path)
    # The only URLs are XML namespace names, which are never fetched.
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert not re.search(r"<(link|iframe|img|object|embed)\b", page, re.I)
    assert not re.search(r"\bsrc=|@import|url\(", page)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp  # the page's own script is the only one allowed to run


def test_data_text_is_escaped_in_svg_json_and_title(tmp_path: Path) -> None:
    page = page_for(evil_graph(), tmp_path)
    for evil in (EVIL_ROLE, EVIL_ACCOUNT, EVIL_SID):
        assert evil not in page
    assert "<img" not in page and "<svg onload" not in page
    # The page has exactly the two scripts it writes itself.
    assert len(re.findall(r"<script\b", page)) == 2
    blob = re.search(r'<script type="application/json" id="tg-evidence">(.*?)</script>', page, re.S).group(1)
    assert "<" not in blob and ">" not in blob and "&" not in blob and "\u2028" not in blob
    data = json.loads(blob)
    values = [json.dumps(v, ensure_ascii=False) for v in data["records"]]
    assert any(EVIL_SID.replace('"', '\\"') in v for v in values)  # the text survives, only encoded
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in page  # SVG text, as text


def test_embed_json_round_trips() -> None:
    value = {"a": "</script><script>", "b": "\u2028\u2029", "c": "&amp; <!--"}
    text = embed_json(value)
    assert json.loads(text) == value and "</" not in text


def test_title_is_escaped() -> None:
    page = html_page('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"></svg>', {},
                     title='<script>alert(1)</script>')
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_every_drawn_element_has_evidence_in_the_page(tmp_path: Path) -> None:
    page = page_for(org_graph(6), tmp_path, accounts=True)
    # Graphviz writes "-" in ids as "&#45;"; the browser reads "node-a3".
    ids = {html.unescape(i) for i in re.findall(r'<g id="([^"]+)" class="(?:node|edge)"', page)}
    blob = re.search(r'id="tg-evidence">(.*?)</script>', page, re.S).group(1)
    assert ids and ids == set(element_ids(json.loads(blob)))


def test_explorer_assets_are_package_data_inlined_verbatim(tmp_path: Path) -> None:
    # The stylesheet and the script are files of the package, found the way an installed wheel finds them.
    folder = resources.files("trustgraph.render") / EXPLORER_ASSETS
    css = (folder / EXPLORER_CSS).read_text(encoding="utf-8")
    js = (folder / EXPLORER_JS).read_text(encoding="utf-8")
    assert "#tg-canvas" in css and "window.trustgraph" in js
    page = page_for(org_graph(6), tmp_path)
    assert f"<style>\n{css}</style>" in page
    assert f"<script>{js.strip()}</script>" in page
    # pyproject.toml declares them, so that a wheel carries them.
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["trustgraph.render"]
    shipped = {p.name for pattern in patterns for p in Path(str(folder)).parent.glob(pattern)}
    assert {EXPLORER_CSS, EXPLORER_JS} <= shipped


# -- headless Chromium (opt-in) ---------------------------------------------------------------------------

DRIVER = r"""
(function wait() {
  if (!window.trustgraph) { setTimeout(wait, 10); return; }
  var out = {};
  function put(k, v) { out[k] = v; }
  try {
    var tg = window.trustgraph;
    put("pwned", window.__pwned === undefined ? null : window.__pwned);
    put("images", document.querySelectorAll("img, iframe, object, embed, foreignObject").length);
    var handlers = 0;
    Array.prototype.forEach.call(document.querySelectorAll("*"), function (e) {
      Array.prototype.forEach.call(e.attributes, function (a) { if (/^on/i.test(a.name)) { handlers++; } });
    });
    put("handlers", handlers);
    put("resources", performance.getEntriesByType("resource").length);
    // The inlined stylesheet applies (the header is a flex row, the panel beside the canvas).
    put("styled", getComputedStyle(document.querySelector("header")).display === "flex");
    var svg = document.querySelector("#tg-canvas svg");
    var before = svg.getAttribute("viewBox");
    var r = svg.getBoundingClientRect();
    document.getElementById("tg-canvas").dispatchEvent(new WheelEvent("wheel", {
      deltaY: -200, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true, cancelable: true}));
    var zoomed = svg.getAttribute("viewBox");
    put("zoomed", before !== zoomed && Number(zoomed.split(" ")[2]) < Number(before.split(" ")[2]));
    var canvas = document.getElementById("tg-canvas");
    canvas.dispatchEvent(new PointerEvent("pointerdown", {button: 0, clientX: 300, clientY: 300, bubbles: true}));
    window.dispatchEvent(new PointerEvent("pointermove", {clientX: 380, clientY: 340, bubbles: true}));
    window.dispatchEvent(new PointerEvent("pointerup", {clientX: 380, clientY: 340, bubbles: true}));
    put("panned", svg.getAttribute("viewBox") !== zoomed);
    var hits = tg.search(SEARCH);
    put("hits", hits.length);
    put("highlighted", document.querySelectorAll("g.node.tg-hit").length);
    put("count", document.getElementById("tg-count").textContent);
    tg.jump();
    put("panel_after_jump", document.getElementById("tg-panel").textContent);
    // A real click on an edge: its evidence in the panel, as text.
    var edge = document.getElementById(EDGE);
    var target = edge.querySelector("path");
    target.dispatchEvent(new PointerEvent("pointerdown", {button: 0, clientX: 10, clientY: 10, bubbles: true}));
    window.dispatchEvent(new PointerEvent("pointerup", {clientX: 10, clientY: 10, bubbles: true}));
    target.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true}));
    var panel = document.getElementById("tg-panel");
    put("panel", panel.textContent);
    put("panel_elements", panel.querySelectorAll("img, svg, script").length);
    put("selected", edge.classList.contains("tg-selected"));
    put("pwned_after", window.__pwned === undefined ? null : window.__pwned);
  } catch (err) {
    put("error", String(err && err.stack || err));
  }
  var pre = document.createElement("pre");
  pre.id = "tg-test-result";
  pre.textContent = btoa(unescape(encodeURIComponent(JSON.stringify(out))));
  document.body.appendChild(pre);
})();
"""


def _run_in_chromium(page: str, tmp_path: Path, name: str, *, keep_csp: bool, search: str,
                     edge: str) -> dict[str, Any]:
    driver = DRIVER.replace("SEARCH", json.dumps(search)).replace("EDGE", json.dumps(edge)).strip()
    if keep_csp:
        digest = base64.b64encode(hashlib.sha256(driver.encode()).digest()).decode()
        page = page.replace("script-src ", f"script-src 'sha256-{digest}' ", 1)
    else:
        page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n', "", page)
    page = page.replace("</body>", f"<script>{driver}</script>\n</body>")
    path = tmp_path / name
    path.write_text(page, encoding="utf-8")
    proc = subprocess.run(
        [str(CHROMIUM), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", "--disable-background-networking", "--disable-sync",
         f"--user-data-dir={tmp_path / ('profile-' + name)}", "--window-size=1400,900",
         "--virtual-time-budget=5000", "--dump-dom", path.as_uri()],
        capture_output=True, text=True, timeout=120)
    match = re.search(r'<pre id="tg-test-result">([A-Za-z0-9+/=]+)</pre>', proc.stdout)
    assert match, proc.stderr[-2000:]
    return json.loads(base64.b64decode(match.group(1)).decode("utf-8"))


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists() or not shutil.which(str(CHROMIUM)), reason="needs /usr/bin/chromium")
@pytest.mark.parametrize("keep_csp", [True, False], ids=["with-csp", "without-csp"])
def test_in_headless_chromium(tmp_path: Path, keep_csp: bool) -> None:
    graph = evil_graph()
    dot = principals_view(graph)
    edge = next(k for k, v in dot.evidence.items() if k.startswith("edge-") and v["from"].endswith(":user/bob"))
    page = render(dot, tmp_path / "evil.html", "html").read_text(encoding="utf-8")
    result = _run_in_chromium(page, tmp_path, f"evil-{keep_csp}.html", keep_csp=keep_csp, search="breakglass",
                              edge=edge)
    assert "error" not in result, result.get("error")
    # Nothing from the data ran or became markup, even without the CSP; nothing was fetched.
    assert result["pwned"] is None and result["pwned_after"] is None
    assert result["images"] == 0 and result["handlers"] == 0 and result["resources"] == 0
    assert result["styled"]  # the explorer's stylesheet, from the package data, applies
    # Pan/zoom, search, jump, click → evidence.
    assert result["zoomed"] and result["panned"]
    assert result["hits"] == 1 and result["highlighted"] == 1 and result["count"] == "1 match"
    assert "BreakGlass-marker" in result["panel_after_jump"]
    panel = result["panel"]
    assert EVIL_SID in panel and "aws:SourceIp" in panel and "</script><!--" in panel
    assert result["panel_elements"] == 0 and result["selected"]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_account_map_in_headless_chromium(tmp_path: Path) -> None:
    graph = org_graph(8)
    dot = account_view(graph)
    edge = next(k for k, v in dot.evidence.items() if k.startswith("edge-") and v["conditional"])
    page = render(dot, tmp_path / "accounts.html", "html").read_text(encoding="utf-8")
    result = _run_in_chromium(page, tmp_path, "accounts.html", keep_csp=True, search="app-0003", edge=edge)
    assert "error" not in result, result.get("error")
    assert result["hits"] == 1 and result["zoomed"] and result["resources"] == 0
    assert "conditional" in result["panel"] and "members" in result["panel"]
