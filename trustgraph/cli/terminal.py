"""The one way data text reaches the terminal: control characters made visible, rich markup escaped.

Names, paths and ARNs come from files anyone can write. An ESC in them would move the cursor, clear the
screen, write the clipboard (OSC 52) or draw a link (OSC 8); `[...]` in them would be read as rich markup
(a `[/]` aborts the print, `[link=...]` draws a link). Every string from data that a command prints goes
through `safe` (text for markup-enabled printing) or `visible` (text for a rich `Text` or plain echo).
"""

from __future__ import annotations

from rich.markup import escape

from trustgraph.text import visible

__all__ = ["safe", "visible"]


def safe(text: object) -> str:
    """`text` for a rich print or table cell with markup on: controls made visible, `[` escaped."""
    return escape(visible(text))
