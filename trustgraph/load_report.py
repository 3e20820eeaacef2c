"""What loading saw: problems with their file and JSON location, and what was skipped."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Diagnostic:
    level: str  # "error" (something was skipped) | "warning" (read, but incomplete or suspicious)
    source: str  # file path or account
    location: str  # JSON location, e.g. $.RoleDetailList[3].AssumeRolePolicyDocument.Statement[0]
    message: str

    def __str__(self) -> str:
        where = f"{self.source}" + (f" at {self.location}" if self.location else "")
        return f"{self.level}: {where}: {self.message}"


@dataclass(slots=True)
class LoadReport:
    files_read: list[str] = field(default_factory=list)
    files_rejected: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # what kind of item → how many

    def error(self, source: str, location: str, message: str, skipped: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("error", source, location, message))
        if skipped:
            self.skipped[skipped] += 1

    def warning(self, source: str, location: str, message: str) -> None:
        self.diagnostics.append(Diagnostic("warning", source, location, message))

    @property
    def usable(self) -> bool:
        return bool(self.files_read)

    def summary_lines(self) -> list[str]:
        lines = [f"read {len(self.files_read)} file(s)"]
        if self.files_rejected:
            lines.append(f"rejected {len(self.files_rejected)} file(s)")
        for what, count in sorted(self.skipped.items()):
            lines.append(f"skipped {count} {what}")
        warnings = sum(1 for d in self.diagnostics if d.level == "warning")
        if warnings:
            lines.append(f"{warnings} warning(s)")
        return lines
