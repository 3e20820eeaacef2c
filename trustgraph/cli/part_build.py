"""`trustgraph build --part K/N` (or `--ou`, `--account`): one part of an organization's graph, built on one machine
of several and merged with `trustgraph merge` (graph/parts.py, docs/scale-out.md)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime

import click
import networkx as nx

from trustgraph.cli import cache
from trustgraph.cli.inputs import InputSpec, apply_account_files, load_snapshot, parallel_notes, stderr
from trustgraph.cli.progress import phase
from trustgraph.cli.terminal import safe
from trustgraph.graph.build import build_graph
from trustgraph.graph.parts import PART, batch, in_units, universe
from trustgraph.model import Snapshot
from trustgraph.saved.serialize import save_graph
from trustgraph.version import __version__


@dataclass(frozen=True, slots=True)
class PartSelection:
    part: tuple[int, int] | None  # K, N of --part K/N
    units: tuple[str, ...]  # --ou
    accounts: tuple[str, ...]  # --account
    data_time: datetime | None  # --data-time

    @property
    def given(self) -> bool:
        return self.part is not None or bool(self.units) or bool(self.accounts)


def parse_part(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    """--part K/N: 1 <= K <= N."""
    if value is None:
        return None
    k, sep, n = value.partition("/")
    if not sep or not k.isdigit() or not n.isdigit() or not 1 <= int(k) <= int(n):
        raise click.BadParameter(f"{value!r}: give K/N with 1 <= K <= N (e.g. 2/3)")
    return int(k), int(n)


def parse_time(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give an ISO 8601 time, e.g. 2026-01-31T00:00:00Z") from None


def _accounts(selection: PartSelection, snapshot: Snapshot) -> frozenset[str]:
    if selection.part is not None:
        return batch(snapshot, *selection.part)
    known = set(universe(snapshot))
    for account in selection.accounts:
        if account not in known:
            raise ValueError(f"--account {account}: no such account in the inputs")
    return (in_units(snapshot, selection.units) if selection.units else frozenset()) | frozenset(selection.accounts)


def build_part(spec: InputSpec, selection: PartSelection, output: str) -> nx.DiGraph:
    """Build the part of the organization `selection` names and save it, with the snapshot, to `output`."""
    if spec.graph_file:
        raise click.UsageError("--part, --ou and --account build from --input: every part reads the whole "
                               "organization's inputs")
    if selection.part is not None and (selection.units or selection.accounts):
        raise click.UsageError("--part K/N cuts the accounts by itself: give it alone, or --ou/--account instead")
    snapshot, report = load_snapshot(spec.inputs, spec.role_arn, spec.quiet, spec.iac)
    if selection.data_time is None and not snapshot.collected_at:
        stderr.print("error: the inputs hold no collection time: give every part the same --data-time (time "
                     "conditions are decided as of it, and the parts must agree)")
        sys.exit(2)
    try:
        accounts = _accounts(selection, snapshot)
    except ValueError as exc:
        stderr.print(f"error: {safe(exc)}")
        sys.exit(2)
    with phase("digest inputs", quiet=spec.quiet):
        digest = cache.inputs_digest(spec.inputs, spec.role_arn, spec.iac)
    owned = sum(1 for r in snapshot.roles.values() if r.account in accounts)
    with phase("build part", total=owned, quiet=spec.quiet, unit="roles") as tick, parallel_notes():
        graph = build_graph(snapshot, progress=tick, data_time=selection.data_time, part=accounts, jobs=spec.jobs)
    info = graph.graph[PART]
    info.update(index=selection.part[0] if selection.part else None,
                count=selection.part[1] if selection.part else None,
                units=list(selection.units), inputs=digest, trustgraph=__version__)
    apply_account_files(graph, spec)
    with phase("save graph", quiet=spec.quiet):
        save_graph(graph, output, snapshot=snapshot, report=report, inputs=spec.inputs)
    if not spec.quiet:
        which = f"part {selection.part[0]}/{selection.part[1]}" if selection.part else "part"
        stderr.print(f"wrote {safe(output)}: {which} ({len(accounts)} accounts, {owned} roles): "
                     f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges; "
                     f"{len(info.get('writes', ()))} policy writes left to the merge")
    return graph
