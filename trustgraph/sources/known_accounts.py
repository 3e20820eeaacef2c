"""Account names from files: the community list of known AWS accounts, and the user's own names file."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from trustgraph.arns import ACCOUNT_ID
from trustgraph.sources.structured_file import check_option_file, read_json_or_yaml


class AccountsFileError(ValueError):
    pass


def load_known_accounts(path: str | Path) -> dict[str, str]:
    """Account id → vendor name, from a YAML list of `{name, source, accounts, type}` entries.

    Entries typed `aws` name an AWS service account; they are kept with an "AWS " prefix so that the
    report tells them apart from vendors.
    """
    path = Path(path)
    data = read_json_or_yaml(path, AccountsFileError, "known accounts file")
    if not isinstance(data, list):
        raise AccountsFileError(f"{path}: expected a list of {{name, accounts}} entries")
    known: dict[str, str] = {}
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise AccountsFileError(f"{path}: entry {i} has no name")
        name = entry["name"] if entry.get("type") != "aws" else f"AWS {entry['name']}"
        for account in entry.get("accounts") or []:
            account = str(account)
            if ACCOUNT_ID.match(account):
                known.setdefault(account, name)
    return known


def load_account_names(path: str | Path) -> dict[str, str]:
    """The user's own accounts: id → name, from YAML/JSON (a mapping, or a list of {id, name}) or CSV."""
    path = Path(path)
    if path.suffix == ".csv":
        check_option_file(path, AccountsFileError, "accounts file")
        try:
            with path.open(newline="", encoding="utf-8") as fh:
                rows = [r for r in csv.reader(fh) if r and not r[0].startswith("#")]
        except OSError as exc:
            raise AccountsFileError(f"{path}: cannot read: {exc.strerror}") from None
        data: Any = {r[0].strip(): r[1].strip() for r in rows if len(r) >= 2 and ACCOUNT_ID.match(r[0].strip())}
    else:
        data = read_json_or_yaml(path, AccountsFileError, "accounts file")
    if isinstance(data, list):
        data = {str(e.get("id")): str(e.get("name", "")) for e in data if isinstance(e, dict)}
    if not isinstance(data, dict):
        raise AccountsFileError(f"{path}: expected a mapping of account id to name")
    names = {str(k).zfill(12) if str(k).isdigit() else str(k): str(v) for k, v in data.items()}
    bad = [k for k in names if not ACCOUNT_ID.match(k)]
    if bad:
        raise AccountsFileError(f"{path}: not 12-digit account ids: {', '.join(sorted(bad)[:5])}")
    return names
