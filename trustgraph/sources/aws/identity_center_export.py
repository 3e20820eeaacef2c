"""IAM Identity Center → identity-center.json (schema trustgraph/identity-center/v1, docs/identity-center-schema.md).

Read-only, with the caller's credentials (the management account or Identity Center's delegated administrator),
in the region of the instance (`sso-admin` and `identitystore` are regional). Every list call goes through a boto3
paginator. A call that fails (AccessDenied, throttling past the retries) is recorded with its reason and the rest
is read: the document then says `complete: false` and names what is missing, so that nobody reads "no
assignment" into data that could not be read. No instance at all is recorded as such: complete, and empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from trustgraph.sources.aws.failures import Failure, action_of, describe_failure
from trustgraph.sources.aws.iam_export import Interrupted
from trustgraph.sources.aws.pages import bounded_pages
from trustgraph.version import SCHEMAS

SCHEMA = SCHEMAS["identity-center"]
IDENTITY_CENTER_NAME = "identity-center.json"
# The service principal Identity Center's delegated administrator is registered for.
SSO_SERVICE_PRINCIPAL = "sso.amazonaws.com"
SECTIONS = ("instances", "users", "groups", "group_memberships", "permission_sets", "account_assignments")


@dataclass
class IdentityCenterExport:
    region: str
    instances: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    group_memberships: list[dict[str, Any]] = field(default_factory=list)
    permission_sets: list[dict[str, Any]] = field(default_factory=list)
    account_assignments: list[dict[str, Any]] = field(default_factory=list)
    delegated_admin_account_id: str | None = None
    failures: list[Failure] = field(default_factory=list)
    listed: bool = False  # ListInstances answered: what instances there are is known

    @property
    def complete(self) -> bool:
        return not self.failures

    @property
    def missing(self) -> list[str]:
        return list(dict.fromkeys(failure.reason for failure in self.failures))

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in SECTIONS}

    def to_json(self, collected_at: str | None = None) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "collected_at": collected_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "region": self.region,
            "instances": self.instances,
            "delegated_admin_account_id": self.delegated_admin_account_id,
            "users": self.users,
            "groups": self.groups,
            "group_memberships": self.group_memberships,
            "permission_sets": self.permission_sets,
            "account_assignments": self.account_assignments,
            "complete": self.complete,
            "missing": self.missing,
        }


def _paginate(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    for page in bounded_pages(client, operation, **params):
        yield from page.get(key) or []


def _paginated(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    return list(_paginate(client, operation, key, **params))


def _external_ids(entry: dict[str, Any]) -> list[dict[str, str]]:
    return [{"issuer": str(x.get("Issuer", "")), "id": str(x.get("Id", ""))}
            for x in entry.get("ExternalIds") or [] if isinstance(x, dict)]


class _Reader:
    def __init__(self, sso_admin: Any, identitystore: Any, organizations: Any | None, region: str,
                 should_stop: Callable[[], bool]) -> None:
        self.sso = sso_admin
        self.store = identitystore
        self.organizations = organizations
        self.should_stop = should_stop
        self.export = IdentityCenterExport(region)

    def call(self, service: str, default_action: str, target: str | None, read: Callable[[], Any]) -> Any:
        """`read()`, or None when it failed (the failure is recorded; Ctrl-C still stops the run)."""
        if self.should_stop():
            raise Interrupted()
        try:
            return read()
        except Interrupted:
            raise
        except Exception as exc:  # noqa: BLE001 - one unreadable part makes the data partial, never absent
            self.export.failures.append(describe_failure(exc, action_of(exc, service, default_action), target))
            return None

    def run(self) -> IdentityCenterExport:
        instances = self.call("sso", "sso:ListInstances", None,
                              lambda: list(_paginate(self.sso, "list_instances", "Instances")))
        self.export.listed = instances is not None
        if self.organizations is not None:
            self.delegated_admin()
        for instance in instances or []:
            arn, store = instance["InstanceArn"], instance["IdentityStoreId"]
            self.export.instances.append({"instance_arn": arn, "identity_store_id": store,
                                          "owner_account_id": instance.get("OwnerAccountId"),
                                          "region": self.export.region})
            self.identity_store(store)
            self.permission_sets(arn)
        return self.export

    def delegated_admin(self) -> None:
        admins = self.call("organizations", "organizations:ListDelegatedAdministrators", None, lambda: list(
            _paginate(self.organizations, "list_delegated_administrators", "DelegatedAdministrators",
                      ServicePrincipal=SSO_SERVICE_PRINCIPAL)))
        if admins:
            self.export.delegated_admin_account_id = admins[0].get("Id")

    def identity_store(self, store: str) -> None:
        users = self.call("identitystore", "identitystore:ListUsers", store,
                          lambda: list(_paginate(self.store, "list_users", "Users", IdentityStoreId=store)))
        for user in users or []:
            self.export.users.append({
                "identity_store_id": store, "user_id": user["UserId"], "user_name": user.get("UserName", ""),
                "display_name": user.get("DisplayName") or "",
                "emails": [e["Value"] for e in user.get("Emails") or [] if isinstance(e, dict) and e.get("Value")],
                "external_ids": _external_ids(user)})
        groups = self.call("identitystore", "identitystore:ListGroups", store,
                           lambda: list(_paginate(self.store, "list_groups", "Groups", IdentityStoreId=store)))
        for group in groups or []:
            group_id = group["GroupId"]
            self.export.groups.append({"identity_store_id": store, "group_id": group_id,
                                       "display_name": group.get("DisplayName") or "",
                                       "external_ids": _external_ids(group)})
            members = self.call("identitystore", "identitystore:ListGroupMemberships", group_id,
                                partial(_paginated, self.store, "list_group_memberships", "GroupMemberships",
                                        IdentityStoreId=store, GroupId=group_id))
            for member in members or []:
                user_id = (member.get("MemberId") or {}).get("UserId")
                if user_id:
                    self.export.group_memberships.append({"identity_store_id": store, "group_id": group_id,
                                                          "user_id": user_id})

    def permission_sets(self, instance: str) -> None:
        arns = self.call("sso", "sso:ListPermissionSets", instance, lambda: list(
            _paginate(self.sso, "list_permission_sets", "PermissionSets", InstanceArn=instance)))
        for arn in arns or []:
            self.permission_set(instance, arn)
            self.assignments(instance, arn)

    def permission_set(self, instance: str, arn: str) -> None:
        ids = {"InstanceArn": instance, "PermissionSetArn": arn}
        described = self.call("sso", "sso:DescribePermissionSet", arn,
                              lambda: self.sso.describe_permission_set(**ids)["PermissionSet"])
        if described is None:
            return  # without its name the permission set cannot be told apart; the failure says it is missing
        managed = self.call("sso", "sso:ListManagedPoliciesInPermissionSet", arn, lambda: list(_paginate(
            self.sso, "list_managed_policies_in_permission_set", "AttachedManagedPolicies", **ids)))
        customer = self.call("sso", "sso:ListCustomerManagedPolicyReferencesInPermissionSet", arn, lambda: list(
            _paginate(self.sso, "list_customer_managed_policy_references_in_permission_set",
                      "CustomerManagedPolicyReferences", **ids)))
        inline = self.call("sso", "sso:GetInlinePolicyForPermissionSet", arn,
                           lambda: self.sso.get_inline_policy_for_permission_set(**ids).get("InlinePolicy") or "")
        boundary = self.call("sso", "sso:GetPermissionsBoundaryForPermissionSet", arn, lambda: self._boundary(ids))
        entry: dict[str, Any] = {
            "instance_arn": instance, "permission_set_arn": arn, "name": described.get("Name", ""),
            "session_duration": described.get("SessionDuration"),
            "managed_policies": [p["Arn"] for p in managed or [] if p.get("Arn")],
            "customer_managed_policies": [{"name": p.get("Name", ""), "path": p.get("Path") or "/"}
                                          for p in customer or []],
            # AWS returns the inline policy as JSON text ("" for none); it is kept as returned.
            "inline_policy": inline or None,
            "permissions_boundary": boundary or None,
        }
        if inline is None:
            entry["inline_policy_unreadable"] = True
        self.export.permission_sets.append(entry)

    def _boundary(self, ids: dict[str, str]) -> dict[str, Any]:
        try:
            return self.sso.get_permissions_boundary_for_permission_set(**ids).get("PermissionsBoundary") or {}
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return {}  # how AWS answers for a permission set without a boundary
            raise

    def assignments(self, instance: str, arn: str) -> None:
        accounts = self.call("sso", "sso:ListAccountsForProvisionedPermissionSet", arn, lambda: list(_paginate(
            self.sso, "list_accounts_for_provisioned_permission_set", "AccountIds", InstanceArn=instance,
            PermissionSetArn=arn)))
        for account in accounts or []:
            found = self.call("sso", "sso:ListAccountAssignments", f"{arn} in {account}",
                              partial(_paginated, self.sso, "list_account_assignments", "AccountAssignments",
                                      InstanceArn=instance, AccountId=account, PermissionSetArn=arn))
            for assignment in found or []:
                self.export.account_assignments.append({
                    "instance_arn": instance, "account_id": assignment.get("AccountId", account),
                    "permission_set_arn": assignment.get("PermissionSetArn", arn),
                    "principal_type": assignment.get("PrincipalType"), "principal_id": assignment.get("PrincipalId")})


def export_identity_center(sso_admin: Any, identitystore: Any, organizations: Any | None, region: str,
                           should_stop: Callable[[], bool] = lambda: False) -> IdentityCenterExport:
    """Everything Identity Center says about who holds which permission set where. Failing calls are recorded in
    `failures` (the export is then not complete); only Ctrl-C (`Interrupted`) raises."""
    return _Reader(sso_admin, identitystore, organizations, region, should_stop).run()
