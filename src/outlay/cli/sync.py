"""``outlay sync``: import new and revised usage, with a progress bar per account."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from outlay.cli.dates import parse_day
from outlay.cli.render import console
from outlay.cli.state import outlay_of
from outlay.errors import OutlayError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from outlay.ingest.sync import SyncResult
    from outlay.ingest.windows import Window
    from outlay.service import Outlay


class ProgressListener:
    """Shows windows done of planned, rows and events imported, and the ETA."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}
        self._counts: dict[str, tuple[int, int]] = {}

    def planned(self, account: str, windows: int) -> None:
        if account not in self._tasks:
            self._tasks[account] = self._progress.add_task(account, total=windows, stats="")
            self._counts[account] = (0, 0)
        else:
            task = self._tasks[account]
            total = (self._progress.tasks[task].total or 0) + windows
            self._progress.update(task, total=total)

    def window_done(self, account: str, window: Window, events: int, rows: int) -> None:
        seen_events, seen_rows = self._counts[account]
        self._counts[account] = (seen_events + events, seen_rows + rows)
        self._progress.update(
            self._tasks[account],
            advance=1,
            stats=f"{seen_events + events:,} events, {seen_rows + rows:,} rows, "
            f"back to {window.first_day}",
        )

    def finish(self, account: str) -> None:
        task = self._tasks.get(account)
        if task is not None:
            done = self._progress.tasks[task].completed
            self._progress.update(task, total=done)


def run_with_progress(
    outlay: Outlay, names: list[str], since: date | None
) -> list[tuple[str, SyncResult | OutlayError]]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TextColumn("windows"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[stats]}"),
        console=console(stderr=True),
    )
    listener = ProgressListener(progress)
    outcomes: list[tuple[str, SyncResult | OutlayError]] = []
    with progress:
        for name in names:
            try:
                outcomes.append((name, outlay.sync(name, since=since, listener=listener)))
            except OutlayError as exc:
                outcomes.append((name, exc))
            listener.finish(name)
    return outcomes


def sync(
    ctx: typer.Context,
    account: Annotated[
        str | None, typer.Option("--account", help="Sync only this account (default: all).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar="YYYY-MM-DD", help="Re-read everything from this UTC date."
        ),
    ] = None,
) -> None:
    """Import usage: the lag window again, then the history not yet imported."""
    outlay = outlay_of(ctx)
    first = parse_day(since, "--since") if since else None
    names = [outlay.account(account).name] if account else [a.name for a in outlay.accounts()]
    out = console()
    if not names:
        out.print(
            "No accounts to sync. Connect one: "
            "outlay accounts add cursor --name NAME --api-key-env VAR"
        )
        return
    failed = False
    for name, outcome in run_with_progress(outlay, names, first):
        if isinstance(outcome, OutlayError):
            failed = True
            console(stderr=True).print(f"{name}: sync failed: {outcome}", markup=False)
        else:
            out.print(
                f"{outcome.account}: {outcome.windows} windows, {outcome.events:,} events, "
                f"{outcome.rows:,} cost rows; status {outcome.status}"
            )
    if failed:
        raise typer.Exit(1)
