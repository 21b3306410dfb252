"""Guardrails: budgets, cost alerts, anomaly detection and report digests.

Evaluation is pure (rules and cost totals in, ``AlertEvent`` out); the service records each
event once, by its stable id, together with one pending delivery per channel, and the sender
drains those deliveries.
"""
