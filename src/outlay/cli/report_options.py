"""The report options shared by ``costs`` and ``reports save``, and the spec they make."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from outlay.cli.dates import parse_day
from outlay.report.intervals import INTERVALS
from outlay.report.spec import DATE_BINS, MEASURES, SORTS, ReportSpec

DateBin = StrEnum("DateBin", {b: b for b in DATE_BINS})  # type: ignore[misc]
Measure = StrEnum("Measure", {m: m for m in MEASURES})  # type: ignore[misc]
Sort = StrEnum("Sort", {s: s for s in SORTS})  # type: ignore[misc]
DAY, COST, BY_VALUE = DateBin("day"), Measure("cost"), Sort("value")

Start = Annotated[str | None, typer.Option("--start", metavar="YYYY-MM-DD", help="First UTC day.")]
End = Annotated[
    str | None, typer.Option("--end", metavar="YYYY-MM-DD", help="Last UTC day (inclusive).")
]
Interval = Annotated[
    str | None,
    typer.Option("--interval", metavar="NAME", help=f"Instead of dates: {', '.join(INTERVALS)}."),
]
Filter = Annotated[
    str | None,
    typer.Option("--filter", metavar="VQL", help="e.g. costs.service LIKE 'claude%' AND …"),
]
GroupBy = Annotated[
    str | None,
    typer.Option("--group-by", metavar="DIM[,DIM…]", help="e.g. service,resource,tag:team"),
]
Bin = Annotated[DateBin, typer.Option("--date-bin", help="Bin rows by time.")]
MeasureOpt = Annotated[Measure, typer.Option("--measure", help="What to sum.")]
Compare = Annotated[
    str | None,
    typer.Option(
        "--compare",
        metavar="previous|START..END",
        help="Add the change against the previous period of the same length, or a range.",
    ),
]
Top = Annotated[
    int | None, typer.Option("--top", metavar="N", help="Keep N groups, fold the rest in Other.")
]
SortOpt = Annotated[Sort, typer.Option("--sort", help="Order groups by value or by name.")]
Forecast = Annotated[
    bool, typer.Option("--forecast", help="Forecast this month's total, with a band.")
]


def build_spec(
    start: str | None,
    end: str | None,
    interval: str | None,
    filter_: str | None,
    group_by: str | None,
    date_bin: str,
    measure: str,
    compare: str | None,
    top: int | None,
    sort: str,
    forecast: bool,
) -> ReportSpec:
    return ReportSpec.from_options(
        start=parse_day(start, "--start") if start else None,
        end=parse_day(end, "--end") if end else None,
        interval=interval, filter=filter_, groupings=group_by, date_bin=date_bin,
        measure=measure, compare=compare, top=top, sort=sort, forecast=forecast,
    )  # fmt: skip
