"""Where each command lives, and its one-line help for `trustgraph --help`.

The group imports a command's module only when that command runs, so `trustgraph --version` and
`--help` don't load networkx, rich or boto3. The module registers the command on `main` when imported.
The help lines are copies of each command's first sentence (tests/cli/test_cli_startup.py checks them).
"""

from __future__ import annotations

from typing import NamedTuple


class LazyCommand(NamedTuple):
    module: str
    short_help: str


# One entry per command module; keep sorted.
COMMANDS: dict[str, LazyCommand] = {
    "build": LazyCommand(
        "trustgraph.cli.build_cmd",
        "Build the trust graph from --input and save it, with the policies it was built from, for later "
        "--graph queries (every command takes --graph)."),
    "check": LazyCommand(
        "trustgraph.cli.check_cmd",
        "Check guardrails: rules on who may reach which roles (deny, allow_only, require_conditions)."),
    "chokepoints": LazyCommand(
        "trustgraph.cli.chokepoints_cmd",
        "The statements whose removal cuts the most reach: trust statements, permission-set assignments, "
        "identity grants."),
    "collect": LazyCommand(
        "trustgraph.cli.collect_cmd",
        "Read IAM live with boto3 into SNAPSHOT_DIR (read-only: Get/List/Describe and sts:AssumeRole)."),
    "diff": LazyCommand(
        "trustgraph.cli.diff_cmd",
        "What a change does to trust: edges added, removed and changed, new outside trust, new reachers of "
        "sensitive roles, findings introduced and resolved."),
    "explain": LazyCommand(
        "trustgraph.cli.explain_cmd",
        "Explain a trust policy statement by statement: who can assume the role and what else each needs."),
    "export": LazyCommand(
        "trustgraph.cli.export_cmd",
        "Write the trust graph for other tools: BloodHound OpenGraph, Neo4j, GraphML or GEXF."),
    "findings": LazyCommand(
        "trustgraph.cli.findings_cmd",
        "Report weaknesses of the role trusts: rule id, severity, role, principal, why, and the fix."),
    "map": LazyCommand("trustgraph.cli.map_cmd", "Draw the trust map."),
    "merge": LazyCommand(
        "trustgraph.cli.merge_cmd",
        "Merge the parts of an organization's graph (`build --part K/N`, one per machine) into one saved graph, "
        "whose answers are those of one build of the whole organization."),
    "path": LazyCommand("trustgraph.cli.path_cmd", "The K shortest assume-role paths from SOURCE to TARGET."),
    "reach": LazyCommand(
        "trustgraph.cli.reach_cmd",
        "Every role PRINCIPAL can reach (a user/role ARN, an account id, a service or provider name, `*`)."),
    "review": LazyCommand(
        "trustgraph.cli.review_cmd",
        "Write an architecture-review bundle: a main page of a few pages whatever the size of the organization (what "
        "to fix first, the accounts by OU, the trust map and OU matrix, the trust that crosses the organization "
        "boundary, the sensitive roles by OU, the findings by rule), and linked pages with every account, outside "
        "grant, sensitive role (its reachers and a path diagram) and finding. report.html is one file with no "
        "external assets."),
    "who-can-reach": LazyCommand(
        "trustgraph.cli.who_can_reach_cmd",
        "Every principal that can reach ROLE_ARN, each with its shortest chain of role assumptions."),
}
