"""Control characters in data text, made visible: the base of every per-medium escaping helper
(terminal: `trustgraph.cli.terminal`, DOT/SVG: `trustgraph.render.style`, Markdown: `trustgraph.report.markdown`)."""

from __future__ import annotations

import re

# C0 except tab and newline, DEL, C1, and the Unicode controls that reorder or hide text (bidi overrides,
# zero-width characters, line/paragraph separators, byte-order mark).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
# The same, tab and newline too: for one-line contexts (labels, table cells, headings).
CONTROL_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object, *, one_line: bool = False) -> str:
    """`text` with every control character written as a visible escape (`\\x1b`, `\\x00`, `\\u202e`)."""
    return (CONTROL_ONE_LINE if one_line else CONTROL).sub(_escape_char, str(text))
