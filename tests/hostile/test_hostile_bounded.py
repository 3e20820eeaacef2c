"""Bounded work on every input: a pattern, a template, a listing or a file option from the data cannot make
one run take unbounded time or memory (issue 28, point 3)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_fakes import NO_INVENTORY, OrgFixture, collect_with_hook, mocked_organization, request_param
from botocore.awsrequest import AWSResponse
from botocore.exceptions import PaginationError
from botocore.stub import Stubber
from click.testing import CliRunner

from tests.builders import A, Account, build, callers, can_assume, trust
from trustgraph.cli import main
from trustgraph.cli.gate_files import GateFileError, load_baseline
from trustgraph.load_report import LoadReport
from trustgraph.model import Snapshot
from trustgraph.saved.serialize import GraphFileError, read_saved
from trustgraph.sources import files, structured_file
from trustgraph.sources.aws.iam_export import export_authorization_details
from trustgraph.sources.aws.pages import bounded_pages
from trustgraph.sources.files import load_inputs
from trustgraph.sources.iac import IacOptions
from trustgraph.sources.known_accounts import AccountsFileError, load_account_names, load_known_accounts

# `*a` repeated: a backtracking regex tries every way to place the stars (minutes with four of them).
STARRY = f"arn:aws:iam::{A}:role/" + "*a" * 8 + "*b"


def test_glob_bounded_arnlike_with_many_stars_against_a_long_path() -> None:
    a = Account(A)
    long_path = "/" + "/".join(["a" * 60] * 8) + "/"
    caller = a.role("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", path=long_path,
                    policies=[can_assume()])
    target = a.role("Target", trust(a.root, condition={"ArnLike": {"aws:PrincipalArn": STARRY}}))
    started = time.perf_counter()
    g = build(a)
    assert time.perf_counter() - started < 10
    assert caller not in callers(g, target)  # no `b` in its ARN


# -- CloudFormation YAML: aliases ----------------------------------------------------------------------------

ROLE_TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Env, prod]
{extra}Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: {name}
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{AWS: "arn:aws:iam::111122223333:root"}}
            Action: sts:AssumeRole
{statements}"""


def alias_bomb(levels: int = 9, width: int = 10) -> str:
    lines = ["Bomb:", '  l0: &l0 ["lol"]']
    for level in range(1, levels):
        lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def if_chain(levels: int) -> str:
    """`!If [IsProd, *prev, *prev]` over and over: 2**levels principals written out, `levels` + 1 nodes in the file."""
    lines = ["Chain:", '  c0: &c0 "arn:aws:iam::444455556666:root"']
    for level in range(1, levels + 1):
        lines.append(f"  c{level}: &c{level} !If [IsProd, *c{level - 1}, *c{level - 1}]")
    return "\n".join(lines) + "\n"


def chained_statement(levels: int) -> str:
    return (f"          - {{Effect: Allow, Principal: {{AWS: *c{levels}}}, Action: sts:AssumeRole}}\n")


def _load_two(tmp_path: Path, hostile: str) -> tuple[Path, Snapshot, LoadReport]:
    bad = tmp_path / "bad.yaml"
    bad.write_text(hostile)
    good = tmp_path / "good.yaml"
    good.write_text(ROLE_TEMPLATE.format(extra="", name="Good", statements=""))
    started = time.perf_counter()
    snapshot, report = load_inputs([bad, good], iac=IacOptions(account_id="111122223333"))
    assert time.perf_counter() - started < 20
    assert any(arn.endswith(":role/Good") for arn in snapshot.roles)
    return bad, snapshot, report


def test_yaml_budget_alias_bomb_is_one_located_error_and_the_rest_is_read(tmp_path: Path) -> None:
    bad, _, report = _load_two(tmp_path, ROLE_TEMPLATE.format(extra=alias_bomb(), name="Bad", statements=""))
    errors = [d for d in report.diagnostics if d.level == "error"]
    assert len(errors) == 1, errors
    assert errors[0].source == str(bad) and errors[0].location.startswith("line ")
    assert "aliases expand it to more than 1,000,000 nodes" in errors[0].message
    assert report.files_rejected == [str(bad)]


def test_yaml_budget_if_chain_over_aliases_is_one_located_error(tmp_path: Path) -> None:
    statements = chained_statement(40)
    bad, _, report = _load_two(tmp_path, ROLE_TEMPLATE.format(extra=if_chain(40), name="Bad", statements=statements))
    errors = [d for d in report.diagnostics if d.level == "error"]
    assert len(errors) == 1 and errors[0].source == str(bad) and errors[0].location.startswith("line ")
    assert report.files_rejected == [str(bad)]


def test_yaml_budget_alias_inside_its_own_anchor_is_refused(tmp_path: Path) -> None:
    bad, _, report = _load_two(tmp_path, ROLE_TEMPLATE.format(extra="Loop: &loop [*loop]\n", name="Bad",
                                                              statements=""))
    errors = [d for d in report.diagnostics if d.level == "error"]
    assert len(errors) == 1 and "refers to the node that holds it" in errors[0].message


def test_yaml_budget_if_chain_under_the_budget_is_resolved_as_a_dag(tmp_path: Path) -> None:
    # 2**14 statements written out (under the budget): each alias is resolved once, not once per place.
    statements = chained_statement(14)
    _, snapshot, report = _load_two(tmp_path, ROLE_TEMPLATE.format(extra=if_chain(14), name="Chained",
                                                                   statements=statements))
    # The file is read (no YAML budget error); its trust policy of 2**14 statements is far past AWS's quota, which
    # is one refusal naming the role (tests/hostile/test_hostile_policy_quotas.py).
    errors = [d for d in report.diagnostics if d.level == "error"]
    assert [("trust policy of role" in d.message and "largest AWS quota" in d.message) for d in errors] == [True]
    assert not report.files_rejected
    assert any(arn.endswith(":role/Chained") for arn in snapshot.roles)


# -- pagination ----------------------------------------------------------------------------------------------


def gaad_page(marker: str | None) -> dict[str, Any]:
    page: dict[str, Any] = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [],
                            "IsTruncated": marker is not None}
    if marker is not None:
        page["Marker"] = marker
    return page


@pytest.fixture
def iam(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return boto3.client("iam", region_name="us-east-1")


def test_pagination_bounded_a_token_that_comes_back_stops_the_listing(iam: Any) -> None:
    with Stubber(iam) as stub:
        for marker in ("A", "B", "A"):  # botocore itself only catches A, A
            stub.add_response("get_account_authorization_details", gaad_page(marker))
        with pytest.raises(PaginationError, match="already received"):
            export_authorization_details(iam)
        stub.assert_no_pending_responses()  # three pages asked for, not a fourth


def test_pagination_bounded_more_pages_than_the_cap_stop_the_listing(iam: Any) -> None:
    with Stubber(iam) as stub:
        for number in range(3):
            stub.add_response("get_account_authorization_details", gaad_page(f"token-{number}"))
        with pytest.raises(PaginationError, match="more than 3 pages"):
            list(bounded_pages(iam, "get_account_authorization_details", page_cap=3))


def test_pagination_bounded_a_listing_that_ends_is_read_whole(iam: Any) -> None:
    with Stubber(iam) as stub:
        for marker in ("A", "B", None):
            stub.add_response("get_account_authorization_details", gaad_page(marker))
        assert len(list(bounded_pages(iam, "get_account_authorization_details", page_cap=3))) == 3


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    yield from mocked_organization(monkeypatch, tmp_path)


def cycling_gaad(account_id: str) -> Any:
    """Client hook: GetAccountAuthorizationDetails in `account_id` answers Marker A, B, A, B, … forever."""
    def handler(params: dict[str, Any], **_: Any) -> Any:
        marker = "B" if request_param(params, "Marker") == "A" else "A"
        parsed = {**gaad_page(marker), "ResponseMetadata": {"HTTPStatusCode": 200, "RetryAttempts": 0}}
        return AWSResponse("https://fault.invalid/", 200, {}, None), parsed

    def hook(client: Any, account: str | None) -> None:
        if client.meta.service_model.service_name == "iam" and account == account_id:
            client.meta.events.register("before-call.iam.GetAccountAuthorizationDetails", handler)
    return hook


def test_pagination_bounded_a_cycling_token_fails_that_account_and_the_run_is_partial(
        org: OrgFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    alpha = org.members["alpha"]
    out = tmp_path / "snap"
    result = collect_with_hook(monkeypatch, cycling_gaad(alpha), *NO_INVENTORY, "--org", "-o", str(out))
    assert result.exit_code == 3, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["partial"] is True
    failed = {a["account_id"]: a for a in manifest["accounts"] if a["status"] != "ok"}
    assert list(failed) == [alpha]
    assert "already received" in failed[alpha]["reason"]


# -- regular files only, of bounded size ---------------------------------------------------------------------


def unblocked(fifo: Path, call: Callable[[], Any]) -> Any:
    """`call()`, which must not open `fifo`: if it blocks there, a writer is opened to release it and the test
    fails instead of hanging."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(("value", call()))
        except Exception as exc:  # noqa: BLE001 - handed to the test
            outcome.append(("raised", exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(20)
    if thread.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # EOF for the blocked reader
        thread.join(5)
        pytest.fail(f"blocked on the named pipe {fifo}")
    kind, value = outcome[0]
    if kind == "raised":
        raise value
    return value


@pytest.fixture
def fifo(tmp_path: Path) -> Callable[[str], Path]:
    def make(name: str) -> Path:
        path = tmp_path / name
        os.mkfifo(path)
        return path
    return make


@pytest.mark.parametrize(("name", "read", "error"), [
    ("baseline.json", load_baseline, GateFileError),
    ("known.yaml", load_known_accounts, AccountsFileError),
    ("names.yaml", load_account_names, AccountsFileError),
    ("names.csv", load_account_names, AccountsFileError),
])
def test_regular_files_only_an_option_file_that_is_a_fifo_is_one_line(
        fifo: Callable[[str], Path], name: str, read: Callable[[Path], Any], error: type[Exception]) -> None:
    path = fifo(name)
    with pytest.raises(error) as raised:
        unblocked(path, lambda: read(path))
    assert str(raised.value).endswith("is a named pipe (FIFO), not a file: not read")
    assert "\n" not in str(raised.value)


def test_regular_files_only_a_saved_graph_that_is_a_fifo_is_one_line(fifo: Callable[[str], Path]) -> None:
    path = fifo("graph.tgdb")
    with pytest.raises(GraphFileError, match="named pipe"):
        unblocked(path, lambda: read_saved(path))


def test_regular_files_only_a_fifo_in_an_input_directory_is_rejected_and_the_rest_read(
        tmp_path: Path, fifo: Callable[[str], Path]) -> None:
    (tmp_path / "good.json").write_text(json.dumps({"RoleDetailList": [
        {"Arn": f"arn:aws:iam::{A}:role/Fine", "AssumeRolePolicyDocument": trust(f"arn:aws:iam::{A}:root")}]}))
    pipes = [fifo("template.yaml"), fifo("export.json")]
    snapshot, report = unblocked(pipes[0], lambda: load_inputs([tmp_path]))
    assert f"arn:aws:iam::{A}:role/Fine" in snapshot.roles
    assert sorted(report.files_rejected) == sorted(map(str, pipes))


def test_regular_files_only_a_fifo_given_as_baseline_ends_the_command_with_one_line(
        fifo: Callable[[str], Path]) -> None:
    path = fifo("baseline.json")
    result = unblocked(path, lambda: CliRunner().invoke(main, ["findings", "-i", "samples/acme", "--no-cache", "-q",
                                                               "--baseline", str(path)]))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (f"error: {path}: the baseline is a named pipe (FIFO), not a "
                                                       "file: not read")


def test_size_cap_an_option_file_above_the_cap_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(structured_file, "OPTION_FILE_CAP", 1 << 20)
    path = tmp_path / "known.yaml"
    path.write_text("- {name: x, accounts: []}\n" + "#" * (1 << 20))
    with pytest.raises(AccountsFileError, match=r"larger than 1 MiB \(the limit for this file\): not read"):
        load_known_accounts(path)


def test_size_cap_an_input_above_the_cap_is_rejected_and_the_rest_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "INPUT_FILE_CAP", 1 << 20)
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"RoleDetailList": []}) + " " * (1 << 20))
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"RoleDetailList": [{"Arn": f"arn:aws:iam::{A}:role/Fine",
                                                    "AssumeRolePolicyDocument": trust(f"arn:aws:iam::{A}:root")}]}))
    snapshot, report = load_inputs([big, good])
    assert f"arn:aws:iam::{A}:role/Fine" in snapshot.roles
    assert report.files_rejected == [str(big)]
    assert [d.message for d in report.diagnostics if d.level == "error"] == [
        "larger than 1 MiB (the limit for this file): not read"]
