"""IAM edges (docs/edges.md "iam — IAM escalation"): trust rewrites and new credentials on particular principals,
account takeover into the account's admin node (self-writes, new principals, boundary lifts, policy writes on a
principal or object the caller reaches), and the admin node's edges to every role and user of its account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from trustgraph.arns import partition_of
from trustgraph.graph.iam_writes import of_kind
from trustgraph.graph.indirect_base import (
    REACHES_KEY,
    WRITE,
    Hub,
    IndirectBase,
    Link,
    admin_node,
    names_arn,
    reachable,
)
from trustgraph.graph.schema import EdgeKind
from trustgraph.model import Condition, Role, User
from trustgraph.policy.caller import Caller, RequestFacts
from trustgraph.policy.identity import IdentityProfile
from trustgraph.policy.passrole import (
    ADD_TO_GROUP,
    GROUP_WRITES,
    NEW_PRINCIPALS,
    PERMISSIVE_VERSION_KEY,
    POLICY_WRITES,
    ROLE_TECHNIQUE,
    ROLE_WRITES,
    TAKEOVER,
    USER_TECHNIQUES,
    USER_WRITES,
    NewPrincipal,
    chosen_resources,
)
from trustgraph.policy.permissions import Permission
from trustgraph.policy.regions import requested_region
from trustgraph.policy.sensitivity import (
    Takeover,
    made_administrator,
    pinned_boundaries,
    takeover,
    under_boundaries,
)
from trustgraph.policy.trust import AssumeVerdict, apply_policy_set


class IamEdges(IndirectBase):
    def _escalation(self, callers: list[tuple[Caller, IdentityProfile, User | Role]],
                    takeovers: list[Takeover | None]) -> None:
        """Callers that take their account over (`takeovers`: sensitivity.takeover of each) enter its admin node."""
        admins: dict[str, list[tuple[str, Takeover]]] = defaultdict(list)
        for (caller, _, _), found in zip(callers, takeovers, strict=True):
            if found is not None:
                admins[caller.account or ""].append((caller.node_id, found))
                self._admins.add(caller.node_id)
        for account, members in sorted(admins.items()):
            node = self._admin(account)
            for arn, found in members:
                # The caller-side conditions of the grants the takeover uses (MFA, source IP…) are the edge's.
                self.link(arn, node, EdgeKind.IAM.value, TAKEOVER, list(found.conditions),
                          "admin of its account: " + found.reason, hub_entry=True)

    def _targeted(self, caller: Caller, profile: IdentityProfile) -> None:
        """IAM techniques on particular roles and users of the caller's account (an administrator has them all
        through its admin node)."""
        if caller.node_id in self._admins:
            return
        account = caller.account or ""
        # action → the principals one of its Allow statements could name (None: any principal of the account)
        named: dict[str, frozenset[str] | None] = {}
        for action in (ROLE_TECHNIQUE, *USER_TECHNIQUES, *ROLE_WRITES, *USER_WRITES):
            allows = self.checker.for_action(caller, profile, action).allows
            if allows:
                names = self.targets.candidates(account, allows, bool(profile.missing_policies))
                named[action] = None if names is None else frozenset(names)
        self._object_writes(caller, profile, account)
        self._join_group(caller, profile, account)
        for new in NEW_PRINCIPALS:
            self._new_principal(caller, profile, account, new)
        if not named:
            return
        if any(found is None for found in named.values()):
            arns: Iterable[str] = self.directory.callers_in(account)
        else:
            arns = sorted(set().union(*named.values()))  # type: ignore[arg-type]
        for arn in arns:
            if arn == caller.arn:
                continue  # a write on itself is a takeover (sensitivity.takeover), a new key for itself nothing
            target = self.directory.principals[arn]
            reach: tuple[str, ...]
            if isinstance(target, Role):
                if target.iam_protected:
                    continue  # IAM refuses writes on it: no trust rewrite, no policy write
                reach, writes = (ROLE_TECHNIQUE,), ROLE_WRITES
            else:
                reach, writes = USER_TECHNIQUES, USER_WRITES
            if arn != self._self:
                for action in (a for a in reach if a in named and names_arn(named[a], arn)):
                    found = self.checker.check(caller, profile, action, arn, target)
                    if found is None:
                        continue
                    self._out.append(Link(arn, EdgeKind.IAM.value, action, list(found.unresolved),
                                          f"its own policies allow {action} on it ({found.source})",
                                          list(found.notes)))
                    if not found.conditional:
                        break
            for action in (a for a in writes if a in named and names_arn(named[a], arn)):
                found = self.checker.check(caller, profile, action, arn, target)
                if found is not None:
                    # Decided after every edge is drawn: it takes the account over only if the caller reaches it.
                    self._out.append(Link(arn, WRITE, action, list(found.unresolved),
                                          f"its own policies allow {action} on it ({found.source})",
                                          list(found.notes)))
                    break

    def _object_writes(self, caller: Caller, profile: IdentityProfile, account: str) -> None:
        """New default versions of customer-managed policies, and policies written onto groups: a WRITE on the
        policy or group, whose targets are the principals it changes (a takeover if the caller reaches one)."""
        for actions, kind in ((POLICY_WRITES, "policy"), (GROUP_WRITES, "group")):
            for action in actions:
                allows = self.checker.for_action(caller, profile, action).allows
                if not allows:
                    continue
                names = self.object_targets.candidates(account, allows, bool(profile.missing_policies))
                for obj in of_kind(self.objects.callers_in(account) if names is None else names, kind):
                    found = self.checker.check(caller, profile, action, obj)
                    if found is None:
                        continue
                    unresolved = list(found.unresolved)
                    notes = list(found.notes)
                    if action == "iam:SetDefaultPolicyVersion":
                        unresolved.append(Condition("Unknown", PERMISSIVE_VERSION_KEY, (obj,)))
                        notes.append("only if the policy has a non-default version that grants more")
                    self._out.append(Link(obj, WRITE, action, unresolved,
                                          f"its own policies allow {action} on {obj} ({found.source})", notes,
                                          targets=self.objects.principals(obj)))

    def _join_group(self, caller: Caller, profile: IdentityProfile, account: str) -> None:
        """A user that may add itself to a group whose policies make it an administrator (with its own boundary)
        takes its account over: an edge into the admin node, no principal to reach first."""
        user = self.directory.principals.get(caller.arn or "")
        allows = self.checker.for_action(caller, profile, ADD_TO_GROUP).allows
        if not isinstance(user, User) or not allows:
            return
        names = self.object_targets.candidates(account, allows, bool(profile.missing_policies))
        for arn in of_kind(self.objects.callers_in(account) if names is None else names, "group"):
            group = self.objects.groups.get(arn)
            if group is None or group.name in user.group_names:
                continue
            found = self.checker.check(caller, profile, ADD_TO_GROUP, arn)
            if found is None:
                continue
            joined = replace(user, group_names=[*user.group_names, group.name])
            admin = takeover(joined, self.snapshot, self.admin_memo, self.data_time)
            if admin is None:
                continue
            self._out.append(Link("", EdgeKind.IAM.value, ADD_TO_GROUP,
                                  [*found.unresolved, *admin.conditions],
                                  f"its own policies allow {ADD_TO_GROUP} on {arn} ({found.source}); in that group "
                                  f"it is {admin.reason}", list(found.notes), hub_entry=True,
                                  hub=Hub("admin", account)))
            if not found.conditional and not admin.conditions:
                return

    def _new_principal(self, caller: Caller, profile: IdentityProfile, account: str, new: NewPrincipal) -> None:
        """A caller that may create a role (user), write a policy onto it and use it takes its account over: an edge
        into the admin node. Every action is checked on one ARN of the new principal, named inside the Resource
        patterns its grants allow; a condition on iam:PermissionsBoundary caps the new principal by the boundary it
        pins (sensitivity.under_boundaries)."""
        if not self.checker.for_action(caller, profile, new.create).allows:
            return  # as for the takeover: policies missing from the data are not read as granting it
        # The role's trust names the caller: its sts:AssumeRole grants (if any) do not pick the new role's name.
        uses = () if new.kind == "role" else new.uses
        patterns = [r for action in (new.create, *new.writes, *uses)
                    for s in self.checker.for_action(caller, profile, action).allows
                    for r in (s.statement.resources or ())]
        shape = f":iam::{account}:{new.kind}/"
        best: Link | None = None
        for arn in chosen_resources(new.create, caller.partition, account, patterns):
            if shape not in arn:
                continue
            found = self._new_principal_at(caller, profile, account, new, arn)
            if found is not None and (best is None or len(found.unresolved) < len(best.unresolved)):
                best = found
            if best is not None and not best.unresolved:
                break
        if best is not None:
            self._out.append(best)

    def _new_principal_at(self, caller: Caller, profile: IdentityProfile, account: str, new: NewPrincipal,
                          arn: str) -> Link | None:
        created = self.checker.check(caller, profile, new.create, arn)
        if created is None:
            return None
        steps: list[Permission] = [created]
        for actions, trusted in ((new.writes, False), (new.uses, new.kind == "role")):
            options = [p for action in actions
                       if (p := self.checker.check(caller, profile, action, arn, named_by_resource=trusted))]
            if not options:
                return None
            steps.append(min(options, key=lambda p: len(p.unresolved)))
        unresolved, pins = pinned_boundaries(c for step in steps for c in step.unresolved)
        bounded: tuple[Condition, ...] = ()
        if pins is not None:
            name = arn.rsplit("/", 1)[-1]
            stand_in = Role(arn, name, account) if new.kind == "role" else User(arn, name, account)
            capped = under_boundaries(stand_in, pins, self.snapshot, self.data_time)
            if capped is None:
                return None  # the boundary it must carry keeps it below an administrator
            bounded = capped
        write = steps[1].action
        return Link("", EdgeKind.IAM.value, new.technique(write),
                    list(dict.fromkeys((*unresolved, *bounded))),
                    f"its own policies allow {new.create}, {write} and {steps[2].action} on a new {new.kind} {arn} "
                    f"({created.source}): it makes the {new.kind} an administrator of account {account} and uses it",
                    [n for step in steps for n in step.notes], hub_entry=True, hub=Hub("admin", account))

    def _made_admin(self, arn: str) -> tuple[Condition, ...] | None:
        """Under which conditions of its boundary a policy written onto the principal makes it an administrator."""
        if arn not in self._made:
            self._made[arn] = made_administrator(self.directory.principals[arn], self.snapshot, self.data_time)
        return self._made[arn]

    def _writes_on_reached(self) -> None:
        """A caller that may write a policy onto a principal it reaches (through any edge drawn so far), or onto a
        policy or group that holds one, can make that principal an administrator (as far as the principal's
        boundary lets it be one), and itself through it: an edge into the admin node. One pass: a takeover found
        here does not open further writes (their targets are in the same account, reached already)."""
        targets: dict[str, set[str]] = defaultdict(set)
        for src, write in self._writes:
            targets[src].update(write.targets or (write.dst,))
        reached: dict[str, tuple[set[str], set[str]]] = {}
        for src, write in self._writes:
            if src in self._admins:
                continue
            if src not in reached:
                loose = reachable(self.graph, src, False, targets[src])
                reached[src] = (reachable(self.graph, src, True, loose) if loose else set(), loose)
            firm, loose = reached[src]
            if self.part is not None and any(t not in firm and self._made_admin(t) is not None
                                             for t in write.targets or (write.dst,)):
                # A target this part's edges do not reach firmly may be reached through another part's: decided by
                # the merge (graph/parts.py), over the whole graph; the admin node (and its edges) is drawn here.
                self.deferred.append((src, write))
                for target in write.targets or (write.dst,):
                    self._admin(self.graph.nodes[target].get("account") or "")
                continue
            best: tuple[bool, int, str, tuple[Condition, ...]] | None = None
            for target in write.targets or (write.dst,):
                made = self._made_admin(target) if target in loose else None
                if made is not None:
                    found = (target not in firm, len(made), target, made)
                    best = found if best is None or found < best else best
            if best is None:
                continue
            _, _, target, made = best
            unresolved = [*write.unresolved, *made]
            if target not in firm:
                unresolved.append(Condition("Unknown", REACHES_KEY, (target,)))
            account = self.graph.nodes[target].get("account") or ""
            through = "" if target == write.dst else f", which changes {target}"
            self.link(src, self._admin(account), EdgeKind.IAM.value, write.technique, unresolved,
                      write.reason + through + "; it reaches that principal, which the write makes an administrator "
                      f"of account {account}", write.notes, hub_entry=True)

    def pending(self) -> dict[str, Any]:
        """What a part build leaves to the merge (graph/parts.py), as JSON: the policy writes it deferred, and every
        principal with a policy write (the edges they reach name no statement: `_keep_identity_off_write_paths`)."""
        return {"writes": [{"src": src, "dst": w.dst, "technique": w.technique, "reason": w.reason,
                            "unresolved": [[c.operator, c.key, list(c.values)] for c in w.unresolved],
                            "notes": list(w.notes), "targets": list(w.targets)} for src, w in self.deferred],
                "writers": sorted({src for src, _ in self._writes})}

    def take_deferred(self, writes: Iterable[dict[str, Any]], writers: Iterable[str]) -> None:
        """The merge's side of `pending`: decide the parts' deferred writes on the merged graph, then keep the
        identity statements off every write path, as one build would have."""
        self._writes = [(w["src"], Link(w["dst"], WRITE, w["technique"],
                                        [Condition(op, key, tuple(values)) for op, key, values in w["unresolved"]],
                                        w["reason"], list(w["notes"]), targets=tuple(w["targets"])))
                        for w in writes]
        self._writes_on_reached()
        self._writes = [(src, Link(src, WRITE, "", [], "", [])) for src in writers]
        self._keep_identity_off_write_paths()

    def _abstract_admin(self, account: str) -> Caller:
        principals = self.directory.callers_in(account)
        return self.directory.abstract_account(account, partition_of(principals[0]) if principals else "aws")

    def _admin_edges(self, account: str, targets: list[tuple[str, str, list[Condition]]] | None = None) -> None:
        """admin:A → every role (rewrite its trust) and user (new credentials) of A, as SCPs let A's principals;
        `targets`: `_admin_targets(account)`, when decided already."""
        node = admin_node(account)
        for arn, action, unresolved in self._admin_targets(account) if targets is None else targets:
            what = "rewrites its trust policy" if action == ROLE_TECHNIQUE else "creates credentials for it"
            self.link(node, arn, EdgeKind.IAM.value, action, unresolved,
                      f"an administrator of account {account} {what} ({action})")

    def _admin_targets(self, account: str) -> list[tuple[str, str, list[Condition]]]:
        """(principal, technique, conditions) of the admin node's edges: a pure computation, which a forked
        worker can make (graph/parallel.py)."""
        if self.org is not None:
            self.org.forget_verdicts()  # the verdicts kept name other accounts' principals: never asked again
        caller = self._abstract_admin(account)
        out = []
        for arn in self.directory.callers_in(account):
            target = self.directory.principals[arn]
            if isinstance(target, Role):
                if target.iam_protected:
                    continue  # IAM refuses to edit its trust (service-linked, Identity Center's; §7.3)
                actions: tuple[str, ...] = (ROLE_TECHNIQUE,)
            else:
                actions = USER_TECHNIQUES
            for action in actions:
                unresolved = self._scp(caller, target, action)
                if unresolved is None:
                    continue
                out.append((arn, action, unresolved))
                if not unresolved:
                    break
        return out

    def _scp(self, caller: Caller, target: Role | User, action: str) -> list[Condition] | None:
        """What SCPs leave of `action` on `target` for principals of the target's account (None: denied)."""
        if self.org is None:
            return []
        stand_in = target if isinstance(target, Role) else Role(target.arn, target.name, target.account,
                                                                 tags=dict(target.tags))
        facts = RequestFacts(caller, stand_in, self.org.facts_for(target.account), None, self.data_time,
                             requested_region(action, caller.partition))
        result = self.org.scp(caller, stand_in, action, facts)
        verdict = AssumeVerdict(via="scp", needs_identity=True)
        if result is not None and not apply_policy_set(verdict, result, True, "the service control policies"):
            return None
        return list(verdict.unresolved)

