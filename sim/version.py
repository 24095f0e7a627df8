"""The package's version, in a module of its own so that any module can import it without
importing the package's ``__init__`` (which imports nothing of the package at start-up)."""

__version__ = "0.1.0"
