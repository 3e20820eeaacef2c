"""Indirect edges: reaching a role (or user) without a trust policy naming the caller (SEMANTICS §7.4, §7.5).

Added after the trust edges, from the rule tables in policy/passrole.py:

- `passrole`: P passes R to a service that runs code (same account only; R's trust must allow the service, as
  the graph's `service` edge into R says);
- `code`: P changes code or commands of a resource already running as R (inventory: the resources listed;
  accounts without inventory: conditional on `trustgraph:ResourceRunsAsRole`, for roles trusting the service);
- `iam`: P rewrites R's trust or creates credentials for user U; principals that are admin-equivalent
  and can take over their account (policy.sensitivity.takeover: every action, or a policy write on
  themselves) enter its admin node `admin:A` (one node per account, a hub: never an answer), which has one `iam`
  edge to every role (rewrite its trust) and user (new credentials) of A. An admin's reach through trusts is its
  own (its concrete edges) or that of the roles it takes over: the admin node is not made a member of the account
  hub, whose org-wide trusts are drawn through trust classes instead, so that the class and expanded graphs
  keep the same answers;
- `assume-root`: principals of the management account allowed sts:AssumeRoot → `admin:A` of each member account.

Edges into an admin node cost no hop (`hub_entry`): becoming admin of one's own account is not a change of
identity; the hop is the step from the admin node to the role or user. Each (caller, target) pair is one DiGraph
edge: another kind realising the same pair is folded in (`kinds`, and a `kind` on each evidence record), so that
queries restricted to some kinds see exactly the alternatives they allow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

from trustgraph.graph.indirect_base import Link, admin_node
from trustgraph.graph.indirect_compute import ComputeEdges
from trustgraph.graph.indirect_iam import IamEdges
from trustgraph.graph.indirect_org import OrganizationEdges
from trustgraph.graph.parallel import in_order, spans
from trustgraph.graph.schema import EdgeKind, NodeKind
from trustgraph.model import Role, User
from trustgraph.policy.caller import Caller
from trustgraph.policy.identity import IdentityProfile
from trustgraph.policy.sensitivity import Takeover, takeover

__all__ = ["IndirectEdges", "Link", "admin_node"]

Member = tuple[Caller, IdentityProfile, User | Role]
# Forking pays once a worker has this many groups of principals to decide (a few seconds' work in all): smaller
# inputs (tests, samples) are built in one process whatever --jobs says.
GROUPS_PER_TASK = 100
CALLERS_PER_TASK = 2000  # principals whose policy group and takeover a task decides
ADMINS_PER_TASK = 50  # accounts whose admin node's edges a task decides (their SCPs on each principal)


@dataclass(slots=True)
class GroupPlan:
    """The links found for a group of principals with the same policies: the group's, and, when a decision read
    who the caller is, each member's own (`own`, in member order)."""

    links: list[Link]
    own: list[list[Link]] | None = None


def _tasks(groups: list[list[Member]], jobs: int) -> list[int]:
    """Bounds of the tasks the groups are decided in: runs of whole accounts (the checker's answers are kept per
    account)."""
    return spans(len(groups), GROUPS_PER_TASK, jobs, lambda i: groups[i][0][0].account != groups[i - 1][0][0].account)


class IndirectEdges(ComputeEdges, IamEdges, OrganizationEdges):
    """Every indirect edge of a graph, added once its trust edges are drawn (`add`)."""

    # -- the edge kinds -------------------------------------------------------------------------------------------
    def add(self) -> None:
        g = self.graph
        for src, dst, data in g.edges(data=True):
            if data.get("kind") == EdgeKind.SERVICE and g.nodes[src].get("kind") == NodeKind.SERVICE:
                account: str | None = g.nodes[dst].get("account")
                if account and dst in self.snapshot.roles and not self.snapshot.roles[dst].service_linked:
                    self.trusting[(src, account)].append(dst)
        callers = list(self._callers())
        # Who takes its account over, and whose policies are the same (a policy id is a worker's own: the groups
        # are told apart by task too), decided for runs of whole accounts.
        bounds = spans(len(callers), CALLERS_PER_TASK, self.jobs,
                       lambda i: callers[i][0].account != callers[i - 1][0].account)
        sorted_out = list(chain.from_iterable(in_order(
            lambda task: self._sort(callers[bounds[task]:bounds[task + 1]], task), len(bounds) - 1, self.jobs)))
        self._escalation(callers, [found for _, found in sorted_out])
        groups: dict[tuple[int, int], list[Member]] = defaultdict(list)
        for item, (key, _) in zip(callers, sorted_out, strict=True):
            groups[key].append(item)
        ordered = list(groups.values())
        tasks = _tasks(ordered, self.jobs)
        plans: Iterable[GroupPlan] = self._plans(ordered)  # one process: each group drawn once decided
        if len(tasks) > 2:
            plans = chain.from_iterable(in_order(lambda task: list(self._plans(ordered[tasks[task]:tasks[task + 1]])),
                                                 len(tasks) - 1, self.jobs))
        for members, plan in zip(ordered, plans, strict=True):
            self._draw_plan(members, plan)
        self._assume_root(callers)
        self._stacksets_org(callers)
        self._writes_on_reached()
        self._keep_identity_off_write_paths()
        admins = [a for a in sorted(self.snapshot.collected_accounts) if admin_node(a) in self.graph]
        bounds = spans(len(admins), ADMINS_PER_TASK, self.jobs)
        found = in_order(lambda task: [self._admin_targets(a) for a in admins[bounds[task]:bounds[task + 1]]],
                         len(bounds) - 1, self.jobs)
        for account, targets in zip(admins, chain.from_iterable(found), strict=True):
            self._admin_edges(account, targets)

    def _sort(self, callers: list[Member], task: int) -> list[tuple[tuple[int, int], Takeover | None]]:
        """For each caller (of whole accounts): the key of its group, principals with the same policies, and
        whether it takes its account over. A pure computation, which a forked worker can make."""
        return [((task, self.checker.policy_id(caller, profile)),
                 takeover(principal, self.snapshot, self.admin_memo, self.data_time))
                for caller, profile, principal in callers]

    def _plans(self, groups: list[list[Member]]) -> Iterator[GroupPlan]:
        """The links of each group of principals with the same policies (of whole accounts, in their order): a
        pure computation, which a forked worker can make (graph/parallel.py)."""
        account = None
        for members in groups:
            pid = self.checker.policy_id(members[0][0], members[0][1])
            if members[0][0].account != account:
                # Groups come account by account and their questions name their account's resources: the answers
                # kept for the last account are never asked again (an organization's worth would not fit).
                account = members[0][0].account
                self.checker.forget_answers()
                self._best.clear()
            links = self._links(members[0][0], members[0][1], alone=len(members) == 1)
            if len(members) == 1 or not self.checker.per_principal(pid):
                yield GroupPlan(links)
            else:
                # A decision read who the caller is (an SCP exempting some ARNs, a condition on tags): each member
                # is decided on its own.
                yield GroupPlan(links, [self._links(m[0], m[1], alone=True) for m in members])

    def _draw_plan(self, members: list[Member], plan: GroupPlan) -> None:
        """Draw a group's links: from its node (or the principal alone), or, when its members were decided each on
        its own, from a node shared by the members whose edges came out the same."""
        links = self._resolve(plan.links)
        if plan.own is None:
            self._draw(members, links)
            return
        alike: dict[tuple[object, ...], list[Member]] = defaultdict(list)
        found: dict[tuple[object, ...], list[Link]] = {}
        for member, own in zip(members, plan.own, strict=True):
            own = self._resolve(own)
            key = tuple((x.dst, x.kind, x.technique, tuple(x.unresolved), x.service) for x in own)
            alike[key].append(member)
            found.setdefault(key, own)
        for shared, sharing in alike.items():
            self._draw(sharing, found[shared])

    def _resolve(self, links: list[Link]) -> list[Link]:
        """Name the hub nodes the links enter, drawing those not drawn yet, in the order of the links (the order
        in which they were found: a PassRole runner's id counts those drawn before it)."""
        for x in links:
            if x.hub is not None:
                x.dst = self._hub_node(x.hub)
        return links

    def _links(self, caller: Caller, profile: IdentityProfile, alone: bool) -> list[Link]:
        """The PassRole, code and targeted IAM edges out of `caller`; `alone`: the caller's own (it does not
        reach itself), else those of every principal with its policies (drawn from their group node)."""
        self._out = []
        self._self = caller.arn if alone else None
        self._passrole(caller, profile)
        self._code(caller, profile)
        self._targeted(caller, profile)
        return self._out

