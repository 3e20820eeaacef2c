"""IAM wildcard matching: actions ignore case, ARNs match segment by segment and keep case."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=65536)
def _glob_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return _glob_regex(pattern, ignore_case).fullmatch(value) is not None


@lru_cache(maxsize=65536)
def action_matches(pattern: str, action: str) -> bool:
    """Action names ignore case (`STS:assumerole` is `sts:AssumeRole`); `*` and `?` are wildcards."""
    return glob_match(pattern, action, ignore_case=True)


@lru_cache(maxsize=65536)
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


def arn_matches(pattern: str, arn: str) -> bool:
    """ArnLike semantics: glob each of the six colon-separated segments, case-sensitively.

    In the last segment `*` also spans `/`, so `role/Deploy*` does not match `role/teams/DeployProd`
    only because the path is part of the name, not because `*` stops at `/`.
    """
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern == arn
    regex = _arn_regex(pattern)
    if regex is None or arn.count(":") < 5:
        return glob_match(pattern, arn)
    return regex.fullmatch(arn) is not None


def any_action(patterns: tuple[str, ...], action: str) -> bool:
    return any(action_matches(p, action) for p in patterns)
