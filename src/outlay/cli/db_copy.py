"""``outlay db copy``: move an install to other stores (an embedded one to PostgreSQL +
ClickHouse) and prove the copy matches."""

from __future__ import annotations

from typing import Annotated

import typer

from outlay.cli.render import console, table
from outlay.cli.state import state_of

app = typer.Typer(help="Database operations.", no_args_is_help=True)


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
        checks = copy_install(source_database_url(settings), source, to_database_url, target)
    finally:
        source.close()
        target.close()
    shown = table("Copy verified", ["What", "Source", "Copy"], right=["Source", "Copy"])
    for check in checks:
        shown.add_row(check.what, str(check.source), str(check.target))
    console().print(shown)
    console(stderr=True).print(f"Copied and verified {len(checks)} totals.", markup=False)


def source_database_url(settings: object) -> str:
    """The configured metadata database (``database_url`` once that setting exists)."""
    url = getattr(settings, "database_url", None)
    if isinstance(url, str) and url:
        return url
    return f"sqlite:///{getattr(settings, 'meta_path')}"  # noqa: B009 - Settings, typed loosely
