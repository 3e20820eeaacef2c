"""CloudFormation templates (JSON or YAML, CDK-synthesized ones included) as IAM data, in the same Snapshot model
as an account export.

Read: `AWS::IAM::Role` (AssumeRolePolicyDocument, Policies, ManagedPolicyArns, PermissionsBoundary, Path,
RoleName, Tags), `AWS::IAM::User`, `AWS::IAM::Group`, `AWS::IAM::ManagedPolicy` and `AWS::IAM::Policy`
(attached to the template's Roles/Users/Groups), `AWS::IAM::RolePolicy`/`UserPolicy`/`GroupPolicy` and
`AWS::IAM::UserToGroupAddition`. Values are evaluated as far as `cloudformation_values` can; the rest stays
symbolic and is reported, one warning per intrinsic, naming the resource.

A role, user, group or managed policy without an explicit name gets one from CloudFormation at deploy time
(`<stack>-<logical id>-<random>`): it is read under its logical id, and a warning says so. A resource with a
`Condition` is read unless the parameters decide the condition false.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trustgraph.arns import parse_arn
from trustgraph.model import IacOrigin
from trustgraph.sources.cloudformation_values import IamResource, Resolver, TemplateScope
from trustgraph.sources.iac import IacOptions, iam_arn, normal_path
from trustgraph.sources.policy_parser import is_intrinsic
from trustgraph.sources.snapshot_builder import SnapshotBuilder

_ENTITIES = {"AWS::IAM::Role": "role", "AWS::IAM::User": "user", "AWS::IAM::Group": "group"}
_NAME_PROPERTY = {"role": "RoleName", "user": "UserName", "group": "GroupName", "policy": "ManagedPolicyName"}
_DETAIL = {"role": "RolePolicyList", "user": "UserPolicyList", "group": "GroupPolicyList"}
_URL_SUFFIX = {"aws-cn": "amazonaws.com.cn"}
_STANDALONE_POLICIES = {"AWS::IAM::RolePolicy": ("role", "RoleName"), "AWS::IAM::UserPolicy": ("user", "UserName"),
                        "AWS::IAM::GroupPolicy": ("group", "GroupName")}
_READ_TYPES = {*_ENTITIES, "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", *_STANDALONE_POLICIES,
               "AWS::IAM::UserToGroupAddition"}


def looks_like_template(value: Any) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("Resources"), dict):
        return False
    if "AWSTemplateFormatVersion" in value:
        return True
    return any(isinstance(r, dict) and isinstance(r.get("Type"), str) and r["Type"].startswith(("AWS::", "Custom::"))
               for r in value["Resources"].values())


def read_template(template: dict[str, Any], builder: SnapshotBuilder, source: str, options: IacOptions) -> None:
    builder.planned(source)
    _TemplateReader(template, builder, source, options).read()


@dataclass(slots=True)
class _Entity:
    kind: str
    logical: str
    name: str
    entry: dict[str, Any]


@dataclass(slots=True)
class _TemplateReader:
    template: dict[str, Any]
    builder: SnapshotBuilder
    source: str
    options: IacOptions
    scope: TemplateScope = field(default_factory=TemplateScope)
    entities: dict[str, _Entity] = field(default_factory=dict)  # logical id → entity
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id → managed policy entry
    account_said: bool = False
    resolver: Resolver | None = None
    said: set[tuple[str, str]] = field(default_factory=set)

    def read(self) -> None:
        resources = self.template["Resources"]
        self._scope(resources)
        self.resolver = Resolver(self.scope, self._symbolic)
        iam = {lid: r for lid, r in resources.items()
               if isinstance(r, dict) and r.get("Type") in _READ_TYPES and self._deployed(lid, r)}
        self._unread_sources(resources)
        if not iam:
            self.builder.report.warning(self.source, "$.Resources", "template has no IAM roles, users, groups or "
                                        "policies: nothing to read")
        self._names(iam)
        for lid, resource in iam.items():
            kind = resource["Type"]
            try:
                if kind in _ENTITIES:
                    self._entity(lid, resource)
                elif kind == "AWS::IAM::ManagedPolicy":
                    self._managed(lid, resource)
            except Exception as exc:  # noqa: BLE001 - one odd resource is one located error
                self._error(lid, exc)
        for lid, resource in iam.items():
            try:
                if resource["Type"] == "AWS::IAM::Policy":
                    self._policy(lid, resource)
                elif resource["Type"] in _STANDALONE_POLICIES:
                    self._standalone(lid, resource)
                elif resource["Type"] == "AWS::IAM::UserToGroupAddition":
                    self._group_addition(lid, resource)
                elif resource["Type"] == "AWS::IAM::ManagedPolicy":
                    self._attach_managed(lid, resource)
            except Exception as exc:  # noqa: BLE001
                self._error(lid, exc)
        for lid, entry in self.policies.items():
            self.builder.add_managed_policy(entry, self.source, self._at(lid))
        for lid, entity in self.entities.items():
            where = f"{self._at(lid)}.Properties"  # the builder names the entry's parts below it
            origin = IacOrigin("cloudformation", self.source, lid)
            if entity.kind == "role":
                self.builder.add_role(entity.entry, self.source, where, with_identity=True, origin=origin)
            elif entity.kind == "user":
                self.builder.add_user(entity.entry, self.source, where, origin=origin)
            else:
                self.builder.add_group(entity.entry, self.source, where)

    # -- scope ----------------------------------------------------------------------------------------------
    def _scope(self, resources: dict[str, Any]) -> None:
        given = self.options.parameter_map
        partition = given.get("AWS::Partition", "aws")
        scope = self.scope
        scope.partition = partition
        scope.pseudo = {"AWS::Partition": partition, "AWS::URLSuffix": _URL_SUFFIX.get(partition, "amazonaws.com")}
        scope.pseudo.update({k: v for k, v in given.items() if k.startswith("AWS::")})
        if self.options.account_id:
            scope.pseudo["AWS::AccountId"] = self.options.account_id
        parameters = self.template.get("Parameters")
        for name, spec in (parameters.items() if isinstance(parameters, dict) else ()):
            scope.declared.add(str(name))
            value = given.get(name, spec.get("Default") if isinstance(spec, dict) else None)
            if value is None or isinstance(value, dict):
                continue
            kind = str(spec.get("Type", "")) if isinstance(spec, dict) else ""
            if kind.startswith("AWS::SSM::Parameter::Value") and name not in given:
                continue  # the Default names a Systems Manager parameter: its value is read at deploy time
            if isinstance(value, list):
                scope.parameters[name] = [str(v) for v in value]
            elif kind == "CommaDelimitedList" or kind.startswith("List<"):
                scope.parameters[name] = [v.strip() for v in str(value).split(",")]
            else:
                scope.parameters[name] = str(value).lower() if isinstance(value, bool) else str(value)
        for name in given:
            if not name.startswith("AWS::") and name not in scope.declared:
                self.builder.report.warning(self.source, "$.Parameters", f"--parameter {name} is not a parameter "
                                            "of this template: ignored here")
        mappings, conditions = self.template.get("Mappings"), self.template.get("Conditions")
        scope.mappings = mappings if isinstance(mappings, dict) else {}
        scope.conditions = conditions if isinstance(conditions, dict) else {}
        named = (*_ENTITIES, "AWS::IAM::ManagedPolicy")  # Ref/GetAtt of these resolve (see `_names`)
        scope.other_resources = {str(lid) for lid, r in resources.items()
                                 if not (isinstance(r, dict) and r.get("Type") in named)}

    def _unread_sources(self, resources: dict[str, Any]) -> None:
        """What deploys IAM resources this reader cannot see: transforms (SAM's implicit roles, macros) and
        nested stacks. Said, never silently missing."""
        transform = self.template.get("Transform")
        if transform is not None:
            names = ", ".join(map(str, transform)) if isinstance(transform, list) else str(transform)
            message = (f"template uses Transform {names}: the resources it generates (e.g. SAM's function roles) "
                       "are not read")
            self.builder.report.warning(self.source, "$.Transform", message)
            self.builder.snapshot.gaps.append(f"{message} ({self.source})")
        for lid, resource in resources.items():
            if isinstance(resource, dict) and resource.get("Type") == "AWS::CloudFormation::Stack":
                message = f"{lid} is a nested stack: its IAM resources are read only from its own template"
                self.builder.report.warning(self.source, self._at(lid), message)
                self.builder.snapshot.gaps.append(f"{message} ({self.source})")

    def _deployed(self, logical: str, resource: dict[str, Any]) -> bool:
        condition = resource.get("Condition")
        if not isinstance(condition, str):
            return True
        decided = Resolver(self.scope, self._symbolic).decide(condition)
        if decided is False:
            self.builder.report.warning(self.source, self._at(logical), f"{logical} exists only if condition "
                                        f"{condition} holds, which the parameters decide false: not read")
            return False
        if decided is None:
            self.builder.report.warning(self.source, self._at(logical), f"{logical} exists only if condition "
                                        f"{condition} holds, which the parameters do not decide: read as if it does")
        return True

    def _names(self, iam: dict[str, Any]) -> None:
        """Names and ARNs of the template's IAM resources, so that `Ref`/`Fn::GetAtt` of them resolve."""
        assert self.resolver is not None
        for lid, resource in iam.items():
            kind = _ENTITIES.get(resource["Type"]) or ("policy" if resource["Type"] == "AWS::IAM::ManagedPolicy"
                                                       else None)
            if kind is None:
                continue
            props = self._properties(resource)
            name = self.resolver.resolve(props.get(_NAME_PROPERTY[kind]), self._at(lid, _NAME_PROPERTY[kind]))
            if not isinstance(name, str) or not name:
                reason = ("has no " + _NAME_PROPERTY[kind] + ": CloudFormation generates one "
                          "(<stack>-<logical id>-<random>)") if name is None else \
                    f"{_NAME_PROPERTY[kind]} is not known before deploy"
                self.builder.report.warning(self.source, self._at(lid), f"{self._label(lid, resource)} {reason}; "
                                            f"read as {lid!r}")
                name = lid
            path = normal_path(self.resolver.resolve(props.get("Path"), self._at(lid, "Path")))
            arn = iam_arn(self.scope.partition, self._account(), kind, path, name)
            attributes = {"Arn": arn} if kind != "policy" else {"PolicyArn": arn}
            self.scope.resources[lid] = IamResource(arn if kind == "policy" else name, attributes)

    def _account(self) -> str:
        if self.options.account_id is None and not self.account_said:
            self.account_said = True
            self.builder.report.warning(self.source, "$", "the account is not known (no --account-id): the "
                                        f"template's ARNs use the placeholder account {self.options.account}")
        return self.options.account

    # -- resources ------------------------------------------------------------------------------------------
    def _entity(self, lid: str, resource: dict[str, Any]) -> None:
        kind = _ENTITIES[resource["Type"]]
        props = self._resolved(lid, resource)
        ref = self.scope.resources[lid]
        entry: dict[str, Any] = {"Arn": ref.attributes["Arn"], _NAME_PROPERTY[kind]: ref.ref,
                                 "Path": normal_path(props.get("Path")), _DETAIL[kind]: [],
                                 "AttachedManagedPolicies": []}
        if kind == "role":
            entry["AssumeRolePolicyDocument"] = props.get("AssumeRolePolicyDocument")
            if entry["AssumeRolePolicyDocument"] is None:
                del entry["AssumeRolePolicyDocument"]
        policies = props.get("Policies")
        if policies is not None and not isinstance(policies, list):
            self._gap(lid, "Policies", "inline policies are not known before deploy: not read")
        for i, policy in enumerate(policies if isinstance(policies, list) else []):
            if is_intrinsic(policy) or not isinstance(policy, dict):
                self._gap(lid, f"Policies[{i}]", "inline policy is not known before deploy: not read")
            else:
                entry[_DETAIL[kind]].append({"PolicyName": _text(policy.get("PolicyName"), f"inline-{i}"),
                                             "PolicyDocument": policy.get("PolicyDocument")})
        self._managed_arns(lid, props.get("ManagedPolicyArns"), entry)
        boundary = props.get("PermissionsBoundary")
        if isinstance(boundary, str) and parse_arn(boundary):
            entry["PermissionsBoundary"] = {"PermissionsBoundaryArn": boundary}
        elif boundary is not None:
            self._gap(lid, "PermissionsBoundary", "permissions boundary is not known before deploy: not read")
        if isinstance(props.get("Tags"), list):
            entry["Tags"] = [t for t in props["Tags"] if isinstance(t, dict)
                             and isinstance(t.get("Key"), str) and isinstance(t.get("Value", ""), str)]
        if kind == "user":
            groups = props.get("Groups")
            entry["GroupList"] = [g for g in groups if isinstance(g, str)] if isinstance(groups, list) else []
            if isinstance(groups, list) and len(entry["GroupList"]) < len(groups):
                self._gap(lid, "Groups", "some groups are not known before deploy: their membership is not read")
        self.entities[lid] = _Entity(kind, lid, ref.ref, entry)

    def _managed_arns(self, lid: str, arns: Any, entry: dict[str, Any]) -> None:
        for i, arn in enumerate(arns if isinstance(arns, list) else []):
            if isinstance(arn, str) and parse_arn(arn):
                entry["AttachedManagedPolicies"].append({"PolicyArn": arn})
            else:
                self._gap(lid, f"ManagedPolicyArns[{i}]", "managed policy ARN is not known before deploy: "
                          "attachment not read")
        if arns is not None and not isinstance(arns, list):
            self._gap(lid, "ManagedPolicyArns", "managed policy ARNs are not known before deploy: not read")

    def _managed(self, lid: str, resource: dict[str, Any]) -> None:
        props = self._resolved(lid, resource)
        ref = self.scope.resources[lid]
        self.policies[lid] = {"Arn": ref.ref, "PolicyName": ref.ref.rsplit("/", 1)[-1],
                              "PolicyVersionList": [{"Document": props.get("PolicyDocument"),
                                                     "IsDefaultVersion": True}]}

    def _attach_managed(self, lid: str, resource: dict[str, Any]) -> None:
        props = self._resolved(lid, resource, quiet=True)
        arn = self.scope.resources[lid].ref
        for _kind, entities in self._targets(lid, props, resource, {"attached": arn}):
            for entity in entities:
                entity.entry["AttachedManagedPolicies"].append({"PolicyArn": arn})

    def _policy(self, lid: str, resource: dict[str, Any]) -> None:
        props = self._resolved(lid, resource)
        name = _text(props.get("PolicyName"), lid)
        for kind, entities in self._targets(lid, props, resource, {"inline": (name, props.get("PolicyDocument"))}):
            for entity in entities:
                entity.entry[_DETAIL[kind]].append({"PolicyName": name, "PolicyDocument": props.get("PolicyDocument")})

    def _standalone(self, lid: str, resource: dict[str, Any]) -> None:
        kind, key = _STANDALONE_POLICIES[resource["Type"]]
        props = self._resolved(lid, resource)
        name = _text(props.get("PolicyName"), lid)
        change = {"inline": (name, props.get("PolicyDocument"))}
        for entity in self._find(lid, kind, key, [props.get(key)], resource, change):
            entity.entry[_DETAIL[kind]].append({"PolicyName": name, "PolicyDocument": props.get("PolicyDocument")})

    def _group_addition(self, lid: str, resource: dict[str, Any]) -> None:
        props = self._resolved(lid, resource)
        group = props.get("GroupName")
        raw_users = props.get("Users")
        users = raw_users if isinstance(raw_users, list) else []
        if not isinstance(group, str):
            self._gap(lid, "GroupName", "group is not known before deploy: membership not read")
            return
        for user in self._find(lid, "user", "Users", users):
            user.entry.setdefault("GroupList", []).append(group)

    def _targets(self, lid: str, props: dict[str, Any], resource: dict[str, Any],
                 change: dict[str, Any]) -> list[tuple[str, list[_Entity]]]:
        out = []
        for kind, key in (("role", "Roles"), ("user", "Users"), ("group", "Groups")):
            names = props.get(key)
            if isinstance(names, list):
                out.append((kind, self._find(lid, kind, key, names, resource, change)))
            elif names is not None:
                self._gap(lid, key, f"{key} is not known before deploy: not read")
        return out

    def _find(self, lid: str, kind: str, key: str, names: list[Any], resource: dict[str, Any] | None = None,
              change: dict[str, Any] | None = None) -> list[_Entity]:
        """The template's principals `names` name. One the template does not hold gets `change` (an inline policy or
        an attachment) where an export beside the template holds it (`SnapshotBuilder.amend`), else a warning."""
        found = []
        by_name = {e.name: e for e in self.entities.values() if e.kind == kind}
        for name in names:
            if not isinstance(name, str):
                self._gap(lid, key, f"a {kind} it applies to is not known before deploy: not read for it")
            elif name in by_name:
                found.append(by_name[name])
            else:
                # An existing role, user or group of the account, outside the template.
                by_arn = name.rsplit("/", 1)[-1] if parse_arn(name) else name
                if by_arn in by_name:
                    found.append(by_name[by_arn])
                elif change is not None and resource is not None:
                    self.builder.amend(kind, by_arn, self.options.account_id, self.source, self._at(lid, key),
                                       str(resource.get("Type")), absent="is not in the template", **change)
                else:
                    self.builder.report.warning(self.source, self._at(lid, key), f"{kind} {name!r} is not in the "
                                                "template: not read for it (read the account's export beside it)")
        return found

    # -- helpers --------------------------------------------------------------------------------------------
    def _properties(self, resource: dict[str, Any]) -> dict[str, Any]:
        props = resource.get("Properties")
        return props if isinstance(props, dict) else {}

    def _resolved(self, lid: str, resource: dict[str, Any], quiet: bool = False) -> dict[str, Any]:
        assert self.resolver is not None
        resolver = Resolver(self.scope, lambda *_: None) if quiet else self.resolver
        value = resolver.resolve(self._properties(resource), f"$.Resources.{lid}.Properties")
        return value if isinstance(value, dict) else {}

    def _symbolic(self, where: str, intrinsic: str, why: str) -> None:
        if (where, intrinsic) in self.said:
            return  # a property read twice (names first, then the resource) is reported once
        self.said.add((where, intrinsic))
        lid = where.split(".")[2] if where.startswith("$.Resources.") else ""
        self.builder.report.warning(self.source, where, f"{lid + ': ' if lid else ''}{intrinsic} kept symbolic, not "
                                    f"evaluated ({why})")

    def _gap(self, lid: str, key: str, message: str) -> None:
        self.builder.report.warning(self.source, self._at(lid, key), f"{lid}: {message}")
        self.builder.snapshot.gaps.append(f"{lid}.{key}: {message} ({self.source})")

    def _error(self, lid: str, exc: Exception) -> None:
        self.builder.report.error(self.source, self._at(lid), f"{lid} not read ({type(exc).__name__}: {exc})",
                                  skipped="resources")

    def _at(self, lid: str, key: str = "") -> str:
        return f"$.Resources.{lid}" + (f".Properties.{key}" if key else "")

    def _label(self, lid: str, resource: dict[str, Any]) -> str:
        """The resource as a person finds it: its logical id, and its CDK construct path when synthesized by CDK."""
        metadata = resource.get("Metadata")
        path = metadata.get("aws:cdk:path") if isinstance(metadata, dict) else None
        return f"{lid} ({path})" if isinstance(path, str) else lid


def _text(value: Any, default: str) -> str:
    return value if isinstance(value, str) and value else default
