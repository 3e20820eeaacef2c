"""The glob matcher decides as `fnmatch.fnmatchcase` does with only `*` and `?` special, and in bounded time:
patterns come from the data, so no pattern may make one match take long (issue 28)."""

from __future__ import annotations

import time
from fnmatch import fnmatchcase

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from trustgraph.policy.globs import any_action, arn_matches, glob_match

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# One match of a pattern of at most ~100 characters against a value of at most ~2,000: far below this even on
# a loaded machine, and far above it for a backtracking matcher on the adversarial examples.
BOUND = 0.25


def reference(pattern: str, value: str) -> bool:
    """fnmatch with `[` taken literally (IAM has no character classes)."""
    return fnmatchcase(value, pattern.replace("[", "[[]"))


def timed(call, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = call(*args)
    assert time.perf_counter() - started < BOUND
    return result


ALPHABET = "ab:/-[]!^\\\n"
PATTERNS = st.text(alphabet=ALPHABET + "*?", max_size=40) | st.builds(
    lambda n, tail: "*a" * n + tail, st.integers(1, 40), st.sampled_from(["*b", "b", "*", "?", "a?b*"]))
VALUES = st.text(alphabet=ALPHABET, max_size=60) | st.builds(
    lambda n, tail: "a" * n + tail, st.integers(0, 2000), st.sampled_from(["", "b", "ab", "ba"]))


@SETTINGS
@given(PATTERNS, VALUES)
@example("*a" * 8 + "*b", "a" * 2000)
@example("*a?" * 20 + "b", "a" * 2000)
@example("**??*[ab]*", "x[ab]y")
def test_glob_bounded_matches_as_fnmatch_with_only_star_and_question_mark(pattern: str, value: str) -> None:
    assert timed(glob_match, pattern, value) is reference(pattern, value)


@SETTINGS
@given(PATTERNS, VALUES)
def test_glob_bounded_ignore_case_matches_as_fnmatch_of_the_lower_case(pattern: str, value: str) -> None:
    upper = value.upper()
    assert timed(glob_match, pattern, upper, True) is reference(pattern.lower(), value.lower())
    assert timed(any_action, (pattern.upper(), "x"), value) is (reference(pattern.lower(), value.lower())
                                                               or value.lower() == "x")


@SETTINGS
@given(PATTERNS, VALUES)
@example("*a" * 8 + "*b", "a" * 2000)
def test_glob_bounded_arn_resource_tail_is_a_glob_of_the_rest(tail: str, resource: str) -> None:
    prefix = "arn:aws:iam::111122223333:"
    assert timed(arn_matches, prefix + "role/" + tail, prefix + "role/" + resource) is reference(tail, resource)


def test_glob_bounded_arnlike_stars_in_every_segment() -> None:
    pattern = ":".join(["*a" * 10 + "*b"] * 5) + ":" + "*a" * 10 + "*b"
    arn = ":".join(["a" * 400] * 6)
    assert timed(arn_matches, pattern, arn) is False
    assert timed(arn_matches, pattern, arn + "b") is False  # the first five segments still have no `b`
