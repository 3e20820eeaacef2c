"""AWS Organizations → organization.json (schema trustgraph/organization/v1, docs/organization-schema.md).

The structure (organization, roots, OUs, accounts) is read first because it decides which accounts
to collect; policies (SCPs and RCPs with content and targets) are read separately so that a caller
who may list accounts but not policies (some delegated administrators) still gets a snapshot.
All list calls go through boto3 paginators, which follow NextToken until it is absent, including
past empty pages, and stop with an error on a token seen before or past a page cap (pages.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

from trustgraph.sources.aws.failures import Failure, action_of, describe_failure
from trustgraph.sources.aws.pages import bounded_pages
from trustgraph.version import SCHEMAS

SCHEMA = SCHEMAS["organization"]
POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")


@dataclass(frozen=True)
class OrgAccount:
    id: str
    name: str
    email: str
    status: str
    parent_id: str | None
    ou_path: str | None

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "name": self.name, "email": self.email, "status": self.status}
        if self.parent_id is not None:
            data["parent_id"] = self.parent_id
        if self.ou_path is not None:
            data["ou_path"] = self.ou_path
        return data


@dataclass(frozen=True)
class OrganizationStructure:
    id: str
    arn: str
    management_account_id: str
    roots: list[dict[str, str]]
    organizational_units: list[dict[str, str]]
    accounts: list[OrgAccount]


@dataclass
class PolicyExport:
    policies: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def _paginate(client: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    for page in bounded_pages(client, operation, **params):
        yield from page.get(key) or []


def _account_status(summary: dict[str, Any]) -> str:
    # `Status` is being replaced by `State` (which adds PENDING_CLOSURE, CLOSED, …); read either.
    return str(summary.get("State") or summary.get("Status") or "UNKNOWN")


def _children(client: Any, parent: str) -> tuple[list[dict[str, Any]], list[str]]:
    ous = list(_paginate(client, "list_organizational_units_for_parent", "OrganizationalUnits",
                         ParentId=parent))
    accounts = [a["Id"] for a in _paginate(client, "list_accounts_for_parent", "Accounts", ParentId=parent)]
    return ous, accounts


def read_structure(client_for: Callable[[], Any], executor: Executor | None = None) -> OrganizationStructure:
    """Organization, roots, OU tree and accounts with their parent and OU path. Raises ClientError.

    `client_for` returns an Organizations client for the calling thread (clients come from
    per-thread sessions). With an executor, each level of the tree is read in parallel and
    ListAccounts runs beside the walk: a large organization has hundreds of OUs, and a serial walk
    would spend minutes in round trips.
    """
    client = client_for()
    org = client.describe_organization()["Organization"]
    org_id = org["Id"]
    roots = [{"id": r["Id"], "name": r.get("Name", "Root")} for r in _paginate(client, "list_roots", "Roots")]

    def list_accounts() -> list[dict[str, Any]]:
        return list(_paginate(client_for(), "list_accounts", "Accounts"))

    def children(parent: str) -> tuple[list[dict[str, Any]], list[str]]:
        return _children(client_for(), parent)

    all_accounts: Future[list[dict[str, Any]]] | None = executor.submit(list_accounts) if executor else None
    mapper = executor.map if executor else map

    # Level by level from the roots: two paginated calls per node give each OU's and each account's
    # parent, cheaper than one ListParents call per account when accounts outnumber OUs.
    paths: dict[str, str] = {root["id"]: f"{org_id}/{root['id']}/" for root in roots}
    ous: list[dict[str, str]] = []
    parent_of_account: dict[str, str] = {}
    level = [root["id"] for root in roots]
    while level:
        next_level: list[str] = []
        for parent, (child_ous, child_accounts) in zip(level, mapper(children, level), strict=True):
            for ou in child_ous:
                if ou["Id"] in paths:
                    continue  # an OU moved while we walked; keep the first place we saw it
                ous.append({"id": ou["Id"], "name": ou.get("Name", ""), "parent_id": parent})
                paths[ou["Id"]] = f"{paths[parent]}{ou['Id']}/"
                next_level.append(ou["Id"])
            for account_id in child_accounts:
                parent_of_account.setdefault(account_id, parent)
        level = next_level

    accounts: list[OrgAccount] = []
    for summary in all_accounts.result() if all_accounts else list_accounts():
        account_id = summary["Id"]
        parent_id = parent_of_account.get(account_id)
        if parent_id is None:
            # Joined or moved during the walk: ask for its parent directly.
            parents = client.list_parents(ChildId=account_id).get("Parents") or []
            parent_id = parents[0]["Id"] if parents else None
        accounts.append(OrgAccount(
            id=account_id,
            name=str(summary.get("Name", "")),
            email=str(summary.get("Email", "")),
            status=_account_status(summary),
            parent_id=parent_id,
            ou_path=paths.get(parent_id) if parent_id else None,
        ))
    return OrganizationStructure(
        id=org_id,
        arn=org.get("Arn", ""),
        management_account_id=org.get("MasterAccountId", ""),
        roots=roots,
        organizational_units=ous,
        accounts=accounts,
    )


def parse_policy_content(content: Any) -> Any:
    """DescribePolicy returns Content as a plain JSON string; store it parsed.

    Unparseable content is kept as the string (the schema allows a string) so nothing is lost.
    """
    if isinstance(content, str):
        try:
            return json.loads(content)
        except json.JSONDecodeError:
            return content
    return content


def read_policies(client: Any, policy_types: tuple[str, ...] = POLICY_TYPES) -> PolicyExport:
    """SCPs and RCPs with parsed content and target ids; per-type failures are collected, not raised."""
    export = PolicyExport()
    for policy_type in policy_types:
        try:
            summaries = list(_paginate(client, "list_policies", "Policies", Filter=policy_type))
        except Exception as exc:  # noqa: BLE001 - one policy type failing must not lose the other
            export.failures.append(describe_failure(exc, f"organizations:ListPolicies({policy_type})"))
            continue
        for summary in summaries:
            try:
                described = client.describe_policy(PolicyId=summary["Id"])["Policy"]
                targets = [t["TargetId"] for t in _paginate(client, "list_targets_for_policy", "Targets",
                                                            PolicyId=summary["Id"])]
            except Exception as exc:  # noqa: BLE001 - record the gap, keep the other policies
                action = action_of(exc, "organizations", "organizations:DescribePolicy")
                export.failures.append(describe_failure(exc, action, summary["Id"]))
                continue
            detail = described.get("PolicySummary") or summary
            export.policies.append({
                "id": summary["Id"],
                "name": detail.get("Name", summary.get("Name", "")),
                "type": detail.get("Type", policy_type),
                "aws_managed": bool(detail.get("AwsManaged", False)),
                "description": detail.get("Description") or "",
                "content": parse_policy_content(described.get("Content")),
                "targets": targets,
            })
    return export


def organization_document(structure: OrganizationStructure, policies: list[dict[str, Any]],
                          policies_complete: bool = True) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "organization": {
            "id": structure.id,
            "arn": structure.arn,
            "management_account_id": structure.management_account_id,
        },
        "roots": structure.roots,
        "organizational_units": structure.organizational_units,
        "accounts": [account.to_json() for account in structure.accounts],
        "policies": policies,
        "policies_complete": policies_complete,
    }
