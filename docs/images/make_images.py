#!/usr/bin/env python3
"""Regenerate every picture in docs/images (the README's and docs/'s): samples/acme at each view, the paths
to two sensitive roles, the change a Terraform plan makes, and the views for large organizations
(account map, OU view, matrix by account and by OU, OU view of the trust from outside) of a synthetic
1,000-account organization (when benchmarks/generate_org.py is present).

    python docs/images/make_images.py

Datadog's account is named through a one-entry known-accounts file, as `--known-accounts` would with the
community list. The 1,000-account PNGs are drawn small and, when Pillow or ImageMagick is installed, reduced
to 128 colours to keep the repository light; `trustgraph map -i ORG --view matrix -o org.svg` draws the
full-size picture.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


NIGHTLY = "arn:aws:iam::666666666666:role/service-role/NightlyReportsFunction"
STAGING_PLAN = str(ROOT / "samples" / "terraform" / "acme-staging-plan.json")
PROD_ADMIN = "arn:aws:iam::444444444444:role/admin/ProdAdmin"
TRAIL = str(ROOT / "samples" / "acme-cloudtrail")

# Each samples/acme picture (drawn as .svg and .png) and the command that draws it; "-o NAME.FMT" is added.
ACME_PICTURES: dict[str, tuple[str, ...]] = {
    "acme-accounts": ("map", "-i", ACME, "--view", "accounts"),
    "acme-principals": ("map", "-i", ACME, "--view", "principals"),
    "acme-people": ("map", "-i", ACME, "--view", "people"),
    "acme-focus-breakglass": ("map", "-i", ACME, "--focus", BREAK_GLASS, "--depth", "2"),
    "acme-account-prod": ("map", "-i", ACME, "--account", "444444444444"),
    "acme-paths-breakglass": ("who-can-reach", BREAK_GLASS, "-i", ACME),
    "acme-paths-nightly": ("who-can-reach", NIGHTLY, "-i", ACME),
    "acme-usage-prodadmin": ("who-can-reach", PROD_ADMIN, "-i", ACME, "-i", TRAIL, "--usage"),
    "acme-staging-change": ("diff", "--plan", STAGING_PLAN, ACME, "--account-id", "555555555555"),
}
# The 1,000-account pictures thousand_accounts() draws (PNG only).
ORG_PICTURES = ("org-1000-accounts", "org-1000-ous", "org-1000-matrix", "org-1000-matrix-ous", "org-1000-outside")
# Every file this script writes: tests/docs/test_pictures_script.py checks that it covers every picture the
# README and docs/ show.
IMAGES = tuple(f"{name}.{fmt}" for name in ACME_PICTURES for fmt in ("svg", "png")) + tuple(
    f"{name}.png" for name in ORG_PICTURES)


def acme(known: str) -> None:
    for fmt in ("svg", "png"):
        started = time.perf_counter()
        for name, args in ACME_PICTURES.items():
            cli(*args, "--known-accounts", known, "-q", "-o", str(OUT / f"{name}.{fmt}"))
        print(f"acme {fmt}: {time.perf_counter() - started:.1f}s", file=sys.stderr)


def thousand_accounts() -> None:
    """The views for large organizations, on the benchmark generator's 1,000-account organization (12 roles and
    2 users per account, vendors named from the generator's own list, as `--known-accounts` would)."""
    generator = ROOT / "benchmarks" / "generate_org.py"
    if not generator.exists():
        print("benchmarks/generate_org.py not present: no 1,000-account pictures", file=sys.stderr)
        return
    sys.path.insert(0, str(generator.parent))
    from generate_org import VENDORS, generate  # type: ignore[import-not-found]

    from trustgraph.analysis.marks import compute_marks
    from trustgraph.graph.build import build_graph
    from trustgraph.graph.classification import annotate
    from trustgraph.render.accounts import account_map, account_view
    from trustgraph.render.boundary import describe_only, only_filter
    from trustgraph.render.engine import render
    from trustgraph.render.matrix import matrix_view
    from trustgraph.render.ous import ou_map, ou_view
    from trustgraph.sources.files import load_inputs

    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), 1000, 12, 2, 7)
        snapshot, _ = load_inputs([tmp])
    graph = build_graph(snapshot)
    annotate(graph, vendors={account: name for name, account, _, _ in VENDORS})
    organization = snapshot.organization
    marks = compute_marks(graph, snapshot)

    def timed(name: str, draw: Callable[[], Path]) -> None:
        started = time.perf_counter()
        target = draw()
        print(f"1,000 accounts, {name}: {time.perf_counter() - started:.1f}s", file=sys.stderr)
        reduce_colours(target)

    def radial() -> Path:
        dot = account_view(graph, organization=organization, marks=marks)
        dot.raster_size = "24,24"
        return render(dot, OUT / "org-1000-accounts.png")

    def matrix(by: str, scale: float, name: str) -> Callable[[], Path]:
        def draw() -> Path:
            amap = account_map(graph, organization=organization, marks=marks)
            scene = matrix_view(graph, ou_map(graph, amap) if by == "ous" else amap, by=by)
            scene.raster_scale = scale  # the account matrix is 6,500 px at full size: README gets a third
            return render(scene, OUT / name)
        return draw

    def outside() -> Path:
        kept = only_filter(graph, ["outside"], sensitive=marks.sensitive, organization=organization)
        return render(ou_view(kept.graph, organization=organization, marks=marks, partial=True,
                              note=describe_only(["outside"])), OUT / "org-1000-outside.png")

    timed("account view (radial)", radial)
    timed("OU view", lambda: render(ou_view(graph, organization=organization, marks=marks), OUT / "org-1000-ous.png"))
    timed("matrix by account", matrix("accounts", 0.36, "org-1000-matrix.png"))
    timed("matrix by OU", matrix("ous", 1.0, "org-1000-matrix-ous.png"))
    timed("OU view, only trust from outside", outside)


def reduce_colours(target: Path) -> None:
    """128 colours keep the repository light, when Pillow (or ImageMagick's convert) is installed."""
    try:
        from PIL import Image
    except ImportError:
        convert = shutil.which("convert")
        if convert and "ImageMagick" in subprocess.run([convert, "-version"], capture_output=True, text=True).stdout:
            subprocess.run([convert, str(target), "+dither", "-colors", "128", f"PNG8:{target}"], check=True)
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
