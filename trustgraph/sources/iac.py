"""What the infrastructure-as-code readers (Terraform plans, CloudFormation templates) share: the values the user
supplies for a template (`--account-id`, `--parameter`), the placeholder account, and how a value that is not
known before deploy is written down: as a `${…}` template placeholder, which the policy code keeps and reports as
"not evaluated" (`policy/placeholders.py`), never as a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trustgraph.arns import ACCOUNT_ID

PLACEHOLDER_ACCOUNT = "000000000000"
# Every action a trust policy can grant: an unknown trust policy may grant any of them to its unknown principal.
ASSUME_ACTIONS = ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"]
PLAN_SIDES = ("after", "before")


class IacOptionError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class IacOptions:
    """Values a template or plan leaves to deploy time, as the user gives them."""

    account_id: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    # Which state of a Terraform plan is read: "after" (what applying it leaves) or "before" (what it changes).
    plan_side: str = "after"

    @property
    def account(self) -> str:
        return self.account_id or PLACEHOLDER_ACCOUNT

    @property
    def parameter_map(self) -> dict[str, str]:
        return dict(self.parameters)

    def cache_token(self) -> list[Any]:
        return [self.account_id, list(self.parameters), self.plan_side]


def parse_options(account_id: str | None, parameters: tuple[str, ...] | list[str] = (),
                  plan_side: str = "after") -> IacOptions:
    """Check and collect the options; a bad value is one `IacOptionError` naming it."""
    if account_id is not None and not ACCOUNT_ID.match(account_id):
        raise IacOptionError(f"--account-id {account_id!r} is not a 12-digit AWS account id")
    if plan_side not in PLAN_SIDES:
        raise IacOptionError(f"plan side {plan_side!r} is not one of {', '.join(PLAN_SIDES)}")
    pairs: list[tuple[str, str]] = []
    for item in parameters:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise IacOptionError(f"--parameter {item!r} is not KEY=VALUE")
        pairs.append((key.strip(), value))
    return IacOptions(account_id, tuple(pairs), plan_side)


def unknown_value(what: str) -> str:
    """A placeholder for a value nobody knows before deploy. No single colon in it: that would read as an IAM
    policy variable (`${aws:username}`), which is evaluated."""
    return "${" + what.replace("${", "").replace("}", "").replace(":", "\u2236") + "}"


def unknown_trust_document(what: str) -> dict[str, Any]:
    """The trust policy of a role whose trust policy is not known yet: some principal (unknown) may assume it.
    It is drawn as an unknown principal, not evaluated, and reported as a placeholder (TG502)."""
    placeholder = unknown_value(what)
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "NotKnownBeforeDeploy", "Effect": "Allow", "Principal": {placeholder: placeholder},
         "Action": list(ASSUME_ACTIONS)}]}


def unknown_permissions_document(what: str) -> dict[str, Any]:
    """A permission policy not known yet: one statement of placeholders (grants nothing that is evaluated, and
    is reported as not evaluated)."""
    placeholder = unknown_value(what)
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "NotKnownBeforeDeploy", "Effect": "Allow", "Action": placeholder, "Resource": placeholder}]}


def iam_arn(partition: str, account: str, kind: str, path: str, name: str) -> str:
    """`arn:<partition>:iam::<account>:<kind><path><name>` (kind: role, user, group, policy)."""
    path = path if path.startswith("/") else "/" + path
    path = path if path.endswith("/") else path + "/"
    return f"arn:{partition}:iam::{account}:{kind}{path}{name}"


def normal_path(value: Any) -> str:
    return value if isinstance(value, str) and value.startswith("/") and value.endswith("/") else "/"
