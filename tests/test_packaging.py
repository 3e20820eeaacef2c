"""The distribution as a user installs it: the wheel is built from the source, installed into a fresh environment,
and its `trustgraph` command and `python -m trustgraph` run from there, not from the source tree.

The wheel is built without build isolation and installed without dependencies (`setuptools>=77` comes with the
test extra), so no network is needed: the fresh environment sees the test environment's packages through a
`.pth` file, as its dependencies.
"""

from __future__ import annotations

import email.parser
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from trustgraph.version import __version__

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = "iam-trustgraph"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A copy of what the source distribution holds: building in place would leave build/ and *.egg-info in it.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "trustgraph", source / "trustgraph", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "-q", "-w", str(out), str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, f"pip wheel failed (setuptools>=77 is in the test extra):\n{built.stderr}"
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with the wheel installed; its dependencies are the test environment's packages."""
    env = tmp_path_factory.mktemp("env") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    python = env / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    paths = sysconfig.get_paths()
    parents = dict.fromkeys([*site.getsitepackages(), paths["purelib"], paths["platlib"]])
    # Listed after the environment's own site-packages: the wheel's `trustgraph` comes first. (A .pth line adds a
    # directory but not the .pth files in it, so an editable install of the source tree there stays out.)
    (Path(purelib) / "parent_environment.pth").write_text("".join(f"{p}\n" for p in parents))
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                           "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return env


def _run(env: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(list(args), capture_output=True, text=True, cwd=cwd, env=clean, timeout=120)


def test_the_wheel_is_named_iam_trustgraph_and_holds_its_data_files(wheel: Path) -> None:
    assert wheel.name.startswith("iam_trustgraph-")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode())
        entry_points = archive.read(metadata_name.replace("METADATA", "entry_points.txt")).decode()
    assert metadata["Name"] == DISTRIBUTION and metadata["Version"] == __version__
    assert metadata["License-Expression"] == "Apache-2.0"
    assert "trustgraph = trustgraph.cli:main" in entry_points
    assert "trustgraph/py.typed" in names and "trustgraph/__main__.py" in names
    assets = {p.relative_to(ROOT).as_posix() for p in (ROOT / "trustgraph/render/explorer").iterdir()
              if p.suffix in (".css", ".js")}
    assert assets and assets <= names
    # Negative control: what is not package data stays out (the tests, the samples, caches).
    assert not any(n.startswith(("tests/", "samples/")) or "__pycache__" in n for n in names)


def test_the_installed_command_runs_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    version = _run(installed, str(installed / "bin" / "trustgraph"), "--version", cwd=tmp_path)
    assert version.returncode == 0 and __version__ in version.stdout, version.stderr
    usage = _run(installed, str(installed / "bin" / "python"), "-m", "trustgraph", "--help", cwd=tmp_path)
    assert usage.returncode == 0 and "Usage: trustgraph" in usage.stdout, usage.stderr
    where = _run(installed, str(installed / "bin" / "python"), "-c",
                 "import trustgraph, importlib.metadata as m; print(trustgraph.__file__); print(m.version("
                 f"'{DISTRIBUTION}'))", cwd=tmp_path)
    module, version_line = where.stdout.split()
    assert Path(module).is_relative_to(installed), module  # the wheel's copy, not the source tree
    assert not Path(module).is_relative_to(ROOT)
    assert version_line == __version__
