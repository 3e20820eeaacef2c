"""Control characters in data text, made visible: the base of every per-medium escaping helper
(terminal: `trustgraph.cli.terminal`, DOT/SVG: `trustgraph.render.style`, Markdown: `trustgraph.report.markdown`,
SARIF: `trustgraph.report.sarif`, CSV and GraphML/GEXF: `trustgraph.export`)."""

from __future__ import annotations

import re

# Lone surrogates (a str holds no other kind) and Unicode noncharacters (U+FDD0–U+FDEF and the last two code
# points of every plane), as a character-class body: XML cannot hold a surrogate, U+FFFE or U+FFFF, a UTF-8
# encoder refuses a surrogate, and JSON input can hold every one of them (`"\ud800"`, `"\uffff"`).
NONCHARACTERS = ("\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
                 + "".join(f"{chr(plane << 16 | 0xfffe)}{chr(plane << 16 | 0xffff)}" for plane in range(1, 17)))
# Besides those, what no output should carry raw, whatever the medium: characters that reorder or hide text.
_HIDDEN = ("\x7f-\x9f"  # DEL, C1
           "\u200b-\u200f"  # zero-width space/joiners, LRM/RLM
           "\u2028-\u202e"  # line/paragraph separators, bidi embeddings and overrides
           "\u2060-\u2069"  # word joiner, invisible operators, bidi isolates
           "\ufeff"  # byte-order mark
           + NONCHARACTERS)
# C0 except tab and newline, and the characters above.
CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f{_HIDDEN}]")
# The same, tab and newline too: for one-line contexts (labels, table cells, headings).
CONTROL_ONE_LINE = re.compile(f"[\x00-\x1f{_HIDDEN}]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: object, *, one_line: bool = False) -> str:
    """`text` with every control character written as a visible escape (`\\x1b`, `\\x00`, `\\u202e`); also
    lone surrogates and noncharacters (`\\ud800`, `\\uffff`, `\\U0010ffff`), which XML cannot hold."""
    return (CONTROL_ONE_LINE if one_line else CONTROL).sub(_escape_char, str(text))
