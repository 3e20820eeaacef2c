"""`python -m trustgraph`: the same as the `trustgraph` command."""

from trustgraph.cli.app import main

main(prog_name="trustgraph")
