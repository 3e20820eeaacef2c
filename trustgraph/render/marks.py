"""What a reviewer looks for first on any picture: sensitive (admin-equivalent) roles and roles with findings.

The render layer is pure: the CLI computes the marks (from the snapshot with `sensitive_roles` and `find`,
the definitions `findings` uses, or from what a saved graph holds) and passes them to every view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from trustgraph.analysis.exposure import Exposure
from trustgraph.render.style import FINDING_GLYPH, MARK_COLOR, SENSITIVE_GLYPH, html_text


@dataclass(frozen=True)
class Marks:
    sensitive: Mapping[str, str] = field(default_factory=dict)  # role ARN → why, short ("admin-equivalent")
    findings: Mapping[str, tuple[int, str]] = field(default_factory=dict)  # role ARN → (count, worst severity)
    findings_floor: str = "medium"  # the least severity counted in `findings`
    # role ARN → its findings (severity, rule, message, statement), for the HTML explorer's side panel
    details: Mapping[str, tuple[Mapping[str, str], ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.sensitive or self.findings)

    def role_lines(self, role: str) -> list[str]:
        """Badge lines for one role: "⚠ admin-equivalent", "⚑ 2 findings (high)"."""
        lines = []
        if role in self.sensitive:
            lines.append(f"{SENSITIVE_GLYPH} {self.sensitive[role] or 'sensitive'}")
        if role in self.findings:
            count, worst = self.findings[role]
            lines.append(f"{FINDING_GLYPH} {count} finding{'s' if count != 1 else ''} ({worst})")
        return lines

    def count(self, roles: Iterable[str]) -> tuple[int, int]:
        """(sensitive, with findings) among `roles`."""
        sensitive = flagged = 0
        for role in roles:
            sensitive += role in self.sensitive
            flagged += role in self.findings
        return sensitive, flagged


def holding_text(sensitive: int, flagged: int, exposure: Exposure | None = None) -> str:
    """"⚠ 3/12 sensitive roles reachable from outside · ⚑ 2 roles with findings" for an account or an OU ("" when
    neither); without `exposure` (what reaches them unknown) "⚠ 12 sensitive roles"."""
    parts = []
    if exposure is not None and exposure.sensitive:
        parts.append(f"{SENSITIVE_GLYPH} {exposure.text()}")
    elif sensitive:
        parts.append(f"{SENSITIVE_GLYPH} {sensitive} sensitive role{'s' if sensitive != 1 else ''}")
    if flagged:
        parts.append(f"{FINDING_GLYPH} {flagged} role{'s' if flagged != 1 else ''} with findings")
    return " · ".join(parts)


NO_MARKS = Marks()


def legend_rows(marks: Marks, sensitive: bool, flagged: bool, holders: str = "") -> list[str]:
    """Legend rows (`<TR>`) for the marks a picture shows. holders: "accounts" or "OUs" when those are
    marked as holding sensitive roles."""
    rows = []
    if sensitive:
        where = (f"; {holders}: how many of theirs a principal outside it reaches (double red border "
                 "when one does, other than the management account alone)") if holders else ""
        rows.append(f'<TR><TD BORDER="1" COLOR="{MARK_COLOR}" SIDES="LTRB"><FONT COLOR="{MARK_COLOR}">'
                    f'{html_text(SENSITIVE_GLYPH)}</FONT></TD><TD ALIGN="LEFT">'
                    + html_text(f"sensitive role (admin-equivalent, tagged or --sensitive){where}") + "</TD></TR>")
    if flagged:
        rows.append(f'<TR><TD><FONT COLOR="{MARK_COLOR}">{html_text(FINDING_GLYPH)}</FONT></TD><TD ALIGN="LEFT">'
                    + html_text(f"role with findings ({marks.findings_floor} or worse; see `trustgraph findings`)")
                    + "</TD></TR>")
    return rows
