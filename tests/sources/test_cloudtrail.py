"""CloudTrail role assumptions (docs/usage.md): one test per matching rule, with its negative control, and the
readers (delivered log files, gzip, the AWSLogs tree, JSON lines, bad events located)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from trustgraph.graph.usage import calls
from trustgraph.sources.cloudtrail_match import BadEvent, UsageCollector, match_event
from trustgraph.sources.files import load_inputs

ROLE = "arn:aws:iam::444444444444:role/deploy/ProdDeployer"


def event(identity: dict[str, Any], name: str = "AssumeRole", role: str | None = ROLE, **extra: Any) -> dict[str, Any]:
    e: dict[str, Any] = {"eventVersion": "1.08", "eventSource": "sts.amazonaws.com", "eventName": name,
                         "eventTime": "2025-06-30T08:00:00Z", "userIdentity": identity,
                         "requestParameters": {"roleArn": role} if role else {}, "recipientAccountId": "444444444444",
                         "eventID": "e-1", "sourceIPAddress": "192.0.2.1", "userAgent": "aws-cli"}
    e.update(extra)
    return e


SESSION = {"type": "AssumedRole", "principalId": "AROAXLCFMTI6P3EQVC42E:deploy", "accountId": "333333333333",
           "arn": "arn:aws:sts::333333333333:assumed-role/CIPipeline/deploy",
           "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::333333333333:role/ci/CIPipeline"}}}


def test_assumed_role_session_is_its_role() -> None:
    found = match_event(event(SESSION))
    assert found is not None
    assert found.caller == "arn:aws:iam::333333333333:role/ci/CIPipeline"
    assert found.session == "arn:aws:sts::333333333333:assumed-role/CIPipeline/deploy"
    # negative control: without the issuer, the session ARN's role name stands (its path is unknown)
    bare = {k: v for k, v in SESSION.items() if k != "sessionContext"}
    found = match_event(event(bare))
    assert found is not None and found.caller == "arn:aws:iam::333333333333:role/CIPipeline"


def test_iam_user_is_the_user() -> None:
    found = match_event(event({"type": "IAMUser", "arn": "arn:aws:iam::222222222222:user/alice",
                               "accountId": "222222222222", "principalId": "AIDA2YPZQNKGSK22IIWH7"}))
    assert found is not None and found.caller == "arn:aws:iam::222222222222:user/alice"


def test_other_events_are_not_assumptions() -> None:
    assert match_event(event(SESSION, name="GetCallerIdentity")) is None
    assert match_event({**event(SESSION), "eventSource": "iam.amazonaws.com"}) is None
    assert match_event(event(SESSION)) is not None  # control


def test_saml_caller_is_the_provider_with_the_subject_kept() -> None:
    provider = "arn:aws:iam::444444444444:saml-provider/Okta"
    found = match_event(event({"type": "SAMLUser", "userName": "jane@acme.example", "principalId": "x:jane"},
                              name="AssumeRoleWithSAML", requestParameters={"roleArn": ROLE, "principalArn": provider}))
    assert found is not None and found.caller == provider and found.subject == "jane@acme.example"


def test_web_identity_caller_is_the_oidc_provider_of_the_role_account() -> None:
    identity = {"type": "WebIdentityUser", "userName": "repo:acme/platform:ref:refs/heads/main",
                "identityProvider": "token.actions.githubusercontent.com"}
    found = match_event(event(identity, name="AssumeRoleWithWebIdentity"))
    assert found is not None
    assert found.caller == "arn:aws:iam::444444444444:oidc-provider/token.actions.githubusercontent.com"
    assert found.subject == "repo:acme/platform:ref:refs/heads/main"
    # a built-in web identity provider is its host, as in trust policies
    google = {**identity, "identityProvider": "accounts.google.com"}
    found = match_event(event(google, name="AssumeRoleWithWebIdentity"))
    assert found is not None and found.caller == "accounts.google.com"


def test_cross_account_copy_keeps_the_unique_id() -> None:
    found = match_event(event({"type": "AWSAccount", "principalId": "AROAXLCFMTI6P3EQVC42E:deploy",
                               "accountId": "333333333333"}))
    assert found is not None and found.caller == "arn:aws:iam::333333333333:root"
    assert found.caller_id == "AROAXLCFMTI6P3EQVC42E"


def test_errors_are_kept_as_outcome() -> None:
    found = match_event(event(SESSION, errorCode="AccessDenied"))
    assert found is not None and found.error == "AccessDenied"
    found = match_event(event(SESSION))
    assert found is not None and found.error == ""


@pytest.mark.parametrize(("bad", "where"), [
    ({"requestParameters": None}, ".requestParameters.roleArn"),
    ({"requestParameters": {"roleArn": "arn:aws:s3:::bucket"}}, ".requestParameters.roleArn"),
    ({"eventTime": None}, ".eventTime"),
    ({"userIdentity": "x"}, ".userIdentity"),
])
def test_malformed_assumptions_are_located(bad: dict[str, Any], where: str) -> None:
    with pytest.raises(BadEvent) as caught:
        match_event({**event(SESSION), **bad})
    assert caught.value.where == where


def test_duplicates_across_accounts_count_once() -> None:
    collector = UsageCollector()
    caller_copy = event(SESSION, sharedEventID="s-1", recipientAccountId="333333333333")
    owner_copy = event({"type": "AWSAccount", "principalId": "AROAXLCFMTI6P3EQVC42E:deploy",
                        "accountId": "333333333333"}, sharedEventID="s-1")
    for copy, e in (("trail", caller_copy), ("trail", owner_copy)):
        assert collector.add(e, copy, "f", "$") is None
    # two calls the same day in one copy: two
    later = event(SESSION, eventTime="2025-06-30T09:00:00Z", recipientAccountId="333333333333")
    collector.add(later, "trail", "f", "$")
    usage = collector.finish()
    by_type = {o.caller_type: o for o in usage.observations}
    assert by_type["AssumedRole"].count == 2
    assert by_type["AWSAccount"].count == 1
    # both name CIPipeline once resolved: the shared call counts once, the second call of the day too
    assert calls(usage.observations) == 2
    # the same delivery read twice (an organization trail beside the account's own): still counted once
    twice = UsageCollector()
    twice.add(caller_copy, "org-trail", "a", "$")
    twice.add(caller_copy, "account-trail", "b", "$")
    assert twice.finish().observations[0].count == 1
    assert set(usage.coverage) == {"333333333333", "444444444444"}


def _records(events: list[Any]) -> bytes:
    return json.dumps({"Records": events}).encode()


def test_delivered_gzip_files_in_the_awslogs_tree(tmp_path: Path) -> None:
    day = tmp_path / "AWSLogs" / "o-abcdefghij" / "444444444444" / "CloudTrail" / "us-east-1" / "2025" / "06" / "30"
    day.mkdir(parents=True)
    (day / "444444444444_CloudTrail_us-east-1_20250630T0810Z_x.json.gz").write_bytes(
        gzip.compress(_records([event(SESSION), event(SESSION, eventName="GetCallerIdentity")])))
    (day / "plain.json").write_bytes(_records([event(SESSION, eventTime="2025-06-30T09:00:00Z")]))
    snapshot, report = load_inputs([tmp_path])
    assert snapshot.usage is not None and report.files_rejected == []
    assert snapshot.usage.files == 2 and snapshot.usage.events == 3
    assert [o.count for o in snapshot.usage.observations] == [2]


def test_json_lines_exports_are_streamed(tmp_path: Path) -> None:
    lines = tmp_path / "lake.jsonl"
    earlier = event(SESSION, eventTime="2025-06-29T00:00:00Z")
    lines.write_text("\n".join(json.dumps(e) for e in (event(SESSION), earlier)))
    named_json = tmp_path / "athena.json"  # JSON lines under a .json name
    named_json.write_text(lines.read_text())
    gz = tmp_path / "lake.jsonl.gz"
    gz.write_bytes(gzip.compress(lines.read_bytes()))
    for path in (lines, named_json, gz):
        snapshot, report = load_inputs([path])
        assert snapshot.usage is not None, path
        assert snapshot.usage.observations[0].count == 2 and report.files_read == [str(path)]
        assert snapshot.usage.observations[0].first.startswith("2025-06-29")


def test_bad_lines_and_events_are_located_and_the_rest_read(tmp_path: Path) -> None:
    lines = tmp_path / "lake.jsonl"
    lines.write_text(json.dumps(event(SESSION)) + "\n{not json\n" + json.dumps(event(SESSION, requestParameters={}))
                     + "\n" + json.dumps(event(SESSION)) + "\n")
    snapshot, report = load_inputs([lines])
    errors = [(d.location, d.message) for d in report.diagnostics if d.level == "error"]
    assert [where for where, _ in errors] == ["line 2", "line 3 requestParameters.roleArn"]
    assert snapshot.usage is not None and snapshot.usage.observations[0].count == 2
    assert report.skipped["CloudTrail events"] == 2
    log = tmp_path / "delivered.json"
    log.write_bytes(_records([event(SESSION), 7]))
    snapshot, report = load_inputs([log])
    assert [d.location for d in report.diagnostics if d.level == "error"] == ["$.Records[1]"]


def test_truncated_gzip_is_a_located_error(tmp_path: Path) -> None:
    broken = tmp_path / "x.json.gz"
    broken.write_bytes(gzip.compress(_records([event(SESSION)]))[:20])
    _, report = load_inputs([broken])
    assert report.files_rejected == [str(broken)]


def test_role_last_used_is_read_from_exports_and_get_role(tmp_path: Path) -> None:
    role = {"RoleName": "R", "Arn": "arn:aws:iam::111111111111:role/R", "AssumeRolePolicyDocument": {"Statement": []},
            "RoleLastUsed": {"LastUsedDate": "2025-06-30T07:00:00+00:00", "Region": "eu-west-1"}}
    (tmp_path / "get-role.json").write_text(json.dumps({"Role": role}))
    snapshot, _ = load_inputs([tmp_path / "get-role.json"])
    found = snapshot.roles["arn:aws:iam::111111111111:role/R"]
    assert (found.last_used, found.last_used_region) == ("2025-06-30T07:00:00+00:00", "eu-west-1")
    (tmp_path / "never.json").write_text(json.dumps({"Role": {**role, "RoleLastUsed": {}}}))
    snapshot, _ = load_inputs([tmp_path / "never.json"])
    assert snapshot.roles["arn:aws:iam::111111111111:role/R"].last_used is None


def test_observations_are_in_key_order_even_when_a_field_holds_a_nul() -> None:
    # "…/x" (Root) sorts before "…/x\0A" (IAMUser) as tuples; joined with NUL the second would come first
    plain = "arn:aws:iam::111111111111:user/x"
    odd = plain + "\0A"
    collector = UsageCollector()
    collector.add(event({"type": "IAMUser", "arn": odd, "accountId": "111111111111"}), "t", "f", "$")
    collector.add(event({"type": "Root", "arn": plain, "accountId": "111111111111"}), "t", "f", "$")
    assert [o.caller for o in collector.finish().observations] == [plain, odd]
    assert sorted(["\0".join((odd, "IAMUser")), "\0".join((plain, "Root"))])[0].startswith(odd)  # the trap is real
    # negative control: without a NUL the fast order is the same as the tuples'
    other = plain + "A"
    collector = UsageCollector()
    collector.add(event({"type": "IAMUser", "arn": other, "accountId": "111111111111"}), "t", "f", "$")
    collector.add(event({"type": "Root", "arn": plain, "accountId": "111111111111"}), "t", "f", "$")
    assert [o.caller for o in collector.finish().observations] == [plain, other]


def test_coverage_is_widened_only_by_an_event_time() -> None:
    other = {"eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances", "recipientAccountId": "444444444444"}
    collector = UsageCollector()
    records = [dict(other, eventTime="2025-06-02T00:00:00Z"), dict(other, eventTime="2025-06-01x"),
               dict(other, eventTime="zzz"), dict(other, eventTime=7)]
    assert list(collector.add_records(records, "t", "f")) == []
    assert collector.finish().coverage == {"444444444444": ("2025-06-01x", "2025-06-02T00:00:00Z")}
    # negative control: a later time widens the span, a non-time before it does not
    collector = UsageCollector()
    records = [dict(other, eventTime="2025-06-02T00:00:00Z"), dict(other, eventTime="-"),
               dict(other, eventTime="2025-06-03T00:00:00Z")]
    list(collector.add_records(records, "t", "f"))
    usage = collector.finish()
    assert usage.coverage == {"444444444444": ("2025-06-02T00:00:00Z", "2025-06-03T00:00:00Z")} and usage.events == 3
