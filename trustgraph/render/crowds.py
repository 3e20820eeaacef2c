"""Big principals pictures: principals that route alike folded into counted nodes.

`views.fold_repeated` folds principals alike in every drawn trust *and its label* (conditions, principal form) and
in their marks. On a hub account of a 1,000-account organization, or on the callers of a break-glass role, that
still leaves a hundred nodes: nine users of one account that reach the role, four with MFA and five without, are
nine nodes saying one route. Above CROWD_FOLD_ABOVE nodes, principals of one account and kind with the same
neighbours (the same nodes before and after them on the drawn routes) are folded into one node ("9 users of
org-management: alice.smith, bob.jones +7"), whatever their edges' conditions and their marks: every distinct
route stays drawn, through the folded node; the node counts its sensitive members and their findings, and its
edges say how many routes they fold and are dashed only when every folded route is conditional.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import networkx as nx

from trustgraph.analysis.findings.model import SEVERITY_NAMES
from trustgraph.graph.schema import NodeKind, is_hub_data, is_kind, is_principal, node_spec
from trustgraph.render.marks import NO_MARKS, Marks
from trustgraph.render.usage import fold_key, merge_use

# Pictures of at most this many nodes (after the other folds) are drawn as they are: acme's pictures (35 nodes at
# most) never fold here.
CROWD_FOLD_ABOVE = 40
# A folded node names its first member, cut to this many characters (the tooltip names them all): names of 50
# characters (AWSReservedSSO_AdministratorAccess_a805c1b2e77f208a) made each folded node a third of the page wide.
NAME_CHARS = 24
# A group folds from this many members.
CROWD_MIN = 2


@dataclasses.dataclass(frozen=True)
class CrowdFold:
    """What `fold_crowds` folded: how many principals into how many nodes."""
    principals: int = 0
    groups: int = 0

    def text(self, drill: str) -> str:
        """The title's words, `drill` the command that draws the folded principals one by one."""
        return (f"{self.principals} principals with the same callers or targets folded into {self.groups} counted "
                f"nodes (more than {CROWD_FOLD_ABOVE} nodes; the tooltip names them, {drill})" if self.groups else "")


def _foldable(data: dict[str, Any]) -> bool:
    """Users, roles, AWS services and accounts outside the data trusted as principals; not the peer accounts already
    folded by OU (render/peers.py), each of which stands for its own OU."""
    if data.get("peer_accounts"):
        return False
    return is_principal(data) or is_kind(data, NodeKind.SERVICE) or (
        is_kind(data, NodeKind.ACCOUNT) and not is_hub_data(data) and not data.get("in_data"))


def _worst(severities: Iterable[str]) -> str:
    found = set(severities)
    return next((s for s in SEVERITY_NAMES if s in found), sorted(found)[0] if found else "")


def _sensitive_count(graph: nx.DiGraph, marks: Marks, node: str) -> int:
    """How many sensitive principals a drawn node stands for (a group of alike principals shares its mark)."""
    if node not in marks.sensitive:
        return 0
    data = graph.nodes[node]
    return int(data.get("sensitive_members", len(data.get("folded", [node]))))


def _findings_count(graph: nx.DiGraph, marks: Marks, node: str) -> int:
    data = graph.nodes[node]
    return int(data.get("findings_total", marks.findings[node][0] * len(data.get("folded", [node]))))


def _neighbour_keys(graph: nx.DiGraph, nodes: set[str], edges: set[tuple[str, str]], kept: set[str], side: str
                    ) -> dict[tuple[Any, ...], list[str]]:
    """Foldable principals grouped by kind, account and their drawn neighbours: both sides ("both"), callers only
    ("in") or targets only ("out")."""
    # an edge's use (used / unused / unknown) keeps principals apart: a folded edge has one style
    ins: dict[str, set[tuple[str, str | None]]] = defaultdict(set)
    outs: dict[str, set[tuple[str, str | None]]] = defaultdict(set)
    for u, v in edges:
        use = fold_key(graph.edges[u, v])
        outs[u].add((v, use))
        ins[v].add((u, use))
    groups: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for n in sorted(nodes):
        data = graph.nodes[n]
        if n in kept or not _foldable(data):
            continue
        before = frozenset(ins[n]) if side in ("both", "in") else None
        after = frozenset(outs[n]) if side in ("both", "out") else None
        groups[(data.get("kind"), data.get("account"), before, after)].append(n)
    return groups


def fold_crowds(graph: nx.DiGraph, nodes: set[str], edges: set[tuple[str, str]], keep: Iterable[str] = (),
                marks: Marks = NO_MARKS, above: int | None = None
                ) -> tuple[nx.DiGraph, set[str], set[tuple[str, str]], Marks, CrowdFold]:
    """While more than `above` nodes are drawn, fold principals of one account and kind with the same drawn
    neighbours; then, still above, those with the same callers (the starts of routes, with no caller drawn, are
    one such group per account and kind: "12 users of org-management"); then those with the same targets. Each
    pass keeps who reaches what among the nodes it does not fold: a caller of a group with the same callers calls
    every member, so it reaches all the group reaches; a group with the same targets reaches what each member
    reaches. A folded node's routes are the union of its members' (its tooltip names them). Returns the graph to
    draw (a new one when something folded), its nodes and edges, the marks for it, and what folded."""
    above = CROWD_FOLD_ABOVE if above is None else above
    kept = set(keep)
    for side in ("both", "in", "out"):
        if len(nodes) <= above:
            break
        groups = _neighbour_keys(graph, nodes, edges, kept, side)
        graph, nodes, edges, marks = _fold(graph, nodes, edges, marks, [m for m in groups.values()
                                                                         if len(m) >= CROWD_MIN])
    crowds = [graph.nodes[n] for n in nodes if graph.nodes[n].get("crowd")]
    return graph, nodes, edges, marks, CrowdFold(sum(len(d["folded"]) for d in crowds), len(crowds))


def _fold(graph: nx.DiGraph, nodes: set[str], edges: set[tuple[str, str]], marks: Marks, groups: list[list[str]]
          ) -> tuple[nx.DiGraph, set[str], set[tuple[str, str]], Marks]:
    """Draw each group as one counted node."""
    folded = {f"{m[0]}#crowd{len(m)}": m for m in groups}
    if not folded:
        return graph, nodes, edges, marks
    rep = {m: head for head, members in folded.items() for m in members}
    out: nx.DiGraph[str] = nx.DiGraph()
    out.graph = graph.graph
    for n in sorted(nodes):
        if n not in rep:
            out.add_node(n, **graph.nodes[n])
    names_of = {**graph.graph.get("account_names", {}), **((graph.graph.get("accounts") or {}).get("names") or {})}
    sensitive: dict[str, str] = {k: v for k, v in marks.sensitive.items() if k not in rep}
    findings: dict[str, tuple[int, str]] = {k: v for k, v in marks.findings.items() if k not in rep}
    for head, members in folded.items():
        data = dict(graph.nodes[members[0]])
        principals = [p for m in members for p in graph.nodes[m].get("folded", [m])]
        names: Counter[str] = Counter()
        for m in members:
            names.update(graph.nodes[m].get("names") or {str(graph.nodes[m].get("label", m)).split("\\n")[0]: 1})
        by_count = sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))
        listed = [f"{name} ×{k}" if k > 1 else name for name, k in by_count]
        account = data.get("account")
        where = f" of {names_of.get(str(account), account)}" if account else ""
        kinds = node_spec(data.get("kind")).words[1]
        first = listed[0] if len(listed[0]) <= NAME_CHARS else listed[0][:NAME_CHARS - 1] + "…"
        held = sum(_sensitive_count(graph, marks, m) for m in members)
        flagged = [m for m in members if m in marks.findings]
        data.update(label=f"{len(principals)} {kinds}{where}: {first}"
                    + (f" +{len(listed) - 1}" if len(listed) > 1 else ""), path="/", folded=principals,
                    names=dict(names), tooltip=", ".join(listed), crowd=True, sensitive_members=held,
                    findings_total=sum(_findings_count(graph, marks, m) for m in flagged))
        out.add_node(head, **data)
        if held:
            sensitive[head] = f"{held} sensitive"
        if flagged:
            findings[head] = (int(data["findings_total"]), _worst(marks.findings[m][1] for m in flagged))
    routes: Counter[tuple[str, str]] = Counter()
    for u, v in sorted(edges):
        a, b = rep.get(u, u), rep.get(v, v)
        if a == b:
            continue  # between two members of one group
        routes[(a, b)] += int(graph.edges[u, v].get("folded_routes", 1))
        if not out.has_edge(a, b):
            out.add_edge(a, b, **graph.edges[u, v])
            continue
        merged = out.edges[a, b]
        merge_use(merged, graph.edges[u, v])
        if not graph.edges[u, v].get("conditional"):
            merged["conditional"] = False  # dashed only when every folded route is conditional
            merged["conditions"] = []
        elif merged.get("conditional"):
            merged["conditions"] = sorted({*merged.get("conditions", []), *graph.edges[u, v].get("conditions", [])})
    for pair, count in routes.items():
        if count > 1:
            out.edges[pair]["folded_routes"] = count
    new_marks = dataclasses.replace(marks, sensitive=sensitive, findings=findings)
    return out, set(out.nodes), set(out.edges), new_marks
