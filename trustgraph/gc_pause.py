"""Building a snapshot or a graph allocates millions of long-lived objects and no garbage cycles; the
cyclic collector would rescan them over and over (about half the build time at 100k roles). Afterwards
they are frozen into the permanent generation, or the first collection after the build would scan them
all once more (8 s after a 100k-role build)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
