"""Guardrails (analysis/guardrails.py): each rule kind and each selector on samples/acme (EXPECTED.md §0.2, §1, §10)
with a positive and a negative control, the search from many roles at once, and the rules file's schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from trustgraph.analysis import guardrails
from trustgraph.analysis.guardrails import GuardrailError, RuleResult, check, depends_on, parse_rules
from trustgraph.analysis.reachability import nearest_targets, route_to
from trustgraph.graph.build import build_graph
from trustgraph.policy.sensitivity import sensitive_roles
from trustgraph.sources.files import load_inputs

ACME = Path(__file__).resolve().parents[2] / "samples" / "acme"
BREAKGLASS = "arn:aws:iam::444444444444:role/BreakGlass"
PROD_ADMIN = "arn:aws:iam::444444444444:role/admin/ProdAdmin"
ORG_ADMIN = "arn:aws:iam::111111111111:user/org-admin"
ALICE = "arn:aws:iam::222222222222:user/alice"
DATADOG = "arn:aws:iam::444444444444:role/vendor/DatadogIntegration"
OLD_CONSULTANT = "arn:aws:iam::444444444444:role/vendor/OldConsultant"
LEGACY_MONITORING = "arn:aws:iam::555555555555:role/vendor/LegacyMonitoring"
STAGING_DEPLOYER = "arn:aws:iam::555555555555:role/deploy/StagingDeployer"


@pytest.fixture(scope="module")
def acme() -> tuple[nx.DiGraph, set[str]]:
    snapshot, _ = load_inputs((str(ACME),))
    return build_graph(snapshot), set(sensitive_roles(snapshot))


@pytest.fixture(scope="module")
def iam_only() -> nx.DiGraph:
    snapshot, _ = load_inputs(tuple(str(p) for p in sorted(ACME.glob("*-acme-*.json"))))
    return build_graph(snapshot)


def rules(*entries: dict[str, Any]) -> list[guardrails.Guardrail]:
    parsed, problems = parse_rules({"rules": [{"id": f"r{i}", **e} for i, e in enumerate(entries)]})
    assert not problems, problems
    return parsed


def run(graph: nx.DiGraph, entry: dict[str, Any], sensitive: set[str] | None = None) -> RuleResult:
    return check(graph, rules(entry), sensitive=sensitive or set())[0]


def violators(graph: nx.DiGraph, entry: dict[str, Any], sensitive: set[str] | None = None) -> set[str]:
    return {v.principal for v in run(graph, entry, sensitive).violations}


# -- rule kinds --------------------------------------------------------------------------------------------------


def test_deny_flags_whoever_of_from_reaches_to(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    rule = {"from": {"principal": PROD_ADMIN}, "to": {"principal": BREAKGLASS}, "deny": True}
    result = run(graph, rule)
    assert [v.principal for v in result.violations] == [PROD_ADMIN]
    v = result.violations[0]
    assert v.role == BREAKGLASS and v.path == [PROD_ADMIN, BREAKGLASS] and not v.conditional
    assert [s["kind"] for s in v.steps] == ["assume"]
    # the statement that makes the hop: BreakGlass's trust, statement #1 (PlatformAdminFallback), EXPECTED §1
    assert [(s["policy"], s["statement"], s["sid"]) for s in v.statements] == \
        [(f"trust policy of {BREAKGLASS}", 1, "PlatformAdminFallback")]


def test_deny_holds_when_from_cannot_reach_to(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    # §1.1: contractor-eve has no path to BreakGlass
    rule = {"from": {"principal": "arn:aws:iam::222222222222:user/contractor-eve"},
            "to": {"principal": BREAKGLASS}, "deny": True}
    assert violators(graph, rule) == set()


def test_deny_holds_through_an_scp_and_breaks_without_it(acme: tuple[nx.DiGraph, set[str]],
                                                         iam_only: nx.DiGraph) -> None:
    """§5: DenyDevToProd keeps NonProd's principals out of prod roles; without organization.json, dev-dora's
    NotResource grant and the prod roles trusting 666… are unchecked."""
    graph, _ = acme
    accounts = {"from": {"account": ["555555555555", "666666666666"]}, "to": {"account": "444444444444"},
                "deny": True, "via": "assume"}
    assert violators(graph, accounts) == set()
    without_org = run(iam_only, accounts)
    dora = next(v for v in without_org.violations if v.principal.endswith(":user/dev-dora"))
    assert dora.role == "arn:aws:iam::444444444444:role/data/AnalyticsExportReader" and len(dora.path) == 2
    assert run(graph, {**accounts, "from": {"ou": "NonProd"}, "to": {"ou": "Prod"}}).violations == []


def test_allow_only_flags_principals_not_allowed(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    rule = {"to": {"principal": BREAKGLASS}, "allow_only": {"from": [{"ou": "Security"}]}, "via": ["assume"]}
    found = violators(graph, rule)
    # EXPECTED §1 rows 1–6 and 9 (rows 7–8 are the security account's, allowed)
    assert PROD_ADMIN in found and ORG_ADMIN in found and "codebuild.amazonaws.com" in found
    assert ALICE not in found and "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole" not in found


def test_allow_only_holds_when_every_reacher_is_allowed(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    rule = {"to": {"principal": BREAKGLASS}, "via": "assume",
            "allow_only": {"from": [{"ou": ["Security", "Prod", "Infrastructure", "Root"]},
                                    {"kind": "service"}]}}
    assert violators(graph, rule) == set()


def test_require_conditions_flags_a_path_no_hop_of_which_needs_the_key(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    rule = {"to": {"principal": BREAKGLASS}, "require_conditions": ["aws:MultiFactorAuthPresent"], "via": "assume"}
    result = run(graph, rule)
    found = {v.principal for v in result.violations}
    assert PROD_ADMIN in found and all(v.missing == ["aws:MultiFactorAuthPresent"] for v in result.violations)
    assert ALICE not in found and ORG_ADMIN not in found  # their every path goes through the MFA statement


def test_require_conditions_holds_when_every_path_needs_every_key(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    security = {"from": {"ou": "Security"}, "to": {"principal": BREAKGLASS}}
    assert violators(graph, {**security, "require_conditions": ["aws:MultiFactorAuthPresent"]}) == set()
    # a second key the paths do not need: each violation names the key it misses, not the one it has
    result = run(graph, {**security, "require_conditions": ["aws:MultiFactorAuthPresent", "sts:ExternalId"]})
    assert result.violations and all(v.missing == ["sts:ExternalId"] for v in result.violations)


def test_require_conditions_datadog_externalid(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    datadog = {"from": {"account": "464622532012"}, "to": {"principal": DATADOG}}
    assert violators(graph, {**datadog, "require_conditions": ["sts:ExternalId"]}) == set()
    # OldConsultant trusts 999988887777 without an ExternalId (TG302)
    consultant = {"from": {"account": "999988887777"}, "to": {"principal": "arn:aws:iam::*:role/vendor/*"}}
    assert violators(graph, {**consultant, "require_conditions": ["sts:ExternalId"]}) == \
        {"arn:aws:iam::999988887777:root"}


def _edge(kind: str, *keysets: list[str]) -> dict[str, Any]:
    records = [{"conditions": [{"key": k, "operator": "Bool", "values": ["true"]} for k in keys]} for keys in keysets]
    conditional = all(keysets) if keysets else False
    return {"kind": kind, "conditional": conditional, "evidence": records,
            "conditions": sorted({k for keys in keysets for k in keys}) if conditional else []}


def test_depends_on_needs_the_key_in_every_alternative() -> None:
    assert depends_on(_edge("assume", ["aws:MultiFactorAuthPresent"]), "aws:MultiFactorAuthPresent")
    # two grants folded into one edge, one with MFA and one with an ExternalId: MFA is not needed
    folded = _edge("assume", ["aws:MultiFactorAuthPresent"], ["sts:ExternalId"])
    assert not depends_on(folded, "aws:MultiFactorAuthPresent") and not depends_on(folded, "sts:ExternalId")
    assert not depends_on(_edge("assume", []), "aws:MultiFactorAuthPresent")


# -- selectors ---------------------------------------------------------------------------------------------------


def test_selector_ou_includes_child_ous(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    rule = {"from": {"principal": PROD_ADMIN}, "to": {"ou": "Workloads"}, "deny": True, "via": "assume"}
    assert violators(graph, rule) == {PROD_ADMIN}  # Prod is a child of Workloads
    assert violators(graph, {**rule, "to": {"ou": "ou-acme-5t2w8r4j"}}) == {PROD_ADMIN}  # by id too
    assert violators(graph, {**rule, "to": {"ou": "Workloads/Prod"}}) == {PROD_ADMIN}  # by its path of names
    assert violators(graph, {**rule, "to": {"ou": "Workloads/NonProd"}}) == set()
    assert violators(graph, {**rule, "to": {"ou": "Security"}}) == {PROD_ADMIN}  # OrgWideAuditReader (§3.1)
    assert violators(graph, {**rule, "to": {"ou": ["Infrastructure", "NonProd"]}}) == set()


def test_selector_ou_unknown_or_without_organization_is_an_error(acme: tuple[nx.DiGraph, set[str]],
                                                                 iam_only: nx.DiGraph) -> None:
    graph, _ = acme
    with pytest.raises(GuardrailError, match="'Prodd' is not in the organization"):
        run(graph, {"from": {"ou": "Prodd"}, "to": {"ou": "Prod"}, "deny": True})
    with pytest.raises(GuardrailError, match="needs organization data"):
        run(iam_only, {"from": {"ou": "NonProd"}, "to": {"ou": "Prod"}, "deny": True})


def test_selector_account_by_id_and_name(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    rule = {"from": {"account": "acme-prod"}, "to": {"principal": BREAKGLASS}, "deny": True, "via": "assume"}
    by_name = violators(graph, rule)
    assert PROD_ADMIN in by_name and by_name == violators(graph, {**rule, "from": {"account": "444444444444"}})
    assert violators(graph, {**rule, "from": {"account": "acme-dev"}}) == set()
    with pytest.raises(GuardrailError, match="no account of the data is named 'acme-nope'"):
        run(graph, {**rule, "from": {"account": "acme-nope"}})


def test_selector_principal_glob(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    rule = {"from": {"principal": "arn:aws:iam::444444444444:role/admin/*"}, "to": {"principal": BREAKGLASS},
            "deny": True, "via": "assume"}
    assert violators(graph, rule) == {PROD_ADMIN}
    assert violators(graph, {**rule, "from": {"principal": "arn:aws:iam::444444444444:role/vendor/*"}}) == set()


def test_selector_kind(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    rule = {"from": {"kind": "service"}, "to": {"principal": BREAKGLASS}, "deny": True, "via": "assume"}
    assert violators(graph, rule) == {"codebuild.amazonaws.com"}
    assert violators(graph, {**rule, "from": {"kind": "user"}}) == {ORG_ADMIN, ALICE}
    assert violators(graph, {**rule, "from": {"kind": "public"}}) == set()


def test_selector_outside(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    rule = {"from": {"outside": True}, "to": {"principal": LEGACY_MONITORING}, "deny": True}
    assert violators(graph, rule) == {"arn:aws:iam::999988887777:root"}  # §3: TG302
    # §5: the RCP keeps 999988887777 out of OldConsultant with organization.json
    assert "arn:aws:iam::999988887777:root" not in violators(graph, {**rule, "to": {"principal": OLD_CONSULTANT}})
    assert violators(graph, {**rule, "from": {"outside": True}, "to": {"principal": BREAKGLASS},
                             "via": "assume"}) == {
        "arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com"}  # §1 row 6
    assert "arn:aws:iam::999988887777:root" not in violators(graph, {**rule, "from": {"outside": False}})


def test_selector_sensitive(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, sensitive = acme
    rule = {"from": {"principal": PROD_ADMIN}, "to": {"sensitive": True}, "deny": True, "via": "assume"}
    assert BREAKGLASS in sensitive and violators(graph, rule, sensitive) == {PROD_ADMIN}
    assert violators(graph, rule, set()) == set()  # nothing sensitive: nothing guarded
    not_sensitive = violators(graph, {**rule, "to": {"sensitive": False, "principal": BREAKGLASS}}, sensitive)
    assert not_sensitive == set()


def test_selector_tag(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    rule = {"from": {"principal": PROD_ADMIN}, "to": {"tag": {"trustgraph:sensitive": "true"}}, "deny": True,
            "via": "assume"}
    result = run(graph, rule)
    assert [(v.principal, v.role) for v in result.violations] == [(PROD_ADMIN, BREAKGLASS)]
    assert violators(graph, {**rule, "to": {"tag": {"trustgraph:sensitive": "false"}}}) == set()
    assert violators(graph, {**rule, "to": {"tag": {"Trustgraph:Sensitive": "t*"}}}) == {PROD_ADMIN}  # key: any case


def test_via_restricts_the_edges_a_rule_follows(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    rule = {"to": {"principal": BREAKGLASS}, "allow_only": {"from": {"ou": "Security"}}}
    sso_admin = "arn:aws:iam::444444444444:role/aws-reserved/sso.amazonaws.com/" \
                "AWSReservedSSO_AdministratorAccess_8c1f5e2a9d3b7046"
    assert sso_admin in violators(graph, rule)  # §9.3: account takeover of 444444444444
    assert sso_admin not in violators(graph, {**rule, "via": ["assume"]})


# -- the search ----------------------------------------------------------------------------------------------------


def toy(*edges: tuple[str, str]) -> nx.DiGraph:
    graph = nx.DiGraph()
    for node in {n for e in edges for n in e}:
        graph.add_node(node, kind="role", account="111111111111", in_data=True)
    for a, b in edges:
        graph.add_edge(a, b, kind="assume", conditional=False, conditions=[], evidence=[])
    return graph


def test_a_guarded_role_reaching_another_is_a_violator() -> None:
    """A role both guarded and judged: its own distance 0 must not hide the other guarded role it reaches."""
    graph = toy(("T1", "X"), ("X", "T1"), ("X", "T2"), ("P", "T1"))
    found = nearest_targets(graph, {"T1", "T2"})
    assert route_to(found, "T1", "T2") == ["T1", "X", "T2"]
    result = check(graph, rules({"to": {"principal": "T*"}, "from": {"principal": "*"}, "deny": True}))[0]
    assert {v.principal: v.role for v in result.violations} == {"T1": "T2", "X": "T1", "P": "T1"}
    alone = toy(("P", "T1"))
    result = check(alone, rules({"to": {"principal": "T*"}, "from": {"principal": "*"}, "deny": True}))[0]
    assert {v.principal for v in result.violations} == {"P"}


def test_one_search_per_distinct_to_and_via(acme: tuple[nx.DiGraph, set[str]],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    graph, _ = acme
    calls: list[int] = []
    real = guardrails.nearest_targets

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(guardrails, "nearest_targets", counted)
    to = {"ou": "Prod"}
    check(graph, rules({"from": {"ou": "NonProd"}, "to": to, "deny": True},
                       {"from": {"ou": "Security"}, "to": to, "deny": True},
                       {"to": to, "allow_only": {"from": {"ou": "Infrastructure"}}}))
    assert len(calls) == 2  # unconditional and any: shared by the three rules
    calls.clear()
    check(graph, rules({"from": {"ou": "NonProd"}, "to": to, "deny": True},
                       {"from": {"ou": "NonProd"}, "to": {"ou": "Security"}, "deny": True}))
    assert len(calls) == 4


def test_violations_are_grouped_per_source_and_role(acme: tuple[nx.DiGraph, set[str]]) -> None:
    graph, _ = acme
    result = run(graph, {"to": {"principal": BREAKGLASS}, "allow_only": {"from": {"ou": "Security"}},
                         "via": "assume"})
    groups = {(g.source, g.role): g.count for g in result.groups}
    assert groups[("OU Infrastructure", BREAKGLASS)] == 3 and groups[("OU Workloads/Prod", BREAKGLASS)] == 2
    assert sum(groups.values()) == len(result.violations)


# -- the rules file ------------------------------------------------------------------------------------------------


def problems(value: Any) -> list[str]:
    return [f"{'.'.join(map(str, p.path))}: {p.message}" for p in parse_rules(value)[1]]


def test_rules_file_unknown_key() -> None:
    found = problems({"rules": [{"id": "a", "to": {"ou": "Prod"}, "deny": True, "form": {"ou": "Dev"}}]})
    assert found[0].startswith("rules.0.form: unknown key 'form'; a rule takes id, description, from, to")
    assert found[1] == "rules.0.from: `from` is required: a selector or a list of selectors"  # one line each
    assert problems({"rules": [{"id": "a", "to": {"ou": "Prod"}, "from": {"ou": "Dev"}, "deny": True}]}) == []


def test_rules_file_unknown_selector() -> None:
    found = problems({"rules": [{"id": "a", "to": {"ous": "Prod"}, "from": {"kind": "robot"}, "deny": True}]})
    assert found[0].startswith("rules.0.to.ous: unknown selector 'ous'")
    assert found[1].startswith("rules.0.from.kind: unknown kind robot")


def test_rules_file_bad_via() -> None:
    found = problems({"rules": [{"id": "a", "to": {"ou": "Prod"}, "from": {"ou": "Dev"}, "deny": True,
                                 "via": ["assume", "teleport"]}]})
    assert found == ["rules.0.via: unknown via teleport: use assume, passrole, code, iam, sso, all"]


def test_rules_file_one_demand_each() -> None:
    assert problems({"rules": [{"id": "a", "to": {"ou": "Prod"}}]})[0].startswith("rules.0: a rule gives exactly")
    assert problems({"rules": [{"id": "a", "to": {"ou": "P"}, "from": {"ou": "D"}, "deny": False}]})[0] \
        .startswith("rules.0.deny:")
    assert problems({"rules": [{"id": "a", "to": {"ou": "P"}, "require_conditions": ["MFA"]}]})[0] \
        .startswith("rules.0.require_conditions:")
    assert problems({"rules": [{"id": "a", "to": {"ou": "P"}, "deny": True}]}) == \
        ["rules.0.from: `from` is required: a selector or a list of selectors"]
    twice = problems({"rules": [{"id": "a", "to": {"ou": "P"}, "allow_only": {"from": {"ou": "S"}}},
                                {"id": "a", "to": {"ou": "Q"}, "allow_only": {"from": {"ou": "S"}}}]})
    assert twice == ["rules.1.id: rule id 'a' is also rule 1's"]


def test_rules_file_account_ids_read_as_numbers() -> None:
    ok = {"rules": [{"id": "a", "to": {"ou": "P"}, "from": {"account": 464622532012}, "deny": True}]}
    assert problems(ok) == [] and parse_rules(ok)[0][0].sources[0].account == ("464622532012",)
    octal = {"rules": [{"id": "a", "to": {"ou": "P"}, "from": {"account": [464622532012, 342391]}, "deny": True}]}
    assert problems(octal) == ["rules.0.from.account: account 342391 is not a 12-digit id: quote account ids "
                               "('012345678901')"]
