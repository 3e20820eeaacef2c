"""`--only`: keep the trust a reviewer asks about, once, on the principal graph, for every view.

Values of one facet are alternatives; facets combine (`--only outside,sensitive`: trust from outside
that reaches a sensitive role):

- where the trust comes from: `cross-org` (an AWS principal outside the organization: a vendor, an
  unknown account, anyone `*`), `outside` (the same plus identity providers), `cross-ou` (an account of
  the organization in another OU than the role's);
- where it lands: `sensitive` (a sensitive or admin-equivalent role, the definition of `findings`);
- how: `unconditional` (no run-time condition);
- use (CloudTrail events among the inputs, docs/usage.md): `used` (seen used in the events' window), `unused` (a
  window the events cover shows no use). Trust whose use is unknown (outside the coverage, not a role assumption)
  passes neither.

"The organization" is the one of the organization data, else the accounts in the data (as in the
account view). Hubs are waypoints: an edge into a hub is kept when some trust through the hub passes,
a hub's edge to a role when some member's trust to it passes; with `used`, a member's edge into a hub only when
that member's own call through the hub is recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from trustgraph.analysis.usage import edge_use, member_uses
from trustgraph.graph.schema import NodeKind, is_hub, is_membership
from trustgraph.graph.usage import UNUSED, USED
from trustgraph.render.accounts import Folder

ONLY: dict[str, str] = {"cross-org": "from", "outside": "from", "cross-ou": "from", "sensitive": "to",
                        "unconditional": "how", USED: "use", UNUSED: "use"}
ONLY_TEXT = {"cross-org": "from outside the organization", "outside": "from outside (incl. identity providers)",
             "cross-ou": "across OUs", "sensitive": "to sensitive roles", "unconditional": "unconditional",
             USED: "used in the events' window", UNUSED: "not used in a window the events cover"}
CROSS_ORG_KINDS = frozenset({"vendor", "external", "public"})
OUTSIDE_KINDS = CROSS_ORG_KINDS | {"federated"}
INSIDE_KINDS = frozenset({"account", "org-only"})


def parse_only(values: Iterable[str]) -> tuple[str, ...]:
    """`--only` values, repeatable or comma-separated, in a fixed order; ValueError for an unknown one."""
    chosen = {v.strip().lower() for value in values for v in value.split(",") if v.strip()}
    unknown = sorted(chosen - set(ONLY))
    if unknown:
        raise ValueError(f"unknown --only {', '.join(unknown)}; choose from {', '.join(ONLY)}")
    return tuple(k for k in ONLY if k in chosen)


def describe_only(only: Iterable[str]) -> str:
    """"only trust from outside the organization, to sensitive roles" for a title."""
    by_facet: dict[str, list[str]] = defaultdict(list)
    for value in only:
        by_facet[ONLY[value]].append(ONLY_TEXT[value])
    parts = [" or ".join(texts) for texts in by_facet.values()]
    return "only trust " + ", ".join(parts) if parts else ""


@dataclass
class OnlyResult:
    graph: nx.DiGraph  # a view of the input graph with the kept edges
    kept: int
    dropped: int
    notes: list[str] = field(default_factory=list)


def only_filter(graph: nx.DiGraph, only: Iterable[str], *, sensitive: Collection[str] = (),
                organization: Any = None, known_accounts: Mapping[str, str] | None = None) -> OnlyResult:
    """The trust of `graph` that passes every facet of `only` (see the module docstring)."""
    chosen = tuple(only)
    wanted: dict[str, set[str]] = defaultdict(set)
    for value in chosen:
        wanted[ONLY[value]].add(value)
    folder = Folder(graph, organization, known_accounts, None)
    notes: list[str] = []
    if "cross-ou" in chosen and not any(folder.org_accounts.values()):
        notes.append("no organization data: no trust is known to cross an OU boundary")
    category: dict[str, str] = {}

    def kind_of(node: str) -> str:
        if node not in category:
            category[node] = folder.fold(node).kind
        return category[node]

    def ou(account: str | None) -> str:
        return folder.org_accounts.get(str(account), "") if account else ""

    def from_ok(caller: str, role: str) -> bool:
        if "from" not in wanted:
            return True
        kind = kind_of(caller)
        values = wanted["from"]
        if "cross-org" in values and kind in CROSS_ORG_KINDS:
            return True
        if "outside" in values and kind in OUTSIDE_KINDS:
            return True
        if "cross-ou" in values and kind in INSIDE_KINDS:
            mine, theirs = ou(graph.nodes[caller].get("account")), ou(graph.nodes[role].get("account"))
            return bool(mine and theirs and mine != theirs)
        return False

    members = member_uses(graph) if "use" in wanted else {}

    def to_how_ok(caller: str, role: str, data: Mapping[str, Any]) -> bool:
        if "to" in wanted and role not in sensitive:
            return False
        if "how" in wanted and data.get("conditional"):
            return False
        return "use" not in wanted or edge_use(graph, caller, role, members).state in wanted["use"]

    def member_ok(member: str, hub: str) -> bool:
        # a member of a hub whose kept trust is unused could have used it; with `used`, only a member seen using it
        return "use" not in wanted or UNUSED in wanted["use"] or (member, hub) in members

    kept: set[tuple[str, str]] = set()
    class_members: dict[str, list[str]] = defaultdict(list)
    for u, v, data in graph.edges(data=True):
        if is_membership(data):
            class_members[v].append(u)
    # One member per account speaks for its account in a class (`from` reads only the caller's account).
    speakers = {hub: list({graph.nodes[m].get("account"): m for m in sorted(hub_members)}.values())
                for hub, hub_members in class_members.items() if graph.nodes[hub].get("kind") == NodeKind.CLASS}
    hub_roles: dict[str, list[str]] = defaultdict(list)  # kept hub → role edges
    for u, v, data in graph.edges(data=True):
        if is_membership(data) or not to_how_ok(u, v, data):
            continue
        if u in speakers:
            if any(from_ok(m, v) for m in speakers[u]):
                kept.add((u, v))
                hub_roles[u].append(v)
        elif from_ok(u, v):
            kept.add((u, v))
            if is_hub(graph, u):
                hub_roles[u].append(v)
    for hub, hub_members in class_members.items():
        roles = hub_roles.get(hub)
        if not roles:
            continue
        for m in hub_members:
            if (graph.nodes[hub].get("kind") != NodeKind.CLASS or any(from_ok(m, r) for r in roles)) \
                    and member_ok(m, hub):
                kept.add((m, hub))
    dropped = graph.number_of_edges() - len(kept)
    return OnlyResult(graph.edge_subgraph(kept), len(kept), dropped, notes)
