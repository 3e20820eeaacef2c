"""Findings, and the violations of guardrails (`check`), as SARIF 2.1.0 for GitHub code scanning.

Each result points at the input file the role was read from, at the line that names the role when it can
be found there (else line 1), and names the role ARN as a logical location. A role a Terraform plan or
CloudFormation template declares (`Snapshot.iac_origins`) is pointed at its source instead: the `.tf` resource
block or the template line of its logical id (`sources/iac_locations.py`), the lines a pull request changes, so
that code scanning can show the result beside the change; the plan or template file stays the fallback.
partialFingerprints keep alerts stable across runs (rule + role + principal + statement).

`automationDetails` is written only for `category` (`--sarif-category`). The upload-sarif action fills in its
`category` input only where a run has no `automationDetails` (github/codeql-action, src/upload-lib.ts,
populateRunAutomationDetails), so a fixed id in the file would override the category of every upload: uploads
per account or workspace would share one category and each would close the alerts of the others. GitHub reads
`id` as `category/run-id`, the category being everything before the last `/`
(https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#runautomationdetails-object);
the id written is `category/`, as the action writes it.

Data text (messages, names, ARNs, suppression reasons) goes through `sarif_text`: code scanning shows it as
it is, so bidi overrides and zero-width characters would reorder or hide what a reviewer reads. Artifact URIs
are relative references: one whose first segment holds `:` (a file `a:b.json`) starts with `./`, or it would
parse as a URI with scheme `a`.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from trustgraph.analysis.findings import RULES, Finding, Severity
from trustgraph.analysis.findings.gate import Triage
from trustgraph.analysis.guardrails import RuleResult
from trustgraph.model import IacOrigin
from trustgraph.report.guardrails import path_words, rule_demand
from trustgraph.sources.iac_locations import source_line
from trustgraph.text import visible
from trustgraph.version import __version__

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note",
         Severity.INFO: "note"}
# GitHub maps security-severity to critical (> 9.0), high (7.0–8.9), medium (4.0–6.9), low (0.1–3.9).
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0",
                     Severity.INFO: "1.0"}


def sarif_text(text: object) -> str:
    """Data text for SARIF: control characters, bidi overrides, zero-width characters, lone surrogates and
    noncharacters as visible escapes (`\\u202e`), the rule of the terminal-safe helper without its rich markup
    escaping (SARIF has no markup); the JSON encoder does the rest."""
    return visible(text)


@lru_cache(maxsize=256)
def _lines(path: str) -> tuple[str, ...]:
    try:
        return tuple(Path(path).read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return ()


def locate(source: str | None, role_arn: str) -> int:
    """1-based line of the role in its source file (its ARN, else its quoted name), or 1."""
    if not source:
        return 1
    lines = _lines(source)
    name = role_arn.rsplit("/", 1)[-1]
    for needle in (f'"{role_arn}"', f'"RoleName": "{name}"', f'"{name}"'):
        for i, line in enumerate(lines, 1):
            if needle in line:
                return i
    return 1


def _uri(source: str | None, base: Path | None) -> str:
    if not source:
        return "trustgraph-input"
    return _relative_uri(source, base or Path.cwd())


@functools.lru_cache(maxsize=4096)
def _relative_uri(source: str, base: Path) -> str:
    """One input file is the source of thousands of findings: resolve its path once."""
    path = Path(source)
    try:
        rel = os.path.relpath(path.resolve(), base.resolve())
    except ValueError:
        rel = str(path)
    if rel.startswith(".."):
        rel = str(path)
    # A file name that is not UTF-8 reaches here with surrogate escapes: its bytes are what to percent-encode.
    uri = quote(Path(rel).as_posix(), safe="/:", errors="surrogateescape")
    if not uri.startswith("/") and ":" in uri.split("/", 1)[0]:
        uri = f"./{uri}"  # RFC 3986 §4.2: else the segment before `:` reads as a scheme
    return uri


def _physical(source: str | None, arn: str, origins: dict[str, IacOrigin] | None, base: Path | None) -> dict[str, Any]:
    """The physical location of a result on the principal `arn`: its declaration in a `.tf` file or template when
    a plan or template holds it and the line is found, else the input file it was read from at its line."""
    origin = origins.get(arn) if origins else None
    found = source_line(origin) if origin is not None else None
    if found is not None:
        return {"artifactLocation": {"uri": _uri(found.path, base)}, "region": {"startLine": found.line}}
    return {"artifactLocation": {"uri": _uri(source, base)}, "region": {"startLine": locate(source, arn)}}


def automation_details(category: str | None) -> dict[str, Any]:
    """The run's `automationDetails` for `--sarif-category NAME` (`{"automationDetails": {"id": "NAME/"}}`), else
    nothing, so that the upload's own `category` applies (see the module docstring)."""
    if not category:
        return {}
    return {"automationDetails": {"id": category if category.endswith("/") else f"{category}/"}}


def _fingerprint(f: Finding) -> str:
    text = "|".join((f.rule, f.role, f.principal or "", f.statement or ""))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _rule_descriptor(rule_id: str) -> dict[str, Any]:
    rule = RULES[rule_id]
    refs = "\n".join(f"- {u}" for u in rule.references)
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.name.split("-")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "helpUri": rule.references[0],
        "help": {"text": f"{rule.rationale}\n\nRemediation: {rule.remediation}\n\nReferences:\n{refs}",
                 "markdown": f"{rule.rationale}\n\n**Remediation:** {rule.remediation}\n\n**References:**\n{refs}"},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"tags": ["security", "aws", "iam", rule.family],
                       # Reachability and escalation rules rest on what the data shows of paths and resources.
                       "precision": "medium" if rule.family in ("sensitive", "escalation") else "high",
                       "security-severity": SECURITY_SEVERITY[rule.severity]},
    }


def _notifications(unread: list[str], incomplete: Iterable[str]) -> list[dict[str, Any]]:
    notifications = [{"level": "error", "message": {"text": sarif_text(f"input not read: {why}")},
                      "descriptor": {"id": "trustgraph/input-not-read"}} for why in unread]
    notifications += [{"level": "warning", "message": {"text": sarif_text(f"incomplete data: {gap}")},
                       "descriptor": {"id": "trustgraph/incomplete-data"}} for gap in incomplete]
    return notifications


def _successful(unread: list[str], incomplete: list[str]) -> bool:
    """Whether the run saw all of its input: not when an input was not read, nor when the data is known to lack
    something (a gap of the snapshot: a partial collection, a truncated export). Code scanning closes the alerts a
    successful run no longer reports; on incomplete input their absence proves nothing, and the notifications say
    why."""
    return not unread and not incomplete


def to_sarif(findings: Iterable[Finding], *, base: Path | None = None,
             incomplete: Iterable[str] = (), triage: Triage | None = None, baseline: bool = False,
             unread: Iterable[str] = (), origins: dict[str, IacOrigin] | None = None,
             category: str | None = None) -> dict[str, Any]:
    """`incomplete`: what the data is known to lack; each becomes a warning notification of the run, so that
    code scanning shows "0 results" together with why that may not mean "nothing wrong". `triage`: suppressed
    findings get a SARIF `suppressions` entry (kind external, status accepted, the reason as justification);
    with `baseline`, every result gets a `baselineState` (unchanged: in the baseline, else new). `unread`: why the
    run could not read all it was given (a rejected input, an account a collection failed to read): each reason is an
    error notification. With either, the run is not `executionSuccessful` (`_successful`), so that an upload of
    partial results never looks like a complete scan. `origins`: where plans and templates declare principals
    (`Snapshot.iac_origins`); `category`: the run's category (`automation_details`)."""
    findings = list(findings)
    unread, incomplete = list(unread), list(incomplete)
    notifications = _notifications(unread, incomplete)
    rule_ids = sorted({f.rule for f in findings} | set(RULES))
    index = {r: i for i, r in enumerate(rule_ids)}
    results = []
    for f in findings:
        text = f.message
        if f.remediation:
            text += f" Fix: {f.remediation}"
        results.append({
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": LEVEL[f.severity],
            "message": {"text": sarif_text(text)},
            "locations": [{
                "physicalLocation": _physical(f.source, f.role, origins, base),
                "logicalLocations": [{"fullyQualifiedName": sarif_text(f.role), "kind": "resource"}],
            }],
            "partialFingerprints": {"trustgraphFinding/v1": _fingerprint(f)},
            "properties": {"severity": f.severity.value, "security-severity": SECURITY_SEVERITY[f.severity],
                           "role": sarif_text(f.role),
                           "principal": sarif_text(f.principal) if f.principal is not None else None,
                           "mitigated_by": [sarif_text(m) for m in f.mitigated_by],
                           "fingerprint": f.fingerprint},
        })
        if triage is not None:
            suppression = triage.suppression(f)
            if suppression is not None:
                results[-1]["suppressions"] = [{
                    "kind": "external", "status": "accepted", "justification": sarif_text(suppression.reason),
                    "properties": {"entry": sarif_text(suppression.entry),
                                   "expires": suppression.expires.isoformat() if suppression.expires else None}}]
            if baseline:
                results[-1]["baselineState"] = "unchanged" if triage.in_baseline(f) else "new"
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "trustgraph", "version": __version__, "semanticVersion": __version__,
                                "rules": [_rule_descriptor(r) for r in rule_ids]}},
            **automation_details(category),
            "invocations": [{"executionSuccessful": _successful(unread, incomplete),
                             "toolExecutionNotifications": notifications}],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def guardrails_sarif(results: list[RuleResult], *, sources: dict[str, str] | None = None, base: Path | None = None,
                     incomplete: Iterable[str] = (), unread: Iterable[str] = (),
                     origins: dict[str, IacOrigin] | None = None, category: str | None = None) -> dict[str, Any]:
    """The violations of `check` as SARIF: one rule per guardrail, one result per group of violations (rule, where
    the principals are, role), at the line of the role in the file it was read from (`sources`: role ARN → file)
    and naming its principals' count and an example path. `incomplete`, `unread`, `origins` and `category` as for
    `to_sarif`."""
    sources = sources or {}
    unread, incomplete = list(unread), list(incomplete)
    rules = [r.rule for r in results]
    index = {rule.id: i for i, rule in enumerate(rules)}
    out = []
    for r in results:
        for g in r.groups:
            v = g.violations[0]
            text = (f"guardrail {r.rule.id}: {g.count} principal(s) of {g.source} reach {g.role}, e.g. "
                    f"{path_words(v)}")
            if v.missing:
                text += f" (no hop of it depends on {', '.join(v.missing)})"
            source = sources.get(g.role)
            digest = hashlib.sha256("|".join((r.rule.id, g.source, g.role)).encode()).hexdigest()[:32]
            out.append({
                "ruleId": r.rule.id,
                "ruleIndex": index[r.rule.id],
                "level": "error",
                "message": {"text": sarif_text(text)},
                "locations": [{
                    "physicalLocation": _physical(source, g.role, origins, base),
                    "logicalLocations": [{"fullyQualifiedName": sarif_text(g.role), "kind": "resource"}],
                }],
                "partialFingerprints": {"trustgraphGuardrail/v1": digest},
                "properties": {"from": sarif_text(g.source), "role": sarif_text(g.role), "count": g.count,
                               "principals": [sarif_text(x.principal) for x in g.violations[:10]]},
            })
    descriptors = [{"id": rule.id, "name": rule.id,
                    "shortDescription": {"text": sarif_text(rule.description or rule.id)},
                    "fullDescription": {"text": sarif_text(rule_demand(result))},
                    "defaultConfiguration": {"level": "error"},
                    "properties": {"tags": ["security", "aws", "iam", "guardrail"]}}
                   for rule, result in zip(rules, results, strict=True)]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "trustgraph", "version": __version__, "semanticVersion": __version__,
                                "rules": descriptors}},
            **automation_details(category),
            "invocations": [{"executionSuccessful": _successful(unread, incomplete),
                             "toolExecutionNotifications": _notifications(unread, incomplete)}],
            "columnKind": "unicodeCodePoints",
            "results": out,
        }],
    }
