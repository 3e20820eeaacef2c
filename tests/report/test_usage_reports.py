"""Observed use in the review and in the change reports (docs/usage.md): each reacher's path says whether it was
used, and `diff` lists the trust that became used or unused, grouped with counts. samples/acme with
samples/acme-cloudtrail."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from click.testing import CliRunner

from trustgraph.analysis.diff import NOW_UNUSED, NOW_USED, Side, UsageChange, diff_sides, side_from_snapshot
from trustgraph.analysis.usage import chain_text, paths_used_text
from trustgraph.cli.app import main
from trustgraph.report.diff_markdown import diff_markdown, summary_line
from trustgraph.sources.files import load_inputs

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
ACME, TRAIL = str(SAMPLES / "acme"), str(SAMPLES / "acme-cloudtrail")
READER = "arn:aws:iam::222222222222:role/security/OrgWideAuditReader"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "-q"])
    return result.exit_code, result.stdout, result.stderr


def test_review_reacher_row_says_whether_its_path_was_used() -> None:
    used = [{"usage": "used", "last_used": "2025-06-30T08:00:00Z", "use_count": 3},
            {"usage": "used", "last_used": "2025-06-29T08:00:00Z", "use_count": 2}]
    assert chain_text(used) == "used 2025-06-29 (2×)"  # the stalest link's date and calls
    assert chain_text([*used, {"usage": "unused", "last_used": None, "use_count": 0}]) == "not used in window"
    assert chain_text([*used, {"usage": "unknown", "last_used": None, "use_count": None}]) == "unknown"
    assert chain_text([]) == "unknown"
    assert paths_used_text([used, used, [{"usage": "unused"}], [{"usage": "unknown"}]]) == \
        "2 used · 1 not used · 1 unknown"


def _review(tmp_path: Path, *inputs: str) -> Path:
    out = tmp_path / "review"
    code, _, err = run("review", "-i", ACME, *(x for i in inputs for x in ("-i", i)), "-o", str(out), "--force")
    assert code == 0, err
    return out


def test_review_sensitive_role_sections_carry_a_used_column_with_usage_data_only(tmp_path: Path) -> None:
    out = _review(tmp_path / "with", TRAIL)
    page = next(out.glob("roles/444444444444/*ProdAdmin*.md")).read_text()
    assert "| Reacher | Kind | Hops | Path | Conditions | Used |" in page
    rows = {line.split(" | ")[0]: line for line in page.splitlines() if line.startswith("| `")}
    assert rows["| `444444444444:role/deploy/ProdDeployer`"].endswith("| used 2025-06-30 (3×) |")
    assert rows["| `codebuild.amazonaws.com`"].endswith("| not used in window |")
    assert "CloudTrail events from 2025-06-28 to 2025-06-30" in page
    main_md = (out / "report.md").read_text()
    assert "Paths used (listed reachers)" in main_md and "4 used · 1 not used" in main_md
    html = (out / "report.html").read_text()
    assert "<th>Paths used (listed reachers)</th>" in html and "4 used · 1 not used" in html
    # the role's picture is drawn by use too
    picture = next(out.glob("paths/*ProdAdmin*.svg")).read_text()
    assert "not used in a window the events cover" in picture
    # negative control: without events there is no such column, text or style
    plain = _review(tmp_path / "without")
    page = next(plain.glob("roles/444444444444/*ProdAdmin*.md")).read_text()
    assert "| Reacher | Kind | Hops | Path | Conditions |\n" in page
    assert "| Used |" not in page and "not used in window" not in page
    assert "Paths used" not in (plain / "report.md").read_text() + (plain / "report.html").read_text()
    assert "events cover" not in next(plain.glob("paths/*ProdAdmin*.svg")).read_text()


@functools.cache
def _side(name: str) -> Side:
    """acme with the sample's events ("used"), or with quiet events covering the same accounts ("quiet")."""
    if name == "used":
        return side_from_snapshot(load_inputs([ACME, TRAIL])[0])
    return side_from_snapshot(load_inputs([ACME, str(_quiet_dir())])[0])


@functools.cache
def _quiet_dir() -> Path:
    import tempfile

    quiet = Path(tempfile.mkdtemp(prefix="tg-quiet-"))
    (quiet / "quiet.jsonl").write_text("".join(json.dumps(
        {"eventVersion": "1.08", "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
         "eventTime": "2025-06-30T10:00:00Z", "recipientAccountId": a}) + "\n"
        for a in ("222222222222", "333333333333", "444444444444")))
    return quiet


def test_diff_markdown_lists_trust_that_became_used_and_unused_grouped_with_counts() -> None:
    gained = diff_sides(_side("quiet"), _side("used"))
    text = diff_markdown(gained)
    count = len(gained.usage)
    assert count and all(u.change == NOW_USED for u in gained.usage)
    assert f"**Trust that became used** ({count})" in text and "became unused" not in text
    assert "| `222222222222:role/security/OrgWideAuditReader` | `222222222222:user/alice` | 2025-06-28 | " \
           "2025-06-30 | 3 |" in text
    assert f"Observed use: {count} trust became used." in summary_line(gained)
    lost = diff_markdown(diff_sides(_side("used"), _side("quiet")))
    assert f"**Trust that became unused** ({count})" in lost and "became used**" not in lost
    # both groups in one comment, used first, each counted
    mixed = diff_sides(_side("quiet"), _side("used"))
    mixed.usage.append(UsageChange(READER, "arn:aws:iam::222222222222:user/bob", NOW_UNUSED, "2025-06-01T00:00:00Z",
                                   "2025-06-02T00:00:00Z", 7))
    both = diff_markdown(mixed)
    assert both.index("became used** (") < both.index("became unused** (1)")
    assert f"{count} trust became used, 1 became unused" in summary_line(mixed)
    # negative control: the same events on both sides change no use, and the comment says nothing of it
    same = diff_sides(_side("used"), _side("used"))
    assert "Trust that became" not in diff_markdown(same) and "Observed use" not in summary_line(same)


def test_diff_text_lists_trust_that_became_used(tmp_path: Path) -> None:
    code, out, err = run("diff", ACME, ACME, "--old", str(_quiet_dir()), "--new", TRAIL, "--no-cache")
    assert code == 0, err
    assert "Trust that became used (" in out and "OrgWideAuditReader" in out and "Observed use:" in out
    assert "user/alice" in out
    code, out, err = run("diff", ACME, ACME, "--old", TRAIL, "--new", TRAIL, "--no-cache")
    assert code == 0, err
    assert "Trust that became" not in out and "Observed use" not in out
