"""Accounts and services: vendors without ExternalId (TG301), unknown outside accounts (TG302), account-wide
trust (TG303), deleted principals (TG304), service trust open to the confused deputy (TG305)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from trustgraph.analysis.findings.context import FindingContext
from trustgraph.analysis.findings.helpers import (
    conditions_on,
    grants_assume,
    is_restricting,
    only_wildcards,
    principal_refs,
    statement_json,
    with_conditions,
)
from trustgraph.analysis.findings.model import Finding, Severity
from trustgraph.model import Role, Statement
from trustgraph.policy.principals import PrincipalRef
from trustgraph.policy.statements import covers_action

AWS_PRINCIPAL_KINDS = ("account", "user", "role", "session")
NARROWING_KEYS = ("aws:principalarn", "aws:userid", "aws:username")
SOURCE_KEYS = ("aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths", "aws:sourceowner",
               "sts:externalid")
# Services whose documentation asks for aws:SourceAccount / aws:SourceArn (or an ExternalId) in the trust
# policy of the role they assume, because a resource of another customer can name your role.
CONFUSED_DEPUTY_SERVICES = {
    "transfer.amazonaws.com": "https://docs.aws.amazon.com/transfer/latest/userguide/confused-deputy.html",
    "datasync.amazonaws.com":
        "https://docs.aws.amazon.com/datasync/latest/userguide/cross-service-confused-deputy-prevention.html",
    "bedrock.amazonaws.com":
        "https://docs.aws.amazon.com/bedrock/latest/userguide/cross-service-confused-deputy-prevention.html",
    "personalize.amazonaws.com":
        "https://docs.aws.amazon.com/personalize/latest/dg/cross-service-confused-deputy-prevention.html",
    "iot.amazonaws.com":
        "https://docs.aws.amazon.com/iot/latest/developerguide/cross-service-confused-deputy-prevention.html",
    "appsync.amazonaws.com":
        "https://docs.aws.amazon.com/appsync/latest/devguide/cross-service-confused-deputy-prevention.html",
    "scheduler.amazonaws.com":
        "https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html",
    "logs.amazonaws.com":
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateSubscriptionFilter-IAMrole.html",
    "cognito-idp.amazonaws.com":
        "https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-sms-settings.html",
    "firehose.amazonaws.com": "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html",
}


STACKSETS_ORG_ADMIN = (":role/aws-service-role/stacksets.cloudformation.amazonaws.com/"
                       "AWSServiceRoleForCloudFormationStackSetsOrgAdmin")


def management_pattern(role: Role, ref: PrincipalRef) -> str | None:
    """The AWS-designed cross-account pattern this (role, trusted principal) pair follows, if any: roles that AWS
    Organizations, Control Tower or CloudFormation StackSets create in member accounts, trusting the
    management (or StackSets administrator) account."""
    name = role.name
    if ref.kind == "account" and name == "OrganizationAccountAccessRole":
        return ("OrganizationAccountAccessRole, which AWS Organizations creates in the accounts it creates, trusting "
                "the organization's management account")
    if ref.kind == "account" and name == "AWSControlTowerExecution":
        return "AWSControlTowerExecution, which AWS Control Tower creates, trusting the management account"
    if name == "AWSCloudFormationStackSetExecutionRole" and (ref.kind == "account" or (
            ref.kind == "role" and ref.role_name == "AWSCloudFormationStackSetAdministrationRole")):
        return "the self-managed StackSets execution role, trusting the StackSets administrator account"
    if name.startswith("stacksets-exec-") and ref.kind == "role" and ref.written.endswith(STACKSETS_ORG_ADMIN):
        return ("the service-managed StackSets execution role, trusting the StackSets service-linked role of the "
                "organization's management (or delegated administrator) account")
    return None


def management_pattern_nodes(role: Role) -> dict[str, str]:
    """Graph node of each trusted principal of `role` that follows an AWS-designed management pattern → the pattern."""
    found: dict[str, str] = {}
    if role.trust is None:
        return found
    for st in role.trust.statements:
        if st.effect != "Allow":
            continue
        for ref in principal_refs(st):
            pattern = management_pattern(role, ref)
            if pattern:
                found[ref.node_id] = pattern
    return found


def _service_doc(service: str) -> str | None:
    if service in CONFUSED_DEPUTY_SERVICES:
        return CONFUSED_DEPUTY_SERVICES[service]
    parts = service.split(".")
    if len(parts) == 4 and parts[2:] == ["amazonaws", "com"]:  # regional form: logs.eu-west-1.amazonaws.com
        return CONFUSED_DEPUTY_SERVICES.get(f"{parts[0]}.amazonaws.com")
    return None


def _restricted_by(st: Statement, keys: tuple[str, ...]) -> list[str]:
    found = []
    for key in keys:
        for c in conditions_on(st, key):
            if is_restricting(c) and not any(only_wildcards(v) for v in c.values):
                found.append(c.key)
    return found


def _unique_id_live(ctx: FindingContext, unique_id: str) -> str | None:
    return ctx.by_unique_id.get(unique_id)


@dataclass(frozen=True, slots=True)
class _Denial:
    """An unconditional Deny statement of a trust, its principals indexed (written forms, whole accounts)."""

    statement: Statement
    public: bool
    written: frozenset[str]
    accounts: frozenset[str]


def trust_denials(role: Role) -> list[_Denial]:
    """The unconditional Deny statements of the role's trust, each read once: a lookup per trusted principal then
    costs the number of such statements, not the principals they name."""
    found: list[_Denial] = []
    for st in role.trust.statements if role.trust is not None else ():
        if st.effect != "Deny" or st.conditions:
            continue
        refs = principal_refs(st)
        found.append(_Denial(st, any(r.kind == "public" for r in refs), frozenset(r.written for r in refs),
                             frozenset(r.account for r in refs if r.kind == "account" and r.account)))
    return found


def denied_by_trust(role: Role, ref: PrincipalRef, denials: list[_Denial] | None = None) -> str | None:
    """The label of an unconditional Deny statement of the trust that covers every principal `ref` stands for.
    `denials`: `trust_denials(role)`, when the caller asks for many principals of one role."""
    for denial in trust_denials(role) if denials is None else denials:
        if not covers_action(denial.statement, ref.action):
            continue
        if denial.public or ref.written in denial.written or (ref.account or "") in denial.accounts:
            return denial.statement.label
    return None


def _aws_owned_finding(ctx: FindingContext, role: Role, st: Statement, ref: PrincipalRef) -> Iterator[Finding]:
    """An AWS-owned account (log delivery, image registries …): not a SaaS vendor, no ExternalId to ask for."""
    name = ctx.vendors.get(ref.account or "", "AWS")
    what = "every principal of" if ref.kind == "account" else f"the {ref.kind} {ref.written} of"
    yield ctx.finding(
        "TG302", role, ref.written,
        f"statement {st.label} trusts {what} {name} ({ref.account}), an account owned by AWS according to the "
        "known-accounts list, not a SaaS vendor: there is no ExternalId to require. AWS documents such accounts "
        "for its own service deliveries, rarely as role callers: confirm the trust is intended",
        statement=st, severity=Severity.LOW,
        remediation="Keep the statement only if the documentation of that AWS service asks for it (the known-accounts "
                    "entry names the page); otherwise remove it. AWS-owned accounts send no tenant id to check.",
        evidence={"aws_owned": True, "account_name": name, "external_account": ref.account,
                  "principal_form": ref.kind, "statement_json": statement_json(st)})


def _vendor_finding(ctx: FindingContext, role: Role, st: Statement, ref: PrincipalRef) -> Iterator[Finding]:
    if ctx.aws_owned(ref.account):
        yield from _aws_owned_finding(ctx, role, st, ref)
        return
    if _restricted_by(st, ("sts:externalid",)):
        return
    vendor = ctx.vendors.get(ref.account or "", "a known vendor")
    fixed = with_conditions(st, {"StringEquals": {"sts:ExternalId": "EXTERNAL-ID-FROM-" +
                                                  vendor.upper().replace(" ", "-")}},
                            only_principal=("AWS", ref.written))
    yield ctx.finding(
        "TG301", role, ref.written,
        f"statement {st.label} trusts {vendor} ({ref.account}) without sts:ExternalId: any other {vendor} "
        "customer can point the vendor at this role",
        statement=st, evidence={"vendor": vendor, "vendor_account": ref.account, "principal_form": ref.kind,
                                "statement_json": statement_json(st)}, fixed=fixed)


def _external_finding(ctx: FindingContext, role: Role, st: Statement, ref: PrincipalRef) -> Iterator[Finding]:
    account = ref.account or ""
    whole = ref.kind == "account"
    conditioned = bool(st.conditions)
    external_id = bool(_restricted_by(st, ("sts:externalid",)))
    severity = Severity.HIGH if whole and not conditioned else Severity.LOW if external_id else Severity.MEDIUM
    what = "every principal of account" if whole else f"the {ref.kind} {ref.written} of account"
    mitigations = []
    denial = ctx.org_denial(role, account)
    if denial:
        mitigations.append(f"{denial} denies principals outside the organization (no edge in the trust graph)")
        severity = Severity.LOW
    edge = ctx.edge(ref.node_id, role.arn)
    evidence: dict[str, object] = {"external_account": account, "principal_form": ref.kind,
                                   "conditions": [c.key for c in st.conditions],
                                   "statement_json": statement_json(st)}
    if edge is not None:
        evidence["graph_edge"] = {"conditional": edge.get("conditional", False),
                                  "conditions": edge.get("conditions", [])}
    elif ctx.graph.number_of_nodes():
        evidence["graph_edge"] = None
    cond_note = f" (conditions: {', '.join(sorted({c.key for c in st.conditions}))})" if conditioned else \
        " with no condition"
    pattern = management_pattern(role, ref)
    if pattern and ctx.org_id is None:
        # Without organization data the management account cannot be recognised as inside: say what is known.
        yield ctx.finding(
            "TG302", role, ref.written,
            f"statement {st.label} trusts {what} {account}{cond_note}: the AWS-designed pattern {pattern}. "
            f"{account} is outside this data set (no organization data was given), so it is most likely that "
            "account; add organization.json (or that account's data) to confirm",
            statement=st, severity=Severity.LOW,
            evidence={**evidence, "aws_pattern": pattern, "organization_data": False}, mitigated_by=mitigations)
        return
    fixed = with_conditions(st, {"StringEquals": {"sts:ExternalId": "UNIQUE-EXTERNAL-ID"}},
                            only_principal=("AWS", ref.written if not whole else
                                            f"arn:aws:iam::{account}:role/NAMED-ROLE"))
    where = "neither in the organization" if ctx.org_id else \
        "outside this data set (no organization data was given) and not"
    message = (f"statement {st.label} trusts {what} {account}{cond_note}; {account} is {where} "
               + ("nor a known vendor" if ctx.org_id else "a known vendor"))
    if pattern:
        message += f" (the trust follows the AWS-designed pattern {pattern}, yet {account} is not in it)"
    if external_id:
        message += " (the ExternalId suggests a third party: add it to the known-accounts file once identified)"
    if mitigations:
        message += f" (mitigated: {mitigations[0]})"
    yield ctx.finding("TG302", role, ref.written, message, statement=st, severity=severity, evidence=evidence,
                      fixed=fixed, mitigated_by=mitigations)


def _account_wide(ctx: FindingContext, role: Role, st: Statement, ref: PrincipalRef, cls: str) -> Iterator[Finding]:
    if _restricted_by(st, NARROWING_KEYS):
        return
    same = cls == "same-account"
    where = "this account" if same else f"account {ctx.account_label(ref.account)}"
    yield ctx.finding(
        "TG303", role, ref.written,
        f"statement {st.label} delegates to {where}: any principal there whose identity policy allows "
        "sts:AssumeRole on this role can assume it",
        statement=st, severity=Severity.INFO if same else None,
        evidence={"account": ref.account, "relation": cls, "principal_form": ref.kind,
                  "statement_json": statement_json(st)},
        fixed=with_conditions(st, {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ref.account}:role/NAMED-ROLE"}},
                              only_principal=("AWS", ref.written)))


def check_third_party(ctx: FindingContext, role: Role) -> Iterator[Finding]:
    if role.trust is None:
        return
    denials = trust_denials(role)
    for st in role.trust.statements:
        if st.effect != "Allow" or st.not_principals is not None or st.resources is not None \
                or st.not_resources is not None:
            continue
        for ref in principal_refs(st):
            if not grants_assume(st, ref):
                continue
            if ref.kind == "unique-id":
                live = _unique_id_live(ctx, ref.written)
                if live is None:
                    what = {"AROA": "role", "AIDA": "user"}.get(ref.written[:4], "principal")
                    yield ctx.finding(
                        "TG304", role, ref.written,
                        f"statement {st.label} names {ref.written}, the unique id of a deleted {what}: it "
                        "matches nothing, and a principal re-created under the old name would not match",
                        statement=st, evidence={"unique_id": ref.written, "statement_json": statement_json(st)})
                continue
            if ref.kind == "service":
                doc = _service_doc(ref.written)
                if doc and not _restricted_by(st, SOURCE_KEYS) and not role.service_linked:
                    yield ctx.finding(
                        "TG305", role, ref.written,
                        f"statement {st.label} lets {ref.written} assume this role for any customer's resource: "
                        "no aws:SourceAccount or aws:SourceArn condition",
                        statement=st, evidence={"service": ref.written, "service_documentation": doc,
                                                "statement_json": statement_json(st)},
                        fixed=with_conditions(st, {"StringEquals": {"aws:SourceAccount": role.account}},
                                              only_principal=("Service", ref.written)))
                continue
            if ref.kind not in AWS_PRINCIPAL_KINDS or ref.problem or not ref.account:
                continue
            if denied_by_trust(role, ref, denials):
                continue  # an unconditional Deny in the same trust cancels the grant (explicit Deny wins)
            cls = ctx.account_class(ref.account, role.account)
            if cls == "vendor":
                yield from _vendor_finding(ctx, role, st, ref)
            elif cls == "external":
                yield from _external_finding(ctx, role, st, ref)
            elif ref.kind == "account":
                yield from _account_wide(ctx, role, st, ref, cls)
