"""Named date ranges, resolved against "today" (a UTC date the caller passes in).

The rules a finance team expects (Vantage's), every range inclusive:

- ``this_month``: the 1st of this month to today.
- ``last_month``: the whole previous calendar month.
- ``last_7_days`` / ``last_14_days`` / ``last_30_days``: rolling, the N days ending today.
- ``last_3_months`` / ``last_6_months`` / ``last_12_months``: the N whole calendar months before
  this one; this month's partial days are not in them.
- ``year_to_date``: January 1st to today.
- ``billing_cycle_to_date``: the most recent cycle day (``OUTLAY_BILLING_CYCLE_DAY``) to today.

The previous period of a comparison (``previous_range``) keeps the range's kind: whole months
are compared with as many whole months right before; a "to date" range with the same days of
the period before (this month's first 15 days with last month's first 15, this year's with
last year's; one that ends on a month's last day, through that month's end); anything else
with the same number of days right before.
"""

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
#: "To date" intervals → how many months back the same days of the period before are.
_TO_DATE_MONTHS = {"this_month": 1, "year_to_date": 12, "billing_cycle_to_date": 1}


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


def month_after(day: date) -> date:
    """The 1st of the month after ``day``'s."""
    return months_before(day.replace(day=1), -1)


def resolve_interval(name: str, today: date, cycle_day: int = 1) -> tuple[date, date]:
    """Inclusive (start, end) of a named interval (the rules are in the module's docstring)."""
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
        return months_before(month_start, months), month_start - timedelta(days=1)
    if name == "year_to_date":
        return today.replace(month=1, day=1), today
    if name == "billing_cycle_to_date":
        start = today.replace(day=min(cycle_day, 28))
        if start > today:
            start = months_before(start, 1)
        return start, today
    raise InputError(f"unknown interval {name!r}; use one of {', '.join(INTERVALS)}")


def whole_months(start: date, end: date) -> int | None:
    """How many whole calendar months ``start``..``end`` covers, or None if it is not whole
    months (it must start on a 1st and end on a month's last day)."""
    if start.day != 1 or (end + timedelta(days=1)).day != 1 or end < start:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def previous_range(interval: str | None, start: date, end: date) -> tuple[date, date]:
    """The period a ``compare=previous`` report sets beside ``start``..``end``."""
    if interval in _TO_DATE_MONTHS:
        back = _TO_DATE_MONTHS[interval]
        last = months_before(end, back)
        if (end + timedelta(days=1)).day == 1:  # a month's last day: that month's last day
            last = months_before(end + timedelta(days=1), back) - timedelta(days=1)
        return months_before(start, back), min(last, start - timedelta(days=1))
    months = whole_months(start, end)
    if months is not None:
        return months_before(start, months), start - timedelta(days=1)
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)
