"""`trustgraph findings` end to end: the Acme sample, output formats, the JSON contract, SARIF, --fail-on."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from trustgraph.cli import main

ACME = Path(__file__).resolve().parents[2] / "samples" / "acme"
KNOWN = "- name: 'Datadog'\n  source: ['https://docs.datadoghq.com/integrations/guide/aws-manual-setup/']\n" \
        "  accounts: ['464622532012']\n"

# Planted weaknesses of samples/acme (EXPECTED.md §6.1): role → rule ids, any one of which must fire.
PLANTED = {
    "arn:aws:iam::444444444444:role/BreakGlass": {"TG403"},
    "arn:aws:iam::666666666666:role/ci/GitHubActionsSandbox": {"TG202"},
    "arn:aws:iam::555555555555:role/ci/GitHubActionsLegacy": {"TG201"},
    "arn:aws:iam::555555555555:role/vendor/LegacyMonitoring": {"TG302"},
    "arn:aws:iam::444444444444:role/vendor/OldConsultant": {"TG302"},
    "arn:aws:iam::444444444444:role/LegacyReporting": {"TG304"},
}
# Well-configured roles (EXPECTED.md §6.3): no finding at all.
WELL_CONFIGURED = [
    "arn:aws:iam::333333333333:role/ci/ArtifactPublisher",
    "arn:aws:iam::222222222222:role/security/LogArchiveReader",
    "arn:aws:iam::111111111111:role/security/SecurityAuditFromSecurityAccount",
    "arn:aws:iam::444444444444:role/vendor/DatadogIntegration",
    "arn:aws:iam::333333333333:role/ci/GitHubActionsDeployer",
    "arn:aws:iam::222222222222:role/security/OrgWideAuditReader",
]


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("known") / "accounts.yaml"
    path.write_text(KNOWN, encoding="utf-8")
    return str(path)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def acme_json(known: str) -> dict:
    code, out = invoke("findings", "-i", str(ACME), "--known-accounts", known, "-q", "--format", "json")
    assert code == 0
    return json.loads(out)


@pytest.fixture(scope="module")
def acme_iam_only_json(known: str) -> dict:
    dumps = sorted(str(p) for p in ACME.glob("*-acme-*.json"))
    args = [a for p in dumps for a in ("-i", p)]
    code, out = invoke("findings", *args, "--known-accounts", known, "-q", "--format", "json")
    assert code == 0
    return json.loads(out)


@pytest.mark.parametrize("doc", ["acme_json", "acme_iam_only_json"])
def test_acme_every_planted_weakness_found(doc: str, request: pytest.FixtureRequest):
    findings = request.getfixturevalue(doc)["findings"]
    for role, wanted in PLANTED.items():
        got = {f["rule"] for f in findings if f["role"] == role}
        assert got & wanted, (role, got)


@pytest.mark.parametrize("doc", ["acme_json", "acme_iam_only_json"])
def test_acme_nothing_flagged_on_well_configured_roles(doc: str, request: pytest.FixtureRequest):
    findings = request.getfixturevalue(doc)["findings"]
    for role in WELL_CONFIGURED + [r for r in {f["role"] for f in findings} if "AWSReservedSSO_" in r
                                   or "/aws-service-role/" in r]:
        # an AWSReservedSSO role's trust is fine; the Identity Center findings about its assignments (TG7xx,
        # EXPECTED.md §9.5: the orphaned SSO-ReadOnly-dev) are not about the trust
        trust_rules = [f["rule"] for f in findings if f["role"] == role
                       and not ("AWSReservedSSO_" in role and f["rule"].startswith("TG7"))]
        assert trust_rules == [], role


def test_acme_old_consultant_mitigated_by_rcp_with_organization_data(acme_json: dict, acme_iam_only_json: dict):
    role = "arn:aws:iam::444444444444:role/vendor/OldConsultant"
    with_org = next(f for f in acme_json["findings"] if f["role"] == role and f["rule"] == "TG302")
    without = next(f for f in acme_iam_only_json["findings"] if f["role"] == role and f["rule"] == "TG302")
    assert with_org["mitigated_by"] and "DenyExternalExceptVendors" in with_org["mitigated_by"][0]
    assert with_org["severity"] == "low" and without["severity"] == "high" and not without["mitigated_by"]


def test_acme_breakglass_chain_reported_with_mfa_contrast(acme_json: dict):
    f = next(f for f in acme_json["findings"] if f["rule"] == "TG403" and f["role"].endswith("role/BreakGlass"))
    assert f["severity"] == "high" and "require MFA" in f["message"]
    assert any(c["principal"].endswith("role/ci/CIPipeline") and c["hops"] == 3 and not c["conditional"]
               for c in f["evidence"]["chains"])


def test_json_contract_fields_present(acme_json: dict):
    assert acme_json["findings"]
    for f in acme_json["findings"]:
        for key in ("rule", "severity", "role", "principal", "message", "evidence", "remediation"):
            assert key in f
        assert f["severity"] in ("critical", "high", "medium", "low", "info")
    assert acme_json["summary"]["total"] == len(acme_json["findings"])


# A hand-written subset of the SARIF 2.1.0 schema covering what GitHub code scanning reads; objects we emit
# are closed (additionalProperties false) with the property names the OASIS schema allows.
SARIF_SUBSET = {
    "type": "object", "required": ["version", "runs", "$schema"], "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string"}, "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["tool", "results"], "additionalProperties": False,
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name", "rules"],
                    "additionalProperties": False,
                    "properties": {"name": {"type": "string"}, "version": {"type": "string"},
                                   "semanticVersion": {"type": "string"},
                                   "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}}}}}},
                "automationDetails": {"type": "object", "properties": {"id": {"type": "string"}},
                                      "additionalProperties": False},
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "invocations": {"type": "array", "items": {
                    "type": "object", "required": ["executionSuccessful"], "additionalProperties": False,
                    "properties": {"executionSuccessful": {"type": "boolean"},
                                   "toolExecutionNotifications": {"type": "array", "items": {
                                       "type": "object", "required": ["message"], "additionalProperties": False,
                                       "properties": {"message": {"$ref": "#/$defs/message"},
                                                      "level": {"enum": ["none", "note", "warning", "error"]},
                                                      "descriptor": {"type": "object", "properties": {
                                                          "id": {"type": "string"}}}}}}}}},
                "results": {"type": "array", "items": {"$ref": "#/$defs/result"}}}}}},
    "$defs": {
        "message": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"},
                                                                           "markdown": {"type": "string"}},
                    "additionalProperties": False},
        "rule": {"type": "object", "required": ["id", "shortDescription"], "additionalProperties": False,
                 "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                "shortDescription": {"$ref": "#/$defs/message"},
                                "fullDescription": {"$ref": "#/$defs/message"},
                                "help": {"$ref": "#/$defs/message"}, "helpUri": {"type": "string"},
                                "defaultConfiguration": {"type": "object", "properties": {
                                    "level": {"enum": ["none", "note", "warning", "error"]}},
                                    "additionalProperties": False},
                                "properties": {"type": "object", "properties": {
                                    "security-severity": {"type": "string", "pattern": r"^\d+(\.\d+)?$"},
                                    "tags": {"type": "array", "items": {"type": "string"}}}}}},
        "result": {"type": "object", "required": ["ruleId", "message", "locations"], "additionalProperties": False,
                   "properties": {
                       "ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": 0},
                       "level": {"enum": ["none", "note", "warning", "error"]},
                       "message": {"$ref": "#/$defs/message"},
                       "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
                       "properties": {"type": "object"},
                       "locations": {"type": "array", "minItems": 1, "items": {
                           "type": "object", "additionalProperties": False, "required": ["physicalLocation"],
                           "properties": {
                               "physicalLocation": {
                                   "type": "object", "required": ["artifactLocation"], "additionalProperties": False,
                                   "properties": {
                                       "artifactLocation": {"type": "object", "required": ["uri"],
                                                            "properties": {"uri": {"type": "string",
                                                                                   "pattern": r"^[^\\]+$"}},
                                                            "additionalProperties": False},
                                       "region": {"type": "object", "required": ["startLine"],
                                                  "properties": {"startLine": {"type": "integer", "minimum": 1}},
                                                  "additionalProperties": False}}},
                               "logicalLocations": {"type": "array", "items": {
                                   "type": "object", "additionalProperties": False,
                                   "properties": {"fullyQualifiedName": {"type": "string"},
                                                  "kind": {"type": "string"}}}}}}}}}},
}


def test_sarif_output_is_valid_and_points_at_the_role_line(known: str, tmp_path: Path):
    out = tmp_path / "f.sarif"
    code, _ = invoke("findings", "-i", str(ACME), "--known-accounts", known, "-q", "--format", "sarif",
                     "-o", str(out))
    assert code == 0
    sarif = json.loads(out.read_text())
    jsonschema.validate(sarif, SARIF_SUBSET)
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    legacy = next(r for r in run["results"] if r["ruleId"] == "TG201")
    assert rule_ids[legacy["ruleIndex"]] == "TG201" and legacy["level"] == "error"
    location = legacy["locations"][0]["physicalLocation"]
    path = location["artifactLocation"]["uri"]
    assert path.endswith("555555555555-acme-staging.json")
    line = (ACME / "555555555555-acme-staging.json").read_text().splitlines()[location["region"]["startLine"] - 1]
    assert "GitHubActionsLegacy" in line
    assert len({r["partialFingerprints"]["trustgraphFinding/v1"] for r in run["results"]}) == len(run["results"])


def test_fail_on_high_exits_1_and_fail_on_critical_passes_when_none(known: str, tmp_path: Path):
    code, _ = invoke("findings", "-i", str(ACME), "--known-accounts", known, "-q", "--format", "json",
                     "--fail-on", "high")
    assert code == 1
    clean = tmp_path / "trust.json"
    clean.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    code, out = invoke("findings", "-i", str(clean), "--role-arn", "arn:aws:iam::111122223333:role/fn", "-q",
                       "--fail-on", "low")
    assert code == 0 and "No findings" in out


def test_fail_on_rejects_unknown_severity():
    code, out = invoke("findings", "-i", str(ACME), "--fail-on", "severe")
    assert code == 2 and "unknown severity" in out


def test_table_groups_by_severity_and_markdown_has_fix(known: str):
    code, out = invoke("findings", "-i", str(ACME), "--known-accounts", known, "-q")
    assert code == 0
    assert out.index("CRITICAL") < out.index("HIGH") < out.index("MEDIUM") < out.index("LOW")
    code, md = invoke("findings", "-i", str(ACME), "--known-accounts", known, "-q", "--format", "markdown",
                      "--min-severity", "high")
    assert code == 0 and "## Critical (2)" in md and "Corrected trust statement" in md and "## Low" not in md


def test_rule_filter_and_missing_graph_file(known: str, tmp_path: Path):
    code, out = invoke("findings", "-i", str(ACME), "--known-accounts", known, "-q", "--format", "json",
                       "--rule", "TG304")
    assert code == 0 and {f["rule"] for f in json.loads(out)["findings"]} == {"TG304"}
    code, out = invoke("findings", "--graph", str(tmp_path / "g.json"))
    assert code == 2


def test_findings_json_flag_is_the_json_format(known: str, acme_json: dict) -> None:
    code, out = invoke("findings", "-i", str(ACME), "--known-accounts", known, "-q", "--json")
    assert code == 0 and json.loads(out)["findings"] == acme_json["findings"] != []
