"""Terraform plans (`terraform show -json plan.out`) as IAM data: the roles, users, groups and policies the plan
leaves ("after", the default) or finds ("before"), in the same Snapshot model as an account export.

Read: `aws_iam_role` (assume_role_policy as JSON text or object, inline_policy blocks, managed_policy_arns,
permissions_boundary, tags, path), `aws_iam_role_policy`, `aws_iam_role_policy_attachment`, `aws_iam_policy`,
`aws_iam_user` and `aws_iam_group` with their `_policy` and `_policy_attachment` resources,
`aws_iam_user_group_membership`, `aws_iam_group_membership`, `aws_iam_policy_attachment`, and
`aws_iam_policy_document` data sources.

A value known only after apply is never guessed. When the configuration says it comes from another resource of
the plan (`aws_iam_role.ci.name`, `data.aws_iam_policy_document.trust.json`, `aws_iam_policy.p.arn`) and that
resource has exactly one instance, its value is used; otherwise it is a `${… (known after apply)}` placeholder,
reported as not evaluated, with a warning naming the resource. An ARN not in the plan is derived as
`arn:aws:iam::<account>:role/<path><name>` from the name and `--account-id` (else a placeholder account, said once).

Beside an account export the plan overlays it (`SnapshotBuilder.planned`): its principals replace the export's of
the same ARN, what it destroys is removed (`delete`), and its policies and attachments of principals it does not
hold amend the export's (`amend`).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trustgraph.arns import parse_arn
from trustgraph.load_report import LoadReport
from trustgraph.model import IacOrigin, Snapshot
from trustgraph.sources.iac import (
    IacOptions,
    iam_arn,
    normal_path,
    unknown_permissions_document,
    unknown_trust_document,
)
from trustgraph.sources.snapshot_builder import SnapshotBuilder
from trustgraph.sources.terraform_policy_document import document_json
from trustgraph.sources.terraform_state import (
    SUPPORTED_FORMATS,
    PlanResource,
    PlanShapeError,
    deleted_resources,
    module_directories,
    plan_resources,
)

PLAN_KEYS = ("planned_values", "resource_changes", "prior_state")
_KINDS = {"aws_iam_role": "role", "aws_iam_user": "user", "aws_iam_group": "group"}
_DETAIL = {"role": "RolePolicyList", "user": "UserPolicyList", "group": "GroupPolicyList"}
_NAME_KEY = {"role": "RoleName", "user": "UserName", "group": "GroupName"}
_SAFE_NAME = re.compile(r"[^\w+=,.@-]")
_FROM_RESOURCE = object()


# `aws_iam_policy_attachment`: the kind of principal and the attribute listing those it attaches the policy to.
ATTACHMENT_TARGETS = (("role", "roles"), ("user", "users"), ("group", "groups"))


# hashicorp/setup-terraform's wrapper (terraform_wrapper: true, its default) echoes the command before the output:
# `[command]/home/runner/work/_temp/…/terraform-bin show -json tfplan`, and may end it with workflow commands
# (`::debug::Terraform exited with code 0.`).
_WRAPPER_LINE = re.compile(r"\A\ufeff?\[command\][^\n]*terraform[^\n]* show [^\n]*-json[^\n]*\n")


def looks_like_terraform_plan(value: Any) -> bool:
    return isinstance(value, dict) and "format_version" in value and any(k in value for k in PLAN_KEYS)


def unwrapped_plan(text: str) -> dict[str, Any] | None:
    """The plan in `terraform show -json` output captured through setup-terraform's wrapper: its command line, the
    plan, then nothing but workflow commands. None when `text` is anything else (the caller's own error stands)."""
    head = _WRAPPER_LINE.match(text)
    if head is None:
        return None
    body = text[head.end():]
    try:
        value, end = json.JSONDecoder().raw_decode(body, len(body) - len(body.lstrip()))
    except (ValueError, RecursionError):
        return None
    if any(line.strip() and not line.startswith("::") for line in body[end:].splitlines()):
        return None
    return value if looks_like_terraform_plan(value) else None


class NotAPlan(ValueError):
    """A document that says it is a Terraform plan but cannot be read as one: the whole file is refused, so that it
    never reads as a plan that changes nothing."""


def load_plan(path: str | Path, side: str = "after", account_id: str | None = None) -> tuple[Snapshot, LoadReport]:
    """The snapshot of one side of a plan: "after" (what applying it leaves) or "before" (what exists now)."""
    from trustgraph.sources.files import load_inputs  # files.py dispatches to this module

    return load_inputs([path], iac=IacOptions(account_id=account_id, plan_side=side))


# Resources that add to a principal: what the plan destroys of them is taken away (`_PlanReader._removed`).
_PARTS = ("aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_role_policy_attachment",
          "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment", "aws_iam_policy_attachment")


def _attach(entry: dict[str, Any], arn: str) -> None:
    """Attach once: the role's refreshed `managed_policy_arns` already lists what attachment resources attach."""
    if all(p.get("PolicyArn") != arn for p in entry["AttachedManagedPolicies"]):
        entry["AttachedManagedPolicies"].append({"PolicyArn": arn})


def read_plan(plan: dict[str, Any], builder: SnapshotBuilder, source: str, options: IacOptions) -> None:
    version = str(plan.get("format_version"))
    if not SUPPORTED_FORMATS.match(version):
        builder.report.warning(source, "$.format_version", f"plan format_version {version} is not one of "
                               "0.1–1.2 (the versions this reader knows); read as if it were")
    try:
        resources = plan_resources(plan, options.plan_side)
    except PlanShapeError as exc:
        raise NotAPlan(f"not a Terraform plan: {exc}") from None
    builder.planned(source)
    destroyed = deleted_resources(plan) if options.plan_side == "after" else []
    reader = _PlanReader(builder, source, options, resources, destroyed=destroyed,
                         directories=module_directories(plan.get("configuration")))
    reader.read()
    reader.deletions()


@dataclass(slots=True)
class _Entity:
    kind: str  # role | user | group
    entry: dict[str, Any]
    where: str

    @property
    def name(self) -> str:
        return str(self.entry[_NAME_KEY[self.kind]])


@dataclass(slots=True)
class _PlanReader:
    builder: SnapshotBuilder
    source: str
    options: IacOptions
    resources: list[PlanResource]
    by_config: dict[tuple[str, str], list[PlanResource]] = field(default_factory=lambda: defaultdict(list))
    by_address: dict[str, PlanResource] = field(default_factory=dict)
    entities: dict[str, _Entity] = field(default_factory=dict)  # address → entity
    by_name: dict[tuple[str, str], _Entity] = field(default_factory=dict)  # (kind, name) → entity
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # address → managed policy entry
    account_said: bool = False
    # "after" side: the resources applying the plan destroys (or replaces), as they are before it.
    destroyed: list[PlanResource] = field(default_factory=list)
    # Module address → its directory relative to the plan's, None when not local (`IacOrigin.module_dir`).
    directories: dict[str, str | None] = field(default_factory=dict)

    @property
    def report(self) -> LoadReport:
        return self.builder.report

    def read(self) -> None:
        for res in self.resources:
            self.by_config[(res.module, res.config_address)].append(res)
            self.by_address[res.address] = res
        passes = (
            ("managed", ("aws_iam_policy",), self._policy),
            ("managed", tuple(_KINDS), self._entity),
            ("removed", _PARTS, self._removed),
            ("managed", ("aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"), self._inline),
            ("managed", ("aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment",
                         "aws_iam_group_policy_attachment"), self._attachment),
            ("managed", ("aws_iam_user_group_membership", "aws_iam_group_membership"), self._membership),
            ("managed", ("aws_iam_policy_attachment",), self._exclusive_attachment),
        )
        for mode, types, read in passes:
            for res in self.destroyed if mode == "removed" else self.resources:
                if res.mode == mode and res.type in types:
                    try:
                        read(res)
                    except Exception as exc:  # noqa: BLE001 - one odd resource is one located error
                        self.report.error(self.source, f"{res.where} ({res.address})",
                                          f"resource not read ({type(exc).__name__}: {exc})", skipped="resources")
        self._decayed_references()
        for address, entry in self.policies.items():
            self.builder.add_managed_policy(entry, self.source, f"{address}")
        for address, entity in self.entities.items():
            res = self._resource(address)
            origin = IacOrigin("terraform", self.source, res.config_address, self.directories.get(res.module))
            if entity.kind == "role":
                self.builder.add_role(entity.entry, self.source, entity.where, with_identity=True, origin=origin)
            elif entity.kind == "user":
                self.builder.add_user(entity.entry, self.source, entity.where, origin=origin)
            else:
                self.builder.add_group(entity.entry, self.source, entity.where)

    def deletions(self) -> None:
        """The roles, users, groups and managed policies applying the plan destroys are not there afterwards, also
        when an export beside the plan holds them."""
        for res in self.destroyed:
            kind = _KINDS.get(res.type) or ("managed policy" if res.type == "aws_iam_policy" else None)
            if kind is None or res.actions != ("delete",):
                continue
            name = self._name(res, "policy" if kind == "managed policy" else kind)
            path = normal_path(self._known(res, "path"))
            arn = self._arn(res, "policy" if kind == "managed policy" else kind, name, path)
            key: object = arn
            if kind == "group":
                parsed = parse_arn(arn)
                key = (parsed.account if parsed else self.options.account, name)
            self.builder.delete(kind, key, name, self.source, self._where(res))

    def _decayed_references(self) -> None:
        """A trust policy names a principal by ARN, but IAM stores its unique id: when the plan replaces that role
        or user, a trust the plan does not write again keeps the old id and no longer matches the new one
        (SEMANTICS §8.1). Said for each such trust; the policy is read as written."""
        if self.options.plan_side != "after":
            return
        replaced = {str(e.entry["Arn"]): address for address, e in self.entities.items()
                    if e.kind in ("role", "user") and self._resource(address).replaced}
        if not replaced:
            return
        for address, entity in self.entities.items():
            res = self._resource(address)
            trust = entity.entry.get("AssumeRolePolicyDocument")
            if entity.kind != "role" or res.rewritten or trust is None:
                continue
            text = trust if isinstance(trust, str) else json.dumps(trust)
            for arn, replacing in replaced.items():
                if f'"{arn}"' in text:
                    self.report.warning(self.source, self._where(res, "assume_role_policy"), f"the trust policy of "
                                        f"{entity.name} names {arn}, which this plan replaces ({replacing}); the "
                                        "trust is not written again, so after apply it holds the old principal's "
                                        "unique id and does not match the new one until it is saved again")

    def _resource(self, address: str) -> PlanResource:
        return self.by_address[address]

    # -- values ---------------------------------------------------------------------------------------------
    def _where(self, res: PlanResource, attribute: str = "") -> str:
        return f"{res.where} ({res.address}{'.' + attribute if attribute else ''})"

    def _known(self, res: PlanResource, attribute: str) -> Any:
        """The attribute's value when the plan knows it, else None."""
        if res.is_unknown(attribute):
            return None
        return res.values.get(attribute)

    def _referenced(self, res: PlanResource, attribute: str, types: tuple[str, ...]) -> PlanResource | None:
        """The one resource instance of `types` the attribute's configuration refers to, if there is exactly one."""
        references = res.references(attribute)
        targets: list[PlanResource] = []
        for ref in references:
            parts = ref.split(".")
            local = ".".join(parts[:3]) if parts[0] == "data" else ".".join(parts[:2])
            kind = parts[1] if parts[0] == "data" else parts[0]
            if kind in types:
                targets.extend(t for t in self.by_config.get((res.module, local), []) if t not in targets)
        addresses = {t.config_address for t in targets}
        others = {r for r in references if not any(r == a or r.startswith((a + ".", a + "[")) for a in addresses)}
        if len(targets) > 1 and res.instance_key and others == {"each.key"}:
            # `X[each.key]`: the only other thing the expression reads is the instance's own key.
            targets = [t for t in targets if t.instance_key == res.instance_key]
        return targets[0] if len(targets) == 1 else None

    def _name_of(self, res: PlanResource, attribute: str, kind: str) -> str | None:
        """The name of the role, user or group the attribute names (by name, ARN or reference), or None."""
        value = self._known(res, attribute)
        if isinstance(value, str) and value:
            parsed = parse_arn(value)
            return value.rsplit("/", 1)[-1] if parsed else value
        target = self._referenced(res, attribute, tuple(t for t, k in _KINDS.items() if k == kind))
        if target is not None and target.address in self.entities:
            return self.entities[target.address].name
        return None

    def _policy_arn(self, res: PlanResource, attribute: str = "policy_arn") -> str | None:
        value = self._known(res, attribute)
        if isinstance(value, str) and value:
            return value
        target = self._referenced(res, attribute, ("aws_iam_policy",))
        if target is not None and target.address in self.policies:
            return str(self.policies[target.address]["Arn"])
        return None

    def _document(self, res: PlanResource, attribute: str, what: str, trust: bool = False,
                  value: Any = _FROM_RESOURCE, unknown: bool | None = None) -> Any:
        """The policy document of `attribute` (JSON text or object), from a referenced policy document data
        source when the value is known only after apply, else an unknown placeholder document (warned)."""
        value = res.values.get(attribute) if value is _FROM_RESOURCE else value
        unknown = res.is_unknown(attribute) if unknown is None else unknown
        if not unknown and isinstance(value, (str, dict)) and value:
            return value
        source = self._referenced(res, attribute, ("aws_iam_policy_document",))
        if source is not None:
            text = document_json(source)
            if text is not None:
                return text
        if not unknown:
            return value  # absent or empty: the builder says so
        self.report.warning(self.source, self._where(res, attribute), f"{what} is known only after apply: not "
                            "evaluated (a placeholder stands for it)")
        placeholder = f"{res.address}.{attribute} (known after apply)"
        return unknown_trust_document(placeholder) if trust else unknown_permissions_document(placeholder)

    def _arn(self, res: PlanResource, kind: str, name: str, path: str) -> str:
        known = self._known(res, "arn")
        if isinstance(known, str) and parse_arn(known):
            return known
        if self.options.account_id is None and not self.account_said:
            self.account_said = True
            self.report.warning(self.source, "$", f"the account is not known (no --account-id): ARNs the plan "
                                f"does not know use the placeholder account {self.options.account}")
        return iam_arn("aws", self.options.account, kind, path, name)

    def _name(self, res: PlanResource, kind: str) -> str:
        name = self._known(res, "name")
        if isinstance(name, str) and name:
            return name
        placeholder = _SAFE_NAME.sub("-", res.address.split(".", 1)[-1] if res.module == "" else res.address)
        self.report.warning(self.source, self._where(res, "name"), f"{kind} name is known only after apply "
                            f"(name_prefix or computed): read as {placeholder!r}")
        return placeholder

    # -- resources ------------------------------------------------------------------------------------------
    def _policy(self, res: PlanResource) -> None:
        name = self._name(res, "policy")
        path = normal_path(self._known(res, "path"))
        arn = self._arn(res, "policy", name, path)
        document = self._document(res, "policy", f"policy {name}")
        self.policies[res.address] = {"Arn": arn, "PolicyName": name, "Path": path,
                                      "PolicyVersionList": [{"Document": document, "IsDefaultVersion": True}]}

    def _entity(self, res: PlanResource) -> None:
        kind = _KINDS[res.type]
        name = self._name(res, kind)
        path = normal_path(self._known(res, "path"))
        arn = self._arn(res, kind, name, path)
        entry: dict[str, Any] = {"Arn": arn, _NAME_KEY[kind]: name, "Path": path, _DETAIL[kind]: [],
                                 "AttachedManagedPolicies": []}
        unique_id = self._known(res, "unique_id")
        if kind != "group" and isinstance(unique_id, str) and unique_id:
            # Kept so that a plan overlaying an export keeps matching trusts and conditions written by unique id.
            entry["RoleId" if kind == "role" else "UserId"] = unique_id
        if kind == "role":
            entry["AssumeRolePolicyDocument"] = self._document(res, "assume_role_policy", f"trust policy of {name}",
                                                               trust=True)
            self._role_blocks(res, entry)
        if kind != "group":
            boundary = self._policy_arn(res, "permissions_boundary")
            if boundary:
                entry["PermissionsBoundary"] = {"PermissionsBoundaryArn": boundary}
            elif res.is_unknown("permissions_boundary") and "permissions_boundary" in res.config:
                self._unknown_part(res, "permissions_boundary", f"permissions boundary of {name}")
            tags = self._known(res, "tags_all") or self._known(res, "tags")
            if isinstance(tags, dict):
                entry["Tags"] = [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]
            if kind == "user":
                entry["GroupList"] = []
        entity = _Entity(kind, entry, f"{res.where} ({res.address})")
        self.entities[res.address] = entity
        self.by_name[(kind, name)] = entity

    def _role_blocks(self, res: PlanResource, entry: dict[str, Any]) -> None:
        blocks = self._known(res, "inline_policy")
        for i, block in enumerate(blocks if isinstance(blocks, list) else []):
            if not isinstance(block, dict):
                continue
            unknown = res.is_unknown("inline_policy", i, "policy")
            if not unknown and not block.get("policy"):
                continue  # the provider lists an empty block when none is configured
            name = block.get("name") or f"inline-{i}"
            document = self._document(res, "inline_policy", f"inline policy {name} of {entry['RoleName']}",
                                      value=block.get("policy"), unknown=unknown)
            entry["RolePolicyList"].append({"PolicyName": name, "PolicyDocument": document})
        if blocks is None and res.is_unknown("inline_policy") and "inline_policy" in res.config:
            self._unknown_part(res, "inline_policy", f"inline policies of {entry['RoleName']}")
        arns = self._known(res, "managed_policy_arns")
        if isinstance(arns, list):
            entry["AttachedManagedPolicies"].extend({"PolicyArn": a} for a in arns if isinstance(a, str))
        elif res.is_unknown("managed_policy_arns") and "managed_policy_arns" in res.config:
            refs = [self.policies[t.address]["Arn"] for ref in res.references("managed_policy_arns")
                    for t in self.by_config.get((res.module, ".".join(ref.split(".")[:2])), [])
                    if t.address in self.policies]
            entry["AttachedManagedPolicies"].extend({"PolicyArn": a} for a in dict.fromkeys(refs))
            self._unknown_part(res, "managed_policy_arns", f"managed policies of {entry['RoleName']}"
                               + (f" (besides {len(refs)} found by reference)" if refs else ""))

    def _unknown_part(self, res: PlanResource, attribute: str, what: str) -> None:
        self.report.warning(self.source, self._where(res, attribute), f"{what} known only after apply: not read")
        self.builder.snapshot.gaps.append(f"{what} ({res.address}) known only after apply ({self.source})")

    def _target_name(self, res: PlanResource, kind: str, attribute: str) -> str | None:
        """The name of the role, user or group the resource belongs to; None (warned, a gap) when not known."""
        name = self._name_of(res, attribute, kind)
        if name is None:
            self.report.warning(self.source, self._where(res, attribute), f"the {kind} is known only after apply "
                                f"and not traceable in the plan: {res.type} not read")
            self.builder.snapshot.gaps.append(f"{res.address}: its {kind} is known only after apply ({self.source})")
        return name

    def _target(self, res: PlanResource, kind: str, attribute: str) -> _Entity | None:
        name = self._target_name(res, kind, attribute)
        if name is None:
            return None
        entity = self.by_name.get((kind, name))
        if entity is None:
            self.report.warning(self.source, self._where(res, attribute), f"{kind} {name!r} is not created by "
                                f"this plan: {res.type} not read (read the account's export beside the plan)")
        return entity

    def _elsewhere(self, res: PlanResource, kind: str, name: str, **change: Any) -> None:
        """A policy or attachment of a principal the plan does not hold: it amends that principal where the other
        inputs (an account export) have it (`SnapshotBuilder.amend`)."""
        self.builder.amend(kind, name, self.options.account_id, self.source, self._where(res), res.type, **change)

    def _inline(self, res: PlanResource) -> None:
        kind = res.type.split("_")[2]  # aws_iam_role_policy → role
        target = self._target_name(res, kind, kind)
        if target is None:
            return
        name = self._known(res, "name") or res.address
        document = self._document(res, "policy", f"inline policy {name} of {target}")
        entity = self.by_name.get((kind, target))
        if entity is None:
            self._elsewhere(res, kind, target, inline=(name, document))
            return
        # One inline policy per name (IAM's rule): the resource's document replaces what the role's refreshed
        # `inline_policy` lists under that name.
        policies = entity.entry[_DETAIL[kind]]
        policies[:] = [p for p in policies if p.get("PolicyName") != name]
        policies.append({"PolicyName": name, "PolicyDocument": document})

    def _attachment(self, res: PlanResource) -> None:
        kind = res.type.split("_")[2]
        target = self._target_name(res, kind, kind)
        if target is None:
            return
        arn = self._policy_arn(res)
        if arn is None:
            self._unknown_part(res, "policy_arn", f"a managed policy attached to {target}")
            return
        entity = self.by_name.get((kind, target))
        if entity is None:
            self._elsewhere(res, kind, target, attached=arn)
        else:
            _attach(entity.entry, arn)

    def _removed(self, res: PlanResource) -> None:
        """An inline policy or attachment the plan destroys (or replaces), as it was before: not there after apply,
        although the refreshed `inline_policy`/`managed_policy_arns` of its role may still list it."""
        kinds = ATTACHMENT_TARGETS if res.type == "aws_iam_policy_attachment" else ((res.type.split("_")[2],) * 2,)
        for kind, attribute in kinds:
            if res.type == "aws_iam_policy_attachment":
                names = self._known(res, attribute)
                targets = [n for n in names if isinstance(n, str)] if isinstance(names, list) else []
            else:
                found = self._name_of(res, attribute, kind)
                targets = [found] if found else []
            inline = self._known(res, "name") if res.type.endswith("_policy") else None
            arn = None if inline else self._known(res, "policy_arn")
            if not isinstance(inline, str) and not isinstance(arn, str):
                continue
            for target in targets:
                entity = self.by_name.get((kind, target))
                if entity is None:
                    self._elsewhere(res, kind, target, remove=True,
                                    **({"inline": (inline, None)} if inline else {"attached": arn}))
                elif inline:
                    policies = entity.entry[_DETAIL[kind]]
                    policies[:] = [p for p in policies if p.get("PolicyName") != inline]
                else:
                    attached = entity.entry["AttachedManagedPolicies"]
                    attached[:] = [p for p in attached if p.get("PolicyArn") != arn]

    def _exclusive_attachment(self, res: PlanResource) -> None:
        """`aws_iam_policy_attachment`: one policy attached to lists of roles, users and groups."""
        arn = self._policy_arn(res)
        if arn is None:
            self._unknown_part(res, "policy_arn", f"the policy of {res.address}")
            return
        for kind, attribute in ATTACHMENT_TARGETS:
            names = self._known(res, attribute)
            if names is None and res.is_unknown(attribute):
                self._unknown_part(res, attribute, f"the {attribute} {res.address} attaches to")
                continue
            for name in names if isinstance(names, list) else []:
                if not isinstance(name, str):
                    continue
                entity = self.by_name.get((kind, name))
                if entity is None:
                    self._elsewhere(res, kind, name, attached=arn)
                else:
                    _attach(entity.entry, arn)

    def _membership(self, res: PlanResource) -> None:
        if res.type == "aws_iam_user_group_membership":
            user = self._target(res, "user", "user")
            groups = self._known(res, "groups")
            if user is not None and isinstance(groups, list):
                user.entry["GroupList"].extend(g for g in groups if isinstance(g, str))
            elif user is not None:
                self._unknown_part(res, "groups", f"groups of {user.name}")
            return
        group = self._target(res, "group", "group")
        users = self._known(res, "users")
        if group is None:
            return
        if not isinstance(users, list):
            self._unknown_part(res, "users", f"members of {group.name}")
            return
        for name in users:
            user = self.by_name.get(("user", name)) if isinstance(name, str) else None
            if user is None:
                self.report.warning(self.source, self._where(res, "users"), f"user {name!r} is not created by "
                                    "this plan: its membership is not read")
            else:
                user.entry["GroupList"].append(group.name)
