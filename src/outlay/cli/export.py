"""``outlay export``: a report scope as a file for other tools (FOCUS 1.2)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from outlay.cli.render import console
from outlay.cli.state import outlay_of, workspace_of

app = typer.Typer(help="Export costs for other tools (FOCUS 1.2).", no_args_is_help=True)


class FocusFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


class Grain(StrEnum):
    day = "day"
    hour = "hour"


@app.command("focus")
def focus(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--start", metavar="YYYY-MM-DD", help="First UTC day.")],
    end: Annotated[
        str, typer.Option("--end", metavar="YYYY-MM-DD", help="Last UTC day (included).")
    ],
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="The file to write.")],
    filter_: Annotated[
        str | None,
        typer.Option("--filter", metavar="VQL", help="Only costs matching this VQL filter."),
    ] = None,
    fmt: Annotated[FocusFormat, typer.Option("--format", help="csv or parquet.")] = (
        FocusFormat.csv
    ),
    grain: Annotated[
        Grain, typer.Option("--grain", help="Charge period of a row: day or hour.")
    ] = Grain.day,
) -> None:
    """Costs between two UTC days as FOCUS 1.2 rows (BilledCost sums to --measure billed_cost)."""
    # Imported here: the report modules are only needed when the command runs.
    from outlay.report.options import spec_from_text

    spec = spec_from_text(
        {"start": start, "end": end, "filter": filter_, "date_bin": grain.value},
        lambda option: option.flag,
    )
    rows = outlay_of(ctx).export_focus(spec, out, fmt=fmt.value, workspace=workspace_of(ctx))
    console(stderr=True).print(f"Wrote {rows:,} FOCUS rows to {out}", markup=False)
