"""notebooks/trust-review.ipynb: re-executed from scratch, so the committed walkthrough can never rot.

Regenerate the committed outputs after a change to the notebook or to what it shows:

    python tests/test_notebook.py --write
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "trust-review.ipynb"
MAX_BYTES = 1_500_000
# What the Graphviz bundled in pygraphviz prints about the machine, not the picture (its fontconfig does not
# know newer elements of the system's font configuration). trustgraph.render.engine filters it on a
# terminal; under ipykernel it reaches the cell output. Dropped from the committed copy only.
MACHINE_NOISE = re.compile(r"^Fontconfig (warning|error):")


def execute(path: Path = NOTEBOOK):  # type: ignore[no-untyped-def]
    """Run every cell in a fresh kernel of this interpreter, with notebooks/ as the working directory."""
    from ipykernel.kernelspec import install

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as prefix:
        # A "python3" kernelspec for *this* interpreter, found first (JUPYTER_PATH wins over user and system
        # kernelspecs, which may point at another Python without trustgraph).
        install(kernel_name="python3", prefix=prefix)
        saved = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = str(Path(prefix, "share", "jupyter"))
        try:
            client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=300, record_timing=False,
                                             resources={"metadata": {"path": str(path.parent)}})
            client.execute()
        finally:
            if saved is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = saved
    return nb


def outputs_of(nb, cell_id: str) -> list:  # type: ignore[no-untyped-def]
    cells = [c for c in nb.cells if c.get("id") == cell_id]
    assert cells, f"no cell {cell_id!r} in the notebook"
    return cells[0].get("outputs", [])


def text_of(outputs: list) -> str:
    parts = []
    for out in outputs:
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        for mime in ("text/plain", "text/html", "image/svg+xml"):
            value = out.get("data", {}).get(mime)
            if value:
                parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


def markdown_of(outputs: list) -> str:
    return "\n".join(o.get("data", {}).get("text/markdown", "") for o in outputs)


@pytest.fixture(scope="module")
def executed():  # type: ignore[no-untyped-def]
    return execute()


@pytest.mark.slow
def test_every_cell_runs(executed) -> None:  # type: ignore[no-untyped-def]
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code)
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors


@pytest.mark.slow
def test_key_answers(executed) -> None:  # type: ignore[no-untyped-def]
    load = text_of(outputs_of(executed, "load"))
    assert "read 9 file(s)" in load and "(0 diagnostics)" in load

    accounts = text_of(outputs_of(executed, "accounts"))
    assert "acme-prod" in accounts and "Workloads / Prod" in accounts
    assert "DenyExternalExceptVendors" in text_of(outputs_of(executed, "policies"))

    outside = text_of(outputs_of(executed, "outside"))
    assert "999988887777:root" in outside and "Datadog" in outside and "GitHubActionsLegacy" in outside
    assert "OldConsultant" not in outside  # the RCP removes it

    reach = outputs_of(executed, "reach")
    html = "".join(o.get("data", {}).get("text/html", "") for o in reach)
    assert "<table>" in html and "333333333333:role/ci/CIPipeline" in html
    assert "CIPipeline → ProdDeployer → ProdAdmin → BreakGlass" in html
    summary = text_of(outputs_of(executed, "reach-summary"))
    assert "333333333333:role/ci/CIPipeline (role, 3 hops)" in summary and "11 without any condition" in summary

    for cell in ("paths", "map"):
        svgs = [o["data"]["image/svg+xml"] for o in outputs_of(executed, cell) if "image/svg+xml" in o.get("data", {})]
        assert svgs and "<svg" in svgs[0], f"no inline SVG in cell {cell!r}"
    assert "CIPipeline" in text_of(outputs_of(executed, "paths"))

    # The overview first, right after loading: the auto-picked view (principals for Acme) with the marks.
    ids = [c.get("id") for c in executed.cells]
    assert ids.index("map") == ids.index("load") + 2
    overview = text_of(outputs_of(executed, "map"))
    assert "sensitive role (admin-equivalent, tagged or --sensitive)" in overview
    assert "BreakGlass" in overview
    # Prose computed from the data, not written for Acme.
    summary = markdown_of(outputs_of(executed, "summary"))
    assert "**6 accounts** in **5 OUs**" in summary and "**13 sensitive roles**" in summary
    assert "principals** view" in summary and "2 critical" in summary
    notes = markdown_of(outputs_of(executed, "outside-notes"))
    assert "LegacyMonitoring` ← `999988887777:root`" in notes
    conclusion = markdown_of(outputs_of(executed, "conclusion"))
    assert "GitHubActionsLegacy" in conclusion and "444444444444:role/BreakGlass" in conclusion
    prose = "".join("".join(c.source) for c in executed.cells if c.cell_type == "markdown")
    for name in ("LegacyMonitoring", "OldConsultant", "CIPipeline", "Datadog"):
        assert name not in prose, f"{name!r} hard-coded in the notebook's prose"

    findings = text_of(outputs_of(executed, "findings"))
    assert "<table>" in findings and "TG201" in findings and "GitHubActionsLegacy" in findings
    assert "444444444444:role/BreakGlass" in findings
    assert "repo:OWNER/REPOSITORY" in text_of(outputs_of(executed, "fix"))


def test_committed_notebook_reads_on_github() -> None:
    """Committed with outputs (what GitHub shows), small, and without machine-specific paths."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "commit the notebook executed, with its outputs"
    assert all(c.get("outputs") for c in code if c.get("id") in ("load", "map", "summary", "reach", "paths", "findings",
                                                                 "conclusion"))
    assert NOTEBOOK.stat().st_size < MAX_BYTES
    raw = NOTEBOOK.read_text(encoding="utf-8")
    for leak in (str(ROOT), "/tmp/", "iopub.execute_input"):
        assert leak not in raw, f"{leak!r} in the committed notebook"
    svgs = [o for c in code for o in c.get("outputs", []) if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) >= 2
    streams = [o.get("text", "") for c in code for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not streams, f"stderr in the committed notebook: {streams}"


def normalize(cell) -> None:  # type: ignore[no-untyped-def]
    """Deterministic outputs: one stream output per run of same-name chunks (the kernel splits them at
    random), without the machine-specific stderr lines."""
    merged: list = []
    for out in cell.get("outputs", []):
        last = merged[-1] if merged else {}
        if out.get("output_type") == "stream" and last.get("output_type") == "stream" and last["name"] == out["name"]:
            last["text"] += out["text"]
        else:
            merged.append(out)
    for out in merged:
        if out.get("output_type") == "stream" and out["name"] == "stderr":
            out["text"] = "".join(line for line in out["text"].splitlines(keepends=True)
                                  if not MACHINE_NOISE.match(line))
    cell.outputs = [o for o in merged if o.get("output_type") != "stream" or o["text"]]


def main() -> None:
    if sys.argv[1:] != ["--write"]:
        sys.exit(f"usage: {sys.argv[0]} --write   (re-execute {NOTEBOOK.relative_to(ROOT)} and save its outputs)")
    nb = execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            normalize(cell)
    nbformat.validate(nb)
    nbformat.write(nb, NOTEBOOK)
    print(f"wrote {NOTEBOOK.relative_to(ROOT)} ({NOTEBOOK.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
