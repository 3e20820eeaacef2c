"""--jobs is bounded by memory: each forked worker comes to hold about what the build holds, so a machine of many
cores and little memory gets fewer workers (and a warning) instead of running out of memory."""

from __future__ import annotations

import warnings

import pytest

from trustgraph.graph import parallel
from trustgraph.graph.parallel import FewerWorkers, in_order, memory_bound

GB = 2**30


def test_workers_are_bounded_by_available_memory() -> None:
    assert memory_bound(8, resident=4 * GB, available=10 * GB) == 2
    assert memory_bound(4, resident=8 * GB, available=4 * GB) == 1  # never fewer than this process
    # control: memory for every worker asked for
    assert memory_bound(8, resident=1 * GB, available=100 * GB) == 8


def test_fewer_workers_than_asked_are_said_and_answer_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "workers_that_fit", lambda jobs: 1)  # one: runs here, no fork in a test process
    with warnings.catch_warnings(record=True) as noted:
        warnings.simplefilter("always")
        answers = list(in_order(lambda task: task * 2, 5, 4))
    assert answers == [0, 2, 4, 6, 8]
    assert [n.category for n in noted] == [FewerWorkers]
    assert "instead of 4" in str(noted[0].message)
    # control: one job asked for is nothing to say
    with warnings.catch_warnings(record=True) as noted:
        warnings.simplefilter("always")
        assert list(in_order(lambda task: task, 3, 1)) == [0, 1, 2]
    assert noted == []
