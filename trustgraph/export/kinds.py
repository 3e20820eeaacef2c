"""How trustgraph's node and edge kinds are named in BloodHound OpenGraph and in Neo4j.

The names are the schema's, one row per kind (graph/schema.py: `NodeSpec.opengraph`/`.neo4j`,
`EdgeSpec.opengraph`/`.neo4j`). A kind without names (one added to the graph later) is still exported, under a
name made from the kind itself (`iam-write` → `AWSIamWrite` / `IAM_WRITE`), so no node or edge is
ever left out. The Neo4j names are Cartography's where they mean the same (its AWS IAM nodes are keyed by
`arn`, its "can assume" relationship is `STS_ASSUMEROLE_ALLOW`), so both graphs join on `arn`; where trustgraph
means something else (membership of a hub, trust under conditions) it uses types of its own, so loading it beside
Cartography changes none of Cartography's answers (docs/export.md → Neo4j).

BloodHound takes the OpenGraph names under one namespace (`.bloodhound`: `TG_AWSRole`, `TG_AWSAssumeRole`): its
extension definition schema requires every node and edge kind to be `<namespace>_<Name>` (docs/export.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trustgraph.graph.schema import EDGE_SPECS, NODE_SPECS, NodeKind

# Every exported Neo4j node carries this label too: the queries in docs/export.md match it, so they never
# wander into the rest of a Cartography graph the export was loaded beside.
COMMON_LABEL = "TrustGraph"
PRINCIPAL_LABEL = "AWSPrincipal"
HUB_LABEL = "TrustGraphHub"
OPENGRAPH_SOURCE_KIND = "TrustGraph"
# BloodHound's namespace for trustgraph's kinds: the prefix of every node and edge kind it ingests from trustgraph
# (SpecterOps/BloodHound, cmd/api/src/services/opengraphschema/extension.go, validateGraphExtension).
BLOODHOUND_NAMESPACE = "TG"


def namespaced(name: str) -> str:
    """An OpenGraph name under trustgraph's BloodHound namespace: `AWSRole` → `TG_AWSRole`."""
    return f"{BLOODHOUND_NAMESPACE}_{name}"

# Cartography keys these on `arn` although their names are no ARNs: a service principal's `arn` is the service
# name (`ec2.amazonaws.com`), a federated principal's the provider as the trust policy writes it.
CARTOGRAPHY_NAMED_LABELS = frozenset({"AWSServicePrincipal", "AWSFederatedPrincipal"})
# Cartography's own relationship types that its queries read as "can, unconditionally": a conditional trustgraph
# edge of one of them gets trustgraph's own type (the prefix), its conditions staying properties.
CARTOGRAPHY_TYPES = frozenset({"STS_ASSUMEROLE_ALLOW"})
CONDITIONAL_PREFIX = "CONDITIONAL_"


@dataclass(frozen=True, slots=True)
class NodeNames:
    opengraph: tuple[str, ...]  # the first is BloodHound's display kind; at most 3 in all
    neo4j: tuple[str, ...]

    @property
    def bloodhound(self) -> tuple[str, ...]:
        return tuple(namespaced(name) for name in self.opengraph)


@dataclass(frozen=True, slots=True)
class EdgeNames:
    opengraph: str
    neo4j: str

    @property
    def bloodhound(self) -> str:
        return namespaced(self.opengraph)


_WORD = re.compile(r"[A-Za-z0-9]+")


def _camel(kind: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in _WORD.findall(kind)) or "Unnamed"


def _upper_snake(kind: str) -> str:
    return "_".join(w.upper() for w in _WORD.findall(kind)) or "UNNAMED"


def node_names(kind: str | None, hub: bool) -> NodeNames:
    """The names of a node of this kind; a kind without names gets `AWS<Kind>` in both."""
    spec = NODE_SPECS.get(kind or NodeKind.UNKNOWN)
    generic = ("AWS" + _camel(kind or ""),)
    names = NodeNames(spec.opengraph or generic, spec.neo4j or generic) if spec else NodeNames(generic, generic)
    if hub and HUB_LABEL not in names.neo4j:
        names = NodeNames(names.opengraph, (*names.neo4j, HUB_LABEL))
    return names


def edge_names(kind: str | None) -> EdgeNames:
    """The names of an edge of this kind; a kind without names gets `AWS<Kind>` / `<KIND>`."""
    spec = EDGE_SPECS.get(kind or "")
    opengraph, neo4j = (spec.opengraph, spec.neo4j) if spec else ("", "")
    return EdgeNames(opengraph or "AWS" + _camel(kind or ""), neo4j or _upper_snake(kind or ""))


def neo4j_type(kind: str | None, conditional: bool) -> str:
    """The Neo4j relationship type of an edge: its kind's, or trustgraph's conditional one where the kind's
    is a Cartography type (Cartography's queries would read the edge as unconditional)."""
    name = edge_names(kind).neo4j
    return CONDITIONAL_PREFIX + name if conditional and name in CARTOGRAPHY_TYPES else name
