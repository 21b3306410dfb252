"""Proof of outlay's numbers, pure: stored costs beside a provider's own totals (``spend``) and
what outlay knows of each day (``completeness``). Inputs come from the stores; nothing here
reads a clock, a setting or a file."""
