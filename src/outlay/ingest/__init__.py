"""Ingest: plan UTC-day windows, fetch them through a provider client, replace them atomically."""
