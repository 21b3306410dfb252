"""Providers: one package per upstream API, each with its HTTP client, payloads and normalize."""
