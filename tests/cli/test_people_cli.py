"""`who-can-reach --people` and `reach` of a person on samples/acme: the answers of EXPECTED.md §9."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from trustgraph.cli import main

ROOT = Path(__file__).resolve().parents[2]
ACME = str(ROOT / "samples" / "acme")
BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"
SSO_ADMIN_PROD = ("arn:aws:iam::444444444444:role/aws-reserved/sso.amazonaws.com/"
                  "AWSReservedSSO_AdministratorAccess_8c1f5e2a9d3b7046")
PROVIDER_PROD = "arn:aws:iam::444444444444:saml-provider/AWSSSO_4b8e2d71c09f3a56_DO_NOT_DELETE"
PEOPLE = {"maria.garcia@acme.example", "tom.nguyen@acme.example", "jonas.weber@acme.example"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "-q", "--no-cache"], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> dict:
    code, out, err = run(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def _ic_people(answer: dict) -> dict[str, dict]:
    return {p["name"]: p for p in answer["people"] if p["kind"] == "identity-center-user"}


def test_sso_admin_prod_is_reached_by_three_people_one_group_and_one_direct() -> None:
    answer = run_json("who-can-reach", SSO_ADMIN_PROD, "-i", ACME, "--people", "--max-hops", "1")
    people = _ic_people(answer)
    assert set(people) == PEOPLE
    assert people["maria.garcia@acme.example"]["via_group"] == "PlatformAdmins"
    assert people["jonas.weber@acme.example"]["via_group"] is None
    assert {p["permission_set"] for p in people.values()} == {"AdministratorAccess"}
    assert {p["hops"] for p in people.values()} == {1}
    groups = [r for r in answer["reachers"] if r["kind"] == "identity-center-group"]
    assert [(g["name"], g["members"]) for g in groups] == [("PlatformAdmins", 2)]
    users = [r["name"] for r in answer["reachers"] if r["kind"] == "identity-center-user"]
    assert users == ["jonas.weber@acme.example"]  # maria and tom are counted in their group
    assert answer["people_count"] == len(answer["people"])


def test_the_table_names_the_group_with_its_size_and_not_its_members() -> None:
    code, out, err = run("who-can-reach", SSO_ADMIN_PROD, "-i", ACME, "--max-hops", "1")
    assert code == 0, err
    assert "PlatformAdmins (group, 2 members)" in out and "jonas.weber@acme.example" in out
    assert "maria.garcia" not in out and "AWSSSO_4b8e2d71c09f3a56_DO_NOT_DELETE (" not in out


def test_breakglass_people_are_maria_tom_and_jonas_with_the_iam_users() -> None:
    code, out, err = run("who-can-reach", BREAK_GLASS, "-i", ACME, "--people")
    assert code == 0, err
    for name in PEOPLE:
        assert name in out
    for absent in ("priya.shah", "kenji.sato", "fatima.haddad", "omar.khalil", "grace.kim", "PlatformAdmins (group"):
        assert absent not in out
    assert "6 people: 2 through PlatformAdmins, 1 assigned directly, 3 IAM users" in out  # jenkins-legacy by StartBuild
    answer = run_json("who-can-reach", BREAK_GLASS, "-i", ACME, "--people")
    assert set(_ic_people(answer)) == PEOPLE and {p["hops"] for p in _ic_people(answer).values()} == {2}
    iam = {p["principal"] for p in answer["people"] if p["kind"] == "user"}
    assert iam == {"arn:aws:iam::111111111111:user/org-admin", "arn:aws:iam::222222222222:user/alice",
                   "arn:aws:iam::333333333333:user/jenkins-legacy"}
    assert all(p["via_group"] is None and p["permission_set"] is None for p in answer["people"] if p["kind"] == "user")


def test_trust_only_names_no_identity_center_people_and_keeps_the_provider() -> None:
    answer = run_json("who-can-reach", BREAK_GLASS, "-i", ACME, "--people", "--via", "assume")
    assert _ic_people(answer) == {}
    sso = run_json("who-can-reach", SSO_ADMIN_PROD, "-i", ACME, "--via", "assume")
    assert [r["principal"] for r in sso["reachers"]] == [PROVIDER_PROD]
    assert sso["reachers"][0]["conditions"] == ["SAML:aud"]


def test_json_keeps_every_field_and_adds_names_members_and_permission_sets() -> None:
    answer = run_json("who-can-reach", SSO_ADMIN_PROD, "-i", ACME)
    fields = {"principal", "kind", "hops", "path", "conditional", "conditions", "account", "account_name",
              "classification", "vendor", "ou_path", "steps", "name"}
    assert all(fields <= set(r) for r in answer["reachers"])
    group = next(r for r in answer["reachers"] if r["kind"] == "identity-center-group")
    assert group["members"] == 2 and group["classification"] == "federated"
    assert group["steps"][0]["permission_set"] == "AdministratorAccess" and group["steps"][0]["kind"] == "sso"
    assert "people" not in answer  # only with --people


def test_reach_takes_a_user_name() -> None:
    answer = run_json("reach", "maria.garcia@acme.example", "-i", ACME, "--max-hops", "1")
    assert answer["source"].startswith("arn:aws:identitystore:::user/")
    assert len(answer["reachable"]) == 3 and {r["hops"] for r in answer["reachable"]} == {1}
    code, out, _ = run("reach", "maria.garcia@acme.example", "-i", ACME, "--max-hops", "1")
    assert code == 0 and "What maria.garcia@acme.example can reach" in out
    nothing = run_json("reach", "grace.kim@acme.example", "-i", ACME)
    assert nothing["reachable"] == []


def test_reach_refuses_an_unknown_or_ambiguous_name_listing_candidates(tmp_path: Path) -> None:
    code, _, err = run("reach", "maria.garci", "-i", ACME)
    assert code == 2 and "maria.garcia@acme.example" in err
    # two groups of one name: the ARNs to choose from
    data = shutil.copytree(ACME, tmp_path / "acme")
    path = data / "identity-center.json"
    doc = json.loads(path.read_text())
    twin = dict(doc["groups"][0], group_id=doc["groups"][0]["group_id"][:-4] + "ffff")
    doc["groups"].append(twin)
    path.write_text(json.dumps(doc))
    code, _, err = run("reach", doc["groups"][0]["display_name"], "-i", str(data))
    assert code == 2 and "names 2 Identity Center users or groups" in err and "ffff" in err
