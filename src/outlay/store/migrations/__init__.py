"""The metadata schema comes from these Alembic migrations (``versions/``), never ``create_all``.

Configured here in code, so no alembic.ini ships or is read. ``upgrade`` brings a database to the
head revision: one made before migrations existed (the first release's ``create_all``, no
``alembic_version``) is recognised by its tables and stamped ``0001`` first. ``check`` refuses a
database behind the code (run ``outlay db upgrade``) or ahead of it (upgrade outlay).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from outlay.errors import StoreError

#: Tables the first release made with ``create_all``: a database holding all of them and no
#: ``alembic_version`` is that release's, at revision 0001.
FIRST_RELEASE_TABLES = frozenset(
    {"accounts", "documents", "workspace_reports", "workspaces", "users", "user_workspaces",
     "account_workspaces", "credentials", "seat_prices", "member_snapshots", "spend_reads",
     "spend_members", "day_reads"}
)  # fmt: skip
FIRST_REVISION = "0001"
#: Key of the PostgreSQL advisory lock that lets one ``upgrade`` run at a time.
UPGRADE_LOCK_KEY = 0x6F75746C61790001


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("outlay.store") / "migrations"))
    config.attributes["connection"] = connection
    return config


@cache
def head() -> str:
    """The newest revision this code knows."""
    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None
    return found


@cache
def known_revisions() -> frozenset[str]:
    return frozenset(s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions())


def revision_of(connection: Connection) -> str | None:
    """The database's revision; ``FIRST_REVISION`` for a first-release database not yet stamped;
    None for an empty one."""
    found = MigrationContext.configure(connection).get_current_revision()
    if found is not None:
        return found
    tables = set(inspect(connection).get_table_names())
    if not tables:
        return None
    if tables >= FIRST_RELEASE_TABLES:
        return FIRST_REVISION
    missing = ", ".join(sorted(FIRST_RELEASE_TABLES - tables))
    raise StoreError(
        f"the metadata database has tables but not outlay's (missing: {missing}); "
        "point OUTLAY_DATABASE_URL at an empty database or at outlay's own"
    )


def check(engine: Engine) -> None:
    """Refuse a database whose schema is not the code's head."""
    with engine.connect() as connection:
        found = revision_of(connection)
    _refuse_newer(found)
    if found != head():
        raise StoreError(
            f"the metadata database is at schema revision {found or 'none (empty)'}, this "
            f"outlay needs {head()}; run `outlay db upgrade`"
        )


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the head revision, in one transaction: (revision before, after)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes upgrading at once: the second waits, then finds nothing to do.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK_KEY}
            )
        before = revision_of(connection)
        _refuse_newer(before)
        config = _config(connection)
        if before == FIRST_REVISION and not _stamped(connection):
            command.stamp(config, FIRST_REVISION)
        if before != head():
            command.upgrade(config, "head")
    return before, head()


def _stamped(connection: Connection) -> bool:
    return MigrationContext.configure(connection).get_current_revision() is not None


def _refuse_newer(found: str | None) -> None:
    if found is not None and found not in known_revisions():
        raise StoreError(
            f"the metadata database is at schema revision {found}, newer than this outlay "
            f"knows (its newest is {head()}); upgrade outlay"
        )
