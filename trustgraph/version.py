"""The trustgraph version: a bottom-level module, so that every layer can name it without importing the API."""

__version__ = "0.1.0"
