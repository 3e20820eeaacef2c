"""Identity Center administrators: principals that may change who gets what, as escalation edges (docs/edges.md,
"Identity Center administrators").

An organization instance of IAM Identity Center is administered from the management account that owns it, and
from the delegated administrator account when one is registered. A principal there that may call
sso:CreateAccountAssignment can give any Identity Center user any permission set in any account of the
organization (the assignment provisions the set's role in the account), and sign in to it: with an
administrator permission set — one that exists, or one it may create or rewrite — it becomes administrator of
each account it may assign to (an `iam` edge into `admin:A`, no hop, as the account takeover); otherwise it reaches
the roles already provisioned there whose permission set it may assign. A delegated administrator cannot act on
permission sets provisioned in the management account, nor assign in it. identitystore:CreateGroupMembership puts
a user into a group (the caller reaches the group), identitystore:UpdateUser rewrites a user's identity (the
caller reaches the user). All of them need the caller to sign in as an Identity Center user it controls, which the
IAM data never shows: each edge is conditional on `trustgraph:ControlsIdentityCenterUser`.

The caller's side is decided like every indirect edge (identity policies, boundary, SCPs of its account; none for
the management account), by a checker of its own over the Identity Center actions, with principals of equal
policies sharing their policy-group node. Administrators of the two accounts (their admin node) reach the same
through their admin node, once: admin nodes × (accounts + groups + users) edges, never callers × accounts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from trustgraph.arns import partition_of
from trustgraph.graph.identity_center import group_node, is_sso_provider, sso_role_permission_set, user_node
from trustgraph.graph.indirect import IndirectEdges, Link, admin_node
from trustgraph.graph.schema import EdgeKind, graph_dicts
from trustgraph.model import (
    Condition,
    IdentityCenter,
    IdentityCenterInstance,
    InlinePolicy,
    PermissionSet,
    Role,
    User,
)
from trustgraph.policy.caller import Caller
from trustgraph.policy.identity import IdentityProfile
from trustgraph.policy.passrole import (
    CONTROLS_USER_KEY,
    SSO_ASSIGN,
    SSO_CREATE_SET,
    SSO_PROVISION,
    SSO_SET_WRITES,
    STORE_ADD_MEMBER,
    STORE_UPDATE_USER,
    identity_center_actions,
)
from trustgraph.policy.permissions import PermissionChecker
from trustgraph.policy.sensitivity import administrator_reasons

NEW_SET = "ps-trustgraphany0000"  # a permission set the caller creates (the id is chosen by Identity Center)
AUDIENCE_KEY = "saml:aud"  # settled for Identity Center's own sign-ins (graph/identity_center.py)
Member = tuple[Caller, IdentityProfile, User | Role]


def _controls(what: str) -> Condition:
    return Condition("Unknown", CONTROLS_USER_KEY, (what,))


def _merge(*parts: Iterable[Condition]) -> list[Condition]:
    out: list[Condition] = []
    for part in parts:
        out.extend(c for c in part if c not in out)
    return out


def _best(options: list[tuple[str, list[Condition], str]]) -> tuple[str, list[Condition], str] | None:
    """The option needing the fewest conditions (the first among equals)."""
    return min(options, key=lambda o: len(o[1])) if options else None


class IdentityCenterAdmins:
    """Adds the edges of the principals administering one Identity Center's instances, after its people and
    sign-ins are in the graph."""

    def __init__(self, edges: IndirectEdges, data: IdentityCenter) -> None:
        self.edges = edges
        self.graph = edges.graph
        self.snapshot = edges.snapshot
        self.data = data
        self.checker = PermissionChecker(edges.org, edges.data_time, identity_center_actions())
        org = self.snapshot.organization
        self.management = org.management_account_id if org is not None else None
        # (account, permission set name) → the provisioned roles a sign-in reaches, with the trust's conditions
        self.roles: dict[tuple[str, str], list[tuple[str, list[Condition]]]] = defaultdict(list)
        for arn in sorted(self.snapshot.roles):
            name = sso_role_permission_set(self.snapshot.roles[arn])
            if name is not None:
                conditions = self._sign_in(arn)
                if conditions is not None:
                    self.roles[(self.snapshot.roles[arn].account, name)].append((arn, conditions))
        self._admin_sets: dict[str, bool] = {}
        self._provisioned: dict[str, set[str]] | None = None

    # -- what the data says --------------------------------------------------------------------------------------
    def _sign_in(self, role: str) -> list[Condition] | None:
        """The conditions of a sign-in to the role (the AWSSSO provider's saml edge less the audience), None when
        its trust admits no Identity Center sign-in."""
        account = self.snapshot.roles[role].account
        for src, data in graph_dicts(self.graph).pred.get(role, {}).items():
            if data.get("kind") != EdgeKind.SAML or not is_sso_provider(src) \
                    or self.graph.nodes[src].get("account") != account:
                continue
            alternatives = [[Condition(str(c["operator"]), str(c["key"]), tuple(c["values"]))
                             for c in record.get("conditions", ()) if str(c.get("key")).lower() != AUDIENCE_KEY]
                            for record in data.get("evidence", ())]
            return [] if not alternatives or not all(alternatives) else alternatives[0]
        return None

    def _is_admin_set(self, pset: PermissionSet, account: str) -> bool:
        """Does the permission set make its role an administrator (an administrator policy, or every action on
        every resource)? A boundary or an unreadable inline policy leaves it undecided: not counted."""
        found = self._admin_sets.get(pset.permission_set_arn)
        if found is None:
            if pset.permissions_boundary is not None or pset.inline_policy_unreadable:
                found = False
            else:
                partition = partition_of(pset.permission_set_arn)
                stand_in = Role(f"arn:{partition}:iam::{account}:role/AWSReservedSSO_{pset.name}", pset.name, account,
                                inline_policies=[InlinePolicy("inline", pset.inline_policy)]
                                if pset.inline_policy is not None else [],
                                attached_policy_arns=list(pset.managed_policies))
                found = bool(administrator_reasons(stand_in, self.snapshot, self.edges.admin_memo,
                                                   self.edges.data_time))
            self._admin_sets[pset.permission_set_arn] = found
        return found

    def _provisioned_in(self, account: str) -> set[str]:
        """Permission set ARNs provisioned in an account: assigned there, or with a role there."""
        if self._provisioned is None:
            self._provisioned = self._provisioned_index()
        return self._provisioned.get(account, set())

    def _provisioned_index(self) -> dict[str, set[str]]:
        # one pass over the roles and the assignments for every account: asked per account, a scan of the whole
        # organization each time was accounts × roles (29 s at 1,000 accounts)
        names: dict[str, set[str]] = defaultdict(set)
        for account, name in self.roles:
            names[account].add(name)
        for role in self.snapshot.roles.values():
            reserved = sso_role_permission_set(role)
            if reserved is not None:
                names[role.account].add(reserved)
        by_name: dict[str, set[str]] = defaultdict(set)
        for pset in self.data.permission_sets:
            by_name[pset.name].add(pset.permission_set_arn)
        out: dict[str, set[str]] = defaultdict(set)
        for account, held in names.items():
            for name in held:
                out[account] |= by_name.get(name, set())
        for a in self.data.account_assignments:
            out[a.account_id].add(a.permission_set_arn)
        return dict(out)

    # -- the edges -----------------------------------------------------------------------------------------------
    def add(self) -> None:
        before = {a for a in self.snapshot.collected_accounts if admin_node(a) in self.graph}
        for instance in self.data.instances:
            owner = instance.owner_account_id or self.management
            if owner is None or (self.management is not None and owner != self.management):
                continue  # an account instance has no permission sets for other accounts
            self._instance(instance, owner)
        for account in sorted(self.snapshot.collected_accounts):
            if account not in before and admin_node(account) in self.graph:
                self.edges._admin_edges(account)

    def _instance(self, instance: IdentityCenterInstance, owner: str) -> None:
        org = self.snapshot.organization
        accounts = sorted(a for a in self.snapshot.collected_accounts
                          if org is None or a in org.accounts or a == owner)
        sets = [p for p in self.data.permission_sets if p.instance_arn == instance.instance_arn]
        administering = [(owner, sets, accounts)]
        delegated = self.data.delegated_admin_account_id
        if delegated and delegated != owner and delegated in self.snapshot.collected_accounts:
            # A delegated administrator cannot manage the permission sets provisioned in the management account
            # (nor assign in it): those sets and that account are out of its reach.
            in_owner = self._provisioned_in(owner)
            administering.append((delegated, [p for p in sets if p.permission_set_arn not in in_owner],
                                  [a for a in accounts if a != owner]))
        for account, allowed, targets in administering:
            self._callers(instance, owner, account, allowed, targets)
        for account, _, targets in administering:
            if admin_node(account) in self.graph:
                self._from_admin_node(instance, owner, account, targets)

    def _store(self, instance: IdentityCenterInstance, owner: str) -> str:
        partition = partition_of(instance.instance_arn)
        return f"arn:{partition}:identitystore::{owner}:identitystore/{instance.identity_store_id}"

    def _people(self, instance: IdentityCenterInstance) -> tuple[list[str], list[str]]:
        store = instance.identity_store_id
        return ([g.group_id for g in self.data.groups if g.identity_store_id == store],
                [u.user_id for u in self.data.users if u.identity_store_id == store])

    def _from_admin_node(self, instance: IdentityCenterInstance, owner: str, account: str, targets: list[str]
                         ) -> None:
        """An administrator of the managing account can do all of it, as far as the SCPs of its account let it."""
        node = admin_node(account)
        caller = self.edges._abstract_admin(account)
        partition = partition_of(instance.instance_arn)
        where = "the management account" if account == owner else "the delegated administrator account"
        for target in targets:
            if target == account:
                continue
            found = self._scp(caller, account, [(SSO_ASSIGN, instance.instance_arn),
                                                (SSO_ASSIGN, f"arn:{partition}:sso:::account/{target}")])
            if found is None:
                continue
            self.edges.link(node, self.edges._admin(target), EdgeKind.IAM.value, SSO_ASSIGN,
                            [*found, _controls("signs in to Identity Center as a user it assigns")],
                            f"an administrator of {where} {account} assigns an administrator permission set in "
                            f"account {target} ({SSO_ASSIGN}) to an Identity Center user it signs in as",
                            hub_entry=True)
        store = self._store(instance, owner)
        groups, users = self._people(instance)
        for group in groups:
            found = self._scp(caller, account, [(STORE_ADD_MEMBER, store),
                                                (STORE_ADD_MEMBER, f"arn:{partition}:identitystore:::group/{group}")])
            if found is not None:
                self.edges.link(node, group_node(group), EdgeKind.IAM.value, STORE_ADD_MEMBER,
                                [*found, _controls("a user it signs in as is added to the group")],
                                f"an administrator of {where} {account} adds a user it signs in as to the group "
                                f"({STORE_ADD_MEMBER})")
        for user in users:
            found = self._scp(caller, account, [(STORE_UPDATE_USER, store),
                                                (STORE_UPDATE_USER, f"arn:{partition}:identitystore:::user/{user}")])
            if found is not None:
                self.edges.link(node, user_node(user), EdgeKind.IAM.value, STORE_UPDATE_USER,
                                [*found, _controls("the rewritten identity is one it signs in with")],
                                f"an administrator of {where} {account} rewrites the user's identity "
                                f"({STORE_UPDATE_USER}) to one it signs in with")

    def _scp(self, caller: Caller, account: str, checks: list[tuple[str, str]]) -> list[Condition] | None:
        out: list[Condition] = []
        for action, resource in checks:
            found = self.edges._scp(caller, Role(resource, "", account), action)
            if found is None:
                return None
            out = _merge(out, found)
        return out

    # -- principals with their own grants ------------------------------------------------------------------------
    def _callers(self, instance: IdentityCenterInstance, owner: str, account: str, sets: list[PermissionSet],
                 targets: list[str]) -> None:
        groups: dict[int, list[Member]] = defaultdict(list)
        directory = self.edges.directory
        for arn in directory.callers_in(account):
            principal = directory.principals[arn]
            profile = directory.profile(arn)
            # administrators act through their admin node; service-linked roles only for their service
            if profile is None or arn in self.edges._admins or (isinstance(principal, Role)
                                                                  and principal.service_linked):
                continue
            caller = directory.concrete(arn)
            groups[self.checker.policy_id(caller, profile)].append((caller, profile, principal))
        for pid, members in groups.items():
            links = self._links(instance, owner, members[0], sets, targets)
            if len(members) == 1 or not self.checker.per_principal(pid):
                if links:
                    self.edges._draw(members, links)
                continue
            alike: dict[tuple[object, ...], list[Member]] = defaultdict(list)
            found: dict[tuple[object, ...], list[Link]] = {}
            for member in members:
                own = self._links(instance, owner, member, sets, targets)
                key = tuple((x.dst, x.technique, tuple(x.unresolved)) for x in own)
                alike[key].append(member)
                found.setdefault(key, own)
            for shared, sharing in alike.items():
                if found[shared]:
                    self.edges._draw(sharing, found[shared])

    def _all(self, member: Member, checks: list[tuple[str, str]]) -> tuple[list[Condition], list[str]] | None:
        """May the caller make every (action, resource) call? Their conditions and notes; None: no."""
        caller, profile, _ = member
        unresolved: list[Condition] = []
        notes: list[str] = []
        for action, resource in checks:
            found = self.checker.check(caller, profile, action, resource)
            if found is None:
                return None
            unresolved = _merge(unresolved, found.unresolved)
            notes.extend(n for n in found.notes if n not in notes)
        return unresolved, notes

    def _granted(self, member: Member, action: str) -> bool:
        return bool(self.checker.for_action(member[0], member[1], action).allows)

    def _links(self, instance: IdentityCenterInstance, owner: str, member: Member, sets: list[PermissionSet],
               targets: list[str]) -> list[Link]:
        out: list[Link] = []
        if self._granted(member, SSO_ASSIGN):
            out.extend(self._assignments(instance, member, sets, targets))
        partition = partition_of(instance.instance_arn)
        store = self._store(instance, owner)
        groups, users = self._people(instance)
        if self._granted(member, STORE_ADD_MEMBER):
            for group in groups:
                found = self._all(member, [(STORE_ADD_MEMBER, store),
                                           (STORE_ADD_MEMBER, f"arn:{partition}:identitystore:::group/{group}")])
                if found is not None:
                    out.append(Link(group_node(group), EdgeKind.IAM.value, STORE_ADD_MEMBER,
                                    [*found[0], _controls("a user it signs in as is added to the group")],
                                    f"its own policies allow {STORE_ADD_MEMBER} on the group: it adds a user it "
                                    "signs in as", found[1]))
        if self._granted(member, STORE_UPDATE_USER):
            for user in users:
                found = self._all(member, [(STORE_UPDATE_USER, store),
                                           (STORE_UPDATE_USER, f"arn:{partition}:identitystore:::user/{user}")])
                if found is not None:
                    out.append(Link(user_node(user), EdgeKind.IAM.value, STORE_UPDATE_USER,
                                    [*found[0], _controls("the rewritten identity is one it signs in with")],
                                    f"its own policies allow {STORE_UPDATE_USER} on the user: it rewrites the "
                                    "user's identity to one it signs in with", found[1]))
        return out

    def _assignments(self, instance: IdentityCenterInstance, member: Member, sets: list[PermissionSet],
                     targets: list[str]) -> list[Link]:
        inst = instance.instance_arn
        partition = partition_of(inst)
        new_set = f"arn:{partition}:sso:::permissionSet/{inst.rsplit('/', 1)[-1]}/{NEW_SET}"
        # Ways to hold an administrator permission set: create one, or rewrite an existing one.
        created = None
        made = self._all(member, [(SSO_CREATE_SET, inst), (SSO_CREATE_SET, new_set)])
        if made is not None:
            writes = [w for write in SSO_SET_WRITES
                      if (w := self._all(member, [(write, inst), (write, new_set)])) is not None]
            if writes:
                write = min(writes, key=lambda w: len(w[0]))
                created = (_merge(made[0], write[0]), [*made[1], *write[1]])
        rewritable: list[tuple[PermissionSet, list[Condition], list[str]]] = []
        for pset in sets:
            writes = [w for write in SSO_SET_WRITES
                      if (w := self._all(member, [(write, inst), (write, pset.permission_set_arn)])) is not None]
            if writes:
                write = min(writes, key=lambda w: len(w[0]))
                rewritable.append((pset, write[0], write[1]))
        out: list[Link] = []
        for target in targets:
            account_arn = f"arn:{partition}:sso:::account/{target}"
            options: list[tuple[str, list[Condition], str]] = []
            notes: list[str] = []
            for pset in sets:
                if not self._is_admin_set(pset, target):
                    continue
                found = self._all(member, [(SSO_ASSIGN, inst), (SSO_ASSIGN, pset.permission_set_arn),
                                           (SSO_ASSIGN, account_arn)])
                if found is not None:
                    options.append((SSO_ASSIGN, found[0], f"administrator permission set {pset.name}"))
                    notes.extend(found[1])
            if created is not None:
                found = self._all(member, [(SSO_ASSIGN, inst), (SSO_ASSIGN, new_set), (SSO_ASSIGN, account_arn)])
                if found is not None:
                    options.append((f"{SSO_CREATE_SET}+CreateAccountAssignment", _merge(created[0], found[0]),
                                    "a permission set it creates with administrator policies"))
                    notes.extend([*created[1], *found[1]])
            provisioned = self._provisioned_in(target) if rewritable else set()
            for pset, conditions, write_notes in rewritable:
                checks = [(SSO_ASSIGN, inst), (SSO_ASSIGN, pset.permission_set_arn), (SSO_ASSIGN, account_arn)]
                if pset.permission_set_arn in provisioned:
                    # an assignment provisions a set only where it is not yet: an update needs provisioning again
                    checks += [(SSO_PROVISION, inst), (SSO_PROVISION, pset.permission_set_arn),
                               (SSO_PROVISION, account_arn)]
                found = self._all(member, checks)
                if found is not None:
                    options.append((f"{SSO_SET_WRITES[0]}+CreateAccountAssignment", _merge(conditions, found[0]),
                                    f"permission set {pset.name}, which it rewrites with administrator policies"))
                    notes.extend([*write_notes, *found[1]])
            best = _best(options)
            if best is not None:
                technique, conditions, how = best
                out.append(Link(self.edges._admin(target), EdgeKind.IAM.value, technique,
                                [*conditions, _controls("signs in to Identity Center as a user it assigns")],
                                f"its own policies allow {SSO_ASSIGN} in account {target} with {how}: it becomes "
                                "administrator of the account through a user it signs in as",
                                list(dict.fromkeys(notes)), hub_entry=True))
                continue
            # No administrator set within reach: the roles already provisioned for sets it may assign.
            for pset in sets:
                roles = self.roles.get((target, pset.name))
                if not roles:
                    continue
                found = self._all(member, [(SSO_ASSIGN, inst), (SSO_ASSIGN, pset.permission_set_arn),
                                           (SSO_ASSIGN, account_arn)])
                if found is None:
                    continue
                for role, sign_in in roles:
                    out.append(Link(role, EdgeKind.IAM.value, SSO_ASSIGN,
                                    _merge(found[0], sign_in, [_controls("signs in to Identity Center as a user it "
                                                                         "assigns")]),
                                    f"its own policies allow {SSO_ASSIGN} of permission set {pset.name} in account "
                                    f"{target}: a user it signs in as is assigned the role", found[1]))
        return out


def add_identity_center_admins(edges: IndirectEdges) -> None:
    """The Identity Center administrator edges, once the indirect edges and the people are in the graph."""
    data = edges.snapshot.identity_center
    if data is not None and data.instances:
        IdentityCenterAdmins(edges, data).add()
