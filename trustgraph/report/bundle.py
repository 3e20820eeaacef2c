"""Write the architecture-review bundle: report.md, report.html, the pictures, findings.json/.sarif."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from trustgraph.analysis.findings import Finding, FindingContext, FindingOptions
from trustgraph.analysis.marks import NO_MARKS, findings_marks
from trustgraph.analysis.reachability import Reacher
from trustgraph.atomic import replacing_together
from trustgraph.model import Snapshot
from trustgraph.render.engine import picture_bytes
from trustgraph.render.overview import overview
from trustgraph.render.views import reach_paths_view
from trustgraph.report.findings_doc import findings_document
from trustgraph.report.review import Review, build_review
from trustgraph.report.review_html import render_html
from trustgraph.report.review_markdown import render_markdown, role_slug
from trustgraph.report.sarif import to_sarif
from trustgraph.version import SCHEMAS

MAP_FILE = "trust-map.svg"
PATHS_DIR = "paths"
PATHS_PER_DIAGRAM = 30  # a path diagram shows the shortest path of this many reachers besides those from outside


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
    writes (a `paths` link would carry the pictures out of DIR). With --force such links are replaced,
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
    for name in (PATHS_DIR, MAP_FILE, "report.md", "report.html", "findings.json", "findings.sarif"):
        if (out / name).is_symlink():
            raise BundleRefused(f"{out / name} is a symbolic link; pass --force to replace it")


def drawn_reachers(reachers: list[Reacher], outside: Callable[[str], bool]) -> list[Reacher]:
    """The reachers a path diagram draws: every one from outside (they are why the role is at risk), then the first
    others up to PATHS_PER_DIAGRAM in all."""
    first = [r for r in reachers if outside(r.principal)]
    rest = [r for r in reachers if not outside(r.principal)]
    return first + rest[:max(0, PATHS_PER_DIAGRAM - len(first))]


def _draw(dot, name: str, result: BundleResult) -> bytes | None:  # type: ignore[no-untyped-def]
    try:
        return picture_bytes(dot, "svg")
    except Exception as exc:  # noqa: BLE001 - a picture that cannot be drawn must not lose the report
        result.warnings.append(f"could not draw {Path(name).name}: {exc}")
        return None


def write_bundle(directory: str | Path, snapshot: Snapshot, graph: nx.DiGraph, findings: list[Finding],
                 options: FindingOptions | None = None, *, inputs: list[str] | None = None,
                 title: str | None = None, diagrams: bool = True, force: bool = False,
                 context: FindingContext | None = None, marks: bool = True) -> BundleResult:
    """Write the bundle into `directory`, whole or not at all: every file is made first, then staged beside its
    target, and all are renamed into place once the last one is written (`trustgraph.atomic`); on a write error
    (OutputError) the previous bundle is untouched. Files of the previous bundle this one does not have are removed
    after. A symbolic link where a file goes is replaced, not followed. `marks` False: the map marks nothing
    (`--no-marks`)."""
    out = Path(directory)
    check_output_dir(out, force)
    previous = _owned_files(out) or []
    context = context or FindingContext(snapshot, graph, options)
    review = build_review(snapshot, graph, findings, options, inputs, title, context)
    result = BundleResult(out, review=review)
    map_svg: bytes | None = None
    path_svgs: dict[str, bytes] = {}
    path_files: dict[str, str] = {}
    pictures: list[tuple[str, bytes]] = []
    if diagrams:
        # The picture `trustgraph map` draws (--view auto, with its marks): one implementation, one picture.
        # Its marks come from the findings of this report: the rules do not run again for the picture.
        drawn = findings_marks({arn: s.label for arn, s in context.sensitive.items()}, findings) if marks \
            else NO_MARKS
        result.view, picture = overview(graph, organization=snapshot.organization, marks=drawn)
        map_svg = _draw(picture, MAP_FILE, result)
        if map_svg:
            pictures.append((MAP_FILE, map_svg))
        for group in review.sensitive_groups:  # one diagram per group of roles with the same reachers
            s = group.first
            if not group.reachers:
                continue
            name = f"{PATHS_DIR}/{role_slug(s.role)}.svg"
            paths = [r.route or r.path for r in drawn_reachers(group.reachers, context.outside)]
            svg = _draw(reach_paths_view(graph, s.role, paths), name, result)
            if svg:
                path_svgs[s.role] = svg
                path_files[s.role] = name
                pictures.append((name, svg))
    md_text = render_markdown(review, map_image=MAP_FILE if map_svg else None, path_images=path_files,
                              map_view=result.view or "accounts")
    html_text = render_html(review, map_svg=map_svg, path_svgs=path_svgs, map_view=result.view or "accounts")
    reports = (("report.md", md_text), ("report.html", html_text),
               ("findings.json", json.dumps(findings_document(
                   findings, inputs=inputs or [], incomplete=snapshot.gaps,
                   data_time=graph.graph.get("data_time"), organization=snapshot.organization), indent=2)),
               ("findings.sarif", json.dumps(to_sarif(findings, incomplete=snapshot.gaps), indent=2)))
    if path_files and (out / PATHS_DIR).is_symlink():
        (out / PATHS_DIR).unlink()  # (with --force) a `paths` link would carry the pictures out of DIR
    with replacing_together() as staging:
        for name, data in pictures:
            staging.write_bytes(out / name, data, mode=0o644)
            result.files.append(out / name)
        for name, text in reports:
            staging.write_text(out / name, text + "\n")
            result.files.append(out / name)
        written = sorted(str(p.relative_to(out)) for p in result.files)
        staging.write_text(out / MARKER, json.dumps({"schema": MARKER_SCHEMA, "files": written}, indent=1) + "\n")
    for stale in sorted(set(previous) - set(written)):
        # A picture (or report) the previous run wrote that this run did not: it would show stale data.
        path = out / stale
        if ".." not in Path(stale).parts and not path.is_symlink() and path.is_file() \
                and path.resolve().is_relative_to(out.resolve()):
            path.unlink()
    return result
