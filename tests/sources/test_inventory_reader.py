"""Reading inventory files (docs/inventory-schema.md): resources running as roles, and when an account's
inventory counts as complete (only then does "no resource listed" mean "none")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustgraph.cli.cache import cache_key
from trustgraph.model import ComputeResource, Snapshot
from trustgraph.saved.codec import Codec
from trustgraph.sources.files import load_inputs
from trustgraph.sources.inventory_file import KINDS, SCHEMA

ACCOUNT = "444444444444"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/ResizeRole"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:resize"


def entry(kind: str = "lambda-function", arn: str = FUNCTION, role: str = ROLE, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "arn": arn, "name": arn.rsplit(":", 1)[-1], "region": "us-east-1", "role_arn": role,
            **extra}


def inventory(resources: list[Any] | Any, **fields: Any) -> dict[str, Any]:
    return {"schema": SCHEMA, "account_id": ACCOUNT, "collected_at": "2026-11-30T06:00:00+00:00", "complete": True,
            "regions": ["us-east-1"], "regions_enabled": ["us-east-1"],
            "coverage": [{"service": "lambda", "region": "us-east-1", "status": "ok", "resources": 1}],
            "resources": resources} | fields


def write(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def load(*paths: Path) -> tuple[Snapshot, list[str]]:
    snapshot, report = load_inputs(paths)
    return snapshot, [str(d) for d in report.diagnostics]


def test_inventory_file_read_alone_and_from_a_snapshot_directory(tmp_path: Path) -> None:
    alone = write(tmp_path / "some" / "inventory.json", inventory([entry()]))
    snapshot, problems = load(alone)
    assert problems == []
    assert snapshot.resources == [ComputeResource(FUNCTION, "lambda-function", ACCOUNT, "us-east-1", ROLE, "resize")]
    assert snapshot.inventory_accounts == {ACCOUNT}

    directory = tmp_path / "snap"
    write(directory / "inventory" / f"{ACCOUNT}.json", inventory([entry()]))
    snapshot, problems = load(directory)
    assert problems == [] and [r.arn for r in snapshot.resources] == [FUNCTION]
    assert snapshot.inventory_accounts == {ACCOUNT} and snapshot.gaps == []


def test_malformed_entries_are_one_located_error_each_and_the_rest_is_read(tmp_path: Path) -> None:
    bad = [entry(), "text", entry(kind="lambda"), entry(arn="not-an-arn"),
           entry(arn="arn:aws:lambda:us-east-1:555555555555:function:other"),
           entry(role="arn:aws:iam::444444444444:user/bob"), entry(arn=FUNCTION + "2", region=7),
           entry(kind="ec2-instance")]
    path = write(tmp_path / "inv.json", inventory(bad))
    snapshot, problems = load(path)
    assert [r.arn for r in snapshot.resources] == [FUNCTION]
    assert len(problems) == 8
    assert problems[7] == (f"warning: {path} at $: the inventory of account {ACCOUNT} is incomplete (7 entries could "
                           "not be read): resources it does not list may run as its roles")
    for i, problem in zip(range(1, 8), problems[:7], strict=True):
        assert problem.startswith(f"error: {path} at $.resources[{i}]: ")
    assert "unknown kind 'lambda'" in problems[1] and "not in account 444444444444" in problems[3]
    assert "not an IAM role ARN" in problems[4] and "kind ec2-instance needs an arn of service ec2" in problems[6]


def test_file_level_problems_name_the_file_and_skip_only_it(tmp_path: Path) -> None:
    good = write(tmp_path / "a.json", inventory([entry()]))
    wrong_account = write(tmp_path / "b.json", inventory([entry()], account_id="44"))
    newer = write(tmp_path / "c.json", inventory([entry()], schema="trustgraph/inventory/v9"))
    not_a_list = write(tmp_path / "d.json", inventory({"x": 1}, account_id="555555555555"))
    snapshot, problems = load(good, wrong_account, newer, not_a_list)
    assert problems == [
        f"error: {wrong_account} at $.account_id: account_id '44' is not a 12-digit account id",
        f"error: {newer} at $.schema: unsupported inventory schema 'trustgraph/inventory/v9' (this version reads "
        f"{SCHEMA})",
        f"error: {not_a_list} at $.resources: expected a list, got a JSON dict",
        f"warning: {not_a_list} at $: the inventory of account 555555555555 is incomplete (its resources are "
        "unreadable): resources it does not list may run as its roles"]
    assert snapshot.inventory_accounts == {ACCOUNT}  # 555555555555's file lists nothing readable: not complete


# -- completeness: only a complete inventory says "a role with no resource listed has none" ------------------


def complete_after(tmp_path: Path, value: dict[str, Any]) -> tuple[bool, list[str]]:
    snapshot, _ = load(write(tmp_path / "inv.json", value))
    return ACCOUNT in snapshot.inventory_accounts, snapshot.gaps


def test_inventory_complete_only_when_the_file_says_so(tmp_path: Path) -> None:
    assert complete_after(tmp_path, inventory([entry()]))[0] is True
    complete, gaps = complete_after(tmp_path, inventory([entry()], complete=False))
    assert complete is False and "the file does not say it is complete" in gaps[0]
    assert complete_after(tmp_path, {k: v for k, v in inventory([entry()]).items() if k != "complete"})[0] is False


def test_inventory_incomplete_when_a_listing_failed(tmp_path: Path) -> None:
    failed = [{"service": "lambda", "region": "us-east-1", "status": "ok"},
              {"service": "glue", "region": "eu-west-1", "status": "failed", "reason_code": "access-denied"}]
    complete, gaps = complete_after(tmp_path, inventory([entry()], coverage=failed))
    assert complete is False and "1 listing(s) failed: glue in eu-west-1" in gaps[0]
    offered = [{"service": "glue", "region": "us-east-1", "status": "not-offered"}]
    assert complete_after(tmp_path, inventory([entry()], coverage=offered))[0] is True


def test_inventory_incomplete_when_an_enabled_region_was_not_read(tmp_path: Path) -> None:
    narrow = inventory([entry()], regions_enabled=["eu-west-1", "us-east-1"])
    complete, gaps = complete_after(tmp_path, narrow)
    assert complete is False and "regions not read: eu-west-1" in gaps[0]
    assert complete_after(tmp_path, inventory([entry()], regions=["eu-west-1", "us-east-1"],
                                              regions_enabled=["eu-west-1", "us-east-1"]))[0] is True


def test_inventory_incomplete_when_an_entry_was_skipped(tmp_path: Path) -> None:
    complete, gaps = complete_after(tmp_path, inventory([entry(), {"kind": "ec2-instance"}]))
    assert complete is False and "1 entry could not be read" in gaps[0]
    assert complete_after(tmp_path, inventory([entry(), entry(arn=FUNCTION + "2")]))[0] is True


def test_two_inventories_of_one_account_the_greater_path_wins_whatever_the_order(tmp_path: Path) -> None:
    older = write(tmp_path / "a" / "inv.json", inventory([entry()]))
    newer = write(tmp_path / "b" / "inv.json", inventory([entry(arn=FUNCTION + "2")], complete=False))
    for order in ((older, newer), (newer, older)):
        snapshot, problems = load(*order)
        assert [r.arn for r in snapshot.resources] == [FUNCTION + "2"]
        assert snapshot.inventory_accounts == set()
        assert problems == [f"warning: {newer}: inventory of account {ACCOUNT} is in both {older} and {newer}: the "
                            f"entry in {newer} is used (of two files, the greater path wins, whatever the order of "
                            "the inputs)",
                            f"warning: {newer} at $: the inventory of account {ACCOUNT} is incomplete (the file does "
                            "not say it is complete): resources it does not list may run as its roles"]


def test_build_cache_key_covers_inventory_files(tmp_path: Path) -> None:
    directory = tmp_path / "snap"
    path = write(directory / "inventory" / f"{ACCOUNT}.json", inventory([entry()]))
    before = cache_key([str(directory)], None)
    assert cache_key([str(directory)], None) == before
    write(path, inventory([entry(arn=FUNCTION + "2")]))
    assert cache_key([str(directory)], None) != before


def test_saved_snapshot_keeps_the_inventory(tmp_path: Path) -> None:
    snapshot, _ = load(write(tmp_path / "inv.json", inventory([entry(), entry("ec2-instance-profile",
                       f"arn:aws:iam::{ACCOUNT}:instance-profile/web", region="")])))
    codec = Codec(Snapshot)
    again = codec.decode(json.loads(json.dumps(codec.encode(snapshot))))
    assert again.resources == snapshot.resources and again.inventory_accounts == {ACCOUNT}


# -- property: whatever the entries, the reader never raises, and every entry is read or named ----------------

GARBAGE = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=6),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                   max_size=3), max_leaves=6)
FIELD_VALUES = st.sampled_from([ROLE, FUNCTION, "", "arn:aws:iam::444444444444:user/x", 3, None]) | GARBAGE
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.function_scoped_fixture])


@st.composite
def entries(draw: st.DrawFn) -> list[Any]:
    out: list[Any] = []
    for i in range(draw(st.integers(0, 6))):
        arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f{i}"  # distinct: no entry replaces another
        if draw(st.booleans()):
            kind = draw(st.sampled_from(sorted(KINDS)))
            out.append(entry(kind, arn.replace(":lambda:", f":{KINDS[kind]}:")))
        elif draw(st.booleans()):
            broken = entry(arn=arn)
            broken[draw(st.sampled_from(sorted(broken)))] = draw(FIELD_VALUES)
            out.append(broken)
        else:
            out.append(draw(GARBAGE))
    return out


@SETTINGS
@given(entries(), st.sampled_from([True, False, None, "true"]))
def test_inventory_reader_never_raises_and_accounts_for_every_entry(
        tmp_path_factory: Any, resources: list[Any], complete: Any) -> None:
    path = write(tmp_path_factory.mktemp("inv") / "inv.json", inventory(resources, complete=complete))
    snapshot, report = load_inputs([path])
    located = {d.location for d in report.diagnostics if d.level == "error"}
    read = {r.arn for r in snapshot.resources}
    for i, raw in enumerate(resources):
        named = f"$.resources[{i}]" in located
        assert named != (isinstance(raw, dict) and isinstance(raw.get("arn"), str) and raw["arn"] in read), (i, raw)
    assert len(located) + len(snapshot.resources) <= len(resources)  # equal entries are one resource
    assert (ACCOUNT in snapshot.inventory_accounts) == (complete is True and not located)
    assert all(r.kind in KINDS and r.account == ACCOUNT for r in snapshot.resources)


def test_acme_sample_plants_passrole_and_code_running_as_an_admin_role() -> None:
    """samples/acme/EXPECTED.md §1.3: the planted dev-account escalation and the inventory it needs."""
    acme = Path(__file__).resolve().parents[2] / "samples" / "acme"
    snapshot, report = load_inputs([acme])
    assert [str(d) for d in report.diagnostics] == []
    dev = "666666666666"
    target = f"arn:aws:iam::{dev}:role/service-role/NightlyReportsFunction"
    role = snapshot.roles[target]
    assert role.attached_policy_arns == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    assert role.trust is not None and [s.principals for s in role.trust.statements] == [
        (("Service", "lambda.amazonaws.com"),)]
    erin = snapshot.users[f"arn:aws:iam::{dev}:user/dev-erin"]
    granted = {a for p in erin.inline_policies for s in p.document.statements for a in s.actions or ()}
    assert granted == {"iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"}
    faye = snapshot.users[f"arn:aws:iam::{dev}:user/dev-faye"]
    function = f"arn:aws:lambda:us-east-1:{dev}:function:nightly-reports"
    assert [(s.actions, s.resources) for p in faye.inline_policies for s in p.document.statements] == [
        (("lambda:UpdateFunctionCode",), (function,))]
    assert snapshot.inventory_accounts == {dev}
    running = ComputeResource(function, "lambda-function", dev, "us-east-1", target, "nightly-reports")
    assert running in snapshot.resources
    assert not any("inventory" in gap for gap in snapshot.gaps)
