"""What every fact store offers its callers (sync, reports, exports, trust, seats, db copy).

Queries are written once in DuckDB's SQL with ``?`` parameters; a store on another engine
translates them through its ``dialect`` (``report.dialect``). The differences between engines
that callers must know about are flags on the dialect, never a test of the engine's name.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

from outlay.config import Settings

if TYPE_CHECKING:
    from outlay.report.dialect import Dialect
    from outlay.store.staging import Opener, StagedWindow

TABLE = "cost_rows"
#: The category of seat rows (``providers.cursor.seats``), replaced apart from usage windows.
SEAT_CATEGORY = "Seats"


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def ms_to_ts(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).replace(tzinfo=None)


class Facts(Protocol):
    """A fact store: cost rows replaced a window at a time, read under limits."""

    dialect: Dialect
    #: The daily rollup the report compiler may read (``store.rollup``); None: the engine
    #: keeps none, every report reads the cost rows.
    rollup_table: str | None
    #: The monthly rollup beside it; None: none.
    monthly_table: str | None
    #: One relation of both rollups' rows, a ``grain`` column first ('M' monthly, 'D' daily):
    #: what a month-binned report reads (whole months beside the other days); None: none.
    rolled_table: str | None
    memory_mb: int
    timeout_s: float

    def stage(self, account: str = "") -> AbstractContextManager[StagedWindow]: ...

    def clear_staging(self, account: str) -> int: ...

    def replace_window(
        self, account: str, start_ms: int, end_ms: int, staged: StagedWindow
    ) -> int: ...

    def replace_seats(self, account: str, rows: pa.Table) -> int: ...

    def delete_account(self, account: str) -> int: ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> QueryResult: ...

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table: ...

    def export(self, sql: str, params: Sequence[Any], path: Path, fmt: str) -> int: ...

    def count_rows(self, account: str | None = None) -> int: ...

    def resource_costs(self, accounts: Sequence[str], since: datetime) -> dict[str, Decimal]: ...

    def batches(self, account: str) -> Iterator[pa.RecordBatch]: ...

    def append(self, account: str, rows: pa.Table) -> None: ...

    def commit_copy(self) -> None: ...

    def close(self) -> None: ...


class SharedFacts:
    """What every engine does alike, in terms of its ``query`` and its staging folder."""

    _staging: Path
    #: How staged files are opened for writing; None: ``staging.open_private``.
    _opener: Opener | None = None

    def query(self, sql: str, params: Sequence[Any] = ()) -> QueryResult:
        raise NotImplementedError

    @contextmanager
    def stage(self, account: str = "") -> Iterator[StagedWindow]:
        """A place for one window's rows until ``replace_window``; removed whatever happens."""
        # Staging (Parquet writing) loads only for an import: a report never needs it.
        from outlay.store.staging import StagedWindow, open_private

        staged = StagedWindow(self._staging, account, opener=self._opener or open_private)
        try:
            yield staged
        finally:
            staged.discard()

    def clear_staging(self, account: str) -> int:
        """Remove what a killed sync of ``account`` staged; only under that account's lock."""
        from outlay.store.staging import clear_account

        return clear_account(self._staging, account) if self._staging.is_dir() else 0

    def count_rows(self, account: str | None = None) -> int:
        where, params = ("WHERE account = ?", [account]) if account else ("", [])
        return int(self.query(f"SELECT count(*) FROM {TABLE} {where}", params).rows[0][0])

    def resource_costs(self, accounts: Sequence[str], since: datetime) -> dict[str, Decimal]:
        """Every resource (user email) the accounts' rows carry, ever, with its cost since
        ``since``: what a tag CSV is checked against before it is saved."""
        if not accounts:
            return {}
        marks = ", ".join("?" for _ in accounts)
        result = self.query(
            f"SELECT resource, SUM(CASE WHEN ts >= ? THEN cost ELSE 0 END) FROM {TABLE} "
            f"WHERE resource IS NOT NULL AND account IN ({marks}) GROUP BY resource",
            [since, *accounts],
        )
        return {str(resource): Decimal(cost or 0) for resource, cost in result.rows}


def open_facts(settings: Settings, url: str | None = None) -> Facts:
    """The store ``url`` (default: the settings' ``facts_url``) names, under their limits."""
    url = url or settings.facts_url
    if url.startswith("duckdb:///"):
        from outlay.store.facts import DuckDBFacts

        return DuckDBFacts(
            Path(url[len("duckdb:///") :]),  # as SQLAlchemy: four slashes for an absolute path
            memory_mb=settings.query_memory_mb,
            timeout_s=settings.query_timeout_s,
        )
    from outlay.store.clickhouse import ClickHouseFacts

    return ClickHouseFacts(
        url,
        settings.data_dir / "staging",
        memory_mb=settings.query_memory_mb,
        timeout_s=settings.query_timeout_s,
    )
