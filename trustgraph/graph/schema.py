"""The vocabulary of the trust graph: what its nodes and edges are, in one table each.

Every layer that reads the graph (analysis, diff, pictures, exports, the CLI's --via) asks these rows instead
of comparing kind strings: a new kind is one row here. The networkx attribute names are the keys of
`NodeAttrs` and `EdgeAttrs`; the values stored in a graph are plain strings (a saved graph, an export or a
networkx writer never sees an enum), and the enums compare equal to them.

A row is looked up by the kind string (`node_spec`, `edge_spec`); a kind without a row (a graph saved by a newer
version) gets a generic row: drawn as an unknown principal, exported under a name made from the kind, followed
by every --via.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias, TypedDict

import networkx as nx

from trustgraph.version import SCHEMAS

# The graph type every layer passes around: node ids are strings (ARNs, hub ids), attributes NodeAttrs/EdgeAttrs.
# Parameterised for the type checker only: networkx's classes cannot be subscripted at run time.
if TYPE_CHECKING:
    TrustGraph: TypeAlias = nx.DiGraph[str]
else:
    TrustGraph = nx.DiGraph

GRAPH_SCHEMA = SCHEMAS["graph"]


class NodeKind(StrEnum):
    USER = "user"
    ROLE = "role"
    ACCOUNT = "account"
    CLASS = "class"
    ACCOUNT_ADMIN = "account-admin"
    POLICY_GROUP = "policy-group"
    CODE_RUNNER = "code-runner"
    PASSROLE_RUNNER = "passrole-runner"
    STACKSETS_DEPLOYER = "stacksets-deployer"
    SERVICE = "service"
    FEDERATED = "federated"
    PUBLIC = "public"
    UNKNOWN = "unknown"
    # IAM Identity Center's people and groups (graph/identity_center.py): answers, in no account
    IDENTITY_CENTER_USER = "identity-center-user"
    IDENTITY_CENTER_GROUP = "identity-center-group"


class EdgeKind(StrEnum):
    ASSUME = "assume"
    SAML = "saml"
    WEB_IDENTITY = "web-identity"
    SERVICE = "service"
    MEMBER = "member"
    PASSROLE = "passrole"
    CODE = "code"
    IAM = "iam"
    ASSUME_ROOT = "assume-root"
    GROUP_MEMBER = "group-member"  # an Identity Center user → a group of it
    SSO = "sso"  # an Identity Center user or group → the role of a permission set assigned to it


class Via(StrEnum):
    """The groups of edge kinds a query follows (`--via`)."""

    ASSUME = "assume"
    PASSROLE = "passrole"
    CODE = "code"
    IAM = "iam"
    SSO = "sso"


VIA_ALL = "all"


class Hub(Enum):
    """Whether nodes of a kind are hubs: waypoints standing for other principals, never an answer."""

    NEVER = "never"
    ALWAYS = "always"
    WHEN_MARKED = "when-marked"  # only nodes carrying `hub: true` (an account's root node made its hub)


class NodeAttrs(TypedDict, total=False):
    """The attributes of a node (docs/ARCHITECTURE.md, "The graph contract")."""

    kind: str
    label: str
    account: str | None
    account_name: str
    in_data: bool
    hub: bool
    collected: bool  # account nodes: the account's IAM data was read
    path: str
    unique_id: str  # users and roles: AWS's UserId / RoleId, where the data has it
    service_linked: bool
    tags: dict[str, str]
    identity_data: bool
    provider_type: str
    vendor: str
    classification: str
    members: int
    member_accounts: int
    # Identity Center users and groups
    name: str
    display_name: str
    identity_store_id: str
    emails: list[str]
    external: bool  # a group synced from an external identity provider
    superseded_by: str  # an AWSSSO SAML provider whose sign-ins the Identity Center data names person by person


class EvidenceAttrs(TypedDict, total=False):
    role: str
    statement: int
    sid: str | None
    principal: str
    principal_form: str
    action: str
    conditions: list[dict[str, Any]]
    caller_chosen: bool
    notes: list[str]
    reason: str
    kind: str
    technique: str


def record_maker(keys: Iterable[str]) -> Callable[[Mapping[str, object]], dict[str, object]]:
    """A maker of plain dicts holding records with these keys, whose key table is shared among them.

    CPython stores an instance's attributes in a dict that shares its keys with the other instances of the class
    (PEP 412, key-sharing dictionaries): only the values are the dict's own. Evidence records, hundreds of
    thousands with the same dozen keys, cost half as much so. The table is laid out once with every key the
    records may get (in this order, as they are written): one a record gets later keeps it shared, as long as it
    was listed. What holds a record sees a `dict` with its keys in its order; an operation that cannot keep the
    table shared (a key not listed) gives that dict a table of its own, silently, and another interpreter
    gives a plain dict throughout."""
    holder = type("Record", (), {"__doc__": "lends its instances' __dict__"})
    layout = holder().__dict__
    for key in keys:
        layout[key] = None

    def make(fields: Mapping[str, object]) -> dict[str, object]:
        d: dict[str, object] = holder().__dict__
        for key, value in fields.items():  # not update(fields): from a dict, that copies its table
            d[key] = value
        return d
    return make


# The keys of an evidence record (EvidenceAttrs), in the order they are written: a trust edge's, then an indirect
# edge's kind and technique, and what some have besides.
TRUST_RECORD_KEYS = ("role", "statement", "sid", "principal", "principal_form", "action", "effect", "conditions",
                     "caller_chosen", "notes", "reason")
INDIRECT_RECORD_KEYS = (*TRUST_RECORD_KEYS, "kind", "technique", "service", "identity")


class EdgeAttrs(TypedDict, total=False):
    """The attributes of an edge caller → target."""

    kind: str
    kinds: list[str]  # every kind realising the pair, when alternatives of several kinds are folded into one edge
    scope: str
    classification: str
    conditional: bool
    conditions: list[str]
    evidence: list[EvidenceAttrs]
    technique: str
    service: str
    hub_entry: bool  # an edge into an admin node: becoming admin costs no hop
    permission_set: str  # sso edges: the permission set's name and ARN
    permission_set_arn: str
    # trust edges CloudTrail saw used (graph/usage.py): first and last successful call (ISO 8601), how many
    first_used: str
    last_used: str
    use_count: int


def _account_key(data: Mapping[str, Any], node: str) -> str:
    return f"account hub {data.get('account') or node}"


def _class_key(data: Mapping[str, Any], node: str) -> str:
    return f"org-wide trust {data.get('label', '')}"


def _admin_key(data: Mapping[str, Any], node: str) -> str:
    return f"admin of account {data.get('account') or node}"


def _policy_group_key(data: Mapping[str, Any], node: str) -> str:
    # not the label: it counts the members, which a change to one principal's policies moves
    return f"principals of account {data.get('account') or node} with the same policies"


def _runner_key(data: Mapping[str, Any], node: str) -> str:
    return f"{data.get('label', '')} in account {data.get('account') or node}"


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """What every layer asks about nodes of one kind."""

    kind: str
    hub: Hub
    legend: str  # the legend's words for the kind
    words: tuple[str, str]  # one, many: "3 roles"
    opengraph: tuple[str, ...]  # BloodHound kinds: the first is the display kind, at most 3 in all
    neo4j: tuple[str, ...]  # Neo4j labels (Cartography's where they mean the same)
    principal: bool = False  # a user or role of the data: folded when alike in pictures, an answer of queries
    in_account_box: bool = False  # drawn inside its account's cluster
    # A hub entered (or a node left) only through edges of these --via groups: without any of them a query leaves
    # it out.
    needs_via: frozenset[Via | str] | None = None
    # How diff recognises the same hub in another build of the same data (hub ids are not stable); None: by id.
    diff_key: Callable[[Mapping[str, Any], str], str] | None = None
    # A hub standing for the callers of one indirect step (whoever enters it takes the step out of it): escalation
    # findings read through it to the principals that enter it.
    stands_for_callers: bool = False

    def is_hub(self, data: Mapping[str, Any]) -> bool:
        if self.hub is Hub.WHEN_MARKED:
            return bool(data.get("hub"))
        return self.hub is Hub.ALWAYS


@dataclass(frozen=True, slots=True)
class EdgeSpec:
    """What every layer asks about edges of one kind."""

    kind: str
    # the --via group that follows it (a Via, or the name of a group no built-in kind is in); None: always
    # followed (membership in a hub)
    via: Via | str | None
    hop_cost: int  # hops a path pays for it (membership: none)
    legend: str
    opengraph: str  # BloodHound edge kind
    neo4j: str  # Neo4j relationship type
    trust: bool = False  # granted by a role's trust policy (sts:AssumeRole*), not by the caller's permissions
    # Drawn by its own kind (colour, arrowhead, technique label), not by the scope of the trust.
    styled_by_kind: bool = False


_PRINCIPAL = "AWSPrincipal"

class _Rows(dict[Any, Any]):
    """A kind → row table that keeps the lookups derived from it current: a row added at run time (a test's
    fixture kind) is answered by `is_hub` and `hop_cost` like the built-in ones."""

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        _reindex()

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        _reindex()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        _reindex()

    def pop(self, *args: Any) -> Any:
        found = super().pop(*args)
        _reindex()
        return found

    def setdefault(self, key: Any, default: Any = None) -> Any:
        found = super().setdefault(key, default)
        _reindex()
        return found

    def clear(self) -> None:
        super().clear()
        _reindex()


NODE_SPECS: dict[str, NodeSpec] = _Rows({spec.kind: spec for spec in (
    NodeSpec(NodeKind.ROLE, Hub.NEVER, "role", ("role", "roles"), ("AWSRole", _PRINCIPAL), ("AWSRole", _PRINCIPAL),
             principal=True, in_account_box=True),
    NodeSpec(NodeKind.USER, Hub.NEVER, "user", ("user", "users"), ("AWSUser", _PRINCIPAL), ("AWSUser", _PRINCIPAL),
             principal=True, in_account_box=True),
    # `arn:aws:iam::ACCT:root`: the account as a principal; for a collected account also the hub of its principals
    # that may assume any role (Cartography's AWSRootPrincipal; its AWSAccount is keyed by the id).
    NodeSpec(NodeKind.ACCOUNT, Hub.WHEN_MARKED, "account", ("account", "accounts"),
             ("AWSAccount", _PRINCIPAL), ("AWSRootPrincipal", _PRINCIPAL), in_account_box=True,
             diff_key=_account_key),
    # the principals an org-wide `*` trust admits, alike in everything that decides it
    NodeSpec(NodeKind.CLASS, Hub.ALWAYS, "org-wide trust", ("org-wide trust", "org-wide trusts"),
             ("AWSTrustClass",), ("AWSTrustClass",), diff_key=_class_key),
    # whoever can take over an account: its administrators, reaching every role and user of it through IAM
    NodeSpec(NodeKind.ACCOUNT_ADMIN, Hub.ALWAYS, "account administrators", ("account admin", "account admins"),
             ("AWSAccountAdmin",), ("AWSAccountAdmin",), needs_via=frozenset({Via.IAM}), diff_key=_admin_key),
    # principals of one account whose policies give them the same PassRole, code and IAM edges
    NodeSpec(NodeKind.POLICY_GROUP, Hub.ALWAYS, "principals with the same permissions",
             ("policy group", "policy groups"),
             ("AWSPolicyGroup",), ("AWSPolicyGroup",), needs_via=frozenset({Via.PASSROLE, Via.CODE, Via.IAM}),
             diff_key=_policy_group_key, stands_for_callers=True),
    # code of any resource of one kind in an account (no inventory tells which role each runs as)
    NodeSpec(NodeKind.CODE_RUNNER, Hub.ALWAYS, "code run as any role of a kind", ("code runner", "code runners"),
             ("AWSCodeRunner",), ("AWSCodeRunner",), needs_via=frozenset({Via.CODE}), diff_key=_runner_key,
             stands_for_callers=True),
    # any role of an account trusting one service, for callers that may pass every such role alike
    NodeSpec(NodeKind.PASSROLE_RUNNER, Hub.ALWAYS, "roles passed to a service", ("PassRole runner", "PassRole runners"),
             ("AWSPassRoleRunner",), ("AWSPassRoleRunner",), needs_via=frozenset({Via.PASSROLE}),
             diff_key=_runner_key, stands_for_callers=True),
    # service-managed CloudFormation StackSets of an organization's managing account: deployed into every member
    NodeSpec(NodeKind.STACKSETS_DEPLOYER, Hub.ALWAYS, "StackSets deployed into member accounts",
             ("StackSets deployer", "StackSets deployers"), ("AWSStackSetsDeployer",), ("AWSStackSetsDeployer",),
             needs_via=frozenset({Via.IAM}), diff_key=_runner_key, stands_for_callers=True),
    NodeSpec(NodeKind.SERVICE, Hub.NEVER, "AWS service", ("service", "services"),
             ("AWSServicePrincipal", _PRINCIPAL), ("AWSServicePrincipal", _PRINCIPAL)),
    NodeSpec(NodeKind.FEDERATED, Hub.NEVER, "identity provider", ("provider", "providers"),
             ("AWSIdentityProvider", _PRINCIPAL), ("AWSFederatedPrincipal", _PRINCIPAL), in_account_box=True),
    NodeSpec(NodeKind.PUBLIC, Hub.NEVER, "anyone (*)", ("anyone", "anyone"),
             ("AWSAnyPrincipal", _PRINCIPAL), ("AWSAnyPrincipal", _PRINCIPAL)),
    NodeSpec(NodeKind.UNKNOWN, Hub.NEVER, "unresolved principal", ("unresolved", "unresolved"),
             ("AWSUnknownPrincipal", _PRINCIPAL), ("AWSUnknownPrincipal", _PRINCIPAL)),
    # a person of IAM Identity Center: signs in to the roles of the permission sets assigned to it or its groups
    NodeSpec(NodeKind.IDENTITY_CENTER_USER, Hub.NEVER, "Identity Center user", ("person", "people"),
             ("AWSIdentityCenterUser",), ("AWSIdentityCenterUser",), needs_via=frozenset({Via.SSO})),
    # a group of IAM Identity Center: an answer (its members counted), not a hub
    NodeSpec(NodeKind.IDENTITY_CENTER_GROUP, Hub.NEVER, "Identity Center group", ("group", "groups"),
             ("AWSIdentityCenterGroup",), ("AWSIdentityCenterGroup",), needs_via=frozenset({Via.SSO})),
)})

EDGE_SPECS: dict[str, EdgeSpec] = _Rows({spec.kind: spec for spec in (
    EdgeSpec(EdgeKind.ASSUME, Via.ASSUME, 1, "sts:AssumeRole", "AWSAssumeRole", "STS_ASSUMEROLE_ALLOW", trust=True),
    EdgeSpec(EdgeKind.SAML, Via.ASSUME, 1, "sts:AssumeRoleWithSAML", "AWSAssumeRoleWithSAML",
             "STS_ASSUMEROLEWITHSAML_ALLOW", trust=True),
    EdgeSpec(EdgeKind.WEB_IDENTITY, Via.ASSUME, 1, "sts:AssumeRoleWithWebIdentity", "AWSAssumeRoleWithWebIdentity",
             "STS_ASSUMEROLEWITHWEBIDENTITY_ALLOW", trust=True),
    EdgeSpec(EdgeKind.SERVICE, Via.ASSUME, 1, "a service assumes the role", "AWSServiceAssume",
             "SERVICE_ASSUMEROLE_ALLOW", trust=True),
    # principal → a hub standing for it (account hub, trust class, policy group): membership, no hop. Its Neo4j type
    # is trustgraph's own: Cartography's MEMBER_OF is group membership (UserAccount → UserGroup).
    EdgeSpec(EdgeKind.MEMBER, None, 0, "member of", "AWSMemberOf", "TRUSTGRAPH_MEMBER_OF"),
    EdgeSpec(EdgeKind.PASSROLE, Via.PASSROLE, 1, "iam:PassRole to a service", "AWSPassRole", "IAM_PASSROLE_ALLOW",
             styled_by_kind=True),
    EdgeSpec(EdgeKind.CODE, Via.CODE, 1, "code run as the role", "AWSCodeAsRole", "CODE_AS_ROLE_ALLOW",
             styled_by_kind=True),
    EdgeSpec(EdgeKind.IAM, Via.IAM, 1, "IAM write", "AWSIAMTakeover", "IAM_TAKEOVER_ALLOW", styled_by_kind=True),
    EdgeSpec(EdgeKind.ASSUME_ROOT, Via.IAM, 1, "sts:AssumeRoot", "AWSAssumeRoot", "STS_ASSUMEROOT_ALLOW",
             styled_by_kind=True),
    # an Identity Center user → its group: followed by every --via, no hop (the group's assignments are its own)
    EdgeSpec(EdgeKind.GROUP_MEMBER, None, 0, "member of the Identity Center group", "AWSIdentityCenterMemberOf",
             "IDENTITY_CENTER_MEMBER_OF", styled_by_kind=True),
    # a user or group → the role of a permission set assigned to it in the role's account: one sign-in
    # (sts:AssumeRoleWithSAML through the account's AWSSSO provider)
    EdgeSpec(EdgeKind.SSO, Via.SSO, 1, "Identity Center sign-in (permission set)", "AWSIdentityCenterAssignment",
             "SSO_ASSIGNMENT_ALLOW", styled_by_kind=True),
)})

# Derived from the rows, for the questions asked once per node or edge of a search on a 100k-node graph: a dict
# lookup each. Kind → True (always a hub), False (never); a kind absent is a hub when marked (`hub: true`).
_HUB_OF: dict[Any, bool] = {}  # keyed by whatever a graph holds as kind
_HOP_OF: dict[Any, int] = {}  # edge kind → hops a path pays for it


def _reindex() -> None:
    # NODE_SPECS / EDGE_SPECS are not there yet while the tables themselves are being made
    nodes: Mapping[str, NodeSpec] = globals().get("NODE_SPECS", {})
    edges: Mapping[str, EdgeSpec] = globals().get("EDGE_SPECS", {})
    _HUB_OF.clear()
    # plain str keys: a graph's kinds are plain str, and find their equal faster so
    _HUB_OF.update({str(k): s.hub is Hub.ALWAYS for k, s in nodes.items() if s.hub is not Hub.WHEN_MARKED})
    _HOP_OF.clear()
    _HOP_OF.update({str(k): s.hop_cost for k, s in edges.items()})


_reindex()
# bound once: the tables are refilled in place, never replaced
_hub_of = _HUB_OF.get
_hop_of = _HOP_OF.get

# Trust-policy principal forms (policy/principals.py) → the node kind of the caller they name.
_CALLER_NODE_KIND: dict[str, NodeKind] = {
    "public": NodeKind.PUBLIC, "account": NodeKind.ACCOUNT, "user": NodeKind.USER, "role": NodeKind.ROLE,
    "session": NodeKind.ROLE, "unique-id": NodeKind.UNKNOWN, "service": NodeKind.SERVICE,
    "saml": NodeKind.FEDERATED, "oidc": NodeKind.FEDERATED, "web-identity": NodeKind.FEDERATED,
}
# Trust-policy principal forms → the kind of the edge their grant makes.
_CALLER_EDGE_KIND: dict[str, EdgeKind] = {
    "service": EdgeKind.SERVICE, "saml": EdgeKind.SAML, "oidc": EdgeKind.WEB_IDENTITY,
    "web-identity": EdgeKind.WEB_IDENTITY,
}


def caller_node_kind(principal_form: str) -> NodeKind:
    """The node kind of a caller named in a trust policy in this principal form."""
    return _CALLER_NODE_KIND.get(principal_form, NodeKind.UNKNOWN)


def caller_edge_kind(principal_form: str) -> EdgeKind:
    """The edge kind a trust grant to a caller of this principal form makes."""
    return _CALLER_EDGE_KIND.get(principal_form, EdgeKind.ASSUME)


def _generic_node(kind: str) -> NodeSpec:
    return NodeSpec(kind, Hub.WHEN_MARKED, kind, (kind, kind), (), ())


def _generic_edge(kind: str) -> EdgeSpec:
    return EdgeSpec(kind, None, 1, kind, "", "")


def node_spec(kind: object) -> NodeSpec:
    """The row of a node kind; a kind without one gets a generic row (a hub only when marked so)."""
    spec = NODE_SPECS.get(kind) if isinstance(kind, str) else None
    return spec if spec is not None else _generic_node(str(kind or NodeKind.UNKNOWN))


def edge_spec(kind: object) -> EdgeSpec:
    """The row of an edge kind; a kind without one gets a generic row (followed by every --via, one hop)."""
    spec = EDGE_SPECS.get(kind) if isinstance(kind, str) else None
    return spec if spec is not None else _generic_edge(str(kind or EdgeKind.ASSUME))


# -- reading a graph's attributes -----------------------------------------------------------------------------


def node_kind(data: Mapping[str, Any]) -> str:
    """A node's kind (`unknown` when it has none)."""
    return str(data.get("kind") or NodeKind.UNKNOWN)


def edge_kind(data: Mapping[str, Any]) -> str:
    """An edge's kind (`assume` when it has none: graphs of the first versions)."""
    return str(data.get("kind") or EdgeKind.ASSUME)


def edge_kinds(data: Mapping[str, Any]) -> list[str]:
    """Every kind realising an edge (an edge folds alternatives of several kinds into one)."""
    return list(data.get("kinds") or (edge_kind(data),))


class GraphDicts(NamedTuple):
    """networkx's own dicts behind a graph's views: node → attributes, node → neighbour → edge attributes."""

    nodes: dict[str, dict[str, Any]]
    succ: dict[str, dict[str, dict[str, Any]]]
    pred: dict[str, dict[str, dict[str, Any]]]


def graph_dicts(graph: TrustGraph) -> GraphDicts:
    """The graph's node, successor and predecessor dicts, for searches that run over every node or edge: the public
    views cost a call per lookup. Read only: writing them bypasses networkx."""
    return GraphDicts(graph._node, graph._succ, graph._pred)  # type: ignore[attr-defined]  # private: not in the stubs


def is_hub(graph: TrustGraph, node: str) -> bool:
    """A hub stands for other principals (an account's, a trust class's, an indirect edge's callers): it is a
    waypoint, never an answer."""
    # networkx's plain node dict: the view layer costs more than the lookup on 100k-node searches; is_hub_data's
    # body, not a call to it, for the same reason.
    data = graph._node[node]  # type: ignore[attr-defined]  # graph_dicts would add a call per node searched
    try:
        fixed = _hub_of(data.get("kind"))
    except TypeError:  # a kind that is no string (a hand-edited saved graph): a generic row
        fixed = None
    return bool(data.get("hub")) if fixed is None else fixed


def is_hub_data(data: Mapping[str, Any]) -> bool:
    """`is_hub` for a node's attributes already at hand."""
    try:
        fixed = _hub_of(data.get("kind"))
    except TypeError:  # a kind that is no string (a hand-edited saved graph): a generic row
        fixed = None
    return bool(data.get("hub")) if fixed is None else fixed


def is_principal(data: Mapping[str, Any]) -> bool:
    """A user or role of the data (not a hub, an outside caller or an account)."""
    return node_spec(data.get("kind")).principal and not is_hub_data(data)


def is_superseded(data: Mapping[str, Any]) -> bool:
    """A caller whose sign-ins other nodes name one by one (an AWSSSO SAML provider of an account the Identity
    Center data covers): it stays in the graph and in paths, but the people behind it are the answers."""
    return bool(data.get("superseded_by"))


def is_answer(data: Mapping[str, Any]) -> bool:
    """A node a query may answer with: not a hub, not superseded."""
    return not is_hub_data(data) and not is_superseded(data)


def is_kind(data: Mapping[str, Any], *kinds: str) -> bool:
    """Whether a node's or edge's kind is one of these."""
    return data.get("kind") in kinds


def hop_cost(data: Mapping[str, Any]) -> int:
    """What following an edge costs in hops: none into a hub (membership, or becoming an account's admin)."""
    # becoming the admin of an account (an edge into its admin node) is no role assumption: the hop is the step
    # from there to a role or user
    if data.get("hub_entry"):
        return 0
    try:
        return _hop_of(data.get("kind"), 1)
    except TypeError:  # a kind that is no string: a generic row
        return 1


def stands_for_callers(data: Mapping[str, Any]) -> bool:
    """A hub whose entrants take the indirect step out of it (a policy group, a PassRole or code runner, a
    StackSets deployer)."""
    return node_spec(node_kind(data)).stands_for_callers


def is_membership(data: Mapping[str, Any]) -> bool:
    """An edge into a hub that stands for its caller, followed whatever --via says."""
    return edge_spec(data.get("kind")).via is None and data.get("kind") in EDGE_SPECS


def is_trust_edge(data: Mapping[str, Any]) -> bool:
    """Every alternative of the edge is a role assumption a trust policy grants."""
    return all(edge_spec(k).trust for k in edge_kinds(data))


def styled_by_kind(data: Mapping[str, Any]) -> bool:
    """Every alternative of the edge is drawn by its kind (the indirect edges), not by its scope."""
    return all(edge_spec(k).styled_by_kind for k in edge_kinds(data))


def via_groups() -> tuple[str, ...]:
    """The names `--via` takes, `all` last."""
    return (*dict.fromkeys(str(s.via) for s in EDGE_SPECS.values() if s.via is not None), VIA_ALL)


def via_kinds(via: Iterable[str] | str | None) -> frozenset[str] | None:
    """The edge kinds `--via` names (`assume,iam` or a list of names); None: every kind."""
    if via is None:
        return None
    names = [n.strip().lower() for part in ([via] if isinstance(via, str) else via) for n in part.split(",")
             if n.strip()]
    known = via_groups()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown --via {', '.join(unknown)}: use {', '.join(known)}")
    if not names or VIA_ALL in names:
        return None
    return frozenset(str(s.kind) for s in EDGE_SPECS.values() if s.via is not None and s.via in names)


def hub_needed(data: Mapping[str, Any], allowed: frozenset[str]) -> bool:
    """Whether a query following only the `allowed` edge kinds can use this node (a hub entered only through
    kinds it does not follow is a dead end)."""
    return kind_needed(data.get("kind"), allowed)


def kind_needed(kind: object, allowed: frozenset[str]) -> bool:
    """`hub_needed` of a node of this kind (it depends on the kind alone)."""
    needs = node_spec(kind).needs_via
    if needs is None:
        return True
    return any(edge_spec(k).via in needs for k in allowed)


def diff_key(graph: TrustGraph, node: str) -> str:
    """What a hub stands for, the same in any build of the same data (hub ids are not)."""
    data = graph.nodes[node]
    keyer = node_spec(data.get("kind")).diff_key
    return keyer(data, node) if keyer is not None else f"hub {node}"
