"""``outlay fake-cursor``: serve a fake Cursor Admin API over a synthetic team, for demos and
for developing against without a real key."""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer

from outlay.cli.state import modules_loaded

app = typer.Typer(
    help="A local fake of the Cursor Admin API (read-only, synthetic data).",
    no_args_is_help=True,
)


@app.callback()
def _group() -> None:
    """Keep ``serve`` a named subcommand even though it is the only one."""


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="TCP port to listen on (0 picks a free one).")],
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic team.")] = 7,
    users: Annotated[int, typer.Option(min=1, help="Team members.")] = 25,
    days: Annotated[int, typer.Option(min=0, help="Days of history before today.")] = 90,
    events_per_user_day: Annotated[
        float, typer.Option(min=0.0, help="Average usage events per member per day.")
    ] = 12.0,
    key: Annotated[
        str | None,
        typer.Option(help="The API key clients must send (default: the fake's built-in key)."),
    ] = None,
    rate_limit: Annotated[
        bool, typer.Option(help="Enforce Cursor's per-minute limits (60 events, 20 other).")
    ] = True,
    retry_after: Annotated[
        int | None, typer.Option(min=0, help="Send Retry-After: N with every 429.")
    ] = None,
) -> None:
    """Serve the fake until Ctrl-C; prints the URL and the key to use."""
    # The test double loads only when this command runs, never with the rest of the CLI.
    from outlay.testing.cursor_fake import DEFAULT_KEY, TeamSpec
    from outlay.testing.cursor_fake import serve as serve_fake

    modules_loaded()  # a server runs for long: the collector must be on

    key = key or DEFAULT_KEY
    spec = TeamSpec(seed=seed, users=users, days=days, events_per_user_day=events_per_user_day)

    def ready(url: str) -> None:
        typer.echo(f"fake Cursor Admin API at {url}  key: {key}")
        # outlay calls only Cursor's own API unless told otherwise: say how to allow this one.
        typer.echo(f"let outlay use it: export OUTLAY_ALLOWED_BASE_URLS={url}")

    # uvicorn re-raises Ctrl-C after its clean shutdown; stopping is the normal way out.
    with contextlib.suppress(KeyboardInterrupt):
        serve_fake(
            spec,
            host=host,
            port=port,
            key=key,
            rate_limit=rate_limit,
            retry_after=retry_after,
            on_ready=ready,
        )
