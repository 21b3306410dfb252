"""CostQuery → SQL text and bound parameters. Pure: builds, never runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from outlay.report.dimensions import dimension_sql
from outlay.report.filters import compile_conditions
from outlay.report.spec import CostQuery

FACT_TABLE = "cost_rows"

_BIN_SQL = {
    "day": "CAST(ts AS DATE)",
    "week": "CAST(date_trunc('week', ts) AS DATE)",  # ISO weeks: Monday first
    "month": "CAST(date_trunc('month', ts) AS DATE)",
}


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: list[Any]
    #: Result column → dimension name (``date`` and ``cost`` map to themselves).
    columns: tuple[str, ...]


def compile_costs(query: CostQuery) -> CompiledQuery:
    select: list[str] = []
    columns: list[str] = []
    if query.date_bin != "cumulative":
        select.append(f'{_BIN_SQL[query.date_bin]} AS "date"')
        columns.append("date")
    for index, name in enumerate(query.group_by):
        select.append(f'{dimension_sql(name)} AS "g{index}"')
        columns.append(name)
    select.append('SUM(cost) AS "cost"')
    columns.append("cost")
    where, params = compile_conditions(list(query.conditions))
    first = datetime.combine(query.start, time())
    after = datetime.combine(query.end + timedelta(days=1), time())
    grouped = len(select) > 1
    sql = (
        f"SELECT {', '.join(select)} FROM {FACT_TABLE} "
        f"WHERE ts >= ? AND ts < ? AND ({where})"
        + (" GROUP BY ALL" if grouped else "")
        + (f' ORDER BY {"1, " if "date" in columns else ""}"cost" DESC' if grouped else "")
    )
    return CompiledQuery(sql, [first, after, *params], tuple(columns))
