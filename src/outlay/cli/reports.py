"""``outlay reports``: save a cost report's options under a name and run it again later."""

from __future__ import annotations

from typing import Annotated

import typer

from outlay.cli.costs import Format, Output, OutputFormat, RawCsv, print_report
from outlay.cli.render import console, table
from outlay.cli.report_options import report_options
from outlay.cli.state import outlay_of, workspace_of
from outlay.report.spec import ReportSpec

app = typer.Typer(help="Saved cost reports.", no_args_is_help=True)
Name = Annotated[str, typer.Argument(help="The report's name.")]


@app.command("save")
@report_options
def save(ctx: typer.Context, name: Name, spec: ReportSpec) -> None:
    """Save (or overwrite) a report with the options of `outlay costs`."""
    saved = outlay_of(ctx).save_report(name, spec, workspace=workspace_of(ctx))
    console().print(f"Saved report {saved.name!r}. Run it: outlay reports run {saved.name!r}")


@app.command("run")
def run(
    ctx: typer.Context, name: Name, fmt: Format = OutputFormat.table, output: Output = None,
    raw_csv: RawCsv = False,
) -> None:  # fmt: skip
    """Run a saved report (named intervals resolve against today)."""
    outlay = outlay_of(ctx)
    space = workspace_of(ctx)
    print_report(
        outlay.report(outlay.saved_spec(name, workspace=space), workspace=space),
        fmt, output, raw_csv,
    )  # fmt: skip


@app.command("list")
def list_reports(ctx: typer.Context) -> None:
    """Saved reports and their options."""
    reports = outlay_of(ctx).saved_reports(workspace=workspace_of(ctx))
    if not reports:
        console().print("No saved reports. Save one: outlay reports save NAME --interval …")
        return
    grid = table(None, ["name", "period", "group by", "bin", "measure", "filter", "updated"])
    for report in reports:
        s = report.spec
        period = s.get("interval") or f"{s.get('start')} … {s.get('end')}"
        grid.add_row(
            report.name, period, ",".join(s.get("group_by") or []) or "—", s["date_bin"],
            s["measure"], s.get("filter") or "", report.updated_at.isoformat(timespec="minutes"),
        )  # fmt: skip
    console().print(grid)


@app.command("delete")
def delete(ctx: typer.Context, name: Name) -> None:
    """Delete a saved report."""
    outlay_of(ctx).delete_report(name, workspace=workspace_of(ctx))
    console().print(f"Deleted report {name!r}.")
