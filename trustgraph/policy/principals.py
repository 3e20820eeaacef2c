"""The Principal element: every form of SEMANTICS §2, classified once per trust statement."""

from __future__ import annotations

from dataclasses import dataclass

from trustgraph.arns import ACCOUNT_ID, UNIQUE_ID, parse_arn, root_arn
from trustgraph.policy.placeholders import has_placeholder

# Built-in web identity providers are named by bare host, without a provider ARN (§2).
WEB_IDENTITY_HOSTS = {"cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com",
                      "www.amazon.com"}

ACTION_FOR_KIND = {
    "saml": "sts:AssumeRoleWithSAML",
    "oidc": "sts:AssumeRoleWithWebIdentity",
    "web-identity": "sts:AssumeRoleWithWebIdentity",
}
AWS_KINDS = {"public", "account", "user", "role", "session", "unique-id", "unresolved"}
PRINCIPAL_TYPES = ("*", "AWS", "Service", "Federated", "CanonicalUser")


@dataclass(frozen=True, slots=True)
class PrincipalRef:
    """One principal value of a statement, classified.

    kind: public | account | user | role | session | unique-id | service | saml | oidc | web-identity |
    federated-user | canonical-user | invalid | unresolved (a template placeholder: who it names is not known)
    """

    kind: str
    written: str  # the value as written in the policy
    node_id: str  # the graph node this principal is drawn as
    account: str | None = None
    partition: str = "aws"
    role_name: str | None = None  # sessions: the role the session belongs to
    session_name: str | None = None
    problem: str | None = None  # why it can never match (invalid forms)
    # The value holds a template placeholder (${var.x}, CloudFormation Ref/Fn::…): not evaluated.
    unresolved: bool = False
    # For an unresolved principal of unknown kind: the assume action its statement grants.
    assume_action: str | None = None

    @property
    def action(self) -> str:
        return self.assume_action or ACTION_FOR_KIND.get(self.kind, "sts:AssumeRole")

    @property
    def is_aws(self) -> bool:
        return self.kind in AWS_KINDS

    @property
    def matches_nothing(self) -> bool:
        return self.kind in ("invalid", "canonical-user", "federated-user")


def classify_principal(ptype: str, value: str) -> PrincipalRef:
    """Classify one (type, value) pair of a Principal element."""
    if ptype not in PRINCIPAL_TYPES or has_placeholder(value):
        return _unresolved(ptype, value)
    if ptype == "*":
        # Bare "Principal": "*" is read as {"AWS": "*"}; Access Analyzer reports it as unsupported (§2).
        return PrincipalRef("public", "*", "*", problem="bare \"Principal\": \"*\" is not supported in a "
                            "trust policy; read as {\"AWS\": \"*\"}")
    if ptype == "Service":
        return PrincipalRef("service", value, value)
    if ptype == "CanonicalUser":
        return PrincipalRef("canonical-user", value, value, problem="CanonicalUser principals are S3-only and "
                            "never match in a trust policy")
    if ptype == "Federated":
        return _federated(value)
    return _aws(value)


def _unresolved(ptype: str, value: str) -> PrincipalRef:
    """A principal written with template placeholders: kept, but not evaluated. What the text still shows
    (a provider host, a service, a fixed account) is kept for the findings that read it."""
    if ptype == "Federated" and ":oidc-provider/" in value:
        return PrincipalRef("oidc", value, value, unresolved=True)
    if ptype == "Federated" and ":saml-provider/" in value:
        return PrincipalRef("saml", value, value, unresolved=True)
    if ptype == "Service":
        return PrincipalRef("service", value, value, unresolved=True)
    segments = value.split(":")
    account = segments[4] if len(segments) >= 6 and ACCOUNT_ID.match(segments[4]) else None
    return PrincipalRef("unresolved", value, value, account=account, unresolved=True)


def _federated(value: str) -> PrincipalRef:
    arn = parse_arn(value)
    if arn and arn.service == "iam" and arn.resource.startswith("saml-provider/"):
        return PrincipalRef("saml", value, value, account=arn.account, partition=arn.partition)
    if arn and arn.service == "iam" and arn.resource.startswith("oidc-provider/"):
        return PrincipalRef("oidc", value, value, account=arn.account, partition=arn.partition)
    if value in WEB_IDENTITY_HOSTS:
        return PrincipalRef("web-identity", value, value)
    return PrincipalRef("invalid", value, value, problem="federated principal is neither a SAML/OIDC provider "
                        "ARN nor a built-in web identity provider")


def _aws(value: str) -> PrincipalRef:
    if value == "*":
        return PrincipalRef("public", value, "*")
    if value != value.strip():
        return PrincipalRef("invalid", value, value, problem="principal has leading or trailing whitespace; "
                            "IAM rejects it")
    if ACCOUNT_ID.match(value):
        return PrincipalRef("account", value, root_arn(value), account=value)
    if UNIQUE_ID.match(value):
        return PrincipalRef("unique-id", value, value, problem=None)
    arn = parse_arn(value)
    if arn is None:
        if value.isdigit():
            return PrincipalRef("invalid", value, value, problem=f"account id {value!r} is not 12 digits")
        return PrincipalRef("invalid", value, value, problem="not an ARN, account id or unique id")
    if not ACCOUNT_ID.match(arn.account):
        return PrincipalRef("invalid", value, value,
                            problem=f"account {arn.account!r} in the ARN is not a 12-digit account id")
    if "*" in value or "?" in value:
        return PrincipalRef("invalid", value, value, account=arn.account, partition=arn.partition,
                            problem="partial wildcards are not supported in Principal and match nothing; "
                            "use {\"AWS\":\"*\"} or the account with an ArnLike aws:PrincipalArn condition")
    if arn.service == "iam":
        if arn.resource == "root":
            return PrincipalRef("account", value, root_arn(arn.account, arn.partition), account=arn.account,
                                partition=arn.partition)
        if arn.resource.startswith("user/"):
            return PrincipalRef("user", value, value, account=arn.account, partition=arn.partition)
        if arn.resource.startswith("role/"):
            return PrincipalRef("role", value, value, account=arn.account, partition=arn.partition,
                                role_name=arn.resource.rsplit("/", 1)[-1])
    if arn.service == "sts":
        parts = arn.resource.split("/")
        if parts[0] == "assumed-role" and len(parts) == 3:
            return PrincipalRef("session", value, f"arn:{arn.partition}:iam::{arn.account}:role/{parts[1]}",
                                account=arn.account, partition=arn.partition, role_name=parts[1],
                                session_name=parts[2])
        if parts[0] == "federated-user":
            return PrincipalRef("federated-user", value, value, account=arn.account, partition=arn.partition,
                                problem="GetFederationToken sessions cannot call sts:AssumeRole")
    return PrincipalRef("invalid", value, value, account=arn.account, partition=arn.partition,
                        problem=f"{arn.service}:{arn.resource_type} is not a principal that can assume a role")
