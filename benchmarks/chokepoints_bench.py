#!/usr/bin/env python3
"""What `trustgraph chokepoints -k 10` and `check` with five rules cost beside the build, on a generated organization.

    python benchmarks/chokepoints_bench.py benchmarks/data/org-1000a-100r-20u-s7

Times (CPU seconds, `time.process_time`) load_inputs + build_graph, the sensitive roles, `analysis.chokepoints`
(k = 10, sensitive roles as targets) and `analysis.guardrails.check` of guardrails_bench.RULES, and prints one JSON
line. The directory comes from generate_org.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from trustgraph.analysis.chokepoints import chokepoints, legitimate_access, target_scope
from trustgraph.analysis.guardrails import check, violation_count

sys.path.insert(0, str(Path(__file__).resolve().parent))
from guardrails_bench import prepare  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory")
    parser.add_argument("-k", type=int, default=10)
    args = parser.parse_args()
    ready = prepare(args.directory)
    rules, snapshot, graph, sensitive = ready.rules, ready.snapshot, ready.graph, ready.sensitive
    build, sensitivity = ready.build, ready.sensitivity
    start = time.process_time()
    found = chokepoints(graph, [target_scope(graph, sensitive)], args.k, legitimate=legitimate_access(graph))
    choke = time.process_time() - start
    start = time.process_time()
    results = check(graph, rules, sensitive=sensitive, sources={arn: r.source for arn, r in snapshot.roles.items()})
    checked = time.process_time() - start
    print(json.dumps({
        "directory": args.directory, "accounts": len(snapshot.accounts), "roles": len(snapshot.roles),
        "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(), "sensitive": len(sensitive),
        "build_cpu_s": round(build, 2), "sensitive_cpu_s": round(sensitivity, 2),
        "chokepoints_cpu_s": round(choke, 2), "check_cpu_s": round(checked, 2),
        "chokepoints_vs_build": round((choke + sensitivity) / build, 2),
        "check_vs_build": round((checked + sensitivity) / build, 2),
        "pairs_total": found.pairs_total, "candidates": found.candidates, "scored": found.scored,
        "pairs_cut": [s.pairs_cut for s in found.suggestions], "violations": violation_count(results),
    }))


if __name__ == "__main__":
    main()
