"""`trustgraph review`: the bundle's files, its content on samples/acme, escaping, and no external assets."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from builders import benchmark_generator
from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.report.review_layout import role_page, role_slug

ACME = Path(__file__).resolve().parents[2] / "samples" / "acme"
KNOWN = "- name: 'Datadog'\n  source: ['https://docs.datadoghq.com/']\n  accounts: ['464622532012']\n"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("review")
    known = base / "known.yaml"
    known.write_text(KNOWN, encoding="utf-8")
    out = base / "bundle"
    result = CliRunner().invoke(main, ["review", "-i", str(ACME), "--known-accounts", str(known), "-q",
                                       "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_review_writes_every_file(bundle: Path):
    for name in ("report.md", "report.html", "trust-map.svg", "findings.json", "findings.sarif"):
        assert (bundle / name).stat().st_size > 0, name
    assert (bundle / "paths" / f"{role_slug('arn:aws:iam::444444444444:role/BreakGlass')}.svg").exists()
    assert json.loads((bundle / "findings.json").read_text())["findings"]


def test_review_markdown_sections_and_content(bundle: Path):
    md = (bundle / "report.md").read_text()
    for heading in ("## At a glance", "### Fix first", "## Accounts", "## Trust map",
                    "## Trust that crosses the organization boundary", "## Sensitive roles", "## Findings",
                    "## Appendix A: rules"):
        assert heading in md, heading
    assert "![Trust map](trust-map.svg)" in md
    assert "Datadog (464622532012)" in md and "unknown account 999988887777" in md
    assert "denied by RCP DenyExternalExceptVendors" in md
    # The role's detail is on its page, linked from the main page; the page shows the picture.
    page = role_page("arn:aws:iam::444444444444:role/BreakGlass", "444444444444")
    assert f"]({page})" in md and "**Reachable by:**" not in md
    assert f"](../../paths/{role_slug('arn:aws:iam::444444444444:role/BreakGlass')}.svg)" in (bundle / page).read_text()


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_review_html_is_self_contained(bundle: Path):
    html = (bundle / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    parser = _Tags()
    parser.feed(html)
    names = {t for t, _ in parser.tags}
    assert not names & {"script", "link", "iframe", "object", "embed"}
    sources = [a["src"] for _, a in parser.tags if "src" in a]
    assert len(sources) == 1 and all((s or "").startswith("data:image/svg+xml;base64,") for s in sources)
    # Hyperlinks (documentation references, the bundle's other pages and pictures) are allowed; nothing the page
    # needs is fetched.
    assert all(t == "a" for t, a in parser.tags if "href" in a)
    links = {a["href"] for t, a in parser.tags if t == "a"}
    assert f"paths/{role_slug('arn:aws:iam::444444444444:role/BreakGlass')}.svg" in links
    assert "Trust that crosses the organization boundary" in html and "BreakGlass" in html


def test_review_html_escapes_every_string_from_the_data(tmp_path: Path):
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "<b>x</b>", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}))
    evil = "arn:aws:iam::111122223333:role/<img src=x onerror=alert(1)>"
    out = tmp_path / "bundle"
    result = CliRunner().invoke(main, ["review", "-i", str(trust), "--role-arn", evil, "-q", "-o", str(out),
                                       "--title", "<script>alert('t')</script>"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    assert "<img src=x" not in html and "<script>alert" not in html and "<b>x</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;script&gt;" in html
    md = (out / "report.md").read_text()
    assert "<script>" not in md and "\\<script\\>" in md


def test_review_without_diagrams(tmp_path: Path):
    result = CliRunner().invoke(main, ["review", "-i", str(ACME), "-q", "-o", str(tmp_path / "b"),
                                       "--no-diagrams"], catch_exceptions=False)
    assert result.exit_code == 0
    assert not (tmp_path / "b" / "trust-map.svg").exists()
    assert "## Findings" in (tmp_path / "b" / "report.md").read_text()


# -- incompleteness is said everywhere (truncated exports, failed accounts, skipped statements) -----------------

ROLE = {"Path": "/", "RoleName": "Admin", "RoleId": "AROAEXAMPLEADMIN00001",
        "Arn": "arn:aws:iam::111122223333:role/Admin",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]},
        "RolePolicyList": [], "AttachedManagedPolicies": [], "Tags": []}


def _inputs(tmp_path: Path, *, truncated: bool, failed: bool) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    page = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [ROLE], "Policies": [],
            "IsTruncated": truncated, **({"Marker": "next"} if truncated else {})}
    (data / "111122223333.json").write_text(json.dumps(page), encoding="utf-8")
    accounts = [{"account_id": "111122223333", "status": "ok", "credentials": "caller"}]
    if failed:
        accounts.append({"account_id": "444455556666", "status": "failed", "credentials": "assumed-role",
                         "name": "payments", "stage": "sts:AssumeRole", "reason_code": "AccessDenied"})
    (data / "manifest.json").write_text(json.dumps({
        "schema": "trustgraph/manifest/v1", "started_at": "2025-06-01T10:00:00+00:00",
        "finished_at": "2025-06-01T10:05:00+00:00", "accounts": accounts}), encoding="utf-8")
    return data


def test_incomplete_data_said_in_report_findings_json_sarif_and_terminal(tmp_path: Path):
    data = _inputs(tmp_path, truncated=True, failed=True)
    out = tmp_path / "bundle"
    result = CliRunner().invoke(main, ["review", "-i", str(data), "-o", str(out), "--no-diagrams"],
                                catch_exceptions=False)
    assert result.exit_code == 0 and "the data is incomplete" in result.output
    md = (out / "report.md").read_text()
    glance = md.split("## At a glance", 1)[1].split("## Accounts", 1)[0]
    assert "| Data | INCOMPLETE, 2 gaps:" in glance and "truncated" in glance
    assert "account 444455556666 (payments) was failed by the collection: sts:AssumeRole; AccessDenied" in glance
    assert "### Incomplete data" in glance and "the data is incomplete (see Data)" in glance
    assert "| Data as of | 2025-06-01T10:05:00Z (collection manifest) |" in glance
    assert "Incomplete data" in (out / "report.html").read_text()
    document = json.loads((out / "findings.json").read_text())
    assert len(document["incomplete"]) == 2 and document["data_time"] == "2025-06-01T10:05:00Z"
    invocation = json.loads((out / "findings.sarif").read_text())["runs"][0]["invocations"][0]
    notes = invocation["toolExecutionNotifications"]
    # As `findings --format sarif`: what a collection calls partial is an error (not read), every gap a warning.
    assert [n["level"] for n in notes] == ["error", "error", "warning", "warning"], notes
    assert "truncated" in notes[2]["message"]["text"] and invocation["executionSuccessful"] is False
    table = CliRunner().invoke(main, ["findings", "-i", str(data), "-q"], catch_exceptions=False).output
    assert "Incomplete data (2)" in table and "was failed by the collection" in table


def test_complete_data_says_nothing_known_missing(tmp_path: Path):
    data = _inputs(tmp_path, truncated=False, failed=False)
    out = tmp_path / "bundle"
    CliRunner().invoke(main, ["review", "-i", str(data), "-q", "-o", str(out), "--no-diagrams"],
                       catch_exceptions=False)
    md = (out / "report.md").read_text()
    assert "| Data | nothing known missing from the inputs |" in md and "### Incomplete data" not in md
    assert json.loads((out / "findings.json").read_text())["incomplete"] == []
    sarif = json.loads((out / "findings.sarif").read_text())
    assert sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"] == []
    table = CliRunner().invoke(main, ["findings", "-i", str(data), "-q"], catch_exceptions=False).output
    assert "Incomplete data" not in table


def test_sensitive_roles_with_the_same_reachers_share_one_section(tmp_path: Path):
    admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    sso = "arn:aws:iam::111122223333:role/Operator"

    def role(name: str, trusted: str) -> dict:
        return {**ROLE, "RoleName": name, "RoleId": f"AROA{name.upper():0<17}"[:21],
                "Arn": f"arn:aws:iam::111122223333:role/{name}",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": "sts:AssumeRole"}]},
                "RolePolicyList": [{"PolicyName": "admin", "PolicyDocument": admin}]}

    roles = [role("Operator", "arn:aws:iam::111122223333:root"),
             *(role(f"Lab{i}", sso) for i in range(5)), role("Other", "arn:aws:iam::111122223333:root")]
    data = tmp_path / "gaad.json"
    data.write_text(json.dumps({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles,
                                "Policies": []}), encoding="utf-8")
    out = tmp_path / "bundle"
    CliRunner().invoke(main, ["review", "-i", str(data), "-q", "-o", str(out), "--no-diagrams"],
                       catch_exceptions=False)
    pages = sorted((out / "roles" / "111122223333").glob("*.md"))
    assert len(pages) == 3  # Lab0–Lab4 together; Operator and Other on their own
    group = [p.read_text() for p in pages if p.read_text().startswith("# 5 sensitive roles with the same reachers")]
    assert len(group) == 1 and all(f"role/Lab{i}`" in group[0] for i in range(5))
    # The index links every one of the seven roles to its group's page.
    index = (out / "sensitive-roles.md").read_text()
    assert all(f"role/Lab{i}]" in index for i in range(5)) and index.count("](roles/111122223333/") == 7


def test_review_lists_at_most_a_hundred_reachers_per_sensitive_role_and_counts_all(tmp_path: Path) -> None:
    from tests.builders import A, Account, load, trust
    from trustgraph.analysis.findings import FindingContext, find
    from trustgraph.graph.build import build_graph
    from trustgraph.report.bundle import write_bundle

    a = Account(A)
    users = [a.user(f"u{i:03d}") for i in range(130)]
    a.role("Crown", trust(users), tags={"trustgraph:sensitive": "true"})
    snapshot, _ = load(a)
    graph = build_graph(snapshot)
    context = FindingContext(snapshot, graph)
    findings = find(snapshot, graph, context=context)
    result = write_bundle(tmp_path / "r", snapshot, graph, findings, diagrams=False, context=context)
    report = (tmp_path / "r" / role_page(f"arn:aws:iam::{A}:role/Crown", A)).read_text()
    assert "**Reachable by:** 130 principals" in report
    assert "and 30 more" in report
    assert result.review is not None and len(result.review.sensitive[0].reachers) == 100


# -- the trust map: the view `trustgraph map --view auto` picks, with the marks ---------------------------------


def test_review_map_is_the_auto_view_with_the_marks(bundle: Path) -> None:
    """Acme (6 accounts) gets the principals view; BreakGlass is tagged sensitive: marked, legend row included."""
    svg = (bundle / "trust-map.svg").read_text()
    assert "sensitive role (admin&#45;equivalent, tagged or &#45;&#45;sensitive)" in svg
    assert "role with findings (medium or worse" in svg
    assert "BreakGlass" in svg and "⚠" in svg and "⚑" in svg
    md = (bundle / "report.md").read_text()
    assert "## Trust map" in md and "⚠ marks sensitive roles" in md
    html = (bundle / "report.html").read_text()
    assert "<h2>Trust map</h2>" in html


def test_review_of_a_large_organization_draws_the_ou_view(tmp_path: Path) -> None:
    """~40 accounts with OU data: the OU view, as `trustgraph map` draws it (the account view is for ≤ 30)."""

    generate = benchmark_generator().generate
    from trustgraph.analysis.findings import FindingContext, find
    from trustgraph.graph.build import build_graph
    from trustgraph.render.engine import render
    from trustgraph.render.overview import findings_marks, overview
    from trustgraph.report.bundle import write_bundle
    from trustgraph.sources.files import load_inputs

    data = tmp_path / "org"
    generate(data, 40, 8, 2, 7)
    snapshot, _ = load_inputs([str(data)])
    graph = build_graph(snapshot)
    context = FindingContext(snapshot, graph)
    findings = find(snapshot, graph, context=context)
    result = write_bundle(tmp_path / "r", snapshot, graph, findings, context=context)
    assert result.view == "ous"
    svg = (tmp_path / "r" / "trust-map.svg").read_text()
    assert "OU map: 6 OU nodes, 40 accounts" in svg and "Security" in svg and "NonProd" in svg
    assert "sensitive role" in svg  # the admin-equivalent roles are marked
    assert "## OU trust map" in (tmp_path / "r" / "report.md").read_text()
    # The same picture as `trustgraph map --view auto` (same view, same marks, same source).
    marks = findings_marks({arn: s.label for arn, s in context.sensitive.items()}, findings)
    view, picture = overview(graph, organization=snapshot.organization, marks=marks)
    assert view == "ous"
    render(picture, tmp_path / "same.svg")
    assert (tmp_path / "same.svg").read_text() == svg
