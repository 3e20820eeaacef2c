"""The review's layout (report/review_layout.py, docs/review.md): a main page that stays a few pages long whatever the
size of the organization, linked pages that exist, an HTML page within its size budget, per-role pictures folded as
`who-can-reach -o` folds them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from builders import A, Account, benchmark_generator, trust
from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.report.review_layout import path_picture, role_page

MAIN_LINES = 1_500  # the main page's budget, in lines of Markdown
HTML_BYTES = 2_000_000  # the HTML page's budget
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _review(data: Path, out: Path, *extra: str) -> Path:
    result = CliRunner().invoke(main, ["review", "-i", str(data), "-q", "-o", str(out), *extra],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def org8(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("org8")
    benchmark_generator().generate(base / "org", 8, 100, 20, 7)  # generate_org.py --accounts 8
    return _review(base / "org", base / "review")


def broken_links(bundle: Path, page: str) -> list[str]:
    """The relative links of a Markdown page of the bundle whose target is not a file of the bundle."""
    text = (bundle / page).read_text(encoding="utf-8")
    base = (bundle / page).parent
    broken = []
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address (rule sources) or an anchor
        resolved = (base / target).resolve()
        if not resolved.is_file() or not resolved.is_relative_to(bundle.resolve()):
            broken.append(target)
    return broken


def _main_lines(bundle: Path) -> int:
    return len((bundle / "report.md").read_text(encoding="utf-8").splitlines())


def _all_markdown_lines(bundle: Path) -> int:
    return sum(len(p.read_text(encoding="utf-8").splitlines()) for p in bundle.rglob("*.md"))


# -- the main page's line budget ----------------------------------------------------------------------------------


def test_review_main_page_line_budget_8_accounts(org8: Path) -> None:
    lines = _main_lines(org8)
    assert lines < MAIN_LINES
    md = (org8 / "report.md").read_text()
    for heading in ("## At a glance", "### Fix first", "## Accounts", "## OU trust matrix", "## Sensitive roles",
                    "### By OU", "## Findings"):
        assert heading in md, heading
    # Negative control: the bundle holds far more than the main page shows; it is on the linked pages.
    assert _all_markdown_lines(org8) > 3 * lines
    assert md.count("\n1. **") == 1 and len(re.findall(r"^\d+\. \*\*", md, flags=re.M)) <= 10


@pytest.mark.slow
def test_review_main_page_line_budget_100_accounts(tmp_path: Path) -> None:
    benchmark_generator().generate(tmp_path / "org", 100, 100, 20, 7)  # generate_org.py --accounts 100
    bundle = _review(tmp_path / "org", tmp_path / "review", "--no-diagrams")
    assert _main_lines(bundle) < MAIN_LINES
    assert (bundle / "report.html").stat().st_size < HTML_BYTES
    assert not broken_links(bundle, "report.md")
    # Negative control: everything written out in one page would be far over the budget.
    assert _all_markdown_lines(bundle) > 20 * MAIN_LINES


# -- links from the main page resolve to files of the bundle ------------------------------------------------------


def test_review_links_resolve_to_files_in_the_bundle(org8: Path) -> None:
    manifest = json.loads((org8 / ".trustgraph-review").read_text())
    files = set(manifest["files"])
    md = (org8 / "report.md").read_text()
    targets = {t for t in _LINK.findall(md) if not re.match(r"[a-z]+:", t)}
    assert {"accounts.md", "sensitive-roles.md"} <= targets or "sensitive-roles.md" in targets
    assert any(t.startswith("roles/") for t in targets) and any(t.startswith("findings/") for t in targets)
    assert targets <= files and not broken_links(org8, "report.md")
    # Every page of the bundle links only to files of the bundle (role pages to their picture and back).
    for page in sorted(p for p in files if p.endswith(".md")):
        assert not broken_links(org8, page), page
    assert all((org8 / f).is_file() for f in files)
    # The list of files keeps its fields and names the pages.
    assert manifest["schema"] == "trustgraph/review-files/v1" and manifest["main"] == ["report.md", "report.html"]
    assert manifest["pages"]["roles"] == "roles/<account>/<role>.md"
    # Negative control: a link to a file that is not there is caught.
    (org8 / "broken.md").write_text("[gone](roles/nowhere.md) [web](https://docs.aws.amazon.com/)")
    try:
        assert broken_links(org8, "broken.md") == ["roles/nowhere.md"]
    finally:
        (org8 / "broken.md").unlink()


def test_review_html_links_resolve_to_files_in_the_bundle(org8: Path) -> None:
    html = (org8 / "report.html").read_text()
    targets = {t for t in re.findall(r'href="([^"]+)"', html) if not re.match(r"[a-z]+:", t)}
    assert targets and all((org8 / t).is_file() for t in targets)
    assert any(t.startswith("findings/") for t in targets)


# -- the HTML page's size budget ----------------------------------------------------------------------------------


def test_review_html_size_budget(org8: Path) -> None:
    html = (org8 / "report.html").read_text()
    assert len(html.encode()) < HTML_BYTES
    # The rules' detail is folded: each rule has a <details> section, with at most its first patterns.
    assert html.count("<details>") >= 1 and html.count("<details>") == html.count("</details>")
    doc = json.loads((org8 / "findings.json").read_text())
    shown = set(re.findall(r"g-[0-9a-f]{12}", html))
    # Negative control: the findings have more patterns than the page shows; the rule pages show every one.
    assert len(doc["groups"]) > len(shown)
    pages = "".join(p.read_text() for p in (org8 / "findings").glob("*.md"))
    assert all(g["id"] in pages for g in doc["groups"] if g["count"] > 1)


# -- per-role pictures: folded as who-can-reach -o folds them ----------------------------------------------------


def _crown(tmp_path: Path, callers: int) -> tuple[Path, str]:
    """A sensitive role trusting `callers` users of its account (alike principals)."""
    a = Account(A)
    users = [a.user(f"u{i:03d}") for i in range(callers)]
    crown = a.role("Crown", trust({"AWS": users}), tags={"trustgraph:sensitive": "true"})
    data = tmp_path / "gaad.json"
    data.write_text(json.dumps(a.gaad()), encoding="utf-8")
    return data, crown


# 100 users and the role: more than FOLD_ABOVE nodes, and every reacher kept by the review (ReacherSummary.KEPT).
@pytest.mark.parametrize("callers, folded", [(100, True), (5, False)])
def test_review_per_role_pictures_folded(tmp_path: Path, callers: int, folded: bool) -> None:
    data, crown = _crown(tmp_path, callers)
    bundle = _review(data, tmp_path / "review")
    picture = (bundle / path_picture(crown)).read_text()
    assert ("alike principals folded into groups" in picture) is folded  # negative control: 5 callers stay apart
    # The same picture `who-can-reach -o` draws of the role.
    result = CliRunner().invoke(main, ["who-can-reach", crown, "-i", str(data), "-q", "-o",
                                       str(tmp_path / "wcr.svg")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "wcr.svg").read_text() == picture
    page = (bundle / role_page(crown, A)).read_text()
    assert f"(../../{path_picture(crown)})" in page
