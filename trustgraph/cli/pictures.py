"""What every picture command shares: the graph, the snapshot parts the view needs, and the marks (sensitive roles
and roles with findings, the definitions `findings` uses), which are made once per build and kept with the saved
graph and the build cache entry (`trustgraph.analysis.marks`, docs/pictures.md), and `--no-marks`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import networkx as nx

from trustgraph.analysis.marks import NO_MARKS, Marks
from trustgraph.cli.inputs import InputSpec, obtain
from trustgraph.graph.usage import has_usage
from trustgraph.model import Snapshot

NO_MARKS_HELP = ("Draw no sensitive-role or findings marks, and skip the findings rules that make them when the "
                 "build does not hold them yet.")


def no_marks_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--no-marks` for every command that draws."""
    return click.option("--no-marks", "no_marks", is_flag=True, help=NO_MARKS_HELP)(func)


USAGE_HELP = ("Draw each edge by observed use (needs CloudTrail events in -i, docs/usage.md): used solid, labelled "
              "with its last use and calls; not used in a window the events cover faint and dashed; outside the "
              "coverage unchanged (usage unknown).")


def usage_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--usage` for every command that draws paths."""
    return click.option("--usage", "usage", is_flag=True, help=USAGE_HELP)(func)


def require_usage(graph: nx.DiGraph, option: str = "--usage") -> None:
    """A usage error (exit 2) when the graph holds no usage data: nothing to draw by use."""
    if not has_usage(graph):
        raise click.BadParameter("no usage data is loaded: pass CloudTrail events with -i (docs/usage.md)",
                                 param_hint=option)


def load_picture(spec: InputSpec, *, snapshot: bool | tuple[str, ...] = False, patterns: tuple[str, ...] = (),
                 marks: bool = True) -> tuple[nx.DiGraph, Snapshot | None, Marks]:
    """The graph, the snapshot (the fields asked for; None for a saved graph that holds no policies) and the
    marks: those of the build (read, not made again) or, with `marks` False, none at all."""
    loaded = obtain(spec, snapshot=snapshot, marks=patterns if marks else None)
    return loaded.graph, loaded.snapshot, loaded.marks or NO_MARKS
