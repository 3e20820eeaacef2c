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
from pathlib import Path
from typing import IO, Any

from trustgraph.sources.cloudtrail_match import UsageCollector
from trustgraph.sources.snapshot_builder import SnapshotBuilder

SKIPPED = "CloudTrail events"
LINES_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
EVENT_SUFFIXES = (".json.gz", *LINES_SUFFIXES)  # besides .json: what a directory is searched for
# AWSLogs/ACCOUNT/CloudTrail/ or, for an organization trail, AWSLogs/o-ORG/ACCOUNT/CloudTrail/
_TREE = re.compile(r"^(?P<copy>.*?AWSLogs(?:/o-[a-z0-9]+)?)/(?P<account>\d{12})/CloudTrail/")
_EVENT_KEYS = ("eventVersion", "eventSource", "eventName")


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
    """A JSON-lines export, streamed. False (and one error) when the file itself cannot be read."""
    collector = _collector(builder)
    copy, hint = _where_delivered(path)
    report = builder.report
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
                bad = collector.add(event, copy, source, f"line {number}", hint)
                if bad is not None:
                    report.error(source, f"line {number}" + (f" {bad.where.lstrip('.')}" if bad.where else ""),
                                 bad.message, skipped=SKIPPED)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        reason = "not a text file" if isinstance(exc, UnicodeDecodeError) else \
            f"cannot read: {getattr(exc, 'strerror', None) or exc}"
        report.error(source, "", reason + "; the events before it are kept", skipped="files")
        report.files_rejected.append(source)
        return False
    collector.files += 1
    return True
