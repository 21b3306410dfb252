"""outlay: a self-hosted cost platform for AI coding tools."""

__version__ = "0.1.0"
