"""Reading the small YAML or JSON files users hand to trustgraph (known accounts, account names, baselines,
suppressions): every way such a file can be unreadable is one line naming the file, raised as the caller's error.

Every file trustgraph reads is first checked to be a regular file of bounded size (`file_problem`): a named pipe
or a device would block the run, or never end, and a file far beyond any real input would only exhaust memory.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

# An input file (an export, a template, a plan, a saved graph): an organization of 1,000 accounts is about
# 170 MB of JSON and its saved graph a few hundred MB.
INPUT_FILE_CAP = 2 << 30
# A file given to an option (known accounts, account names, baseline, suppressions): a baseline of every finding
# of a large organization is a few MB.
OPTION_FILE_CAP = 64 << 20


def size_text(size: int) -> str:
    return f"{size >> 30} GiB" if size >= 1 << 30 and size % (1 << 30) == 0 else f"{size >> 20} MiB"


def kind_problem(mode: int) -> str | None:
    """Why a file of this mode is not read (None for a regular file or a directory)."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a file: not read"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file: not read"
    return "a device, not a file: not read"


def size_problem(st: os.stat_result, cap: int) -> str | None:
    if stat.S_ISREG(st.st_mode) and st.st_size > cap:
        return f"larger than {size_text(cap)} (the limit for this file): not read"
    return None


def file_problem(path: str | Path, cap: int) -> str | None:
    """Why `path` is not read as a file: not a regular file, or larger than `cap` bytes. None when it can be
    opened (or when it does not exist or cannot be looked at: opening it says why)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(st.st_mode):
        return "a directory, not a file: not read"
    return kind_problem(st.st_mode) or size_problem(st, cap)


def check_option_file(path: Path, error: type[ValueError], what: str) -> None:
    """Raise `error` (one line) when the file given for an option is not a regular file of bounded size."""
    problem = file_problem(path, OPTION_FILE_CAP)
    if problem is not None:
        raise error(f"{path}: the {what} is {problem}")


def read_json_or_yaml(path: Path, error: type[ValueError], what: str, *,
                      pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
                      loader: type[Any] | None = None) -> Any:
    """The parsed content of `path`: JSON when it ends in .json, YAML otherwise. `what` names the file in errors.
    `pairs_hook` (JSON) and `loader` (YAML, a BoundedLoader subclass) let a stricter reader refuse more."""
    import yaml  # only when such a file is read: the CLI starts without it

    from trustgraph.sources.cloudformation_yaml import BoundedLoader

    check_option_file(path, error, what)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read the {what}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: the {what} is not UTF-8 text") from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text, object_pairs_hook=pairs_hook)
        return yaml.load(text, Loader=loader or BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except json.JSONDecodeError as exc:
        raise error(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise error(f"{path}: not valid YAML: {getattr(exc, 'problem', None) or exc}{where}") from None
