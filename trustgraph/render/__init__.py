"""Rendering: DOT authoring with the `graphviz` package, drawing with the Graphviz engine bundled in pygraphviz."""
