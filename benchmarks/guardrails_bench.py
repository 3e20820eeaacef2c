#!/usr/bin/env python3
"""What `trustgraph check` costs beside the build: five guardrails on a generated organization.

    python benchmarks/guardrails_bench.py benchmarks/data/org-1000a-100r-20u-s7 [--repeats 3]

Times (CPU seconds, `time.process_time`) load_inputs + build_graph, the sensitive roles (`sensitive: true`
needs them: admin-equivalence from the policies) and `analysis.guardrails.check` of RULES, each the best of
--repeats runs of the check (the build once), and prints one JSON line. The directory comes from
generate_org.py (its OU names: Security, Infrastructure, Workloads/Prod, Workloads/NonProd, Sandbox).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass

from trustgraph.analysis.guardrails import Guardrail, check, parse_rules, violation_count
from trustgraph.graph.build import build_graph
from trustgraph.graph.schema import TrustGraph
from trustgraph.model import Snapshot
from trustgraph.policy.sensitivity import sensitive_roles
from trustgraph.sources.files import load_inputs

RULES = {"rules": [
    {"id": "nonprod-never-reaches-prod", "from": {"ou": "NonProd"}, "to": {"ou": "Prod"}, "deny": True},
    {"id": "sandbox-never-reaches-prod", "from": {"ou": "Sandbox"}, "to": {"ou": "Prod"}, "deny": True},
    {"id": "sensitive-only-from-security", "to": {"sensitive": True},
     "allow_only": {"from": [{"ou": "Security"}, {"principal": "arn:aws:iam::*:role/BreakGlass"}]}},
    {"id": "outside-needs-mfa-and-externalid", "from": {"outside": True}, "to": {"sensitive": True},
     "require_conditions": ["aws:MultiFactorAuthPresent", "sts:ExternalId"]},
    {"id": "security-trusted-only-by-infrastructure", "to": {"ou": "Security"}, "via": ["assume"],
     "allow_only": {"from": [{"ou": ["Security", "Infrastructure"]}]}},
]}


@dataclass
class Prepared:
    """The five rules, and an organization built with its sensitive roles, each step's CPU time kept."""

    rules: list[Guardrail]
    snapshot: Snapshot
    graph: TrustGraph
    sensitive: set[str]
    build: float  # CPU seconds: load + build
    sensitivity: float  # CPU seconds: the sensitive roles


def prepare(directory: str) -> Prepared:
    rules, problems = parse_rules(RULES)
    assert not problems, problems
    start = time.process_time()
    snapshot, _ = load_inputs((directory,))
    graph = build_graph(snapshot)
    build = time.process_time() - start
    start = time.process_time()
    sensitive = set(sensitive_roles(snapshot))
    return Prepared(rules, snapshot, graph, sensitive, build, time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ready = prepare(args.directory)
    rules, snapshot, graph, sensitive = ready.rules, ready.snapshot, ready.graph, ready.sensitive
    build, sensitivity = ready.build, ready.sensitivity
    times = []
    for _ in range(args.repeats):
        start = time.process_time()
        results = check(graph, rules, sensitive=sensitive,
                        sources={arn: role.source for arn, role in snapshot.roles.items()})
        times.append(time.process_time() - start)
    print(json.dumps({
        "directory": args.directory, "accounts": len(snapshot.accounts), "roles": len(snapshot.roles),
        "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(), "sensitive": len(sensitive),
        "build_cpu_s": round(build, 2), "sensitive_cpu_s": round(sensitivity, 2),
        "check_cpu_s": round(min(times), 2), "check_runs": [round(t, 2) for t in times],
        "violations": {r.rule.id: len(r.violations) for r in results}, "total": violation_count(results),
        "groups": {r.rule.id: len(r.groups) for r in results},
    }))


if __name__ == "__main__":
    main()
