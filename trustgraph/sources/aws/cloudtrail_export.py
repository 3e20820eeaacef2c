"""CloudTrail event history of one account, read live with LookupEvents (`collect --cloudtrail-days N`, docs/usage.md).

Per region, the STS events of the window (`EventSource` sts.amazonaws.com, StartTime = end - N days) are paged
through `bounded_pages` (50 events a page, AWS's most) and written one record a line to
`cloudtrail/<account>/<region>.jsonl.gz` as they arrive: memory holds one page. Each line is the event's
`CloudTrailEvent` (the full record, as a trail delivers it), so the file reader matches it like any other.

The first line of each file says what was asked (account, region, window, and every region the account has
enabled); the last says whether the region was read to the end. The reader declares the window covered for an
account only when every enabled region's file ends complete, and the records of these files never widen
coverage by their own times (docs/usage.md): "not seen used" then means exactly "not in the event history of
the regions and period read".

AWS: https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html (90 days, 50 results a
page, two requests per second per account per region; the client uses botocore's adaptive retry mode).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from trustgraph.sources.aws.failures import describe_failure, one_line
from trustgraph.sources.aws.iam_export import Interrupted
from trustgraph.sources.aws.pages import bounded_pages
from trustgraph.sources.aws.snapshot_writer import SnapshotWriter, checked_account_id
from trustgraph.version import SCHEMAS

SCHEMA = SCHEMAS["cloudtrail-lookup"]
CLOUDTRAIL_DIR = "cloudtrail"
MAX_DAYS = 90  # LookupEvents reaches back 90 days
PAGE_SIZE = 50  # LookupEvents' most results a page
EVENT_SOURCE = "sts.amazonaws.com"
LOOKUP_ACTION = "cloudtrail:LookupEvents"
# Pages of one region: 10M events, 28 hours at two pages a second. The listings' PAGE_CAP (20,000 pages) is 1M events
# here, which a busy account's 90 days of role assumptions can pass.
LOOKUP_PAGE_CAP = 200_000
BAD_EVENTS_NAMED = 5  # unreadable events named one by one in the manifest; the rest counted


def time_text(moment: dt.datetime) -> str:
    """A CloudTrail eventTime: UTC, seconds, `Z` (so declared windows compare with event times as strings)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Window:
    """The period asked of every account and region of one run (the same for all, fixed when the run starts)."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def last_days(cls, days: int, now: dt.datetime) -> Window:
        return cls(now - dt.timedelta(days=days), now)

    def to_json(self) -> dict[str, str]:
        return {"start": time_text(self.start), "end": time_text(self.end)}


def events_file_name(account_id: str, region: str) -> str:
    return f"{CLOUDTRAIL_DIR}/{checked_account_id(account_id)}/{region}.jsonl.gz"


@dataclass
class RegionRead:
    """One region's LookupEvents: `ok` read to the end; `partial` read to the end but some events unreadable;
    `failed` stopped by an error (what came before it is in the file)."""

    region: str
    status: str = "ok"
    events: int = 0
    pages: int = 0
    bad_events: int = 0
    file: str | None = None
    reason_code: str | None = None
    reason: str | None = None
    aws_message: str | None = None
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"region": self.region, "status": self.status, "events": self.events,
                                "pages": self.pages}
        for key in ("bad_events", "file", "reason_code", "reason", "aws_message"):
            value = getattr(self, key)
            if value:
                data[key] = value
        if self.problems:
            data["problems"] = self.problems
        return data


def _line(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False) + "\n"


def header(account_id: str, region: str, regions: Sequence[str] | None, window: Window) -> dict[str, Any]:
    """`regions`: every region enabled for the account (None when ec2:DescribeRegions failed: never complete)."""
    return {"schema": SCHEMA, "account_id": account_id, "region": region,
            "regions": sorted(regions) if regions is not None else None, **window.to_json(),
            "event_source": EVENT_SOURCE}


def trailer(read: RegionRead) -> dict[str, Any]:
    return {"schema": SCHEMA, "end_of_lookup": True, "complete": read.status == "ok", "events": read.events}


def lookup_region(client: Any, account_id: str, region: str, regions: Sequence[str] | None, window: Window,
                  sink: IO[str], should_stop: Callable[[], bool] | None = None) -> RegionRead:
    """Page through one region's STS events into `sink` (header, one record a line, trailer). Never raises for
    AWS errors: the region is recorded `failed` with its reason (Ctrl-C: `Interrupted`)."""
    read = RegionRead(region)
    sink.write(_line(header(account_id, region, regions, window)))
    try:
        pages = bounded_pages(client, "lookup_events", LOOKUP_PAGE_CAP, StartTime=window.start, EndTime=window.end,
                              MaxResults=PAGE_SIZE,
                              LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": EVENT_SOURCE}])
        for page in pages:
            if should_stop is not None and should_stop():
                raise Interrupted()
            read.pages += 1
            for index, event in enumerate(page.get("Events") or []):
                record = _record(event, read, index)
                if record is not None:
                    sink.write(_line(record))
                    read.events += 1
    except Interrupted:
        raise
    except Exception as exc:  # noqa: BLE001 - the region's failure is recorded, the other regions go on
        failure = describe_failure(exc, LOOKUP_ACTION)
        read.status, read.reason_code, read.reason, read.aws_message = (
            "failed", failure.code, f"{region}: {failure.reason}", failure.detail)
    if read.status == "ok" and read.bad_events:
        read.status = "partial"
    sink.write(_line(trailer(read)))
    return read


def _record(event: Any, read: RegionRead, index: int) -> dict[str, Any] | None:
    """The record inside a LookupEvents event (its `CloudTrailEvent` JSON text); None, and one located problem,
    when it is not a JSON object."""
    text = event.get("CloudTrailEvent") if isinstance(event, dict) else None
    problem: str | None = None
    if not isinstance(text, str):
        problem = "no CloudTrailEvent text"
    else:
        try:
            record = json.loads(text)
        except ValueError as exc:
            problem = f"CloudTrailEvent is not JSON: {one_line(str(exc).split(':')[0])}"
        except RecursionError:
            problem = "CloudTrailEvent is nested too deeply to read"
        else:
            if isinstance(record, dict):
                return record
            problem = f"CloudTrailEvent is a JSON {type(record).__name__}, not an object"
    read.bad_events += 1
    if len(read.problems) < BAD_EVENTS_NAMED:
        event_id = event.get("EventId") if isinstance(event, dict) else None
        ident = f" (EventId {one_line(event_id)})" if isinstance(event_id, str) else ""
        read.problems.append(f"{read.region}: page {read.pages} event {index}{ident}: {problem}; not read")
    return None


@dataclass
class CloudTrailExport:
    regions: list[RegionRead] = field(default_factory=list)
    regions_enabled: list[str] | None = None
    regions_problem: str | None = None

    @property
    def all_regions(self) -> bool:
        """Every enabled region was read (a region botocore offers no CloudTrail endpoint in was not: its events,
        if any, are unknown)."""
        read = {r.region for r in self.regions if r.status != "not-offered"}
        return self.regions_enabled is not None and set(self.regions_enabled) <= read

    @property
    def complete(self) -> bool:
        return self.all_regions and all(r.status == "ok" for r in self.regions)


def export_cloudtrail(client_for: Callable[[str, str | None], Any], account_id: str, window: Window,
                      regions: Sequence[str] | None, enabled: Callable[[], list[str]], offered: set[str],
                      writer: SnapshotWriter, on_stage: Callable[[str], None] | None = None,
                      should_stop: Callable[[], bool] | None = None) -> CloudTrailExport:
    """Read the account's event history in `regions` (else every enabled region), one file a region.

    `enabled()` lists the account's enabled regions (ec2:DescribeRegions); `offered`: where botocore knows
    CloudTrail. A region's failure (AccessDenied, an SCP denying it, throttling past the retries, a token that
    cycles) is recorded in it and never stops the others; a file that cannot be written raises (OSError)."""
    export = CloudTrailExport()
    try:
        export.regions_enabled = enabled()
    except Exception as exc:  # noqa: BLE001 - without the region list the read cannot be complete, still made
        export.regions_problem = describe_failure(exc, "ec2:DescribeRegions").reason
    wanted = sorted(regions) if regions else list(export.regions_enabled or [])
    for number, region in enumerate(wanted, start=1):
        if should_stop is not None and should_stop():
            raise Interrupted()
        if on_stage is not None:
            on_stage(f"CloudTrail {region} ({number}/{len(wanted)})")
        if region not in offered:
            export.regions.append(RegionRead(region, "not-offered"))
            continue
        name = events_file_name(account_id, region)
        with writer.stream(name) as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed, \
                io.TextIOWrapper(packed, encoding="utf-8", newline="\n") as sink:
            read = lookup_region(client_for("cloudtrail", region), account_id, region, export.regions_enabled,
                                 window, sink, should_stop)
        read.file = name
        export.regions.append(read)
    return export
