"""Parsing dates typed on the command line."""

from __future__ import annotations

from datetime import date

from outlay.errors import InputError
from outlay.report.options import parse_day as parse_iso_day
from outlay.report.spec import FIRST_DAY, LAST_DAY


def parse_day(text: str, option: str) -> date:
    """A day within the range reports accept: outside it, a date is a typo (and day arithmetic
    near year 1 or 9999 overflows)."""
    day = parse_iso_day(text, option)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(
            f"{option} {day} is out of range; use a day from {FIRST_DAY} to {LAST_DAY}"
        )
    return day
