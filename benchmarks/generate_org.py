#!/usr/bin/env python3
"""Generate a synthetic AWS organization for trustgraph benchmarks.

Writes one ``aws iam get-account-authorization-details`` export per account (``<outdir>/<id>.json``,
the shape the AWS CLI prints: policy documents already decoded to JSON objects) and an
``organization.json`` in the ``trustgraph/organization/v1`` schema; with ``--identity-center`` also an
``identity-center.json`` in the ``trustgraph/identity-center/v1`` schema. Output depends only on the
arguments: the same arguments give byte-identical files.

    python benchmarks/generate_org.py --accounts 1000 --roles-per-account 100 \\
        --users-per-account 20 --seed 7 -o /tmp/org
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

Json = dict[str, Any]

VERSION = "2012-10-17"
REGION = "us-east-1"
GITHUB_ORG = "example-corp"
GITHUB_HOST = "token.actions.githubusercontent.com"
SAML_AUD = "https://signin.aws.amazon.com/saml"
# AWS documentation example accounts: outside the organization and, by design, owned by nobody.
EXTERNAL_ACCOUNTS = ("111122223333", "444455556666", "777788889999")

# Third-party SaaS accounts as published by the vendors (community list of known AWS accounts).
VENDORS: tuple[tuple[str, str, str, str], ...] = (
    ("Datadog", "464622532012", "DatadogIntegrationRole", "SecurityAudit"),
    ("New Relic", "754728514883", "NewRelicInfrastructure-Integrations", "ReadOnlyAccess"),
    ("Sumo Logic", "926226587429", "SumoLogicSourceRole", "ReadOnlyAccess"),
    ("Lacework", "434813966438", "LaceworkAuditRole", "SecurityAudit"),
    ("Vanta", "956993596390", "vanta-auditor", "SecurityAudit"),
    ("CrowdStrike", "292230061137", "CrowdStrikeCSPMReader", "SecurityAudit"),
)

APPS = (
    "orders", "payments", "checkout", "catalog", "search", "inventory", "billing", "ledger", "identity",
    "notifications", "analytics", "reporting", "recommendations", "shipping", "pricing", "fraud",
    "loyalty", "media", "profile", "gateway", "returns", "warehouse", "ads", "messaging",
)
COMPONENTS = (
    "api", "worker", "ingest", "etl", "scheduler", "processor", "frontend", "backend", "stream",
    "export", "sync", "batch", "indexer", "webhook", "consumer", "publisher",
)
TEAMS = ("platform", "payments", "data", "growth", "core", "security", "sre", "mobile", "web", "ml")
FIRST = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yusuf", "zoe", "amir",
    "bea", "chen", "dara", "emeka", "farah", "goran", "hana", "ines",
)
LAST = (
    "smith", "jones", "garcia", "miller", "davis", "lopez", "wilson", "anderson", "thomas", "moore",
    "martin", "lee", "perez", "white", "harris", "clark", "lewis", "young", "walker", "hall",
)

# (service principal, name suffix, AWS-managed policies, gets an instance profile, weight)
SERVICES: tuple[tuple[str, str, tuple[str, ...], bool, int], ...] = (
    ("lambda.amazonaws.com", "lambda", ("AWSLambdaBasicExecutionRole",), False, 30),
    ("ecs-tasks.amazonaws.com", "task", ("AmazonECSTaskExecutionRolePolicy",), False, 18),
    ("ec2.amazonaws.com", "ec2", ("AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"), True, 16),
    ("states.amazonaws.com", "sfn", (), False, 5),
    ("glue.amazonaws.com", "glue", ("AWSGlueServiceRole",), False, 5),
    ("codebuild.amazonaws.com", "codebuild", (), False, 5),
    ("cloudformation.amazonaws.com", "cfn", (), False, 3),
    ("events.amazonaws.com", "events", (), False, 4),
    ("firehose.amazonaws.com", "firehose", (), False, 3),
    ("sagemaker.amazonaws.com", "sagemaker", (), False, 3),
    ("apigateway.amazonaws.com", "apigw", (), False, 3),
    ("scheduler.amazonaws.com", "scheduler", (), False, 2),
    ("monitoring.rds.amazonaws.com", "rds-monitoring", (), False, 2),
    ("eks.amazonaws.com", "eks-cluster", (), False, 1),
)
_SERVICE_WEIGHTS = [s[4] for s in SERVICES]

# (role name, service principal, AWS-managed policy under /aws-service-role/)
SERVICE_LINKED: tuple[tuple[str, str, str], ...] = (
    ("AWSServiceRoleForSupport", "support.amazonaws.com", "AWSSupportServiceRolePolicy"),
    ("AWSServiceRoleForTrustedAdvisor", "trustedadvisor.amazonaws.com", "AWSTrustedAdvisorServiceRolePolicy"),
    ("AWSServiceRoleForSSO", "sso.amazonaws.com", "AWSSSOServiceRolePolicy"),
    ("AWSServiceRoleForConfig", "config.amazonaws.com", "AWSConfigServiceRolePolicy"),
    ("AWSServiceRoleForSecurityHub", "securityhub.amazonaws.com", "AWSSecurityHubServiceRolePolicy"),
    ("AWSServiceRoleForAmazonGuardDuty", "guardduty.amazonaws.com", "AmazonGuardDutyServiceRolePolicy"),
    ("AWSServiceRoleForElasticLoadBalancing", "elasticloadbalancing.amazonaws.com",
     "AWSElasticLoadBalancingServiceRolePolicy"),
    ("AWSServiceRoleForAutoScaling", "autoscaling.amazonaws.com", "AutoScalingServiceRolePolicy"),
    ("AWSServiceRoleForECS", "ecs.amazonaws.com", "AmazonECSServiceRolePolicy"),
    ("AWSServiceRoleForRDS", "rds.amazonaws.com", "AmazonRDSServiceRolePolicy"),
    ("AWSServiceRoleForAmazonEKS", "eks.amazonaws.com", "AmazonEKSServiceRolePolicy"),
    ("AWSServiceRoleForAccessAnalyzer", "access-analyzer.amazonaws.com", "AccessAnalyzerServiceRolePolicy"),
    ("AWSServiceRoleForComputeOptimizer", "compute-optimizer.amazonaws.com",
     "ComputeOptimizerServiceRolePolicy"),
    ("AWSServiceRoleForBackup", "backup.amazonaws.com", "AWSBackupServiceLinkedRolePolicyForBackup"),
    ("AWSServiceRoleForCloudTrail", "cloudtrail.amazonaws.com", "CloudTrailServiceRolePolicy"),
    ("AWSServiceRoleForAmazonSSM", "ssm.amazonaws.com", "AmazonSSMServiceRolePolicy"),
)
ORG_SLR = (
    "AWSServiceRoleForOrganizations", "organizations.amazonaws.com", "AWSOrganizationsServiceTrustPolicy",
)
STACKSETS_SLR = (
    "AWSServiceRoleForCloudFormationStackSetsOrgAdmin", "stacksets.cloudformation.amazonaws.com",
    "AWSCloudFormationStackSetsOrgAdminServiceRolePolicy",
)

# Identity Center permission sets: (name, AWS-managed policies, gets an inline policy).
PERMISSION_SETS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("AdministratorAccess", ("AdministratorAccess",), False),
    ("ReadOnlyAccess", ("ReadOnlyAccess",), False),
    ("PowerUserAccess", ("PowerUserAccess",), False),
    ("ViewOnlyAccess", ("ViewOnlyAccess",), False),
    ("SecurityAudit", ("SecurityAudit", "ViewOnlyAccess"), False),
    ("Billing", ("Billing",), False),
    ("DeveloperAccess", ("PowerUserAccess",), True),
    ("NetworkAdministrator", ("NetworkAdministrator",), False),
    ("DatabaseAdministrator", ("DatabaseAdministrator",), False),
    ("DataEngineer", ("AmazonS3ReadOnlyAccess",), True),
    ("SupportUser", ("AWSSupportAccess", "ViewOnlyAccess"), False),
    ("OnCallOperator", ("ReadOnlyAccess",), True),
)

ALPHA32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # IAM unique ids use this alphabet
ALNUM_LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
EPOCH_2016 = 1451606400
DAY = 86400


# --------------------------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class TrustMix:
    """Relative share of each trust kind among an account's free role slots.

    The shares are normalised, so they need not add up to 1. Roles the scenario needs (break-glass
    chain, deploy roles, OrganizationAccountAccessRole, …) come on top of this mix, inside the
    per-account role budget.
    """

    service: float = 0.398  # ec2 / lambda / ecs-tasks / … trusted by a service principal
    service_linked: float = 0.08  # /aws-service-role/<service>/AWSServiceRoleFor*
    same_account: float = 0.14  # role/user/session ARNs of the same account
    cross_account: float = 0.16  # arn:aws:iam::X:root, a bare 12-digit id, or a role in X
    federated_saml: float = 0.10  # Identity Center AWSReservedSSO_* roles, then Okta SAML roles
    federated_oidc: float = 0.08  # GitHub Actions (sub conditions, a few wildcard subs) and EKS IRSA
    vendor: float = 0.04  # known SaaS vendor accounts with sts:ExternalId
    # {"AWS": "*"} limited by aws:PrincipalOrgID / PrincipalOrgPaths / PrincipalArn. Kept rare: each one
    # is reachable from every principal of the organization holding a wildcard sts:AssumeRole grant,
    # so its edge count grows with the size of the whole organization.
    org_wildcard: float = 0.002

    def __post_init__(self) -> None:
        values = [getattr(self, f.name) for f in fields(self)]
        if any(v < 0 for v in values) or sum(values) <= 0:
            raise ValueError("TrustMix shares must be >= 0 and not all zero")

    def counts(self, slots: int, rng: random.Random | None = None) -> dict[str, int]:
        """Split ``slots`` between the kinds; the result always adds up to ``slots``.

        Without ``rng``: largest remainder. With ``rng``: systematic sampling of the fractional parts,
        so a kind whose share is below one role per account (org_wildcard by default) still lands on
        about ``share * slots`` roles per account on average instead of on none or on every account.
        """
        names = [f.name for f in fields(self)]
        shares = [getattr(self, n) for n in names]
        total = sum(shares)
        exact = [slots * s / total for s in shares]
        counts = [int(x) for x in exact]
        if rng is None:
            order = sorted(range(len(names)), key=lambda i: (-(exact[i] - counts[i]), i))
            for i in order[: slots - sum(counts)]:
                counts[i] += 1
        else:
            u, acc = rng.random(), 0.0
            for i, x in enumerate(exact):
                lo, acc = acc, acc + x - counts[i]
                counts[i] += math.ceil(acc - u) - math.ceil(lo - u)
            # Float rounding can leave the sum one off; settle it on the largest kind.
            largest = max(range(len(names)), key=lambda i: (exact[i], -i))
            counts[largest] += slots - sum(counts)
        return dict(zip(names, counts, strict=True))


@dataclass(frozen=True)
class GeneratedOrg:
    """What :func:`generate` wrote, and the principals the benchmark queries are built around."""

    outdir: Path
    organization_path: Path
    account_paths: tuple[Path, ...]  # management account first, then in account order
    account_ids: tuple[str, ...]
    management_account_id: str
    security_account_id: str
    shared_services_account_id: str
    workload_account_ids: tuple[str, ...]  # accounts under Workloads/Prod and Workloads/NonProd
    # Admin break-glass role in the security account; reachable from GitHub Actions through
    # ci_principal_arn -> automation/SecurityRemediation -> security/IncidentResponder, from the
    # Identity Center SecurityResponder permission set, and from MFA users of the management account.
    sensitive_role_arn: str
    # GitHub Actions role in shared-services whose sessions reach deploy_role_arns in every workload account.
    ci_principal_arn: str
    deploy_role_arns: tuple[str, ...]
    roles: int
    users: int
    groups: int
    policies: int  # Policies entries over all files (customer-managed + attached AWS-managed)
    bytes_written: int
    style: str = "default"
    # Style "org-wide" only (None otherwise): the security account's role trusting {"AWS":"*"} limited by
    # aws:PrincipalOrgID (reached by every sts:AssumeRole-on-* holder of the organization), and its role
    # limited by aws:PrincipalArn arn:aws:iam::*:role/ci/* (reached by the CI roles of every account).
    perimeter_role_arn: str | None = None
    pipeline_target_arn: str | None = None
    # With identity_center only (None otherwise): the identity-center.json written, and the
    # AWSReservedSSO_AdministratorAccess_* role of the first workload account where it is provisioned.
    identity_center_path: Path | None = None
    sso_admin_role_arn: str | None = None


STYLES = ("default", "org-wide")


def account_id_for(index: int) -> str:
    """Deterministic 12-digit account id; index 0 is the management account."""
    return f"{100000000000 + index * 7919:012d}"


def generate(
    outdir: Path,
    accounts: int,
    roles_per_account: int,
    users_per_account: int,
    seed: int = 7,
    mix: TrustMix | None = None,
    style: str = "default",
    identity_center: IdentityCenterSpec | str | None = None,
) -> GeneratedOrg:
    """Write ``organization.json`` and one authorization-details file per account into ``outdir``.

    ``roles_per_account`` is the exact role count of each account unless the account's fixed roles
    alone exceed it (at most 6, 11 in style "org-wide"); ``users_per_account`` is exact.

    ``style`` "default" is the organization described in benchmarks/README.md; its output never
    changes with the other styles. "org-wide" adds org-wide pattern trusts to every account: a role
    trusting ``{"AWS":"*"}`` limited by ``aws:PrincipalOrgID`` (data-perimeter pattern), a role trusting
    ``{"AWS":"*"}`` limited by ``ArnLike aws:PrincipalArn arn:aws:iam::*:role/ci/*``, CI roles under
    ``/ci/`` allowed ``sts:AssumeRole`` on ``arn:aws:iam::*:role/deploy/*``, and an admin role allowed
    ``sts:AssumeRole`` on ``*``.

    ``identity_center`` (``IdentityCenterSpec`` or "USERS,GROUPS,PERMISSION_SETS,ASSIGNMENTS") adds an IAM
    Identity Center directory, written to ``identity-center.json``; each account's ``AWSReservedSSO_*``
    roles then come from its assignments (with a few left unprovisioned and a few orphaned). Without it
    the output is exactly what it was before the option existed.
    """
    if isinstance(identity_center, str):
        identity_center = IdentityCenterSpec.parse(identity_center)
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}")
    if accounts < 4:
        raise ValueError("accounts must be >= 4 (management, security, shared-services, one workload)")
    if roles_per_account < 0 or users_per_account < 0:
        raise ValueError("roles_per_account and users_per_account must be >= 0")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    org = _Org(accounts, seed, mix or TrustMix(), style)
    if identity_center is not None:
        org.idc = _IdentityCenter(org, identity_center)

    paths: list[Path] = []
    n_roles = n_users = n_groups = n_policies = total_bytes = 0
    for account in org.accounts:
        doc = _AccountBuilder(org, account, roles_per_account, users_per_account).build()
        n_roles += len(doc["RoleDetailList"])
        n_users += len(doc["UserDetailList"])
        n_groups += len(doc["GroupDetailList"])
        n_policies += len(doc["Policies"])
        # json.dumps takes the C encoder; json.dump streams through the pure-Python one (~5x slower).
        data = json.dumps(doc, separators=(",", ":")).encode("ascii")
        path = outdir / f"{account.account_id}.json"
        path.write_bytes(data)
        total_bytes += len(data)
        paths.append(path)

    org_path = outdir / "organization.json"
    org_data = (json.dumps(org.organization_document(), indent=1) + "\n").encode("ascii")
    org_path.write_bytes(org_data)
    total_bytes += len(org_data)

    workloads = tuple(a.account_id for a in org.accounts if a.kind in ("prod", "nonprod"))
    idc_path: Path | None = None
    sso_admin: str | None = None
    if org.idc is not None:
        idc_path = outdir / "identity-center.json"
        idc_data = json.dumps(org.idc.document(), separators=(",", ":")).encode("ascii")
        idc_path.write_bytes(idc_data)
        total_bytes += len(idc_data)
        for account in workloads:
            if any(ps.name == "AdministratorAccess" for ps in org.idc.roles_for(account)):
                sso_admin = _role_arn(account, _sso_path(REGION), _sso_role_name(org.seed, account,
                                                                               "AdministratorAccess"))
                break
    return GeneratedOrg(
        outdir=outdir,
        organization_path=org_path,
        account_paths=tuple(paths),
        account_ids=tuple(a.account_id for a in org.accounts),
        management_account_id=org.mgmt,
        security_account_id=org.security,
        shared_services_account_id=org.shared,
        workload_account_ids=workloads,
        sensitive_role_arn=org.sensitive_role_arn,
        ci_principal_arn=org.ci_role_arn,
        deploy_role_arns=tuple(_role_arn(a, "/deploy/", "CloudFormationDeployRole") for a in workloads),
        roles=n_roles,
        users=n_users,
        groups=n_groups,
        policies=n_policies,
        bytes_written=total_bytes,
        style=style,
        perimeter_role_arn=org.perimeter_role_arn if style == "org-wide" else None,
        pipeline_target_arn=org.pipeline_target_arn if style == "org-wide" else None,
        identity_center_path=idc_path,
        sso_admin_role_arn=sso_admin,
    )


# --------------------------------------------------------------------------------------------- helpers


def _digest(*parts: object) -> int:
    # blake2b rather than hash(): str hashing is salted per process and would break reproducibility.
    return int.from_bytes(hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).digest(), "big")


def _encode(n: int, alphabet: str, length: int) -> str:
    base = len(alphabet)
    out = []
    for _ in range(length):
        n, r = divmod(n, base)
        out.append(alphabet[r])
    return "".join(out)


def _hex(length: int, *parts: object) -> str:
    return f"{_digest(*parts):032x}"[:length]


def _iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))


def _role_arn(account: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role{path}{name}"


def _doc(*statements: Json) -> Json:
    return {"Version": VERSION, "Statement": list(statements)}


def _allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> Json:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _trust(principal: Json, action: str | list[str] = "sts:AssumeRole", condition: Json | None = None,
           sid: str | None = None) -> Json:
    st: Json = {"Sid": sid} if sid is not None else {}
    st.update({"Effect": "Allow", "Principal": principal, "Action": action})
    if condition:
        st["Condition"] = condition
    return st


def _sso_path(region: str) -> str:
    """Identity Center roles' path: the instance's region appears in it, except for us-east-1."""
    return "/aws-reserved/sso.amazonaws.com/" + ("" if region == "us-east-1" else f"{region}/")


def _sso_role_name(seed: int, account: str, permission_set: str) -> str:
    return f"AWSReservedSSO_{permission_set}_{_hex(16, seed, 'ps', account, permission_set)}"


def _read_actions(services: Iterable[str]) -> list[str]:
    return [f"{s}:{verb}*" for s in services for verb in ("Describe", "Get", "List")]


# --------------------------------------------------------------------------------------------- AWS-managed


@dataclass(frozen=True)
class _AwsManaged:
    name: str
    path: str
    version: str
    created: int
    updated: int
    description: str
    document: Json

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::aws:policy{self.path}{self.name}"


def _aws_managed_catalog() -> dict[str, _AwsManaged]:
    # Documents are abbreviated but keep each policy's shape where it matters for AssumeRole:
    # AdministratorAccess and PowerUserAccess grant sts:AssumeRole on "*", the read-only ones do not.
    read_services = (
        "acm", "apigateway", "autoscaling", "cloudformation", "cloudfront", "cloudtrail", "cloudwatch",
        "codebuild", "codepipeline", "config", "dynamodb", "ec2", "ecr", "ecs", "eks", "elasticache",
        "elasticloadbalancing", "events", "glue", "guardduty", "iam", "kinesis", "kms", "lambda", "logs",
        "organizations", "rds", "route53", "s3", "secretsmanager", "securityhub", "sns", "sqs", "ssm",
        "states", "tag",
    )
    specs: list[tuple[str, str, str, str, Json]] = [
        ("AdministratorAccess", "/", "v1", "Provides full access to AWS services and resources.",
         _doc(_allow("*"))),
        ("PowerUserAccess", "/", "v5",
         "Provides full access to AWS services and resources, but does not allow management of Users "
         "and groups.",
         _doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
              _allow(["account:GetAccountInformation", "account:ListRegions", "iam:CreateServiceLinkedRole",
                      "iam:DeleteServiceLinkedRole", "iam:ListRoles",
                      "organizations:DescribeOrganization"]))),
        ("ReadOnlyAccess", "/", "v118", "Provides read-only access to AWS services and resources.",
         _doc(_allow(_read_actions(read_services)))),
        ("SecurityAudit", "/", "v41", "The security audit template grants access to read security "
         "configuration metadata.",
         _doc(_allow([a for a in _read_actions(read_services) if not a.endswith(":Get*")]))),
        ("ViewOnlyAccess", "/job-function/", "v17", "This policy grants permissions to view resources and "
         "basic metadata across all AWS services",
         _doc(_allow([f"{s}:List*" for s in read_services]))),
        ("Billing", "/job-function/", "v9", "Grants permissions for billing and cost management.",
         _doc(_allow(["aws-portal:*", "budgets:*", "ce:*", "cur:*", "account:GetAccountInformation"]))),
        ("NetworkAdministrator", "/job-function/", "v12", "Grants full access permissions to AWS services "
         "and actions required to set up and configure AWS network resources.",
         _doc(_allow(["ec2:*Vpc*", "ec2:*Subnet*", "ec2:*Route*", "ec2:*TransitGateway*",
                      "directconnect:*", "route53:*", "elasticloadbalancing:*"]))),
        ("DatabaseAdministrator", "/job-function/", "v9", "Grants full access permissions to AWS services "
         "and actions required to set up and configure AWS database services.",
         _doc(_allow(["rds:*", "dynamodb:*", "elasticache:*", "redshift:*", "cloudwatch:*"]),
              _allow("iam:PassRole", "arn:aws:iam::*:role/rds-monitoring-role"))),
        ("AmazonS3ReadOnlyAccess", "/", "v3", "Provides read only access to all buckets via the AWS "
         "Management Console.",
         _doc(_allow(["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*",
                      "s3-object-lambda:List*"]))),
        ("AWSSupportAccess", "/", "v1", "Allow users to access the AWS Support Center.",
         _doc(_allow("support:*"))),
        ("AWSLambdaBasicExecutionRole", "/service-role/", "v1", "Provides write permissions to CloudWatch "
         "Logs.",
         _doc(_allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]))),
        ("AmazonECSTaskExecutionRolePolicy", "/service-role/", "v1", "Provides access to other AWS service "
         "resources that are required to run Amazon ECS tasks",
         _doc(_allow(["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
                      "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "logs:CreateLogStream",
                      "logs:PutLogEvents"]))),
        ("AWSGlueServiceRole", "/service-role/", "v5", "Policy for AWS Glue service role which allows "
         "access to related services including EC2, S3, and Cloudwatch Logs",
         _doc(_allow(["glue:*", "s3:GetBucketLocation", "s3:ListBucket", "ec2:DescribeSubnets",
                      "ec2:DescribeVpcs", "cloudwatch:PutMetricData"]),
              _allow(["s3:GetObject", "s3:PutObject"],
                     ["arn:aws:s3:::aws-glue-*/*", "arn:aws:s3:::*/*aws-glue-*/*"]),
              _allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                     "arn:aws:logs:*:*:*:/aws-glue/*"))),
        ("AmazonSSMManagedInstanceCore", "/", "v2", "The policy for Amazon EC2 Role to enable AWS Systems "
         "Manager service core functionality.",
         _doc(_allow(["ssm:DescribeAssociation", "ssm:GetDocument", "ssm:UpdateInstanceInformation",
                      "ssm:ListAssociations", "ssm:PutInventory", "ssmmessages:*", "ec2messages:*"]))),
        ("CloudWatchAgentServerPolicy", "/", "v2", "Permissions required to use AmazonCloudWatchAgent on "
         "servers",
         _doc(_allow(["cloudwatch:PutMetricData", "ec2:DescribeVolumes", "ec2:DescribeTags",
                      "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:DescribeLogGroups",
                      "logs:CreateLogStream", "logs:CreateLogGroup"]),
              _allow("ssm:GetParameter", "arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*"))),
    ]
    slr_actions = {
        "AWSOrganizationsServiceTrustPolicy": ["iam:DeleteRole"],
        "AWSCloudFormationStackSetsOrgAdminServiceRolePolicy": ["sts:AssumeRole"],
    }
    for _role, service, policy in (*SERVICE_LINKED, ORG_SLR, STACKSETS_SLR):
        prefix = service.split(".")[0]
        actions = slr_actions.get(policy, [f"{prefix}:Describe*", f"{prefix}:List*", "ec2:Describe*"])
        resource = "arn:aws:iam::*:role/stacksets-exec-*" if policy.startswith("AWSCloudFormation") else "*"
        specs.append((policy, "/aws-service-role/", "v3", f"Service-linked role policy for {service}",
                      _doc(_allow(actions, resource))))
    catalog: dict[str, _AwsManaged] = {}
    for i, (name, path, version, description, document) in enumerate(specs):
        created = EPOCH_2016 - 400 * DAY + i * 17 * DAY
        catalog[name] = _AwsManaged(name, path, version, created, created + 900 * DAY, description, document)
    return catalog


AWS_MANAGED = _aws_managed_catalog()


# --------------------------------------------------------------------------------------------- organization


@dataclass(frozen=True)
class _Account:
    index: int
    account_id: str
    name: str
    kind: str  # management, security, shared-services, log-archive, network, prod, nonprod, sandbox
    parent_id: str


_SPECIAL_KINDS = ("management", "security", "shared-services", "log-archive", "network")
_WORKLOAD_CYCLE = ("prod", "nonprod", "prod", "nonprod", "sandbox")
_KIND_OU = {
    "security": "Security", "log-archive": "Security", "shared-services": "Infrastructure",
    "network": "Infrastructure", "prod": "Prod", "nonprod": "NonProd", "sandbox": "Sandbox",
}


class _Org:
    """Organization layout shared by every account file: ids, OUs, well-known principals."""

    def __init__(self, n_accounts: int, seed: int, mix: TrustMix, style: str = "default") -> None:
        self.seed = seed
        self.mix = mix
        self.style = style
        self.org_id = "o-" + _encode(_digest(seed, "org"), ALNUM_LOWER, 10)
        root_suffix = _encode(_digest(seed, "root"), ALNUM_LOWER, 4)
        self.root_id = f"r-{root_suffix}"
        self.ous: dict[str, tuple[str, str]] = {}  # name -> (id, parent id)
        for name, parent in (("Security", None), ("Infrastructure", None), ("Workloads", None),
                             ("Prod", "Workloads"), ("NonProd", "Workloads"), ("Sandbox", None)):
            ou_id = f"ou-{root_suffix}-" + _encode(_digest(seed, "ou", name), ALNUM_LOWER, 8)
            self.ous[name] = (ou_id, self.ous[parent][0] if parent else self.root_id)

        n_special = min(len(_SPECIAL_KINDS), n_accounts - 1)
        self.accounts: list[_Account] = []
        for i in range(n_accounts):
            if i < n_special:
                kind = _SPECIAL_KINDS[i]
                name = {"management": "org-management"}.get(kind, kind)
            else:
                j = i - n_special
                kind = _WORKLOAD_CYCLE[j % len(_WORKLOAD_CYCLE)]
                name = f"{APPS[(j // len(_WORKLOAD_CYCLE)) % len(APPS)]}-{kind}-{j:04d}"
            parent = self.root_id if kind == "management" else self.ous[_KIND_OU[kind]][0]
            self.accounts.append(_Account(i, account_id_for(i), name, kind, parent))
        self.by_kind: dict[str, list[_Account]] = {}
        for a in self.accounts:
            self.by_kind.setdefault(a.kind, []).append(a)
        self.members = self.accounts[1:]
        self.mgmt = self.accounts[0].account_id
        self.security = self.by_kind["security"][0].account_id
        self.shared = self.by_kind["shared-services"][0].account_id

        self.sensitive_role_arn = _role_arn(self.security, "/break-glass/", "BreakGlassAdmin")
        self.incident_responder_arn = _role_arn(self.security, "/security/", "IncidentResponder")
        self.security_auditor_arn = _role_arn(self.security, "/security/", "SecurityAuditor")
        self.ci_role_arn = _role_arn(self.shared, "/ci/", "GitHubActionsDeployer")
        self.remediation_arn = _role_arn(self.shared, "/automation/", "SecurityRemediation")
        self.stacksets_admin_arn = _role_arn(
            self.mgmt, f"/aws-service-role/{STACKSETS_SLR[1]}/", STACKSETS_SLR[0])
        # Style "org-wide": the instances of the per-account org-wide roles the benchmark queries.
        self.perimeter_role_arn = _role_arn(self.security, "/perimeter/", "OrgPerimeterReader")
        self.pipeline_target_arn = _role_arn(self.security, "/deploy/", "OrgPipelineTarget")
        self.idc: _IdentityCenter | None = None  # set by generate() with identity_center

    def ou_path(self, parent_id: str) -> str:
        chain: list[str] = []
        node = parent_id
        parents = {ou_id: parent for ou_id, parent in self.ous.values()}
        while node != self.root_id:
            chain.append(node)
            node = parents[node]
        return "/".join([self.org_id, self.root_id, *reversed(chain)]) + "/"

    def known_roles(self, account: _Account) -> list[str]:
        """Role ARNs that certainly exist in ``account``, for trust policies written elsewhere."""
        a = account.account_id
        arns = [] if account.kind == "management" else [_role_arn(a, "/", "OrganizationAccountAccessRole")]
        if account.kind == "security":
            arns += [self.security_auditor_arn, self.incident_responder_arn]
        elif account.kind == "shared-services":
            arns += [self.ci_role_arn, self.remediation_arn]
        elif account.kind in ("prod", "nonprod"):
            arns.append(_role_arn(a, "/deploy/", "CloudFormationDeployRole"))
        return arns

    def organization_document(self) -> Json:
        every_target = [self.root_id, *(ou_id for ou_id, _ in self.ous.values()),
                        *(a.account_id for a in self.accounts)]
        ou = {name: ou_id for name, (ou_id, _) in self.ous.items()}
        vendor_ids = [v[1] for v in VENDORS]

        def policy(name: str, ptype: str, description: str, content: Json, targets: list[str],
                   aws_managed: bool = False) -> Json:
            # AWS-managed organization policies have fixed ids such as p-FullAWSAccess.
            pid = f"p-{name}" if aws_managed else "p-" + _encode(
                _digest(self.seed, "policy", name), ALNUM_LOWER, 8)
            return {"id": pid, "name": name, "type": ptype, "aws_managed": aws_managed,
                    "description": description, "content": content, "targets": targets}

        scp, rcp = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
        protected = ["arn:aws:iam::*:role/security/*", "arn:aws:iam::*:role/deploy/*",
                     "arn:aws:iam::*:role/break-glass/*", "arn:aws:iam::*:role/OrganizationAccountAccessRole",
                     "arn:aws:iam::*:role/stacksets-exec-*"]
        platform = ["arn:aws:iam::*:role/OrganizationAccountAccessRole",
                    "arn:aws:iam::*:role/stacksets-exec-*"]
        policies = [
            # Collected organizations show FullAWSAccess attached at every level, as AWS attaches it.
            policy("FullAWSAccess", scp, "Allows access to every operation",
                   _doc(_allow("*")), every_target, aws_managed=True),
            policy("DenyLeaveOrganization", scp, "Members cannot leave the organization",
                   _doc({"Sid": "DenyLeave", "Effect": "Deny", "Action": "organizations:LeaveOrganization",
                         "Resource": "*"}), [self.root_id]),
            policy("ProtectPlatformRoles", scp, "Only platform automation may change platform roles",
                   _doc({"Sid": "ProtectPlatformRoles", "Effect": "Deny",
                         "Action": ["iam:AttachRolePolicy", "iam:DeleteRole", "iam:DeleteRolePolicy",
                                    "iam:DetachRolePolicy", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy",
                                    "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"],
                         "Resource": protected,
                         "Condition": {"ArnNotLike": {"aws:PrincipalArn": platform}}}),
                   [ou["Workloads"], ou["Infrastructure"], ou["Sandbox"]]),
            policy("DenyOutsideApprovedRegions", scp, "Regional services only in us-east-1 and eu-west-1",
                   _doc({"Sid": "DenyOtherRegions", "Effect": "Deny",
                         "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*",
                                       "route53:*", "budgets:*", "ce:*", "health:*", "waf:*"],
                         "Resource": "*",
                         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]},
                                       "ArnNotLike": {"aws:PrincipalArn": platform}}}),
                   [ou["Workloads"]]),
            policy("SandboxGuardrails", scp, "Sandbox principals cannot reach break-glass or deploy roles",
                   _doc({"Sid": "NoPrivilegedAssume", "Effect": "Deny", "Action": "sts:AssumeRole",
                         "Resource": ["arn:aws:iam::*:role/break-glass/*", "arn:aws:iam::*:role/deploy/*"]},
                        {"Sid": "NoLongTermKeys", "Effect": "Deny",
                         "Action": ["iam:CreateUser", "iam:CreateAccessKey"], "Resource": "*"}),
                   [ou["Sandbox"]]),
            policy("RCPFullAWSAccess", rcp, "Allows access to every operation",
                   _doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
                   every_target, aws_managed=True),
            policy("EnforceOrgIdentities", rcp, "Production data and roles only for organization identities",
                   _doc({"Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*",
                         "Action": ["s3:*", "sqs:*", "kms:*", "secretsmanager:*", "sts:AssumeRole",
                                    "sts:DecodeAuthorizationMessage", "sts:GetAccessKeyInfo",
                                    "sts:GetFederationToken", "sts:GetServiceBearerToken",
                                    "sts:GetSessionToken", "sts:SetContext"],
                         "Resource": "*",
                         "Condition": {
                             "StringNotEqualsIfExists": {"aws:PrincipalOrgID": self.org_id,
                                                         "aws:PrincipalAccount": vendor_ids,
                                                         "aws:ResourceTag/dp:exclude:identity": "true"},
                             "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}),
                   [ou["Prod"]]),
        ]
        return {
            "schema": "trustgraph/organization/v1",
            "organization": {"id": self.org_id,
                             "arn": f"arn:aws:organizations::{self.mgmt}:organization/{self.org_id}",
                             "management_account_id": self.mgmt},
            "roots": [{"id": self.root_id, "name": "Root"}],
            "organizational_units": [{"id": ou_id, "name": name, "parent_id": parent}
                                     for name, (ou_id, parent) in self.ous.items()],
            "accounts": [{"id": a.account_id, "name": a.name, "email": f"aws+{a.name}@example.com",
                          "status": "ACTIVE", "parent_id": a.parent_id, "ou_path": self.ou_path(a.parent_id)}
                         for a in self.accounts],
            "policies": policies,
        }


# --------------------------------------------------------------------------------------------- Identity Center


@dataclass(frozen=True)
class IdentityCenterSpec:
    """Sizes of the Identity Center directory ``--identity-center USERS,GROUPS,PERMISSION_SETS,ASSIGNMENTS``."""

    users: int
    groups: int
    permission_sets: int
    assignments: int

    def __post_init__(self) -> None:
        # Three groups and three permission sets at least: the fixed ones the scenario assigns first
        # (AllEngineers, PlatformAdmins, SecurityResponders; AdministratorAccess, ReadOnlyAccess and the
        # security account's SecurityResponder).
        if self.users < 1 or self.groups < 3 or self.permission_sets < 3 or self.assignments < 1:
            raise ValueError("identity center: needs users >= 1, groups >= 3, permission sets >= 3, "
                             "assignments >= 1")

    @classmethod
    def parse(cls, text: str) -> IdentityCenterSpec:
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 4 or not all(p.isdigit() for p in parts):
            raise ValueError(f"identity center: expected USERS,GROUPS,PERMISSION_SETS,ASSIGNMENTS, got {text!r}")
        return cls(*(int(p) for p in parts))

    def __str__(self) -> str:
        return f"{self.users},{self.groups},{self.permission_sets},{self.assignments}"


@dataclass(frozen=True)
class _PermissionSet:
    name: str
    arn: str
    managed: tuple[str, ...]  # AWS-managed policy names (AWS_MANAGED keys)
    customer: tuple[str, ...]  # customer-managed policies by name, present in every account (_local_policies)
    inline: bool
    boundary: str | None  # a customer-managed policy name
    session: str


IDC_SCIM_ISSUER = "https://scim.example-idp.com"
# Paths of the customer-managed policies permission sets name (every account has them: _local_policies).
_LOCAL_POLICY_PATHS = {"DeveloperBase": "/", "DataLakeRead": "/data/", "TerraformStateAccess": "/",
                       "DeveloperBoundary": "/boundaries/"}
# Account-independent: a permission set's inline policy is the same document in every account it reaches.
IDC_INLINE_POLICY = _doc(
    _allow(["sts:AssumeRole"], ["arn:aws:iam::*:role/app/*", "arn:aws:iam::*:role/ops/*"]),
    _allow(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::example-corp-*"))
# Extra permission sets past the catalogue: (suffix, AWS-managed, customer-managed, inline, boundary).
_IDC_TEAM_VARIANTS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], bool, str | None], ...] = (
    ("Developer", ("ReadOnlyAccess",), ("DeveloperBase",), False, "DeveloperBoundary"),
    ("ReadOnly", ("ViewOnlyAccess",), (), False, None),
    ("Operator", ("ReadOnlyAccess",), (), True, None),
    ("DataAccess", ("AmazonS3ReadOnlyAccess",), ("DataLakeRead",), False, None),
    ("PowerUser", ("PowerUserAccess",), ("TerraformStateAccess",), False, None),
)
_IDC_SESSIONS = ("PT1H", "PT4H", "PT8H", "PT12H")
# Groups every directory gets first: (name, share of users or fixed size, synced from the IdP).
_IDC_FIXED_GROUPS: tuple[tuple[str, float, bool], ...] = (
    ("AllEngineers", 0.35, True),  # large: thousands at 10,000 users
    ("PlatformAdmins", 12, False),
    ("SecurityResponders", 8, True),
    ("SecurityAuditors", 20, True),
    ("CloudOps", 40, True),
    ("FinanceBilling", 15, True),
    ("AllStaff", 0.6, True),  # large, holds no assignment
)


def _uuid(*parts: object) -> str:
    h = _hex(32, *parts)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class _IdentityCenter:
    """One Identity Center instance in the management account: people, groups, permission sets and account
    assignments, and from them the ``AWSReservedSSO_*`` roles each account holds.

    A few (account, permission set) pairs with assignments are left unprovisioned (no role), and a few roles
    are provisioned where no assignment explains them (orphaned), so that findings have something to find.
    """

    def __init__(self, org: _Org, spec: IdentityCenterSpec) -> None:
        self.org, self.spec = org, spec
        seed = org.seed
        rng = random.Random(f"trustgraph-bench/idc/{seed}/{spec}/{len(org.accounts)}")
        self.store_hex = _hex(10, seed, "idc-store")
        self.store_id = f"d-{self.store_hex}"
        self.instance_id = f"ssoins-{_hex(16, seed, 'idc-instance')}"
        self.instance_arn = f"arn:aws:sso:::instance/{self.instance_id}"
        self.permission_sets = self._permission_sets(spec.permission_sets)
        self.by_name = {ps.name: ps for ps in self.permission_sets}
        self.users = self._users(spec.users, rng)
        self.groups = self._groups(spec.groups, rng)
        self.members = self._memberships(rng)  # group index -> user indexes
        self.assignments = self._assignments(rng)  # (account id, permission set name, "GROUP"/"USER", index)
        pairs = sorted({(a, ps) for a, ps, _, _ in self.assignments})
        n_odd = min(5, max(1, len(pairs) // 50)) if pairs else 0
        protected = {(org.security, "SecurityResponder")}  # the sensitive-role chain needs this role
        candidates = [p for p in pairs if p not in protected]
        self.unprovisioned = sorted(rng.sample(candidates, min(n_odd, len(candidates))))
        assigned = set(pairs)
        self.orphans: list[tuple[str, _PermissionSet]] = []
        retired = _PermissionSet("LegacyContractorAccess", "", ("ReadOnlyAccess",), (), False, None, "PT1H")
        for _ in range(50 * n_odd):
            if len(self.orphans) >= n_odd:
                break
            account = rng.choice(org.accounts).account_id
            # Most orphans belong to a permission set that still exists; the first to a deleted one.
            ps = retired if not self.orphans else rng.choice(self.permission_sets)
            if (account, ps.name) not in assigned and all(o[0] != account or o[1].name != ps.name
                                                          for o in self.orphans):
                self.orphans.append((account, ps))
        self.orphans.sort(key=lambda o: (o[0], o[1].name))
        missing = set(self.unprovisioned)
        self.roles_by_account: dict[str, list[_PermissionSet]] = {}
        for account, name in pairs:
            if (account, name) not in missing:
                self.roles_by_account.setdefault(account, []).append(self.by_name[name])
        for account, ps in self.orphans:
            self.roles_by_account.setdefault(account, []).append(ps)
        for roles in self.roles_by_account.values():
            roles.sort(key=lambda ps: ps.name)

    # ------------------------------------------------------------------ directory

    def _permission_sets(self, n: int) -> list[_PermissionSet]:
        catalog = {name: (managed, inline) for name, managed, inline in PERMISSION_SETS}
        # The security account's SecurityResponder role (sensitive-role chain) is one of them: SecurityAudit only.
        specs: list[tuple[str, tuple[str, ...], tuple[str, ...], bool, str | None]] = [
            ("AdministratorAccess", ("AdministratorAccess",), (), False, None),
            ("ReadOnlyAccess", ("ReadOnlyAccess",), (), False, None),
            ("SecurityResponder", ("SecurityAudit",), (), False, None),
        ]
        for name, (managed, inline) in catalog.items():
            if name not in ("AdministratorAccess", "ReadOnlyAccess"):
                customer = ("DeveloperBase",) if name == "DeveloperAccess" else (
                    ("DataLakeRead",) if name == "DataEngineer" else ())
                specs.append((name, managed, customer, inline, None))
        rounds = 0
        while len(specs) < n:
            for team in TEAMS:
                for suffix, managed, customer, inline, boundary in _IDC_TEAM_VARIANTS:
                    name = f"{team.capitalize()}{suffix}{rounds + 1 if rounds else ''}"
                    specs.append((name, managed, customer, inline, boundary))
            rounds += 1
        out = []
        for i, (name, managed, customer, inline, boundary) in enumerate(specs[:n]):
            arn = f"arn:aws:sso:::permissionSet/{self.instance_id}/ps-{_hex(16, self.org.seed, 'idc-ps', name)}"
            session = "PT1H" if name == "AdministratorAccess" else _IDC_SESSIONS[i % len(_IDC_SESSIONS)]
            out.append(_PermissionSet(name, arn, managed, customer, inline, boundary, session))
        return out

    def _users(self, n: int, rng: random.Random) -> list[Json]:
        seen: dict[str, int] = {}
        out = []
        for k in range(n):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            base = f"{first}.{last}"
            seen[base] = seen.get(base, 0) + 1
            handle = base if seen[base] == 1 else f"{base}{seen[base]}"
            email = f"{handle}@example.com"
            # Synced from the IdP by SCIM, but for a few local (break-glass) accounts of the directory.
            synced = k % 97 != 0
            out.append({"identity_store_id": self.store_id,
                        "user_id": f"{self.store_hex}-{_uuid(self.org.seed, 'idc-user', k)}",
                        "user_name": email, "display_name": f"{first.capitalize()} {last.capitalize()}",
                        "emails": [email],
                        "external_ids": [{"issuer": IDC_SCIM_ISSUER, "id": _uuid(self.org.seed, "idp-user", k)}]
                        if synced else []})
        return out

    def _groups(self, n: int, rng: random.Random) -> list[Json]:
        names = [name for name, _, _ in _IDC_FIXED_GROUPS]
        pool = [f"{team}-{kind}" for kind in ("engineers", "leads", "oncall") for team in TEAMS]
        pool += [f"{app}-{kind}" for kind in ("developers", "operators") for app in APPS]
        k = 2
        while len(names) < n:
            names += pool if k == 2 else [f"{p}-{k}" for p in pool]
            k += 1
        names = names[:n]
        fixed = {name: synced for name, _, synced in _IDC_FIXED_GROUPS}
        return [{"identity_store_id": self.store_id,
                 "group_id": f"{self.store_hex}-{_uuid(self.org.seed, 'idc-group', name)}",
                 "display_name": name,
                 "external_ids": [{"issuer": IDC_SCIM_ISSUER, "id": _uuid(self.org.seed, "idp-group", name)}]
                 if fixed.get(name, True) else []}
                for name in names]

    def _memberships(self, rng: random.Random) -> dict[int, list[int]]:
        """Users in 0–5 groups: two large groups, fixed-size small ones, the rest spread over team and app
        groups (a few people in none)."""
        n_users, n_groups = len(self.users), len(self.groups)
        n_fixed = min(len(_IDC_FIXED_GROUPS), n_groups)
        members: dict[int, set[int]] = {g: set() for g in range(n_groups)}
        per_user = [0] * n_users
        for g in range(n_fixed):
            share = _IDC_FIXED_GROUPS[g][1]
            size = min(n_users, round(share * n_users) if isinstance(share, float) else int(share))
            for u in rng.sample(range(n_users), size):
                if per_user[u] < 5:
                    members[g].add(u)
                    per_user[u] += 1
        others = list(range(n_fixed, n_groups))
        if others:
            for u in range(n_users):
                want = rng.choices((0, 1, 2, 3, 4, 5), weights=(6, 30, 30, 20, 9, 5))[0]
                for g in rng.sample(others, min(len(others), max(0, want - per_user[u]))):
                    members[g].add(u)
                    per_user[u] += 1
        return {g: sorted(us) for g, us in members.items() if us}

    # ------------------------------------------------------------------ assignments

    def _assignments(self, rng: random.Random) -> list[tuple[str, str, str, int]]:
        org = self.org
        target = self.spec.assignments
        group_index = {g["display_name"]: i for i, g in enumerate(self.groups)}
        out: list[tuple[str, str, str, int]] = []
        seen: set[tuple[str, str, str, int]] = set()

        def add(account: str, ps: str, kind: str, principal: int | None) -> None:
            if principal is None or ps not in self.by_name or len(out) >= target:
                return
            key = (account, ps, kind, principal)
            if key not in seen:
                seen.add(key)
                out.append(key)

        every = [a.account_id for a in org.accounts]
        g = group_index.get
        # The sensitive-role chain first, then the organization-wide baseline.
        add(org.security, "SecurityResponder", "GROUP", g("SecurityResponders"))
        add(org.mgmt, "Billing", "GROUP", g("FinanceBilling"))
        for account in every:  # admin-equivalent in every account, management included
            add(account, "AdministratorAccess", "GROUP", g("PlatformAdmins"))
        for account in every:
            add(account, "SecurityAudit", "GROUP", g("SecurityAuditors"))
        for account in every[1:]:
            add(account, "ReadOnlyAccess", "GROUP", g("AllEngineers"))
        for a in org.by_kind.get("prod", []):
            add(a.account_id, "AdministratorAccess", "GROUP", g("CloudOps"))
        for a in org.by_kind.get("sandbox", [])[:3]:  # admin to a group of thousands: a few sandboxes
            add(a.account_id, "AdministratorAccess", "GROUP", g("AllEngineers"))
        # A few people hold AdministratorAccess directly, not through a group.
        for u in rng.sample(range(len(self.users)), min(5, len(self.users))):
            for account in rng.sample(every, min(2, len(every))):
                add(account, "AdministratorAccess", "USER", u)

        # The rest: each member account uses a few more permission sets, assigned to team and app groups
        # (app groups mostly in their app's accounts) and to some people directly.
        extra = [ps.name for ps in self.permission_sets
                 if ps.name not in ("AdministratorAccess", "SecurityResponder", "Billing")]
        in_use = {a.account_id: rng.sample(extra, min(len(extra), rng.randint(3, 8))) for a in org.members}
        by_app: dict[str, list[str]] = {}
        for a in org.members:
            by_app.setdefault(a.name.split("-", 1)[0], []).append(a.account_id)
        small = [i for i, grp in enumerate(self.groups) if grp["display_name"] not in ("AllEngineers", "AllStaff")]
        members = org.members or org.accounts
        attempts = 0
        while len(out) < target and attempts < 50 * target + 1000 and in_use:
            attempts += 1
            if rng.random() < 0.05:
                kind, principal = "USER", rng.randrange(len(self.users))
                account = rng.choice(members).account_id
            else:
                if not small:
                    continue
                kind, principal = "GROUP", rng.choice(small)
                app = self.groups[principal]["display_name"].split("-", 1)[0]
                home = by_app.get(app)
                account = rng.choice(home) if home and rng.random() < 0.8 else rng.choice(members).account_id
            if account in in_use:
                add(account, rng.choice(in_use[account]), kind, principal)
        return out

    # ------------------------------------------------------------------ output

    def roles_for(self, account: str) -> list[_PermissionSet]:
        """Permission sets with an AWSReservedSSO role in ``account``: assigned and provisioned, or orphaned."""
        return self.roles_by_account.get(account, [])

    def document(self) -> Json:
        ps_arn = {ps.name: ps.arn for ps in self.permission_sets}
        memberships = [{"identity_store_id": self.store_id, "group_id": self.groups[g]["group_id"],
                        "user_id": self.users[u]["user_id"]}
                       for g, us in sorted(self.members.items()) for u in us]
        assignments = [{"instance_arn": self.instance_arn, "account_id": account, "permission_set_arn": ps_arn[ps],
                        "principal_type": kind,
                        "principal_id": (self.groups if kind == "GROUP" else self.users)[i][
                            "group_id" if kind == "GROUP" else "user_id"]}
                       for account, ps, kind, i in sorted(self.assignments)]
        return {
            "schema": "trustgraph/identity-center/v1",
            "instances": [{"instance_arn": self.instance_arn, "identity_store_id": self.store_id,
                           "owner_account_id": self.org.mgmt, "region": REGION}],
            "delegated_admin_account_id": None,
            "users": self.users,
            "groups": self.groups,
            "group_memberships": memberships,
            "permission_sets": [{
                "instance_arn": self.instance_arn, "permission_set_arn": ps.arn, "name": ps.name,
                "session_duration": ps.session,
                "managed_policies": [AWS_MANAGED[m].arn for m in ps.managed],
                "customer_managed_policies": [{"name": c, "path": _LOCAL_POLICY_PATHS[c]} for c in ps.customer],
                "inline_policy": IDC_INLINE_POLICY if ps.inline else None,
                # AWS's PermissionsBoundary shape (GetPermissionsBoundaryForPermissionSet).
                "permissions_boundary": {"CustomerManagedPolicyReference": {
                    "Name": ps.boundary, "Path": _LOCAL_POLICY_PATHS[ps.boundary]}} if ps.boundary else None,
            } for ps in self.permission_sets],
            "account_assignments": assignments,
            "complete": True,
        }


# --------------------------------------------------------------------------------------------- one account


@dataclass
class _LocalPolicy:
    name: str
    path: str
    description: str
    versions: list[Json]  # oldest first; the last one is the default


class _AccountBuilder:
    """Builds one account's authorization-details document."""

    def __init__(self, org: _Org, account: _Account, n_roles: int, n_users: int) -> None:
        self.org = org
        self.acct = account
        self.a = account.account_id
        self.n_roles = n_roles
        self.n_users = n_users
        # Seeding with a string goes through SHA-512, so it is stable across processes and versions.
        self.rng = random.Random(f"trustgraph-bench/{org.seed}/{self.a}")
        # Real unique ids share an account-specific stem after the 4-letter prefix.
        self.id_stem = _encode(_digest(org.seed, "stem", self.a), ALPHA32, 8)
        self.created = EPOCH_2016 + (account.index % 600) * DAY
        self.attach_counts: dict[str, int] = {}
        self.boundary_counts: dict[str, int] = {}
        self.role_names: set[str] = set()  # membership only; never iterated, so order stays seeded
        self.local = self._local_policies()
        idc_suffix = _hex(16, org.seed, "idc", self.a)
        self.idc_provider = f"arn:aws:iam::{self.a}:saml-provider/AWSSSO_{idc_suffix}_DO_NOT_DELETE"
        self.github_provider = f"arn:aws:iam::{self.a}:oidc-provider/{GITHUB_HOST}"
        self.eks_hosts = [f"oidc.eks.{REGION}.amazonaws.com/id/{_hex(32, org.seed, 'eks', self.a, k).upper()}"
                          for k in range(2)]

    # ------------------------------------------------------------------ primitives

    def uid(self, prefix: str, *parts: object) -> str:
        return prefix + self.id_stem + _encode(_digest(self.org.seed, prefix, self.a, *parts), ALPHA32, 9)

    def when(self, spread_days: int = 2200) -> int:
        return self.created + self.rng.randrange(spread_days * DAY)

    def policy_arn(self, name: str) -> str:
        if name in AWS_MANAGED:
            return AWS_MANAGED[name].arn
        return f"arn:aws:iam::{self.a}:policy{self.local[name].path}{name}"

    def attach(self, names: Iterable[str]) -> list[Json]:
        out = []
        for name in names:
            arn = self.policy_arn(name)
            self.attach_counts[arn] = self.attach_counts.get(arn, 0) + 1
            out.append({"PolicyName": name, "PolicyArn": arn})
        return out

    def boundary(self, name: str) -> Json:
        arn = self.policy_arn(name)
        self.boundary_counts[arn] = self.boundary_counts.get(arn, 0) + 1
        return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}

    def unique_role_name(self, base: str) -> str:
        name, k = base, 2
        while name in self.role_names:
            name, k = f"{base}-{k}", k + 1
        self.role_names.add(name)
        return name

    def tags(self, team: str | None = None) -> list[Json]:
        tags = [{"Key": "team", "Value": team or self.rng.choice(TEAMS)}]
        if self.rng.random() < 0.6:
            tool = self.rng.choice(("terraform", "cloudformation", "cdk"))
            tags.append({"Key": "managed-by", "Value": tool})
        if self.rng.random() < 0.3:
            tags.append({"Key": "cost-center", "Value": f"cc-{self.rng.randrange(1000, 9999)}"})
        return tags

    def role(self, name: str, path: str, trust: list[Json], *, inline: Sequence[tuple[str, Json]] = (),
             managed: Iterable[str] = (), boundary: str | None = None, tags: list[Json] | None = None,
             instance_profile: bool = False, trust_id: str | None = None) -> Json:
        arn = _role_arn(self.a, path, name)
        created = self.when()
        trust_doc: Json = {"Version": VERSION}
        if trust_id:
            trust_doc["Id"] = trust_id
        trust_doc["Statement"] = trust
        entry: Json = {"Path": path, "RoleName": name, "RoleId": self.uid("AROA", path, name), "Arn": arn,
                       "CreateDate": _iso(created), "AssumeRolePolicyDocument": trust_doc}
        profiles = []
        if instance_profile:
            profiles.append({
                "Path": path, "InstanceProfileName": name, "InstanceProfileId": self.uid("AIPA", path, name),
                "Arn": f"arn:aws:iam::{self.a}:instance-profile{path}{name}", "CreateDate": _iso(created),
                "Roles": [{k: entry[k] for k in ("Path", "RoleName", "RoleId", "Arn", "CreateDate",
                                                  "AssumeRolePolicyDocument")}],
                "Tags": []})
        entry["InstanceProfileList"] = profiles
        entry["RolePolicyList"] = [{"PolicyName": n, "PolicyDocument": d} for n, d in inline]
        entry["AttachedManagedPolicies"] = self.attach(managed)
        if boundary:
            entry["PermissionsBoundary"] = self.boundary(boundary)
        entry["Tags"] = tags if tags is not None else []
        if self.rng.random() < 0.7:
            entry["RoleLastUsed"] = {"LastUsedDate": _iso(created + self.rng.randrange(1, 400) * DAY),
                                     "Region": self.rng.choice((REGION, REGION, "eu-west-1"))}
        else:
            entry["RoleLastUsed"] = {}
        return entry

    # ------------------------------------------------------------------ policies of this account

    def _local_policies(self) -> dict[str, _LocalPolicy]:
        a = self.a
        break_glass = ["arn:aws:iam::*:role/break-glass/*",
                       "arn:aws:iam::*:role/OrganizationAccountAccessRole"]
        no_break_glass = {"Sid": "NoBreakGlass", "Effect": "Deny", "Action": "sts:AssumeRole",
                          "Resource": break_glass}
        specs: list[tuple[str, str, str, list[Json]]] = [
            ("DeveloperBoundary", "/boundaries/", "Ceiling for human developer identities", [_doc(
                _allow("*"),
                {"Sid": "NoIdentityAdmin", "Effect": "Deny",
                 "Action": ["iam:CreateUser", "iam:CreateAccessKey", "iam:PutUserPolicy",
                            "iam:AttachUserPolicy", "iam:DeleteRolePermissionsBoundary",
                            "iam:DeleteUserPermissionsBoundary"], "Resource": "*"},
                no_break_glass)]),
            ("WorkloadBoundary", "/boundaries/", "Ceiling for workload roles and machine users", [_doc(
                {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
                _allow("iam:PassRole", f"arn:aws:iam::{a}:role/app/*"),
                no_break_glass)]),
            ("CrossAccountDeployAccess", "/", "Assume deploy roles in any account", [_doc(
                _allow(["sts:AssumeRole", "sts:TagSession"], "arn:aws:iam::*:role/deploy/*"))]),
            # v1 (inert, not default) allowed "*"; v2 narrowed it to this account.
            ("AssumeRolesInAccount", "/", "Assume any role of this account", [
                _doc(_allow("sts:AssumeRole")),
                _doc(_allow("sts:AssumeRole", f"arn:aws:iam::{a}:role/*"))]),
            ("AssumeAnyRole", "/", "Legacy automation: assume anything", [_doc(_allow("sts:*"))]),
            ("AssumeAllExceptBreakGlass", "/", "Operators may assume everything but break-glass", [_doc(
                {"Effect": "Allow", "Action": "sts:AssumeRole", "NotResource": break_glass})]),
            ("DeveloperBase", "/", "Baseline developer permissions", [_doc(
                _allow(["ec2:*", "s3:*", "lambda:*", "logs:*", "cloudwatch:*", "dynamodb:*", "sqs:*",
                        "sns:*"]),
                _allow(["iam:Get*", "iam:List*"]),
                _allow("iam:PassRole", f"arn:aws:iam::{a}:role/app/*",
                       Condition={"StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com",
                                                                           "ecs-tasks.amazonaws.com"]}}))]),
            ("ForceMFA", "/", "Deny everything but MFA self-service without MFA", [_doc(
                {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
                 "NotAction": ["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
                               "iam:GetUser", "iam:ListMFADevices", "iam:ListVirtualMFADevices",
                               "iam:ResyncMFADevice", "sts:GetSessionToken"],
                 "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}})]),
            ("CloudWatchLogsWriter", "/", "Write application logs", [_doc(
                _allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                       f"arn:aws:logs:{REGION}:{a}:log-group:/app/*"))]),
            ("KMSDecryptShared", "/", "Decrypt with the shared-services keys", [_doc(
                _allow(["kms:Decrypt", "kms:DescribeKey"],
                       f"arn:aws:kms:{REGION}:{self.org.shared}:key/*"))]),
            ("DataLakeRead", "/data/", "Read the data lake buckets", [_doc(
                _allow(["s3:GetObject", "s3:ListBucket"],
                       ["arn:aws:s3:::example-corp-datalake-*", "arn:aws:s3:::example-corp-datalake-*/*"]))]),
            ("TerraformStateAccess", "/", "Terraform remote state", [_doc(
                _allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                       [f"arn:aws:s3:::example-corp-tfstate-{a}",
                        f"arn:aws:s3:::example-corp-tfstate-{a}/*"]),
                _allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
                       f"arn:aws:dynamodb:{REGION}:{a}:table/terraform-locks"))]),
        ]
        return {name: _LocalPolicy(name, path, desc, versions) for name, path, desc, versions in specs}

    def policies_list(self) -> list[Json]:
        out: list[Json] = []
        for name, lp in self.local.items():
            arn = self.policy_arn(name)
            created = self.created + (_digest(self.a, name) % 300) * DAY
            n = len(lp.versions)
            out.append({
                "PolicyName": name, "PolicyId": self.uid("ANPA", name), "Arn": arn, "Path": lp.path,
                "DefaultVersionId": f"v{n}", "AttachmentCount": self.attach_counts.get(arn, 0),
                "PermissionsBoundaryUsageCount": self.boundary_counts.get(arn, 0), "IsAttachable": True,
                "Description": lp.description, "CreateDate": _iso(created),
                "UpdateDate": _iso(created + (n - 1) * 90 * DAY),
                "PolicyVersionList": [
                    {"Document": d, "VersionId": f"v{i}", "IsDefaultVersion": i == n,
                     "CreateDate": _iso(created + (i - 1) * 90 * DAY)}
                    for i, d in enumerate(lp.versions, start=1)]})
        for pol in AWS_MANAGED.values():
            count = self.attach_counts.get(pol.arn, 0)
            if not count:
                continue
            out.append({
                "PolicyName": pol.name, "PolicyId": "ANPA" + _encode(_digest("aws", pol.name), ALPHA32, 17),
                "Arn": pol.arn, "Path": pol.path, "DefaultVersionId": pol.version, "AttachmentCount": count,
                "PermissionsBoundaryUsageCount": 0, "IsAttachable": True, "Description": pol.description,
                "CreateDate": _iso(pol.created), "UpdateDate": _iso(pol.updated),
                "PolicyVersionList": [{"Document": pol.document, "VersionId": pol.version,
                                       "IsDefaultVersion": True, "CreateDate": _iso(pol.updated)}]})
        return out

    # ------------------------------------------------------------------ users and groups

    def groups(self) -> list[Json]:
        a = self.a
        specs: list[tuple[str, str, list[str], list[tuple[str, Json]]]] = [
            ("Admins", "/", ["AdministratorAccess", "ForceMFA"], []),
            ("Developers", "/teams/", ["PowerUserAccess", "DeveloperBase", "ForceMFA"], []),
            ("ReadOnly", "/", ["ReadOnlyAccess"], []),
            ("Operators", "/teams/", ["ReadOnlyAccess", "ForceMFA"], [("OperatorsAssumeRoles", _doc(
                _allow("sts:AssumeRole",
                       [f"arn:aws:iam::{a}:role/ops/*", f"arn:aws:iam::{a}:role/app/*"])))]),
            ("Billing", "/", ["Billing"], []),
            ("Deployers", "/", ["CrossAccountDeployAccess", "TerraformStateAccess"], []),
        ]
        if self.acct.kind == "management":
            specs.append(("OrgAdmins", "/", ["ForceMFA"], [("AssumeMemberAdminRoles", _doc(_allow(
                "sts:AssumeRole", ["arn:aws:iam::*:role/OrganizationAccountAccessRole",
                                   "arn:aws:iam::*:role/break-glass/*"],
                Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})))]))
        return [{"Path": path, "GroupName": name, "GroupId": self.uid("AGPA", name),
                 "Arn": f"arn:aws:iam::{a}:group{path}{name}", "CreateDate": _iso(self.when(200)),
                 "GroupPolicyList": [{"PolicyName": n, "PolicyDocument": d} for n, d in inline],
                 "AttachedManagedPolicies": self.attach(managed)}
                for name, path, managed, inline in specs]

    def users(self) -> list[Json]:
        rng, a = self.rng, self.a
        out: list[Json] = []
        seen: set[str] = set()
        human_groups = ("Developers", "Developers", "Developers", "ReadOnly", "ReadOnly", "Operators",
                        "Operators", "Admins", "Billing", "Deployers")
        for i in range(self.n_users):
            machine = i % 4 == 3
            inline: list[tuple[str, Json]] = []
            managed: list[str] = []
            boundary: str | None = None
            if self.acct.kind == "management" and i < 3:
                name, path, groups = f"{FIRST[i]}.{LAST[i]}", "/people/", ["OrgAdmins", "ReadOnly"]
            elif machine:
                name = f"svc-{rng.choice(APPS)}-{rng.choice(('deploy', 'backup', 'etl', 'sync', 'legacy'))}"
                path = rng.choice(("/system/", "/service-accounts/"))
                groups = ["Deployers"] if rng.random() < 0.3 else []
                roll = rng.random()
                if roll < 0.1:
                    managed.append("AssumeAnyRole")
                elif roll < 0.3:
                    managed.append("CrossAccountDeployAccess")
                elif roll < 0.45:
                    inline.append(("assume-app-roles", _doc(_allow(
                        "sts:AssumeRole", f"arn:aws:iam::{a}:role/app/{rng.choice(APPS)}-*"))))
                managed.append(rng.choice(("CloudWatchLogsWriter", "DataLakeRead", "TerraformStateAccess")))
                if rng.random() < 0.3:
                    boundary = "WorkloadBoundary"
            else:
                name = f"{rng.choice(FIRST)}.{rng.choice(LAST)}"
                path = rng.choice(("/", "/people/"))
                groups = [rng.choice(human_groups)]
                if rng.random() < 0.25:
                    groups.append(rng.choice(human_groups))
                    if groups[0] == groups[1]:
                        groups.pop()
                roll = rng.random()
                if roll < 0.08:
                    inline.append(("assume-all-but-break-glass", _doc(
                        {"Effect": "Allow", "Action": "sts:AssumeRole",
                         "NotResource": ["arn:aws:iam::*:role/break-glass/*"]})))
                elif roll < 0.2:
                    inline.append(("assume-ops-roles", _doc(_allow(
                        "sts:AssumeRole", f"arn:aws:iam::{a}:role/ops/*",
                        Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))))
                elif roll < 0.26:
                    managed.append("AssumeRolesInAccount")
                if rng.random() < 0.25:
                    boundary = "DeveloperBoundary"
            base, k = name, 2
            while name in seen:
                name, k = f"{base}{k}", k + 1
            seen.add(name)
            entry: Json = {"Path": path, "UserName": name, "UserId": self.uid("AIDA", name),
                           "Arn": f"arn:aws:iam::{a}:user{path}{name}", "CreateDate": _iso(self.when()),
                           "UserPolicyList": [{"PolicyName": n, "PolicyDocument": d} for n, d in inline],
                           "GroupList": groups, "AttachedManagedPolicies": self.attach(managed)}
            if boundary:
                entry["PermissionsBoundary"] = self.boundary(boundary)
            entry["Tags"] = self.tags() if not machine else [{"Key": "owner", "Value": rng.choice(TEAMS)}]
            out.append(entry)
        return out

    # ------------------------------------------------------------------ fixed roles

    def fixed_roles(self) -> list[Json]:
        org, a, kind = self.org, self.a, self.acct.kind
        roles: list[Json] = []

        def add(entry: Json) -> None:
            self.role_names.add(entry["RoleName"])
            roles.append(entry)

        if kind == "management":
            for name, service, policy in (ORG_SLR, STACKSETS_SLR):
                add(self.service_linked_role(name, service, policy))
        else:
            add(self.role("OrganizationAccountAccessRole", "/",
                          [_trust({"AWS": f"arn:aws:iam::{org.mgmt}:root"})],
                          inline=[("AdministratorAccess", _doc(_allow("*")))]))
            exec_name = f"stacksets-exec-{_hex(32, org.seed, 'stackset', a)}"
            add(self.role(exec_name, "/", [_trust({"AWS": org.stacksets_admin_arn}, sid="1")],
                          managed=["AdministratorAccess"], trust_id=f"{exec_name}-assume-role-policy"))
        if kind == "security":
            responder_sso = self.sso_role("SecurityResponder", ("SecurityAudit",), inline=False)
            add(responder_sso)
            add(self.role("BreakGlassAdmin", "/break-glass/", [
                _trust({"AWS": org.incident_responder_arn}, sid="IncidentResponse"),
                _trust({"AWS": f"arn:aws:iam::{org.mgmt}:root"}, sid="ManagementWithMFA",
                       condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})],
                managed=["AdministratorAccess"], tags=self.tags("security")))
            add(self.role("IncidentResponder", "/security/", [
                _trust({"AWS": [responder_sso["Arn"], org.remediation_arn]})],
                inline=[("escalate", _doc(_allow(["sts:AssumeRole", "sts:TagSession"],
                                                 ["arn:aws:iam::*:role/break-glass/*",
                                                  "arn:aws:iam::*:role/security/*"])))],
                managed=["SecurityAudit"], tags=self.tags("security")))
            add(self.role("SecurityAuditor", "/security/", [_trust({"AWS": f"arn:aws:iam::{a}:root"})],
                          inline=[("assume-audit-roles", _doc(_allow(
                              "sts:AssumeRole", "arn:aws:iam::*:role/security/SecurityAuditRole")))],
                          managed=["SecurityAudit"], tags=self.tags("security")))
        elif kind != "management":
            add(self.role("SecurityAuditRole", "/security/", [_trust({"AWS": org.security_auditor_arn})],
                          managed=["SecurityAudit", "ReadOnlyAccess"], tags=self.tags("security")))
        if kind == "shared-services":
            add(self.role("GitHubActionsDeployer", "/ci/", [_trust(
                {"Federated": self.github_provider}, "sts:AssumeRoleWithWebIdentity",
                {"StringEquals": {f"{GITHUB_HOST}:aud": "sts.amazonaws.com"},
                 "StringLike": {f"{GITHUB_HOST}:sub": [
                     f"repo:{GITHUB_ORG}/platform-deployments:ref:refs/heads/main",
                     f"repo:{GITHUB_ORG}/platform-deployments:environment:production"]}})],
                inline=[("assume-deploy-roles", _doc(_allow(
                    ["sts:AssumeRole", "sts:TagSession"],
                    ["arn:aws:iam::*:role/deploy/*", f"arn:aws:iam::{a}:role/automation/*"])))],
                managed=["TerraformStateAccess"], tags=self.tags("platform")))
            add(self.role("SecurityRemediation", "/automation/", [
                _trust({"Service": "lambda.amazonaws.com"}),
                _trust({"AWS": org.ci_role_arn}, ["sts:AssumeRole", "sts:TagSession"])],
                inline=[("assume-security-roles", _doc(_allow(
                    "sts:AssumeRole", f"arn:aws:iam::{org.security}:role/security/*")))],
                managed=["AWSLambdaBasicExecutionRole"], tags=self.tags("security")))
        if kind in ("prod", "nonprod"):
            if self.rng.random() < 0.2:
                deploy_trust = _trust({"AWS": f"arn:aws:iam::{org.shared}:root"},
                                      ["sts:AssumeRole", "sts:TagSession"],
                                      {"ArnEquals": {"aws:PrincipalArn": org.ci_role_arn}})
            else:
                deploy_trust = _trust({"AWS": org.ci_role_arn}, ["sts:AssumeRole", "sts:TagSession"])
            add(self.role("CloudFormationDeployRole", "/deploy/", [deploy_trust],
                          inline=[("pass-execution-role", _doc(_allow(
                              "iam:PassRole", f"arn:aws:iam::{a}:role/deploy/CloudFormationExecutionRole")))],
                          managed=["PowerUserAccess"], tags=self.tags("platform")))
            add(self.role("CloudFormationExecutionRole", "/deploy/",
                          [_trust({"Service": "cloudformation.amazonaws.com"})],
                          managed=["AdministratorAccess"], boundary="WorkloadBoundary",
                          tags=self.tags("platform")))
        if org.style == "org-wide":
            for entry in self.org_wide_roles():
                add(entry)
        return roles

    def org_wide_roles(self) -> list[Json]:
        """Style "org-wide": the same five roles in every account (so their edges grow with the square of
        the accounts): two org-wide `*` trusts, two CI roles that can use one of them from anywhere in the
        organization, and an admin allowed sts:AssumeRole on everything."""
        org, a = self.org, self.a
        repo = f"repo:{GITHUB_ORG}/infra-{self.acct.name}"
        return [
            # Data-perimeter pattern: anyone of the organization whose own policies allow it.
            self.role("OrgPerimeterReader", "/perimeter/", [_trust(
                {"AWS": "*"}, condition={"StringEquals": {"aws:PrincipalOrgID": org.org_id}})],
                managed=["ReadOnlyAccess"], tags=self.tags("security")),
            # Any account's CI roles, by ARN pattern; no account or organization limit.
            self.role("OrgPipelineTarget", "/deploy/", [_trust(
                {"AWS": "*"}, ["sts:AssumeRole", "sts:TagSession"],
                {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci/*"}})],
                managed=["PowerUserAccess"], tags=self.tags("platform")),
            self.role("pipeline-deployer", "/ci/", [_trust(
                {"Federated": self.github_provider}, "sts:AssumeRoleWithWebIdentity",
                {"StringEquals": {f"{GITHUB_HOST}:aud": "sts.amazonaws.com",
                                  f"{GITHUB_HOST}:sub": f"{repo}:ref:refs/heads/main"}})],
                inline=[("assume-deploy-roles", _doc(_allow(["sts:AssumeRole", "sts:TagSession"],
                                                            "arn:aws:iam::*:role/deploy/*")))],
                managed=["TerraformStateAccess"], tags=self.tags("platform")),
            self.role("build-runner", "/ci/", [_trust({"Service": "codebuild.amazonaws.com"})],
                      inline=[("assume-deploy-and-app-roles", _doc(_allow(
                          ["sts:AssumeRole", "sts:TagSession"],
                          ["arn:aws:iam::*:role/deploy/*", f"arn:aws:iam::{a}:role/app/*"])))],
                      tags=self.tags("platform")),
            self.role("PlatformAdmin", "/admin/", [_trust(
                {"AWS": f"arn:aws:iam::{a}:root"}, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})],
                inline=[("assume-anything", _doc(_allow("sts:AssumeRole", "*")))],
                managed=["ReadOnlyAccess"], tags=self.tags("platform")),
        ]

    # ------------------------------------------------------------------ roles by trust kind

    def service_linked_role(self, name: str, service: str, policy: str) -> Json:
        return self.role(name, f"/aws-service-role/{service}/", [_trust({"Service": service})],
                         managed=[policy])

    def sso_role(self, permission_set: str, managed: Sequence[str], inline: bool) -> Json:
        suffix = _hex(16, self.org.seed, "ps", self.a, permission_set)
        name = self.unique_role_name(f"AWSReservedSSO_{permission_set}_{suffix}")
        policies: list[tuple[str, Json]] = []
        if inline:
            policies.append(("AwsSSOInlinePolicy", _doc(
                _allow(["sts:AssumeRole"],
                       [f"arn:aws:iam::{self.a}:role/app/*", f"arn:aws:iam::{self.a}:role/ops/*"]),
                _allow(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::example-corp-*"))))
        return self.role(name, "/aws-reserved/sso.amazonaws.com/", [_trust(
            {"Federated": self.idc_provider}, ["sts:AssumeRoleWithSAML", "sts:TagSession"],
            {"StringEquals": {"SAML:aud": SAML_AUD}})], inline=policies, managed=managed)

    def idc_role(self, ps: _PermissionSet) -> Json:
        """The role Identity Center provisions for permission set ``ps`` in this account."""
        name = self.unique_role_name(_sso_role_name(self.org.seed, self.a, ps.name))
        inline = [("AwsSSOInlinePolicy", IDC_INLINE_POLICY)] if ps.inline else []
        return self.role(name, _sso_path(REGION), [_trust(
            {"Federated": self.idc_provider}, ["sts:AssumeRoleWithSAML", "sts:TagSession"],
            {"StringEquals": {"SAML:aud": SAML_AUD}})], inline=inline, managed=[*ps.managed, *ps.customer],
            boundary=ps.boundary)

    def idc_pending(self) -> list[_PermissionSet]:
        """Identity Center roles of this account not built yet (the security account's SecurityResponder is
        a fixed role)."""
        idc = self.org.idc
        if idc is None:
            return []
        return [ps for ps in idc.roles_for(self.a)
                if _sso_role_name(self.org.seed, self.a, ps.name) not in self.role_names]

    def app_name(self, suffix: str) -> tuple[str, str]:
        app = self.rng.choice(APPS)
        return app, self.unique_role_name(f"{app}-{self.rng.choice(COMPONENTS)}-{suffix}")

    def app_inline(self, app: str) -> tuple[str, Json]:
        a, env = self.a, self.acct.kind
        bucket = f"arn:aws:s3:::example-corp-{app}-{env}-{a}"
        return (f"{app}-access", _doc(
            _allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket"], [bucket, f"{bucket}/*"]),
            _allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
                   f"arn:aws:dynamodb:{REGION}:{a}:table/{app}-*"),
            _allow(["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"],
                   f"arn:aws:sqs:{REGION}:{a}:{app}-*")))

    def assume_grant(self, app: str) -> tuple[str, Json]:
        """An identity-side sts:AssumeRole grant, wildcards included, as real accounts accumulate them."""
        org, a, rng = self.org, self.a, self.rng
        roll = rng.random()
        if roll < 0.25:
            resource: Any = f"arn:aws:iam::{a}:role/app/{app}-*"
        elif roll < 0.45:
            resource = f"arn:aws:iam::{a}:role/*"
        elif roll < 0.6:
            resource = "arn:aws:iam::*:role/deploy/*"
        elif roll < 0.72:
            other = rng.choice(org.members)
            resource = f"arn:aws:iam::{other.account_id}:role/cross-account/*"
        elif roll < 0.82:
            resource = [f"arn:aws:iam::{org.shared}:role/*", f"arn:aws:iam::{org.security}:role/security/*"]
        elif roll < 0.92:
            resource = "*"
        else:
            return ("assume-except-break-glass", _doc(
                {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
                 "NotResource": "arn:aws:iam::*:role/break-glass/*"}))
        action = "sts:AssumeRole" if rng.random() < 0.8 else "sts:Assume*"
        return ("assume-roles", _doc(_allow(action, resource)))

    def service_role(self) -> Json:
        rng = self.rng
        service, suffix, managed, profile, _ = rng.choices(SERVICES, weights=_SERVICE_WEIGHTS)[0]
        app, name = self.app_name(suffix)
        principal: Json = {"Service": service}
        if service == "lambda.amazonaws.com" and rng.random() < 0.1:
            principal = {"Service": ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]}
        condition = None
        if rng.random() < 0.25:
            condition = {"StringEquals": {"aws:SourceAccount": self.a}}
        inline = [self.app_inline(app)]
        if rng.random() < 0.08:
            inline.append(self.assume_grant(app))
        extra = []
        if rng.random() < 0.3:
            extra.append(rng.choice(("CloudWatchLogsWriter", "KMSDecryptShared", "DataLakeRead")))
        path = rng.choice(("/service-role/", "/", "/app/", "/app/"))
        return self.role(name, path, [_trust(principal, condition=condition)],
                         inline=inline, managed=[*managed, *extra], instance_profile=profile,
                         boundary="WorkloadBoundary" if rng.random() < 0.15 else None,
                         tags=self.tags() if rng.random() < 0.7 else [])

    def same_account_role(self, peers: Sequence[str], users: Sequence[Json]) -> Json:
        rng, a = self.rng, self.a
        app, name = self.app_name(rng.choice(("operator", "admin", "support", "readonly", "deployer")))
        principals: list[str] = []
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            roll = rng.random()
            if roll < 0.7 and peers:
                principals.append(rng.choice(peers))
            elif roll < 0.85 and users:
                principals.append(rng.choice(users)["Arn"])
            elif roll < 0.92 and peers:
                role_name = rng.choice(peers).rsplit("/", 1)[1]  # session ARNs carry no path
                principals.append(f"arn:aws:sts::{a}:assumed-role/{role_name}/{rng.choice(FIRST)}")
            else:
                # A principal that was deleted after the policy was saved: IAM shows its unique id.
                principals.append(self.uid("AROA", "deleted", name, len(principals)))
        trust = [_trust({"AWS": principals[0] if len(principals) == 1 else principals})]
        if rng.random() < 0.1:
            trust.append(_trust({"AWS": f"arn:aws:iam::{a}:root"},
                                condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{a}:role/ops/*"}}))
        inline = [self.app_inline(app)]
        if rng.random() < 0.3:
            inline.append(self.assume_grant(app))
        return self.role(name, rng.choice(("/app/", "/ops/")), trust, inline=inline,
                         managed=["ReadOnlyAccess"] if rng.random() < 0.4 else [],
                         boundary="DeveloperBoundary" if rng.random() < 0.1 else None, tags=self.tags())

    def cross_account_role(self) -> Json:
        org, rng, a = self.org, self.rng, self.a
        app, name = self.app_name(rng.choice(("reader", "writer", "audit", "access", "replication")))
        roll = rng.random()
        if roll < 0.3:
            other = org.by_kind["shared-services"][0]
        elif roll < 0.45:
            other = org.by_kind["security"][0]
        elif roll < 0.93:
            other = rng.choice(org.accounts)
        else:
            other = None
        if other is not None and other.account_id == a:
            # A trust on the role's own account is the same_account kind; keep this one cross-account.
            other = org.by_kind["shared-services" if self.acct.kind != "shared-services" else "security"][0]
        x = other.account_id if other else rng.choice(EXTERNAL_ACCOUNTS)
        form = rng.random()
        if other is not None and form < 0.25 and org.known_roles(other):
            principal: Any = rng.choice(org.known_roles(other))
        elif form < 0.4:
            # IAM may rewrite a bare id to the root ARN on save, but IaC and older exports keep it.
            principal = x
        else:
            principal = f"arn:aws:iam::{x}:root"
        condition: Json | None = None
        roll = rng.random()
        if roll < 0.3:
            prefix = rng.choice(("app", "ci", "ops"))
            condition = {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{x}:role/{prefix}/*"}}
        elif roll < 0.45:
            condition = {"StringEquals": {"sts:ExternalId": _hex(20, org.seed, "ext", a, name)}}
        elif roll < 0.55:
            condition = {"StringEquals": {"aws:PrincipalOrgID": org.org_id}}
        elif roll < 0.62:
            condition = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
        inline = [self.app_inline(app)]
        if rng.random() < 0.15:
            inline.append(self.assume_grant(app))
        return self.role(name, "/cross-account/", [_trust({"AWS": principal}, condition=condition)],
                         inline=inline,
                         managed=[rng.choice(("ReadOnlyAccess", "SecurityAudit", "AmazonS3ReadOnlyAccess"))],
                         tags=self.tags())

    def saml_roles(self, count: int) -> list[Json]:
        rng, roles = self.rng, []
        if self.org.idc is not None:
            # The assignments decide which AWSReservedSSO roles exist; Okta roles fill the other slots.
            roles += [self.idc_role(ps) for ps in self.idc_pending()]
        else:
            sets = list(PERMISSION_SETS)
            rng.shuffle(sets)
            for permission_set, managed, inline in sets[:count]:
                roles.append(self.sso_role(permission_set, managed, inline))
        for _ in range(count - len(roles)):
            team = rng.choice(TEAMS)
            name = self.unique_role_name(f"okta-{team}-{rng.choice(('admin', 'developer', 'readonly'))}")
            roles.append(self.role(name, "/federated/", [_trust(
                {"Federated": f"arn:aws:iam::{self.a}:saml-provider/Okta"}, "sts:AssumeRoleWithSAML",
                {"StringEquals": {"SAML:aud": SAML_AUD}})],
                managed=[rng.choice(("ReadOnlyAccess", "PowerUserAccess", "ViewOnlyAccess"))],
                inline=[self.assume_grant(team)] if rng.random() < 0.2 else [], tags=self.tags(team)))
        return roles

    def oidc_role(self) -> Json:
        rng, a = self.rng, self.a
        if rng.random() < 0.6:
            app = rng.choice(APPS)
            name = self.unique_role_name(f"github-{app}-{rng.choice(('deploy', 'plan', 'publish'))}")
            repo = f"repo:{GITHUB_ORG}/{app}-service"
            roll = rng.random()
            cond: Json = {"StringEquals": {f"{GITHUB_HOST}:aud": "sts.amazonaws.com"}}
            if roll < 0.35:
                cond["StringEquals"][f"{GITHUB_HOST}:sub"] = f"{repo}:ref:refs/heads/main"
            elif roll < 0.6:
                cond["StringEquals"][f"{GITHUB_HOST}:sub"] = f"{repo}:environment:{self.acct.kind}"
            elif roll < 0.9:
                cond["StringLike"] = {f"{GITHUB_HOST}:sub": f"{repo}:*"}
            elif roll < 0.96:
                wide = rng.choice((f"repo:{GITHUB_ORG}/*", "repo:*", "*"))
                cond["StringLike"] = {f"{GITHUB_HOST}:sub": wide}
            # else: no sub condition at all, which any GitHub repository satisfies
            inline = [self.app_inline(app),
                      ("pass-app-roles", _doc(_allow("iam:PassRole", f"arn:aws:iam::{a}:role/app/*")))]
            if rng.random() < 0.25:
                inline.append(self.assume_grant(app))
            return self.role(name, "/github/", [_trust({"Federated": self.github_provider},
                                                        "sts:AssumeRoleWithWebIdentity", cond)],
                             inline=inline, managed=["TerraformStateAccess"] if rng.random() < 0.4 else [],
                             tags=self.tags())
        host = rng.choice(self.eks_hosts)
        app = rng.choice(APPS)
        sa = f"{app}-{rng.choice(COMPONENTS)}"
        name = self.unique_role_name(f"{sa}-irsa")
        sub_op = "StringLike" if rng.random() < 0.15 else "StringEquals"
        sub = f"system:serviceaccount:{app}:" + ("*" if sub_op == "StringLike" else sa)
        cond = {"StringEquals": {f"{host}:aud": "sts.amazonaws.com"}}
        cond.setdefault(sub_op, {})[f"{host}:sub"] = sub
        return self.role(name, "/eks/", [_trust({"Federated": f"arn:aws:iam::{a}:oidc-provider/{host}"},
                                                 "sts:AssumeRoleWithWebIdentity", cond)],
                         inline=[self.app_inline(app)], tags=self.tags())

    def vendor_roles(self, count: int) -> list[Json]:
        rng, roles = self.rng, []
        start = rng.randrange(len(VENDORS))
        for k in range(count):
            vendor, vendor_account, base, managed = VENDORS[(start + k) % len(VENDORS)]
            name = self.unique_role_name(base)
            condition = None
            if rng.random() < 0.88:  # the rest forgot the ExternalId: confused-deputy exposure
                external_id = _hex(32, self.org.seed, "vendor", self.a, name)
                condition = {"StringEquals": {"sts:ExternalId": external_id}}
            roles.append(self.role(name, "/", [_trust({"AWS": f"arn:aws:iam::{vendor_account}:root"},
                                                      condition=condition)],
                                   managed=[managed], tags=[{"Key": "vendor", "Value": vendor}]))
        return roles

    def org_wildcard_role(self) -> Json:
        org, rng = self.org, self.rng
        app, name = self.app_name(rng.choice(("org-reader", "shared-access", "org-publisher")))
        roll = rng.random()
        if roll < 0.15:
            workloads = org.ous["Workloads"][0]
            condition: Json = {"ForAnyValue:StringLike": {
                "aws:PrincipalOrgPaths": f"{org.org_id}/{org.root_id}/{workloads}/*"}}
        else:
            condition = {"StringEquals": {"aws:PrincipalOrgID": org.org_id}}
            if roll > 0.3:
                condition["ArnLike"] = {"aws:PrincipalArn": f"arn:aws:iam::*:role/app/{app}-*"}
        return self.role(name, "/shared/", [_trust({"AWS": "*"}, condition=condition)],
                         inline=[self.app_inline(app)], tags=self.tags())

    # ------------------------------------------------------------------ document

    def build(self) -> Json:
        groups = self.groups()
        users = self.users()
        roles = self.fixed_roles()
        slots = max(0, self.n_roles - len(roles))
        counts = self.org.mix.counts(slots, self.rng)
        if self.org.idc is not None:
            # Identity Center roles are as many as the permission sets provisioned here: take the slots
            # they need beyond the federated_saml share from the service roles, keeping the count exact.
            short = len(self.idc_pending()) - counts["federated_saml"]
            if short > 0:
                moved = min(short, counts["service"])
                counts["service"] -= moved
                counts["federated_saml"] += moved

        slr_pool = [s for s in SERVICE_LINKED if s[0] not in self.role_names]
        self.rng.shuffle(slr_pool)
        n_slr = min(counts["service_linked"], len(slr_pool))
        # SLRs beyond the catalogue become ordinary service roles, keeping the role count exact.
        counts["service"] += counts["service_linked"] - n_slr
        for name, service, policy in sorted(slr_pool[:n_slr]):
            roles.append(self.service_linked_role(name, service, policy))
            self.role_names.add(name)
        roles += [self.service_role() for _ in range(counts["service"])]
        roles += self.saml_roles(counts["federated_saml"])
        roles += [self.oidc_role() for _ in range(counts["federated_oidc"])]
        roles += self.vendor_roles(counts["vendor"])
        roles += [self.cross_account_role() for _ in range(counts["cross_account"])]
        roles += [self.org_wildcard_role() for _ in range(counts["org_wildcard"])]
        # Same-account trusts name roles built so far, so chains form inside the account.
        peers = [r["Arn"] for r in roles if not r["Path"].startswith("/aws-service-role/")]
        for _ in range(counts["same_account"]):
            entry = self.same_account_role(peers, users)
            roles.append(entry)
            peers.append(entry["Arn"])

        # IAM lists entities by name, case-insensitively.
        roles.sort(key=lambda r: (r["RoleName"].lower(), r["RoleName"]))
        users.sort(key=lambda u: (u["UserName"].lower(), u["UserName"]))
        groups.sort(key=lambda g: g["GroupName"].lower())
        return {"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles,
                "Policies": self.policies_list(), "IsTruncated": False}


# ------------------------------------------------------------------------------- one account, wildcard grants

WILDCARD_ACCOUNT = "246813579024"


@dataclass(frozen=True)
class GeneratedAccount:
    """What :func:`generate_wildcard_account` wrote."""

    outdir: Path
    path: Path  # the one authorization-details file
    account_id: str
    target_role_arn: str  # team-0/platform-admin: trusts the account root, reachable through many patterns
    roles: int
    users: int
    groups: int
    grant_resources: int  # sts:AssumeRole resources written in identity policies, over all principals
    distinct_patterns: int  # distinct wildcard role patterns among them
    bytes_written: int


def generate_wildcard_account(outdir: Path, roles: int = 2000, users: int | None = None,
                              patterns_per_principal: int = 6, seed: int = 7,
                              wildcards: bool = True) -> GeneratedAccount:
    """One account whose principals hold sts:AssumeRole (or `sts:*`, `*`) on many distinct wildcard role
    patterns: ``arn:aws:iam::ACCT:role/team-N/*``, ``…/team-N/<app>-*``, ``…/team-N/*-<component>-*``, ….

    Roles sit under ``/team-<N>/`` (about ten a team). Most trust the account root, so the graph build
    asks for each role which callers' grants cover it. Every role and user holds
    ``patterns_per_principal`` grant patterns, about half on its own team; 1 % are administrators
    (``*`` on ``*``) and 0.3 % operators (``NotResource`` team-0). ``users`` defaults to roles / 4.

    ``wildcards=False`` writes the same account with every pattern replaced by the role ARNs it matches
    (a pattern matching none is left out): the same graph, without wildcard grants, for comparison.
    Writes ``<outdir>/<account>.json``; the output depends only on the arguments.
    """
    if roles < 10:
        raise ValueError("roles must be >= 10")
    users = roles // 4 if users is None else users
    if users < 0 or patterns_per_principal < 0:
        raise ValueError("users and patterns_per_principal must be >= 0")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    a = WILDCARD_ACCOUNT
    # The random draws do not depend on `wildcards`: both variants describe the same principals.
    rng = random.Random(f"trustgraph-bench/wildcard/{seed}/{roles}/{users}/{patterns_per_principal}")
    teams = max(4, roles // 10)
    root = f"arn:aws:iam::{a}:root"

    def uid(prefix: str, *parts: object) -> str:
        return prefix + _encode(_digest(seed, "wildcard", prefix, *parts), ALPHA32, 17)

    # Pass 1: names, so that grants and trusts can name principals that exist.
    slots: list[tuple[int, str, str, str]] = []  # (team, app, component, name)
    for i in range(roles):
        team, app, component = i % teams, rng.choice(APPS), rng.choice(COMPONENTS)
        name = "platform-admin" if i == 0 else f"{app}-{component}-{i:05d}"
        slots.append((team, app, component, name))
    role_arns = [f"arn:aws:iam::{a}:role/team-{t}/{name}" for t, _, _, name in slots]
    by_team: dict[int, list[int]] = {}
    for i, (t, _, _, _) in enumerate(slots):
        by_team.setdefault(t, []).append(i)
    user_names = [f"{rng.choice(FIRST)}.{rng.choice(LAST)}.{k:04d}" for k in range(users)]
    user_arns = [f"arn:aws:iam::{a}:user/people/{n}" for n in user_names]

    resources_written = 0
    patterns: set[str] = set()

    def expand(pattern: str) -> list[str]:
        """The role ARNs a pattern matches (role ARNs have no ':' in the resource, so a plain glob)."""
        regex = re.compile("".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern))
        team = int(pattern.split("/team-", 1)[1].split("/", 1)[0])
        return [role_arns[i] for i in by_team.get(team, ()) if regex.fullmatch(role_arns[i])]

    def grant_resources(own_team: int) -> list[str]:
        out: list[str] = []
        for _ in range(patterns_per_principal):
            t = own_team if rng.random() < 0.5 else rng.randrange(teams)
            app, component = rng.choice(APPS), rng.choice(COMPONENTS)
            form = rng.randrange(5)
            prefix = f"arn:aws:iam::{a}:role/team-{t}/"
            out.append(prefix + ("*", f"{app}-*", f"*-{component}-*", f"{app}-{component}-*",
                                 f"{app}-{component}-0????")[form])
        return out

    def identity_statements(own_team: int) -> list[Json]:
        nonlocal resources_written
        roll = rng.random()
        if roll < 0.01:  # administrators: everything
            resources_written += 1
            return [_allow("*")]
        if roll < 0.013:  # operators: every role but team-0's
            resources_written += 1
            return [{"Effect": "Allow", "Action": "sts:AssumeRole", "NotResource": f"arn:aws:iam::{a}:role/team-0/*"}]
        resources = grant_resources(own_team)
        statements = []
        cut = max(1, len(resources) // 2)
        for chunk in (resources[:cut], resources[cut:]):
            action = rng.choice(("sts:AssumeRole", "sts:AssumeRole", "sts:*", "*", "sts:Assume*"))
            if not wildcards:
                chunk = list(dict.fromkeys(arn for pattern in chunk for arn in expand(pattern)))
            else:
                patterns.update(chunk)
            resources_written += len(chunk)
            if chunk:
                statements.append(_allow(action, chunk if len(chunk) > 1 else chunk[0]))
        return statements

    def work_statement(team: int) -> Json:
        bucket = f"arn:aws:s3:::example-corp-team-{team}"
        return _allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket"], [bucket, f"{bucket}/*"])

    created = EPOCH_2016 + 30 * DAY
    role_entries: list[Json] = []
    for i, (team, _app, _component, name) in enumerate(slots):
        path = f"/team-{team}/"
        roll = rng.random()
        condition: Json | None = None
        if i == 0 or roll < 0.55:
            principal: Json = {"AWS": root}
            if i and rng.random() < 0.1:
                condition = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
        elif roll < 0.7:
            principal = {"AWS": root}
            condition = {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{a}:role/team-{rng.randrange(teams)}/*"}}
        elif roll < 0.85:
            named = [rng.choice(role_arns if rng.random() < 0.7 or not user_arns else user_arns)
                     for _ in range(rng.choice((1, 1, 2, 3)))]
            named = [x for x in dict.fromkeys(named) if x != role_arns[i]] or [root]
            principal = {"AWS": named[0] if len(named) == 1 else named}
        else:
            principal = {"Service": rng.choice(SERVICES)[0]}
        role_entries.append({
            "Path": path, "RoleName": name, "RoleId": uid("AROA", name), "Arn": role_arns[i],
            "CreateDate": _iso(created + rng.randrange(900) * DAY),
            "AssumeRolePolicyDocument": _doc(_trust(principal, condition=condition)),
            "InstanceProfileList": [],
            "RolePolicyList": [{"PolicyName": "team-access",
                                "PolicyDocument": _doc(work_statement(team), *identity_statements(team))}],
            "AttachedManagedPolicies": [], "Tags": [{"Key": "team", "Value": f"team-{team}"}], "RoleLastUsed": {}})

    n_groups = min(8, max(1, users // 50))
    groups = []
    for g in range(n_groups):
        team = rng.randrange(teams)
        groups.append({"Path": "/", "GroupName": f"team-{team}-members-{g}", "GroupId": uid("AGPA", g),
                       "Arn": f"arn:aws:iam::{a}:group/team-{team}-members-{g}", "CreateDate": _iso(created),
                       "GroupPolicyList": [{"PolicyName": "team-roles",
                                            "PolicyDocument": _doc(*identity_statements(team))}],
                       "AttachedManagedPolicies": []})
    user_entries: list[Json] = []
    for k, name in enumerate(user_names):
        team = rng.randrange(teams)
        user_entries.append({
            "Path": "/people/", "UserName": name, "UserId": uid("AIDA", name), "Arn": user_arns[k],
            "CreateDate": _iso(created + rng.randrange(900) * DAY),
            "UserPolicyList": [{"PolicyName": "team-access",
                                "PolicyDocument": _doc(work_statement(team), *identity_statements(team))}],
            "GroupList": [groups[rng.randrange(n_groups)]["GroupName"]] if groups and rng.random() < 0.5 else [],
            "AttachedManagedPolicies": [], "Tags": []})

    doc = {"UserDetailList": user_entries, "GroupDetailList": groups, "RoleDetailList": role_entries,
           "Policies": [], "IsTruncated": False}
    data = json.dumps(doc, separators=(",", ":")).encode("ascii")
    path = outdir / f"{a}.json"
    path.write_bytes(data)
    return GeneratedAccount(outdir=outdir, path=path, account_id=a, target_role_arn=role_arns[0], roles=roles,
                            users=users, groups=n_groups, grant_resources=resources_written,
                            distinct_patterns=len(patterns), bytes_written=len(data))


# --------------------------------------------------------------------------------------------- CLI


def _parse_mix(text: str) -> TrustMix:
    known = {f.name for f in fields(TrustMix)}
    values: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, value = item.partition("=")
        if key not in known:
            raise argparse.ArgumentTypeError(f"unknown trust kind {key!r}; expected one of {sorted(known)}")
        try:
            values[key] = float(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{key}: {value!r} is not a number") from exc
    try:
        return TrustMix(**values)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _parse_identity_center(text: str) -> IdentityCenterSpec:
    try:
        return IdentityCenterSpec.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=50, help="accounts in the organization (>= 4)")
    parser.add_argument("--roles-per-account", type=int, default=100)
    parser.add_argument("--users-per-account", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mix", type=_parse_mix, default=None,
                        help="trust-kind shares overriding the defaults, e.g. 'service=0.5,org_wildcard=0'")
    parser.add_argument("--style", choices=(*STYLES, "wildcard-account"), default="default",
                        help="default; org-wide (org-wide pattern trusts in every account); wildcard-account "
                             "(ONE account of --roles-per-account roles and --users-per-account users whose "
                             "grants name many wildcard role patterns; --accounts and --mix are ignored)")
    parser.add_argument("--patterns-per-principal", type=int, default=6,
                        help="wildcard-account only: grant patterns per principal (default 6)")
    parser.add_argument("--no-wildcards", action="store_true",
                        help="wildcard-account only: write each pattern as the role ARNs it matches instead")
    parser.add_argument("--identity-center", type=_parse_identity_center, default=None,
                        metavar="USERS,GROUPS,PERMISSION_SETS,ASSIGNMENTS",
                        help="also write identity-center.json (IAM Identity Center people, groups, permission "
                             "sets, account assignments) and provision the AWSReservedSSO_* roles from the "
                             "assignments, e.g. 10000,300,60,30000 (default: off)")
    parser.add_argument("-o", "--outdir", type=Path, required=True)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    if args.style == "wildcard-account":
        if args.identity_center is not None:
            parser.error("--identity-center needs an organization (style default or org-wide)")
        try:
            one = generate_wildcard_account(args.outdir, args.roles_per_account, args.users_per_account,
                                            args.patterns_per_principal, seed=args.seed,
                                            wildcards=not args.no_wildcards)
        except ValueError as exc:
            parser.error(str(exc))
        print(f"wrote {one.path} in {time.perf_counter() - started:.1f}s ({one.bytes_written / 1e6:.1f} MB)")
        print(f"roles={one.roles} users={one.users} groups={one.groups} grant_resources={one.grant_resources} "
              f"distinct_patterns={one.distinct_patterns}")
        print(f"target_role_arn={one.target_role_arn}")
        return 0
    try:
        result = generate(args.outdir, args.accounts, args.roles_per_account, args.users_per_account,
                          seed=args.seed, mix=args.mix, style=args.style, identity_center=args.identity_center)
    except ValueError as exc:
        parser.error(str(exc))
    elapsed = time.perf_counter() - started

    written = {p.name for p in result.account_paths} | {result.organization_path.name}
    if result.identity_center_path is not None:
        written.add(result.identity_center_path.name)
    stale = sorted(p.name for p in result.outdir.glob("*.json") if p.name not in written)
    if stale:
        print(f"warning: {len(stale)} other .json files in {result.outdir} (e.g. {stale[0]}); "
              "loaders reading the whole directory will pick them up", file=sys.stderr)
    also = " + identity-center.json" if result.identity_center_path is not None else ""
    print(f"wrote {len(result.account_paths)} account files + organization.json{also} to {result.outdir} "
          f"in {elapsed:.1f}s ({result.bytes_written / 1e6:.1f} MB)")
    print(f"roles={result.roles} users={result.users} groups={result.groups} policies={result.policies}")
    print(f"sensitive_role_arn={result.sensitive_role_arn}")
    print(f"ci_principal_arn={result.ci_principal_arn}")
    if result.sso_admin_role_arn is not None:
        print(f"sso_admin_role_arn={result.sso_admin_role_arn}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
