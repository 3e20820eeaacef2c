"""What a request's condition keys hold, as far as configuration data can tell (SEMANTICS §5.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


ABSENT = _Marker("ABSENT")  # the request will not carry this key
UNKNOWN = _Marker("UNKNOWN")  # depends on runtime facts the data cannot settle (MFA, ExternalId, IdP claims…)
CHOSEN = _Marker("CHOSEN")  # a request parameter the caller picks (session name, request tags, source identity)


@dataclass(frozen=True, slots=True)
class AccountScoped:
    """The key is an ARN of some principal (or resource) of `account` that the data does not enumerate; when
    `within` is set, an ARN that this ARN pattern matches (a resource the caller creates in its account)."""

    account: str
    within: str | None = None


@dataclass(frozen=True, slots=True)
class Alternatives:
    """The caller decides, by how it calls, which of these values the key holds: each option is ABSENT,
    CHOSEN or a tuple of values (e.g. aws:TokenIssueTime of an IAM user: absent with its access keys,
    present with GetSessionToken credentials)."""

    options: tuple[tuple[str, ...] | _Marker, ...]


KeyValue = tuple[str, ...] | _Marker | AccountScoped | Alternatives


class Facts(Protocol):
    def value(self, key: str) -> KeyValue:
        """Value of a condition key, `key` lower-cased."""
        ...


# Keys whose value the caller chooses when it makes the call (§5.2 "caller-chosen request parameters").
CALLER_CHOSEN_PREFIXES = ("sts:rolesessionname", "sts:sourceidentity", "aws:requesttag/", "aws:tagkeys",
                          "sts:transitivetagkeys")
# Keys present only when a service calls on behalf of a resource (confused-deputy keys).
SERVICE_SOURCE_KEYS = ("aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths",
                       "aws:sourceowner")


# Keys about the time of the request, settled against the time the data was collected (when it is known).
TIME_KEYS = ("aws:currenttime", "aws:epochtime", "aws:tokenissuetime")

# Condition keys whose value differs between principals of one account (aws:TokenIssueTime: users may call
# with or without temporary credentials, role sessions always carry it).
PER_PRINCIPAL_KEYS = ("aws:principalarn", "aws:principaltag/", "aws:username", "aws:userid", "aws:principaltype",
                      "aws:tokenissuetime")


def tests_per_principal_facts(statement: object) -> bool:
    """Does a statement's condition depend on which principal of an account calls (or use variables)?"""
    return any(c.key.lower().startswith(PER_PRINCIPAL_KEYS) or any("${" in v for v in c.values)
               for c in statement.conditions)  # type: ignore[attr-defined]
