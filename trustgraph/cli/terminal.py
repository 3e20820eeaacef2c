"""The one way data text reaches the terminal: control characters made visible, rich markup escaped.

Names, paths and ARNs come from files anyone can write. An ESC in them would move the cursor, clear the
screen, write the clipboard (OSC 52) or draw a link (OSC 8); `[...]` in them would be read as rich markup
(a `[/]` aborts the print, `[link=...]` draws a link). Every string from data that a command prints goes
through `safe` (text for markup-enabled printing) or `visible` (text for a rich `Text` or plain echo).
"""

from __future__ import annotations

import errno

from rich.console import Console
from rich.markup import escape

from trustgraph.text import visible

__all__ = ["StdoutConsole", "safe", "visible"]


class StdoutConsole(Console):
    """rich's Console for standard output, except on a closed pipe (`| head`): rich's own handler exits 1, the
    code of a tripped gate; this one raises BrokenPipeError for the entry point to stop quietly
    (`TrustgraphGroup`, exit 141)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError(errno.EPIPE, "standard output is closed")


def safe(text: object) -> str:
    """`text` for a rich print or table cell with markup on: controls made visible, `[` escaped."""
    return escape(visible(text))
