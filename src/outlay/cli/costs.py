"""``outlay costs``: a cost report over a date range, as a table, JSON, CSV or Parquet."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from outlay.cli.render import console, table
from outlay.cli.report_options import report_options
from outlay.cli.state import outlay_of, workspace_of
from outlay.display import dollars
from outlay.errors import InputError
from outlay.report.spec import MONEY_MEASURES, ReportSpec

if TYPE_CHECKING:
    from rich.table import Table

    from outlay.report.run import ReportResult


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    parquet = "parquet"


Format = Annotated[OutputFormat, typer.Option("--format", help="table, json, csv or parquet.")]
Output = Annotated[
    Path | None,
    typer.Option("--output", metavar="FILE", help="Write to FILE (needed for parquet)."),
]
RawCsv = Annotated[
    bool,
    typer.Option(
        "--raw-csv",
        help="CSV text exactly as stored: no ' before cells a spreadsheet would run as formulas.",
    ),
]


@report_options
def costs(
    ctx: typer.Context, spec: ReportSpec, fmt: Format = OutputFormat.table, output: Output = None,
    raw_csv: RawCsv = False,
) -> None:  # fmt: skip
    """Cost (USD, Σ chargedCents / 100) or usage between two UTC dates, both included."""
    outlay, workspace = outlay_of(ctx), workspace_of(ctx)
    result = outlay.report(spec, workspace=workspace)
    if fmt is OutputFormat.table:  # a person reading: say which days may still change
        for note in outlay.completeness_notes(result.start, result.end, workspace):
            console(stderr=True).print(f"note: {note}", markup=False, soft_wrap=True)
    print_report(result, fmt, output, raw_csv)


def print_report(
    result: ReportResult, fmt: OutputFormat, output: Path | None, raw_csv: bool = False
) -> None:
    for notice in result.notices:
        console(stderr=True).print(f"note: {notice}", markup=False, soft_wrap=True)
    if fmt is OutputFormat.parquet:
        from outlay.report.export import to_parquet

        if output is None:
            raise InputError("--format parquet needs --output FILE")
        _write(output, lambda: to_parquet(result, output))
        console(stderr=True).print(f"Wrote {len(result.rows)} rows to {output}", markup=False)
        return
    if fmt is OutputFormat.table:
        print_tables(result)
        return
    from outlay.report.export import csv_chunks, json_chunks

    if fmt is OutputFormat.json:
        chunks: Iterable[bytes] = (*json_chunks(result, indent=2), b"\n")
    else:
        chunks = csv_chunks(result, raw=raw_csv)
    if output is not None:
        _write(output, lambda: _to_file(output, chunks))
    else:
        _to_stdout(chunks)


def print_tables(result: ReportResult) -> None:
    """The report for a terminal: rows, any comparison and forecast, as Rich tables."""
    out = console()
    out.print(report_table(result, None))
    if result.groups is not None:
        out.print(compare_table(result))
    if result.forecast is not None:
        f = result.forecast
        out.print(
            f"Forecast {f.month}: {_amount(result.measure, f.forecast)} "
            f"(likely {_amount(result.measure, f.low)} to {_amount(result.measure, f.high)}; "
            f"{_amount(result.measure, f.actual_to_date)} so far)",
            markup=False,
        )


def _to_file(path: Path, chunks: Iterable[bytes]) -> None:
    with path.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)


def _to_stdout(chunks: Iterable[bytes]) -> None:
    """JSON and CSV go straight to standard output, chunk by chunk: never through a terminal
    renderer, which would wrap and re-measure every line."""
    sys.stdout.flush()
    binary = getattr(sys.stdout, "buffer", None)
    try:
        for chunk in chunks:
            if binary is not None:
                binary.write(chunk)
            else:
                sys.stdout.write(chunk.decode("utf-8"))
        (binary or sys.stdout).flush()
    except BrokenPipeError:
        # The reader stopped early (`| head`): what it wanted has arrived; say nothing.
        _quiet_stdout()


def _quiet_stdout() -> None:
    # Not a real file (a test's capture): nothing is left to flush into it anyway.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _write(path: Path, write: Callable[[], object]) -> None:
    try:
        write()
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise InputError(
            f"cannot write {path}: {reason}; pick a file in a folder that exists and you can "
            "write to",
            field="output",
        ) from None


def _amount(measure: str, value: Any) -> str:
    if measure in MONEY_MEASURES:
        return dollars(value)
    if isinstance(value, Decimal):
        return f"{value.normalize():,f}"
    return f"{value:,}"


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "Untagged" if column.startswith("tag:") else "—"
    return str(value)


def report_table(result: ReportResult, title: str | None, limit: int | None = None) -> Table:
    from outlay.report.export import columns

    names = columns(result)
    measure = result.measure
    grid = table(title, names, right=[measure])
    rows = result.rows if limit is None else result.rows[:limit]
    for row in rows:
        grid.add_row(
            *(_amount(measure, row[c]) if c == measure else _cell(c, row[c]) for c in names)
        )
    if not result.rows:
        grid.add_row("no costs in this range", *[""] * (len(names) - 1))
    grid.add_section()
    pad = [""] * (len(names) - 2)
    for unit, total in sorted(result.totals.items()):
        label = f"Total {unit}".strip()
        grid.add_row(
            *(
                [label, *pad, _amount(measure, total)]
                if len(names) > 1
                else [_amount(measure, total)]
            )
        )
    return grid


def compare_table(result: ReportResult) -> Table:
    measure = result.measure
    keys = list(result.group_keys)
    title = f"Against {result.previous_start} … {result.previous_end}"
    grid = table(title, [*keys, measure, "previous", "change", "change %"],
                 right=[measure, "previous", "change", "change %"])  # fmt: skip
    for group in result.group_totals:
        pct = group.change_pct
        grid.add_row(
            *(_cell(k, group.key[k]) for k in keys),
            _amount(measure, group.total),
            _amount(measure, group.previous),
            _amount(measure, group.change),
            "—" if pct is None else f"{pct:+}%",
        )
    return grid
