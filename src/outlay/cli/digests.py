"""``outlay reports digest``: deliver a saved report to channels every day, week or month."""

from __future__ import annotations

from typing import Annotated

import typer

from outlay.cli.render import (
    NotifyOption,
    TableOrJson,
    TableOrJsonOption,
    comma_names,
    console,
    print_rows,
)
from outlay.cli.state import outlay_of, workspace_of


def digest(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The saved report.")],
    every: Annotated[
        str | None,
        typer.Option("--every", metavar="day|week|month",
                     help="Daily, weekly (Mondays) or monthly (the 2nd)."),
    ] = None,
    notify: NotifyOption = None,
    off: Annotated[bool, typer.Option("--off", help="Stop sending this report.")] = False,
) -> None:  # fmt: skip
    """Send a saved report's total, change against the previous period and top movers to
    channels on a schedule; --off stops it."""
    outlay, space = outlay_of(ctx), workspace_of(ctx)
    if off:
        if every or notify:
            raise typer.BadParameter("--off takes no --every or --notify")
        outlay.remove_digest(name, workspace=space)
        console().print(f"Report {name!r} is no longer sent.")
        return
    if every is None:
        raise typer.BadParameter("give --every day|week|month (or --off)")
    channels = comma_names(notify)
    outlay.set_digest(name, every, channels, workspace=space)
    console().print(f"Report {name!r} goes to {', '.join(channels)} every {every}.")


def digests(ctx: typer.Context, fmt: TableOrJsonOption = TableOrJson.table) -> None:
    """The saved reports sent on a schedule."""
    found = outlay_of(ctx).digests(workspace=workspace_of(ctx))
    rows = [{"report": d.report, "every": d.every, "channels": list(d.channels)} for d in found]
    print_rows(
        rows, fmt, ["report", "every", "channels"],
        lambda d: [d["report"], d["every"], ", ".join(d["channels"])],
        empty="No digests. Add one: outlay reports digest NAME --every week --notify CH",
    )  # fmt: skip
