"""One bad file never aborts the run: each problem is one located line naming the file, and the rest is read.
Files in tests/hostile/ are written for these tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustgraph.sources.files import load_inputs

HOSTILE = Path(__file__).resolve().parent
GOOD = HOSTILE / "get_role_ok.json"
GOOD_ROLE = "arn:aws:iam::111122223333:role/GetRoleOk"


@pytest.mark.parametrize(("name", "location", "words"), [
    ("deeply_nested.json", "", "nested too deeply"),
    ("huge_number.json", "line 1 column 39", "4300 digits"),
])
def test_unreadable_json_is_one_located_error_and_the_rest_is_read(name: str, location: str, words: str) -> None:
    snapshot, report = load_inputs([HOSTILE / name, GOOD])
    assert GOOD_ROLE in snapshot.roles
    errors = [d for d in report.diagnostics if d.level == "error"]
    assert len(errors) == 1
    assert errors[0].source == str(HOSTILE / name) and errors[0].location == location and words in errors[0].message
    assert report.files_rejected == [str(HOSTILE / name)]


def test_ids_that_are_not_strings_are_located_warnings_and_the_entities_kept() -> None:
    snapshot, report = load_inputs([HOSTILE / "ids_not_strings.json", GOOD])
    assert {r.rsplit("/", 1)[-1] for r in snapshot.roles} == {"ObjectId", "ListId", "GoodRole", "GetRoleOk"}
    assert len(snapshot.users) == 2
    assert all(r.unique_id is None or isinstance(r.unique_id, str) for r in snapshot.roles.values())
    located = {d.location for d in report.diagnostics}
    assert {"$.UserDetailList[0].UserId", "$.UserDetailList[1].UserId", "$.RoleDetailList[0].RoleId",
            "$.RoleDetailList[1].RoleId"} <= located


def test_malformed_organization_is_located_errors_and_the_rest_is_read() -> None:
    snapshot, report = load_inputs([HOSTILE / "organization_malformed.json", GOOD])
    assert GOOD_ROLE in snapshot.roles
    assert snapshot.organization is not None and "222233334444" in snapshot.organization.accounts
    located = {d.location for d in report.diagnostics if d.level == "error"}
    assert {"$.organization", "$.roots", "$.organizational_units", "$.accounts[0]", "$.accounts[1]",
            "$.policies[1]"} <= located
    assert all(d.source == str(HOSTILE / "organization_malformed.json") for d in report.diagnostics)


def test_an_unforeseen_entry_shape_is_one_located_error(tmp_path: Path) -> None:
    # A trust policy nested deeper than Python can walk, given as a JSON string inside an entry.
    deep = "[" * 5000 + "]" * 5000
    path = tmp_path / "deep_policy.json"
    path.write_text(json.dumps({"RoleDetailList": [
        {"Arn": "arn:aws:iam::111122223333:role/Deep", "AssumeRolePolicyDocument": deep},
        {"Arn": "arn:aws:iam::111122223333:role/Fine", "AssumeRolePolicyDocument": {"Statement": []}}]}))
    snapshot, report = load_inputs([path])
    assert "arn:aws:iam::111122223333:role/Fine" in snapshot.roles
    assert all(d.source == str(path) and d.location.startswith("$.RoleDetailList[0]")
               for d in report.diagnostics if d.level == "error")


# -- property: any JSON shape, in any well-known slot, never raises ----------------------------------------

KEYS = st.sampled_from(["RoleDetailList", "UserDetailList", "GroupDetailList", "Policies", "IsTruncated", "Arn",
                        "RoleId", "UserId", "RoleName", "Path", "AssumeRolePolicyDocument", "RolePolicyList",
                        "AttachedManagedPolicies", "PolicyVersionList", "Document", "IsDefaultVersion",
                        "Tags", "Key", "Value", "GroupList", "PermissionsBoundary", "Role", "Roles", "Statement",
                        "schema", "organization", "accounts", "roots", "organizational_units", "policies", "id",
                        "name", "parent_id", "type", "content", "targets"]) | st.text(max_size=6)
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=10)
           | st.sampled_from(["arn:aws:iam::111122223333:role/R", "arn:aws:iam::111122223333:user/U", "*",
                              "trustgraph/organization/v1", "SERVICE_CONTROL_POLICY", "111122223333", "{", "["]))
JSONISH = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
                       max_leaves=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(value=JSONISH)
def test_loaders_never_raise_on_any_json_shape(value: object, tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(value))
    snapshot, report = load_inputs([path, GOOD])
    assert GOOD_ROLE in snapshot.roles or any(d.source == str(path) for d in report.diagnostics)
    assert all(d.source for d in report.diagnostics)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(value=JSONISH)
def test_whatever_loads_builds_a_graph(value: object, tmp_path: Path) -> None:
    from trustgraph.graph.build import build_graph

    path = tmp_path / "input.json"
    path.write_text(json.dumps(value))
    snapshot, _ = load_inputs([path, GOOD])
    build_graph(snapshot)


def _gaad_file(path: Path, principal: str) -> Path:
    path.write_text(json.dumps({"RoleDetailList": [{
        "Arn": "arn:aws:iam::111122223333:role/Dup", "RoleName": "Dup",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]}}],
        "UserDetailList": [{"Arn": "arn:aws:iam::111122223333:user/dupuser", "UserName": "dupuser",
                            "Path": "/" if "4444" in principal else "/other/"}],
        "GroupDetailList": [], "Policies": [], "IsTruncated": False}))
    return path


def test_duplicate_across_files_greatest_path_wins_whatever_the_order(tmp_path: Path) -> None:
    a = _gaad_file(tmp_path / "a.json", "arn:aws:iam::444455556666:root")
    b = _gaad_file(tmp_path / "b.json", "arn:aws:iam::777788889999:root")
    results = []
    for order in ([a, b], [b, a]):
        snapshot, report = load_inputs(order)
        role = snapshot.roles["arn:aws:iam::111122223333:role/Dup"]
        user = snapshot.users["arn:aws:iam::111122223333:user/dupuser"]
        warnings = sorted(str(d) for d in report.diagnostics if d.level == "warning")
        results.append((role.source, user.path, warnings))
        assert role.source == str(b) and user.path == "/other/"
        assert len(warnings) == 2 and all(str(a) in w and str(b) in w for w in warnings)
    assert results[0] == results[1]
