"""A deterministic radial layout for very large account maps (hundreds to thousands of accounts).

Hubs (the accounts and outside sources with the most links) sit on a small central ring; every other
account is placed on a grid cell in a wedge of the surrounding disc, one wedge per organizational unit.
Positions are computed here; Graphviz's neato only draws them (every node pinned, `inputscale=72` so
positions are in points, straight edges), so the same map always gives the same picture.

Force-directed engines (sfdp) draw such maps, which are nearly stars around a few hub accounts, as one
ring of a thousand nodes around the hubs: thousands of points across with unreadably small nodes, and
the bundled Graphviz lacks the triangulation library that sfdp's overlap removal needs. Filling a disc
instead keeps the picture several times smaller for the same label size.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

Key = Hashable


@dataclass(frozen=True)
class Box:
    key: Key
    width: float  # points
    height: float


@dataclass(frozen=True)
class Sector:
    name: str
    x: float  # where the sector's label goes
    y: float
    angle: float  # mid-angle, radians (0 = right, counter-clockwise)
    count: int


@dataclass(frozen=True)
class RadialLayout:
    positions: dict[Key, tuple[float, float]]
    sectors: list[Sector]
    radius: float  # of the outermost ring, points


def text_width(text: str, size: float, bold: bool = False) -> float:
    """A generous estimate of the width of `text` in Helvetica at `size` points."""
    return len(text) * size * (0.64 if bold else 0.58)


def radial_layout(center: Sequence[Box], groups: Sequence[tuple[str, Sequence[Box]]], *, hgap: float = 14.0,
                  vgap: float = 22.0, hub_gap: float = 160.0) -> RadialLayout:
    """Positions (points, centre of each box) for `center` boxes on an inner ring and `groups` in sectors.

    Every box of the groups gets the same cell (the widest and tallest box), so the grid stays regular.
    """
    positions: dict[Key, tuple[float, float]] = {}
    # Central ring: evenly spaced, large enough that neighbours don't touch.
    if len(center) == 1:
        positions[center[0].key] = (0.0, 0.0)
        inner = max(center[0].width, center[0].height) / 2
    elif center:
        perimeter = sum(b.width + 3 * hgap for b in center)
        ring = max(perimeter / (2 * math.pi), max(b.width for b in center) * 0.75)
        for i, box in enumerate(center):
            angle = math.pi / 2 - 2 * math.pi * i / len(center)
            positions[box.key] = (ring * math.cos(angle), ring * math.sin(angle))
        inner = ring + max(max(b.width, b.height) for b in center) / 2
    else:
        inner = 0.0
    boxes = [b for _, members in groups for b in members]
    if not boxes:
        return RadialLayout(positions, [], inner)
    # Group members sit on the cells of one axis-aligned grid (so no two boxes can overlap) that lie in
    # a disc around the hub ring: the cells nearest the centre, taken in clockwise order from the top,
    # so that each group gets a wedge of the disc in proportion to its size.
    cell_w = max(b.width for b in boxes) + hgap
    cell_h = max(b.height for b in boxes) + vgap
    hole = inner + hub_gap
    need = len(boxes)
    reach = hole + math.sqrt(need * cell_w * cell_h / math.pi) * 1.5 + max(cell_w, cell_h)
    nx_, ny_ = int(reach // cell_w) + 1, int(reach // cell_h) + 1
    cells = []
    for i in range(-nx_, nx_ + 1):
        for j in range(-ny_, ny_ + 1):
            x, y = i * cell_w, j * cell_h
            # The cell's nearest corner must clear the hole, so that no box reaches into the hub ring.
            near_x = max(abs(x) - cell_w / 2, 0.0)
            near_y = max(abs(y) - cell_h / 2, 0.0)
            if math.hypot(near_x, near_y) >= hole:
                cells.append((math.hypot(x, y), x, y))
    cells.sort()
    if len(cells) < need:  # pragma: no cover - reach is generous
        raise ValueError("radial layout: not enough cells")
    disc = cells[:need]

    def clockwise(cell: tuple[float, float, float]) -> tuple[float, float]:
        r, x, y = cell
        return (math.pi / 2 - math.atan2(y, x)) % (2 * math.pi), r

    disc.sort(key=clockwise)
    sectors: list[Sector] = []
    at = 0
    outermost = 0.0
    for name, members in groups:
        if not members:
            continue
        own = disc[at:at + len(members)]
        at += len(members)
        # Inside a wedge, fill from the centre outwards and clockwise along each band.
        for box, (_, x, y) in zip(members, sorted(own, key=lambda c: (round(c[0] / cell_h), clockwise(c)[0])),
                                  strict=True):
            positions[box.key] = (x, y)
        first, last = clockwise(own[0])[0], clockwise(own[-1])[0]
        mid = math.pi / 2 - (first + last) / 2
        far = max(r for r, _, _ in own)
        outermost = max(outermost, far)
        label_radius = far + cell_h * 1.2
        sectors.append(Sector(name, label_radius * math.cos(mid), label_radius * math.sin(mid), mid, len(members)))
    return RadialLayout(positions, sectors, outermost + max(cell_w, cell_h) / 2)
