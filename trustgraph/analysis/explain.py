"""A trust policy in plain words: who may assume the role, what else each needs, and what looks risky."""

from __future__ import annotations

from dataclasses import dataclass, field

from trustgraph.analysis.findings import find
from trustgraph.model import Condition, Role, Snapshot
from trustgraph.policy.conditions import unresolved_template
from trustgraph.policy.placeholders import placeholders
from trustgraph.policy.principals import PrincipalRef, classify_principal
from trustgraph.policy.statements import covers_action
from trustgraph.policy.trust import compile_trust

SERVICE_WORDS = {
    "ec2.amazonaws.com": "the EC2 service, for instances this role is attached to (instance profile)",
    "lambda.amazonaws.com": "the Lambda service, for functions that run with this role",
    "ecs-tasks.amazonaws.com": "ECS, for tasks that run with this role",
    "codebuild.amazonaws.com": "CodeBuild, for build projects that use this role",
    "cloudformation.amazonaws.com": "CloudFormation, for stacks deployed with this role",
    "states.amazonaws.com": "Step Functions, for state machines that run with this role",
    "glue.amazonaws.com": "Glue, for jobs that run with this role",
    "sagemaker.amazonaws.com": "SageMaker, for notebooks and jobs that run with this role",
    "pods.eks.amazonaws.com": "EKS Pod Identity, for pods associated with this role",
}
UNSETTLED_HINT = {
    "sts:externalid": "the caller must send this ExternalId",
    "aws:multifactorauthpresent": "the caller must have signed in with MFA",
    "aws:sourceip": "the call must come from these addresses",
}


@dataclass(slots=True)
class PrincipalExplanation:
    principal: str
    form: str
    meaning: str
    needs: list[str] = field(default_factory=list)


@dataclass(slots=True)
class StatementExplanation:
    statement: str
    effect: str
    actions: list[str]
    principals: list[PrincipalExplanation]
    conditions: list[str]
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TrustExplanation:
    role: str
    account: str
    statements: list[StatementExplanation]
    warnings: list[str]


def condition_words(c: Condition) -> str:
    values = ", ".join(repr(v) for v in c.values)
    text = f"{c.key} {c.operator} {values}"
    if unresolved_template(c):
        return f"{text} (not evaluated: a template placeholder, filled in when the template is deployed)"
    hint = UNSETTLED_HINT.get(c.key.lower())
    return f"{text} ({hint})" if hint else text


def _meaning(ref: PrincipalRef, role: Role) -> PrincipalExplanation:
    same = ref.account == role.account
    out = PrincipalExplanation(ref.written, ref.kind, "")
    if ref.kind == "unresolved":
        out.meaning = (f"not evaluated: {ref.written} holds template placeholders (Terraform, CloudFormation); "
                       "who it names is decided when the template is deployed")
        return out
    if ref.kind == "account":
        where = "this account" if same else f"account {ref.account} (another account)"
        out.meaning = f"principals of {where} whose own permission policies allow sts:AssumeRole on this role"
        out.needs.append("an identity policy Allow for sts:AssumeRole on this role ARN in the caller's account")
        if not same:
            out.needs.append("that account's SCPs and the caller's permissions boundary must allow it")
    elif ref.kind == "public":
        out.meaning = ("any AWS principal: in this account with no further permission, in every other AWS account "
                       "with an identity policy that its own administrator writes")
    elif ref.kind in ("user", "role"):
        out.meaning = f"the IAM {ref.kind} {ref.written}"
        out.needs.append("nothing else (same account), subject to its permissions boundary and explicit denies"
                         if same else "its own identity policy must allow sts:AssumeRole on this role")
    elif ref.kind == "session":
        out.meaning = f"only sessions named {ref.session_name!r} of role {ref.role_name} in account {ref.account}"
    elif ref.kind == "unique-id":
        out.meaning = (f"a deleted principal (unique id {ref.written}); a re-created principal with the same name "
                       "gets a new id and does not match")
    elif ref.kind == "service":
        out.meaning = SERVICE_WORDS.get(ref.written, f"the AWS service {ref.written}, acting for resources that "
                                        "use this role")
    elif ref.kind == "saml":
        out.meaning = f"users holding a SAML assertion from the identity provider {ref.written}"
        out.needs.append("sts:AssumeRoleWithSAML")
    elif ref.kind in ("oidc", "web-identity"):
        out.meaning = f"holders of a web identity (OIDC) token issued by {ref.written.split('/', 1)[-1]}"
        out.needs.append("sts:AssumeRoleWithWebIdentity")
    else:
        out.meaning = f"nothing: {ref.problem}"
    if ref.unresolved:
        out.meaning += (f" (not evaluated: {', '.join(placeholders(ref.written))} filled in when the template "
                        "is deployed)")
    return out


def _risks(role: Role) -> list[tuple[str | None, str]]:
    """(statement label, warning) from the findings rules that read the trust policy alone."""
    snapshot = Snapshot(roles={role.arn: role})
    return [(f.statement, f"[{f.rule} {f.severity.value}] {f.message}")
            for f in find(snapshot, None, families=("public", "federation", "third-party", "hygiene"))
            if f.role == role.arn]


def explain_role(role: Role) -> TrustExplanation:
    compiled = compile_trust(role)
    explanation = TrustExplanation(role.arn, role.account, [], [])
    if role.trust is not None and not role.trust.statements and role.trust.skipped:
        explanation.warnings.append(
            f"not evaluated: {len(role.trust.skipped)} statement(s) of the trust policy could not be read ("
            + "; ".join(sorted(set(role.trust.skipped))) + "); who can assume this role is not known")
        return explanation
    if role.trust is None or not role.trust.statements:
        explanation.warnings.append("the trust policy has no statements: nothing can assume this role")
        return explanation
    if role.service_linked:
        explanation.warnings.append("service-linked role: only its service can assume it, and its trust is fixed")
    risks = _risks(role)
    for st in role.trust.statements:
        refs = [classify_principal(t, v) for t, v in (st.principals or ())]
        actions = list(st.actions or []) or [f"every action except {', '.join(st.not_actions or [])}"]
        item = StatementExplanation(
            statement=st.label, effect=st.effect, actions=actions,
            principals=[_meaning(r, role) for r in refs],
            conditions=[condition_words(c) for c in st.conditions],
            warnings=[text for label, text in risks if label == st.label])
        if st.effect == "Allow" and not any(covers_action(st, a) for a in (
                "sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")):
            item.warnings.append("this statement allows no assume action")
        explanation.statements.append(item)
    labels = {st.label for st in role.trust.statements}
    explanation.warnings.extend(text for label, text in risks if label not in labels)
    seen = " ".join(w for s in explanation.statements for w in s.warnings) + " ".join(explanation.warnings)
    for problem in compiled.problems:
        if problem.message not in seen:
            explanation.warnings.append(f"statement {problem.statement}: {problem.message}")
    return explanation
