"""boto3 sessions, retries and sts:AssumeRole for collection.

boto3 sessions are not thread-safe, so every worker thread gets its own session. The caller's
credentials are resolved once, in the thread that builds the factory, and the resulting credentials
object is shared with the per-thread sessions: resolving them again per thread would repeat SSO or
MFA prompts and credential-process runs, and botocore's refreshable credentials lock their own
refresh, so sharing the object is safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, Credentials

# Standard mode retries throttling and transient errors with exponential backoff and jitter (capped
# at 20 s per wait). Eight attempts in all (the call and seven retries) ride out a burst of throttling
# on a large organization without letting a dead account stall the run for minutes.
RETRY_MODE = "standard"
MAX_ATTEMPTS = 8
# IAM and Organizations are global services; STS has a global endpoint too. A region is still needed
# to build clients, and us-east-1 is where the global endpoints live.
FALLBACK_REGION = "us-east-1"
ROLE_SESSION_NAME = "trustgraph-collect"
# Services whose clients pace themselves: CloudTrail LookupEvents allows two requests per second per account and
# region, and pages come back faster than that. botocore's adaptive mode (standard retries plus a client-side
# token bucket that slows down after a throttling answer) keeps a long read from being throttled page after page.
ADAPTIVE_SERVICES = frozenset({"cloudtrail"})

# Test seam: called with every client the collector creates and the id of the account whose
# credentials the client uses (None before the caller's identity is known). Tests register botocore
# event handlers on `client.meta.events` to inject faults; nothing in production sets it.
ClientHook = Callable[[Any, "str | None"], None]


@dataclass(frozen=True)
class SessionSettings:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    retry_mode: str = RETRY_MODE
    max_attempts: int = MAX_ATTEMPTS
    client_hook: ClientHook | None = None


@dataclass(frozen=True)
class CallerIdentity:
    account_id: str
    arn: str

    @property
    def partition(self) -> str:
        # arn:<partition>:sts::<account>:…; role ARNs we build must use the same partition.
        parts = self.arn.split(":")
        return parts[1] if len(parts) > 1 and parts[1] else "aws"


@dataclass(frozen=True)
class TemporaryCredentials:
    """Credentials from sts:AssumeRole. repr=False keeps them out of logs, tracebacks and reprs."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)


class _SharedCredentialProvider(CredentialProvider):
    METHOD = "trustgraph-shared"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


class SessionFactory:
    """Per-thread boto3 sessions and clients for the caller's credentials and for assumed roles."""

    def __init__(self, settings: SessionSettings) -> None:
        self.settings = settings
        self._local = threading.local()
        # Resolving here raises ProfileNotFound / NoCredentialsError early, in the main thread.
        core = botocore.session.Session(profile=settings.profile)
        first = boto3.Session(botocore_session=core, region_name=settings.region)
        credentials = first.get_credentials()
        if credentials is None:
            raise botocore.exceptions.NoCredentialsError()
        self._credentials: Credentials = credentials
        # Every new session would otherwise parse the service models again, under the GIL: with 8
        # threads that is over a second of start-up. The loader only caches read-only JSON, and one
        # session already shares it between clients used from many threads.
        self._loader = core.get_component("data_loader")
        self.region: str = settings.region or first.region_name or FALLBACK_REGION
        self._local.session = first
        self._caller_account: str | None = None
        self._config = Config(
            region_name=self.region,
            retries={"mode": settings.retry_mode, "total_max_attempts": settings.max_attempts},
            user_agent_extra="trustgraph-collect",
        )

    def _session(self) -> boto3.Session:
        session: boto3.Session | None = getattr(self._local, "session", None)
        if session is None:
            core = botocore.session.Session(profile=self.settings.profile)
            core.register_component("data_loader", self._loader)
            core.register_component(
                "credential_provider", CredentialResolver([_SharedCredentialProvider(self._credentials)])
            )
            session = boto3.Session(botocore_session=core, region_name=self.region)
            self._local.session = session
        return session

    def _finish(self, client: Any, account_id: str | None) -> Any:
        if self.settings.client_hook is not None:
            self.settings.client_hook(client, account_id)
        return client

    def _config_for(self, region: str | None, service: str = "") -> Config:
        config = self._config if region is None or region == self.region else \
            self._config.merge(Config(region_name=region))
        if service in ADAPTIVE_SERVICES and self.settings.retry_mode == RETRY_MODE:
            config = config.merge(Config(retries={"mode": "adaptive",
                                                  "total_max_attempts": self.settings.max_attempts}))
        return config

    def caller_client(self, service: str, region: str | None = None) -> Any:
        """A client with the caller's own credentials, cached per thread. `region`: the factory's by default
        (regional services such as Lambda or EC2 are read region by region)."""
        cache: dict[tuple[str, str | None], Any] = self._local.__dict__.setdefault("clients", {})
        client = cache.get((service, region))
        if client is None:
            client = self._session().client(
                service, endpoint_url=self.settings.endpoint_url, config=self._config_for(region, service)
            )
            cache[(service, region)] = self._finish(client, self._caller_account)
        return client

    def assumed_client(self, service: str, credentials: TemporaryCredentials, account_id: str,
                       region: str | None = None) -> Any:
        """A client acting in `account_id` with assumed-role credentials (not cached: one per account)."""
        client = self._session().client(
            service,
            endpoint_url=self.settings.endpoint_url,
            config=self._config_for(region, service),
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
        )
        return self._finish(client, account_id)

    def available_regions(self, service: str, partition: str = "aws") -> set[str]:
        """The regions botocore's endpoint data lists for `service` in `partition`."""
        return set(self._session().get_available_regions(service, partition_name=partition))

    def caller_identity(self) -> CallerIdentity:
        reply = self.caller_client("sts").get_caller_identity()
        identity = CallerIdentity(account_id=reply["Account"], arn=reply["Arn"])
        if self._caller_account is None:
            self._caller_account = identity.account_id
            # Clients built before the account was known were hooked with None; rebuild them lazily.
            self._local.__dict__.pop("clients", None)
        return identity

    def assume_role(self, role_arn: str, external_id: str | None) -> TemporaryCredentials:
        params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": ROLE_SESSION_NAME}
        if external_id:
            params["ExternalId"] = external_id
        reply = self.caller_client("sts").assume_role(**params)
        creds = reply["Credentials"]
        return TemporaryCredentials(
            access_key_id=creds["AccessKeyId"],
            secret_access_key=creds["SecretAccessKey"],
            session_token=creds["SessionToken"],
        )


def role_arn(partition: str, account_id: str, role_name: str) -> str:
    # --role-name may carry a path ("collect/Reader"); IAM role ARNs put the path before the name.
    name = role_name.strip("/")
    return f"arn:{partition}:iam::{account_id}:role/{name}"
