"""Whole or untouched: how every output file and bundle is written.

Each file is written under a temporary name beside its target (same directory, so the rename stays within
one file system) and renamed into place with `os.replace` only once it is complete. A bundle of files (the
review directory, a Neo4j export) is staged the same way, every file first, and all are renamed into place
only once the last one is written: a full disk or any other write error leaves the previous output as it
was, removes the temporaries (and the directories the bundle created), and raises `OutputError`, one line
naming the path. Readers of the directory never see a half-written file; a crash between two of the final
renames (no write happens there) can mix files of two runs.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class OutputError(Exception):
    """An output could not be written; the previous output at `path`, if any, is untouched."""

    def __init__(self, path: str | Path, reason: BaseException | str) -> None:
        self.path = str(path)
        # `strerror`, as on OSError: callers that describe an OSError by it describe this the same way.
        self.strerror = reason if isinstance(reason, str) else (getattr(reason, "strerror", None) or str(reason))
        super().__init__(f"cannot write {self.path}: {self.strerror}")


# A write fails with OSError (ENOSPC, EDQUOT, EIO, EACCES), and SQLite reports the same as sqlite3.Error.
WRITE_ERRORS: tuple[type[BaseException], ...] = (OSError, sqlite3.Error)


def file_mode() -> int:
    """The mode a new file gets under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


class Staging:
    """Files staged beside their targets; `replacing_together` renames them all into place at the end."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path, str]] = []  # (temporary, target, target as given), in order
        self._created: list[Path] = []  # directories made for the targets, parents first

    def path(self, target: str | Path, *, suffix: str = ".tmp", mode: int | None = None) -> Path:
        """A new empty temporary file beside `target` (its directory made if missing), to write the content of
        `target` into. `mode`: the final file's permissions (default: as for any new file under the umask);
        `suffix` ends the temporary's name (some writers choose compression by the name's end)."""
        given, target = target, Path(target)
        try:
            self._make_parents(target.parent)
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
        except OSError as exc:
            raise OutputError(given, exc) from None
        os.close(fd)
        temporary = Path(name)
        self._staged.append((temporary, target, str(given)))
        try:
            os.chmod(temporary, file_mode() if mode is None else mode)  # mkstemp's 0600 is for the temporary
        except OSError as exc:
            raise OutputError(given, exc) from None
        return temporary

    def write_bytes(self, target: str | Path, data: bytes, *, mode: int | None = None) -> None:
        temporary = self.path(target, mode=mode)
        try:
            temporary.write_bytes(data)
        except OSError as exc:
            raise OutputError(target, exc) from None

    def write_text(self, target: str | Path, text: str, *, mode: int | None = None) -> None:
        self.write_bytes(target, text.encode("utf-8"), mode=mode)

    def _make_parents(self, directory: Path) -> None:
        missing = []
        while not directory.is_dir():
            missing.append(directory)
            if directory.parent == directory:
                break
            directory = directory.parent
        for made in reversed(missing):
            try:
                made.mkdir()
            except FileExistsError:  # made meanwhile by another process: not ours to remove
                continue
            self._created.append(made)

    def _commit(self) -> None:
        for temporary, target, given in self._staged:
            try:
                os.replace(temporary, target)
            except OSError as exc:
                raise OutputError(given, exc) from None
        self._staged.clear()
        self._created.clear()

    def _discard(self) -> None:
        for temporary, _, _ in self._staged:
            try:
                temporary.unlink(missing_ok=True)
            except OSError:
                pass
        for directory in reversed(self._created):
            try:
                directory.rmdir()  # only when still empty
            except OSError:
                pass
        self._staged.clear()
        self._created.clear()


@contextmanager
def replacing_together() -> Iterator[Staging]:
    """Stage several files (`staging.path(target)`, `staging.write_text(...)`) and rename them all into place
    when the block ends; on any error remove them all and leave the targets untouched. A write error in the
    block (OSError, sqlite3.Error) is raised as OutputError naming the file's target when the block wrote
    through a staged path, else the last one staged."""
    staging = Staging()
    try:
        yield staging
        staging._commit()
    except WRITE_ERRORS as exc:
        failed = _target_in(staging, exc)
        staging._discard()
        raise OutputError(failed, exc) from None
    except BaseException:
        staging._discard()
        raise


def _target_in(staging: Staging, exc: BaseException) -> str:
    """The target whose temporary the error names (OSError.filename), else the last one staged."""
    name = getattr(exc, "filename", None)
    for temporary, _, given in staging._staged:
        if name is not None and str(temporary) == str(name):
            return given
    return staging._staged[-1][2] if staging._staged else "the output"


@contextmanager
def replacing(target: str | Path, *, suffix: str = ".tmp", mode: int | None = None) -> Iterator[Path]:
    """A temporary path beside `target` to write the whole output into; renamed over `target` when the block
    ends, removed on error (a write error raised as OutputError naming `target`)."""
    with replacing_together() as staging:
        yield staging.path(target, suffix=suffix, mode=mode)


def write_bytes(target: str | Path, data: bytes, *, mode: int | None = None) -> None:
    """Write `data` to `target`, whole or not at all."""
    with replacing(target, mode=mode) as temporary:
        temporary.write_bytes(data)


def write_text(target: str | Path, text: str, *, mode: int | None = None) -> None:
    """Write `text` (UTF-8) to `target`, whole or not at all."""
    write_bytes(target, text.encode("utf-8"), mode=mode)
