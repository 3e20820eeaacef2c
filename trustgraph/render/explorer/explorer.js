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
  var HIDDEN = { type: 1, title: 1, search: 1, label: 1, reacher_elements: 1 };
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
    // Upstream of a principal the count is the one `who-can-reach` gives, computed by trustgraph itself
    // (evidence `reachers`), and its reachers drawn here are lit too; the walk of the drawing only lights the way.
    var o = raw(i), answer = upstream && typeof o.reachers === "number";
    if (answer) {
      (expand(o.reacher_elements) || []).forEach(function (e) { if (index[e] !== undefined) { r.elements.push(index[e]); } });
    }
    mark("tg-path", r.elements);
    svg.classList.add("tg-pathing");
    var n = answer ? o.reachers : r.nodes;
    if (pathInfo) {
      pathInfo.textContent = answer
        ? n + " principal" + (n === 1 ? "" : "s") + " can reach this, as `trustgraph who-can-reach` counts "
          + "(highlighted where drawn, with the edges on the way)"
        : (upstream ? n + " node" + (n === 1 ? "" : "s") + " can reach this"
                    : "this can reach " + n + " node" + (n === 1 ? "" : "s"))
          + " (highlighted, with every edge on the way)";
    }
    return n;
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
