"""Shared input options (--input, --role-arn, --graph) and loading with diagnostics on stderr."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click
import networkx as nx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from trustgraph.graph.build import build_graph
from trustgraph.graph.serialize import GraphFileError, load_graph
from trustgraph.model import Snapshot
from trustgraph.sources.files import load_inputs
from trustgraph.sources.report import LoadReport

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--input", "-i", "inputs", multiple=True, type=click.Path(),
                  help="File or directory to read (repeatable). Formats are detected by content.")
    @click.option("--graph", "graph_file", type=click.Path(dir_okay=False),
                  help="A graph saved by `trustgraph build` (instead of --input; no rebuild).")
    @click.option("--role-arn", "policy_role_arn", help="Role ARN for a bare trust policy file.")
    @click.option("--quiet", "-q", is_flag=True, help="Only errors on stderr, no load summary.")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def report_load(report: LoadReport, quiet: bool) -> None:
    for diag in report.diagnostics:
        if diag.level == "error" or not quiet:
            colour = "red" if diag.level == "error" else "yellow"
            stderr.print(f"[{colour}]{diag.level}[/]: {diag.source}"
                         + (f" at {diag.location}" if diag.location else "") + f": {diag.message}",
                         markup=True, highlight=False)
    if not quiet and (report.files_rejected or report.skipped or report.diagnostics):
        stderr.print("summary: " + "; ".join(report.summary_lines()))


def load_snapshot(inputs: tuple[str, ...], role_arn: str | None, quiet: bool) -> tuple[Snapshot, LoadReport]:
    if not inputs:
        raise click.UsageError("give at least one --input PATH (or --graph FILE)")
    snapshot, report = load_inputs(inputs, role_arn=role_arn)
    report_load(report, quiet)
    if not report.usable or (not snapshot.roles and not snapshot.users):
        stderr.print("error: no usable IAM data in the inputs")
        sys.exit(2)
    return snapshot, report


def obtain_graph(inputs: tuple[str, ...], graph_file: str | None, role_arn: str | None,
                 quiet: bool) -> nx.DiGraph:
    if graph_file:
        if inputs:
            raise click.UsageError("use either --graph or --input, not both")
        try:
            return load_graph(graph_file)
        except GraphFileError as exc:
            stderr.print(f"error: {exc}")
            sys.exit(2)
    snapshot, _ = load_snapshot(inputs, role_arn, quiet)
    return build_with_progress(snapshot, quiet)


def build_with_progress(snapshot: Snapshot, quiet: bool) -> nx.DiGraph:
    if quiet or not stderr.is_terminal or len(snapshot.roles) < 2000:
        return build_graph(snapshot)
    with Progress(TextColumn("building trust graph"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=stderr, transient=True) as progress:
        task = progress.add_task("build", total=len(snapshot.roles))
        return build_graph(snapshot, progress=lambda done, total: progress.update(task, completed=done))
