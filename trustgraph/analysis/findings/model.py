"""Typed findings: a rule from the catalogue, applied to one role (and usually one trusted principal)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical 4 … info 0."""
        return _RANK[self]

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise ValueError(f"unknown severity {value!r}; choose one of "
                             f"{', '.join(s.value for s in cls)}") from None

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank

    def lowered(self, steps: int = 1) -> Severity:
        order = sorted(Severity, key=lambda s: s.rank)
        return order[max(0, self.rank - steps)]


_RANK = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1, Severity.INFO: 0}
SEVERITY_NAMES = tuple(s.value for s in sorted(Severity, key=lambda s: -s.rank))


@dataclass(frozen=True, slots=True)
class Rule:
    """One entry of the rule catalogue."""

    id: str  # stable: TG101 …
    name: str  # kebab-case slug, also stable
    title: str
    severity: Severity  # default; a finding may raise or lower it and says why in its evidence
    family: str  # public | federation | third-party | sensitive | hygiene | escalation | identity-center
    rationale: str  # one paragraph, with the AWS behaviour it rests on
    references: tuple[str, ...]  # AWS (or IdP) documentation, most authoritative first
    remediation: str  # what to change, in general terms; findings add the corrected statement


@dataclass(slots=True)
class Finding:
    rule: str
    severity: Severity
    # role ARN; escalation findings: the user or account root ARN they target; Identity Center findings: a
    # permission set, an Identity Center user or group, or the instance (target_kind)
    role: str
    principal: str | None  # the trusted principal as written, or the reacher for reachability rules
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    remediation: str = ""
    account: str | None = None
    account_name: str | None = None
    statement: str | None = None  # "#0 (Sid)" of the trust statement the finding is about
    fixed_statement: dict[str, Any] | None = None  # the corrected trust statement, where one can be given
    mitigated_by: list[str] = field(default_factory=list)
    source: str | None = None  # the input file the role was read from

    @property
    def target_kind(self) -> str:
        """What `role` names: a role, or (escalation findings) a user or an account (its root ARN), or (Identity
        Center findings) a permission set, an Identity Center user or group, or the Identity Center instance."""
        if self.role.endswith(":root"):
            return "account"
        service = self.role.split(":", 3)[2] if self.role.count(":") >= 3 else ""
        if service == "identitystore":
            return "identity-center-group" if ":group/" in self.role else "identity-center-user"
        if service == "sso":
            return "permission-set" if ":permissionSet/" in self.role else "identity-center-instance"
        return "user" if ":user/" in self.role else "role"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.rule, self.role, self.principal or "")

    @property
    def fingerprint(self) -> str:
        """Stable identity across runs: rule id + role + principal (the role alone for a rule whose principal
        is an example), never the message text or the statement index (inserting a statement before it
        renumbers the statement, not the finding). Baselines,
        suppressions and `trustgraph diff` match findings by it."""
        return fingerprint(self.rule, self.role, self.principal)

    def sort_key(self) -> tuple[int, str, str, str]:
        return (-self.severity.rank, self.rule, self.role, self.principal or "")


# Rules whose finding is about the role as a whole and name one principal as an example (TG403: the shortest
# long chain). Which principal is the example may change when nothing about the finding did.
EXAMPLE_PRINCIPAL_RULES = frozenset({"TG403"})


def fingerprint(rule: str, role: str, principal: str | None) -> str:
    """The fingerprint of a finding given by its parts (a findings JSON entry has them as fields)."""
    subject = "" if rule in EXAMPLE_PRINCIPAL_RULES else principal or ""
    return hashlib.sha256("|".join((rule, role, subject)).encode()).hexdigest()[:24]
