"""Every Neo4j statement trustgraph writes or documents, checked with Neo4j's own Cypher parser: the npm package
`@neo4j-cypher/language-support` (the parser and linter of Neo4j's language server), run under Node by
tests/neo4j_parser/lint.cjs. It is installed once with `npm ci` (the version pinned by
tests/neo4j_parser/package-lock.json) into .cache/ at the top of the checkout; without node/npm, or without the
npm registry on a first run, the tests skip with a message."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import networkx as nx
import pytest

from trustgraph.export.neo4j import neo4j_export
from trustgraph.export.queries import TITLES, query
from trustgraph.graph.build import build_graph
from trustgraph.sources.files import load_inputs

ROOT = Path(__file__).resolve().parents[2]
PARSER = ROOT / "tests" / "neo4j_parser"
CACHE = ROOT / ".cache" / "neo4j-parser"
ERROR, WARNING = 1, 2
pytestmark = pytest.mark.slow  # Neo4j's parser takes about 1 s of CPU per load statement (measured 18 s for both tests)


@pytest.fixture(scope="module")
def parser() -> tuple[str, Path]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("Neo4j Cypher parser check skipped: node and npm not found (it needs Node.js 20 or later)")
    manifest = (PARSER / "package.json").read_bytes() + (PARSER / "package-lock.json").read_bytes()
    target = CACHE / hashlib.sha256(manifest).hexdigest()[:16]
    if not (target / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=CACHE))
        for name in ("package.json", "package-lock.json"):
            shutil.copy(PARSER / name, staging / name)
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                              cwd=staging, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            lines = [line for line in done.stderr.splitlines() if "complete log" not in line] or ["no message"]
            first = next((line for line in lines if "error" in line), lines[0])
            pytest.skip(f"Neo4j Cypher parser check skipped: npm ci failed (no npm registry?): {first}")
        if target.exists():  # installed meanwhile by another run
            shutil.rmtree(staging, ignore_errors=True)
        else:
            staging.rename(target)
    return node, target


def lint(parser: tuple[str, Path], statements: list[str]) -> list[list[list]]:
    """Neo4j's parser's problems with each statement: [severity, message, line, character]."""
    node, installed = parser
    done = subprocess.run([node, str(PARSER / "lint.cjs"), str(installed)], input=json.dumps(statements),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-1000:]
    problems: list[list[list]] = json.loads(done.stdout)
    return problems


def statements(script: str) -> list[str]:
    """The statements of a .cypher file as cypher-shell reads it: `//` lines are comments, `;` ends one."""
    text = "\n".join(line for line in script.splitlines() if not line.startswith("//"))
    return [s.strip() for s in text.split(";\n") if s.strip()]


def docs_cypher() -> list[str]:
    blocks = re.findall(r"```cypher\n(.*?)```", (ROOT / "docs" / "export.md").read_text(), re.S)
    return [s for block in blocks for s in statements(block)]


@pytest.fixture(scope="module")
def acme_script() -> str:
    snapshot, _ = load_inputs([str(ROOT / "samples" / "acme")])
    return neo4j_export(build_graph(snapshot)).scripts["load.cypher"]


def _mixed_keys() -> nx.DiGraph:
    """A principal file whose rows are keyed both ways (one without an ARN), and a conditional trust."""
    graph = nx.DiGraph()
    graph.add_node("arn:aws:iam::111111111111:role/r", kind="role", label="r", path="/")
    graph.add_node("AROAEXAMPLEDELETED", kind="unknown", label="AROAEXAMPLEDELETED")
    graph.add_node("arn:aws:iam::111111111111:role/gone", kind="unknown", label="gone")
    graph.add_edge("AROAEXAMPLEDELETED", "arn:aws:iam::111111111111:role/r", kind="assume", conditional=True,
                   conditions=["sts:ExternalId"])
    return graph


def test_neo4j_load_statements_parse_in_neo4js_parser_without_errors_or_deprecations(
        parser: tuple[str, Path], acme_script: str) -> None:
    mixed = statements(neo4j_export(_mixed_keys()).scripts["load.cypher"])
    loaded = statements(acme_script) + mixed
    assert len(loaded) > 30 and any("WITH row WHERE coalesce(row.arn, '') = ''" in s for s in mixed)
    # The controls: the parser finds a broken statement, and the deprecated importing WITH trustgraph used before.
    old = acme_script.split(";\n")[-2].replace("CALL (row) {", "CALL { WITH row")
    broken = loaded[-1].replace("MERGE (a)", "MERGE (a")
    *problems, old_problems, broken_problems = lint(parser, [*loaded, old, broken])
    assert [(s, p) for s, p in zip(loaded, problems, strict=True) if p] == []
    assert [p for p in old_problems if p[0] == WARNING and "CALL (row)" in p[1]]
    assert [p for p in broken_problems if p[0] == ERROR]


def test_documented_neo4j_cypher_parses_in_neo4js_parser(parser: tuple[str, Path]) -> None:
    documented = docs_cypher()
    for name in TITLES:
        assert query(name, "neo4j").strip() in "\n".join(documented)  # the docs show the queries of the code
    # The control: without `CYPHER 25` Neo4j's parser (Cypher 5) rejects the ACYCLIC path mode the queries use.
    cypher5 = query("who-can-reach", "neo4j").replace("CYPHER 25\n", "")
    *problems, cypher5_problems = lint(parser, [*documented, cypher5])
    assert [(s, p) for s, p in zip(documented, problems, strict=True) if p] == []
    assert [p for p in cypher5_problems if p[0] == ERROR and "ACYCLIC" in p[1]]
