"""Write the architecture-review bundle: report.md, report.html, the pictures, findings.json/.sarif."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from trustgraph.analysis.findings import Finding, FindingOptions
from trustgraph.model import Snapshot
from trustgraph.render.accounts import account_view
from trustgraph.render.engine import render
from trustgraph.render.views import reach_paths_view
from trustgraph.report.findings_doc import findings_document
from trustgraph.report.review import Review, build_review
from trustgraph.report.review_html import render_html
from trustgraph.report.review_markdown import render_markdown, role_slug
from trustgraph.report.sarif import to_sarif

MAP_FILE = "trust-map.svg"
PATHS_DIR = "paths"
PATHS_PER_DIAGRAM = 30  # a path diagram shows the shortest path of this many reachers at most


@dataclass(slots=True)
class BundleResult:
    directory: Path
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    review: Review | None = None


def _draw(dot, target: Path, result: BundleResult) -> bytes | None:  # type: ignore[no-untyped-def]
    try:
        render(dot, target, "svg")
    except Exception as exc:  # noqa: BLE001 - a picture that cannot be drawn must not lose the report
        result.warnings.append(f"could not draw {target.name}: {exc}")
        return None
    target.chmod(0o644)
    result.files.append(target)
    return target.read_bytes()


def write_bundle(directory: str | Path, snapshot: Snapshot, graph: nx.DiGraph, findings: list[Finding],
                 options: FindingOptions | None = None, *, inputs: list[str] | None = None,
                 title: str | None = None, diagrams: bool = True) -> BundleResult:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    review = build_review(snapshot, graph, findings, options, inputs, title)
    result = BundleResult(out, review=review)
    map_svg: bytes | None = None
    path_svgs: dict[str, bytes] = {}
    path_files: dict[str, str] = {}
    if diagrams:
        # The same account view `trustgraph map` draws: one implementation, one picture.
        map_svg = _draw(account_view(graph, organization=snapshot.organization), out / MAP_FILE, result)
        for group in review.sensitive_groups:  # one diagram per group of roles with the same reachers
            s = group.first
            if not group.reachers:
                continue
            name = f"{PATHS_DIR}/{role_slug(s.role)}.svg"
            (out / PATHS_DIR).mkdir(exist_ok=True)
            paths = [r.route or r.path for r in group.reachers[:PATHS_PER_DIAGRAM]]
            svg = _draw(reach_paths_view(graph, s.role, paths), out / name, result)
            if svg:
                path_svgs[s.role] = svg
                path_files[s.role] = name
    md_text = render_markdown(review, map_image=MAP_FILE if map_svg else None, path_images=path_files)
    html_text = render_html(review, map_svg=map_svg, path_svgs=path_svgs)
    for name, text in (("report.md", md_text), ("report.html", html_text),
                       ("findings.json", json.dumps(findings_document(
                           findings, inputs=inputs or [], incomplete=snapshot.gaps,
                           data_time=graph.graph.get("data_time")), indent=2)),
                       ("findings.sarif", json.dumps(to_sarif(findings, incomplete=snapshot.gaps), indent=2))):
        path = out / name
        path.write_text(text + "\n", encoding="utf-8")
        result.files.append(path)
    return result
