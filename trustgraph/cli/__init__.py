"""Command-line interface: one module per command, registered on the `main` group."""

from trustgraph.cli.app import main

__all__ = ["main"]
