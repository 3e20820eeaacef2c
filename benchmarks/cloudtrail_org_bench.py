"""CloudTrail events of a generated organization, matched into its graph (docs/usage.md, benchmarks/README.md).

`generate_events` writes N events as an organization trail delivers them (gzipped `{"Records": [...]}` files of
1,000 records in `AWSLogs/o-ORG/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/`) for an organization `generate_org.py`
wrote: the role assumptions its trust policies admit (AssumeRole by roles, users and services, AssumeRoleWithSAML,
AssumeRoleWithWebIdentity), some hot and most rare, AccessDenied attempts from outside accounts, the role owner's
copy of each cross-account call (a duplicate in another account's folder) and other management events (coverage
only). The measurement runs each step in a fresh process so that its peak RSS is its own:

- `parse`: gzip + `json.loads` of every events file (the floor);
- `graph`: `load_inputs` + `build_graph` of the organization alone;
- `graph+events`: the same with the events (read, matched, folded, put on the graph).

Matching = (graph+events) - graph, in CPU time, against the parse floor; memory = peak RSS of graph+events against
the graph's.

    python benchmarks/cloudtrail_org_bench.py --accounts 100 --events 1000000 -o /tmp/ctorg    # generate + measure
    python benchmarks/cloudtrail_org_bench.py --accounts 100 --events 1000000 -o /tmp/ctorg --measure-only
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RECORDS_PER_FILE = 1000
REGIONS = ("us-east-1", "eu-west-1")
NOISE_SHARE = 0.4  # events that are not role assumptions
DENIED_SHARE = 0.02  # AccessDenied AssumeRole from accounts outside the organization
OUTSIDE = tuple(f"{900000000000 + i:012d}" for i in range(50))
DAYS = 30


@dataclass(frozen=True)
class Pair:
    """A role assumption the organization's trust admits: who, into which role, how."""

    kind: str  # role | user | root | service | saml | oidc
    caller: str  # ARN, service name or provider ARN
    caller_id: str  # unique id of a role or user caller
    role: str
    role_account: str

    @property
    def action(self) -> str:
        return {"saml": "AssumeRoleWithSAML", "oidc": "AssumeRoleWithWebIdentity"}.get(self.kind, "AssumeRole")


def _principals(statement: dict[str, Any]) -> Iterator[tuple[str, str]]:
    principal = statement.get("Principal")
    if not isinstance(principal, dict):
        return
    for key, values in principal.items():
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str):
                yield key, value


def trust_pairs(org_dir: Path) -> list[Pair]:
    """Every (caller, role) the generated accounts' trust policies name: roles, users, account roots (one of the
    account's roles stands for it), services, SAML and OIDC providers."""
    documents = [json.loads(p.read_text()) for p in sorted(org_dir.glob("[0-9]*.json"))]
    ids: dict[str, str] = {}
    first_role: dict[str, str] = {}
    for document in documents:
        for entry in [*document.get("RoleDetailList", []), *document.get("UserDetailList", [])]:
            arn = entry["Arn"]
            ids[arn] = entry.get("RoleId") or entry.get("UserId") or ""
            if "RoleId" in entry:
                first_role.setdefault(arn.split(":")[4], arn)
    pairs: list[Pair] = []
    for document in documents:
        for role in document.get("RoleDetailList", []):
            arn, account = role["Arn"], role["Arn"].split(":")[4]
            for statement in role["AssumeRolePolicyDocument"].get("Statement", []):
                if statement.get("Effect") != "Allow":
                    continue
                for key, value in _principals(statement):
                    if key == "Service":
                        pairs.append(Pair("service", value, "", arn, account))
                    elif key == "Federated":
                        kind = "saml" if ":saml-provider/" in value else "oidc"
                        pairs.append(Pair(kind, value, "", arn, account))
                    elif key == "AWS" and (value.isdigit() or value.startswith("arn:")):
                        caller_account = value if value.isdigit() else value.split(":")[4]
                        if value.isdigit() or value.endswith(":root"):
                            caller = first_role.get(caller_account)
                            if caller is not None:
                                pairs.append(Pair("role", caller, ids.get(caller, ""), arn, account))
                        elif ":role/" in value and value in ids:
                            pairs.append(Pair("role", value, ids[value], arn, account))
                        elif ":user/" in value and value in ids:
                            pairs.append(Pair("user", value, ids[value], arn, account))
    return pairs


def _identity(pair: Pair, rng: random.Random) -> dict[str, Any]:
    if pair.kind in ("role", "root"):
        account, name = pair.caller.split(":")[4], pair.caller.rsplit("/", 1)[-1]
        return {"type": "AssumedRole", "principalId": f"{pair.caller_id}:s{rng.randrange(100)}",
                "arn": f"arn:aws:sts::{account}:assumed-role/{name}/s", "accountId": account,
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": pair.caller_id,
                                                     "arn": pair.caller, "accountId": account, "userName": name}}}
    if pair.kind == "user":
        account = pair.caller.split(":")[4]
        return {"type": "IAMUser", "principalId": pair.caller_id, "arn": pair.caller, "accountId": account,
                "userName": pair.caller.rsplit("/", 1)[-1]}
    if pair.kind == "service":
        return {"type": "AWSService", "invokedBy": pair.caller}
    if pair.kind == "saml":
        return {"type": "SAMLUser", "principalId": f"x:person{rng.randrange(500)}@example.com",
                "userName": f"person{rng.randrange(500)}@example.com", "identityProvider": pair.caller}
    host = pair.caller.split("oidc-provider/", 1)[-1]
    return {"type": "WebIdentityUser", "principalId": f"{host}:repo:org/app{rng.randrange(50)}",
            "userName": f"repo:org/app{rng.randrange(50)}", "identityProvider": host}


def _event(n: int, stamp: str, recipient: str, region: str) -> dict[str, Any]:
    return {"eventVersion": "1.08", "eventTime": stamp, "awsRegion": region, "sourceIPAddress": "192.0.2.10",
            "userAgent": "aws-sdk-go/1.44", "recipientAccountId": recipient, "eventID": f"{n:032x}",
            "requestID": f"r{n:x}", "eventType": "AwsApiCall", "managementEvent": True, "readOnly": False}


class _Writer:
    """Records per (account, region, day), written 1,000 a file as a trail delivers them."""

    def __init__(self, out: Path, org_id: str) -> None:
        self.out, self.org_id, self.files = out, org_id, 0
        self.batches: dict[tuple[str, str, int], list[dict[str, Any]]] = {}

    def add(self, account: str, region: str, day: int, record: dict[str, Any]) -> None:
        batch = self.batches.setdefault((account, region, day), [])
        batch.append(record)
        if len(batch) == RECORDS_PER_FILE:
            self.flush(account, region, day)

    def flush(self, account: str, region: str, day: int) -> None:
        batch = self.batches.pop((account, region, day), [])
        if not batch:
            return
        where = self.out / "AWSLogs" / self.org_id / account / "CloudTrail" / region / "2026" / "11" / f"{day:02d}"
        where.mkdir(parents=True, exist_ok=True)
        name = f"{account}_CloudTrail_{region}_202611{day:02d}T0000Z_{self.files:08d}.json.gz"
        (where / name).write_bytes(gzip.compress(json.dumps({"Records": batch}).encode(), compresslevel=6))
        self.files += 1

    def close(self) -> None:
        for key in list(self.batches):
            self.flush(*key)


def generate_events(org_dir: Path, out: Path, events: int, seed: int = 7) -> dict[str, int]:
    """Write `events` records for the organization in `org_dir` into `out` (see the module's docstring)."""
    rng = random.Random(seed)
    pairs = trust_pairs(org_dir)
    org_id = json.loads((org_dir / "organization.json").read_text()).get("id") or "o-bench0000"
    writer = _Writer(out, org_id)
    accounts = sorted({p.role_account for p in pairs})
    # a few pairs carry most calls (pipelines, sign-ins every morning), most are rare: a Pareto draw of the index
    weights = [1.0 / (i + 1) ** 1.1 for i in range(len(pairs))]
    rng.shuffle(pairs)
    drawn = iter(rng.choices(pairs, weights=weights, k=events))
    counts = {"assume": 0, "duplicate": 0, "denied": 0, "noise": 0}
    n = 0
    current = 1
    while n < events:
        day = 1 + (n * DAYS) // events
        if day != current:  # a day's deliveries are complete: write them (memory holds one day of records)
            for key in [k for k in writer.batches if k[2] == current]:
                writer.flush(*key)
            current = day
        stamp = f"2026-11-{day:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"
        region = REGIONS[n % 7 == 0]
        roll = rng.random()
        if roll < NOISE_SHARE:
            account = accounts[n % len(accounts)]
            record = _event(n, stamp, account, region)
            record.update(eventSource="s3.amazonaws.com", eventName="PutBucketPolicy",
                          userIdentity={"type": "AssumedRole", "accountId": account,
                                        "arn": f"arn:aws:sts::{account}:assumed-role/Ops/s"},
                          requestParameters={"bucketName": f"b{n % 977}"})
            writer.add(account, region, day, record)
            counts["noise"] += 1
            n += 1
            continue
        pair = next(drawn)
        record = _event(n, stamp, pair.role_account, region)
        record.update(eventSource="sts.amazonaws.com", eventName=pair.action,
                      requestParameters={"roleArn": pair.role, "roleSessionName": "s"},
                      userIdentity=_identity(pair, rng))
        if roll < NOISE_SHARE + DENIED_SHARE:
            outside = OUTSIDE[n % len(OUTSIDE)]
            record.update(eventName="AssumeRole", errorCode="AccessDenied", errorMessage="not authorized",
                          userIdentity={"type": "AWSAccount", "accountId": outside, "principalId": "AROAOUTSIDE:s"})
            counts["denied"] += 1
        else:
            counts["assume"] += 1
        writer.add(pair.role_account, region, day, record)
        n += 1
        caller_account = pair.caller.split(":")[4] if pair.kind in ("role", "user") else ""
        if caller_account and caller_account != pair.role_account and n < events and "errorCode" not in record:
            # the caller's account records the same call: a second copy, in the caller's account's folder
            copy = dict(record, recipientAccountId=caller_account, eventID=f"{n:032x}")
            writer.add(caller_account, region, day, copy)
            counts["duplicate"] += 1
            n += 1
    writer.close()
    counts["files"] = writer.files
    counts["pairs"] = len(pairs)
    return counts


# --- measurement: each step in its own process ---------------------------------------------------------------


def _step(step: str, org_dir: Path, events_dir: Path) -> dict[str, Any]:
    from trustgraph import build_graph, load_inputs

    started = time.process_time()
    result: dict[str, Any] = {"step": step}
    if step == "parse":
        files = sorted(events_dir.rglob("*.json.gz"))
        records = 0
        for path in files:
            with gzip.open(path, "rt", encoding="utf-8-sig") as fh:
                records += len(json.loads(fh.read())["Records"])
        result["records"] = records
    else:
        inputs = [org_dir] if step == "graph" else [org_dir, events_dir]
        snapshot, _ = load_inputs(inputs)
        loaded = time.process_time()
        graph = build_graph(snapshot)
        result.update(load_cpu_s=round(loaded - started, 2), build_cpu_s=round(time.process_time() - loaded, 2),
                      nodes=graph.number_of_nodes(), edges=graph.number_of_edges())
        if snapshot.usage is not None:
            window = graph.graph.get("usage_window") or {}
            result.update(observations=len(snapshot.usage.observations), events=snapshot.usage.events,
                          used_edges=sum(1 for *_, d in graph.edges(data=True) if d.get("last_used")),
                          covered_accounts=len(window.get("accounts") or {}))
    result["cpu_s"] = round(time.process_time() - started, 2)
    result["max_rss_mib"] = _peak_rss_mib()
    return result


def _peak_rss_mib() -> int:
    """This process's peak RSS. VmHWM belongs to the address space exec made; ru_maxrss on Linux keeps the parent's
    high-water mark across fork + exec, so a child of a large parent would report the parent's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def measure(org_dir: Path, events_dir: Path, repeat: int) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {}
    for _ in range(repeat):
        for step in ("parse", "graph", "graph+events"):
            done = subprocess.run([sys.executable, __file__, "--step", step, "--org-dir", str(org_dir),
                                   "-o", str(events_dir)], capture_output=True, text=True, check=True,
                                  cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
            runs.setdefault(step, []).append(json.loads(done.stdout.strip().splitlines()[-1]))
    best = {step: min(results, key=lambda r: r["cpu_s"]) for step, results in runs.items()}
    parse, graph, both = best["parse"], best["graph"], best["graph+events"]
    matching = both["cpu_s"] - graph["cpu_s"]
    return {"events": parse["records"], "parse_cpu_s": parse["cpu_s"], "graph_cpu_s": graph["cpu_s"],
            "graph_events_cpu_s": both["cpu_s"], "matching_cpu_s": round(matching, 2),
            "matching_vs_parse": round(matching / parse["cpu_s"], 2),
            "parse_rss_mib": parse["max_rss_mib"], "graph_rss_mib": graph["max_rss_mib"],
            "graph_events_rss_mib": both["max_rss_mib"],
            "rss_vs_graph": round(both["max_rss_mib"] / graph["max_rss_mib"], 2),
            "observations": both.get("observations"), "used_edges": both.get("used_edges"),
            "covered_accounts": both.get("covered_accounts"), "edges": both["edges"],
            "all_runs_cpu_s": {step: [r["cpu_s"] for r in results] for step, results in runs.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--roles-per-account", type=int, default=100)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--org-dir", type=Path, help="the organization (default: OUT/org, generated)")
    parser.add_argument("-o", "--out", type=Path, required=True, help="where the events go (OUT/events)")
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--step", choices=("parse", "graph", "graph+events"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(_step(args.step, args.org_dir, args.out)))
        return
    sys.path.insert(0, str(ROOT))
    from benchmarks.generate_org import generate

    org_dir = args.org_dir or args.out / "org"
    events_dir = args.out / "events"
    if not args.measure_only:
        if not org_dir.exists():
            generate(org_dir, accounts=args.accounts, roles_per_account=args.roles_per_account,
                     users_per_account=20, seed=7)
        started = time.monotonic()
        counts = generate_events(org_dir, events_dir, args.events)
        print(json.dumps({"generated": counts, "seconds": round(time.monotonic() - started)}), flush=True)
    print(json.dumps(measure(org_dir, events_dir, args.repeat)))


if __name__ == "__main__":
    main()
