"""JSON shapes of query answers. These are contracts: fields may be added, never renamed or dropped. Each
answer names its schema (`trustgraph.version.SCHEMAS`)."""

from __future__ import annotations

from typing import Any

from trustgraph.analysis.reachability import PathAnswer, Reach, Reacher, WhoCanReach
from trustgraph.version import SCHEMAS


def reacher_json(r: Reacher) -> dict[str, Any]:
    out = {"principal": r.principal, "kind": r.kind, "hops": r.hops, "path": r.path,
           "conditional": r.conditional, "conditions": r.conditions,
           "account": r.account, "account_name": r.account_name, "classification": r.classification,
           "vendor": r.vendor, "ou_path": r.ou_path, "steps": r.steps}
    # answers from graphs holding Identity Center data: every reacher's name, and a group's member count
    if r.name is not None:
        out["name"] = r.name
    if r.members is not None:
        out["members"] = r.members
    return out


def who_can_reach_json(answer: WhoCanReach) -> dict[str, Any]:
    return {"schema": SCHEMAS["who-can-reach"], "target": answer.target,
            "reachers": [reacher_json(r) for r in answer.reachers]}


def reach_json(answer: Reach) -> dict[str, Any]:
    out = []
    for r in answer.reachable:
        item = reacher_json(r)
        item["role"] = item.pop("principal")
        item.pop("kind")
        out.append(item)
    return {"schema": SCHEMAS["reach"], "source": answer.source, "reachable": out}


def paths_json(source: str, target: str, paths: list[PathAnswer]) -> dict[str, Any]:
    return {"schema": SCHEMAS["path"], "source": source, "target": target,
            "paths": [{"path": p.path, "hops": p.hops, "conditional": p.conditional, "conditions": p.conditions,
                       "steps": p.steps}
                      for p in paths]}
