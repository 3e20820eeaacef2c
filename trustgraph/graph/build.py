"""Build the trust graph from a Snapshot.

Each role's trust is compiled once. Direct grants become one edge each. Account-principal and `*`
grants are expanded only to the callers of that account present in the data whose identity side
allows the call, found through a per-account index of sts:AssumeRole grants, never by testing
every caller against every role. Accounts outside the data stay one `account` node.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import chain, repeat

import networkx as nx

from trustgraph.arns import partition_of
from trustgraph.gc_pause import collector_paused
from trustgraph.graph.callers import CallerDirectory
from trustgraph.graph.classes import TrustClasses, shareable
from trustgraph.graph.classification import annotate
from trustgraph.graph.identity_center import add_identity_center
from trustgraph.graph.identity_center_admins import add_identity_center_admins
from trustgraph.graph.indirect import IndirectEdges
from trustgraph.graph.parallel import in_order, spans
from trustgraph.graph.schema import (
    GRAPH_SCHEMA,
    TRUST_RECORD_KEYS,
    EdgeKind,
    NodeKind,
    TrustGraph,
    caller_edge_kind,
    caller_node_kind,
    record_maker,
)
from trustgraph.graph.usage import add_usage
from trustgraph.model import ProgressCallback, Role, Snapshot, Statement
from trustgraph.policy.caller import Caller, OrgFacts
from trustgraph.policy.facts import tests_per_principal_facts
from trustgraph.policy.globs import arn_matches
from trustgraph.policy.trust import (
    AssumeVerdict,
    CompiledTrust,
    OrgGate,
    TrustGrant,
    compile_trust,
    evaluate_assume,
    forced_companions,
)

# Evidence records of trust and member edges: plain dicts sharing one key table (schema.record_maker).
record = record_maker(TRUST_RECORD_KEYS)

# Roles whose trust a forked worker decides per task (graph/parallel.py): smaller inputs are built in one process.
ROLES_PER_TASK = 2000

# Caller kinds that are their node's kind whatever principal form named them.
_SELF_NAMED = frozenset({NodeKind.ACCOUNT, NodeKind.PUBLIC, NodeKind.SERVICE, NodeKind.FEDERATED, NodeKind.UNKNOWN})


def _hub_ok(compiled: CompiledTrust, grant: TrustGrant, account: str, org: OrgGate | None) -> bool:
    """Can account `account`'s uniform callers be covered by one account-level check for this grant?"""
    if tests_per_principal_facts(grant.statement) or forced_companions(grant.statement):
        return False
    if org is not None and org.per_principal(account, compiled.role.account):
        return False
    for st, refs in compiled.denies:
        if tests_per_principal_facts(st) or any(r.kind not in ("account", "public") and r.account in (account, None)
                                     for r in refs):
            return False
    return True


def _principal_arn_patterns(statement: Statement) -> list[str] | None:
    """ARN patterns a grant's positive aws:PrincipalArn condition limits the callers to; None if none."""
    for c in statement.conditions:
        op = c.operator.lower()
        if c.key.lower() == "aws:principalarn" and op in ("arnequals", "arnlike", "stringequals", "stringlike") \
                and not any("${" in v for v in c.values):
            return list(c.values)
    return None


def _candidate_accounts(statement: Statement) -> set[str] | None:
    """Accounts a grant's own conditions limit the callers to (aws:PrincipalAccount, aws:PrincipalArn);
    None when they don't."""
    limit: set[str] | None = None
    for c in statement.conditions:
        op = c.operator.lower()
        if "not" in op or "ifexists" in op or op.startswith("forallvalues"):
            continue
        key = c.key.lower()
        if key == "aws:principalaccount" and op in ("stringequals", "stringlike"):
            accounts = {v for v in c.values if "*" not in v and "?" not in v}
            if len(accounts) != len(c.values):
                continue
        elif key == "aws:principalarn" and op in ("arnequals", "arnlike", "stringequals", "stringlike"):
            segments = [v.split(":", 5) for v in c.values]
            if any(len(seg) != 6 or "*" in seg[4] or "?" in seg[4] or "$" in seg[4] for seg in segments):
                continue
            accounts = {seg[4] for seg in segments}
        else:
            continue
        limit = accounts if limit is None else limit & accounts
    return limit


def _condition_dicts(verdict: AssumeVerdict) -> list[dict[str, object]]:
    seen: list[dict[str, object]] = []
    for c in verdict.unresolved:
        item: dict[str, object] = {"operator": c.operator, "key": c.key, "values": list(c.values)}
        if item not in seen:
            seen.append(item)
    return seen


def _condition_key(c: dict[str, object]) -> tuple[object, ...]:
    return c["operator"], c["key"], tuple(c["values"])  # type: ignore[arg-type]  # values: a list of strings


def _reason(caller: Caller, role: Role, grant: TrustGrant, verdict: AssumeVerdict) -> str:
    ref = grant.principal
    scope = "same account" if caller.account == role.account else "cross-account"
    if ref.kind == "service":
        text = f"trust allows the service {ref.written}"
    elif ref.kind in ("saml", "oidc", "web-identity"):
        text = f"trust allows holders of a {ref.kind.upper() if ref.kind == 'saml' else 'web identity'} token " \
               f"from {ref.written}"
    elif ref.kind == "public":
        text = "trust allows any AWS principal ({\"AWS\":\"*\"})"
    elif ref.kind == "account":
        text = f"trust delegates to account {ref.account}"
    elif ref.kind == "session":
        text = f"trust names session {ref.session_name!r} of this role"
    elif ref.kind == "unique-id":
        text = f"trust names unique id {ref.written} (a deleted principal)"
    else:
        text = f"trust names this {ref.kind} directly"
    if caller.is_aws_principal and caller.concrete:
        if verdict.needs_identity:
            src = f" ({verdict.identity_source})" if verdict.identity_source else ""
            text += f"; {scope}: its own policies allow {ref.action}{src}"
        else:
            text += f"; {scope}: no identity policy needed"
    elif caller.hub:
        text += "; taken by the account's principals whose own policies allow sts:AssumeRole on every role"
    elif caller.kind == NodeKind.ACCOUNT:
        text += "; any principal there that its account's policies allow"
    if verdict.unresolved:
        keys = sorted({c.key for c in verdict.unresolved})
        text += "; only if " + ", ".join(keys) + " hold at run time"
    return text


class GraphBuilder:
    def __init__(self, snapshot: Snapshot, org: OrgGate | None = None,
                 org_facts: dict[str, OrgFacts] | None = None, classes: bool = True,
                 data_time: float | None = None, indirect: bool = True, part: frozenset[str] | None = None,
                 jobs: int = 1) -> None:
        self.snapshot = snapshot
        # The accounts a part build owns (`build --part`, graph/parts.py): the trust edges into their roles and the
        # indirect edges of their callers; the rest of the organization is read, not evaluated.
        self.part = part
        self.jobs = jobs  # processes the build may use (graph/parallel.py); the graph is the same for any
        self.indirect = indirect  # PassRole, code, IAM and AssumeRoot edges (graph/indirect.py)
        self.org = org
        self.data_time = data_time  # seconds since the epoch: time conditions are decided as of then
        self.directory = CallerDirectory(snapshot, org_facts)
        self.graph: TrustGraph = nx.DiGraph()
        self.problems: list[dict[str, object]] = []
        self.hubs: dict[str, str] = {}  # hub node id → account
        # Evidence records are read-only once built: equal ones (the same trust statement taken by callers
        # with the same policies) share one dict, which saves most of the graph's memory at scale.
        self._evidence: dict[tuple[object, ...], dict[str, object]] = {}
        # Their parts too: equal conditions, notes and reasons recur across roles and callers (as in indirect_base).
        self._parts: dict[object, object] = {}
        # classes=False expands every `*` grant caller by caller: the reference the class build is checked against.
        self.classes = TrustClasses(self.directory, org, self._class_candidates) if classes else None

    # -- nodes ----------------------------------------------------------------------------------
    def _node(self, node_id: str, kind: str, **attrs: object) -> None:
        if node_id not in self.graph:
            # one string object per id: adjacency keys and evidence records refer to it instead of holding copies
            node_id = sys.intern(node_id)
            account = attrs.get("account")
            self.graph.add_node(node_id, kind=kind, label=attrs.pop("label", node_id), **attrs)
            if isinstance(account, str) and account and "account_name" not in attrs:
                self.graph.nodes[node_id]["account_name"] = self.snapshot.account_name(account)

    def _principal_nodes(self) -> None:
        # AWS's unique id (UserId AIDA…, RoleId AROA…) where the data has it: BloodHound's export keys nodes by it
        for arn, user in sorted(self.snapshot.users.items()):
            self._node(arn, NodeKind.USER.value, label=user.name, account=user.account, in_data=True, path=user.path,
                       **({"unique_id": user.unique_id} if user.unique_id else {}))
        for arn, role in sorted(self.snapshot.roles.items()):
            self._node(arn, NodeKind.ROLE.value, label=role.name, account=role.account, in_data=True, path=role.path,
                       service_linked=role.service_linked, tags=dict(role.tags),
                       identity_data=role.has_identity_data,
                       **({"unique_id": role.unique_id} if role.unique_id else {}))

    # -- callers for a grant ------------------------------------------------------------------
    def _account_callers(self, account: str, role: Role, grant: TrustGrant,
                         compiled: CompiledTrust) -> Iterator[Caller]:
        """Callers of a collected account for an account-wide grant: its uniform callers through the
        account's hub node (one check, one edge), everyone else one by one."""
        index = self.directory.grant_index(account)
        hub = bool(index.uniform) and _hub_ok(compiled, grant, account, self.org)
        if hub:
            caller = self.directory.abstract_account(account, grant.principal.partition)
            caller.hub = True
            yield caller
        for arn in index.candidates(role.arn, include_uniform=not hub):
            yield self.directory.concrete(arn)

    def _class_candidates(self, statement: Statement) -> list[str]:
        """Principals a class's caller-side conditions can possibly admit, as the expansion would find them."""
        d = self.directory
        patterns = _principal_arn_patterns(statement)
        if patterns is not None:
            return sorted({arn for p in patterns for arn in d.matching_arn(p)})
        limit = _candidate_accounts(statement)
        accounts = self.snapshot.collected_accounts if limit is None else self.snapshot.collected_accounts & limit
        # Like account-wide grants, principals whose own policies are not in the data are not expanded here.
        return [arn for account in sorted(accounts) for arn in d.callers_in(account) if d.profile(arn) is not None]

    def _public(self, role: Role) -> Caller:
        # The public stand-in is outside every account of the data set and of its organization.
        return Caller(NodeKind.PUBLIC.value, "*", partition=partition_of(role.arn),
                      org=None if self.directory.org_facts is None else OrgFacts(None, None))

    def _callers(self, role: Role, grant: TrustGrant, compiled: CompiledTrust,
                 same_account_only: bool = False) -> Iterator[Caller]:
        """Callers to decide one by one for a grant; same_account_only: other accounts' principals are
        decided through trust classes (a `*` grant)."""
        ref = grant.principal
        d = self.directory
        arn: str | None  # a principal's ARN, or none found for a session or unique id
        limit = _candidate_accounts(grant.statement)
        patterns = _principal_arn_patterns(grant.statement) if ref.kind == "public" else None
        if patterns is not None:
            # `*` limited by aws:PrincipalArn: only principals the patterns name can ever match.
            if same_account_only:  # other accounts' principals come through the trust class
                named = [arn for arn in d.callers_in(role.account) if any(arn_matches(p, arn) for p in patterns)]
            else:
                named = sorted({arn for p in patterns for arn in d.matching_arn(p)})
            for arn in named:
                yield d.concrete(arn)
            yield self._public(role)
        elif ref.kind == "public":
            if limit is None or role.account in limit:
                for arn in d.callers_in(role.account):
                    yield d.concrete(arn)
            if same_account_only:
                yield self._public(role)
                return
            others = self.snapshot.collected_accounts - {role.account}
            for account in sorted(others if limit is None else others & limit):
                yield from self._account_callers(account, role, grant, compiled)
            yield self._public(role)
        elif ref.kind == "account" and ref.account:
            if limit is not None and ref.account not in limit:
                return
            if ref.account in self.snapshot.collected_accounts:
                yield from self._account_callers(ref.account, role, grant, compiled)
            else:
                yield d.abstract_account(ref.account, ref.partition)
        elif ref.kind in ("user", "role"):
            if ref.written in d.principals:
                yield d.concrete(ref.written)
            else:
                yield Caller(ref.kind, ref.written, account=ref.account, arn=ref.written, partition=ref.partition,
                             org=d.org_of(ref.account))
        elif ref.kind == "session":
            arn = d.roles_by_name.get((ref.account or "", ref.role_name or ""))
            if arn:
                yield d.concrete(arn)
            else:
                yield Caller(NodeKind.ROLE.value, ref.node_id, account=ref.account, arn=ref.node_id,
                             partition=ref.partition, org=d.org_of(ref.account))
        elif ref.kind == "unique-id":
            arn = d.by_unique_id.get(ref.written)
            if arn:
                yield d.concrete(arn)
            else:
                yield Caller(NodeKind.UNKNOWN.value, ref.written, unique_id=ref.written,
                             partition=partition_of(role.arn))
        elif ref.kind == "service":
            yield Caller(NodeKind.SERVICE.value, ref.written, partition=partition_of(role.arn))
        elif ref.kind in ("saml", "oidc", "web-identity"):
            yield Caller(NodeKind.FEDERATED.value, ref.written, account=ref.account, partition=ref.partition)
        elif ref.kind == "invalid" and not ref.account:
            yield Caller(NodeKind.UNKNOWN.value, ref.written, partition=partition_of(role.arn))
        elif ref.kind == "unresolved":  # a template placeholder: kept as an unknown principal, not evaluated
            yield Caller(NodeKind.UNKNOWN.value, ref.written, account=ref.account,
                         partition=partition_of(role.arn))

    def _caller_node(self, caller: Caller, grant: TrustGrant) -> None:
        if caller.node_id in self.graph:
            return
        ref = grant.principal
        # a caller of these kinds is what it says; a user or role not in the data is what its principal form names
        kind = caller.kind if caller.concrete or caller.kind in _SELF_NAMED \
            else caller_node_kind(ref.kind).value
        attrs: dict[str, object] = {"in_data": caller.concrete}
        if caller.account:
            attrs["account"] = caller.account
        if kind == NodeKind.FEDERATED:
            attrs["provider_type"] = ref.kind
        if kind == NodeKind.ACCOUNT:
            attrs["collected"] = caller.account in self.snapshot.collected_accounts
            if caller.hub:
                attrs["hub"] = True
                self.hubs[caller.node_id] = caller.account or ""
        if kind == NodeKind.UNKNOWN and ref.problem:
            attrs["problem"] = ref.problem
        if ref.unresolved:
            attrs["unresolved"] = True
        label = caller.node_id
        if kind in (NodeKind.USER, NodeKind.ROLE):
            label = caller.node_id.rsplit("/", 1)[-1]
        elif kind == NodeKind.ACCOUNT and caller.account:
            label = self.snapshot.account_name(caller.account) or caller.account
        elif kind == NodeKind.FEDERATED:
            label = caller.node_id.split(":oidc-provider/", 1)[-1].split(":saml-provider/", 1)[-1]
        self._node(caller.node_id, kind, label=label, **attrs)

    # -- edges ----------------------------------------------------------------------------------
    def _shared(self, evidence: dict[str, object]) -> dict[str, object]:
        key = tuple(tuple(_condition_key(c) for c in v)  # type: ignore[attr-defined]  # v: a list of dicts
                    if k == "conditions" else tuple(v) if isinstance(v, list) else v
                    for k, v in evidence.items())
        return self._evidence.setdefault(key, evidence)

    def _evidence_record(self, role: Role, grant: TrustGrant, verdict: AssumeVerdict, reason: str) -> dict[str, object]:
        st, ref = grant.statement, grant.principal
        parts = self._parts
        conditions = _condition_dicts(verdict)
        chosen = sorted({c.key for c in verdict.chosen})
        return self._shared(record({
            "role": sys.intern(role.arn),
            "statement": st.index,
            "sid": st.sid,
            "principal": ref.written,
            "principal_form": ref.kind,
            "action": ref.action,
            "effect": st.effect,
            "conditions": parts.setdefault(("conditions", *(_condition_key(c) for c in conditions)), conditions),
            "caller_chosen": parts.setdefault(("caller_chosen", *chosen), chosen),
            "notes": parts.setdefault(("notes", *verdict.notes), verdict.notes),
            "reason": parts.setdefault(reason, reason),
        }))

    def _attach(self, src: str, role: Role, verdict: AssumeVerdict, evidence: dict[str, object], kind: str,
                scope: str) -> None:
        """Add the edge src → role, or fold another grant into it: unconditional if any grant is."""
        src, dst = sys.intern(src), sys.intern(role.arn)
        if self.graph.has_edge(src, dst):
            data = self.graph.edges[src, dst]
            data["evidence"].append(evidence)
            if not verdict.conditional:
                data["conditional"] = False
                data["conditions"] = []
            elif data["conditional"]:
                data["conditions"] = sorted(set(data["conditions"]) | {c.key for c in verdict.unresolved})
            return
        self.graph.add_edge(src, dst, kind=kind, scope=scope, conditional=verdict.conditional,
                            conditions=sorted({c.key for c in verdict.unresolved}), evidence=[evidence])

    def _edge(self, caller: Caller, role: Role, grant: TrustGrant, verdict: AssumeVerdict) -> None:
        ref = grant.principal
        self._caller_node(caller, grant)
        evidence = self._evidence_record(role, grant, verdict, _reason(caller, role, grant, verdict))
        kind = caller_edge_kind(ref.kind).value
        if caller.kind == NodeKind.PUBLIC:
            scope = "public"
        elif caller.kind in (NodeKind.SERVICE, NodeKind.FEDERATED):
            scope = caller.kind
        elif caller.account and caller.account == role.account:
            scope = "same-account"
        else:
            scope = "cross-account"
        self._attach(caller.node_id, role, verdict, evidence, kind, scope)

    def _class_edges(self, role: Role, grant: TrustGrant, compiled: CompiledTrust) -> None:
        assert self.classes is not None
        for cls, edge in self.classes.edges(role, grant, compiled):
            group = edge.group
            if group is None:
                self._edge(edge.caller, role, grant, edge.verdict)
                continue
            if group.node_id not in self.graph:
                accounts = {self.directory.principals[m].account for m in group.members}
                self.graph.add_node(group.node_id, kind=NodeKind.CLASS.value, hub=True, in_data=False,
                                    label=cls.label,
                                    class_conditions=[{"operator": c.operator, "key": c.key, "values": list(c.values)}
                                                      for c in cls.conditions],
                                    members=len(group.members), member_accounts=len(accounts))
            verdict = edge.verdict
            reason = f"trust allows any AWS principal ({{\"AWS\":\"*\"}}) that matches {cls.label}; " \
                     "cross-account: the members' own policies allow " + grant.principal.action
            if verdict.identity_source:
                reason += f" ({verdict.identity_source})"
            if verdict.unresolved:
                reason += "; only if " + ", ".join(sorted({c.key for c in verdict.unresolved})) + " hold at run time"
            self._attach(group.node_id, role, verdict, self._evidence_record(role, grant, verdict, reason),
                         EdgeKind.ASSUME.value, "cross-account")

    def _class_members(self) -> None:
        """member → class hub, for every group that reaches at least one role."""
        if self.classes is None:
            return
        for cls in self.classes.classes.values():
            for group in cls.groups:
                if group.node_id not in self.graph:
                    continue
                for arn in group.members:
                    unresolved = cls.membership[arn]
                    conditions = [{"operator": c.operator, "key": c.key, "values": list(c.values)} for c in unresolved]
                    reason = f"matches {cls.label}" + (
                        "; only if " + ", ".join(sorted({c.key for c in unresolved})) + " hold at run time"
                        if unresolved else "")
                    evidence = self._shared(record({
                        "role": None, "statement": None, "sid": None, "principal": arn, "principal_form": "member",
                        "action": cls.action, "effect": "Allow", "conditions": conditions, "caller_chosen": [],
                        "notes": [], "reason": reason}))
                    self.graph.add_edge(arn, group.node_id, kind=EdgeKind.MEMBER.value, scope="member",
                                        conditional=bool(unresolved),
                                        conditions=sorted({c.key for c in unresolved}), evidence=[evidence])

    def _member_edges(self) -> None:
        """uniform caller → its account's hub: the caller may use every account-wide trust of that account."""
        for hub, account in sorted(self.hubs.items()):
            for arn in self.directory.grant_index(account).uniform:
                profile = self.directory.profile(arn)
                source = next((s.source for s in profile.allows if not s.statement.conditions), "") \
                    if profile else ""
                evidence = record({
                    "role": None, "statement": None, "sid": None, "principal": arn, "principal_form": "member",
                    "action": "sts:AssumeRole", "effect": "Allow", "conditions": [], "caller_chosen": [], "notes": [],
                    "reason": f"its own policies allow sts:AssumeRole on every role ({source}), so it can "
                              f"use every trust that delegates to account {account}"})
                self.graph.add_edge(arn, hub, kind=EdgeKind.MEMBER.value, scope="member", conditional=False,
                                    conditions=[], evidence=[evidence])

    def _trust_edges_drawn(self) -> None:
        """Free what only the trust edges use before the indirect edges start: their peak comes later, and these
        (equal-record keys, trust classes, per-account grant indexes) would be alive at it for nothing."""
        self._evidence = {}
        self._parts = {}
        if self.classes is not None:
            self.classes.release()
        self.directory.forget_grant_indexes()

    def _verdicts(self, role: Role, grant: TrustGrant, compiled: CompiledTrust
                  ) -> Iterator[tuple[Caller, AssumeVerdict]]:
        """The callers a grant lets in, one by one (those of a trust class aside), with their verdicts."""
        by_class = self.classes is not None and shareable(grant, compiled)
        for caller in self._callers(role, grant, compiled, same_account_only=by_class):
            profile = self.directory.profile(caller.node_id) if caller.concrete else None
            verdict = evaluate_assume(caller, compiled, grant, profile, self.org)
            if verdict is not None:
                yield caller, verdict

    def _role_verdicts(self, role: Role) -> list[list[tuple[Caller | str, AssumeVerdict]]]:
        """`_verdicts` of each grant of the role's trust, a principal of the data by its ARN: a pure computation,
        which a forked worker can make."""
        compiled = compile_trust(role, self.data_time)
        return [[] if role.service_linked and grant.principal.kind != "service"
                else [(c.node_id if c.concrete else c, v) for c, v in self._verdicts(role, grant, compiled)]
                for grant in compiled.grants]

    def _decided(self, roles: list[Role]) -> Iterator[list[list[tuple[Caller, AssumeVerdict]]] | None]:
        """For each role, its grants' verdicts decided by forked workers; None (decided while drawing) in one
        process."""
        bounds = spans(len(roles), ROLES_PER_TASK, self.jobs)
        if len(bounds) == 2:
            return repeat(None)
        d = self.directory
        for account in sorted(self.snapshot.collected_accounts):  # built once here, not again by each worker
            for arn in d.callers_in(account):
                d.profile(arn)
        found = chain.from_iterable(in_order(
            lambda task: [self._role_verdicts(r) for r in roles[bounds[task]:bounds[task + 1]]], len(bounds) - 1,
            self.jobs))
        return ([[(d.concrete(c) if isinstance(c, str) else c, v) for c, v in grant] for grant in role]
                for role in found)

    def build(self, progress: ProgressCallback | None = None) -> TrustGraph:
        self._principal_nodes()
        roles = sorted((r for r in self.snapshot.roles.values() if self.part is None or r.account in self.part),
                       key=lambda r: r.arn)
        decided = self._decided(roles)
        for i, role in enumerate(roles):
            compiled: CompiledTrust = compile_trust(role, self.data_time)
            found = next(decided)
            for problem in compiled.problems:
                self.problems.append({"role": role.arn, "statement": problem.statement,
                                      "principal": problem.principal, "message": problem.message})
            for at, grant in enumerate(compiled.grants):
                if role.service_linked and grant.principal.kind != "service":
                    continue  # only the service can assume a service-linked role (§7.3)
                by_class = self.classes is not None and shareable(grant, compiled)
                for caller, verdict in self._verdicts(role, grant, compiled) if found is None else found[at]:
                    self._edge(caller, role, grant, verdict)
                if by_class:
                    self._class_edges(role, grant, compiled)
            if progress and (i % 500 == 0 or i == len(roles) - 1):
                progress(i + 1, len(roles))
        self._member_edges()
        self._class_members()
        self._trust_edges_drawn()
        indirect = IndirectEdges(self.graph, self.snapshot, self.directory, self.org, self.data_time,
                                 part=self.part, jobs=self.jobs) if self.indirect else None
        if indirect is not None:
            indirect.add()
        if self.part is None:
            # after the trust edges: a sign-in takes the verdict of the AWSSSO provider's edge into the role
            add_identity_center(self.graph, self.snapshot)
            if indirect is not None:
                # after the people: administrators of Identity Center reach its groups and users
                add_identity_center_admins(indirect)
        else:
            # A sign-in needs the trust edges of roles of every part: the merge adds them (graph/parts.py), and what
            # else needs edges of other parts (the policy writes this part could not decide).
            self.graph.graph["part"] = {"accounts": sorted(self.part),
                                        **(indirect.pending() if indirect is not None else {})}
        # The indirect edges' working state (permission answers, organization verdicts) is not needed by what
        # follows: freed before annotate adds to the graph, not after.
        indirect = None
        g = self.graph
        g.graph["schema"] = GRAPH_SCHEMA
        g.graph["collected_accounts"] = sorted(self.snapshot.collected_accounts)
        g.graph["account_names"] = {a: n for a in sorted(self.snapshot.accounts | self.snapshot.collected_accounts)
                                    if (n := self.snapshot.account_name(a))}
        g.graph["trust_problems"] = self.problems
        org = self.snapshot.organization
        if org is not None:
            g.graph["organization_id"] = org.id
        g.graph["accounts"] = {
            "org_id": org.id if org else None,
            "org_accounts": {a.id: a.ou_path for a in org.accounts.values()} if org else {},
            "ou_names": {u.id: u.name for u in [*org.roots, *org.units]} if org else {},
            "management_account_id": org.management_account_id if org else None,
            "internal": sorted(self.snapshot.collected_accounts | set(self.snapshot.account_names)),
            "vendors": {},
            "names": dict(self.snapshot.account_names),
        }
        annotate(g)
        return g


def data_time_of(snapshot: Snapshot, given: datetime | None = None) -> tuple[datetime, str]:
    """The moment the data stands for, and where it comes from: `given`, else the collection manifest, else
    now (the build)."""
    if given is not None:
        return (given if given.tzinfo else given.replace(tzinfo=UTC)), "given"
    if snapshot.collected_at:
        return datetime.fromisoformat(snapshot.collected_at.replace("Z", "+00:00")), "manifest"
    return datetime.now(UTC).replace(microsecond=0), "build"


def organization_gate(snapshot: Snapshot) -> tuple[OrgGate | None, dict[str, OrgFacts] | None]:
    """The SCP/RCP gate of the snapshot's organization and its accounts' facts (None, None without one)."""
    if snapshot.organization is None:
        return None, None
    from trustgraph.policy.organization import OrganizationPolicies
    policies = OrganizationPolicies(snapshot.organization)
    return policies, policies.account_facts()


def build_graph(snapshot: Snapshot, progress: ProgressCallback | None = None, classes: bool = True,
                data_time: datetime | None = None, part: frozenset[str] | None = None,
                jobs: int = 1) -> TrustGraph:
    """The trust graph of a snapshot (organization data, when present, gates it with SCPs and RCPs).

    classes=False expands org-wide `*` trusts caller by caller instead of through trust classes (same
    answers, quadratic size; kept as the reference for equivalence checks). Time conditions (aws:CurrentTime,
    aws:EpochTime, aws:TokenIssueTime) are decided as of `data_time`, else the collection time in the
    snapshot's manifest, else the build time; the graph records which (`data_time`, `data_time_source`).
    `part`: the accounts of one part of the organization (graph/parts.py merges the parts' graphs).

    `jobs`: processes to use (forked, graph/parallel.py), the same graph for any number; large inputs only."""
    moment, source = data_time_of(snapshot, data_time)
    org_gate, org_facts = organization_gate(snapshot)
    with collector_paused():
        builder = GraphBuilder(snapshot, org_gate, org_facts, classes, moment.timestamp(), part=part, jobs=jobs)
        graph = builder.build(progress)
        # The trust classes call back into the builder (a reference cycle). Broken here, the builder and its
        # caches (callers, identity profiles, organization verdicts) are freed now; left as a cycle, the
        # collector_paused freeze below would keep them for the life of the process.
        builder.classes = None
        del builder
    graph.graph["data_time"] = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    graph.graph["data_time_source"] = source
    graph.graph["incomplete"] = list(snapshot.gaps)  # what the data is known to lack (sources/snapshot_builder.py)
    if part is not None:
        graph.graph["part"]["data_time"] = moment.timestamp()  # the merge decides as of the same moment
    if part is None:  # a part's usage is put on the merged graph, whose edges explain the calls (graph/parts.py)
        add_usage(graph, snapshot)  # what CloudTrail saw used, when the inputs held events (graph/usage.py)
    return graph
