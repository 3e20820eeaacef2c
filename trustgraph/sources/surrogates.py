"""Lone surrogates in input text: JSON and YAML can spell a UTF-16 half (`"\\ud800"`) that no UTF-8 text can hold.
Left in, it breaks every later stage that encodes text (fingerprints, JSON and GraphML exports, SVG): the reader
replaces each with U+FFFD, once, so that nothing after it sees one, and says where the first one was."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# The escapes that can make a surrogate (JSON `\uD800`, YAML also `\U0000D800`): a file without one cannot hold
# any (UTF-8 text decodes to none), and only such a file is walked.
_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


@dataclass(frozen=True, slots=True)
class Replaced:
    """How many strings (keys or values) held lone surrogates, and the JSON path of the first."""

    count: int
    first: str

    def sentence(self) -> str:
        more = f" (and {self.count - 1} more string(s))" if self.count > 1 else ""
        return (f"a lone UTF-16 surrogate escape (\\ud800–\\udfff, not a pair) is not a character: replaced by "
                f"U+FFFD{more}; the name or text shown is not the one in the file")


def may_hold_surrogates(text: str) -> bool:
    return _ESCAPE.search(text) is not None


def replace_lone_surrogates(value: Any) -> tuple[Any, Replaced | None]:
    """`value` with every lone surrogate in its strings (mapping keys too) replaced by U+FFFD, in place where it
    can be. Iterative: a value nested as deep as the parser allows does not exhaust the stack here."""
    count, first = 0, ""

    def fixed(text: str, where: str) -> str:
        nonlocal count, first
        if _LONE.search(text) is None:
            return text
        count += 1
        first = first or where
        return _LONE.sub(REPLACEMENT, text)

    if isinstance(value, str):
        value = fixed(value, "$")
    stack: list[tuple[Any, str]] = [(value, "$")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            keys = [fixed(k, f"{where}.{_LONE.sub(REPLACEMENT, k)}") if isinstance(k, str) else k for k in node]
            if any(a is not b for a, b in zip(keys, node, strict=True)):
                values = list(node.values())
                node.clear()
                node.update(zip(keys, values, strict=True))
            for k, v in list(node.items()):
                if isinstance(v, str):
                    node[k] = fixed(v, f"{where}.{k}")
                elif isinstance(v, (dict, list)):
                    stack.append((v, f"{where}.{k}"))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, str):
                    node[i] = fixed(v, f"{where}[{i}]")
                elif isinstance(v, (dict, list)):
                    stack.append((v, f"{where}[{i}]"))
    return value, (Replaced(count, first) if count else None)
