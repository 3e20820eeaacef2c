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
header input[type="search"] { width: 320px; max-width: 60vw; padding: 4px 8px; border: 1px solid #bdc1c6;
  border-radius: 4px; font: inherit; }
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
g.node.tg-title { cursor: default; opacity: 1 !important; }
g.edge .tg-hitarea { stroke: transparent; stroke-width: 12px; fill: none; pointer-events: stroke; }
.tg-hit > polygon, .tg-hit > ellipse, .tg-hit > path, .tg-hit > polyline,
.tg-hit a > polygon, .tg-hit a > ellipse, .tg-hit a > path, .tg-hit a > polyline { stroke: #ff6d00 !important;
  stroke-width: 4px !important; }
.tg-selected > polygon, .tg-selected > ellipse, .tg-selected > path, .tg-selected > polyline,
.tg-selected a > polygon, .tg-selected a > ellipse, .tg-selected a > path, .tg-selected a > polyline {
  stroke: #1a73e8 !important; stroke-width: 4px !important; }
svg.tg-searching g.node:not(.tg-hit), svg.tg-searching g.edge { opacity: 0.25; }
header select { padding: 3px 4px; border: 1px solid #bdc1c6; border-radius: 4px; font: inherit; max-width: 14em; }
header label { white-space: nowrap; }
#tg-panel h3 { font-size: 13px; margin: 8px 0 4px; color: #c5221f; }
#tg-panel .tg-actions { display: flex; gap: 6px; flex-wrap: wrap; margin: 0 0 6px; }
#tg-panel .tg-actions button { padding: 3px 8px; border: 1px solid #bdc1c6; border-radius: 4px; background: #fff;
  font: inherit; cursor: pointer; }
.tg-hidden { display: none; }
svg.tg-hovering g.node:not(.tg-hover), svg.tg-hovering g.edge:not(.tg-hover) { opacity: 0.3; }
svg.tg-focus:not(.tg-pathing) g.node:not(.tg-near), svg.tg-focus:not(.tg-pathing) g.edge:not(.tg-near) {
  opacity: 0.3; }
svg.tg-pathing g.node:not(.tg-path), svg.tg-pathing g.edge:not(.tg-path) { opacity: 0.15; }
.tg-path > path, .tg-path > polygon, .tg-path > ellipse, .tg-path a > path, .tg-path a > polygon,
.tg-path a > ellipse { stroke: #d93025 !important; stroke-width: 3px !important; }
"""

# Hand-written, no dependencies. Pan (drag), zoom (wheel, buttons), search (highlight + jump), click → evidence.
_JS = r"""
(function () {
  "use strict";
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

  // Everything below reads the data; it runs after the drawing is on screen.
  function init() {
  var data = JSON.parse(document.getElementById("tg-evidence").textContent);
  var records = data.records, elements = data.elements, values = data.values;
  var nNodes = data.nodes, nEdges = data.edges.length / 2;
  var ids = data.ids;
  if (data.derived_edge_ids) {
    var made = [];
    for (var d = 0; d < nEdges; d++) {
      made.push("edge-" + ids[data.edges[2 * d]].slice(5) + "-" + ids[data.edges[2 * d + 1]].slice(5));
    }
    ids = ids.slice(0, nNodes).concat(made, ids.slice(nNodes));
  }
  var index = {};
  ids.forEach(function (id, i) { index[id] = i; });
  // The drawn graph: per node index, outgoing and incoming [edge, other end] pairs; edge k is element
  // nNodes + k.
  var out = [], inc = [], edgeEnds = {}, edgeList = [];
  for (var i = 0; i < nNodes; i++) { out.push([]); inc.push([]); }
  for (var k = 0; k < nEdges; k++) {
    var e = nNodes + k, t = data.edges[2 * k], h = data.edges[2 * k + 1];
    out[t].push([e, h]);
    inc[h].push([e, t]);
    edgeEnds[e] = [t, h];
    edgeList.push([e, t, h]);
  }
  // A compacted drawing has its many edges in the data: draw them into their layer.
  var layer = document.getElementById("tg-edge-layer");
  if (layer && data.draw) {
    var NS = "http://www.w3.org/2000/svg", frag = document.createDocumentFragment();
    data.draw.forEach(function (shapes, k) {
      if (!shapes) { return; }
      var g = document.createElementNS(NS, "g"), sx = 0, sy = 0;
      g.setAttribute("id", ids[nNodes + k]);
      g.setAttribute("class", "edge");
      for (var j = 0; j < shapes.length; j += 2) {
        var d = shapes[j + 1], p = document.createElementNS(NS, "path");
        if (j === 0 && /^M-?\d+,-?\d+c[-\d, ]+$/.test(d)) {
          // Where the curve ends: the start plus each segment's last relative point.
          var n = d.match(/-?\d+/g).map(Number);
          sx = n[0]; sy = n[1];
          for (var q = 2; q + 5 < n.length; q += 6) { sx += n[q + 4]; sy += n[q + 5]; }
        } else if (j > 0 && d.charAt(0) === "m") {
          var r = /^m(-?\d+),(-?\d+)/.exec(d);
          d = "M" + (sx + Number(r[1])) + "," + (sy + Number(r[2])) + d.slice(r[0].length);
        }
        p.setAttribute("class", "s" + shapes[j]);
        p.setAttribute("d", d);
        g.appendChild(p);
      }
      frag.appendChild(g);
    });
    layer.appendChild(frag);
  }
  // What the filters read, from the evidence: [OU, sensitive, classification, conditional].
  var attrCache = {};
  function attrs(i) {
    var a = attrCache[i];
    if (a) { return a; }
    var o = raw(i), c = o.conditional, cond = "";
    if (typeof c === "boolean") { cond = c ? "conditional" : "unconditional"; }
    else if (typeof c === "number") {
      cond = !c ? "unconditional" : c >= (o.trusts || 0) ? "conditional" : "partly conditional";
    }
    a = attrCache[i] = [String(o.organizational_unit || o.ou || ""),
                        !!(o.sensitive_roles || o.sensitive || o.sensitive_role),
                        o.type === "edge" ? String(o.classification || "") : "", cond];
    return a;
  }
  function raw(i) {
    var r = elements[i], keys = data.shapes[r[0]], o = {};
    for (var j = 0; j < keys.length; j++) {
      if (keys[j].charAt(0) === "~") { o[keys[j].slice(1)] = values[r[j + 1]]; } else { o[keys[j]] = r[j + 1]; }
    }
    if ((o.title === undefined || o.title === null) && edgeEnds[i]) {
      o.title = raw(edgeEnds[i][0]).title + " \u2192 " + raw(edgeEnds[i][1]).title;
    }
    return o;
  }
  var domCache = {};
  function dom(i) {
    var e = domCache[i];
    if (e === undefined) { e = domCache[i] = document.getElementById(ids[i]); }
    return e;
  }

  if (nEdges <= 3000) {
    // Wider invisible strokes make thin edges easy to click.
    Array.prototype.forEach.call(svg.querySelectorAll("g.edge path"), function (path) {
      var hit = path.cloneNode(false);
      hit.setAttribute("class", "tg-hitarea");
      hit.removeAttribute("stroke-dasharray");
      path.parentNode.insertBefore(hit, path);
    });
  }

  function expand(v) {
    if (Array.isArray(v)) { return v.map(expand); }
    if (v !== null && typeof v === "object") {
      var list = null;
      if (Object.prototype.hasOwnProperty.call(v, "$r")) {
        list = v.$r.map(function (r) { return expand(records[r]); });
      }
      else if (Object.prototype.hasOwnProperty.call(v, "$v")) { list = v.$v.map(expand); }
      if (list) {
        if (v.$more) { list.push("… " + v.$more.toLocaleString("en") + " more"); }
        return list;
      }
      var o = {};
      Object.keys(v).forEach(function (k) { o[k] = expand(v[k]); });
      return o;
    }
    return v;
  }
  function evidenceOf(id) { return index[id] === undefined ? null : expand(raw(index[id])); }

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

  // Marks: a class on a set of elements, removed all at once.
  var marked = {};
  function mark(cls, list) {
    unmark(cls);
    marked[cls] = list;
    list.forEach(function (i) { var e = dom(i); if (e) { e.classList.add(cls); } });
  }
  function unmark(cls) {
    (marked[cls] || []).forEach(function (i) { var e = dom(i); if (e) { e.classList.remove(cls); } });
    marked[cls] = [];
  }
  function neighbourhood(i) {
    var list = [i];
    if (i < nNodes) {
      out[i].forEach(function (p) { list.push(p[0], p[1]); });
      inc[i].forEach(function (p) { list.push(p[0], p[1]); });
    } else if (edgeEnds[i]) {
      list.push(edgeEnds[i][0], edgeEnds[i][1]);
    }
    return list;
  }
  // Who can reach node i (upstream) or what it can reach (downstream): the nodes and every edge on a path.
  function reach(i, upstream) {
    var adj = upstream ? inc : out;
    var seen = {}, queue = [i], list = [i];
    seen[i] = true;
    while (queue.length) {
      var n = queue.shift();
      adj[n].forEach(function (p) {
        if (!seen[p[1]]) { seen[p[1]] = true; queue.push(p[1]); list.push(p[1]); }
      });
    }
    var nodes = list.length;
    edgeList.forEach(function (e) { if (seen[e[1]] && seen[e[2]]) { list.push(e[0]); } });
    return { elements: list, nodes: nodes - 1 };
  }
  var pathInfo = null;
  function showPath(id, upstream) {
    var i = index[id];
    if (i === undefined || i >= nNodes) { return 0; }
    var r = reach(i, upstream);
    mark("tg-path", r.elements);
    svg.classList.add("tg-pathing");
    if (pathInfo) {
      pathInfo.textContent = (upstream ? r.nodes + " node" + (r.nodes === 1 ? "" : "s") + " can reach this"
                                       : "this can reach " + r.nodes + " node" + (r.nodes === 1 ? "" : "s"))
        + " (highlighted, with every edge on the way)";
    }
    return r.nodes;
  }
  function clearPath() {
    unmark("tg-path");
    svg.classList.remove("tg-pathing");
    if (pathInfo) { pathInfo.textContent = ""; }
  }

  var selected = null;
  function show(id) {
    var info = evidenceOf(id);
    if (selected) { selected.classList.remove("tg-selected"); }
    selected = document.getElementById(id);
    if (selected) { selected.classList.add("tg-selected"); }
    clearPath();
    var i = index[id];
    if (i !== undefined) { mark("tg-near", neighbourhood(i)); svg.classList.add("tg-focus"); }
    else { unmark("tg-near"); svg.classList.remove("tg-focus"); }
    panel.textContent = "";
    if (!info) { panel.appendChild(el("p", "No evidence recorded for this element.", "tg-hint")); return; }
    panel.appendChild(el("h2", info.title || id));
    if (i !== undefined && i < nNodes) {
      var bar = el("div", null, "tg-actions");
      var up = el("button", "Who can reach this");
      up.type = "button"; up.id = "tg-who";
      up.addEventListener("click", function () { showPath(id, true); });
      var down = el("button", "What can this reach");
      down.type = "button"; down.id = "tg-what";
      down.addEventListener("click", function () { showPath(id, false); });
      var clear = el("button", "Clear");
      clear.type = "button";
      clear.addEventListener("click", clearPath);
      bar.appendChild(up); bar.appendChild(down); bar.appendChild(clear);
      panel.appendChild(bar);
      pathInfo = el("p", "", "tg-hint");
      panel.appendChild(pathInfo);
    } else { pathInfo = null; }
    if (i !== undefined && i >= nNodes && edgeEnds[i] && !data.edge_cap) {
      panel.appendChild(el("p", "The trusts folded into this edge are not listed in a page this large; " +
        "their counts are. Draw a smaller map (--account ID, --ou OU) to list them.", "tg-hint"));
    }
    if (info.findings && info.findings.length) {
      panel.appendChild(el("h3", "Findings"));
      panel.appendChild(value(info.findings));
      delete info.findings;
    }
    panel.appendChild(table(info));
  }
  function unselect() {
    if (selected) { selected.classList.remove("tg-selected"); selected = null; }
    unmark("tg-near"); svg.classList.remove("tg-focus"); clearPath();
  }
  svg.addEventListener("click", function (ev) {
    if (moved) { return; }
    var g = ev.target.closest ? ev.target.closest("g.node:not(.tg-title), g.edge") : null;
    if (g && g.id) { ev.preventDefault(); show(g.id); } else { unselect(); }
  });
  // Neighbours on hover (nodes only; a selection keeps its own highlight).
  var hoverTimer = null;
  svg.addEventListener("mouseover", function (ev) {
    var g = ev.target.closest ? ev.target.closest("g.node:not(.tg-title)") : null;
    if (hoverTimer) { clearTimeout(hoverTimer); hoverTimer = null; }
    if (!g || index[g.id] === undefined) { unmark("tg-hover"); svg.classList.remove("tg-hovering"); return; }
    hoverTimer = setTimeout(function () {
      mark("tg-hover", neighbourhood(index[g.id]));
      svg.classList.add("tg-hovering");
    }, 60);
  });
  svg.addEventListener("mouseleave", function () { unmark("tg-hover"); svg.classList.remove("tg-hovering"); });

  // Filters: by OU, classification, conditional, sensitive.
  var fOu = document.getElementById("tg-f-ou"), fCls = document.getElementById("tg-f-cls");
  var fCond = document.getElementById("tg-f-cond"), fSens = document.getElementById("tg-f-sens");
  var ous = {}, classes = {}, conds = {}, anySensitive = false;
  ids.forEach(function (id, i) {
    var a = attrs(i), ou = a[0];
    if (ou) {
      var parts = ou.split(" / ");
      for (var k = 1; k <= parts.length; k++) { ous[parts.slice(0, k).join(" / ")] = 1; }
    }
    if (a[1]) { anySensitive = true; }
    if (a[2]) { classes[a[2]] = 1; }
    if (a[3]) { conds[a[3]] = 1; }
  });
  function options(select, values, all) {
    var keys = Object.keys(values).sort();
    if (!keys.length) { select.hidden = true; return; }
    select.appendChild(el("option", all)).value = "";
    keys.forEach(function (k) { var o = el("option", k); o.value = k; select.appendChild(o); });
  }
  options(fOu, ous, "all OUs");
  options(fCls, classes, "all classifications");
  options(fCond, conds, "conditional or not");
  document.getElementById("tg-f-sens-box").hidden = !anySensitive;
  function inOu(i, ou) {
    var v = attrs(i)[0];
    return v === ou || v.indexOf(ou + " / ") === 0;
  }
  function sensitive(i) { return attrs(i)[1]; }
  function filter(f) {
    f = f || {};
    var ou = f.ou || "", cls = f.classification || "", cond = f.conditional || "", sens = !!f.sensitive;
    var visible = {};
    var shown = 0;
    if (ou || cls || cond || sens) {
      edgeList.forEach(function (e) {
        if (cls && attrs(e[0])[2] !== cls) { return; }
        if (cond && attrs(e[0])[3] !== cond) { return; }
        if (ou && !inOu(e[1], ou) && !inOu(e[2], ou)) { return; }
        if (sens && !sensitive(e[2])) { return; }
        visible[e[0]] = visible[e[1]] = visible[e[2]] = true;
        shown++;
      });
      if (!cls && !cond) {
        for (var n = 0; n < nNodes; n++) {
          if ((!ou || inOu(n, ou)) && (!sens || sensitive(n))) { visible[n] = true; }
        }
      }
      var hidden = [];
      for (var j = 0; j < ids.length; j++) { if (!visible[j]) { hidden.push(j); } }
      mark("tg-hidden", hidden);
    } else {
      unmark("tg-hidden");
      shown = nEdges;
    }
    return shown;
  }
  function readFilters() {
    var shown = filter({ ou: fOu.value, classification: fCls.value, conditional: fCond.value,
                         sensitive: fSens.checked });
    count.textContent = (fOu.value || fCls.value || fCond.value || fSens.checked)
      ? shown + " edge" + (shown === 1 ? "" : "s") + " shown" : "";
  }
  [fOu, fCls, fCond, fSens].forEach(function (c) { c.addEventListener("change", readFilters); });

  var hits = [], current = -1;
  var hay = [];
  for (var n = 0; n < ids.length; n++) {
    var o = raw(n);
    if (o.type === "node") {
      hay.push([ids[n], ((o.title || "") + " " + (o.search || "") + " " + (o.id || "")).toLowerCase()]);
    }
  }
  hay.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; });
  function runSearch() {
    var q = search.value.trim().toLowerCase();
    hits.forEach(function (id) { var e = document.getElementById(id); if (e) { e.classList.remove("tg-hit"); } });
    hits = [];
    current = -1;
    if (!q) { svg.classList.remove("tg-searching"); count.textContent = ""; return; }
    hay.forEach(function (h) {
      if (h[1].indexOf(q) >= 0 && document.getElementById(h[0])) { hits.push(h[0]); }
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
    data: data, ids: ids, evidence: evidenceOf, show: show, jump: jump, fit: fit, zoom: zoomCenter, unselect: unselect,
    whoCanReach: function (id) { return showPath(id, true); },
    whatCanReach: function (id) { return showPath(id, false); },
    clearPath: clearPath, filter: filter,
    search: function (q) { search.value = q; runSearch(); return hits.slice(); },
    view: function () { return view.slice(); }
  };
  if (performance.mark) { performance.mark("tg-ready"); }
  document.documentElement.setAttribute("data-tg-ready", "1");
  }
  // Let the browser paint the drawing first, then read the data.
  // (Two frames: the second callback runs once the first frame, the drawing, has been produced. Where no
  // frames come, in a hidden tab or a DOM dump, a timer starts it.)
  var started = false;
  function start() { if (!started) { started = true; init(); } }
  requestAnimationFrame(function () {
    requestAnimationFrame(function () {
      if (performance.mark) { performance.mark("tg-drawing-painted"); }
      setTimeout(start, 0);
    });
  });
  setTimeout(start, 500);
})();
"""

_XML_PROLOGUE = re.compile(r"^\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_ELEMENT = re.compile(r'<g id="([^"]+)" class="(node|edge)">\s*<title>([^<]*)</title>')

# At most this many items of a list are kept in an element's evidence; the rest is counted ("N more").
LIST_CAP = 25
# Edges of a large picture list fewer folded trusts each, so that the listed ones stay within this many
# bytes (about 300 bytes a listed trust): 1,500 links list 6 each, 55,000 links (1,000 accounts) none,
# their counts remain. The page stays within 10 MB at 1,000 accounts.
MEMBER_BUDGET = 3_000_000
MEMBER_BYTES = 300
# Findings listed per node (worst first), within this many bytes over the page (about 250 bytes each).
FINDINGS_BUDGET = 400_000
FINDING_BYTES = 250
# Above this many drawn edges the drawing itself is compacted (html_svg).
COMPACT_EDGES = 3000


def embed_json(value: Any) -> str:
    """JSON that is safe inside `<script type="application/json">`: no `<`, `>`, `&` or line separators."""
    # Keys keep the order the views give them (most telling first); that order is deterministic too.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def inline_svg(svg: str) -> str:
    """Graphviz's SVG document as an element for an HTML page (no XML prologue, doctype or comments)."""
    return _COMMENT.sub("", _XML_PROLOGUE.sub("", svg)).strip()


_EDGE_GROUP = re.compile(r'<g id="([^"]+)" class="edge">\n<title>[^<]*</title>\n'
                         r'(?:<g id="a_[^"]*"><a xlink:title="[^"]*">\n)?((?:<(?:path|polygon|polyline) [^>]*/>\n)+)'
                         r'(?:</a>\n</g>\n)?</g>\n')
_ATTR = re.compile(r'([\w:-]+)="([^"]*)"')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")
_STYLE_ATTRS = ("fill", "fill-opacity", "stroke", "stroke-width", "stroke-dasharray", "stroke-opacity")


def _num(value: float, digits: int = 0) -> str:
    text = f"{value:.{digits}f}"
    if digits:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _path(d: str) -> str:
    """Graphviz's `M x,y C x,y x,y x,y …` with whole numbers, the curve relative to its start."""
    if not re.fullmatch(r"M[-\d.,e ]+C[-\d.,e ]+", d.strip()):
        return d
    xy = [round(float(v)) for v in _NUMBER.findall(d)]
    out = [f"M{xy[0]},{xy[1]}c"]
    x, y = xy[0], xy[1]
    for i in range(2, len(xy) - 5, 6):
        out.append(" ".join(f"{xy[i + j] - x},{xy[i + j + 1] - y}" for j in (0, 2, 4)))
        x, y = xy[i + 4], xy[i + 5]
    return out[0] + " ".join(out[1:])


def _polygon(points: str, closed: bool = True) -> str:
    """A polygon (or, not closed, a polyline) as a path: whole-number start, steps to a tenth."""
    xy = [float(v) for v in _NUMBER.findall(points)]
    x, y = round(xy[0]), round(xy[1])
    steps, px, py = [], float(x), float(y)
    stop = len(xy) - 2 if closed else len(xy)  # a polygon's last point repeats the first: `z` closes it
    for i in range(2, stop, 2):
        dx, dy = round(xy[i] - px, 1), round(xy[i + 1] - py, 1)
        steps.append(f"{_num(dx, 1)},{_num(dy, 1)}")
        px, py = px + dx, py + dy  # from where the rounded step lands: no drift
    return f"M{x},{y}l" + " ".join(steps) + ("z" if closed else "")


def screen_dashes(svg: str, css: str) -> tuple[str, str]:
    """Dash patterns of a drawing shown much smaller than laid out, scaled to the screen: at 1,000 accounts
    Graphviz scales the drawing by about 1/20, its 5-unit dashes become quarter pixels, invisible and slow
    to paint (seconds in Chromium). They are drawn as the layout meant them on screen instead."""
    found = re.search(r'<g id="graph0" class="graph" transform="scale\(([\d.]+)', svg)
    scale = float(found.group(1)) if found else 1.0
    if scale >= 0.5 or scale <= 0:
        return svg, css

    def scaled(match: re.Match[str]) -> str:
        values = [float(v) / scale for v in _NUMBER.findall(match.group(2))]
        return match.group(1) + ",".join(_num(v, 1) for v in values)

    svg = re.sub(r'(stroke-dasharray=")([\d.,]+)', scaled, svg)
    css = re.sub(r"(stroke-dasharray:)([\d.,]+)", scaled, css)
    return svg, css


def _end(d: str) -> tuple[int, int] | None:
    """Where a path of _path's form (`M x,y c …`, whole numbers) ends."""
    if not re.fullmatch(r"M-?\d+,-?\d+c[-\d, ]+", d):
        return None
    xy = [int(v) for v in re.findall(r"-?\d+", d)]
    x, y = xy[0], xy[1]
    for i in range(2, len(xy) - 5, 6):
        x, y = x + xy[i + 4], y + xy[i + 5]
    return x, y


def compact_svg(svg: str, edges: list[str]) -> tuple[str, str, list[Any]]:
    """A drawing with many edges, smaller: the drawn edges (`edges`, in drawing order) leave the SVG for
    the page's data, each as [class, path, class, path…] (its title and tooltip dropped, its style a class,
    coordinates whole numbers, relative along the curve; the arrowhead starts relative to the curve's end),
    and the page's script draws them into the layer left where the first one was, after the nodes are on
    screen. An edge the pattern does not fit stays in the SVG (0 in the list).
    Returns the SVG, the stylesheet of the classes and the list."""
    styles: dict[str, int] = {}
    wanted = set(edges)
    moved: dict[str, list[Any]] = {}
    first = True

    def shape(tag: str) -> tuple[int, str]:
        attrs = dict(_ATTR.findall(tag))
        css = ";".join(f"{k}:{attrs[k]}" for k in _STYLE_ATTRS if k in attrs)
        cls = styles.setdefault(css, len(styles))
        if tag.startswith("<path"):
            return cls, _path(attrs.get("d", ""))
        return cls, _polygon(attrs.get("points", ""), closed=tag.startswith("<polygon"))

    def group(match: re.Match[str]) -> str:
        nonlocal first
        element = html.unescape(match.group(1))
        if element not in wanted:
            return match.group(0)
        entry: list[Any] = []
        start: tuple[int, int] | None = None
        for i, tag in enumerate(re.findall(r"<(?:path|polygon|polyline) [^>]*/>", match.group(2))):
            cls, d = shape(tag)
            at = re.match(r"M(-?\d+),(-?\d+)", d)
            if i == 0:
                start = _end(d)
            elif start is not None and at:
                d = f"m{int(at.group(1)) - start[0]},{int(at.group(2)) - start[1]}" + d[at.end():]
            entry += [cls, d]
        moved[element] = entry
        layer = '<g id="tg-edge-layer"></g>\n' if first else ""
        first = False
        return layer

    text = _EDGE_GROUP.sub(group, svg)
    text = text.replace("<svg ", '<svg data-tg-compact="1" ', 1)
    css = "\n".join(f"#tg-canvas .s{cls} {{ {rule} }}" for rule, cls in styles.items())
    return text, css, [moved.get(e, 0) for e in edges]


class _Records:
    """Distinct evidence records (trust statements, conditions, folded trusts), each stored once; elements
    refer to them by index."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._index: dict[str, int] = {}

    def ref(self, value: Any) -> int:
        key = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self.items)
            self.items.append(value)
        return found

    def pack(self, value: Any, cap: int = LIST_CAP) -> Any:
        """`value` with every list of objects replaced by {"$r": [record ids], "$more": N} and every long
        list cut to the cap ({"$v": [items], "$more": N}). A `<key>_not_listed` count (what the view left
        out already) is added to the key's "$more"."""
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for k, v in value.items():
                k = str(k)
                if k.endswith("_not_listed") and isinstance(value.get(k[:-len("_not_listed")]), (list, tuple)):
                    continue
                packed = self.pack(v, cap)
                more = value.get(f"{k}_not_listed")
                if isinstance(more, int) and more:
                    if isinstance(packed, list):
                        packed = {"$v": packed}
                    packed["$more"] = packed.get("$more", 0) + more
                out[k] = packed
            return out
        if isinstance(value, (list, tuple)):
            more = max(0, len(value) - cap)
            kept = list(value[:cap])
            if any(isinstance(v, Mapping) for v in value):
                result: dict[str, Any] = {"$r": [self.ref(self.pack(v)) for v in kept]}
            elif more:
                result = {"$v": [self.pack(v) for v in kept]}
            else:
                return [self.pack(v) for v in kept]
            if more:
                result["$more"] = more
            return result
        return value


def svg_elements(svg: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The nodes (element ids) and edges (element id, tail element id, head element id) Graphviz drew."""
    by_name: dict[str, str] = {}
    nodes: list[str] = []
    edges: list[tuple[str, str, str]] = []
    for match in _ELEMENT.finditer(svg):
        element, cls, title = html.unescape(match.group(1)), match.group(2), html.unescape(match.group(3))
        if cls == "node":
            by_name[title] = element
            nodes.append(element)
        else:
            tail, _, head = title.partition("->")
            edges.append((element, tail, head))
    return nodes, [(e, by_name[t], by_name[h]) for e, t, h in edges if t in by_name and h in by_name]


class _Table:
    """Distinct short values (OU paths, classifications, key lists) by index."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._index: dict[str, int] = {}

    def ref(self, value: Any) -> int:
        key = json.dumps(value, ensure_ascii=False)
        if key not in self._index:
            self._index[key] = len(self.items)
            self.items.append(value)
        return self._index[key]


def page_data(svg: str, evidence: Mapping[str, Any], findings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the page's script reads.

    - `ids`: element ids, the drawn nodes first (`nodes` of them), then the drawn edges, then any other
      element with evidence; `edges`: tail and head (indices into `ids`) of each drawn edge, flat;
    - `elements`: each element's evidence, in the order of `ids`, as [shape, value, …] where
      `shapes[shape]` lists its keys; a title left null is "tail → head";
    - `records`: evidence records stored once (statements, conditions, folded trusts), referred to as
      {"$r": [ids], "$more": N};
    The filters read the evidence: `organizational_unit`, `sensitive`/`sensitive_roles`, `classification`,
    `conditional` (yes/no, or a count of `trusts`).
    """
    nodes, drawn_edges = svg_elements(svg)
    drawn = [n for n in nodes if n in evidence]
    drawn_set = set(drawn)
    drawn_edges = [e for e in drawn_edges if e[1] in drawn_set and e[2] in drawn_set and e[0] in evidence]
    listed = {e for e, _, _ in drawn_edges}
    ids = drawn + [e for e, _, _ in drawn_edges] + [k for k in evidence if k not in drawn_set and k not in listed]
    index = {element: i for i, element in enumerate(ids)}
    ends = {index[e]: (index[t], index[h]) for e, t, h in drawn_edges}
    edge_cap = max(0, min(LIST_CAP, MEMBER_BUDGET // (MEMBER_BYTES * max(1, len(drawn_edges)))))
    records = _Records()
    shapes, values = _Table(), _Table()
    values.ref("")
    elements: list[Any] = []
    titles: list[str] = []
    found = {element: _findings_for(evidence[element], findings) for element in ids
             if evidence[element].get("type") == "node"} if findings else {}
    found = {element: f for element, f in found.items() if f}
    findings_cap = max(1, min(LIST_CAP, FINDINGS_BUDGET // (FINDING_BYTES * max(1, len(found)))))
    for i, element in enumerate(ids):
        info = dict(evidence[element])
        titles.append(str(info.get("title", "")))
        if element in found:
            info["findings"] = found[element][:findings_cap]
            if len(found[element]) > findings_cap:
                info["findings_not_listed"] = len(found[element]) - findings_cap
        if i in ends and info.get("title") == f"{titles[ends[i][0]]} → {titles[ends[i][1]]}":
            del info["title"]  # the page puts "tail → head" together
        if i in ends and not edge_cap:
            for key in [k for k, v in info.items() if isinstance(v, list) and v and isinstance(v[0], Mapping)]:
                del info[key]  # listed not at all: the counts say how many
                info.pop(f"{key}_not_listed", None)
        packed = records.pack(info, edge_cap if info.get("type") == "edge" else LIST_CAP)
        # Numbers stay in place; texts and structures go to `values` once ("~key" in the shape).
        keys, row = [], []
        for k, v in packed.items():
            scalar = v is None or isinstance(v, (bool, int, float))
            keys.append(k if scalar else f"~{k}")
            row.append(v if scalar else values.ref(v))
        elements.append([shapes.ref(keys), *row])
    # Edge ids that read "edge-<tail>-<head>" (from "node-<tail>", "node-<head>") are put together in the page.
    derived = all(t.startswith("node-") and h.startswith("node-") and e == f"edge-{t[5:]}-{h[5:]}"
                  for e, t, h in drawn_edges)
    stored = [i for i in ids if i not in listed] if derived else ids
    return {"ids": stored, "derived_edge_ids": derived, "nodes": len(drawn), "findings_cap": findings_cap,
            "edges": [x for i in sorted(ends) for x in ends[i]],
            "shapes": shapes.items, "elements": elements, "records": records.items, "values": values.items,
            "edge_cap": edge_cap}


def element_ids(data: Mapping[str, Any]) -> list[str]:
    """Every element id, in the page's order (drawn nodes, drawn edges, the rest)."""
    ids = list(data["ids"])
    if not data.get("derived_edge_ids"):
        return ids
    nodes, edges = data["nodes"], data["edges"]
    derived = [f"edge-{ids[edges[k]][5:]}-{ids[edges[k + 1]][5:]}" for k in range(0, len(edges), 2)]
    return ids[:nodes] + derived + ids[nodes:]


def element_evidence(data: Mapping[str, Any], element: str | int) -> dict[str, Any]:
    """One element's evidence (by id or position) as stored in the page, records still referred to by id."""
    raw = data["elements"][element if isinstance(element, int) else element_ids(data).index(element)]
    keys = data["shapes"][raw[0]]
    return {k.lstrip("~"): data["values"][v] if k.startswith("~") else v for k, v in zip(keys, raw[1:], strict=True)}


_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def _findings_for(info: Mapping[str, Any], findings: Mapping[str, Any]) -> list[Any]:
    """Findings of the role (principals view) or of the roles in the accounts (account view) of a node,
    worst first."""
    found = _all_findings_for(info, findings)
    return sorted(found, key=lambda f: _SEVERITY_RANK.get(str(f.get("severity")), 9) if isinstance(f, Mapping) else 9)


def _all_findings_for(info: Mapping[str, Any], findings: Mapping[str, Any]) -> list[Any]:
    role = info.get("id")
    if isinstance(role, str) and role in findings:
        return list(findings[role])
    accounts = info.get("accounts")
    if not isinstance(accounts, list) or not accounts:
        return []
    wanted = set(accounts)
    found = []
    for arn in sorted(findings):
        parts = arn.split(":")
        if len(parts) > 4 and parts[4] in wanted:
            found.extend(findings[arn])
    return found


def html_page(svg: str, evidence: Mapping[str, Any], *, title: str = "trustgraph",
              findings: Mapping[str, Any] | None = None) -> str:
    """The page. `findings`: role ARN → the findings shown in the panel of that role or of its account."""
    script = _JS.strip()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    heading = html.escape(title, quote=True)
    data = page_data(svg, evidence, findings)
    edges = len(data["edges"]) // 2
    css = _CSS
    if edges > COMPACT_EDGES:
        drawn_edges = element_ids(data)[data["nodes"]:data["nodes"] + edges]
        svg, classes, data["draw"] = compact_svg(inline_svg(svg), drawn_edges)
        svg, classes = screen_dashes(svg, classes)
        css += classes + "\n"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"generator\" content=\"trustgraph\">\n<title>{heading}</title>\n"
        f"<style>{css}</style>\n</head>\n<body>\n"
        f"<header><h1>{heading}</h1>"
        "<input id=\"tg-search\" type=\"search\" placeholder=\"Search: name, ARN or account id (Enter: next)\" "
        "autocomplete=\"off\" spellcheck=\"false\"><span id=\"tg-count\"></span>"
        "<select id=\"tg-f-ou\" title=\"Only trust touching this OU\"></select>"
        "<select id=\"tg-f-cls\" title=\"Only trust of this classification\"></select>"
        "<select id=\"tg-f-cond\" title=\"Only conditional or unconditional trust\"></select>"
        "<label id=\"tg-f-sens-box\"><input id=\"tg-f-sens\" type=\"checkbox\"> sensitive only</label>"
        "<button id=\"tg-zoom-in\" type=\"button\" title=\"Zoom in\">+</button>"
        "<button id=\"tg-zoom-out\" type=\"button\" title=\"Zoom out\">&#8722;</button>"
        "<button id=\"tg-fit\" type=\"button\" title=\"Show everything\">Fit</button></header>\n"
        f"<main><div id=\"tg-canvas\">{inline_svg(svg)}</div>\n"
        "<aside id=\"tg-panel\"><p class=\"tg-hint\">Click a node or an edge to see its evidence: the trust "
        "statements, principals as written and the conditions; from a node, who can reach it and what it can "
        "reach. Hover a node for its neighbours. Drag to pan, wheel to zoom, / to search.</p>"
        "</aside></main>\n"
        f"<script type=\"application/json\" id=\"tg-evidence\">{embed_json(data)}</script>\n"
        f"<script>{script}</script>\n</body>\n</html>\n"
    )
