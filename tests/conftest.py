"""Shared test setup: the build cache lives in temporary directories, never in the home directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _session_build_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # Module- and session-scoped fixtures run before the per-test one below.
    directory = tmp_path_factory.mktemp("trustgraph-cache-session")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRUSTGRAPH_CACHE_DIR", str(directory))
        # Builds stay in this process (--jobs defaults to the machine's cores): a fork of it inherits the threads
        # earlier tests left running. tests/graph/test_parallel_build.py forks in fresh interpreters.
        patch.setenv("TRUSTGRAPH_JOBS", "1")
        yield directory


@pytest.fixture(autouse=True)
def build_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own, empty build cache directory."""
    directory = tmp_path_factory.mktemp("trustgraph-cache")
    monkeypatch.setenv("TRUSTGRAPH_CACHE_DIR", str(directory))
    return directory
