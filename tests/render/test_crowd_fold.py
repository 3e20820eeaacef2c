"""Big one-account and one-role pictures (render/crowds.py): above CROWD_FOLD_ABOVE nodes, principals of one account
and kind with the same drawn neighbours, then the same callers, then the same targets, fold into counted nodes; at
or below it nothing folds. Every reacher of `who-can-reach` is still counted (the folded counts sum to the --json
count) and still reaches the target in the drawn graph. Checked on a generated 12-account organization with the
threshold lowered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from builders import benchmark_generator
from click.testing import CliRunner

from trustgraph.cli import main
from trustgraph.render import crowds
from trustgraph.render.dot import TITLE_LINE, title_label
from trustgraph.render.engine import _shorter_direction
from trustgraph.render.views import principals_view

BREAK_GLASS = "arn:aws:iam::100000007919:role/break-glass/BreakGlassAdmin"
MANAGEMENT = "100000000000"
LOWERED = 12


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("org12")
    benchmark_generator().generate(base / "org", 12, 10, 4, 7)  # generate_org.py --accounts 12 --roles 10 --users 4
    result = CliRunner().invoke(main, ["build", "-i", str(base / "org"), "-o", str(base / "org.tg"), "--quiet"])
    assert result.exit_code == 0, result.output
    return base / "org.tg"


def _picture(saved: Path, tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "picture.json"
    result = CliRunner().invoke(main, [*args, "--graph", str(saved), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(out.read_text()))


def _nodes(picture: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in picture["elements"].items() if k.startswith("node-")}


def _reacher_count(saved: Path) -> set[str]:
    result = CliRunner().invoke(main, ["who-can-reach", BREAK_GLASS, "--graph", str(saved), "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    return {r["principal"] for r in json.loads(result.output)["reachers"]}


def test_crowd_fold_folds_principals_routing_alike_above_the_threshold(saved: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _nodes(_picture(saved, tmp_path, "who-can-reach", BREAK_GLASS))
    monkeypatch.setattr(crowds, "CROWD_FOLD_ABOVE", LOWERED)
    picture = _picture(saved, tmp_path, "who-can-reach", BREAK_GLASS)
    drawn = _nodes(picture)
    assert len(whole) > LOWERED  # the picture is above the lowered threshold …
    assert len(drawn) < len(whole)  # … and folds
    counted = [n for n in drawn.values() if n.get("crowd")]
    assert counted and all(len(n["folded"]) >= crowds.CROWD_MIN for n in counted)
    assert "counted nodes" in picture["title"] and "who-can-reach --json lists each" in picture["title"]
    # a folded node says how many principals of which account it stands for
    assert any(" users of " in n["title"] for n in counted)


def test_crowd_fold_leaves_pictures_at_or_below_the_threshold_alone(saved: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _nodes(_picture(saved, tmp_path, "who-can-reach", BREAK_GLASS))
    monkeypatch.setattr(crowds, "CROWD_FOLD_ABOVE", len(whole))  # exactly at the threshold
    picture = _picture(saved, tmp_path, "who-can-reach", BREAK_GLASS)
    assert not any(n.get("crowd") for n in _nodes(picture).values())
    assert "counted nodes" not in picture["title"]
    assert len(_nodes(picture)) == len(whole)


def test_crowd_fold_keeps_every_reacher_counted(saved: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crowds, "CROWD_FOLD_ABOVE", LOWERED)
    reachers = _reacher_count(saved)
    drawn = _nodes(_picture(saved, tmp_path, "who-can-reach", BREAK_GLASS))
    by_id = {n["id"]: n for n in drawn.values()}  # an AWS service is drawn once per account box it is trusted in
    standing_for = [m for n in by_id.values() for m in (n.get("folded") or [n["id"]]) if m in reachers]
    assert len(standing_for) == len(set(standing_for))  # each reacher in one node only
    assert len(standing_for) == len(reachers)  # the folded counts sum to the --json count


def test_crowd_fold_keeps_who_reaches_what(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every reacher's node still has a drawn route to the target (the folded graph of the account picture)."""
    from trustgraph.analysis.reachability import who_can_reach
    from trustgraph.render.views import reachers_view
    from trustgraph.saved.serialize import read_saved

    graph = read_saved(saved).graph
    answer = who_can_reach(graph, BREAK_GLASS)
    monkeypatch.setattr(crowds, "CROWD_FOLD_ABOVE", LOWERED)
    dot = reachers_view(graph, BREAK_GLASS, answer.reachers)
    drawn: nx.DiGraph[str] = nx.DiGraph()
    element = {info["id"]: key for key, info in dot.evidence.items() if key.startswith("node-")}
    for key, info in dot.evidence.items():
        if key.startswith("edge-"):
            drawn.add_edge(element[info["from"]], element[info["to"]])
    node_of = {m: key for key, info in dot.evidence.items() if key.startswith("node-")
               for m in (info.get("folded") or [info["id"]])}
    target = node_of[BREAK_GLASS]
    assert all(nx.has_path(drawn, node_of[r.principal], target) for r in answer.reachers)


def test_crowd_fold_on_a_hub_account_after_peers_fold(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trustgraph.saved.serialize import read_saved

    graph = read_saved(saved).graph
    monkeypatch.setattr(crowds, "CROWD_FOLD_ABOVE", 10_000)
    unfolded = principals_view(graph, account=MANAGEMENT)
    monkeypatch.setattr(crowds, "CROWD_FOLD_ABOVE", LOWERED)
    folded = principals_view(graph, account=MANAGEMENT)
    assert "counted nodes" in folded.title and "who-can-reach ROLE -o" in folded.title
    assert "counted nodes" not in unfolded.title
    assert folded.turnable and not unfolded.turnable
    # the whole map is not a picture of one account or one role: it never folds here
    assert "counted nodes" not in principals_view(graph).title


def test_long_titles_break_into_lines_before_their_notes() -> None:
    short = "Paths to BreakGlass (3 alike principals folded into groups)"
    assert title_label(short) == short  # negative control: one line
    long = "Account x and what touches it" + "".join(f" (note {i} " + "x" * 40 + ")" for i in range(8))
    label = title_label(long)
    lines = label.split("\\l")[:-1]
    assert len(lines) > 1 and all(len(line) <= TITLE_LINE for line in lines)
    assert all(line.startswith("(note") for line in lines[1:])


def test_turnable_pictures_take_the_shorter_direction() -> None:
    wide = "x" * 60
    boxes = " ".join(f'n{i} [label="{wide}"];' for i in range(8))
    chain = "digraph { rankdir=LR; " + boxes + " -> ".join(f"n{i}" for i in range(8)) + " }"
    star = "digraph { rankdir=LR; " + boxes + " ".join(f"hub -> n{i};" for i in range(8)) + " }"
    assert _shorter_direction(chain) == "TB"  # a chain of wide boxes: top to bottom
    assert _shorter_direction(star) == "LR"  # a fan of wide boxes: left to right
