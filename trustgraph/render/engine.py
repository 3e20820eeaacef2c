"""Draw DOT with the Graphviz engine that ships inside pygraphviz's wheels (no system Graphviz needed)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import graphviz

FORMATS = ("svg", "png", "pdf", "dot", "html")
# Messages of the bundled Graphviz that say nothing about the picture: sfdp always reports the missing
# triangulation library (its fallback works), pygraphviz warns about any graph above 1,000 nodes, and the
# bundled fontconfig does not know newer elements of the system's font configuration.
_NOISE = ("Graphviz not built with triangulation library", "layout may take a long time", "Fontconfig warning",
          "Overlap value \"prism\" unsupported")


@contextmanager
def _filtered_stderr() -> Iterator[None]:
    """Graphviz writes warnings straight to file descriptor 2: pass on all but the known noise."""
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
                if line.strip() and not any(noise in line for noise in _NOISE):
                    sys.stderr.write(line + "\n")


def draw_bytes(dot: graphviz.Digraph, fmt: str) -> bytes:
    """The drawing of `dot` in `fmt` (svg, png, pdf), laid out with the graph's engine."""
    import pygraphviz

    agraph = pygraphviz.AGraph(string=dot.source)
    raster_size = getattr(dot, "raster_size", "")
    if raster_size and fmt == "png":
        agraph.graph_attr["size"] = raster_size  # a thousand accounts would make a 10,000-pixel PNG
    with _filtered_stderr():
        return agraph.draw(format=fmt, prog=dot.engine)


def render(dot: graphviz.Digraph, output: str | Path, fmt: str | None = None) -> Path:
    """Write `dot` to `output` as svg, png, pdf, dot (the source) or html (self-contained, interactive)."""
    target = Path(output)
    fmt = fmt or (target.suffix.lstrip(".").lower() or "svg")
    if fmt == "htm":
        fmt = "html"
    if fmt not in FORMATS:
        raise ValueError(f"unsupported format {fmt!r}; choose one of {', '.join(FORMATS)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=f".{fmt}")
    os.close(fd)
    try:
        if fmt == "dot":
            Path(tmp).write_text(dot.source, encoding="utf-8")
        elif fmt == "html":
            from trustgraph.render.html import html_page

            svg = draw_bytes(dot, "svg").decode("utf-8")
            page = html_page(svg, dict(getattr(dot, "evidence", {})), title=getattr(dot, "title", "") or "trustgraph")
            Path(tmp).write_text(page, encoding="utf-8")
        else:
            Path(tmp).write_bytes(draw_bytes(dot, fmt))
        # mkstemp creates the file private (0600); a picture gets the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
