#!/usr/bin/env python3
"""Do two versions of trustgraph give the same answers? who_can_reach for every role, compared as sets.

    python benchmarks/equivalence.py HEAD~1 HEAD                  # two git revisions of this repository
    python benchmarks/equivalence.py /path/to/other/checkout .    # two import paths (a directory holding
                                                                  # the trustgraph package, or the package)
    python benchmarks/equivalence.py main WORKTREE --edges        # WORKTREE: this checkout as it is on disk
    python benchmarks/equivalence.py EXPANDED WORKTREE            # trust classes against caller-by-caller
                                                                  # expansion, both with this checkout
    python benchmarks/equivalence.py --saved whole.tgdb merged.tgdb --every 100   # one build against the merge
                                                                  # of its parts (docs/scale-out.md)

Each side runs in its own interpreter with PYTHONPATH set to that side's code (a git revision is exported
with `git archive` into a temporary directory), on the same inputs:

- samples/acme;
- organizations generated once by this checkout's benchmarks/generate_org.py: --accounts (10) accounts
  of the default style and of style "org-wide", and one wildcard-grant account of --wildcard-roles (300)
  roles (skip them with --no-generated);
- any --data PATH given (a directory or a file, read with load_inputs).

For every role node of each graph, the set of (principal, role, hops, conditional, conditions) of
who_can_reach must be equal on both sides. `--edges` also compares the edge sets (source, target, kind,
conditional, conditions): stricter, and expected to differ when a change redraws edges (e.g. hubs) while
keeping the answers. Exit status 0 when everything compared is equal, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKTREE = "WORKTREE"
# This checkout with build_graph(classes=False): org-wide `*` trusts expanded caller by caller, the reference
# the trust-class build must agree with.
EXPANDED = "EXPANDED"


# ------------------------------------------------------------------------------------------- one side


def dump(spec: dict[str, Any]) -> dict[str, Any]:
    """Answers of the trustgraph found on sys.path (run in a child whose PYTHONPATH picks the side)."""
    import trustgraph
    from trustgraph import build_graph, load_inputs

    where = str(Path(trustgraph.__file__).resolve().parent)
    if not where.startswith(spec["expect_under"]):
        raise SystemExit(f"imported trustgraph from {where}, expected it under {spec['expect_under']}")
    out: dict[str, Any] = {"trustgraph": where, "datasets": {}}
    for name, paths in spec["datasets"].items():
        started = time.perf_counter()
        snapshot, _report = load_inputs([Path(p) for p in paths])
        graph = build_graph(snapshot, classes=False) if spec.get("expanded") else build_graph(snapshot)
        built = time.perf_counter() - started
        roles, answers = graph_answers(graph)
        record: dict[str, Any] = {"roles": len(roles), "nodes": graph.number_of_nodes(),
                                  "edges": graph.number_of_edges(), "build_s": round(built, 3),
                                  "answers": answers}
        if spec["edges"]:
            record["edge_list"] = [[u, v, d.get("kind"), bool(d.get("conditional")), list(d.get("conditions", ()))]
                                   for u, v, d in graph.edges(data=True)]
        out["datasets"][name] = record
    return out


def graph_answers(graph: Any, via: str | None = None, every: int = 1) -> tuple[list[str], list[list[Any]]]:
    """The role nodes of a graph and every who_can_reach answer (principal, role, hops, conditional, conditions)
    into each: through every edge kind, or only those of `via` (e.g. "assume"); `every`: each every-th role of the
    sorted ids only (a sample, for organizations where asking for every role would take hours)."""
    from trustgraph import who_can_reach

    roles = sorted(n for n, d in graph.nodes(data=True) if d.get("kind") == "role")[::every]
    answers = []
    for role in roles:
        found = who_can_reach(graph, role) if via is None else who_can_reach(graph, role, via=(via,))
        for r in found.reachers:
            answers.append([r.principal, role, r.hops, r.conditional, list(r.conditions)])
    return roles, answers


# --------------------------------------------------------------------------------------------- sides


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout


def materialise(side: str, tmp: Path) -> tuple[Path, str]:
    """(directory to put on PYTHONPATH, description) for a git revision, an import path or WORKTREE."""
    if side in (WORKTREE, EXPANDED):
        return REPO, f"{REPO} (working tree{', classes expanded' if side == EXPANDED else ''})"
    path = Path(side)
    if path.exists():
        path = path.resolve()
        if (path / "trustgraph" / "__init__.py").is_file():
            return path, str(path)
        if path.name == "trustgraph" and (path / "__init__.py").is_file():
            return path.parent, str(path.parent)
        raise SystemExit(f"{side}: no trustgraph package there")
    try:
        commit = _git("rev-parse", "--verify", f"{side}^{{commit}}").strip()
    except subprocess.CalledProcessError:
        raise SystemExit(f"{side}: neither a directory nor a git revision of {REPO}") from None
    target = tmp / f"rev-{commit[:12]}"
    if not target.exists():
        target.mkdir()
        archive = tmp / f"{commit[:12]}.tar"
        subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive), commit, "trustgraph"],
                       check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
    return target, f"{side} ({commit[:12]})"


def run_side(root: Path, datasets: dict[str, list[str]], edges: bool, out: Path,
             expanded: bool = False) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    spec = {"datasets": datasets, "edges": edges, "expect_under": str(root.resolve()), "expanded": expanded}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--dump", json.dumps(spec),
                           "--dump-out", str(out)], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"side {root} failed:\n{proc.stderr[-3000:]}")
    return json.loads(out.read_text())


# ------------------------------------------------------------------------------------------ datasets


def generated_datasets(tmp: Path, accounts: int, wildcard_roles: int, seed: int) -> dict[str, list[str]]:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from benchmarks import generate_org

    out: dict[str, list[str]] = {}
    for style in generate_org.STYLES:
        target = tmp / f"generated-{style}-{accounts}a"
        generate_org.generate(target, accounts, 100, 20, seed=seed, style=style)
        out[f"generated {style} ({accounts} accounts)"] = [str(target)]
    if wildcard_roles:
        target = tmp / f"generated-wildcard-{wildcard_roles}r"
        generate_org.generate_wildcard_account(target, wildcard_roles, seed=seed)
        out[f"generated wildcard account ({wildcard_roles} roles)"] = [str(target)]
    return out


# --------------------------------------------------------------------------------------------- compare


def _rows(items: list[list[Any]]) -> set[tuple[Any, ...]]:
    return {tuple(tuple(x) if isinstance(x, list) else x for x in item) for item in items}


def compare(a: dict[str, Any], b: dict[str, Any], edges: bool, show: int) -> bool:
    same = True
    for name in a["datasets"]:
        da, db = a["datasets"][name], b["datasets"][name]
        checks = [("who_can_reach answers", _rows(da["answers"]), _rows(db["answers"]))]
        if edges:
            checks.append(("edges", _rows(da["edge_list"]), _rows(db["edge_list"])))
        print(f"{name}: {da['roles']:,} roles; edges {da['edges']:,} / {db['edges']:,}; "
              f"build {da['build_s']:.2f} s / {db['build_s']:.2f} s (one run each: noisy)")
        for what, sa, sb in checks:
            if sa == sb:
                print(f"  {what}: identical ({len(sa):,})")
                continue
            same = False
            only_a, only_b = sorted(sa - sb, key=repr), sorted(sb - sa, key=repr)
            print(f"  {what}: DIFFERENT: {len(only_a):,} only in A, {len(only_b):,} only in B "
                  f"(of {len(sa):,} / {len(sb):,})")
            for row in only_a[:show]:
                print(f"    A only: {row}")
            for row in only_b[:show]:
                print(f"    B only: {row}")
    return same


def compare_saved(a: Path, b: Path, every: int, show: int) -> bool:
    """Two saved graphs (`trustgraph build -o`, `trustgraph merge -o`) with this checkout: the answers into every
    `every`-th role, through all edge kinds and through role assumptions alone. One graph in memory at a time."""
    from trustgraph.saved.serialize import load_graph

    sides = []
    for path in (a, b):
        started = time.process_time()
        graph = load_graph(path)
        record: dict[str, Any] = {"edges": graph.number_of_edges(), "build_s": time.process_time() - started}
        for via in ("all", "assume"):
            roles, answers = graph_answers(graph, None if via == "all" else via, every)
            record["roles"] = len(roles)
            record[via] = answers
        del graph
        print(f"{path}: {record['roles']:,} roles asked, {len(record['all']):,} answers, "
              f"{time.process_time() - started:.0f} s CPU", flush=True)
        sides.append(record)
    same = True
    for via in ("all", "assume"):
        same &= compare({"datasets": {f"via {via}": {**sides[0], "answers": sides[0][via]}}},
                        {"datasets": {f"via {via}": {**sides[1], "answers": sides[1][via]}}}, False, show)
    return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", nargs="?", help=f"git revision, import path, or {WORKTREE}")
    parser.add_argument("b", nargs="?", help=f"git revision, import path, or {WORKTREE}")
    parser.add_argument("--data", type=Path, action="append", default=[],
                        help="another input (directory or file) to compare on; repeatable")
    parser.add_argument("--no-samples", action="store_true", help="leave samples/acme out")
    parser.add_argument("--no-generated", action="store_true", help="leave the generated organizations out")
    parser.add_argument("--accounts", type=int, default=10, help="accounts of each generated organization")
    parser.add_argument("--wildcard-roles", type=int, default=300,
                        help="roles of the generated wildcard-grant account (0: none)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--edges", action="store_true", help="also compare the edge sets")
    parser.add_argument("--show", type=int, default=5, help="differing rows shown per check")
    parser.add_argument("--saved", type=Path, nargs=2, metavar=("A", "B"),
                        help="compare two saved graphs instead (e.g. one build and a merge of its parts)")
    parser.add_argument("--every", type=int, default=1, help="with --saved: ask every N-th role only")
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    parser.add_argument("--dump-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.dump:
        Path(args.dump_out).write_text(json.dumps(dump(json.loads(args.dump))))
        return 0
    if args.saved:
        same = compare_saved(args.saved[0], args.saved[1], args.every, args.show)
        print("EQUIVALENT" if same else "NOT EQUIVALENT")
        return 0 if same else 1
    if not args.a or not args.b:
        parser.error("two sides needed: A and B")

    with tempfile.TemporaryDirectory(prefix="trustgraph-equivalence-") as tmp_name:
        tmp = Path(tmp_name)
        datasets: dict[str, list[str]] = {}
        if not args.no_samples:
            datasets["samples/acme"] = [str(REPO / "samples" / "acme")]
        if not args.no_generated:
            datasets.update(generated_datasets(tmp, args.accounts, args.wildcard_roles, args.seed))
        for path in args.data:
            datasets[str(path)] = [str(path.resolve())]
        sides = []
        for label, side in (("A", args.a), ("B", args.b)):
            root, description = materialise(side, tmp)
            print(f"{label}: {description}", flush=True)
            sides.append(run_side(root, datasets, args.edges, tmp / f"{label}.json", expanded=side == EXPANDED))
        same = compare(sides[0], sides[1], args.edges, args.show)
    print("EQUIVALENT" if same else "NOT EQUIVALENT")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
