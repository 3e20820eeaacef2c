"""Reading the small YAML or JSON files users hand to trustgraph (known accounts, account names, baselines,
suppressions): every way such a file can be unreadable is one line naming the file, raised as the caller's error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


def read_json_or_yaml(path: Path, error: type[ValueError], what: str) -> Any:
    """The parsed content of `path`: JSON when it ends in .json, YAML otherwise. `what` names the file in errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read the {what}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: the {what} is not UTF-8 text") from None
    try:
        return json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise error(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise error(f"{path}: not valid YAML: {getattr(exc, 'problem', None) or exc}{where}") from None
