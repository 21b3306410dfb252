"""Named date ranges, resolved against "today" (a UTC date the caller passes in)."""

from __future__ import annotations

from datetime import date, timedelta

from outlay.errors import InputError

INTERVALS = (
    "this_month",
    "last_month",
    "last_7_days",
    "last_14_days",
    "last_30_days",
    "last_3_months",
    "last_6_months",
    "last_12_months",
    "year_to_date",
    "billing_cycle_to_date",
)


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def resolve_interval(name: str, today: date, cycle_day: int = 1) -> tuple[date, date]:
    """Inclusive (start, end) of a named interval. "last N months" end today and start the day
    after the same date N months ago; ``billing_cycle_to_date`` starts on the most recent
    ``cycle_day`` of a month."""
    month_start = today.replace(day=1)
    if name == "this_month":
        return month_start, today
    if name == "last_month":
        end = month_start - timedelta(days=1)
        return end.replace(day=1), end
    if name in ("last_7_days", "last_14_days", "last_30_days"):
        days = int(name.split("_")[1])
        return today - timedelta(days=days - 1), today
    if name in ("last_3_months", "last_6_months", "last_12_months"):
        months = int(name.split("_")[1])
        return months_before(today, months) + timedelta(days=1), today
    if name == "year_to_date":
        return today.replace(month=1, day=1), today
    if name == "billing_cycle_to_date":
        start = today.replace(day=min(cycle_day, 28))
        if start > today:
            start = months_before(start, 1)
        return start, today
    raise InputError(f"unknown interval {name!r}; use one of {', '.join(INTERVALS)}")
