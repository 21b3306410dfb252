"""Cost rows in ClickHouse (a server, or chDB in this process).

Schema. ``cost_rows_all`` is a MergeTree ordered by ``(account, ts)`` and partitioned by month of
``ts``: every report and every sync reads one time range of a few accounts, so the sort key lets
ClickHouse skip all but those accounts' granules, and the month partitions let it skip whole
months (and keep parts few: about twelve a year, each merged on its own). Money is Decimal(18, 10)
and usage Decimal(18, 6), as in DuckDB; sums are Decimal(38, s); no float anywhere.

Atomic window replace. ClickHouse has no transaction over a DELETE and an INSERT, and a window
spans partitions (so ``REPLACE PARTITION`` of each would flip them one at a time). Instead rows
carry a ``version``, and readers see only live versions: ``cost_rows`` is a view that keeps a
row when ``(account, slot, version)`` is in ``live_slots``'s newest version per (account, slot),
where the slot is the row's UTC day (seat rows share one slot per account, day 1970-01-01, and
are replaced by ``replace_seats`` on their own). A replace:

1. inserts the staged rows with a new version v (invisible: no slot says v yet);
2. copies, with version v, the live rows of the window's first and last day that lie outside
   the window (the window rarely starts at midnight; those rows must survive);
3. commits by inserting one ``live_slots`` row per day of the window, all with version v, in ONE
   insert into an unpartitioned table: one block, one part, visible all at once. A reader's set
   of live versions is taken either before it (the old rows, still there) or after (the new
   ones, all there): never half a window, never both.
4. Rows a commit superseded are deleted only once that commit is older than a grace period
   (``GRACE_S``, past any query's time limit), so no reader that saw the old slots is still
   scanning.

Rollups. ``cost_daily`` and ``cost_monthly`` (``store.clickhouse_rollup``) are versioned the
same way: before step 3, ``_commit`` writes the commit's daily rows and its months' monthly
rows at version v, and their views read them through ``live_slots``, so step 3 flips the cost
rows, the days and the months together (that module's docstring gives the argument).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from outlay.costrows import SCHEMA
from outlay.errors import InputError, StoreError
from outlay.report.dialect import CLICKHOUSE, literal_sql, settings_clause
from outlay.report.intervals import month_after
from outlay.store import clickhouse_rollup
from outlay.store.clickhouse_conn import Connector, connect, versioned
from outlay.store.clickhouse_rollup import SEAT_SLOT, SLOT, column
from outlay.store.facts_api import SEAT_CATEGORY, TABLE, QueryResult, SharedFacts, ms_to_ts
from outlay.store.staging import StagedWindow

#: A FOCUS export's time bound (reports have ``timeout_s``; an export may take minutes).
EXPORT_TIMEOUT_S = 3600.0
#: Superseded rows stay this long after the commit that hid them (readers may still scan them).
GRACE_S = 600.0


def _sql(value: Any) -> str:
    return literal_sql(value)


class ClickHouseFacts(SharedFacts):
    """Cost rows in ClickHouse; the same operations as ``DuckDBFacts``."""

    dialect = CLICKHOUSE
    #: The rollups it keeps in step with the cost rows (``store.clickhouse_rollup``).
    rollup_table: str | None = clickhouse_rollup.DAILY
    monthly_table: str | None = clickhouse_rollup.MONTHLY
    #: Both, tagged by grain, their live rows found in one read (what month bins read).
    rolled_table: str | None = clickhouse_rollup.ROLLED

    def __init__(
        self,
        url: str,
        staging: Path,
        *,
        memory_mb: int = 1024,
        timeout_s: float = 30.0,
        grace_s: float = GRACE_S,
        build_wait_s: float = clickhouse_rollup.BUILD_WAIT_S,
    ) -> None:
        self.memory_mb, self.timeout_s = memory_mb, timeout_s
        self._grace_s = grace_s
        self._staging = staging
        self._con: Connector = connect(url)
        self._db = self._con.database
        #: Per account, the version ``append`` writes until ``commit_copy`` makes it live.
        self._copy_version: dict[str, int] = {}
        self._create()
        clickhouse_rollup.create(self._con, self._db, build_wait_s)

    def _create(self) -> None:
        columns = ", ".join(column(f.name, str(f.type)) for f in SCHEMA)
        db = self._db
        self._con.command(f"CREATE DATABASE IF NOT EXISTS {db}")
        self._con.command(
            f"CREATE TABLE IF NOT EXISTS {db}.cost_rows_all ({columns}, version UInt64) "
            "ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (account, ts)"
        )
        self._con.command(
            f"CREATE TABLE IF NOT EXISTS {db}.live_slots "
            "(account String, slot Date, version UInt64) "
            "ENGINE = MergeTree ORDER BY (account, slot)"
        )
        self._con.command(
            f"CREATE VIEW IF NOT EXISTS {db}.{TABLE} AS SELECT * EXCEPT (version) "
            f"FROM {db}.cost_rows_all WHERE (account, {SLOT}, version) IN "
            f"(SELECT account, slot, max(version) FROM {db}.live_slots GROUP BY account, slot)"
        )

    def close(self) -> None:
        self._con.close()

    # -- reads -------------------------------------------------------------------------------

    def _settings(self, memory_mb: int | None = None) -> str:
        return settings_clause(
            max_memory_usage=int(memory_mb or self.memory_mb) * 1024 * 1024,
            max_execution_time=float(self.timeout_s),
        )

    def _read(self, sql: str, params: Sequence[Any]) -> pa.Table:
        text = CLICKHOUSE.translate(sql, params, database=self._db) + self._settings()
        try:
            table = self._con.arrow(text)
        except Exception as exc:
            raise _error(exc, self.timeout_s, self.memory_mb) from exc
        return _naive(table)

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        return self._read(sql, params)

    def query(self, sql: str, params: Sequence[Any] = ()) -> QueryResult:
        table = self._read(sql, params)
        return QueryResult(table.column_names, [tuple(r.values()) for r in table.to_pylist()])

    def export(self, sql: str, params: Sequence[Any], path: Path, fmt: str) -> int:
        """Stream a query's rows into ``path`` as ``csv`` or ``parquet``, the bytes DuckDB's
        export writes; under the store's memory limit, whole or not at all
        (``clickhouse_export``). Not under the report time limit: an export of years of rows
        takes minutes, as on DuckDB; ``EXPORT_TIMEOUT_S`` only stops a runaway one."""
        from outlay.store.clickhouse_export import export_rows

        text = CLICKHOUSE.translate(sql, params, database=self._db)
        return export_rows(
            self._con, text, path, fmt, memory_mb=self.memory_mb,
            timeout_s=max(self.timeout_s, EXPORT_TIMEOUT_S), spool=self._staging / "export",
        )  # fmt: skip

    def batches(self, account: str) -> Iterator[pa.RecordBatch]:
        """Every live row of ``account`` in Arrow batches (what ``outlay db copy`` moves)."""
        for start, end in self._months(account):
            table = self._read(
                f"SELECT * FROM {TABLE} WHERE account = ? AND ts >= ? AND ts < ?",
                [account, start, end],
            )
            yield from table.cast(SCHEMA).to_batches()

    def _months(self, account: str) -> list[tuple[datetime, datetime]]:
        found = self.query(
            f"SELECT DISTINCT CAST(date_trunc('month', ts) AS DATE) FROM {TABLE} "
            "WHERE account = ? ORDER BY 1",
            [account],
        )
        firsts = [datetime.combine(d, datetime.min.time()) for (d,) in found.rows]
        return [(f, datetime.combine(month_after(f.date()), f.time())) for f in firsts]

    # -- writes ------------------------------------------------------------------------------

    def _version(self, account: str) -> int:
        newest = self._con.arrow(
            f"SELECT max(version) AS v FROM {self._db}.live_slots WHERE account = {_sql(account)}"
        )
        return max(time.time_ns(), int(newest["v"][0].as_py() or 0) + 1)

    def replace_window(self, account: str, start_ms: int, end_ms: int, staged: StagedWindow) -> int:
        """Make the staged rows the account's only rows in [start_ms, end_ms]; all or nothing."""
        staged.finish()
        start, end = ms_to_ts(start_ms), ms_to_ts(end_ms)
        self._collect(account)
        version = self._version(account)
        table = f"{self._db}.cost_rows_all"
        if staged.rows:
            self._con.insert_parquet(table, staged.path, version)
        window = {
            start.date() + timedelta(days=n) for n in range((end.date() - start.date()).days + 1)
        }
        # Staged rows outside the window stay beside the rows already there (as on DuckDB):
        # their days are replaced too, carrying every row of theirs over.
        days = sorted(window | _staged_days(staged))
        edges = sorted({min(window), max(window)} | (set(days) - window))
        self._con.command(
            f"INSERT INTO {table} SELECT *, {version} FROM {self._db}.{TABLE} "
            f"WHERE account = {_sql(account)} AND category IS DISTINCT FROM '{SEAT_CATEGORY}' "
            f"AND toDate(ts) IN ({', '.join(_sql(d) for d in edges)}) "
            f"AND (ts < {_sql(start)} OR ts > {_sql(end)})" + settings_clause()
        )
        self._commit(account, days, version)
        return staged.rows

    def replace_seats(self, account: str, rows: pa.Table) -> int:
        self._collect(account)
        version = self._version(account)
        if rows.num_rows:
            self._con.insert_arrow(
                f"{self._db}.cost_rows_all", versioned(rows.cast(SCHEMA), version)
            )
        self._commit(account, [SEAT_SLOT], version)
        return int(rows.num_rows)

    def _commit(self, account: str, slots: list[date], version: int) -> None:
        clickhouse_rollup.fill(self._con, self._db, account, version, slots)
        # The one statement that flips the window (its rollup rows too): a single block into an
        # unpartitioned table.
        values = ", ".join(f"({_sql(account)}, {_sql(s)}, {version})" for s in slots)
        self._con.command(f"INSERT INTO {self._db}.live_slots VALUES {values}")

    def _collect(self, account: str) -> None:
        """Delete the account's rows hidden by a commit older than ``GRACE_S``."""
        cutoff = time.time_ns() - int(self._grace_s * 1e9)
        mine = f"FROM {self._db}.live_slots WHERE account = {_sql(account)} GROUP BY slot"
        self._con.command(
            f"DELETE FROM {self._db}.cost_rows_all WHERE account = {_sql(account)} "
            f"AND ({SLOT}, version) NOT IN (SELECT slot, max(version) {mine}) "
            f"AND {SLOT} IN (SELECT slot {mine} HAVING max(version) < {cutoff})"
        )
        clickhouse_rollup.collect(self._con, self._db, account, cutoff)

    def stored_rows(self) -> int:
        """Rows kept on disk, live or not yet collected (what ``_collect`` shrinks)."""
        table = self._con.arrow(f"SELECT count() AS n FROM {self._db}.cost_rows_all")
        return int(table["n"][0].as_py())

    def delete_account(self, account: str) -> int:
        count = self.count_rows(account)
        self._con.command(f"DELETE FROM {self._db}.live_slots WHERE account = {_sql(account)}")
        self._con.command(f"DELETE FROM {self._db}.cost_rows_all WHERE account = {_sql(account)}")
        clickhouse_rollup.delete_account(self._con, self._db, account)
        return count

    def append(self, account: str, rows: pa.Table) -> None:
        """Add rows to ``account`` and make them live at once (``outlay db copy``: an empty
        target, one account's rows in batches; the slots are committed by ``commit_copy``)."""
        if account not in self._copy_version:  # once per account, not per batch
            self._copy_version[account] = self._version(account)
        version = self._copy_version[account]
        self._con.insert_arrow(f"{self._db}.cost_rows_all", versioned(rows.cast(SCHEMA), version))

    def commit_copy(self) -> None:
        """Make every appended account's rows live (every slot they occupy)."""
        for account, version in self._copy_version.items():
            slots = self._con.arrow(
                f"SELECT DISTINCT {SLOT} AS slot FROM {self._db}.cost_rows_all "
                f"WHERE account = {_sql(account)} AND version = {version}"
            )
            found = [d.as_py() for d in slots["slot"]]
            if found:
                self._commit(account, found, version)
        self._copy_version.clear()


def _staged_days(staged: StagedWindow) -> set[date]:
    if not staged.rows:
        return set()
    stamps = pq.read_table(staged.path, columns=["ts"])["ts"]
    return {d for d in pc.unique(pc.cast(stamps, pa.date32())).to_pylist() if d is not None}


def _naive(table: pa.Table) -> pa.Table:
    """Timestamps as naive UTC, as DuckDB returns them; the values are UTC already."""
    for index, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            naive = table.column(index).cast(pa.timestamp(field.type.unit))
            table = table.set_column(index, field.name, naive)
    return table


def _error(exc: Exception, timeout_s: float, memory_mb: int) -> Exception:
    text = str(exc)
    if "TIMEOUT_EXCEEDED" in text:
        return InputError(
            f"the report took longer than {timeout_s:g} s and was stopped; "
            "narrow the period, the filter or the grouping"
        )
    if "MEMORY_LIMIT_EXCEEDED" in text:
        return InputError(
            f"the report needs more than {memory_mb} MB of memory and was stopped; "
            "narrow the period, the filter or the grouping"
        )
    return StoreError(f"ClickHouse: {text.splitlines()[0] if text else exc!r}")
