"""Shared input options (--input, --role-arn, --graph) and loading with diagnostics on stderr."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
import networkx as nx
from rich.console import Console

from trustgraph.cli.progress import phase
from trustgraph.graph.build import build_graph
from trustgraph.graph.classification import annotate
from trustgraph.graph.serialize import load_graph
from trustgraph.model import Snapshot
from trustgraph.sources.files import load_inputs
from trustgraph.sources.known_accounts import load_account_names, load_known_accounts
from trustgraph.sources.report import LoadReport

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass(frozen=True, slots=True)
class InputSpec:
    inputs: tuple[str, ...]
    graph_file: str | None
    role_arn: str | None
    known_accounts: str | None
    accounts_file: str | None
    quiet: bool


def input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Adds the shared input options; the command receives them as one `spec: InputSpec` argument."""

    @click.option("--input", "-i", "inputs", multiple=True, type=click.Path(),
                  help="File or directory to read (repeatable). Formats are detected by content.")
    @click.option("--graph", "graph_file", type=click.Path(dir_okay=False),
                  help="A graph saved by `trustgraph build` (instead of --input; no rebuild).")
    @click.option("--role-arn", "policy_role_arn", help="Role ARN for a bare trust policy file.")
    @click.option("--known-accounts", type=click.Path(exists=True, dir_okay=False),
                  help="YAML list of known third-party accounts ({name, source, accounts, type}).")
    @click.option("--accounts-file", type=click.Path(exists=True, dir_okay=False),
                  help="Your own accounts: id → name (YAML/JSON mapping or CSV id,name).")
    @click.option("--quiet", "-q", is_flag=True, help="Only errors on stderr: no load summary, no progress.")
    @functools.wraps(func)
    def wrapper(*args: Any, inputs: tuple[str, ...], graph_file: str | None, policy_role_arn: str | None,
                known_accounts: str | None, accounts_file: str | None, quiet: bool, **kwargs: Any) -> Any:
        spec = InputSpec(inputs, graph_file, policy_role_arn, known_accounts, accounts_file, quiet)
        return func(*args, spec=spec, **kwargs)

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
    with phase("read inputs", quiet=quiet, unit="files") as tick:
        snapshot, report = load_inputs(inputs, role_arn=role_arn, progress=tick)
    report_load(report, quiet)
    if not report.usable or (not snapshot.roles and not snapshot.users):
        stderr.print("error: no usable IAM data in the inputs")
        sys.exit(2)
    return snapshot, report


def obtain_graph(spec: InputSpec) -> nx.DiGraph:
    if spec.graph_file:
        if spec.inputs:
            raise click.UsageError("use either --graph or --input, not both")
        with phase("read graph", quiet=spec.quiet):
            graph = load_graph(spec.graph_file)
    else:
        snapshot, _ = load_snapshot(spec.inputs, spec.role_arn, spec.quiet)
        graph = build_with_progress(snapshot, spec.quiet)
    apply_account_files(graph, spec)
    return graph


def apply_account_files(graph: nx.DiGraph, spec: InputSpec) -> None:
    vendors = load_known_accounts(spec.known_accounts) if spec.known_accounts else None
    names = load_account_names(spec.accounts_file) if spec.accounts_file else None
    if vendors or names:
        annotate(graph, vendors=vendors, names=names)


def build_with_progress(snapshot: Snapshot, quiet: bool) -> nx.DiGraph:
    with phase("build graph", total=len(snapshot.roles), quiet=quiet, unit="roles") as tick:
        return build_graph(snapshot, progress=tick)
