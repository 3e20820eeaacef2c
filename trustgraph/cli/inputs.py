"""Shared input options (--input, --role-arn, --graph, --no-cache, --jobs, --account-id, --parameter) and loading with
diagnostics on stderr.

Commands get their data through `obtain_graph`, `obtain_snapshot_and_graph` or
`obtain_graph_and_organization`: from a saved graph (--graph), from the build cache when the inputs did
not change, or by reading and building (and then caching) the inputs.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click
import networkx as nx
from rich.console import Console

from trustgraph.analysis.marks import Marks, MarksFormatError, compute_marks
from trustgraph.cli import cache
from trustgraph.cli.progress import phase
from trustgraph.cli.terminal import safe
from trustgraph.graph import parallel
from trustgraph.graph.classification import annotate
from trustgraph.graph.parallel import ParallelNote, cores, memory_bound
from trustgraph.graph.schema import VIA_ALL, via_groups, via_kinds
from trustgraph.load_report import LoadReport
from trustgraph.model import Organization, Snapshot
from trustgraph.saved.lazy import LazyGraph, in_sqlite, open_lazy, stored_report, stored_snapshot
from trustgraph.saved.serialize import GraphFileError, keep_products, read_saved, save_graph, saved_inputs
from trustgraph.saved.store import copy_store
from trustgraph.sources.iac import IacOptionError, IacOptions, parse_options
from trustgraph.sources.known_accounts import load_account_names, load_known_accounts

stderr = Console(stderr=True, highlight=False, soft_wrap=True)

# --via of the commands that follow edges: the schema's groups.
VIA_HELP = f"Edge kinds to follow: {', '.join(via_groups())} (repeatable or comma list; default {VIA_ALL})."


def load_inputs(*args: Any, **kwargs: Any) -> tuple[Snapshot, LoadReport]:
    """`sources.files.load_inputs`, imported when inputs are read: a query of a saved graph never loads the
    readers (a tenth of its time)."""
    from trustgraph.sources.files import load_inputs as read
    return read(*args, **kwargs)


def build_graph(snapshot: Snapshot, **kwargs: Any) -> nx.DiGraph:
    """`graph.build.build_graph`, imported when a graph is built (not for a saved graph's query)."""
    from trustgraph.graph.build import build_graph as build
    return build(snapshot, **kwargs)


@dataclass(frozen=True, slots=True)
class InputSpec:
    inputs: tuple[str, ...]
    graph_file: str | None
    role_arn: str | None
    known_accounts: str | None
    accounts_file: str | None
    quiet: bool
    no_cache: bool = False
    # Values Terraform plans and CloudFormation templates leave to deploy time (--account-id, --parameter).
    iac: IacOptions = field(default_factory=IacOptions)
    # Inputs that may rightly hold no role or user: a state of a plan (before one that creates everything, after
    # one that destroys everything, either side of one that changes no IAM resource).
    empty_ok: bool = False
    # A saved graph whose snapshot the inputs are read over, as one more export (diff: a saved live graph and a plan).
    over_graph: str | None = None
    jobs: int = 1  # processes the build may use (--jobs): not in the cache key, the graph is the same for any


def reading_options(both_sides: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options on how inputs are read (everything but the inputs themselves), for `input_options` and for
    commands that read two sides with them (`diff`: `both_sides` says so in the help)."""
    sides = " Both sides." if both_sides else ""
    options = (
        click.option("--role-arn", "policy_role_arn", help="Role ARN for a bare trust policy file." + sides),
        click.option("--known-accounts", type=click.Path(exists=True, dir_okay=False),
                     help="YAML list of known third-party accounts ({name, source, accounts, type})."),
        click.option("--accounts-file", type=click.Path(exists=True, dir_okay=False),
                     help="Your own accounts: id → name (YAML/JSON mapping or CSV id,name)."),
        click.option("--quiet", "-q", is_flag=True, help="Only errors on stderr: no load summary, no progress."),
        click.option("--no-cache", is_flag=True,
                     help="Neither read nor write the build cache (see TRUSTGRAPH_CACHE_DIR); always rebuild."),
        click.option("--jobs", type=click.IntRange(min=1), default=cores,
                     show_default="the machine's cores", envvar="TRUSTGRAPH_JOBS", metavar="N",
                     help="Processes the build may use (also TRUSTGRAPH_JOBS); 1 builds in one process. The graph "
                          "is the same for any N; inputs too small to pay for more are built in one."),
        click.option("--account-id", "iac_account", metavar="ID",
                     help="Account the Terraform plans and CloudFormation templates deploy to (their unknown ARNs)."
                          + sides),
        click.option("--parameter", "iac_parameters", multiple=True, metavar="KEY=VALUE",
                     help="CloudFormation template parameter or pseudo parameter (AWS::Region=…) value (repeatable)."
                          + sides),
    )

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def iac_options(account: str | None, parameters: tuple[str, ...]) -> IacOptions:
    """--account-id and --parameter as IacOptions; a malformed value is a usage error."""
    try:
        return parse_options(account, parameters)
    except IacOptionError as exc:
        raise click.UsageError(str(exc)) from None


def input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Adds the shared input options; the command receives them as one `spec: InputSpec` argument."""

    @click.option("--input", "-i", "inputs", multiple=True, type=click.Path(),
                  help="File or directory to read (repeatable). Formats are detected by content.")
    @click.option("--graph", "graph_file", type=click.Path(dir_okay=False),
                  help="A graph saved by `trustgraph build` (instead of --input; no rebuild).")
    @reading_options()
    @functools.wraps(func)
    def wrapper(*args: Any, inputs: tuple[str, ...], graph_file: str | None, policy_role_arn: str | None,
                known_accounts: str | None, accounts_file: str | None, quiet: bool, no_cache: bool, jobs: int,
                iac_account: str | None, iac_parameters: tuple[str, ...], **kwargs: Any) -> Any:
        spec = InputSpec(inputs, graph_file, policy_role_arn, known_accounts, accounts_file, quiet, no_cache,
                         iac_options(iac_account, iac_parameters), jobs=jobs)
        return func(*args, spec=spec, **kwargs)

    return wrapper


def report_load(report: LoadReport, quiet: bool) -> None:
    for diag in report.diagnostics:
        if diag.level == "error" or not quiet:
            colour = "red" if diag.level == "error" else "yellow"
            stderr.print(f"[{colour}]{diag.level}[/]: {safe(diag.source)}"
                         + (f" at {safe(diag.location)}" if diag.location else "") + f": {safe(diag.message)}",
                         markup=True, highlight=False)
    if not quiet and (report.files_rejected or report.skipped or report.diagnostics):
        stderr.print("summary: " + safe("; ".join(report.summary_lines())))


def load_snapshot(inputs: tuple[str, ...], role_arn: str | None, quiet: bool,
                  iac: IacOptions | None = None, empty_ok: bool = False,
                  over_graph: str | None = None) -> tuple[Snapshot, LoadReport]:
    if not inputs:
        raise click.UsageError("give at least one --input PATH (or --graph FILE)")
    base = None
    if over_graph is not None:
        with phase("read graph", quiet=quiet):
            saved = read_saved(over_graph, snapshot=True, require_snapshot=True)
        assert saved.snapshot is not None
        base = (saved.snapshot, over_graph)
    with phase("read inputs", quiet=quiet, unit="files") as tick:
        snapshot, report = load_inputs(inputs, role_arn=role_arn, progress=tick, iac=iac, base=base)
    report_load(report, quiet)
    if not report.usable or (not snapshot.roles and not snapshot.users and not empty_ok):
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
    cached: Path | None = None  # the cache entry holding this graph as built (before the account files)
    marks: Marks | None = None  # what pictures mark, when asked for (`obtain(marks=…)`)


def obtain_graph(spec: InputSpec) -> nx.DiGraph:
    return obtain(spec).graph


def obtain_query_graph(spec: InputSpec, snapshot: bool = False) -> Loaded:
    """For the queries (who-can-reach, reach, path): a saved graph (--graph, or the build cache entry of the inputs)
    read on demand, so that the answer reads the rows it touches, not the whole file (`trustgraph.saved.lazy`);
    loaded whole when it cannot be (an older file, --known-accounts or --accounts-file, which change every node).
    `snapshot`: the command may need it (loaded whole); a graph read on demand comes without it, and
    `query_snapshot` reads it when the answer needs it."""
    if spec.known_accounts or spec.accounts_file:
        return obtain(spec, snapshot=snapshot)
    if spec.graph_file:
        if spec.inputs:
            raise click.UsageError("use either --graph or --input, not both")
        graph = None
        if in_sqlite(spec.graph_file):  # the JSON of older versions is loaded whole, in its own phase
            with phase("read graph", quiet=spec.quiet):  # the meta table and the graph attributes
                graph = open_lazy(spec.graph_file)
        if graph is not None:
            return Loaded(graph)
        return obtain(spec, snapshot=snapshot)
    return obtain(spec, snapshot=snapshot, lazy=True)


Answer = TypeVar("Answer")


def query_answer(spec: InputSpec, loaded: Loaded, ask: Callable[[nx.DiGraph], Answer],
                 snapshot: bool = False) -> tuple[Loaded, Answer]:
    """`ask(graph)` on what `obtain_query_graph` gave. A build cache entry found damaged by the search (a row that
    does not match its digest) is removed and built again, with a warning, as when it is found damaged on opening;
    what is found damaged afterwards is a one-line error (and the entry is removed)."""
    entry, graph = loaded.cached, loaded.graph
    if entry is None or not isinstance(graph, LazyGraph):
        return loaded, ask(graph)

    def removed() -> str:
        _discard(entry)
        return ""

    graph.when_damaged(removed)
    try:
        answer = ask(graph)
    except GraphFileError as exc:
        if not spec.quiet:
            stderr.print(f"warning: the build cache entry is unusable, rebuilding: {safe(exc)}")
        loaded = obtain(spec, snapshot=snapshot)
        return loaded, ask(loaded.graph)
    graph.when_damaged(lambda: _discarded(entry))
    return loaded, answer


def query_snapshot(loaded: Loaded) -> Snapshot | None:
    """The snapshot of `obtain_query_graph`'s answer: stored beside a graph read on demand, read now."""
    if loaded.snapshot is None and isinstance(loaded.graph, LazyGraph):
        loaded.snapshot = stored_snapshot(loaded.graph)
    return loaded.snapshot


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
    if spec.graph_file:
        return saved_inputs(spec.graph_file)
    return [spec.over_graph, *spec.inputs] if spec.over_graph else list(spec.inputs)


def obtain(spec: InputSpec, *, snapshot: bool | tuple[str, ...] = False, require_snapshot: bool = False,
           marks: tuple[str, ...] | None = None, lazy: bool = False) -> Loaded:
    """Load per the spec. `snapshot`: False, True (all of it) or the Snapshot fields wanted; inputs read
    afresh always give the whole snapshot. `marks`: the --sensitive patterns when the command draws marks
    (None: it does not); `Loaded.marks` then holds them, read from the saved graph or the cache entry when
    they were made for this build, else made once (and kept with the cache entry). `lazy`: a build cache entry is
    read on demand, without its snapshot (`obtain_query_graph`)."""
    wanted = ("marks",) if marks is not None else ()
    stored: Any = None
    if spec.graph_file:
        if spec.inputs:
            raise click.UsageError("use either --graph or --input, not both")
        with phase("read graph", quiet=spec.quiet):
            saved = read_saved(spec.graph_file, snapshot=snapshot, report=True, require_snapshot=require_snapshot,
                               products=wanted)
        loaded = Loaded(saved.graph, saved.snapshot, saved.report, saved.inputs)
        stored = saved.products.get("marks")
    else:
        loaded, stored = _from_inputs(spec, snapshot, marks, lazy)
    apply_account_files(loaded.graph, spec)
    if marks is not None:
        loaded.marks = _marks_for(loaded, spec, marks, stored)
    return loaded


def _kept_marks(stored: Any, patterns: tuple[str, ...]) -> Marks | None:
    """Stored marks when they were made with these patterns."""
    try:
        found = Marks.from_json(stored) if stored is not None else None
    except MarksFormatError:
        return None
    return found if found is not None and found.patterns == patterns else None


def _marks_for(loaded: Loaded, spec: InputSpec, patterns: tuple[str, ...], stored: Any) -> Marks:
    """The marks of the loaded graph: those stored with it when they fit, else made now (once)."""
    reclassified = bool(spec.known_accounts or spec.accounts_file)  # the rules read the classification
    kept = None if reclassified else _kept_marks(stored, patterns)
    if kept is not None:
        return kept
    source = spec.graph_file or loaded.cached
    if loaded.snapshot is None or not _whole(loaded.snapshot):
        if source is not None:
            with phase("read policies", quiet=spec.quiet):
                loaded.snapshot = read_saved(source, snapshot=True).snapshot
    if loaded.snapshot is None:
        if not spec.quiet:
            stderr.print("note: this saved graph keeps no policies (written by an older trustgraph): sensitive "
                         "roles are marked from the trustgraph:sensitive tag and --sensitive only, findings not "
                         "at all (save it again from the inputs with `trustgraph build`)")
    elif spec.graph_file and stored is None and not spec.quiet:
        stderr.print("note: this saved graph keeps no marks for pictures (written by an older trustgraph, or by "
                     "`build --no-marks`): the findings rules run to make them (`trustgraph build --graph FILE "
                     "-o FILE` saves the graph again with them)")
    made = make_marks(loaded.graph, loaded.snapshot, patterns, spec.quiet)
    if loaded.cached is not None and not reclassified and not patterns and stored is None:
        # A cache entry written by a command that did not draw: the next picture reads these.
        try:
            keep_products(loaded.cached, {"marks": made.to_json()})
        except (OSError, GraphFileError, sqlite3.Error):
            pass  # a cache that cannot be amended is no failure
    return made


def _whole(snapshot: Snapshot) -> bool:
    # Read with only some fields (the organization): the rules need all of them.
    return bool(snapshot.roles or snapshot.users)


def make_marks(graph: nx.DiGraph, snapshot: Snapshot | None, patterns: tuple[str, ...], quiet: bool) -> Marks:
    """Run the findings rules once for what pictures mark (with progress)."""
    roles = len(snapshot.roles) if snapshot is not None else 0
    with phase("check rules", total=roles, quiet=quiet, unit="roles") as tick:
        return compute_marks(graph, snapshot, patterns, progress=tick)


def _from_inputs(spec: InputSpec, snapshot: bool | tuple[str, ...],
                 marks: tuple[str, ...] | None = None, lazy: bool = False) -> tuple[Loaded, Any]:
    """The graph from the cache or built (and cached), with the marks stored with the cache entry (JSON, or
    None). A build for a command that draws makes the marks before the entry is written, so that the entry
    keeps them, unless account files or patterns make them this run's own."""
    if not spec.inputs:
        raise click.UsageError("give at least one --input PATH (or --graph FILE)")
    hashed = (spec.over_graph, *spec.inputs) if spec.over_graph else spec.inputs
    key = None if spec.no_cache else cache.cache_key(hashed, spec.role_arn, spec.iac)
    if key is not None:
        entry = cache.entry_path(key)
        if entry.is_file() and lazy and marks is None:
            try:
                with phase("read cached build", quiet=spec.quiet):
                    lazy_graph = open_lazy(entry)
                    report = stored_report(lazy_graph) if lazy_graph is not None else None
            except GraphFileError as exc:
                if not spec.quiet:
                    stderr.print(f"warning: the build cache entry is unusable, rebuilding: {safe(exc)}")
                _discard(entry)
            else:
                if lazy_graph is not None:
                    lazy_graph.when_damaged(lambda: _discarded(entry))  # `query_answer` rebuilds during the search
                    cache.touch(entry)
                    if report is not None:
                        report_load(report, spec.quiet)
                    return Loaded(lazy_graph, None, report, list(hashed), entry), None
        if entry.is_file():
            try:
                with phase("read cached build", quiet=spec.quiet):
                    saved = read_saved(entry, snapshot=snapshot, report=True, require_snapshot=snapshot is True,
                                       products=("marks",) if marks is not None else ())
            except GraphFileError as exc:
                # damaged (a full disk, a crash, a change by hand): never served, built again
                if not spec.quiet:
                    stderr.print(f"warning: the build cache entry is unusable, rebuilding: {safe(exc)}")
                _discard(entry)
            else:
                cache.touch(entry)
                if saved.report is not None:
                    report_load(saved.report, spec.quiet)
                return Loaded(saved.graph, saved.snapshot, saved.report, list(hashed), entry), \
                    saved.products.get("marks")
    built, report = load_snapshot(spec.inputs, spec.role_arn, spec.quiet, spec.iac, spec.empty_ok, spec.over_graph)
    graph = build_with_progress(built, spec.quiet, spec.jobs)
    made = None
    if marks == () and not (spec.known_accounts or spec.accounts_file):
        made = make_marks(graph, built, (), spec.quiet).to_json()
    stored = _store(key, graph, built, report, spec.quiet, made) if key is not None else None
    return Loaded(graph, built, report, list(hashed), stored), made


def _store(key: str, graph: nx.DiGraph, snapshot: Snapshot, report: LoadReport, quiet: bool,
           marks: Any = None) -> Path | None:
    entry = cache.entry_path(key)
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        save_graph(graph, entry, snapshot=snapshot, report=report, meta={"cache_key": key},
                   products={"marks": marks} if marks is not None else None)
    except Exception as exc:  # the command has its graph: a cache it cannot write is no failure
        if not quiet:
            stderr.print(f"warning: cannot write the build cache in {cache.cache_dir()}: "
                         f"{getattr(exc, 'strerror', None) or exc} (--no-cache skips it)")
        return None
    cache.evict()
    return entry


def _discarded(entry: Path) -> str:
    # Found damaged while a query read it: too late to rebuild this run, but never served again.
    _discard(entry)
    return "; the build cache entry is removed, run the command again"


def _discard(entry: Path) -> None:
    try:
        entry.unlink(missing_ok=True)
    except OSError:
        pass


def build_saved(spec: InputSpec, output: str | Path, marks: bool = True) -> nx.DiGraph:
    """`trustgraph build`: obtain the graph (from --input, or re-save a --graph file) and write it to
    `output` with the snapshot, so that every command can run from it, and (unless `marks` is False) with
    the marks of pictures, so that no picture drawn from it runs the findings rules."""
    loaded = obtain(spec, snapshot=bool(spec.graph_file), marks=() if marks else None)
    save_loaded(loaded, spec, output)
    return loaded.graph


def save_loaded(loaded: Loaded, spec: InputSpec, output: str | Path) -> None:
    """Write what was obtained to `output` as a saved graph, with the snapshot when there is one. A graph
    straight from the cache is copied rather than written again."""
    if loaded.cached is not None and not (spec.known_accounts or spec.accounts_file):
        try:
            with phase("save graph", quiet=spec.quiet):
                _copy_entry(loaded.cached, Path(output), loaded.inputs)
            return
        except (OSError, sqlite3.Error):
            pass  # the entry went away (another process evicted it): write it out
    if (loaded.snapshot is None or not _whole(loaded.snapshot)) and loaded.cached is not None:
        loaded.snapshot = read_saved(loaded.cached, snapshot=True).snapshot
    with phase("save graph", quiet=spec.quiet):
        save_graph(loaded.graph, output, snapshot=loaded.snapshot, report=loaded.report, inputs=loaded.inputs,
                   products={"marks": loaded.marks.to_json()} if loaded.marks is not None else None)


def _copy_entry(entry: Path, output: Path, inputs: list[str]) -> None:
    # The output gets the mode of any new file (the entry is private to the cache).
    copy_store(entry, output, drop=("cache_key",), meta={"inputs": json.dumps(inputs)})


def apply_account_files(graph: nx.DiGraph, spec: InputSpec) -> None:
    vendors = load_known_accounts(spec.known_accounts) if spec.known_accounts else None
    names = load_account_names(spec.accounts_file) if spec.accounts_file else None
    if vendors or names:
        annotate(graph, vendors=vendors, names=names)


def _kilobytes(path: str, key: str) -> int:
    with open(path) as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(key)) * 1024


def workers_that_fit(jobs: int) -> int:
    """The build processes this machine's available memory holds now (`parallel.memory_bound`; Linux's figures,
    elsewhere `jobs`)."""
    try:
        resident = _kilobytes("/proc/self/status", "VmRSS:")
        return memory_bound(jobs, resident, _kilobytes("/proc/meminfo", "MemAvailable:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return jobs


parallel.workers_that_fit = workers_that_fit


@contextmanager
def parallel_notes() -> Iterator[None]:
    """What a parallel build noted (a worker failed, fewer workers than asked), said once each as a warning."""
    with warnings.catch_warnings(record=True, action="always", category=ParallelNote) as noted:
        yield
    said: set[str] = set()
    for note in noted:
        if issubclass(note.category, ParallelNote):  # the work was done all the same: the same graph
            if str(note.message) not in said:  # each pass of the build would say it again
                said.add(str(note.message))
                stderr.print(f"warning: {safe(str(note.message))}")
        else:
            warnings.showwarning(note.message, note.category, note.filename, note.lineno)


def build_with_progress(snapshot: Snapshot, quiet: bool, jobs: int = 1) -> nx.DiGraph:
    with phase("build graph", total=len(snapshot.roles), quiet=quiet, unit="roles") as tick, parallel_notes():
        return build_graph(snapshot, progress=tick, jobs=jobs)


def checked_via(via: tuple[str, ...]) -> tuple[str, ...] | None:
    """The --via values, checked: a usage error names an unknown kind."""
    try:
        via_kinds(via)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    return via or None
