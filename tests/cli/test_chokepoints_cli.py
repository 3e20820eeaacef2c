"""`trustgraph chokepoints` end to end on samples/acme: the trustgraph/chokepoints/v1 contract, --to, --rules,
Markdown, and usage errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from trustgraph.cli import main

ROOT = Path(__file__).resolve().parents[2]
ACME = str(ROOT / "samples" / "acme")
RULES = str(ROOT / "samples" / "guardrails" / "acme.yaml")
BREAKGLASS = "arn:aws:iam::444444444444:role/BreakGlass"
FIELDS = {"rank", "account", "principal_arn", "policy", "statement_index", "sid", "edge_kind", "pairs_cut",
          "cumulative_pairs_cut", "cumulative_share", "breaks"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_chokepoints_json_contract_on_acme() -> None:
    code, out, _ = run("chokepoints", "-i", ACME, "-q", "--json", "-k", "3")
    assert code == 0
    doc = json.loads(out)
    assert doc["schema"] == "trustgraph/chokepoints/v1"
    assert len(doc["suggestions"]) == 3
    cumulative = 0
    for rank, s in enumerate(doc["suggestions"], 1):
        assert FIELDS <= set(s) and s["rank"] == rank
        cumulative += s["pairs_cut"]
        assert s["cumulative_pairs_cut"] == cumulative
        assert s["cumulative_share"] == round(cumulative / doc["pairs_total"], 4)
    cuts = [s["pairs_cut"] for s in doc["suggestions"]]
    assert cuts == sorted(cuts, reverse=True)  # greedy: each step cuts at most what the one before did here
    assert doc["pairs_left"] == doc["pairs_total"] - cumulative


def test_chokepoints_to_one_role_and_rules() -> None:
    code, out, _ = run("chokepoints", "-i", ACME, "-q", "--json", "--to", BREAKGLASS)
    assert code == 0
    doc = json.loads(out)
    assert doc["targets"] == BREAKGLASS and doc["pairs_left"] < doc["pairs_total"]
    code, out, _ = run("chokepoints", "-i", ACME, "-q", "--rules", RULES, "--format", "markdown")
    assert code == 0 and out.startswith("# trustgraph chokepoints") and "BreakGlass" in out


def test_chokepoints_usage_errors_exit_2() -> None:
    code, _, err = run("chokepoints", "-i", ACME, "-q", "--to", "arn:aws:iam::444444444444:user/nobody-here")
    assert code == 2
    code, _, err = run("chokepoints", "-i", ACME, "-q", "--to", BREAKGLASS, "--rules", RULES)
    assert code == 2 and "not both" in err
    code, _, err = run("chokepoints", "-i", ACME, "-q", "-o", "x.json")
    assert code == 2
    # control: the same inputs without the mistakes are fine
    assert run("chokepoints", "-i", ACME, "-q", "-k", "1")[0] == 0
