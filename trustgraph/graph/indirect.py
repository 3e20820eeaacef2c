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

from trustgraph.graph.indirect_base import Link, admin_node
from trustgraph.graph.indirect_compute import ComputeEdges
from trustgraph.graph.indirect_iam import IamEdges
from trustgraph.graph.indirect_org import OrganizationEdges
from trustgraph.graph.schema import EdgeKind, NodeKind
from trustgraph.model import Role, User
from trustgraph.policy.caller import Caller
from trustgraph.policy.identity import IdentityProfile

__all__ = ["IndirectEdges", "Link", "admin_node"]


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
        self._escalation(callers)
        groups: dict[int, list[tuple[Caller, IdentityProfile, User | Role]]] = defaultdict(list)
        for item in callers:
            groups[self.checker.policy_id(item[0], item[1])].append(item)
        account = None
        for pid, members in groups.items():
            if members[0][0].account != account:
                # Groups come account by account and their questions name their account's resources: the answers
                # kept for the last account are never asked again (an organization's worth would not fit).
                account = members[0][0].account
                self.checker.forget_answers()
                self._best.clear()
            links = self._links(members[0][0], members[0][1], alone=len(members) == 1)
            if len(members) == 1:
                self._draw([members[0]], links)
            elif not self.checker.per_principal(pid):
                self._draw(members, links)
            else:
                # A decision read who the caller is (an SCP exempting some ARNs, a condition on tags): decide
                # each member, then share a node among the members whose edges came out the same.
                alike: dict[tuple[object, ...], list[tuple[Caller, IdentityProfile, User | Role]]] = defaultdict(list)
                found: dict[tuple[object, ...], list[Link]] = {}
                for member in members:
                    own = self._links(member[0], member[1], alone=True)
                    key = tuple((x.dst, x.kind, x.technique, tuple(x.unresolved), x.service) for x in own)
                    alike[key].append(member)
                    found.setdefault(key, own)
                for shared, sharing in alike.items():
                    self._draw(sharing, found[shared])
        self._assume_root(callers)
        self._stacksets_org(callers)
        self._writes_on_reached()
        self._keep_identity_off_write_paths()
        for account in sorted(self.snapshot.collected_accounts):
            if admin_node(account) in self.graph:
                self._admin_edges(account)

    def _links(self, caller: Caller, profile: IdentityProfile, alone: bool) -> list[Link]:
        """The PassRole, code and targeted IAM edges out of `caller`; `alone`: the caller's own (it does not
        reach itself), else those of every principal with its policies (drawn from their group node)."""
        self._out = []
        self._self = caller.arn if alone else None
        self._passrole(caller, profile)
        self._code(caller, profile)
        self._targeted(caller, profile)
        return self._out

