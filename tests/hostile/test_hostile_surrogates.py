"""Lone surrogates in JSON input (issue 28): a `"\\ud800"` escape in a role name or a policy string is replaced by
U+FFFD where the file is read, with one located warning naming the file, so that fingerprints, exports and pictures
never meet a string UTF-8 cannot encode; a file without one reads as it always did."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.sources.files import load_inputs
from trustgraph.sources.policy_parser import decode_document

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "samples" / "acme"
OUTSIDE = "999999999999"
# Written as text: the escapes must reach the reader as escapes (json.dumps would refuse nothing, but be explicit).
LONE = r"""{"RoleDetailList": [{"Path": "/", "RoleName": "Bad\ud800Role", "RoleId": "AROABADROLE",
 "Arn": "arn:aws:iam::999999999999:role/Bad\ud800Role",
 "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Sid": "x\udc00y", "Effect": "Allow",
   "Principal": {"AWS": "arn:aws:iam::666666666666:root"}, "Action": "sts:AssumeRole"}]},
 "RolePolicyList": [{"PolicyName": "admin\ud800", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
   {"Effect": "Allow", "Action": "*", "Resource": "*"}]}}],
 "AttachedManagedPolicies": [], "Tags": [{"Key": "trustgraph:sensitive", "Value": "true"}]}],
 "UserDetailList": [], "GroupDetailList": [], "Policies": []}"""
ROLE = f"arn:aws:iam::{OUTSIDE}:role/Bad\ufffdRole"


def run(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "acme"
    shutil.copytree(ACME, folder)
    (folder / f"{OUTSIDE}-lone.json").write_text(LONE, encoding="utf-8")
    return folder


def utf8(data: bytes) -> str:
    return data.decode("utf-8")  # strict: raises on anything that is not UTF-8


def test_lone_surrogate_replaced_at_the_reader_with_one_located_warning(data: Path) -> None:
    snapshot, report = load_inputs([data])
    assert ROLE in snapshot.roles
    texts = [d for d in report.diagnostics if "surrogate" in d.message]
    assert len(texts) == 1 and texts[0].level == "warning", texts
    assert texts[0].source.endswith(f"{OUTSIDE}-lone.json") and texts[0].location.startswith("$.RoleDetailList[0]")
    assert "and 3 more" in texts[0].message  # the name, the ARN, the Sid and the policy name: one line for all
    assert not report.files_rejected and not snapshot.gaps


def test_no_surrogate_no_warning(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    shutil.copytree(ACME, folder)
    # A surrogate pair (an emoji spelled as escapes) is one character: nothing to replace, nothing to say.
    (folder / f"{OUTSIDE}-pair.json").write_text(LONE.replace(r"\ud800", r"\ud83d\ude00")
                                                 .replace(r"\udc00", r"\ud83d\ude00"), encoding="utf-8")
    snapshot, report = load_inputs([folder])
    assert f"arn:aws:iam::{OUTSIDE}:role/Bad\U0001f600Role" in snapshot.roles
    assert not [d for d in report.diagnostics if "surrogate" in d.message]


def test_lone_surrogate_every_output_is_utf8(data: Path, tmp_path: Path) -> None:
    code, out, err = run("who-can-reach", ROLE, "-i", str(data), "--no-cache", "-q", "--json")
    assert code == 0, err
    assert json.loads(utf8(out))
    code, out, err = run("findings", "-i", str(data), "--no-cache", "-q", "--format", "sarif")
    assert code == 0, err
    assert ROLE in json.dumps(json.loads(utf8(out)), ensure_ascii=False)
    for fmt, name in (("opengraph", "g.json"), ("graphml", "g.graphml"), ("gexf", "g.gexf"), ("neo4j", "neo4j")):
        target = tmp_path / name
        code, _, err = run("export", "-i", str(data), "--no-cache", "-q", "--format", fmt, "-o", str(target))
        assert code == 0, (fmt, err)
        for path in [target] if target.is_file() else sorted(target.iterdir()):
            utf8(path.read_bytes())
    svg = tmp_path / "x.svg"
    code, _, err = run("map", "-i", str(data), "--no-cache", "-q", "-o", str(svg))
    assert code == 0, err
    assert utf8(svg.read_bytes()).lstrip().startswith("<")


def test_lone_surrogate_in_a_policy_document_given_as_text_is_replaced() -> None:
    # `aws iam get-role` gives the trust policy URL-encoded: its escapes reach the policy reader, not the file's.
    assert decode_document(quote(r'{"Statement": [{"Sid": "a\ud800"}]}')) == {"Statement": [{"Sid": "a\ufffd"}]}
    assert decode_document(r'{"Sid": "\ud83d\ude00"}') == {"Sid": "\U0001f600"}  # a pair is one character
