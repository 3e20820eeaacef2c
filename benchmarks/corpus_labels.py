"""Compare trustgraph findings with the checkov labels in the shared trust-policy corpus.

    python benchmarks/corpus_labels.py [--corpus PATH/TO/ALL.jsonl] [--json]

The corpus is not part of the project (copy none of it); this script only reads it where it lies
(default: ../shared/corpus/trust-policies/ALL.jsonl next to the repository, or /work/shared/…).
Labelled checks and the trustgraph rules they are compared with:

    CKV_AWS_358  GitHub Actions OIDC trust must pin the repository   ↔ TG201, TG202
    CKV_AWS_61   role assumable by a whole account                   ↔ TG303, and TG301/TG302 on an account principal
    CKV_AWS_60   role assumable by anyone (Principal AWS "*")        ↔ TG101

Where trustgraph and a label disagree, AWS's evaluation rules decide; EXPLAINED says why for each known case.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trustgraph.analysis.findings import find  # noqa: E402
from trustgraph.graph.build import build_graph  # noqa: E402
from trustgraph.model import Role, Snapshot  # noqa: E402
from trustgraph.sources.policy_parser import parse_policy  # noqa: E402

CHECKS = {"CKV_AWS_358": {"TG201", "TG202"}, "CKV_AWS_61": {"TG303/account", "TG301/account", "TG302/account"},
          "CKV_AWS_60": {"TG101"}}
ROLE_ACCOUNT = "000000000000"  # IaC fixtures name no account; every named account is "another" one
EXPLAINED = {
    "StringEquals-wildcard": (
        "StringEquals compares literally: '*' or 'repo:org*' must equal the token's sub character for "
        "character, which no GitHub token does. The statement can never match, so the role is unusable, not "
        "open (SEMANTICS §5.3, IAM condition operators). trustgraph reports TG213 (low) instead."),
    "not-a-subject": (
        "'invalid' is not in any GitHub subject format (claims are 'key:value' pairs), so no token matches and "
        "the role is unusable, not open. trustgraph reports TG213 (low)."),
}


def normalise_verdict(verdict: str) -> str:
    return "FAIL" if verdict.upper().startswith("FAIL") else "PASS"


def policy_value(record: dict[str, Any]) -> Any:
    """The record's policy, with the corpus extractor's lost Terraform `actions` attribute restored."""
    policy = record.get("policy")
    if isinstance(policy, dict):
        policy = json.loads(json.dumps(policy))
        for st in policy.get("Statement", []) if isinstance(policy.get("Statement"), list) else []:
            if isinstance(st, dict) and "_terraform_unknown_attr:action" in st and "Action" not in st:
                st["Action"] = st.pop("_terraform_unknown_attr:action")
    return policy


ACCOUNT_WIDE = {"TG301", "TG302", "TG303"}


def _label_rule(f: Any) -> str:
    """The rule id, with account-wide grants of TG301/TG302 tagged so that CKV_AWS_61 can tell them apart."""
    if f.rule in ACCOUNT_WIDE and f.evidence.get("principal_form") == "account":
        return f"{f.rule}/account"
    return f.rule


def evaluate(record: dict[str, Any]) -> tuple[set[str], list[str], str | None]:
    """(rules fired, finding messages, why the policy could not be read)."""
    raw = policy_value(record)
    if raw in ("", None):
        return set(), [], "empty policy"
    if isinstance(raw, dict) and any(k.startswith("Fn::") for k in raw):
        return set(), [], "CloudFormation intrinsic around the whole document"
    document, problems = parse_policy(raw)
    if document is None:
        return set(), [], "; ".join(p.message for p in problems) or "unreadable"
    name = (record.get("role_name") or record.get("locator") or "role").replace(".", "-")[:60]
    role = Role(arn=f"arn:aws:iam::{ROLE_ACCOUNT}:role/{name}", name=name, account=ROLE_ACCOUNT, trust=document,
                has_identity_data=False, source=record.get("id", ""))
    snapshot = Snapshot(roles={role.arn: role})
    findings = find(snapshot, build_graph(snapshot))
    return {_label_rule(f) for f in findings}, [f"{f.rule}: {f.message}" for f in findings], None


def explain(record: dict[str, Any], rules: set[str]) -> str:
    if record["expected"]["checker"] == "CKV_AWS_358" and "TG213" in rules:
        text = json.dumps(record.get("policy"))
        return EXPLAINED["not-a-subject"] if '"invalid"' in text else EXPLAINED["StringEquals-wildcard"]
    return ""


def compare(records: list[dict[str, Any]]) -> dict[str, Any]:
    rows = []
    for record in records:
        expected = record.get("expected") or {}
        checker = expected.get("checker")
        if checker not in CHECKS:
            continue
        rules, messages, unreadable = evaluate(record)
        ours = "FAIL" if rules & CHECKS[checker] else "PASS"
        label = normalise_verdict(str(expected.get("verdict", "")))
        rows.append({"id": record["id"], "locator": record.get("locator"), "checker": checker, "label": label,
                     "trustgraph": ours, "agree": ours == label, "rules": sorted(rules), "messages": messages,
                     "unreadable": unreadable, "why": "" if ours == label else explain(record, rules)})
    summary: dict[str, dict[str, int]] = defaultdict(lambda: {"records": 0, "agree": 0, "disagree": 0})
    for row in rows:
        s = summary[row["checker"]]
        s["records"] += 1
        s["agree" if row["agree"] else "disagree"] += 1
    return {"summary": dict(summary), "rows": rows}


def default_corpus() -> Path:
    for candidate in (ROOT.parent / "shared" / "corpus" / "trust-policies" / "ALL.jsonl",
                      Path("/work/shared/corpus/trust-policies/ALL.jsonl")):
        if candidate.exists():
            return candidate
    raise SystemExit("corpus not found; pass --corpus PATH/TO/ALL.jsonl")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, help="ALL.jsonl of the shared trust-policy corpus")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    args = parser.parse_args(argv)
    path = args.corpus or default_corpus()
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = compare(records)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for checker, s in sorted(result["summary"].items()):
        print(f"{checker}: {s['records']} labelled, {s['agree']} agree, {s['disagree']} disagree")
    for row in result["rows"]:
        if not row["agree"]:
            print(f"\n{row['id']} ({row['locator']}) {row['checker']}: label {row['label']}, "
                  f"trustgraph {row['trustgraph']} {row['rules']}")
            for message in row["messages"]:
                print(f"    {message}")
            if row["why"]:
                print(f"    why: {row['why']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
