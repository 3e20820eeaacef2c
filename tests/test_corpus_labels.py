"""The corpus-label comparison script (benchmarks/corpus_labels.py) on hand-written records.

The shared corpus itself is never read by the tests; these records only mimic its shape.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus_labels.py"
spec = importlib.util.spec_from_file_location("corpus_labels", SCRIPT)
assert spec and spec.loader
corpus_labels = importlib.util.module_from_spec(spec)
spec.loader.exec_module(corpus_labels)

GH = "arn:aws:iam::123412341234:oidc-provider/token.actions.githubusercontent.com"


def record(rid: str, checker: str, verdict: str, policy: object) -> dict:
    return {"id": rid, "locator": rid, "role_name": rid, "expected": {"checker": checker, "verdict": verdict},
            "policy": policy}


def web(condition: dict | None = None, action_key: str = "Action") -> dict:
    st = {"Effect": "Allow", "Principal": {"Federated": GH}, action_key: "sts:AssumeRoleWithWebIdentity"}
    if condition:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


def test_github_labels_map_to_open_to_the_world_rules():
    rows = corpus_labels.compare([
        record("a", "CKV_AWS_358", "FAIL", web()),
        record("b", "CKV_AWS_358", "PASS", web({"StringLike": {
            "token.actions.githubusercontent.com:sub": "repo:acme/app:*"}})),
        record("c", "CKV_AWS_358", "FAIL", web({"StringLike": {
            "token.actions.githubusercontent.com:sub": "repo:acme*"}}, action_key="_terraform_unknown_attr:action")),
    ])["rows"]
    assert [r["agree"] for r in rows] == [True, True, True]
    assert "TG202" in rows[2]["rules"]


def test_literal_wildcard_disagreement_is_explained():
    rows = corpus_labels.compare([record("d", "CKV_AWS_358", "FAIL", web({"StringEquals": {
        "token.actions.githubusercontent.com:sub": "repo:*"}}))])["rows"]
    assert rows[0]["trustgraph"] == "PASS" and not rows[0]["agree"]
    assert "TG213" in rows[0]["rules"] and "literally" in rows[0]["why"]


def test_account_wide_and_public_labels():
    account = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "123123123123"}, "Action": "sts:AssumeRole"}]}
    named_role_behind_deny = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": {"AWS": ["123456789012"]}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:role/r"]}, "Action": "sts:AssumeRole"}]}
    public_as_string = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                  "Action": "sts:AssumeRole"}]})
    result = corpus_labels.compare([
        record("e", "CKV_AWS_61", "FAIL", account),
        record("f", "CKV_AWS_61", "PASS", named_role_behind_deny),
        record("g", "CKV_AWS_61", "PASS (file-level)", ""),
        record("h", "CKV_AWS_60", "FAIL", public_as_string),
        record("i", "CKV_AWS_60", "PASS", {"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"},
                                                          "Action": "sts:AssumeRole"}]}),
        record("j", "other", "PASS", account),
    ])
    assert [r["agree"] for r in result["rows"]] == [True] * 5
    assert result["summary"]["CKV_AWS_61"] == {"records": 3, "agree": 3, "disagree": 0}


def test_verdict_normalisation():
    assert corpus_labels.normalise_verdict("FAIL (file-level)") == "FAIL"
    assert corpus_labels.normalise_verdict("PASS (file-level)") == "PASS"
