"""Draw DOT with the Graphviz engine that ships inside pygraphviz's wheels (no system Graphviz needed)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import graphviz

FORMATS = ("svg", "png", "pdf", "dot")


def render(dot: graphviz.Digraph, output: str | Path, fmt: str | None = None) -> Path:
    target = Path(output)
    fmt = fmt or (target.suffix.lstrip(".").lower() or "svg")
    if fmt not in FORMATS:
        raise ValueError(f"unsupported format {fmt!r}; choose one of {', '.join(FORMATS)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=f".{fmt}")
    os.close(fd)
    try:
        if fmt == "dot":
            Path(tmp).write_text(dot.source, encoding="utf-8")
        else:
            import pygraphviz

            agraph = pygraphviz.AGraph(string=dot.source)
            agraph.draw(tmp, format=fmt, prog=dot.engine)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
