"""One escaping rule per medium, for every output (issue 28): SARIF text shows bidi overrides and zero-width
characters escaped, `@` is inert in Markdown free text, XML and SVG never carry noncharacters or lone surrogates,
CSV cells never start a spreadsheet formula, a relative SARIF URI never reads as a scheme, and an account id
from AWS names no file unless it is twelve digits. The inputs are written by each test (IAM names may hold `@`,
`=`, `+`, `-`; a JSON string may hold any code point, a lone surrogate too); the last test shows that the
sample organization holds nothing these rules change, so its outputs stay as they were."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
import xml.dom.minidom
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.export.neo4j import csv_text
from trustgraph.report.markdown import INERT_AT, code, fenced, md
from trustgraph.report.sarif import _relative_uri
from trustgraph.text import visible

ROOT = Path(__file__).resolve().parents[2]
ACME = str(ROOT / "samples" / "acme")
ACCOUNT = "111122223333"
OUTSIDE = "arn:aws:iam::999988887777:root"
# What SARIF must never carry raw: bidi embeddings/overrides and isolates, zero-width characters, the BOM.
BIDI_AND_ZERO_WIDTH = re.compile("[\u202a-\u202e\u2066-\u2069\u200b-\u200d\ufeff]")
NOT_XML = re.compile("[\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\U0001fffe\U0010ffff]")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def role(name: str, path: str = "/", principal: str = OUTSIDE, condition: dict[str, Any] | None = None,
         admin: bool = True) -> dict[str, Any]:
    """A role trusting `principal`; admin-equivalent (so that findings name it) unless `admin` is false."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return {
        "RoleName": name, "Path": path, "Arn": f"arn:aws:iam::{ACCOUNT}:role{path}{name}",
        "RoleId": "AROA" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:17].upper(),
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "RolePolicyList": [{"PolicyName": "admin", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"}]}}] if admin else [],
        "AttachedManagedPolicies": [],
    }


def inputs(directory: Path, *roles: dict[str, Any], account_name: str = "Prod", name: str = "iam.json") -> list[str]:
    """`-i` options for an account export holding `roles` and an organization naming the account."""
    directory.mkdir(parents=True, exist_ok=True)
    export = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": list(roles), "Policies": []}
    organization = {
        "schema": "trustgraph/organization/v1",
        "organization": {"id": "o-abc12345", "management_account_id": ACCOUNT},
        "roots": [{"id": "r-ab12", "name": "Root"}], "organizational_units": [],
        "accounts": [{"id": ACCOUNT, "name": account_name, "status": "ACTIVE", "parent_id": "r-ab12"}],
    }
    # ensure_ascii: the files hold `\ud800` and `\uffff` as JSON escapes, as AWS or a tool might send them.
    (directory / name).write_text(json.dumps(export, indent=1))
    (directory / "organization.json").write_text(json.dumps(organization, indent=1))
    return ["-i", str(directory / name), "-i", str(directory / "organization.json")]


def side(option: str, args: list[str]) -> list[str]:
    """`-i` options as the inputs of one side of `diff`."""
    return [option if a == "-i" else a for a in args]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


# --- 1. SARIF text: the terminal-safe rule ---------------------------------------------------------------------


def test_sarif_text_shows_bidi_overrides_and_zero_width_characters_escaped(tmp_path: Path) -> None:
    args = inputs(tmp_path / "in", role("Ops\u202eAdmin\u200bX\u2066"), account_name="Prod\u202d\ufeff")
    suppressions = tmp_path / "suppressions.json"
    suppressions.write_text(json.dumps([{"rule": "TG302", "subject": "*", "reason": "vendor\u202e\u200c ok"}]))
    out = tmp_path / "findings.sarif"
    code_, _, err = run("findings", "-q", *args, "--suppressions", str(suppressions), "--format", "sarif",
                        "-o", str(out))
    assert code_ == 0, err
    sarif = json.loads(out.read_text(encoding="utf-8"))
    assert not [s for s in strings(sarif) if BIDI_AND_ZERO_WIDTH.search(s)]
    results = sarif["runs"][0]["results"]
    assert any("Ops\\u202eAdmin\\u200bX\\u2066" in r["message"]["text"] for r in results)
    assert any(r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].endswith("Ops\\u202eAdmin\\u200bX\\u2066")
               for r in results)
    [justification] = {s["justification"] for r in results for s in r.get("suppressions", [])}
    assert justification == "vendor\\u202e\\u200c ok"


# --- 2. Markdown: `@` inert in free text ----------------------------------------------------------------------

LIVE_AT = re.compile(r"(?<![A-Za-z0-9_])@(?!<!-- -->)")


def prose(markdown: str) -> str:
    """The text outside code blocks and spans (GitHub finds no mention inside them)."""
    markdown = re.sub(r"^(`{3,})[^\n]*\n.*?^\1$", "", markdown, flags=re.M | re.S)
    return re.sub(r"(`+)(?:(?!\1).)*?\1", "", markdown)


def test_markdown_at_is_inert_in_free_text() -> None:
    assert md("@octo-org/admins") == "@<!-- -->octo-org/admins"
    assert md("role/@team/x and @@y") == "role/@<!-- -->team/x and @<!-- -->@<!-- -->y"
    assert md("alice@example.com") == "alice@example.com"  # no mention after a letter: left readable
    assert code("@octo-org") == "`@octo-org`"
    assert fenced('{"Path": "/a```/@x"}', "json") == ["````json", '{"Path": "/a```/@x"}', "````"]
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").render(f"| a |\n|---|\n| {md('@octo-org/team')} |\n")
    assert "@<!-- -->octo-org/team" in html  # a comment: the text reads "@octo-org/team", split for GitHub


def test_markdown_outputs_mention_nobody(tmp_path: Path) -> None:
    # A tag key may hold `@`: the condition key shows in the diff's free text (before/after, conditions).
    mentioned = role("Deploy", "/@octo-org/team/", condition={"StringEquals": {"aws:PrincipalTag/@octo-org": "x"}})
    args = inputs(tmp_path / "new", mentioned, role("Other"), account_name="@octo-org/admins")
    old = inputs(tmp_path / "old", role("Other"), account_name="@octo-org/admins")
    documents: dict[str, str] = {}
    code_, documents["findings"], err = run("findings", "-q", *args, "--format", "markdown")
    assert code_ == 0, err
    code_, _, err = run("review", "-q", *args, "-o", str(tmp_path / "rev"))
    assert code_ == 0, err
    documents["report.md"] = (tmp_path / "rev" / "report.md").read_text(encoding="utf-8")
    code_, documents["diff"], err = run("diff", "-q", *side("--old", old), *side("--new", args), "--format", "markdown")
    assert code_ == 0, err
    for name, text in documents.items():
        assert "octo-org" in text, name
        assert INERT_AT in text, name
        assert not LIVE_AT.search(prose(text)), (name, LIVE_AT.search(prose(text)))


# --- 3. XML and SVG: no noncharacter, no lone surrogate -------------------------------------------------------

# Not admin-equivalent, so that no finding names them: a finding's fingerprint (a hash of the role ARN) cannot
# encode a lone surrogate, which is the reader's to settle, not the escaping's.
XML_HOSTILE = ("Non\ufffeChar\uffffX", "Lone\ud800Surrogate", "Plane\U0010ffffEnd\ufdd0")


@pytest.fixture(scope="module")
def xml_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], list[str]]:
    directory = tmp_path_factory.mktemp("xml")
    new = inputs(directory / "new", *(role(n, principal=f"arn:aws:iam::{ACCOUNT}:role/Ext", admin=False)
                                      for n in XML_HOSTILE),
                 role("Ext"), account_name="Prod\uffff\udc80")
    old = inputs(directory / "old", role("Ext"), account_name="Prod\uffff\udc80")
    return directory, old, new


def xml_files(kind: str, directory: Path, old: list[str], new: list[str]) -> list[Path]:
    out = directory / kind
    out.mkdir(exist_ok=True)
    if kind in ("graphml", "gexf"):
        args = ["export", *new, "--format", kind, "-o", str(out / f"g.{kind}")]
    elif kind in ("accounts", "principals", "matrix"):
        args = ["map", *new, "--view", kind, "-o", str(out / "map.svg")]
    elif kind == "review":
        args = ["review", *new, "-o", str(out / "rev")]
    else:
        args = ["diff", *side("--old", old), *side("--new", new), "-o", str(out / "diff.svg")]
    code_, _, err = run(args[0], "-q", *args[1:])
    assert code_ == 0, err
    return sorted(p for p in out.rglob("*") if p.suffix in (".graphml", ".gexf", ".svg"))


@pytest.mark.parametrize("kind", ["graphml", "gexf", "accounts", "principals", "matrix", "review", "diff"])
def test_xml_outputs_hold_no_noncharacter_or_lone_surrogate(
        kind: str, xml_inputs: tuple[Path, list[str], list[str]]) -> None:
    files = xml_files(kind, *xml_inputs)
    assert files
    for path in files:
        text = path.read_bytes().decode("utf-8")  # strict: a surrogate could not have been encoded
        assert not NOT_XML.search(text), path.name
        xml.dom.minidom.parseString(text.encode("utf-8"))
    if kind in ("graphml", "gexf", "principals", "diff"):  # the names are drawn, visibly escaped
        joined = "".join(p.read_text(encoding="utf-8") for p in files)
        # A lone surrogate never gets this far: the reader made it U+FFFD (tests/hostile/test_hostile_surrogates.py).
        assert "Non\\ufffeChar\\uffffX" in joined and "Lone\ufffdSurrogate" in joined


def test_xml_helpers_drop_what_xml_cannot_hold() -> None:
    from trustgraph.render.style import dot_text, html_text, tooltip_text, xml_text

    raw = "a\ufffe\uffff\ud800\U0010ffff\ufdd0\x00b"
    for helper in (dot_text, html_text, tooltip_text, visible):
        assert not NOT_XML.search(helper(raw)) and "\x00" not in helper(raw)
    assert xml_text(raw) == "a" + "\ufffd" * 6 + "b"
    assert visible("\U0010ffff") == "\\U0010ffff"


# --- 4. CSV: formula prefixes neutralised (OWASP) --------------------------------------------------------------


def test_csv_cells_starting_with_a_formula_character_get_a_quote(tmp_path: Path) -> None:
    assert [csv_text(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "'x", "\tx", "arn:aws:iam::1:role/r")] == [
        "'=1+1", "'+1", "'-2", "'@SUM(A1)", "''x", "\\x09x", "arn:aws:iam::1:role/r"]
    service = role("-2+3")
    service["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {"Service": "-cmd|' /C calc'!A0"}
    args = inputs(tmp_path / "in", role("=HYPERLINK(1)"), role("@SUM(1)", "/+x/"), service, account_name="=1+1")
    out = tmp_path / "neo4j"
    code_, _, err = run("export", "-q", *args, "--format", "neo4j", "-o", str(out))
    assert code_ == 0, err
    ids: set[str] = set()
    ends: set[str] = set()
    cells: list[str] = []
    for path in sorted(out.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            header, *rows = list(csv.reader(handle))
        for row in rows:
            for column, cell in zip(header, row, strict=True):
                if column.endswith(":string[]"):
                    cells += cell.split(";")
                elif ":" not in column or column in ("id:ID", ":START_ID", ":END_ID"):
                    cells.append(cell)
            if "id:ID" in header:
                ids.add(row[header.index("id:ID")])
            if ":START_ID" in header:
                ends |= {row[header.index(":START_ID")], row[header.index(":END_ID")]}
    assert not [c for c in cells if c.startswith(FORMULA)]
    assert {"'=HYPERLINK(1)", "'@SUM(1)", "'-2+3", "'=1+1"} <= set(cells)
    assert "'-cmd|' /C calc'!A0" in ids  # an id that starts with a formula character: quoted…
    assert ends <= ids  # …and every relationship still names its ends by the same text
    _load_into_ladybug(out, len(ids))


def _load_into_ladybug(directory: Path, nodes: int) -> None:
    """LadybugDB, like Neo4j's LOAD CSV, keys relationships on the id text: all of them load."""
    pytest.importorskip("real_ladybug")
    request = json.dumps({"load": True, "queries": [["MATCH (n:TrustGraph) RETURN count(n)", {}],
                                                    ["MATCH (n:TrustGraph) WHERE n.id = $id RETURN n.name",
                                                     {"id": "'-cmd|' /C calc'!A0"}]]})
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "ladybug_run.py"), str(directory)], input=request,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-500:]
    counted, named = json.loads(done.stdout)
    assert counted == [[nodes]] and len(named) == 1


# --- 5. SARIF: relative URIs never read as a scheme -----------------------------------------------------------


def test_sarif_relative_uri_whose_first_segment_holds_a_colon_gets_dot_slash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = inputs(tmp_path, role("Ops"), name="prod:iam.json")
    monkeypatch.chdir(tmp_path)
    code_, out, err = run("findings", "-q", *args, "--format", "sarif")
    assert code_ == 0, err
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(out)["runs"][0]["results"] for loc in r["locations"]}
    assert uris == {"./prod:iam.json"}
    assert urlsplit("./prod:iam.json").scheme == ""
    (tmp_path / "dir").mkdir()
    assert _relative_uri(str(tmp_path / "dir" / "a:b.json"), tmp_path) == "dir/a:b.json"  # not the first segment
    assert _relative_uri(str(tmp_path / "x\udcff:y.json"), tmp_path) == "./x%FF:y.json"  # a file name not UTF-8


# --- 6. Identifiers from AWS checked before they name files -------------------------------------------------

BAD_IDS = ("../x", "../../etc/passwd", "1234567890123", "12345678901", "123456789012\n",
           "\u0661" * 12, "12345678901a", "")


def test_account_ids_from_aws_are_checked_before_they_name_files(tmp_path: Path) -> None:
    from trustgraph.sources.aws.collector import CollectOptions, plan_jobs
    from trustgraph.sources.aws.inventory_export import inventory_file_name
    from trustgraph.sources.aws.organization_export import OrgAccount, OrganizationStructure
    from trustgraph.sources.aws.snapshot_writer import NotAnAccountId, SnapshotWriter, account_file_name

    for bad in BAD_IDS:
        for name in (account_file_name, inventory_file_name):
            with pytest.raises(NotAnAccountId):
                name(bad)
    assert account_file_name("111122223333") == "111122223333.json"
    structure = OrganizationStructure(
        id="o-x", arn="", management_account_id="111111111111", roots=[], organizational_units=[],
        accounts=[OrgAccount(id=i, name=f"n{n}", email="", status="ACTIVE", parent_id=None, ou_path=None)
                  for n, i in enumerate(("111111111111", *BAD_IDS))])
    jobs, records = plan_jobs(CollectOptions(output_dir=tmp_path / "snap", org=True), "111111111111", structure)
    assert [j.account_id for j in jobs] == ["111111111111"]
    assert sorted(r.account_id for r in records) == sorted(BAD_IDS)
    assert {(r.status, r.reason_code) for r in records} == {("failed", "invalid-account-id")}

    writer = SnapshotWriter(tmp_path / "snap", force=False)
    try:
        for name in ("../x.json", "/tmp/x.json", "inventory/../../x.json", "", "."):
            with pytest.raises(ValueError):
                writer.write_json(name, {})
    finally:
        writer.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_caller_account_id_that_is_not_12_digits_ends_the_collection(tmp_path: Path) -> None:
    from trustgraph.sources.aws.collector import CollectError, CollectOptions, Collector
    from trustgraph.sources.aws.session import CallerIdentity

    class Sessions:
        def caller_identity(self) -> CallerIdentity:
            return CallerIdentity("../x", "arn:aws:sts::111111111111:assumed-role/r/s")

    collector = Collector(Sessions(), CollectOptions(output_dir=tmp_path / "snap"))  # type: ignore[arg-type]
    with pytest.raises(CollectError, match="not an AWS account id"):
        collector.run()
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    from aws_fakes import mocked_organization

    yield from mocked_organization(monkeypatch, tmp_path)


def test_an_organizations_account_id_like_a_path_names_no_file(
        org: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_fakes import NO_INVENTORY, collect_with_hook

    def add_account(parsed: dict[str, Any], **_: Any) -> None:
        if "Accounts" in parsed:
            parsed["Accounts"].append({"Id": "../../escaped", "Arn": "arn:aws:organizations::x", "Email": "e",
                                       "Name": "evil", "Status": "ACTIVE"})

    def parent_of_it(params: dict[str, Any], **_: Any) -> Any:
        if b"escaped" in (params.get("body") or b""):  # the walk did not meet it: ListParents answers for it
            from botocore.awsrequest import AWSResponse

            parsed = {"Parents": [{"Id": org.root_id, "Type": "ROOT"}], "ResponseMetadata": {"HTTPStatusCode": 200}}
            return AWSResponse("https://organizations.invalid/", 200, {}, None), parsed
        return None

    def hook(client: Any, _account: str | None) -> None:
        if client.meta.service_model.service_name == "organizations":
            client.meta.events.register("after-call.organizations.ListAccounts", add_account)
            client.meta.events.register("before-call.organizations.ListParents", parent_of_it)

    out = tmp_path / "deep" / "snap"
    result = collect_with_hook(monkeypatch, hook, *NO_INVENTORY, "--org", "-o", str(out))
    assert result.exit_code == 3, result.output  # partial: one account could not be read
    assert not list(tmp_path.rglob("escaped*"))
    manifest = json.loads((out / "manifest.json").read_text())
    [record] = [a for a in manifest["accounts"] if a["account_id"] == "../../escaped"]
    assert (record["status"], record["reason_code"]) == ("failed", "invalid-account-id")
    assert "file" not in record


# --- The sample organization: none of these rules changes its outputs -----------------------------------------


def test_acme_holds_nothing_these_rules_change(tmp_path: Path) -> None:
    """Each rule above only acts on a character or prefix that acme's data never holds, so its outputs are
    byte-identical to what they were before the rules."""
    from trustgraph.graph.build import build_graph
    from trustgraph.sources.files import load_inputs

    snapshot, _ = load_inputs([ACME])
    graph = build_graph(snapshot)
    texts = [str(n) for n in graph] + [s for _, d in graph.nodes(data=True) for s in strings(d)]
    texts += [s for _, _, d in graph.edges(data=True) for s in strings(d)]
    assert texts and all(visible(t) == t for t in texts)  # terminal, SARIF, DOT, GraphML: nothing to escape

    code_, findings_md, err = run("findings", "-q", "-i", ACME, "--format", "markdown")
    assert code_ == 0, err
    code_, _, err = run("review", "-q", "-i", ACME, "-o", str(tmp_path / "rev"))
    assert code_ == 0, err
    code_, diff_md, err = run("diff", "-q", "--plan", str(ROOT / "samples" / "terraform" / "acme-staging-plan.json"),
                              ACME, "--account-id", "555555555555", "--format", "markdown")
    assert code_ == 0, err
    for text in (findings_md, diff_md, (tmp_path / "rev" / "report.md").read_text(encoding="utf-8")):
        assert INERT_AT not in text

    code_, sarif, err = run("findings", "-q", "-i", ACME, "--format", "sarif")
    assert code_ == 0, err
    results = json.loads(sarif)["runs"][0]["results"]
    assert results and not [r for r in results
                            if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("./")]

    code_, _, err = run("export", "-q", "-i", ACME, "--format", "neo4j", "-o", str(tmp_path / "neo4j"))
    assert code_ == 0, err
    for path in (tmp_path / "neo4j").glob("*.csv"):
        with open(path, newline="", encoding="utf-8") as handle:
            assert not [c for row in csv.reader(handle) for c in row if c.startswith("'")], path.name
