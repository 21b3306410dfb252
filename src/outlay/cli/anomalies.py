"""``outlay anomalies``: list detected anomalies, ignore one with a reason."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from outlay.cli.render import TableOrJson, TableOrJsonOption, console, print_rows
from outlay.cli.state import outlay_of, workspace_of

app = typer.Typer(help="Anomalies found by the anomaly watches.", no_args_is_help=True)


@app.command("list")
def list_anomalies(
    ctx: typer.Context,
    fmt: TableOrJsonOption = TableOrJson.table,
    status: Annotated[
        str | None, typer.Option("--status", metavar="active|archived|ignored", help="Only these.")
    ] = None,
) -> None:
    """Anomalies, newest first."""
    found = [a.to_data() for a in outlay_of(ctx).anomaly_list(status, workspace=workspace_of(ctx))]
    columns = ["id", "group", "days", "actual", "expected", "status"]
    print_rows(found, fmt, columns, _cells, right=["actual", "expected"], empty="No anomalies.")


def _cells(a: dict[str, Any]) -> list[str]:
    days = (
        a["first_day"] if a["first_day"] == a["last_day"] else f"{a['first_day']}..{a['last_day']}"
    )
    group = ", ".join(f"{k}={v}" for k, v in a["group"].items())
    return [str(a["id"]), group, days, a["actual"], a["expected"], a["status"]]


@app.command("ignore")
def ignore(
    ctx: typer.Context,
    anomaly_id: Annotated[int, typer.Argument(metavar="ID", help="The anomaly's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is not a problem.")],
) -> None:
    """Ignore an anomaly: it stops notifying."""
    outlay_of(ctx).ignore_anomaly(anomaly_id, reason, workspace=workspace_of(ctx))
    console().print(f"Ignored anomaly {anomaly_id}.")
