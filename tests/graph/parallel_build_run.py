"""Builds a snapshot with each `--jobs` given and prints, as JSON, what tests/graph/test_parallel_build.py compares:
a digest of every node and edge with its attributes and of each node's successor and predecessor order, the
forks made, and the warnings. Run in a fresh interpreter: a fork of a pytest process inherits whatever threads
earlier tests left running (moto servers), which can crash the child.

`--fail raise|exit` makes every worker process fail (an exception; a process that dies) when it decides links;
`--task-size K` makes the tasks small, so that every pass forks on inputs that take seconds to build.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from trustgraph.graph import build, indirect  # noqa: E402  (the repository first on the path)
from trustgraph.graph.build import build_graph  # noqa: E402
from trustgraph.graph.parallel import WorkerFailed  # noqa: E402
from trustgraph.sources.files import load_inputs  # noqa: E402


def digest(graph: nx.DiGraph) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(graph.graph, sort_keys=True, default=str).encode())
    for node, data in graph.nodes(data=True):
        h.update(json.dumps([node, data], sort_keys=True, default=str).encode())
    for node in graph:
        h.update(json.dumps([node, list(graph.succ[node]), list(graph.pred[node])]).encode())
    for src, dst, data in graph.edges(data=True):
        h.update(json.dumps([src, dst, data], sort_keys=True, default=str).encode())
    return h.hexdigest()


def _failing(how: str) -> None:
    parent = os.getpid()
    plans = indirect.IndirectEdges._plans

    def fail_in_workers(self: Any, groups: Any) -> Iterator[Any]:
        if os.getpid() != parent:
            if how == "exit":
                os._exit(3)
            raise RuntimeError("a worker failing on purpose")
        return plans(self, groups)  # type: ignore[no-any-return]

    indirect.IndirectEdges._plans = fail_in_workers  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("inputs")
    parser.add_argument("--jobs", type=int, action="append", required=True)
    parser.add_argument("--fail", choices=("raise", "exit"))
    parser.add_argument("--task-size", type=int,
                        help="the least roles, principals, groups or accounts of a task: small, every pass forks")
    args = parser.parse_args()
    if args.task_size:
        build.ROLES_PER_TASK = indirect.CALLERS_PER_TASK = indirect.GROUPS_PER_TASK = indirect.ADMINS_PER_TASK = \
            args.task_size
    forks = [0]
    fork = os.fork

    def counted() -> int:
        forks[0] += 1
        return fork()

    os.fork = counted
    if args.fail:
        _failing(args.fail)
    snapshot, _ = load_inputs([args.inputs])
    runs = []
    for jobs in args.jobs:
        forks[0] = 0
        with warnings.catch_warnings(record=True, action="always", category=WorkerFailed) as noted:
            graph = build_graph(snapshot, data_time=datetime(2026, 1, 1, tzinfo=UTC), jobs=jobs)
        run: dict[str, Any] = {"jobs": jobs, "digest": digest(graph), "forks": forks[0],
                               "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
                               "warnings": [str(n.message) for n in noted if issubclass(n.category, WorkerFailed)]}
        # The controls: the digest sees an attribute changed, and a successor order changed.
        src, dst, data = next(iter(graph.edges(data=True)))
        data["conditional"] = not data["conditional"]
        run["attribute_changed"] = digest(graph)
        data["conditional"] = not data["conditional"]
        node = next(n for n in graph if len(graph.succ[n]) > 1)
        first = next(iter(graph.succ[node]))
        kept = graph.edges[node, first]
        graph.remove_edge(node, first)
        graph.add_edge(node, first, **kept)
        run["order_changed"] = digest(graph)
        runs.append(run)
    print(json.dumps(runs))


if __name__ == "__main__":
    main()
