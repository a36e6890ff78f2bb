"""The package's version: one place, read by pyproject.toml and ``micrograd-lite --version``."""

__version__ = "0.1.0"
