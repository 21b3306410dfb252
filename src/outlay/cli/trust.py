"""``outlay reconcile`` and ``outlay completeness``: can the numbers be trusted, and from when."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from outlay.cli.dates import parse_day
from outlay.cli.render import TableOrJson, TableOrJsonOption, console, print_json, table
from outlay.cli.state import outlay_of
from outlay.display import dollars


class Cycle(StrEnum):
    current = "current"
    previous = "previous"


AccountOption = Annotated[
    str | None, typer.Option("--account", help="One account (default: all of them).")
]


def reconcile(
    ctx: typer.Context,
    account: AccountOption = None,
    cycle: Annotated[
        Cycle, typer.Option("--cycle", help="current or previous billing cycle.")
    ] = Cycle.current,
    fmt: TableOrJsonOption = TableOrJson.table,
) -> None:
    """Outlay's cost per member beside Cursor's /teams/spend for a billing cycle."""
    reconciled, unavailable = outlay_of(ctx).reconcile(account, cycle.value)
    out = console()
    if fmt is TableOrJson.json:
        from outlay.reconcile.spend import document

        print_json(document(reconciled, unavailable))
        return
    for r in reconciled:
        grid = table(
            f"{r.account}: cycle {r.cycle_start:%Y-%m-%d %H:%M} to {r.cycle_end:%Y-%m-%d %H:%M} "
            f"UTC, as of {r.as_of:%Y-%m-%d %H:%M} UTC — {r.status}",
            ["member", "outlay", "included", "on demand", "cursor", "difference", "status"],
            right=["outlay", "included", "on demand", "cursor", "difference"],
        )
        for m in r.members:
            note = "" if m.in_spend and m.in_events else (
                " (not in spend)" if not m.in_spend else " (no events)"
            )  # fmt: skip
            grid.add_row(
                m.email + note, dollars(m.outlay), dollars(m.outlay_included),
                dollars(m.outlay_on_demand), dollars(m.cursor), str(m.difference), m.status,
            )  # fmt: skip
        grid.add_row("total", dollars(r.outlay), "", "", dollars(r.cursor), str(r.difference), "")
        out.print(grid)
    for u in unavailable:
        out.print(f"{u['account']}: not reconciled, {u['reason']}", markup=False)


def completeness(
    ctx: typer.Context,
    account: AccountOption = None,
    start: Annotated[str | None, typer.Option("--start", help="First UTC day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last UTC day (default today).")] = None,
    fmt: TableOrJsonOption = TableOrJson.table,
) -> None:
    """Per account and UTC day: events and cost held, daily usage activity, last read, status."""
    first = parse_day(start, "--start") if start else None
    last = parse_day(end, "--end") if end else None
    days = outlay_of(ctx).completeness(account, first, last)
    out = console()
    if fmt is TableOrJson.json:
        print_json({"days": [d.to_data() for d in days]})
        return
    grid = table(
        None, ["account", "date", "events", "cost", "daily usage", "last read", "status"],
        right=["events", "cost"],
    )  # fmt: skip
    for d in days:
        data = d.to_data()
        active = {None: "not read", True: "active", False: "no activity"}
        status = d.status
        if data["missing_members"]:
            status += f" ({', '.join(data['missing_members'])})"
        if data["revision"]:
            status += f" (changed by {data['revision']['cost']} USD)"
        grid.add_row(
            d.account, data["date"], f"{d.events:,}", dollars(d.cost),
            active[data["active_in_daily_usage"]], data["last_read_at"] or "—", status,
        )  # fmt: skip
    out.print(grid)
