"""The region a request is made in, where the action alone settles it (aws:RequestedRegion).

IAM is a global service: in the `aws` partition its one endpoint, iam.amazonaws.com, is in us-east-1, so every IAM
request carries aws:RequestedRegion = us-east-1 whatever region the caller's client is set to
(https://docs.aws.amazon.com/general/latest/gr/iam-service.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-requested-region.html).
Other partitions' IAM endpoints are left unsettled: their region is not taken from a documented rule here.
"""

from __future__ import annotations

# (service prefix, partition) → the region all of the service's requests are made in.
GLOBAL_SERVICE_REGIONS: dict[tuple[str, str], str] = {("iam", "aws"): "us-east-1"}


def requested_region(action: str, partition: str) -> str | None:
    """The aws:RequestedRegion of any call of `action` (`service:Name`) in `partition`; None: the caller picks."""
    service = action.split(":", 1)[0].lower()
    return GLOBAL_SERVICE_REGIONS.get((service, partition))
