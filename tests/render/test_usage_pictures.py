"""Observed use in pictures (docs/usage.md, docs/pictures.md): `--usage` edge styles and labels, `map --only
used|unused`, and the rule that an edge outside the events' coverage is "unknown", never "unused". End to end on
samples/acme with samples/acme-cloudtrail."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import networkx as nx
from click.testing import CliRunner

from trustgraph.analysis.reachability import who_can_reach
from trustgraph.analysis.usage import EdgeUse, member_uses
from trustgraph.cli.app import main
from trustgraph.graph.build import build_graph
from trustgraph.graph.schema import is_membership
from trustgraph.graph.usage import UNKNOWN, UNUSED, USED, covered
from trustgraph.render.boundary import only_filter
from trustgraph.render.style import USAGE_STYLE
from trustgraph.render.usage import STATE, usage_marked
from trustgraph.render.views import fold_repeated, reachers_view
from trustgraph.sources.files import load_inputs

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
ACME, TRAIL = str(SAMPLES / "acme"), str(SAMPLES / "acme-cloudtrail")
PROD_ADMIN = "arn:aws:iam::444444444444:role/admin/ProdAdmin"
PROD_DEPLOYER = "arn:aws:iam::444444444444:role/deploy/ProdDeployer"
CI_PIPELINE = "arn:aws:iam::333333333333:role/ci/CIPipeline"
BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"
SECURITY_OAA = "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
SECURITY_HUB = "arn:aws:iam::222222222222:root"
UNUSED_COLOUR = USAGE_STYLE[UNUSED]["color"]


@functools.cache
def graph(*inputs: str) -> nx.DiGraph:
    return build_graph(load_inputs([ACME, *inputs])[0])


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "-q"])
    return result.exit_code, result.stdout, result.stderr


def edge_lines(dot_source: str, evidence: dict[str, dict]) -> dict[tuple[str, str], str]:
    """(from, to) → the DOT line drawing that edge."""
    out = {}
    for line in dot_source.splitlines():
        found = re.search(r'id="(edge-[^"]+)"', line)
        if found and found[1] in evidence:
            info = evidence[found[1]]
            out[(info["from"], info["to"])] = line
    return out


def paths_picture(g: nx.DiGraph, target: str, usage: bool) -> dict[tuple[str, str], str]:
    dot = reachers_view(g, target, who_can_reach(g, target).reachers, usage=usage)
    return edge_lines(dot.source, {k: dot.evidence[k] for k in dot.evidence if k.startswith("edge-")})


def test_usage_used_edge_is_solid_and_labelled_with_its_last_use_and_calls() -> None:
    lines = paths_picture(graph(TRAIL), PROD_ADMIN, usage=True)
    used = lines[(PROD_DEPLOYER, PROD_ADMIN)]
    assert 'label="2025-06-30 · 3×"' in used and "style=solid" in used
    assert "used, last 2025-06-30, 3 calls" in used  # the tooltip (the HTML explorer shows it too)
    # negative controls: without --usage the same edge says nothing of use; an unused edge carries no date
    plain = paths_picture(graph(TRAIL), PROD_ADMIN, usage=False)[(PROD_DEPLOYER, PROD_ADMIN)]
    assert "2025-06-30" not in plain and "style=solid" not in plain
    unused = lines[("codebuild.amazonaws.com", CI_PIPELINE)]
    assert "2025-06" not in unused


def test_usage_unused_edge_in_a_covered_window_is_faint_and_dashed() -> None:
    lines = paths_picture(graph(TRAIL), PROD_ADMIN, usage=True)
    unused = lines[("codebuild.amazonaws.com", CI_PIPELINE)]  # account 333333333333 is covered, no call seen
    assert "style=dashed" in unused and f'color="{UNUSED_COLOUR}"' in unused and "not used in the window" in unused
    # negative control: a used edge is not faint
    assert UNUSED_COLOUR not in lines[(PROD_DEPLOYER, PROD_ADMIN)]


def test_usage_edge_outside_the_coverage_is_unknown_never_unused() -> None:
    g = graph(TRAIL)
    edges = list(g.edges)
    marked = usage_marked(g, g.nodes, edges)
    states = {e: marked.edges[e][STATE] for e in edges}
    # every edge drawn unused is covered by the events; the uncovered ones are unknown
    assert all(covered(g, u, v) for (u, v), state in states.items() if state == UNUSED)
    window = g.graph["usage_window"]["accounts"]
    dev = [(u, v) for u, v in edges if g.nodes[v].get("account") == "666666666666"
           and g.nodes[u].get("account") not in window]
    assert dev and all(states[e] == UNKNOWN for e in dev)  # 666666666666 sent no events, nor did these callers
    # positive control: covered trust without a call is unused
    assert states[("codebuild.amazonaws.com", CI_PIPELINE)] == UNUSED
    # in the picture: trust inside 666666666666 is drawn as without --usage, and the legend says "usage unknown"
    code, out, err = run("map", "-i", ACME, "-i", TRAIL, "--usage", "--account", "666666666666", "-o", "-",
                         "--format", "dot")
    assert code == 0, err
    inside = [line for line in out.splitlines() if re.search(r'tooltip="arn:aws:iam::666666666666:\S+ → '
                                                             r'arn:aws:iam::666666666666:', line)]
    assert inside and all(UNUSED_COLOUR not in line and "usage unknown" in line for line in inside)
    assert "usage unknown (outside the events" in out
    # positive control: the same picture draws 666666666666's trust into covered accounts as unused
    assert any(UNUSED_COLOUR in line for line in out.splitlines() if "tooltip=\"arn:aws:iam::666666666666:" in line)


def test_usage_hub_edge_is_used_when_a_member_call_through_it_is_recorded(tmp_path: Path) -> None:
    # 222222222222's OrganizationAccountAccessRole assumes BreakGlass (444444444444), which trusts its account: the
    # call goes through the account's hub. Its member edge and the hub's edge are used.
    events = tmp_path / "oaa.jsonl"
    events.write_text(json.dumps({
        "eventVersion": "1.08", "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
        "eventTime": "2025-06-30T09:00:00Z", "recipientAccountId": "444444444444", "awsRegion": "us-east-1",
        "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:s", "accountId": "222222222222",
                         "arn": "arn:aws:sts::222222222222:assumed-role/OrganizationAccountAccessRole/s",
                         "sessionContext": {"sessionIssuer": {"type": "Role", "arn": SECURITY_OAA,
                                                              "accountId": "222222222222"}}},
        "requestParameters": {"roleArn": BREAK_GLASS, "roleSessionName": "s"},
        "eventID": "e1", "requestID": "r1"}) + "\n")
    g = graph(TRAIL, str(events))
    members = member_uses(g)
    assert members[(SECURITY_OAA, SECURITY_HUB)] == EdgeUse(USED, "2025-06-30T09:00:00Z", 1)
    lines = paths_picture(g, BREAK_GLASS, usage=True)
    assert "2025-06-30 · 1×" in lines[(SECURITY_OAA, SECURITY_HUB)]
    assert "2025-06-30 · 1×" in lines[(SECURITY_HUB, BREAK_GLASS)]
    # negative controls: no other member of the hub drew a call; without the event the hub's edge is unused
    assert [key for key in members if key[1] == SECURITY_HUB] == [(SECURITY_OAA, SECURITY_HUB)]
    assert (SECURITY_OAA, SECURITY_HUB) not in member_uses(graph(TRAIL))
    before = paths_picture(graph(TRAIL), BREAK_GLASS, usage=True)
    assert f'color="{UNUSED_COLOUR}"' in before[(SECURITY_HUB, BREAK_GLASS)]
    assert "×" not in before[(SECURITY_OAA, SECURITY_HUB)]


def test_map_only_used_keeps_only_used_edges() -> None:
    g = graph(TRAIL)
    members = member_uses(g)
    kept = only_filter(g, ("used",)).graph
    marked = usage_marked(g, kept.nodes, kept.edges)
    assert kept.number_of_edges() > 0
    for u, v, data in kept.edges(data=True):
        assert marked.edges[u, v][STATE] == USED or (is_membership(data) and (u, v) in members)
    unused = only_filter(g, ("unused",)).graph
    assert unused.number_of_edges() > 0
    unused_marked = usage_marked(g, unused.nodes, unused.edges)
    # negative controls: --only unused keeps no used edge and no edge of unknown use but memberships
    for u, v, data in unused.edges(data=True):
        assert unused_marked.edges[u, v][STATE] == UNUSED or is_membership(data)
    assert (PROD_DEPLOYER, PROD_ADMIN) in kept.edges and (PROD_DEPLOYER, PROD_ADMIN) not in unused.edges
    assert ("codebuild.amazonaws.com", CI_PIPELINE) in unused.edges
    assert ("codebuild.amazonaws.com", CI_PIPELINE) not in kept.edges


def test_map_only_used_title_says_the_filter_and_the_usage_window() -> None:
    code, out, err = run("map", "-i", ACME, "-i", TRAIL, "--only", "used", "-o", "-", "--format", "dot")
    assert code == 0, err
    title = re.search(r'label="(Trust map[^"]*)"', out)
    assert title is not None
    assert "only trust used in the events' window" in title[1] and "usage 2025-06-28 to 2025-06-30" in title[1]
    assert UNUSED_COLOUR not in out and "2025-06-30 · 3×" in out
    # negative control: --only unused draws the faint edges and no dated one
    code, out, err = run("map", "-i", ACME, "-i", TRAIL, "--only", "unused", "-o", "-", "--format", "dot")
    assert code == 0, err
    assert UNUSED_COLOUR in out and "2025-06-30 · 3×" not in out and "not used in a window the events cover" in out


def test_usage_needs_events_and_a_picture_of_principals() -> None:
    code, _, err = run("map", "-i", ACME, "--usage", "-o", "-", "--format", "dot")
    assert code == 2 and "no usage data" in err
    code, _, err = run("map", "-i", ACME, "--only", "used", "-o", "-", "--format", "dot")
    assert code == 2 and "no usage data" in err
    code, _, err = run("who-can-reach", PROD_ADMIN, "-i", ACME, "-i", TRAIL, "--usage")
    assert code == 2 and "-o" in err
    code, _, err = run("map", "-i", ACME, "-i", TRAIL, "--usage", "--view", "accounts", "-o", "-", "--format", "dot")
    assert code == 2 and "principals" in err
    # positive control: with events, who-can-reach and path draw by use
    code, out, err = run("who-can-reach", PROD_ADMIN, "-i", ACME, "-i", TRAIL, "--usage", "-o", "-", "--format",
                         "dot")
    assert code == 0 and "2025-06-30 · 3×" in out, err
    code, out, err = run("path", CI_PIPELINE, PROD_ADMIN, "-i", ACME, "-i", TRAIL, "--usage", "-o", "-",
                         "--format", "dot")
    assert code == 0 and "2025-06-30 · 3×" in out, err


def test_usage_html_explorer_edge_carries_its_use() -> None:
    code, out, err = run("who-can-reach", PROD_ADMIN, "-i", ACME, "-i", TRAIL, "--usage", "-o", "-", "--format",
                         "html")
    assert code == 0, err
    # the edge's tooltip (Graphviz writes "-" as "&#45;") and the evidence of its side panel
    assert "used, last 2025&#45;06&#45;30, 3 calls" in out and "not used in the window" in out
    assert '"usage_last"' in out
    code, out, err = run("who-can-reach", PROD_ADMIN, "-i", ACME, "-i", TRAIL, "-o", "-", "--format", "html")
    assert code == 0, err
    assert "3 calls" not in out and "not used in the window" not in out and '"usage_last"' not in out


def test_usage_folding_never_merges_used_with_unused_edges() -> None:
    g: nx.DiGraph = nx.DiGraph()
    g.graph["usage_window"] = {"accounts": {"111111111111": {}}}
    g.add_node("caller", kind="user", account="111111111111", label="caller")
    roles = [f"arn:aws:iam::111111111111:role/r{i}" for i in range(6)]
    for i, role in enumerate(roles):
        g.add_node(role, kind="role", account="111111111111", label=f"r{i}")
        g.add_edge("caller", role, kind="assume", scope="same-account",
                   **({STATE: USED, "usage_last": f"2025-06-0{i + 1}", "usage_count": 1} if i < 3 else {STATE: UNUSED}))
    out, nodes, edges, _, folded = fold_repeated(g, set(g.nodes), set(g.edges))
    assert folded == 4  # two groups of three
    states = sorted(out.edges[e][STATE] for e in edges)
    assert states == [UNUSED, USED]
    used = next(e for e in edges if out.edges[e][STATE] == USED)
    assert out.edges[used]["usage_last"] == "2025-06-03" and out.edges[used]["usage_count"] == 3
    # negative control: without use on the edges all six fold into one
    for e in g.edges:
        for key in (STATE, "usage_last", "usage_count"):
            g.edges[e].pop(key, None)
    assert fold_repeated(g, set(g.nodes), set(g.edges))[4] == 5
