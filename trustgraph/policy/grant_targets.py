"""Which principals of an account an identity grant for one action could name.

The indirect edges ask "may P call A on principal X" for many X. Asking it of every principal of P's account
costs callers × principals full decisions; but a decision can only allow what some Allow statement's Resource
covers. So the candidates are found from the grants themselves, as the trust side finds which roles an
sts:AssumeRole grant reaches: exact ARNs by lookup, patterns through the principals sorted by the resource
part of their ARN (`CallerDirectory.matching_arn`), each distinct pattern once per account. Only those
candidates are then decided in full. A grant that can name anything the patterns do not show — `*`,
NotResource, a policy variable, a statement without Resource, or policies missing from the data (which make
any target a conditional answer) — leaves every principal a candidate.
"""

from __future__ import annotations

from typing import Protocol

from trustgraph.policy.globs import arn_matches
from trustgraph.policy.identity import SourcedStatement


class Principals(Protocol):
    """What is read of graph.callers.CallerDirectory (policy does not import graph)."""

    def callers_in(self, account: str) -> list[str]: ...

    def matching_arn(self, pattern: str) -> list[str]: ...


def names_anything(statement: SourcedStatement) -> bool:
    """Could the statement's Resource cover an ARN its patterns do not spell out?"""
    resources = statement.statement.resources
    return resources is None or any(r == "*" or "${" in r for r in resources)


class GrantTargets:
    """Candidate principals per (account, Allow statements), each distinct pattern matched once per account."""

    def __init__(self, directory: Principals) -> None:
        self.directory = directory
        self._patterns: dict[tuple[str, str], frozenset[str]] = {}
        self._members: dict[str, frozenset[str]] = {}

    def _in_account(self, account: str) -> frozenset[str]:
        found = self._members.get(account)
        if found is None:
            found = self._members[account] = frozenset(self.directory.callers_in(account))
        return found

    def _matching(self, account: str, pattern: str) -> frozenset[str]:
        key = (account, pattern)
        found = self._patterns.get(key)
        if found is None:
            members = self._in_account(account)
            if "*" not in pattern and "?" not in pattern:
                found = frozenset((pattern,)) & members
            elif pattern.count(":") >= 5:
                found = frozenset(self.directory.matching_arn(pattern)) & members
            else:
                # Not segment-shaped: arn_matches globs it over the whole ARN, which no prefix can narrow.
                found = frozenset(arn for arn in members if arn_matches(pattern, arn))
            self._patterns[key] = found
        return found

    def candidates(self, account: str, allows: list[SourcedStatement], missing_policies: bool) -> list[str] | None:
        """Principals of `account` that one of `allows` could cover, sorted (the order of `callers_in`); None:
        every one."""
        if missing_policies or any(names_anything(s) for s in allows):
            return None
        found: set[str] = set()
        for s in allows:
            for pattern in s.statement.resources or ():
                found |= self._matching(account, pattern)
        return sorted(found)
