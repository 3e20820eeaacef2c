"""Graph building: the trust graph as a networkx DiGraph, edges carrying their evidence."""
