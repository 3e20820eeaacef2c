"""People and IAM Identity Center (TG7xx): admin-equivalent permission sets assigned to a person directly (TG701),
to a large group (TG702) or in the management account (TG703), groups signing in to sensitive roles in many
accounts (TG704), and the problems the graph recorded while placing the people (`graph.graph["identity_center"]
["problems"]`, graph/identity_center.py): assignments naming what is not in the data (TG705), assignments without
their role (TG706), AWSReservedSSO roles without an assignment (TG707), with other policies (TG708) or a trust that
does not admit the sign-in (TG709).

A permission set is admin-equivalent by the rules that judge roles (policy/sensitivity.admin_reasons), applied to
what the permission set would give its role in the account: its managed policies, its customer managed policies and
boundary as that account holds them, its inline policy. The assignment rules read the snapshot (they run without a
graph); TG704 and the problems read the graph.

One finding per permission set and principal (the accounts it holds it in are listed), not per assignment, and at
most PER_RULE per rule, the rest counted in one more: an organization of a thousand accounts with a few thousand
assignments gives a bounded report. Cost: one pass over the assignments, memberships and problems, the permission
sets judged once per set (once per set and account when it names customer managed policies).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from trustgraph.analysis.findings.context import FindingContext
from trustgraph.analysis.findings.model import Finding, Severity
from trustgraph.arns import partition_of
from trustgraph.graph.identity_center import group_node, user_node
from trustgraph.graph.schema import EdgeKind, graph_dicts
from trustgraph.model import IdentityCenter, InlinePolicy, PermissionSet, Role, Snapshot
from trustgraph.policy.sensitivity import admin_reasons

PER_RULE = 20  # findings one by one per rule; the rest are counted in one more
LISTED = 50  # members, accounts and principals an evidence lists by name
ACCOUNTS_SHOWN = 5  # accounts a message names
LARGE_GROUP_FLOOR = 3  # a group this small is never large by its share of the directory
INLINE_NAME = "inline policy of the permission set"


@dataclass(slots=True)
class _Grant:
    """One permission set held by one principal, with the accounts it is assigned in."""

    pset: PermissionSet
    principal: str  # graph node of the user or group
    principal_type: str  # USER | GROUP
    accounts: list[str] = field(default_factory=list)


def check_identity_center_role(ctx: FindingContext, role: Role) -> Iterator[Finding]:
    """The family has no rule about one role: its findings come from the whole data (check_identity_center)."""
    return iter(())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class _People:
    """What the rules need of the Identity Center data, indexed once."""

    def __init__(self, ctx: FindingContext, data: IdentityCenter) -> None:
        self.ctx = ctx
        self.data = data
        self.users = {u.user_id: u for u in data.users}
        self.groups = {g.group_id: g for g in data.groups}
        self.sets = {p.permission_set_arn: p for p in data.permission_sets}
        self.set_by_name = {p.name: p for p in data.permission_sets}
        members: dict[str, set[str]] = defaultdict(set)
        for m in data.group_memberships:
            if m.user_id in self.users and m.group_id in self.groups:
                members[m.group_id].add(m.user_id)
        self.members = {g: sorted(self.users[u].user_name for u in found) for g, found in members.items()}
        self._admin: dict[tuple[str, str | None], list[str]] = {}
        self._memo: dict[tuple[object, ...], list[str]] = {}
        self._signed_in: dict[tuple[str, str], set[str]] | None = None
        org = ctx.snapshot.organization
        owners = {i.instance_arn: i.owner_account_id for i in data.instances}
        # The management account: the organization's, else the owner of the (organization) instance.
        self.management: dict[str, str | None] = {
            arn: (org.management_account_id if org and org.management_account_id else owner)
            for arn, owner in owners.items()}
        self.default_management = org.management_account_id if org else None

    def label(self, node: str) -> str:
        """A user's user name, a group's display name (the id when it has none), else the node."""
        if node.startswith(group_node("")):
            group = self.groups.get(node[len(group_node("")):])
            return f"group {group.display_name or group.group_id}" if group else f"group {node.rsplit('/', 1)[-1]}"
        user = self.users.get(node[len(user_node("")):]) if node.startswith(user_node("")) else None
        return user.user_name if user else node.rsplit("/", 1)[-1]

    def admin(self, pset: PermissionSet, account: str) -> list[str]:
        """Why the permission set's role in `account` would be admin-equivalent (empty: it would not be)."""
        per_account = bool(pset.customer_managed_policies) or bool(
            pset.permissions_boundary and pset.permissions_boundary.customer_managed_policy)
        key = (pset.permission_set_arn, account if per_account else None)
        found = self._admin.get(key)
        if found is None:
            found = self._admin[key] = admin_reasons(self._role(pset, account), self.ctx.snapshot, self._memo,
                                                     self.ctx.data_time)
        return found

    def signed_in(self) -> dict[tuple[str, str], set[str]]:
        """(permission set ARN, account) → the roles the graph's sign-in edges lead to, indexed once."""
        if self._signed_in is None:
            self._signed_in = defaultdict(set)
            graph = self.ctx.graph
            if "identity_center" in graph.graph:
                nodes, succ, _ = graph_dicts(graph)
                # Sign-ins leave the people and groups only: their out-edges, not the whole graph's.
                starts = [user_node(u) for u in self.users] + [group_node(g) for g in self.groups]
                for node in starts:
                    for role, d in (succ[node] if node in succ else {}).items():
                        if d.get("kind") == EdgeKind.SSO:
                            key = (str(d.get("permission_set_arn")), str(nodes[role].get("account")))
                            self._signed_in[key].add(role)
        return self._signed_in

    def _role(self, pset: PermissionSet, account: str) -> Role:
        """The role the permission set would have in `account`, as far as its permissions go."""
        partition = partition_of(pset.permission_set_arn)

        def local(path: str, name: str) -> str:
            return f"arn:{partition}:iam::{account}:policy{path}{name}"

        attached = [*pset.managed_policies, *(local(r.path, r.name) for r in pset.customer_managed_policies)]
        boundary = None
        if pset.permissions_boundary is not None:
            ref = pset.permissions_boundary
            boundary = ref.managed_policy_arn or (local(ref.customer_managed_policy.path,
                                                        ref.customer_managed_policy.name)
                                                  if ref.customer_managed_policy else None)
        inline = [InlinePolicy(INLINE_NAME, pset.inline_policy)] if pset.inline_policy is not None else []
        return Role(arn=f"arn:{partition}:iam::{account}:role/aws-reserved/sso.amazonaws.com/"
                        f"AWSReservedSSO_{pset.name}", name=f"AWSReservedSSO_{pset.name}", account=account,
                    path="/aws-reserved/sso.amazonaws.com/", inline_policies=inline, attached_policy_arns=attached,
                    boundary_arn=boundary)

    def grants(self) -> list[_Grant]:
        """Every (permission set, user or group) of the data's assignments, with its accounts; assignments naming a
        user, group or permission set not in the data are left to TG705."""
        out: dict[tuple[str, str], _Grant] = {}
        for a in self.data.account_assignments:
            pset = self.sets.get(a.permission_set_arn)
            if pset is None:
                continue
            if a.principal_type == "USER":
                if a.principal_id not in self.users:
                    continue
                node = user_node(a.principal_id)
            else:
                if a.principal_id not in self.groups:
                    continue
                node = group_node(a.principal_id)
            grant = out.setdefault((pset.permission_set_arn, node), _Grant(pset, node, a.principal_type))
            if a.account_id not in grant.accounts:
                grant.accounts.append(a.account_id)
        for grant in out.values():
            grant.accounts.sort()
        return [out[k] for k in sorted(out)]

    def accounts_text(self, accounts: list[str]) -> str:
        if len(accounts) == 1:
            return f"account {self.ctx.account_label(accounts[0])}"
        shown = ", ".join(self.ctx.account_label(a) for a in accounts[:ACCOUNTS_SHOWN])
        more = f" and {len(accounts) - ACCOUNTS_SHOWN} more" if len(accounts) > ACCOUNTS_SHOWN else ""
        return f"{_plural(len(accounts), 'account')} ({shown}{more})"


def _finding(ctx: FindingContext, rule_id: str, subject: str, principal: str | None, message: str,
             accounts: list[str], **kwargs: Any) -> Finding:
    """A finding about an Identity Center subject, in its one account, or in several (then no account)."""
    f = ctx.finding(rule_id, subject, principal, message, account=accounts[0] if accounts else "", **kwargs)
    if len(accounts) != 1:
        f.account, f.account_name = None, None
    return f


def _capped(ctx: FindingContext, rule_id: str, found: Iterable[Finding], instance: str) -> Iterator[Finding]:
    """The worst PER_RULE findings of a rule; the rest counted in one more, about the instance."""
    ordered = sorted(found, key=Finding.sort_key)
    yield from ordered[:PER_RULE]
    rest = ordered[PER_RULE:]
    if rest:
        worst = max((f.severity for f in rest), key=lambda s: s.rank)
        yield _finding(ctx, rule_id, instance, None,
                       f"{len(rest)} more finding(s) of this rule than the {PER_RULE} reported one by one "
                       f"({', '.join(sorted({f.severity.value for f in rest}))})",
                       [], severity=worst,
                       evidence={"more_findings": len(rest),
                                 "subjects": [{"subject": f.role, "principal": f.principal} for f in rest[:LISTED]]})


def check_identity_center(ctx: FindingContext) -> Iterator[Finding]:
    """TG701–TG709 for the snapshot's Identity Center data (none without it)."""
    data = ctx.snapshot.identity_center
    if data is None:
        return
    people = _People(ctx, data)
    instance = data.instances[0].instance_arn if data.instances else "arn:aws:sso:::instance/unknown"
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in _assignment_findings(ctx, people):
        by_rule[f.rule].append(f)
    for f in _group_findings(ctx, people):
        by_rule[f.rule].append(f)
    for f in _problem_findings(ctx, people):
        by_rule[f.rule].append(f)
    for rule_id in sorted(by_rule):
        yield from _capped(ctx, rule_id, by_rule[rule_id], instance)


def _large(ctx: FindingContext, members: int, users: int) -> str | None:
    """Why a group of `members` people in a directory of `users` is large (None: it is not)."""
    options = ctx.options
    if members >= options.large_group:
        return f"at least {options.large_group} members"
    if members >= LARGE_GROUP_FLOOR and users and members * 100 >= options.large_group_percent * users:
        return f"{members * 100 // users}% of the directory's {users} users"
    return None


def _assignment_findings(ctx: FindingContext, people: _People) -> Iterator[Finding]:
    """TG701 (to a user), TG702 (to a large group), TG703 (in the management account)."""
    users = len(people.users)
    for grant in people.grants():
        pset = grant.pset
        admin = {a: reasons for a in grant.accounts if (reasons := people.admin(pset, a))}
        if not admin:
            continue
        accounts = sorted(admin)
        who = people.label(grant.principal)
        base: dict[str, Any] = {"permission_set": pset.name, "permission_set_arn": pset.permission_set_arn,
                                "principal_type": grant.principal_type, "accounts": accounts[:LISTED],
                                "account_count": len(accounts), "admin_because": admin[accounts[0]],
                                "provisioned_roles": _provisioned(ctx, people, pset, accounts)}
        if grant.principal_type == "USER":
            yield _finding(ctx, "TG701", pset.permission_set_arn, grant.principal,
                           f"{who} holds admin-equivalent permission set {pset.name} by a direct assignment, not "
                           f"through a group, in {people.accounts_text(accounts)}", accounts, evidence=base)
        else:
            group_id = grant.principal[len(group_node("")):]
            names = people.members.get(group_id, [])
            large = _large(ctx, len(names), users)
            if large is not None:
                severity = Severity.HIGH if len(names) >= ctx.options.large_group else Severity.MEDIUM
                yield _finding(ctx, "TG702", pset.permission_set_arn, grant.principal,
                               f"{who} ({_plural(len(names), 'member')}, {large}) holds admin-equivalent "
                               f"permission set {pset.name} in {people.accounts_text(accounts)}: "
                               + ", ".join(names[:ACCOUNTS_SHOWN]) + (" …" if len(names) > ACCOUNTS_SHOWN else "")
                               + f" can each take {'this account' if len(accounts) == 1 else 'these accounts'} over",
                               accounts, severity=severity,
                               evidence={**base, "members": len(names), "member_names": names[:LISTED],
                                         "large_because": large, "directory_users": users})
        management = [a for a in accounts if a == people.management.get(pset.instance_arn,
                                                                         people.default_management)]
        if management:
            members = "" if grant.principal_type == "USER" else \
                f" ({_plural(len(people.members.get(grant.principal[len(group_node('')):], [])), 'member')})"
            yield _finding(ctx, "TG703", pset.permission_set_arn, grant.principal,
                           f"{who}{members} holds admin-equivalent permission set {pset.name} in the organization's "
                           f"management account {ctx.account_label(management[0])}", management,
                           evidence={**base, "accounts": management, "account_count": 1,
                                     "admin_because": admin[management[0]]})


def _provisioned(ctx: FindingContext, people: _People, pset: PermissionSet, accounts: list[str]) -> list[str]:
    """The roles of the permission set in `accounts` the graph signs in to (the first LISTED)."""
    roles = people.signed_in()
    return sorted(r for a in accounts for r in roles.get((pset.permission_set_arn, a), ()))[:LISTED]


def _group_findings(ctx: FindingContext, people: _People) -> Iterator[Finding]:
    """TG704: a group signing in to sensitive roles in many accounts (its own assignments, from the graph)."""
    graph = ctx.graph
    if "identity_center" not in graph.graph:
        return
    nodes, succ, _ = graph_dicts(graph)
    threshold = ctx.options.group_sensitive_accounts
    for group_id in sorted(people.groups):
        node = group_node(group_id)
        if node not in nodes:
            continue
        reached: dict[str, list[tuple[str, str]]] = defaultdict(list)  # account → (role, permission set)
        for role, data in succ[node].items():
            if data.get("kind") == EdgeKind.SSO and role in ctx.sensitive:
                reached[str(nodes[role].get("account"))].append((role, str(data.get("permission_set"))))
        if len(reached) < threshold:
            continue
        accounts = sorted(reached)
        sets = sorted({s for found in reached.values() for _, s in found})
        members = len(people.members.get(group_id, []))
        yield _finding(ctx, "TG704", node, None,
                       f"{people.label(node)} ({_plural(members, 'member')}) signs in to sensitive roles in "
                       f"{people.accounts_text(accounts)} through {', '.join(sets)}; every member reaches them all",
                       accounts, evidence={"members": members, "permission_sets": sets, "account_count": len(accounts),
                                           "accounts": accounts[:LISTED],
                                           "roles": [r for a in accounts[:LISTED] for r, _ in reached[a]]})


def _policy_difference(snapshot: Snapshot, pset: PermissionSet | None, role_arn: str) -> tuple[list[str], list[str]]:
    """(policies of the permission set the role lacks, policies the role has beyond it)."""
    role = snapshot.roles.get(role_arn)
    if pset is None or role is None:
        return [], []
    partition, account = partition_of(role_arn), role.account
    wanted = set(pset.managed_policies) | {f"arn:{partition}:iam::{account}:policy{r.path}{r.name}"
                                           for r in pset.customer_managed_policies}
    have = set(role.attached_policy_arns)
    return sorted(wanted - have), sorted(have - wanted)


def _problem_findings(ctx: FindingContext, people: _People) -> Iterator[Finding]:
    """TG705–TG709 from the problems the graph recorded."""
    record: dict[str, Any] = ctx.graph.graph.get("identity_center") or {}
    problems: list[dict[str, Any]] = list(record.get("problems") or [])
    # (rule, subject, principal) → the problems, in their order: one finding per permission set and principal.
    grouped: dict[tuple[str, str, str | None], list[dict[str, Any]]] = defaultdict(list)
    for p in problems:
        kind = p.get("kind")
        if kind in ("missing-user", "missing-group", "missing-permission-set", "unprovisioned"):
            subject = p["permission_set"] if kind == "missing-permission-set" else _set_arn(people, p)
            grouped[("TG706" if kind == "unprovisioned" else "TG705", subject, p.get("principal"))].append(p)
        elif kind in ("orphaned", "policy-mismatch", "trust-mismatch") and p.get("role"):
            rule_id = {"orphaned": "TG707", "policy-mismatch": "TG708", "trust-mismatch": "TG709"}[kind]
            grouped[(rule_id, p["role"], None)].append(p)
    for (rule_id, subject, principal), found in grouped.items():
        accounts = sorted({str(p["account"]) for p in found if p.get("account")})
        first = found[0]
        name = str(first.get("permission_set") or "")
        if rule_id == "TG705":
            kinds = sorted({str(p["kind"]) for p in found})
            what = {"missing-user": f"user {str(principal).rsplit('/', 1)[-1]}",
                    "missing-group": f"group {str(principal).rsplit('/', 1)[-1]}",
                    "missing-permission-set": f"permission set {subject}"}
            missing = " and ".join(what[k] for k in kinds)
            given = f" of permission set {name}" if "missing-permission-set" not in kinds else ""
            holder = f" to {people.label(principal)}" if principal and "missing-permission-set" in kinds else ""
            yield _finding(ctx, rule_id, subject, principal,
                           f"the assignment{given}{holder} in {people.accounts_text(accounts)} names {missing}, "
                           "which the Identity Center data does not hold", accounts,
                           evidence={"problems": kinds, "accounts": accounts[:LISTED], "account_count": len(accounts),
                                     "permission_set": name, "detail": first.get("detail")})
        elif rule_id == "TG706":
            pset = people.set_by_name.get(name)
            admin = [a for a in accounts if pset is not None and people.admin(pset, a)]
            yield _finding(ctx, rule_id, subject, principal,
                           f"{people.label(str(principal))} is assigned permission set {name} in "
                           f"{people.accounts_text(accounts)}, but no AWSReservedSSO_{name}_* role is in the "
                           "account's data: the assignment gives nobody anything until the permission set is "
                           "provisioned again" + (" (it is admin-equivalent)" if admin else ""), accounts,
                           severity=Severity.MEDIUM if admin else None,
                           evidence={"permission_set": name, "accounts": accounts[:LISTED],
                                     "account_count": len(accounts), "admin_equivalent": bool(admin),
                                     "detail": first.get("detail")})
        elif rule_id == "TG707":
            yield _finding(ctx, rule_id, subject, None,
                           f"no assignment of permission set {name} in "
                           f"{ctx.account_label(accounts[0] if accounts else None)}"
                           + ("" if people.data.complete else " in the Identity Center data read, which is partial")
                           + ": the role is left over, and no person reaches it through Identity Center", accounts,
                           severity=None if people.data.complete else Severity.INFO,
                           evidence={"permission_set": name, "complete": people.data.complete,
                                     "detail": first.get("detail")})
        elif rule_id == "TG708":
            lacks, extra = _policy_difference(ctx.snapshot, people.set_by_name.get(name), subject)
            parts = ([f"has {', '.join(extra)} beyond the permission set"] if extra else []) + \
                ([f"lacks {', '.join(lacks)}"] if lacks else [])
            yield _finding(ctx, rule_id, subject, None,
                           f"the role of permission set {name} " + ("; ".join(parts) or "has other policies")
                           + ": it was changed outside Identity Center, or the permission set was not re-provisioned",
                           accounts, severity=None if extra or not lacks else Severity.LOW,
                           evidence={"permission_set": name, "extra_policies": extra, "missing_policies": lacks,
                                     "detail": first.get("detail")})
        else:  # TG709
            principals = sorted({str(p["principal"]) for p in found if p.get("principal")})
            yield _finding(ctx, rule_id, subject, None,
                           f"permission set {name} is assigned to {', '.join(people.label(p) for p in principals[:5])}"
                           + (f" and {len(principals) - 5} more" if len(principals) > 5 else "")
                           + " in this account, but the role's trust does not admit the account's AWSSSO SAML provider "
                           "(or a policy denies the sign-in): nobody can sign in to it", accounts,
                           evidence={"permission_set": name, "principals": principals[:LISTED],
                                     "detail": first.get("detail")})


def _set_arn(people: _People, problem: dict[str, Any]) -> str:
    """The ARN of the permission set a problem names by name."""
    name = str(problem.get("permission_set") or "")
    pset = people.set_by_name.get(name)
    return pset.permission_set_arn if pset is not None else name
