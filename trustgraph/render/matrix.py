"""The matrix view: accounts (or OUs) on both axes, sorted by OU; each cell the trusts from its row to its column.

The remedy for a graph too dense to draw as links: a thousand accounts are a thousand rows. Rows are the
callers' side (an account's or OU's principals, then the outside sources as extra rows: known vendors,
unknown accounts, identity providers, anyone, org-wide trust), columns the roles' side. A cell's colour says
where the callers come from, its strength how much of the trust is unconditional (pale = all conditional),
a red border that some of it reaches sensitive roles. Axis labels mark the accounts or OUs that hold
sensitive roles (⚠) or roles with findings (⚑). The diagonal (grey) is the trust inside one account or OU.

Built on the account map (render/accounts.py) or the OU map (render/ous.py), so the folding is the same
as in the other views. Drawn as a scene (render/scene.py): SVG, PNG and PDF without a layout engine.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from trustgraph.analysis.exposure import Exposure
from trustgraph.render.accounts import (
    AccountMap,
    AccountNode,
    chain_title,
    edge_class,
    edge_text,
    folded_edge_evidence,
    node_order,
    ou_chain,
    sensitive_targets,
)
from trustgraph.render.radial import text_width
from trustgraph.render.scene import Line, Rect, Scene, Text
from trustgraph.render.style import (
    ACCOUNT_EDGE_LEGEND,
    ACCOUNT_EDGE_STYLE,
    FINDING_GLYPH,
    LEGEND_BORDER,
    MARK_COLOR,
    SENSITIVE_GLYPH,
)

INSIDE = ("account", "org-only", "ou")
# Cell colours: where the callers come from (the account view's edge colours), org-wide trust, and the
# diagonal (trust inside one account or OU).
COLOURS = {**{k: v["color"] for k, v in ACCOUNT_EDGE_STYLE.items()}, "org-wide": "#00838f", "inside": "#6d4c41"}
LEGEND = {**ACCOUNT_EDGE_LEGEND, "org-wide": "org-wide trust ({\"AWS\":\"*\"} + conditions): where it lands",
          "inside": "inside one account (or OU): the diagonal"}
# Guardrails (`map --rules`): a cell a rule forbids, a cell that breaks one.
FORBIDDEN_COLOUR = "#f6c7c3"
VIOLATION_COLOUR = "#ef6c00"  # orange: no cell colour of the matrix is
MAX_SIDE = 7600.0  # points (= pixels at scale 1): the picture stays under ~8,000 per side


@dataclass
class Unit:
    key: str
    title: str
    detail: str  # the account id, "N accounts"…
    kind: str
    band: str  # OU (accounts) or parent OU (OUs); "outside" for the extra rows
    sensitive: int = 0
    flagged: int = 0
    exposure: Exposure | None = None  # of its sensitive roles, how many are reachable from outside it
    exposed: bool = False  # the mark: one is, other than from the management account alone


@dataclass
class Cell:
    trusts: int
    conditional: int
    via_star: int = 0
    sensitive: int = 0  # sensitive roles reached
    colour: str = "internal"
    text: str = ""  # callers by kind → roles


@dataclass
class TrustMatrix:
    by: str  # accounts | ous
    rows: list[Unit]
    cols: list[Unit]
    cells: dict[tuple[int, int], Cell]
    member_links: int = 0  # trusts into org-wide trust classes (members), said in the class rows
    title: str = ""
    edges: dict[tuple[int, int], Any] = field(default_factory=dict)  # cell → folded AccountEdge (evidence)
    rules: Any = None  # guardrails painted on it (render/matrix_rules.RulePaint), `map --rules`

    def as_json(self) -> dict[str, Any]:
        def unit(u: Unit) -> dict[str, Any]:
            return {"key": u.key, "title": u.title, "detail": u.detail, "kind": u.kind, "band": u.band,
                    "sensitive_roles": u.sensitive, "roles_with_findings": u.flagged,
                    "sensitive_roles_reachable_from_outside": u.exposure.reachable if u.exposure else None}

        out = {"view": "matrix", "by": self.by, "title": self.title, "rows": [unit(u) for u in self.rows],
               "columns": [unit(u) for u in self.cols],
               "cells": [{"row": i, "column": j, "trusts": c.trusts, "conditional": c.conditional,
                          "via_star": c.via_star, "sensitive_roles_reached": c.sensitive, "class": c.colour}
                         for (i, j), c in sorted(self.cells.items())]}
        if self.rules is not None:
            out["rule_cells"] = self.rules.as_json()
            out["rule_violations_not_drawn"] = self.rules.unplaced
        return out


def _band(amap: AccountMap, node: AccountNode, by: str) -> tuple[tuple[str, ...], str]:
    """(sort key, band title) of an inside unit: its OU for an account, its parent OU for an OU."""
    if by == "ous" and node.kind == "ou":
        chain = node.chain
        parent = chain[:-1]
        return tuple(chain_title(amap, chain[:i + 1]) for i in range(len(chain))), \
            chain_title(amap, parent) if parent else "top level"
    chain = tuple(ou_chain(amap, node.ou_path)) if node.ou_path else ()
    if not node.ou_path:
        return ("~",), "outside the organization data"
    return tuple(chain_title(amap, chain[:i + 1]) for i in range(len(chain))), chain_title(amap, chain)


def _unit(amap: AccountMap, node: AccountNode, by: str) -> Unit:
    if node.kind == "external":
        title = f"{len(node.accounts)} unknown external account{'s' if len(node.accounts) != 1 else ''}"
    elif node.kind == "class":
        title = f"{node.title}: {node.subtitle}" if node.subtitle else node.title
    else:
        title = node.title
    detail = node.subtitle if node.kind in ("account", "org-only", "vendor") else ""
    if node.kind == "ou":
        detail = f"{len(node.accounts):,} account{'s' if len(node.accounts) != 1 else ''}"
    band = _band(amap, node, by)[1] if node.kind in INSIDE else "outside"
    return Unit(node.key, title, detail if detail != title else "", node.kind, band, node.sensitive, node.flagged,
                node.exposure, node.exposed)


def trust_matrix(graph: nx.DiGraph, amap: AccountMap, by: str = "accounts", title: str = "") -> TrustMatrix:
    """The matrix of an account map (by="accounts") or of an OU map (by="ous")."""
    inside = sorted((n for n in amap.nodes.values() if n.kind in INSIDE),
                    key=lambda n: (_band(amap, n, by)[0], n.title.lower(), n.key))
    outside = sorted((n for n in amap.nodes.values() if n.kind not in INSIDE), key=node_order)
    cols = [_unit(amap, n, by) for n in inside]
    col_of = {n.key: j for j, n in enumerate(inside)}
    rows = list(cols)
    row_of = dict(col_of)
    for n in outside:
        if any(pair[0] == n.key and pair[1] in col_of for pair in amap.edges):
            row_of[n.key] = len(rows)
            rows.append(_unit(amap, n, by))
    cells: dict[tuple[int, int], Cell] = {}
    edges: dict[tuple[int, int], Any] = {}
    member_links = 0
    for (a, b), edge in sorted(amap.edges.items()):
        if b not in col_of or a not in row_of:
            member_links += len(edge.members)
            continue
        i, j = row_of[a], col_of[b]
        cls = edge_class(amap, edge) if amap.nodes[a].kind != "class" else "org-wide"
        counts, _ = edge_text(graph, edge)
        cells[i, j] = Cell(len(edge.members), edge.conditional, edge.via_star, sensitive_targets(edge, amap.marks),
                           cls, counts)
        edges[i, j] = edge
    for n in inside:
        if n.internal:
            k = col_of[n.key]
            cells[k, k] = Cell(n.internal, n.internal_conditional, colour="inside",
                               text=f"{n.internal:,} trusts inside")
    if not title:
        what = "account" if by == "accounts" else "OU"
        extra = len(rows) - len(cols)
        title = (f"Trust matrix by {what}: {len(cols):,} {what}s"
                 + (f" + {extra} outside source{'s' if extra != 1 else ''}" if extra else "")
                 + f", {sum(c.trusts for c in cells.values()):,} trusts; cell = trusts from row to column")
    return TrustMatrix(by, rows, cols, cells, member_links, title, edges)


# ------------------------------------------------------------------------------------------------ drawing


def _runs(units: Sequence[Unit]) -> list[tuple[str, int, int]]:
    """(band, first index, count) of consecutive units of one band."""
    runs: list[tuple[str, int, int]] = []
    for i, u in enumerate(units):
        if runs and runs[-1][0] == u.band:
            band, first, count = runs[-1]
            runs[-1] = (band, first, count + 1)
        else:
            runs.append((u.band, i, 1))
    return runs


def _label(u: Unit, with_detail: bool) -> str:
    return u.title + (f" · {u.detail}" if with_detail and u.detail else "")


def _held(u: Unit) -> str:
    parts = []
    if u.exposure is not None and u.exposure.sensitive:
        parts.append(f"{SENSITIVE_GLYPH} {u.exposure.text()}")
    elif u.sensitive:
        parts.append(f"{SENSITIVE_GLYPH} {u.sensitive:,} sensitive role{'s' if u.sensitive != 1 else ''}")
    if u.flagged:
        parts.append(f"{FINDING_GLYPH} {u.flagged:,} role{'s' if u.flagged != 1 else ''} with findings")
    return " · ".join(parts)


def _marks(scene: Scene, u: Unit, x: float, y: float, size: float, step_x: float, step_y: float) -> None:
    """The marks of an axis label, drawn as shapes (fonts may lack the glyphs): a red square for sensitive
    roles held, a red outlined square for roles with findings; the next one `step` away."""
    title = _held(u)
    if u.exposed:
        scene.add(Rect(x, y, size, size, fill=MARK_COLOR, title=title))
        x, y = x + step_x, y + step_y
    if u.flagged:
        scene.add(Rect(x + 0.5, y + 0.5, size - 1, size - 1, fill="#ffffff", stroke=MARK_COLOR,
                       stroke_width=max(1.0, size / 5), title=title))


def _fit(text: str, size: float, room: float) -> str:
    """`text` cut with an ellipsis so that it fits `room` points at `size`."""
    if text_width(text, size) <= room:
        return text
    keep = max(0, int(room / (size * 0.58)) - 1)
    return text[:keep] + "…" if keep > 2 else ""


def _cell_title(m: TrustMatrix, i: int, j: int, cell: Cell) -> str:
    parts = [f"{m.rows[i].title} → {m.cols[j].title}: {cell.trusts:,} trust{'s' if cell.trusts != 1 else ''}"]
    if cell.text and cell.colour != "inside":
        parts.append(cell.text)
    if cell.conditional:
        parts.append(f"{cell.conditional:,} conditional")
    if cell.via_star:
        parts.append(f"via * ({cell.via_star:,})")
    if cell.sensitive:
        parts.append(f"{SENSITIVE_GLYPH} reaches {cell.sensitive:,} sensitive role{'s' if cell.sensitive != 1 else ''}")
    return " · ".join(parts)


def matrix_scene(graph: nx.DiGraph, amap: AccountMap, m: TrustMatrix, *, note: str = "",
                 links: Mapping[str, str] | None = None, legend_extra: Sequence[str] = ()) -> Scene:
    """Draw the matrix (see the module docstring). Deterministic: the same matrix gives the same SVG. `links`: a
    unit's key → the file its axis labels link to (SVG); `legend_extra`: more lines of legend text."""
    links = links or {}
    n_rows, n_cols = len(m.rows), max(1, len(m.cols))
    # The grid takes what MAX_SIDE leaves after the labels (about 600 points at a thousand accounts).
    cell = max(3.0, min(48.0, math.floor((MAX_SIDE - 600) / max(n_rows, n_cols, 1))))
    label_size = max(4.5, min(12.0, cell * 0.9))
    with_detail = m.by == "ous" or cell >= 8
    row_labels = [_label(u, with_detail) for u in m.rows]
    col_labels = [_label(u, with_detail) for u in m.cols]
    label_room = min(420.0, max(text_width(t, label_size) for t in row_labels) + 10 + 2 * label_size)
    col_room = min(420.0, max((text_width(t, label_size) for t in col_labels), default=40.0) + 10 + 2 * label_size)
    grid_w, grid_h = n_cols * cell, n_rows * cell
    big = max(14.0, min(40.0, max(grid_w, grid_h) / 160))  # title, band and legend text: readable when shrunk
    band_size = big
    # Room for a band's name written across the band (a band of one or two units), up to 240 points.
    bands = {u.band for u in (*m.rows, *m.cols)}
    band_room = max(band_size * 1.8, 110.0,
                    min(240.0, max(text_width(b, min(band_size, cell * 0.9)) for b in bands) / 0.85 + 4))
    margin = 20.0
    title_h = big * 2.2
    x0 = margin + band_room + label_room
    y0 = margin + title_h + band_room + col_room
    legend_rows = _legend_rows(m, amap) + [("text", line) for line in legend_extra]
    legend_h = (len(legend_rows) + 2) * big * 1.5 + big * (2.4 if note else 1)
    width = max(x0 + grid_w + margin, margin * 2 + max(text_width(r[1], big) + big * 3 for r in legend_rows))
    height = y0 + grid_h + big + legend_h + margin
    scene = Scene(width, height, m.title, data=m.as_json())
    scene.add(Text(margin, margin + big * 1.2, m.title, big * 1.1, bold=True))

    # OU bands: alternate shading across the grid, a rule at each change, the OU's name beside the labels.
    outside_from = len(m.cols)
    for axis, runs in (("row", _runs(m.rows)), ("col", _runs(m.cols))):
        for k, (band, first, count) in enumerate(runs):
            start, span = first * cell, count * cell
            if k % 2:
                if axis == "row":
                    scene.add(Rect(x0, y0 + start, grid_w, span, fill="#f1f3f4"))
                else:
                    scene.add(Rect(x0 + start, y0, span, min(grid_h, outside_from * cell), fill="#f1f3f4",
                                   opacity=0.6))
            # The band's name along the band when it fits, else across it (a small band: a small font).
            along = _fit(band, band_size, span - 4)
            across_size = min(band_size, span * 0.9)
            across = _fit(band, across_size, band_room * 0.85)
            # Along when the whole name fits there, else across when it fits there (or says more).
            if along != band and (across == band or len(across) > len(along)):
                along = ""
            size = band_size if along else across_size
            text = along or across
            tip = f"{band}: {count:,}"
            if axis == "row":
                mid = y0 + start + span / 2
                if along:
                    scene.add(Text(margin + band_room * 0.6, mid, text, size, color="#5f6368", anchor="middle",
                                   bold=True, rotate=-90, title=tip))
                elif text:
                    scene.add(Text(margin + band_room * 0.85, mid + size * 0.35, text, size, color="#5f6368",
                                   anchor="end", bold=True, title=tip))
                scene.add(Rect(margin + band_room * 0.9, y0 + start + 1, 3, span - 2, fill=_band_colour(band, k)))
            else:
                mid = x0 + start + span / 2
                top = margin + title_h
                if along:
                    scene.add(Text(mid, top + band_room * 0.6, text, size, color="#5f6368", anchor="middle",
                                   bold=True, title=tip))
                elif text:
                    scene.add(Text(mid + size * 0.35, top + band_room * 0.85, text, size, color="#5f6368",
                                   bold=True, rotate=-90, title=tip))
                scene.add(Rect(x0 + start + 1, top + band_room * 0.88, span - 2, 3, fill=_band_colour(band, k)))
            if first:
                if axis == "row":
                    width_rule = 2.0 if first == outside_from else 0.8
                    scene.add(Line(margin, y0 + start, x0 + grid_w, y0 + start, "#80868b", width_rule))
                else:
                    scene.add(Line(x0 + start, margin + title_h, x0 + start, y0 + grid_h, "#80868b", 0.8))
    scene.add(Rect(x0, y0, grid_w, grid_h, stroke="#80868b", stroke_width=1.0))

    # Axis labels, and the marks of what the account or OU holds right next to the grid.
    mark = min(cell * 0.7, label_size)
    mark_room = 2 * mark + 6
    for i, (u, text) in enumerate(zip(m.rows, row_labels, strict=True)):
        mid = y0 + i * cell + cell * 0.5
        title = text + (f" ({_held(u)})" if _held(u) else "")
        scene.add(Text(x0 - mark_room, mid + label_size * 0.35, _fit(text, label_size, label_room - mark_room),
                       label_size, anchor="end", title=title, href=links.get(u.key, "")))
        _marks(scene, u, x0 - mark_room + 3, mid - mark / 2, mark, mark + 1, 0)
    for j, (u, text) in enumerate(zip(m.cols, col_labels, strict=True)):
        mid = x0 + j * cell + cell * 0.5
        title = text + (f" ({_held(u)})" if _held(u) else "")
        scene.add(Text(mid + label_size * 0.35, y0 - mark_room, _fit(text, label_size, col_room - mark_room),
                       label_size, rotate=-90, title=title, href=links.get(u.key, "")))
        _marks(scene, u, mid - mark / 2, y0 - mark_room + 3, mark, 0, mark + 1)

    # Guardrails (`--rules`): a cell a rule forbids is tinted, and its trust drawn inside a frame of the tint.
    forbidden = m.rules.forbidden if m.rules is not None else {}
    for (i, j), ids in forbidden.items():
        scene.add(Rect(x0 + j * cell, y0 + i * cell, cell, cell, fill=FORBIDDEN_COLOUR,
                       title=f"{m.rows[i].title} → {m.cols[j].title}: forbidden by {', '.join(ids)}"))

    # Cells: colour = where the callers come from; strength = unconditional share; red border = sensitive.
    inset = 0.5 if cell >= 6 else 0.0
    numbers = cell >= 18
    for (i, j), c in sorted(m.cells.items()):
        share = 1 - c.conditional / c.trusts if c.trusts else 0.0
        opacity = round(0.3 + 0.7 * share, 2)
        framed = max(inset, round(cell * 0.18, 2)) if (i, j) in forbidden else inset
        x, y = x0 + j * cell + framed, y0 + i * cell + framed
        side = cell - 2 * framed
        element = f"cell-{i}-{j}"
        stroke = MARK_COLOR if c.sensitive else ""
        scene.add(Rect(x, y, side, side, fill=COLOURS[c.colour], opacity=opacity, stroke=stroke,
                       stroke_width=max(1.0, cell / 14) if stroke else 0.0, id=element,
                       title=_cell_title(m, i, j, c)))
        if numbers:
            text = f"{c.trusts:,}" if c.trusts < 10000 else f"{c.trusts // 1000}k"
            size = min(cell * 0.38, (side - 2) / max(1, len(text)) * 1.6)
            scene.add(Text(x + side / 2, y + side / 2 + size * 0.36, text, size,
                           color="#ffffff" if opacity > 0.55 else "#202124", anchor="middle"))
        if (i, j) in m.edges:
            scene.evidence[element] = functools.partial(_evidence, graph, amap, m, i, j)
        else:
            scene.evidence[element] = {"type": "node", "title": _cell_title(m, i, j, c), "trusts": c.trusts,
                                       "conditional": c.conditional}

    # Cells breaking a rule: over everything, in the strong colour, with how many violations.
    if m.rules is not None:
        for (i, j), by_rule in sorted(m.rules.broken.items()):
            count = sum(by_rule.values())
            x, y = x0 + j * cell, y0 + i * cell
            rules = ", ".join(f"{rule} ({n:,})" for rule, n in sorted(by_rule.items()))
            scene.add(Rect(x, y, cell, cell, fill=VIOLATION_COLOUR, stroke="#202124", stroke_width=max(1.0, cell / 16),
                           title=f"{m.rows[i].title} → {m.cols[j].title}: {count:,} violation"
                                 f"{'s' if count != 1 else ''} of {rules}"))
            if cell >= 10:
                text = f"{count:,}" if count < 10000 else f"{count // 1000}k"
                size = min(cell * 0.5, (cell - 2) / max(1, len(text)) * 1.6)
                scene.add(Text(x + cell / 2, y + cell / 2 + size * 0.36, text, size, color="#ffffff",
                               anchor="middle", bold=True))

    # Legend, under the grid.
    y = y0 + grid_h + big * 2
    scene.add(Text(margin, y, "Legend", big, bold=True))
    swatch = big * 1.1
    for kind, text in legend_rows:
        y += big * 1.5
        if kind.startswith("share:"):
            share = float(kind.split(":")[1])
            scene.add(Rect(margin, y - swatch * 0.8, swatch, swatch, fill=COLOURS["internal"],
                           opacity=round(0.3 + 0.7 * share, 2)))
        elif kind == "forbidden-cell":
            scene.add(Rect(margin, y - swatch * 0.8, swatch, swatch, fill=FORBIDDEN_COLOUR))
            scene.add(Rect(margin + swatch * 0.25, y - swatch * 0.55, swatch * 0.5, swatch * 0.5,
                           fill=COLOURS["internal"], opacity=0.6))
        elif kind == "violation-cell":
            scene.add(Rect(margin, y - swatch * 0.8, swatch, swatch, fill=VIOLATION_COLOUR, stroke="#202124",
                           stroke_width=1.0))
        elif kind == "sensitive-cell":
            scene.add(Rect(margin, y - swatch * 0.8, swatch, swatch, fill=COLOURS["internal"], opacity=0.6,
                           stroke=MARK_COLOR, stroke_width=2.0))
        elif kind in ("sensitive-label", "flagged-label"):
            held = Unit("", "", "", "", "", sensitive=kind == "sensitive-label", flagged=kind == "flagged-label",
                        exposed=kind == "sensitive-label")
            _marks(scene, held, margin + swatch * 0.2, y - swatch * 0.7, swatch * 0.6, 0, 0)
        elif kind in COLOURS:
            scene.add(Rect(margin, y - swatch * 0.8, swatch, swatch, fill=COLOURS[kind]))
        scene.add(Text(margin + swatch * 1.6, y, text, big))
    if note:
        y += big * 1.8
        scene.add(Text(margin, y, note, big * 0.9, color="#5f6368", italic=True))
    scene.add(Rect(margin - 6, y0 + grid_h + big * 0.8, max(text_width(r[1], big) for r in legend_rows) + swatch * 2.4,
                   y - (y0 + grid_h + big * 0.8) + big * 0.8, stroke=LEGEND_BORDER, stroke_width=1.0))
    return scene


_BAND_COLOURS = ("#1a73e8", "#188038", "#e37400", "#8430ce", "#00838f", "#c5221f", "#5f6368")


def _band_colour(band: str, k: int) -> str:
    return "#9aa0a6" if band == "outside" else _BAND_COLOURS[k % len(_BAND_COLOURS)]


def _legend_rows(m: TrustMatrix, amap: AccountMap) -> list[tuple[str, str]]:
    present = {c.colour for c in m.cells.values()}
    rows = [(k, f"from {text[5:]}" if text.startswith("from ") else text) for k, text in LEGEND.items()
            if k in present]
    rows += [("share:1", "strong: every trust unconditional"), ("share:0.5", "half conditional"),
             ("share:0", "pale: every trust conditional (sts:ExternalId, MFA, IdP claims, org conditions…)")]
    if any(c.sensitive for c in m.cells.values()):
        rows.append(("sensitive-cell", "red border: some of these trusts reach sensitive roles"))
    if m.rules is not None:
        ids = sorted({i for cell_ids in m.rules.forbidden.values() for i in cell_ids})
        rows.append(("forbidden-cell", "tinted: a guardrail forbids some principal of the row to reach some role of "
                                       "the column (deny, allow_only: " + (", ".join(ids) or "none here") + ")"))
        broken = sum(sum(c.values()) for c in m.rules.broken.values())
        rows.append(("violation-cell", f"{broken:,} violation{'s' if broken != 1 else ''} of the guardrails: a "
                                       "principal of the row reaches a guarded role of the column (the number: how "
                                       "many principals; `trustgraph check` lists them)"))
        if m.rules.unplaced:
            unplaced = m.rules.unplaced
            rows.append(("text", f"{unplaced:,} violation{'s are' if unplaced != 1 else ' is'} in no row or column "
                                 "of this matrix (AWS services, for one, are no row)"))
    what = "accounts" if m.by == "accounts" else "OUs"
    if any(u.exposed for u in m.rows):
        rows.append(("sensitive-label", f"beside a label: a principal outside the {what[:-1]} reaches one of its "
                                        "sensitive roles (admin-equivalent, tagged or --sensitive), other than "
                                        "the management account alone; hover for how many"))
    if any(u.flagged for u in m.rows):
        rows.append(("flagged-label", f"beside a label: the {what[:-1]} holds roles with findings "
                                      f"({amap.marks.findings_floor} or worse)"))
    hint = "hover a cell (SVG, HTML) for its counts" if m.by == "accounts" else "the number = trusts"
    rows.append(("text", "row = where the callers are, column = where the roles are; rows below the thick rule: "
                         f"outside sources; {hint}"))
    if m.member_links:
        rows.append(("text", f"{m.member_links:,} principals' memberships of org-wide trust classes are not cells: "
                             "the org-wide rows show where that trust lands"))
    return rows


def _evidence(graph: nx.DiGraph, amap: AccountMap, m: TrustMatrix, i: int, j: int) -> dict[str, Any]:
    edge = m.edges[i, j]
    counts, marks = edge_text(graph, edge, amap.marks)
    return folded_edge_evidence(graph, amap, edge, counts, marks)


def matrix_view(graph: nx.DiGraph, amap: AccountMap, *, by: str = "accounts", title: str = "",
                note: str = "", paint: Callable[[AccountMap, TrustMatrix], object] | None = None) -> Scene:
    """The matrix of an account map (by="accounts") or an OU map (by="ous"), drawn. `paint`: marks added to the
    matrix before it is drawn (`map --rules`: render/matrix_rules.py)."""
    m = trust_matrix(graph, amap, by, title)
    if paint is not None:
        paint(amap, m)
    return matrix_scene(graph, amap, m, note=note)
