"""The files a gate reads: a baseline (a previous `findings --format json`), suppressions, and the rules of
`check --rules` (guardrails).

They decide what a gate lets through, so they are read strictly: a key given twice in one mapping (YAML and JSON
would keep the last, so `expires:` written twice silently extends a suppression) and a date no calendar has
(`2026-02-30`) are errors naming the file and the line."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from trustgraph.analysis.findings.catalogue import RULES
from trustgraph.analysis.findings.gate import Suppression
from trustgraph.analysis.findings.model import fingerprint
from trustgraph.analysis.guardrails import Guardrail
from trustgraph.sources.cloudformation_yaml import BoundedLoader
from trustgraph.sources.structured_file import read_json_or_yaml

SUPPRESSION_FIELDS = {"rule", "subject", "principal", "reason", "expires"}


class GateFileError(ValueError):
    pass


class _StrictLoader(BoundedLoader):
    """Safe YAML, bounded like every YAML input, that refuses a key given twice in one mapping and a date that does
    not exist, at their line."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # an unhashable key: the constructor says so
                if duplicate:
                    raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r} (given twice in one "
                                                            "mapping)", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]

    def construct_yaml_timestamp(self, node: yaml.Node) -> date | datetime:
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[arg-type]
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(None, None, f"{node.value!r} is not a date ({exc})",
                                                    node.start_mark) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _json_line(text: str, key: str) -> str:
    """Where a duplicate JSON key is: the line of its second occurrence, when the text shows one."""
    needle = json.dumps(key) + ":"
    compact = [i for i, line in enumerate(text.splitlines(), 1) if needle in line.replace('": ', '":')]
    return f" at line {compact[1]}" if len(compact) > 1 else ""


def read_gate_file(path: Path, what: str) -> Any:
    """The parsed content of a gate file: JSON (a .json name) or YAML, with keys unique per mapping and real dates;
    anything else is a GateFileError naming the file."""
    try:
        return read_json_or_yaml(path, GateFileError, what, pairs_hook=_unique_pairs, loader=_StrictLoader)
    except _DuplicateKey as exc:
        line = _json_line(path.read_text(encoding="utf-8"), exc.key)  # the file was just read: only the error path
        raise GateFileError(f"{path}: not a valid {what}: duplicate key {exc.key!r}{line} "
                            "(given twice in one object)") from None
    except RecursionError:
        raise GateFileError(f"{path}: the {what} is nested too deeply to read") from None


def load_baseline(path: str | Path) -> set[str]:
    """The fingerprints of a `trustgraph findings --format json` document (computed from rule, role and
    principal, so that documents written before fingerprints were recorded work too)."""
    path = Path(path)
    data = read_gate_file(path, "baseline")
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
        except ValueError as exc:
            if len(value.strip()) == 10 and "-" in value:  # the shape of a date, but not one (2026-02-30)
                raise GateFileError(f"{where}: expires {value!r} is not a date ({exc})") from None
    raise GateFileError(f"{where}: expires must be a date (YYYY-MM-DD), not {value!r}")


def load_suppressions(path: str | Path) -> list[Suppression]:
    """Suppressions from YAML or JSON: a list of entries (or `{"suppressions": [...]}`), each with `rule`
    (an id such as TG201, or *), `subject` (ARN glob on the role), `reason` (required), and optionally
    `principal` (ARN glob) and `expires` (YYYY-MM-DD)."""
    path = Path(path)
    data = read_gate_file(path, "suppressions file")
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


def _lines_of(text: str) -> dict[tuple[str | int, ...], int]:
    """Where each key and list item of a rules file is: path → 1-based line. JSON is read as the YAML it also is;
    a text YAML cannot compose (rare JSON) gives no lines, and the messages say the path alone."""
    try:
        root = yaml.compose(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError:
        return {}
    lines: dict[tuple[str | int, ...], int] = {}
    stack: list[tuple[tuple[str | int, ...], yaml.Node | None, int]] = [((), root, 0)]
    while stack:
        path, node, depth = stack.pop()
        if node is None or depth > 8:  # a rules file is shallow: deeper nodes (or aliases) need no line
            continue
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    lines.setdefault((*path, key.value), key.start_mark.line + 1)
                    stack.append(((*path, key.value), value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines.setdefault((*path, i), item.start_mark.line + 1)
                stack.append(((*path, i), item, depth + 1))
    return lines


def _line(lines: dict[tuple[str | int, ...], int], path: tuple[str | int, ...]) -> int | None:
    """The line of a path, or of the nearest enclosing part the file has (a missing key: its mapping's line)."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def _dotted(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))


def load_guardrails(path: str | Path) -> list[Guardrail]:
    """The rules of a guardrails file (docs/guardrails.md), read as strictly as the other gate files; every mistake
    is one line `FILE:LINE: rules[0].from.ou: what is wrong`, all of them in one GateFileError."""
    from trustgraph.analysis.guardrails import parse_rules

    path = Path(path)
    value = read_gate_file(path, "rules file")
    lines = _lines_of(path.read_text(encoding="utf-8"))

    def where(at: tuple[str | int, ...]) -> str:
        line = _line(lines, at)
        return f"{path}:{line}" if line else str(path)

    rules, problems = parse_rules(value, where)
    if problems:
        problems.sort(key=lambda p: _line(lines, p.path) or 0)  # in the order of the file
        raise GateFileError("\n".join(f"{where(p.path)}: {_dotted(p.path) or '(the file)'}: {p.message}"
                                      for p in problems))
    return rules
