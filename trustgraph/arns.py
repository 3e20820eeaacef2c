"""ARN parsing and the IAM identifiers trustgraph needs to recognise."""

from __future__ import annotations

import re
from dataclasses import dataclass

ACCOUNT_ID = re.compile(r"^\d{12}$")
# Unique-id prefixes IAM writes into a policy once the named principal is deleted (SEMANTICS §2).
UNIQUE_ID = re.compile(r"^(AIDA|AROA|AGPA|ANPA|AIPA|ASIA|AKIA|ANVA|APKA|ASCA)[A-Z0-9]{12,}$")
# The name IAM Identity Center gives the role it provisions for permission set P in an account:
# `AWSReservedSSO_<P>_<16 hex>`, the hex part different in every account. Unanchored, to find it in text;
# `fullmatch` for a name. Group 1: the permission set, group 2: the per-account suffix.
SSO_ROLE_NAME = re.compile(r"AWSReservedSSO_([\w+=,.@-]+?)_([0-9a-f]{16})(?![\w+=,.@-])")


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        return self.resource.split("/", 1)[0] if "/" in self.resource else self.resource

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse_arn(value: str) -> Arn | None:
    """Split an ARN into its six segments; None when it is not an ARN."""
    if not isinstance(value, str) or not value.startswith("arn:"):
        return None
    parts = value.split(":", 5)
    if len(parts) != 6 or not parts[1] or not parts[2]:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def partition_of(arn: str) -> str:
    parsed = parse_arn(arn)
    return parsed.partition if parsed else "aws"


def root_arn(account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:root"

