"""Shared input options (--input, --role-arn, --graph) and loading with diagnostics on stderr.

Commands get their data through `obtain_graph`, `obtain_snapshot_and_graph` or
`obtain_graph_and_organization`: from a saved graph (--graph), or by reading and building the inputs.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import networkx as nx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from trustgraph.graph.build import build_graph
from trustgraph.graph.classification import annotate
from trustgraph.graph.serialize import read_saved, save_graph
from trustgraph.model import Organization, Snapshot
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
    @click.option("--quiet", "-q", is_flag=True, help="Only errors on stderr, no load summary.")
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
    snapshot, report = load_inputs(inputs, role_arn=role_arn)
    report_load(report, quiet)
    if not report.usable or (not snapshot.roles and not snapshot.users):
        stderr.print("error: no usable IAM data in the inputs")
        sys.exit(2)
    return snapshot, report


@dataclass(slots=True)
class Loaded:
    """The graph (account files applied) and what else the command asked for."""

    graph: nx.DiGraph
    snapshot: Snapshot | None = None
    report: LoadReport | None = None
    inputs: list[str] = field(default_factory=list)


def obtain_graph(spec: InputSpec) -> nx.DiGraph:
    return obtain(spec).graph


def obtain_snapshot_and_graph(spec: InputSpec) -> tuple[Snapshot, nx.DiGraph]:
    """For commands that read the policies too (findings, review); a --graph file must hold them."""
    loaded = obtain(spec, snapshot=True, require_snapshot=True)
    assert loaded.snapshot is not None
    return loaded.snapshot, loaded.graph


def obtain_graph_and_organization(spec: InputSpec) -> tuple[nx.DiGraph, Organization | None]:
    """The graph, and the organization (OU names) when the inputs or the saved graph have it."""
    loaded = obtain(spec, snapshot=("organization",))
    return loaded.graph, loaded.snapshot.organization if loaded.snapshot else None


def recorded_inputs(spec: InputSpec) -> list[str]:
    """The inputs as the user gave them: --input, or those the --graph file was built from."""
    return read_saved(spec.graph_file).inputs if spec.graph_file else list(spec.inputs)


def obtain(spec: InputSpec, *, snapshot: bool | tuple[str, ...] = False, require_snapshot: bool = False) -> Loaded:
    """Load per the spec. `snapshot`: False, True (all of it) or the Snapshot fields wanted; inputs read
    afresh always give the whole snapshot."""
    if spec.graph_file:
        if spec.inputs:
            raise click.UsageError("use either --graph or --input, not both")
        saved = read_saved(spec.graph_file, snapshot=snapshot, report=True, require_snapshot=require_snapshot)
        loaded = Loaded(saved.graph, saved.snapshot, saved.report, saved.inputs)
    else:
        loaded = _from_inputs(spec, snapshot)
    apply_account_files(loaded.graph, spec)
    return loaded


def _from_inputs(spec: InputSpec, snapshot: bool | tuple[str, ...]) -> Loaded:
    if not spec.inputs:
        raise click.UsageError("give at least one --input PATH (or --graph FILE)")
    built, report = load_snapshot(spec.inputs, spec.role_arn, spec.quiet)
    return Loaded(build_with_progress(built, spec.quiet), built, report, list(spec.inputs))


def build_saved(spec: InputSpec, output: str | Path) -> nx.DiGraph:
    """`trustgraph build`: obtain the graph (from --input, or re-save a --graph file) and write it to
    `output` with the snapshot, so that every command can run from it."""
    loaded = obtain(spec, snapshot=bool(spec.graph_file))
    save_loaded(loaded, spec, output)
    return loaded.graph


def save_loaded(loaded: Loaded, spec: InputSpec, output: str | Path) -> None:
    """Write what was obtained to `output` as a saved graph, with the snapshot when there is one."""
    save_graph(loaded.graph, output, snapshot=loaded.snapshot, report=loaded.report, inputs=loaded.inputs)


def apply_account_files(graph: nx.DiGraph, spec: InputSpec) -> None:
    vendors = load_known_accounts(spec.known_accounts) if spec.known_accounts else None
    names = load_account_names(spec.accounts_file) if spec.accounts_file else None
    if vendors or names:
        annotate(graph, vendors=vendors, names=names)


def build_with_progress(snapshot: Snapshot, quiet: bool) -> nx.DiGraph:
    if quiet or not stderr.is_terminal or len(snapshot.roles) < 2000:
        return build_graph(snapshot)
    with Progress(TextColumn("building trust graph"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=stderr, transient=True) as progress:
        task = progress.add_task("build", total=len(snapshot.roles))
        return build_graph(snapshot, progress=lambda done, total: progress.update(task, completed=done))
