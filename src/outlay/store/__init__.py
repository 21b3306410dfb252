"""Stores: the only package that runs SQL. Facts (cost rows) in DuckDB, metadata in SQLite."""
