"""trustgraph: AWS IAM role trust graphs.

The stable Python API (documented in README.md):

    from trustgraph import load_inputs, build_graph, who_can_reach, reach, k_shortest_paths
    snapshot, report = load_inputs(["samples/acme"])
    graph = build_graph(snapshot)
    answer = who_can_reach(graph, "arn:aws:iam::444444444444:role/BreakGlass")
"""

__version__ = "0.1.0"

from trustgraph.analysis.explain import explain_role  # noqa: E402
from trustgraph.analysis.reachability import (  # noqa: E402
    NodeNotFound,
    PathAnswer,
    Reach,
    Reacher,
    WhoCanReach,
    k_shortest_paths,
    reach,
    who_can_reach,
)
from trustgraph.graph.build import build_graph  # noqa: E402
from trustgraph.graph.classification import annotate as annotate_accounts  # noqa: E402
from trustgraph.graph.serialize import load_graph, save_graph  # noqa: E402
from trustgraph.sources.files import load_inputs  # noqa: E402
from trustgraph.sources.known_accounts import load_account_names, load_known_accounts  # noqa: E402

__all__ = [
    "NodeNotFound", "PathAnswer", "Reach", "Reacher", "WhoCanReach", "__version__", "annotate_accounts",
    "build_graph", "explain_role", "k_shortest_paths", "load_account_names", "load_graph", "load_inputs",
    "load_known_accounts", "reach", "save_graph", "who_can_reach",
]
