"""Which sensitive roles of an account or an OU can be reached from outside it: what the account and OU pictures
mark, so that a mark says more than "holds an admin role" (every account does).

**Outside** a unit (one account, or the accounts of an OU and of the OUs below it) is any principal that is not an
IAM user, IAM role or account principal of one of the unit's accounts: IAM principals of the other accounts of the
organization and of accounts outside it, identity providers (their people are not IAM principals of the account
holding the provider), IAM Identity Center users and groups, anyone (`*`), and unresolved principals. AWS services
are not counted: a service acts for whoever passes it the role or changes its code, and those callers are (PassRole
and code edges). Hubs (account hubs, admin nodes, trust classes, code and PassRole runners) are waypoints, never
callers. A role is **reachable from outside** when some outside principal has a route to it over any edge of the
graph (trust, PassRole, code, IAM; conditional edges count, as `who-can-reach` counts them): the same reach
`who-can-reach` answers, asked only "is there one".

The organization's management account is outside its member accounts like any other: with
OrganizationAccountAccessRole, StackSets or sts:AssumeRoot it can take over each of them, and a picture says so
(`management_reach` counts what only it reaches, so a picture can say how much of the mark is the management
account's own standing).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from trustgraph.graph.schema import NodeKind, TrustGraph, graph_dicts, is_answer, is_kind, node_spec


@dataclass(frozen=True)
class Exposure:
    """Of a unit's sensitive roles: how many, how many are reachable from outside it, and of those how many only
    from the organization's management account."""

    sensitive: int = 0
    reachable: int = 0
    management_only: int = 0

    def text(self) -> str:
        """"3/12 sensitive roles reachable from outside" ("" without sensitive roles)."""
        if not self.sensitive:
            return ""
        roles = f"role{'s' if self.sensitive != 1 else ''}"
        text = f"{self.reachable}/{self.sensitive} sensitive {roles} reachable from outside"
        if self.management_only:
            text += f" ({self.management_only} only from the management account)"
        return text


def _outside(data: Mapping[str, Any], inside: Collection[str]) -> bool:
    """Whether a node is a caller outside the unit (see the module docstring)."""
    if not is_answer(data) or is_kind(data, NodeKind.SERVICE):
        return False
    if is_kind(data, NodeKind.FEDERATED) or not node_spec(data.get("kind")).in_account_box:
        return True
    return str(data.get("account")) not in inside


def exposure(graph: TrustGraph, roles: Iterable[str], inside: Collection[str],
             management: str | None = None) -> Exposure:
    """How many of `roles` (the unit's sensitive roles, nodes of `graph`) a principal outside the accounts `inside`
    reaches; `management`: the organization's management account, whose reach is also counted on its own.

    One reverse search per role that stops at the first outside caller; nodes whose whole upstream was found
    inside are remembered and not entered again, so a unit costs about the size of what reaches it from inside."""
    nodes, _, preds = graph_dicts(graph)
    clean: set[str] = set()  # nodes with no outside principal upstream
    sensitive = reachable = management_only = 0
    for role in roles:
        if role not in nodes:
            continue
        sensitive += 1
        found = _reached_from_outside(nodes, preds, role, inside, clean, management)
        reachable += found is not None
        management_only += found == "management"
    return Exposure(sensitive, reachable, management_only)


def _reached_from_outside(nodes: Mapping[str, Mapping[str, Any]], preds: Mapping[str, Mapping[str, Any]], role: str,
                          inside: Collection[str], clean: set[str], management: str | None) -> str | None:
    """"other" when a principal outside the unit (not of the management account) reaches `role`, "management"
    when only principals of the management account do, None when none does."""
    seen = {role}
    stack = [role]
    by_management = False
    while stack:
        node = stack.pop()
        for pred in preds[node]:
            if pred in seen or pred in clean:
                continue
            seen.add(pred)
            data = nodes[pred]
            if not _outside(data, inside):
                stack.append(pred)
            elif management is not None and str(data.get("account")) == management \
                    and not is_kind(data, NodeKind.FEDERATED):  # an IdP's people are not the management account
                by_management = True  # keep looking for another outside caller; none above this one is needed
            else:
                return "other"
    if by_management:
        return "management"
    clean.update(seen)
    return None
