"""Providers: one package per upstream API. Each owns its HTTP client, payload models and normalize."""
