"""SEMANTICS §5: condition operators (5.1, unit level) and how each class of key is treated (5.2, graph level)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from builders import (
    A,
    Account,
    B,
    C,
    Org,
    build,
    can_assume,
    conditional_on,
    doc,
    edge,
    load,
    load_files,
    no_edge,
    problems,
    trust,
    trust_stmt,
    unconditional,
)

from trustgraph.analysis.reachability import who_can_reach
from trustgraph.graph.build import build_graph
from trustgraph.model import Condition
from trustgraph.policy.conditions import Tri, evaluate_condition, evaluate_conditions
from trustgraph.policy.facts import ABSENT, CHOSEN, UNKNOWN


class Facts:
    """Condition-key values for unit tests: key → tuple of strings, or ABSENT / UNKNOWN / CHOSEN."""

    def __init__(self, values: dict[str, object]) -> None:
        self.values = values

    def value(self, key: str):
        return self.values.get(key, ABSENT)


def facts(mapping: dict[str, object]) -> Facts:
    """A plain string stands for a one-value key."""
    return Facts({k.lower(): (v,) if isinstance(v, str) else v for k, v in mapping.items()})


def ev(operator: str, key: str, values, context: dict[str, object], variables: bool = True) -> Tri:
    values = (values,) if isinstance(values, str) else tuple(values)
    return evaluate_condition(Condition(operator, key, values), facts(context), variables)


T, F = Tri.TRUE, Tri.FALSE

# -- 5.1 operator families ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("operator", "policy", "actual", "expected"), [
    ("StringEquals", "Blue", "Blue", T),
    ("StringEquals", "Blue", "blue", F),  # case-sensitive
    ("StringEquals", "*", "anything", F),  # `*` is literal
    ("StringEquals", "*", "*", T),
    ("StringNotEquals", "Blue", "Red", T),
    ("StringNotEquals", "Blue", "Blue", F),
    ("StringEqualsIgnoreCase", "Blue", "bLUE", T),
    ("StringNotEqualsIgnoreCase", "Blue", "bLUE", F),
    ("StringLike", "repo:acme/*", "repo:acme/app:ref:refs/heads/main", T),
    ("StringLike", "repo:acme/*", "repo:ACME/app", F),  # case-sensitive glob
    ("StringLike", "team-?", "team-a", T),
    ("StringLike", "team-?", "team-ab", F),
    ("StringNotLike", "repo:acme/*", "repo:evil/app", T),
    ("StringNotLike", "repo:acme/*", "repo:acme/app", F),
])
def test_rule_5_1_string_operators(operator, policy, actual, expected):
    assert ev(operator, "aws:PrincipalTag/x", policy, {"aws:principaltag/x": actual}) is expected


@pytest.mark.parametrize(("operator", "policy", "actual", "expected"), [
    ("ArnEquals", "arn:aws:iam::111111111111:role/ci-*", "arn:aws:iam::111111111111:role/ci-build", T),
    ("ArnLike", "arn:aws:iam::111111111111:role/ci-*", "arn:aws:iam::111111111111:role/ci-build", T),
    ("ArnLike", "arn:aws:iam::*:role/Audit", "arn:aws:iam::222222222222:role/Audit", T),
    ("ArnLike", "arn:aws:iam::111111111111:role/ci-*", "arn:aws:iam::111111111111:role/CI-build", F),
    ("ArnLike", "arn:aws:iam::111111111111:role/*", "arn:aws:iam::111111111111:role/teams/deep/x", T),
    ("ArnLike", "arn:aws:iam::1111*:role/x", "arn:aws:iam::111111111111:role/x", T),
    ("ArnLike", "arn:aws:iam::111111111111:*", "arn:aws:sts::111111111111:assumed-role/x/y", F),  # per segment
    ("ArnNotLike", "arn:aws:iam::111111111111:role/ci-*", "arn:aws:iam::111111111111:role/prod", T),
    ("ArnNotEquals", "arn:aws:iam::111111111111:role/ci-*", "arn:aws:iam::111111111111:role/ci-x", F),
])
def test_rule_5_1_arn_operators_glob_each_segment_case_sensitively(operator, policy, actual, expected):
    assert ev(operator, "aws:PrincipalArn", policy, {"aws:principalarn": actual}) is expected


@pytest.mark.parametrize(("operator", "policy", "actual", "expected"), [
    ("NumericEquals", "5", "5", T),
    ("NumericEquals", "5", "5.0", T),
    ("NumericNotEquals", "5", "6", T),
    ("NumericLessThan", "10", "9", T),
    ("NumericLessThan", "10", "10", F),
    ("NumericLessThanEquals", "10", "10", T),
    ("NumericGreaterThan", "10", "11", T),
    ("NumericGreaterThanEquals", "10", "9", F),
    ("NumericEquals", "5", "five", F),
])
def test_rule_5_1_numeric_operators(operator, policy, actual, expected):
    assert ev(operator, "aws:MultiFactorAuthAge", policy, {"aws:multifactorauthage": actual}) is expected


@pytest.mark.parametrize(("operator", "policy", "actual", "expected"), [
    ("DateLessThan", "2030-01-01T00:00:00Z", "2025-06-01T12:00:00Z", T),
    ("DateGreaterThan", "2030-01-01T00:00:00Z", "2025-06-01T12:00:00Z", F),
    ("DateEquals", "2025-06-01T12:00:00Z", "2025-06-01T12:00:00+00:00", T),
    ("DateNotEquals", "2025-06-01T12:00:00Z", "2025-06-01T12:00:01Z", T),
    ("DateLessThanEquals", "1700000000", "2023-11-14T22:13:20Z", T),  # epoch seconds
    ("DateGreaterThanEquals", "2023-11-14T22:13:20Z", "1700000000", T),
])
def test_rule_5_1_date_operators(operator, policy, actual, expected):
    assert ev(operator, "aws:CurrentTime", policy, {"aws:currenttime": actual}) is expected


@pytest.mark.parametrize(("operator", "policy", "actual", "expected"), [
    ("Bool", "true", "true", T),
    ("Bool", "true", "false", F),
    ("Bool", "True", "true", T),
    ("IpAddress", "10.0.0.0/8", "10.1.2.3", T),
    ("IpAddress", "10.0.0.0/8", "192.168.0.1", F),
    ("IpAddress", "2001:db8::/32", "2001:db8::1", T),
    ("IpAddress", "203.0.113.7", "203.0.113.7", T),
    ("NotIpAddress", "10.0.0.0/8", "192.168.0.1", T),
    ("NotIpAddress", "10.0.0.0/8", "10.0.0.1", F),
    ("BinaryEquals", "QmluYXJ5", "QmluYXJ5", T),
])
def test_rule_5_1_bool_ip_and_binary_operators(operator, policy, actual, expected):
    assert ev(operator, "k:x", policy, {"k:x": actual}) is expected


def test_rule_5_1_condition_key_names_ignore_case():
    assert ev("StringEquals", "AWS:PRINCIPALTAG/Team", "blue", {"aws:principaltag/team": "blue"}) is T


def test_rule_5_1_operator_names_ignore_case():
    assert ev("stringequals", "k:x", "v", {"k:x": "v"}) is T
    assert ev("forallvalues:STRINGLIKE", "k:x", "v*", {"k:x": ("v1", "v2")}) is T


def test_rule_5_1_missing_key_positive_operator_is_false():
    for op in ("StringEquals", "StringLike", "ArnLike", "NumericEquals", "Bool", "IpAddress", "DateLessThan"):
        assert ev(op, "k:missing", "x", {}) is F, op


def test_rule_5_1_missing_key_negated_operator_is_true():
    for op in ("StringNotEquals", "StringNotLike", "ArnNotLike", "ArnNotEquals", "NumericNotEquals",
               "NotIpAddress", "DateNotEquals", "StringNotEqualsIgnoreCase"):
        assert ev(op, "k:missing", "x", {}) is T, op


def test_rule_5_1_if_exists_is_true_when_missing_and_evaluated_when_present():
    assert ev("StringEqualsIfExists", "k:x", "a", {}) is T
    assert ev("StringEqualsIfExists", "k:x", "a", {"k:x": "a"}) is T
    assert ev("StringEqualsIfExists", "k:x", "a", {"k:x": "b"}) is F
    assert ev("BoolIfExists", "aws:MultiFactorAuthPresent", "true", {}) is T
    assert ev("StringNotEqualsIfExists", "k:x", "a", {"k:x": "a"}) is F


def test_rule_5_1_null_operator_tests_key_absence():
    assert ev("Null", "k:x", "true", {}) is T
    assert ev("Null", "k:x", "true", {"k:x": "v"}) is F
    assert ev("Null", "k:x", "false", {"k:x": "v"}) is T
    assert ev("Null", "k:x", "false", {}) is F


def test_rule_5_1_for_any_value_is_false_on_empty_or_absent_set():
    assert ev("ForAnyValue:StringEquals", "k:set", "a", {}) is F
    assert ev("ForAnyValue:StringEquals", "k:set", "a", {"k:set": ()}) is F
    assert ev("ForAnyValue:StringNotEquals", "k:set", "a", {}) is F
    assert ev("ForAnyValue:StringEquals", "k:set", "a", {"k:set": ("b", "a")}) is T
    assert ev("ForAnyValue:StringEquals", "k:set", "a", {"k:set": ("b", "c")}) is F


def test_rule_5_1_for_all_values_is_true_on_empty_or_absent_set():
    assert ev("ForAllValues:StringEquals", "k:set", "a", {}) is T
    assert ev("ForAllValues:StringEquals", "k:set", "a", {"k:set": ()}) is T
    assert ev("ForAllValues:StringLike", "k:set", ["a*", "b"], {"k:set": ("a1", "b")}) is T
    assert ev("ForAllValues:StringLike", "k:set", ["a*", "b"], {"k:set": ("a1", "c")}) is F
    assert ev("ForAllValues:StringNotEquals", "k:set", ["x"], {"k:set": ("a", "b")}) is T
    assert ev("ForAllValues:StringNotEquals", "k:set", ["x"], {"k:set": ("a", "x")}) is F


def test_rule_5_1_negated_operator_with_several_values_means_none_of_them():
    assert ev("StringNotEquals", "k:x", ["a", "b"], {"k:x": "c"}) is T
    assert ev("StringNotEquals", "k:x", ["a", "b"], {"k:x": "b"}) is F


def test_rule_5_1_several_values_for_one_key_are_ored():
    assert ev("StringEquals", "k:x", ["a", "b", "c"], {"k:x": "b"}) is T
    assert ev("StringEquals", "k:x", ["a", "b", "c"], {"k:x": "d"}) is F


def test_rule_5_1_several_keys_and_several_operators_are_anded():
    ctx = facts({"k:a": "1", "k:b": "2"})
    both = (Condition("StringEquals", "k:a", ("1",)), Condition("StringEquals", "k:b", ("2",)))
    one_wrong = (Condition("StringEquals", "k:a", ("1",)), Condition("NumericGreaterThan", "k:b", ("5",)))
    assert evaluate_conditions(both, ctx, True).state is T
    assert evaluate_conditions(one_wrong, ctx, True).state is F


def test_rule_5_1_a_false_condition_settles_the_block_even_beside_unknown_ones():
    ctx = facts({"k:a": "1", "aws:sourceip": UNKNOWN})
    conds = (Condition("IpAddress", "aws:SourceIp", ("10.0.0.0/8",)), Condition("StringEquals", "k:a", ("2",)))
    assert evaluate_conditions(conds, ctx, True).state is F


def test_rule_5_1_unknown_keys_are_kept_as_the_unresolved_conditions():
    ctx = facts({"k:a": "1", "aws:sourceip": UNKNOWN, "sts:externalid": UNKNOWN})
    conds = (Condition("IpAddress", "aws:SourceIp", ("10.0.0.0/8",)), Condition("StringEquals", "k:a", ("1",)),
             Condition("StringEquals", "sts:ExternalId", ("s3cr3t",)))
    outcome = evaluate_conditions(conds, ctx, True)
    assert outcome.state is Tri.UNKNOWN
    assert [c.key for c in outcome.unresolved] == ["aws:SourceIp", "sts:ExternalId"]


def test_rule_5_1_unknown_operator_is_never_silently_true_or_false():
    assert ev("StringSortOf", "k:x", "a", {"k:x": "a"}) is Tri.UNKNOWN


def test_rule_5_1_variables_resolve_in_condition_values():
    ctx = {"aws:username": "alice", "k:x": "home/alice"}
    assert ev("StringEquals", "k:x", "home/${aws:username}", ctx) is T
    assert ev("StringEquals", "k:x", "home/${aws:username}", {**ctx, "aws:username": "bob"}) is F


def test_rule_5_1_unresolvable_variable_yields_no_match():
    # Role sessions have no aws:username: a value naming it can never match.
    assert ev("StringEquals", "k:x", "home/${aws:username}", {"k:x": "home/"}) is F
    assert ev("StringLike", "k:x", ["${aws:username}", "fixed"], {"k:x": "fixed"}) is T


def test_rule_5_1_variable_default_and_escapes():
    assert ev("StringEquals", "k:x", "${aws:PrincipalTag/team, 'none'}", {"k:x": "none"}) is T
    assert ev("StringEquals", "k:x", "a${*}b${?}c${$}", {"k:x": "a*b?c$"}) is T


def test_rule_5_1_variable_with_unknown_value_stays_unknown():
    assert ev("StringEquals", "k:x", "${aws:SourceIdentity}", {"k:x": "v", "aws:sourceidentity": UNKNOWN}) \
        is Tri.UNKNOWN


def test_rule_5_1_variables_are_literal_text_without_version_2012():
    ctx = {"aws:username": "alice", "k:x": "${aws:username}"}
    assert ev("StringEquals", "k:x", "${aws:username}", ctx, variables=False) is T
    assert ev("StringEquals", "k:x", "${aws:username}", {**ctx, "k:x": "alice"}, variables=False) is F


def test_rule_5_1_caller_chosen_keys_are_chosen_not_settled():
    assert ev("StringEquals", "sts:RoleSessionName", "x", {"sts:rolesessionname": CHOSEN}) is Tri.CHOSEN


# -- 5.1 end to end: variables and Version ---------------------------------------------------------------------


def test_rule_5_1_username_variable_in_trust_condition_binds_to_the_calling_user():
    a = Account(A)
    cond = {"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}
    alice = a.user("alice", policies=can_assume("*"), tags={"owner": "alice"})
    mallory = a.user("mallory", policies=can_assume("*"), tags={"owner": "alice"})
    worker = a.role("Worker", trust(), policies=can_assume("*"), tags={"owner": "alice"})
    target = a.role("Target", trust(A, condition=cond))
    g = build(a)
    unconditional(g, alice, target)
    no_edge(g, mallory, target)
    no_edge(g, worker, target)  # roles have no aws:username


def test_rule_5_1_version_2008_trust_reads_variables_as_literal_text():
    a = Account(A)
    cond = {"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}
    alice = a.user("alice", policies=can_assume("*"), tags={"owner": "alice"})
    literal = a.user("literal", policies=can_assume("*"), tags={"owner": "${aws:username}"})
    target = a.role("Target", trust(A, condition=cond, version="2008-10-17"))
    missing = a.role("NoVersion", trust(A, condition=cond, version=None))
    g = build(a)
    no_edge(g, alice, target)
    unconditional(g, literal, target)
    no_edge(g, alice, missing)
    unconditional(g, literal, missing)


# -- 5.2 principal facts are resolved ---------------------------------------------------------------------------


def test_rule_5_2_principal_tag_resolved_against_iam_tags():
    a = Account(A)
    cond = {"StringEquals": {"aws:PrincipalTag/team": "platform"}}
    user_in = a.user("user-in", policies=can_assume("*"), tags={"team": "platform"})
    user_out = a.user("user-out", policies=can_assume("*"), tags={"team": "sales"})
    untagged = a.user("untagged", policies=can_assume("*"))
    role_in = a.role("RoleIn", trust(), policies=can_assume("*"), tags={"team": "platform"})
    target = a.role("Target", trust(A, condition=cond))
    g = build(a)
    unconditional(g, user_in, target)
    unconditional(g, role_in, target)
    no_edge(g, user_out, target)
    no_edge(g, untagged, target)


def test_rule_5_2_principal_arn_of_a_role_includes_its_path():
    a = Account(A)
    deploy = a.role("Deploy", trust(), path="/teams/", policies=can_assume("*"))
    with_path = a.role("WithPath", trust(A, condition={"ArnEquals": {"aws:PrincipalArn": deploy}}))
    without_path = a.role("WithoutPath", trust(A, condition={
        "ArnEquals": {"aws:PrincipalArn": a.arn("role", "Deploy")}}))
    session_form = a.role("SessionForm", trust(A, condition={
        "ArnLike": {"aws:PrincipalArn": f"arn:aws:sts::{A}:assumed-role/Deploy/*"}}))
    g = build(a)
    unconditional(g, deploy, with_path)
    no_edge(g, deploy, without_path)
    no_edge(g, deploy, session_form)


def test_rule_5_2_principal_account_resolved():
    a, b = Account(A), Account(B)
    target = a.role("Target", trust("*", condition={"StringEquals": {"aws:PrincipalAccount": B}}))
    bob = b.user("bob", policies=can_assume("*"))
    alice = a.user("alice")
    g = build(a, b)
    unconditional(g, bob, target)
    no_edge(g, alice, target)


def test_rule_5_2_principal_type_and_username_resolved():
    a = Account(A)
    users_only = a.role("UsersOnly", trust(A, condition={"StringEquals": {"aws:PrincipalType": "User"}}))
    named = a.role("Named", trust(A, condition={"StringEquals": {"aws:username": "alice"}}))
    alice = a.user("alice", policies=can_assume("*"))
    worker = a.role("Worker", trust(), policies=can_assume("*"))
    g = build(a)
    unconditional(g, alice, users_only)
    no_edge(g, worker, users_only)
    unconditional(g, alice, named)
    no_edge(g, worker, named)


def test_rule_5_2_principal_org_id_resolved_from_organization_data():
    a, b, c = Account(A), Account(B), Account(C)
    target = a.role("Target", trust("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-test"}}))
    member = b.user("member", policies=can_assume("*"))
    outsider = c.user("outsider", policies=can_assume("*"))
    org = Org()
    org.account(A)
    org.account(B)
    g = build(a, b, c, org)
    unconditional(g, member, target)
    no_edge(g, outsider, target)
    no_edge(g, "*", target)  # the public stand-in is outside the organization


def test_rule_5_2_principal_org_id_without_organization_data_stays_conditional():
    a, b = Account(A), Account(B)
    target = a.role("Target", trust("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-test"}}))
    bob = b.user("bob", policies=can_assume("*"))
    conditional_on(build(a, b), bob, target, "aws:PrincipalOrgID")


def test_rule_5_2_resource_tag_refers_to_the_target_roles_tags():
    a = Account(A)
    alice = a.user("alice", policies=can_assume("*"), tags={"team": "blue"})
    cond = {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}
    blue = a.role("Blue", trust(A, condition=cond), tags={"team": "blue"})
    red = a.role("Red", trust(A, condition=cond), tags={"team": "red"})
    g = build(a)
    unconditional(g, alice, blue)
    no_edge(g, alice, red)


# -- 5.2 unsettled keys keep the edge, with its keys -------------------------------------------------------------


@pytest.mark.parametrize(("condition", "key"), [
    ({"StringEquals": {"sts:ExternalId": "s3cr3t"}}, "sts:ExternalId"),
    ({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, "aws:MultiFactorAuthPresent"),
    ({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, "aws:MultiFactorAuthAge"),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, "aws:SourceIp"),
    ({"StringEquals": {"aws:SourceVpce": "vpce-1"}}, "aws:SourceVpce"),
    ({"StringEquals": {"aws:SourceIdentity": "admin"}}, "aws:SourceIdentity"),
])
def test_rule_5_2_unsettled_aws_keys_keep_a_conditional_edge_with_their_keys(condition, key):
    a, b = Account(A), Account(B)
    target = a.role("Target", trust(B, condition=condition))
    bob = b.user("bob", policies=can_assume("*"))
    data = conditional_on(build(a, b), bob, target, key)
    assert data["evidence"][0]["conditions"][0]["key"] == key
    # The outside account is kept too, with the same keys.
    conditional_on(build(a), f"arn:aws:iam::{B}:root", target, key)


def test_rule_5_2_oidc_sub_and_aud_keep_a_conditional_edge_with_their_keys():
    a = Account(A)
    host = "token.actions.githubusercontent.com"
    idp = f"arn:aws:iam::{A}:oidc-provider/{host}"
    target = a.role("Target", trust({"Federated": idp}, "sts:AssumeRoleWithWebIdentity", condition={
        "StringEquals": {f"{host}:aud": "sts.amazonaws.com"},
        "StringLike": {f"{host}:sub": "repo:acme/app:*"}}))
    data = conditional_on(build(a), idp, target, f"{host}:aud", f"{host}:sub")
    assert {c["operator"] for c in data["evidence"][0]["conditions"]} == {"StringEquals", "StringLike"}


def test_rule_5_2_saml_aud_keeps_a_conditional_edge_with_its_key():
    a = Account(A)
    idp = f"arn:aws:iam::{A}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"
    target = a.role("AWSReservedSSO_Admin_0123456789abcdef", trust(
        {"Federated": idp}, ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        condition={"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}),
        path="/aws-reserved/sso.amazonaws.com/")
    data = conditional_on(build(a), idp, target, "SAML:aud")
    assert data["kind"] == "saml"


def test_rule_5_2_service_confused_deputy_keys_stay_conditional():
    a = Account(A)
    target = a.role("Target", trust({"Service": "lambda.amazonaws.com"},
                                    condition={"StringEquals": {"aws:SourceAccount": A}}))
    conditional_on(build(a), "lambda.amazonaws.com", target, "aws:SourceAccount")


def test_rule_5_2_caller_chosen_session_name_is_met_by_the_caller():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", trust(alice, condition={"StringLike": {"sts:RoleSessionName": "audit-*"}}))
    data = unconditional(build(a), alice, target)
    assert data["evidence"][0]["caller_chosen"] == ["sts:RoleSessionName"]


def test_rule_5_2_caller_chosen_key_with_username_variable_still_binds_to_the_caller():
    a = Account(A)
    cond = {"StringEquals": {"sts:RoleSessionName": "${aws:username}"}}
    alice = a.user("alice", policies=can_assume("*"))
    worker = a.role("Worker", trust(), policies=can_assume("*"))
    target = a.role("Target", trust(A, condition=cond))
    g = build(a)
    assert edge(g, alice, target)["evidence"][0]["caller_chosen"] == ["sts:RoleSessionName"]
    no_edge(g, worker, target)  # role sessions have no username: the value can never be met


def test_rule_5_2_deny_keyed_on_a_caller_chosen_parameter_is_avoided():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", doc(trust_stmt(alice), trust_stmt(
        alice, effect="Deny", condition={"StringLike": {"sts:RoleSessionName": "forbidden-*"}})))
    unconditional(build(a), alice, target)


def test_rule_5_2_principal_arn_of_an_outside_account_is_matched_by_its_account_segment():
    a = Account(A)
    own_account = a.role("OwnAccount", trust(B, condition={
        "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{B}:role/ci-*"}}))
    other_account = a.role("OtherAccount", trust(B, condition={
        "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{C}:role/ci-*"}}))
    g = build(a)
    outside = f"arn:aws:iam::{B}:root"
    conditional_on(g, outside, own_account, "aws:PrincipalArn")  # some principal there may match
    no_edge(g, outside, other_account)  # no principal of B has an ARN in C


def test_rule_5_2_principal_org_paths_resolved_from_organization_data():
    a, b, c = Account(A), Account(B), Account(C)
    cond = {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-test/r-root/ou-prod/*"}}
    target = a.role("Target", trust("*", condition=cond))
    in_prod = b.user("in-prod", policies=can_assume("*"))
    in_dev = c.user("in-dev", policies=can_assume("*"))
    org = Org()
    org.ou("ou-prod")
    org.ou("ou-dev")
    org.account(A, parent="ou-prod")
    org.account(B, parent="ou-prod")
    org.account(C, parent="ou-dev")
    g = build(a, b, c, org)
    unconditional(g, in_prod, target)
    no_edge(g, in_dev, target)


# -- 5.2 time conditions are settled at the data time ------------------------------------------------------------

COLLECTED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("operator", "key", "value", "holds"), [
    ("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", True),
    ("DateLessThan", "aws:CurrentTime", "2024-12-31T23:59:59Z", False),  # expired before the data time
    ("DateGreaterThan", "aws:CurrentTime", "2026-01-01", False),  # not yet valid at the data time
    ("DateGreaterThan", "aws:CurrentTime", "2025-06-01T11:00:00Z", True),
    ("NumericLessThan", "aws:EpochTime", "1893456000", True),  # 2030-01-01
    ("NumericLessThan", "aws:EpochTime", "1700000000", False),  # 2023-11-14
    ("DateLessThan", "aws:EpochTime", "1700000000", False),
])
def test_rule_5_2_time_conditions_are_settled_at_the_data_time(operator, key, value, holds):
    a, b = Account(A), Account(B)
    target = a.role("Target", trust(B, condition={operator: {key: value}}))
    bob = b.user("bob", policies=can_assume("*"))
    g = build(a, b, data_time=COLLECTED)
    assert g.graph["data_time"] == "2025-06-01T12:00:00Z"
    if holds:
        data = unconditional(g, bob, target)
        assert any("holds at the data time 2025-06-01T12:00:00Z" in n for n in data["evidence"][0]["notes"])
    else:
        no_edge(g, bob, target)
        no_edge(g, f"arn:aws:iam::{B}:root", target)
        assert any("does not hold at the data time 2025-06-01T12:00:00Z" in m for m in problems(g, target))


def test_rule_5_2_an_expiry_in_the_past_is_a_deny_in_every_policy():
    a, b = Account(A), Account(B)
    past = {"DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}}
    target = a.role("Target", trust(B))
    expired_grant = b.user("expired-grant", policies=can_assume(target, condition=past))
    valid_grant = b.user("valid-grant", policies=can_assume(target, condition={
        "DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}))
    fenced = a.role("Fenced", doc(trust_stmt(B), trust_stmt(B, effect="Deny", condition={
        "DateGreaterThan": {"aws:CurrentTime": "2025-03-01T00:00:00Z"}})))  # denied since March
    g = build(a, b, data_time=COLLECTED)
    no_edge(g, expired_grant, target)
    unconditional(g, valid_grant, target)
    no_edge(build(a, data_time=COLLECTED), f"arn:aws:iam::{B}:root", fenced)
    earlier = datetime(2024, 6, 1, tzinfo=UTC)  # the same data, collected a year earlier
    unconditional(build(a, b, data_time=earlier), expired_grant, target)
    unconditional(build(a, data_time=earlier), f"arn:aws:iam::{B}:root", fenced)


def test_rule_5_2_token_issue_time_present_for_role_sessions_chosen_by_users():
    a = Account(A)
    alice = a.user("alice")
    worker = a.role("Worker", trust(alice))
    long_term_only = a.role("LongTermOnly", trust([alice, worker], condition={"Null": {"aws:TokenIssueTime": "true"}}))
    sessions_only = a.role("SessionsOnly", trust([alice, worker], condition={"Null": {"aws:TokenIssueTime": "false"}}))
    # Revoking older sessions (AWS's "revoke active sessions" Deny) stops nobody who can get a fresh one.
    revoked = a.role("Revoked", doc(trust_stmt([alice, worker]), trust_stmt([alice, worker], effect="Deny", condition={
        "DateLessThan": {"aws:TokenIssueTime": "2025-05-01T00:00:00Z"}})))
    g = build(a, data_time=COLLECTED)
    assert edge(g, alice, long_term_only)["evidence"][0]["caller_chosen"] == ["aws:TokenIssueTime"]
    no_edge(g, worker, long_term_only)  # a role session always carries aws:TokenIssueTime
    assert edge(g, alice, sessions_only)["evidence"][0]["caller_chosen"] == ["aws:TokenIssueTime"]
    unconditional(g, worker, sessions_only)
    unconditional(g, alice, revoked)
    unconditional(g, worker, revoked)


def test_rule_5_2_data_time_comes_from_the_collection_manifest_else_the_build(tmp_path):
    from trustgraph.graph.build import build_graph

    a, b = Account(A), Account(B)
    target = a.role("Target", trust(B, condition={"DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}}))
    bob = b.user("bob", policies=can_assume("*"))
    manifest = {"schema": "trustgraph/manifest/v1", "started_at": "2024-05-31T23:58:00+00:00",
                "finished_at": "2024-06-01T00:01:00+00:00", "accounts": []}
    snapshot, _ = load_files(tmp_path / "with", a, b, manifest)
    g = build_graph(snapshot)
    assert (g.graph["data_time"], g.graph["data_time_source"]) == ("2024-06-01T00:01:00Z", "manifest")
    unconditional(g, bob, target)  # valid when the data was collected
    snapshot, _ = load_files(tmp_path / "without", a, b)
    g = build_graph(snapshot, data_time=None)
    assert g.graph["data_time_source"] == "build"
    now = datetime.now(UTC)
    assert abs(datetime.fromisoformat(g.graph["data_time"].replace("Z", "+00:00")) - now).total_seconds() < 120
    no_edge(g, bob, target)  # expired by now


# -- 5.2 session tags are principal tags -------------------------------------------------------------------------

TEAM_PLATFORM = {"StringEquals": {"aws:PrincipalTag/team": "platform"}}
TAGGING = ["sts:AssumeRole", "sts:TagSession"]


def test_rule_5_2_session_tags_are_principal_tags_chosen_by_the_tagging_caller():
    a = Account(A)
    alice = a.user("alice", policies=can_assume("*"))
    tagged = a.role("Tagged", trust(alice, TAGGING), policies=can_assume("*"), tags={"team": "sales"})
    plain = a.role("Plain", trust(alice), policies=can_assume("*"), tags={"team": "sales"})
    target = a.role("Target", trust(A, condition=TEAM_PLATFORM))
    g = build(a)
    data = unconditional(g, tagged, target)  # alice passes team=platform when she assumes Tagged
    assert data["evidence"][0]["caller_chosen"] == ["aws:PrincipalTag/team"]
    assert any("session tags of Tagged are chosen by whoever assumes it" in n for n in data["evidence"][0]["notes"])
    no_edge(g, plain, target)  # its sessions carry its IAM tag team=sales
    reach = {r.principal: r for r in who_can_reach(g, target).reachers}
    assert reach[alice].path == [alice, tagged, target]


@pytest.mark.parametrize(("limit", "reaches"), [
    ({"StringEquals": {"aws:RequestTag/team": ["sales", "platform"]}}, True),
    ({"StringEquals": {"aws:RequestTag/team": "sales"}}, False),  # the only value it may pass does not fit
    ({"StringLike": {"aws:RequestTag/team": "plat*"}}, True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["cost-center"]}}, False),  # may not pass the key at all
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["cost-center", "Team"]}}, True),  # tag keys ignore case
])
def test_rule_5_2_session_tag_values_limited_by_the_trust_of_the_tagged_role(limit, reaches):
    a = Account(A)
    alice = a.user("alice")
    tagged = a.role("Tagged", doc(trust_stmt(alice), trust_stmt(alice, "sts:TagSession", condition=limit)),
                    policies=can_assume("*"))
    target = a.role("Target", trust(A, condition=TEAM_PLATFORM))
    g = build(a)
    if reaches:
        edge(g, tagged, target)
    else:
        no_edge(g, tagged, target)


def test_rule_5_2_session_tags_sent_by_an_identity_provider_keep_the_edge_conditional():
    a = Account(A)
    idp = f"arn:aws:iam::{A}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"
    sso = a.role("AWSReservedSSO_Dev_0123456789abcdef", trust(
        {"Federated": idp}, ["sts:AssumeRoleWithSAML", "sts:TagSession"]),
        path="/aws-reserved/sso.amazonaws.com/", policies=can_assume("*"))
    no_tagging = a.role("NoTagging", trust({"Federated": idp}, "sts:AssumeRoleWithSAML"), policies=can_assume("*"))
    target = a.role("Target", trust(A, condition=TEAM_PLATFORM))
    g = build(a)
    data = conditional_on(g, sso, target, "aws:PrincipalTag/team")
    assert any(f"sent by {idp}" in n for n in data["evidence"][0]["notes"])
    no_edge(g, no_tagging, target)


def test_rule_5_2_transitive_session_tags_reach_along_a_chain_only_through_tagging_trusts():
    a = Account(A)
    alice = a.user("alice", policies=can_assume("*"))
    hop1 = a.role("Hop1", trust(alice, TAGGING), policies=can_assume("*"))
    # Hop2 lets Hop1's sessions bring their transitive tags along (that needs sts:TagSession in its trust).
    hop2 = a.role("Hop2", trust(hop1, TAGGING), policies=can_assume("*"))
    # Closed does not: a session carrying transitive tags cannot assume it, one without carries Closed's tags.
    closed = a.role("Closed", trust(hop1), policies=can_assume("*"))
    target = a.role("Target", trust([hop2, closed], condition=TEAM_PLATFORM))
    g = build(a)
    edge(g, hop2, target)
    no_edge(g, closed, target)
    reach = {r.principal: r for r in who_can_reach(g, target).reachers}
    assert reach[alice].path == [alice, hop1, hop2, target]
    assert closed not in reach


def test_rule_5_2_session_tags_meet_a_principal_tag_variable():
    a = Account(A)
    alice = a.user("alice")
    tagged = a.role("Tagged", trust(alice, TAGGING), policies=can_assume("*"), tags={"team": "red"})
    plain = a.role("Plain", trust(alice), policies=can_assume("*"), tags={"team": "red"})
    same_team = {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}
    blue = a.role("Blue", trust(A, condition=same_team), tags={"team": "blue"})
    untagged = a.role("Untagged", trust(A, condition=same_team))
    g = build(a)
    assert edge(g, tagged, blue)["evidence"][0]["caller_chosen"] == ["aws:ResourceTag/team"]
    no_edge(g, plain, blue)
    no_edge(g, tagged, untagged)  # the role has no team tag: no session tag can make it match


def test_rule_5_2_session_tags_decided_per_member_in_trust_classes():
    org = Org()
    pieces: list[object] = []
    for account in (B, C):
        org.account(account)
        x = Account(account)
        x.user("dev", policies=can_assume("*"))
        x.role("Tagged", trust(x.root, TAGGING), policies=can_assume("*"))
        x.role("Plain", trust(x.root), policies=can_assume("*"))
        pieces.append(x)
    org.account(A)
    a = Account(A)
    target = a.role("Target", trust("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-test"}, **TEAM_PLATFORM}))
    snapshot, _ = load(a, *pieces, org)
    classes, expanded = build_graph(snapshot), build_graph(snapshot, classes=False)
    for g in (classes, expanded):
        edge(g, f"arn:aws:iam::{B}:role/Tagged", target)
        no_edge(g, f"arn:aws:iam::{B}:role/Plain", target)
    answers = [{(r.principal, r.hops, r.conditional, tuple(r.conditions)) for r in who_can_reach(g, target).reachers}
               for g in (classes, expanded)]
    assert answers[0] == answers[1]
    assert (f"arn:aws:iam::{C}:user/dev", 2, False, ()) in answers[0]
