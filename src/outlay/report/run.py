"""The one data function per report: every surface (CLI, API, HTML) renders its result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from outlay.report.compile import compile_costs
from outlay.report.spec import CostQuery


class Queryable(Protocol):
    def query(self, sql: str, params: Any = ()) -> Any: ...


@dataclass(frozen=True)
class CostReport:
    query: CostQuery
    #: One dict per group: each group-by dimension, ``date`` (unless cumulative), ``cost``.
    rows: list[dict[str, Any]]
    total_cost: Decimal


def run_costs(facts: Queryable, query: CostQuery) -> CostReport:
    compiled = compile_costs(query)
    result = facts.query(compiled.sql, compiled.params)
    rows: list[dict[str, Any]] = []
    total = Decimal(0)
    for values in result.rows:
        row = dict(zip(compiled.columns, values, strict=True))
        cost = row["cost"] if row["cost"] is not None else Decimal(0)
        row["cost"] = cost
        if isinstance(row.get("date"), date):
            row["date"] = row["date"].isoformat()
        total += cost
        rows.append(row)
    return CostReport(query, rows, total)
