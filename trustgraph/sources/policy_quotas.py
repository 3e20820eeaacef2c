"""AWS's size quotas of IAM policy documents, and the bound past which trustgraph refuses one.

IAM never stores a document longer than its quota (https://docs.aws.amazon.com/IAM/latest/UserGuide/
reference_iam-quotas.html, "IAM and AWS STS character limits": role trust policy 2,048 characters by default,
4,096 at most; managed policy 6,144; the inline policies of a role together 10,240, of a group 5,120, of a user
2,048; whitespace not counted). AWS Organizations holds no SCP or RCP longer than 5,120 characters
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html, "Maximum size of a policy
document"); IAM Identity Center no permission set inline policy of more than 10,240 non-whitespace characters, and
no permission set with more than 10 AWS managed and customer managed policies (20 with a raised IAM quota)
(https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html). A document many times longer, or a
permission set naming many times more policies, is not one AWS holds: it is refused with one line naming it, and
its file is read on, rather than being parsed at a cost out of all proportion to real data.
"""

from __future__ import annotations

from dataclasses import dataclass

# Generous on purpose: a document as given may be URL-encoded (`aws iam get-role`: up to 3× its text) or carry
# CloudFormation intrinsics; only what no export of IAM can hold is refused.
TIMES = 10
_WHITESPACE = " \t\n\r"


@dataclass(frozen=True, slots=True)
class Quota:
    """What the document is, and AWS's largest quota for it (characters, whitespace not counted)."""

    what: str
    aws_max: int

    @property
    def limit(self) -> int:
        return TIMES * self.aws_max

    def excess(self, text: str) -> int | None:
        """The document's length (whitespace not counted) when it is over the limit, else None. `text`: the
        document as given (its text, or the repr of its parsed value); only a text over the limit is counted."""
        if len(text) <= self.limit:
            return None
        length = len(text) - sum(text.count(c) for c in _WHITESPACE)
        return length if length > self.limit else None

    def refusal(self, length: int, name: str) -> str:
        return (f"{self.what} {name} is {length:,} characters (whitespace not counted), more than {TIMES}× the "
                f"largest AWS quota for it ({self.aws_max:,}): not a document IAM holds, not read")


TRUST_POLICY = Quota("trust policy of", 4_096)
MANAGED_POLICY = Quota("managed policy", 6_144)
# AWS's own managed policies are not held to the quota of customer managed ones (AWSSupportServiceRolePolicy has
# over 81,000 characters, ReadOnlyAccess over 46,000) and AWS documents no bound for them: 131,072 stands for the
# largest, so that only what is far past any of them (1,310,720 characters) is refused.
AWS_MANAGED_POLICY = Quota("AWS managed policy", 131_072)
# The aggregate quota of a role's inline policies bounds each of them (a group's and a user's are lower).
INLINE_POLICY = Quota("inline policy", 10_240)
SERVICE_CONTROL_POLICY = Quota("service control policy", 5_120)
RESOURCE_CONTROL_POLICY = Quota("resource control policy", 5_120)
ORGANIZATION_POLICIES = {"SERVICE_CONTROL_POLICY": SERVICE_CONTROL_POLICY,
                         "RESOURCE_CONTROL_POLICY": RESOURCE_CONTROL_POLICY}
PERMISSION_SET_INLINE_POLICY = Quota("inline policy of permission set", 10_240)


@dataclass(frozen=True, slots=True)
class CountQuota:
    """How many of something AWS allows at most (a count, not characters)."""

    what: str
    aws_max: int

    @property
    def limit(self) -> int:
        return TIMES * self.aws_max

    def refusal(self, count: int, name: str) -> str:
        return (f"{name} names {count:,} {self.what}, more than {TIMES}× the most AWS allows ({self.aws_max}): not "
                "one AWS holds, not read")


PERMISSION_SET_POLICIES = CountQuota("AWS managed and customer managed policies", 20)
