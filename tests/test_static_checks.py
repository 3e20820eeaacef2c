"""The linter and the type checker pass over the repository, with the settings in pyproject.toml.

Both run as the tools themselves would on a developer's machine (same interpreter, repository root as the
working directory), so a failure here reads exactly like their own output. A missing tool skips: the test extra
installs both, and a checkout without them can still run the rest of the suite.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(tool) is None:
        pytest.skip(f"{tool} is not installed (pip install -e '.[test]')")
    return subprocess.run([sys.executable, "-m", tool, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def test_ruff_check_passes() -> None:
    done = _run("ruff", "check", "--no-fix", ".")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_mypy_passes() -> None:
    done = _run("mypy")  # files and settings from [tool.mypy]
    assert done.returncode == 0, done.stdout + done.stderr
