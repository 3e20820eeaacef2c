"""CloudTrail events as inputs (docs/usage.md): log files as trails deliver them to S3 (`{"Records": [...]}`,
`.json` or `.json.gz`, alone or in the `AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/` tree) and JSON-lines
exports (one event per line: CloudTrail Lake, Athena), plain or gzipped.

Events stream through `SnapshotBuilder.usage` one at a time: a log file is one delivery (a few MB at most) and is
parsed whole, a JSON-lines file line by line, so memory holds one file or one line of events, plus the
observations. Each unreadable event or line is one located error; the rest is read.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from trustgraph.arns import ACCOUNT_ID
from trustgraph.load_report import LoadReport
from trustgraph.sources.cloudtrail_match import UsageCollector
from trustgraph.sources.snapshot_builder import SnapshotBuilder
from trustgraph.version import SCHEMAS

SKIPPED = "CloudTrail events"
LINES_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
EVENT_SUFFIXES = (".json.gz", *LINES_SUFFIXES)  # besides .json: what a directory is searched for
# AWSLogs/ACCOUNT/CloudTrail/ or, for an organization trail, AWSLogs/o-ORG/ACCOUNT/CloudTrail/
_TREE = re.compile(r"^(?P<copy>.*?AWSLogs(?:/o-[a-z0-9]+)?)/(?P<account>\d{12})/CloudTrail/")
_EVENT_KEYS = ("eventVersion", "eventSource", "eventName")
LOOKUP_SCHEMA = SCHEMAS["cloudtrail-lookup"]


def looks_like_cloudtrail(value: dict[str, Any]) -> bool:
    return isinstance(value.get("Records"), list)


def is_event_lines(path: Path) -> bool:
    return path.name.lower().endswith(LINES_SUFFIXES)


def open_text(path: Path) -> IO[str]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig")
    return open(path, encoding="utf-8-sig")


def _where_delivered(path: Path) -> tuple[str, str]:
    """(the copy the file belongs to, the account its tree names or ""): files of one trail (one bucket prefix,
    organization or not) are one copy of the events; a file outside a tree belongs to its directory's."""
    text = path.as_posix()
    found = _TREE.match(text)
    if found:
        return found["copy"], found["account"]
    return path.parent.as_posix(), ""


def _collector(builder: SnapshotBuilder) -> UsageCollector:
    if builder.usage is None:
        builder.usage = UsageCollector()
    return builder.usage


def read_records(value: dict[str, Any], builder: SnapshotBuilder, source: str, path: Path) -> None:
    """A delivered log file: `{"Records": [event, ...]}`."""
    collector = _collector(builder)
    collector.files += 1
    copy, hint = _where_delivered(path)
    for i, bad in collector.add_records(value["Records"], copy, source, hint):
        builder.report.error(source, f"$.Records[{i}]{bad.where}", bad.message, skipped=SKIPPED)


def first_line_is_event(path: Path) -> bool:
    """Whether a file whose JSON has extra data after its first value is JSON lines of CloudTrail events."""
    try:
        with open_text(path) as fh:
            first = fh.readline(1 << 20)
        value = json.loads(first)
    except (OSError, ValueError, EOFError):
        return False
    return isinstance(value, dict) and any(k in value for k in _EVENT_KEYS)


def _lines(fh: IO[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(fh, 1):
        if line.strip():
            yield number, line


def read_event_lines(path: Path, builder: SnapshotBuilder, source: str) -> bool:
    """A JSON-lines export, streamed. False (and one error) when the file itself cannot be read.

    A file `collect --cloudtrail-days` wrote starts and ends with a `trustgraph/cloudtrail-lookup/v1` line (what was
    asked; whether it was read to the end): its events never widen coverage by their times, its period is
    declared instead (`UsageCollector.declare`)."""
    collector = _collector(builder)
    copy, hint = _where_delivered(path)
    report = builder.report
    lookup: _LookupFile | None = None
    first = True
    try:
        with open_text(path) as fh:
            for number, line in _lines(fh):
                try:
                    event = json.loads(line)
                except ValueError as exc:
                    report.error(source, f"line {number}", f"invalid JSON: {str(exc).split(':')[0]}",
                                 skipped=SKIPPED)
                    continue
                except RecursionError:
                    report.error(source, f"line {number}", "invalid JSON: nested too deeply to read",
                                 skipped=SKIPPED)
                    continue
                if (first or lookup is not None) and type(event) is dict and event.get("schema") == LOOKUP_SCHEMA:
                    if first:
                        lookup = _LookupFile.of(event, report, source, number)
                    else:
                        assert lookup is not None
                        lookup.closing(event, report, source, number)
                    first = False
                    continue
                first = False
                where = f"line {number}"
                if lookup is None:
                    bad = collector.add(event, copy, source, where, hint)
                else:
                    lookup.events += 1
                    bad = collector.add(event, copy, source, where, lookup.account or hint, cover=False)
                if bad is not None:
                    report.error(source, f"line {number}" + (f" {bad.where.lstrip('.')}" if bad.where else ""),
                                 bad.message, skipped=SKIPPED)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        reason = "not a text file" if isinstance(exc, UnicodeDecodeError) else \
            f"cannot read: {getattr(exc, 'strerror', None) or exc}"
        report.error(source, "", reason + "; the events before it are kept", skipped="files")
        report.files_rejected.append(source)
        if lookup is not None:
            lookup.declare(collector, complete=False)
        return False
    if lookup is not None:
        lookup.finish(collector, report, source)
    collector.files += 1
    return True


@dataclass
class _LookupFile:
    """The first line of a `collect --cloudtrail-days` file, and what its last line says."""

    account: str
    region: str
    regions: list[str] | None
    start: str
    end: str
    valid: bool
    events: int = 0
    ended: dict[str, Any] | None = None

    @classmethod
    def of(cls, value: dict[str, Any], report: LoadReport, source: str, number: int) -> _LookupFile:
        account, region, regions = value.get("account_id"), value.get("region"), value.get("regions")
        start, end = value.get("start"), value.get("end")
        valid = (isinstance(account, str) and ACCOUNT_ID.fullmatch(account) is not None
                 and isinstance(region, str) and bool(region)
                 and (regions is None or (isinstance(regions, list) and all(isinstance(r, str) for r in regions)))
                 and all(isinstance(t, str) and t[:4].isdigit() for t in (start, end)))
        if not valid:
            report.error(source, f"line {number}", "CloudTrail lookup header without a 12-digit account_id, a region, "
                         "regions and start/end times: its events are read but cover no period")
            return cls("", "", None, "", "", False)
        return cls(account, region, regions, start, end, True)  # type: ignore[arg-type]

    def closing(self, value: dict[str, Any], report: LoadReport, source: str, number: int) -> None:
        if self.ended is not None:
            report.error(source, f"line {number}", "a second CloudTrail lookup end line: the lookup covers no period")
            self.valid = False
        self.ended = value

    def declare(self, collector: UsageCollector, complete: bool) -> None:
        if self.valid:
            collector.declare(self.account, self.region, self.regions, self.start, self.end, complete)

    def finish(self, collector: UsageCollector, report: LoadReport, source: str) -> None:
        """Declare the region read when its last line says it was read to the end and the file holds every event
        it counted (a file cut short, or lines lost, covers no period)."""
        if self.ended is None:
            report.warning(source, "", "CloudTrail lookup without its end line (cut short): its events are read, "
                           "they cover no period")
            self.declare(collector, complete=False)
            return
        counted = self.ended.get("events")
        complete = self.ended.get("complete") is True
        if complete and counted != self.events:
            report.error(source, "", f"CloudTrail lookup says {counted!r} events, the file holds {self.events}: "
                         "its events are read, they cover no period")
            complete = False
        self.declare(collector, complete)
