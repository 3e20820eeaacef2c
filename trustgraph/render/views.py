"""Which part of the graph a picture shows.

- `principals_view`: the detailed map (every user, role and outside caller), optionally only what is
  upstream of one role (`focus`, `depth`) or one account and what touches it (`account`);
- `account_view`: one node per account (render/accounts.py), for organizations of any size;
- `ou_view`: one node per OU (render/ous.py), the outside world grouped;
- `matrix_view`: accounts or OUs on both axes (render/matrix.py);
- `reach_paths_view`: the paths of a who-can-reach / path answer.

`auto_view` picks the level that reads for the size of the data.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from trustgraph.graph.schema import NodeKind, Via, is_membership, is_principal, node_spec
from trustgraph.render.accounts import account_view, accounts_in_data, principal_count
from trustgraph.render.dot import TrustDot, edge_label, to_dot
from trustgraph.render.marks import NO_MARKS, Marks

__all__ = ["ViewTooLarge", "account_view", "auto_view", "principals_view", "reach_paths_view",
           "render_account_view", "upstream"]

# `--view auto`: principals up to this many accounts (and --max-nodes principals), accounts up to
# AUTO_ACCOUNT_VIEW accounts, above that OUs when the organization's OUs are known, else the matrix.
AUTO_ACCOUNTS = 15
AUTO_ACCOUNT_VIEW = 30


# Principals pictures above this many nodes fold repeated structure (nodes alike in kind, account, marks
# and in every trust in and out) into one node per group before the --max-nodes guard applies.
FOLD_ABOVE = 100
FOLD_MIN = 3


class ViewTooLarge(ValueError):
    pass


def _edge_signature(data: dict[str, Any]) -> tuple[Any, ...]:
    return (data.get("kind"), data.get("scope"), bool(data.get("conditional")), tuple(data.get("conditions", [])),
            edge_label(data))


def fold_repeated(graph: nx.DiGraph, nodes: set[str], edges: set[tuple[str, str]], keep: Iterable[str] = (),
                  marks: Marks = NO_MARKS, across: bool = False,
                  home: str | None = None) -> tuple[nx.DiGraph, set[str], set[tuple[str, str]], Marks, int]:
    """Fold users and roles alike in kind, account, marks and in every drawn trust in and out ("37 roles
    trusting the same caller") into one node per group of at least FOLD_MIN. `across`: also fold alike
    principals of different accounts ("995 roles in 995 accounts"), drawn outside the account boxes, except
    those of the `home` account. Returns the graph to draw (a new one when something folded), its nodes and
    edges, the marks for it, and how many nodes folded away."""
    kept = set(keep)
    ins: dict[str, set[tuple[str, tuple[Any, ...]]]] = defaultdict(set)
    outs: dict[str, set[tuple[str, tuple[Any, ...]]]] = defaultdict(set)
    for u, v in edges:
        sig = _edge_signature(graph.edges[u, v])
        outs[u].add((v, sig))
        ins[v].add((u, sig))
    groups: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for n in sorted(nodes):
        data = graph.nodes[n]
        if n in kept or not is_principal(data):
            continue
        account = data.get("account")
        if across and account == home:
            continue
        key = (data.get("kind"), None if across else account, marks.sensitive.get(n), marks.findings.get(n),
               frozenset(ins[n]), frozenset(outs[n]))
        groups[key].append(n)
    rep: dict[str, str] = {}
    folded: dict[str, list[str]] = {}
    for members in groups.values():
        if len(members) >= FOLD_MIN:
            head = f"{members[0]}#{len(members)}"
            folded[head] = members
            rep.update({m: head for m in members})
    if not folded:
        return graph, nodes, edges, marks, 0
    out: nx.DiGraph[str] = nx.DiGraph()
    out.graph = graph.graph
    for n in sorted(nodes):
        if n not in rep:
            out.add_node(n, **graph.nodes[n])
    for head, members in folded.items():
        data = dict(graph.nodes[members[0]])
        # A member may be a folded group itself (the second, cross-account pass).
        principals = [p for m in members for p in graph.nodes[m].get("folded", [m])]
        names = Counter(str(graph.nodes[m].get("label", m)) if "folded" not in graph.nodes[m] else "" for m in members)
        for m in members:
            if "folded" in graph.nodes[m]:
                names.update(graph.nodes[m].get("names", {}))
        names.pop("", None)
        accounts = sorted({str(graph.nodes[m].get("account")) for m in members})
        kinds = node_spec(data.get("kind")).words[1]
        by_count = sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))
        listed = [f"{name} ×{n}" if n > 1 else name for name, n in by_count]
        where = f" in {len(accounts)} accounts" if len(accounts) > 1 else ""
        data.update(label=f"{len(principals)} {kinds}{where}: " + ", ".join(listed[:3])
                    + (f" +{len(listed) - 3}" if len(listed) > 3 else ""), path="/", folded=principals,
                    names=dict(names))
        if len(accounts) > 1:
            data["account"] = None  # drawn outside the account boxes
        out.add_node(head, **data)
    for u, v in sorted(edges):
        a, b = rep.get(u, u), rep.get(v, v)
        if not out.has_edge(a, b):
            out.add_edge(a, b, **graph.edges[u, v])
    new_marks = Marks({rep.get(k, k): v for k, v in marks.sensitive.items()},
                      {rep.get(k, k): v for k, v in marks.findings.items()}, marks.findings_floor, marks.details)
    return out, set(out.nodes), set(out.edges), new_marks, len(rep) - len(folded)


def _fold_for_size(graph: nx.DiGraph, nodes: set[str], edges: set[tuple[str, str]], keep: list[str],
                   marks: Marks, home: str | None = None
                   ) -> tuple[nx.DiGraph, set[str], set[tuple[str, str]], Marks, int]:
    """Above FOLD_ABOVE nodes: fold alike principals within accounts, then, still above, across accounts."""
    if len(nodes) <= FOLD_ABOVE:
        return graph, nodes, edges, marks, 0
    graph, nodes, edges, marks, folded = fold_repeated(graph, nodes, edges, keep, marks)
    if len(nodes) > FOLD_ABOVE:
        graph, nodes, edges, marks, more = fold_repeated(graph, nodes, edges, keep, marks, across=True, home=home)
        folded += more
    return graph, nodes, edges, marks, folded


def upstream(graph: nx.DiGraph, focus: str, depth: int | None) -> set[str]:
    """`focus` and every node that reaches it in at most `depth` hops."""
    seen = {focus: 0}
    queue = deque([focus])
    while queue:
        node = queue.popleft()
        if depth is not None and seen[node] >= depth:
            continue
        for pred in graph.predecessors(node):
            if pred not in seen:
                seen[pred] = seen[node] + 1
                queue.append(pred)
    return set(seen)


def _hide_service_linked(graph: nx.DiGraph, nodes: set[str], edges: set[tuple[str, str]]) -> int:
    """Drop service-linked roles that lead nowhere but to their account's hub (only their AWS service can
    use them), in place."""
    hidden = {n for n in nodes if graph.nodes[n].get("service_linked")
              and all(is_membership(d) for _, _, d in graph.out_edges(n, data=True))}
    nodes -= hidden
    edges -= {e for e in edges if e[0] in hidden or e[1] in hidden}
    touched = {n for e in edges for n in e}
    nodes -= {n for n in nodes if n not in touched and graph.nodes[n].get("kind") == NodeKind.SERVICE}
    return len(hidden)


def principals_view(graph: nx.DiGraph, *, focus: str | None = None, depth: int | None = None,
                    account: str | None = None, max_nodes: int | None = None, title: str = "",
                    service_linked: bool = False, engine: str = "dot", marks: Marks = NO_MARKS,
                    note: str = "") -> TrustDot:
    """The detailed map: whole, upstream of `focus`, or around one `account`.

    The whole and account maps draw trust edges only (`via="assume"`); the upstream view draws every kind.
    Service-linked roles that lead nowhere are left out of the whole and account maps unless
    `service_linked` is set. Raises ViewTooLarge above `max_nodes` nodes, and KeyError for an account
    that has no principal in the graph.
    """
    hidden = 0
    if not focus:
        # The whole and account maps draw trust; who reaches what through PassRole, code and IAM edges (an admin
        # node has one to every role of its account) is drawn upstream of a role and on answer paths.
        from trustgraph.analysis.reachability import restrict
        graph = restrict(graph, Via.ASSUME)
    if focus:
        nodes = upstream(graph, focus, depth)
        edges = {(u, v) for u, v in graph.subgraph(nodes).edges()}
        heading = f"Who can reach {graph.nodes[focus].get('label', focus)}" + (f" (≤ {depth} hops)" if depth else "")
    elif account:
        inside = {n for n, d in graph.nodes(data=True) if d.get("account") == account
                  and node_spec(d.get("kind")).in_account_box}
        if not inside:
            raise KeyError(account)
        edges = {(u, v) for n in inside for u, v in [*graph.in_edges(n), *graph.out_edges(n)]}
        nodes = {n for e in edges for n in e}  # principals of the account that no trust touches add nothing
        if not service_linked:
            hidden = _hide_service_linked(graph, nodes, edges)
        name = graph.graph.get("account_names", {}).get(account)
        heading = (f"Account {name} ({account})" if name else f"Account {account}") + " and what touches it"
    else:
        # Nodes with no edge at all (e.g. unused users) add clutter to a trust map.
        nodes = {n for n in graph.nodes if graph.degree(n) > 0}
        edges = set(graph.edges())
        if not service_linked:
            hidden = _hide_service_linked(graph, nodes, edges)
        heading = "Trust map"
    graph, nodes, edges, marks, folded = _fold_for_size(graph, nodes, edges, [focus] if focus else [], marks,
                                                        home=account)
    if max_nodes is not None and len(nodes) > max_nodes:
        hint = "draw --view accounts, or " if not focus else "lower --depth, or "
        raise ViewTooLarge(f"this view has {len(nodes)} nodes (limit --max-nodes {max_nodes}); {hint}narrow it "
                           "with --focus ROLE_ARN --depth N or --account ID, or raise --max-nodes")
    if not title:
        title = heading + f": {len(nodes)} nodes, {len(edges)} trusts"
        if hidden:
            title += f" ({hidden} service-linked roles hidden)"
        if folded:
            title += f" ({folded} alike principals folded into groups)"
    if note:
        title += f" — {note}"
    return to_dot(graph, nodes, title=title, highlight=[focus] if focus else [], edges=edges, engine=engine,
                  marks=marks)


def reach_paths_view(graph: nx.DiGraph, target: str, paths: Iterable[list[str]], marks: Marks = NO_MARKS) -> TrustDot:
    nodes = {target}
    edges: set[tuple[str, str]] = set()
    for path in paths:
        nodes.update(path)
        edges.update(zip(path, path[1:], strict=False))
    label = graph.nodes[target].get("label", target)
    title = f"Paths to {label}"
    graph, nodes, edges, marks, folded = _fold_for_size(graph, nodes, edges, [target], marks)
    if folded:
        title += f" ({folded} alike principals folded into groups)"
    return to_dot(graph, nodes, title=title, highlight=[target], edges=edges or None, marks=marks)


def reachers_view(graph: nx.DiGraph, target: str, reachers: Iterable[Any], marks: Marks = NO_MARKS) -> TrustDot:
    """The picture of who can reach `target`: each reacher's route (analysis.reachability.Reacher: its path through
    the hubs it enters), alike principals folded into groups above FOLD_ABOVE nodes. What `who-can-reach -o` draws,
    and what the review draws for each sensitive role: one picture, one implementation."""
    return reach_paths_view(graph, target, [r.route or r.path for r in reachers], marks)


def auto_view(graph: nx.DiGraph, max_nodes: int | None, has_ous: bool = False) -> str:
    """The view that reads for the size of the data: "principals" for up to AUTO_ACCOUNTS accounts and
    `max_nodes` principals, "accounts" up to AUTO_ACCOUNT_VIEW accounts, above that "ous" when the
    organization's OUs are known (`has_ous`), else "matrix"."""
    accounts = len(accounts_in_data(graph))
    if accounts <= AUTO_ACCOUNTS and (max_nodes is None or principal_count(graph) <= max_nodes):
        return "principals"
    if accounts <= AUTO_ACCOUNT_VIEW:
        return "accounts"
    return "ous" if has_ous else "matrix"


def render_account_view(graph: nx.DiGraph, path: str | Path, fmt: str | None = None, *,
                        organization: Any = None, known_accounts: Mapping[str, str] | None = None,
                        account: str | None = None) -> Path:
    """Draw the account view of `graph` to `path` (svg, png, pdf, dot or html); returns the path written."""
    from trustgraph.render.engine import render

    dot = account_view(graph, organization=organization, known_accounts=known_accounts, account=account)
    return render(dot, path, fmt)
