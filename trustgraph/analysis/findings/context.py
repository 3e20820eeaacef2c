"""What every rule family needs: the snapshot, the graph, who is inside, known vendors, sensitive roles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar

import networkx as nx

from trustgraph.analysis.findings.catalogue import RULES
from trustgraph.analysis.findings.model import Finding, Severity
from trustgraph.arns import root_arn
from trustgraph.graph.schema import NodeKind, TrustGraph, Via
from trustgraph.model import Role, Snapshot, Statement, User
from trustgraph.policy.caller import Caller, RequestFacts
from trustgraph.policy.conditions import Tri
from trustgraph.policy.sensitivity import Sensitivity, sensitive_roles
from trustgraph.policy.trust import OrgGate

INSIDE = ("same-account", "org", "internal")
AWS_OWNED_PREFIX = "AWS "  # sources/known_accounts.py names entries typed `aws` "AWS <service>"


@dataclass(frozen=True, slots=True)
class FindingOptions:
    known_accounts: Mapping[str, str] = field(default_factory=dict)  # account id → vendor name
    sensitive_patterns: tuple[str, ...] = ()
    many_reachers: int = 10  # TG402 fires at this many distinct reachers
    long_chain_hops: int = 3  # TG403 fires for shortest chains of at least this many hops
    # TG702: an Identity Center group is large with at least this many members, or with at least this percentage
    # of the directory's users (and 3 members or more: in a directory of five, two administrators are not many)
    large_group: int = 25
    large_group_percent: int = 30
    group_sensitive_accounts: int = 10  # TG704 fires for a group signing in to sensitive roles in this many accounts


@dataclass(frozen=True, slots=True)
class ReacherSummary:
    """Who can reach a role, bounded: every reacher from outside (the public, other organizations, third parties,
    outside identity providers: `FindingContext.outside`), then the first KEPT of the others, each part in answer
    order (Reachers; `Reached` answers while FindingContext keeps it), the counts, the direct callers. Outside
    reachers are what makes a role's findings critical: no limit cuts them."""

    KEPT: ClassVar[int] = 100
    reachers: list[Any]
    count: int
    unconditional: int
    direct: tuple[object, ...]  # (principal, conditional, conditions) of every one-hop reacher


class FindingContext:
    def __init__(self, snapshot: Snapshot, graph: TrustGraph | None, options: FindingOptions | None = None) -> None:
        self.snapshot = snapshot
        self.graph: TrustGraph = graph if graph is not None else nx.DiGraph()
        self.options = options or FindingOptions()
        org = snapshot.organization
        self.org_id = org.id if org else None
        self.org_accounts: set[str] = set(org.accounts) if org else set()
        # Role ARN → its trusted nodes that follow an AWS management pattern: a role is the first hop of the
        # paths of many reachers, asked about once per reacher.
        self.first_hop_patterns: dict[str, dict[str, str]] = {}
        # What the review needs of who can reach each sensitive role, kept from the rules' answers. Only a
        # bounded summary is kept: whole answers for every sensitive role grow with their product.
        self._summaries: dict[str, ReacherSummary] = {}
        self._outside: dict[str, bool] = {}
        graph_ctx: dict[str, Any] = self.graph.graph.get("accounts") or {}
        self.vendors: dict[str, str] = {**(graph_ctx.get("vendors") or {}), **dict(self.options.known_accounts)}
        self.internal: set[str] = (set(snapshot.collected_accounts) | self.org_accounts
                                   | set(graph_ctx.get("internal") or []) | set(graph_ctx.get("own_names") or []))
        # The moment the graph's verdicts stand for (time conditions), in seconds since the epoch.
        stamp = self.graph.graph.get("data_time")
        self.data_time: float | None = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() \
            if isinstance(stamp, str) else None

    @cached_property
    def by_unique_id(self) -> dict[str, str]:
        """Unique id → ARN of every user and role in the data (first one wins, as a dict merge did)."""
        found: dict[str, str] = {}
        principals: dict[str, Role | User] = {**self.snapshot.roles, **self.snapshot.users}
        for arn, p in principals.items():
            if p.unique_id:
                found.setdefault(p.unique_id, arn)
        return found

    def reachers(self, role_arn: str) -> list[Any]:
        """Who can reach a role through role assumptions (the findings judge trust policies; PassRole, code and IAM
        routes are left to who-can-reach), the role itself left out, in who_can_reach's order, as `Reached`
        answers (`full_reacher` makes the Reacher of one). Its summary is kept for
        reacher_summary."""
        found = [] if role_arn not in self.graph else [
            r for r in self.shared_reachers.of(role_arn) if r.principal != role_arn]
        # The kept reachers are made Reachers when the review asks: the findings alone never show them.
        outside = [r for r in found if self.outside(r.principal)]
        inside = [r for r in found if not self.outside(r.principal)][:ReacherSummary.KEPT]
        self._summaries[role_arn] = ReacherSummary(
            outside + inside, len(found), sum(1 for r in found if not r.conditional),
            tuple(sorted((r.principal, r.conditional, tuple(r.conditions)) for r in found if r.hops == 1)))
        return found

    @cached_property
    def shared_reachers(self) -> Any:
        """The reverse searches of the trust graph, one per class of roles trusted alike (`SharedReachers`)."""
        from trustgraph.analysis.reachability import SharedReachers
        return SharedReachers(self.trust_graph)

    def full_reacher(self, found: Any, role_arn: str) -> Any:
        """The who_can_reach Reacher of one of `reachers(role_arn)`."""
        from trustgraph.analysis.reachability import full_reacher
        return full_reacher(self.trust_graph, found, role_arn, self.classification_context)

    def outside(self, node: str) -> bool:
        """Is this reacher outside the organization (graph/classification.is_outside)? Asked for every reacher of
        every sensitive role, of a few thousand distinct principals."""
        known = self._outside.get(node)
        if known is None:
            from trustgraph.graph.classification import is_outside
            known = self._outside[node] = is_outside(self.graph, node, self.classification_context)
        return known

    def classification(self, found: Any, role_arn: str) -> str:
        """The Reacher's classification of one of `reachers(role_arn)`, without making the Reacher."""
        from trustgraph.analysis.reachability import reached_classification
        return reached_classification(self.trust_graph, found, role_arn, self.classification_context)

    @cached_property
    def classification_context(self) -> dict[str, Any]:
        from trustgraph.graph.classification import prepared_context
        return prepared_context(self.trust_graph)

    def reacher_summary(self, role_arn: str) -> ReacherSummary:
        summary = self._summaries.get(role_arn)
        if summary is None:
            self.reachers(role_arn)
            summary = self._summaries[role_arn]
        return replace(summary, reachers=[self.full_reacher(r, role_arn) for r in summary.reachers])

    @cached_property
    def sensitive(self) -> dict[str, Sensitivity]:
        return sensitive_roles(self.snapshot, self.options.sensitive_patterns, self.data_time)

    @cached_property
    def _org_policies(self) -> OrgGate | None:
        if self.snapshot.organization is None or not self.snapshot.organization.policies:
            return None
        from trustgraph.policy.organization import OrganizationPolicies
        return OrganizationPolicies(self.snapshot.organization)

    # -- accounts -------------------------------------------------------------------------------
    def account_class(self, account: str | None, role_account: str) -> str:
        """same-account | org | internal (in the data, no org data) | vendor | external."""
        if not account:
            return "external"
        if account == role_account:
            return "same-account"
        if account in self.org_accounts:
            return "org"
        if account in self.vendors:
            return "vendor"
        if account in self.internal:
            return "internal"
        return "external"

    def aws_owned(self, account: str | None) -> bool:
        """An account the known-accounts list types `aws` (service log delivery, ECR images …), kept there with an
        "AWS " name prefix: owned by AWS, not a SaaS vendor."""
        return bool(account) and self.vendors.get(account or "", "").startswith(AWS_OWNED_PREFIX)

    def account_label(self, account: str | None) -> str:
        if not account:
            return "an unknown account"
        name = self.vendors.get(account) or self.snapshot.account_name(account)
        return f"{name} ({account})" if name else account

    # -- graph facts ----------------------------------------------------------------------------
    @cached_property
    def trust_graph(self) -> TrustGraph:
        """The graph's trust edges only: the rules judge trust policies, not PassRole, code or IAM routes."""
        from trustgraph.analysis.reachability import restrict
        return restrict(self.graph, Via.ASSUME)

    def edge(self, src: str, dst: str) -> dict[str, Any] | None:
        """The trust edge src → dst (its trust alternatives only), if any."""
        if self.trust_graph.has_edge(src, dst):
            return self.trust_graph.edges[src, dst]
        return None

    def org_denial(self, role: Role, account: str, action: str = "sts:AssumeRole") -> str | None:
        """The RCP that denies any principal of `account` assuming `role`, if organization data says so."""
        policies = self._org_policies
        if policies is None:
            return None
        caller = Caller(NodeKind.ACCOUNT.value, root_arn(account), account=account, org=policies.facts_for(account))
        verdict = policies.rcp(caller, role, action, RequestFacts(caller, role, policies.facts_for(role.account)))
        if verdict is not None and verdict.denied is Tri.TRUE:
            return verdict.deny_source
        return None

    # -- building findings ----------------------------------------------------------------------
    def finding(self, rule_id: str, role: Role | User | str, principal: str | None, message: str, *,
                statement: Statement | None = None, severity: Severity | None = None,
                evidence: dict[str, Any] | None = None, fixed: dict[str, Any] | None = None,
                remediation: str | None = None, mitigated_by: list[str] | None = None,
                account: str | None = None) -> Finding:
        rule = RULES[rule_id]
        chosen = severity or rule.severity
        ev = dict(evidence or {})
        if statement is not None:
            ev.setdefault("statement", statement.label)
            if statement.sid:
                ev.setdefault("sid", statement.sid)
        if chosen is not rule.severity:
            ev.setdefault("default_severity", rule.severity.value)
        # The subject is a role, or (escalation findings) a user or an account's root ARN, or (Identity Center
        # findings) an ARN without an account, which then comes as `account`.
        arn = role if isinstance(role, str) else role.arn
        if account is None:
            account = role.split(":")[4] if isinstance(role, str) else role.account
        return Finding(rule=rule_id, severity=chosen, role=arn, principal=principal, message=message,
                       evidence=ev, remediation=remediation or rule.remediation, account=account,
                       account_name=self.snapshot.account_name(account) or None,
                       statement=statement.label if statement is not None else None, fixed_statement=fixed,
                       mitigated_by=list(mitigated_by or []), source=(role.source or None) if isinstance(role, Role)
                       else None)
