"""Who is calling: a principal from the data, or an abstract stand-in (an outside account, anyone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from trustgraph.model import Role
from trustgraph.policy.facts import (
    ABSENT,
    CALLER_CHOSEN_PREFIXES,
    CHOSEN,
    SERVICE_SOURCE_KEYS,
    UNKNOWN,
    AccountScoped,
    Alternatives,
    KeyValue,
)

if TYPE_CHECKING:
    from trustgraph.policy.session_tags import SessionTagging


@dataclass(frozen=True, slots=True)
class OrgFacts:
    """Organization facts about an account, when organization data was read."""

    org_id: str | None  # None: the account is not in the organization
    ou_path: str | None


@dataclass(slots=True)
class Caller:
    """kind: user | role | account | public | service | federated | unknown."""

    kind: str
    node_id: str
    account: str | None = None
    arn: str | None = None
    unique_id: str | None = None
    username: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    partition: str = "aws"
    # True for users and roles read from the data; False for stand-ins whose policies are unknown.
    concrete: bool = False
    org: OrgFacts | None = None  # None: no organization data covers this caller
    # An account's hub: stands for its callers whose identity side allows sts:AssumeRole on every role.
    hub: bool = False
    # Roles whose trust lets callers pass session tags: their sessions' aws:PrincipalTag values may be the
    # tagging caller's choice instead of the IAM tags (policy/session_tags.py).
    session_tags: SessionTagging | None = None

    @property
    def is_aws_principal(self) -> bool:
        return self.kind in ("user", "role", "account", "public", "unknown")


class RequestFacts:
    """Condition-key values of an AssumeRole request by `caller` for `role` (SEMANTICS §5.2)."""

    __slots__ = ("caller", "role", "role_org", "read", "now", "region", "call")

    def __init__(self, caller: Caller, role: Role, role_org: OrgFacts | None = None,
                 read: set[str] | None = None, now: float | None = None, region: str | None = None,
                 call: dict[str, KeyValue] | None = None) -> None:
        self.caller = caller
        self.role = role
        self.role_org = role_org
        # When given, collects every key looked up: a verdict computed for one caller can be reused for
        # another only if it read none of the keys in which the two differ.
        self.read = read
        # The time the data was collected (seconds since the epoch): the request is decided as if made then.
        # None: time conditions stay unsettled.
        self.now = now
        # aws:RequestedRegion when the action settles it (policy/regions.py: IAM calls are made in us-east-1).
        self.region = region
        # Values the call itself sets (iam:PassedToService of an iam:PassRole): every policy evaluated for the
        # request sees them, the SCPs as much as the caller's own.
        self.call = call

    def value(self, key: str) -> KeyValue:
        if self.read is not None:
            self.read.add(key)
        if self.call is not None and key in self.call:
            return self.call[key]
        c = self.caller
        if key.startswith(("aws:resourcetag/", "iam:resourcetag/")):
            tag = key.split("/", 1)[1]
            for k, v in self.role.tags.items():
                if k.lower() == tag:
                    return (v,)
            return ABSENT
        if key == "aws:resourceaccount":
            return (self.role.account,)
        if key == "aws:resourceorgid":
            return _org_value(self.role_org, "id")
        if key == "aws:securetransport":
            return ("true",)
        if key in ("aws:currenttime", "aws:epochtime"):
            if self.now is None:
                return UNKNOWN
            return (iso_time(self.now),) if key == "aws:currenttime" else (str(int(self.now)),)
        if key == "aws:requestedregion" and self.region is not None:
            return (self.region,)
        if key.startswith(CALLER_CHOSEN_PREFIXES):
            return CHOSEN if c.is_aws_principal or c.kind == "federated" else ABSENT
        if c.kind == "service":
            return self._service(key)
        if c.kind == "federated":
            return UNKNOWN if not key.startswith("aws:principal") else ABSENT
        if key in SERVICE_SOURCE_KEYS:
            return ABSENT  # only services acting for a resource send these
        if key == "aws:principalisawsservice":
            return ("false",)
        if key == "aws:principalservicename":
            return ABSENT
        if key == "aws:tokenissuetime":
            return self._token_issue_time()
        if c.concrete:
            return self._concrete(key)
        return self._abstract(key)

    def _token_issue_time(self) -> KeyValue:
        """Present only in requests signed with temporary credentials. A role session can always be a fresh
        one, issued at the data time; an IAM user (or a principal the data does not show) may call with its
        access keys (absent) or with GetSessionToken credentials (present)."""
        if self.now is None:
            return UNKNOWN
        issued = (iso_time(self.now),)
        if self.caller.kind == "role":
            return issued
        return Alternatives((ABSENT, issued))

    def _service(self, key: str) -> KeyValue:
        if key == "aws:principalisawsservice":
            return ("true",)
        if key == "aws:principalservicename":
            return (self.caller.node_id,)
        if key.startswith("aws:principal") or key in ("aws:userid", "aws:username"):
            return ABSENT
        return UNKNOWN  # aws:SourceAccount/SourceArn depend on the resource the service acts for

    def _concrete(self, key: str) -> KeyValue:
        c = self.caller
        if key == "aws:principalarn":
            return (c.arn,) if c.arn else UNKNOWN
        if key == "aws:principalaccount":
            return (c.account,) if c.account else UNKNOWN
        if key.startswith("aws:principaltag/"):
            # A role session carries the session tags passed when it was assumed (they override the role's
            # IAM tags), when the role's trust lets its callers pass any.
            tag = key.split("/", 1)[1]
            iam: KeyValue = next(((v,) for k, v in c.tags.items() if k.lower() == tag), ABSENT)
            return c.session_tags.value(tag, iam) if c.session_tags is not None else iam
        if key == "aws:principaltype":
            return ("User",) if c.kind == "user" else ("AssumedRole",)
        if key == "aws:username":
            return (c.username,) if c.kind == "user" and c.username else ABSENT
        if key == "aws:userid":
            # A role session's id is "ROLEID:session-name"; the session name is the caller's choice.
            return (c.unique_id,) if c.kind == "user" and c.unique_id else UNKNOWN
        if key == "aws:principalorgid":
            return _org_value(c.org, "id")
        if key == "aws:principalorgpaths":
            return _org_value(c.org, "paths")
        return UNKNOWN

    def _abstract(self, key: str) -> KeyValue:
        c = self.caller
        if c.kind == "account" and c.account:
            if key == "aws:principalaccount":
                return (c.account,)
            if key == "aws:principalarn":
                return AccountScoped(c.account)
            if key in ("aws:principalorgid", "aws:principalorgpaths") and c.org is not None:
                return _org_value(c.org, "id" if key.endswith("orgid") else "paths")
        if c.kind == "public" and key in ("aws:principalorgid", "aws:principalorgpaths") and c.org is not None:
            # The public stand-in is a principal outside every account in the data set and its org.
            return ABSENT
        return UNKNOWN


def iso_time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _org_value(org: OrgFacts | None, what: str) -> KeyValue:
    if org is None:
        return UNKNOWN
    if org.org_id is None:
        return ABSENT
    if what == "id":
        return (org.org_id,)
    return (org.ou_path,) if org.ou_path else UNKNOWN
