"""The build cache: a command run again on the same inputs reads the graph it built last time.

An entry is a saved graph (`trustgraph.saved.store`) holding the graph as built (before --known-accounts
and --accounts-file, which are applied on every run), the snapshot and the load report, so that every
command and the load warnings work from it. Its key hashes:

- each file the input walk reads (`iter_input_files`), by path as given and by content (BLAKE2b), in
  walk order: paths are part of the result (findings and warnings name the files, later files override
  earlier ones), so the same content elsewhere is a different entry;
- inputs that do not exist, `--role-arn`, and the values given for templates and plans (`--account-id`,
  `--parameter`);
- the trustgraph version, the saved-graph format version, and the trustgraph sources themselves (a
  changed builder never reads a graph built by the old one).

Location: `$TRUSTGRAPH_CACHE_DIR`, else `$XDG_CACHE_HOME/trustgraph`, else `~/.cache/trustgraph`. The
newest `KEEP` entries are kept (a hit counts as use).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from trustgraph.load_report import LoadReport
from trustgraph.saved.store import STORE_VERSION
from trustgraph.sources.iac import IacOptions
from trustgraph.version import __version__

KEEP = 8
PREFIX = "graph-"
SUFFIX = ".tgdb"
CHUNK = 1 << 20
STALE_TEMP_S = 3600  # a temporary file older than this was left by a process that died while writing


def cache_dir() -> Path:
    explicit = os.environ.get("TRUSTGRAPH_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "trustgraph"


@cache
def code_fingerprint() -> str:
    """A digest of the trustgraph sources: entries built by other code are never read."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def cache_key(inputs: Iterable[str], role_arn: str | None, iac: IacOptions | None = None) -> str | None:
    """The entry key for these inputs, or None when a file cannot be read (the load will say why)."""
    walk = LoadReport()
    try:
        from trustgraph.sources.files import iter_input_files  # the readers load only when inputs are read
        files = [[str(path), file_digest(path)] for path in iter_input_files(inputs, walk)]
    except OSError:
        return None
    key = {"cache": 1, "trustgraph": __version__, "store": STORE_VERSION, "code": code_fingerprint(),
           "role_arn": role_arn, "files": files, "missing": walk.files_rejected,
           "iac": (iac or IacOptions()).cache_token()}
    return hashlib.blake2b(json.dumps(key, sort_keys=True).encode(), digest_size=16).hexdigest()


def inputs_digest(inputs: Iterable[str], role_arn: str | None, iac: IacOptions | None = None) -> str:
    """The inputs as a part of an organization's build sees them (`build --part`, docs/scale-out.md): each file by
    its path inside the input given (not where that is: machines hold the data in different places) and its
    content, with --role-arn, the template values and the trustgraph version and sources. Parts whose digests
    differ were not built from the same data, or not by the same code, and are not merged."""
    walk = LoadReport()
    files = []
    for given in inputs:
        root = Path(given)
        from trustgraph.sources.files import iter_input_files
        for path in iter_input_files([given], walk):
            files.append([path.relative_to(root).as_posix() if path != root else path.name, file_digest(path)])
    key = {"parts": 1, "trustgraph": __version__, "code": code_fingerprint(), "role_arn": role_arn, "files": files,
           "missing": [Path(m).name for m in walk.files_rejected], "iac": (iac or IacOptions()).cache_token()}
    return hashlib.blake2b(json.dumps(key, sort_keys=True).encode(), digest_size=16).hexdigest()


def entry_path(key: str) -> Path:
    return cache_dir() / f"{PREFIX}{key}{SUFFIX}"


def touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


def evict(keep: int = KEEP) -> None:
    """Delete all but the `keep` most recently used entries, and temporary files left by dead writers."""
    directory = cache_dir()
    try:
        entries = [(p.stat().st_mtime, p) for p in directory.glob(f"{PREFIX}*{SUFFIX}")]
        temps = [p for p in directory.glob(f".{PREFIX}*.tmp") if time.time() - p.stat().st_mtime > STALE_TEMP_S]
    except OSError:
        return
    entries.sort(reverse=True)
    for path in [p for _, p in entries[keep:]] + temps:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass
