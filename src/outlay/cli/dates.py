"""Parsing dates typed on the command line."""

from __future__ import annotations

from datetime import date

from outlay.errors import InputError


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{option} {text!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-31"
        ) from None
