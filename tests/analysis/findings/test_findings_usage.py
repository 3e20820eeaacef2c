"""Findings of observed use (TG801–TG804) on samples/acme with samples/acme-cloudtrail, each rule with its negative
control (samples/acme/EXPECTED.md, "Observed use")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trustgraph.analysis.findings import Finding, find
from trustgraph.graph.build import build_graph
from trustgraph.sources.files import load_inputs

ROOT = Path(__file__).resolve().parents[3] / "samples"
ACME, TRAIL = str(ROOT / "acme"), str(ROOT / "acme-cloudtrail")
PROD_DEPLOYER = "arn:aws:iam::444444444444:role/deploy/ProdDeployer"
CI = "arn:aws:iam::333333333333:role/ci/CIPipeline"


def _findings(*inputs: str) -> list[Finding]:
    snapshot, _ = load_inputs(list(inputs))
    return find(snapshot, build_graph(snapshot), families=["usage"])


@pytest.fixture(scope="module")
def observed() -> list[Finding]:
    return _findings(ACME, TRAIL)


def keys(findings: list[Finding], rule: str) -> set[tuple[str, str | None]]:
    return {(f.role, f.principal) for f in findings if f.rule == rule}


def test_without_cloudtrail_there_is_no_finding_of_the_family() -> None:
    assert _findings(ACME) == []


def test_TG801_trust_never_used(observed: list[Finding]) -> None:
    unused = keys(observed, "TG801")
    assert ("arn:aws:iam::444444444444:role/BreakGlass", "arn:aws:iam::222222222222:user/alice") in unused
    # negative controls: a trust the events show used, and one whose role and caller accounts they do not cover
    # (111…: unknown); a caller in a covered account is covered (its copy of the call would be there)
    assert (PROD_DEPLOYER, CI) not in unused
    assert ("arn:aws:iam::111111111111:role/billing/BillingReadOnly", "arn:aws:iam::111111111111:user/billing-frank") \
        not in unused
    assert ("arn:aws:iam::111111111111:role/security/SecurityAuditFromSecurityAccount",
            "arn:aws:iam::222222222222:role/security/SecurityScannerTask") in unused
    breakglass = next(f for f in observed if f.rule == "TG801" and f.role.endswith(":role/BreakGlass"))
    assert breakglass.severity.value == "medium"  # sensitive role


def test_TG802_trust_used_from_outside(observed: list[Finding]) -> None:
    outside = keys(observed, "TG802")
    assert outside == {("arn:aws:iam::444444444444:role/vendor/DatadogIntegration", "arn:aws:iam::464622532012:root")}
    # negative control: alice (inside the organization) used OrgWideAuditReader, no TG802 for it
    assert not any(role.endswith("OrgWideAuditReader") for role, _ in outside)


def test_TG803_assume_role_probing(observed: list[Finding], tmp_path: Path) -> None:
    probing = [f for f in observed if f.rule == "TG803"]
    assert [(f.role, f.principal) for f in probing] == [("arn:aws:iam::444444444444:role/BreakGlass",
                                                         "arn:aws:iam::999900001111:root")]
    assert probing[0].evidence["event"]["source_ip"] == "192.0.2.66"
    # negative control: a denied attempt from inside the organization is no probing
    inside = {"eventVersion": "1.08", "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
              "eventTime": "2025-06-30T10:00:00Z", "errorCode": "AccessDenied", "recipientAccountId": "444444444444",
              "requestParameters": {"roleArn": "arn:aws:iam::444444444444:role/BreakGlass"},
              "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::666666666666:user/dev-dora",
                               "accountId": "666666666666"}}
    (tmp_path / "inside.jsonl").write_text(json.dumps(inside) + "\n")
    assert keys(_findings(ACME, str(tmp_path)), "TG803") == set()


def test_TG804_use_not_explained(observed: list[Finding]) -> None:
    unexplained = keys(observed, "TG804")
    assert unexplained == {(PROD_DEPLOYER, "arn:aws:iam::555555555555:role/deploy/StagingDeployer")}
    # negative control: CIPipeline → ProdDeployer, seen in both accounts' copies, is what the trust allows
    assert (PROD_DEPLOYER, CI) not in unexplained
