#!/usr/bin/env python3
"""Glob matcher cost against pattern stars, pattern length and value length: linear in each.

    python benchmarks/glob_bench.py [--stars 1,2,4,8,16,32] [--lengths 500,1000,2000,4000] [--widths 4,8,16,32]
                                    [--repeats 5] [--no-regex] [--json FILE]

Three tables, in microseconds, each the best of --repeats calls of `arn_matches` against a role ARN whose
resource is n `a`s (the matcher is compiled once per pattern, as in a run; compilation is not timed):

- **stars**: `…:role/*a*a…*a*b*` with k stars before the `b` (no `b` in the value: every placement of the
  stars fails), against n;
- **width**: `…:role/*aa…a?b*`, w `a`s, a `?` and a `b`: the run of `a`s is found at every place and the `b`
  after it is missing each time, the matcher's worst case, O(n · w) (with the inner O(w) in `str.find`);
- **regex (before)**: the same star patterns through the backtracking regex the matcher replaced
  (`.*a.*a…`), at small sizes only: its cost grows as n to the power of the stars.

The last column of each table is the growth exponent log(t2/t1)/log(x2/x1) between the two largest columns
(1 = linear); under the stars and width tables, the exponent between the two largest rows at the largest n.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trustgraph.policy.globs import arn_matches  # noqa: E402

PREFIX = "arn:aws:iam::111122223333:role/"


def best_time(match: Callable[[], object], repeats: int) -> float:
    match()  # compile outside the timing
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        match()
        best = min(best, time.perf_counter() - started)
    return best


def exponent(t1: float, t2: float, x1: float, x2: float) -> float:
    return math.log(max(t2, 1e-9) / max(t1, 1e-9)) / math.log(x2 / x1)


def regex_before(tail: str) -> re.Pattern[str]:
    """The translation the matcher replaced: `*` → `.*`, `?` → `.`, a backtracking regex."""
    return re.compile(re.escape(PREFIX) + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                                                  for c in tail), re.DOTALL)


def table(title: str, rows: dict[int, dict[int, float]], label: str) -> None:
    lengths = list(next(iter(rows.values())))
    print(f"\n{title}\n")
    print(f"| {label} | " + " | ".join(f"n={n}" for n in lengths) + " | exponent in n |")
    print("|---:|" + "---:|" * len(lengths) + "---:|")
    for key, row in rows.items():
        growth = exponent(row[lengths[-2]], row[lengths[-1]], lengths[-2], lengths[-1]) if len(lengths) > 1 else 0
        print(f"| {key} | " + " | ".join(f"{row[n] * 1e6:.1f}" for n in lengths) + f" | {growth:.2f} |")
    keys = list(rows)
    if len(keys) > 1:
        n = lengths[-1]
        growth = exponent(rows[keys[-2]][n], rows[keys[-1]][n], keys[-2], keys[-1])
        print(f"\nexponent in {label} at n={n}: {growth:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stars", default="1,2,4,8,16,32")
    parser.add_argument("--lengths", default="500,1000,2000,4000")
    parser.add_argument("--widths", default="4,8,16,32")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-regex", action="store_true", help="skip the backtracking-regex table")
    parser.add_argument("--json", type=Path, help="also write the timings (seconds) here")
    args = parser.parse_args(argv)
    stars = [int(s) for s in args.stars.split(",")]
    lengths = [int(n) for n in args.lengths.split(",")]
    widths = [int(w) for w in args.widths.split(",")]

    def ours(tail: str) -> dict[int, float]:
        pattern = PREFIX + tail
        return {n: best_time(lambda arn=PREFIX + "a" * n: arn_matches(pattern, arn), args.repeats) for n in lengths}

    results: dict[str, dict[int, dict[int, float]]] = {
        "stars": {k: ours("*a" * k + "*b*") for k in stars},
        "width": {w: ours("*" + "a" * w + "?b*") for w in widths},
    }
    table("stars: `*a` × k + `*b*` (µs)", results["stars"], "stars")
    table("width: `*` + `a` × w + `?b*` (µs)", results["width"], "width")
    if not args.no_regex:
        before: dict[int, dict[int, float]] = {}
        for k in (1, 2, 3):
            regex = regex_before("*a" * k + "*b*")
            before[k] = {n: best_time(lambda arn=PREFIX + "a" * n, full=regex.fullmatch: full(arn), 1)
                         for n in (100, 200, 400)}
        table("regex (before): `*a` × k + `*b*` (µs)", before, "stars")
        results["regex-before"] = before
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({name: {str(k): {str(n): t for n, t in row.items()} for k, row in rows.items()}
                                         for name, rows in results.items()}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
