"""The people among a role's reachers: IAM users, and IAM Identity Center users with the group and permission set
through which they sign in (`who-can-reach --people`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from trustgraph.analysis.reachability import Reacher, through_group
from trustgraph.graph.schema import NodeKind, TrustGraph, is_kind


@dataclass(frozen=True, slots=True)
class Person:
    principal: str
    kind: str  # user (IAM) or identity-center-user
    name: str
    via_group: str | None  # the Identity Center group's name, None when assigned directly (or an IAM user)
    permission_set: str | None  # None for an IAM user
    hops: int
    conditional: bool
    conditions: list[str]
    path: list[str]
    steps: list[dict[str, str | None]]


def is_person(graph: TrustGraph, node: str) -> bool:
    return is_kind(graph.nodes[node], NodeKind.USER, NodeKind.IDENTITY_CENTER_USER)


def people_of(graph: TrustGraph, reachers: list[Reacher]) -> list[Person]:
    """The people among `reachers` (an answer made with `people=True`), in the answer's order."""
    out = []
    for r in reachers:
        if not is_person(graph, r.principal):
            continue
        data = graph.nodes[r.principal]
        group = through_group(graph, r.route)
        permission_set = next((s["permission_set"] for s in r.steps if s.get("permission_set")), None)
        out.append(Person(r.principal, r.kind, str(data.get("name") or data.get("label") or r.principal),
                          str(graph.nodes[group].get("name") or group) if group else None, permission_set, r.hops,
                          r.conditional, r.conditions, r.path, r.steps))
    return out


def people_summary(people: list[Person]) -> str:
    """`5 people: 2 through PlatformAdmins, 1 assigned directly, 2 IAM users`."""
    groups = Counter(p.via_group for p in people if p.kind == NodeKind.IDENTITY_CENTER_USER and p.via_group)
    direct = sum(1 for p in people if p.kind == NodeKind.IDENTITY_CENTER_USER and not p.via_group)
    iam = sum(1 for p in people if p.kind == NodeKind.USER)
    parts = [f"{n} through {g}" for g, n in sorted(groups.items(), key=lambda item: (-item[1], item[0]))]
    if direct:
        parts.append(f"{direct} assigned directly")
    if iam:
        parts.append(f"{iam} IAM user{'' if iam == 1 else 's'}")
    head = f"{len(people)} {'person' if len(people) == 1 else 'people'}"
    return head + (": " + ", ".join(parts) if parts else "")


def person_json(p: Person) -> dict[str, object]:
    return {"principal": p.principal, "kind": p.kind, "name": p.name, "via_group": p.via_group,
            "permission_set": p.permission_set, "hops": p.hops, "conditional": p.conditional,
            "conditions": p.conditions, "path": p.path}
