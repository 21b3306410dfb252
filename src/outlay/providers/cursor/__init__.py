"""Cursor Admin API: read-only client, payload models, pure normalize, prices."""
