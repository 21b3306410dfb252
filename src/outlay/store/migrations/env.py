"""Alembic's entry point, driven by ``outlay.store.migrations`` (never by an alembic.ini): the
caller passes the open connection in ``config.attributes["connection"]``."""

from __future__ import annotations

from alembic import context

from outlay.store.schema import Base

connection = context.config.attributes["connection"]
# Batch mode rebuilds a table where SQLite cannot ALTER it in place; PostgreSQL alters directly.
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
