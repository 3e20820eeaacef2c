"""Node and edge vocabulary of the trust graph, shared by building, analysis, rendering and JSON."""

from __future__ import annotations

NODE_KINDS = ("user", "role", "account", "class", "account-admin", "policy-group", "code-runner", "passrole-runner",
              "service", "federated", "public", "unknown")
# Edges that are no role assumption (graph/indirect.py): what they are drawn and filtered by.
INDIRECT_EDGE_KINDS = ("passrole", "code", "iam", "assume-root")
SCHEMA = "trustgraph/graph/v1"

FEDERATED_EDGE_KIND = {"saml": "saml", "oidc": "web-identity", "web-identity": "web-identity"}


def caller_node_kind(principal_kind: str) -> str:
    """Node kind for a principal form of the trust policy."""
    return {
        "public": "public", "account": "account", "user": "user", "role": "role", "session": "role",
        "unique-id": "unknown", "service": "service", "saml": "federated", "oidc": "federated",
        "web-identity": "federated",
    }.get(principal_kind, "unknown")
