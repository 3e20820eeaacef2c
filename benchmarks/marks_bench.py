#!/usr/bin/env python3
"""What a picture costs beside the answer it draws: `who-can-reach --json` against `who-can-reach -o` (svg and
dot) and a warm `map --view ous`, on a generated organization, with the build cache warm (the marks are made once
per build and kept with the cache entry: docs/pictures.md).

    python benchmarks/marks_bench.py [--accounts 1000] [--repeats 2] [--data-dir benchmarks/data]

Each command runs as `python -m trustgraph.cli` in a fresh process, with a private build cache; the time is the
child's CPU time (user + system), so that other load on the machine counts less than in wall time. First the cold
runs (`who-can-reach --json`: the build without marks; then the first picture, which makes the marks once and adds
them to the cache entry; and a cold picture in a second cache: the build with its marks), then `--repeats` rounds
of the warm commands. Prints one line per command (the best and every run) and writes
benchmarks/results/marks-<N>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generate(accounts: int, data_dir: Path) -> tuple[Path, str]:
    """The organization (generated once) and its sensitive role (generate_org.py prints it; kept beside the data,
    in a file that is not .json, so the inputs never read it)."""
    out = data_dir / f"marks-org-{accounts}a"
    stamp = out / "sensitive-role.txt"
    if not stamp.exists():
        done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate_org.py"), "--accounts",
                               str(accounts), "-o", str(out)], check=True, capture_output=True, text=True)
        role = next(line.split("=", 1)[1] for line in done.stdout.splitlines()
                    if line.startswith("sensitive_role_arn="))
        stamp.write_text(role + "\n")
    return out, stamp.read_text().strip()


def cpu_seconds(args: list[str], cache: Path) -> float:
    """The child's CPU time (user + system) for one trustgraph command."""
    env = {**os.environ, "TRUSTGRAPH_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-m", "trustgraph.cli", *args, "-q"], env=env, cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"trustgraph {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "benchmarks" / "data")
    parser.add_argument("--data", type=Path, help="An organization generated already (with --role).")
    parser.add_argument("--role", help="The sensitive role of --data.")
    args = parser.parse_args()
    data, role = (args.data, args.role) if args.data and args.role else generate(args.accounts, args.data_dir)
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="marks-bench-") as tmp:
        out, cache, cold = Path(tmp), Path(tmp) / "cache", Path(tmp) / "cache-cold"
        inputs = ["-i", str(data)]
        json_args = ["who-can-reach", role, *inputs, "--json"]
        commands = {
            "who-can-reach --json": json_args,
            "who-can-reach -o x.svg": ["who-can-reach", role, *inputs, "-o", str(out / "x.svg")],
            "who-can-reach -o x.dot": ["who-can-reach", role, *inputs, "-o", str(out / "x.dot")],
            "map --view ous -o map.svg": ["map", *inputs, "--view", "ous", "-o", str(out / "map.svg")],
            "map --view ous --no-marks": ["map", *inputs, "--view", "ous", "--no-marks", "-o", str(out / "nm.svg")],
        }
        results["cold: who-can-reach --json (build, no marks)"] = [cpu_seconds(json_args, cache)]
        results["first picture of that build (makes the marks)"] = [cpu_seconds(commands["who-can-reach -o x.svg"],
                                                                                cache)]
        results["cold: who-can-reach -o x.svg (build + marks)"] = [cpu_seconds(commands["who-can-reach -o x.svg"],
                                                                               cold)]
        for _ in range(args.repeats):
            for name, command in commands.items():
                results.setdefault(f"warm: {name}", []).append(cpu_seconds(command, cache))
    floor = min(results["warm: who-can-reach --json"])
    for name, runs in results.items():
        ratio = f"  {min(runs) / floor:.2f}× json" if name.startswith("warm") else ""
        print(f"{name:55} {min(runs):8.1f} s CPU{ratio}   runs: {', '.join(f'{r:.1f}' for r in runs)}")
    target = ROOT / "benchmarks" / "results" / f"marks-{args.accounts}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"accounts": args.accounts, "role": role, "cpu_s": results}, indent=2) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
