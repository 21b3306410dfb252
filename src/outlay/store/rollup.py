"""The daily rollup: cost rows summed per UTC day and every dimension a report reads.

Reports that need no finer grain than a day read it instead of the cost rows (the compiler
decides, ``report.grain``). It saves as many rows as a day repeats the same user, model, kind
and token type: 1.8x on bench/scale.py's 10M events (every event drawn independently, its worst
case), more the busier each user's day. It is derived data, kept in step by the store: every
change to an account's cost rows recomputes that account's affected days from the cost rows,
inside the same transaction, so a reader sees both tables change together. A database from
before the rollup gets it built the first time a store opens it.

Its ``ts`` is the day's midnight (naive UTC, like the cost rows'), so the compiler's period
filter and day/week/month/quarter bins read it unchanged. Sums are DECIMAL(38, s), the type
``SUM`` of the cost rows' DECIMAL(18, s) gives, so a report sums to the same value and type on
either table; with integer units no sum can be cut.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb

from outlay.costrows import MONEY_SCALE, SCHEMA, USAGE_SCALE

TABLE = "cost_daily"
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
DDL = (
    f"CREATE TABLE {TABLE} (ts TIMESTAMP, "
    + ", ".join(f"{n} {_TYPES[str(SCHEMA.field(n).type)]}" for n in DIMENSIONS)
    + ", "
    + ", ".join(f"{n} {t}" for n, t in MEASURES.items())
    + ")"
)
#: Rows are summed this many days at a time: memory follows a day's rows, not a window's or
#: the whole history's (a sync's peak grew by a quarter summing a 30-day window at once), and
#: slices in time order leave the table sorted by day.
SLICE_DAYS = 1


def _insert(where: str) -> str:
    """Recompute the rollup rows of the cost rows matching ``where`` (whole days only)."""
    dims = ", ".join(DIMENSIONS)
    sums = ", ".join(f"SUM({n})" for n in MEASURES)
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


def refresh_range(
    con: duckdb.DuckDBPyConnection, account: str, first: datetime, last: datetime
) -> None:
    """Recompute ``account``'s rollup for every day from ``first``'s through ``last``'s.

    Each function here runs inside the caller's transaction, the one that changed the rows."""
    start, after = day_bounds(first, last)
    bounds = [account, start, after]
    con.execute(f"DELETE FROM {TABLE} WHERE account = ? AND ts >= ? AND ts < ?", bounds)
    # Slices only over the days that have rows: a window may be decades wide and all but empty.
    span = con.execute(
        f"SELECT min(ts), max(ts) FROM {SOURCE} WHERE account = ? AND ts >= ? AND ts < ?", bounds
    ).fetchone()
    if span is not None and span[0] is not None:
        _insert_slices(con, "account = ?", [account], *day_bounds(span[0], span[1]))


def refresh_days(con: duckdb.DuckDBPyConnection, account: str, days: set[date]) -> None:
    """Recompute ``account``'s rollup for these days (a seat replace touches scattered days)."""
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


def days_of(con: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> set[date]:
    """The days of the cost rows matching ``where``."""
    rows = con.execute(f"SELECT DISTINCT CAST(ts AS DATE) FROM {SOURCE} WHERE {where}", params)
    return {day for (day,) in rows.fetchall()}


def delete_account(con: duckdb.DuckDBPyConnection, account: str) -> None:
    con.execute(f"DELETE FROM {TABLE} WHERE account = ?", [account])


def exists(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
        [TABLE],
    ).fetchone()
    return bool(row and row[0])


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Create the rollup from every cost row; the caller holds the transaction."""
    con.execute(DDL)
    span = con.execute(f"SELECT min(ts), max(ts) FROM {SOURCE}").fetchone()
    if span is None or span[0] is None:
        return
    _insert_slices(con, "TRUE", [], *day_bounds(span[0], span[1]))
