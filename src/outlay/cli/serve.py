"""``outlay serve``: the web app, the REST API and (unless ``--no-scheduler``) the scheduler."""

from __future__ import annotations

from typing import Annotated

import typer

from outlay.cli.render import console
from outlay.cli.state import outlay_of


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    scheduler: Annotated[
        bool,
        typer.Option(
            "--scheduler/--no-scheduler",
            help="Also run the scheduler; --no-scheduler for web replicas beside `outlay worker`.",
        ),
    ] = True,
) -> None:
    """Serve the web app and API; sync every account hourly (unless --no-scheduler)."""
    import uvicorn

    from outlay.web.app import create_app

    outlay = outlay_of(ctx)
    app = create_app(outlay.settings, outlay=outlay, scheduler=scheduler)
    console(stderr=True).print(f"outlay is serving on http://{host}:{port}/ (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
