"""The daily and monthly rollups on ClickHouse, kept in step with the versioned cost rows.

The same rows as DuckDB's (``store.rollup``: ``cost_daily``, ``cost_monthly``, the same columns
in the same order) plus a ``version``, in ``cost_daily_all`` and ``cost_monthly_all``; readers
read the views ``cost_daily`` and ``cost_monthly``, which keep only live rows:

- a daily row is live when ``(account, slot, version)`` is its slot's newest in ``live_slots``
  (the slot as for the cost rows: its day, or the seat slot for a seat row), exactly the rule
  of ``cost_rows``;
- a monthly row is live when its version is the newest among ``live_slots``'s slots of its month
  (seat rows: of the seat slot, kept apart as a month of its own).

A commit of version v (``fill``, before the one ``live_slots`` insert) writes the daily rows of
every cost row at v, then, for each month M it touches, M's monthly rows at v summed from the
daily rows M will have once the commit is live: v's for the committed days, the live ones for
M's other days (a seat commit likewise sums its own seat rows). v is newer than every version of
the account, so the single insert into ``live_slots`` makes v the newest of its days AND of
their months at once: a reader sees the old days with the old months, or the new days with the
new months. A month's newest version is the last commit that touched it, which computed it from
days no later commit changed, so every live monthly row is its live days' sum.

Rows a commit superseded are collected with the cost rows (``collect``: after ``GRACE_S``), a
monthly row by its month's newest version as the view reads it.

A report reading both (a month-binned one: whole months beside the days around them) reads
neither view: each reads ``live_slots`` on its own, and ClickHouse has no snapshot across two
reads of a table, so a commit landing between them could show new months beside old days. It
reads ``cost_rolled`` instead, both rollups' rows tagged by ``grain`` ('M', 'D'), whose live
rows come from ONE read of ``live_slots``: the newest version per (account, slot), expanded to
the day key and the month key and maxed per (grain, account, key), one IN set for both (a
report's plan builds one set where the two views built two; a test checks it). One read sees one
commit: the old months with the old days, or the new with the new. Its price: a branch's grain
is a constant the index analysis does not see, so the daily branch is pruned by the report's
period only, not to the days outside its whole months (it reads those months' ``ts`` and keys
and keeps none of their rows); DuckDB prunes both branches.
One writer per account at a time, as for the cost rows (``fill`` reads the live days of M).
"""

from __future__ import annotations

import time as _time
from datetime import date, datetime, time

from outlay.costrows import SCHEMA
from outlay.errors import StoreError
from outlay.report.dialect import literal_sql, settings_clause
from outlay.report.intervals import month_after
from outlay.store import rollup
from outlay.store.clickhouse_conn import Connector
from outlay.store.facts_api import SEAT_CATEGORY

DAILY, MONTHLY, ROLLED = rollup.TABLE, rollup.MONTHLY, rollup.ROLLED
#: How long a store opening a database waits for another process's rollup build.
BUILD_WAIT_S = 1800.0
SEAT_SLOT = date(1970, 1, 1)
#: A row's slot: its UTC day; every seat row of an account shares one (day 0).
SLOT = f"if(category = '{SEAT_CATEGORY}', toDate(0), toDate(ts))"
_LOW = {"provider", "service", "category", "token_type", "subcategory", "charge_type",
        "usage_unit"}  # fmt: skip
_TYPES = {
    "string": "String",
    "timestamp[ms]": "DateTime64(3)",
    "bool": "Bool",
    "int8": "Int8",
    "decimal64(18, 10)": "Decimal(18, 10)",
    "decimal64(18, 6)": "Decimal(18, 6)",
}
#: A cost-row measure type → the type its ``sum`` has (as DuckDB's SUM: no digit lost).
_SUM_TYPES = {"int8": "Int64", "decimal64(18, 10)": "Decimal(38, 10)",
              "decimal64(18, 6)": "Decimal(38, 6)"}  # fmt: skip
_DIMS = ", ".join(rollup.DIMENSIONS)
_SUMS = ", ".join(f"sum({n})" for n in rollup.MEASURES)
_COLUMNS = f"ts, {_DIMS}, {', '.join(rollup.MEASURES)}"
_NOT_SEAT = f"category IS DISTINCT FROM '{SEAT_CATEGORY}'"


def column(name: str, arrow_type: str) -> str:
    """The ClickHouse column of a cost-row field."""
    kind = _TYPES[arrow_type]
    if name in ("account", "ts"):
        return f"{name} {kind}"  # sort key: never NULL
    nullable = f"Nullable({kind})"
    return f"{name} LowCardinality({nullable})" if name in _LOW else f"{name} {nullable}"


def _newest(db: str, key: str) -> str:
    """Per (account, ``key`` of the slot), the newest committed version."""
    return f"(SELECT account, {key}, max(version) FROM {db}.live_slots GROUP BY account, {key})"


def _table_ddl(db: str, name: str, partition: str, *, if_missing: bool = True) -> str:
    dims = ", ".join(column(n, str(SCHEMA.field(n).type)) for n in rollup.DIMENSIONS)
    sums = ", ".join(
        f"{n} Nullable({_SUM_TYPES[str(SCHEMA.field(n).type)]})" for n in rollup.MEASURES
    )
    # Ordered and partitioned as the cost rows, for the same reads (an account's time range);
    # the monthly table has a thirtieth of the daily rows, so a partition per year is enough.
    return (
        f"CREATE TABLE {'IF NOT EXISTS ' * if_missing}{db}.{name}_all (ts DateTime64(3), "
        f"{dims}, {sums}, "
        f"version UInt64) ENGINE = MergeTree PARTITION BY {partition} ORDER BY (account, ts)"
    )


def _view_ddl(db: str, name: str, key: str) -> str:
    # For a monthly row, SLOT is its month's first day (or the seat slot): ts is a month start.
    return (
        f"CREATE VIEW IF NOT EXISTS {db}.{name} AS SELECT * EXCEPT (version) "
        f"FROM {db}.{name}_all WHERE (account, {SLOT}, version) IN {_newest(db, key)}"
    )


def _rolled_ddl(db: str) -> str:
    """Both rollups tagged by grain, their live rows found by ONE read of ``live_slots``: the
    newest version per (account, slot), expanded to both keys (the day for 'D' rows, the month
    for 'M' rows; the seat slot, 1970-01-01, is a month of its own) and maxed per key."""
    newest = (
        f"SELECT grain, account, if(grain = 'M', toStartOfMonth(slot), slot) AS key, "
        f"max(version) FROM (SELECT account, slot, max(version) AS version "
        f"FROM {db}.live_slots GROUP BY account, slot) "
        f"ARRAY JOIN ['M', 'D'] AS grain GROUP BY grain, account, key"
    )
    both = (
        f"SELECT 'M' AS grain, * FROM {db}.{MONTHLY}_all "
        f"UNION ALL SELECT 'D' AS grain, * FROM {db}.{DAILY}_all"
    )
    return (
        f"CREATE VIEW IF NOT EXISTS {db}.{ROLLED} AS SELECT * EXCEPT (version) FROM ({both}) "
        f"WHERE (grain, account, {SLOT}, version) IN ({newest})"
    )


def create(con: Connector, db: str, wait_s: float = BUILD_WAIT_S) -> None:
    """Create the rollups, built from the live cost rows if the database has none (it comes
    from before them). Of several processes opening it at once, the one whose CREATE of the
    daily table succeeds builds; the others wait up to ``wait_s`` for its last view. The view
    of both (``ROLLED``) is created for a database from before it, too."""
    if _has(con, db, MONTHLY):
        con.command(_rolled_ddl(db))
        return
    try:
        con.command(_table_ddl(db, DAILY, "toYYYYMM(ts)", if_missing=False))
    except Exception as exc:
        if "TABLE_ALREADY_EXISTS" not in str(exc):
            raise
        _wait_for_build(con, db, wait_s)
        con.command(_rolled_ddl(db))
        return
    con.command(_table_ddl(db, MONTHLY, "toYear(ts)"))
    con.command(f"TRUNCATE TABLE {db}.{MONTHLY}_all")  # of a build stopped before its daily
    _build_days(con, db)
    con.command(_view_ddl(db, DAILY, "slot"))
    _build_months(con, db)
    con.command(_rolled_ddl(db))
    # Last: its presence says the build is done.
    con.command(_view_ddl(db, MONTHLY, "toStartOfMonth(slot)"))


def _has(con: Connector, db: str, name: str) -> bool:
    found = con.arrow(
        f"SELECT name FROM system.tables WHERE database = {literal_sql(db)} "
        f"AND name = {literal_sql(name)}"
    )
    return bool(found.num_rows)


def _wait_for_build(con: Connector, db: str, wait_s: float) -> None:
    deadline = _time.monotonic() + wait_s
    while not _has(con, db, MONTHLY):
        if _time.monotonic() > deadline:
            raise StoreError(
                f"the ClickHouse rollups of {db} are being built by another process, or a build "
                f"stopped: wait for it, or if no other outlay process runs, DROP TABLE "
                f"{db}.{DAILY}_all and {db}.{MONTHLY}_all and start again (they are rebuilt)"
            )
        _time.sleep(0.5)


def _build_days(con: Connector, db: str) -> None:
    live = _newest(db, "slot")
    for first, after in _months(con, f"{db}.cost_rows_all", "TRUE"):
        con.command(
            f"INSERT INTO {db}.{DAILY}_all SELECT toStartOfDay(ts), {_DIMS}, {_SUMS}, version "
            f"FROM {db}.cost_rows_all WHERE (account, {SLOT}, version) IN {live} "
            f"AND {_between(first, after)} GROUP BY toStartOfDay(ts), {_DIMS}, version"
            + settings_clause()
        )


def _build_months(con: Connector, db: str) -> None:
    newest = (
        f"(SELECT account, toStartOfMonth(slot) AS month_slot, max(version) AS month_version "
        f"FROM {db}.live_slots GROUP BY account, month_slot)"
    )
    for first, after in _months(con, f"{db}.{DAILY}_all", "TRUE"):
        days = (
            f"(SELECT *, toStartOfMonth({SLOT}) AS month_slot FROM {db}.{DAILY} "
            f"WHERE {_between(first, after)})"
        )
        con.command(
            f"INSERT INTO {db}.{MONTHLY}_all SELECT toStartOfMonth(ts), {_DIMS}, {_SUMS}, "
            f"month_version FROM {days} AS d INNER JOIN {newest} AS m USING (account, month_slot) "
            f"GROUP BY toStartOfMonth(ts), {_DIMS}, month_version" + settings_clause()
        )


def fill(con: Connector, db: str, account: str, version: int, slots: list[date]) -> None:
    """Write the rollup rows of a commit of ``version`` over ``slots`` (not live yet)."""
    mine = f"account = {literal_sql(account)}"
    at_v = f"{mine} AND version = {version}"
    for first, after in _months(con, f"{db}.cost_rows_all", at_v):
        con.command(
            f"INSERT INTO {db}.{DAILY}_all SELECT toStartOfDay(ts), {_DIMS}, {_SUMS}, {version} "
            f"FROM {db}.cost_rows_all WHERE {at_v} AND {_between(first, after)} "
            f"GROUP BY toStartOfDay(ts), {_DIMS}" + settings_clause()
        )
    days = sorted(s for s in slots if s != SEAT_SLOT)
    if days:
        _fill_months(con, db, account, version, days)
    if SEAT_SLOT in slots:
        _insert_months(
            con, db, version, f"SELECT {_COLUMNS} FROM {db}.{DAILY}_all WHERE {at_v} AND "
            f"category = '{SEAT_CATEGORY}'",
        )  # fmt: skip


def _fill_months(con: Connector, db: str, account: str, version: int, days: list[date]) -> None:
    """Each month of ``days`` that has rows (before or after): v's days beside its other live
    days. A wide window's empty months need no rows (a month of none sums to none)."""
    mine = f"account = {literal_sql(account)} AND {_NOT_SEAT}"
    span = _between(_midnight(days[0].replace(day=1)), _midnight(month_after(days[-1])))
    touched = {d.replace(day=1) for d in days}
    found = con.arrow(
        f"SELECT DISTINCT toStartOfMonth(ts) AS m FROM (SELECT ts FROM {db}.{DAILY}_all "
        f"WHERE {mine} AND version = {version} AND {span} UNION ALL SELECT ts FROM {db}.{DAILY} "
        f"WHERE {mine} AND {span})" + settings_clause()
    )
    for first in sorted(touched & {m.as_py() for m in found["m"]}):
        after = month_after(first)
        own = ", ".join(literal_sql(d) for d in days if first <= d < after)
        month = _between(_midnight(first), _midnight(after))
        _insert_months(
            con, db, version,
            f"SELECT {_COLUMNS} FROM {db}.{DAILY}_all WHERE {mine} AND version = {version} "
            f"AND {month} UNION ALL SELECT {_COLUMNS} FROM {db}.{DAILY} WHERE {mine} AND {month} "
            f"AND toDate(ts) NOT IN ({own})",
        )  # fmt: skip


def _insert_months(con: Connector, db: str, version: int, days: str) -> None:
    con.command(
        f"INSERT INTO {db}.{MONTHLY}_all SELECT toStartOfMonth(ts), {_DIMS}, {_SUMS}, {version} "
        f"FROM ({days}) GROUP BY toStartOfMonth(ts), {_DIMS}" + settings_clause()
    )


def collect(con: Connector, db: str, account: str, cutoff_ns: int) -> None:
    """Delete rollup rows hidden by a commit older than ``cutoff_ns`` (as the cost rows')."""
    mine = f"FROM {db}.live_slots WHERE account = {literal_sql(account)}"
    for name, key in ((DAILY, "slot"), (MONTHLY, "toStartOfMonth(slot)")):
        con.command(
            f"DELETE FROM {db}.{name}_all WHERE account = {literal_sql(account)} "
            f"AND ({SLOT}, version) NOT IN (SELECT {key} AS k, max(version) {mine} GROUP BY k) "
            f"AND {SLOT} IN (SELECT {key} AS k {mine} GROUP BY k HAVING max(version) < {cutoff_ns})"
            + settings_clause()
        )


def drop(con: Connector, db: str) -> None:
    """Remove the rollups (the next store to open the database builds them): for a loader that
    writes cost rows and ``live_slots`` itself, as a bench synthesizing data in the engine."""
    con.command(f"DROP VIEW IF EXISTS {db}.{ROLLED}")
    for name in (MONTHLY, DAILY):
        con.command(f"DROP VIEW IF EXISTS {db}.{name}")
        con.command(f"DROP TABLE IF EXISTS {db}.{name}_all")


def delete_account(con: Connector, db: str, account: str) -> None:
    for name in (DAILY, MONTHLY):
        con.command(f"DELETE FROM {db}.{name}_all WHERE account = {literal_sql(account)}")


def _months(con: Connector, table: str, where: str) -> list[tuple[datetime, datetime]]:
    """[first, after) of each month ``table``'s rows matching ``where`` lie in: a fill sums one
    month at a time, so its memory follows a month's rows, not the whole history's."""
    found = con.arrow(
        f"SELECT DISTINCT toStartOfMonth(ts) AS m FROM {table} WHERE {where} ORDER BY m"
        + settings_clause()
    )
    firsts = [m.as_py() for m in found["m"]]
    return [(_midnight(f), _midnight(month_after(f))) for f in firsts]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _between(first: datetime, after: datetime) -> str:
    return f"ts >= {literal_sql(first)} AND ts < {literal_sql(after)}"
