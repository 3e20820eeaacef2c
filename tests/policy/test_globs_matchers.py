"""Compiled ARN matchers and ArnPatternSet decide exactly as one segment-wise regex per pattern does."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustgraph.policy.globs import ArnPatternSet, arn_matches, resource_split

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference(pattern: str, arn: str) -> bool:
    """ArnLike as specified, written independently of the compiled matchers."""
    def glob(p: str, v: str, star: str, one: str) -> bool:
        src = "".join(star if c == "*" else one if c == "?" else re.escape(c) for c in p)
        return re.fullmatch(src, v, re.DOTALL) is not None

    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern == arn
    segments = pattern.split(":", 5)
    if len(segments) != 6 or arn.count(":") < 5:
        return glob(pattern, arn, ".*", ".")
    values = arn.split(":", 5)
    return all(glob(p, v, ".*" if i == 5 else "[^:]*", "." if i == 5 else "[^:]")
               for i, (p, v) in enumerate(zip(segments, values, strict=True)))


PIECES = st.sampled_from(["arn", "aws", "iam", "", "123456789012", "111122223333", "role", "user", "/", ":",
                          "team-1", "team-12", "deploy", "api", "-", "a", "A", "*", "?", "x:y"])
TEXT = st.lists(PIECES, max_size=10).map("".join)
ARN_LIKE = st.builds(lambda acct, res: f"arn:aws:iam::{acct}:{res}",
                     st.sampled_from(["123456789012", "111122223333", "*", "1234567890?2", ""]), TEXT)
PATTERNS = ARN_LIKE | TEXT | st.just("*")
ARNS = ARN_LIKE.filter(lambda a: "*" not in a and "?" not in a) | TEXT.filter(lambda a: "*" not in a)


@SETTINGS
@given(PATTERNS, ARNS)
def test_arn_matches_is_the_segment_wise_glob(pattern, arn):
    assert arn_matches(pattern, arn) is reference(pattern, arn)


@SETTINGS
@given(st.lists(PATTERNS, max_size=12), st.lists(ARNS, min_size=1, max_size=6))
def test_pattern_set_finds_exactly_the_matching_patterns(patterns, arns):
    index = ArnPatternSet((p, i) for i, p in enumerate(patterns))
    assert len(index) == len(patterns)
    for arn in arns:
        assert sorted(index.matching(arn)) == [i for i, p in enumerate(patterns) if reference(p, arn)]


def test_resource_split_only_when_every_wildcard_is_in_the_resource():
    assert resource_split("arn:aws:iam::123456789012:role/team-1/*-api-*") == (
        "arn:aws:iam::123456789012:role/team-1/", "*-api-*")
    assert resource_split("arn:aws:iam::*:role/deploy/*") is None  # the account segment is a wildcard
    assert resource_split("arn:aws:iam::123456789012:role/x") is None  # no wildcard
    assert resource_split("role/*") is None  # not an ARN


def test_many_distinct_patterns_each_found_through_its_prefix():
    patterns = [f"arn:aws:iam::123456789012:role/team-{t}/app-{k}-*" for t in range(300) for k in range(10)]
    index = ArnPatternSet((p, p) for p in patterns)
    assert index.matching("arn:aws:iam::123456789012:role/team-17/app-3-worker") == [
        "arn:aws:iam::123456789012:role/team-17/app-3-*"]
    assert index.matching("arn:aws:iam::123456789012:role/team-17/other") == []
