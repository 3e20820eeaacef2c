"""How trustgraph's node and edge kinds are named in BloodHound OpenGraph and in Neo4j.

One table row per kind. A kind without a row (one added to the graph later) is still exported, under a
name made from the kind itself (`iam-write` → `AWSIamWrite` / `IAM_WRITE`), so no node or edge is
ever left out. The Neo4j names are Cartography's where they mean the same (its AWS IAM nodes are keyed by
`arn`, its "can assume" relationship is `STS_ASSUMEROLE_ALLOW`), so both graphs join on `arn`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Every exported Neo4j node carries this label too: the queries in docs/export.md match it, so they never
# wander into the rest of a Cartography graph the export was loaded beside.
COMMON_LABEL = "TrustGraph"
PRINCIPAL_LABEL = "AWSPrincipal"
HUB_LABEL = "TrustGraphHub"
OPENGRAPH_SOURCE_KIND = "TrustGraph"


@dataclass(frozen=True, slots=True)
class NodeNames:
    opengraph: tuple[str, ...]  # the first is BloodHound's display kind; at most 3 in all
    neo4j: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EdgeNames:
    opengraph: str
    neo4j: str


NODE_KINDS: dict[str, NodeNames] = {
    "user": NodeNames(("AWSUser", PRINCIPAL_LABEL), ("AWSUser", PRINCIPAL_LABEL)),
    "role": NodeNames(("AWSRole", PRINCIPAL_LABEL), ("AWSRole", PRINCIPAL_LABEL)),
    # The node `arn:aws:iam::ACCT:root`: Cartography's AWSRootPrincipal (its AWSAccount is keyed by the id).
    "account": NodeNames(("AWSAccount", PRINCIPAL_LABEL), ("AWSRootPrincipal", PRINCIPAL_LABEL)),
    "service": NodeNames(("AWSServicePrincipal", PRINCIPAL_LABEL), ("AWSServicePrincipal", PRINCIPAL_LABEL)),
    "federated": NodeNames(("AWSIdentityProvider", PRINCIPAL_LABEL), ("AWSFederatedPrincipal", PRINCIPAL_LABEL)),
    "public": NodeNames(("AWSAnyPrincipal", PRINCIPAL_LABEL), ("AWSAnyPrincipal", PRINCIPAL_LABEL)),
    "unknown": NodeNames(("AWSUnknownPrincipal", PRINCIPAL_LABEL), ("AWSUnknownPrincipal", PRINCIPAL_LABEL)),
    "class": NodeNames(("AWSTrustClass",), ("AWSTrustClass",)),
    # Hubs of the indirect edges (docs/edges.md): waypoints, not principals.
    "account-admin": NodeNames(("AWSAccountAdmin",), ("AWSAccountAdmin",)),
    "policy-group": NodeNames(("AWSPolicyGroup",), ("AWSPolicyGroup",)),
    "code-runner": NodeNames(("AWSCodeRunner",), ("AWSCodeRunner",)),
    "passrole-runner": NodeNames(("AWSPassRoleRunner",), ("AWSPassRoleRunner",)),
}

EDGE_KINDS: dict[str, EdgeNames] = {
    "assume": EdgeNames("AWSAssumeRole", "STS_ASSUMEROLE_ALLOW"),
    "saml": EdgeNames("AWSAssumeRoleWithSAML", "STS_ASSUMEROLEWITHSAML_ALLOW"),
    "web-identity": EdgeNames("AWSAssumeRoleWithWebIdentity", "STS_ASSUMEROLEWITHWEBIDENTITY_ALLOW"),
    "service": EdgeNames("AWSServiceAssume", "SERVICE_ASSUMEROLE_ALLOW"),
    "member": EdgeNames("AWSMemberOf", "MEMBER_OF"),
    "passrole": EdgeNames("AWSPassRole", "IAM_PASSROLE_ALLOW"),
    "code": EdgeNames("AWSCodeAsRole", "CODE_AS_ROLE_ALLOW"),
    "iam": EdgeNames("AWSIAMTakeover", "IAM_TAKEOVER_ALLOW"),
    "assume-root": EdgeNames("AWSAssumeRoot", "STS_ASSUMEROOT_ALLOW"),
}

_WORD = re.compile(r"[A-Za-z0-9]+")


def _camel(kind: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in _WORD.findall(kind)) or "Unnamed"


def _upper_snake(kind: str) -> str:
    return "_".join(w.upper() for w in _WORD.findall(kind)) or "UNNAMED"


def node_names(kind: str | None, hub: bool) -> NodeNames:
    """The names of a node of this kind; a kind without a row gets `AWS<Kind>` in both."""
    names = NODE_KINDS.get(kind or "unknown")
    if names is None:
        generic = "AWS" + _camel(kind or "")
        names = NodeNames((generic,), (generic,))
    if hub and HUB_LABEL not in names.neo4j:
        names = NodeNames(names.opengraph, (*names.neo4j, HUB_LABEL))
    return names


def edge_names(kind: str | None) -> EdgeNames:
    """The names of an edge of this kind; a kind without a row gets `AWS<Kind>` / `<KIND>`."""
    names = EDGE_KINDS.get(kind or "")
    if names is None:
        names = EdgeNames("AWS" + _camel(kind or ""), _upper_snake(kind or ""))
    return names
