"""The people view: IAM Identity Center groups (and users assigned directly) → permission sets → accounts or OUs.

Read from the assignments (`Snapshot.identity_center`) and what the build found of them
(`graph.graph["identity_center"]`: which assignments have no role provisioned). Permission sets whose own
policies are admin-equivalent (the rules of `policy/sensitivity.py`, judged on the set's managed, customer managed
and inline policies) carry the sensitive mark. An edge group → permission set says where (the accounts or OUs);
an edge permission set → account or OU how many accounts; an assignment whose role is not in the account's data
(unprovisioned) is drawn dashed.

Size: above PEOPLE_ACCOUNTS accounts they fold into their OUs (with organization data; else alike accounts fold
into one node), above DIRECT_USERS users assigned directly are one node. Up to DOT_EDGES edges Graphviz draws the
three columns; above that (fifty groups holding most of sixty permission sets is thousands of edges, which no
layout makes readable) the view is drawn directly as two grids sharing the permission sets as columns: groups ×
permission sets (cells: how many accounts) above accounts or OUs × permission sets.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from trustgraph.graph.identity_center import group_node, user_node
from trustgraph.model import InlinePolicy, PermissionSet, Role, Snapshot
from trustgraph.policy.sensitivity import admin_reasons
from trustgraph.render.accounts import Folder
from trustgraph.render.dot import TrustDot, canvas, place_legend
from trustgraph.render.marks import NO_MARKS, Marks
from trustgraph.render.radial import text_width
from trustgraph.render.scene import Line, Rect, Scene, Text
from trustgraph.render.style import (
    ACCOUNT_NODE_STYLE,
    DASHED,
    EDGE_STYLE,
    FONT,
    MARK_COLOR,
    MAX_SIZE,
    NODE_STYLE,
    PEOPLE_NODE_LEGEND,
    PEOPLE_NODE_STYLE,
    SENSITIVE_GLYPH,
    SENSITIVE_STYLE,
    SOLID,
    dot_text,
    html_text,
    legend_table,
    tooltip_text,
)

__all__ = ["DIRECT_USERS", "DOT_EDGES", "PEOPLE_ACCOUNTS", "NoPeopleData", "PeopleMap", "people_map", "people_view"]

# Above this many accounts the right column folds accounts into OUs (the OU view's threshold).
PEOPLE_ACCOUNTS = 30
# Above this many users assigned directly they are one node, its edges saying how many users hold each set.
DIRECT_USERS = 12
# Above this many edges the view is drawn as grids instead of by Graphviz.
DOT_EDGES = 250
# Edges group → permission set name at most this many places; more are counted.
PLACES_LISTED = 2
FOLD_MIN = 3
DIRECT = "users:direct"
UNDER_ROOT = "accounts under the root"
OUTSIDE = "accounts outside the organization"


class NoPeopleData(ValueError):
    """The data holds no Identity Center assignments to draw (the message says what is missing)."""


@dataclass
class Principal:
    key: str  # the graph node (group or user ARN), or DIRECT for the folded users
    kind: str  # group | user | users
    name: str
    members: int = 0  # a group's members; the folded node's users
    synced: bool = False  # a group provisioned from an external identity provider (SCIM)


@dataclass
class SetNode:
    name: str
    arn: str
    admin: list[str] = field(default_factory=list)  # why admin-equivalent (empty: not)
    unreadable: bool = False  # an inline policy that could not be read: what the set grants is unknown


@dataclass
class Place:
    key: str  # acct:ID, ou:CHAIN, accts:N
    kind: str  # account | org-only | ou | accounts
    title: str
    accounts: set[str] = field(default_factory=set)


@dataclass
class Link:
    """Assignments folded into one edge: the accounts they name, those of them without a role, and (principal →
    permission set edges) the places of those accounts; (permission set → place) the principals; users: how
    many users assigned directly the folded node stands for."""

    accounts: set[str] = field(default_factory=set)
    unprovisioned: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    principals: set[str] = field(default_factory=set)
    users: set[str] = field(default_factory=set)

    @property
    def dashed(self) -> bool:
        return bool(self.accounts) and self.unprovisioned >= self.accounts


@dataclass
class PeopleMap:
    principals: dict[str, Principal]
    sets: dict[str, SetNode]  # by permission set name
    places: dict[str, Place]
    left: dict[tuple[str, str], Link]  # (principal key, set name)
    right: dict[tuple[str, str], Link]  # (set name, place key)
    folded_into: str  # "" (accounts one by one), "ous" or "alike"
    skipped: int = 0  # assignments naming a principal or permission set not in the data
    unassigned_sets: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "principals": [{"id": p.key, "kind": p.kind, "name": p.name, "members": p.members, "synced": p.synced}
                           for p in self.principals.values()],
            "permission_sets": [{"name": s.name, "arn": s.arn, "admin_equivalent": bool(s.admin),
                                 "reasons": s.admin, "inline_policy_unreadable": s.unreadable}
                                for s in self.sets.values()],
            "places": [{"id": p.key, "kind": p.kind, "title": p.title, "accounts": sorted(p.accounts)}
                       for p in self.places.values()],
            "assignments": [_link_json("principal", a, "permission_set", b, link)
                            for (a, b), link in self.left.items()],
            "placements": [_link_json("permission_set", a, "place", b, link) for (a, b), link in self.right.items()],
            "folded_into": self.folded_into, "skipped_assignments": self.skipped,
            "unassigned_permission_sets": self.unassigned_sets,
        }


def _link_json(a_name: str, a: str, b_name: str, b: str, link: Link) -> dict[str, Any]:
    out: dict[str, Any] = {a_name: a, b_name: b, "accounts": sorted(link.accounts),
                           "unprovisioned": sorted(link.unprovisioned)}
    if link.users:
        out["users"] = len(link.users)
    return out


# ------------------------------------------------------------------------------------------------ the model


def permission_set_admin(pset: PermissionSet, snapshot: Snapshot, account: str,
                         memo: dict[tuple[object, ...], list[str]] | None = None) -> list[str]:
    """Why the permission set's own policies are admin-equivalent in `account` (empty: they are not): the
    sensitivity rules applied to the role Identity Center provisions for it there."""
    partition = pset.permission_set_arn.split(":", 2)[1] if pset.permission_set_arn.count(":") >= 2 else "aws"
    customer = [f"arn:{partition}:iam::{account}:policy{ref.path}{ref.name}" for ref in pset.customer_managed_policies]
    boundary = None
    if pset.permissions_boundary is not None:
        ref = pset.permissions_boundary.customer_managed_policy
        boundary = pset.permissions_boundary.managed_policy_arn or (
            f"arn:{partition}:iam::{account}:policy{ref.path}{ref.name}" if ref else None)
    name = f"AWSReservedSSO_{pset.name}"
    stand_in = Role(f"arn:{partition}:iam::{account}:role/aws-reserved/sso.amazonaws.com/{name}", name, account,
                    path="/aws-reserved/sso.amazonaws.com/",
                    inline_policies=[InlinePolicy("inline", pset.inline_policy)] if pset.inline_policy else [],
                    attached_policy_arns=[*pset.managed_policies, *customer], boundary_arn=boundary)
    return admin_reasons(stand_in, snapshot, memo)


def _ou_place(folder: Folder, account: str) -> tuple[str, str]:
    path = folder.org_accounts.get(account)
    if path is None:
        return "ou:-", OUTSIDE
    chain = [p for p in path.strip("/").split("/") if p.startswith("ou-")]
    if not chain:
        return "ou:", UNDER_ROOT
    return "ou:" + "/".join(chain), " / ".join(folder.ou_names.get(c, c) for c in chain)


def people_map(graph: nx.DiGraph, snapshot: Snapshot | None, *, organization: Any = None, marks: Marks = NO_MARKS,
               account: str | None = None, fold: bool | None = None) -> PeopleMap:
    """The people view's content. `account`: only assignments in this account. `fold`: fold accounts (into OUs
    when the organization data places accounts in OUs, else alike accounts together); None: above
    PEOPLE_ACCOUNTS accounts. Raises NoPeopleData when there is nothing to draw."""
    data = snapshot.identity_center if snapshot is not None else None
    if data is None or "identity_center" not in graph.graph:
        raise NoPeopleData("the people view needs IAM Identity Center data (an identity-center.json among the "
                           "inputs, docs/identity-center-schema.md): none was read")
    if not data.account_assignments:
        raise NoPeopleData("the Identity Center data holds no account assignments: no group or user holds a "
                           "permission set in any account")
    assert snapshot is not None
    unprovisioned = {(p.get("account"), p.get("permission_set")) for p in graph.graph["identity_center"]["problems"]
                     if p.get("kind") == "unprovisioned"}
    groups = {g.group_id: g for g in data.groups}
    users = {u.user_id: u for u in data.users}
    sets = {p.permission_set_arn: p for p in data.permission_sets}
    nodes = graph.nodes
    # (principal node, set name, account) of every assignment drawn
    rows: list[tuple[str, str, str]] = []
    skipped = 0
    for a in data.account_assignments:
        if account is not None and a.account_id != account:
            continue
        pset = sets.get(a.permission_set_arn)
        known = (a.principal_id in groups) if a.principal_type == "GROUP" else (a.principal_id in users)
        if pset is None or not known:
            skipped += 1
            continue
        principal = group_node(a.principal_id) if a.principal_type == "GROUP" else user_node(a.principal_id)
        rows.append((principal, pset.name, a.account_id))
    if not rows:
        raise NoPeopleData(f"no Identity Center assignment names account {account}" if account else
                           "no Identity Center assignment names a group, user and permission set in the data")

    folder = Folder(graph, organization, None, None)
    accounts = sorted({acct for _, _, acct in rows})
    if fold is None:
        fold = len(accounts) > PEOPLE_ACCOUNTS
    with_ous = any("/ou-" in path for path in folder.org_accounts.values())
    place_of: dict[str, str] = {}
    places: dict[str, Place] = {}
    for acct in accounts:
        if fold and with_ous:
            key, title = _ou_place(folder, acct)
            places.setdefault(key, Place(key, "ou", title)).accounts.add(acct)
        else:
            key = f"acct:{acct}"
            kind = "account" if acct in folder.in_data or acct in snapshot.collected_accounts else "org-only"
            name = folder.names.get(acct) or snapshot.account_name(acct)
            places[key] = Place(key, kind, f"{name}\n{acct}" if name else f"account {acct}", {acct})
        place_of[acct] = key
    folded_into = "ous" if fold and with_ous else ""
    if fold and not with_ous:
        folded_into = _fold_alike(places, place_of, rows, unprovisioned)

    # Users assigned directly: one by one up to DIRECT_USERS, else one node.
    direct = sorted({p for p, _, _ in rows if p.startswith(user_node(""))})
    fold_users = len(direct) > DIRECT_USERS
    principals: dict[str, Principal] = {}
    for p in sorted({p for p, _, _ in rows}, key=lambda n: (not n.startswith(group_node("")), _name(nodes, n), n)):
        if p.startswith(group_node("")):
            gid = p[len(group_node("")):]
            attrs = nodes[p] if p in nodes else {}
            principals[p] = Principal(p, "group", _name(nodes, p) or groups[gid].display_name or gid,
                                      int(attrs.get("members", 0)), bool(groups[gid].external_ids))
        elif not fold_users:
            principals[p] = Principal(p, "user", _name(nodes, p) or users[p[len(user_node("")):]].user_name)
    if fold_users:
        principals[DIRECT] = Principal(DIRECT, "users", "users assigned directly", len(direct))

    left: dict[tuple[str, str], Link] = {}
    right: dict[tuple[str, str], Link] = {}
    for p, name, acct in rows:
        key = DIRECT if fold_users and p not in principals else p
        place = place_of[acct]
        dead = (acct, name) in unprovisioned
        lk = left.setdefault((key, name), Link())
        rk = right.setdefault((name, place), Link())
        for link in (lk, rk):
            link.accounts.add(acct)
            if dead:
                link.unprovisioned.add(acct)
        lk.places.add(place)
        rk.principals.add(key)
        if key == DIRECT:
            lk.users.add(p)

    memo: dict[tuple[object, ...], list[str]] = {}
    provisioned = _provisioned_roles(graph)
    used = {name for _, name, _ in rows}
    set_nodes: dict[str, SetNode] = {}
    for pset in sorted(data.permission_sets, key=lambda s: s.name):
        if pset.name not in used or pset.name in set_nodes:
            continue
        where = sorted(acct for _, name, acct in rows if name == pset.name)
        reasons = permission_set_admin(pset, snapshot, where[0], memo)
        if not reasons:
            # a role of the set that the marks call admin-equivalent (its policies differ from the set's)
            reasons = [f"{role}: {marks.sensitive[role]}" for role in provisioned.get(pset.name, [])
                       if "admin-equivalent" in marks.sensitive.get(role, "")][:1]
        set_nodes[pset.name] = SetNode(pset.name, pset.permission_set_arn, reasons, pset.inline_policy_unreadable)
    order = {name: i for i, name in enumerate(sorted(set_nodes, key=lambda n: (not set_nodes[n].admin, n)))}
    return PeopleMap(principals, dict(sorted(set_nodes.items(), key=lambda kv: order[kv[0]])),
                     dict(sorted(places.items(), key=lambda kv: _place_order(kv[1]))),
                     dict(sorted(left.items(), key=lambda kv: (list(principals).index(kv[0][0]), order[kv[0][1]]))),
                     dict(sorted(right.items(), key=lambda kv: (order[kv[0][0]], _place_order(places[kv[0][1]])))),
                     folded_into, skipped, len({p.name for p in data.permission_sets} - used))


def _name(nodes: Any, node: str) -> str:
    return str(nodes[node].get("name") or "") if node in nodes else ""


def _place_order(place: Place) -> tuple[Any, ...]:
    return (place.title in (UNDER_ROOT, OUTSIDE), place.title.lower(), place.key)


def _provisioned_roles(graph: nx.DiGraph) -> dict[str, list[str]]:
    """Permission set name → the roles Identity Center signs in to for it (from the sso edges)."""
    out: dict[str, set[str]] = defaultdict(set)
    for _, role, data in graph.edges(data=True):
        if data.get("permission_set"):
            out[str(data["permission_set"])].add(role)
    return {name: sorted(roles) for name, roles in out.items()}


def _fold_alike(places: dict[str, Place], place_of: dict[str, str], rows: list[tuple[str, str, str]],
                unprovisioned: set[tuple[Any, Any]]) -> str:
    """Without OUs: accounts holding the same permission sets alike (provisioned or not) fold into one node."""
    signature: dict[str, set[tuple[str, bool]]] = defaultdict(set)
    for _, name, acct in rows:
        signature[acct].add((name, (acct, name) in unprovisioned))
    alike: dict[frozenset[tuple[str, bool]], list[str]] = defaultdict(list)
    for acct in sorted(signature):
        alike[frozenset(signature[acct])].append(acct)
    folded = ""
    for members in alike.values():
        if len(members) < FOLD_MIN:
            continue
        key = f"accts:{members[0]}#{len(members)}"
        names = [places[f"acct:{a}"].title.split("\n")[0] for a in members]
        listed = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
        places[key] = Place(key, "accounts", f"{len(members)} accounts alike\n{listed}", set(members))
        for acct in members:
            del places[f"acct:{acct}"]
            place_of[acct] = key
        folded = "alike"
    return folded


# ------------------------------------------------------------------------------------------------ drawing


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def people_title(pmap: PeopleMap, note: str = "") -> str:
    groups = sum(1 for p in pmap.principals.values() if p.kind == "group")
    users = sum(p.members if p.kind == "users" else 1 for p in pmap.principals.values() if p.kind != "group")
    admin = sum(1 for s in pmap.sets.values() if s.admin)
    accounts = len({a for p in pmap.places.values() for a in p.accounts})
    who = [_count(groups, "group")] if groups else []
    if users:
        who.append(_count(users, "user") + " assigned directly")
    where = _count(accounts, "account")
    if pmap.folded_into == "ous":
        where += f" in {_count(len(pmap.places), 'OU')}"
    sets = _count(len(pmap.sets), "permission set") + (f" ({admin} admin-equivalent)" if admin else "")
    title = f"People: {' and '.join(who)} → {sets} → {where}"
    extra = []
    if pmap.unassigned_sets:
        extra.append(_count(pmap.unassigned_sets, "permission set") + " assigned nowhere")
    if pmap.skipped:
        extra.append(_count(pmap.skipped, "assignment") + " naming a principal or permission set not in the data")
    if extra:
        title += f" ({'; '.join(extra)})"
    return title + (f" — {note}" if note else "")


def _where(pmap: PeopleMap, link: Link) -> str:
    """What an edge principal → permission set says: the places (few) or how many accounts."""
    places = sorted(link.places, key=lambda k: _place_order(pmap.places[k]))
    if len(places) <= PLACES_LISTED and pmap.folded_into != "alike":
        text = ", ".join(pmap.places[k].title.split("\n")[0] for k in places)
        if pmap.folded_into == "ous":
            text += f" ({_count(len(link.accounts), 'account')})"
    else:
        text = _count(len(link.accounts), "account")
        if pmap.folded_into == "ous":
            text += f" in {_count(len(places), 'OU')}"
    return text + _not_provisioned(link)


def _not_provisioned(link: Link) -> str:
    if link.dashed:
        return "\nnot provisioned"
    if link.unprovisioned:
        return f"\n{len(link.unprovisioned)} not provisioned"
    return ""


def _principal_label(p: Principal) -> str:
    if p.kind == "group":
        return dot_text(p.name) + f"\\n{_count(p.members, 'member')}" + ("\\nsynced from the IdP" if p.synced else "")
    if p.kind == "users":
        return dot_text(_count(p.members, "user") + " assigned directly")
    return dot_text(p.name) + "\\nassigned directly"


def _principal_style(p: Principal) -> Mapping[str, str]:
    if p.kind == "group":
        style = dict(NODE_STYLE["identity-center-group"])
        if p.synced:
            style["style"] = "filled,bold"
        return style
    return NODE_STYLE["identity-center-user"]


def _edge_style(link: Link, admin: bool) -> dict[str, str]:
    style = dict(EDGE_STYLE["sso"])
    if admin:
        style["color"] = MARK_COLOR
    if link.dashed:
        style["style"] = "dashed"
    return style


def people_dot(pmap: PeopleMap, *, title: str, engine: str = "dot") -> TrustDot:
    """The three columns, laid out by Graphviz (left to right)."""
    dot = TrustDot("trustgraph_people", engine=engine)
    dot.title = title
    dot.layout = engine
    dot.attr(rankdir="LR", fontname=FONT, fontsize="14", labelloc="t", labeljust="l", label=dot_text(title),
             newrank="true", nodesep="0.2", ranksep="2.2", bgcolor="white", pad="0.3", size=MAX_SIZE)
    dot.attr("node", fontname=FONT, fontsize="10", margin="0.12,0.05")
    dot.attr("edge", fontname=FONT, fontsize="8", arrowsize="0.7", fontcolor="#3c4043")
    ids: dict[str, str] = {}
    labels = len(pmap.left) <= 60  # say where on each edge while that stays legible
    with canvas(dot) as body:
        for column, keys in (("p", list(pmap.principals)), ("s", list(pmap.sets)), ("a", list(pmap.places))):
            with body.subgraph(name=f"column_{column}") as rank:
                rank.attr(rank="same" if engine == "dot" else "")
                for i, key in enumerate(keys):
                    ids[f"{column}:{key}"] = node_id = f"{column}{i}"
                    element = f"node-{node_id}"
                    if column == "p":
                        p = pmap.principals[key]
                        rank.node(node_id, label=_principal_label(p), id=element, tooltip=tooltip_text(key),
                                  **_principal_style(p))
                        dot.evidence[element] = {"type": "node", "title": p.name, "id": key, "kind": p.kind,
                                                 "members": p.members, "synced": p.synced}
                    elif column == "s":
                        s = pmap.sets[key]
                        style = dict(PEOPLE_NODE_STYLE["permission-set"])
                        label = dot_text(s.name)
                        if s.admin:
                            style.update(SENSITIVE_STYLE)
                            label += f"\\n{dot_text(SENSITIVE_GLYPH)} admin-equivalent"
                        if s.unreadable:
                            label += "\\ninline policy unreadable"
                        rank.node(node_id, label=label, id=element, tooltip=tooltip_text(s.arn), **style)
                        dot.evidence[element] = {"type": "node", "title": s.name, "id": s.arn,
                                                 "kind": "permission-set", "admin_equivalent": s.admin,
                                                 "inline_policy_unreadable": s.unreadable}
                    else:
                        place = pmap.places[key]
                        style = PEOPLE_NODE_STYLE.get(place.kind) or ACCOUNT_NODE_STYLE[place.kind]
                        text = place.title
                        if place.kind == "ou":
                            text += "\n" + _count(len(place.accounts), "account")
                        rank.node(node_id, label=dot_text(text).replace("\n", "\\n"), id=element,
                                  tooltip=tooltip_text(key), **style)
                        dot.evidence[element] = {"type": "node", "title": place.title.replace("\n", " "), "id": key,
                                                 "kind": place.kind, "accounts": sorted(place.accounts)}
        dashed = False
        for (pk, sk), link in pmap.left.items():
            a, b = ids[f"p:{pk}"], ids[f"s:{sk}"]
            text = _where(pmap, link) if labels else ""
            if link.users:
                text = _count(len(link.users), "user") + (f", {text}" if text else "")
            element = f"edge-{a}-{b}"
            body.edge(a, b, label=dot_text(text).replace("\n", "\\n"), id=element,
                      tooltip=tooltip_text(f"{pmap.principals[pk].name} → {sk}: "
                                           + _where(pmap, link).replace("\n", ", ")),
                      **_edge_style(link, bool(pmap.sets[sk].admin)))
            dashed |= link.dashed
            dot.evidence[element] = {"type": "edge", "title": f"{pmap.principals[pk].name} → {sk}",
                                     **_link_json("principal", pk, "permission_set", sk, link)}
        for (sk, pl), link in pmap.right.items():
            a, b = ids[f"s:{sk}"], ids[f"a:{pl}"]
            folded = pmap.places[pl].kind in ("ou", "accounts")
            text = _count(len(link.accounts), "account") if folded else ""
            text += _not_provisioned(link) if folded or link.unprovisioned else ""
            element = f"edge-{a}-{b}"
            body.edge(a, b, label=dot_text(text.strip("\n")).replace("\n", "\\n"), id=element,
                      tooltip=tooltip_text(f"{sk} → {pmap.places[pl].title.replace(chr(10), ' ')}: "
                                           + _count(len(link.accounts), "account") + _not_provisioned(link)
                                           .replace("\n", ", ")),
                      **_edge_style(link, bool(pmap.sets[sk].admin)))
            dashed |= link.dashed
            dot.evidence[element] = {"type": "edge", "title": f"{sk} → {pmap.places[pl].title}".replace("\n", " "),
                                     **_link_json("permission_set", sk, "place", pl, link)}
        place_legend(dot, body, _legend(pmap, dashed))
    return dot


def _legend(pmap: PeopleMap, dashed: bool) -> str:
    kinds = {p.kind for p in pmap.principals.values()} | {"permission-set"} | {p.kind for p in pmap.places.values()}
    rows = []
    for kind, text in PEOPLE_NODE_LEGEND.items():
        if kind in kinds:
            style = PEOPLE_NODE_STYLE.get(kind) or ACCOUNT_NODE_STYLE.get(kind) or NODE_STYLE[kind]
            rows.append((style, text))
    edges = [(SOLID, EDGE_STYLE["sso"]["color"], "holds the permission set in these accounts")]
    if any(s.admin for s in pmap.sets.values()):
        edges.append((SOLID, MARK_COLOR, "to or from an admin-equivalent permission set"))
    if dashed:
        edges.append((DASHED, "#3c4043", "not provisioned: no role of the set in the account's data"))
    extra = []
    if any(s.admin for s in pmap.sets.values()):
        extra.append(f'<TR><TD BORDER="1" COLOR="{MARK_COLOR}" SIDES="LTRB"><FONT COLOR="{MARK_COLOR}">'
                     f'{html_text(SENSITIVE_GLYPH)}</FONT></TD><TD ALIGN="LEFT">'
                     + html_text("admin-equivalent permission set (its own policies)") + "</TD></TR>")
    return legend_table(rows, edges, extra)


# ------------------------------------------------------------------------------------------------ grids


def people_scene(pmap: PeopleMap, *, title: str) -> Scene:
    """Two grids sharing the permission sets as columns: principals × sets above, places × sets below. A cell
    holds how many accounts (shaded by it), an outline only when none of them is provisioned."""
    cols = list(pmap.sets)
    principals = list(pmap.principals.values())
    places = list(pmap.places.values())
    cell, size, big, margin = 22.0, 10.0, 16.0, 24.0
    row_texts = [_row_text(p) for p in principals] + [p.title.replace("\n", " · ") for p in places]
    label_room = min(320.0, max(text_width(t, size) for t in row_texts) + 12)
    col_room = min(260.0, max(text_width(c, size) for c in cols) + 12 + size * 1.4)
    x0 = margin + label_room
    y_title = margin + big
    y_cols = y_title + big * 1.5 + col_room
    gap = cell * 1.6
    y1 = y_cols + big * 1.6  # principals grid
    y2 = y1 + len(principals) * cell + gap + big * 1.6  # places grid
    grid_w = len(cols) * cell
    legend = [("fill", "#8430ce", "accounts where the row holds the permission set (darker: more)"),
              ("fill", MARK_COLOR, "the same, for an admin-equivalent permission set (its own policies; red square)"),
              ("outline", "#8430ce", "none of them provisioned (no role of the set in the accounts' data)")]
    width = max(x0 + grid_w + margin, margin * 2 + max(text_width(t, size) + 30 for _, _, t in legend),
                margin * 2 + text_width(title, big))
    height = y2 + len(places) * cell + margin + big * 1.5 * (len(legend) + 1)
    scene = Scene(width, height, title, data=pmap.as_json())
    scene.add(Text(margin, y_title, title, big, bold=True))
    most_left = max((len(link.accounts) for link in pmap.left.values()), default=1)
    most_right = max((len(link.accounts) for link in pmap.right.values()), default=1)

    for j, name in enumerate(cols):
        s = pmap.sets[name]
        x = x0 + j * cell + cell * 0.65
        colour = MARK_COLOR if s.admin else "#202124"
        tip = name + (f": admin-equivalent ({'; '.join(s.admin)})" if s.admin else "")
        scene.add(Text(x, y_cols - size * 1.4, _fit(name, size, col_room - size * 2), size, color=colour,
                       bold=bool(s.admin), rotate=-90, title=tip))
        if s.admin:
            # the mark as a shape: fonts may lack the glyph
            scene.add(Rect(x0 + j * cell + (cell - size) / 2, y_cols - size * 0.9, size, size, fill=MARK_COLOR,
                           title=tip))
            top = y1 - 4
            bottom = y2 + len(places) * cell + 4
            scene.add(Rect(x0 + j * cell, top, cell, bottom - top, fill=MARK_COLOR, opacity=0.07))

    def grid(y: float, heading: str, keys: list[tuple[str, str, str]], links: Mapping[tuple[str, str], Link],
             most: int, by_row: bool) -> None:
        scene.add(Text(margin, y - big * 0.5, heading, size * 1.2, bold=True, color="#5f6368"))
        for i, (key, text, tip) in enumerate(keys):
            ty = y + i * cell
            if i % 2:
                scene.add(Rect(margin, ty, label_room + grid_w, cell, fill="#f8f9fa"))
            scene.add(Text(x0 - 8, ty + cell * 0.68, _fit(text, size, label_room - 12), size, anchor="end",
                           title=tip))
            for j, name in enumerate(cols):
                link = links.get((key, name) if by_row else (name, key))
                if link is None:
                    continue
                n = len(link.accounts)
                shade = 0.25 + 0.75 * math.log1p(n) / math.log1p(most)
                colour = MARK_COLOR if pmap.sets[name].admin else "#8430ce"
                cx, cy = x0 + j * cell + 2, ty + 2
                element = f"cell-{'p' if by_row else 'a'}{i}-{j}"
                scene.add(Rect(cx, cy, cell - 4, cell - 4, fill=colour if not link.dashed else "#ffffff",
                               opacity=shade if not link.dashed else 1.0, stroke=colour if link.dashed else "",
                               stroke_width=1.2 if link.dashed else 0.0, id=element,
                               title=f"{text} · {name}: {_count(n, 'account')}" + _not_provisioned(link)
                               .replace("\n", ", ")))
                if cell >= 18:
                    scene.add(Text(cx + (cell - 4) / 2, cy + (cell - 4) * 0.68, f"{n}" if n < 1000 else "1k+",
                                   size * 0.8, anchor="middle",
                                   color="#ffffff" if shade > 0.6 and not link.dashed else "#202124"))
                scene.evidence[element] = {"type": "cell", "title": f"{text} → {name}",
                                           **_link_json("row", key, "permission_set", name, link)}
        scene.add(Rect(x0, y, grid_w, len(keys) * cell, stroke="#80868b", stroke_width=1.0))
        for j in range(1, len(cols)):
            scene.add(Line(x0 + j * cell, y, x0 + j * cell, y + len(keys) * cell, "#e8eaed", 0.6))

    grid(y1, "who (groups, users assigned directly)",
         [(p.key, _row_text(p), p.key) for p in principals], pmap.left, most_left, True)
    where = {"ous": "where (OUs: accounts holding the set)", "alike": "where (alike accounts folded)"}
    grid(y2, where.get(pmap.folded_into, "where (accounts)"),
         [(p.key, p.title.replace("\n", " · "), ", ".join(sorted(p.accounts)[:20])) for p in places],
         pmap.right, most_right, False)
    ly = y2 + len(places) * cell + margin + big
    for how, colour, text in legend:
        if how == "fill":
            scene.add(Rect(margin, ly - size, size * 1.4, size * 1.1, fill=colour, opacity=0.7))
        else:
            scene.add(Rect(margin, ly - size, size * 1.4, size * 1.1, fill="#ffffff", stroke=colour,
                           stroke_width=1.2))
        scene.add(Text(margin + size * 2, ly, text, size))
        ly += big * 1.5
    return scene


def _row_text(p: Principal) -> str:
    if p.kind == "group":
        return f"{p.name} ({_count(p.members, 'member')}{', synced' if p.synced else ''})"
    if p.kind == "users":
        return _count(p.members, "user") + " assigned directly"
    return f"{p.name} (assigned directly)"


def _fit(text: str, size: float, room: float) -> str:
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


def people_view(graph: nx.DiGraph, snapshot: Snapshot | None, *, organization: Any = None, marks: Marks = NO_MARKS,
                account: str | None = None, engine: str | None = None, note: str = "") -> TrustDot | Scene:
    """The people view (see the module docstring): Graphviz columns, or grids above DOT_EDGES edges (unless an
    `engine` is asked for)."""
    pmap = people_map(graph, snapshot, organization=organization, marks=marks, account=account)
    title = people_title(pmap, note)
    if engine is None and len(pmap.left) + len(pmap.right) > DOT_EDGES:
        scene = people_scene(pmap, title=title)
        scene.layout = "direct"  # type: ignore[attr-defined]  # for the CLI's message, as TrustDot.layout
        return scene
    return people_dot(pmap, title=title, engine=engine or "dot")
