"""The snapshot directory: built in a sibling staging directory, then swapped in as a whole.

Readers of SNAPSHOT_DIR therefore see either the previous snapshot or the new one, never a mix, and
Ctrl-C leaves no half-written file: every file is written to a temp name and os.replace'd, and the
staging directory is removed on abort. On Linux the final swap is one renameat2(RENAME_EXCHANGE);
elsewhere it is two renames with a moment in between where SNAPSHOT_DIR does not exist.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import IO, Any

from trustgraph.sources.aws.manifest import SCHEMA as MANIFEST_SCHEMA

MANIFEST_NAME = "manifest.json"
ORGANIZATION_NAME = "organization.json"


class SnapshotRefused(Exception):
    """The output directory cannot be used (exists without --force, not a snapshot, not a directory)."""


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # botocore returns aware datetimes (tzutc or tzlocal); the AWS CLI prints them as ISO-8601.
        return (value.astimezone(dt.UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def to_json_text(data: Any) -> str:
    return json.dumps(data, indent=2, default=_json_default, ensure_ascii=False) + "\n"


# An account id names a file of the snapshot, and it comes from AWS (Organizations, STS): data, so it is checked
# to be twelve ASCII digits (`\d` would take other scripts' digits, `$` a trailing newline) before it becomes a
# path; `../x` from a hostile or broken answer must never name a file outside the snapshot.
ACCOUNT_ID = re.compile(r"[0-9]{12}")


class NotAnAccountId(ValueError):
    """An account id that is not twelve digits: it names no file."""


def checked_account_id(account_id: object) -> str:
    """`account_id` if it is twelve ASCII digits, else NotAnAccountId."""
    if not isinstance(account_id, str) or not ACCOUNT_ID.fullmatch(account_id):
        raise NotAnAccountId(f"not an AWS account id (12 digits): {account_id!r}")
    return account_id


def account_file_name(account_id: str) -> str:
    return f"{checked_account_id(account_id)}.json"


def _is_snapshot(directory: Path) -> bool:
    try:
        manifest = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and str(manifest.get("schema", "")).startswith(
        MANIFEST_SCHEMA.rsplit("/", 1)[0]
    )


def is_complete_snapshot(directory: Path) -> bool:
    """A snapshot whose manifest lists no failed account and complete organization data."""
    try:
        manifest = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict) or not str(manifest.get("schema", "")).startswith(
            MANIFEST_SCHEMA.rsplit("/", 1)[0]):
        return False
    return manifest.get("partial") is False


STAGING = ".staging-"
PREVIOUS = ".previous-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def remove_stale_staging(target: Path) -> list[Path]:
    """Remove what killed collections into `target` left beside it: `.<name>.staging-<pid>-*` and
    `.<name>.previous-<pid>-*` directories whose process is gone. Returns the directories removed."""
    removed: list[Path] = []
    try:
        siblings = list(target.parent.iterdir())
    except OSError:
        return removed
    for path in siblings:
        for mark in (STAGING, PREVIOUS):
            prefix = f".{target.name}{mark}"
            if not path.name.startswith(prefix) or not path.is_dir() or path.is_symlink():
                continue
            pid_text = path.name[len(prefix):].split("-", 1)[0]
            if pid_text.isdigit() and (int(pid_text) == os.getpid() or _pid_alive(int(pid_text))):
                continue  # a collection still running (pids recorded since this rule; older names are stale)
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def check_target(target: Path, force: bool) -> None:
    """Refuse early, before any AWS call, when the run could not be committed."""
    if not target.exists():
        return
    if not target.is_dir():
        raise SnapshotRefused(f"{target} exists and is not a directory")
    if not any(target.iterdir()):
        return
    if not force:
        raise SnapshotRefused(f"{target} already holds a snapshot or other files; pass --force to replace it")
    if not _is_snapshot(target):
        # --force replaces the directory wholesale; never do that to something we did not write.
        raise SnapshotRefused(
            f"{target} is not a trustgraph snapshot (no {MANIFEST_NAME}); "
            "refusing to replace it even with --force"
        )


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False when the OS cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False  # old kernel or a filesystem without exchange support
    raise OSError(code, os.strerror(code), str(second))


class SnapshotWriter:
    """Thread-safe writer for one collection run. Use `commit()` or `abort()` exactly once."""

    def __init__(self, target: Path, force: bool) -> None:
        self.target = Path(os.path.abspath(target))
        self.force = force
        check_target(self.target, force)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._umask = _current_umask()
        self.removed_stale = remove_stale_staging(self.target)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{self.target.name}{STAGING}{os.getpid()}-",
                                             dir=self.target.parent))
        # mkdtemp makes 0700; the snapshot should look like any other output the user writes.
        os.chmod(self.staging, 0o777 & ~self._umask)
        self._lock = threading.Lock()
        self._closed = False

    def _folder(self, name: str) -> Path:
        """The directory `name` goes into inside the staging directory, made if needed; ValueError for a name
        that would leave it."""
        if self._closed:
            raise RuntimeError("the snapshot was already committed or aborted")
        parts = Path(name).parts
        if not parts or Path(name).is_absolute() or any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"not a file name inside the snapshot: {name!r}")
        folder = (self.staging / name).parent
        with self._lock:
            for depth in reversed(Path(name).parents[:-1]):  # e.g. cloudtrail/, then cloudtrail/<account>/
                made = self.staging / depth
                if not made.is_dir():
                    made.mkdir(exist_ok=True)
                    os.chmod(made, 0o777 & ~self._umask)
        return folder

    @contextlib.contextmanager
    def stream(self, name: str) -> Iterator[IO[bytes]]:
        """A binary file written as it goes (events too many to hold), moved into place as `name` when the block
        ends without an error; removed otherwise."""
        folder = self._folder(name)
        fd, temp_name = tempfile.mkstemp(prefix=f".{Path(name).name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_name, 0o666 & ~self._umask)
            with self._lock:
                if self._closed:
                    raise RuntimeError("the snapshot was already committed or aborted")
                os.replace(temp_name, self.staging / name)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise

    def write_json(self, name: str, data: Any) -> None:
        """Write `name` inside the staging directory: temp file, fsync, os.replace (as `stream`)."""
        if self._closed:
            raise RuntimeError("the snapshot was already committed or aborted")
        text = to_json_text(data)  # before any file or folder exists: a value that cannot be written leaves none
        with self.stream(name) as handle:
            handle.write(text.encode("utf-8"))

    def _close(self) -> bool:
        with self._lock:
            was_open = not self._closed
            self._closed = True
            return was_open

    def commit(self) -> None:
        if not self._close():
            raise RuntimeError("the snapshot was already committed or aborted")
        try:
            self._swap_in()
        except BaseException:
            shutil.rmtree(self.staging, ignore_errors=True)
            raise

    def _swap_in(self) -> None:
        if not self.target.exists():
            os.rename(self.staging, self.target)
            return
        # Another run may have written the directory while we collected: check again.
        check_target(self.target, self.force)
        if _exchange(self.staging, self.target):
            shutil.rmtree(self.staging, ignore_errors=True)  # now holds the previous snapshot
            return
        previous = Path(tempfile.mkdtemp(prefix=f".{self.target.name}{PREVIOUS}{os.getpid()}-",
                                         dir=self.target.parent))
        os.rmdir(previous)
        os.rename(self.target, previous)
        try:
            os.rename(self.staging, self.target)
        except BaseException:
            os.rename(previous, self.target)
            raise
        shutil.rmtree(previous, ignore_errors=True)

    def abort(self) -> None:
        if self._close():
            shutil.rmtree(self.staging, ignore_errors=True)
