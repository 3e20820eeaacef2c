"""The files a `--fail-on` gate reads: a baseline (a previous `findings --format json`) and suppressions."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from trustgraph.analysis.findings.catalogue import RULES
from trustgraph.analysis.findings.gate import Suppression
from trustgraph.analysis.findings.model import fingerprint
from trustgraph.sources.structured_file import read_json_or_yaml

SUPPRESSION_FIELDS = {"rule", "subject", "principal", "reason", "expires"}


class GateFileError(ValueError):
    pass


def load_baseline(path: str | Path) -> set[str]:
    """The fingerprints of a `trustgraph findings --format json` document (computed from rule, role and
    principal, so that documents written before fingerprints were recorded work too)."""
    path = Path(path)
    data = read_json_or_yaml(path, GateFileError, "baseline")
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise GateFileError(f"{path}: not a findings document (expected the output of "
                            "`trustgraph findings --format json`)")
    found: set[str] = set()
    for i, entry in enumerate(data["findings"]):
        if not (isinstance(entry, dict) and isinstance(entry.get("rule"), str) and isinstance(entry.get("role"), str)
                and isinstance(entry.get("principal"), (str, type(None)))):
            raise GateFileError(f"{path}: findings[{i}] lacks a rule, a role or a principal")
        found.add(fingerprint(entry["rule"], entry["role"], entry["principal"]))
    return found


def _expiry(value: Any, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise GateFileError(f"{where}: expires must be a date (YYYY-MM-DD), not {value!r}")


def load_suppressions(path: str | Path) -> list[Suppression]:
    """Suppressions from YAML or JSON: a list of entries (or `{"suppressions": [...]}`), each with `rule`
    (an id such as TG201, or *), `subject` (ARN glob on the role), `reason` (required), and optionally
    `principal` (ARN glob) and `expires` (YYYY-MM-DD)."""
    path = Path(path)
    data = read_json_or_yaml(path, GateFileError, "suppressions file")
    if isinstance(data, dict) and "suppressions" in data:
        data = data["suppressions"]
    if data is None:
        data = []
    if not isinstance(data, list):
        raise GateFileError(f"{path}: expected a list of suppressions ({{rule, subject, reason, expires}})")
    out = []
    for i, entry in enumerate(data, 1):
        where = f"{path} entry {i}"
        if not isinstance(entry, dict):
            raise GateFileError(f"{where}: expected a mapping with rule, subject and reason")
        unknown = sorted(str(k) for k in entry if k not in SUPPRESSION_FIELDS)
        if unknown:
            raise GateFileError(f"{where}: unknown field(s) {', '.join(unknown)}; "
                                f"allowed: {', '.join(sorted(SUPPRESSION_FIELDS))}")
        rule, subject, reason = entry.get("rule"), entry.get("subject"), entry.get("reason")
        if not isinstance(rule, str) or not (rule == "*" or rule.upper() in RULES):
            raise GateFileError(f"{where}: rule must be a rule id (such as TG201) or *, not {rule!r}")
        if not isinstance(subject, str) or not subject.strip():
            raise GateFileError(f"{where}: subject (an ARN glob on the role) is required")
        if not isinstance(reason, str) or not reason.strip():
            raise GateFileError(f"{where}: a reason is required (why this finding is accepted)")
        principal = entry.get("principal")
        if principal is not None and not isinstance(principal, str):
            raise GateFileError(f"{where}: principal must be an ARN glob")
        out.append(Suppression(rule.upper() if rule != "*" else "*", subject.strip(), reason.strip(),
                               _expiry(entry.get("expires"), where), principal, f"{path.name} entry {i}"))
    return out
