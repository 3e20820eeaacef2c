"""The resources of a Terraform plan (`terraform show -json`, format 0.1–1.2) as one side of the change sees them.

- "after": what applying the plan leaves. Data sources read at plan time (`prior_state`), then
  `planned_values` (root and child modules, recursively), then each `resource_changes` entry's `change.after`
  with its `after_unknown` (values known only after apply). A resource whose change deletes it is not there.
- "before": what exists now. `prior_state` (root and child modules), then each `resource_changes` entry's
  `change.before` for resources the prior state does not hold. A resource being created is not there.

The configuration (`configuration.root_module`, module calls nested) is kept per resource so that a value
unknown at plan time can be traced to another resource of the plan it references.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

SUPPORTED_FORMATS = re.compile(r"^(0\.[1-9]|1\.[0-2])$")
_INDEX = re.compile(r"\[[^\]]*\]$")
_TOKEN = re.compile(r'[^.\[]+(?:\[[^\]]*\])?')


@dataclass(slots=True)
class PlanResource:
    address: str  # as the plan writes it, e.g. module.app.aws_iam_role.ci["prod"]
    type: str
    mode: str  # managed | data
    values: dict[str, Any]
    # The after_unknown tree: True where a value is known only after apply (mirrors `values`).
    unknown: Any = field(default_factory=dict)
    where: str = "$"  # JSON location in the plan
    config: dict[str, Any] = field(default_factory=dict)  # the resource's configuration `expressions`
    actions: tuple[str, ...] = ()  # the planned change (create, update, delete, no-op…); () when none is listed

    @property
    def replaced(self) -> bool:
        return "delete" in self.actions and "create" in self.actions

    @property
    def rewritten(self) -> bool:
        """Does applying the plan write this resource (so its policies are saved again)?"""
        return "create" in self.actions or "update" in self.actions

    @property
    def module(self) -> str:
        """The module address as the configuration names it, instance keys dropped ("" for the root module)."""
        tokens = _TOKEN.findall(self.address)
        head = tokens[:-3] if self.mode == "data" else tokens[:-2]
        return ".".join(_INDEX.sub("", t) for t in head)

    @property
    def config_address(self) -> str:
        """The address without the module prefix and instance key: how the configuration names it."""
        tokens = _TOKEN.findall(self.address)
        return _INDEX.sub("", ".".join(tokens[-3:] if self.mode == "data" else tokens[-2:]))

    @property
    def instance_key(self) -> str | None:
        match = _INDEX.search(self.address)
        return match.group(0) if match else None

    def is_unknown(self, *path: str | int) -> bool:
        node = self.unknown
        for step in path:
            if node is True:
                return True
            if isinstance(node, dict) and isinstance(step, str):
                node = node.get(step)
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                node = node[step]
            else:
                return False
        return node is True

    def references(self, attribute: str) -> list[str]:
        """The configuration references of one argument (e.g. ["aws_iam_role.ci.name", "aws_iam_role.ci"])."""
        expression = self.config.get(attribute)
        if isinstance(expression, dict) and isinstance(expression.get("references"), list):
            return [r for r in expression["references"] if isinstance(r, str)]
        return []

    def constant(self, attribute: str) -> Any:
        expression = self.config.get(attribute)
        return expression.get("constant_value") if isinstance(expression, dict) else None


class PlanShapeError(ValueError):
    pass


def plan_resources(plan: dict[str, Any], side: str) -> list[PlanResource]:
    """Every resource of the plan on `side` ("after" or "before"), in plan order, one per address."""
    configs = _configurations(plan.get("configuration"))
    found: dict[str, PlanResource] = {}
    prior = _module_resources(plan.get("prior_state", {}).get("values", {}).get("root_module")
                              if isinstance(plan.get("prior_state"), dict) else None, "$.prior_state.values")
    if side == "before":
        for res in prior:
            found[res.address] = res
    else:
        for res in prior:
            if res.mode == "data":  # read while planning: still there after apply
                found[res.address] = res
        planned = plan.get("planned_values")
        for res in _module_resources(planned.get("root_module") if isinstance(planned, dict) else None,
                                     "$.planned_values"):
            found[res.address] = res
    changes = plan.get("resource_changes") or []
    if not isinstance(changes, list):
        raise PlanShapeError("$.resource_changes is not a list")
    for i, change in enumerate(changes):
        if not isinstance(change, dict) or not isinstance(change.get("change"), dict):
            continue
        address = change.get("address")
        if not isinstance(address, str):
            continue
        body = change["change"]
        actions = body.get("actions") if isinstance(body.get("actions"), list) else []
        where = f"$.resource_changes[{i}]"
        if side == "after":
            if actions == ["delete"] or body.get("after") is None:
                found.pop(address, None)
                continue
            found[address] = PlanResource(address, str(change.get("type", "")), str(change.get("mode", "managed")),
                                          body["after"] if isinstance(body["after"], dict) else {},
                                          body.get("after_unknown") or {}, where,
                                          actions=tuple(str(a) for a in actions))
        elif address not in found and isinstance(body.get("before"), dict):
            found[address] = PlanResource(address, str(change.get("type", "")), str(change.get("mode", "managed")),
                                          body["before"], {}, where)
    for res in found.values():
        res.config = configs.get((res.module, res.config_address), {})
    return list(found.values())


def deleted_resources(plan: dict[str, Any]) -> list[PlanResource]:
    """The managed resources applying the plan destroys, as they are before it: action `delete` alone, or a
    replacement (`delete` and `create`, which creates it again; `actions` tells which). `forget` leaves the
    resource in AWS: not listed. Their `mode` is "removed"."""
    out: list[PlanResource] = []
    changes = plan.get("resource_changes")
    for i, change in enumerate(changes if isinstance(changes, list) else []):
        body = change.get("change") if isinstance(change, dict) else None
        if not isinstance(body, dict) or not isinstance(body.get("before"), dict) \
                or not isinstance(body.get("actions"), list) or "delete" not in body["actions"]:
            continue
        if isinstance(change.get("address"), str) and change.get("mode", "managed") == "managed":
            out.append(PlanResource(change["address"], str(change.get("type", "")), "removed", body["before"], {},
                                    f"$.resource_changes[{i}]", actions=tuple(str(a) for a in body["actions"])))
    return out


def _module_resources(module: Any, where: str) -> list[PlanResource]:
    out: list[PlanResource] = []
    if not isinstance(module, dict):
        return out
    resources = module.get("resources")
    for i, res in enumerate(resources if isinstance(resources, list) else []):
        if isinstance(res, dict) and isinstance(res.get("address"), str):
            raw_values = res.get("values")
            values = raw_values if isinstance(raw_values, dict) else {}
            out.append(PlanResource(res["address"], str(res.get("type", "")), str(res.get("mode", "managed")),
                                    values, {}, f"{where}.resources[{i}]"))
    children = module.get("child_modules")
    for i, child in enumerate(children if isinstance(children, list) else []):
        out.extend(_module_resources(child, f"{where}.child_modules[{i}]"))
    return out


def _configurations(configuration: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """(module address, resource address in its module) → the resource's `expressions`."""
    out: dict[tuple[str, str], dict[str, Any]] = {}

    def walk(module: Any, prefix: str) -> None:
        if not isinstance(module, dict):
            return
        for res in module.get("resources") or []:
            if isinstance(res, dict) and isinstance(res.get("address"), str):
                expressions = res.get("expressions")
                out[(prefix, res["address"])] = expressions if isinstance(expressions, dict) else {}
        calls = module.get("module_calls")
        for name, call in (calls.items() if isinstance(calls, dict) else ()):
            if isinstance(call, dict):
                walk(call.get("module"), f"{prefix}.module.{name}" if prefix else f"module.{name}")

    if isinstance(configuration, dict):
        walk(configuration.get("root_module"), "")
    return out


def module_directories(configuration: Any) -> dict[str, str | None]:
    """Module address (`module.app.module.inner`, as `PlanResource.module`) → its directory relative to the root
    module's, POSIX ("" for the root); None when a module's source is not a local path. Terraform reads a source
    beginning `./` or `../` as a local directory relative to the calling module's, anything else (the registry,
    Git, a URL) as a package it downloads (https://developer.hashicorp.com/terraform/language/modules/sources)."""
    out: dict[str, str | None] = {"": ""}

    def walk(module: Any, prefix: str, directory: str | None) -> None:
        calls = module.get("module_calls") if isinstance(module, dict) else None
        for name, call in (calls.items() if isinstance(calls, dict) else ()):
            if not isinstance(call, dict):
                continue
            source = call.get("source")
            local = isinstance(source, str) and source.startswith(("./", "../"))
            child = posixpath.normpath(posixpath.join(directory, source)) \
                if local and directory is not None and isinstance(source, str) else None
            address = f"{prefix}.module.{name}" if prefix else f"module.{name}"
            out[address] = child
            walk(call.get("module"), address, child)

    if isinstance(configuration, dict):
        walk(configuration.get("root_module"), "", "")
    return out
