"""`trustgraph collect --cloudtrail-days N`: LookupEvents per account and region into the snapshot (docs/usage.md).

moto does not implement LookupEvents, so the cloudtrail clients get botocore's Stubber through the collector's client
hook (collect_cmd.client_hook); IAM stays moto's. Stubber answers before botocore's retry handler, so the throttling
test answers at `before-send` instead, where the real retries (adaptive mode) see the error.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aws_fakes import MANAGEMENT_ACCOUNT, collect_with_hook, no_retry_wait, set_fake_credentials, short_circuit_error
from botocore.awsrequest import AWSResponse
from botocore.stub import ANY, Stubber
from click.testing import Result
from moto import mock_aws
from moto.core import models as moto_models

from trustgraph.sources.aws.session import MAX_ATTEMPTS, SessionFactory, SessionSettings
from trustgraph.sources.files import load_inputs

ACCOUNT = MANAGEMENT_ACCOUNT  # the caller's account: read with its own credentials
CALLER = "210987654321"
REGIONS = ("eu-west-1", "us-east-1")
REQUEST = {"LookupAttributes": [{"AttributeKey": "EventSource", "AttributeValue": "sts.amazonaws.com"}],
           "StartTime": ANY, "EndTime": ANY, "MaxResults": 50}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    set_fake_credentials(monkeypatch, tmp_path)
    no_retry_wait(monkeypatch)
    with mock_aws():
        yield


def assume_record(n: int, role: str = "Deploy", day: str = "2026-12-01") -> dict[str, Any]:
    """The CloudTrail record of a role assumption into ACCOUNT by a role of CALLER."""
    return {
        "eventVersion": "1.08", "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
        "eventTime": f"{day}T10:00:{n % 60:02d}Z", "eventID": f"event-{n}", "recipientAccountId": ACCOUNT,
        "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.1", "userAgent": "aws-cli",
        "requestParameters": {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "roleSessionName": "s"},
        "userIdentity": {"type": "AssumedRole", "accountId": CALLER, "principalId": "AROAEXAMPLE:s",
                         "arn": f"arn:aws:sts::{CALLER}:assumed-role/Pipeline/s",
                         "sessionContext": {"sessionIssuer": {"type": "Role",
                                                              "arn": f"arn:aws:iam::{CALLER}:role/Pipeline"}}},
    }


def lookup_event(record: dict[str, Any] | str) -> dict[str, Any]:
    """A LookupEvents `Events[]` entry: the record as JSON text in `CloudTrailEvent`."""
    text = record if isinstance(record, str) else json.dumps(record)
    ident = record["eventID"] if isinstance(record, dict) else "broken-1"
    return {"EventId": ident, "EventName": "AssumeRole", "EventSource": "sts.amazonaws.com",
            "EventTime": dt.datetime(2026, 12, 1, tzinfo=dt.UTC), "CloudTrailEvent": text}


Stub = Callable[[Stubber], None]


@dataclass
class StubbedLookups:
    """Client hook: ec2:DescribeRegions answers REGIONS; each region's cloudtrail client gets a Stubber set up by
    `regions[region]` (a region missing there answers no call: the test would see UnStubbedResponseError)."""

    regions: dict[str, Stub]
    stubbers: list[Stubber] = field(default_factory=list)

    def __call__(self, client: Any, account: str | None) -> None:
        service = client.meta.service_model.service_name
        if service == "ec2":
            parsed = {"Regions": [{"RegionName": r} for r in REGIONS]}
            client.meta.events.register("before-call.ec2.DescribeRegions",
                                        lambda **_: (short_circuit_error("", "", 200)[0], parsed))
        elif service == "cloudtrail":
            stubber = Stubber(client)
            self.regions.get(client.meta.region_name, lambda s: None)(stubber)
            stubber.activate()
            self.stubbers.append(stubber)


def pages(*pages: list[dict[str, Any]], tokens: tuple[str, ...] = ()) -> Stub:
    """LookupEvents answering `pages` in order, page i carrying NextToken tokens[i] (none after the last by
    default)."""
    def stub(stubber: Stubber) -> None:
        for i, events in enumerate(pages):
            answer: dict[str, Any] = {"Events": events}
            if i < len(tokens):
                answer["NextToken"] = tokens[i]
            expected = dict(REQUEST, **({"NextToken": tokens[i - 1]} if i else {}))
            stubber.add_response("lookup_events", answer, expected)
    return stub


def denied(stubber: Stubber) -> None:
    stubber.add_client_error("lookup_events", "AccessDeniedException", "not authorized to perform: "
                             "cloudtrail:LookupEvents with an explicit deny", http_status_code=400)


def collect(monkeypatch: pytest.MonkeyPatch, hook: Any, out: Path, *args: str) -> Result:
    return collect_with_hook(monkeypatch, hook, "--no-inventory", "--cloudtrail-days", "7", "-o", str(out), *args)


def manifest_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text())


def cloudtrail_record(out: Path) -> dict[str, Any]:
    (account,) = manifest_of(out)["accounts"]
    return account["cloudtrail"]  # type: ignore[no-any-return]


def lines(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_lookup_events_pages_are_all_read_and_written_one_record_a_line(
        aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    hook = StubbedLookups({"us-east-1": pages([lookup_event(assume_record(n)) for n in range(50)],
                                              [lookup_event(assume_record(n)) for n in range(50, 53)],
                                              tokens=("page-2",)),
                           "eu-west-1": pages([])})
    result = collect(monkeypatch, hook, out)

    assert result.exit_code == 0, result.stderr
    for stubber in hook.stubbers:
        stubber.assert_no_pending_responses()  # both pages asked, with the same filter and window
    written = lines(out / "cloudtrail" / ACCOUNT / "us-east-1.jsonl.gz")
    assert [line["eventID"] for line in written[1:-1]] == [f"event-{n}" for n in range(53)]
    assert written[0]["schema"] == written[-1]["schema"] == "trustgraph/cloudtrail-lookup/v1"
    assert written[0]["regions"] == sorted(REGIONS) and written[-1] == {
        "schema": "trustgraph/cloudtrail-lookup/v1", "end_of_lookup": True, "complete": True, "events": 53}
    record = cloudtrail_record(out)
    assert (record["status"], record["events"], record["all_regions"]) == ("ok", 53, True)
    assert [(r["region"], r["status"], r["events"], r["pages"]) for r in record["regions"]] == [
        ("eu-west-1", "ok", 0, 1), ("us-east-1", "ok", 53, 2)]
    window = manifest_of(out)["cloudtrail"]
    assert window["days"] == 7 and window["event_source"] == "sts.amazonaws.com"
    assert manifest_of(out)["summary"]["cloudtrail_incomplete"] == 0

    snapshot, _ = load_inputs([out])
    assert snapshot.usage is not None
    (observation,) = snapshot.usage.observations
    assert (observation.caller, observation.count) == (f"arn:aws:iam::{CALLER}:role/Pipeline", 53)
    # the period covered is the window asked, exactly: not the span of the events' own times
    assert snapshot.usage.coverage == {ACCOUNT: (window["start"], window["end"])}


def test_events_of_a_lookup_never_widen_coverage_by_their_own_times(tmp_path: Path) -> None:
    """Negative control of the rule above: the same records as plain JSON lines cover their own span, and a lookup
    file without its end line covers nothing."""
    plain = tmp_path / "plain.jsonl"
    plain.write_text("".join(json.dumps(assume_record(n)) + "\n" for n in range(3)))
    snapshot, _ = load_inputs([plain])
    assert snapshot.usage is not None
    assert snapshot.usage.coverage == {ACCOUNT: ("2026-12-01T10:00:00Z", "2026-12-01T10:00:02Z")}

    cut = tmp_path / "cloudtrail" / ACCOUNT / "us-east-1.jsonl"
    cut.parent.mkdir(parents=True)
    head = {"schema": "trustgraph/cloudtrail-lookup/v1", "account_id": ACCOUNT, "region": "us-east-1",
            "regions": ["us-east-1"], "start": "2026-11-24T00:00:00Z", "end": "2026-12-01T00:00:00Z"}
    cut.write_text("".join(json.dumps(v) + "\n" for v in (head, *map(assume_record, range(3)))))
    snapshot, report = load_inputs([cut])
    assert snapshot.usage is not None and len(snapshot.usage.observations) == 1
    assert snapshot.usage.coverage == {}
    assert any("without its end line" in str(w) for w in report.diagnostics if w.level == "warning")

    # with its end line, complete and counting every event: the window is covered
    cut.write_text(cut.read_text() + json.dumps({"schema": "trustgraph/cloudtrail-lookup/v1", "end_of_lookup": True,
                                                 "complete": True, "events": 3}) + "\n")
    snapshot, _ = load_inputs([cut])
    assert snapshot.usage is not None
    assert snapshot.usage.coverage == {ACCOUNT: ("2026-11-24T00:00:00Z", "2026-12-01T00:00:00Z")}


def test_lookup_file_holding_fewer_events_than_it_counted_covers_no_period(tmp_path: Path) -> None:
    path = tmp_path / "us-east-1.jsonl"
    head = {"schema": "trustgraph/cloudtrail-lookup/v1", "account_id": ACCOUNT, "region": "us-east-1",
            "regions": ["us-east-1"], "start": "2026-11-24T00:00:00Z", "end": "2026-12-01T00:00:00Z"}
    end = {"schema": "trustgraph/cloudtrail-lookup/v1", "end_of_lookup": True, "complete": True, "events": 4}
    path.write_text("".join(json.dumps(v) + "\n" for v in (head, *map(assume_record, range(3)), end)))
    snapshot, report = load_inputs([path])
    assert snapshot.usage is not None and snapshot.usage.coverage == {}
    assert any("says 4 events, the file holds 3" in str(e) for e in report.diagnostics if e.level == "error")


@dataclass
class ThrottledLookups:
    """Client hook answering LookupEvents at `before-send` (so botocore's retry handler sees each answer):
    `throttles` ThrottlingException answers, then one page of `events`."""

    throttles: int
    events: list[dict[str, Any]]
    sent: int = 0

    def __call__(self, client: Any, account: str | None) -> None:
        service = client.meta.service_model.service_name
        if service == "ec2":
            parsed = {"Regions": [{"RegionName": "us-east-1"}]}
            client.meta.events.register("before-call.ec2.DescribeRegions",
                                        lambda **_: (short_circuit_error("", "", 200)[0], parsed))
        elif service == "cloudtrail":
            # moto answers every call at `before-send` too, and has no LookupEvents: only this handler answers
            client.meta.events.unregister("before-send", moto_models.botocore_stubber)
            client.meta.events.register_first("before-send.cloudtrail.LookupEvents", self._send)

    def _send(self, **_: Any) -> AWSResponse:
        self.sent += 1
        if self.sent <= self.throttles:
            return _json_response(400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
        events = [dict(e, EventTime=e["EventTime"].timestamp()) for e in self.events]
        return _json_response(200, {"Events": events})


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def _json_response(status: int, body: dict[str, Any]) -> AWSResponse:
    return AWSResponse("https://fault.invalid/", status, {"Content-Type": "application/x-amz-json-1.1"},
                       _Body(json.dumps(body).encode()))


@pytest.fixture
def no_rate_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adaptive mode's token bucket stays real; only its wait for a token is dropped."""
    from botocore.retries import bucket

    monkeypatch.setattr(bucket.TokenBucket, "acquire", lambda self, amount=1, block=True: True)


def test_throttled_lookup_is_retried_then_read(
        aws: Any, no_rate_wait: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    hook = ThrottledLookups(throttles=2, events=[lookup_event(assume_record(n)) for n in range(3)])
    result = collect(monkeypatch, hook, out, "--regions", "us-east-1")

    assert result.exit_code == 0, result.stderr
    assert hook.sent == 3  # two throttled answers, then the page
    record = cloudtrail_record(out)
    assert (record["status"], record["events"]) == ("ok", 3)


def test_lookup_throttled_past_the_retries_fails_the_region(
        aws: Any, no_rate_wait: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    hook = ThrottledLookups(throttles=MAX_ATTEMPTS, events=[])
    result = collect(monkeypatch, hook, out, "--regions", "us-east-1")

    assert result.exit_code == 3
    assert hook.sent == MAX_ATTEMPTS
    (region,) = cloudtrail_record(out)["regions"]
    assert (region["status"], region["reason_code"]) == ("failed", "throttled")
    assert f"after {MAX_ATTEMPTS - 1} retries" in region["reason"]


def test_cloudtrail_clients_pace_themselves_in_adaptive_mode(
        aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = SessionFactory(SessionSettings())
    assert sessions.caller_client("cloudtrail", "eu-west-1").meta.config.retries["mode"] == "adaptive"
    assert sessions.caller_client("iam").meta.config.retries["mode"] == "standard"


def test_denied_region_is_recorded_partial_and_the_other_regions_read(
        aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    hook = StubbedLookups({"us-east-1": pages([lookup_event(assume_record(n)) for n in range(2)]),
                           "eu-west-1": denied})
    result = collect(monkeypatch, hook, out)

    assert result.exit_code == 3  # partial, as any other collection failure
    record = cloudtrail_record(out)
    assert (record["status"], record["events"]) == ("partial", 2)
    regions = {r["region"]: r for r in record["regions"]}
    assert (regions["eu-west-1"]["status"], regions["eu-west-1"]["reason_code"]) == ("failed", "access-denied")
    assert regions["us-east-1"]["status"] == "ok"
    assert manifest_of(out)["partial"] is True and manifest_of(out)["summary"]["cloudtrail_incomplete"] == 1
    assert "warning: account 123456789012: cloudtrail: eu-west-1: cloudtrail:LookupEvents: AccessDenied" \
        in result.stderr

    snapshot, _ = load_inputs([out])
    assert snapshot.usage is not None
    assert len(snapshot.usage.observations) == 1  # the region read counts
    assert snapshot.usage.coverage == {}  # but no period is covered: a denied region could hold the use
    assert any("CloudTrail events of account 123456789012 are partial" in gap for gap in snapshot.gaps)


def test_malformed_cloudtrail_event_is_one_located_problem_and_the_rest_is_read(
        aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    hook = StubbedLookups({"us-east-1": pages([lookup_event(assume_record(0)), lookup_event("{not json"),
                                               lookup_event(assume_record(1))]),
                           "eu-west-1": pages([])})
    result = collect(monkeypatch, hook, out)

    assert result.exit_code == 3
    record = cloudtrail_record(out)
    assert (record["status"], record["events"]) == ("partial", 2)
    assert record["problems"] == ["us-east-1: page 1 event 1 (EventId broken-1): CloudTrailEvent is not JSON: "
                                  "Expecting property name enclosed in double quotes; not read"]
    written = lines(out / "cloudtrail" / ACCOUNT / "us-east-1.jsonl.gz")
    assert [line.get("eventID") for line in written[1:-1]] == ["event-0", "event-1"]
    assert written[-1]["complete"] is False


def test_lookup_token_that_cycles_is_stopped_and_recorded(
        aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    # A, B, A: botocore only catches the same token twice in a row; the bounded pages catch the cycle
    hook = StubbedLookups({"us-east-1": pages(*[[lookup_event(assume_record(n))] for n in range(3)],
                                              tokens=("A", "B", "A")),
                           "eu-west-1": pages([])})
    result = collect(monkeypatch, hook, out)

    assert result.exit_code == 3
    regions = {r["region"]: r for r in cloudtrail_record(out)["regions"]}
    failed = regions["us-east-1"]
    assert (failed["status"], failed["events"], failed["pages"]) == ("failed", 3, 3)
    assert "pagination token of page 3 was already received" in failed["reason"]
    assert regions["eu-west-1"]["status"] == "ok"


def test_cloudtrail_days_beyond_the_90_days_lookup_keeps_is_a_usage_error(
        aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = collect_with_hook(monkeypatch, None, "--no-inventory", "--cloudtrail-days", "91",
                               "-o", str(tmp_path / "snap"))
    assert result.exit_code == 2 and "91 is not in the range 1<=x<=90" in result.stderr
    result = collect_with_hook(monkeypatch, StubbedLookups({"us-east-1": pages([]), "eu-west-1": pages([])}),
                               "--no-inventory", "--cloudtrail-days", "90", "-o", str(tmp_path / "snap"))
    assert result.exit_code == 0, result.stderr


def test_narrower_regions_than_enabled_read_the_events_but_cover_no_period(
        aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    hook = StubbedLookups({"us-east-1": pages([lookup_event(assume_record(0))])})
    result = collect(monkeypatch, hook, out, "--regions", "us-east-1")  # eu-west-1 is enabled too

    assert result.exit_code == 0, result.stderr
    record = cloudtrail_record(out)
    assert (record["status"], record["all_regions"]) == ("ok", False)
    snapshot, _ = load_inputs([out])
    assert snapshot.usage is not None and len(snapshot.usage.observations) == 1
    assert snapshot.usage.coverage == {}


def test_lookup_header_that_names_no_account_is_one_error_and_covers_no_period(tmp_path: Path) -> None:
    path = tmp_path / "us-east-1.jsonl"
    head = {"schema": "trustgraph/cloudtrail-lookup/v1", "account_id": "../x", "region": "us-east-1",
            "regions": ["us-east-1"], "start": "2026-11-24T00:00:00Z", "end": "2026-12-01T00:00:00Z"}
    end = {"schema": "trustgraph/cloudtrail-lookup/v1", "end_of_lookup": True, "complete": True, "events": 1}
    path.write_text("".join(json.dumps(v) + "\n" for v in (head, assume_record(0), end)))
    snapshot, report = load_inputs([path])
    assert snapshot.usage is not None and len(snapshot.usage.observations) == 1
    assert snapshot.usage.coverage == {}
    (error,) = [d for d in report.diagnostics if d.level == "error"]
    assert (error.location, error.message.split(":")[0]) == ("line 1", "CloudTrail lookup header without a 12-digit "
                                                                       "account_id, a region, regions and start/end "
                                                                       "times")
