"""`python -m trustgraph.cli`: the same as the `trustgraph` console script."""

from trustgraph.cli.app import main

main(prog_name="trustgraph")
