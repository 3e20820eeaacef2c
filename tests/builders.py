"""In-memory fixtures for the per-rule semantics tests: authorization-details dicts, organization dicts,
and a graph built from them through the same reader the CLI uses (`read_value` + `SnapshotBuilder`).

    a = Account(A)
    alice = a.user("alice")
    role = a.role("Target", trust(principal=alice))
    g = build(a)
    assert edge(g, alice, role)["conditional"] is False
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from trustgraph.graph.build import build_graph
from trustgraph.load_report import LoadReport
from trustgraph.model import ComputeResource, Snapshot
from trustgraph.sources.files import read_value
from trustgraph.sources.snapshot_builder import SnapshotBuilder

A = "111111111111"
B = "222222222222"
C = "333333333333"
MGMT = "999999999999"
V12 = "2012-10-17"
V08 = "2008-10-17"

# -- policy documents ---------------------------------------------------------------------------------


def stmt(effect: str = "Allow", action: Any = "sts:AssumeRole", resource: Any = "*", *,
         principal: Any = None, condition: dict[str, Any] | None = None, not_action: Any = None,
         not_resource: Any = None, sid: str | None = None, **raw: Any) -> dict[str, Any]:
    """One statement. `principal` may be an ARN/account string ({"AWS": …}), a dict, or "*" (bare)."""
    s: dict[str, Any] = {"Effect": effect}
    if sid:
        s["Sid"] = sid
    if principal is not None:
        s["Principal"] = principal if isinstance(principal, dict) or principal == "*" else {"AWS": principal}
    if not_action is not None:
        s["NotAction"] = not_action
    elif action is not None:
        s["Action"] = action
    if not_resource is not None:
        s["NotResource"] = not_resource
    elif resource is not None:
        s["Resource"] = resource
    if condition:
        s["Condition"] = condition
    s.update(raw)
    return s


def allow(action: Any = "sts:AssumeRole", resource: Any = "*", **kw: Any) -> dict[str, Any]:
    return stmt("Allow", action, resource, **kw)


def deny(action: Any = "sts:AssumeRole", resource: Any = "*", **kw: Any) -> dict[str, Any]:
    return stmt("Deny", action, resource, **kw)


def doc(*statements: dict[str, Any], version: str | None = V12) -> dict[str, Any]:
    d: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        d = {"Version": version, **d}
    return d


def trust_stmt(principal: Any, action: Any = "sts:AssumeRole", *, effect: str = "Allow",
               condition: dict[str, Any] | None = None, **raw: Any) -> dict[str, Any]:
    """A trust-policy statement (no Resource)."""
    return stmt(effect, action, None, principal=principal, condition=condition, **raw)


def trust(principal: Any = None, action: Any = "sts:AssumeRole", *, condition: dict[str, Any] | None = None,
          extra: tuple[dict[str, Any], ...] = (), version: str | None = V12) -> dict[str, Any]:
    """A trust policy with one Allow for `principal` (plus `extra` statements)."""
    statements = [] if principal is None else [trust_stmt(principal, action, condition=condition)]
    return doc(*statements, *extra, version=version)


def identity(*statements: dict[str, Any], version: str | None = V12) -> dict[str, Any]:
    return doc(*statements, version=version)


def can_assume(resource: Any = "*", **kw: Any) -> dict[str, Any]:
    """An identity policy allowing sts:AssumeRole on `resource`."""
    return identity(allow("sts:AssumeRole", resource, **kw))


# -- accounts ------------------------------------------------------------------------------------------


def _uid(prefix: str, arn: str) -> str:
    return prefix + hashlib.sha1(arn.encode()).hexdigest().upper()[:17].replace("0", "Q")


def _inline(policies: Any, prefix: str) -> list[dict[str, Any]]:
    if isinstance(policies, dict) and "Statement" in policies:
        policies = [policies]
    if isinstance(policies, dict):
        return [{"PolicyName": n, "PolicyDocument": d} for n, d in policies.items()]
    return [{"PolicyName": f"{prefix}{i}", "PolicyDocument": d} for i, d in enumerate(policies)]


def _attached(arns: Any) -> list[dict[str, str]]:
    return [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in arns]


class Account:
    """One account's `get-account-authorization-details` output, built entity by entity."""

    def __init__(self, account_id: str = A, partition: str = "aws") -> None:
        self.id = account_id
        self.partition = partition
        self.users: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = []
        self.policies: list[dict[str, Any]] = []

    def arn(self, kind: str, name: str, path: str = "/") -> str:
        return f"arn:{self.partition}:iam::{self.id}:{kind}{path}{name}"

    @property
    def root(self) -> str:
        return f"arn:{self.partition}:iam::{self.id}:root"

    def user(self, name: str, *, path: str = "/", policies: Any = (), managed: Any = (), groups: Any = (),
             boundary: str | None = None, tags: dict[str, str] | None = None, user_id: str | None = None) -> str:
        arn = self.arn("user", name, path)
        entry: dict[str, Any] = {
            "Path": path, "UserName": name, "UserId": user_id or _uid("AIDA", arn), "Arn": arn,
            "UserPolicyList": _inline(policies, f"{name}-inline-"), "GroupList": list(groups),
            "AttachedManagedPolicies": _attached(managed),
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        }
        if boundary:
            entry["PermissionsBoundary"] = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                            "PermissionsBoundaryArn": boundary}
        self.users.append(entry)
        return arn

    def group(self, name: str, *, policies: Any = (), managed: Any = (), path: str = "/") -> str:
        arn = self.arn("group", name, path)
        self.groups.append({"Path": path, "GroupName": name, "GroupId": _uid("AGPA", arn), "Arn": arn,
                            "GroupPolicyList": _inline(policies, f"{name}-inline-"),
                            "AttachedManagedPolicies": _attached(managed)})
        return arn

    def role(self, name: str, trust_policy: Any = None, *, path: str = "/", policies: Any = (),
             managed: Any = (), boundary: str | None = None, tags: dict[str, str] | None = None,
             role_id: str | None = None) -> str:
        arn = self.arn("role", name, path)
        entry: dict[str, Any] = {
            "Path": path, "RoleName": name, "RoleId": role_id or _uid("AROA", arn), "Arn": arn,
            "AssumeRolePolicyDocument": trust_policy if trust_policy is not None else trust(),
            "RolePolicyList": _inline(policies, f"{name}-inline-"),
            "AttachedManagedPolicies": _attached(managed),
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        }
        if boundary:
            entry["PermissionsBoundary"] = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                            "PermissionsBoundaryArn": boundary}
        self.roles.append(entry)
        return arn

    def policy(self, name: str, document: Any = None, *, versions: list[tuple[Any, bool]] | None = None,
               path: str = "/", aws_managed: bool = False) -> str:
        """A managed policy; `versions` = [(document, is_default), …] overrides `document`."""
        arn = f"arn:{self.partition}:iam::aws:policy{path}{name}" if aws_managed else self.arn("policy", name, path)
        versions = versions if versions is not None else [(document, True)]
        self.policies.append({
            "PolicyName": name, "PolicyId": _uid("ANPA", arn), "Arn": arn, "Path": path,
            "DefaultVersionId": next((f"v{i + 1}" for i, (_, d) in enumerate(versions) if d), "v1"),
            "PolicyVersionList": [{"Document": d, "VersionId": f"v{i + 1}", "IsDefaultVersion": default}
                                  for i, (d, default) in enumerate(versions)],
        })
        return arn

    def gaad(self, **extra: Any) -> dict[str, Any]:
        return {"UserDetailList": self.users, "GroupDetailList": self.groups, "RoleDetailList": self.roles,
                "Policies": self.policies, "IsTruncated": False, **extra}


# -- organization ---------------------------------------------------------------------------------------


class Org:
    """organization.json (schema trustgraph/organization/v1): root r-root, OUs, accounts, SCPs and RCPs."""

    def __init__(self, org_id: str = "o-test", management: str = MGMT, root: str = "r-root") -> None:
        self.id = org_id
        self.management = management
        self.root = root
        self.units: list[dict[str, Any]] = []
        self.accounts: list[dict[str, Any]] = [{"id": management, "name": "management", "parent_id": root}]
        self.policies: list[dict[str, Any]] = []

    def ou(self, ou_id: str, parent: str | None = None) -> str:
        self.units.append({"id": ou_id, "name": ou_id, "parent_id": parent or self.root})
        return ou_id

    def account(self, account_id: str, parent: str | None = None, name: str = "") -> str:
        self.accounts.append({"id": account_id, "name": name or f"acct-{account_id}",
                              "parent_id": parent or self.root})
        return account_id

    def _policy(self, kind: str, name: str, document: Any, targets: list[str]) -> None:
        self.policies.append({"id": f"p-{len(self.policies)}", "name": name, "type": kind,
                              "content": document, "targets": targets})

    def scp(self, name: str, document: Any, *targets: str) -> None:
        self._policy("SERVICE_CONTROL_POLICY", name, document, list(targets))

    def rcp(self, name: str, document: Any, *targets: str) -> None:
        self._policy("RESOURCE_CONTROL_POLICY", name, document, list(targets))

    def full_access_everywhere(self) -> None:
        """FullAWSAccess on the root, every OU and every account, as AWS attaches it by default."""
        targets = [self.root, *(u["id"] for u in self.units), *(a["id"] for a in self.accounts)]
        self.scp("FullAWSAccess", doc(allow("*", "*")), *targets)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "trustgraph/organization/v1",
                "organization": {"id": self.id, "management_account_id": self.management},
                "roots": [{"id": self.root, "name": "Root"}], "organizational_units": self.units,
                "accounts": self.accounts, "policies": self.policies}


FULL_ACCESS = doc(allow("*", "*"))

# -- loading and building -------------------------------------------------------------------------------


def _value(piece: Any) -> Any:
    if isinstance(piece, Account):
        return piece.gaad()
    if isinstance(piece, Org):
        return piece.to_dict()
    return piece


def load(*pieces: Any, role_arn: str | None = None) -> tuple[Snapshot, LoadReport]:
    """Read Accounts, Orgs and raw JSON values (dicts, lists of pages) as if each were one input file."""
    report = LoadReport()
    builder = SnapshotBuilder(report)
    for i, piece in enumerate(pieces):
        source = f"input-{i}.json"
        # Round-trip through JSON text so that nothing Python-only reaches the reader.
        value = json.loads(json.dumps(_value(piece)))
        read_value(value, builder, source, role_arn, Path(source))
        report.files_read.append(source)
    return builder.finish(), report


def build(*pieces: Any, role_arn: str | None = None, data_time: datetime | None = None,
          resources: list[ComputeResource] | None = None, inventory: set[str] | None = None) -> nx.DiGraph:
    """The graph of the pieces; time conditions are decided as of `data_time` (default: the build). `resources`
    run as roles; `inventory` names the accounts whose resource listing is complete."""
    snapshot, _ = load(*pieces, role_arn=role_arn)
    if resources is not None:
        snapshot.resources = list(resources)
    if inventory is not None:
        snapshot.inventory_accounts = set(inventory)
    return build_graph(snapshot, data_time=data_time)


def lambda_function(name: str, role: str, account: str = A) -> ComputeResource:
    """A Lambda function in us-east-1 running as `role`."""
    return ComputeResource(f"arn:aws:lambda:us-east-1:{account}:function:{name}", "lambda-function", account,
                           "us-east-1", role, name)


def load_files(tmp_path: Path, *pieces: Any) -> tuple[Snapshot, LoadReport]:
    """Write each piece to its own file under tmp_path and read them with load_inputs."""
    from trustgraph.sources.files import load_inputs

    tmp_path.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, piece in enumerate(pieces):
        path = tmp_path / f"input-{i}.json"
        value = _value(piece)
        path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
        paths.append(path)
    return load_inputs(paths)


# -- assertions -----------------------------------------------------------------------------------------


def _via_hub(g: nx.DiGraph, src: str, dst: str) -> dict[str, Any] | None:
    """src -member-> account hub -> dst: the graph's shorthand for "src may use every trust that
    delegates to its account" (callers whose own policies allow sts:AssumeRole on every role)."""
    for hub in g.successors(src) if src in g else ():
        member = g.edges[src, hub]
        if member.get("kind") == "member" and g.has_edge(hub, dst):
            data = dict(g.edges[hub, dst])
            data["conditional"] = bool(data["conditional"] or member["conditional"])
            data["conditions"] = sorted(set(data["conditions"]) | set(member["conditions"]))
            data["via_hub"] = hub
            return data
    return None


def edge(g: nx.DiGraph, src: str, dst: str) -> dict[str, Any]:
    """The attributes of "src can obtain credentials for dst" in one step: the direct edge, or the
    account hub's edge when src reaches dst as a member of its account; fails naming dst's callers."""
    if g.has_edge(src, dst):
        return g.edges[src, dst]
    via = _via_hub(g, src, dst)
    if via is None:
        raise AssertionError(f"expected edge {src} -> {dst}; {dst} has callers {sorted(callers(g, dst))}")
    return via


def no_edge(g: nx.DiGraph, src: str, dst: str) -> None:
    if g.has_edge(src, dst):
        raise AssertionError(f"unexpected edge {src} -> {dst}: {g.edges[src, dst]['evidence']}")
    via = _via_hub(g, src, dst)
    if via is not None:
        raise AssertionError(f"unexpected edge {src} -> {dst} through hub {via['via_hub']}: {via['evidence']}")


def callers(g: nx.DiGraph, dst: str) -> set[str]:
    """Who obtains credentials for dst in one step; an account hub stands for its members."""
    if dst not in g:
        return set()
    found: set[str] = set()
    for pred in g.predecessors(dst):
        members = [m for m in g.predecessors(pred) if g.edges[m, pred].get("kind") == "member"]
        if g.nodes[pred].get("hub"):
            found.update(members)
        else:
            found.add(pred)
    return found


def unconditional(g: nx.DiGraph, src: str, dst: str) -> dict[str, Any]:
    data = edge(g, src, dst)
    assert data["conditional"] is False, data
    assert data["conditions"] == [], data
    return data


def conditional_on(g: nx.DiGraph, src: str, dst: str, *keys: str) -> dict[str, Any]:
    data = edge(g, src, dst)
    assert data["conditional"] is True, data
    assert data["conditions"] == sorted(keys), data
    return data


def problems(g: nx.DiGraph, role: str | None = None) -> list[str]:
    return [p["message"] for p in g.graph["trust_problems"] if role is None or p["role"] == role]


def benchmark_generator() -> Any:
    """benchmarks/generate_org.py as a module (its `generate`, `TrustMix` …); the test is skipped where the
    benchmarks are not present."""
    return _benchmark("generate_org")


def benchmark_equivalence() -> Any:
    """benchmarks/equivalence.py as a module (`graph_answers`: every who-can-reach answer of a graph)."""
    return _benchmark("equivalence")


def _benchmark(name: str) -> Any:
    script = Path(__file__).resolve().parent.parent / "benchmarks" / f"{name}.py"
    if not script.exists():
        pytest.skip(f"benchmarks/{name}.py not present")
    sys.path.insert(0, str(script.parent))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(script.parent))
