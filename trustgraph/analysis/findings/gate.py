"""Which findings a `--fail-on` gate counts: not those in a baseline, not those an active suppression covers.

A baseline is a set of finding fingerprints (a previous `findings --format json`): what was already there
passes, what is new fails. A suppression is a reviewed exception: a rule id (or `*`), a subject (ARN glob
on the role), optionally a principal glob, a reason, and optionally the date it expires on. An expired
suppression no longer suppresses anything and fails the gate by itself, so that exceptions are reviewed
again rather than forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from trustgraph.analysis.findings.model import Finding
from trustgraph.policy.globs import glob_match


@dataclass(frozen=True, slots=True)
class Suppression:
    rule: str  # rule id, or * for every rule
    subject: str  # ARN glob matched against the finding's role
    reason: str
    expires: date | None = None  # suppresses through this day (UTC), not after
    principal: str | None = None  # ARN glob matched against the finding's principal, when given
    entry: str = ""  # where it was written, for messages: "suppressions.yaml entry 3"

    def matches(self, f: Finding) -> bool:
        return ((self.rule == "*" or self.rule.upper() == f.rule)
                and glob_match(self.subject, f.role)
                and (self.principal is None or glob_match(self.principal, f.principal or "")))

    def expired(self, today: date) -> bool:
        return self.expires is not None and today > self.expires

    def describe(self) -> str:
        who = f" principal {self.principal}" if self.principal else ""
        return f"{self.entry} ({self.rule} {self.subject}{who})"


@dataclass(slots=True)
class Triage:
    """The findings split for a gate: `open` are counted; the rest are reported with why they are not."""

    open: list[Finding] = field(default_factory=list)
    baselined: list[Finding] = field(default_factory=list)
    suppressed: list[tuple[Finding, Suppression]] = field(default_factory=list)
    expired: list[Suppression] = field(default_factory=list)
    _why: dict[int, Suppression] = field(default_factory=dict)  # id(finding) → its suppression
    _known: set[int] = field(default_factory=set)  # id(finding) of the baselined ones

    def suppression(self, f: Finding) -> Suppression | None:
        return self._why.get(id(f))

    def in_baseline(self, f: Finding) -> bool:
        return id(f) in self._known


def triage(findings: Iterable[Finding], *, baseline: set[str] | None = None,
           suppressions: Iterable[Suppression] = (), today: date | None = None) -> Triage:
    """Split the findings: suppressed (first active matching entry), else baselined (fingerprint in the
    baseline), else open. `today` decides expiry (the caller passes the UTC date)."""
    today = today or date.today()
    suppressions = list(suppressions)
    active = [s for s in suppressions if not s.expired(today)]
    out = Triage(expired=[s for s in suppressions if s.expired(today)])
    for f in findings:
        match = next((s for s in active if s.matches(f)), None)
        if match is not None:
            out.suppressed.append((f, match))
            out._why[id(f)] = match
        elif baseline is not None and f.fingerprint in baseline:
            out.baselined.append(f)
            out._known.add(id(f))
        else:
            out.open.append(f)
    return out
