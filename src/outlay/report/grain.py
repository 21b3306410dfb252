"""Which rows a report reads: the cost rows, the daily rollup, or the monthly rollup for the whole
months of its period with the daily rollup for the days around them.

Finer than a day, today: hour bins, and a split tag. A split cuts each cost row's share at
1e-10 USD, and the cuts of a sum are not the sum of the cuts, so the shares of summed rows
would differ from the cost rows' in the last digit. Everything else a report reads is a day
or coarser: filters name dimensions (no time of day), tag values' date bounds are whole days,
and every measure is a sum.

Finer than a month: week and day bins (a week straddles months), and a tag value with date
bounds (a bound may fall inside a month). A month-binned report over a period that starts or
ends inside a month reads those partial months' days from the daily rollup: every day is read
from exactly one rollup, so the sums are the cost rows' to the last digit. Both come from one
relation, the store's rollups tagged by grain ('M', 'D'), never from two: on ClickHouse each
relation read finds the live versions on its own, and one read sees one commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from outlay.report.intervals import month_after
from outlay.report.tags import VirtualTag

#: Bins whose every bin is a union of whole calendar months.
MONTH_BINS = frozenset({"month", "quarter", "cumulative"})


def uses_rollup(date_bin: str, chain: Sequence[VirtualTag]) -> bool:
    """Whether a report with this bin, reading these tags, can read the daily rollup."""
    return date_bin != "hour" and not any(tag.has_split for tag in chain)


def uses_monthly(date_bin: str, chain: Sequence[VirtualTag]) -> bool:
    """Whether it can read the monthly rollup for whole months."""
    dated = any(v.start is not None or v.end is not None for tag in chain for v in tag.values)
    return date_bin in MONTH_BINS and uses_rollup(date_bin, chain) and not dated


def whole_months(start: date, end: date) -> tuple[datetime, datetime] | None:
    """[first, after): the calendar months lying wholly in the days ``start``..``end``, if any."""
    first = start if start.day == 1 else month_after(start)
    after = (end + timedelta(days=1)).replace(day=1)
    if first >= after:
        return None
    return datetime.combine(first, time()), datetime.combine(after, time())


def source(
    date_bin: str,
    chain: Sequence[VirtualTag],
    start: date,
    end: date,
    *,
    rows: str,
    daily: str | None,
    monthly: str | None,
) -> tuple[str, list[Any]]:
    """The FROM of a report over the days ``start``..``end``: a table, or from ``monthly`` (both
    rollups tagged by grain, ``Facts.rolled_table``) the whole months' monthly rows beside the
    other days' daily rows (the caller's period filter keeps those to the period); and the
    parameters it binds, in text order."""
    if daily is None or not uses_rollup(date_bin, chain):
        return rows, []
    months = None
    if monthly is not None and uses_monthly(date_bin, chain):
        months = whole_months(start, end)
    if months is None:
        return daily, []
    first, after = months
    sql = (
        f"(SELECT * EXCLUDE (grain) FROM {monthly} WHERE (grain = 'M' AND ts >= ? AND ts < ?) "
        "OR (grain = 'D' AND (ts < ? OR ts >= ?))) AS rolled"
    )
    return sql, [first, after, first, after]
