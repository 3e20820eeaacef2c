"""IAM wildcard matching: actions ignore case, ARNs match segment by segment and keep case.

Each distinct pattern is compiled once into a matcher kept in a plain dict (an LRU cache of 65,536
entries thrashed on accounts whose policies hold more distinct patterns than that). An ARN pattern whose
wildcards all sit in its resource segment is matched as a literal prefix plus a glob tail, and the tails
are compiled once each: patterns such as `arn:aws:iam::ACCT:role/team-17/*-api-*` share a handful of
tails, so ten thousand of them cost ten thousand string slices, not ten thousand regex compilations.
`ArnPatternSet` finds every pattern of a set that matches one ARN by looking its prefixes up in a dict.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
Matcher = Callable[[str], bool]

# Compiled matchers, keyed by pattern. Unbounded up to this many entries, then emptied and refilled: a
# policy set larger than that recompiles once per this many new patterns instead of on every check.
_CACHE_LIMIT = 1 << 18
_arn_matchers: dict[str, Matcher] = {}
_glob_regexes: dict[tuple[str, bool], re.Pattern[str]] = {}
_tail_regexes: dict[str, re.Pattern[str]] = {}
_action_regexes: dict[tuple[str, ...], re.Pattern[str]] = {}


def _remember(cache: dict[K, V], key: K, value: V) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


def _glob_source(pattern: str) -> str:
    return "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)


def _glob_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = _glob_regexes.get((pattern, ignore_case))
    if regex is None:
        regex = re.compile(_glob_source(pattern), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)
        _remember(_glob_regexes, (pattern, ignore_case), regex)
    return regex


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return _glob_regex(pattern, ignore_case).fullmatch(value) is not None




def _arn_regex(pattern: str) -> re.Pattern[str] | None:
    """One regex for an ARN pattern: wildcards stay inside their segment, except in the resource."""
    segments = pattern.split(":", 5)
    if len(segments) != 6:
        return None
    out = []
    for i, segment in enumerate(segments):
        star = ".*" if i == 5 else "[^:]*"
        one = "." if i == 5 else "[^:]"
        out.append("".join(star if ch == "*" else one if ch == "?" else re.escape(ch) for ch in segment))
    return re.compile(":".join(out), re.DOTALL)


def _first_wildcard(pattern: str) -> int:
    star, one = pattern.find("*"), pattern.find("?")
    if star < 0:
        return one
    return star if one < 0 else min(star, one)


def resource_split(pattern: str) -> tuple[str, str] | None:
    """(literal prefix, glob tail) when every wildcard of an ARN pattern is in its resource segment.

    The prefix then holds the five colons that end the other segments, so the pattern matches an ARN
    exactly when the ARN starts with the prefix and the rest glob-matches the tail (where `*` spans
    everything, `:` and `/` included). None when a wildcard sits before the resource segment, or when
    the pattern has no wildcard.
    """
    cut = _first_wildcard(pattern)
    if cut < 0:
        return None
    prefix = pattern[:cut]
    if prefix.count(":") < 5:
        return None
    return prefix, pattern[cut:]


def _tail_regex(tail: str) -> re.Pattern[str]:
    regex = _tail_regexes.get(tail)
    if regex is None:
        regex = re.compile(_glob_source(tail), re.DOTALL)
        _remember(_tail_regexes, tail, regex)
    return regex


def _always(_arn: str) -> bool:
    return True


def _compile_arn(pattern: str) -> Matcher:
    if pattern == "*":
        return _always
    if "*" not in pattern and "?" not in pattern:
        return pattern.__eq__
    split = resource_split(pattern)
    if split is not None:
        prefix, tail = split
        if tail == "*":
            return lambda arn: arn.startswith(prefix)
        tail_match = _tail_regex(tail).fullmatch
        start = len(prefix)
        return lambda arn: arn.startswith(prefix) and tail_match(arn, start) is not None
    regex = _arn_regex(pattern)
    if regex is None:
        return lambda arn: glob_match(pattern, arn)
    full = regex.fullmatch
    # An ARN with fewer than six segments cannot follow the segments: plain glob, as for a non-ARN pattern.
    return lambda arn: full(arn) is not None if arn.count(":") >= 5 else glob_match(pattern, arn)


def arn_matcher(pattern: str) -> Matcher:
    """The compiled form of `arn_matches(pattern, ·)`, built once per distinct pattern."""
    matcher = _arn_matchers.get(pattern)
    if matcher is None:
        matcher = _compile_arn(pattern)
        _remember(_arn_matchers, pattern, matcher)
    return matcher


def arn_matches(pattern: str, arn: str) -> bool:
    """ArnLike semantics: glob each of the six colon-separated segments, case-sensitively.

    In the last segment `*` also spans `/`, so `role/Deploy*` does not match `role/teams/DeployProd`
    only because the path is part of the name, not because `*` stops at `/`.
    """
    matcher = _arn_matchers.get(pattern)
    if matcher is None:
        matcher = arn_matcher(pattern)
    return matcher(arn)


def any_action(patterns: tuple[str, ...], action: str) -> bool:
    """Does any of an Action list match? Action names ignore case (`STS:assumerole` is `sts:AssumeRole`);
    `*` and `?` are wildcards. The whole list is one regex: a statement with 40 actions is one match, not 40."""
    regex = _action_regexes.get(patterns)
    if regex is None:
        regex = re.compile("(?:" + "|".join(_glob_source(p) for p in patterns) + ")", re.IGNORECASE | re.DOTALL)
        _remember(_action_regexes, patterns, regex)
    return regex.fullmatch(action) is not None


class ArnPatternSet(Generic[T]):
    """ARN patterns, each with a value; `matching(arn)` gives the values of the patterns that match an ARN
    (as `arn_matches` decides), without trying every pattern.

    Patterns whose wildcards are all in the resource segment are grouped by literal prefix: for an ARN
    only the groups keyed by one of its prefixes are looked at, and inside a group a `prefix*` pattern
    needs no matching at all. The others (a wildcard in the account or another segment, `*`, no
    wildcard) are tried one by one; there are usually few of them.
    """

    __slots__ = ("_groups", "_lengths", "_exact", "_others")

    def __init__(self, items: Iterable[tuple[str, T]]) -> None:
        # prefix -> [(tail regex fullmatch, or None for a bare `*` tail, value)]
        self._groups: dict[str, list[tuple[Callable[..., object] | None, T]]] = {}
        self._exact: dict[str, list[T]] = {}
        self._others: list[tuple[Matcher, T]] = []
        for pattern, value in items:
            split = resource_split(pattern)
            if split is not None:
                prefix, tail = split
                self._groups.setdefault(prefix, []).append(
                    (None if tail == "*" else _tail_regex(tail).fullmatch, value))
            elif pattern != "*" and "*" not in pattern and "?" not in pattern:
                self._exact.setdefault(pattern, []).append(value)
            else:
                self._others.append((arn_matcher(pattern), value))
        self._lengths = sorted({len(p) for p in self._groups})

    def __len__(self) -> int:
        return sum(map(len, self._groups.values())) + sum(map(len, self._exact.values())) + len(self._others)

    def matching(self, arn: str) -> list[T]:
        found: list[T] = list(self._exact.get(arn, ()))
        groups = self._groups
        for length in self._lengths:
            if length > len(arn):
                break
            group = groups.get(arn[:length])
            if group is None:
                continue
            for tail, value in group:
                if tail is None or tail(arn, length) is not None:
                    found.append(value)
        for match, value in self._others:
            if match(arn):
                found.append(value)
        return found
