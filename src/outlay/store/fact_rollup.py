"""Many report queries answered from one day-grain copy of the cost rows.

Guardrails run a hundred rules after every sync, each one report query over up to three
months; scanning the raw rows a hundred times is what makes that slow (measured in
bench/anomaly.py). Here the rows of the period are summed once per UTC day and every
dimension column into a temporary table that shadows ``cost_rows`` on the same connection,
so the report engine's compiled queries run unchanged against it. Sums of sums are exact;
only a virtual tag's split truncates once per day instead of once per row (at 1e-10 USD).

DuckDB only: another fact store answers the queries one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import pyarrow as pa

from outlay.costrows import SCHEMA
from outlay.store.facts import TABLE, DuckDBFacts

#: Summed per day; the other columns but ``ts`` are grouped by (those the queries read).
MEASURES = ("cost", "billed_cost", "list_cost", "usage_amount", "event_count")
_DUCK_TYPES = {"string": "VARCHAR", "bool": "BOOLEAN"}


def _rollup_sql(accounts: Sequence[str], columns: frozenset[str] | None) -> str:
    """Grouped by ``columns`` (None: all) and ``account``; the others are NULL, so the
    compiled queries, which never read them, still find them."""
    kept = []
    for f in SCHEMA:
        if f.name in (*MEASURES, "ts"):
            continue
        if columns is None or f.name in columns or f.name == "account":
            kept.append(f.name)
        else:
            kept.append(f"CAST(NULL AS {_DUCK_TYPES[str(f.type)]}) AS {f.name}")
    sums = ", ".join(f"SUM({m}) AS {m}" for m in MEASURES)
    marks = ", ".join("?" for _ in accounts)
    return (
        f"CREATE TEMP TABLE {TABLE} AS SELECT {', '.join(kept)}, "
        f"CAST(CAST(ts AS DATE) AS TIMESTAMP) AS ts, {sums} FROM main.{TABLE} "
        f"WHERE ts >= ? AND ts < ? AND account IN ({marks}) GROUP BY ALL"
    )


def arrow_by_day(
    facts: Any, accounts: Sequence[str], start: date, end: date,
    queries: Sequence[tuple[str, Sequence[Any]]], columns: frozenset[str] | None = None,
) -> list[pa.Table]:  # fmt: skip
    """Each query's result, over only ``accounts``' rows from ``start`` to ``end`` summed
    per day. The queries must not look outside that period or finer than a day, nor read a
    dimension column outside ``columns`` (None: they may read any)."""
    if not isinstance(facts, DuckDBFacts) or not accounts:
        return [facts.arrow(sql, params) for sql, params in queries]
    first = datetime.combine(start, time())
    after = datetime.combine(end + timedelta(days=1), time())
    # One connection: the temporary table lives as long as it.
    with facts._limited() as con:
        con.execute(_rollup_sql(accounts, columns), [first, after, *accounts])
        return [con.sql(sql, params=list(params)).to_arrow_table() for sql, params in queries]
