"""Property tests for parse_policy (SEMANTICS §6.6, §8.1): it never raises, every problem is located,
valid policies keep their statements and principals, and every GAAD encoding reads the same."""

from __future__ import annotations

import json
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustgraph.model import Condition, PolicyDocument
from trustgraph.sources.policy_parser import PRINCIPAL_TYPES, ParseProblem, parse_policy

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- arbitrary JSON-ish input ---------------------------------------------------------------------------------

KEYS = st.sampled_from(["Version", "Statement", "Effect", "Action", "NotAction", "Resource", "NotResource",
                        "Principal", "NotPrincipal", "Condition", "Sid", "AWS", "Service", "Federated",
                        "CanonicalUser", "StringEquals", "aws:SourceIp", "*"]) | st.text(max_size=8)
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
           | st.sampled_from(["Allow", "Deny", "*", "sts:AssumeRole", "2012-10-17", "", "%7B", "{", "["])
           | st.text(max_size=12))
JSONISH = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
                       max_leaves=25)
SMALL_JSONISH = st.recursive(SCALARS,
                             lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
                             max_leaves=6)


def _as_text_forms(value):
    """The value itself, and (when JSON-serialisable) its JSON text and URL-encoded JSON text."""
    yield value
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return
    yield text
    yield quote(text, safe="")


def _check_result(result, where="$"):
    document, problems = result
    assert document is None or isinstance(document, PolicyDocument)
    assert all(isinstance(p, ParseProblem) for p in problems)
    for problem in problems:
        assert problem.location.startswith(where), problem
        assert problem.message, problem
    if document is None:
        assert problems, "a rejected document must say why"
    else:
        indexes = [s.index for s in document.statements]
        assert indexes == sorted(set(indexes))
        for statement in document.statements:
            assert statement.effect in ("Allow", "Deny")
            assert (statement.actions is None) != (statement.not_actions is None)


@SETTINGS
@given(JSONISH)
def test_rule_8_1_parse_policy_never_raises_and_locates_every_problem(value):
    for form in _as_text_forms(value):
        _check_result(parse_policy(form))


@SETTINGS
@given(st.dictionaries(KEYS, SMALL_JSONISH, max_size=4),
       st.lists(st.dictionaries(KEYS, SMALL_JSONISH, max_size=6), max_size=4))
def test_rule_8_1_parse_policy_never_raises_on_policy_shaped_documents(top, statements):
    value = {"Version": "2012-10-17", **top, "Statement": statements}
    _check_result(parse_policy(value, where="$.Doc"), where="$.Doc")


@SETTINGS
@given(st.text(max_size=40))
def test_rule_8_1_parse_policy_never_raises_on_arbitrary_text(text):
    _check_result(parse_policy(text))


def test_rule_8_1_parse_policy_survives_pathological_nesting():
    for text in ("[" * 100_000, '{"a":' * 50_000):
        document, problems = parse_policy(text)
        assert document is None and problems[0].location == "$"


# -- generated valid policies ------------------------------------------------------------------------------------

NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1, max_size=10)
ACCOUNT = st.sampled_from(["111111111111", "222222222222", "333333333333"])
AWS_PRINCIPAL = st.one_of(
    st.just("*"),
    ACCOUNT,
    ACCOUNT.map(lambda a: f"arn:aws:iam::{a}:root"),
    st.tuples(ACCOUNT, NAME).map(lambda t: f"arn:aws:iam::{t[0]}:user/{t[1]}"),
    st.tuples(ACCOUNT, NAME).map(lambda t: f"arn:aws:iam::{t[0]}:role/path/{t[1]}"),
    st.tuples(ACCOUNT, NAME, NAME).map(lambda t: f"arn:aws:sts::{t[0]}:assumed-role/{t[1]}/{t[2]}"),
)
SERVICE = NAME.map(lambda n: f"{n.lower()}.amazonaws.com")
FEDERATED = st.one_of(NAME.map(lambda n: f"arn:aws:iam::111111111111:saml-provider/{n}"),
                      st.just("accounts.google.com"))
ACTION = st.sampled_from(["sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
                          "sts:TagSession", "sts:*", "STS:assumerole", "*", "iam:PassRole"])
RESOURCE = st.one_of(st.just("*"), st.tuples(ACCOUNT, NAME).map(lambda t: f"arn:aws:iam::{t[0]}:role/{t[1]}*"))
COND_VALUE = st.one_of(NAME, st.booleans(), st.integers(min_value=0, max_value=10_000))
OPERATOR = st.sampled_from(["StringEquals", "StringLike", "ArnLike", "Bool", "NumericLessThan",
                            "ForAnyValue:StringEquals", "StringNotEqualsIfExists", "Null"])
COND_KEY = st.sampled_from(["aws:PrincipalArn", "sts:ExternalId", "aws:MultiFactorAuthPresent", "aws:SourceIp",
                            "token.actions.githubusercontent.com:sub", "aws:PrincipalTag/team"])


def one_or_many(strategy):
    """IAM accepts a scalar or a non-empty list wherever a list is allowed (§6.6)."""
    return st.one_of(strategy, st.lists(strategy, min_size=1, max_size=3))


@st.composite
def principals(draw):
    if draw(st.integers(0, 9)) == 0:
        return "*"
    kinds = draw(st.lists(st.sampled_from(["AWS", "Service", "Federated"]), min_size=1, max_size=3, unique=True))
    source = {"AWS": AWS_PRINCIPAL, "Service": SERVICE, "Federated": FEDERATED}
    return {kind: draw(one_or_many(source[kind])) for kind in kinds}


@st.composite
def statements(draw):
    s = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    if draw(st.booleans()):
        s["Sid"] = draw(NAME)
    s["NotAction" if draw(st.integers(0, 4)) == 0 else "Action"] = draw(one_or_many(ACTION))
    if draw(st.booleans()):
        s["Principal"] = draw(principals())
    else:
        s["NotResource" if draw(st.integers(0, 4)) == 0 else "Resource"] = draw(one_or_many(RESOURCE))
    if draw(st.booleans()):
        s["Condition"] = draw(st.dictionaries(OPERATOR, st.dictionaries(COND_KEY, one_or_many(COND_VALUE),
                                                                          min_size=1, max_size=2),
                                              min_size=1, max_size=2))
    return s


@st.composite
def policies(draw):
    stmts = draw(st.lists(statements(), min_size=1, max_size=4))
    body = stmts[0] if len(stmts) == 1 and draw(st.booleans()) else stmts  # Statement object or list
    policy = {"Statement": body}
    version = draw(st.sampled_from(["2012-10-17", "2008-10-17", None]))
    if version:
        policy = {"Version": version, **policy}
    return policy


def _listify(value):
    return tuple(value) if isinstance(value, list) else (value,)


def _cond_text(value):
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


@SETTINGS
@given(policies())
def test_rule_6_6_round_trip_keeps_statements_principals_actions_and_conditions(policy):
    document, problems = parse_policy(policy)
    assert problems == []
    raw = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    assert document.version == policy.get("Version")
    assert document.supports_variables == (policy.get("Version") == "2012-10-17")
    assert len(document.statements) == len(raw)
    for index, (parsed, written) in enumerate(zip(document.statements, raw, strict=True)):
        assert parsed.index == index
        assert parsed.effect == written["Effect"]
        assert parsed.sid == written.get("Sid")
        assert parsed.actions == (_listify(written["Action"]) if "Action" in written else None)
        assert parsed.not_actions == (_listify(written["NotAction"]) if "NotAction" in written else None)
        assert parsed.resources == (_listify(written["Resource"]) if "Resource" in written else None)
        assert parsed.not_resources == (_listify(written["NotResource"]) if "NotResource" in written else None)
        principal = written.get("Principal")
        if principal is None:
            assert parsed.principals is None
        elif principal == "*":
            assert parsed.principals == (("*", "*"),)
        else:
            expected = tuple((kind, v) for kind, values in principal.items() for v in _listify(values))
            assert parsed.principals == expected
            assert {kind for kind, _ in parsed.principals} <= set(PRINCIPAL_TYPES)
        expected_conditions = tuple(
            Condition(op, key, tuple(_cond_text(v) for v in _listify(values)))
            for op, block in written.get("Condition", {}).items() for key, values in block.items())
        assert parsed.conditions == expected_conditions


@SETTINGS
@given(policies())
def test_rule_8_1_dict_json_text_and_url_encoded_text_parse_identically(policy):
    expected = parse_policy(policy)
    text = json.dumps(policy)
    assert parse_policy(text) == expected
    assert parse_policy(quote(text, safe="")) == expected
    assert parse_policy(quote(json.dumps(policy, indent=2), safe="")) == expected
    assert parse_policy("\n  " + text + "  \n") == expected


@SETTINGS
@given(policies(), st.integers(0, 3), st.sampled_from([
    ({"Effect": "Maybe", "Action": "sts:AssumeRole"}, ".Effect"),
    ({"Effect": "Allow"}, ""),
    ({"Effect": "Allow", "Action": "a", "NotAction": "b"}, ""),
    ({"Effect": "Allow", "Action": []}, ".Action"),
    ({"Effect": "Allow", "Action": "a", "Principal": {"Group": "x"}}, ".Principal.Group"),
    ({"Effect": "Allow", "Action": "a", "Condition": []}, ".Condition"),
    ({"Effect": "Allow", "Action": "a", "Condition": {"StringEquals": {"k": {"nested": 1}}}},
     ".Condition.StringEquals.k"),
    ("not a statement", ""),
]))
def test_rule_8_1_invalid_statement_is_dropped_with_its_location_and_the_rest_kept(policy, position, bad):
    invalid, suffix = bad
    raw = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    position = min(position, len(raw))
    mixed = {**policy, "Statement": [*raw[:position], invalid, *raw[position:]]}
    document, problems = parse_policy(mixed)
    assert [p.location for p in problems] == [f"$.Statement[{position}]{suffix}"]
    assert problems[0].message.startswith("invalid statement skipped")
    assert [s.index for s in document.statements] == [i for i in range(len(raw) + 1) if i != position]
    clean, _ = parse_policy({**policy, "Statement": raw})
    assert [(s.effect, s.actions, s.principals) for s in document.statements] == \
        [(s.effect, s.actions, s.principals) for s in clean.statements]
