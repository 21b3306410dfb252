"""The rollups: cost rows summed per UTC day (``cost_daily``), and those days summed per calendar
month (``cost_monthly``), over every dimension a report reads.

Reports that need no finer grain than a day read the daily rollup instead of the cost rows;
reports binned by month or coarser read the monthly one for the whole months of their period
(the compiler decides, ``report.grain``), through ``cost_rolled``: one view of both rollups'
rows, each tagged with its grain, so such a report reads one relation (what lets ClickHouse
read its live versions once, ``store.clickhouse_rollup``). A rollup saves as many rows as its
grain repeats the same user, model, kind and token type: a day saves 1.8x on bench/scale.py's
10M events (every event drawn independently, its worst case), a month 20x and more at a
1,000-seat team's density, which is what keeps a three-year report fast. Both are derived data,
kept in step by the store: every change to an account's cost rows recomputes that account's
affected days from the cost rows and then those days' months from the days, inside the same
transaction, so a reader sees all three tables change together. A database from before a
rollup gets it built the first time a store opens it.

A daily row's ``ts`` is the day's midnight, a monthly row's its month's first (naive UTC, like
the cost rows'), so the compiler's period filter and bins read them unchanged. Sums are
DECIMAL(38, s), the type ``SUM`` of the cost rows' DECIMAL(18, s) gives, so a report sums to the
same value and type on any table; with integer units no sum can be cut.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb

from outlay.costrows import MONEY_SCALE, SCHEMA, USAGE_SCALE
from outlay.report.intervals import month_after

TABLE = "cost_daily"
MONTHLY = "cost_monthly"
#: Both rollups in one relation, each row tagged with its ``grain`` ('M' monthly, 'D' daily):
#: what a month-binned report reads (whole months beside the days around them).
ROLLED = "cost_rolled"
SOURCE = "cost_rows"
#: Measure column → its type in the rollup (what SUM of the cost rows' type returns).
MEASURES: dict[str, str] = {
    "cost": f"DECIMAL(38,{MONEY_SCALE})",
    "billed_cost": f"DECIMAL(38,{MONEY_SCALE})",
    "list_cost": f"DECIMAL(38,{MONEY_SCALE})",
    "usage_amount": f"DECIMAL(38,{USAGE_SCALE})",
    "event_count": "BIGINT",
}
#: Every column a report groups or filters by: all of the cost row but the sub-day timestamp,
#: the display name (no report reads it) and the measures.
DIMENSIONS: tuple[str, ...] = tuple(
    n for n in SCHEMA.names if n not in ("ts", "resource_name", *MEASURES)
)
_TYPES = {"string": "VARCHAR", "bool": "BOOLEAN"}


def _ddl(table: str) -> str:
    return (
        f"CREATE TABLE {table} (ts TIMESTAMP, "
        + ", ".join(f"{n} {_TYPES[str(SCHEMA.field(n).type)]}" for n in DIMENSIONS)
        + ", "
        + ", ".join(f"{n} {t}" for n, t in MEASURES.items())
        + ")"
    )


DDL = _ddl(TABLE)
MONTHLY_DDL = _ddl(MONTHLY)
#: Made at open when missing (not replaced: every CLI command would write the catalog); a
#: release that changes the rollups' columns replaces it.
ROLLED_DDL = (
    f"CREATE VIEW IF NOT EXISTS {ROLLED} AS SELECT 'M' AS grain, * FROM {MONTHLY} "
    f"UNION ALL SELECT 'D' AS grain, * FROM {TABLE}"
)
#: Rows are summed this many days at a time: memory follows a day's rows, not a window's or
#: the whole history's (a sync's peak grew by a quarter summing a 30-day window at once), and
#: slices in time order leave the table sorted by day.
SLICE_DAYS = 1


def _insert(where: str, *, into: str = TABLE) -> str:
    """Recompute the rollup rows of the rows matching ``where``: days from the cost rows, or
    months from the days (``into=MONTHLY``; whole months only)."""
    dims = ", ".join(DIMENSIONS)
    sums = ", ".join(f"SUM({n})" for n in MEASURES)
    if into == MONTHLY:
        return (
            f"INSERT INTO {MONTHLY} SELECT date_trunc('month', ts), {dims}, {sums} "
            f"FROM {TABLE} WHERE {where} GROUP BY ALL"
        )
    return (
        f"INSERT INTO {TABLE} SELECT CAST(CAST(ts AS DATE) AS TIMESTAMP), {dims}, {sums} "
        f"FROM {SOURCE} WHERE {where} GROUP BY ALL"
    )


def _insert_slices(
    con: duckdb.DuckDBPyConnection, where: str, params: list[Any], start: datetime, after: datetime
) -> None:
    """Sum the cost rows matching ``where`` in [start, after), ``SLICE_DAYS`` at a time."""
    while start < after:
        end = min(after, start + timedelta(days=SLICE_DAYS))
        con.execute(_insert(f"{where} AND ts >= ? AND ts < ?"), [*params, start, end])
        start = end


def day_bounds(first: datetime, last: datetime) -> tuple[datetime, datetime]:
    """Midnight of ``first``'s day and of the day after ``last``'s: the days they touch."""
    return (
        datetime.combine(first.date(), time()),
        datetime.combine(last.date() + timedelta(days=1), time()),
    )


def month_start(day: date) -> date:
    return day.replace(day=1)


def refresh_range(
    con: duckdb.DuckDBPyConnection, account: str, first: datetime, last: datetime
) -> None:
    """Recompute ``account``'s rollups for every day from ``first``'s through ``last``'s.

    Each function here runs inside the caller's transaction, the one that changed the rows."""
    start, after = day_bounds(first, last)
    bounds = [account, start, after]
    # The months that had rows, and (below) those that have them now: a window may be decades
    # wide and all but empty.
    months = _months_of(con, MONTHLY, [account, month_start(start.date()), after])
    con.execute(f"DELETE FROM {TABLE} WHERE account = ? AND ts >= ? AND ts < ?", bounds)
    span = con.execute(
        f"SELECT min(ts), max(ts) FROM {SOURCE} WHERE account = ? AND ts >= ? AND ts < ?", bounds
    ).fetchone()
    if span is not None and span[0] is not None:
        _insert_slices(con, "account = ?", [account], *day_bounds(span[0], span[1]))
        months |= _months_of(con, TABLE, bounds)
    refresh_months(con, account, months)


def refresh_days(
    con: duckdb.DuckDBPyConnection, account: str, days: set[date], *, months: bool = True
) -> None:
    """Recompute ``account``'s rollups for these days (a seat replace touches scattered days);
    ``months=False`` leaves their months to the caller."""
    if not days:
        return
    start, after = day_bounds(
        datetime.combine(min(days), time()), datetime.combine(max(days), time())
    )
    # The range lets the engine skip row groups; the list picks the days inside it.
    where = "account = ? AND ts >= ? AND ts < ? AND list_contains(?, CAST(ts AS DATE))"
    bounds = [account, start, after, sorted(days)]
    con.execute(f"DELETE FROM {TABLE} WHERE {where}", bounds)
    con.execute(_insert(where), bounds)
    if months:
        refresh_months(con, account, {month_start(d) for d in days})


def refresh_months(con: duckdb.DuckDBPyConnection, account: str, months: set[date]) -> None:
    """Recompute ``account``'s monthly rows of these months (their first days) from its days."""
    for first in sorted(months):
        bounds = [account, first, month_after(first)]
        con.execute(f"DELETE FROM {MONTHLY} WHERE account = ? AND ts >= ? AND ts < ?", bounds)
        con.execute(_insert("account = ? AND ts >= ? AND ts < ?", into=MONTHLY), bounds)


def _months_of(con: duckdb.DuckDBPyConnection, table: str, bounds: list[Any]) -> set[date]:
    """The first days of the months of ``table``'s rows of an account in [start, after)."""
    rows = con.execute(
        f"SELECT DISTINCT CAST(date_trunc('month', ts) AS DATE) FROM {table} "
        "WHERE account = ? AND ts >= ? AND ts < ?",
        bounds,
    )
    return {first for (first,) in rows.fetchall()}


def days_of(con: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> set[date]:
    """The days of the cost rows matching ``where``."""
    rows = con.execute(f"SELECT DISTINCT CAST(ts AS DATE) FROM {SOURCE} WHERE {where}", params)
    return {day for (day,) in rows.fetchall()}


def delete_account(con: duckdb.DuckDBPyConnection, account: str) -> None:
    for table in (TABLE, MONTHLY):
        con.execute(f"DELETE FROM {table} WHERE account = ?", [account])


def missing(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The rollup tables this database lacks, daily first."""
    found = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
        ).fetchall()
    }
    return [t for t in (TABLE, MONTHLY) if t not in found]


def build(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...] = (TABLE, MONTHLY)) -> None:
    """Create ``tables`` (daily before monthly) from the rows below them; the caller holds the
    transaction."""
    if TABLE in tables:
        con.execute(DDL)
        span = con.execute(f"SELECT min(ts), max(ts) FROM {SOURCE}").fetchone()
        if span is not None and span[0] is not None:
            _insert_slices(con, "TRUE", [], *day_bounds(span[0], span[1]))
    if MONTHLY in tables:
        con.execute(MONTHLY_DDL)
        span = con.execute(f"SELECT min(ts), max(ts) FROM {TABLE}").fetchone()
        if span is not None and span[0] is not None:
            first, last = month_start(span[0].date()), month_start(span[1].date())
            while first <= last:  # a month at a time: memory follows a month's daily rows
                after = month_after(first)
                con.execute(_insert("ts >= ? AND ts < ?", into=MONTHLY), [first, after])
                first = after
