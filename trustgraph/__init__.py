"""trustgraph: AWS IAM role trust graphs.

The stable Python API (documented in README.md):

    from trustgraph import load_inputs, build_graph, who_can_reach, reach, k_shortest_paths
    snapshot, report = load_inputs(["samples/acme"])
    graph = build_graph(snapshot)
    answer = who_can_reach(graph, "arn:aws:iam::444444444444:role/BreakGlass")
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from trustgraph.version import __version__

# Each public name is imported on first use: the API pulls in networkx, PyYAML and the whole core
# (about 0.2 s), and `import trustgraph` must stay cheap for `trustgraph --version` and `--help`.
_API: dict[str, tuple[str, str]] = {
    "NodeNotFound": ("trustgraph.analysis.reachability", "NodeNotFound"),
    "PathAnswer": ("trustgraph.analysis.reachability", "PathAnswer"),
    "Reach": ("trustgraph.analysis.reachability", "Reach"),
    "Reacher": ("trustgraph.analysis.reachability", "Reacher"),
    "WhoCanReach": ("trustgraph.analysis.reachability", "WhoCanReach"),
    "annotate_accounts": ("trustgraph.graph.classification", "annotate"),
    "build_graph": ("trustgraph.graph.build", "build_graph"),
    "explain_role": ("trustgraph.analysis.explain", "explain_role"),
    "k_shortest_paths": ("trustgraph.analysis.reachability", "k_shortest_paths"),
    "load_account_names": ("trustgraph.sources.known_accounts", "load_account_names"),
    "load_graph": ("trustgraph.saved.serialize", "load_graph"),
    "load_inputs": ("trustgraph.sources.files", "load_inputs"),
    "load_known_accounts": ("trustgraph.sources.known_accounts", "load_known_accounts"),
    "reach": ("trustgraph.analysis.reachability", "reach"),
    "save_graph": ("trustgraph.saved.serialize", "save_graph"),
    "who_can_reach": ("trustgraph.analysis.reachability", "who_can_reach"),
}

__all__ = [
    "NodeNotFound", "PathAnswer", "Reach", "Reacher", "WhoCanReach", "__version__", "annotate_accounts",
    "build_graph", "explain_role", "k_shortest_paths", "load_account_names", "load_graph", "load_inputs",
    "load_known_accounts", "reach", "save_graph", "who_can_reach",
]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _API[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(import_module(module), attr)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from trustgraph.analysis.explain import explain_role
    from trustgraph.analysis.reachability import (
        NodeNotFound,
        PathAnswer,
        Reach,
        Reacher,
        WhoCanReach,
        k_shortest_paths,
        reach,
        who_can_reach,
    )
    from trustgraph.graph.build import build_graph
    from trustgraph.graph.classification import annotate as annotate_accounts
    from trustgraph.saved.serialize import load_graph, save_graph
    from trustgraph.sources.files import load_inputs
    from trustgraph.sources.known_accounts import load_account_names, load_known_accounts
