"""--jobs N (docs/performance.md, "Every core"): the build may decide accounts in forked worker processes, and the
graph is the same as built in one process: every node and edge, their attributes, and the order of each node's
successors and predecessors. Inputs too small to pay for it never fork; a failed worker neither hangs the build
nor changes the graph. Each build runs in a fresh interpreter (parallel_build_run.py): a fork of this test
process would inherit the threads earlier tests left running."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.builders import benchmark_generator

ROOT = Path(__file__).resolve().parents[2]
RUN = Path(__file__).resolve().parent / "parallel_build_run.py"
ACME = ROOT / "samples" / "acme"


@pytest.fixture(scope="module")
def org40(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("jobs") / "org"
    # generate_org.py --accounts 40 --roles-per-account 40 --users-per-account 8 --style org-wide
    # --identity-center 60,8,6,80: about 500 policy groups, trust classes, Identity Center administrators
    benchmark_generator().generate(out, 40, 40, 8, 7, style="org-wide", identity_center="60,8,6,80")
    return out


def _runs(inputs: Path, *jobs: int, fail: str | None = None, task_size: int | None = None) -> list[dict[str, Any]]:
    args = [sys.executable, str(RUN), str(inputs), *(f"--jobs={j}" for j in jobs)]
    if fail:
        args.append(f"--fail={fail}")
    if task_size:
        args.append(f"--task-size={task_size}")
    # A timeout: a worker that hangs the build fails the test instead of the suite.
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_jobs_build_is_identical_to_serial(org40: Path) -> None:
    # Small tasks: each pass (trust verdicts, takeovers and policy groups, links, admin nodes' edges) forks, with
    # many task bounds; on acme (conditions, SCPs, per-principal decisions) a task is a role or an account.
    for inputs, size in ((org40, 4), (ACME, 1)):
        serial, two, three = _runs(inputs, 1, 2, 3, task_size=size)
        assert serial["forks"] == 0
        assert two["forks"] == 4 * 2 and three["forks"] == 4 * 3
        assert serial["edges"] > (5_000 if inputs == org40 else 200)
        assert two["digest"] == serial["digest"] and three["digest"] == serial["digest"]
        assert not serial["warnings"] and not two["warnings"] and not three["warnings"]
        # controls: the digest sees one attribute changed, and one successor order changed
        assert serial["attribute_changed"] != serial["digest"]
        assert serial["order_changed"] != serial["digest"]


def test_jobs_small_inputs_build_in_one_process(org40: Path) -> None:
    (acme,) = _runs(ACME, 8)
    assert acme["forks"] == 0
    assert acme["digest"] == _runs(ACME, 1)[0]["digest"]
    # control: inputs large enough do fork with the same --jobs
    assert _runs(org40, 8)[0]["forks"] > 0


@pytest.mark.parametrize("how", ["raise", "exit"])
def test_jobs_failed_worker_falls_back_to_one_process(org40: Path, how: str) -> None:
    serial, failing = _runs(org40, 1, 2, fail=how)
    assert failing["forks"] == 2
    assert failing["warnings"] and "building the rest in one process" in failing["warnings"][0]
    assert failing["digest"] == serial["digest"]
    assert not serial["warnings"]  # control: no warning where no worker ran
