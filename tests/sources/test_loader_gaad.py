"""SEMANTICS §8.1: reading get-account-authorization-details (and the other role listings) in every form."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from builders import A, Account, B, allow, can_assume, doc, edge, load, load_files, trust

from trustgraph.graph.build import build_graph


def _messages(report, level=None):
    return [d.message for d in report.diagnostics if level is None or d.level == level]


def _encodings(document):
    text = json.dumps(document)
    return {"dict": document, "json": text, "url": quote(text, safe=""),
            "url-spaces": quote(json.dumps(document, indent=1), safe="")}


# -- policy documents: dict, JSON text, URL-encoded JSON text ---------------------------------------------------


@pytest.mark.parametrize("form", ["dict", "json", "url", "url-spaces"])
def test_rule_8_1_trust_policy_as_dict_json_string_or_url_encoded_string(form):
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", _encodings(trust(alice))[form])
    snapshot, report = load(a)
    assert _messages(report) == []
    statement = snapshot.roles[target].trust.statements[0]
    assert statement.principals == (("AWS", alice),)
    assert statement.actions == ("sts:AssumeRole",)
    assert snapshot.roles[target].trust.version == "2012-10-17"
    edge(build_graph(snapshot), alice, target)


@pytest.mark.parametrize("form", ["dict", "json", "url"])
def test_rule_8_1_inline_and_managed_documents_in_every_encoding(form):
    a = Account(A)
    target = a.role("Target", trust(A))
    managed = a.policy("Managed", _encodings(can_assume(target))[form])
    inline = a.user("inline", policies=[_encodings(can_assume(target))[form]])
    attached = a.user("attached", managed=[managed])
    snapshot, report = load(a)
    assert _messages(report) == []
    assert snapshot.users[inline].inline_policies[0].document.statements[0].resources == (target,)
    assert snapshot.managed_policies[managed].document.statements[0].resources == (target,)
    g = build_graph(snapshot)
    edge(g, inline, target)
    edge(g, attached, target)


def test_rule_8_1_url_encoded_text_that_is_not_json_is_reported_with_its_location():
    a = Account(A)
    a.role("Broken", "%7B%22Version%22%3A")
    alice = a.user("alice")
    ok = a.role("Ok", trust(alice))
    snapshot, report = load(a)
    errors = [d for d in report.diagnostics if d.level == "error"]
    assert len(errors) == 1
    assert errors[0].location == "$.RoleDetailList[0].AssumeRolePolicyDocument"
    assert "not valid JSON" in errors[0].message
    assert snapshot.roles[ok].trust is not None


# -- Statement object or list, scalars or lists ------------------------------------------------------------------


def test_rule_8_1_statement_object_or_list():
    a = Account(A)
    alice = a.user("alice")
    single = a.role("Single", {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Principal": {"AWS": alice}, "Action": "sts:AssumeRole"}})
    listed = a.role("Listed", trust(alice))
    snapshot, _ = load(a)
    assert snapshot.roles[single].trust.statements == snapshot.roles[listed].trust.statements
    g = build_graph(snapshot)
    edge(g, alice, single)
    edge(g, alice, listed)


def test_rule_8_1_scalars_or_lists_for_action_resource_and_principal():
    a = Account(A)
    alice = a.user("alice")
    scalar = a.role("Scalar", {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": alice, "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    listed = a.role("Listed", {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": [alice], "Service": ["ec2.amazonaws.com"]},
        "Action": ["sts:AssumeRole"]}]})
    snapshot, _ = load(a)
    assert snapshot.roles[scalar].trust.statements == snapshot.roles[listed].trust.statements


def test_rule_8_1_attached_managed_policies_as_an_object():
    a = Account(A)
    target = a.role("Target", trust(A))
    managed = a.policy("Assume", can_assume(target))
    alice = a.user("alice")
    a.users[-1]["AttachedManagedPolicies"] = {"PolicyName": "Assume", "PolicyArn": managed}
    snapshot, report = load(a)
    assert snapshot.users[alice].attached_policy_arns == [managed]
    assert _messages(report, "error") == []
    edge(build_graph(snapshot), alice, target)


def test_rule_8_1_group_list_and_tags_as_read():
    a = Account(A)
    alice = a.user("alice", groups=["Admins", "Devs"], tags={"team": "blue", "cost": "42"})
    snapshot, _ = load(a)
    assert snapshot.users[alice].group_names == ["Admins", "Devs"]
    assert snapshot.users[alice].tags == {"team": "blue", "cost": "42"}


# -- pages -------------------------------------------------------------------------------------------------------


def _pages(account: Account, truncated_first: bool = True):
    full = account.gaad()
    first = {"UserDetailList": full["UserDetailList"], "GroupDetailList": [], "RoleDetailList": [],
             "Policies": [], "IsTruncated": truncated_first, "Marker": "m1"}
    second = {"UserDetailList": [], "GroupDetailList": full["GroupDetailList"],
              "RoleDetailList": full["RoleDetailList"], "Policies": full["Policies"], "IsTruncated": False}
    return first, second


def test_rule_8_1_pages_are_merged():
    a = Account(A)
    target = a.role("Target", trust(A))
    dev = a.user("dev", policies=can_assume(target))
    first, second = _pages(a)
    for pieces in ([first, second], [[first, second]], [second, first]):
        snapshot, report = load(*pieces)
        assert set(snapshot.users) == {dev}
        assert set(snapshot.roles) == {target}
        assert snapshot.collected_accounts == {A}
        assert not any("incomplete" in m for m in _messages(report)), pieces
        edge(build_graph(snapshot), dev, target)


def test_rule_8_1_pages_merged_from_separate_files(tmp_path):
    a = Account(A)
    target = a.role("Target", trust(A))
    dev = a.user("dev", policies=can_assume(target))
    first, second = _pages(a)
    snapshot, report = load_files(tmp_path, first, second)
    assert len(report.files_read) == 2
    assert set(snapshot.users) == {dev} and set(snapshot.roles) == {target}
    assert not any("incomplete" in m for m in _messages(report))


def test_rule_8_1_truncated_without_the_remaining_pages_is_a_warning():
    a = Account(A)
    a.user("dev")
    a.role("Target", trust(A))
    first, _ = _pages(a)
    snapshot, report = load(first)
    warnings = [d for d in report.diagnostics if d.level == "warning"]
    assert len(warnings) == 1
    assert A in warnings[0].message and "IsTruncated" in warnings[0].message
    assert set(snapshot.users) == {a.arn("user", "dev")}  # what was read is kept


def test_rule_8_1_what_the_data_lacks_is_recorded_as_gaps_of_the_snapshot(tmp_path):
    a = Account(A)
    a.user("dev", managed=[f"arn:aws:iam::{A}:policy/NotExported"])
    a.role("Target", {"Version": "2012-10-17", "Statement": [
        trust(A)["Statement"][0], {"Effect": "Allow", "Principal": {"AWS": A}}]})  # the second has no Action
    first = {**a.gaad(), "IsTruncated": True, "Marker": "m1"}
    manifest = {"schema": "trustgraph/manifest/v1", "finished_at": "2025-06-01T10:05:00+00:00", "accounts": [
        {"account_id": B, "status": "failed", "stage": "sts:AssumeRole", "reason_code": "AccessDenied"}],
        "organization": {"status": "partial", "problems": ["ListPoliciesForTarget denied"]}}
    snapshot, _ = load_files(tmp_path, first, manifest)
    gaps = " | ".join(snapshot.gaps)
    assert f"authorization details for account {A} are truncated" in gaps
    assert f"account {B} was failed by the collection: sts:AssumeRole; AccessDenied" in gaps
    assert "organization data is partial: ListPoliciesForTarget denied" in gaps
    assert "1 policy statements skipped as unreadable" in gaps
    assert "1 attached managed policy is not in the data" in gaps and "NotExported" in gaps
    complete, _ = load(a)
    assert complete.gaps == ["1 policy statements skipped as unreadable",
                             "1 attached managed policy is not in the data (the permissions they grant are unknown): "
                             "NotExported"]


def test_rule_8_1_truncated_pages_per_account_are_tracked_separately():
    a, b = Account(A), Account(B)
    a.user("dev")
    a.role("Target", trust(A))
    b.user("bob")
    a_first, a_second = _pages(a)
    b_first, _ = _pages(b)
    _, report = load(a_first, a_second, b_first)
    incomplete = [m for m in _messages(report, "warning") if "incomplete" in m]
    assert len(incomplete) == 1 and B in incomplete[0]


def test_rule_8_1_final_page_holding_only_aws_managed_policies_completes_the_account():
    a = Account(A)
    a.user("dev")
    aws_page = Account(A)
    aws_page.policy("ReadOnlyAccess", doc(allow("s3:Get*", "*")), aws_managed=True)
    first = {**a.gaad(), "IsTruncated": True, "Marker": "m1"}
    last = {**aws_page.gaad(), "UserDetailList": [], "IsTruncated": False}
    snapshot, report = load(first, last)
    assert "arn:aws:iam::aws:policy/ReadOnlyAccess" in snapshot.managed_policies
    assert not any("incomplete" in m for m in _messages(report)), _messages(report)


# -- names, versions, paths ---------------------------------------------------------------------------------------


def test_rule_8_1_missing_policy_name_is_derived_from_the_arn():
    a = Account(A)
    arn = a.policy("Derived", can_assume("*"), path="/team/")
    del a.policies[-1]["PolicyName"]
    snapshot, _ = load(a)
    assert snapshot.managed_policies[arn].name == "Derived"


def test_rule_8_1_missing_inline_policy_name_gets_a_stable_placeholder():
    a = Account(A)
    alice = a.user("alice", policies=[can_assume("*")])
    del a.users[-1]["UserPolicyList"][0]["PolicyName"]
    snapshot, _ = load(a)
    assert [p.name for p in snapshot.users[alice].inline_policies] == ["inline-0"]


def test_rule_8_1_default_version_is_picked_by_is_default_version():
    a = Account(A)
    arn = a.policy("Versions", versions=[(can_assume("arn:aws:iam::*:role/old"), False),
                                         (can_assume("arn:aws:iam::*:role/new"), True),
                                         (can_assume("arn:aws:iam::*:role/newer"), False)])
    snapshot, _ = load(a)
    assert snapshot.managed_policies[arn].document.statements[0].resources == ("arn:aws:iam::*:role/new",)


def test_rule_8_1_single_version_without_default_flag_is_used_and_none_among_several_is_an_error():
    a = Account(A)
    single = a.policy("Single", can_assume("*"))
    del a.policies[-1]["PolicyVersionList"][0]["IsDefaultVersion"]
    several = a.policy("Several", versions=[(can_assume("*"), False), (can_assume("*"), False)])
    snapshot, report = load(a)
    assert snapshot.managed_policies[single].document is not None
    assert snapshot.managed_policies[several].document is None
    assert any("no default version" in m for m in _messages(report, "error"))


def test_rule_8_1_role_path_derived_from_the_arn_when_absent():
    a = Account(A)
    arn = a.role("Deploy", trust(A), path="/teams/prod/")
    del a.roles[-1]["Path"]
    snapshot, _ = load(a)
    assert snapshot.roles[arn].path == "/teams/prod/"


# -- other role listings -------------------------------------------------------------------------------------------


def test_rule_8_1_get_role_and_list_roles_outputs_carry_no_identity_data():
    a = Account(A)
    alice = a.user("alice")
    role = a.role("Target", trust(alice))
    entry = a.roles[-1]
    snapshot, _ = load({"Role": entry})
    assert snapshot.roles[role].has_identity_data is False
    assert A not in snapshot.collected_accounts
    snapshot, _ = load({"Roles": [entry]})
    assert snapshot.roles[role].has_identity_data is False


def test_rule_8_1_full_export_wins_over_a_bare_listing_of_the_same_role():
    a = Account(A)
    role = a.role("Target", trust(A), policies=can_assume("*"))
    for pieces in ([a, {"Roles": a.roles}], [{"Roles": a.roles}, a]):
        snapshot, _ = load(*pieces)
        assert snapshot.roles[role].has_identity_data is True
        assert len(snapshot.roles[role].inline_policies) == 1


def test_rule_8_1_bare_trust_policy_reads_with_role_arn_or_a_placeholder():
    alice = f"arn:aws:iam::{A}:user/alice"
    snapshot, report = load(trust(alice), role_arn=f"arn:aws:iam::{A}:role/Given")
    assert list(snapshot.roles) == [f"arn:aws:iam::{A}:role/Given"]
    assert _messages(report) == []
    snapshot, report = load(trust(alice))
    assert list(snapshot.roles) == ["arn:aws:iam::000000000000:role/input-0"]
    assert any("without --role-arn" in m for m in _messages(report, "warning"))


def test_rule_8_1_role_without_trust_policy_is_kept_and_reported():
    a = Account(A)
    arn = a.role("NoTrust", trust(A))
    del a.roles[-1]["AssumeRolePolicyDocument"]
    snapshot, report = load(a)
    assert snapshot.roles[arn].trust is None
    assert any("no AssumeRolePolicyDocument" in m for m in _messages(report, "warning"))


def test_rule_8_1_invalid_statement_is_skipped_with_its_location_and_the_rest_kept():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Permit", "Principal": {"AWS": alice}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": alice}, "Action": "sts:AssumeRole"}]})
    snapshot, report = load(a)
    errors = [d for d in report.diagnostics if d.level == "error"]
    assert [e.location for e in errors] == ["$.RoleDetailList[0].AssumeRolePolicyDocument.Statement[0].Effect"]
    assert report.skipped["policy statements"] == 1
    assert [s.index for s in snapshot.roles[target].trust.statements] == [1]
    edge(build_graph(snapshot), alice, target)


def test_rule_8_1_files_with_bom_and_unknown_formats(tmp_path):
    a = Account(A)
    alice = a.user("alice")
    (tmp_path / "bom.json").write_bytes("\ufeff".encode() + json.dumps(a.gaad()).encode())
    (tmp_path / "other.json").write_text(json.dumps({"hello": "world"}))
    from trustgraph.sources.files import load_inputs
    snapshot, report = load_inputs([tmp_path])
    assert alice in snapshot.users
    assert report.files_rejected == [str(tmp_path / "other.json")]
    assert any("not a recognised IAM input" in m for m in _messages(report, "error"))


def test_rule_8_1_instance_profiles_of_a_role_are_read(tmp_path):
    a = Account(A)
    runner = a.role("Runner", trust("ec2.amazonaws.com"))
    plain = a.role("Plain", trust("ec2.amazonaws.com"))
    value = a.gaad()
    entry = next(r for r in value["RoleDetailList"] if r["Arn"] == runner)
    profile = f"arn:aws:iam::{A}:instance-profile/Runner"
    entry["InstanceProfileList"] = [{"Arn": profile, "InstanceProfileName": "Runner"}, {"Arn": 7}, "junk"]
    snapshot, _ = load_files(tmp_path, value)
    assert snapshot.roles[runner].instance_profiles == [profile]  # malformed entries are not profiles
    assert snapshot.roles[plain].instance_profiles == []
