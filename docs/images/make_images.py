#!/usr/bin/env python3
"""Regenerate the pictures in docs/images: samples/acme at each view, and the account view of a synthetic
1,000-account organization (when benchmarks/generate_org.py is present).

    python docs/images/make_images.py

Datadog's account is named through a one-entry known-accounts file, as `--known-accounts` would with the
community list. The 1,000-account PNG is drawn small and, when Pillow is installed, reduced to 128 colours
to keep the repository light; `trustgraph map -i ORG -o org.svg` draws the full-size vector picture.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
ACME = str(ROOT / "samples" / "acme")
BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"
KNOWN = "- name: Datadog\n  source: samples/README.md\n  accounts: ['464622532012']\n"


def cli(*args: str) -> None:
    from trustgraph.cli import main

    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):  # who-can-reach prints its answer
        main.main(args=list(args), standalone_mode=False)


def acme(known: str) -> None:
    common = ["-i", ACME, "--known-accounts", known, "-q"]
    for fmt in ("svg", "png"):
        started = time.perf_counter()
        cli("map", *common, "--view", "accounts", "-o", str(OUT / f"acme-accounts.{fmt}"))
        cli("map", *common, "--view", "principals", "-o", str(OUT / f"acme-principals.{fmt}"))
        cli("map", *common, "--focus", BREAK_GLASS, "--depth", "2", "-o", str(OUT / f"acme-focus-breakglass.{fmt}"))
        cli("map", *common, "--account", "444444444444", "-o", str(OUT / f"acme-account-prod.{fmt}"))
        cli("who-can-reach", BREAK_GLASS, *common, "-o", str(OUT / f"acme-paths-breakglass.{fmt}"))
        print(f"acme {fmt}: {time.perf_counter() - started:.1f}s", file=sys.stderr)


def thousand_accounts() -> None:
    generator = ROOT / "benchmarks" / "generate_org.py"
    if not generator.exists():
        print("benchmarks/generate_org.py not present: no 1,000-account picture", file=sys.stderr)
        return
    sys.path.insert(0, str(generator.parent))
    from generate_org import generate  # type: ignore[import-not-found]

    from trustgraph.graph.build import build_graph
    from trustgraph.render.accounts import account_view
    from trustgraph.render.engine import render
    from trustgraph.sources.files import load_inputs

    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), 1000, 6, 1, 7)
        snapshot, _ = load_inputs([tmp])
        graph = build_graph(snapshot)
        started = time.perf_counter()
        dot = account_view(graph, organization=snapshot.organization)
        dot.raster_size = "24,24"
        target = render(dot, OUT / "org-1000-accounts.png")
        print(f"1,000 accounts: {time.perf_counter() - started:.1f}s", file=sys.stderr)
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(target) as image:
        reduced = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT,
                                                dither=Image.Dither.NONE)
    reduced.save(target, optimize=True)


def main() -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        fh.write(KNOWN)
    try:
        acme(fh.name)
    finally:
        Path(fh.name).unlink()
    thousand_accounts()


if __name__ == "__main__":
    main()
