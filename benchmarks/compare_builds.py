"""Load + build of the same inputs by two (or more) checkouts of trustgraph, interleaved, in fresh interpreters.

What a change costs: `python benchmarks/compare_builds.py --checkout BEFORE --checkout AFTER DATA_DIR...` runs
`load_inputs` + `build_graph` of each data directory once per checkout and repeat, alternating the checkouts so
that a machine whose load drifts slows both alike, and prints CPU and wall seconds, edges, the ratio of each
checkout to the first, and the growth exponent between the first and last data directory (give them smallest
first; their sizes are read from the directory names, `org-<N>a-…`, or from --sizes).

A checkout is a directory holding the `trustgraph` package (a git worktree: `git worktree add --detach DIR REV`).
CPU time (user + system of the child) is the number to compare on a shared machine; wall time is printed beside
it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, sys, time
from pathlib import Path
from trustgraph import build_graph, load_inputs
c, t = time.process_time(), time.perf_counter()
snapshot, _ = load_inputs([Path(sys.argv[1])])
graph = build_graph(snapshot)
print(json.dumps({"cpu": time.process_time() - c, "wall": time.perf_counter() - t,
                  "edges": graph.number_of_edges(), "nodes": graph.number_of_nodes()}))
"""


def measure(checkout: Path, data: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONHASHSEED": "0"}
    done = subprocess.run([sys.executable, "-c", CHILD, str(data)], capture_output=True, text=True, env=env,
                          cwd=checkout, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def size_of(data: Path) -> int | None:
    found = re.search(r"-(\d+)a-", data.name)
    return int(found.group(1)) if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="+", type=Path, help="data directories, smallest first")
    parser.add_argument("--checkout", action="append", type=Path, required=True,
                        help="a directory holding the trustgraph package; the first is the baseline")
    parser.add_argument("--repeats", type=int, default=1, help="runs per checkout and directory (default 1)")
    parser.add_argument("--sizes", help="comma-separated sizes of the data directories (default: from names)")
    parser.add_argument("--json", type=Path, help="also write every run here")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [size_of(d) for d in args.data]
    runs: dict[tuple[int, int], list[dict[str, float]]] = {}
    for _ in range(args.repeats):
        for di, data in enumerate(args.data):
            for ci, checkout in enumerate(args.checkout):
                runs.setdefault((ci, di), []).append(measure(checkout, data))
    best = {k: min(v, key=lambda r: r["cpu"]) for k, v in runs.items()}
    print(f"{'data':44} {'checkout':28} {'cpu s':>8} {'wall s':>8} {'edges':>9} {'cpu ×':>6}")
    for di, data in enumerate(args.data):
        base = best[(0, di)]["cpu"]
        for ci, checkout in enumerate(args.checkout):
            r = best[(ci, di)]
            print(f"{data.name[:44]:44} {checkout.name[:28]:28} {r['cpu']:8.2f} {r['wall']:8.2f} "
                  f"{int(r['edges']):9d} {r['cpu'] / base:6.2f}")
    if len(args.data) > 1 and sizes[0] and sizes[-1] and sizes[-1] != sizes[0]:
        for ci, checkout in enumerate(args.checkout):
            small, large = best[(ci, 0)]["cpu"], best[(ci, len(args.data) - 1)]["cpu"]
            exponent = math.log(large / small) / math.log(sizes[-1] / sizes[0])
            print(f"growth exponent {checkout.name}: {exponent:.2f} (cpu, {sizes[0]} → {sizes[-1]})")
    if args.json:
        args.json.write_text(json.dumps({f"{args.checkout[c].name}|{args.data[d].name}": v
                                         for (c, d), v in runs.items()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
