"""``outlay serve``: the web app, the REST API and the hourly scheduler in one process."""

from __future__ import annotations

from typing import Annotated

import typer

from outlay.cli.render import console
from outlay.cli.state import outlay_of


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
) -> None:
    """Serve the web app and API; sync every account hourly."""
    import uvicorn

    from outlay.web.app import create_app

    outlay = outlay_of(ctx)
    app = create_app(outlay.settings, outlay=outlay)
    console(stderr=True).print(f"outlay is serving on http://{host}:{port}/ (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
