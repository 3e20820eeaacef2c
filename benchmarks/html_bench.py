#!/usr/bin/env python3
"""HTML explorer at scale: file size, write time and first paint in headless Chromium.

For each view, runs `trustgraph map --view VIEW -o map.html` on a generated organization (generated once
with generate_org.py into --data-dir), then loads the page in headless Chromium (Playwright driving
/usr/bin/chromium) and reads the browser's own paint timings:

    python benchmarks/html_bench.py [--accounts 1000] [--views accounts,ous] [--data-dir benchmarks/data]

Prints one line per view and writes benchmarks/results/html-<N>.json. Timings: `write` is the CLI's
own figure (after the inputs are read and the graph built: folding, layout, evidence, page), `total`
the whole command; `first paint` / `first contentful paint` are Chromium's paint entries, `drawing
painted` the frame after the one that showed the drawing (the nodes; the edges of a very large page come
with its data), `ready` when
the page's script has read the evidence and the drawn graph (search, filters and paths work) and, on a
page with many edges, drawn the edges it carries as data.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def generate(accounts: int, data_dir: Path) -> Path:
    out = data_dir / f"html-org-{accounts}a"
    if not (out / "organization.json").exists():
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate_org.py"), "--accounts", str(accounts),
                        "-o", str(out)], check=True)
    return out


def write(org: Path, view: str, target: Path) -> dict[str, float]:
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's trustgraph
    proc = subprocess.run([sys.executable, "-m", "trustgraph.cli", "map", "-i", str(org), "--view", view,
                           "-o", str(target)], capture_output=True, text=True, cwd=ROOT, check=True, env=env)
    total = time.perf_counter() - started
    found = re.search(r"wrote .* \(.*, ([0-9.]+)s\)", proc.stderr)
    return {"total_s": round(total, 1), "write_s": float(found.group(1)) if found else total}


def paint(page_path: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.as_uri(), timeout=600_000)
        page.wait_for_selector("html[data-tg-ready]", state="attached", timeout=600_000)
        for _ in range(1200):  # the paint entry is reported a moment after the paint
            if page.evaluate("performance.getEntriesByName('first-paint').length > 0"):
                break
            page.wait_for_timeout(50)
        timings = page.evaluate("""() => {
            const p = name => (performance.getEntriesByName(name)[0] || {}).startTime || null;
            const nav = performance.getEntriesByType("navigation")[0];
            return {first_paint_ms: p("first-paint"), first_contentful_paint_ms: p("first-contentful-paint"),
                    drawing_painted_ms: p("tg-drawing-painted"), load_ms: nav ? nav.loadEventEnd : null,
                    ready_ms: p("tg-ready") || performance.now()};
        }""")
        # Seconds, for reading beside the other figures.
        result = {k.replace("_ms", "_s"): round(v / 1000, 2) for k, v in timings.items() if v is not None}
        result["console_errors"] = len(errors)
        browser.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--views", default="accounts,ous")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "benchmarks" / "data")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    org = generate(args.accounts, args.data_dir)
    args.results.mkdir(parents=True, exist_ok=True)
    rows = []
    for view in args.views.split(","):
        target = args.results / f"map-{args.accounts}-{view}.html"
        row: dict[str, object] = {"accounts": args.accounts, "view": view, **write(org, view, target)}
        row["size_mb"] = round(target.stat().st_size / 1e6, 2)
        row.update(paint(target))
        rows.append(row)
        print(f"{args.accounts} accounts, {view} view: {row['size_mb']} MB, written in {row['write_s']} s "
              f"({row['total_s']} s with reading and building), first paint {row.get('first_paint_s')} s, "
              f"first contentful paint {row.get('first_contentful_paint_s')} s, drawing painted "
              f"{row.get('drawing_painted_s')} s, ready {row.get('ready_s')} s, "
              f"{row['console_errors']} console errors", flush=True)
    (args.results / f"html-{args.accounts}.json").write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
