"""What every picture command shares: the graph with the snapshot it was built from, and the marks
(sensitive roles and roles with findings, the definitions `findings` uses)."""

from __future__ import annotations

import networkx as nx

from trustgraph.cli.inputs import InputSpec, obtain, stderr
from trustgraph.cli.progress import phase
from trustgraph.model import Snapshot
from trustgraph.render.marks import Marks


def load_with_snapshot(spec: InputSpec) -> tuple[nx.DiGraph, Snapshot | None]:
    """The graph, and the snapshot it was built from (None for a saved graph that holds no policies)."""
    loaded = obtain(spec, snapshot=True)
    return loaded.graph, loaded.snapshot


def picture_marks(graph: nx.DiGraph, snapshot: Snapshot | None, patterns: tuple[str, ...], quiet: bool) -> Marks:
    """Sensitive roles and roles with findings (medium or worse). From a saved graph only what it holds:
    the trustgraph:sensitive tag and --sensitive patterns; admin-equivalence and findings need the inputs."""
    from trustgraph.analysis.findings import FindingContext, FindingOptions, find
    from trustgraph.analysis.sensitive_roles import sensitive_in_graph
    from trustgraph.render.overview import MARKED_SEVERITY, findings_marks

    if snapshot is None:
        if not quiet:
            stderr.print("note: this saved graph keeps no policies (written by an older trustgraph): sensitive "
                         "roles are marked from the trustgraph:sensitive tag and --sensitive only, findings not "
                         "at all (save it again from the inputs with `trustgraph build`)")
        return Marks(sensitive=sensitive_in_graph(graph, patterns))
    options = FindingOptions(sensitive_patterns=patterns)
    context = FindingContext(snapshot, graph, options)
    with phase("check rules", total=len(snapshot.roles), quiet=quiet, unit="roles") as tick:
        sensitive = {arn: s.label for arn, s in context.sensitive.items()}
        findings = find(snapshot, graph, options, progress=tick, context=context)
    return findings_marks(sensitive, findings, MARKED_SEVERITY)
