"""What pictures mark: sensitive (admin-equivalent, tagged, --sensitive) roles and roles with findings.

Marks are an analysis product of one build: the findings rules run once (`compute_marks`) when the graph is built
for a command that draws, and the marks are kept with the saved graph and the build cache entry (as the JSON of
`Marks.to_json`), so that every later picture of the same build reads them instead of running the rules again
(docs/pictures.md). They depend on the graph as built, its snapshot and the `--sensitive` patterns (`patterns`):
marks made for other patterns, or before account files reclassified the graph, are made again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trustgraph.analysis.sensitive_roles import sensitive_in_graph
from trustgraph.graph.schema import TrustGraph
from trustgraph.model import ProgressCallback, Snapshot

if TYPE_CHECKING:
    from trustgraph.analysis.findings import Finding

# Roles with findings of this severity or worse are marked (low and info findings are hygiene).
MARKED_SEVERITY = "medium"
# The version of `Marks.to_json`'s shape: stored marks of another version are made again.
MARKS_FORMAT = 1


class MarksFormatError(ValueError):
    """Stored marks that are not of the shape `Marks.to_json` writes."""


@dataclass(frozen=True)
class Marks:
    sensitive: Mapping[str, str] = field(default_factory=dict)  # role ARN → why, short ("admin-equivalent")
    findings: Mapping[str, tuple[int, str]] = field(default_factory=dict)  # role ARN → (count, worst severity)
    findings_floor: str = MARKED_SEVERITY  # the least severity counted in `findings`
    # role ARN → its findings (severity, rule, message, statement), for the HTML explorer's side panel
    details: Mapping[str, tuple[Mapping[str, str], ...]] = field(default_factory=dict)
    patterns: tuple[str, ...] = ()  # the --sensitive patterns the marks were made with
    # False: made from a graph without its policies (tags and patterns only; no admin-equivalence, no findings)
    complete: bool = True

    def __bool__(self) -> bool:
        return bool(self.sensitive or self.findings)

    def count(self, roles: Iterable[str]) -> tuple[int, int]:
        """(sensitive, with findings) among `roles`."""
        sensitive = flagged = 0
        for role in roles:
            sensitive += role in self.sensitive
            flagged += role in self.findings
        return sensitive, flagged

    def to_json(self) -> dict[str, Any]:
        return {"format": MARKS_FORMAT, "patterns": list(self.patterns), "complete": self.complete,
                "findings_floor": self.findings_floor, "sensitive": dict(self.sensitive),
                "findings": {role: list(counted) for role, counted in self.findings.items()},
                "details": {role: [dict(entry) for entry in found] for role, found in self.details.items()}}

    @classmethod
    def from_json(cls, value: Any) -> Marks:
        """Marks as `to_json` wrote them; MarksFormatError for anything else (another version, a damaged part)."""
        if not isinstance(value, dict) or value.get("format") != MARKS_FORMAT:
            raise MarksFormatError("marks of another format")
        try:
            sensitive, findings, details = value["sensitive"], value["findings"], value["details"]
            patterns, floor, complete = value["patterns"], value["findings_floor"], value["complete"]
            if not (isinstance(sensitive, dict) and isinstance(findings, dict) and isinstance(details, dict)
                    and isinstance(patterns, list) and isinstance(floor, str) and isinstance(complete, bool)):
                raise TypeError("a part of the wrong type")
            marks = cls(sensitive={str(k): str(v) for k, v in sensitive.items()},
                        findings={str(k): (int(c), str(w)) for k, (c, w) in findings.items()},
                        findings_floor=floor,
                        details={str(k): tuple({str(a): str(b) for a, b in e.items()} for e in v)
                                 for k, v in details.items()},
                        patterns=tuple(str(p) for p in patterns), complete=complete)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MarksFormatError(f"damaged marks ({exc})") from None
        return marks


NO_MARKS = Marks()


def findings_marks(sensitive: Mapping[str, str], findings: Iterable[Finding], floor: str = MARKED_SEVERITY,
                   patterns: tuple[str, ...] = ()) -> Marks:
    """Marks from the sensitive roles (ARN → why) and the findings of severity `floor` or worse."""
    from trustgraph.analysis.findings import Severity  # the rules load only when marks are made (queries skip them)
    least = Severity(floor)
    flagged: dict[str, tuple[int, str]] = {}
    details: dict[str, list[dict[str, str]]] = {}
    worst: dict[str, Severity] = {}
    for f in findings:
        if not f.severity.at_least(least):
            continue
        count, _ = flagged.get(f.role, (0, ""))
        if f.role not in worst or f.severity.rank > worst[f.role].rank:
            worst[f.role] = f.severity
        flagged[f.role] = (count + 1, worst[f.role].value)
        entry = {"severity": f.severity.value, "rule": f.rule, "message": f.message}
        if f.statement:
            entry["statement"] = f.statement
        details.setdefault(f.role, []).append(entry)
    return Marks(sensitive=dict(sorted(sensitive.items())), findings=dict(sorted(flagged.items())),
                 findings_floor=floor, details={role: tuple(found) for role, found in sorted(details.items())},
                 patterns=patterns)


def compute_marks(graph: TrustGraph, snapshot: Snapshot | None, patterns: Iterable[str] = (),
                  progress: ProgressCallback | None = None) -> Marks:
    """Run the findings rules once (the definitions `trustgraph findings` uses) and keep what pictures mark:
    sensitive roles and roles with findings of MARKED_SEVERITY or worse. Without a snapshot (a saved graph that
    keeps no policies) only what the graph holds: the trustgraph:sensitive tag and the patterns."""
    chosen = tuple(patterns)
    if snapshot is None:
        return Marks(sensitive=sensitive_in_graph(graph, chosen), patterns=chosen, complete=False)
    from trustgraph.analysis.findings import FindingContext, FindingOptions, find
    options = FindingOptions(sensitive_patterns=chosen)
    context = FindingContext(snapshot, graph, options)
    sensitive = {arn: s.label for arn, s in context.sensitive.items()}
    findings = find(snapshot, graph, options, progress=progress, context=context)
    return findings_marks(sensitive, findings, MARKED_SEVERITY, chosen)
