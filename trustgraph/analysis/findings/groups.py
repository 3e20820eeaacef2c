"""Findings grouped by pattern: the same rule firing the same way on the same role in many accounts is one entry.

An organization built from templates repeats each weakness in every account (one `OrganizationAccountAccessRole`
per account, one vendor role per account …): a hundred findings that differ only in the account id say one thing
a hundred times. The reports show one entry per group; the JSON keeps every finding and names its group.

The pattern key of a finding is (rule id, subject, principal, message), each with what differs from account to
account in a templated organization written as a placeholder:

- the finding's own account id (`Finding.account`, else the account field of its subject's ARN), wherever it
  appears as twelve digits of its own (so also as the account field of any ARN: `arn:aws:iam::<account>:role/x`,
  `<account>:role/x`), becomes `{account}`;
- the finding's own account name (`Finding.account_name`), wherever it stands as a word of its own (not inside
  a longer name of letters, digits, `-` or `_`), becomes `{account-name}`;
- the per-account part of a role Identity Center provisions (`AWSReservedSSO_<set>_<16 hex>`, in any of the three
  parts) becomes `*`: `AWSReservedSSO_<set>_*` (the permission set stays);
- in the message, a count (a number standing as a word of its own, `1,234` too) becomes `N`: a role reachable by
  34 principals and one reachable by 39 are one pattern. Twelve-digit numbers (account ids), numbers inside names
  (`deploy-2`, `v2`, an ARN's fields) and statement labels (`#0`) stay.

Other accounts are kept as written: who is trusted or reaches the role is what a finding is about, so a role
trusting vendor A and the same role trusting an unknown account B are two patterns, and a chain from the
management account into each account is one. The subject is the role ARN (or user, account root, permission
set …) so normalized: its name and path stay. The key depends on the finding alone, so a group id (`g-` and 12 hex
digits of the key's SHA-256) is the same in every run and every output that shows the finding; a change of these
rules changes the ids of the findings it touches (and only those).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from trustgraph.analysis.findings.gate import Triage
from trustgraph.analysis.findings.model import Finding, Severity
from trustgraph.arns import SSO_ROLE_NAME
from trustgraph.model import Organization

ACCOUNT = "{account}"
ACCOUNT_NAME = "{account-name}"
COUNT = "N"
# A count in a message: digits (thousands separated by `,` too) not inside a name, an ARN, a decimal or a statement
# label; twelve digits are an account id and stay (see _count).
_COUNT = re.compile(r"(?<![\w.:/#,-])(?:\d{1,3}(?:,\d{3})+|\d+)(?![\w:-]|[.,]\d)")


def _count(match: re.Match[str]) -> str:
    return match.group(0) if len(match.group(0)) == 12 else COUNT


def _sso_suffix(text: str) -> str:
    return SSO_ROLE_NAME.sub(lambda m: f"AWSReservedSSO_{m.group(1)}_*", text)


def _own_account(f: Finding) -> str | None:
    if f.account:
        return f.account
    parts = f.role.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


def _normalizer(f: Finding) -> Callable[[str], str]:
    account = _own_account(f)
    steps: list[tuple[re.Pattern[str], str]] = []
    if account:
        steps.append((re.compile(rf"(?<!\d){re.escape(account)}(?!\d)"), ACCOUNT))
    if f.account_name and f.account_name != account:
        steps.append((re.compile(rf"(?<![\w-]){re.escape(f.account_name)}(?![\w-])"), ACCOUNT_NAME))

    def normalize(text: str) -> str:
        for pattern, placeholder in steps:
            text = pattern.sub(placeholder, text)
        return text
    return normalize


def pattern_key(f: Finding) -> tuple[str, str, str, str]:
    """(rule, subject, principal, message) with the finding's own account id and name, Identity Center role suffixes
    and the message's counts as placeholders (see the module's docstring)."""
    normalize = _normalizer(f)
    return (f.rule, _sso_suffix(normalize(f.role)), _sso_suffix(normalize(f.principal or "")),
            _COUNT.sub(_count, _sso_suffix(normalize(f.message))))


def group_id(f: Finding) -> str:
    """The stable id of the finding's group: `g-` and 12 hex digits of its pattern key's SHA-256."""
    digest = hashlib.sha256("\x1f".join(pattern_key(f)).encode("utf-8", "surrogatepass")).hexdigest()
    return f"g-{digest[:12]}"


def _order(f: Finding) -> tuple[int, str, str, str, str]:
    """Worst first; among equals the subject, principal and statement decide, so the example shown is the same in
    every run."""
    return (*f.sort_key(), f.statement or "")


@dataclass(frozen=True, slots=True)
class FindingGroup:
    id: str
    findings: tuple[Finding, ...]  # worst first (severity, then rule, subject, principal, statement)
    accounts: tuple[str, ...]  # the accounts of its findings, sorted
    ous: tuple[str, ...]  # the names of those accounts' OUs, when the organization is known (sorted, each once)

    @property
    def worst(self) -> Finding:
        return self.findings[0]

    @property
    def rule(self) -> str:
        return self.worst.rule

    @property
    def severity(self) -> Severity:
        return self.worst.severity

    @property
    def count(self) -> int:
        return len(self.findings)

    def sort_key(self) -> tuple[int, str, str, str, str]:
        return _order(self.worst)

    def set_aside(self, triage: Triage) -> str:
        """How many of its findings a gate set aside: "2 of 5 suppressed, 1 in the baseline", or ""."""
        suppressed = sum(1 for f in self.findings if triage.suppression(f) is not None)
        baselined = sum(1 for f in self.findings if triage.suppression(f) is None and triage.in_baseline(f))
        return ", ".join(f"{n} of {self.count} {what}" for n, what in
                         ((suppressed, "suppressed"), (baselined, "in the baseline")) if n)

    def where(self, ous_listed: int = 4) -> str:
        """Where the pattern fires, in words: "account 1000…" for one finding, else "×100 accounts (Prod, Dev OUs)",
        "×3 in 2 accounts" when an account holds it twice; at most `ous_listed` OU names, then "…"."""
        if self.count == 1:
            return f"account {self.worst.account_name} ({self.accounts[0]})" if self.worst.account_name and \
                self.accounts else f"account {self.accounts[0]}" if self.accounts else "1 finding"
        spread = f"×{self.count} accounts" if self.count == len(self.accounts) else \
            f"×{self.count} in {len(self.accounts)} account{'s' if len(self.accounts) != 1 else ''}"
        if self.ous:
            names = ", ".join(self.ous[:ous_listed]) + (" …" if len(self.ous) > ous_listed else "")
            spread += f" ({names} OU{'s' if len(self.ous) > 1 else ''})"
        return spread


def _ou_names(organization: Organization | None) -> Callable[[str], str | None]:
    """account → the name of the OU it sits in directly ("Root" under a root), None outside the organization data."""
    if organization is None:
        return lambda account: None
    units = {u.id: u.name or u.id for u in organization.units}
    roots = {r.id for r in organization.roots}

    def name(account: str) -> str | None:
        org_account = organization.accounts.get(account)
        if org_account is None or org_account.parent_id is None:
            return None
        parent = org_account.parent_id
        return units.get(parent) or ("Root" if parent in roots else parent)
    return name


def group_findings(findings: Iterable[Finding], organization: Organization | None = None) -> list[FindingGroup]:
    """One group per pattern key, worst group first (by its worst finding), each with its findings worst first, its
    accounts and (with organization data) their OUs."""
    by_id: dict[str, list[Finding]] = {}
    for f in findings:
        by_id.setdefault(group_id(f), []).append(f)
    ou_of = _ou_names(organization)
    groups: list[FindingGroup] = []
    for gid, members in by_id.items():
        members.sort(key=_order)
        accounts = sorted({a for f in members if (a := _own_account(f))})
        ous = sorted({ou for a in accounts if (ou := ou_of(a))})
        groups.append(FindingGroup(gid, tuple(members), tuple(accounts), tuple(ous)))
    groups.sort(key=FindingGroup.sort_key)
    return groups
