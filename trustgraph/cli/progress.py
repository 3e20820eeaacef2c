"""Progress of the long phases (read, build, rules, draw, save) on stderr.

On a terminal each phase shows a spinner, and a bar when it counts, once it has lasted SHOW_AFTER seconds;
the display goes away when the phase ends. Elsewhere (CI logs, `2> file`) each phase ends with one line:
`trustgraph: read inputs: 1,001 files in 3.2 s`. --quiet silences both. The core never prints: it takes
the `Phase` as its optional `progress(done, total)` callback.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import click
from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

# A phase that ends sooner draws nothing: no flicker on small inputs.
SHOW_AFTER = 0.5

_showing = False  # one live display at a time (rich refuses a second one)


def stderr_is_terminal() -> bool:
    # Not rich's is_terminal: FORCE_COLOR, which CI jobs set for colours, would make it draw spinner frames
    # into the log instead of one line per phase.
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stderr (pythonw) or a closed one
        return False


class Phase:
    """What a phase hands to the code it times: call it as `tick(done, total)`; set `detail` to say what the
    phase did in its closing line (by default `total` and `unit`, e.g. "1,001 files")."""

    def __init__(self, name: str, total: int | None, unit: str | None) -> None:
        self.name = name
        self.total = total
        self.unit = unit
        self.done = 0
        self.detail: str | None = None
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done, total=self.total)

    def summary(self, seconds: float) -> str:
        what = self.detail
        if what is None and self.unit and self.total is not None:
            what = f"{self.total:,} {self.unit}"
        return f"trustgraph: {self.name}{f': {what}' if what else ''} in {seconds:.1f} s"


class _DelayedProgress(Progress):
    """Draws nothing until the phase has lasted SHOW_AFTER seconds."""

    def __init__(self, *columns: str | ProgressColumn, console: Console) -> None:
        self._shown_from = time.monotonic() + SHOW_AFTER  # before Progress.__init__, which renders
        super().__init__(*columns, console=console, transient=True, redirect_stdout=False)

    def get_renderables(self) -> Iterable[RenderableType]:
        if time.monotonic() >= self._shown_from:
            yield from super().get_renderables()


@contextmanager
def phase(name: str, total: int | None = None, *, quiet: bool = False, unit: str | None = None) -> Iterator[Phase]:
    """Time one phase of a command and show its progress on stderr (see the module docstring).

    `unit` names what `total` counts ("files", "roles"); a phase without it shows a spinner, no bar.
    """
    global _showing
    tick = Phase(name, total, unit)
    started = time.perf_counter()
    if quiet:
        yield tick
        return
    if not stderr_is_terminal():
        yield tick
        click.echo(tick.summary(time.perf_counter() - started), err=True)
        return
    if _showing:
        yield tick
        return
    # The display writes to its own copy of the descriptor: Graphviz's noise filter (render.engine) points
    # descriptor 2 at a file while it draws, which would swallow the spinner.
    probe = Console(stderr=True)
    with open(os.dup(sys.stderr.fileno()), "w", encoding="utf-8", errors="replace") as terminal:
        # Width and colours fixed now: while descriptor 2 points at that file, rich could not read them.
        console = Console(file=terminal, force_terminal=True, highlight=False, width=probe.width,
                          color_system=probe.color_system)  # type: ignore[arg-type]
        columns: list[str | ProgressColumn] = [SpinnerColumn(), TextColumn("{task.description}")]
        if unit:
            columns += [BarColumn(), MofNCompleteColumn()]
        columns.append(TimeElapsedColumn())
        _showing = True
        try:
            with _DelayedProgress(*columns, console=console) as progress:
                tick._progress = progress
                tick._task = progress.add_task(name, total=total, completed=0)
                yield tick
        finally:
            _showing = False
            tick._progress = None
