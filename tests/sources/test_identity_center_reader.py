"""Reading Identity Center documents (docs/identity-center-schema.md): one located diagnostic per bad entry, the
rest kept, partial data said so, two documents merged per instance, and the data kept in saved graphs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustgraph.load_report import LoadReport
from trustgraph.model import (
    AccountAssignment,
    CustomerManagedPolicyRef,
    ExternalId,
    GroupMembership,
    IdentityCenter,
    IdentityCenterGroup,
    IdentityCenterInstance,
    IdentityCenterUser,
    PermissionsBoundaryRef,
    PermissionSet,
    Snapshot,
)
from trustgraph.saved.codec import Codec
from trustgraph.saved.serialize import read_saved, save_graph
from trustgraph.saved.store import SNAPSHOT_CODEC
from trustgraph.sources.identity_center_file import (
    SCHEMA,
    is_identity_center_document,
    read_identity_center,
    read_identity_center_document,
)
from trustgraph.sources.policy_parser import parse_policy
from trustgraph.sources.snapshot_builder import SnapshotBuilder

INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111"
OTHER_INSTANCE = "arn:aws:sso:::instance/ssoins-2222222222222222"
STORE = "d-1111111111"
PS_ADMIN = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa"
PS_READ = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-bbbbbbbbbbbbbbbb"
INLINE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def document(**fields: Any) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "instances": [{"instance_arn": INSTANCE, "identity_store_id": STORE, "owner_account_id": "111111111111",
                       "region": "us-east-1"}],
        "delegated_admin_account_id": None,
        "users": [{"identity_store_id": STORE, "user_id": "u-alice", "user_name": "alice@example.com",
                   "display_name": "Alice", "emails": ["alice@example.com"],
                   "external_ids": [{"Issuer": "https://scim.example.com", "Id": "00u1"}]},
                  {"identity_store_id": STORE, "user_id": "u-bob", "user_name": "bob@example.com",
                   "display_name": "Bob", "emails": [{"Value": "bob@example.com", "Type": "work", "Primary": True}],
                   "external_ids": ["00u2"]}],
        "groups": [{"identity_store_id": STORE, "group_id": "g-admins", "display_name": "Platform-Admins",
                    "external_ids": []}],
        "group_memberships": [{"identity_store_id": STORE, "group_id": "g-admins", "user_id": "u-alice"}],
        "permission_sets": [
            {"instance_arn": INSTANCE, "permission_set_arn": PS_ADMIN, "name": "AdministratorAccess",
             "session_duration": "PT1H", "managed_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"],
             "customer_managed_policies": [], "inline_policy": None, "permissions_boundary": None},
            {"instance_arn": INSTANCE, "permission_set_arn": PS_READ, "name": "ReadS3", "session_duration": "PT8H",
             "managed_policies": [], "customer_managed_policies": [{"name": "team-read", "path": "/team/"}],
             "inline_policy": json.dumps(INLINE),
             "permissions_boundary": {"CustomerManagedPolicyReference": {"Name": "boundary", "Path": "/"}}}],
        "account_assignments": [
            {"instance_arn": INSTANCE, "account_id": "444444444444", "permission_set_arn": PS_ADMIN,
             "principal_type": "GROUP", "principal_id": "g-admins"},
            {"instance_arn": INSTANCE, "account_id": "555555555555", "permission_set_arn": PS_READ,
             "principal_type": "USER", "principal_id": "u-bob"}],
        "complete": True,
    } | fields


def expected() -> IdentityCenter:
    return IdentityCenter(
        instances=(IdentityCenterInstance(INSTANCE, STORE, "111111111111", "us-east-1"),),
        users=(IdentityCenterUser(STORE, "u-alice", "alice@example.com", "Alice", ("alice@example.com",),
                                  (ExternalId("https://scim.example.com", "00u1"),)),
               IdentityCenterUser(STORE, "u-bob", "bob@example.com", "Bob", ("bob@example.com",),
                                  (ExternalId("", "00u2"),))),
        groups=(IdentityCenterGroup(STORE, "g-admins", "Platform-Admins"),),
        group_memberships=(GroupMembership(STORE, "g-admins", "u-alice"),),
        permission_sets=(
            PermissionSet(INSTANCE, PS_ADMIN, "AdministratorAccess", "PT1H",
                          ("arn:aws:iam::aws:policy/AdministratorAccess",)),
            PermissionSet(INSTANCE, PS_READ, "ReadS3", "PT8H", (), (CustomerManagedPolicyRef("team-read", "/team/"),),
                          parse_policy(INLINE)[0], False,
                          PermissionsBoundaryRef(customer_managed_policy=CustomerManagedPolicyRef("boundary", "/")))),
        account_assignments=(AccountAssignment(INSTANCE, "444444444444", PS_ADMIN, "GROUP", "g-admins"),
                             AccountAssignment(INSTANCE, "555555555555", PS_READ, "USER", "u-bob")),
        complete=True)


def problems(value: Any, path: str = "ic.json") -> tuple[IdentityCenter | None, list[str]]:
    data, diagnostics = read_identity_center(value, path)
    return data, [str(d) for d in diagnostics]


def build(*documents: tuple[str, Any]) -> tuple[Snapshot, LoadReport]:
    report = LoadReport()
    builder = SnapshotBuilder(report)
    for path, value in documents:
        builder.identity_center(value, path)
    return builder.finish(), report


def test_a_valid_document_is_read_whole() -> None:
    data, found = problems(document())
    assert found == []
    assert data == expected()
    assert is_identity_center_document(document())
    snapshot, report = build(("ic.json", document()))
    assert snapshot.identity_center == expected() and snapshot.gaps == [] and report.diagnostics == []


def test_detection_is_by_schema_only() -> None:
    assert is_identity_center_document({"schema": "trustgraph/identity-center/v2"})  # the reader says why not
    for value in ({"schema": "trustgraph/inventory/v1"}, {"users": []}, [document()], "x", None,
                  {"schema": 3}):
        assert not is_identity_center_document(value)


def test_the_inline_policy_may_be_an_object_a_string_or_empty() -> None:
    as_object = document()
    as_object["permission_sets"][1]["inline_policy"] = INLINE
    assert problems(as_object) == problems(document())
    empty = document()
    empty["permission_sets"][1]["inline_policy"] = ""  # what GetInlinePolicyForPermissionSet returns for none
    data, found = problems(empty)
    assert found == [] and data is not None and data.permission_sets[1].inline_policy is None
    assert not data.permission_sets[1].inline_policy_unreadable and data.complete


def test_an_unreadable_inline_policy_keeps_the_permission_set_and_makes_the_data_partial() -> None:
    value = document()
    value["permission_sets"][1]["inline_policy"] = "{not json"
    data, found = problems(value)
    assert data is not None and [p.name for p in data.permission_sets] == ["AdministratorAccess", "ReadS3"]
    assert data.permission_sets[1].inline_policy is None and data.permission_sets[1].inline_policy_unreadable
    assert found == ["error: ic.json at $.permission_sets[1].inline_policy: the inline policy of permission set "
                     "ReadS3 cannot be read: policy document is not valid JSON (Expecting property name enclosed in "
                     "double quotes at char 1); what it grants is unknown"]
    assert not data.complete and data.missing == ("the inline policy of permission set ReadS3 is unreadable",)


def test_an_invalid_statement_of_an_inline_policy_is_skipped_and_located() -> None:
    value = document()
    value["permission_sets"][1]["inline_policy"] = {"Version": "2012-10-17", "Statement": [
        INLINE["Statement"][0], {"Effect": "Maybe", "Action": "*"}]}
    read = read_identity_center_document(value, "ic.json")
    assert [d.location for d in read.diagnostics] == ["$.permission_sets[1].inline_policy.Statement[1].Effect"]
    assert read.skipped == {"policy statements": 1}
    assert read.data is not None and len(read.data.permission_sets[1].inline_policy.statements) == 1


def test_external_ids_from_aws_or_as_strings_and_a_bad_one_skips_the_entry() -> None:
    value = document()
    value["users"][0]["external_ids"] = [{"issuer": "okta", "id": "1"}, "2", {"Issuer": "x", "Id": 3}]
    data, found = problems(value)
    assert found == ["error: ic.json at $.users[0].external_ids[2]: users[0].external_ids[2]: expected a string or "
                     "an object with a string id (and issuer), got a JSON dict; entry skipped"]
    assert data is not None and [u.user_id for u in data.users] == ["u-bob"]
    value["users"][0]["external_ids"] = [{"issuer": "okta", "id": "1"}, "2"]
    data, _ = problems(value)
    assert data is not None and data.users[0].external_ids == (ExternalId("okta", "1"), ExternalId("", "2"))


@pytest.mark.parametrize(("section", "index", "change", "location", "message"), [
    ("users", 1, {"user_id": None}, "$.users[1].user_id", "users[1].user_id: expected a non-empty string, got null"),
    ("users", 0, {"emails": "a@b"}, "$.users[0].emails", "users[0].emails: expected a list, got a JSON str"),
    ("groups", 0, {"group_id": ""}, "$.groups[0].group_id", "groups[0].group_id: expected a non-empty string, "
                                                             "got ''"),
    ("group_memberships", 0, {"user_id": 7}, "$.group_memberships[0].user_id",
     "group_memberships[0].user_id: expected a non-empty string, got a JSON int"),
    ("instances", 0, {"instance_arn": "ssoins-1"}, "$.instances[0].instance_arn",
     "instances[0].instance_arn: 'ssoins-1' is not an ARN of service sso"),
    ("instances", 0, {"owner_account_id": "1234"}, "$.instances[0].owner_account_id",
     "instances[0].owner_account_id: '1234' is not a 12-digit account id"),
    ("permission_sets", 0, {"managed_policies": ["AdministratorAccess"]}, "$.permission_sets[0].managed_policies[0]",
     "permission_sets[0].managed_policies[0]: 'AdministratorAccess' is not an IAM policy ARN"),
    ("permission_sets", 1, {"customer_managed_policies": [{"name": "x", "path": "team"}]},
     "$.permission_sets[1].customer_managed_policies[0].path",
     "permission_sets[1].customer_managed_policies[0].path: expected a path such as \"/\" or \"/team/\", got 'team'"),
    ("permission_sets", 1, {"permissions_boundary": {"ManagedPolicyArn": "arn:aws:iam::aws:policy/X",
                                                     "CustomerManagedPolicyReference": {"Name": "b"}}},
     "$.permission_sets[1].permissions_boundary",
     "permission_sets[1].permissions_boundary: expected exactly one of ManagedPolicyArn and "
     "CustomerManagedPolicyReference"),
    ("account_assignments", 1, {"principal_type": "ROLE"}, "$.account_assignments[1].principal_type",
     "account_assignments[1].principal_type: expected USER or GROUP, got 'ROLE'"),
    ("account_assignments", 0, {"account_id": 444444444444}, "$.account_assignments[0].account_id",
     "account_assignments[0].account_id: 444444444444 is not a 12-digit account id"),
])
def test_each_bad_entry_is_one_located_error_and_the_rest_is_kept(
        section: str, index: int, change: dict[str, Any], location: str, message: str) -> None:
    value = document()
    value[section][index] = value[section][index] | change
    read = read_identity_center_document(value, "ic.json")
    assert [(d.level, d.location, d.message) for d in read.diagnostics] == [
        ("error", location, f"{message}; entry skipped")]
    assert read.skipped == {"Identity Center entries": 1}
    data = read.data
    assert data is not None and not data.complete
    assert data.missing == (f"1 of the {section.replace('_', ' ')} could not be read",)
    entries = getattr(data, section)
    assert len(entries) == len(value[section]) - 1
    assert entries == tuple(e for i, e in enumerate(getattr(expected(), section)) if i != index)
    snapshot, report = build(("ic.json", value))
    assert snapshot.identity_center == data
    assert snapshot.gaps == [f"the Identity Center data is incomplete (1 of the {section.replace('_', ' ')} could not "
                             "be read): people may hold permission sets it does not show (ic.json)",
                             "1 Identity Center entries skipped as unreadable"]


def test_a_managed_policy_boundary_and_aws_shaped_references() -> None:
    value = document()
    value["permission_sets"][0]["permissions_boundary"] = {"ManagedPolicyArn": "arn:aws:iam::aws:policy/Boundary"}
    value["permission_sets"][1]["customer_managed_policies"] = [{"Name": "team-read", "Path": "/team/"}, {"name": "x"}]
    data, found = problems(value)
    assert found == [] and data is not None
    assert data.permission_sets[0].permissions_boundary == PermissionsBoundaryRef("arn:aws:iam::aws:policy/Boundary")
    assert data.permission_sets[1].customer_managed_policies == (CustomerManagedPolicyRef("team-read", "/team/"),
                                                                 CustomerManagedPolicyRef("x", "/"))


@pytest.mark.parametrize(("value", "location", "message"), [
    ([document()], "$", "an Identity Center document must be a JSON object, got a JSON list: file not read"),
    (document(schema="trustgraph/identity-center/v2"), "$.schema",
     "unsupported Identity Center schema 'trustgraph/identity-center/v2' (this version reads "
     "trustgraph/identity-center/v1): file not read"),
])
def test_a_document_of_the_wrong_shape_is_rejected_with_one_diagnostic(value: Any, location: str,
                                                                       message: str) -> None:
    read = read_identity_center_document(value, "ic.json")
    assert read.data is None
    assert [(d.level, d.location, d.message) for d in read.diagnostics] == [("error", location, message)]
    snapshot, report = build(("ic.json", value))
    assert snapshot.identity_center is None
    assert snapshot.gaps == ["1 Identity Center files skipped as unreadable"]


def test_a_section_that_is_not_a_list_is_one_error_and_partial_data() -> None:
    data, found = problems(document(groups={"g": 1}))
    assert found == ["error: ic.json at $.groups: expected a list, got a JSON dict"]
    assert data is not None and data.groups == () and data.missing == ("the groups are unreadable",)


@pytest.mark.parametrize(("fields", "missing"), [
    ({"complete": False}, ("the file says it is not complete",)),
    ({"complete": "yes"}, ("the file does not say it is complete",)),
    ({"complete": False, "missing": ["identitystore:ListUsers: AccessDenied"]},
     ("identitystore:ListUsers: AccessDenied",)),
])
def test_a_document_not_saying_it_is_complete_is_partial(fields: dict[str, Any], missing: tuple[str, ...]) -> None:
    value = document(**fields)
    if "complete" not in fields:
        del value["complete"]
    data, found = problems(value)
    assert found == [] and data is not None and not data.complete and data.missing == missing
    assert data.users == expected().users  # what was read is kept
    snapshot, report = build(("ic.json", value))
    assert snapshot.gaps == [f"the Identity Center data is incomplete ({'; '.join(missing)}): people may hold "
                             "permission sets it does not show (ic.json)"]
    assert [str(d) for d in report.diagnostics] == [
        f"warning: ic.json at $: the Identity Center data is incomplete ({'; '.join(missing)}): people may hold "
        "permission sets it does not show"]


def test_no_complete_field_is_partial_too() -> None:
    value = document()
    del value["complete"]
    data, _ = problems(value)
    assert data is not None and data.missing == ("the file does not say it is complete",)


def test_two_entries_of_one_key_in_a_file_the_later_one_is_kept() -> None:
    value = document()
    value["users"].append(value["users"][0] | {"display_name": "Alice B."})
    data, found = problems(value)
    assert found == [] and data is not None
    assert [(u.user_id, u.display_name) for u in data.users] == [("u-bob", "Bob"), ("u-alice", "Alice B.")]


def test_extra_fields_are_ignored() -> None:
    value = document(collected_at="2026-01-01T00:00:00Z", regions=["us-east-1"])
    value["users"][0]["nick_name"] = "al"
    assert problems(value) == (expected(), [])


def other_instance() -> dict[str, Any]:
    return {"schema": SCHEMA, "complete": True,
            "instances": [{"instance_arn": OTHER_INSTANCE, "identity_store_id": "d-2222222222"}],
            "users": [{"identity_store_id": "d-2222222222", "user_id": "u-carol", "user_name": "carol"}],
            "delegated_admin_account_id": "333333333333"}


def test_two_documents_merge_by_instance_and_the_greater_path_wins_for_the_same_instance() -> None:
    changed = document()
    changed["users"] = changed["users"][:1]
    for order in ((("a/ic.json", document()), ("b/ic.json", changed), ("c/other.json", other_instance())),
                  (("c/other.json", other_instance()), ("b/ic.json", changed), ("a/ic.json", document()))):
        snapshot, report = build(*order)
        data = snapshot.identity_center
        assert data is not None
        assert [i.instance_arn for i in data.instances] == [INSTANCE, OTHER_INSTANCE]
        assert [u.user_id for u in data.users] == ["u-alice", "u-carol"]  # b/ic.json's instance, and the other
        assert data.delegated_admin_account_id == "333333333333" and data.complete
        assert [str(d) for d in report.diagnostics] == [
            f"warning: b/ic.json: Identity Center instance {INSTANCE} is in both a/ic.json and b/ic.json: the entry "
            "in b/ic.json is used (of two files, the greater path wins, whatever the order of the inputs)"]


def test_a_partial_document_whose_instance_is_replaced_no_longer_makes_the_data_partial() -> None:
    snapshot, _ = build(("a.json", document(complete=False)), ("b.json", document()))
    assert snapshot.identity_center is not None and snapshot.identity_center.complete
    snapshot, _ = build(("a.json", document()), ("b.json", document(complete=False)))
    assert snapshot.identity_center is not None and not snapshot.identity_center.complete


def test_a_saved_graph_keeps_the_identity_center_data_and_stores_nothing_without_it(tmp_path: Path) -> None:
    snapshot, report = build(("ic.json", document()))
    codec = Codec(Snapshot)
    assert codec.decode(json.loads(json.dumps(codec.encode(snapshot)))) == snapshot
    path = tmp_path / "g.tgdb"
    save_graph(nx.DiGraph(), path, snapshot=snapshot, report=report)
    saved = read_saved(path, snapshot=True)
    assert saved.snapshot is not None and saved.snapshot.identity_center == expected()
    assert saved.meta["snapshot_codec.identity_center"] == SNAPSHOT_CODEC.part_fingerprints["identity_center"]

    empty = Snapshot()
    assert "identity_center" not in codec.encode(empty) and codec.decode(codec.encode(empty)) == empty
    save_graph(nx.DiGraph(), path, snapshot=empty)
    saved = read_saved(path, snapshot=True)
    assert saved.snapshot == empty and not any(k.startswith("snapshot_codec.") for k in saved.meta)


def test_the_snapshot_fingerprint_does_not_cover_the_optional_part() -> None:
    # Saved graphs without Identity Center data stay exactly what they were before the part existed.
    assert SNAPSHOT_CODEC.optional == ["identity_center", "usage", "iac_origins"]
    assert SNAPSHOT_CODEC.fingerprint == "6771afe4b9ae6c42"  # Role.last_used, last_used_region (RoleLastUsed)


def test_a_seeded_snapshot_keeps_its_identity_center_data_under_the_duplicate_rule() -> None:
    base, _ = build(("ic.json", document()))
    report = LoadReport()
    builder = SnapshotBuilder(report)
    builder.seed(base, "saved.tgdb")
    changed = document()
    changed["users"] = changed["users"][:1]
    builder.identity_center(changed, "z.json")  # the greater path: replaces the saved instance
    data = builder.finish().identity_center
    assert data is not None and [u.user_id for u in data.users] == ["u-alice"]


# -- property: whatever the input, the reader never raises; every entry is read or named ------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                max_size=3), max_leaves=8)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(JSON)
def test_any_json_value_gives_diagnostics_never_an_exception(value: Any) -> None:
    read = read_identity_center_document(value, "x.json")
    assert read.data is None or isinstance(read.data, IdentityCenter)
    assert read.data is not None or len(read.diagnostics) == 1


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    value = copy.deepcopy(document())
    for _ in range(draw(st.integers(1, 5))):
        section = draw(st.sampled_from(["instances", "users", "groups", "group_memberships", "permission_sets",
                                        "account_assignments", "complete", "delegated_admin_account_id"]))
        entries = value[section]
        if isinstance(entries, list) and entries and draw(st.booleans()):
            entry = entries[draw(st.integers(0, len(entries) - 1))]
            if isinstance(entry, dict) and entry and draw(st.booleans()):
                entry[draw(st.sampled_from(sorted(entry)))] = draw(JSON)
            else:
                entries.append(draw(JSON))
        else:
            value[section] = draw(JSON)
    return value


@SETTINGS
@given(mutated())
def test_mutated_documents_give_diagnostics_never_an_exception(value: dict[str, Any]) -> None:
    read = read_identity_center_document(value, "x.json")
    assert read.data is not None
    for section in ("instances", "users", "groups", "group_memberships", "permission_sets", "account_assignments"):
        entries = value[section]
        if not isinstance(entries, list):
            errors = [d.location for d in read.diagnostics if d.level == "error"]
            assert entries is None or f"$.{section}" in errors
            continue
        for entry in entries:  # alone in its section, each entry is read or named
            alone = read_identity_center_document({"schema": SCHEMA, section: [entry]}, "x.json")
            assert alone.data is not None
            errors = [d.location for d in alone.diagnostics
                      if d.level == "error" and d.location.startswith(f"$.{section}[0]")]
            # an unreadable inline policy is an error about a part: the permission set is kept, marked unreadable
            named = [e for e in errors if not e.startswith(f"$.{section}[0].inline_policy")]
            assert (len(getattr(alone.data, section)) == 1) != bool(named), (section, entry, alone.diagnostics)
            if errors != named and not named:
                assert alone.data.permission_sets[0].inline_policy_unreadable
    if read.skipped.get("Identity Center entries"):
        assert not read.data.complete
    snapshot, _ = build(("x.json", value))  # the builder never raises either
    assert snapshot.identity_center is not None
