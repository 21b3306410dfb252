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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pyarrow as pa

from outlay.costrows import SCHEMA
from outlay.store.facts import DuckDBFacts
from outlay.store.facts_api import TABLE

#: Summed per day; the other columns but ``ts`` are grouped by (those the queries read).
MEASURES = ("cost", "billed_cost", "list_cost", "usage_amount", "event_count")
_DUCK_TYPES = {"string": "VARCHAR", "bool": "BOOLEAN"}


@dataclass(frozen=True)
class DayQuery:
    """A compiled report query and the dimension columns it reads (None: any)."""

    sql: str
    params: Sequence[Any]
    columns: frozenset[str] | None


def _summary_sql(target: str, source: str, columns: frozenset[str] | None, where: str = "") -> str:
    """``source`` summed per day and ``columns`` (None: all) and ``account``, into the
    temporary ``target``; the other columns are NULL, so the compiled queries, which never
    read them, still find them."""
    kept = []
    for f in SCHEMA:
        if f.name in (*MEASURES, "ts"):
            continue
        if columns is None or f.name in columns or f.name == "account":
            kept.append(f.name)
        else:
            kept.append(f"CAST(NULL AS {_DUCK_TYPES[str(f.type)]}) AS {f.name}")
    sums = ", ".join(f"SUM({m}) AS {m}" for m in MEASURES)
    return (
        f"CREATE OR REPLACE TEMP TABLE {target} AS SELECT {', '.join(kept)}, "
        f"CAST(CAST(ts AS DATE) AS TIMESTAMP) AS ts, {sums} FROM {source} {where} GROUP BY ALL"
    )


def arrow_by_day(
    facts: Any, accounts: Sequence[str], start: date, end: date, queries: Sequence[DayQuery]
) -> list[pa.Table]:
    """Each query's result, over only ``accounts``' rows from ``start`` to ``end`` summed
    per day. The queries must not look outside that period or finer than a day, nor read a
    dimension column outside their ``columns``.

    One pass over the cost rows makes the day summary of every column any query reads; each
    set of columns then gets its own, smaller summary of that one, and its queries run on it.
    """
    if not isinstance(facts, DuckDBFacts) or not accounts:
        return [facts.arrow(q.sql, q.params) for q in queries]
    sets = {q.columns for q in queries}
    union = None if None in sets else frozenset().union(*sets)  # type: ignore[arg-type]
    first = datetime.combine(start, time())
    after = datetime.combine(end + timedelta(days=1), time())
    marks = ", ".join("?" for _ in accounts)
    where = f"WHERE ts >= ? AND ts < ? AND account IN ({marks})"
    out: dict[int, pa.Table] = {}
    # One connection: the temporary tables live as long as it.
    with facts._limited() as con:
        summary = _summary_sql("day_summary", f"main.{TABLE}", union, where)
        con.execute(summary, [first, after, *accounts])
        for columns in sorted(sets, key=lambda c: sorted(c) if c is not None else ["~"]):
            # The compiled queries read ``cost_rows``: this temporary one comes first.
            con.execute(_summary_sql(TABLE, "temp.day_summary", columns))
            for index, q in enumerate(queries):
                if q.columns == columns:
                    out[index] = con.sql(q.sql, params=list(q.params)).to_arrow_table()
    return [out[i] for i in range(len(queries))]
