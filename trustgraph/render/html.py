"""One self-contained HTML file: the SVG drawing with pan/zoom, search and an evidence panel.

Nothing is fetched from the network: the SVG, the stylesheet, the script and the evidence (a JSON blob
in a `<script type="application/json">`) are inline, and a Content-Security-Policy forbids every other
source. Text from the data reaches the page only through Graphviz's XML escaping (the SVG), escaped JSON
(`<`, `>`, `&` as \\u escapes, so the blob cannot close its script element) and `textContent` in the
script, never through innerHTML.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

# The stylesheet and the script live beside this module as package data (explorer/), hand-written, no
# dependencies: pan (drag), zoom (wheel, buttons), search (highlight + jump), click → evidence. The page
# inlines them, so it stays one self-contained file.
EXPLORER_ASSETS = "explorer"
EXPLORER_CSS = "explorer.css"
EXPLORER_JS = "explorer.js"


@functools.cache
def explorer_asset(name: str) -> str:
    """The text of one of the explorer's files (`EXPLORER_CSS`, `EXPLORER_JS`), as installed with the package."""
    return (resources.files("trustgraph.render") / EXPLORER_ASSETS / name).read_text(encoding="utf-8")


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
    found: list[Any] = []
    for arn in sorted(findings):
        parts = arn.split(":")
        if len(parts) > 4 and parts[4] in wanted:
            # an account's or OU's card lists the findings of many roles: each names its role
            found.extend({"role": arn, **f} if isinstance(f, Mapping) else f for f in findings[arn])
    return found


def html_page(svg: str, evidence: Mapping[str, Any], *, title: str = "trustgraph",
              findings: Mapping[str, Any] | None = None) -> str:
    """The page. `findings`: role ARN → the findings shown in the panel of that role or of its account."""
    script = explorer_asset(EXPLORER_JS).strip()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    heading = html.escape(title, quote=True)
    data = page_data(svg, evidence, findings)
    edges = len(data["edges"]) // 2
    css = "\n" + explorer_asset(EXPLORER_CSS)  # the stylesheet starts on its own line, as it always has
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
