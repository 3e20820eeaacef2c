"""Who can reach a role, what a principal can reach, and the k shortest paths between two nodes.

A reacher's answer uses its shortest unconditional path when one exists, else its shortest conditional
one: one breadth-first search over unconditional edges, one over all edges, each from the target.
"""

from __future__ import annotations

import difflib
import heapq
import itertools
import weakref
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from trustgraph.arns import ACCOUNT_ID, parse_arn, root_arn
from trustgraph.graph.classification import classify_nodes, is_outside, prepared_context
from trustgraph.graph.schema import (
    EDGE_SPECS,
    EdgeKind,
    NodeKind,
    TrustGraph,
    edge_kinds,
    graph_dicts,
    hop_cost,
    hub_needed,
    is_answer,
    is_hub,
    is_hub_data,
    is_kind,
    is_membership,
    is_principal,
    kind_needed,
    via_kinds,
)
from trustgraph.graph.usage import UNUSED, has_usage, step_usage
from trustgraph.saved.lazy import LazyGraph

# Identity Center's people and groups: named by their user or group name, which is no ARN's last part.
_NAMED_KINDS = (NodeKind.IDENTITY_CENTER_USER, NodeKind.IDENTITY_CENTER_GROUP)


class NodeNotFound(LookupError):
    def __init__(self, query: str, suggestions: list[str], message: str | None = None) -> None:
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(message or f"{query!r} is not in the trust graph{hint}")
        self.query = query
        self.suggestions = suggestions


@dataclass(frozen=True, slots=True)
class PathAnswer:
    path: list[str]
    conditional: bool
    conditions: list[str]
    route: list[str] = field(default_factory=list)  # the path with account hubs, for drawing
    steps: list[dict[str, Any]] = field(default_factory=list)  # each edge of the route: kind, technique, use

    @property
    def hops(self) -> int:
        return len(self.path) - 1


@dataclass(frozen=True, slots=True)
class Reacher:
    principal: str
    kind: str
    hops: int
    path: list[str]
    conditional: bool
    conditions: list[str]
    route: list[str] = field(default_factory=list)  # the path with account hubs, for drawing
    account: str | None = None
    account_name: str | None = None
    classification: str | None = None
    vendor: str | None = None
    ou_path: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)  # each edge of the route: kind, technique, use
    # Only in graphs holding Identity Center data (answers of other graphs stay as they were): the node's name,
    # and a group's member count.
    name: str | None = None
    members: int | None = None


@dataclass(frozen=True, slots=True)
class Reached:
    """A reacher as the search found it, before its account facts, classification and steps are looked up: what
    counting and ordering need (`full_reacher` makes the Reacher of the few that are shown)."""

    principal: str
    kind: str
    hops: int
    path: list[str]
    route: list[str]
    conditional: bool
    conditions: list[str]


@dataclass(slots=True)
class WhoCanReach:
    target: str
    reachers: list[Reacher] = field(default_factory=list)


@dataclass(slots=True)
class Reach:
    source: str
    reachable: list[Reacher] = field(default_factory=list)  # `principal` holds the reached role


def resolve_node(graph: TrustGraph, query: str) -> str:
    """Accept an ARN, a bare account id, a session ARN, or a unique role/user name."""
    if query in graph:
        return query
    if ACCOUNT_ID.match(query):
        if root_arn(query) in graph and not is_hub(graph, root_arn(query)):
            return root_arn(query)
        raise _account_not_principal(graph, query)
    arn = parse_arn(query)
    if arn and arn.service == "sts" and arn.resource.startswith("assumed-role/"):
        name = arn.resource.split("/")[1]
        for node, data in graph.nodes(data=True):
            if data.get("kind") == NodeKind.ROLE and data.get("account") == arn.account and node.endswith("/" + name):
                return node
    named = [n for n, d in graph.nodes(data=True) if is_principal(d) and n.rsplit("/", 1)[-1] == query]
    if len(named) == 1:
        return named[0]
    if not named and "identity_center" in graph.graph:
        people = sorted(n for n, d in graph.nodes(data=True) if is_kind(d, *_NAMED_KINDS) and d.get("name") == query)
        if len(people) == 1:
            return people[0]
        if people:
            raise NodeNotFound(query, people, f"{query!r} names {len(people)} Identity Center users or groups: "
                                              f"give the ARN of one of {', '.join(people)}")
    candidates = named or difflib.get_close_matches(query, [str(n) for n in graph.nodes], n=3, cutoff=0.6)
    if not candidates and "identity_center" in graph.graph:
        names = [str(d["name"]) for _, d in graph.nodes(data=True) if is_kind(d, *_NAMED_KINDS) and d.get("name")]
        candidates = difflib.get_close_matches(query, names, n=3, cutoff=0.6)
    raise NodeNotFound(query, sorted(candidates)[:3])


def _account_not_principal(graph: TrustGraph, account: str) -> NodeNotFound:
    # An account of the data is many principals; its hub node (if any) is a waypoint, never a query end.
    principals = sorted(n for n, d in graph.nodes(data=True)
                        if d.get("account") == account and is_principal(d))
    if not principals:
        return NodeNotFound(account, [], f"account {account} has no principals in this data set")
    examples = ", ".join(principals[:3]) + (f" (and {len(principals) - 3} more)" if len(principals) > 3 else "")
    count = f"{len(principals)} principal{'' if len(principals) == 1 else 's'}"
    return NodeNotFound(account, principals[:3],
                        f"{account} is an account of {count}; name one of them (e.g. {examples}), "
                        f"or draw the account with `trustgraph map --account {account}`")


# graph → {allowed kinds: (edge count when made, restricted graph)}: findings ask for many roles of one graph.
_RESTRICTED: weakref.WeakKeyDictionary[TrustGraph, dict[frozenset[str], tuple[int, TrustGraph]]] = \
    weakref.WeakKeyDictionary()


def restrict(graph: TrustGraph, via: Iterable[str] | str | None) -> TrustGraph:
    """The graph with only the edges `via` allows (membership edges, of no --via group, always stay). An edge some
    of whose alternatives are left out keeps the others, and is conditional as they are."""
    allowed = via_kinds(via)
    if allowed is None:
        return graph
    if isinstance(graph, LazyGraph):
        # A saved graph read on demand: the same rule applied to each node and edge as it is read.
        blocked = _blocked(allowed)
        verdicts: dict[Any, int] = {}
        return graph.restricted(allowed, lambda kind: kind_needed(kind, allowed),
                                lambda data: _kept_edge(data, blocked, verdicts))
    made = _RESTRICTED.setdefault(graph, {})
    cached = made.get(allowed)
    edges = _edge_count(graph)
    if cached is not None and cached[0] == edges:
        return cached[1]
    out = _restricted(graph, allowed)
    made[allowed] = (edges, out)
    return out


def _edge_count(graph: TrustGraph) -> int:
    # number_of_edges() goes through the degree view: on an organization's graph, asked once per query, it cost more
    # than the queries.
    return sum(map(len, graph_dicts(graph).succ.values()))


_KEPT, _LEFT_OUT, _PARTLY = 1, 2, 3  # what `restrict` does with an edge


def _restricted(graph: TrustGraph, allowed: frozenset[str]) -> TrustGraph:
    # Built into networkx's own dicts, sharing the node and edge attribute dicts of `graph` (read only, as every
    # search reads them): copying them cost more than the query on an organization's graph (an OU map paid 1 s
    # of 4 at 1,000 accounts). Only an edge some of whose alternatives are left out gets attributes of its own.
    # The orders are those `add_edge` over `graph.edges` gave: nodes and successors as in `graph`, predecessors
    # by the order of their nodes.
    nodes, succ, _ = graph_dicts(graph)
    out: TrustGraph = nx.DiGraph()
    out.graph = graph.graph
    out_nodes, out_succ, out_pred = graph_dicts(out)
    # A hub entered only through kinds left out (admin nodes through IAM edges, policy groups leading only to
    # indirect edges) is a dead end, and left out.
    for n, d in nodes.items():
        if hub_needed(d, allowed):
            out_nodes[n] = d
            out_succ[n] = {}
            out_pred[n] = {}
    blocked = _blocked(allowed)
    verdicts: dict[Any, int] = {}
    for u, row in succ.items():
        kept_row = out_succ.get(u)
        if kept_row is None:
            continue
        for v, data in row.items():
            into = out_pred.get(v)
            if into is None:
                continue
            kept = _kept_edge(data, blocked, verdicts)
            if kept is None:
                continue
            kept_row[v] = kept
            into[u] = kept
    return out


def _blocked(allowed: frozenset[str]) -> frozenset[str]:
    """The kinds of the other --via groups; membership (no group) and kinds without a row are always followed."""
    return frozenset(str(k) for k, spec in EDGE_SPECS.items() if spec.via is not None and k not in allowed)


def _kept_edge(data: dict[str, Any], blocked: frozenset[str], verdicts: dict[Any, int]) -> dict[str, Any] | None:
    """An edge's attributes as `restrict` keeps them: as they are, without the alternatives of blocked kinds, or
    None (left out). `verdicts`: an edge's kinds → _KEPT, _LEFT_OUT or _PARTLY, filled as edges are met."""
    several = data.get("kinds")
    key = tuple(several) if several else data.get("kind")
    verdict = verdicts.get(key)
    if verdict is None:
        kinds = edge_kinds(data)
        verdict = verdicts[key] = (_KEPT if not any(k in blocked for k in kinds)
                                   else _LEFT_OUT if all(k in blocked for k in kinds) else _PARTLY)
    if verdict == _LEFT_OUT:
        return None
    return _partly_kept(data, blocked) if verdict == _PARTLY else data


def _partly_kept(data: Mapping[str, Any], blocked: Collection[str]) -> dict[str, Any]:
    """An edge's attributes with the alternatives of blocked kinds left out; conditional as the others are."""
    records = [r for r in data.get("evidence", ()) if r.get("kind", data.get("kind")) not in blocked]
    conditional = all(r.get("conditions") for r in records)
    kept = [k for k in edge_kinds(data) if k not in blocked]
    kept_data = {**data, "kind": kept[0], "kinds": kept, "evidence": records, "conditional": conditional,
                 "conditions": sorted({c["key"] for r in records for c in r.get("conditions", ())})
                 if conditional else []}
    technique = next((r["technique"] for r in records if r.get("technique")), None)
    if technique:
        kept_data["technique"] = technique
    else:
        kept_data.pop("technique", None)
    return kept_data


def _own_keys(data: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(data.get("conditions", ())) if data.get("conditional") else frozenset()


def _bfs(graph: TrustGraph, start: str, reverse: bool, unconditional_only: bool,
         max_hops: int | None, keys: dict[str, frozenset[str]] | None = None) -> dict[str, str | None]:
    """Parents of a shortest-path tree: node → the next node toward `start` (None for start itself).

    With `keys`, also the condition keys met along each chosen path, and among equally short paths the one
    with the fewest keys (then the alphabetically first) wins: a search ordered by (hops, number of keys,
    keys), so the answer depends neither on the order edges were added in nor on whether alternatives are
    folded into one edge or drawn through a hub."""
    if keys is not None:
        return _labelled(graph, start, reverse, max_hops, keys)
    adjacency = graph_dicts(graph).pred if reverse else graph_dicts(graph).succ  # the views cost more than the search
    parents: dict[str, str | None] = {start: None}
    depth = {start: 0}
    done: set[str] = set()
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node in done:
            continue
        done.add(node)
        for neighbour, data in adjacency[node].items():
            if neighbour in done or (unconditional_only and data.get("conditional")):
                continue
            step = hop_cost(data)
            d = depth[node] + step
            if max_hops is not None and d > max_hops:
                continue
            known = depth.get(neighbour)
            if known is None or d < known:
                depth[neighbour] = d
                parents[neighbour] = node
                if step:
                    queue.append(neighbour)
                else:
                    queue.appendleft(neighbour)
    return parents


def _labelled(graph: TrustGraph, start: str, reverse: bool, max_hops: int | None,
              keys: dict[str, frozenset[str]]) -> dict[str, str | None]:
    adjacency = graph_dicts(graph).pred if reverse else graph_dicts(graph).succ
    parents: dict[str, str | None] = {start: None}
    keys[start] = frozenset()
    best: dict[str, tuple[int, int, tuple[str, ...]]] = {start: (0, 0, ())}
    done: set[str] = set()
    heap: list[tuple[int, int, tuple[str, ...], int, str]] = [(0, 0, (), 0, start)]
    pushed = 0
    while heap:
        d, _, _, _, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        mine = keys[node]
        for neighbour, data in adjacency[node].items():
            if neighbour in done:
                continue
            nd = d + hop_cost(data)
            if max_hops is not None and nd > max_hops:
                continue
            found = mine | _own_keys(data) if data.get("conditional") else mine
            label = (nd, len(found), tuple(sorted(found)) if found else ())
            known = best.get(neighbour)
            if known is None or label < known:
                best[neighbour] = label
                parents[neighbour] = node
                keys[neighbour] = found
                pushed += 1
                heapq.heappush(heap, (*label, pushed, neighbour))
    return parents


def _walk(parents: dict[str, str | None], node: str) -> list[str]:
    path = [node]
    while (nxt := parents[path[-1]]) is not None:
        path.append(nxt)
    return path


def nearest_targets(graph: TrustGraph, targets: Iterable[str], *, unconditional_only: bool = False,
                    keep: Callable[[Mapping[str, Any]], bool] | None = None) -> dict[str, list[tuple[str, str | None]]]:
    """One search from many targets at once over the reversed graph: for every node that reaches any of them, its
    two nearest distinct targets (a target is its own nearest; the second says what else it reaches), each as
    (target, next node toward it). `keep`: only edges it admits; `unconditional_only`: no conditional edge.

    A 0-1 breadth-first search where each node is settled at most twice (once per distinct target), so the cost
    is that of two searches, whatever the number of targets: asking who reaches a set of roles never loops over
    the roles. `route_to` walks an answer."""
    predecessors = graph_dicts(graph).pred
    settled: dict[str, list[tuple[str, str | None]]] = {}
    queue: deque[tuple[int, str, str, str | None]] = deque((0, t, t, None) for t in sorted(targets))
    while queue:
        depth, node, origin, parent = queue.popleft()
        have = settled.get(node)
        if have is None:
            settled[node] = [(origin, parent)]
        elif len(have) > 1 or have[0][0] == origin:
            continue
        else:
            have.append((origin, parent))
        for caller, data in predecessors[node].items():
            if (unconditional_only and data.get("conditional")) or (keep is not None and not keep(data)):
                continue
            known = settled.get(caller)
            if known is not None and (len(known) > 1 or known[0][0] == origin):
                continue
            if hop_cost(data):
                queue.append((depth + 1, caller, origin, node))
            else:
                queue.appendleft((depth, caller, origin, node))
    return settled


def route_to(found: Mapping[str, list[tuple[str, str | None]]], node: str, target: str) -> list[str]:
    """The route node → … → target of a `nearest_targets` answer (hubs included)."""
    route = [node]
    while True:
        parent = next(p for origin, p in found[route[-1]] if origin == target)
        if parent is None:
            return route
        route.append(parent)


def path_conditions(graph: TrustGraph, path: list[str]) -> tuple[bool, list[str]]:
    conditional = False
    keys: set[str] = set()
    for a, b in itertools.pairwise(path):
        data = graph.edges[a, b]
        if data.get("conditional"):
            conditional = True
            keys.update(data.get("conditions", ()))
    return conditional, sorted(keys)


Answer = tuple[str, list[str], bool, list[str]]  # node, route, conditional, condition keys


def _answers(graph: TrustGraph, start: str, reverse: bool, max_hops: int | None,
             visited: set[str] | None = None) -> Iterable[Answer]:
    """(node, route, conditional, keys) for every node connected to `start`; routes run caller → … → role,
    hubs included. `visited`: filled with every node the search met, hubs and `start` included."""
    firm = _bfs(graph, start, reverse, True, max_hops)
    loose_keys: dict[str, frozenset[str]] = {}
    loose = _bfs(graph, start, reverse, False, max_hops, loose_keys)
    if visited is not None:
        visited.update(loose)
    for node in loose:
        if node == start or is_hub(graph, node):
            continue
        if node in firm:
            walked, conditional, keys = _walk(firm, node), False, []
        else:
            walked, conditional, keys = _walk(loose, node), True, sorted(loose_keys[node])
        yield node, walked if reverse else list(reversed(walked)), conditional, keys


def principals_only(graph: TrustGraph, route: list[str]) -> list[str]:
    """The route's principals: hubs left out, and so is a node entered by an edge of no hop (an Identity Center
    group its member passes through): a path has one node per hop."""
    nodes, successors, _ = graph_dicts(graph)
    out = []
    for i, n in enumerate(route):
        if is_hub_data(nodes[n]):
            continue
        if i and hop_cost(successors[route[i - 1]][n]) == 0:
            continue
        out.append(n)
    return out


def route_steps(graph: TrustGraph, route: list[str]) -> list[dict[str, Any]]:
    """How each edge of a route is taken: its kind (assume, passrole, code, iam, …; member edges into account and
    class hubs left out) and, for indirect edges, the technique."""
    steps: list[dict[str, Any]] = []
    observed = has_usage(graph)
    caller = route[0] if route else ""
    for a, b in itertools.pairwise(route):
        data = graph.edges[a, b]
        if is_membership(data):
            continue
        step: dict[str, Any] = {"from": a, "to": b, "kind": data.get("kind"), "technique": data.get("technique")}
        if "permission_set" in data:  # a sign-in through Identity Center
            step["permission_set"] = data["permission_set"]
        if observed:  # graphs with CloudTrail usage (docs/usage.md): used, unused or unknown in the window
            state, record = step_usage(graph, caller, a, b)
            step["usage"] = state
            step["last_used"] = record["last"] if record else None
            step["use_count"] = record["count"] if record else (0 if state == UNUSED else None)
        steps.append(step)
        caller = b
    return steps


def _reached(graph: TrustGraph, answer: Answer) -> Reached:
    node, route, conditional, conditions = answer
    path = principals_only(graph, route)
    return Reached(node, graph.nodes[node].get("kind", NodeKind.UNKNOWN.value), len(path) - 1, path, route, conditional,
                   conditions)


def full_reacher(graph: TrustGraph, found: Reached, other_end: str, ctx: Mapping[str, Any]) -> Reacher:
    """The Reacher of a search answer: its account facts, classification and the steps of its route added."""
    node, route, path = found.principal, found.route, found.path
    data = graph_dicts(graph).nodes[node]
    name = members = None
    if "identity_center" in graph.graph:
        name = str(data.get("name") or data.get("label") or node)
        members = data.get("members") if is_kind(data, NodeKind.IDENTITY_CENTER_GROUP) else None
    return Reacher(principal=node, kind=found.kind, hops=found.hops, path=path, route=route,
                   conditional=found.conditional, conditions=found.conditions, account=data.get("account"),
                   account_name=data.get("account_name") or None,
                   classification=reached_classification(graph, found, other_end, ctx),
                   vendor=data.get("vendor"), ou_path=data.get("ou_path"), steps=route_steps(graph, route),
                   name=name, members=members)


def reached_classification(graph: TrustGraph, found: Reached, other_end: str, ctx: Mapping[str, Any]) -> str:
    """How the caller end of a search answer stands to the other end (graph/classification.classify_nodes)."""
    node = found.principal
    caller, callee = (node, other_end) if found.path[0] == node else (other_end, node)
    return classify_nodes(graph, caller, callee, ctx)


def _reacher(graph: TrustGraph, answer: Answer, other_end: str, ctx: Mapping[str, Any]) -> Reacher:
    return full_reacher(graph, _reached(graph, answer), other_end, ctx)


def _order(r: Reacher | Reached) -> tuple[bool, int, str]:
    return (r.conditional, r.hops, r.principal)


def reached_from(graph: TrustGraph, target: str, people: bool = False,
                 kinds: Collection[str] | None = None, visited: set[str] | None = None) -> list[Reached]:
    """Every node with a path to `target` (a node of `graph`, already restricted), in who_can_reach's order, before
    classification and steps: for callers that count reachers and show only a few (findings). `people`: as
    who_can_reach's; `kinds`: only nodes of these kinds (the others are never made answers); `visited`: filled with
    every node the search met (`target` and hubs included)."""
    keep = _people_filter(graph, None, people)
    nodes = graph_dicts(graph).nodes
    found = [_reached(graph, answer) for answer in _answers(graph, target, True, None, visited)
             if (kinds is None or nodes[answer[0]].get("kind") in kinds) and (keep is None or keep(answer))]
    found.sort(key=_order)
    return found


def in_edge_signature(graph: TrustGraph, node: str) -> tuple[tuple[str, int, bool, frozenset[str]], ...]:
    """All a reverse search from `node` reads of the node itself: its callers in the order the search meets them,
    each with the hop cost, conditionality and condition keys of its edge in. Two nodes alike in it have the same
    reachers by the same routes, but for the last node, unless one of them reaches its own callers (a cycle)."""
    return tuple((caller, hop_cost(data), bool(data.get("conditional")), _own_keys(data))
                 for caller, data in graph_dicts(graph).pred[node].items())


class SharedReachers:
    """`reached_from` for many targets of one graph, one search per class of targets with the same
    `in_edge_signature`: an organization's sensitive roles are mostly a few templates trusted by the same callers
    (a security account's role, an account's own admins), and each class's answer is the first member's with the
    last node of every route renamed. A target that reaches one of its callers (a cycle through it) would be a
    reacher of its class mates, or their route would pass through it: such a target searches alone, and a first
    member on a cycle stands for no class. `searches` counts the searches run."""

    def __init__(self, graph: TrustGraph, people: bool = False, kinds: Collection[str] | None = None) -> None:
        self.graph = graph
        self.people = people
        self.kinds = kinds
        self.searches = 0
        # signature → (the member searched, its answer, the nodes reaching its callers)
        self._classes: dict[tuple[tuple[str, int, bool, frozenset[str]], ...],
                            tuple[str, list[Reached], frozenset[str]]] = {}

    def of(self, target: str) -> list[Reached]:
        key = in_edge_signature(self.graph, target)
        shared = self._classes.get(key)
        if shared is not None:
            source, found, ancestors = shared
            if target == source:
                return found
            if target not in ancestors:
                return [_retarget(r, source, target) for r in found]
        visited: set[str] = set()
        found = reached_from(self.graph, target, self.people, self.kinds, visited)
        self.searches += 1
        on_cycle = any(after in visited for after in graph_dicts(self.graph).succ[target])
        if shared is None and not on_cycle:
            visited.discard(target)
            self._classes[key] = (target, found, frozenset(visited))
        return found


def _retarget(found: Reached, source: str, target: str) -> Reached:
    """A class mate's answer for `target`: the same route, ending at `target` instead of `source`."""
    path = found.path if not found.path or found.path[-1] != source else [*found.path[:-1], target]
    return Reached(found.principal, found.kind, found.hops, path, [*found.route[:-1], target], found.conditional,
                   list(found.conditions))


def signs_in(via: Iterable[str] | str | None) -> bool:
    """Whether a query following `via` follows Identity Center sign-ins: then the people are the answers, not the
    AWSSSO providers they sign in through."""
    allowed = via_kinds(via)
    return allowed is None or EdgeKind.SSO in allowed


def through_group(graph: TrustGraph, route: list[str]) -> str | None:
    """The Identity Center group a route passes through, if any."""
    nodes = graph_dicts(graph).nodes
    return next((n for n in route[1:] if is_kind(nodes[n], NodeKind.IDENTITY_CENTER_GROUP)), None)


def _people_filter(graph: TrustGraph, via: Iterable[str] | str | None,
                   people: bool) -> Callable[[Answer], bool] | None:
    """Which answers of a graph holding Identity Center data are reachers (None: every one, other graphs)."""
    if "identity_center" not in graph.graph:
        return None
    skip_superseded = signs_in(via)
    nodes = graph_dicts(graph).nodes

    def keep(answer: Answer) -> bool:
        data = nodes[answer[0]]
        if skip_superseded and not is_answer(data):
            return False
        return people or not is_kind(data, NodeKind.IDENTITY_CENTER_USER) or through_group(graph, answer[1]) is None

    return keep


def who_can_reach(graph: TrustGraph, target: str, max_hops: int | None = None,
                  from_outside: bool = False, via: Iterable[str] | str | None = None,
                  people: bool = False) -> WhoCanReach:
    """Every node with a path to `target`; `from_outside` keeps only reachers outside the organization
    (or outside the data set when there is no organization data); `via`: the --via groups followed
    (schema.via_kinds). An Identity Center user reached through one of its groups is left out (the group stands
    for it, with its member count) unless `people`; an AWSSSO provider whose people are in the data is no answer
    when the query follows sign-ins."""
    graph = restrict(graph, via)
    target = resolve_node(graph, target)
    answer = WhoCanReach(target)
    ctx = prepared_context(graph)
    keep = _people_filter(graph, via, people)
    for found in _answers(graph, target, True, max_hops):
        if from_outside and not is_outside(graph, found[0], ctx):
            continue
        if keep is not None and not keep(found):
            continue
        answer.reachers.append(_reacher(graph, found, target, ctx))
    answer.reachers.sort(key=_order)
    return answer


def reach(graph: TrustGraph, source: str, max_hops: int | None = None,
          via: Iterable[str] | str | None = None) -> Reach:
    graph = restrict(graph, via)
    source = resolve_node(graph, source)
    answer = Reach(source)
    ctx = prepared_context(graph)
    for found in _answers(graph, source, False, max_hops):
        if graph.nodes[found[0]].get("kind") == NodeKind.ROLE:
            answer.reachable.append(_reacher(graph, found, source, ctx))
    answer.reachable.sort(key=_order)
    return answer


def reachable_roles(graph: TrustGraph, source: str, via: Iterable[str] | str | None = None) -> list[str]:
    """The roles `source` can reach by any path, sorted: the set `reach` answers, without hops, paths or
    conditions, for summaries that only count (a plain traversal, several times cheaper)."""
    graph = restrict(graph, via)
    nodes, successors, _ = graph_dicts(graph)
    seen = {source}
    stack = [source]
    found = []
    role = NodeKind.ROLE.value  # a plain str: compared once per node of the traversal
    while stack:
        for neighbour in successors[stack.pop()]:
            if neighbour not in seen:
                seen.add(neighbour)
                stack.append(neighbour)
                if nodes[neighbour].get("kind") == role:
                    found.append(neighbour)
    return sorted(found)


def k_shortest_paths(graph: TrustGraph, source: str, target: str, k: int = 3,
                     via: Iterable[str] | str | None = None) -> list[PathAnswer]:
    graph = restrict(graph, via)
    source, target = resolve_node(graph, source), resolve_node(graph, target)
    out: list[PathAnswer] = []
    seen: set[tuple[str, ...]] = set()
    try:
        routes = nx.shortest_simple_paths(graph, source, target, weight=lambda u, v, d: hop_cost(d))  # type: ignore[arg-type]  # d: the edge's dict
        for route in routes:
            path = principals_only(graph, route)
            if tuple(path) in seen:
                continue
            seen.add(tuple(path))
            conditional, conditions = path_conditions(graph, route)
            out.append(PathAnswer(path, conditional, conditions, route, route_steps(graph, route)))
            if len(out) == k:
                break
    except nx.NetworkXNoPath:
        return []
    return out
