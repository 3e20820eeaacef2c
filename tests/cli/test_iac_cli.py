"""The CLI reads Terraform plans and CloudFormation templates like any other input, with --account-id and
--parameter."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from trustgraph.cli import main

IAC = Path(__file__).parents[1] / "iac"
ACCOUNT = "123456789012"
INNER = f"arn:aws:iam::{ACCOUNT}:role/inner"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def reachers(*args: str) -> dict[str, dict]:
    code, out, err = run("who-can-reach", *args, "--json", "-q")
    assert code == 0, err
    return {r["principal"]: r for r in json.loads(out)["reachers"]}


def test_who_can_reach_a_role_of_a_plan_with_account_id() -> None:
    found = reachers(INNER, "-i", str(IAC / "plan_modules.json"), "--account-id", ACCOUNT)
    assert found[f"arn:aws:iam::{ACCOUNT}:role/app/worker-blue"]["hops"] == 1
    assert found[f"arn:aws:iam::{ACCOUNT}:role/root-role"]["hops"] == 2
    assert found["ec2.amazonaws.com"]["hops"] == 3


def test_who_can_reach_a_role_of_a_template_with_parameters() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/partner-access"
    found = reachers(role, "-i", str(IAC / "template_long_form.json"), "--account-id", ACCOUNT,
                     "--parameter", "PartnerAccount=555566667777")
    assert "arn:aws:iam::555566667777:root" in found
    # Another parameter value is another answer: the build cache keys on the values too.
    found = reachers(role, "-i", str(IAC / "template_long_form.json"), "--account-id", ACCOUNT,
                     "--parameter", "PartnerAccount=888877776666")
    assert "arn:aws:iam::888877776666:root" in found and "arn:aws:iam::555566667777:root" not in found


def test_account_id_is_part_of_the_build_cache_key() -> None:
    args = ("-i", str(IAC / "plan_modules.json"))
    assert f"arn:aws:iam::{ACCOUNT}:role/app/worker-blue" in reachers(INNER, *args, "--account-id", ACCOUNT)
    code, _, err = run("who-can-reach", INNER, *args, "--account-id", "210987654321", "--json", "-q")
    assert code != 0 and "not in the trust graph" in err


def test_bad_account_id_or_parameter_is_a_usage_error() -> None:
    code, _, err = run("who-can-reach", INNER, "-i", str(IAC / "plan_modules.json"), "--account-id", "12")
    assert code == 2 and "12-digit" in err
    code, _, err = run("who-can-reach", INNER, "-i", str(IAC / "plan_modules.json"), "--parameter", "novalue")
    assert code == 2 and "KEY=VALUE" in err


def test_build_saves_a_yaml_template_graph(tmp_path: Path) -> None:
    out = tmp_path / "graph.tgdb"
    code, _, err = run("build", "-i", str(IAC / "template_short_forms.yaml"), "--account-id", ACCOUNT,
                       "-o", str(out), "-q")
    assert code == 0, err
    found = reachers(f"arn:aws:iam::{ACCOUNT}:role/GeneratedNameRole", "--graph", str(out))
    assert f"arn:aws:iam::{ACCOUNT}:role/deploy/deploy-dev" in found


def test_load_warnings_name_the_template_resource_and_intrinsic() -> None:
    code, _, err = run("who-can-reach", f"arn:aws:iam::{ACCOUNT}:role/deploy/deploy-dev", "-i",
                       str(IAC / "template_short_forms.yaml"), "--account-id", ACCOUNT)
    assert code == 0
    line = next(line for line in err.splitlines() if "ImportValue" in line)
    assert "template_short_forms.yaml" in line and "DeployRole" in line and "kept symbolic" in line
