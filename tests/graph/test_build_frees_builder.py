"""The builder's working state (callers, identity profiles, trust classes, organization verdicts) is freed
when build_graph returns: the build pauses the collector and then freezes what is alive, so anything left in a
reference cycle would stay for the life of the process (docs/performance.md, "Where the memory goes")."""

from __future__ import annotations

import gc
from pathlib import Path

from trustgraph import build_graph, load_inputs
from trustgraph.gc_pause import collector_paused
from trustgraph.graph.build import GraphBuilder

ACME = Path(__file__).resolve().parents[2] / "samples" / "acme"


def _live_builders() -> int:
    """GraphBuilder objects alive, reachable or not (an automatic collection must not free them meanwhile)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        gc.unfreeze()  # frozen objects are invisible to gc.get_objects
        return sum(1 for o in gc.get_objects() if isinstance(o, GraphBuilder))
    finally:
        if was_enabled:
            gc.enable()


def test_build_graph_frees_builder() -> None:
    snapshot, _ = load_inputs([ACME])
    gc.unfreeze()  # builders other tests left behind are collected first
    gc.collect()
    before = _live_builders()
    graph = build_graph(snapshot)
    assert graph.number_of_edges() > 0
    assert _live_builders() == before


def test_build_graph_frees_builder_control_cycle_kept() -> None:
    # Negative control: the builder used as build_graph used it before, its cycle left in place, is still
    # alive after the freeze (unreachable, never collected).
    snapshot, _ = load_inputs([ACME])
    gc.unfreeze()  # builders other tests left behind are collected first
    gc.collect()
    before = _live_builders()
    with collector_paused():
        GraphBuilder(snapshot).build()
    assert _live_builders() == before + 1
    gc.collect()
    assert _live_builders() == before
