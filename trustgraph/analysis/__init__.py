"""Analysis: questions asked of a built trust graph. Pure functions over networkx graphs."""
