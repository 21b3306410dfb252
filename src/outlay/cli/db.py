"""``outlay db``: the metadata database's schema revision, and upgrading it."""

from __future__ import annotations

import typer

from outlay.cli.render import console
from outlay.cli.state import state_of

app = typer.Typer(help="The metadata database: its schema revision and upgrades.")


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Bring the metadata database (OUTLAY_DATABASE_URL) to this outlay's schema; run it once
    after installing a new version, before starting the servers and workers."""
    from outlay.store.meta import MetaStore
    from outlay.store.migrations import head

    settings = state_of(ctx).settings
    if settings.database_url is None:
        settings.ensure_data_dir()
    store = MetaStore(settings.meta_url, upgrade=True)
    before = store.revision_before_open
    store.dispose()
    if before == head():
        console().print(f"the metadata database is at revision {head()} already")
    else:
        console().print(f"upgraded the metadata database from {before or 'empty'} to {head()}")


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Show the metadata database's schema revision and the newest this outlay knows."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from outlay.errors import StoreError
    from outlay.store.meta import one_line
    from outlay.store.migrations import head, revision_of

    settings = state_of(ctx).settings
    if settings.database_url is None:
        settings.ensure_data_dir()
    engine = create_engine(settings.meta_url)
    try:
        with engine.connect() as connection:
            found = revision_of(connection)
    except SQLAlchemyError as exc:
        raise StoreError(f"metadata store: {one_line(exc)}") from exc
    finally:
        engine.dispose()
    console().print(f"revision {found or 'none (empty)'}; this outlay's newest is {head()}")
