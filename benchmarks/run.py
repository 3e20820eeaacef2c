#!/usr/bin/env python3
"""Benchmark trustgraph on synthetic organizations of 10, 100 and 1,000 accounts.

    python benchmarks/run.py                                  # 10,100,1000 accounts, 100 roles + 20 users each
    python benchmarks/run.py --sizes 10,100 --profile         # smaller sizes; cProfile of the largest one

Each size is generated once with generate_org.py into --data-dir (reused while its parameters stamp
matches), then measured in fresh subprocesses so that peak memory (ru_maxrss of the child) belongs to
that size alone:

- build child: the plain-JSON floor (json.load of every input file, best of --floor-repeats),
  load_inputs, build_graph, who_can_reach(sensitive role) and reach(CI principal) (first call and
  median of --repeats), the account-view render (DOT, then Graphviz), save_graph;
- load child: load_graph of the saved graph, then the same two queries on the loaded graph.

Prints a markdown table, the growth exponents between the two largest sizes and the targets, and
writes JSON (default benchmarks/results/benchmark.json; results/ is git-ignored).

More series (--series org-wide,peers,wildcard,identity-center, or all), each point in fresh interpreters
under a time and RSS budget, results in <series>.json and <series>.md beside --json:

    python benchmarks/run.py --series org-wide,peers,wildcard  # org-wide pattern trusts at 100 … 10,000
                                                              # accounts, ../shared/peers beside PMapper,
                                                              # one account with wildcard grants
    python benchmarks/run.py --series identity-center         # the same org without and with Identity Center
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import math
import os
import platform
import pstats
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
STAMP = "generated.params"  # not *.json: load_inputs reads every .json file of the directory

# Targets at 1,000 accounts (issue): build <= 10x floor, queries <= 100 ms, peak <= 3 GB, linear growth.
TARGET_BUILD_RATIO = 10.0
TARGET_QUERY_S = 0.100
TARGET_PEAK_BYTES = 3 * 1024**3
# "Linear" allows some noise: an exponent up to 1.15 between the two largest sizes counts as linear.
TARGET_EXPONENT = 1.15


# ------------------------------------------------------------------------------------------ machine


def machine_info() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": model or platform.processor() or "unknown",
        "ram_bytes": ram,
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def code_fingerprint() -> str:
    """Hash of the trustgraph sources this interpreter imports (each child records it: the package may
    change while a long run goes on)."""
    import trustgraph

    digest = hashlib.sha256()
    package = Path(trustgraph.__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def source_info() -> dict[str, Any]:
    """The trustgraph commit measured, and whether trustgraph/ had uncommitted changes."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True,
                                  check=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    import networkx

    import trustgraph

    return {"commit": git("rev-parse", "--short", "HEAD") or None,
            "trustgraph_dirty": bool(git("status", "--porcelain", "--", "trustgraph")),
            "trustgraph_path": str(Path(trustgraph.__file__).resolve().parent),
            "trustgraph_version": trustgraph.__version__, "networkx": networkx.__version__,
            "fingerprint": code_fingerprint()}


# --------------------------------------------------------------------------------------------- data


def _generator() -> Any:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from benchmarks import generate_org

    return generate_org


def ensure_data(data_dir: Path, accounts: int, roles: int, users: int, seed: int,
                style: str = "default", identity_center: str | None = None) -> dict[str, Any]:
    """Generate one size into its own directory, or reuse it when its stamp matches these parameters.
    ``identity_center`` ("USERS,GROUPS,PERMISSION_SETS,ASSIGNMENTS") adds generate_org's Identity Center."""
    gen = _generator()
    params = {"accounts": accounts, "roles_per_account": roles, "users_per_account": users, "seed": seed,
              "mix": "default",
              "generator_sha256": hashlib.sha256(Path(gen.__file__).read_bytes()).hexdigest()}
    if style != "default":
        params["style"] = style
    prefix = "org" if style == "default" else style
    if identity_center is not None:
        params["identity_center"] = identity_center
        prefix += "-idc" + identity_center.replace(",", "-")
    outdir = data_dir / f"{prefix}-{accounts}a-{roles}r-{users}u-s{seed}"
    stamp = outdir / STAMP
    if stamp.is_file():
        try:
            saved = json.loads(stamp.read_text())
        except ValueError:
            saved = {}
        if saved.get("params") == params:
            saved["reused"] = True
            return saved
    # A stale or partial directory: its .json files would be read as inputs, so clear them first.
    if outdir.exists():
        stamp.unlink(missing_ok=True)
        for path in outdir.glob("*.json"):
            path.unlink()
    print(f"generating {accounts} accounts into {outdir} ...", flush=True)
    started = time.perf_counter()
    org = gen.generate(outdir, accounts, roles, users, seed=seed, style=style,
                       **({"identity_center": identity_center} if identity_center is not None else {}))
    info = {"params": params, "dir": str(outdir), "sensitive_role_arn": org.sensitive_role_arn,
            "ci_principal_arn": org.ci_principal_arn, "perimeter_role_arn": org.perimeter_role_arn,
            "pipeline_target_arn": org.pipeline_target_arn,
            "files": len(org.account_paths) + 1 + (identity_center is not None),
            "roles": org.roles, "users": org.users, "groups": org.groups, "policies": org.policies,
            "bytes": org.bytes_written, "generate_s": round(time.perf_counter() - started, 2)}
    if identity_center is not None:
        info["sso_admin_role_arn"] = org.sso_admin_role_arn
    stamp.write_text(json.dumps(info, indent=1) + "\n")  # last: a stamp means the directory is complete
    info["reused"] = False
    return info


# ------------------------------------------------------------------------------------ child helpers


def peak_rss() -> int:
    """Peak resident set size of this process in bytes (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def repeated(fn: Callable[[], Any], repeats: int) -> tuple[dict[str, float], Any]:
    """First call and median of `repeats` calls (the first included)."""
    times, value = [], None
    for _ in range(repeats):
        seconds, value = timed(fn)
        times.append(seconds)
    return {"first_s": times[0], "median_s": statistics.median(times), "min_s": min(times)}, value


def input_files(directory: Path) -> list[Path]:
    # The same selection load_inputs makes for a directory.
    return sorted(p for p in directory.rglob("*.json") if p.is_file())


def json_floor(files: Sequence[Path], repeats: int) -> float:
    """Best time to json.load every file (each result dropped at once, so the floor holds no memory)."""
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        for path in files:
            with open(path, encoding="utf-8") as fh:
                json.load(fh)
        best = min(best, time.perf_counter() - started)
    return best


def find_account_view() -> tuple[Callable[..., Any] | None, Callable[..., Any] | None, str]:
    """(DOT builder, renderer, description) for the account view, whichever API is present."""
    try:
        from trustgraph.render import views
    except ImportError as exc:
        return None, None, f"trustgraph.render.views not importable: {exc}"
    try:
        from trustgraph.render.engine import render
    except ImportError:
        render = None
    build = getattr(views, "account_view", None) or getattr(views, "accounts_view", None)
    if build is not None and render is not None:
        return build, render, f"views.{build.__name__} + engine.render"
    whole = getattr(views, "render_account_view", None)
    if whole is not None:
        return None, whole, "views.render_account_view"
    return None, None, "no account-view function in trustgraph.render.views"


# ------------------------------------------------------------------------------------- child modes


def child_build(spec: dict[str, Any]) -> dict[str, Any]:
    from trustgraph import build_graph, load_inputs, reach, save_graph, who_can_reach

    data_dir, work = Path(spec["data_dir"]), Path(spec["work_dir"])
    repeats = spec["repeats"]
    out: dict[str, Any] = {"rss_bytes": {"start": peak_rss()}}
    files = input_files(data_dir)
    out["input_files"] = len(files)
    out["input_bytes"] = sum(p.stat().st_size for p in files)

    out["floor_s"] = json_floor(files, spec["floor_repeats"])
    out["rss_bytes"]["after_floor"] = peak_rss()

    out["load_inputs_s"], (snapshot, report) = timed(lambda: load_inputs([data_dir]))
    out["rss_bytes"]["after_load_inputs"] = peak_rss()
    out["load_report"] = {"files_read": len(report.files_read), "files_rejected": len(report.files_rejected),
                          "errors": sum(d.level == "error" for d in report.diagnostics),
                          "warnings": sum(d.level == "warning" for d in report.diagnostics)}
    out["roles"], out["users"] = len(snapshot.roles), len(snapshot.users)

    out["build_graph_s"], graph = timed(lambda: build_graph(snapshot))
    out["rss_bytes"]["after_build"] = peak_rss()
    out["nodes"], out["edges"] = graph.number_of_nodes(), graph.number_of_edges()
    out["load_build_s"] = out["load_inputs_s"] + out["build_graph_s"]

    out["who_can_reach"], answer = repeated(lambda: who_can_reach(graph, spec["sensitive_role_arn"]), repeats)
    out["who_can_reach"]["reachers"] = len(answer.reachers)
    out["who_can_reach"]["ci_principal_among_them"] = any(
        r.principal == spec["ci_principal_arn"] for r in answer.reachers)
    out["reach"], answer = repeated(lambda: reach(graph, spec["ci_principal_arn"]), repeats)
    out["reach"]["roles"] = len(answer.reachable)
    out["reach"]["deploy_roles"] = sum(r.principal.endswith("/deploy/CloudFormationDeployRole")
                                       for r in answer.reachable)
    out["rss_bytes"]["after_queries"] = peak_rss()

    graph_path = work / "graph.tgdb"
    out["save_s"], _ = timed(lambda: save_graph(graph, graph_path))
    out["save_bytes"] = graph_path.stat().st_size
    out["rss_bytes"]["after_save"] = peak_rss()
    # Load, build, queries and save: the account view below runs in a forked process with its own peak.
    out["peak_rss_bytes"] = peak_rss()

    if spec["render_format"]:
        out["account_view"] = measure_account_view(graph, snapshot, work, spec["render_format"],
                                                   spec["render_timeout"])
    else:
        out["account_view"] = {"error": "skipped (--no-render)"}
    return out


def in_fork(fn: Callable[[Callable[[dict[str, Any]], None]], None], timeout: float) -> dict[str, Any]:
    """Run fn(report) in a forked copy of this process, killed after `timeout` seconds.

    fn calls report(partial_result) after each step, so a timeout still returns the steps done. Graphviz
    layout is C code that a signal cannot interrupt, hence a process; fork shares the built graph.
    """
    with tempfile.NamedTemporaryFile(prefix="bench-fork-", suffix=".out", delete=False) as fh:
        result_path = Path(fh.name)

    def report(partial: dict[str, Any]) -> None:
        partial = {**partial, "process_peak_rss_bytes": peak_rss()}
        tmp = result_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(partial))
        os.replace(tmp, result_path)

    pid = os.fork()
    if pid == 0:  # pragma: no cover - the forked child
        code = 0
        try:
            fn(report)
        except BaseException as exc:  # anything the renderer raises is a result
            try:
                previous = json.loads(result_path.read_text() or "{}")
            except ValueError:
                previous = {}
            report({**previous, "error": f"{type(exc).__name__}: {exc}"})
            code = 1
        os._exit(code)
    deadline = time.monotonic() + timeout
    timed_out = False
    while True:
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            timed_out = True
            break
        time.sleep(0.05)
    try:
        result = json.loads(result_path.read_text() or "{}")
    except ValueError:
        result = {}
    finally:
        result_path.unlink(missing_ok=True)
    if timed_out:
        result["error"] = f"timed out after {timeout:g} s"
        result["timed_out"] = True
    return result


def dot_size(source: str) -> dict[str, int]:
    """Nodes and edges of a DOT source, as Graphviz reads it."""
    import pygraphviz

    agraph = pygraphviz.AGraph(string=source)
    return {"nodes": agraph.number_of_nodes(), "edges": agraph.number_of_edges(),
            "source_bytes": len(source.encode())}


def measure_account_view(graph: Any, snapshot: Any, work: Path, fmt: str, timeout: float) -> dict[str, Any]:
    """DOT building, then Graphviz layout with the engine the view picks; if that times out, sfdp too."""
    build, render, how = find_account_view()
    base: dict[str, Any] = {"api": how, "format": fmt, "timeout_s": timeout}
    if render is None:
        return {**base, "error": how}
    target = work / f"accounts.{fmt}"

    if build is None:  # only the one-call API: time it whole
        def whole(report: Callable[[dict[str, Any]], None]) -> None:
            seconds, _ = timed(lambda: render(graph, target, fmt, organization=snapshot.organization))
            report({**base, "total_s": seconds, "output_bytes": target.stat().st_size})

        return in_fork(whole, timeout)

    def steps(engine: str | None) -> Callable[[Callable[[dict[str, Any]], None]], None]:
        def run(report: Callable[[dict[str, Any]], None]) -> None:
            result = dict(base)
            result["dot_s"], dot = timed(lambda: build(graph, organization=snapshot.organization))
            if engine:
                dot.engine = engine
            result["engine"] = getattr(dot, "engine", None)
            result["dot"] = dot_size(dot.source)
            report(result)
            result["layout_s"], _ = timed(lambda: render(dot, target, fmt))
            result["total_s"] = result["dot_s"] + result["layout_s"]
            result["output_bytes"] = target.stat().st_size
            report(result)
        return run

    result = in_fork(steps(None), timeout)
    if result.get("timed_out") and result.get("engine") not in (None, "sfdp"):
        # What the same picture costs laid out force-directed (the view's choice above its node limit).
        fallback = in_fork(steps("sfdp"), timeout)
        result["sfdp_fallback"] = {k: fallback.get(k) for k in ("layout_s", "total_s", "output_bytes", "error")}
    return result


def child_load(spec: dict[str, Any]) -> dict[str, Any]:
    from trustgraph import load_graph, reach, who_can_reach

    repeats = spec["repeats"]
    out: dict[str, Any] = {"rss_bytes_start": peak_rss()}
    # First the answer read on demand (what `who-can-reach --graph` does): its peak before the whole graph's.
    from trustgraph.saved.lazy import open_lazy
    out["lazy_who_can_reach_s"], answer = timed(
        lambda: who_can_reach(open_lazy(Path(spec["work_dir"]) / "graph.tgdb"), spec["sensitive_role_arn"]))
    out["lazy_who_can_reach_reachers"], out["rss_after_lazy_bytes"] = len(answer.reachers), peak_rss()
    out["load_graph_s"], graph = timed(lambda: load_graph(Path(spec["work_dir"]) / "graph.tgdb"))
    out["nodes"], out["edges"] = graph.number_of_nodes(), graph.number_of_edges()
    out["who_can_reach"], answer = repeated(lambda: who_can_reach(graph, spec["sensitive_role_arn"]), repeats)
    out["who_can_reach"]["reachers"] = len(answer.reachers)
    out["reach"], answer = repeated(lambda: reach(graph, spec["ci_principal_arn"]), repeats)
    out["reach"]["roles"] = len(answer.reachable)
    out["peak_rss_bytes"] = peak_rss()
    return out


def child_profile(spec: dict[str, Any]) -> dict[str, Any]:
    from trustgraph import build_graph, load_inputs

    profiler = cProfile.Profile()
    gc.collect()
    started = time.perf_counter()
    profiler.enable()
    snapshot, _ = load_inputs([Path(spec["data_dir"])])
    graph = build_graph(snapshot)
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    top = spec["profile_top"]
    text = io.StringIO()
    label = spec.get("label") or f"{spec['accounts']} accounts"
    text.write(f"cProfile of load_inputs + build_graph: {label}, {len(snapshot.roles)} roles, "
               f"{len(snapshot.users)} users -> {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges\n"
               f"wall time under the profiler: {wall:.1f} s (profiling overhead included)\n\n")
    for key in ("cumulative", "tottime"):
        text.write(f"===== top {top} by {key} =====\n")
        stats.stream = text
        stats.sort_stats(key).print_stats(top)
    Path(spec["profile_path"]).write_text(text.getvalue())
    rows = []
    for (file, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        rows.append({"function": f"{_short(file)}:{line}({name})", "ncalls": ncalls,
                     "tottime_s": round(tottime, 3), "cumtime_s": round(cumtime, 3)})
    return {"wall_s": wall, "profile_path": spec["profile_path"],
            "by_cumulative": sorted(rows, key=lambda r: -r["cumtime_s"])[:top],
            "by_tottime": sorted(rows, key=lambda r: -r["tottime_s"])[:top]}


def _short(file: str) -> str:
    if "/site-packages/" in file:
        return file.split("/site-packages/", 1)[1]
    if "/lib/python3" in file:  # the standard library: .../lib/python3.11/json/decoder.py -> json/decoder.py
        return file.split("/lib/python3", 1)[1].split("/", 1)[-1]
    try:
        return str(Path(file).resolve().relative_to(REPO))
    except ValueError:
        return file


CHILDREN = {"build": child_build, "load": child_load, "profile": child_profile}


def run_child(mode: str, spec: dict[str, Any], timeout: float | None) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its result comes back through a JSON file."""
    with tempfile.NamedTemporaryFile(prefix=f"bench-{mode}-", suffix=".out", delete=False) as fh:
        result_path = Path(fh.name)
    spec_text = json.dumps(spec)
    started = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", mode,
                               "--child-spec", spec_text, "--child-out", str(result_path)],
                              timeout=timeout, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
            return {"error": f"{mode} child exited with {proc.returncode}", "stderr_tail": tail}
        return json.loads(result_path.read_text())
    except subprocess.TimeoutExpired:
        return {"error": f"{mode} child timed out after {timeout:g} s"}
    finally:
        result_path.unlink(missing_ok=True)
        if mode != "profile":
            print(f"  {mode} child: {time.perf_counter() - started:.1f} s", flush=True)


# ----------------------------------------------------------------------------------------- analysis


def exponent(small: float | None, large: float | None, ratio: float) -> float | None:
    if not small or not large or small <= 0 or large <= 0 or ratio <= 1:
        return None
    return math.log(large / small) / math.log(ratio)


def dig(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


GROWTH = {  # label -> dotted path in a size record
    "load_inputs + build_graph": "build.load_build_s",
    "json floor": "build.floor_s",
    "load_inputs": "build.load_inputs_s",
    "build_graph": "build.build_graph_s",
    "who_can_reach median": "build.who_can_reach.median_s",
    "reach median": "build.reach.median_s",
    "account view": "build.account_view.total_s",
    "save_graph": "build.save_s",
    "load_graph": "load.load_graph_s",
    "peak RSS (build)": "build.peak_rss_bytes",
    "edges": "build.edges",
    "nodes": "build.nodes",
}


def growth(sizes: list[dict[str, Any]]) -> dict[str, Any]:
    """Exponents between the two largest sizes, against the account ratio and against the edge ratio
    (the graph, hence the build, can grow faster than the input when trusts span accounts)."""
    ok = [s for s in sizes if "error" not in s.get("build", {"error": 1})]
    if len(ok) < 2:
        return {}
    a, b = ok[-2], ok[-1]
    ratio = b["accounts"] / a["accounts"]
    edge_ratio = b["build"]["edges"] / a["build"]["edges"]
    return {"between_accounts": [a["accounts"], b["accounts"]], "edge_ratio": round(edge_ratio, 3),
            "exponents": {label: _round(exponent(dig(a, path), dig(b, path), ratio), 3)
                          for label, path in GROWTH.items()},
            "exponents_vs_edges": {label: _round(exponent(dig(a, path), dig(b, path), edge_ratio), 3)
                                   for label, path in GROWTH.items() if label not in ("edges", "nodes")}}


def targets(sizes: list[dict[str, Any]], grown: dict[str, Any]) -> dict[str, Any]:
    ok = [s for s in sizes if "error" not in s.get("build", {"error": 1})]
    if not ok:
        return {}
    top = ok[-1]
    b, ld = top["build"], top.get("load", {})
    out: dict[str, Any] = {"at_accounts": top["accounts"]}

    def check(name: str, value: Any, limit: float, better_low: bool = True) -> None:
        met = None if value is None else (value <= limit if better_low else value >= limit)
        out[name] = {"value": _round(value, 4), "limit": limit, "met": met}

    check("load_build_over_floor", b["load_build_s"] / b["floor_s"], TARGET_BUILD_RATIO)
    check("build_graph_over_floor", b["build_graph_s"] / b["floor_s"], TARGET_BUILD_RATIO)
    check("who_can_reach_median_s", dig(b, "who_can_reach.median_s"), TARGET_QUERY_S)
    check("reach_median_s", dig(b, "reach.median_s"), TARGET_QUERY_S)
    check("peak_rss_bytes", b["peak_rss_bytes"], TARGET_PEAK_BYTES)
    check("load_build_exponent", dig(grown, "exponents.load_inputs + build_graph"), TARGET_EXPONENT)
    load_s = ld.get("load_graph_s")
    out["load_graph_faster_than_build"] = {
        "value": _round(load_s, 3), "limit": _round(b["load_build_s"], 3),
        "met": None if load_s is None else load_s < b["load_build_s"]}
    return out


def _num(value: Any) -> str:
    return "–" if value is None else f"{value:.2f}"


def _round(value: Any, digits: int) -> Any:
    return round(value, digits) if isinstance(value, float) else value


# ----------------------------------------------------------------------------------------- printing


def _secs(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "–"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def _mb(value: Any) -> str:
    return f"{value / 1e6:,.1f} MB" if isinstance(value, (int, float)) else "–"


def _int(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "–"


def table(sizes: list[dict[str, Any]]) -> str:
    def row(label: str, fn: Callable[[dict[str, Any]], str]) -> str:
        cells = []
        for s in sizes:
            try:
                cells.append(fn(s))
            except (KeyError, TypeError, ZeroDivisionError):
                cells.append("–")
        return f"| {label} | " + " | ".join(cells) + " |"

    def view(s: dict[str, Any]) -> str:
        av = s["build"].get("account_view") or {}
        if "dot_s" not in av and "total_s" not in av:
            return "null" + (f" ({av['error'][:40]})" if av.get("error") else "")
        if "total_s" in av and "dot_s" not in av:
            return _secs(av["total_s"])
        layout = _secs(av["layout_s"]) if "layout_s" in av else f"> {av['timeout_s']:g} s (timeout)"
        text = f"DOT {_secs(av['dot_s'])} + {av.get('engine')} {layout}"
        fallback = av.get("sfdp_fallback") or {}
        if fallback.get("layout_s") is not None:
            text += f"; sfdp {_secs(fallback['layout_s'])}"
        return text

    def view_size(s: dict[str, Any]) -> str:
        dot = s["build"]["account_view"]["dot"]
        return f"{dot['nodes']:,} / {dot['edges']:,}"

    lines = [
        "| | " + " | ".join(f"{s['accounts']:,} accounts" for s in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
        row("roles / users", lambda s: f"{s['build']['roles']:,} / {s['build']['users']:,}"),
        row("input files / size", lambda s: f"{s['build']['input_files']:,} / {_mb(s['build']['input_bytes'])}"),
        row("graph nodes / edges", lambda s: f"{s['build']['nodes']:,} / {s['build']['edges']:,}"),
        row("json floor (json.load all files)", lambda s: _secs(s["build"]["floor_s"])),
        row("load_inputs", lambda s: _secs(s["build"]["load_inputs_s"])),
        row("build_graph", lambda s: _secs(s["build"]["build_graph_s"])),
        row("**load_inputs + build_graph**", lambda s: f"**{_secs(s['build']['load_build_s'])}**"),
        row("(load + build) / floor", lambda s: f"{s['build']['load_build_s'] / s['build']['floor_s']:.1f}×"),
        row("who_can_reach(sensitive): median (first)",
            lambda s: f"{_secs(s['build']['who_can_reach']['median_s'])} "
                      f"({_secs(s['build']['who_can_reach']['first_s'])})"),
        row("  reachers", lambda s: _int(s["build"]["who_can_reach"]["reachers"])),
        row("reach(CI principal): median (first)",
            lambda s: f"{_secs(s['build']['reach']['median_s'])} ({_secs(s['build']['reach']['first_s'])})"),
        row("  roles reached (deploy roles)",
            lambda s: f"{s['build']['reach']['roles']:,} ({s['build']['reach']['deploy_roles']:,})"),
        row("account view render (DOT + layout)", view),
        row("  account view nodes / edges", view_size),
        row("save_graph / saved graph size",
            lambda s: f"{_secs(s['build']['save_s'])} / {_mb(s['build']['save_bytes'])}"),
        row("load_graph", lambda s: _secs(s["load"]["load_graph_s"])),
        row("queries on loaded graph (wcr / reach median)",
            lambda s: f"{_secs(s['load']['who_can_reach']['median_s'])} / {_secs(s['load']['reach']['median_s'])}"),
        row("peak RSS: load+build+queries", lambda s: _mb(s["build"]["rss_bytes"]["after_queries"])),
        row("peak RSS: build child (… + save_graph)", lambda s: _mb(s["build"]["peak_rss_bytes"])),
        row("peak RSS: account view process (forked)",
            lambda s: _mb(s["build"]["account_view"]["process_peak_rss_bytes"])),
        row("peak RSS: load_graph child", lambda s: _mb(s["load"]["peak_rss_bytes"])),
    ]
    return "\n".join(lines)


def machine_line(machine: dict[str, Any]) -> str:
    ram = f"{machine['ram_bytes'] / 2**30:.1f} GiB RAM" if machine.get("ram_bytes") else "RAM unknown"
    return (f"{machine['cpu_model']}, {machine['cpu_count']} CPUs ({machine['cpus_usable']} usable), {ram}, "
            f"{machine['platform']}, {machine['python']}, load average at start "
            f"{' / '.join(map(str, machine['loadavg_at_start']))}")


def report_text(result: dict[str, Any]) -> str:
    lines = [f"Machine: {machine_line(result['machine'])}",
             f"trustgraph {result['source']['trustgraph_version']} at {result['source']['commit']}"
             + (" (trustgraph/ has uncommitted changes)" if result["source"]["trustgraph_dirty"] else "")
             + f", networkx {result['source']['networkx']}", "", table(result["sizes"]), ""]
    prints = {result["source"]["fingerprint"]} | {
        s[part].get("fingerprint") for s in result["sizes"] for part in ("build", "load") if part in s} | {
        (result.get("profile") or {}).get("fingerprint")}
    prints.discard(None)
    if len(prints) > 1:
        lines.append(f"WARNING: trustgraph/ changed during the run ({len(prints)} different source fingerprints); "
                     "sizes were measured against different code. Run again.")
    for s in result["sizes"]:
        for part in ("build", "load"):
            if "error" in s.get(part, {}):
                lines.append(f"{s['accounts']} accounts, {part}: {s[part]['error']}")
                lines.extend("    " + t for t in s[part].get("stderr_tail", []))
        av = s.get("build", {}).get("account_view") or {}
        if av.get("timed_out"):
            dot = av.get("dot") or {}
            lines.append(f"{s['accounts']} accounts, account view: the {av.get('engine')} layout of "
                         f"{dot.get('nodes')} nodes / {dot.get('edges')} edges timed out after {av['timeout_s']:g} s"
                         + (f"; sfdp: {_secs(dig(av, 'sfdp_fallback.layout_s'))}" if av.get("sfdp_fallback") else ""))
        elif av.get("error"):
            lines.append(f"{s['accounts']} accounts, account view: null ({av['error']})")
    grown = result.get("growth") or {}
    if grown:
        a, b = grown["between_accounts"]
        lines.append(f"Growth exponent between {a:,} and {b:,} accounts (log(t{b}/t{a}) / log(x); 1 = linear):")
        by_accounts, by_edges = f"x = {b / a:g} (accounts)", f"x = {grown['edge_ratio']:.1f} (edges)"
        lines.append(f"  {'':<28} {by_accounts:>20} {by_edges:>20}")
        for label, value in grown["exponents"].items():
            per_edge = grown["exponents_vs_edges"].get(label)
            lines.append(f"  {label:<28} {_num(value):>20} {_num(per_edge):>20}")
    tgt = result.get("targets") or {}
    if tgt:
        lines.append(f"Targets at {tgt['at_accounts']:,} accounts:")
        for name, check in tgt.items():
            if name == "at_accounts":
                continue
            verdict = {True: "met", False: "MISSED", None: "n/a"}[check["met"]]
            lines.append(f"  {name:<32} {check['value']!s:>14}  limit {check['limit']!s:<14} {verdict}")
    prof = result.get("profile")
    if prof and "by_tottime" in prof:
        lines.append(f"Profile ({prof['profile_path']}), top 10 by tottime:")
        for r in prof["by_tottime"][:10]:
            lines.append(f"  {r['tottime_s']:8.2f} s self {r['cumtime_s']:8.2f} s cum {r['ncalls']:>10,}  "
                         f"{r['function']}")
    elif prof:
        lines.append(f"Profile: {prof.get('error')}")
    return "\n".join(lines)


# ---------------------------------------------------------------------- series: org-wide, peers, wildcard
#
# Each point of these series is measured in fresh interpreters under a time and RSS budget (--budget-s,
# --budget-rss-gb): a "floor" child (json.load of the inputs: best time with each result dropped, and the
# peak RSS holding all of them at once) and a "scale" child (load_inputs, build_graph, the queries). A point
# over budget is killed and recorded as not finished; the larger points of its series are then skipped.

SERIES = ("org", "org-wide", "peers", "wildcard", "identity-center")
DEFAULT_ORG_WIDE_SIZES = "100,300,1000,3000,10000"
DEFAULT_WILDCARD_SIZES = "500,1000,2000"
DEFAULT_IDC_SIZES = "100,1000"
DEFAULT_IDC = "10000,300,60,30000"  # Identity Center users, groups, permission sets, assignments at 1,000 accounts
IDC_SCALE_AT = 1000


def idc_at(spec: str, accounts: int) -> str:
    """The Identity Center of `spec` (given for IDC_SCALE_AT accounts) scaled to `accounts`: people, groups and
    assignments grow with the organization, the permission sets stay (growth exponents measure the organization)."""
    users, groups, sets, assignments = (int(x) for x in spec.split(","))
    scale = accounts / IDC_SCALE_AT
    return ",".join(str(v) for v in (max(1, round(users * scale)), max(3, round(groups * scale)), sets,
                                      max(1, round(assignments * scale))))
IDC_VARIANTS = ("without Identity Center", "with Identity Center")
PEER_FILE = "authdetails_*.json"


def _inputs_of(path: Path) -> list[Path]:
    return [path] if path.is_file() else input_files(path)


def child_floor(spec: dict[str, Any]) -> dict[str, Any]:
    files = _inputs_of(Path(spec["input"]))
    out: dict[str, Any] = {"input_files": len(files), "input_bytes": sum(p.stat().st_size for p in files),
                           "rss_start_bytes": peak_rss()}
    # Best of at least --floor-repeats runs, and of as many more as fit in ~2 s (at most 25): a small floor
    # measured three times on a loaded machine is mostly noise, and every ratio divides by it.
    started, runs, best = time.perf_counter(), 0, math.inf
    while runs < spec["floor_repeats"] or (runs < 25 and time.perf_counter() - started < 2.0):
        best = min(best, json_floor(files, 1))
        runs += 1
    out["floor_s"], out["floor_runs"] = best, runs
    held = []
    for path in files:  # the memory floor: every parsed document held at once
        with open(path, encoding="utf-8") as fh:
            held.append(json.load(fh))
    out["floor_peak_rss_bytes"] = peak_rss()
    out["floor_rss_above_start_bytes"] = out["floor_peak_rss_bytes"] - out["rss_start_bytes"]
    del held
    return out


def _busiest_role(graph: Any) -> str | None:
    """The role with the most incoming edges (ties: the smallest ARN): a deterministic, heavy query."""
    roles = [n for n, d in graph.nodes(data=True) if d.get("kind") == "role"]
    return min(roles, key=lambda n: (-graph.in_degree(n), n), default=None)


def child_scale(spec: dict[str, Any]) -> dict[str, Any]:
    from trustgraph import build_graph, load_inputs, reach, who_can_reach

    path = Path(spec["input"])
    repeats = spec["repeats"]
    out: dict[str, Any] = {"rss_bytes": {"start": peak_rss()}}
    out["load_inputs_s"], (snapshot, report) = timed(lambda: load_inputs([path]))
    out["rss_bytes"]["after_load_inputs"] = peak_rss()
    out["load_report"] = {"files_read": len(report.files_read), "files_rejected": len(report.files_rejected),
                          "errors": sum(d.level == "error" for d in report.diagnostics),
                          "warnings": sum(d.level == "warning" for d in report.diagnostics)}
    out["roles"], out["users"] = len(snapshot.roles), len(snapshot.users)
    out["build_graph_s"], graph = timed(lambda: build_graph(snapshot))
    out["rss_bytes"]["after_build"] = peak_rss()
    out["load_build_s"] = out["load_inputs_s"] + out["build_graph_s"]
    out["nodes"], out["edges"] = graph.number_of_nodes(), graph.number_of_edges()
    kinds = {n: d.get("kind") for n, d in graph.nodes(data=True)}
    out["principal_edges"] = sum(kinds[u] in ("user", "role") and kinds[v] in ("user", "role")
                                 for u, v in graph.edges)
    targets = list(spec.get("who_can_reach") or [])
    if spec.get("who_can_reach_busiest"):
        targets.append(_busiest_role(graph))
    queries = []
    for node in targets:
        stats, answer = repeated(lambda node=node: who_can_reach(graph, node), repeats)
        queries.append({"query": "who_can_reach", "node": node, **stats, "answers": len(answer.reachers)})
    for node in spec.get("reach") or []:
        stats, answer = repeated(lambda node=node: reach(graph, node), repeats)
        queries.append({"query": "reach", "node": node, **stats, "answers": len(answer.reachable)})
    out["queries"] = queries
    # End to end: what one `who-can-reach` costs from the input files.
    out["end_to_end_s"] = out["load_build_s"] + (queries[0]["first_s"] if queries else 0.0)
    out["peak_rss_bytes"] = peak_rss()
    # The interpreter with trustgraph and networkx imported is ~50 MB: growth is measured above it.
    out["rss_above_start_bytes"] = out["peak_rss_bytes"] - out["rss_bytes"]["start"]
    if spec.get("pairs"):
        out["principal_pairs"] = _principal_pairs(graph, kinds)
    if spec.get("commands"):
        out.update(_commands(snapshot, graph, targets[0] if targets else None))
        out["peak_rss_with_commands_bytes"] = peak_rss()
    return out


# The peak is VmHWM, this process's own: ru_maxrss of a process started by fork + exec from a large parent keeps
# the parent's size (Linux carries the high-water mark across exec).
_VMHWM = """
def VMHWM():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
"""

_LOAD_AND_ASK = _VMHWM + """
import sys, time
started = time.perf_counter()
from trustgraph import load_graph, who_can_reach
graph = load_graph(sys.argv[1])
loaded = time.perf_counter()
answer = who_can_reach(graph, sys.argv[2])
print(loaded - started, time.perf_counter() - loaded, len(answer.reachers), VMHWM())
"""


# What `who-can-reach --graph` does since queries read a saved graph on demand (trustgraph.saved.lazy): the rows the
# answer touches, not the whole file. CPU time, so that a shared machine's waits do not count.
_LAZY_ASK = _VMHWM + """
import sys, time
started = time.process_time()
from trustgraph import who_can_reach
from trustgraph.saved.lazy import open_lazy
answer = who_can_reach(open_lazy(sys.argv[1]), sys.argv[2])
print(time.process_time() - started, len(answer.reachers), VMHWM())
"""


def _commands(snapshot: Any, graph: Any, target: str | None) -> dict[str, Any]:
    """What `findings`, `review` (with its pictures) and `build -o` cost on the built graph, and a
    who-can-reach from the saved file in a fresh interpreter (what --graph and a cached re-run do)."""
    import shutil
    import tempfile

    from trustgraph.analysis.findings import FindingContext, find
    from trustgraph.report.bundle import write_bundle
    from trustgraph.saved.serialize import save_graph

    out: dict[str, Any] = {}
    work = Path(tempfile.mkdtemp(prefix="tg-bench-"))
    try:
        context = FindingContext(snapshot, graph)  # as `trustgraph review` does: one context for both
        out["findings_s"], findings = timed(lambda: find(snapshot, graph, context=context))
        out["findings"] = len(findings)
        out["rss_after_findings_bytes"] = peak_rss()
        out["review_s"], bundle = timed(lambda: write_bundle(work / "review", snapshot, graph, findings,
                                                             diagrams=True, context=context))
        out["review_files"] = len(bundle.files)
        out["review_warnings"] = bundle.warnings[:5]
        out["rss_after_review_bytes"] = peak_rss()
        saved = work / "graph.tgdb"
        out["save_s"], _ = timed(lambda: save_graph(graph, saved, snapshot=snapshot))
        out["saved_bytes"] = saved.stat().st_size
        if target:
            proc = subprocess.run([sys.executable, "-c", _LOAD_AND_ASK, str(saved), target],
                                  capture_output=True, text=True, check=True)
            load_s, ask_s, answers, rss = proc.stdout.split()
            out["saved_query"] = {"load_graph_s": float(load_s), "who_can_reach_s": float(ask_s),
                                  "answers": int(answers), "peak_rss_bytes": int(rss)}
            proc = subprocess.run([sys.executable, "-c", _LAZY_ASK, str(saved), target],
                                  capture_output=True, text=True, check=True)
            cpu_s, answers, rss = proc.stdout.split()
            out["lazy_query"] = {"cpu_s": float(cpu_s), "answers": int(answers), "peak_rss_bytes": int(rss)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def _principal_pairs(graph: Any, kinds: dict[str, Any]) -> int:
    """(user or role, role) pairs one assumption apart, directly or through an account hub (where trustgraph
    routes callers allowed sts:AssumeRole on every role): comparable with per-pair edge counts."""
    pairs = 0
    for node, kind in kinds.items():
        if kind not in ("user", "role"):
            continue
        reached: set[str] = set()
        for nxt, data in graph._succ[node].items():
            if data.get("kind") == "member":
                reached.update(r for r in graph._succ[nxt] if kinds[r] == "role")
            elif kinds[nxt] == "role":
                reached.add(nxt)
        reached.discard(node)
        pairs += len(reached)
    return pairs


CHILDREN.update({"floor": child_floor, "scale": child_scale})


def _current_rss(pid: int) -> int:
    """Resident set size of a running process in bytes (Linux /proc; 0 elsewhere: no RSS budget there)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def run_budgeted(mode: str, spec: dict[str, Any], budget_s: float, budget_rss: int | None) -> dict[str, Any]:
    """run_child under a budget: killed when its wall time or its RSS (polled) goes over. A killed child
    comes back as {"error": "not finished …", "not_finished": True}."""
    with tempfile.NamedTemporaryFile(prefix=f"bench-{mode}-", suffix=".out", delete=False) as fh:
        result_path = Path(fh.name)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--child-spec", json.dumps(spec),
           "--child-out", str(result_path)]
    started = time.perf_counter()
    reason, rss_seen = None, 0
    try:
        with tempfile.TemporaryFile("w+") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=log, text=True)
            while True:
                try:
                    proc.wait(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    pass
                rss = _current_rss(proc.pid)
                rss_seen = max(rss_seen, rss)
                elapsed = time.perf_counter() - started
                if budget_rss and rss > budget_rss:
                    reason = (f"not finished within the {budget_rss / 2**30:g} GiB RSS budget "
                              f"({rss / 2**30:.2f} GiB after {elapsed:.0f} s)")
                elif elapsed > budget_s:
                    reason = f"not finished in {budget_s:g} s"
                if reason:
                    proc.kill()
                    proc.wait()
                    break
            wall = time.perf_counter() - started
            if reason:
                return {"error": reason, "not_finished": True, "wall_s": wall, "rss_seen_bytes": rss_seen}
            if proc.returncode != 0:
                log.seek(0)
                tail = log.read().strip().splitlines()[-15:]
                killed = " (killed by a signal: out of memory?)" if proc.returncode < 0 else ""
                return {"error": f"{mode} child exited with {proc.returncode}{killed}", "stderr_tail": tail,
                        "not_finished": proc.returncode < 0, "wall_s": wall}
            result = json.loads(result_path.read_text())
            result["wall_s"] = wall
            result["rss_seen_bytes"] = rss_seen
            return result
    finally:
        result_path.unlink(missing_ok=True)
        print(f"  {mode} child: {time.perf_counter() - started:.1f} s" + (f" ({reason})" if reason else ""),
              flush=True)


def ensure_wildcard(data_dir: Path, roles: int, users: int, patterns: int, seed: int,
                    wildcards: bool) -> dict[str, Any]:
    """generate_wildcard_account into its own directory, reused while its stamp matches."""
    gen = _generator()
    params = {"wildcard_account_roles": roles, "users": users, "patterns_per_principal": patterns, "seed": seed,
              "wildcards": wildcards,
              "generator_sha256": hashlib.sha256(Path(gen.__file__).read_bytes()).hexdigest()}
    outdir = data_dir / f"wildcard-{roles}r-{users}u-p{patterns}-s{seed}{'' if wildcards else '-exact'}"
    stamp = outdir / STAMP
    if stamp.is_file():
        try:
            saved = json.loads(stamp.read_text())
        except ValueError:
            saved = {}
        if saved.get("params") == params:
            return {**saved, "dir": str(outdir), "reused": True}  # the data may have moved with its checkout
    if outdir.exists():
        stamp.unlink(missing_ok=True)
        for path in outdir.glob("*.json"):
            path.unlink()
    one = gen.generate_wildcard_account(outdir, roles, users, patterns, seed=seed, wildcards=wildcards)
    info = {"params": params, "dir": str(outdir), "target_role_arn": one.target_role_arn, "roles": one.roles,
            "users": one.users, "grant_resources": one.grant_resources, "distinct_patterns": one.distinct_patterns,
            "bytes": one.bytes_written}
    stamp.write_text(json.dumps(info, indent=1) + "\n")
    return {**info, "reused": False}


def pmapper_table(peers_dir: Path) -> dict[str, dict[str, Any]]:
    """PMapper's measured times, read from the peers README at run time (file → row); {} if unreadable."""
    try:
        text = (peers_dir / "README.md").read_text(encoding="utf-8")
    except OSError:
        return {}

    def number(cell: str) -> float | None:
        cell = cell.replace(",", "").replace("MiB", "").strip()
        try:
            return float(cell)
        except ValueError:
            return None

    rows: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[0].startswith("authdetails_") and cells[0].endswith(".json"):
            rss = number(cells[5])
            rows[cells[0]] = {"principals": number(cells[1]), "graph_create_s": number(cells[2]),
                              "compute_s": number(cells[3]), "edges": number(cells[4]),
                              "peak_rss_bytes": rss * 2**20 if rss is not None else None}
    return rows


def _peer_files(peers_dir: Path) -> list[Path]:
    def size(path: Path) -> int:
        digits = "".join(ch for ch in path.stem.rsplit("_", 1)[-1] if ch.isdigit())
        return int(digits) if digits else 0

    return sorted(peers_dir.glob(PEER_FILE), key=lambda p: (size(p), p.name))


SCALE_METRICS = {  # label -> dotted path in a point record
    "load+build": "build.load_build_s",
    "end-to-end": "build.end_to_end_s",
    "build_graph": "build.build_graph_s",
    "peak RSS": "build.peak_rss_bytes",
    "RSS above start": "build.rss_above_start_bytes",
    "json floor": "floor.floor_s",
    "memory floor above start": "floor.floor_rss_above_start_bytes",
    "edges": "build.edges",
}


def series_growth(points: list[dict[str, Any]], metrics: dict[str, str] | None = None,
                  require: str = "build.load_build_s") -> list[dict[str, Any]]:
    """Log-log slopes between consecutive finished points (those with `require`) and from the first to the
    last one."""
    metrics = metrics or SCALE_METRICS
    done = [p for p in points if isinstance(dig(p, require), (int, float)) and p.get("x")]
    pairs = list(zip(done, done[1:], strict=False))
    if len(done) > 2:
        pairs.append((done[0], done[-1]))
    out = []
    for a, b in pairs:
        ratio = b["x"] / a["x"]
        out.append({"from": a["label"], "to": b["label"], "x_ratio": round(ratio, 3),
                    "whole_series": (a, b) == (done[0], done[-1]) and len(done) > 2,
                    "exponents": {k: _round(exponent(dig(a, v), dig(b, v), ratio), 3) for k, v in metrics.items()}})
    return out


def measure_points(points: list[dict[str, Any]], args: argparse.Namespace, queries: Callable[[dict[str, Any]],
                   dict[str, Any]]) -> list[dict[str, Any]]:
    """Measure each point (in order, smallest first); after one does not finish, skip the larger ones of the
    same variant. A point carries label, x, variant and prepare() -> data info with "dir" or "input"."""
    budget_rss = int(args.budget_rss_gb * 2**30) if args.budget_rss_gb else None
    stopped: dict[str, str] = {}
    records = []
    for point in points:
        prepare = point.pop("prepare")
        record = dict(point)
        variant = point.get("variant", "")
        if variant in stopped:
            record["skipped"] = stopped[variant]
            print(f"{point['label']}: skipped ({stopped[variant]})", flush=True)
            records.append(record)
            continue
        info = prepare()
        record["data"] = info
        target = info.get("input") or info["dir"]
        print(f"{point['label']}{' (' + variant + ')' if variant else ''}: {target}", flush=True)
        spec = {"input": target, "repeats": args.repeats, "floor_repeats": args.floor_repeats, **queries(info)}
        runs = [run_budgeted("scale", spec, args.budget_s, budget_rss)]
        while len(runs) < point.get("repeats", 1) and "error" not in runs[-1]:
            runs.append(run_budgeted("scale", spec, args.budget_s, budget_rss))
        # Each run in a fresh interpreter: the fastest one is kept (the others only add the machine's noise).
        record["build"] = min(runs, key=lambda r: r.get("load_build_s", math.inf))
        if len(runs) > 1:
            record["build"]["load_build_runs_s"] = [r.get("load_build_s") for r in runs]
        if "error" in record["build"]:
            stopped[variant] = f"{point['label']}: {record['build']['error']}"
        record["floor"] = run_budgeted("floor", spec, args.budget_s, budget_rss)
        if record.get("x_from_result") and "error" not in record["build"]:
            record["x"] = record["build"]["roles"] + record["build"]["users"]
        records.append(record)
    return records


def run_scale_series(name: str, args: argparse.Namespace, machine: dict[str, Any]) -> dict[str, Any] | None:
    result: dict[str, Any] = {"benchmark": f"trustgraph series {name}", "machine": machine,
                              "source": source_info(), "parameters": {
                                  "repeats": args.repeats, "floor_repeats": args.floor_repeats,
                                  "budget_s": args.budget_s, "budget_rss_gb": args.budget_rss_gb, "seed": args.seed,
                                  "point_repeats": 1 if name in ("org-wide", "identity-center")
                                  else args.point_repeats}}
    if name == "org-wide":
        sizes = args.org_wide_sizes
        result["parameters"].update({"sizes": sizes, "roles_per_account": args.roles_per_account,
                                     "users_per_account": args.users_per_account, "style": "org-wide"})
        points = [{"label": f"{n:,} accounts", "x": n, "accounts": n,
                   "prepare": lambda n=n: ensure_data(args.data_dir, n, args.roles_per_account,
                                                      args.users_per_account, args.seed, style="org-wide")}
                  for n in sizes]
        result["points"] = measure_points(points, args, lambda info: {
            "who_can_reach": [info["perimeter_role_arn"], info["pipeline_target_arn"]],
            "reach": [info["ci_principal_arn"]], "commands": not args.no_commands})
        result["growth"] = series_growth(result["points"])
    elif name == "wildcard":
        sizes = args.wildcard_sizes
        result["parameters"].update({"roles": sizes, "users": "roles / 4",
                                     "patterns_per_principal": args.wildcard_patterns})
        points = []
        for n in sizes:
            for wildcards in (True, False):
                points.append({
                    "label": f"{n:,} roles", "x": n, "roles": n, "repeats": args.point_repeats,
                    "variant": "wildcard grants" if wildcards else "same grants as exact ARNs",
                    "prepare": lambda n=n, w=wildcards: ensure_wildcard(args.data_dir, n, n // 4,
                                                                        args.wildcard_patterns, args.seed, w)})
        result["points"] = measure_points(points, args, lambda info: {"who_can_reach": [info["target_role_arn"]]})
        result["growth"] = {v: series_growth([p for p in result["points"] if p["variant"] == v])
                            for v in ("wildcard grants", "same grants as exact ARNs")}
    elif name == "identity-center":
        # The same organization twice: generate_org's default style, then with --identity-center (whose
        # AWSReservedSSO_* roles come from the assignments, within the same role count per account).
        sizes = args.identity_center_sizes
        result["parameters"].update({"sizes": sizes, "roles_per_account": args.roles_per_account,
                                     "users_per_account": args.users_per_account,
                                     "identity_center": args.identity_center})
        points = []
        for n in sizes:
            for variant, spec in zip(IDC_VARIANTS, (None, idc_at(args.identity_center, n)), strict=True):
                points.append({
                    "label": f"{n:,} accounts", "x": n, "accounts": n, "variant": variant,
                    "prepare": lambda n=n, spec=spec: ensure_data(args.data_dir, n, args.roles_per_account,
                                                                  args.users_per_account, args.seed,
                                                                  identity_center=spec)})
        result["points"] = measure_points(points, args, lambda info: {
            "who_can_reach": [info["sensitive_role_arn"]] + ([info["sso_admin_role_arn"]]
                                                             if info.get("sso_admin_role_arn") else []),
            "reach": [info["ci_principal_arn"]]})
        result["growth"] = {v: series_growth([p for p in result["points"] if p["variant"] == v])
                            for v in IDC_VARIANTS}
    elif name == "peers":
        peers_dir = args.peers_dir
        files = _peer_files(peers_dir) if peers_dir.is_dir() else []
        if not files:
            print(f"peers: no {PEER_FILE} in {peers_dir}; series skipped (--peers-dir points elsewhere)")
            return None
        pm = pmapper_table(peers_dir)
        result["parameters"].update({"peers_dir": str(peers_dir.resolve()), "files": [p.name for p in files]})
        points = [{"label": p.name, "file": p.name, "x_from_result": True, "pmapper": pm.get(p.name),
                   "repeats": args.point_repeats,
                   "prepare": lambda p=p: {"input": str(p.resolve()), "bytes": p.stat().st_size}}
                  for p in files]
        result["points"] = measure_points(points, args, lambda info: {"who_can_reach_busiest": True, "pairs": True})
        result["growth"] = series_growth(result["points"])
        pm_points = [{"label": p["label"], "x": p["pmapper"]["principals"], "pmapper": p["pmapper"]}
                     for p in result["points"] if p.get("pmapper")]
        result["pmapper_growth"] = series_growth(pm_points, {
            "graph create": "pmapper.graph_create_s", "compute only": "pmapper.compute_s",
            "peak RSS": "pmapper.peak_rss_bytes", "edges": "pmapper.edges"}, require="pmapper.compute_s")
    else:
        raise ValueError(name)
    if args.profile:
        done = [p for p in result["points"] if "error" not in p.get("build", {"error": 1})
                and p.get("variant", "wildcard grants") == "wildcard grants"]
        if done:
            last = done[-1]
            target = last["data"].get("input") or last["data"]["dir"]
            size = last["label"].split()[0].replace(",", "").removesuffix(".json")
            path = args.json.parent / f"profile-{name}-{size}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            print(f"profiling load_inputs + build_graph at {last['label']} ...", flush=True)
            budget_rss = int(args.budget_rss_gb * 2**30) if args.budget_rss_gb else None
            result["profile"] = run_budgeted("profile", {
                "label": f"{name} {last['label']}", "data_dir": target, "profile_path": str(path),
                "profile_top": args.profile_top}, 3 * args.budget_s, budget_rss)
    result["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return result


# ---------------------------------------------------------------------------------- series printing


def _ratio(a: Any, b: Any) -> str:
    return f"{a / b:.1f}×" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else "–"


def _exp_table(growth_rows: list[dict[str, Any]], labels: Sequence[str]) -> list[str]:
    if not growth_rows:
        return ["(growth exponents need two finished points)"]
    lines = ["| between | x ratio | " + " | ".join(labels) + " |", "|---|---:|" + "---:|" * len(labels)]
    for g in growth_rows:
        between = f"{g['from']} → {g['to']}" + (" (whole series)" if g.get("whole_series") else "")
        lines.append(f"| {between} | {g['x_ratio']:g} | "
                     + " | ".join(_num(g["exponents"].get(k)) for k in labels) + " |")
    return lines


def _mem(build: dict[str, Any]) -> str:
    return f"{_mb(build.get('peak_rss_bytes'))} ({_mb(build.get('rss_above_start_bytes'))})"


def _mem_floor(floor: dict[str, Any]) -> str:
    return f"{_mb(floor.get('floor_peak_rss_bytes'))} ({_mb(floor.get('floor_rss_above_start_bytes'))})"


def _not_done(p: dict[str, Any]) -> str | None:
    if "skipped" in p:
        return f"skipped ({p['skipped']})"
    if "error" in p.get("build", {}):
        return p["build"]["error"]
    return None


def series_report(name: str, result: dict[str, Any]) -> str:
    lines = [f"### Series {name}", "", f"Machine: {machine_line(result['machine'])}; load average at end "
             f"{' / '.join(map(str, result['loadavg_at_end']))} (timings are noisy under load)",
             f"trustgraph {result['source']['trustgraph_version']} at {result['source']['commit']}"
             + (" (trustgraph/ has uncommitted changes)" if result["source"]["trustgraph_dirty"] else ""), ""]
    if result["parameters"].get("point_repeats", 1) > 1:
        lines += [f"Each point: the fastest of {result['parameters']['point_repeats']} runs, each in a fresh "
                  "interpreter (every run's time is in the JSON); json floor: best of at least "
                  f"{result['parameters']['floor_repeats']} runs and up to 2 s of them.", ""]
    points = result["points"]
    prints = {result["source"]["fingerprint"]} | {p["build"].get("fingerprint") for p in points if "build" in p}
    prints.discard(None)
    if len(prints) > 1:
        lines += ["WARNING: trustgraph/ changed during the run; points measured against different code.", ""]

    def q(p: dict[str, Any], i: int) -> str:
        try:
            query = p["build"]["queries"][i]
        except (KeyError, IndexError):
            return "–"
        return f"{_secs(query['first_s'])} / {_secs(query['median_s'])} ({query['answers']:,})"

    if name == "org-wide":
        lines += ["| accounts | roles | nodes / edges | json floor | load_inputs + build_graph | ÷ floor | "
                  "who_can_reach perimeter: first / median (reachers) | … pipeline target | "
                  "peak RSS (above start) | memory floor (above start) | ÷ memory floor |", "|" + "---:|" * 11]
        for p in points:
            b, f = p.get("build", {}), p.get("floor", {})
            missing = _not_done(p)
            if missing:
                lines.append(f"| {p['accounts']:,} | | | {_secs(f.get('floor_s'))} | {missing} | | | | | | |")
                continue
            lines.append(f"| {p['accounts']:,} | {b['roles']:,} | {b['nodes']:,} / {b['edges']:,} | "
                         f"{_secs(f.get('floor_s'))} | {_secs(b['load_build_s'])} | "
                         f"{_ratio(b['load_build_s'], f.get('floor_s'))} | {q(p, 0)} | {q(p, 1)} | "
                         f"{_mem(b)} | {_mem_floor(f)} | "
                         f"{_ratio(b['rss_above_start_bytes'], f.get('floor_rss_above_start_bytes'))} |")
        done = [p for p in points if not _not_done(p) and "findings_s" in p.get("build", {})]
        if done:
            lines += ["", "| accounts | findings (÷ build) | review with pictures (÷ build) | build -o: save, "
                      "size (÷ input JSON) | --graph: load + who_can_reach (÷ json floor), peak RSS | "
                      "peak RSS with findings + review |", "|---:|---:|---:|---:|---:|---:|"]
            for p in done:
                b, f, d = p["build"], p.get("floor", {}), p.get("data", {})
                sq = b.get("saved_query") or {}
                load_ask = (sq.get("load_graph_s") or 0) + (sq.get("who_can_reach_s") or 0)
                lines.append(
                    f"| {p['accounts']:,} | {_secs(b['findings_s'])} ({_ratio(b['findings_s'], b['build_graph_s'])})"
                    f" | {_secs(b['review_s'])} ({_ratio(b['review_s'], b['build_graph_s'])}) | "
                    f"{_secs(b['save_s'])}, {_mb(b['saved_bytes'])} ({_ratio(b['saved_bytes'], d.get('bytes'))}) | "
                    f"{_secs(load_ask)} ({_ratio(load_ask, f.get('floor_s'))}), {_mb(sq.get('peak_rss_bytes'))} | "
                    f"{_mb(b.get('peak_rss_with_commands_bytes'))} |")
        lines += ["", "Growth exponents (log-log slope; x = accounts):", ""]
        lines += _exp_table(result["growth"], ["load+build", "build_graph", "RSS above start", "json floor", "edges"])
    elif name == "wildcard":
        lines += ["| roles | grants | grant resources (distinct patterns) | edges | json floor | load_inputs | "
                  "build_graph | load + build | ÷ floor | who_can_reach: first / median (reachers) | "
                  "peak RSS (above start) | memory floor (above start) |", "|---:|---|" + "---:|" * 10]
        for p in points:
            b, f, d = p.get("build", {}), p.get("floor", {}), p.get("data", {})
            missing = _not_done(p)
            grants = f"{d.get('grant_resources', 0):,} ({d.get('distinct_patterns', 0):,})" if d else ""
            if missing:
                lines.append(f"| {p['roles']:,} | {p['variant']} | {grants} | | {_secs(f.get('floor_s'))} | "
                             f"{missing} | | | | | | |")
                continue
            lines.append(f"| {p['roles']:,} | {p['variant']} | {grants} | {b['edges']:,} | {_secs(f.get('floor_s'))} | "
                         f"{_secs(b['load_inputs_s'])} | {_secs(b['build_graph_s'])} | "
                         f"**{_secs(b['load_build_s'])}** | {_ratio(b['load_build_s'], f.get('floor_s'))} | "
                         f"{q(p, 0)} | {_mem(b)} | {_mem_floor(f)} |")
        for variant, rows in result["growth"].items():
            lines += ["", f"Growth exponents, {variant} (x = roles):", ""]
            lines += _exp_table(rows, ["load+build", "build_graph", "RSS above start", "json floor", "edges"])
    elif name == "identity-center":
        lines += [f"Identity Center (users, groups, permission sets, assignments): "
                  f"{result['parameters']['identity_center']}", "",
                  "| accounts | variant | input files (rejected) | roles | nodes / edges | json floor | load_inputs | "
                  "build_graph | load + build | ÷ floor | who_can_reach sensitive: first / median (reachers) | "
                  "peak RSS (above start) |", "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for p in points:
            b, f = p.get("build", {}), p.get("floor", {})
            missing = _not_done(p)
            if missing:
                lines.append(f"| {p['accounts']:,} | {p['variant']} | | | | {_secs(f.get('floor_s'))} | {missing} "
                             "| | | | | |")
                continue
            report = b.get("load_report", {})
            lines.append(f"| {p['accounts']:,} | {p['variant']} | {report.get('files_read', 0):,} "
                         f"({report.get('files_rejected', 0)}) | {b['roles']:,} | {b['nodes']:,} / {b['edges']:,} | "
                         f"{_secs(f.get('floor_s'))} | {_secs(b['load_inputs_s'])} | {_secs(b['build_graph_s'])} | "
                         f"**{_secs(b['load_build_s'])}** | {_ratio(b['load_build_s'], f.get('floor_s'))} | "
                         f"{q(p, 0)} | {_mem(b)} |")
        for variant, rows in result["growth"].items():
            lines += ["", f"Growth exponents, {variant} (x = accounts):", ""]
            lines += _exp_table(rows, ["load+build", "build_graph", "RSS above start", "json floor", "edges"])
    elif name == "peers":
        lines += ["| file | principals | edges: all / principal→role pairs (PMapper) | json floor | "
                  "trustgraph load + build + who_can_reach | ÷ floor | peak RSS (memory floor) | "
                  "PMapper compute only / graph create | speed-up vs compute / create | PMapper peak RSS |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for p in points:
            b, f, pm = p.get("build", {}), p.get("floor", {}), p.get("pmapper") or {}
            pm_edges = f"{int(pm['edges']):,}" if pm.get("edges") else "–"
            pm_times = f"{_secs(pm.get('compute_s'))} / {_secs(pm.get('graph_create_s'))}"
            missing = _not_done(p)
            if missing:
                lines.append(f"| {p['file']} | | ({pm_edges}) | {_secs(f.get('floor_s'))} | {missing} | | | "
                             f"{pm_times} | | {_mb(pm.get('peak_rss_bytes'))} |")
                continue
            e2e = b["end_to_end_s"]
            lines.append(f"| {p['file']} | {b['roles'] + b['users']:,} | {b['edges']:,} / {b['principal_pairs']:,} "
                         f"({pm_edges}) | {_secs(f.get('floor_s'))} | **{_secs(e2e)}** | "
                         f"{_ratio(e2e, f.get('floor_s'))} | {_mem(b)} ({_mem_floor(f)}) | {pm_times} | "
                         f"{_ratio(pm.get('compute_s'), e2e)} / {_ratio(pm.get('graph_create_s'), e2e)} | "
                         f"{_mb(pm.get('peak_rss_bytes'))} |")
        lines += ["", "PMapper's times come from the peers README and were measured on another 2-vCPU machine "
                  "(graph create includes reading the account from a local moto server): the speed-ups are "
                  "indicative only. Growth exponents are ratios within one machine and compare safely.", "",
                  "Growth exponents, trustgraph (x = principals):", ""]
        lines += _exp_table(result["growth"], ["end-to-end", "load+build", "peak RSS", "RSS above start",
                                               "json floor", "edges"])
        lines += ["", "Growth exponents, PMapper (x = principals, from its table):", ""]
        lines += _exp_table(result.get("pmapper_growth") or [], ["compute only", "graph create", "peak RSS", "edges"])
    prof = result.get("profile")
    if prof and "by_tottime" in prof:
        lines += ["", f"Profile ({prof['profile_path']}), top 10 by tottime:", "```"]
        lines += [f"{r['tottime_s']:8.2f} s self {r['cumtime_s']:8.2f} s cum {r['ncalls']:>10,}  {r['function']}"
                  for r in prof["by_tottime"][:10]]
        lines.append("```")
    elif prof:
        lines += ["", f"Profile: {prof.get('error')}"]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ main


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--sizes: {exc}") from exc
    if not sizes or sizes[0] < 4:
        raise argparse.ArgumentTypeError("--sizes: each size must be >= 4 accounts")
    return sizes


def parse_role_counts(text: str) -> list[int]:
    try:
        sizes = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    if not sizes or sizes[0] < 10:
        raise argparse.ArgumentTypeError("each role count must be >= 10")
    return sizes


def parse_identity_center(text: str) -> str:
    try:
        return str(_generator().IdentityCenterSpec.parse(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--identity-center: {exc}") from exc


def parse_series(text: str) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    if names == ["all"]:
        return list(SERIES)
    unknown = sorted(set(names) - set(SERIES))
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"--series: unknown {unknown}; choose from {', '.join(SERIES)} or all")
    return [n for n in SERIES if n in names]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("10,100,1000"),
                        help="comma-separated account counts (default 10,100,1000)")
    parser.add_argument("--roles-per-account", type=int, default=100)
    parser.add_argument("--users-per-account", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, default=HERE / "data",
                        help="where generated organizations are kept and reused (default benchmarks/data)")
    parser.add_argument("--json", type=Path, default=RESULTS / "benchmark.json", help="JSON results file")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile load_inputs + build_graph at the largest size "
                             "(profile-<N>.txt beside the JSON file)")
    parser.add_argument("--profile-top", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=5, help="query repetitions (median reported; default 5)")
    parser.add_argument("--floor-repeats", type=int, default=3, help="json floor repetitions (best reported)")
    parser.add_argument("--render-format", default="svg", help="account-view output format (default svg)")
    parser.add_argument("--render-timeout", type=float, default=300.0,
                        help="seconds allowed for the account-view render per size (default 300)")
    parser.add_argument("--no-render", action="store_true", help="skip the account-view render")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per child process (default 3600)")
    more = parser.add_argument_group("series org-wide, peers, wildcard, identity-center")
    more.add_argument("--series", type=parse_series, default=["org"],
                      help="comma-separated series: org (the default: --sizes above, table and targets), "
                           "org-wide (org-wide pattern trusts, --org-wide-sizes), peers (single accounts of "
                           "--peers-dir beside PMapper's times), wildcard (one account with wildcard grants, "
                           "--wildcard-sizes), identity-center (the org at --identity-center-sizes without and "
                           "with --identity-center), or all")
    more.add_argument("--org-wide-sizes", type=parse_sizes, default=parse_sizes(DEFAULT_ORG_WIDE_SIZES),
                      help=f"accounts of the org-wide series (default {DEFAULT_ORG_WIDE_SIZES})")
    more.add_argument("--wildcard-sizes", type=parse_role_counts, default=parse_role_counts(DEFAULT_WILDCARD_SIZES),
                      help=f"roles of the wildcard series, users = roles / 4 (default {DEFAULT_WILDCARD_SIZES})")
    more.add_argument("--wildcard-patterns", type=int, default=6, help="grant patterns per principal (default 6)")
    more.add_argument("--identity-center-sizes", type=parse_sizes, default=parse_sizes(DEFAULT_IDC_SIZES),
                      help=f"accounts of the identity-center series (default {DEFAULT_IDC_SIZES})")
    more.add_argument("--identity-center", type=parse_identity_center, default=DEFAULT_IDC,
                      metavar="USERS,GROUPS,PERMISSION_SETS,ASSIGNMENTS",
                      help=f"the identity-center series' directory at {IDC_SCALE_AT:,} accounts, scaled with the "
                           f"accounts but for the permission sets (default {DEFAULT_IDC})")
    more.add_argument("--peers-dir", type=Path, default=REPO.parent / "shared" / "peers",
                      help="authdetails_N.json files and PMapper's README (default ../shared/peers beside the repo)")
    more.add_argument("--point-repeats", type=int, default=3,
                      help="peers and wildcard: fresh-interpreter runs per point, the fastest kept (default 3)")
    more.add_argument("--budget-s", type=float, default=900.0,
                      help="seconds per child; a point over it is recorded as not finished and the larger ones "
                           "are skipped (default 900)")
    more.add_argument("--budget-rss-gb", type=float, default=8.0,
                      help="GiB of RSS per child, polled, same treatment (default 8; 0: none)")
    more.add_argument("--no-commands", action="store_true",
                      help="org-wide: skip findings, review with pictures, build -o and the --graph query")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--child-spec", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        result = {"fingerprint": code_fingerprint(), **CHILDREN[args.child](json.loads(args.child_spec))}
        Path(args.child_out).write_text(json.dumps(result))
        return 0

    machine = machine_info()
    print(f"Machine: {machine_line(machine)}", flush=True)
    if "org" in args.series:
        run_org(args, machine)
    for name in args.series:
        if name == "org":
            continue
        print(f"\n== series {name} ==", flush=True)
        result = run_scale_series(name, args, machine)
        if result is None:
            continue
        text = series_report(name, result)
        print()
        print(text)
        path = args.json.parent / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=1) + "\n")
        (args.json.parent / f"{name}.md").write_text(text + "\n")
        print(f"\nJSON: {path}")
    return 0


def run_org(args: argparse.Namespace, machine: dict[str, Any]) -> None:
    """The default series: load/build/query/render/save/load at --sizes accounts, with targets."""
    result: dict[str, Any] = {
        "benchmark": "trustgraph load/build/query", "machine": machine, "source": source_info(),
        "parameters": {"sizes": args.sizes, "roles_per_account": args.roles_per_account,
                       "users_per_account": args.users_per_account, "seed": args.seed,
                       "repeats": args.repeats, "floor_repeats": args.floor_repeats,
                       "render_format": None if args.no_render else args.render_format,
                       "render_timeout_s": args.render_timeout},
        "sizes": [],
    }
    data = {n: ensure_data(args.data_dir, n, args.roles_per_account, args.users_per_account, args.seed)
            for n in args.sizes}
    with tempfile.TemporaryDirectory(prefix="trustgraph-bench-") as tmp:
        for n in args.sizes:
            info = data[n]
            work = Path(tmp) / str(n)
            work.mkdir()
            spec = {"accounts": n, "data_dir": info["dir"], "work_dir": str(work), "repeats": args.repeats,
                    "floor_repeats": args.floor_repeats,
                    "render_format": None if args.no_render else args.render_format,
                    "render_timeout": args.render_timeout,
                    "sensitive_role_arn": info["sensitive_role_arn"], "ci_principal_arn": info["ci_principal_arn"]}
            print(f"{n:,} accounts ({info['roles']:,} roles, {info['users']:,} users, "
                  f"{info['bytes'] / 1e6:.1f} MB{', reused' if info['reused'] else ''}):", flush=True)
            record: dict[str, Any] = {"accounts": n, "data": info}
            record["build"] = run_child("build", spec, args.timeout)
            if "error" not in record["build"]:
                record["load"] = run_child("load", spec, args.timeout)
            result["sizes"].append(record)
        shutil.rmtree(tmp, ignore_errors=True)

    if args.profile:
        n = args.sizes[-1]
        path = args.json.parent / f"profile-{n}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"profiling load_inputs + build_graph at {n:,} accounts ...", flush=True)
        result["profile"] = run_child("profile", {"accounts": n, "data_dir": data[n]["dir"],
                                                  "profile_path": str(path), "profile_top": args.profile_top},
                                      args.timeout)

    result["growth"] = growth(result["sizes"])
    result["targets"] = targets(result["sizes"], result["growth"])
    result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print()
    print(report_text(result))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nJSON: {args.json}")


if __name__ == "__main__":
    sys.exit(main())
