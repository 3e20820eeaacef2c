"""Federated trust (SEMANTICS §5.3): OIDC issuers shared by everyone, subjects that do not fix the owner,
missing audiences, Cognito identity pools, SAML without SAML:aud, and claim conditions that can never match.

A subject value is classified as one of:
  open    matches subjects of owners the role's account does not control (any repository, any project …)
  org     the owner is fixed but every repository/project of it matches (GitHub only: TG203)
  pinned  the owner and repository/project are fixed
  never   no token of this issuer can carry it (StringEquals with a literal wildcard, wrong format)
  unresolved  the value holds a template placeholder: not evaluated (TG502 says so)
Values of one condition are ORed (the weakest wins); several conditions on the key are ANDed (the
strongest wins).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from trustgraph.analysis.findings.context import FindingContext
from trustgraph.analysis.findings.helpers import (
    claim_conditions,
    grants_assume,
    is_restricting,
    only_wildcards,
    principal_refs,
    provider_host,
    statement_json,
    uses_wildcards,
    with_conditions,
)
from trustgraph.analysis.findings.model import Finding, Severity
from trustgraph.model import Condition, Role, Statement
from trustgraph.policy.conditions import parse_operator
from trustgraph.policy.placeholders import has_placeholder
from trustgraph.policy.principals import PrincipalRef

OPEN, ORG, PINNED, NEVER, MISSING = "open", "org", "pinned", "never", "missing"
UNRESOLVED = "unresolved"  # a template placeholder decides it (reported as not evaluated, TG502)
_WEAKNESS = {NEVER: 0, PINNED: 1, UNRESOLVED: 2, ORG: 3, OPEN: 4}

GITHUB_HOST = "token.actions.githubusercontent.com"
# GitHub claims that fix the repository owner when they come first in a subject (custom subject templates
# put the chosen claims in order); any other first claim (workflow, environment, ref, context …) is
# chosen by whoever writes the workflow, so another owner can produce the same subject.
GITHUB_OWNER_CLAIMS_SLASH = ("repo", "repository", "job_workflow_ref")  # value OWNER/REPO…
GITHUB_OWNER_CLAIMS_ATOM = ("repository_owner", "repository_owner_id", "repository_id", "enterprise",
                            "enterprise_id")  # value ends at the next ':'
# Provider-specific claim keys STS exposes for GitHub since 2026 (SEMANTICS §5.3 CLAIMS), each pinning the
# repository or its owner on its own.
GITHUB_CLAIM_KEYS = ("repository", "repository_id", "repository_owner", "repository_owner_id", "job_workflow_ref")
EKS_HOST = re.compile(r"^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/id/", re.IGNORECASE)
TFC_HOST = "app.terraform.io"
COGNITO_HOST = "cognito-identity.amazonaws.com"
BUILTIN_APP_KEYS = {"accounts.google.com": ("aud", "oaud", "sub", "azp"),
                    "graph.facebook.com": ("app_id", "id"),
                    "www.amazon.com": ("app_id", "user_id")}
EXPECTED_AUDIENCE = {"github": "sts.amazonaws.com", "eks": "sts.amazonaws.com", "tfc": "aws.workload.identity"}
GLOBAL_PREFIXES = ("aws", "sts", "iam", "saml", "ec2", "s3", "kms", "lambda", "ssm", "organizations")


@dataclass(frozen=True, slots=True)
class Provider:
    kind: str  # github | gitlab | tfc | eks | cognito | google | facebook | amazon | oidc | saml
    host: str
    shared: bool  # one issuer for every customer of the service

    @property
    def label(self) -> str:
        return {"github": "GitHub Actions", "gitlab": "GitLab", "tfc": "HCP Terraform (Terraform Cloud)",
                "eks": "EKS (IRSA)", "cognito": "Cognito identity pools", "google": "Google",
                "facebook": "Facebook", "amazon": "Login with Amazon", "saml": "SAML"}.get(self.kind, "OIDC")


def provider_of(ref: PrincipalRef) -> Provider | None:
    if ref.kind == "saml":
        return Provider("saml", ref.written, False)
    if ref.kind not in ("oidc", "web-identity"):
        return None
    host = provider_host(ref)
    low = host.lower()
    if low == GITHUB_HOST:
        return Provider("github", host, True)
    if low.startswith(GITHUB_HOST + "/") or low.endswith("/_services/token"):
        return Provider("github", host, False)  # enterprise-specific issuer or GitHub Enterprise Server
    if low == "gitlab.com":
        return Provider("gitlab", host, True)
    if "gitlab" in low:
        return Provider("gitlab", host, False)
    if low == TFC_HOST:
        return Provider("tfc", host, True)
    if EKS_HOST.match(low):
        return Provider("eks", host, False)
    if low == COGNITO_HOST:
        return Provider("cognito", host, True)
    if low == "accounts.google.com":
        return Provider("google", host, True)
    if low == "graph.facebook.com":
        return Provider("facebook", host, True)
    if low == "www.amazon.com":
        return Provider("amazon", host, True)
    return Provider("oidc", host, False)


# -- subject classification ---------------------------------------------------------------------------
def _prefix(value: str, like: bool) -> tuple[str, bool]:
    """The literal part of a value before its first wildcard, and whether a wildcard follows."""
    if not like:
        return value, False
    cut = min((i for i in (value.find("*"), value.find("?")) if i >= 0), default=-1)
    return (value, False) if cut < 0 else (value[:cut], True)


def classify_github(value: str, like: bool) -> str:
    prefix, wild = _prefix(value, like)
    if like and only_wildcards(value):
        return OPEN
    if ":" not in prefix:
        return OPEN if wild else NEVER
    claim, rest = prefix.split(":", 1)
    if claim in GITHUB_OWNER_CLAIMS_SLASH:
        if "/" not in rest:
            return OPEN if wild else NEVER  # repo:acme* also matches repo:acme-evil/…
        owner, repo = rest.split("/", 1)
        if not owner:
            return NEVER if not wild else OPEN
        if not like and ("*" in value or "?" in value):
            return NEVER  # StringEquals: the wildcard is a literal character no repository name has
        repo_name = repo.split(":", 1)[0]
        if wild and ":" not in repo:
            return ORG if repo_name == "" else PINNED if claim == "job_workflow_ref" else ORG
        return PINNED
    if claim in GITHUB_OWNER_CLAIMS_ATOM:
        if ":" in rest or not wild:
            if not like and ("*" in value or "?" in value):
                return NEVER
            return PINNED if claim in ("repository_id",) else (ORG if wild and rest.endswith(":") else PINNED)
        return OPEN
    # The first claim is one the workflow author chooses: any owner can mint this subject (or, with a
    # literal wildcard under StringEquals, still this exact text).
    return OPEN


def _classify_path_subject(value: str, like: bool, claim: str, owner_sep: str) -> str:
    """GitLab (`project_path:GROUP/PROJECT:…`) and HCP Terraform (`organization:ORG:…`) subjects."""
    prefix, wild = _prefix(value, like)
    if like and only_wildcards(value):
        return OPEN
    if not prefix.startswith(claim + ":"):
        if wild and (claim + ":").startswith(prefix):
            return OPEN
        return NEVER
    rest = prefix[len(claim) + 1:]
    if owner_sep not in rest:
        return OPEN if wild else (PINNED if owner_sep == ":" and rest and not like else NEVER)
    if not like and ("*" in value or "?" in value):
        return NEVER
    return PINNED


def classify_gitlab(value: str, like: bool) -> str:
    return _classify_path_subject(value, like, "project_path", "/")


def classify_tfc(value: str, like: bool) -> str:
    return _classify_path_subject(value, like, "organization", ":")


def classify_eks(value: str, like: bool) -> str:
    prefix, wild = _prefix(value, like)
    if like and only_wildcards(value):
        return OPEN
    head = "system:serviceaccount:"
    if not prefix.startswith(head):
        return OPEN if wild and head.startswith(prefix) else NEVER
    namespace_rest = prefix[len(head):]
    if ":" not in namespace_rest:
        return OPEN if wild else NEVER  # any namespace
    if not like and ("*" in value or "?" in value):
        return NEVER
    return ORG if wild and namespace_rest.endswith(":") else PINNED


CLASSIFIERS = {"github": classify_github, "gitlab": classify_gitlab, "tfc": classify_tfc, "eks": classify_eks}


def _condition_verdict(cond: Condition, classify) -> str:  # type: ignore[no-untyped-def]
    parsed = parse_operator(cond.operator)
    if parsed.negated or not parsed.known or parsed.base == "null":
        return OPEN
    like = uses_wildcards(cond)
    return max((UNRESOLVED if has_placeholder(v) else classify(v, like) for v in cond.values),
               key=lambda x: _WEAKNESS[x], default=OPEN)


def subject_verdict(st: Statement, provider: Provider) -> tuple[str, list[Condition]]:
    """(verdict, the conditions it rests on): MISSING when no condition on the subject at all."""
    classify = CLASSIFIERS[provider.kind]
    subs = claim_conditions(st, provider.host, "sub")
    verdicts = [(_condition_verdict(c, classify), c) for c in subs]
    if provider.kind == "github":
        for claim in GITHUB_CLAIM_KEYS:
            for c in claim_conditions(st, provider.host, claim):
                verdicts.append((_github_claim_verdict(c, claim), c))
    if not verdicts:
        return MISSING, []
    best = min(verdicts, key=lambda vc: _WEAKNESS[vc[0]])[0]
    return best, [c for v, c in verdicts if v == best] or [c for _, c in verdicts]


def _github_claim_verdict(cond: Condition, claim: str) -> str:
    if not is_restricting(cond):
        return OPEN
    like = uses_wildcards(cond)
    worst = NEVER
    for value in cond.values:
        prefix, wild = _prefix(value, like)
        if has_placeholder(value):
            verdict = UNRESOLVED
        elif like and only_wildcards(value):
            verdict = OPEN
        elif claim in ("repository", "job_workflow_ref"):
            verdict = OPEN if "/" not in prefix else (ORG if wild and prefix.endswith("/") else PINNED)
        else:
            verdict = OPEN if wild else PINNED
        worst = max(worst, verdict, key=lambda x: _WEAKNESS[x])
    return worst


# -- foreign keys: conditions on claims of another issuer never match ---------------------------------
def foreign_claim_conditions(st: Statement, provider: Provider) -> list[Condition]:
    out = []
    host = provider.host.lower()
    for c in st.conditions:
        key = c.key.lower()
        if ":" not in key or not is_restricting(c) or has_placeholder(c.key):
            continue
        prefix = key.rsplit(":", 1)[0]
        if prefix in GLOBAL_PREFIXES or prefix == host:
            continue
        if "." in prefix:  # an issuer-shaped prefix (host or host/path) that is not this principal's
            out.append(c)
    return out


def _literal_wildcard_audience(conds: list[Condition]) -> bool:
    return any(not uses_wildcards(c) and any(("*" in v or "?" in v) for v in c.values) for c in conds)


# -- audience ----------------------------------------------------------------------------------------
def _audience_problem(conds: list[Condition], expected: str | None) -> str | None:
    """None when fine; else a sentence saying what is wrong with the aud conditions."""
    if any(has_placeholder(v) for c in conds for v in c.values):
        return None  # filled in at deploy time: not evaluated (TG502)
    restricting = [c for c in conds if is_restricting(c)]
    if not restricting:
        ops = ", ".join(sorted({c.operator for c in conds}))
        return f"the audience test ({ops}) is negated or …IfExists, so it does not require an audience"
    for c in restricting:
        if uses_wildcards(c) and any(only_wildcards(v) for v in c.values):
            return f"{c.operator} {c.key} = {', '.join(c.values)} accepts any audience"
    if expected and not any(expected in c.values for c in restricting):
        values = ", ".join(sorted({v for c in restricting for v in c.values}))
        return (f"the audience is pinned to {values}, not {expected}: tokens must be requested with that "
                "custom audience")
    return None


# -- the rules ---------------------------------------------------------------------------------------
def _cond_dicts(conds: list[Condition]) -> list[dict[str, object]]:
    return [{"operator": c.operator, "key": c.key, "values": list(c.values)} for c in conds]


def _subject_fix(provider: Provider, conds: list[Condition]) -> tuple[str, str]:
    owner = "OWNER"
    for c in conds:
        for v in c.values:
            m = re.match(r"^(?:repo|project_path|organization):([A-Za-z0-9_.-]+)", v)
            if m:
                owner = m.group(1)
    if provider.kind == "github":
        return "StringEquals", f"repo:{owner}/REPOSITORY:ref:refs/heads/main"
    if provider.kind == "gitlab":
        return "StringEquals", f"project_path:{owner if owner != 'OWNER' else 'GROUP'}/PROJECT:ref_type:branch:ref:main"
    if provider.kind == "tfc":
        org = owner if owner != "OWNER" else "ORGANIZATION"
        return "StringLike", f"organization:{org}:project:PROJECT:workspace:WORKSPACE:run_phase:*"
    return "StringEquals", "system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT"


def _fixed_subject(st: Statement, ref: PrincipalRef, provider: Provider, conds: list[Condition]) -> dict[str, object]:
    op, value = _subject_fix(provider, conds)
    add: dict[str, dict[str, object]] = {op: {f"{provider.host}:sub": value}}
    expected = EXPECTED_AUDIENCE.get(provider.kind)
    if expected:
        add.setdefault("StringEquals", {})[f"{provider.host}:aud"] = expected
    return with_conditions(st, add, drop_keys=tuple(c.key for c in conds),
                           only_principal=("Federated", ref.written))


SUBJECT_RULE = {"github": "TG201", "gitlab": "TG204", "tfc": "TG205", "eks": "TG206"}
OPEN_RULE = {"github": "TG202", "gitlab": "TG204", "tfc": "TG205", "eks": "TG206"}


def _subject_findings(ctx: FindingContext, role: Role, st: Statement, ref: PrincipalRef,
                      provider: Provider) -> Iterator[Finding]:
    verdict, conds = subject_verdict(st, provider)
    base = {"provider": ref.written, "issuer": provider.host, "statement_json": statement_json(st),
            "subject_conditions": _cond_dicts(conds)}
    shared_note = "" if provider.shared else f" (issuer {provider.host} is specific to one tenant or instance)"
    lower = None if provider.shared or provider.kind == "eks" else Severity.HIGH if provider.kind == "github" \
        else Severity.MEDIUM
    who = {"github": "any workflow of any repository on GitHub", "gitlab": "any pipeline of any GitLab project",
           "tfc": "any HCP Terraform run of any organization",
           "eks": "any pod with any service account of the cluster"}[provider.kind]
    if verdict == MISSING:
        yield ctx.finding(
            SUBJECT_RULE[provider.kind], role, ref.written,
            f"{provider.label} trust in statement {st.label} has no condition on {provider.host}:sub: "
            f"{who} can assume this role{shared_note}",
            statement=st, severity=lower, evidence=base, fixed=_fixed_subject(st, ref, provider, conds))
    elif verdict == OPEN:
        values = ", ".join(f"{c.operator} {v!r}" for c in conds for v in c.values)
        if provider.kind == "github":
            why = ("the owner is not fixed (no slash after it, a wildcard, or a first claim the workflow "
                   "author chooses), so repositories of other owners match")
        elif provider.kind == "eks":
            why = "the namespace is not fixed, so service accounts of every namespace match"
        else:
            why = "the group/organization is not fixed, so other tenants' subjects match"
        yield ctx.finding(
            OPEN_RULE[provider.kind], role, ref.written,
            f"{provider.label} subject {values} in statement {st.label}: {why}{shared_note}",
            statement=st, severity=lower, evidence=base, fixed=_fixed_subject(st, ref, provider, conds))
    elif verdict == ORG and provider.kind == "github":
        values = ", ".join(repr(v) for c in conds for v in c.values)
        yield ctx.finding(
            "TG203", role, ref.written,
            f"GitHub subject {values} in statement {st.label} lets every repository of that owner assume "
            "this role", statement=st, evidence=base, fixed=_fixed_subject(st, ref, provider, conds))
    elif verdict == NEVER:
        values = ", ".join(f"{c.operator} {v!r}" for c in conds for v in c.values)
        yield ctx.finding(
            "TG213", role, ref.written,
            f"{provider.label} subject {values} in statement {st.label} can never match a real token "
            "(StringEquals treats * and ? literally, or the value is not in the issuer's subject format): "
            "the statement grants nothing", statement=st, evidence=base,
            fixed=_fixed_subject(st, ref, provider, conds))


def _audience_findings(ctx: FindingContext, role: Role, st: Statement, ref: PrincipalRef,
                       provider: Provider) -> Iterator[Finding]:
    auds = claim_conditions(st, provider.host, "aud")
    expected = EXPECTED_AUDIENCE.get(provider.kind)
    evidence = {"provider": ref.written, "issuer": provider.host, "audience_conditions": _cond_dicts(auds),
                "statement_json": statement_json(st)}
    fix_value = expected or "CLIENT_ID"
    fixed = with_conditions(st, {"StringEquals": {f"{provider.host}:aud": fix_value}},
                            drop_keys=tuple(c.key for c in auds), only_principal=("Federated", ref.written))
    if not auds:
        generic = provider.kind == "oidc"
        yield ctx.finding(
            "TG207", role, ref.written,
            f"{provider.label} trust in statement {st.label} does not check {provider.host}:aud"
            + (f" (expected {expected})" if expected else ": tokens the issuer minted for any client are accepted"),
            statement=st, severity=Severity.MEDIUM if generic else None, evidence=evidence, fixed=fixed)
        return
    if _literal_wildcard_audience(auds):
        return  # reported as a condition that never matches
    problem = _audience_problem(auds, expected if provider.kind != "gitlab" else None)
    if problem:
        custom = expected is not None and "custom audience" in problem
        yield ctx.finding("TG208", role, ref.written, f"{provider.label} trust in statement {st.label}: {problem}",
                          statement=st, severity=Severity.INFO if custom else None, evidence=evidence, fixed=fixed)


def _cognito_findings(ctx: FindingContext, role: Role, st: Statement, ref: PrincipalRef) -> Iterator[Finding]:
    host = COGNITO_HOST
    auds = claim_conditions(st, host, "aud")
    amrs = claim_conditions(st, host, "amr")
    evidence = {"provider": ref.written, "statement_json": statement_json(st),
                "audience_conditions": _cond_dicts(auds), "amr_conditions": _cond_dicts(amrs)}
    restricting = [c for c in auds if is_restricting(c) and not any(only_wildcards(v) for v in c.values)
                   and not (uses_wildcards(c) and any(v.endswith(":*") or v == "*" for v in c.values))]
    if not restricting:
        fixed = with_conditions(st, {"StringEquals": {f"{host}:aud": "REGION:IDENTITY-POOL-ID"}},
                                drop_keys=tuple(c.key for c in auds), only_principal=("Federated", ref.written))
        detail = "no condition on" if not auds else "no condition that pins"
        yield ctx.finding(
            "TG209", role, ref.written,
            f"Cognito trust in statement {st.label} has {detail} {host}:aud: an identity from any identity "
            "pool, including one an attacker creates, can assume this role",
            statement=st, evidence=evidence, fixed=fixed)
    if not [c for c in amrs if is_restricting(c)]:
        fixed = with_conditions(st, {"ForAnyValue:StringLike": {f"{host}:amr": "authenticated"}},
                                drop_keys=tuple(c.key for c in amrs), only_principal=("Federated", ref.written))
        yield ctx.finding(
            "TG210", role, ref.written,
            f"Cognito trust in statement {st.label} does not check {host}:amr: guest (unauthenticated) "
            "identities of the pool can assume this role as well as signed-in users",
            statement=st, evidence=evidence, fixed=fixed)


def _builtin_findings(ctx: FindingContext, role: Role, st: Statement, ref: PrincipalRef,
                      provider: Provider) -> Iterator[Finding]:
    keys = BUILTIN_APP_KEYS.get(provider.host.lower(), ("aud", "sub", "azp"))
    conds = [c for k in keys for c in claim_conditions(st, provider.host, k) if is_restricting(c)
             and not all(only_wildcards(v) for v in c.values)]
    if conds:
        if provider.kind == "oidc" and not claim_conditions(st, provider.host, "aud"):
            yield from _audience_findings(ctx, role, st, ref, provider)
        return
    app_key = keys[0]
    fixed = with_conditions(st, {"StringEquals": {f"{provider.host}:{app_key}": "YOUR-APP-OR-CLIENT-ID"}},
                            only_principal=("Federated", ref.written))
    yield ctx.finding(
        "TG211", role, ref.written,
        f"web identity trust for {provider.host} in statement {st.label} checks none of "
        f"{', '.join(provider.host + ':' + k for k in keys)}: every token the issuer signs is accepted"
        + (" (a public issuer: any of its users, through any application)" if provider.shared else ""),
        statement=st, severity=Severity.CRITICAL if provider.shared else None,
        evidence={"provider": ref.written, "statement_json": statement_json(st)}, fixed=fixed)


def _saml_findings(ctx: FindingContext, role: Role, st: Statement, ref: PrincipalRef) -> Iterator[Finding]:
    auds = [c for c in st.conditions if c.key.lower() == "saml:aud" and is_restricting(c)]
    if auds:
        return
    fixed = with_conditions(st, {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
                            only_principal=("Federated", ref.written))
    yield ctx.finding(
        "TG212", role, ref.written,
        f"SAML trust in statement {st.label} does not check SAML:aud: any assertion {ref.written.rsplit('/', 1)[-1]} "
        "signs is accepted, not only those addressed to AWS sign-in",
        statement=st, evidence={"provider": ref.written, "statement_json": statement_json(st)}, fixed=fixed)


def check_federation(ctx: FindingContext, role: Role) -> Iterator[Finding]:
    if role.trust is None:
        return
    for st in role.trust.statements:
        if st.effect != "Allow" or st.not_principals is not None:
            continue
        for ref in principal_refs(st):
            provider = provider_of(ref)
            if provider is None or not grants_assume(st, ref):
                continue
            if provider.kind == "saml":
                yield from _saml_findings(ctx, role, st, ref)
                continue
            foreign = foreign_claim_conditions(st, provider)
            literal_aud = [c for c in claim_conditions(st, provider.host, "aud") if is_restricting(c)
                           and _literal_wildcard_audience([c])]
            if foreign or literal_aud:
                bad = foreign or literal_aud
                described = "; ".join(f"{c.operator} {c.key}" for c in bad)
                reason = ("is a claim of another issuer, absent from this provider's tokens" if foreign else
                          "compares with a literal wildcard under StringEquals")
                yield ctx.finding(
                    "TG213", role, ref.written,
                    f"statement {st.label}: {described} {reason}, so the statement can never match",
                    statement=st, evidence={"provider": ref.written, "conditions": _cond_dicts(bad),
                                            "statement_json": statement_json(st)})
                continue
            if provider.kind in CLASSIFIERS:
                yield from _subject_findings(ctx, role, st, ref, provider)
                yield from _audience_findings(ctx, role, st, ref, provider)
            elif provider.kind == "cognito":
                yield from _cognito_findings(ctx, role, st, ref)
            else:
                yield from _builtin_findings(ctx, role, st, ref, provider)
