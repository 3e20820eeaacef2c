"""The OU view: the account map (render/accounts.py) folded once more, accounts into their OUs.

One node per organizational unit that holds accounts (drawn inside its parent OUs), one for the accounts
directly under the root, and the outside world grouped by what it is: known vendors, unknown external
accounts, identity providers, anyone (`*`), the org-wide trust classes, unresolved principals. Each edge
folds every trust from one group into another, with the same counts and marks as the account view.

`ou=` drills into one OU: its own accounts are drawn one by one, its child OUs folded, and every other
part of the organization folded at the level where it parts from the drilled OU (a sibling OU, an
ancestor's own accounts, another top-level OU).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx

from trustgraph.render.accounts import (
    AccountEdge,
    AccountMap,
    AccountNode,
    account_dot,
    account_map,
    management_of,
    set_exposure,
    trust_only_note,
)
from trustgraph.render.dot import TrustDot
from trustgraph.render.marks import NO_MARKS, Marks

Chain = tuple[str, ...]
# Outside sources fold into one node per kind: (key, title for one, title for many).
_GROUPS = {"vendor": ("vendors", "known vendor", "known vendors"),
           "federated": ("providers", "identity provider", "identity providers"),
           "class": ("org-wide", "org-wide trust", "org-wide trust")}


class UnknownOU(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def _chain(ou_path: str) -> Chain:
    """OU ids below the root of an OU path ("o-x/r-y/ou-a/ou-b/" → ("ou-a", "ou-b"))."""
    return tuple(p for p in ou_path.strip("/").split("/") if p.startswith("ou-"))


def _prefix(ou_path: str) -> str:
    """"o-x/r-y/" of an OU path."""
    parts = [p for p in ou_path.strip("/").split("/") if p and not p.startswith("ou-")]
    return "/".join(parts) + "/" if parts else ""


def find_ou(amap: AccountMap, value: str) -> Chain:
    """The chain of the OU named by id or (unique) name, among the OUs that hold accounts of the map."""
    chains = {c[:i] for n in amap.nodes.values() if n.ou_path for c in [_chain(n.ou_path)]
              for i in range(1, len(c) + 1)}
    by_id = [c for c in chains if c[-1] == value]
    by_name = sorted(c for c in chains if amap.ou_names.get(c[-1], "").lower() == value.lower())
    found = by_id or by_name
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise UnknownOU(f"{len(found)} OUs are named {value!r}: give its id ({', '.join(c[-1] for c in found)})")
    names = sorted({amap.ou_names.get(c[-1], c[-1]) for c in chains})
    raise UnknownOU(f"no OU {value!r} holds accounts in the data; OUs: {', '.join(names) or 'none'}")


def _title(amap: AccountMap, chain: Chain) -> str:
    return amap.ou_names.get(chain[-1], chain[-1]) if chain else "accounts under the root"


# `ou_map(drill=…)` of the accounts outside the organization data (no OU path): they are drawn one by one.
OUTSIDE_ORG: Chain = ("-",)


def account_chain(node: AccountNode) -> Chain:
    """The OU chain an account of the map sits in: () under the root, OUTSIDE_ORG without an OU path."""
    return _chain(node.ou_path) if node.ou_path else OUTSIDE_ORG


def chain_label(amap: AccountMap, chain: Chain) -> str:
    """An OU chain as the OU path of names (`Workloads / Prod`)."""
    if chain == OUTSIDE_ORG:
        return "accounts outside the organization"
    return " / ".join(_title(amap, chain[:i]) for i in range(1, len(chain) + 1)) or _title(amap, ())


def ou_map(graph: nx.DiGraph, amap: AccountMap, *, ou: str | None = None, drill: Chain | None = None) -> AccountMap:
    """Fold an account map into OUs (see the module docstring); `ou` drills into one OU (id or name), `drill` into
    the accounts of one chain (`account_chain`: () the accounts under the root, OUTSIDE_ORG those without one)."""
    drilled: Chain | None = find_ou(amap, ou) if ou else drill
    root_path = next((_prefix(n.ou_path) for n in amap.nodes.values() if n.ou_path), "")
    nodes: dict[str, AccountNode] = {}
    owner: dict[str, str] = {}  # account-map key → OU-map key
    grouped: dict[str, list[str]] = {}  # outside group → titles of the account-map nodes it folds

    def ou_node(chain: Chain, own: bool = False) -> AccountNode:
        key = "ou:" + "/".join(chain) + (":own" if own else "")
        if key not in nodes:
            title = _title(amap, chain) + (" (own accounts)" if own and chain else "")
            # Drawn inside its parent OUs: its OU path is its parent's.
            parent = chain if own else chain[:-1]
            path = root_path + "".join(f"{c}/" for c in parent)
            nodes[key] = AccountNode(key, "ou", title, ou_path=path, chain=chain)
        return nodes[key]

    for key in sorted(amap.nodes):
        node = amap.nodes[key]
        if node.kind in ("account", "org-only"):
            if not node.ou_path and drilled == OUTSIDE_ORG:
                nodes[key] = node
                owner[key] = key
                continue
            if not node.ou_path:
                group = nodes.setdefault("ou:-", AccountNode("ou:-", "ou", "accounts outside the organization"))
            else:
                chain = _chain(node.ou_path)
                if drilled is None:
                    group = ou_node(chain)
                elif chain == drilled:
                    nodes[key] = node  # the drilled OU's own accounts, one by one
                    owner[key] = key
                    continue
                elif chain[:len(drilled)] == drilled:
                    group = ou_node(chain[:len(drilled) + 1])
                else:
                    common = next((i for i, (a, b) in enumerate(zip(chain, drilled, strict=False)) if a != b),
                                  min(len(chain), len(drilled)))
                    group = ou_node(chain, own=True) if common == len(chain) else ou_node(chain[:common + 1])
            group.accounts |= node.accounts
            group.internal += node.internal
            group.internal_conditional += node.internal_conditional
            group.service_trusts += node.service_trusts
        elif node.kind in _GROUPS:
            gkey, one, _ = _GROUPS[node.kind]
            group = nodes.setdefault(gkey, AccountNode(gkey, node.kind, one))
            group.accounts |= node.accounts
            grouped.setdefault(gkey, []).append(node.title if node.kind != "class" else node.subtitle)
        else:
            nodes[key] = node  # unknown external accounts, anyone, unresolved, services: already one node each
            owner[key] = key
            continue
        group.principals.update(node.principals)
        group.members |= node.members
        group.sensitive += node.sensitive
        group.flagged += node.flagged
        owner[key] = group.key
    for gkey, names in grouped.items():
        group = nodes[gkey]
        _, one, many = _GROUPS[group.kind]
        if group.kind == "class":
            group.subtitle = names[0] if len(names) == 1 else f"{len(names)} sets of caller conditions"
        else:
            group.title = names[0] if len(names) == 1 else f"{len(names)} {many}"
            group.subtitle = "" if len(names) == 1 else _short_list(sorted(names))
    edges: dict[tuple[str, str], AccountEdge] = {}
    for (a, b), edge in sorted(amap.edges.items()):
        src, dst = owner[a], owner[b]
        if src == dst:
            nodes[src].internal += len(edge.members)
            nodes[src].internal_conditional += edge.conditional
            nodes[src].between += len(edge.members)
            continue
        folded = edges.setdefault((src, dst), AccountEdge(src, dst))
        folded.members.extend(edge.members)
        folded.conditional += edge.conditional
        folded.via_star += edge.via_star
    set_exposure(graph, [n for n in nodes.values() if n.kind == "ou"], amap.marks, management_of(graph, None))
    return AccountMap(nodes, edges, amap.services_drawn, amap.org_id, amap.ou_names, amap.marks, amap.partial)


def _short_list(names: list[str], limit: int = 3) -> str:
    return ", ".join(names[:limit]) + (f" +{len(names) - limit}" if len(names) > limit else "")


def ou_title(omap: AccountMap, drilled: str | None = None) -> str:
    ous = sum(1 for n in omap.nodes.values() if n.kind == "ou")
    accounts = sum(len(n.accounts) for n in omap.nodes.values() if n.kind in ("ou", "account", "org-only"))
    outside = sum(1 for n in omap.nodes.values() if n.kind not in ("ou", "account", "org-only"))
    trusts = sum(len(e.members) for e in omap.edges.values())
    head = f"OU {drilled}" if drilled else "OU map"
    return (f"{head}: {ous} OU node{'s' if ous != 1 else ''}, {accounts:,} account{'s' if accounts != 1 else ''}, "
            f"{outside} outside source{'s' if outside != 1 else ''}, {len(omap.edges)} links ({trusts:,} trusts)")


def ou_view(graph: nx.DiGraph, *, organization: Any = None, known_accounts: Mapping[str, str] | None = None,
            ou_names: Mapping[str, str] | None = None, services: bool | None = None, ou: str | None = None,
            engine: str | None = None, title: str = "", marks: Marks = NO_MARKS, note: str = "",
            rankdir: str = "auto", partial: bool = False) -> TrustDot:
    """DOT for the OU view of `graph` (see the module docstring). rankdir auto: top to bottom (the outside
    world above the organization) when trust runs between OUs, else left to right (outside → OUs)."""
    # Undrilled, every account is folded into its OU: their own exposure is never drawn.
    amap = account_map(graph, organization=organization, known_accounts=known_accounts, ou_names=ou_names,
                       services=services, marks=marks, partial=partial, exposure=ou is not None)
    omap = ou_map(graph, amap, ou=ou)
    if not title:
        name = None
        if ou:
            chain = find_ou(amap, ou)
            name = " / ".join(_title(amap, chain[:i]) for i in range(1, len(chain) + 1))
        left = trust_only_note(graph)
        title = ou_title(omap, name) + (f" — {left}" if left else "") + (f" — {note}" if note else "")
    if rankdir == "auto":
        inside = ("ou", "account", "org-only")
        between = any(omap.nodes[a].kind in inside and omap.nodes[b].kind in inside for a, b in omap.edges)
        rankdir = "TB" if between else "LR"
    return account_dot(graph, omap, title=title, engine=engine, short_labels=True, rankdir=rankdir)
