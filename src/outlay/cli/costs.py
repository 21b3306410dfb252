"""``outlay costs``: cost over a date range, filtered and grouped, as a table, JSON or CSV."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from outlay.cli.dates import parse_day
from outlay.cli.render import console, dollars, dump_csv, dump_json, exact, table
from outlay.cli.state import outlay_of
from outlay.report.run import CostReport
from outlay.report.spec import CostQuery


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class DateBin(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    cumulative = "cumulative"


def costs(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--start", metavar="YYYY-MM-DD", help="First UTC day.")],
    end: Annotated[
        str, typer.Option("--end", metavar="YYYY-MM-DD", help="Last UTC day (inclusive).")
    ],
    filter_: Annotated[
        str | None,
        typer.Option("--filter", metavar="VQL", help="e.g. costs.service = 'gpt-5' AND …"),
    ] = None,
    group_by: Annotated[
        str | None,
        typer.Option(
            "--group-by", metavar="DIM[,DIM…]", help="e.g. service,resource,tag:cursor:max_mode"
        ),
    ] = None,
    date_bin: Annotated[
        DateBin, typer.Option("--date-bin", help="Bin rows by time.")
    ] = DateBin.day,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table, json or csv.")
    ] = OutputFormat.table,
) -> None:
    """Cost in USD (Σ chargedCents / 100) between two UTC dates, both included."""
    groups = tuple(g.strip() for g in group_by.split(",") if g.strip()) if group_by else ()
    query = CostQuery(
        start=parse_day(start, "--start"),
        end=parse_day(end, "--end"),
        filter=filter_,
        group_by=groups,
        date_bin=date_bin.value,
    )
    report = outlay_of(ctx).costs(query)
    out = console()
    if fmt is OutputFormat.json:
        out.print(
            dump_json({"rows": report.rows, "total_cost": exact(report.total_cost)}), markup=False
        )
    elif fmt is OutputFormat.csv:
        out.print(dump_csv(_columns(report), report.rows), end="", markup=False)
    else:
        out.print(cost_table(report, title=None))


def _columns(report: CostReport) -> list[str]:
    dated = report.query.date_bin != "cumulative"
    return [*(["date"] if dated else []), *report.query.group_by, "cost"]


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "Untagged" if column.startswith("tag:") else "—"
    return str(value)


def cost_table(report: CostReport, title: str | None, limit: int | None = None) -> Any:
    columns = _columns(report)
    grid = table(title, columns, right=["cost"])
    rows = report.rows if limit is None else report.rows[:limit]
    for row in rows:
        grid.add_row(*(dollars(row[c]) if c == "cost" else _cell(c, row[c]) for c in columns))
    if not report.rows:
        grid.add_row(*(["no costs in this range"] + [""] * (len(columns) - 1)))
    grid.add_section()
    total = dollars(report.total_cost)
    grid.add_row(*(["Total", *[""] * (len(columns) - 2), total] if len(columns) > 1 else [total]))
    return grid
