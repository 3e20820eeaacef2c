"""Imports every command module so that each registers itself on `main`."""

# One import per command module; keep sorted.
from trustgraph.cli import collect_cmd  # noqa: F401
