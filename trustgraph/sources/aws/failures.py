"""Turn botocore exceptions into a one-line reason and a stable code for the manifest.

AWS answers "role does not exist", "role does not trust you" and "ExternalId mismatch" with the same
AccessDenied on sts:AssumeRole, so the reason names all three instead of guessing. The explicit-deny
wording in the error message ("… with an explicit deny in a service control policy") is the only way
to tell an SCP or RCP deny apart, so it is matched on.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "RequestLimitExceeded", "SlowDown", "PriorRequestNotComplete",
    "BandwidthLimitExceeded", "ProvisionedThroughputExceededException",
})
ACCESS_DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
})
CREDENTIAL_CODES = frozenset({
    "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
    "SignatureDoesNotMatch", "InvalidAccessKeyId", "IncompleteSignature",
})

NETWORK_ERRORS = (EndpointConnectionError, ConnectionClosedError, ConnectTimeoutError, ReadTimeoutError)


@dataclass(frozen=True)
class Failure:
    code: str
    """Stable: role-not-assumable, access-denied, scp-deny, rcp-deny, throttled, credentials, network,
    not-in-organization, region-disabled, write-failed, interrupted, error; and invalid-account-id (an account
    id from AWS that is not 12 digits, set by the collector)."""
    reason: str
    """One line for people: what failed and the likely cause."""
    detail: str | None = None
    """AWS's own error message, when there is one."""


def action_of(exc: BaseException, service: str, default: str) -> str:
    """The IAM action of the call that raised `exc` ("organizations:ListRoots"), else `default`."""
    operation = getattr(exc, "operation_name", None)
    return f"{service}:{operation}" if isinstance(operation, str) and operation else default


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def describe_failure(exc: BaseException, action: str, target: str | None = None) -> Failure:
    """`action` is the IAM action that failed (e.g. "sts:AssumeRole"); `target` the ARN it was on."""
    if isinstance(exc, ClientError):
        return _client_error(exc, action, target)
    if isinstance(exc, NETWORK_ERRORS):
        return Failure("network", f"{action}: network error: {one_line(str(exc))}")
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError, ProfileNotFound)):
        return Failure("credentials", f"{action}: {one_line(str(exc))}")
    if isinstance(exc, BotoCoreError):
        return Failure("error", f"{action}: {one_line(str(exc))}")
    if isinstance(exc, OSError):
        return Failure("write-failed", f"cannot write the snapshot file: {one_line(str(exc))}")
    return Failure("error", f"{action}: {type(exc).__name__}: {one_line(str(exc))}")


def _client_error(exc: ClientError, action: str, target: str | None) -> Failure:
    error = exc.response.get("Error", {})
    code = str(error.get("Code") or "Unknown")
    message = one_line(str(error.get("Message") or "")) or None
    lowered = (message or "").lower()
    on = f" on {target}" if target else ""
    if code in THROTTLING_CODES:
        retries = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        return Failure("throttled", f"{action}{on}: throttled ({code}) after {retries} retries", message)
    if code in ACCESS_DENIED_CODES:
        if "service control policy" in lowered:
            return Failure("scp-deny", f"{action}{on}: denied by a service control policy", message)
        if "resource control policy" in lowered:
            return Failure("rcp-deny", f"{action}{on}: denied by a resource control policy", message)
        if action == "sts:AssumeRole":
            return Failure(
                "role-not-assumable",
                f"cannot assume {target or 'the role'}: AccessDenied (the role is missing, does not trust "
                "the caller, needs an ExternalId, or the caller may not call sts:AssumeRole)",
                message,
            )
        return Failure("access-denied", f"{action}{on}: AccessDenied", message)
    if code in CREDENTIAL_CODES:
        return Failure("credentials", f"{action}{on}: credentials rejected ({code})", message)
    if code == "RegionDisabledException":
        return Failure("region-disabled", f"{action}{on}: STS is not activated in this region", message)
    if code == "AWSOrganizationsNotInUseException":
        return Failure("not-in-organization", "the caller's account is not in an organization", message)
    return Failure("error", f"{action}{on}: {code}" + (f": {message}" if message else ""), message)
