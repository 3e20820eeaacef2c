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


def arn_matches(pattern: str, arn: str) -> bool:
    """ArnLike semantics: glob each of the six colon-separated segments, case-sensitively.

    In the last segment `*` also spans `/`, so `role/Deploy*` does not match `role/teams/DeployProd`
    only because the path is part of the name, not because `*` stops at `/`.
    """
    if pattern == "*":
        return True
    p = pattern.split(":", 5)
    a = arn.split(":", 5)
    if len(p) != 6 or len(a) != 6:
        return glob_match(pattern, arn)
    return all(glob_match(ps, as_) for ps, as_ in zip(p, a, strict=True))


def any_action(patterns: tuple[str, ...], action: str) -> bool:
    return any(action_matches(p, action) for p in patterns)
