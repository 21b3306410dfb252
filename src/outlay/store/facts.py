"""Cost rows in an embedded DuckDB file.

No primary key: events have no id and identical-looking events are all real, so idempotency comes
from replacing whole time windows of one account in one transaction. Every connection is
short-lived, so the CLI and a server can take turns on the file: DuckDB lets only one process
hold it open for writing, and a process that finds it held waits a bounded time for its turn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from outlay.costrows import SCHEMA
from outlay.errors import InputError, StoreBusyError, StoreError
from outlay.report.dialect import DUCKDB
from outlay.store import rollup
from outlay.store.facts_api import SEAT_CATEGORY, TABLE, QueryResult, SharedFacts
from outlay.store.facts_api import ms_to_ts as _ms_to_ts
from outlay.store.files import make_private, storage_error

if TYPE_CHECKING:
    from outlay.store.staging import Opener, StagedWindow

log = logging.getLogger(__name__)

#: How long an operation waits for another process to release the file, and how often it looks.
LOCK_WAIT_S = 30.0
LOCK_POLL_S = 0.05
#: A window replace streams a staged file with one thread and bounded memory: about as fast as
#: more threads, with a fraction of the memory (measured in bench/ingest.py); row order inside
#: a window means nothing, and not keeping it lets DuckDB stream.
#: Defaults of the limits every ``query`` runs under (``Settings.query_memory_mb`` and
#: ``query_timeout_s``): no report, whatever its shape, may take the process down.
QUERY_MEMORY_MB = 1024
#: An export streams: past this the engine spills its aggregation to disk rather than grow
#: (measured in bench/focus.py: the same speed as with twice the memory).
EXPORT_MEMORY_MB = 512
QUERY_TIMEOUT_S = 30.0
WRITE_SETTINGS = (
    ("preserve_insertion_order", "false"),
    ("threads", "1"),
    ("memory_limit", "'300MB'"),
)

_DUCK_TYPES = {
    "string": "VARCHAR",
    "timestamp[ms]": "TIMESTAMP",
    "bool": "BOOLEAN",
    "int8": "TINYINT",
    "decimal64(18, 10)": "DECIMAL(18,10)",
    "decimal64(18, 6)": "DECIMAL(18,6)",
}
_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    + ", ".join(f"{f.name} {_DUCK_TYPES[str(f.type)]}" for f in SCHEMA)
    + ")"
)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction, if the engine has not ended it already.

    After a fatal error (a full disk) DuckDB has rolled back itself and refuses ``ROLLBACK``;
    that refusal must never replace the error that caused it, which the caller re-raises.
    """
    try:
        con.execute("ROLLBACK")
    except duckdb.Error as exc:
        log.debug("no transaction left to roll back: %s", exc)


def _in_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], Any]) -> Any:
    con.execute("BEGIN TRANSACTION")
    try:
        done = work()
        con.execute("COMMIT")
    except BaseException:
        _rollback(con)
        raise
    return done


def _reset_write_settings(con: duckdb.DuckDBPyConnection, memory_mb: int) -> None:
    # The settings belong to the database, which other connections of this process may share
    # (a server's report queries): put them back, the memory limit to the queries' own (RESET
    # would lift it to the engine's default, 80% of the machine). A database a fatal error
    # invalidated is reopened by the next connection, so failing here must not hide that error.
    try:
        for setting, _ in WRITE_SETTINGS:
            con.execute(f"RESET {setting}")
        con.execute(f"SET memory_limit = '{memory_mb}MB'")
    except duckdb.Error as exc:
        log.debug("write settings not reset: %s", exc)


class DuckDBFacts(SharedFacts):
    """The default fact store: one DuckDB file."""

    #: The daily and monthly rollups it keeps in step with the cost rows (``store.rollup``).
    rollup_table: str | None = rollup.TABLE
    monthly_table: str | None = rollup.MONTHLY
    #: Both, tagged by grain: what month-binned reports read.
    rolled_table: str | None = rollup.ROLLED
    dialect = DUCKDB

    def __init__(
        self,
        path: Path,
        *,
        lock_wait_s: float = LOCK_WAIT_S,
        opener: Opener | None = None,
        memory_mb: int = QUERY_MEMORY_MB,
        timeout_s: float = QUERY_TIMEOUT_S,
    ) -> None:
        self.path = path
        self._lock_wait_s = lock_wait_s
        #: Limits of every ``query``: the engine's memory (which also caps a concurrent
        #: window replace's, set lower during it) and the wall-clock time.
        self.memory_mb = memory_mb
        self.timeout_s = timeout_s
        #: Tests pass an opener that finds the disk full.
        self._opener = opener
        self._staging = path.parent / "staging"
        #: Per account, the months ``append`` touched, summed by ``commit_copy``.
        self._copied_months: dict[str, set[date]] = {}
        with self._connect() as con:
            con.execute(_DDL)
            if missing := tuple(rollup.missing(con)):  # from before a rollup: built once
                _in_transaction(con, lambda: rollup.build(con, missing))
            con.execute(rollup.ROLLED_DDL)

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        # Always read-write: DuckDB refuses a read-only and a read-write connection to one file
        # in the same process (the server's requests beside its scheduler's syncs).
        deadline = time.monotonic() + self._lock_wait_s
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise StoreError(f"cannot open {self.path}: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"{self.path} is held by another outlay process (a sync or a server); "
                        "try again when it finishes"
                    ) from exc
                time.sleep(LOCK_POLL_S)
            except duckdb.Error as exc:
                raise StoreError(f"cannot open {self.path}: {exc}; is it a DuckDB file?") from exc
        # DuckDB creates its files with the process umask; they hold every cost: owner only.
        files = (self.path, self.path.with_name(self.path.name + ".wal"))
        make_private(*files)
        try:
            con.execute(f"SET memory_limit = '{int(self.memory_mb)}MB'")
            # A query over a few seconds would draw DuckDB's progress bar into the CLI's output.
            con.execute("SET enable_progress_bar = false")
            yield con
        except duckdb.Error as exc:
            if "space left on device" in str(exc):
                raise storage_error(self.path, str(exc)) from exc
            raise StoreError(f"{self.path}: {exc}") from exc
        finally:
            con.close()
            make_private(*files)  # a write-ahead log that outlived the connection

    def replace_window(self, account: str, start_ms: int, end_ms: int, staged: StagedWindow) -> int:
        """Make the staged rows the account's only rows in [start_ms, end_ms]; all or nothing."""
        staged.finish()
        with self._connect() as con:
            for setting, value in WRITE_SETTINGS:
                con.execute(f"SET {setting} = {value}")

            def swap() -> None:
                # Seat rows are not the window's: ``replace_seats`` owns them.
                con.execute(
                    f"DELETE FROM {TABLE} WHERE account = ? AND ts BETWEEN ? AND ? "
                    f"AND category IS DISTINCT FROM '{SEAT_CATEGORY}'",
                    [account, _ms_to_ts(start_ms), _ms_to_ts(end_ms)],
                )
                if staged.rows:
                    con.execute(
                        f"INSERT INTO {TABLE} SELECT * FROM read_parquet(?)", [str(staged.path)]
                    )
                rollup.refresh_range(con, account, _ms_to_ts(start_ms), _ms_to_ts(end_ms))

            try:
                _in_transaction(con, swap)
            finally:
                _reset_write_settings(con, self.memory_mb)
        return staged.rows

    def replace_seats(self, account: str, rows: pa.Table) -> int:
        """Make ``rows`` the account's only seat rows, in one transaction (none: seats off)."""
        with self._connect() as con:
            seats = f"account = ? AND category = '{SEAT_CATEGORY}'"

            def swap() -> None:
                days = rollup.days_of(con, seats, [account])
                con.execute(f"DELETE FROM {TABLE} WHERE {seats}", [account])
                if rows.num_rows:
                    con.register("seat_rows", rows)
                    con.execute(f"INSERT INTO {TABLE} SELECT * FROM seat_rows")
                    con.unregister("seat_rows")
                rollup.refresh_days(con, account, days | rollup.days_of(con, seats, [account]))

            _in_transaction(con, swap)
        return int(rows.num_rows)

    def delete_account(self, account: str) -> int:
        with self._connect() as con:

            def both() -> Any:
                rollup.delete_account(con, account)
                return con.execute(f"DELETE FROM {TABLE} WHERE account = ?", [account]).fetchone()

            deleted = _in_transaction(con, both)
        return int(deleted[0]) if deleted is not None else 0

    def query(self, sql: str, params: Sequence[Any] = ()) -> QueryResult:
        """Run a read under the store's memory and time limits; over either is an InputError."""
        with self._limited() as con:
            cursor = con.execute(sql, list(params))
            columns = [d[0] for d in cursor.description or ()]
            return QueryResult(columns, cursor.fetchall())

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """``query``'s rows as an Arrow table, under the same limits: no Python object per
        value, which is what makes a 100,000-row report fast to shape and to write."""
        with self._limited() as con:
            return con.sql(sql, params=list(params)).to_arrow_table()

    @contextmanager
    def _limited(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._connect() as con:
            # DuckDB has no statement timeout: a timer interrupts the connection instead.
            timer = threading.Timer(self.timeout_s, con.interrupt)
            timer.daemon = True
            timer.start()
            try:
                yield con
            except duckdb.InterruptException as exc:
                raise InputError(
                    f"the report took longer than {self.timeout_s:g} s and was stopped; "
                    "narrow the period, the filter or the grouping"
                ) from exc
            except duckdb.OutOfMemoryException as exc:
                raise InputError(
                    f"the report needs more than {self.memory_mb} MB of memory and was stopped; "
                    "narrow the period, the filter or the grouping"
                ) from exc
            finally:
                timer.cancel()

    def export(self, sql: str, params: Sequence[Any], path: Path, fmt: str) -> int:
        """Stream a query's rows into ``path`` as ``csv`` or ``parquet``; the row count.

        DuckDB's COPY writes as the query produces, so memory stays at the engine's limit
        (spilling the aggregation to disk past it), whatever the export's size. The file
        appears whole or not at all: it is written beside ``path`` and renamed at the end.
        """
        options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet"
        partial = path.with_name(f".{path.name}.partial")
        spill = self._staging / "spill"
        spill.mkdir(parents=True, exist_ok=True)
        limit_mb = min(EXPORT_MEMORY_MB, int(self.memory_mb))
        with self._connect() as con:
            con.execute(f"SET memory_limit = '{limit_mb}MB'")
            con.execute("SET preserve_insertion_order = false")
            con.execute(f"SET temp_directory = '{_quoted(spill)}'")
            try:
                done = con.execute(
                    f"COPY ({sql}) TO '{_quoted(partial)}' ({options})", list(params)
                ).fetchone()
                partial.replace(path)
            except duckdb.OutOfMemoryException as exc:
                raise InputError(
                    f"the export needs more than {limit_mb} MB of memory and was stopped; "
                    "narrow the period or the filter"
                ) from exc
            finally:
                partial.unlink(missing_ok=True)
                con.execute("RESET preserve_insertion_order")
                con.execute(f"SET memory_limit = '{int(self.memory_mb)}MB'")
        return int(done[0]) if done else 0

    def batches(self, account: str) -> Iterator[pa.RecordBatch]:
        """Every row of ``account`` in Arrow batches (what ``outlay db copy`` moves)."""
        with self._connect() as con:
            relation = con.sql(f"SELECT * FROM {TABLE} WHERE account = ?", params=[account])
            reader: pa.RecordBatchReader = relation.to_arrow_reader(100_000)
            yield from reader

    def append(self, account: str, rows: pa.Table) -> None:
        """Add rows (``outlay db copy`` into an empty store): the rows and their days are live
        at once, their months at ``commit_copy`` (summing a month's days per batch of a copy
        would read each month a hundred times over)."""
        with self._connect() as con:
            con.register("copied_rows", rows.cast(SCHEMA))
            days = {d for (d,) in con.execute(
                "SELECT DISTINCT CAST(ts AS DATE) FROM copied_rows").fetchall()}  # fmt: skip

            def insert() -> None:
                con.execute(f"INSERT INTO {TABLE} SELECT * FROM copied_rows")
                rollup.refresh_days(con, account, days, months=False)

            _in_transaction(con, insert)
        self._copied_months.setdefault(account, set()).update(rollup.month_start(d) for d in days)

    def commit_copy(self) -> None:
        """Sum the months of every appended row from their days."""
        with self._connect() as con:
            for account, months in self._copied_months.items():
                _in_transaction(con, partial(rollup.refresh_months, con, account, months))
        self._copied_months.clear()

    def close(self) -> None:
        """Nothing to do: every operation opens and closes its own connection."""


def _quoted(path: Path) -> str:
    """A path as the inside of an SQL string literal (COPY takes no parameter for its file)."""
    return str(path).replace("'", "''")
