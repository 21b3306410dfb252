"""``outlay worker``: the scheduler (hourly syncs, "Sync now" requests) as a process of its own.

Run one or more beside web replicas started with ``outlay serve --no-scheduler``: the scheduler
lock keeps exactly one of them active, and another takes over when it dies.
"""

from __future__ import annotations

from typing import Annotated

import typer

from outlay.cli.render import console
from outlay.cli.state import outlay_of


def worker(
    ctx: typer.Context,
    interval: Annotated[
        float,
        typer.Option("--interval", min=1.0, help="Seconds between syncs of every account."),
    ] = 3600.0,
) -> None:
    """Run the scheduler until stopped (Ctrl-C or SIGTERM); waits while another is active."""
    import logging
    import signal
    import threading

    from outlay.web.scheduler import Scheduler

    outlay = outlay_of(ctx)
    outlay.meta  # noqa: B018 - open it now: a wrong URL or an old schema stops here, not later
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise here
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    scheduler = Scheduler(outlay, interval_s=interval)
    scheduler.start()
    console(stderr=True).print("outlay worker is running (Ctrl-C stops it)")
    # Wake every second: a signal the OS hands to another thread only runs its Python handler
    # when the main thread next runs, so a wait without a timeout could miss SIGTERM for good.
    while not stop.wait(1.0):
        pass
    scheduler.stop()
