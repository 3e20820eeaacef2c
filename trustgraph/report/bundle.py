"""Write the architecture-review bundle: the main page (report.md, report.html), the pages it links to, the pictures,
findings.json/.sarif. What goes where: review_layout.py and docs/review.md."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from trustgraph.analysis.findings import Finding, FindingContext, FindingOptions
from trustgraph.analysis.guardrails import RuleResult
from trustgraph.analysis.marks import NO_MARKS, findings_marks
from trustgraph.atomic import replacing_together
from trustgraph.model import Snapshot
from trustgraph.render.engine import picture_bytes
from trustgraph.render.overview import account_matrix_pages, overview
from trustgraph.render.views import reachers_view
from trustgraph.report import review_layout as layout
from trustgraph.report import review_pages as pages
from trustgraph.report.findings_doc import findings_document
from trustgraph.report.guardrails import check_document
from trustgraph.report.review import Review, build_review
from trustgraph.report.review_html import render_html
from trustgraph.report.review_markdown import render_markdown, rule_groups
from trustgraph.report.review_matrix import matrix_table
from trustgraph.report.sarif import guardrails_sarif, to_sarif
from trustgraph.version import SCHEMAS

MAP_FILE = layout.MAP_FILE
PATHS_DIR = layout.PATHS_DIR


@dataclass(slots=True)
class BundleResult:
    directory: Path
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    review: Review | None = None
    view: str = ""  # the view of the trust map: principals, accounts, ous or matrix (see render.overview)


MARKER = ".trustgraph-review"  # what this command wrote in DIR: it may replace and remove those files
MARKER_SCHEMA = SCHEMAS["review-files"]


class BundleRefused(Exception):
    """The output directory cannot be written without --force."""


def _owned_files(out: Path) -> list[str] | None:
    """The files a previous `trustgraph review` wrote in `out` (relative paths), or None if it did not."""
    try:
        marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("schema") != MARKER_SCHEMA or not isinstance(
            marker.get("files"), list):
        return None
    return [f for f in marker["files"] if isinstance(f, str)]


def check_output_dir(out: Path, force: bool) -> None:
    """The overwrite policy of every command that writes a directory: without --force, refuse the current
    directory, a non-empty directory that trustgraph did not write, and symbolic links where the bundle
    writes (a `paths` or `roles` link would carry the bundle's files out of DIR). With --force such links are replaced,
    never followed."""
    if out.exists() and not out.is_dir():
        raise BundleRefused(f"{out} exists and is not a directory")
    if force:
        return
    if out.exists() and out.resolve() == Path.cwd().resolve():
        raise BundleRefused(f"refusing to write the review into the current directory ({out}); name a "
                            "directory of its own, or pass --force")
    if out.is_symlink():
        raise BundleRefused(f"{out} is a symbolic link; pass --force to write through it")
    if not out.exists() or not any(out.iterdir()):
        return
    if _owned_files(out) is None:
        raise BundleRefused(f"{out} is not empty and was not written by `trustgraph review`; pass --force to "
                            "write into it anyway")
    for name in (*layout.DIRECTORIES, *layout.TOP_FILES):
        if (out / name).is_symlink():
            raise BundleRefused(f"{out / name} is a symbolic link; pass --force to replace it")


def _draw(dot, name: str, result: BundleResult) -> bytes | None:  # type: ignore[no-untyped-def]
    try:
        return picture_bytes(dot, "svg")
    except Exception as exc:  # noqa: BLE001 - a picture that cannot be drawn must not lose the report
        result.warnings.append(f"could not draw {Path(name).name}: {exc}")
        return None


def write_bundle(directory: str | Path, snapshot: Snapshot, graph: nx.DiGraph, findings: list[Finding],
                 options: FindingOptions | None = None, *, inputs: list[str] | None = None,
                 title: str | None = None, diagrams: bool = True, force: bool = False,
                 context: FindingContext | None = None,
                 guardrails: list[RuleResult] | None = None, marks: bool = True,
                 unread: Iterable[str] = ()) -> BundleResult:
    """Write the bundle into `directory`, whole or not at all: every file is made first, then staged beside its
    target, and all are renamed into place once the last one is written (`trustgraph.atomic`); on a write error
    (OutputError) the previous bundle is untouched. Files of the previous bundle this one does not have are removed
    after. A symbolic link where a file goes is replaced, not followed. `marks` False: the pictures (the map, the
    path pictures) and the cells of the main page's matrix mark nothing (`--no-marks`).
    `unread`: why the run could not read all it was given (`Incomplete.partial`): with it, or with gaps in the
    snapshot, the SARIF files say the run was not `executionSuccessful`, as `findings` and `check` do."""
    unread = list(unread)
    out = Path(directory)
    check_output_dir(out, force)
    previous = _owned_files(out) or []
    context = context or FindingContext(snapshot, graph, options)
    review = build_review(snapshot, graph, findings, options, inputs, title, context)
    review.guardrails = guardrails
    result = BundleResult(out, review=review)
    map_svg: bytes | None = None
    path_files: dict[str, str] = {}
    pictures: list[tuple[str, bytes]] = []
    # The marks of `trustgraph map` and `who-can-reach -o` (sensitive roles and roles with findings), from the
    # findings of this report: the rules do not run again for the pictures.
    found = findings_marks({arn: s.label for arn, s in context.sensitive.items()}, findings)
    drawn = found if marks else NO_MARKS
    if diagrams:
        # The picture `trustgraph map` draws (--view auto, with its marks): one implementation, one picture.
        result.view, picture = overview(graph, organization=snapshot.organization, marks=drawn)
        map_svg = _draw(picture, MAP_FILE, result)
        if map_svg:
            pictures.append((MAP_FILE, map_svg))
        for group in review.sensitive_groups:  # one picture per group of roles with the same reachers
            s = group.first
            if not group.reachers:
                continue
            name = layout.path_picture(s.role)
            # The picture `who-can-reach -o` draws of these reachers (every one from outside, the first
            # ReacherSummary.KEPT others: those the role's page lists), alike principals folded when many.
            # With CloudTrail events each edge is drawn by its use, as `who-can-reach -o --usage` draws it.
            svg = _draw(reachers_view(graph, s.role, group.reachers, drawn, usage=review.usage_window is not None),
                        name, result)
            if svg:
                path_files[s.role] = name
                pictures.append((name, svg))
    matrix = matrix_table(graph, snapshot.organization, drawn)  # --no-marks: no ⚠ in its cells either
    if diagrams and matrix is not None:
        # A large organization's account matrix, split one page per OU (`map --view matrix -o FILE` draws the same).
        split = account_matrix_pages(graph, organization=snapshot.organization, marks=drawn,
                                     index_file=layout.MATRIX_FILE)
        if split is not None:
            pictures.append((layout.MATRIX_FILE, split.index.draw("svg")))
            pictures += [(f"{layout.MATRIX_DIR}/{page.name}.svg", page.scene.draw("svg")) for page in split.pages]
            matrix = dataclasses.replace(matrix, pages=layout.MATRIX_FILE, page_count=len(split.pages))
    map_view = result.view or "accounts"
    md_text = render_markdown(review, map_image=MAP_FILE if map_svg else None, map_view=map_view, matrix=matrix)
    html_text = render_html(review, map_svg=map_svg, path_files=path_files, map_view=map_view, matrix=matrix)
    reports: list[tuple[str, str]] = [
        (layout.MAIN_MD, md_text), (layout.MAIN_HTML, html_text),
        (layout.ACCOUNTS_FILE, pages.accounts_page(review)), (layout.OUTSIDE_FILE, pages.outside_page(review)),
        (layout.SENSITIVE_FILE, pages.sensitive_page(review))]
    reports += [(layout.role_page(g.first.role, g.first.account),
                 pages.role_page(review, g, path_files.get(g.first.role))) for g in review.sensitive_groups]
    reports += [(layout.rule_page(rule), pages.rule_page(review, rule, groups))
                for rule, groups in rule_groups(review).items()]
    reports += [(layout.FINDINGS_JSON, json.dumps(findings_document(
                    findings, inputs=inputs or [], incomplete=snapshot.gaps,
                    data_time=graph.graph.get("data_time"), organization=snapshot.organization), indent=2)),
                (layout.FINDINGS_SARIF, json.dumps(to_sarif(findings, incomplete=snapshot.gaps, unread=unread,
                                                            origins=snapshot.iac_origins), indent=2))]
    if guardrails is not None:  # `review --rules`: the violations as `check` writes them
        sources = {arn: role.source for arn, role in snapshot.roles.items() if role.source}
        reports += [(layout.GUARDRAILS_JSON, json.dumps(check_document(guardrails, incomplete=snapshot.gaps,
                                                                        inputs=inputs or []), indent=2)),
                    (layout.GUARDRAILS_SARIF, json.dumps(guardrails_sarif(guardrails, sources=sources,
                                                                          incomplete=snapshot.gaps, unread=unread,
                                                                          origins=snapshot.iac_origins),
                                                         indent=2))]
    for directory in layout.DIRECTORIES:
        if (out / directory).is_symlink():
            (out / directory).unlink()  # (with --force) a link would carry the bundle's files out of DIR
    with replacing_together() as staging:
        for name, data in pictures:
            staging.write_bytes(out / name, data, mode=0o644)
            result.files.append(out / name)
        for name, text in reports:
            staging.write_text(out / name, text + "\n")
            result.files.append(out / name)
        written = sorted(str(p.relative_to(out)) for p in result.files)
        staging.write_text(out / MARKER, json.dumps(
            {"schema": MARKER_SCHEMA, "files": written, "main": [layout.MAIN_MD, layout.MAIN_HTML],
             "pages": layout.PAGES}, indent=1) + "\n")
    emptied: set[Path] = set()
    for stale in sorted(set(previous) - set(written)):
        # A picture (or page) the previous run wrote that this run did not: it would show stale data.
        path = out / stale
        if ".." not in Path(stale).parts and not path.is_symlink() and path.is_file() \
                and path.resolve().is_relative_to(out.resolve()):
            path.unlink()
            emptied.update(p for p in path.parents if p != out and p.is_relative_to(out))
    for directory in sorted(emptied, key=lambda p: -len(p.parts)):  # deepest first: roles/<account>, then roles
        if directory.is_dir() and not directory.is_symlink() and not any(directory.iterdir()):
            directory.rmdir()
    return result
