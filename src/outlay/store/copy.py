"""``outlay db copy``: an install's metadata and facts into other stores, then proof they match.

Metadata goes table by table in foreign-key order through SQLAlchemy (any database URL it
speaks); facts go account by account in Arrow batches through the ``Facts`` protocol (any
engine). A target that already holds rows is refused before anything is written. Afterwards the
row count of every table and the cost total of every account and day are read back from both
sides; one difference is an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Engine, create_engine, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from outlay.errors import InputError, StoreError
from outlay.report.intervals import month_after
from outlay.store import migrations
from outlay.store.facts_api import TABLE, Facts
from outlay.store.meta import one_line
from outlay.store.schema import Base

#: Metadata rows inserted per statement.
META_BATCH = 1000


@dataclass(frozen=True)
class Check:
    """One compared quantity: a table's rows, or an account's cost on a day."""

    what: str
    source: Any
    target: Any

    @property
    def matches(self) -> bool:
        return bool(self.source == self.target)


def copy_install(
    source_meta: str, source_facts: Facts, target_meta: str, target_facts: Facts
) -> list[Check]:
    """Copy everything, then compare; the comparisons (raises StoreError on a mismatch)."""
    source, target = create_engine(source_meta), create_engine(target_meta)
    try:
        migrations.upgrade(target)  # the schema of this release, as every install gets it
        _refuse_non_empty(target, target_facts)
        _copy_meta(source, target)
        _copy_facts(source_facts, target_facts)
        checks = list(_compare(source, target, source_facts, target_facts))
    except SQLAlchemyError as exc:
        raise StoreError(f"copy: {one_line(exc)}") from exc
    finally:
        source.dispose()
        target.dispose()
    wrong = [c for c in checks if not c.matches]
    if wrong:
        raise StoreError(
            f"the copy differs from its source in {len(wrong)} place(s), first {wrong[0].what}: "
            f"{wrong[0].source} != {wrong[0].target}; drop the target and copy again"
        )
    return checks


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as con:
        return {
            t.name: int(con.execute(select(func.count()).select_from(t)).scalar_one())
            for t in Base.metadata.sorted_tables
        }


def _refuse_non_empty(target: Engine, facts: Facts) -> None:
    used = [name for name, n in _counts(target).items() if n]
    if used:
        raise InputError(
            f"the target database already holds rows (table {used[0]}); copy into an empty one",
            field="to_database_url",
        )
    if facts.count_rows():
        raise InputError(
            "the target fact store already holds cost rows; copy into an empty one",
            field="to_facts_url",
        )


def _copy_meta(source: Engine, target: Engine) -> None:
    with source.connect() as read, target.begin() as write:
        for table in Base.metadata.sorted_tables:  # parents before children
            batch: list[dict[str, Any]] = []
            for row in read.execute(select(table)).mappings():
                batch.append(dict(row))
                if len(batch) == META_BATCH:
                    write.execute(insert(table), batch)
                    batch = []
            if batch:
                write.execute(insert(table), batch)
        if target.dialect.name == "postgresql":
            _advance_sequences(write)


def _advance_sequences(write: Connection) -> None:
    """Rows came with their ids: move each id sequence past them, or the next insert of the
    copied install would collide with a copied row."""
    for table in Base.metadata.sorted_tables:
        key = table.autoincrement_column
        if key is None:
            continue
        write.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"COALESCE((SELECT max({key.name}) FROM {table.name}), 0) + 1, false)"
            ),
            {"table": table.name, "column": key.name},
        )


def _accounts(facts: Facts) -> list[str]:
    found = facts.query(f"SELECT DISTINCT account FROM {TABLE} ORDER BY 1")
    return [str(account) for (account,) in found.rows]


def _copy_facts(source: Facts, target: Facts) -> None:
    for account in _accounts(source):
        for batch in source.batches(account):
            target.append(account, pa.Table.from_batches([batch]))
    target.commit_copy()


def _spans(facts: Facts) -> dict[str, tuple[datetime, datetime]]:
    """Each account's first and last cost row."""
    found = facts.query(f"SELECT account, min(ts), max(ts) FROM {TABLE} GROUP BY account")
    return {str(account): (first, last) for account, first, last in found.rows}


def _months(first: datetime, last: datetime) -> Iterator[tuple[datetime, datetime]]:
    """[start, after) of every calendar month from ``first``'s through ``last``'s."""
    start = datetime.combine(first.date().replace(day=1), time())
    while start <= last:
        after = datetime.combine(month_after(start.date()), time())
        yield start, after
        start = after


def _day_totals(
    facts: Facts, account: str, start: datetime, after: datetime
) -> dict[date, tuple[Decimal, int]]:
    found = facts.query(
        f"SELECT CAST(ts AS DATE) AS day, SUM(cost), count(*) FROM {TABLE} "
        "WHERE account = ? AND ts >= ? AND ts < ? GROUP BY CAST(ts AS DATE)",
        [account, start, after],
    )
    return {d: (Decimal(c or 0), int(n)) for d, c, n in found.rows}


def _compare(
    source: Engine, target: Engine, source_facts: Facts, target_facts: Facts
) -> Iterator[Check]:
    before, after = _counts(source), _counts(target)
    for name in before:
        yield Check(f"table {name}", before[name], after.get(name))
    # A month of one account per query: each stays within the stores' time and memory limits
    # at any history length (the whole history in one query ran past 30 s at 375M rows).
    spans = _spans(source_facts)
    for account, (first, last) in sorted(spans.items()):
        for start, end in _months(first, last):
            days = _day_totals(source_facts, account, start, end)
            copied = _day_totals(target_facts, account, start, end)
            for day in sorted(days.keys() | copied.keys()):
                yield Check(f"cost of {account} on {day}", days.get(day), copied.get(day))
    # The target held nothing before the copy: none of its rows may lie outside those spans
    # (a range read by the sort key, not a scan of every row).
    for account, (first, last) in sorted(spans.items()):
        outside = target_facts.query(
            f"SELECT count(*) FROM {TABLE} WHERE account = ? AND (ts < ? OR ts > ?)",
            [account, first, last],
        )
        yield Check(f"rows of {account} outside {first} .. {last}", 0, int(outside.rows[0][0]))
