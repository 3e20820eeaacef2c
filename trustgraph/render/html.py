"""One self-contained HTML file: the SVG drawing with pan/zoom, search and an evidence panel.

Nothing is fetched from the network: the SVG, the stylesheet, the script and the evidence (a JSON blob
in a `<script type="application/json">`) are inline, and a Content-Security-Policy forbids every other
source. Text from the data reaches the page only through Graphviz's XML escaping (the SVG), escaped JSON
(`<`, `>`, `&` as \\u escapes, so the blob cannot close its script element) and `textContent` in the
script, never through innerHTML.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Mapping
from typing import Any

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial,
  sans-serif; color: #202124; background: #fff; }
body { display: flex; flex-direction: column; }
header { display: flex; align-items: center; gap: 8px; padding: 6px 10px; border-bottom: 1px solid #dadce0;
  background: #f8f9fa; flex-wrap: wrap; }
header h1 { font-size: 14px; font-weight: 600; margin: 0 12px 0 0; flex: 1 1 auto; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }
header input { width: 320px; max-width: 60vw; padding: 4px 8px; border: 1px solid #bdc1c6; border-radius: 4px;
  font: inherit; }
header button { padding: 3px 9px; border: 1px solid #bdc1c6; border-radius: 4px; background: #fff; font: inherit;
  cursor: pointer; }
header button:hover { background: #e8f0fe; }
#tg-count { color: #5f6368; min-width: 7em; }
main { flex: 1 1 auto; display: flex; min-height: 0; }
#tg-canvas { flex: 1 1 auto; position: relative; overflow: hidden; cursor: grab; background: #fff; }
#tg-canvas.tg-dragging { cursor: grabbing; }
#tg-canvas > svg { width: 100%; height: 100%; display: block; user-select: none; }
#tg-panel { flex: 0 0 380px; max-width: 45vw; overflow: auto; border-left: 1px solid #dadce0; padding: 10px 12px;
  background: #fcfcfd; }
#tg-panel h2 { font-size: 14px; margin: 0 0 8px; word-break: break-all; }
#tg-panel .tg-hint { color: #5f6368; }
#tg-panel table { border-collapse: collapse; width: 100%; margin: 2px 0 6px; }
#tg-panel th { text-align: left; vertical-align: top; color: #5f6368; font-weight: 500; padding: 2px 8px 2px 0;
  white-space: nowrap; width: 1%; }
#tg-panel td { padding: 2px 0; word-break: break-word; }
#tg-panel .tg-item { border: 1px solid #e0e3e7; border-radius: 4px; padding: 4px 6px; margin: 4px 0;
  background: #fff; }
#tg-panel code, #tg-panel .tg-mono { font: 12px/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
g.node, g.edge { cursor: pointer; }
g.edge .tg-hitarea { stroke: transparent; stroke-width: 12px; fill: none; pointer-events: stroke; }
.tg-hit > polygon, .tg-hit > ellipse, .tg-hit > path, .tg-hit > polyline,
.tg-hit a > polygon, .tg-hit a > ellipse, .tg-hit a > path, .tg-hit a > polyline { stroke: #ff6d00 !important;
  stroke-width: 4px !important; }
.tg-selected > polygon, .tg-selected > ellipse, .tg-selected > path, .tg-selected > polyline,
.tg-selected a > polygon, .tg-selected a > ellipse, .tg-selected a > path, .tg-selected a > polyline {
  stroke: #1a73e8 !important; stroke-width: 4px !important; }
svg.tg-searching g.node:not(.tg-hit), svg.tg-searching g.edge { opacity: 0.25; }
"""

# Hand-written, no dependencies. Pan (drag), zoom (wheel, buttons), search (highlight + jump), click → evidence.
_JS = r"""
(function () {
  "use strict";
  var evidence = JSON.parse(document.getElementById("tg-evidence").textContent);
  var canvas = document.getElementById("tg-canvas");
  var svg = canvas.querySelector("svg");
  var panel = document.getElementById("tg-panel");
  var search = document.getElementById("tg-search");
  var count = document.getElementById("tg-count");
  if (!svg) { return; }
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  var vb = svg.getAttribute("viewBox").split(/[\s,]+/).map(Number);
  var home = vb.slice();
  var view = vb.slice();
  function apply() { svg.setAttribute("viewBox", view.join(" ")); }
  function toSvg(clientX, clientY) {
    var r = svg.getBoundingClientRect();
    var s = Math.max(view[2] / r.width, view[3] / r.height);
    var ox = (r.width * s - view[2]) / 2, oy = (r.height * s - view[3]) / 2;
    return [view[0] - ox + (clientX - r.left) * s, view[1] - oy + (clientY - r.top) * s, s];
  }
  function zoom(factor, cx, cy) {
    var w = view[2] * factor, h = view[3] * factor;
    if (w < 20 || w > home[2] * 20) { return; }
    view = [cx - (cx - view[0]) * factor, cy - (cy - view[1]) * factor, w, h];
    apply();
  }
  function zoomCenter(factor) { zoom(factor, view[0] + view[2] / 2, view[1] + view[3] / 2); }
  function fit() { view = home.slice(); apply(); }
  canvas.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var p = toSvg(ev.clientX, ev.clientY);
    zoom(ev.deltaY < 0 ? 1 / 1.2 : 1.2, p[0], p[1]);
  }, { passive: false });
  var drag = null, moved = false;
  canvas.addEventListener("pointerdown", function (ev) {
    if (ev.button !== 0) { return; }
    drag = { x: ev.clientX, y: ev.clientY, view: view.slice(), s: toSvg(ev.clientX, ev.clientY)[2] };
    moved = false;
  });
  window.addEventListener("pointermove", function (ev) {
    if (!drag) { return; }
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!moved && Math.abs(dx) + Math.abs(dy) < 4) { return; }
    moved = true;
    canvas.classList.add("tg-dragging");
    view = [drag.view[0] - dx * drag.s, drag.view[1] - dy * drag.s, view[2], view[3]];
    apply();
  });
  window.addEventListener("pointerup", function () { drag = null; canvas.classList.remove("tg-dragging"); });
  document.getElementById("tg-zoom-in").addEventListener("click", function () { zoomCenter(1 / 1.4); });
  document.getElementById("tg-zoom-out").addEventListener("click", function () { zoomCenter(1.4); });
  document.getElementById("tg-fit").addEventListener("click", fit);

  // Wider invisible strokes make thin edges easy to click.
  Array.prototype.forEach.call(svg.querySelectorAll("g.edge path"), function (path) {
    var hit = path.cloneNode(false);
    hit.setAttribute("class", "tg-hitarea");
    hit.removeAttribute("stroke-dasharray");
    path.parentNode.insertBefore(hit, path);
  });

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  var HIDDEN = { type: 1, title: 1, search: 1, label: 1 };
  function label(key) { return key.replace(/_/g, " "); }
  function scalar(v) {
    if (v === null || v === undefined) { return "—"; }
    if (typeof v === "boolean") { return v ? "yes" : "no"; }
    return String(v);
  }
  function value(v) {
    if (Array.isArray(v)) {
      if (v.length === 0) { return el("span", "—"); }
      if (v.every(function (x) { return x === null || typeof x !== "object"; })) {
        var ul = el("div", null, "tg-mono");
        v.forEach(function (x) { ul.appendChild(el("div", scalar(x))); });
        return ul;
      }
      var box = el("div");
      v.forEach(function (x) {
        var item = el("div", null, "tg-item");
        item.appendChild(value(x));
        box.appendChild(item);
      });
      return box;
    }
    if (v !== null && typeof v === "object") { return table(v); }
    return el("span", scalar(v));
  }
  function table(obj) {
    var t = el("table");
    Object.keys(obj).forEach(function (k) {
      if (HIDDEN[k]) { return; }
      var tr = el("tr");
      tr.appendChild(el("th", label(k)));
      var td = el("td");
      td.appendChild(value(obj[k]));
      tr.appendChild(td);
      t.appendChild(tr);
    });
    return t;
  }
  var selected = null;
  function show(id) {
    var info = evidence[id];
    if (selected) { selected.classList.remove("tg-selected"); }
    selected = document.getElementById(id);
    if (selected) { selected.classList.add("tg-selected"); }
    panel.textContent = "";
    if (!info) { panel.appendChild(el("p", "No evidence recorded for this element.", "tg-hint")); return; }
    panel.appendChild(el("h2", info.title || id));
    panel.appendChild(table(info));
  }
  svg.addEventListener("click", function (ev) {
    if (moved) { return; }
    var g = ev.target.closest ? ev.target.closest("g.node, g.edge") : null;
    if (g && g.id) { ev.preventDefault(); show(g.id); }
  });

  var hits = [], current = -1;
  function runSearch() {
    var q = search.value.trim().toLowerCase();
    hits.forEach(function (id) { var e = document.getElementById(id); if (e) { e.classList.remove("tg-hit"); } });
    hits = [];
    current = -1;
    if (!q) { svg.classList.remove("tg-searching"); count.textContent = ""; return; }
    Object.keys(evidence).sort().forEach(function (id) {
      var info = evidence[id];
      if (info.type !== "node") { return; }
      var hay = ((info.title || "") + " " + (info.search || "") + " " + (info.id || "")).toLowerCase();
      if (hay.indexOf(q) >= 0 && document.getElementById(id)) { hits.push(id); }
    });
    hits.forEach(function (id) { document.getElementById(id).classList.add("tg-hit"); });
    svg.classList.add("tg-searching");
    count.textContent = hits.length + (hits.length === 1 ? " match" : " matches");
  }
  function jump() {
    if (!hits.length) { return; }
    current = (current + 1) % hits.length;
    var node = document.getElementById(hits[current]);
    var b = node.getBBox();
    var m = node.getCTM && svg.getCTM ? svg.getCTM().inverse().multiply(node.getCTM()) : null;
    var x = b.x + b.width / 2, y = b.y + b.height / 2;
    if (m) { var px = m.a * x + m.c * y + m.e, py = m.b * x + m.d * y + m.f; x = px; y = py; }
    var w = Math.min(home[2], Math.max(b.width * 6, 400)), h = w * view[3] / view[2];
    view = [x - w / 2, y - h / 2, w, h];
    apply();
    show(hits[current]);
  }
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { ev.preventDefault(); jump(); }
    if (ev.key === "Escape") { search.value = ""; runSearch(); }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "/" && document.activeElement !== search) { ev.preventDefault(); search.focus(); }
  });
  // A small handle for tests and the browser console.
  window.trustgraph = {
    evidence: evidence, show: show, jump: jump, fit: fit, zoom: zoomCenter,
    search: function (q) { search.value = q; runSearch(); return hits.slice(); },
    view: function () { return view.slice(); }
  };
})();
"""

_XML_PROLOGUE = re.compile(r"^\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def embed_json(value: Any) -> str:
    """JSON that is safe inside `<script type="application/json">`: no `<`, `>`, `&` or line separators."""
    # Keys keep the order the views give them (most telling first); that order is deterministic too.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def inline_svg(svg: str) -> str:
    """Graphviz's SVG document as an element for an HTML page (no XML prologue, doctype or comments)."""
    return _COMMENT.sub("", _XML_PROLOGUE.sub("", svg)).strip()


def html_page(svg: str, evidence: Mapping[str, Any], *, title: str = "trustgraph") -> str:
    script = _JS.strip()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    heading = html.escape(title, quote=True)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"generator\" content=\"trustgraph\">\n<title>{heading}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{heading}</h1>"
        "<input id=\"tg-search\" type=\"search\" placeholder=\"Search: name, ARN or account id (Enter: next)\" "
        "autocomplete=\"off\" spellcheck=\"false\"><span id=\"tg-count\"></span>"
        "<button id=\"tg-zoom-in\" type=\"button\" title=\"Zoom in\">+</button>"
        "<button id=\"tg-zoom-out\" type=\"button\" title=\"Zoom out\">&#8722;</button>"
        "<button id=\"tg-fit\" type=\"button\" title=\"Show everything\">Fit</button></header>\n"
        f"<main><div id=\"tg-canvas\">{inline_svg(svg)}</div>\n"
        "<aside id=\"tg-panel\"><p class=\"tg-hint\">Click a node or an edge to see its evidence: the trust "
        "statements, principals as written and the conditions. Drag to pan, wheel to zoom, / to search.</p>"
        "</aside></main>\n"
        f"<script type=\"application/json\" id=\"tg-evidence\">{embed_json(evidence)}</script>\n"
        f"<script>{script}</script>\n</body>\n</html>\n"
    )
