#!/usr/bin/env python3
"""Every command over every hostile input, each run in its own process with a time and a memory limit (issue 28).

    python benchmarks/hostile_run.py [--corpus ../shared/corpus] [--only corpus,hostile,generated] [--jobs 2]
                                     [--timeout 60] [--memory-mb 2048] [--limit N]
                                     [--json docs/hostile-run.json] [--markdown docs/hostile-run.md]

Inputs, each one case:

- **corpus**: every file of the shared external corpus (`../shared/corpus`, read only, never copied; when it is
  absent the script says so and goes on without it), except its INDEX.md and PROVENANCE.md; its known-accounts
  list is given as `--known-accounts` to `findings` and `review`;
- **hostile**: the hostile files of `tests/hostile/` (`*.json`);
- **generated**: inputs the script writes for the causes of issue 28 that are files (a truncated, an empty, a
  wrapped plan and one whose `resource_changes` is an object; a CloudFormation alias bomb and an `!If` chain over
  aliases; a backtracking-glob condition; a document past its quota; a statement of 2,500 principals; an export
  cut off mid-write).

Commands, per case, in this order (`-q`, `--role-arn`, `--account-id` on each): `export --format opengraph`,
`build -o`, `who-can-reach ROLE -o .svg` (ROLE: the first role of the export, else the `--role-arn` one),
`findings --fail-on high --format sarif -o`, `map -o .svg`, `review -o`, and `diff --fail-on high --json`: of
the input against itself, or for a Terraform plan `diff --plan PLAN samples/acme`.

Each run is a child process forked from this one (trustgraph already imported, so a run costs its work, not an
interpreter start) with `RLIMIT_AS` at `--memory-mb` and killed after `--timeout` seconds. Recorded per run: the
exit code (or the signal that ended it), whether stderr holds a Python traceback or the CLI's catch-all line
("run with --debug for the traceback": an error nobody foresaw), whether it timed out, and, for a gated command
(`--fail-on`), whether it exited 0 although it printed an error (a gate passing on an error). A summary table goes
to the Markdown file, the same counts and every run that went wrong to the JSON file (`--all-runs`: every run);
the exit code is 1 when any run had a traceback, a catch-all
line, a timeout, a kill or a gate passing on an error.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trustgraph.cli.app import main as cli_main  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
HOSTILE = ROOT / "tests" / "hostile"
ACME = ROOT / "samples" / "acme"
PLAN = ROOT / "samples" / "terraform" / "acme-staging-plan.json"
ACCOUNT = "111122223333"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/CorpusRole"
CATCH_ALL = "run with --debug for the traceback"
SKIPPED_CORPUS_FILES = {"INDEX.md", "PROVENANCE.md"}
KNOWN_ACCOUNTS = "known_aws_accounts/accounts.yaml"
STDERR_READ = 200_000

# Modules every command needs, imported once here rather than in each child.
PRELOAD = ("trustgraph.cli.build_cmd", "trustgraph.cli.findings_cmd", "trustgraph.cli.map_cmd",
           "trustgraph.cli.review_cmd", "trustgraph.cli.diff_cmd", "trustgraph.cli.export_cmd",
           "trustgraph.cli.who_can_reach_cmd")


@dataclass
class Case:
    name: str  # corpus/…, hostile/…, generated/…
    source: str  # corpus | hostile | generated
    path: Path
    known_accounts: Path | None = None

    @property
    def is_plan(self) -> bool:
        return self.path.suffix == ".json" and (b'"resource_changes"' in _head(self.path) or "plan" in self.path.name)


@dataclass
class Run:
    case: str
    source: str
    command: str
    argv: list[str]
    exit_code: int | None = None
    signal: str | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    max_rss_mb: float = 0.0
    traceback: bool = False
    catch_all: bool = False
    timed_out: bool = False
    gated: bool = False
    error_seen: bool = False
    gate_exit_0_on_error: bool = False
    stderr_tail: str = ""

    @property
    def bad(self) -> bool:
        return self.traceback or self.catch_all or self.timed_out or self.signal is not None \
            or self.gate_exit_0_on_error


def _head(path: Path, size: int = 65_536) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(size)
    except OSError:
        return b""


# -- cases ---------------------------------------------------------------------------------------------------------


def corpus_cases(corpus: Path) -> list[Case]:
    known = corpus / KNOWN_ACCOUNTS
    out = []
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        rel = path.relative_to(corpus).as_posix()
        if path.name in SKIPPED_CORPUS_FILES or rel == KNOWN_ACCOUNTS:
            continue
        out.append(Case(f"corpus/{rel}", "corpus", path, known if known.is_file() else None))
    return out


def hostile_cases() -> list[Case]:
    return [Case(f"hostile/{p.name}", "hostile", p) for p in sorted(HOSTILE.glob("*.json"))]


def _gaad(roles: list[dict[str, Any]]) -> dict[str, Any]:
    return {"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": roles}


def _role(name: str, trust: dict[str, Any], path: str = "/") -> dict[str, Any]:
    return {"RoleName": name, "Path": path, "Arn": f"arn:aws:iam::{ACCOUNT}:role{path}{name}",
            "RoleId": f"AROA{abs(hash(name)) % 10**16:016d}", "AssumeRolePolicyDocument": trust,
            "RolePolicyList": [], "AttachedManagedPolicies": [], "Tags": []}


def _trust(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


CFN_ROLE = """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Env, prod]
{extra}Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: Generated
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{AWS: "arn:aws:iam::{account}:root"}}
            Action: sts:AssumeRole
{statements}"""


def generated_inputs() -> Iterator[tuple[str, str | bytes]]:
    """(file name, content) of each generated case."""
    plan = PLAN.read_text(encoding="utf-8")
    yield "plan-truncated.json", plan[: len(plan) // 2]
    yield "plan-empty.json", ""
    value = json.loads(plan)
    value["resource_changes"] = {"first": value["resource_changes"][0]}
    yield "plan-resource-changes-object.json", json.dumps(value)
    yield "plan-with-wrapper-line.json", ("[command]/home/runner/work/_temp/x/terraform-bin show -json tfplan\n"
                                         + plan + "\n::debug::Terraform exited with code 0.\n")
    bomb = ["Bomb:", '  l0: &l0 ["lol"]'] + [
        f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    yield "cfn-alias-bomb.yaml", CFN_ROLE.format(extra="\n".join(bomb) + "\n", account=ACCOUNT, statements="")
    chain = ["Chain:", '  c0: &c0 "arn:aws:iam::444455556666:root"'] + [
        f"  c{i}: &c{i} !If [IsProd, *c{i - 1}, *c{i - 1}]" for i in range(1, 41)]
    yield "cfn-if-chain.yaml", CFN_ROLE.format(
        extra="\n".join(chain) + "\n", account=ACCOUNT,
        statements="          - {Effect: Allow, Principal: {AWS: *c40}, Action: sts:AssumeRole}\n")
    starry = f"arn:aws:iam::{ACCOUNT}:role/" + "*a" * 8 + "*b"
    long_path = "/" + "/".join(["a" * 60] * 8) + "/"
    yield "gaad-backtracking-glob.json", json.dumps(_gaad([
        _role("a" * 60, _trust(f"arn:aws:iam::{ACCOUNT}:root"), long_path),
        _role("Target", _trust(f"arn:aws:iam::{ACCOUNT}:root", {"ArnLike": {"aws:PrincipalArn": starry}}))]))
    padded = _trust(f"arn:aws:iam::{ACCOUNT}:root",
                    {"StringEquals": {"sts:ExternalId": [f"v{i:07d}" for i in range(5_000)]}})
    yield "gaad-past-quota.json", json.dumps(_gaad([_role("Huge", padded), _role("Small", _trust("111111111111"))]))
    crowd = [f"{200000000000 + i:012d}" for i in range(2_500)]
    yield "gaad-crowded-statement.json", json.dumps(_gaad([_role("Crowded", _trust(crowd))]))
    yield "gaad-cut-off.json", json.dumps(_gaad([_role("Cut", _trust("111111111111"))]))[:150]


def generated_cases(folder: Path) -> list[Case]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, content in generated_inputs():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        out.append(Case(f"generated/{name}", "generated", path))
    return out


# -- commands ------------------------------------------------------------------------------------------------------


def first_role(opengraph: Path) -> str | None:
    """The first role ARN of an OpenGraph export (sorted), if it was written."""
    try:
        if opengraph.stat().st_size > 50_000_000:
            return None
        value = json.loads(opengraph.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ident, kinds = node.get("id"), node.get("kinds")
            if isinstance(ident, str) and ident.startswith("arn:") and ":role/" in ident and isinstance(kinds, list):
                found.append(ident)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(value)
    return min(found) if found else None


CommandFactory = Callable[[Case, Path], list[str]]


def _common(case: Case) -> list[str]:
    return ["-q", "--role-arn", ROLE_ARN, "--account-id", ACCOUNT]


def _known(case: Case) -> list[str]:
    return ["--known-accounts", str(case.known_accounts)] if case.known_accounts else []


def _diff(case: Case, out: Path) -> list[str]:
    if case.is_plan:
        return ["diff", "--plan", str(case.path), str(ACME), *_common(case), "--fail-on", "high", "--json"]
    return ["diff", str(case.path), str(case.path), *_common(case), "--fail-on", "high", "--json"]


COMMANDS: list[tuple[str, CommandFactory]] = [
    ("export", lambda c, o: ["export", "-i", str(c.path), *_common(c), "--format", "opengraph", "-o",
                             str(o / "opengraph.json")]),
    ("build", lambda c, o: ["build", "-i", str(c.path), *_common(c), "-o", str(o / "graph.tgdb")]),
    ("who-can-reach", lambda c, o: ["who-can-reach", first_role(o / "opengraph.json") or ROLE_ARN, "-i",
                                    str(c.path), *_common(c), "-o", str(o / "reachers.svg")]),
    ("findings", lambda c, o: ["findings", "-i", str(c.path), *_common(c), *_known(c), "--fail-on", "high",
                               "--format", "sarif", "-o", str(o / "findings.sarif")]),
    ("map", lambda c, o: ["map", "-i", str(c.path), *_common(c), "-o", str(o / "map.svg")]),
    ("review", lambda c, o: ["review", "-i", str(c.path), *_common(c), *_known(c), "-o", str(o / "review")]),
    ("diff", _diff),
]


# -- running -------------------------------------------------------------------------------------------------------


def _child(argv: list[str], out: Path, memory: int, timeout: float) -> None:
    """In the forked child: limits, output to files, the CLI, exit with its code. Never returns."""
    code = 70
    try:
        os.setpgid(0, 0)  # its own process group: a timeout kills Graphviz too
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = int(timeout * 2) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        for fd, name in ((1, "stdout.txt"), (2, "stderr.txt")):
            handle = os.open(out / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(handle, fd)
            os.close(handle)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        os.chdir(out)
        try:
            cli_main.main(args=argv, prog_name="trustgraph", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - whatever escaped the CLI is what this script looks for
        import traceback
        traceback.print_exc()
        code = 70
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


@dataclass
class _Slot:
    case: Case
    out: Path
    commands: Iterator[tuple[str, CommandFactory]]
    run: Run | None = None
    pid: int = 0
    started: float = 0.0
    runs: list[Run] = field(default_factory=list)


def _start(slot: _Slot, memory: int, timeout: float) -> bool:
    """Start the slot's next command; False when it has none left."""
    for name, factory in slot.commands:
        argv = factory(slot.case, slot.out)
        run_dir = slot.out / f"run-{name}"
        run_dir.mkdir(parents=True, exist_ok=True)
        slot.run = Run(slot.case.name, slot.case.source, name, argv,
                       gated=any(a.startswith("--fail-on") for a in argv))
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(argv, run_dir, memory, timeout)
        slot.pid, slot.started = pid, time.monotonic()
        return True
    return False


def _finish(slot: _Slot, status: int, usage: Any, timed_out: bool) -> None:
    run = slot.run
    assert run is not None
    run.seconds = round(time.monotonic() - slot.started, 3)
    run.cpu_seconds = round(usage.ru_utime + usage.ru_stime, 3) if usage is not None else 0.0
    run.max_rss_mb = round(usage.ru_maxrss / 1024, 1) if usage is not None else 0.0
    run.timed_out = timed_out
    if os.WIFSIGNALED(status):
        run.signal = signal.Signals(os.WTERMSIG(status)).name
    else:
        run.exit_code = os.WEXITSTATUS(status)
    err_path = slot.out / f"run-{run.command}" / "stderr.txt"
    try:
        with err_path.open("rb") as f:
            err = f.read(STDERR_READ).decode("utf-8", "replace")
    except OSError:
        err = ""
    run.traceback = "Traceback (most recent call last)" in err
    run.catch_all = CATCH_ALL in err
    run.error_seen = any(line.lower().startswith("error") for line in err.splitlines())
    run.gate_exit_0_on_error = run.gated and run.exit_code == 0 and run.error_seen
    run.stderr_tail = err.strip()[-400:]
    if timed_out:
        run.signal = None
    slot.runs.append(run)
    slot.run = None


def run_all(cases: list[Case], work: Path, jobs: int, timeout: float, memory_mb: int,
            progress: Callable[[Run], None] | None = None) -> list[Run]:
    memory = memory_mb * 1024 * 1024
    pending = list(reversed(cases))
    active: dict[int, _Slot] = {}
    done: list[Run] = []

    def fill() -> None:
        while len(active) < jobs and pending:
            case = pending.pop()
            out = work / f"case-{len(pending):05d}"
            slot = _Slot(case, out, iter(COMMANDS))
            if _start(slot, memory, timeout):
                active[slot.pid] = slot

    def ended(slot: _Slot, status: int, usage: Any, timed_out: bool) -> None:
        """Record the slot's run, and start its case's next command."""
        _finish(slot, status, usage, timed_out=timed_out)
        done.append(slot.runs[-1])
        if progress:
            progress(slot.runs[-1])
        if _start(slot, memory, timeout):
            active[slot.pid] = slot

    fill()
    while active:
        pid, status, usage = os.wait4(-1, os.WNOHANG)
        now = time.monotonic()
        if pid == 0:
            for other, slot in list(active.items()):
                if now - slot.started > timeout:
                    try:
                        os.killpg(other, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    _, status, usage = os.wait4(other, 0)
                    del active[other]
                    ended(slot, status, usage, timed_out=True)
            fill()
            time.sleep(0.02)
            continue
        if pid not in active:
            continue  # not one of ours (never: every child is started here)
        ended(active.pop(pid), status, usage, timed_out=False)
        fill()
    return done


# -- summary -------------------------------------------------------------------------------------------------------


def summary(runs: list[Run]) -> dict[str, Any]:
    def counts(selected: list[Run]) -> dict[str, int]:
        return {"runs": len(selected), "tracebacks": sum(r.traceback for r in selected),
                "catch_all": sum(r.catch_all for r in selected), "timeouts": sum(r.timed_out for r in selected),
                "killed": sum(r.signal is not None for r in selected),
                "gated": sum(r.gated for r in selected),
                "gate_exit_0_on_error": sum(r.gate_exit_0_on_error for r in selected),
                "exit_codes": dict(sorted(Counter(str(r.exit_code) for r in selected).items()))}  # type: ignore[dict-item]

    by_command = {name: counts([r for r in runs if r.command == name]) for name, _ in COMMANDS}
    by_source = {s: counts([r for r in runs if r.source == s]) for s in sorted({r.source for r in runs})}
    slowest = sorted(runs, key=lambda r: -r.seconds)[:10]
    return {"total": counts(runs), "by_command": by_command, "by_source": by_source,
            "cases": len({r.case for r in runs}),
            "slowest": [{"case": r.case, "command": r.command, "seconds": r.seconds, "cpu_seconds": r.cpu_seconds,
                         "max_rss_mb": r.max_rss_mb} for r in slowest],
            "bad": [asdict(r) for r in runs if r.bad]}


def markdown(doc: dict[str, Any]) -> str:
    head = ("| | runs | tracebacks | catch-all line | timeouts | killed | gated | gate exit 0 on error | exit codes |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---|\n")

    def row(name: str, c: dict[str, Any]) -> str:
        codes = ", ".join(f"{k}: {v}" for k, v in c["exit_codes"].items())
        return (f"| {name} | {c['runs']} | {c['tracebacks']} | {c['catch_all']} | {c['timeouts']} | {c['killed']} | "
                f"{c['gated']} | {c['gate_exit_0_on_error']} | {codes} |\n")

    s = doc["summary"]
    lines = ["# Hostile run\n\n",
             f"`python benchmarks/hostile_run.py` ({doc['when']}; {doc['cases']} cases, timeout {doc['timeout']} s, "
             f"memory {doc['memory_mb']} MB, {doc['jobs']} jobs; corpus: {doc['corpus']}). Each run is one command "
             "over one input in its own process; what each column counts is in the script's docstring.\n\n",
             "## By input\n\n", head, row("**all**", s["total"])]
    lines += [row(k, v) for k, v in s["by_source"].items()]
    lines += ["\n## By command\n\n", head]
    lines += [row(k, v) for k, v in s["by_command"].items()]
    lines += ["\n## Slowest runs\n\n| case | command | wall s | CPU s | max RSS MB |\n|---|---|---:|---:|---:|\n"]
    lines += [f"| {r['case']} | {r['command']} | {r['seconds']} | {r['cpu_seconds']} | {r['max_rss_mb']} |\n"
              for r in s["slowest"]]
    lines += ["\n## Runs with a traceback, a catch-all line, a timeout, a kill or a gate passing on an error\n\n"]
    if not s["bad"]:
        lines.append("None.\n")
    for r in s["bad"]:
        what = [k for k in ("traceback", "catch_all", "timed_out", "gate_exit_0_on_error") if r[k]]
        if r["signal"]:
            what.append(f"signal {r['signal']}")
        lines.append(f"- {r['case']} · {r['command']}: {', '.join(what)} (exit {r['exit_code']}): "
                     f"`{r['stderr_tail'][-200:].replace('`', chr(39))}`\n")
    return "".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", default="corpus,hostile,generated")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--memory-mb", type=int, default=2048)
    parser.add_argument("--limit", type=int, default=None, help="only the first N cases (a quick look)")
    parser.add_argument("--all-runs", action="store_true", help="every run in the JSON, not only the summary")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "hostile-run.json")
    parser.add_argument("--markdown", type=Path, default=ROOT / "docs" / "hostile-run.md")
    args = parser.parse_args(argv)
    chosen = set(args.only.split(","))
    for module in PRELOAD:
        __import__(module)
    with tempfile.TemporaryDirectory(prefix="hostile-run-") as tmp:
        work = Path(tmp)
        os.environ["TRUSTGRAPH_CACHE_DIR"] = str(work / "cache")
        cases: list[Case] = []
        corpus_note = "not used"
        if "corpus" in chosen:
            if args.corpus.is_dir():
                cases += corpus_cases(args.corpus)
                corpus_note = f"{args.corpus.name}/ ({sum(c.source == 'corpus' for c in cases)} files)"
            else:
                print(f"no corpus at {args.corpus}: skipped (the other inputs are run)", file=sys.stderr)
                corpus_note = "absent, skipped"
        if "hostile" in chosen:
            cases += hostile_cases()
        if "generated" in chosen:
            cases += generated_cases(work / "generated")
        if args.limit is not None:
            cases = cases[: args.limit]
        total = len(cases) * len(COMMANDS)
        seen = [0]

        def progress(run: Run) -> None:
            seen[0] += 1
            if run.bad or seen[0] % 50 == 0:
                flag = " BAD" if run.bad else ""
                print(f"[{seen[0]}/{total}] {run.case} {run.command} exit {run.exit_code} {run.seconds}s{flag}",
                      file=sys.stderr)

        started = time.monotonic()
        runs = run_all(cases, work / "runs", args.jobs, args.timeout, args.memory_mb, progress)
        elapsed = round(time.monotonic() - started, 1)
    runs.sort(key=lambda r: (r.case, [n for n, _ in COMMANDS].index(r.command)))
    doc = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cases": len(cases),
           "timeout": args.timeout, "memory_mb": args.memory_mb, "jobs": args.jobs, "corpus": corpus_note,
           "elapsed_seconds": elapsed, "summary": summary(runs)}
    rel = {str(ROOT): ".", str(args.corpus.resolve()): "corpus", str(args.corpus): "corpus", tmp: "$TMP"}

    def scrub(text: str) -> str:
        for old, new in rel.items():
            text = text.replace(old, new)
        return text

    doc_runs = [asdict(r) | {"argv": [scrub(a) for a in r.argv], "stderr_tail": scrub(r.stderr_tail)} for r in runs]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    if args.all_runs:
        doc["runs"] = doc_runs
    args.json.write_text(scrub(json.dumps(doc, indent=1)) + "\n", encoding="utf-8")
    args.markdown.write_text(scrub(markdown(doc)), encoding="utf-8")
    t = doc["summary"]["total"]
    print(f"{t['runs']} runs in {elapsed} s: {t['tracebacks']} tracebacks, {t['catch_all']} catch-all lines, "
          f"{t['timeouts']} timeouts, {t['killed']} killed, {t['gate_exit_0_on_error']} gates exiting 0 on an error")
    return 1 if doc["summary"]["bad"] else 0


if __name__ == "__main__":
    sys.exit(main())
