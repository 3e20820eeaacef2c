"""A picture drawn without a layout engine: rectangles, lines and text at fixed positions (the matrix view).

One scene, two writers: SVG as text (every piece of data text through `xml_text`), and PNG or PDF through
cairo, the library that draws Graphviz's own PNG and PDF (the one bundled in pygraphviz's wheel, else the
system's), called through ctypes: no other dependency.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trustgraph.render.dot import LazyEvidence
from trustgraph.render.style import FONT, xml_text

SVG_FONT = f"{FONT}, Arial, sans-serif"


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str = "none"
    opacity: float = 1.0
    stroke: str = ""
    stroke_width: float = 0.0
    id: str = ""  # clickable (HTML output) with this element id
    title: str = ""  # tooltip


@dataclass(frozen=True, slots=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float = 1.0


@dataclass(frozen=True, slots=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    size: float
    color: str = "#202124"
    anchor: str = "start"  # start | middle | end
    bold: bool = False
    italic: bool = False
    rotate: float = 0.0  # degrees, counter-clockwise positive as in cairo's y-down frame: -90 reads upwards
    id: str = ""
    title: str = ""
    href: str = ""  # SVG: a link (a relative file name), e.g. from a split matrix's index to a page


Item = Rect | Line | Text


@dataclass
class Scene:
    """Implements render.engine.Drawing: `draw(fmt)` gives svg, png, pdf or json bytes."""

    width: float
    height: float
    title: str = ""
    items: list[Item] = field(default_factory=list)
    data: Any = None  # what `json` writes
    evidence: LazyEvidence = field(default_factory=LazyEvidence)
    raster_scale: float = 1.0  # PNG pixels per SVG unit

    def add(self, item: Item) -> None:
        self.items.append(item)

    def draw(self, fmt: str) -> bytes:
        if fmt == "svg":
            return svg_text(self).encode("utf-8")
        if fmt == "json":
            return (json.dumps(self.data, indent=1, sort_keys=False) + "\n").encode("utf-8")
        if fmt in ("png", "pdf"):
            return cairo_bytes(self, fmt)
        raise ValueError(f"{self.title or 'this picture'} is drawn directly, not by Graphviz: choose svg, png, pdf, "
                         "json or html")


# ------------------------------------------------------------------------------------------------ SVG


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


def _svg_item(item: Item) -> str:
    if isinstance(item, Rect):
        attrs = f'x="{_num(item.x)}" y="{_num(item.y)}" width="{_num(item.w)}" height="{_num(item.h)}" ' \
                f'fill="{xml_text(item.fill)}"'
        if item.opacity < 1:
            attrs += f' fill-opacity="{_num(item.opacity)}"'
        if item.stroke:
            attrs += f' stroke="{xml_text(item.stroke)}" stroke-width="{_num(item.stroke_width)}"'
        title = f"<title>{xml_text(item.title)}</title>" if item.title else ""
        rect = f"<rect {attrs}/>" if not title else f"<rect {attrs}>{title}</rect>"
        if item.id:
            return f'<g class="node" id="{xml_text(item.id)}">{rect}</g>'
        return rect
    if isinstance(item, Line):
        return (f'<line x1="{_num(item.x1)}" y1="{_num(item.y1)}" x2="{_num(item.x2)}" y2="{_num(item.y2)}" '
                f'stroke="{xml_text(item.stroke)}" stroke-width="{_num(item.width)}"/>')
    attrs = f'x="{_num(item.x)}" y="{_num(item.y)}" font-size="{_num(item.size)}" fill="{xml_text(item.color)}"'
    if item.anchor != "start":
        attrs += f' text-anchor="{item.anchor}"'
    if item.bold:
        attrs += ' font-weight="bold"'
    if item.italic:
        attrs += ' font-style="italic"'
    if item.rotate:
        attrs += f' transform="rotate({_num(item.rotate)} {_num(item.x)} {_num(item.y)})"'
    title = f"<title>{xml_text(item.title)}</title>" if item.title else ""
    text = f"<text {attrs}>{title}{xml_text(item.text)}</text>"
    if item.href:
        text = f'<a href="{xml_text(item.href)}">{text}</a>'
    return f'<g class="node" id="{xml_text(item.id)}">{text}</g>' if item.id else text


def svg_text(scene: Scene) -> str:
    w, h = _num(scene.width), _num(scene.height)
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}pt" height="{h}pt" viewBox="0 0 {w} {h}" '
            f'font-family="{xml_text(SVG_FONT)}">\n'
            f"<title>{xml_text(scene.title)}</title>\n"
            f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>\n')
    return head + "\n".join(_svg_item(item) for item in scene.items) + "\n</svg>\n"


# ------------------------------------------------------------------------------------------------ cairo


def _cairo_library() -> ctypes.CDLL:
    import pygraphviz

    bundled = sorted(glob.glob(os.path.join(os.path.dirname(pygraphviz.__file__), os.pardir, "pygraphviz.libs",
                                            "libcairo-*.so*")))
    name = bundled[0] if bundled else ctypes.util.find_library("cairo")
    if not name:
        raise ValueError("PNG and PDF of this picture need the cairo library (pygraphviz's wheel bundles it); "
                         "write svg or html instead")
    lib = ctypes.CDLL(name)
    p, d, i, s = ctypes.c_void_p, ctypes.c_double, ctypes.c_int, ctypes.c_char_p
    signatures: dict[str, tuple[Any, list[Any]]] = {
        "cairo_image_surface_create": (p, [i, i, i]),
        "cairo_pdf_surface_create": (p, [s, d, d]),
        "cairo_create": (p, [p]),
        "cairo_destroy": (None, [p]),
        "cairo_surface_destroy": (None, [p]),
        "cairo_surface_finish": (None, [p]),
        "cairo_surface_status": (i, [p]),
        "cairo_surface_write_to_png": (i, [p, s]),
        "cairo_scale": (None, [p, d, d]),
        "cairo_set_source_rgba": (None, [p, d, d, d, d]),
        "cairo_rectangle": (None, [p, d, d, d, d]),
        "cairo_fill": (None, [p]),
        "cairo_fill_preserve": (None, [p]),
        "cairo_stroke": (None, [p]),
        "cairo_set_line_width": (None, [p, d]),
        "cairo_move_to": (None, [p, d, d]),
        "cairo_line_to": (None, [p, d, d]),
        "cairo_save": (None, [p]),
        "cairo_restore": (None, [p]),
        "cairo_rotate": (None, [p, d]),
        "cairo_translate": (None, [p, d, d]),
        "cairo_new_path": (None, [p]),
        "cairo_select_font_face": (None, [p, s, i, i]),
        "cairo_set_font_size": (None, [p, d]),
        "cairo_text_extents": (None, [p, s, ctypes.POINTER(d * 6)]),
        "cairo_show_text": (None, [p, s]),
    }
    for fn, (restype, argtypes) in signatures.items():
        func = getattr(lib, fn)
        func.restype = restype
        func.argtypes = argtypes
    return lib


_LIB: list[ctypes.CDLL] = []


def _lib() -> ctypes.CDLL:
    if not _LIB:
        _LIB.append(_cairo_library())
    return _LIB[0]


def _rgb(colour: str) -> tuple[float, float, float]:
    colour = colour.lstrip("#")
    return tuple(int(colour[k:k + 2], 16) / 255 for k in (0, 2, 4))  # type: ignore[return-value]


def _paint(lib: ctypes.CDLL, cr: int, scene: Scene) -> None:
    lib.cairo_set_source_rgba(cr, 1, 1, 1, 1)
    lib.cairo_rectangle(cr, 0, 0, scene.width, scene.height)
    lib.cairo_fill(cr)
    extents = (ctypes.c_double * 6)()  # x_bearing, y_bearing, width, height, x_advance, y_advance
    for item in scene.items:
        if isinstance(item, Rect):
            lib.cairo_rectangle(cr, item.x, item.y, item.w, item.h)
            if item.fill != "none":
                lib.cairo_set_source_rgba(cr, *_rgb(item.fill), item.opacity)
                (lib.cairo_fill_preserve if item.stroke else lib.cairo_fill)(cr)
            if item.stroke:
                lib.cairo_set_source_rgba(cr, *_rgb(item.stroke), 1)
                lib.cairo_set_line_width(cr, item.stroke_width)
                lib.cairo_stroke(cr)
            elif item.fill == "none":
                lib.cairo_new_path(cr)
        elif isinstance(item, Line):
            lib.cairo_set_source_rgba(cr, *_rgb(item.stroke), 1)
            lib.cairo_set_line_width(cr, item.width)
            lib.cairo_move_to(cr, item.x1, item.y1)
            lib.cairo_line_to(cr, item.x2, item.y2)
            lib.cairo_stroke(cr)
        else:
            data = item.text.encode("utf-8")
            lib.cairo_select_font_face(cr, FONT.encode(), 1 if item.italic else 0, 1 if item.bold else 0)
            lib.cairo_set_font_size(cr, item.size)
            lib.cairo_set_source_rgba(cr, *_rgb(item.color), 1)
            lib.cairo_save(cr)
            lib.cairo_translate(cr, item.x, item.y)
            if item.rotate:
                lib.cairo_rotate(cr, math.radians(item.rotate))
            shift = 0.0
            if item.anchor != "start":
                lib.cairo_text_extents(cr, data, ctypes.byref(extents))
                shift = extents[4] if item.anchor == "end" else extents[4] / 2
            lib.cairo_move_to(cr, -shift, 0)
            lib.cairo_show_text(cr, data)
            lib.cairo_restore(cr)


def cairo_bytes(scene: Scene, fmt: str) -> bytes:
    from trustgraph.render.engine import filtered_stderr

    lib = _lib()
    with tempfile.TemporaryDirectory() as tmp, filtered_stderr():
        target = Path(tmp) / f"scene.{fmt}"
        if fmt == "png":
            scale = scene.raster_scale
            surface = lib.cairo_image_surface_create(0, math.ceil(scene.width * scale),  # 0: ARGB32
                                                     math.ceil(scene.height * scale))
        else:
            scale = 1.0
            surface = lib.cairo_pdf_surface_create(str(target).encode(), scene.width, scene.height)
        if lib.cairo_surface_status(surface) != 0:
            lib.cairo_surface_destroy(surface)
            raise ValueError(f"cairo could not make a {fmt} surface of {scene.width:.0f}×{scene.height:.0f}")
        cr = lib.cairo_create(surface)
        try:
            if scale != 1.0:
                lib.cairo_scale(cr, scale, scale)
            _paint(lib, cr, scene)
        finally:
            lib.cairo_destroy(cr)
        if fmt == "png":
            status = lib.cairo_surface_write_to_png(surface, str(target).encode())
            lib.cairo_surface_destroy(surface)
            if status != 0:
                raise ValueError(f"cairo could not write the PNG (status {status})")
        else:
            lib.cairo_surface_finish(surface)
            lib.cairo_surface_destroy(surface)
        return target.read_bytes()

