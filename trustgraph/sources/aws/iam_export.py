"""get-account-authorization-details (GAAD): every page merged, in the AWS CLI's output shape.

A collected file and `aws iam get-account-authorization-details > x.json` must be interchangeable
inputs, so the result carries exactly the CLI's keys and `IsTruncated: false`; datetimes become
ISO-8601 strings when the file is written (see snapshot_writer.to_json_text).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trustgraph.sources.aws.pages import bounded_pages

RESULT_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
# 1000 is the API's maximum MaxItems; large accounts then need a few pages instead of dozens.
PAGE_SIZE = 1000


class Interrupted(Exception):
    """Raised between pages when the run is being cancelled (Ctrl-C)."""


@dataclass(frozen=True)
class EntityCounts:
    users: int
    roles: int
    groups: int
    policies: int


def export_authorization_details(
    iam_client: Any,
    on_page: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """All GAAD pages of one account merged into one document."""
    merged: dict[str, list[Any]] = {key: [] for key in RESULT_KEYS}
    pages = bounded_pages(iam_client, "get_account_authorization_details", PaginationConfig={"PageSize": PAGE_SIZE})
    for number, page in enumerate(pages, start=1):
        for key in RESULT_KEYS:
            merged[key].extend(page.get(key) or [])
        if on_page is not None:
            on_page(number)
        if should_stop is not None and should_stop():
            raise Interrupted()
    return merge_pages([merged])


def merge_pages(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge raw GAAD pages (or already-merged documents) into the CLI's shape."""
    document: dict[str, Any] = {key: [] for key in RESULT_KEYS}
    for page in pages:
        for key in RESULT_KEYS:
            document[key].extend(page.get(key) or [])
    document["Policies"] = [complete_policy_entry(entry) for entry in document["Policies"]]
    document["IsTruncated"] = False
    return document


def complete_policy_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """Fill fields real AWS always sends but emulators may omit, from the policy ARN.

    moto leaves PolicyName and PolicyId out of `Policies`. The name is the ARN's last path segment;
    the id (ANPA…) cannot be derived, so it stays absent rather than invented.
    """
    arn = entry.get("Arn")
    if not isinstance(arn, str) or ":policy/" not in arn:
        return entry
    completed = dict(entry)
    resource = arn.split(":policy", 1)[1]  # "/path/to/Name"
    if not completed.get("PolicyName"):
        completed["PolicyName"] = resource.rsplit("/", 1)[-1]
    if not completed.get("Path"):
        completed["Path"] = resource.rsplit("/", 1)[0] + "/"
    # Keep the CLI's key order (PolicyName, PolicyId, Arn, …) so files diff cleanly against exports.
    head = {key: completed[key] for key in ("PolicyName", "PolicyId") if key in completed}
    return head | {key: value for key, value in completed.items() if key not in head}


def count_entities(document: dict[str, Any]) -> EntityCounts:
    return EntityCounts(
        users=len(document.get("UserDetailList") or []),
        roles=len(document.get("RoleDetailList") or []),
        groups=len(document.get("GroupDetailList") or []),
        policies=len(document.get("Policies") or []),
    )
