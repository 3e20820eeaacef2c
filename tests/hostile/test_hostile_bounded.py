"""Bounded work on every input: a pattern, a template, a listing or a file option from the data cannot make
one run take unbounded time or memory (issue 28, point 3)."""

from __future__ import annotations

import time

from tests.builders import A, Account, build, callers, can_assume, trust

# `*a` repeated: a backtracking regex tries every way to place the stars (minutes with four of them).
STARRY = f"arn:aws:iam::{A}:role/" + "*a" * 8 + "*b"


def test_glob_bounded_arnlike_with_many_stars_against_a_long_path() -> None:
    a = Account(A)
    long_path = "/" + "/".join(["a" * 60] * 8) + "/"
    caller = a.role("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", path=long_path,
                    policies=[can_assume()])
    target = a.role("Target", trust(a.root, condition={"ArnLike": {"aws:PrincipalArn": STARRY}}))
    started = time.perf_counter()
    g = build(a)
    assert time.perf_counter() - started < 10
    assert caller not in callers(g, target)  # no `b` in its ARN
