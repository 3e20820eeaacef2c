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

from trustgraph.graph.schema import (
    NodeKind,
    is_answer,
    is_hub_data,
    is_kind,
    is_membership,
    is_principal,
    is_trust_edge,
    node_spec,
)
from trustgraph.render.accounts import account_view, accounts_in_data, principal_count
from trustgraph.render.crowds import fold_crowds
from trustgraph.render.dot import TrustDot, edge_label, to_dot
from trustgraph.render.marks import NO_MARKS, Marks
from trustgraph.render.peers import PEER_FOLD_ABOVE, fold_peers_by_ou
from trustgraph.render.usage import fold_key, merge_use, usage_marked, window_text

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
            edge_label(data), fold_key(data))


def _foldable(data: Mapping[str, Any]) -> bool:
    """A user or role of the data, or a whole account outside it trusted as a principal (a trust naming 50,000
    accounts draws as one node per alike group, not one box per account)."""
    return is_principal(data) or (is_kind(data, NodeKind.ACCOUNT) and not is_hub_data(data)
                                  and not data.get("in_data"))


def fold_repeated(graph: nx.DiGraph, nodes: set[str], edges: set[tuple[str, str]], keep: Iterable[str] = (),
                  marks: Marks = NO_MARKS, across: bool = False,
                  home: str | None = None) -> tuple[nx.DiGraph, set[str], set[tuple[str, str]], Marks, int]:
    """Fold users and roles (and accounts outside the data trusted as principals) alike in kind, account, marks and
    in every drawn trust in and out ("37 roles trusting the same caller") into one node per group of at least
    FOLD_MIN. `across`: also fold alike
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
        if n in kept or not _foldable(data):
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
        else:
            merge_use(out.edges[a, b], graph.edges[u, v])
    new_marks = Marks({rep.get(k, k): v for k, v in marks.sensitive.items()},
                      {rep.get(k, k): v for k, v in marks.findings.items()}, marks.findings_floor, marks.details)
    return out, set(out.nodes), set(out.edges), new_marks, len(rep) - len(folded)


def fold_alike_hubs(graph: nx.DiGraph, nodes: set[str], edges: set[tuple[str, str]]
                    ) -> tuple[nx.DiGraph, set[str], set[tuple[str, str]], int]:
    """Fold hubs of one kind and account with the same callers and the same targets (an instance role reached
    through ssm:SendCommand, ssm:StartSession, EC2 Instance Connect…: one route said four ways) into one node
    naming each technique. Account hubs and admin nodes stay. Returns the graph to draw, its nodes and edges,
    and how many hubs folded away."""
    ins: dict[str, set[str]] = defaultdict(set)
    outs: dict[str, set[str]] = defaultdict(set)
    for u, v in edges:
        outs[u].add(v)
        ins[v].add(u)
    groups: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for n in sorted(nodes):
        data = graph.nodes[n]
        if is_hub_data(data) and not is_kind(data, NodeKind.ACCOUNT, NodeKind.ACCOUNT_ADMIN, NodeKind.CLASS):
            groups[(data.get("kind"), data.get("account"), frozenset(ins[n]), frozenset(outs[n]))].append(n)
    rep = {m: f"{members[0]}#{len(members)}" for members in groups.values() if len(members) > 1 for m in members}
    if not rep:
        return graph, nodes, edges, 0
    out: nx.DiGraph[str] = nx.DiGraph()
    out.graph = graph.graph
    for n in sorted(nodes):
        if n not in rep:
            out.add_node(n, **graph.nodes[n])
    for members in (m for m in groups.values() if len(m) > 1):
        data = dict(graph.nodes[members[0]])
        labels = sorted({str(graph.nodes[m].get("label", m)) for m in members})
        heads = {label.split(" (", 1)[0] for label in labels}
        head = heads.pop() if len(heads) == 1 else node_spec(data.get("kind")).legend
        # one technique a line, under what they all reach (labels read "code of any X (technique)")
        ways = [label.split(" (", 1)[1].rstrip(")") if " (" in label else label for label in labels]
        data.update(label=f"{head}, {len(members)} ways", folded=list(members), ways=ways)
        out.add_node(rep[members[0]], **data)
    for u, v in sorted(edges):
        a, b = rep.get(u, u), rep.get(v, v)
        if not out.has_edge(a, b):
            edge = dict(graph.edges[u, v])
            if u in rep or v in rep:
                edge["technique"] = "any of them"
            out.add_edge(a, b, **edge)
        else:
            merge_use(out.edges[a, b], graph.edges[u, v])
    drawn = {rep.get(n, n) for n in nodes}
    return out, drawn, {(rep.get(u, u), rep.get(v, v)) for u, v in edges}, len(nodes) - len(drawn)


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


def admin_fan_out(graph: nx.DiGraph, edges: Iterable[tuple[str, str]]) -> dict[str, set[tuple[str, str]]]:
    """The edges from an account-admin node to the principals it takes over (every role and user of its account,
    and for the management account every Identity Center user and group), by admin node. Drawn one by one they
    are most of a picture's edges and say one thing, "whoever gets here owns all of it": pictures draw the admin
    node with that count instead (edges to other hubs, e.g. another account's admin node, stay drawn)."""
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    nodes = graph.nodes
    for u, v in edges:
        if is_kind(nodes[u], NodeKind.ACCOUNT_ADMIN) and is_answer(nodes[v]):
            found[u].add((u, v))
    return found


def _admin_lines(graph: nx.DiGraph, fan: Mapping[str, set[tuple[str, str]]]) -> dict[str, list[str]]:
    """A label line per admin node: how many principals it takes over (their edges not drawn)."""
    lines = {}
    for admin, edges in fan.items():
        kinds = Counter(node_spec(graph.nodes[v].get("kind")).words[1] for _, v in edges)
        said = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
        lines[admin] = [f"takes over {said} (edges not drawn)"]
    return lines


def principals_view(graph: nx.DiGraph, *, focus: str | None = None, depth: int | None = None,
                    account: str | None = None, max_nodes: int | None = None, title: str = "",
                    service_linked: bool = False, engine: str = "dot", marks: Marks = NO_MARKS,
                    note: str = "", usage: bool = False) -> TrustDot:
    """The detailed map: whole, upstream of `focus`, or around one `account`.

    Every route is drawn: trust edges and the PassRole, code and IAM edges (styled by kind, as
    `who-can-reach -o` draws them), so a principal whose only reach is indirect is on the map. The edges from
    an account-admin node to every principal of its account are said in the admin node's label rather than
    drawn (`admin_fan_out`). Service-linked roles that lead nowhere are left out of the whole and account maps
    unless `service_linked` is set. Each drawn principal's evidence carries `reachers`, the count
    `who-can-reach` gives (analysis.reachability.reached_from), computed only when the evidence is read (HTML,
    JSON). Raises ViewTooLarge above `max_nodes` nodes, and KeyError for an account that has no principal in
    the graph.
    """
    full = graph
    hidden = 0
    if focus:
        nodes = upstream(graph, focus, depth)
        edges = {(u, v) for u, v in graph.subgraph(nodes).edges()}
        heading = f"Who can reach {graph.nodes[focus].get('label', focus)}" + (f" (≤ {depth} hops)" if depth else "")
    elif account:
        inside = {n for n, d in graph.nodes(data=True) if d.get("account") == account
                  and (node_spec(d.get("kind")).in_account_box or is_hub_data(d))}
        if not any(node_spec(graph.nodes[n].get("kind")).in_account_box for n in inside):
            raise KeyError(account)
        edges = {(u, v) for n in inside for u, v in [*graph.in_edges(n), *graph.out_edges(n)]}
        if not service_linked:
            hidden = _hide_service_linked(graph, {n for e in edges for n in e}, edges)
        name = graph.graph.get("account_names", {}).get(account)
        heading = (f"Account {name} ({account})" if name else f"Account {account}") + " and what touches it"
    else:
        edges = set(graph.edges())
        if not service_linked:
            hidden = _hide_service_linked(graph, set(graph.nodes), edges)
        heading = "Trust map"
    fan = admin_fan_out(graph, edges) if not focus else {}
    folded_fan = sum(len(e) for e in fan.values())
    admin_lines = _admin_lines(graph, fan)
    for fanned in fan.values():
        edges -= fanned
    if account and not focus:
        # principals of the account that no route touches add nothing
        nodes = {n for e in edges for n in e} | set(fan)
    elif not focus:
        # Nodes with no edge at all add clutter; a principal only its account's admins reach is still a user or
        # role of the data, drawn in its account's box.
        nodes = {n for e in edges for n in e} | set(fan) | {
            n for n, d in graph.nodes(data=True) if graph.degree(n) > 0 and is_principal(d)
            and not (d.get("service_linked") and not service_linked)}
    if usage:  # each edge says whether it was used (render/usage.py), before alike principals fold
        graph = usage_marked(graph, nodes, edges)
    peers_folded = 0
    if account and not focus:
        graph, nodes, edges, marks, peers_folded = fold_peers_by_ou(graph, nodes, edges, account, marks)
    graph, nodes, edges, hubs_folded = fold_alike_hubs(graph, nodes, edges)
    graph, nodes, edges, marks, folded = _fold_for_size(graph, nodes, edges, [focus] if focus else [], marks,
                                                        home=account)
    # one account's or one role's picture; the whole map keeps its principals (its size has --max-nodes)
    graph, nodes, edges, marks, crowds = fold_crowds(graph, nodes, edges, [focus] if focus else [], marks,
                                                     above=None if focus or account else len(nodes))
    if max_nodes is not None and len(nodes) > max_nodes:
        hint = "draw --view accounts, or " if not focus else "lower --depth, or "
        raise ViewTooLarge(f"this view has {len(nodes)} nodes (limit --max-nodes {max_nodes}); {hint}narrow it "
                           "with --focus ROLE_ARN --depth N or --account ID, or raise --max-nodes")
    if not title:
        indirect = sum(1 for u, v in edges if not is_trust_edge(graph.edges[u, v])
                       and not is_membership(graph.edges[u, v]))
        title = heading + f": {len(nodes)} nodes, {len(edges)} routes ({indirect} PassRole/code/IAM)"
        if folded_fan:
            title += f" ({folded_fan} account-admin edges to every principal of an account said in the admin node)"
        if hidden:
            title += f" ({hidden} service-linked roles hidden)"
        if peers_folded:
            title += (f" ({peers_folded} peer accounts folded by OU: more than {PEER_FOLD_ABOVE}; --view accounts "
                      "--account draws them one by one)")
        if folded:
            title += f" ({folded} alike principals folded into groups)"
        if hubs_folded:
            title += f" ({hubs_folded} alike code/PassRole hubs folded)"
        if crowds.groups:
            drill = ("who-can-reach ROLE -o draws one role's callers" if account else
                     "--account ID draws one account's principals")
            title += f" ({crowds.text(drill)})"
    if note:
        title += f" — {note}"
    if usage:
        title += f" — {window_text(graph)}"
    dot = to_dot(graph, nodes, title=title, highlight=[focus] if focus else [], edges=edges, engine=engine,
                 marks=marks, extra_lines=admin_lines)
    dot.turnable = bool(crowds.groups)
    attach_reachers(full, dot)
    return dot


def attach_reachers(graph: nx.DiGraph, dot: TrustDot) -> None:
    """Give each drawn principal's evidence `reachers`: how many principals can reach it, the number
    `who-can-reach` prints (the same function: analysis.reachability.reached_from on the whole graph, whatever the
    picture draws), and `reacher_elements`: the drawn elements standing for them, for the explorer to light.
    Computed when the evidence is read: SVG and PNG never pay for it."""
    from trustgraph.analysis.reachability import reached_from

    element_of: dict[str, str] = {}
    for element, info in list(dot.evidence.items()):
        if not element.startswith("node-"):
            continue
        node = str(info.get("id"))
        for member in info.get("folded") or [node]:
            element_of.setdefault(str(member), element)
    for element, info in list(dot.evidence.items()):
        node = str(info.get("id"))
        if not element.startswith("node-") or info.get("folded") or node not in graph \
                or not is_answer(graph.nodes[node]):
            continue

        def lazy(info: dict[str, Any] = info, node: str = node) -> dict[str, Any]:
            found = reached_from(graph, node)
            lit = sorted({element_of[r.principal] for r in found if r.principal in element_of})
            return {**info, "reachers": len(found), "reacher_elements": lit}

        dot.evidence[element] = lazy


def reach_paths_view(graph: nx.DiGraph, target: str, paths: Iterable[list[str]], marks: Marks = NO_MARKS,
                     usage: bool = False) -> TrustDot:
    """The paths (routes through hubs) to `target`; `usage`: each edge drawn by whether it was used."""
    nodes = {target}
    edges: set[tuple[str, str]] = set()
    for path in paths:
        nodes.update(path)
        edges.update(zip(path, path[1:], strict=False))
    label = graph.nodes[target].get("label", target)
    title = f"Paths to {label}"
    if usage:
        graph = usage_marked(graph, nodes, edges)
        title += f" — {window_text(graph)}"
    graph, nodes, edges, marks, folded = _fold_for_size(graph, nodes, edges, [target], marks)
    if folded:
        title += f" ({folded} alike principals folded into groups)"
    graph, nodes, edges, marks, crowds = fold_crowds(graph, nodes, edges, [target], marks)
    if crowds.groups:
        title += " (" + crowds.text("who-can-reach --json lists each, map --account ID draws its account") + ")"
    dot = to_dot(graph, nodes, title=title, highlight=[target], edges=edges or None, marks=marks)
    dot.turnable = bool(crowds.groups)
    return dot


def reachers_view(graph: nx.DiGraph, target: str, reachers: Iterable[Any], marks: Marks = NO_MARKS,
                  usage: bool = False) -> TrustDot:
    """The picture of who can reach `target`: each reacher's route (analysis.reachability.Reacher: its path through
    the hubs it enters), alike principals folded into groups above FOLD_ABOVE nodes. What `who-can-reach -o` draws,
    and what the review draws for each sensitive role: one picture, one implementation."""
    return reach_paths_view(graph, target, [r.route or r.path for r in reachers], marks, usage)


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
