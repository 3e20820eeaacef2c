"""Where the memory of a build goes: bytes per node and per edge, split by what holds them.

    python benchmarks/memory_profile.py --accounts 100 [--data-dir benchmarks/data] [--top 25] [--json OUT]

Runs in this interpreter (start a fresh one per size). It generates the organization with
`generate_org.py` when `<data-dir>/org-<N>a-<R>r-<U>u-s<seed>/` is absent, then, with tracemalloc on:

1. `load_inputs([dir])` → Snapshot; tracemalloc snapshot A (what the Snapshot holds);
2. `build_graph(snapshot)`; tracemalloc snapshot B. B − A, grouped by file and by file:line, is what the
   build allocated and kept (the graph and its evidence, plus the build's caches still alive).

It then walks the graph and the Snapshot and sizes their parts with `sys.getsizeof`, each object counted
once, in this order (an object shared by two parts is charged to the first):
node id strings, adjacency dicts (networkx `_succ`/`_pred`/`_node` and their per-node inner dicts),
node attribute dicts, edge attribute dicts, edge `conditions`/`kinds` lists, edge `evidence` lists,
evidence records (the dicts and everything they hold), other node and edge attribute values; and for the
Snapshot its policy documents (trust, inline and managed) and the rest.

Peak memory is tracemalloc's peak and the process's VmHWM (ru_maxrss); tracemalloc itself costs memory
and time, so use `run.py` for times and peak RSS without it.

`--phases` answers when the peak happens and what is alive then: it marks the build's phase boundaries (after
the trust edges, the indirect edges' set-up and escalation pass, each account change inside `IndirectEdges.add`,
its end, Identity Center, its administrators, `annotate`, `build_graph`'s return) by wrapping those functions
from here (the build's code is untouched), and reports per phase the memory traced at its end, the highest
point inside it, and, at the phase where that highest point is reached (and a few others), the largest holders
by file, compared with the Snapshot alone. Account changes are many: for them only the traced figures are kept,
with a full breakdown at the one in the middle.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
import tracemalloc
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def ensure_org(data_dir: Path, accounts: int, roles: int, users: int, seed: int) -> Path:
    out = data_dir / f"org-{accounts}a-{roles}r-{users}u-s{seed}"
    if not (out / "organization.json").exists():
        from benchmarks import generate_org
        generate_org.main(["--accounts", str(accounts), "--roles-per-account", str(roles),
                           "--users-per-account", str(users), "--seed", str(seed), "-o", str(out)])
    return out


class Sizer:
    """sys.getsizeof over object graphs, each object counted once across all parts."""

    def __init__(self) -> None:
        self.seen: set[int] = set()

    def shallow(self, obj: object) -> int:
        if id(obj) in self.seen:
            return 0
        self.seen.add(id(obj))
        return sys.getsizeof(obj)

    def deep(self, obj: object) -> int:
        total = 0
        stack = [obj]
        while stack:
            o = stack.pop()
            if id(o) in self.seen or o is None or isinstance(o, bool):
                continue
            self.seen.add(id(o))
            total += sys.getsizeof(o)
            if isinstance(o, dict):
                stack.extend(o.keys())
                stack.extend(o.values())
            elif isinstance(o, (list, tuple, set, frozenset)):
                stack.extend(o)
            elif hasattr(o, "__dict__"):
                stack.append(vars(o))
            elif hasattr(o, "__slots__"):
                stack.extend(getattr(o, s) for s in getattr(o, "__slots__", ()) if hasattr(o, s))
        return total

    def deep_all(self, objs: Iterable[object]) -> int:
        return sum(self.deep(o) for o in objs)


def graph_parts(graph: Any, sizer: Sizer) -> dict[str, int]:
    parts: dict[str, int] = {}
    parts["node id strings"] = sum(sizer.shallow(n) for n in graph._node)
    adj = sizer.shallow(graph._succ) + sizer.shallow(graph._pred) + sizer.shallow(graph._node)
    adj += sum(sizer.shallow(d) for d in graph._succ.values()) + sum(sizer.shallow(d) for d in graph._pred.values())
    parts["adjacency dicts"] = adj
    parts["node attribute dicts"] = sum(sizer.shallow(d) for d in graph._node.values())
    edges = [d for nbrs in graph._succ.values() for d in nbrs.values()]
    parts["edge attribute dicts"] = sum(sizer.shallow(d) for d in edges)
    parts["edge conditions/kinds lists"] = sum(sizer.deep(d.get(k)) for d in edges for k in ("conditions", "kinds")
                                               if k in d)
    parts["edge evidence lists"] = sum(sizer.shallow(d["evidence"]) for d in edges if "evidence" in d)
    records = [r for d in edges for r in d.get("evidence", ())]
    parts["evidence records (deep)"] = sizer.deep_all(records)
    parts["other edge attribute values"] = sum(sizer.deep(v) for d in edges for v in d.values())
    parts["other node attribute values"] = sum(sizer.deep(v) for d in graph._node.values() for v in d.values())
    parts["graph-level attributes"] = sizer.deep(graph.graph)
    parts["_distinct evidence records"] = len({id(r) for r in records})
    parts["_evidence references"] = len(records)
    return parts


def snapshot_parts(snapshot: Any, sizer: Sizer) -> dict[str, int]:
    docs: list[object] = []
    for r in snapshot.roles.values():
        docs.append(r.trust)
        docs.extend(p.document for p in r.inline_policies)
    for u in snapshot.users.values():
        docs.extend(p.document for p in u.inline_policies)
    for g in getattr(snapshot, "groups", {}).values():
        docs.extend(p.document for p in g.inline_policies)
    for m in getattr(snapshot, "managed_policies", {}).values():
        docs.append(m.document)
    docs = [d for d in docs if d is not None]
    parts = {"policy documents (deep)": sizer.deep_all(docs),
             "_documents": len(docs), "_distinct documents": len({id(d) for d in docs}),
             "rest of the Snapshot (deep)": sizer.deep(snapshot)}
    return parts


def grouped(diff: list[tracemalloc.StatisticDiff], top: int) -> list[dict[str, Any]]:
    return [{"where": str(s.traceback[0]).replace(str(ROOT) + "/", ""), "bytes": s.size_diff, "blocks": s.count_diff}
            for s in diff[:top]]


class Phases:
    """Marks taken at the build's phase boundaries: traced memory at the mark, the peak since the previous one."""

    def __init__(self, base: tracemalloc.Snapshot, top: int) -> None:
        self.base = base
        self.top = top
        self.rows: list[dict[str, Any]] = []
        self.breakdowns: dict[str, list[dict[str, Any]]] = {}
        self.lines: dict[str, list[dict[str, Any]]] = {}

    def mark(self, name: str, breakdown: bool = False) -> None:
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        self.rows.append({"phase": name, "current": current, "peak": peak})
        if breakdown:
            snap = tracemalloc.take_snapshot()
            self.breakdowns[name] = grouped(snap.compare_to(self.base, "filename"), self.top)
            self.lines[name] = grouped(snap.compare_to(self.base, "lineno"), self.top)
            tracemalloc.reset_peak()  # the snapshot's own bookkeeping is not the build's

    def install(self, accounts: int) -> list[tuple[Any, str, Any]]:
        """Wrap the phase functions; returns what to put back."""
        from trustgraph.graph import build, indirect
        saved: list[tuple[Any, str, Any]] = []

        def wrap(owner: Any, attr: str, before: str | None, after: str | None, breakdown: bool = True) -> None:
            original = getattr(owner, attr)
            saved.append((owner, attr, original))

            def wrapper(*a: Any, **k: Any) -> Any:
                if before:
                    self.mark(before, breakdown)
                result = original(*a, **k)
                if after:
                    self.mark(after, breakdown)
                return result
            setattr(owner, attr, wrapper)

        wrap(build.GraphBuilder, "_member_edges", "trust edges (role loop)", None)
        wrap(build.GraphBuilder, "_class_members", None, "member and class-member edges", False)
        wrap(indirect.IndirectEdges, "_escalation", "indirect: set-up and caller list", "indirect: escalation pass")
        wrap(indirect.IndirectEdges, "_assume_root", "indirect: per-account links (last account)", None)
        wrap(indirect.IndirectEdges, "add", None, "indirect: AssumeRoot, StackSets, writes, admin edges")
        wrap(build, "add_identity_center", None, "Identity Center")
        wrap(build, "add_identity_center_admins", None, "Identity Center administrators")
        wrap(build, "annotate", None, "annotate")
        # account changes inside IndirectEdges.add: the checker forgets its answers there
        from trustgraph.policy.permissions import PermissionChecker
        original_forget = PermissionChecker.forget_answers
        saved.append((PermissionChecker, "forget_answers", original_forget))
        seen = [0]

        def forget(checker: Any) -> None:
            seen[0] += 1
            self.mark(f"indirect: account {seen[0]} begins", breakdown=seen[0] == accounts // 2)
            original_forget(checker)
        PermissionChecker.forget_answers = forget  # type: ignore[method-assign]
        return saved

    def report(self, scale: int) -> list[dict[str, Any]]:
        """Rows with the account changes folded into one (the highest of them)."""
        out: list[dict[str, Any]] = []
        accounts = [r for r in self.rows if r["phase"].startswith("indirect: account ")]
        for r in self.rows:
            if r["phase"].startswith("indirect: account "):
                if r is accounts[0]:
                    out.append({"phase": f"indirect: per-account links ({len(accounts)} account changes; "
                                         "highest of them)",
                                "current": max(a["current"] for a in accounts),
                                "peak": max(a["peak"] for a in accounts)})
                continue
            out.append(dict(r))
        for r in out:
            r["current_per_account"] = round(r["current"] / scale)
            r["peak_per_account"] = round(r["peak"] / scale)
        return out


def run_phases(directory: Path, accounts: int, top: int, json_out: Path | None) -> int:
    from trustgraph import build_graph, load_inputs
    tracemalloc.start(1)
    base = tracemalloc.take_snapshot()
    t0 = time.process_time()
    snapshot, _ = load_inputs([directory])
    gc.collect()
    phases = Phases(base, top)
    phases.mark("load (Snapshot kept)", breakdown=True)
    saved = phases.install(accounts)
    try:
        graph = build_graph(snapshot)
        phases.mark("build_graph returned (builder freed)", breakdown=True)
        gc.collect()
        phases.mark("after gc.collect()")
    finally:
        for owner, attr, original in reversed(saved):
            setattr(owner, attr, original)
    cpu = time.process_time() - t0
    rows = phases.report(accounts)
    # the phase whose highest point is the build's (the earliest, on a tie: the memory was reached there)
    top_row = max(reversed(rows), key=lambda r: r["peak"])
    report = {"accounts": accounts, "edges": graph.number_of_edges(), "cpu_s_with_tracemalloc": round(cpu, 1),
              "phases": rows, "highest_peak_in": top_row["phase"], "by_file_at": phases.breakdowns,
              "by_line_at": phases.lines,
              "vmhwm_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    tracemalloc.stop()
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{accounts} accounts, {report['edges']:,} edges: traced MiB at each phase's end and the highest inside "
          f"it (per account, kB); VmHWM {report['vmhwm_kb'] / 1024:,.0f} MiB with tracemalloc on")
    for r in rows:
        star = "  <- peak" if r is top_row else ""
        print(f"  {r['phase']:62} {r['current'] / 2**20:8.1f} {r['peak'] / 2**20:8.1f}   "
              f"{r['current_per_account'] / 1000:7.0f} {r['peak_per_account'] / 1000:7.0f}{star}")
    for name, rows_by_file in phases.breakdowns.items():
        print(f"\nalive at '{name}', by file (MiB, kB per account):")
        for row in rows_by_file:
            print(f"  {row['bytes'] / 2**20:9.1f} {row['bytes'] / accounts / 1000:7.0f}  {row['where']}")
    fullest = max((r for r in rows if r["phase"] in phases.lines), key=lambda r: r["current"])["phase"]
    peak_lines = phases.lines[fullest]
    if peak_lines:
        print(f"\nalive at '{fullest}' (the most of the marks broken down), by line (MiB, kB per account):")
        for row in peak_lines:
            print(f"  {row['bytes'] / 2**20:9.1f} {row['bytes'] / accounts / 1000:7.0f}  {row['where']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=100)
    ap.add_argument("--roles-per-account", type=int, default=100)
    ap.add_argument("--users-per-account", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data-dir", type=Path, default=ROOT / "benchmarks" / "data")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--no-walk", action="store_true", help="skip the per-part walk (tracemalloc only)")
    ap.add_argument("--plain", action="store_true",
                    help="no tracemalloc and no walk: CPU times of load and build and the process's VmHWM only")
    ap.add_argument("--phases", action="store_true",
                    help="traced memory at each phase boundary of the build and what is alive at the peak")
    ap.add_argument("--dir", type=Path, help="an organization already generated (instead of --data-dir's)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    directory = args.dir or ensure_org(args.data_dir, args.accounts, args.roles_per_account, args.users_per_account,
                                       args.seed)
    if args.phases:
        return run_phases(directory, args.accounts, args.top, args.json)

    from trustgraph import build_graph, load_inputs

    if args.plain:
        t0 = time.process_time()
        snapshot, _ = load_inputs([directory])
        t1 = time.process_time()
        graph = build_graph(snapshot)
        t2 = time.process_time()
        plain = {"accounts": args.accounts, "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
                 "cpu_s": {"load_inputs": round(t1 - t0, 2), "build_graph": round(t2 - t1, 2)},
                 "vmhwm_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
        print(json.dumps(plain))
        return 0
    tracemalloc.start(1)
    base = tracemalloc.take_snapshot()
    t0 = time.process_time()
    snapshot, _ = load_inputs([directory])
    t1 = time.process_time()
    gc.collect()  # load and build pause the collector: count only what stays reachable
    after_load = tracemalloc.take_snapshot()
    graph = build_graph(snapshot)
    t2 = time.process_time()
    gc.collect()
    after_build = tracemalloc.take_snapshot()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n_nodes, n_edges = graph.number_of_nodes(), graph.number_of_edges()
    principals = len(snapshot.roles) + len(snapshot.users)
    load_bytes = sum(s.size_diff for s in after_load.compare_to(base, "filename"))
    build_diff_files = after_build.compare_to(after_load, "filename")
    build_bytes = sum(s.size_diff for s in build_diff_files)
    report: dict[str, Any] = {
        "accounts": args.accounts, "principals": principals, "nodes": n_nodes, "edges": n_edges,
        "cpu_s": {"load_inputs": round(t1 - t0, 2), "build_graph": round(t2 - t1, 2)},
        "tracemalloc": {"snapshot_bytes": load_bytes, "build_bytes": build_bytes, "current": current, "peak": peak},
        "per_principal": {"snapshot": round(load_bytes / principals), "build": round(build_bytes / principals)},
        "per_edge": {"build": round(build_bytes / n_edges),
                     "snapshot+build": round((load_bytes + build_bytes) / n_edges)},
        "build_by_file": grouped(build_diff_files, args.top),
        "build_by_line": grouped(after_build.compare_to(after_load, "lineno"), args.top),
        "load_by_line": grouped(after_load.compare_to(base, "lineno"), args.top),
        "vmhwm_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    del base, after_load, after_build
    if not args.no_walk:
        sizer = Sizer()
        g = graph_parts(graph, sizer)
        s = snapshot_parts(snapshot, sizer)
        report["graph_parts"] = {k: v for k, v in g.items()}
        report["graph_parts_per_edge"] = {k: round(v / n_edges) for k, v in g.items() if not k.startswith("_")}
        report["snapshot_parts"] = s
        report["snapshot_parts_per_principal"] = {k: round(v / principals) for k, v in s.items()
                                                  if not k.startswith("_")}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{args.accounts} accounts: {principals:,} principals, {n_nodes:,} nodes, {n_edges:,} edges; "
          f"CPU load {report['cpu_s']['load_inputs']} s, build {report['cpu_s']['build_graph']} s (tracemalloc on)")
    print(f"Snapshot {load_bytes / 2**20:,.1f} MiB ({report['per_principal']['snapshot']:,} B per principal); "
          f"build kept {build_bytes / 2**20:,.1f} MiB ({report['per_edge']['build']:,} B per edge); "
          f"tracemalloc peak {peak / 2**20:,.1f} MiB; VmHWM {report['vmhwm_kb'] / 1024:,.0f} MiB")
    for title, rows in (("build, by file", report["build_by_file"]), ("build, by line", report["build_by_line"]),
                        ("load, by line", report["load_by_line"])):
        print(f"\n{title}: bytes kept (per edge)")
        for row in rows:
            print(f"  {row['bytes'] / 2**20:9.1f} MiB {row['bytes'] / n_edges:7.0f}  {row['where']}")
    if not args.no_walk:
        print("\ngraph parts: MiB, bytes per edge")
        for k, v in report["graph_parts"].items():
            print(f"  {k:34} {v:>12,}" if k.startswith("_") else f"  {k:34} {v / 2**20:9.1f} {v / n_edges:7.0f}")
        print("Snapshot parts: MiB, bytes per principal")
        for k, v in report["snapshot_parts"].items():
            print(f"  {k:34} {v:>12,}" if k.startswith("_") else f"  {k:34} {v / 2**20:9.1f} {v / principals:7.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
