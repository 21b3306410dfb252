"""``outlay db``: the metadata database's schema revision and upgrading it, and ``db copy``:
moving an install to other stores (an embedded one to PostgreSQL + ClickHouse), proving the
copy matches."""

from __future__ import annotations

from typing import Annotated

import typer

from outlay.cli.render import console, table
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


@app.command("copy")
def copy(
    ctx: typer.Context,
    to_database_url: Annotated[
        str,
        typer.Option(
            "--to-database-url",
            metavar="URL",
            help="Metadata target (any SQLAlchemy URL, e.g. postgresql+psycopg://…); empty.",
        ),
    ],
    to_facts_url: Annotated[
        str,
        typer.Option(
            "--to-facts-url",
            metavar="URL",
            help="Fact target: duckdb:///path, chdb:///path or clickhouse://…; empty.",
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Copy every metadata table and every cost row into empty targets, then compare row
    counts per table and cost per account and day; any difference is an error."""
    from outlay.config import check_facts_url
    from outlay.store.copy import copy_install
    from outlay.store.facts_api import open_facts

    settings = state_of(ctx).settings
    check_facts_url(to_facts_url)
    if not yes and not typer.confirm(
        f"Copy this install into {to_database_url} and {to_facts_url}?"
    ):
        raise typer.Exit(1)
    settings.ensure_data_dir()
    source, target = open_facts(settings), open_facts(settings, to_facts_url)
    try:
        checks = copy_install(settings.meta_url, source, to_database_url, target)
    finally:
        source.close()
        target.close()
    shown = table("Copy verified", ["What", "Source", "Copy"], right=["Source", "Copy"])
    for check in checks:
        shown.add_row(check.what, str(check.source), str(check.target))
    console().print(shown)
    console(stderr=True).print(f"Copied and verified {len(checks)} totals.", markup=False)
