"""The account view: one node per account, one edge per (source account → target account).

Principals are folded into their account; edges between principals become one aggregated edge per
pair of accounts, with counts of the trusted callers by kind, the number of target roles, and markers
when some of the folded trusts are conditional or go through a `*` principal. Accounts outside the data
are shown by vendor name when known; unknown external accounts are grouped into one node; public,
identity providers (grouped by issuer) and AWS services are their own nodes.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from trustgraph.analysis.exposure import Exposure
from trustgraph.graph.schema import (
    NODE_SPECS,
    Hub,
    NodeKind,
    Via,
    graph_dicts,
    is_hub,
    is_membership,
    is_principal,
    is_trust_edge,
    node_spec,
)
from trustgraph.render.clusters import cluster_title, pin_title
from trustgraph.render.dot import TrustDot, canvas, cluster_attrs, jsonable, place_legend
from trustgraph.render.marks import NO_MARKS, Marks, holding_text, legend_rows
from trustgraph.render.radial import Box, RadialLayout, radial_layout, text_width
from trustgraph.render.style import (
    ACCOUNT_EDGE_LEGEND,
    ACCOUNT_EDGE_STYLE,
    ACCOUNT_NODE_LEGEND,
    ACCOUNT_NODE_STYLE,
    DASHED,
    DEAD_END,
    DEAD_END_STYLE,
    DEAD_END_TEXT,
    FONT,
    MARK_COLOR,
    MAX_SIZE,
    OU_PALETTE,
    PUBLIC_MARK_COLOR,
    SENSITIVE_GLYPH,
    SENSITIVE_STYLE,
    SOLID,
    dot_text,
    html_text,
    legend_table,
    tooltip_text,
)

# Above this many nodes or links the account view is laid out radially (render/radial.py) instead of with
# dot: dot's spline routing grows far worse than linearly with edges (100 accounts with 1,500 links did
# not finish in 5 minutes).
DOT_LIMIT = 120
DOT_EDGE_LIMIT = 250
# At most this many folded principal edges are listed in an aggregated edge's evidence.
EVIDENCE_MEMBERS = 50

KNOWN_ISSUERS = {
    "token.actions.githubusercontent.com": "GitHub Actions",
    "gitlab.com": "GitLab",
    "app.terraform.io": "Terraform Cloud",
    "accounts.google.com": "Google",
    "graph.facebook.com": "Facebook",
    "www.amazon.com": "Login with Amazon",
    "cognito-identity.amazonaws.com": "Amazon Cognito",
    "oidc.circleci.com": "CircleCI",
    "vstoken.actions.githubusercontent.com": "GitHub (Azure DevOps)",
}

# Callers counted on an aggregated edge: the principals of an account that may assume any role, standing for
# their account, are counted apart from the account as a principal.
ACCOUNT_WIDE = "account-wide"
# The order callers are counted in on an edge label; kinds added to the schema later follow.
_KIND_ORDER = (NodeKind.ROLE, NodeKind.USER, ACCOUNT_WIDE, NodeKind.ACCOUNT, NodeKind.CLASS, NodeKind.FEDERATED,
               NodeKind.SERVICE, NodeKind.PUBLIC, NodeKind.UNKNOWN)


def _stands_for_account(graph: nx.DiGraph, node: str) -> bool:
    """An account node standing for its account's principals (the callers of its account-wide trusts): the hub
    of a collected account, or a collected account."""
    data = graph.nodes[node]
    return data.get("kind") == NodeKind.ACCOUNT and bool(data.get("hub") or data.get("collected"))


def _caller_order() -> list[str]:
    """_KIND_ORDER, then the schema's other kinds (none of today's reaches a trust edge's caller)."""
    return list(dict.fromkeys([*_KIND_ORDER, *NODE_SPECS]))


@dataclass
class AccountNode:
    key: str
    kind: str  # account | org-only | vendor | external | federated | public | service | unknown
    title: str
    subtitle: str = ""
    accounts: set[str] = field(default_factory=set)
    ou_path: str = ""
    principals: Counter[str] = field(default_factory=Counter)  # in-data principals by kind
    members: set[str] = field(default_factory=set)  # graph nodes folded into this one
    internal: int = 0  # trust edges inside this node (same account; for an OU, inside the OU)
    between: int = 0  # of those, trust between two accounts folded into this node (an OU)
    internal_conditional: int = 0  # of `internal`, the conditional ones
    chain: tuple[str, ...] = ()  # an OU node's own OU ids below the root (render/ous.py)
    service_trusts: int = 0  # service → role edges folded into this node (services not drawn)
    sensitive: int = 0  # sensitive roles held (Marks)
    flagged: int = 0  # roles with findings held (Marks)
    exposure: Exposure | None = None  # of those sensitive roles, how many are reachable from outside the node

    @property
    def exposed(self) -> bool:
        """The mark: some sensitive role of it is reachable from outside it, other than from the management
        account alone (which can take over every member account by design; the label still says it)."""
        return self.exposure is not None and self.exposure.reachable > self.exposure.management_only


@dataclass
class AccountEdge:
    src: str
    dst: str
    members: list[tuple[str, str]] = field(default_factory=list)
    conditional: int = 0
    via_star: int = 0

    _by_kind: Counter[str] | None = field(default=None, repr=False, compare=False)

    def sources_by_kind(self, graph: nx.DiGraph) -> Counter[str]:
        """Distinct trusted callers by kind; "account-wide" is the hub of a collected account (its principals
        that may assume any role, using every trust that names their account)."""
        if self._by_kind is None:
            self._by_kind = Counter(ACCOUNT_WIDE if _stands_for_account(graph, s) else str(graph.nodes[s].get("kind"))
                                    for s in {u for u, _ in self.members})
        return self._by_kind

    def targets(self) -> set[str]:
        return {v for _, v in self.members}


@dataclass
class AccountMap:
    nodes: dict[str, AccountNode]
    edges: dict[tuple[str, str], AccountEdge]
    services_drawn: bool
    org_id: str | None
    ou_names: dict[str, str]
    marks: Marks = NO_MARKS
    partial: bool = False  # the graph holds only some of the trust (--only): counts are of what it touches


def _plural(n: int, kind: str) -> str:
    if kind == NodeKind.PUBLIC:
        return "anyone"
    if kind == ACCOUNT_WIDE:
        return ACCOUNT_WIDE
    one, many = node_spec(kind).words
    return f"{n:,} {one if n == 1 else many}"


def _issuer(node: str, data: Mapping[str, Any]) -> tuple[str, str]:
    """(group key, title) of a federated principal: providers of the same issuer are one source."""
    ptype = str(data.get("provider_type") or "")
    if ":saml-provider/" in node:
        name = node.split(":saml-provider/", 1)[1]
        if name.startswith("AWSSSO_"):
            return "fed:saml:aws-sso", "IAM Identity Center (SAML)"
        return f"fed:saml:{name}", f"{name} (SAML)"
    host = node.split(":oidc-provider/", 1)[1] if ":oidc-provider/" in node else node
    if host.startswith("oidc.eks.") and "/id/" in host:
        region = host.split(".")[2]
        return f"fed:oidc:eks:{region}", f"EKS clusters {region} (OIDC)"
    host = host.split("/", 1)[0] if host.startswith(("oidc.", "token.")) else host
    name = KNOWN_ISSUERS.get(host, host)
    form = "SAML" if ptype == "saml" else "OIDC" if ptype == "oidc" else "web identity"
    return f"fed:{ptype}:{host}", f"{name} ({form})"


class Folder:
    """Maps every graph node to the account-view node it is folded into."""

    def __init__(self, graph: nx.DiGraph, organization: Any, known_accounts: Mapping[str, str] | None,
                 ou_names: Mapping[str, str] | None) -> None:
        self.graph = graph
        ctx = graph.graph.get("accounts") or {}
        self.names: dict[str, str] = {**graph.graph.get("account_names", {}), **(ctx.get("names") or {})}
        self.vendors: dict[str, str] = {**(ctx.get("vendors") or {}), **dict(known_accounts or {})}
        self.org_id: str | None = graph.graph.get("organization_id") or ctx.get("org_id")
        self.org_accounts: dict[str, str] = dict(ctx.get("org_accounts") or {})
        self.ou_names: dict[str, str] = dict(ctx.get("ou_names") or {})
        if organization is not None:
            self.org_id = self.org_id or organization.id
            for account in organization.accounts.values():
                self.org_accounts.setdefault(account.id, account.ou_path)
                if account.name:
                    self.names.setdefault(account.id, account.name)
            for unit in [*organization.roots, *organization.units]:
                self.ou_names.setdefault(unit.id, unit.name)
        self.ou_names.update(ou_names or {})
        self.nodes: dict[str, AccountNode] = {}
        # kind → whether its nodes are principals, for the kinds drawn inside their account's box whose hub-ness
        # the row fixes (a kind whose nodes are hubs only when marked so is folded the long way)
        self._boxed: dict[str, bool] = {
            str(kind): spec.principal and spec.hub is Hub.NEVER for kind, spec in NODE_SPECS.items()
            if spec.in_account_box and spec.hub is not Hub.WHEN_MARKED and kind != NodeKind.FEDERATED}

    @functools.cached_property
    def in_data(self) -> set[str]:
        """The accounts whose IAM data was read. Made when first asked: `has_ous` reads only the OU paths, and a
        pass over every node cost it 0.4 s at 1,000 accounts."""
        found = set(self.graph.graph.get("collected_accounts", []))
        for data in graph_dicts(self.graph).nodes.values():
            if data.get("in_data") and is_principal(data) and data.get("account"):
                found.add(str(data["account"]))
        return found

    def _account_node(self, account: str) -> AccountNode:
        key = f"acct:{account}"
        if key in self.nodes:
            return self.nodes[key]
        name = self.names.get(account, "")
        vendor = self.vendors.get(account, "")
        if account in self.in_data:
            kind = "account"
        elif account in self.org_accounts or name:
            kind = "org-only"  # one of ours (organization member or named in an accounts file), no IAM data
        elif vendor:
            kind = "vendor"
        else:
            group = self.nodes.setdefault("external", AccountNode("external", "external", "external accounts"))
            group.accounts.add(account)
            return group
        node = AccountNode(key, kind, name or vendor or f"account {account}", account, {account},
                           self.org_accounts.get(account, ""))
        self.nodes[key] = node
        return node

    def fold(self, node: str, data: Mapping[str, Any] | None = None) -> AccountNode:
        if data is None:
            data = graph_dicts(self.graph).nodes[node]
        kind = str(data.get("kind", NodeKind.UNKNOWN))
        account = data.get("account")
        if account and kind in self._boxed:
            # the common case, a principal in its account's box: decided once per kind (an organization's graph
            # has 100k+ of them)
            group = self._account_node(str(account))
            group.members.add(node)
            if self._boxed[kind] and data.get("in_data"):
                group.principals[kind] += 1
            return group
        if kind == NodeKind.FEDERATED:
            # identity providers are drawn by issuer, whatever account holds them
            key, title = _issuer(node, data)
            group = self.nodes.setdefault(key, AccountNode(key, "federated", title))
            if account:
                group.accounts.add(str(account))
        elif node_spec(kind).in_account_box and account:
            group = self._account_node(str(account))
        elif kind == NodeKind.PUBLIC:
            group = self.nodes.setdefault("public", AccountNode("public", "public", "anyone (*)",
                                                                "any AWS principal"))
        elif kind == NodeKind.SERVICE:
            group = self.nodes.setdefault("services", AccountNode("services", "service", "AWS services"))
        elif kind == NodeKind.CLASS:
            # Every group of one trust class folds into one node: the org-wide trust, said once.
            label = str(data.get("label", node))
            key = f"class:{label}"
            group = self.nodes.setdefault(key, AccountNode(key, "class", "org-wide trust", label))
        else:
            group = self.nodes.setdefault("unknown", AccountNode("unknown", "unknown", "unresolved principals",
                                                                 "deleted or invalid"))
        group.members.add(node)
        if data.get("in_data") and is_principal(data):
            group.principals[kind] += 1
        return group


def management_of(graph: nx.DiGraph, organization: Any) -> str | None:
    """The organization's management account, from the organization data or what the graph keeps of it."""
    found = getattr(organization, "management_account_id", None) or \
        (graph.graph.get("accounts") or {}).get("management_account_id")
    return str(found) if found else None


def set_exposure(graph: nx.DiGraph, nodes: Iterable[AccountNode], marks: Marks, management: str | None) -> None:
    """Give each account or OU node holding sensitive roles its exposure: how many of them a principal outside
    the node reaches (analysis/exposure.py says what outside is)."""
    from trustgraph.analysis.exposure import exposure

    by_account: dict[str, list[str]] = defaultdict(list)
    for role in marks.sensitive:
        if ":iam::" in role:
            by_account[role.split(":iam::", 1)[1].split(":", 1)[0]].append(role)
    for node in nodes:
        if node.kind in ("account", "org-only", "ou") and node.sensitive:
            roles = [r for a in sorted(node.accounts) for r in by_account.get(a, ())]
            node.exposure = exposure(graph, roles, node.accounts, management)


def account_map(graph: nx.DiGraph, *, organization: Any = None, known_accounts: Mapping[str, str] | None = None,
                ou_names: Mapping[str, str] | None = None, services: bool | None = None,
                account: str | None = None, marks: Marks = NO_MARKS, all_accounts: bool = True,
                partial: bool = False, exposure: bool = True) -> AccountMap:
    """Fold the principal graph into accounts (pure; no drawing).

    services: draw AWS services as a node with edges to the accounts whose roles trust them (by default
    service trust is only counted inside each account). account: keep only this account and what touches it.
    marks: sensitive roles and roles with findings, counted per account. all_accounts: also draw the accounts
    of the data that no trust of `graph` touches (off for a filtered graph). partial: `graph` holds only some
    of the trust; the principals counted are those its trusts touch, and the labels say so. Only trust edges
    are folded (role assumptions and hubs): PassRole, code and IAM edges stay inside an account and are drawn
    on the principal graph. exposure: reckon each account's sensitive roles reachable from outside (off when the
    accounts are folded into OUs at once: the OU map reckons its own).
    """
    from trustgraph.analysis.reachability import restrict
    full = graph  # what the marks are reckoned on: every route, not only trust
    graph = restrict(graph, Via.ASSUME)
    folder = Folder(graph, organization, known_accounts, ou_names)
    node_data = graph_dicts(graph).nodes
    for node in sorted(node_data):
        folder.fold(node, node_data[node])
    if all_accounts:
        # Every account in the data is drawn, even one that no trust touches.
        for acct in sorted(folder.in_data):
            folder._account_node(acct)
    if marks:
        # What an account holds, whatever part of its trust `graph` keeps (a filtered graph keeps only some).
        held: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for roles, slot in ((marks.sensitive, 0), (marks.findings, 1)):
            for role in roles:
                if ":iam::" in role:
                    held[role.split(":iam::", 1)[1].split(":", 1)[0]][slot] += 1
        for group in folder.nodes.values():
            if group.kind in ("account", "org-only"):
                group.sensitive, group.flagged = held.get(next(iter(group.accounts)), (0, 0))
        if exposure:
            set_exposure(full, folder.nodes.values(), marks, management_of(full, organization))
    draw_services = bool(services)
    owner = {m: n for n in folder.nodes.values() for m in n.members}
    edges: dict[tuple[str, str], AccountEdge] = {}
    succ = graph_dicts(graph).succ
    # In (caller, callee) order, sorted per node: sorting the edge list itself cost 0.5 s at 1,000 accounts.
    for u, v, data in ((x, y, succ[x][y]) for x in sorted(succ) for y in sorted(succ[x])):
        a, b = owner[u], owner[v]
        if a.key == b.key:
            if not is_membership(data):  # a principal joining its own account's hub is no trust
                a.internal += 1
                a.internal_conditional += bool(data.get("conditional"))
            continue
        if a.kind == "service" and not draw_services:
            b.service_trusts += 1
            continue
        edge = edges.setdefault((a.key, b.key), AccountEdge(a.key, b.key))
        edge.members.append((u, v))
        edge.conditional += bool(data.get("conditional"))
        edge.via_star += data.get("scope") == "public" or \
            any(e.get("principal_form") == "public" for e in data.get("evidence", ()))
    nodes = dict(folder.nodes)
    if not draw_services:
        nodes.pop("services", None)
    linked = {k for pair in edges for k in pair}
    nodes = {k: n for k, n in nodes.items() if n.kind in ("account", "org-only") or k in linked}
    if account is not None:
        center = f"acct:{account}"
        if center not in nodes:
            raise KeyError(account)
        edges = {pair: e for pair, e in edges.items() if center in pair}
        touching = {center} | {k for pair in edges for k in pair}
        nodes = {k: n for k, n in nodes.items() if k in touching}
    return AccountMap(nodes, edges, draw_services, folder.org_id, folder.ou_names, marks, partial)


# ------------------------------------------------------------------------------------------------ DOT


def ou_chain(amap: AccountMap, ou_path: str) -> list[str]:
    """OU ids below the root, outermost first ("o-x/r-y/ou-a/ou-b/" → [ou-a, ou-b])."""
    parts = [p for p in ou_path.strip("/").split("/") if p]
    return [p for p in parts if p.startswith("ou-")]


def _ou_title(amap: AccountMap, ou: str) -> str:
    name = amap.ou_names.get(ou)
    return f"{name}" if name else ou


def _node_label(node: AccountNode, compact: bool, partial: bool = False) -> str:
    lines = [f"<B>{html_text(node.title)}</B>"]
    small: list[str] = []
    if node.kind == "external":
        ids = sorted(node.accounts)
        lines[0] = f"<B>{len(ids)} unknown external account{'s' if len(ids) != 1 else ''}</B>"
        small.append(", ".join(ids[:3]) + (f" +{len(ids) - 3}" if len(ids) > 3 else ""))
    elif node.subtitle:
        small.append(node.subtitle)
    if node.kind == "vendor":
        small.append("known vendor" if len(node.accounts) <= 1 else "known vendors")
    if node.kind == "federated" and len(node.members) > 1:
        small.append(f"{len(node.members):,} providers in {len(node.accounts):,} accounts")
    if node.kind == "ou":
        small.append(f"{len(node.accounts):,} account{'s' if len(node.accounts) != 1 else ''}")
    if not compact and node.kind in ("account", "org-only", "ou"):
        counts = [_plural(node.principals[k], k) for k in (NodeKind.ROLE, NodeKind.USER) if node.principals[k]]
        if node.kind == "org-only" and not counts:
            counts = ["no IAM data"]
        if counts:
            small.append(" · ".join(counts) + (" in these trusts" if partial else ""))
        extra = []
        if node.internal and node.kind == "ou":
            between = f" ({node.between:,} between its accounts)" if node.between else ""
            extra.append(f"{node.internal:,} trust{'s' if node.internal != 1 else ''} inside{between}")
        elif node.internal:
            extra.append(f"{node.internal} internal trust{'s' if node.internal != 1 else ''}")
        if node.service_trusts:
            extra.append(f"{node.service_trusts} service trust{'s' if node.service_trusts != 1 else ''}")
        if extra:
            small.append(" · ".join(extra))
    for text in small:
        lines.append(f'<FONT POINT-SIZE="8" COLOR="#5f6368">{html_text(text)}</FONT>')
    held = holding_text(node.sensitive, node.flagged, node.exposure)
    if held and not compact:
        colour = MARK_COLOR if node.exposed or node.flagged else "#5f6368"
        lines.append(f'<FONT POINT-SIZE="8" COLOR="{colour}">{html_text(held)}</FONT>')
    return "<" + "<BR/>".join(lines) + ">"


def edge_class(amap: AccountMap, edge: AccountEdge) -> str:
    kind = amap.nodes[edge.src].kind
    return {"account": "internal", "org-only": "internal", "ou": "internal", "vendor": "vendor", "external": "external",
            "federated": "federated", "public": "public", "service": "service",
            "class": "internal"}.get(kind, "unknown")


def _trusts(n: int) -> str:
    return f"{n:,} trust{'s' if n != 1 else ''}"


def edge_text(graph: nx.DiGraph, edge: AccountEdge, marks: Marks = NO_MARKS) -> tuple[str, str]:
    """(counts, markers) of an aggregated edge, e.g. ("2 roles, 1 user → 3 roles", "1 conditional · via * (1)");
    with marks, "⚠ 2 sensitive" when some of the roles reached are sensitive."""
    by_kind = edge.sources_by_kind(graph)
    sources = ", ".join(_plural(by_kind[k], k) for k in _caller_order() if by_kind.get(k))
    targets = sum(1 for v in edge.targets() if not is_hub(graph, v))
    if targets:
        counts = f"{sources} → {targets:,} role{'s' if targets != 1 else ''}"
    else:  # member edges: who may use the account-wide or org-wide trust
        counts = f"{sources} (members)"
    notes = []
    if edge.conditional:
        total = len(edge.members)
        notes.append("conditional" if edge.conditional == total else f"{edge.conditional:,}/{total:,} conditional")
    if edge.via_star:
        notes.append(f"via * ({edge.via_star})")
    sensitive = sensitive_targets(edge, marks)
    if sensitive:
        notes.append(f"{SENSITIVE_GLYPH} {sensitive} sensitive")
    return counts, " · ".join(notes)


def sensitive_targets(edge: AccountEdge, marks: Marks) -> int:
    return sum(1 for v in edge.targets() if v in marks.sensitive) if marks.sensitive else 0


def folded_edge_evidence(graph: nx.DiGraph, amap: AccountMap, edge: AccountEdge, counts: str,
                         marks: str, classification: str = "") -> dict[str, Any]:
    members = []
    for u, v in edge.members[:EVIDENCE_MEMBERS]:
        data = graph.edges[u, v]
        reasons = sorted({str(e.get("reason", "")) for e in data.get("evidence", []) if e.get("reason")})
        statements = sorted({f"#{e.get('statement')}" + (f" ({e['sid']})" if e.get("sid") else "")
                             for e in data.get("evidence", [])})
        members.append({"from": u, "to": v, "conditional": bool(data.get("conditional")),
                        "conditions": jsonable(data.get("conditions", [])), "statements": statements,
                        "reason": "; ".join(reasons)})
    src, dst = amap.nodes[edge.src], amap.nodes[edge.dst]
    info: dict[str, Any] = {"type": "edge", "title": f"{src.title} → {dst.title}", "summary": counts}
    if classification:
        info["classification"] = classification
    if marks:
        info["markers"] = marks
    info.update({"trusts": len(edge.members), "target_roles": len(edge.targets()),
                 "callers_by_kind": dict(sorted(edge.sources_by_kind(graph).items())),
                 "conditional": edge.conditional})
    if edge.via_star:
        info["via_star"] = edge.via_star
    info["members"] = members
    if len(edge.members) > EVIDENCE_MEMBERS:
        info["members_not_listed"] = len(edge.members) - EVIDENCE_MEMBERS
    return info


def _node_evidence(amap: AccountMap, node: AccountNode) -> dict[str, Any]:
    ou = " / ".join(_ou_title(amap, o) for o in ou_chain(amap, node.ou_path)) if node.ou_path else ""
    info: dict[str, Any] = {"type": "node", "title": node.title, "kind": ACCOUNT_NODE_LEGEND.get(node.kind, node.kind),
                            "search": " ".join([node.title, node.subtitle, *sorted(node.accounts)])}
    if node.accounts:
        info["accounts"] = sorted(node.accounts)
    if ou:
        info["organizational_unit"] = ou
    if node.principals:
        info["principals"] = dict(sorted(node.principals.items()))
    if node.internal:
        info["internal_trusts"] = node.internal
    if node.service_trusts:
        info["service_trusts"] = node.service_trusts
    if node.sensitive:
        info["sensitive_roles"] = node.sensitive
    if node.exposure is not None:
        info["sensitive_roles_reachable_from_outside"] = node.exposure.reachable
        info["of_them_only_from_the_management_account"] = node.exposure.management_only
    if node.flagged:
        info["roles_with_findings"] = node.flagged
    if node.kind in ("federated", "unknown", "service", "external") and node.members:
        members = sorted(node.members)
        info["members"] = members[:EVIDENCE_MEMBERS]
        if len(members) > EVIDENCE_MEMBERS:
            info["members_not_listed"] = len(members) - EVIDENCE_MEMBERS
    return info


def node_order(node: AccountNode) -> tuple[int, str]:
    rank = {"public": 0, "external": 1, "vendor": 2, "federated": 3, "service": 4, "unknown": 5, "class": 6}
    return rank.get(node.kind, 9), node.key


def _legend(amap: AccountMap, classes: set[str], any_conditional: bool, any_star: bool, large: bool,
            ou_colours: Mapping[tuple[str, ...], str], any_hub: bool = False, any_dead: bool = False,
            short_labels: bool = False) -> str:
    present = {n.kind for n in amap.nodes.values()}
    node_rows = [(ACCOUNT_NODE_STYLE[k], text) for k, text in ACCOUNT_NODE_LEGEND.items() if k in present]
    edge_rows = [(SOLID, ACCOUNT_EDGE_STYLE[c]["color"], text) for c, text in ACCOUNT_EDGE_LEGEND.items()
                 if c in classes]
    if any_conditional:
        edge_rows.append((DASHED, "#3c4043", "every folded trust is conditional"))
    if any_dead:
        edge_rows.append((DEAD_END, DEAD_END_STYLE["color"], DEAD_END_TEXT))
    extra = ['<TR><TD>&#9473;&#9473;</TD><TD ALIGN="LEFT">thicker = more trusts</TD></TR>']
    if any_star:
        extra.append(f'<TR><TD><FONT COLOR="{PUBLIC_MARK_COLOR}"><I>via *</I></FONT></TD>'
                     '<TD ALIGN="LEFT">some trusts name Principal "*"</TD></TR>')
    if short_labels:
        extra.append('<TR><TD COLSPAN="2" ALIGN="LEFT">edge label: trusts folded into the edge (principal &#8594; '
                     'role); its tooltip says who and what</TD></TR>')
    elif not large:
        extra.append('<TR><TD COLSPAN="2" ALIGN="LEFT">edge label: trusted callers by kind &#8594; roles they can'
                     ' assume</TD></TR>')
    if any_hub:
        extra.append('<TR><TD COLSPAN="2" ALIGN="LEFT">account-wide: its principals that may assume any'
                     ' role</TD></TR>')
    if not amap.services_drawn:
        extra.append('<TR><TD COLSPAN="2" ALIGN="LEFT">AWS service trust is counted inside each account</TD></TR>')
    holders = "OUs and accounts" if "ou" in present else "accounts"
    extra.extend(legend_rows(amap.marks, any(n.sensitive for n in amap.nodes.values()),
                             any(n.flagged for n in amap.nodes.values()), holders))
    for chain, colour in ou_colours.items():
        name = chain_title(amap, chain)
        extra.append(f'<TR><TD BGCOLOR="{colour}" BORDER="1" COLOR="#b06000"> </TD>'
                     f'<TD ALIGN="LEFT">OU {html_text(name)}</TD></TR>')
    return legend_table(node_rows, edge_rows, extra)


def chain_title(amap: AccountMap, chain: tuple[str, ...]) -> str:
    return " / ".join(_ou_title(amap, ou) for ou in chain) or "organization root"


def _box(node: AccountNode, fontsize: int) -> Box:
    """Estimated size (points) of a compact account-view node, for the radial layout."""
    title = node.title if node.kind != "external" else f"{len(node.accounts)} unknown external accounts"
    sub = node.subtitle if node.kind != "external" else ", ".join(sorted(node.accounts)[:3]) + " +99"
    width = max(text_width(title, fontsize, bold=True), text_width(sub, 8)) + 30
    return Box(node.key, width, max(36.0, fontsize + 8 + 16))


def account_dot(graph: nx.DiGraph, amap: AccountMap, *, title: str = "", engine: str | None = None,
                legend: bool = True, short_labels: bool = False, rankdir: str = "LR") -> TrustDot:
    """DOT for an account map. engine: dot (clusters per OU, labelled edges), radial (positions computed in
    render/radial.py, drawn by Graphviz's nop), or a Graphviz engine (sfdp, neato, fdp). Default: dot up
    to DOT_LIMIT nodes and DOT_EDGE_LIMIT links, radial above."""
    keys = sorted(amap.nodes, key=lambda k: node_order(amap.nodes[k]))
    large = len(keys) > DOT_LIMIT or len(amap.edges) > DOT_EDGE_LIMIT
    layout = engine or ("radial" if large else "dot")
    ids = {k: f"a{i}" for i, k in enumerate(keys)}
    dot = TrustDot("trustgraph_accounts", engine="neato" if layout == "radial" else layout)
    dot.title = title
    dot.layout = layout
    dot.marks = amap.marks
    if large:
        dot.raster_size = "40,40"
    dot.attr(fontname=FONT, fontsize="14" if not large else "32", labelloc="t", labeljust="l",
             label=dot_text(title), bgcolor="white", pad="0.3", size=MAX_SIZE)
    if layout == "dot":
        dot.attr(rankdir=rankdir, newrank="true", nodesep="0.3", ranksep="1.4", splines="spline")
    elif layout == "radial":
        # Every node is pinned (pos="x,y!" in points): neato only draws the straight edges.
        dot.attr(splines="false", outputorder="edgesfirst", inputscale="72", notranslate="false")
    else:
        # Force-directed: straight edges; overlap=scale is the overlap removal the bundled Graphviz has
        # (no triangulation library, so no prism).
        dot.attr(overlap="scale", splines="false", outputorder="edgesfirst", K="1.2", start="1")
    dot.attr("node", fontname=FONT, fontsize="10", margin="0.15,0.06")
    dot.attr("edge", fontname=FONT, fontsize="8", arrowsize="0.7" if not large else "0.5", fontcolor="#3c4043")

    def chain_of(node: AccountNode) -> tuple[str, ...] | None:
        return tuple(ou_chain(amap, node.ou_path)) if node.ou_path else None

    # Without clusters, an OU is a fill colour (and, for sfdp, an invisible anchor pulling its accounts together).
    ou_colours: dict[tuple[str, ...], str] = {}
    if layout != "dot":
        chains = sorted({c for n in amap.nodes.values() if (c := chain_of(n)) is not None},
                        key=lambda c: (chain_title(amap, c), c))
        ou_colours = {chain: OU_PALETTE[i % len(OU_PALETTE)] for i, chain in enumerate(chains)}
    degree: Counter[str] = Counter()
    for a, b in amap.edges:
        degree[a] += 1
        degree[b] += 1

    def fontsize(key: str) -> int:
        # Hubs (many links) get bigger labels so that an overview reads without zooming.
        return 10 + min(26, 3 * int(math.log2(1 + degree[key]))) if large else 10

    positions: dict[str, tuple[float, float]] = {}
    radial: RadialLayout | None = None
    if layout == "radial":
        n_accounts = sum(1 for n in amap.nodes.values() if n.kind in ("account", "org-only"))
        hub_degree = max(8, n_accounts // 20)
        center = [k for k in keys if amap.nodes[k].kind not in ("account", "org-only") or degree[k] >= hub_degree]
        center.sort(key=lambda k: (-degree[k], k))
        by_chain: dict[tuple[str, ...] | None, list[str]] = defaultdict(list)
        for k in keys:
            if k not in set(center):
                by_chain[chain_of(amap.nodes[k])].append(k)
        order = sorted(by_chain, key=lambda c: (c is None, chain_title(amap, c) if c is not None else "", c or ()))
        groups = [(chain_title(amap, c) if c is not None else ("outside the organization" if ou_colours
                                                                  else "accounts"),
                   [_box(amap.nodes[k], fontsize(k)) for k in sorted(by_chain[c], key=lambda k: (
                       amap.nodes[k].title, k))]) for c in order]
        radial = radial_layout([_box(amap.nodes[k], fontsize(k)) for k in center], groups)
        positions = {str(k): xy for k, xy in radial.positions.items()}

    def emit(container: Any, key: str) -> None:
        node = amap.nodes[key]
        style = dict(ACCOUNT_NODE_STYLE[node.kind])
        chain = chain_of(node)
        if chain is not None and chain in ou_colours and node.kind in ("account", "org-only"):
            style["fillcolor"] = ou_colours[chain]
        if node.exposed:
            style.update(SENSITIVE_STYLE)
        if large:
            style["fontsize"] = str(fontsize(key))
        if key in positions:
            x, y = positions[key]
            style["pos"] = f"{x:.1f},{y:.1f}!"
        element = f"node-{ids[key]}"
        tooltip = node.title + (f" ({node.subtitle})" if node.subtitle else "")
        container.node(ids[key], label=_node_label(node, compact=large, partial=amap.partial),
                       tooltip=tooltip_text(tooltip), id=element, **style)
        dot.evidence[element] = functools.partial(_node_evidence, amap, node)

    with canvas(dot) as body:
        in_org = [k for k in keys if amap.nodes[k].ou_path]
        if layout in ("dot", "fdp") and in_org:
            # Clusters per organization and OU.
            tree: dict[tuple[str, ...], list[str]] = defaultdict(list)
            for k in in_org:
                tree[tuple(ou_chain(amap, amap.nodes[k].ou_path))].append(k)
            prefixes = sorted({chain[:i] for chain in tree for i in range(len(chain) + 1)})
            cluster_ids = {p: f"cluster_ou{i}" for i, p in enumerate(prefixes)}

            # With dot, a cluster's title is a node first in the cluster (render/clusters.py): dot routes edges
            # around nodes, not around cluster labels.
            title_nodes = layout == "dot"

            def emit_cluster(container: Any, prefix: tuple[str, ...]) -> str:
                """Emit the cluster of `prefix`; returns its title node ("" when the title is the label)."""
                with container.subgraph(name=cluster_ids[prefix]) as c:
                    if prefix:
                        title, style = _ou_title(amap, prefix[-1]), dict(
                            style="rounded,filled", color="#c6cbd1", fontsize="11",
                            fillcolor="#f8f9fa" if len(prefix) % 2 else "#ffffff")
                    else:
                        title, style = f"Organization {amap.org_id or ''}".strip(), dict(
                            style="rounded,filled", color="#9aa0a6", fillcolor="#ffffff", fontsize="12")
                    head = ""
                    if title_nodes:
                        c.attr(**cluster_attrs(label="", **style))
                        head = cluster_title(c, cluster_ids[prefix], title, style["fontsize"])
                    else:
                        c.attr(**cluster_attrs(label=dot_text(title), labeljust="l", **style))
                    inner = []
                    for k in tree.get(prefix, []):
                        emit(c, k)
                        inner.append(ids[k])
                    for child in prefixes:
                        if len(child) == len(prefix) + 1 and child[:len(prefix)] == prefix:
                            inner.append(emit_cluster(c, child))
                    if head:
                        pin_title(c, head, inner, rankdir)
                    return head

            emit_cluster(body, ())
        else:
            in_org = []
        rest = [k for k in keys if k not in set(in_org)]
        outside = [k for k in rest if amap.nodes[k].kind in ("public", "external", "vendor", "federated", "service",
                                                            "unknown")]
        if layout == "dot" and outside:
            # Callers from outside the organization on the left, where the arrows start.
            with body.subgraph(name="sources") as sources:
                sources.attr(rank="min")
                for k in outside:
                    emit(sources, k)
        else:
            outside = []
        for k in rest:
            if k not in outside:
                emit(body, k)
        if layout == "sfdp":
            for i, chain in enumerate(ou_colours):
                anchor = f"ou{i}"
                body.node(anchor, label="", style="invis", width="0.1", height="0.1")
                for k in keys:
                    if chain_of(amap.nodes[k]) == chain:
                        body.edge(anchor, ids[k], style="invis", dir="none")
        if radial is not None:
            for i, sector in enumerate(radial.sectors):
                if sector.count < max(3, len(keys) // 50):
                    continue  # a sliver: its colour in the legend names it
                text = f"<B>{html_text(sector.name)}</B><BR/>{sector.count} account{'s' if sector.count != 1 else ''}"
                width = text_width(sector.name, 30, bold=True)
                x = sector.x + width / 2 * math.cos(sector.angle)
                y = sector.y + 30 * math.sin(sector.angle)
                body.node(f"sector{i}", label=f"<{text}>", shape="plaintext", fontsize="30", fontcolor="#5f6368",
                          pos=f"{x:.1f},{y:.1f}!")

        classes: set[str] = set()
        any_conditional = any_star = any_dead = False
        for pair in sorted(amap.edges, key=lambda p: (ids[p[0]], ids[p[1]])):
            edge = amap.edges[pair]
            cls = edge_class(amap, edge)
            classes.add(cls)
            style = dict(ACCOUNT_EDGE_STYLE[cls])
            width = 1 + min(4.0, math.log2(len(edge.members)))
            if large and cls == "internal":
                # Thousands of links inside the organization: a translucent web under the outside trust.
                style["color"] += "30"
                width = min(width, 2.0)
            elif large:
                style["color"] += "b0"
                width += 0.5
            style["penwidth"] = f"{width:.2f}"
            if edge.conditional == len(edge.members):
                style["style"] = "dashed"
                any_conditional = True
            counts, marks = edge_text(graph, edge, amap.marks)
            if amap.nodes[edge.src].kind == "unknown":
                style.update(DEAD_END_STYLE)
                any_dead = True
            tooltip = counts + (f" · {marks}" if marks else "")
            attrs: dict[str, str] = {}
            if not large:
                label = html_text(counts) if not short_labels else f"<B>{_trusts(len(edge.members))}</B>"
                if marks:
                    colour = PUBLIC_MARK_COLOR if edge.via_star or SENSITIVE_GLYPH in marks else "#5f6368"
                    label += f'<BR/><FONT COLOR="{colour}"><I>{html_text(marks)}</I></FONT>'
                attrs["label"] = f"<{label}>"
            any_star = any_star or bool(edge.via_star)
            element = f"edge-{ids[pair[0]]}-{ids[pair[1]]}"
            body.edge(ids[pair[0]], ids[pair[1]], tooltip=tooltip_text(tooltip), id=element, **attrs, **style)
            dot.evidence[element] = functools.partial(folded_edge_evidence, graph, amap, edge, counts, marks, cls)
        if legend:
            any_hub = any(e.sources_by_kind(graph).get(ACCOUNT_WIDE) for e in amap.edges.values())
            label = _legend(amap, classes, any_conditional, any_star, large, ou_colours, any_hub, any_dead,
                            short_labels)
            if radial is not None:
                # Left of the disc: half the legend's width (estimated from its longest row) plus a margin.
                rows = [re.sub(r"<[^>]*>|&#?\w+;", "x", row) for row in label.split("</TR>")]
                half = max(text_width(row, 30) for row in rows) / 2 + 40
                body.node("legend", label=label, shape="plain", fontsize="30", fontname=FONT,
                          pos=f"{-radial.radius - 200 - half:.1f},{radial.radius * 0.4:.1f}!")
            else:
                place_legend(dot, body, label, fontsize="9" if not large else "18")
    return dot


def trust_only_note(graph: nx.DiGraph, account: str | None = None) -> str:
    """What a view folding trust edges only leaves out: "trust edges only; 96 PassRole/code/IAM edges not drawn
    (--view principals draws them)", counting the edges touching `account` when given; "" when there are none."""
    nodes, succ, _ = graph_dicts(graph)
    # Decided once per distinct kind (or set of kinds) of edge, not per edge: 850,000 edges at 1,000 accounts.
    indirect: dict[Any, bool] = {}
    left = 0
    for u, row in succ.items():
        mine = account is None or nodes[u].get("account") == account
        for v, d in row.items():
            several = d.get("kinds")
            key = (d.get("kind"), tuple(several) if several else None)
            counted = indirect.get(key)
            if counted is None:
                counted = indirect[key] = not is_membership(d) and not is_trust_edge(d)
            if counted and (mine or nodes[v].get("account") == account):
                left += 1
    if not left:
        return ""
    return (f"trust edges only; {left:,} PassRole/code/IAM edge{'s' if left != 1 else ''} not drawn "
            "(--view principals and who-can-reach follow them)")


def account_title(amap: AccountMap) -> str:
    accounts = sum(1 for n in amap.nodes.values() if n.kind in ("account", "org-only"))
    outside = sum(1 for n in amap.nodes.values() if n.kind not in ("account", "org-only"))
    trusts = sum(len(e.members) for e in amap.edges.values())
    return (f"Account map: {accounts} account{'s' if accounts != 1 else ''}, {outside} outside source"
            f"{'s' if outside != 1 else ''}, {len(amap.edges)} links ({trusts} trusts)")


def account_view(graph: nx.DiGraph, *, organization: Any = None, known_accounts: Mapping[str, str] | None = None,
                 ou_names: Mapping[str, str] | None = None, services: bool | None = None, account: str | None = None,
                 engine: str | None = None, title: str = "", marks: Marks = NO_MARKS,
                 all_accounts: bool = True, note: str = "", partial: bool = False) -> TrustDot:
    """DOT for the account view of `graph` (see the module docstring)."""
    amap = account_map(graph, organization=organization, known_accounts=known_accounts, ou_names=ou_names,
                       services=services, account=account, marks=marks, all_accounts=all_accounts, partial=partial)
    if not title:
        title = account_title(amap)
        if account:
            title += f", around {account}"
        left = trust_only_note(graph, account)
        if left:
            title += f" — {left}"
        if note:
            title += f" — {note}"
    return account_dot(graph, amap, title=title, engine=engine)


def accounts_in_data(graph: nx.DiGraph) -> set[str]:
    found = set(graph.graph.get("collected_accounts", []))
    for _, data in graph.nodes(data=True):
        if data.get("in_data") and is_principal(data) and data.get("account"):
            found.add(str(data["account"]))
    return found


def principal_count(graph: nx.DiGraph, kinds: Iterable[str] = (NodeKind.USER, NodeKind.ROLE)) -> int:
    wanted = set(kinds)
    return sum(1 for _, d in graph.nodes(data=True) if d.get("kind") in wanted)
