"""Imports every command module so that each registers itself on `main`."""

# One import per command module; keep sorted.
from trustgraph.cli import (  # noqa: F401
    build_cmd,
    collect_cmd,
    explain_cmd,
    findings_cmd,
    map_cmd,
    path_cmd,
    reach_cmd,
    review_cmd,
    who_can_reach_cmd,
)
