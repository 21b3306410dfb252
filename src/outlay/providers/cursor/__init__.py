"""Cursor Admin API: read-only client, payload models, pure normalize, prices, a fake server."""
