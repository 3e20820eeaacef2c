"""Helpers for the `collect` tests: a moto organization with members, and botocore fault injection.

Nothing here talks to real AWS. The organization is built through the Organizations API and the
member resources through credentials from sts:AssumeRole into each member, because moto files IAM
resources under the account of the calling credentials.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.retries.standard import ExponentialBackoff
from click.testing import CliRunner, Result
from moto import mock_aws

REGION = "us-east-1"
# Distinctive so a test can prove it never reaches a file or the terminal.
CALLER_SECRET = "caller-secret-never-printed-0123456789"
MANAGEMENT_ACCOUNT = "123456789012"  # moto's default account for the env credentials
# Tests of the IAM and Organizations collection leave the inventory out: moto builds its EC2, Glue and SageMaker
# backends for every account and region listed (about 2 s per run in one region; moto enables ~38 regions).
# tests/sources/aws/test_inventory_collect.py covers it, and the org-wide tests below read it in one region.
NO_INVENTORY = ("--no-inventory",)
ONE_REGION = ("--regions", REGION)


def set_fake_credentials(monkeypatch: Any, tmp_path: Any) -> None:
    """Fake env credentials, and no user AWS config or proxy leaking into the run."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                 "AWS_ENDPOINT_URL", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CALLER_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def no_retry_wait(monkeypatch: Any) -> None:
    """Retries stay real (count, classification); only the wait between them is dropped."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)


def mocked_organization(monkeypatch: Any, tmp_path: Any) -> Iterator[OrgFixture]:
    """A fixture body: the fake organization inside mock_aws, with fake credentials and no wait between retries."""
    set_fake_credentials(monkeypatch, tmp_path)
    no_retry_wait(monkeypatch)
    with mock_aws():
        yield build_organization()


def collect_with_hook(monkeypatch: Any, hook: Any, *args: str) -> Result:
    """`trustgraph collect ARGS` with `hook` installed on every client it makes (faults, denials)."""
    from trustgraph.cli import collect_cmd, main

    monkeypatch.setattr(collect_cmd, "client_hook", hook)
    return CliRunner().invoke(main, ["collect", *args], catch_exceptions=False)


def _doc(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@dataclass
class OrgFixture:
    management: str
    org_id: str
    root_id: str
    workloads_ou: str
    prod_ou: str
    members: dict[str, str]  # name -> account id: alpha (Workloads/Prod), bravo (Workloads), charlie (root)
    scp_id: str
    rcp_id: str
    target_role_arn: str  # bravo:Target, trusts alpha's account root
    source_role_arn: str  # alpha:Deployer, its identity policy allows sts:AssumeRole on Target
    member_secrets: list[str] = field(default_factory=list)

    @property
    def all_accounts(self) -> set[str]:
        return {self.management, *self.members.values()}


ClientMaker = Callable[..., Any]


def client_maker(endpoint_url: str | None = None) -> ClientMaker:
    def make(service: str, credentials: dict[str, str] | None = None) -> Any:
        extra: dict[str, Any] = {}
        if credentials:
            extra = {"aws_access_key_id": credentials["AccessKeyId"],
                     "aws_secret_access_key": credentials["SecretAccessKey"],
                     "aws_session_token": credentials["SessionToken"]}
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint_url, **extra)
    return make


def teach_moto_identity_center() -> None:
    """moto's Organizations refuses `sso.amazonaws.com` (IAM Identity Center) as a delegated-administrator service
    principal, which AWS accepts; `collect --org` asks ListDelegatedAdministrators for it."""
    from moto.organizations.models import FakeDelegatedAdministrator

    if "sso.amazonaws.com" not in FakeDelegatedAdministrator.SUPPORTED_SERVICES:
        FakeDelegatedAdministrator.SUPPORTED_SERVICES.append("sso.amazonaws.com")


def build_organization(make: ClientMaker | None = None) -> OrgFixture:
    """An organization with three members, an OU tree, an SCP on an OU, an RCP on an account, and a
    cross-account trust path alpha:Deployer → bravo:Target."""
    teach_moto_identity_center()
    make = make or client_maker()
    org = make("organizations")
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root_id = org.list_roots()["Roots"][0]["Id"]
    for policy_type in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        org.enable_policy_type(RootId=root_id, PolicyType=policy_type)
    workloads = org.create_organizational_unit(ParentId=root_id, Name="Workloads")["OrganizationalUnit"]["Id"]
    prod = org.create_organizational_unit(ParentId=workloads, Name="Prod")["OrganizationalUnit"]["Id"]

    members: dict[str, str] = {}
    for name, parent in (("alpha", prod), ("bravo", workloads), ("charlie", root_id)):
        account_id = org.create_account(AccountName=name, Email=f"aws+{name}@example.com")[
            "CreateAccountStatus"]["AccountId"]
        if parent != root_id:
            org.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=parent)
        members[name] = account_id

    scp_id = org.create_policy(
        Name="DenyLeaveOrg", Description="members stay", Type="SERVICE_CONTROL_POLICY",
        Content=_doc([{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]),
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=scp_id, TargetId=workloads)
    rcp_id = org.create_policy(
        Name="OnlyOrgCallers", Description="", Type="RESOURCE_CONTROL_POLICY",
        Content=_doc([{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*",
                       "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org_id}}}]),
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=rcp_id, TargetId=members["bravo"])

    fixture = OrgFixture(
        management=MANAGEMENT_ACCOUNT, org_id=org_id, root_id=root_id, workloads_ou=workloads, prod_ou=prod,
        members=members, scp_id=scp_id, rcp_id=rcp_id,
        target_role_arn=f"arn:aws:iam::{members['bravo']}:role/Target",
        source_role_arn=f"arn:aws:iam::{members['alpha']}:role/Deployer",
    )
    sts = make("sts")

    def member_iam(account_id: str) -> Any:
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
                                RoleSessionName="fixture")["Credentials"]
        fixture.member_secrets.append(creds["SecretAccessKey"])
        return make("iam", creds)

    alpha = member_iam(members["alpha"])
    alpha.create_role(RoleName="Deployer", AssumeRolePolicyDocument=_doc([
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]))
    alpha.put_role_policy(RoleName="Deployer", PolicyName="assume-target", PolicyDocument=_doc([
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": fixture.target_role_arn}]))
    alpha.create_user(UserName="ci")

    bravo = member_iam(members["bravo"])
    bravo.create_role(RoleName="Target", Path="/", AssumeRolePolicyDocument=_doc([
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{members['alpha']}:root"},
         "Action": "sts:AssumeRole"}]))
    read_only = bravo.create_policy(PolicyName="ReadThings", Path="/team/", PolicyDocument=_doc([
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]))["Policy"]["Arn"]
    bravo.attach_role_policy(RoleName="Target", PolicyArn=read_only)
    bravo.create_group(GroupName="admins")

    charlie = member_iam(members["charlie"])
    charlie.create_user(UserName="alice")
    charlie.create_user(UserName="bob")
    return fixture


# --- fault injection -------------------------------------------------------------------------------


class _RawBody:
    """The minimum of urllib3's response that botocore's AWSResponse reads."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def query_error(code: str, message: str, status: int = 400) -> AWSResponse:
    """An HTTP error response as IAM/STS (query protocol) send it, for `before-send` handlers.

    Returned from `before-send`, it goes through botocore's parser and retry handler exactly like a
    real response, which is what a throttling test needs; `before-call` would bypass the retries.
    """
    body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>fault-injected</RequestId></ErrorResponse>").encode()
    return AWSResponse("https://fault.invalid/", status, {"Content-Type": "text/xml"}, _RawBody(body))


def short_circuit_error(code: str, message: str, status: int = 403) -> tuple[AWSResponse, dict[str, Any]]:
    """A `before-call` handler result: the call fails at once with this error, no HTTP, no retries."""
    parsed = {"Error": {"Code": code, "Message": message},
              "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 0}}
    return AWSResponse("https://fault.invalid/", status, {}, _RawBody(b"")), parsed


def request_param(params: dict[str, Any], name: str) -> str | None:
    """A parameter of a query-protocol request as seen by `before-call` (serialized into the body)."""
    body = params.get("body")
    return body.get(name) if isinstance(body, dict) else None


def deny_assume_role(account_id: str, message: str | None = None) -> Callable[[Any, str | None], None]:
    """Client hook: sts:AssumeRole into `account_id` fails with AccessDenied (as for a missing role)."""
    text = message or (f"User: arn:aws:sts::{MANAGEMENT_ACCOUNT}:user/moto is not authorized to perform: "
                       f"sts:AssumeRole on resource: arn:aws:iam::{account_id}:role/"
                       "OrganizationAccountAccessRole")

    def handler(params: dict[str, Any], **_: Any) -> Any:
        arn = request_param(params, "RoleArn") or ""
        if f"::{account_id}:" in arn:
            return short_circuit_error("AccessDenied", text)
        return None

    def hook(client: Any, _account: str | None) -> None:
        if client.meta.service_model.service_name == "sts":
            client.meta.events.register("before-call.sts.AssumeRole", handler)
    return hook


def deny_gaad(account_id: str, message: str) -> Callable[[Any, str | None], None]:
    """Client hook: iam:GetAccountAuthorizationDetails in `account_id` fails with AccessDenied."""
    def hook(client: Any, account: str | None) -> None:
        if client.meta.service_model.service_name == "iam" and account == account_id:
            client.meta.events.register(
                "before-call.iam.GetAccountAuthorizationDetails",
                lambda **_: short_circuit_error("AccessDenied", message))
    return hook


@dataclass
class ThrottleGaad:
    """Client hook: GetAccountAuthorizationDetails in `account_id` is throttled `times` times, then
    goes through. Injected at `before-send`, so botocore's retry handler sees it."""

    account_id: str
    times: int = 1
    injected: int = 0
    sent: int = 0

    def __call__(self, client: Any, account: str | None) -> None:
        if client.meta.service_model.service_name == "iam" and account == self.account_id:
            client.meta.events.register_first("before-send.iam.GetAccountAuthorizationDetails", self._send)

    def _send(self, **_: Any) -> Any:
        self.sent += 1
        if self.injected < self.times:
            self.injected += 1
            return query_error("Throttling", "Rate exceeded")
        return None


def combine(*hooks: Callable[[Any, str | None], None]) -> Callable[[Any, str | None], None]:
    def hook(client: Any, account: str | None) -> None:
        for each in hooks:
            each(client, account)
    return hook
