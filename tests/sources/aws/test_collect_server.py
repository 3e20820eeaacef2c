"""End to end over HTTP: `trustgraph collect --org --endpoint-url` against a moto server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from aws_fakes import MANAGEMENT_ACCOUNT, ONE_REGION, build_organization, client_maker, set_fake_credentials
from click.testing import CliRunner
from moto.server import ThreadedMotoServer

from trustgraph.cli import collect_cmd, main


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    set_fake_credentials(monkeypatch, tmp_path)
    monkeypatch.setattr(collect_cmd, "client_hook", None)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)  # port 0: a free port
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # The server shares moto's in-process backends; start and end from a clean state.
    requests.post(f"{url}/moto-api/reset", timeout=10)
    try:
        yield url
    finally:
        requests.post(f"{url}/moto-api/reset", timeout=10)
        server.stop()


def test_collect_org_over_the_wire(moto_endpoint: str, tmp_path: Path) -> None:
    org = build_organization(client_maker(moto_endpoint))
    out = tmp_path / "snapshot"

    result = CliRunner().invoke(
        main, ["collect", *ONE_REGION, "--org", "--endpoint-url", moto_endpoint, "-o", str(out), "--json"],
        catch_exceptions=False)

    assert result.exit_code == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert json.loads(result.stdout) == manifest
    statuses = {a["account_id"]: a["status"] for a in manifest["accounts"]}
    assert statuses == dict.fromkeys(org.all_accounts, "ok")
    assert manifest["caller_account_id"] == MANAGEMENT_ACCOUNT

    bravo = json.loads((out / f"{org.members['bravo']}.json").read_text())
    assert org.target_role_arn in {r["Arn"] for r in bravo["RoleDetailList"]}
    assert bravo["Policies"][0]["PolicyName"] == "ReadThings"

    organization = json.loads((out / "organization.json").read_text())
    alpha = next(a for a in organization["accounts"] if a["id"] == org.members["alpha"])
    assert alpha["ou_path"] == f"{org.org_id}/{org.root_id}/{org.workloads_ou}/{org.prod_ou}/"
    scp = next(p for p in organization["policies"] if p["id"] == org.scp_id)
    assert scp["targets"] == [org.workloads_ou] and scp["content"]["Statement"][0]["Effect"] == "Deny"
