"""trustgraph: AWS IAM role trust graphs."""

__version__ = "0.1.0"
