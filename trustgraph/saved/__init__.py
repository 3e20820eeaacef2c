"""Saved graphs: the graph, its snapshot and load report in one SQLite file (`build -o`, the build cache)."""
