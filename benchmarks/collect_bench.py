#!/usr/bin/env python3
"""Benchmark `trustgraph collect --org`: 50 moto accounts at concurrency 1 vs 8.

moto in process is CPU-bound under the GIL, so without network latency threads barely help. Real
AWS calls spend their time waiting on the network; `--latency-ms` adds that wait to every call with
a botocore `before-send` hook that sleeps (which releases the GIL, as a socket read would). Both runs
are reported: without latency (pure overhead) and with it (what the thread pool is for).

    python benchmarks/collect_bench.py                      # 50 accounts, latency 0 and 50 ms
    python benchmarks/collect_bench.py --accounts 20 --latency-ms 100 --concurrency 1,4,8,16

Writes benchmarks/results/collect.json (git-ignored). No real AWS: everything runs under mock_aws.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "collect.json"


@dataclass
class Run:
    latency_ms: float
    concurrency: int
    seconds: float
    accounts_ok: int
    accounts_failed: int
    api_calls: int


def fake_environment() -> None:
    # Never let a benchmark touch a real account or the user's AWS config.
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull,
                      AWS_SHARED_CREDENTIALS_FILE=os.devnull)


def trust(principal: dict[str, str]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def build_organization(accounts: int, roles: int, users: int) -> list[str]:
    import boto3

    org = boto3.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ous = [org.create_organizational_unit(ParentId=root, Name=f"ou-{i}")["OrganizationalUnit"]["Id"]
           for i in range(5)]
    sts = boto3.client("sts")
    members: list[str] = []
    for i in range(accounts - 1):  # the management account is the 50th
        account_id = org.create_account(AccountName=f"acct-{i:03d}", Email=f"a{i}@example.com")[
            "CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=ous[i % len(ous)])
        members.append(account_id)
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
                                RoleSessionName="bench")["Credentials"]
        iam = boto3.client("iam", aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
        previous = members[i - 1] if i else account_id
        for r in range(roles):
            iam.create_role(RoleName=f"role-{r}", AssumeRolePolicyDocument=trust(
                {"AWS": f"arn:aws:iam::{previous}:root"}))
        for u in range(users):
            iam.create_user(UserName=f"user-{u}")
    return members


class LatencyHook:
    """Client hook: every HTTP request waits `latency_ms` first, as a real round trip would."""

    def __init__(self, latency_ms: float) -> None:
        self.delay = latency_ms / 1000.0
        self.calls = 0

    def __call__(self, client: Any, _account: str | None) -> None:
        client.meta.events.register("before-send", self._send)

    def _send(self, **_: Any) -> None:
        self.calls += 1  # a lost update under threads only skews the call count a little
        if self.delay:
            time.sleep(self.delay)


def collect_once(latency_ms: float, concurrency: int, workdir: Path) -> Run:
    from trustgraph.sources.aws.collector import CollectOptions, Collector
    from trustgraph.sources.aws.session import SessionFactory, SessionSettings

    hook = LatencyHook(latency_ms)
    out = workdir / f"snap-{latency_ms:g}-{concurrency}"
    started = time.perf_counter()
    sessions = SessionFactory(SessionSettings(client_hook=hook))
    result = Collector(sessions, CollectOptions(output_dir=out, org=True, concurrency=concurrency)).run()
    seconds = time.perf_counter() - started
    return Run(latency_ms, concurrency, round(seconds, 3), len(result.manifest.succeeded),
               len(result.manifest.failed), hook.calls)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=50, help="accounts in the organization (default 50)")
    parser.add_argument("--roles-per-account", type=int, default=3)
    parser.add_argument("--users-per-account", type=int, default=2)
    parser.add_argument("--latency-ms", type=float, default=50.0,
                        help="simulated per-call latency for the second series (default 50; 0 = skip it)")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated pool sizes (default 1,8)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    latencies = [0.0] + ([args.latency_ms] if args.latency_ms > 0 else [])

    fake_environment()
    from moto import mock_aws

    runs: list[Run] = []
    with mock_aws(), tempfile.TemporaryDirectory(prefix="collect-bench-") as tmp:
        started = time.perf_counter()
        build_organization(args.accounts, args.roles_per_account, args.users_per_account)
        setup_seconds = time.perf_counter() - started
        print(f"organization: {args.accounts} accounts, {args.roles_per_account} roles and "
              f"{args.users_per_account} users each (built in {setup_seconds:.1f}s)")
        collect_once(0.0, max(concurrencies), Path(tmp) / "warmup")  # import and model-loading costs
        for latency in latencies:
            for concurrency in concurrencies:
                run = collect_once(latency, concurrency, Path(tmp))
                runs.append(run)
                print(f"  latency {latency:>5g} ms  concurrency {concurrency:>2}: {run.seconds:7.2f} s "
                      f"({run.accounts_ok} ok, {run.accounts_failed} failed, ~{run.api_calls} API calls)")

    speedups: dict[str, float] = {}
    for latency in latencies:
        series = {r.concurrency: r.seconds for r in runs if r.latency_ms == latency}
        base = series[min(series)]
        for concurrency, seconds in series.items():
            if concurrency != min(series):
                key = f"latency_{latency:g}ms_c{min(series)}_vs_c{concurrency}"
                speedups[key] = round(base / seconds, 2)
                print(f"speed-up at {latency:g} ms latency, concurrency {min(series)} → {concurrency}: "
                      f"{speedups[key]:.2f}x")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "benchmark": "collect",
        "accounts": args.accounts,
        "roles_per_account": args.roles_per_account,
        "users_per_account": args.users_per_account,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "runs": [asdict(r) for r in runs],
        "speedups": speedups,
    }, indent=2) + "\n")
    print(f"results: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
