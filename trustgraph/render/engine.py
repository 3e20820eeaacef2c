"""Draw DOT with the Graphviz engine that ships inside pygraphviz's wheels (no system Graphviz needed)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeAlias, runtime_checkable

import graphviz

from trustgraph.atomic import write_bytes

FORMATS = ("svg", "png", "pdf", "dot", "html", "json")
# Formats that are text, and so can be written to standard output (`-o -`).
TEXT_FORMATS = ("svg", "dot", "html", "json")
# Messages of the bundled Graphviz that say nothing about the picture: sfdp always reports the missing
# triangulation library (its fallback works), pygraphviz warns about any graph above 1,000 nodes, and the
# bundled fontconfig does not know newer elements of the system's font configuration.
_NOISE = ("Graphviz not built with triangulation library", "layout may take a long time", "Fontconfig warning",
          "Overlap value \"prism\" unsupported")


class GraphvizError(Exception):
    """Graphviz could not draw the picture: one line saying why."""


@contextmanager
def filtered_stderr(errors: list[str] | None = None) -> Iterator[None]:
    """Graphviz writes warnings straight to file descriptor 2: pass on all but the known noise. Lines that
    report an error are collected in `errors` (when given) instead, for the caller's one-line message."""
    # The C library writes to descriptor 2 itself, whatever Python's sys.stderr is (Jupyter replaces it).
    fd = 2
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            for line in sink.read().decode("utf-8", "replace").splitlines():
                if not line.strip() or any(noise in line for noise in _NOISE):
                    continue
                if errors is not None and line.lstrip().lower().startswith("error"):
                    errors.append(line.strip())
                else:
                    sys.stderr.write(line + "\n")


def _long_side(source: str, rankdir: str) -> float:
    import pygraphviz

    trial = pygraphviz.AGraph(string=source)  # AGraph.copy() loses HTML labels
    trial.graph_attr["rankdir"] = rankdir
    trial.layout(prog="dot")
    _, _, width, height = (float(x) for x in str(trial.graph_attr["bb"]).split(","))
    return max(width, height)


def _shorter_direction(source: str) -> str:
    """LR or TB, whichever lays the graph out with the shorter long side. A who-can-reach picture of a break-glass
    role at 1,000 accounts is 7,200 px wide left to right (ten ranks of wide role boxes) and 4,800 top to bottom;
    an account's picture the other way round. Costs one more layout, for the pictures marked `turnable` only."""
    return min(("LR", "TB"), key=lambda rankdir: _long_side(source, rankdir))


def draw_bytes(dot: graphviz.Digraph, fmt: str) -> bytes:
    """The drawing of `dot` in `fmt` (svg, png, pdf), laid out with the graph's engine. Raises GraphvizError
    (one line, Graphviz's own reason) when Graphviz rejects the graph or draws nothing."""
    import pygraphviz

    errors: list[str] = []
    data = b""
    failure: Exception | None = None
    with filtered_stderr(errors):
        try:
            agraph = pygraphviz.AGraph(string=dot.source)
            if getattr(dot, "turnable", False) and dot.engine == "dot":
                agraph.graph_attr["rankdir"] = _shorter_direction(dot.source)
            raster_size = getattr(dot, "raster_size", "")
            if raster_size and fmt == "png":
                agraph.graph_attr["size"] = raster_size  # a thousand accounts would make a 10,000-pixel PNG
            data = agraph.draw(format=fmt, prog=dot.engine)
        except (pygraphviz.agraph.DotError, OSError, ValueError) as exc:
            failure = exc
    if failure is not None or errors or not data:
        reason = errors[0] if errors else (str(failure) if failure else "no output")
        raise GraphvizError(f"Graphviz could not draw the {fmt} picture: {reason}")
    return data


@runtime_checkable
class Drawing(Protocol):
    """A picture drawn without Graphviz's layout (the matrix): it writes its own formats."""

    title: str
    evidence: Mapping[str, Any]

    def draw(self, fmt: str) -> bytes: ...


Picture: TypeAlias = graphviz.Digraph | Drawing


def output_format(output: str | Path, fmt: str | None) -> str:
    """The format asked for: `fmt`, else the suffix of `output` (svg for `-` and no suffix)."""
    fmt = fmt or (Path(str(output)).suffix.lstrip(".").lower() if str(output) != "-" else "") or "svg"
    fmt = "html" if fmt == "htm" else fmt
    if fmt not in FORMATS:
        raise ValueError(f"unsupported format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def picture_bytes(picture: Picture, fmt: str) -> bytes:
    """`picture` in `fmt`: svg, png, pdf, json (what each element shows, with its evidence), dot (the source)
    or html (self-contained, interactive)."""
    if fmt == "html":
        from trustgraph.render.html import html_page

        svg = picture_bytes(picture, "svg").decode("utf-8")
        title = getattr(picture, "title", "") or "trustgraph"
        marks = getattr(picture, "marks", None)
        page = html_page(svg, dict(getattr(picture, "evidence", {})), title=title,
                         findings=getattr(marks, "details", None))
        return page.encode("utf-8")
    if isinstance(picture, Drawing):
        return picture.draw(fmt)
    if fmt == "dot":
        return picture.source.encode("utf-8")
    if fmt == "json":
        # What is drawn and why: every element's evidence. (Graphviz's own -Tjson crashes the bundled
        # engine on HTML-like labels.)
        from trustgraph.render.dot import jsonable

        evidence = getattr(picture, "evidence", {})
        data = {"title": getattr(picture, "title", ""), "picture": picture.name,
                "layout": getattr(picture, "layout", "") or picture.engine,
                "elements": {key: jsonable(evidence[key]) for key in evidence}}
        return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    return draw_bytes(picture, fmt)


def render(dot: Picture, output: str | Path, fmt: str | None = None) -> Path:
    """Write `dot` to `output` as svg, png, pdf, json, dot (the source) or html (self-contained, interactive): the
    whole picture or, on a write error (OutputError), the previous file untouched."""
    target = Path(output)
    fmt = output_format(target, fmt)
    write_bytes(target, picture_bytes(dot, fmt))
    return target
