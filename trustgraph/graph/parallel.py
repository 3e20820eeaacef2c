"""Work of many accounts spread over forked processes (`--jobs`, docs/performance.md "Every core").

The workers are forked: they inherit the build as it stands (snapshot, caches, graph so far) without pickling it,
compute a pure function of it for one task (a run of roles, or of whole accounts) and send back a small picklable
answer. The caller takes the answers in task order, so that what it draws with them comes out exactly as in one
process. The collector is frozen first, or its passes would write to every page the workers share with this one.

A failed worker (an exception, a process killed) does not hang the build nor lose its work: the tasks from the
first one not answered on are computed in this process, with a warning (the answers are the same).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

R = TypeVar("R")


class ParallelNote(RuntimeWarning):
    """What a parallel build tells its user: the graph is the same, the way it was made is not what was asked."""


class WorkerFailed(ParallelNote):
    """A worker process failed; its tasks were computed in this process."""


class FewerWorkers(ParallelNote):
    """Fewer workers than --jobs asked for: the memory available would not hold them."""


# The work of the pool running now: set before the workers are forked, so that they hold it without pickling.
_work: Callable[[int], object] | None = None


def _run(task: int) -> object:
    assert _work is not None, "a worker forked without its work"
    return _work(task)


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform tells it, a container's cpuset)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def spans(count: int, least: int, jobs: int, cut: Callable[[int], bool] = lambda i: True) -> list[int]:
    """Bounds of tasks over `count` items: one task when fewer than two of `least` items each would do (or for
    one job), else tasks of `least` items or more, about four per job so that their lengths even out. A task
    starts only at an item where `cut` allows it (the first of an account)."""
    if jobs < 2 or count < 2 * least:
        return [0, count]
    size = max(least, count // (4 * jobs))
    bounds = [0]
    for i in range(1, count):
        if i - bounds[-1] >= size and cut(i):
            bounds.append(i)
    bounds.append(count)
    return bounds


def memory_bound(jobs: int, resident: int, available: int) -> int:
    """Workers that fit in `available` bytes, counting each as what this process holds (`resident`; at 1,000
    accounts a worker's RSS was 0.9× the building process's, about half of it its own pages, docs/performance.md:
    counted whole, the bound errs on the safe side), so that --jobs on a machine of many cores and little memory
    slows the build down instead of exhausting it."""
    return max(1, min(jobs, available // max(resident, 1)))


# How many workers the memory holds now, given how many are asked for: the command line sets it (the operating
# system's figures are read at the edge, `cli/inputs.py`); None: as many as asked.
workers_that_fit: Callable[[int], int] | None = None


def in_order(work: Callable[[int], R], tasks: int, jobs: int) -> Iterator[R]:
    """work(0), work(1) … work(tasks - 1), in that order, computed by up to `jobs` forked processes (in this one
    when jobs or tasks are fewer than 2, or the platform cannot fork)."""
    global _work
    workers = min(jobs, tasks)
    if workers >= 2 and workers_that_fit is not None:
        fit = workers_that_fit(workers)
        if fit < workers:
            warnings.warn(f"{fit} build process{'es' if fit > 1 else ''} instead of {workers}: the memory available "
                          "would not hold more (each holds about what the build holds; see --jobs)", FewerWorkers,
                          stacklevel=2)
            workers = fit
    done = 0
    if workers >= 2 and can_fork() and _work is None:
        gc.freeze()
        _work = work
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        last: object = None
        try:
            for answer in pool.map(_run, range(tasks)):
                done += 1
                if done == tasks:
                    last = answer  # yielded once the pool is gone: a caller need not run this to its end
                    break
                yield answer  # type: ignore[misc]  # _run returns what work returns
        except Exception as exc:  # noqa: BLE001 — any failure of a worker: its tasks are done here instead
            warnings.warn(f"a build worker process failed ({type(exc).__name__}: {exc}); building the rest in one "
                          "process", WorkerFailed, stacklevel=2)
        finally:
            _work = None
            pool.shutdown(wait=True, cancel_futures=True)
        if done == tasks:
            yield last  # type: ignore[misc]
            return
    for task in range(done, tasks):
        yield work(task)
