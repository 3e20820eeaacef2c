"""IAM wildcard matching: actions ignore case, ARNs match segment by segment and keep case.

Patterns come from the data, so a match must stay bounded whatever they hold: no pattern is compiled into a
backtracking regex (`*a*a*a*a*b` against a long role path took minutes that way). A pattern is cut at its
stars into chunks (a `?` in a chunk stands for any one character); the first chunk is anchored at the start
of the value, the last at its end, and each chunk between is taken at its leftmost place after the one
before, which is always as good as any other place. Each chunk is searched once, from where the previous one
ended, so a match costs at most O(len(value) · len(pattern)) and usually one `str.find` per chunk.

Each distinct pattern is compiled once into a matcher kept in a plain dict (an LRU cache of 65,536 entries
thrashed on accounts whose policies hold more distinct patterns than that). An ARN pattern whose wildcards
all sit in its resource segment is matched as a literal prefix plus a glob tail, and the tails are compiled
once each: patterns such as `arn:aws:iam::ACCT:role/team-17/*-api-*` share a handful of tails, so ten
thousand of them cost ten thousand string slices, not ten thousand compilations. `ArnPatternSet` finds every
pattern of a set that matches one ARN by looking its prefixes up in a dict.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
Matcher = Callable[[str], bool]
# Matches value[start:] as a whole.
TailMatcher = Callable[[str, int], bool]


def fold(text: str) -> str:
    """Case folding for action names, one character for one character so that `?` still counts characters.

    A character whose lower case is longer than one character (`İ`) is kept as it is.
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


class _Chunk:
    """The pattern characters between two stars: literals and `?`, a fixed number of characters long."""

    __slots__ = ("text", "size", "literal", "pieces", "longest", "longest_at")

    def __init__(self, text: str) -> None:
        self.text = text
        self.size = len(text)
        self.literal = "?" not in text
        # (offset, literal run) for each run of literals between `?`s.
        pieces: list[tuple[int, str]] = []
        offset = 0
        for run in text.split("?"):
            if run:
                pieces.append((offset, run))
            offset += len(run) + 1
        self.pieces = tuple(pieces)
        # The longest run is what `find` searches for; the others are then checked in place.
        self.longest_at, self.longest = max(pieces, key=lambda p: len(p[1]), default=(0, ""))

    def at(self, value: str, pos: int) -> bool:
        """Does the chunk match `value` at `pos`? The caller has checked that it fits."""
        if self.literal:
            return value.startswith(self.text, pos)
        for offset, run in self.pieces:
            if not value.startswith(run, pos + offset):
                return False
        return True

    def find(self, value: str, start: int, end: int) -> int:
        """The leftmost position p in [start, end - size] where the chunk matches, or -1."""
        if self.literal:
            return value.find(self.text, start, end)
        last = end - self.size
        if not self.longest:  # only `?`s: any place it fits
            return start if start <= last else -1
        run, run_at = self.longest, self.longest_at
        pos = start
        while pos <= last:
            # Each step moves forward past a place the longest run occurs: at most len(value) steps.
            hit = value.find(run, pos + run_at, last + run_at + len(run))
            if hit < 0:
                return -1
            pos = hit - run_at
            if self.at(value, pos):
                return pos
            pos += 1
        return -1


class Glob:
    """One compiled pattern: `*` spans any characters (`:` and `/` too), `?` is any one character."""

    __slots__ = ("head", "middle", "tail", "star", "least")

    def __init__(self, pattern: str) -> None:
        parts = pattern.split("*")
        self.star = len(parts) > 1
        self.head = _Chunk(parts[0])
        self.tail = _Chunk(parts[-1]) if self.star else self.head
        # Empty chunks between stars (`**`) constrain nothing.
        self.middle = tuple(_Chunk(p) for p in parts[1:-1] if p)
        self.least = sum(len(p) for p in parts)  # the shortest value it can match

    def match(self, value: str, start: int = 0) -> bool:
        """Does the pattern match value[start:] as a whole?"""
        end = len(value)
        if end - start < self.least:
            return False
        if not self.star:
            return end - start == self.least and self.head.at(value, start)
        head, tail = self.head, self.tail
        if not head.at(value, start):
            return False
        tail_start = end - tail.size
        if not tail.at(value, tail_start):
            return False
        pos = start + head.size
        for chunk in self.middle:
            found = chunk.find(value, pos, tail_start)
            if found < 0:
                return False
            pos = found + chunk.size
        return True


# Compiled matchers, keyed by pattern. Unbounded up to this many entries, then emptied and refilled: a
# policy set larger than that recompiles once per this many new patterns instead of on every check.
_CACHE_LIMIT = 1 << 18
_arn_matchers: dict[str, Matcher] = {}
_globs: dict[tuple[str, bool], Glob] = {}
_tails: dict[str, TailMatcher] = {}
_action_sets: dict[tuple[str, ...], _ActionSet] = {}


def _remember(cache: dict[K, V], key: K, value: V) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


def _glob(pattern: str, ignore_case: bool) -> Glob:
    compiled = _globs.get((pattern, ignore_case))
    if compiled is None:
        compiled = Glob(fold(pattern) if ignore_case else pattern)
        _remember(_globs, (pattern, ignore_case), compiled)
    return compiled


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return _glob(pattern, ignore_case).match(fold(value) if ignore_case else value)


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


def _tail_matcher(tail: str) -> TailMatcher:
    matcher = _tails.get(tail)
    if matcher is None:
        matcher = _glob(tail, False).match
        _remember(_tails, tail, matcher)
    return matcher


def _always(_arn: str) -> bool:
    return True


def _segment_matcher(pattern: str) -> Matcher | None:
    """ArnLike over the six segments: a wildcard stays inside its segment, except in the resource.

    None when the pattern does not have six segments. The first five segments of an ARN hold no `:`, so
    globbing each against its own segment is the same as a `*` that may not cross a `:`.
    """
    segments = pattern.split(":", 5)
    if len(segments) != 6:
        return None
    globs = tuple(Glob(segment) for segment in segments)
    whole = _glob(pattern, False).match

    def match(arn: str) -> bool:
        # An ARN with fewer than six segments cannot follow the segments: plain glob, as for a non-ARN pattern.
        if arn.count(":") < 5:
            return whole(arn)
        return all(g.match(v) for g, v in zip(globs, arn.split(":", 5), strict=True))

    return match


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
        tail_match = _tail_matcher(tail)
        start = len(prefix)
        return lambda arn: arn.startswith(prefix) and tail_match(arn, start)
    segmented = _segment_matcher(pattern)
    if segmented is not None:
        return segmented
    return _glob(pattern, False).match


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


class _ActionSet:
    """An Action list compiled once: the names without wildcards in a set, the others as globs."""

    __slots__ = ("everything", "names", "globs", "answers")

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.everything = "*" in patterns
        self.names = frozenset(fold(p) for p in patterns if "*" not in p and "?" not in p)
        self.globs = tuple(Glob(fold(p)) for p in dict.fromkeys(patterns) if "*" in p or "?" in p)
        # The checks ask a few hundred actions of every statement, again for each principal holding it: each
        # list answers each action once.
        self.answers: dict[str, bool] = {}

    def matches(self, action: str) -> bool:
        if self.everything:
            return True
        found = self.answers.get(action)
        if found is None:
            found = self.answers[action] = self._matches(fold(action))
        return found

    def _matches(self, action: str) -> bool:
        if action in self.names:
            return True
        for g in self.globs:
            if g.match(action):
                return True
        return False


def any_action(patterns: tuple[str, ...], action: str) -> bool:
    """Does any of an Action list match? Action names ignore case (`STS:assumerole` is `sts:AssumeRole`);
    `*` and `?` are wildcards. The list is compiled once: a statement with 40 actions is a set lookup and
    a match per wildcard pattern."""
    compiled = _action_sets.get(patterns)
    if compiled is None:
        compiled = _ActionSet(patterns)
        _remember(_action_sets, patterns, compiled)
    return compiled.matches(action)


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
        # prefix -> [(tail matcher, or None for a bare `*` tail, value)]
        self._groups: dict[str, list[tuple[TailMatcher | None, T]]] = {}
        self._exact: dict[str, list[T]] = {}
        self._others: list[tuple[Matcher, T]] = []
        for pattern, value in items:
            split = resource_split(pattern)
            if split is not None:
                prefix, tail = split
                self._groups.setdefault(prefix, []).append((None if tail == "*" else _tail_matcher(tail), value))
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
                if tail is None or tail(arn, length):
                    found.append(value)
        for match, value in self._others:
            if match(arn):
                found.append(value)
        return found


def glob_meet(patterns: tuple[str, ...], limit: int = 20_000) -> str | None:
    """A string every one of `patterns` matches (`*` any run of characters, `?` one), or None: there is none,
    or finding one visited more than `limit` states (patterns come from the data, and the search walks the
    product of their positions)."""
    ends = tuple(len(p) for p in patterns)
    start = tuple(0 for _ in patterns)
    came: dict[tuple[int, ...], tuple[tuple[int, ...], str] | None] = {start: None}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        if state == ends:
            out: list[str] = []
            step = came[state]
            while step is not None:
                out.append(step[1])
                step = came[step[0]]
            return "".join(reversed(out))
        if len(came) > limit:
            return None
        for j, i in enumerate(state):  # a star may match nothing
            if i < ends[j] and patterns[j][i] == "*":
                skipped = (*state[:j], i + 1, *state[j + 1:])
                if skipped not in came:
                    came[skipped] = (state, "")
                    queue.appendleft(skipped)
        if any(i == end for i, end in zip(state, ends, strict=True)):
            continue  # a pattern at its end reads no further character
        literals = {p[i] for p, i in zip(patterns, state, strict=True) if p[i] not in "*?"}
        if len(literals) > 1:
            continue  # two patterns want different characters here
        char = literals.pop() if literals else "x"
        read = tuple(i if p[i] == "*" else i + 1 for p, i in zip(patterns, state, strict=True))
        if read not in came:
            came[read] = (state, char)
            queue.append(read)
    return None


def _covers(pattern: str, shape: str) -> bool:
    """Does `pattern` match every string `shape` matches? A star of the shape must fall inside a star of the
    pattern, a `?` of the shape inside a `?` or a star (sound; patterns that cover only by coincidence of
    characters are not recognised)."""
    text = shape.replace("*", "\0").replace("?", "\1")
    # row[j]: pattern[:i] matches text[:j]
    row = [True] + [False] * len(text)
    for ch in pattern:
        if ch == "*":
            for j in range(1, len(text) + 1):
                row[j] = row[j] or row[j - 1]
            continue
        new = [False] * (len(text) + 1)
        for j in range(1, len(text) + 1):
            t = text[j - 1]
            new[j] = row[j - 1] and (t == ch if ch != "?" else t != "\0")
        row = new
    return row[-1]


def arn_covers(pattern: str, shape: str) -> bool:
    """Does the ArnLike pattern match every ARN the ARN pattern `shape` does (segment by segment, the resource
    as a whole)?"""
    if pattern == "*":
        return True
    ours, theirs = pattern.split(":", 5), shape.split(":", 5)
    if len(ours) != 6 or len(theirs) != 6:
        return _covers(pattern, shape)
    return all(_covers(p, s) for p, s in zip(ours, theirs, strict=True))
