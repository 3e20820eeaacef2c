"""Accumulates entities from any number of inputs into one Snapshot, merging pages and accounts."""

from __future__ import annotations

import copy
import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, cast

from trustgraph.arns import ACCOUNT_ID, parse_arn
from trustgraph.load_report import LoadReport
from trustgraph.model import (
    ComputeResource,
    Group,
    IacOrigin,
    IdentityCenter,
    InlinePolicy,
    ManagedPolicy,
    PolicyDocument,
    Role,
    Snapshot,
    User,
)
from trustgraph.sources.cloudtrail_match import UsageCollector
from trustgraph.sources.identity_center_file import read_identity_center_document
from trustgraph.sources.policy_parser import parse_policy
from trustgraph.sources.policy_quotas import AWS_MANAGED_POLICY, INLINE_POLICY, MANAGED_POLICY, TRUST_POLICY, Quota


def _as_list(value: Any) -> list[Any]:
    # The AWS CLI's own example prints AttachedManagedPolicies as an object where a list is expected.
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _tags(value: Any) -> dict[str, str]:
    tags: dict[str, str] = {}
    for tag in _as_list(value):
        if isinstance(tag, dict) and "Key" in tag:
            tags[str(tag["Key"])] = str(tag.get("Value", ""))
    return tags


def _entry_guard(kind: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """One entry of an odd shape the checks did not foresee is one located error, not an aborted run."""

    def wrap(add: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(add)
        def guarded(self: SnapshotBuilder, entry: Any, source: str, where: str, *args: Any, **kwargs: Any) -> None:
            self.location = where
            try:
                add(self, entry, source, where, *args, **kwargs)
            except (RecursionError, MemoryError):
                self.report.error(source, where, f"{kind} entry nested too deeply to read", skipped=f"{kind}s")
            except Exception as exc:  # noqa: BLE001
                self.report.error(source, where, f"{kind} entry not read ({type(exc).__name__}: {exc})",
                                  skipped=f"{kind}s")

        return guarded

    return wrap


def _by_instance(data: IdentityCenter) -> dict[str, IdentityCenter]:
    """The data split per Identity Center instance (its ARN). Users, groups and memberships belong to the instance
    of their identity store; those of a store no instance of the data names are kept apart, under the store."""
    store_instance = {i.identity_store_id: i.instance_arn for i in data.instances}
    parts: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for instance in data.instances:
        parts[instance.instance_arn]["instances"].append(instance)
    for name in ("users", "groups", "group_memberships"):
        for entry in getattr(data, name):
            key = store_instance.get(entry.identity_store_id, f"identity store {entry.identity_store_id}")
            parts[key][name].append(entry)
    for name in ("permission_sets", "account_assignments"):
        for entry in getattr(data, name):
            parts[entry.instance_arn][name].append(entry)
    return {key: IdentityCenter(**{name: tuple(entries) for name, entries in part.items()})  # type: ignore[arg-type]
            for key, part in parts.items()}


@dataclass(frozen=True, slots=True)
class _Amendment:
    """A planned source's inline policy or attachment for a principal it does not hold (`SnapshotBuilder.amend`)."""

    kind: str  # role | user | group
    name: str
    account: str | None
    source: str
    where: str
    what: str  # the resource type, for messages
    absent: str  # how the source lacks the principal, for messages
    policy_name: str | None  # an inline policy: its name …
    policy: InlinePolicy | None  # … and what it is now (None: removed)
    attached: str | None  # an attached policy ARN
    remove: bool


class SnapshotBuilder:
    def __init__(self, report: LoadReport) -> None:
        self.snapshot = Snapshot()
        self.report = report
        self.location = ""  # the entry being read, for a message about an unforeseen problem
        # (kind, key) → the file whose entry is kept, for the rule on duplicates across files (`_keep`).
        self._kept_from: dict[tuple[str, object], str] = {}
        # account → [pages seen, pages marked IsTruncated]: a complete set has exactly one final page.
        self._pages: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self._anonymous_final_pages = 0
        # Each distinct document is parsed once: organizations repeat the same trust and inline policies in
        # every account. Documents are immutable, so roles share one. Only clean parses are kept, since a
        # problem is reported at the location where it was read.
        self._documents: dict[str, PolicyDocument] = {}
        self._collection_gaps: list[str] = []  # from collection manifests: accounts not read, partial org data
        # account → (its inventory file, the resources it lists, why it is incomplete or None)
        self._inventories: dict[str, tuple[str, list[ComputeResource], str | None]] = {}
        # Sources that describe a state to come (Terraform plans, CloudFormation templates): their entries overlay
        # the exports' entries of the same principal or policy, and a plan's deletions remove them (`planned`).
        self._planned: set[str] = set()
        self._deleted: dict[tuple[str, object], tuple[str, str, str]] = {}  # (kind, key) → (name, source, where)
        self._amendments: list[_Amendment] = []
        # Identity Center documents as read (source, data), and per instance the part kept (`add_identity_center`).
        self._identity_center_documents: list[tuple[str, IdentityCenter]] = []
        self._identity_center_parts: dict[str, tuple[str, IdentityCenter]] = {}
        # CloudTrail events folded as they are read (sources/cloudtrail_file.py), when an input holds any.
        self.usage: UsageCollector | None = None

    # -- policies -----------------------------------------------------------------------------
    def policy(self, raw: Any, source: str, where: str, quota: Quota | None = None,
               name: str = "") -> PolicyDocument | None:
        """The parsed document, or None (the report says why). `quota`: what the document is, when IAM bounds its
        size; a document far past it is refused (`policy_quotas.py`), `name` naming it in that line."""
        key = raw if isinstance(raw, str) else repr(raw)
        length = quota.excess(key) if quota is not None else None
        if quota is not None and length is not None:
            self.report.error(source, where, quota.refusal(length, name), skipped="policy documents")
            return None
        known = self._documents.get(key)
        if known is not None:
            return known
        document, problems = parse_policy(raw, where)
        if document is not None and not problems:
            self._documents[key] = document
        for problem in problems:
            if document is None:
                self.report.error(source, problem.location, problem.message, skipped="policy documents")
            elif problem.message.startswith("invalid statement"):
                self.report.error(source, problem.location, problem.message, skipped="policy statements")
            else:
                self.report.warning(source, problem.location, problem.message)
        return document

    def _inline(self, entries: Any, source: str, where: str, owner: str) -> list[InlinePolicy]:
        out: list[InlinePolicy] = []
        for i, entry in enumerate(_as_list(entries)):
            at = f"{where}[{i}]"
            if not isinstance(entry, dict) or "PolicyDocument" not in entry:
                self.report.error(source, at, "inline policy without PolicyDocument", skipped="inline policies")
                continue
            document = self.policy(entry["PolicyDocument"], source, f"{at}.PolicyDocument", INLINE_POLICY,
                                   f"{entry.get('PolicyName', f'inline-{i}')} of {owner}")
            if document is not None:
                out.append(InlinePolicy(str(entry.get("PolicyName", f"inline-{i}")), document))
        return out

    def _attached(self, entries: Any, source: str, where: str) -> list[str]:
        arns: list[str] = []
        for i, entry in enumerate(_as_list(entries)):
            arn = entry.get("PolicyArn") if isinstance(entry, dict) else None
            if isinstance(arn, str) and parse_arn(arn):
                arns.append(arn)
            else:
                self.report.error(source, f"{where}[{i}]", "attached policy without a valid PolicyArn",
                                  skipped="policy attachments")
        return arns

    def _boundary(self, value: Any) -> str | None:
        if isinstance(value, dict) and isinstance(value.get("PermissionsBoundaryArn"), str):
            return value["PermissionsBoundaryArn"]
        return None

    def _identity(self, entry: dict[str, Any], kind: str, source: str, where: str) -> tuple[str, str] | None:
        arn = entry.get("Arn")
        parsed = parse_arn(arn) if isinstance(arn, str) else None
        if parsed is None or parsed.service != "iam" or not ACCOUNT_ID.match(parsed.account):
            self.report.error(source, where, f"{kind} entry without a valid IAM Arn (got {arn!r})",
                              skipped=f"{kind}s")
            return None
        if not parsed.resource.startswith(f"{kind}/"):
            self.report.error(source, where, f"Arn {arn!r} is not a {kind} ARN", skipped=f"{kind}s")
            return None
        return cast(str, arn), parsed.account  # parse_arn gave a result: arn is a str

    def _unique_id(self, entry: dict[str, Any], key: str, source: str, where: str) -> str | None:
        value = entry.get(key)
        if value is None or isinstance(value, str):
            return value
        self.report.warning(source, f"{where}.{key}", f"{key} is a JSON {type(value).__name__}, not a string: ignored")
        return None

    def seed(self, base: Snapshot, source: str) -> None:
        """Start from a snapshot read before (a saved graph's): its entries count as read from `source`, an export, so
        that plans and templates overlay them and other inputs follow the duplicate rule. `base` is not changed."""
        self.snapshot = replace(
            base, users={k: copy.copy(v) for k, v in base.users.items()},
            roles={k: copy.copy(v) for k, v in base.roles.items()},
            groups={k: copy.copy(v) for k, v in base.groups.items()}, managed_policies=dict(base.managed_policies),
            collected_accounts=set(base.collected_accounts), account_names=dict(base.account_names),
            gaps=list(base.gaps), resources=list(base.resources), inventory_accounts=set(base.inventory_accounts))
        for kind, store in (("role", base.roles), ("user", base.users), ("group", base.groups),
                            ("managed policy", base.managed_policies)):
            for key in store:
                self._kept_from[(kind, key)] = source
        if base.identity_center is not None:
            self.add_identity_center(base.identity_center, source)
        if base.iac_origins is not None:
            self.snapshot.iac_origins = dict(base.iac_origins)

    def planned(self, source: str) -> None:
        """`source` describes a state to come (a Terraform plan, a CloudFormation template): its roles, users, groups
        and managed policies overlay those of the same ARN from exports, whatever the order or the paths of the
        inputs, and what it deletes (`delete`) is removed from them."""
        self._planned.add(source)

    def delete(self, kind: str, key: object, name: str, source: str, where: str) -> None:
        """A planned source deletes the `kind` (role, user, group, managed policy) `key`: an export's entry of it is
        removed when the snapshot is finished (whatever the order of the inputs)."""
        self._deleted[(kind, key)] = (name, source, where)

    def amend(self, kind: str, name: str, account: str | None, source: str, where: str, what: str, *,
              inline: tuple[str, Any] | None = None, attached: str | None = None, remove: bool = False,
              absent: str = "is not created by this plan") -> None:
        """A planned source adds (or, `remove`, takes away) an inline policy `(name, document)` or an attached policy
        ARN of the `kind` (role, user, group) named `name`, which it does not hold itself: applied when the snapshot
        is finished to the one principal of that name (in `account`, when given) that the other inputs hold. `what`
        (the resource type) and `absent` (how the source lacks the principal) word the warning when none does."""
        policy = None
        if inline is not None and not remove:
            document = self.policy(inline[1], source, where)
            if document is None:
                return  # the parser said why
            policy = InlinePolicy(inline[0], document)
        self._amendments.append(_Amendment(kind, name, account, source, where, what, absent,
                                           inline[0] if inline else None, policy, attached, remove))

    def _apply_amendments(self) -> None:
        for change in self._amendments:
            stores: dict[str, dict[Any, Any]] = {"role": self.snapshot.roles, "user": self.snapshot.users,
                                                 "group": self.snapshot.groups}
            store = stores[change.kind]
            found = [e for e in store.values()
                     if e.name == change.name and (change.account is None or e.account == change.account)]
            if len(found) != 1:
                if not change.remove:
                    self.report.warning(change.source, change.where, f"{change.kind} {change.name!r} {change.absent}"
                                        + (" nor in the other inputs" if not found else
                                                          f", and {len(found)} accounts of the other inputs have "
                                                          "one (give --account-id)") + f": {change.what} not read")
                continue
            entity = found[0]
            if change.policy_name is not None:
                entity.inline_policies = [p for p in entity.inline_policies if p.name != change.policy_name] + \
                    ([change.policy] if change.policy is not None else [])
            if change.attached is not None:
                kept = [a for a in entity.attached_policy_arns if a != change.attached]
                entity.attached_policy_arns = kept if change.remove else kept + [change.attached]

    def _keep(self, kind: str, key: object, name: str, source: str) -> bool:
        """Whether the entry of `kind` `key` read from `source` replaces the one already read. A planned source's
        entry replaces an export's (`planned`). Otherwise, the same role, user or group in two files: the entry
        from the greatest file path (as a string) is kept, whatever the order of the inputs, and a warning names
        both files. Two entries in one file: the later one."""
        kept = self._kept_from.get((kind, key))
        if kept is None or kept == source:
            self._kept_from[(kind, key)] = source
            return True
        if (source in self._planned) != (kept in self._planned):
            # Infrastructure as code says what the principal will be: it overlays the export, whatever the paths.
            winner = source if source in self._planned else kept
            self._kept_from[(kind, key)] = winner
            return winner == source
        winner = max(kept, source)
        self.report.warning(winner, "", f"{kind} {name} is in both {min(kept, source)} and {winner}: the entry "
                            f"in {winner} is used (of two files, the greater path wins, whatever the order of "
                            "the inputs)")
        self._kept_from[(kind, key)] = winner
        return winner == source

    # -- entities -----------------------------------------------------------------------------
    @_entry_guard("user")
    def add_user(self, entry: Any, source: str, where: str, *, origin: IacOrigin | None = None) -> None:
        if not isinstance(entry, dict):
            self.report.error(source, where, "user entry is not an object", skipped="users")
            return
        ident = self._identity(entry, "user", source, where)
        if ident is None:
            return
        arn, account = ident
        self.snapshot.collected_accounts.add(account)
        if not self._keep("user", arn, arn, source):
            return
        self.snapshot.users[arn] = User(
            arn=arn,
            name=str(entry.get("UserName") or arn.rsplit("/", 1)[-1]),
            account=account,
            unique_id=self._unique_id(entry, "UserId", source, where),
            path=str(entry.get("Path") or "/"),
            inline_policies=self._inline(entry.get("UserPolicyList"), source, f"{where}.UserPolicyList", arn),
            attached_policy_arns=self._attached(
                entry.get("AttachedManagedPolicies"), source, f"{where}.AttachedManagedPolicies"),
            group_names=[g for g in _as_list(entry.get("GroupList")) if isinstance(g, str)],
            boundary_arn=self._boundary(entry.get("PermissionsBoundary")),
            tags=_tags(entry.get("Tags")),
        )
        self._origin(arn, origin)

    @_entry_guard("group")
    def add_group(self, entry: Any, source: str, where: str) -> None:
        if not isinstance(entry, dict):
            self.report.error(source, where, "group entry is not an object", skipped="groups")
            return
        ident = self._identity(entry, "group", source, where)
        if ident is None:
            return
        arn, account = ident
        self.snapshot.collected_accounts.add(account)
        name = str(entry.get("GroupName") or arn.rsplit("/", 1)[-1])
        if not self._keep("group", (account, name), arn, source):
            return
        self.snapshot.groups[(account, name)] = Group(
            arn=arn,
            name=name,
            account=account,
            inline_policies=self._inline(entry.get("GroupPolicyList"), source, f"{where}.GroupPolicyList", arn),
            attached_policy_arns=self._attached(
                entry.get("AttachedManagedPolicies"), source, f"{where}.AttachedManagedPolicies"),
        )

    @_entry_guard("role")
    def add_role(self, entry: Any, source: str, where: str, *, with_identity: bool,
                 arn_override: str | None = None, origin: IacOrigin | None = None) -> None:
        if not isinstance(entry, dict):
            self.report.error(source, where, "role entry is not an object", skipped="roles")
            return
        if arn_override:
            entry = {**entry, "Arn": arn_override}
        ident = self._identity(entry, "role", source, where)
        if ident is None:
            return
        arn, account = ident
        name_from_arn = arn.rsplit("/", 1)[-1]
        if entry.get("RoleName") and entry["RoleName"] != name_from_arn:
            self.report.warning(source, f"{where}.RoleName",
                                f"RoleName {entry['RoleName']!r} differs from its Arn; the Arn is used")
        if "AssumeRolePolicyDocument" not in entry:
            self.report.warning(source, where, f"role {arn} has no AssumeRolePolicyDocument: nothing can assume it")
            trust = None
        else:
            trust = self.policy(entry["AssumeRolePolicyDocument"], source, f"{where}.AssumeRolePolicyDocument",
                                TRUST_POLICY, f"role {arn}")
        if with_identity:
            self.snapshot.collected_accounts.add(account)
        existing = self.snapshot.roles.get(arn)
        if existing is not None and existing.has_identity_data and not with_identity:
            return  # a full export of this role is already here; a bare listing adds nothing
        if existing is None or existing.has_identity_data == with_identity:
            # Two entries of the same kind: the duplicate rule decides. A full export after a bare listing
            # always replaces it (and is then the entry the rule compares against).
            if not self._keep("role", arn, arn, source):
                return
        else:
            self._kept_from[("role", arn)] = source
        path = entry.get("Path")
        if not isinstance(path, str):
            resource = parse_arn(arn).resource  # type: ignore[union-attr]
            path = "/" + resource.split("/", 1)[1].rsplit("/", 1)[0] + "/" if resource.count("/") > 1 else "/"
        listed = entry.get("InstanceProfileList")
        profiles = [p["Arn"] for p in _as_list(listed) if isinstance(p, dict) and isinstance(p.get("Arn"), str)]
        self.snapshot.roles[arn] = Role(
            arn=arn,
            name=name_from_arn,
            account=account,
            unique_id=self._unique_id(entry, "RoleId", source, where),
            path=path,
            trust=trust,
            inline_policies=self._inline(entry.get("RolePolicyList"), source, f"{where}.RolePolicyList", arn),
            attached_policy_arns=self._attached(
                entry.get("AttachedManagedPolicies"), source, f"{where}.AttachedManagedPolicies"),
            boundary_arn=self._boundary(entry.get("PermissionsBoundary")),
            tags=_tags(entry.get("Tags")),
            source=source,
            has_identity_data=with_identity,
            instance_profiles=profiles,
            # An entry that could not be read leaves open whether a profile holds the role.
            instance_profiles_known=isinstance(listed, list) and len(profiles) == len(listed),
            **self._last_used(entry.get("RoleLastUsed"), source, f"{where}.RoleLastUsed"),
        )
        self._origin(arn, origin)

    def _origin(self, arn: str, origin: IacOrigin | None) -> None:
        """The principal `arn` was just stored from an entry declared at `origin` (a plan's or template's resource),
        or from one declared nowhere in particular (None: an export), which drops what an earlier entry said."""
        if origin is not None:
            if self.snapshot.iac_origins is None:
                self.snapshot.iac_origins = {}
            self.snapshot.iac_origins[arn] = origin
        elif self.snapshot.iac_origins:
            self.snapshot.iac_origins.pop(arn, None)

    def _last_used(self, raw: Any, source: str, where: str) -> dict[str, str | None]:
        """RoleLastUsed: {} when absent or empty (never used, or not tracked yet), else its date and region."""
        if raw is None or raw == {}:
            return {}
        date = raw.get("LastUsedDate") if isinstance(raw, dict) else None
        if not isinstance(date, str) or not date[:4].isdigit():
            self.report.warning(source, where, "RoleLastUsed without a readable LastUsedDate: ignored")
            return {}
        region = raw.get("Region")
        return {"last_used": date, "last_used_region": region if isinstance(region, str) else None}

    @_entry_guard("managed policy")
    def add_managed_policy(self, entry: Any, source: str, where: str) -> None:
        arn = entry.get("Arn") if isinstance(entry, dict) else None
        if not isinstance(arn, str) or not parse_arn(arn):
            self.report.error(source, where, "managed policy without a valid Arn", skipped="managed policies")
            return
        versions = [v for v in _as_list(entry.get("PolicyVersionList")) if isinstance(v, dict)]
        default = next((v for v in versions if v.get("IsDefaultVersion") is True), None)
        if default is None and len(versions) == 1:
            default = versions[0]
        document = None
        if default is None:
            self.report.error(source, where, f"managed policy {arn} has no default version", skipped="managed policies")
        else:
            index = versions.index(default)
            parsed = parse_arn(arn)
            quota = AWS_MANAGED_POLICY if parsed is not None and parsed.account == "aws" else MANAGED_POLICY
            document = self.policy(default.get("Document"), source, f"{where}.PolicyVersionList[{index}].Document",
                                   quota, arn)
        # Some exporters leave PolicyName out; the ARN's last segment is the name.
        name = entry.get("PolicyName") or arn.rsplit("/", 1)[-1]
        kept = self._kept_from.get(("managed policy", arn))
        if kept is not None and kept in self._planned and source not in self._planned:
            return  # the planned document overlays the exported one
        self._kept_from[("managed policy", arn)] = source
        self.snapshot.managed_policies[arn] = ManagedPolicy(arn, str(name), document)

    def inventory(self, account: str, source: str, resources: list[ComputeResource], incomplete: str | None) -> None:
        """One account's inventory file. Two files for one account: the duplicate rule (greater path) decides."""
        if self._keep("inventory", account, f"of account {account}", source):
            self._inventories[account] = (source, resources, incomplete)

    def identity_center(self, value: object, source: str) -> bool:
        """An Identity Center document (docs/identity-center-schema.md): its problems go to the report. False when
        the document is rejected as a whole (wrong shape or schema)."""
        read = read_identity_center_document(value, source)
        self.report.diagnostics.extend(read.diagnostics)
        self.report.skipped.update(read.skipped)
        if read.data is None:
            return False
        self.add_identity_center(read.data, source)
        return True

    def add_identity_center(self, data: IdentityCenter, source: str) -> None:
        """Identity Center data read from `source`. Documents are merged by instance: the same instance in two
        files is taken whole from the file whose path is the greater string, and a warning names both."""
        self._identity_center_documents.append((source, data))
        for key, part in _by_instance(data).items():
            if self._keep("Identity Center instance", key, key, source):
                self._identity_center_parts[key] = (source, part)

    def _finish_identity_center(self) -> None:
        if not self._identity_center_documents:
            return
        parts = [part for _, (_, part) in sorted(self._identity_center_parts.items())]
        used = {source for source, _ in self._identity_center_parts.values()}
        # A document that lost every instance to another file says nothing about the data kept; one without any
        # instance (nothing there, or nothing readable) still says what it could not read.
        documents = sorted(((source, data) for source, data in self._identity_center_documents
                            if source in used or not _by_instance(data)), key=lambda d: d[0])
        delegated = next((d.delegated_admin_account_id for _, d in reversed(documents)
                          if d.delegated_admin_account_id), None)
        complete = all(data.complete for _, data in documents)
        missing = tuple(dict.fromkeys(m for _, data in documents for m in data.missing))
        self.snapshot.identity_center = IdentityCenter(
            instances=tuple(x for p in parts for x in p.instances), users=tuple(x for p in parts for x in p.users),
            groups=tuple(x for p in parts for x in p.groups),
            group_memberships=tuple(x for p in parts for x in p.group_memberships),
            permission_sets=tuple(x for p in parts for x in p.permission_sets),
            account_assignments=tuple(x for p in parts for x in p.account_assignments),
            delegated_admin_account_id=delegated, complete=complete, missing=missing)
        if not complete:
            sources = ", ".join(source for source, data in documents if not data.complete)
            why = "; ".join(missing) or "it says it is not complete"
            self.report.warning(sources, "$", f"the Identity Center data is incomplete ({why}): people may hold "
                                "permission sets it does not show")
            gap = (f"the Identity Center data is incomplete ({why}): people may hold permission sets it does not "
                   f"show ({sources})")
            if gap not in self.snapshot.gaps:
                self.snapshot.gaps.append(gap)

    def page(self, accounts: set[str], truncated: bool) -> None:
        if not accounts and not truncated:
            # A final page naming no account, e.g. one holding only AWS-managed policies.
            self._anonymous_final_pages += 1
        for account in accounts:
            counts = self._pages[account]
            counts[0] += 1
            counts[1] += int(truncated)

    def manifest(self, value: dict[str, Any], source: str) -> None:
        """A collection manifest: when the data was collected (the latest run, if several are merged), and what
        the run failed to read."""
        for record in value.get("accounts") or []:
            trail = record.get("cloudtrail") if isinstance(record, dict) else None
            if isinstance(trail, dict) and trail.get("status") in ("partial", "failed"):
                problems = "; ".join(str(p) for p in trail.get("problems") or [])
                self._collection_gaps.append(
                    f"CloudTrail events of account {record.get('account_id')} are {trail['status']}"
                    + (f": {problems}" if problems else "") + f"; no period of theirs counts as covered ({source})")
            if not isinstance(record, dict) or record.get("status") not in ("failed", "skipped"):
                continue
            name = f" ({record['name']})" if record.get("name") else ""
            why = "; ".join(str(record[k]) for k in ("stage", "reason_code", "reason") if record.get(k))
            self._collection_gaps.append(f"account {record.get('account_id')}{name} was {record['status']} by the "
                                         f"collection" + (f": {why}" if why else "") + f" ({source})")
        org = value.get("organization")
        if isinstance(org, dict) and org.get("status") in ("partial", "failed"):
            problems = "; ".join(str(p) for p in org.get("problems") or [])
            self._collection_gaps.append(f"organization data is {org['status']}" + (f": {problems}" if problems
                                                                                      else "") + f" ({source})")
        when = value.get("finished_at") or value.get("started_at")
        if not isinstance(when, str):
            return
        try:
            moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            self.report.warning(source, "$.finished_at", f"collection time {when!r} is not an ISO 8601 time; ignored")
            return
        stamp = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.snapshot.collected_at is None or stamp > self.snapshot.collected_at:
            self.snapshot.collected_at = stamp

    def _apply_deletions(self) -> None:
        stores: dict[str, dict[Any, Any]] = {"role": self.snapshot.roles, "user": self.snapshot.users,
                                             "group": self.snapshot.groups,
                                             "managed policy": self.snapshot.managed_policies}
        for (kind, key), (name, source, where) in self._deleted.items():
            kept = self._kept_from.get((kind, key))
            if kept is None or kept in self._planned or key not in stores[kind]:
                continue  # not in the exports (nothing to remove), or a plan's entry says it exists
            del stores[kind][key]
            self.report.warning(source, where, f"{kind} {name} from {kept} is deleted by this plan: not in the data")

    def finish(self) -> Snapshot:
        if self.usage is not None:
            self.snapshot.usage = self.usage.finish()
        self._apply_amendments()
        self._apply_deletions()
        unfinished = [a for a, (pages, truncated) in self._pages.items() if truncated and truncated >= pages]
        if len(unfinished) == 1 and self._anonymous_final_pages:
            self._pages[unfinished[0]][0] += 1  # that final page can only be this account's
        for account, (pages, truncated) in sorted(self._pages.items()):
            if truncated and truncated >= pages:
                self.report.warning(
                    account, "",
                    f"authorization details for account {account} are incomplete: {truncated} page(s) marked "
                    "IsTruncated and no final page; fetch the remaining pages (--starting-token / Marker)")
                self.snapshot.gaps.append(f"authorization details for account {account} are truncated: "
                                          f"{truncated} page(s) marked IsTruncated and no final page")
        self.snapshot.gaps.extend(self._collection_gaps)
        self._finish_identity_center()
        for account, (source, resources, incomplete) in sorted(self._inventories.items()):
            self.snapshot.resources.extend(resources)
            if incomplete is None:
                self.snapshot.inventory_accounts.add(account)
            else:
                self.report.warning(source, "$", f"the inventory of account {account} is incomplete ({incomplete}): "
                                    "resources it does not list may run as its roles")
                self.snapshot.gaps.append(f"the inventory of account {account} is incomplete ({incomplete}): roles "
                                          f"there may run code in resources it does not list ({source})")
        if self.report.files_rejected:
            self.snapshot.gaps.append(f"{len(self.report.files_rejected)} input file(s) could not be read: "
                                      + ", ".join(self.report.files_rejected[:5])
                                      + ("…" if len(self.report.files_rejected) > 5 else ""))
        for what, count in sorted(self.report.skipped.items()):
            if what != "files":
                self.snapshot.gaps.append(f"{count} {what} skipped as unreadable")
        principals: list[User | Role] = [*self.snapshot.users.values(), *self.snapshot.roles.values()]
        attached = {arn for p in principals for arn in p.attached_policy_arns}
        attached |= {arn for g in self.snapshot.groups.values() for arn in g.attached_policy_arns}
        missing = sorted(attached - set(self.snapshot.managed_policies))
        if missing:
            are = "policy is" if len(missing) == 1 else "policies are"
            self.snapshot.gaps.append(f"{len(missing)} attached managed {are} not in the data (the permissions "
                                      "they grant are unknown): "
                                      + ", ".join(m.rsplit("/", 1)[-1] for m in missing[:5])
                                      + ("…" if len(missing) > 5 else ""))
        if self.snapshot.iac_origins is not None:  # what a plan deletes is no longer there to point at
            kept = {arn: o for arn, o in self.snapshot.iac_origins.items()
                    if arn in self.snapshot.roles or arn in self.snapshot.users}
            self.snapshot.iac_origins = kept or None
        bare = sum(1 for r in self.snapshot.roles.values() if not r.has_identity_data)
        if bare:
            self.snapshot.gaps.append(f"{bare} role(s) were read without their permission policies (list-roles, "
                                      "get-role or a bare trust policy): what their sessions may assume is unknown")
        return self.snapshot
