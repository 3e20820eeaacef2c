"""CloudTrail matching at scale (docs/usage.md): N events over an organization of A accounts, written as delivered
log files (1,000 records a .json.gz, in the AWSLogs/o-ORG/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ tree), then the CPU
time of plain gzip + json parsing of the same files against trustgraph's reading and matching (`load_inputs`).

    python benchmarks/cloudtrail_bench.py --events 1000000 --accounts 100 -o /tmp/ct   # generate and measure
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import time
from pathlib import Path

ROLES_PER_ACCOUNT = 100
ASSUME_SHARE = 0.3  # the rest: other management events (they still count for coverage)


def generate(out: Path, events: int, accounts: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    ids = [f"{100000000000 + i:012d}" for i in range(accounts)]
    files = 0
    batch: list[dict[str, object]] = []
    for n in range(events):
        account = ids[n % accounts]
        day = 1 + (n * 30) // events
        stamp = f"2025-06-{day:02d}T{(n // 7) % 24:02d}:{n % 60:02d}:00Z"
        event: dict[str, object] = {
            "eventVersion": "1.08", "eventTime": stamp, "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.1",
            "userAgent": "aws-sdk", "recipientAccountId": account, "eventID": f"e{n}", "requestID": f"r{n}",
            "eventType": "AwsApiCall"}
        if rng.random() < ASSUME_SHARE:
            caller_account = ids[rng.randrange(accounts)]
            name = f"Role{rng.randrange(ROLES_PER_ACCOUNT)}"
            caller = f"role/app/{name}"
            event.update(eventSource="sts.amazonaws.com", eventName="AssumeRole",
                         requestParameters={"roleArn": f"arn:aws:iam::{account}:role/app/Role{rng.randrange(10)}",
                                            "roleSessionName": "s"},
                         userIdentity={"type": "AssumedRole", "accountId": caller_account,
                                       "arn": f"arn:aws:sts::{caller_account}:assumed-role/{name}/s",
                                       "sessionContext": {"sessionIssuer": {
                                           "type": "Role", "arn": f"arn:aws:iam::{caller_account}:{caller}"}}})
        else:
            event.update(eventSource="ec2.amazonaws.com", eventName="DescribeInstances", requestParameters={},
                         userIdentity={"type": "AWSService", "invokedBy": "ec2.amazonaws.com"})
        batch.append(event)
        if len(batch) == 1000 or n == events - 1:
            where = out / "AWSLogs" / "o-bench00000" / account / "CloudTrail" / "us-east-1" / "2025" / "06"
            where = where / f"{day:02d}"
            where.mkdir(parents=True, exist_ok=True)
            (where / f"{account}_CloudTrail_us-east-1_202506{day:02d}T0000Z_{files:08d}.json.gz").write_bytes(
                gzip.compress(json.dumps({"Records": batch}).encode(), compresslevel=6))
            files += 1
            batch = []
    return files


def parse_only(root: Path) -> float:
    start = time.process_time()
    for path in sorted(root.rglob("*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8-sig") as fh:
            json.loads(fh.read())
    return time.process_time() - start


def matched(root: Path) -> tuple[float, int]:
    from trustgraph.sources.files import load_inputs

    start = time.process_time()
    snapshot, _ = load_inputs([root])
    seconds = time.process_time() - start
    return seconds, len(snapshot.usage.observations) if snapshot.usage else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--measure-only", action="store_true")
    args = parser.parse_args()
    if not args.measure_only:
        generate(args.out, args.events, args.accounts)
    plain = min(parse_only(args.out) for _ in range(2))
    match, observations = matched(args.out)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"events": args.events, "parse_cpu_s": round(plain, 2), "match_cpu_s": round(match, 2),
                      "ratio": round(match / plain, 2), "observations": observations, "max_rss_mib": round(rss)}))


if __name__ == "__main__":
    main()
