"""The schema comes from the migrations: a database the first release made is recognised and
upgraded with its data, the head equals the models, and a newer database is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from outlay.access import secret_hash
from outlay.config import Settings
from outlay.errors import StoreError
from outlay.service import Outlay
from outlay.store import migrations
from outlay.store.meta import MetaStore
from outlay.store.schema import Base
from tests.fixtures import first_release_schema as old
from tests.postgres import Databases

THEN = datetime(2026, 6, 1, 12, 0)
SESSION = "a-session-secret-from-the-first-release"


@pytest.fixture
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty metadata database on the backend under test."""
    if request.config.getoption("--database") != "postgresql":
        yield f"sqlite:///{tmp_path / 'meta.sqlite'}"
        return
    databases: Databases = request.getfixturevalue("postgres")
    url = databases.fresh(migrated=False)
    yield url
    databases.drop(url)


def first_release_database(url: str) -> None:
    """What the first release left: its ``create_all``, no alembic_version, a few rows."""
    engine = create_engine(url)
    old.Base.metadata.create_all(engine)
    with Session(engine) as s, s.begin():
        s.add(old.WorkspaceRow(id=1, name="Default", created_at=THEN))
        s.add(old.AccountRow(
            id=1, name="acme", provider="cursor", sealed_key=b"\x00sealed", masked_key="crsr_…abcd",
            base_url="https://api.cursor.com", paced=True, status="stable", created_at=THEN,
            backfill_done=True, windows_done=3, events_imported=1234,
        ))  # fmt: skip
        s.add(old.UserRow(id=1, email="o@x.io", password_hash="$argon2id$x", role="owner",
                          created_at=THEN))  # fmt: skip
        s.flush()
        s.add(old.AccountWorkspaceRow(account_id=1, workspace_id=1))
        s.add(old.UserWorkspaceRow(user_id=1, workspace_id=1))
        s.add(old.CredentialRow(kind="session", secret_hash=secret_hash(SESSION), user_id=1,
                                csrf_token="csrf", created_at=THEN))  # fmt: skip
        s.add(old.ReportRow(workspace_id=1, name="Monthly", spec=json.dumps({"date_bin": "month"}),
                            created_at=THEN, updated_at=THEN))  # fmt: skip
        s.add(old.DayReadRow(account_id=1, day=THEN.date(), last_read_at=THEN,
                             read_through_ms=1_780_000_000_000, events=7, cost="12.3456"))  # fmt: skip
    engine.dispose()


def revision(url: str) -> str | None:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    return found


def test_a_first_release_database_is_recognised_and_upgraded_with_its_data(
    empty_url: str, tmp_path: Path
) -> None:
    first_release_database(empty_url)
    assert revision(empty_url) is None
    store = MetaStore(empty_url, upgrade=True)
    assert revision(empty_url) == migrations.head()
    [account] = store.accounts()
    assert (account.name, account.sealed_key, account.events_imported) == (
        "acme",
        b"\x00sealed",
        1234,
    )
    assert store.report(1, "Monthly").spec == {"date_bin": "month"}
    store.update(account, events_imported=3_000_000_000)  # past 32 bits: a large team's count
    assert store.account("acme").events_imported == 3_000_000_000
    outlay = Outlay(Settings(data_dir=tmp_path, database_url=empty_url))
    principal, _ = outlay.authenticate("session", SESSION)  # still signed in
    assert principal.email == "o@x.io"
    assert outlay.request_sync("acme").name == "acme"  # a table 0002 added
    assert outlay.queued_syncs() == {"acme"}
    store.dispose()
    outlay.meta.dispose()


def test_upgrading_twice_changes_nothing_and_says_where_it_was(empty_url: str) -> None:
    engine = create_engine(empty_url)
    assert migrations.upgrade(engine) == (None, migrations.head())
    assert migrations.upgrade(engine) == (migrations.head(), migrations.head())
    engine.dispose()


def test_the_migrations_head_equals_the_models(empty_url: str) -> None:
    """Tables or columns added to schema.py without a migration show up here, by name."""
    engine = create_engine(empty_url)
    migrations.upgrade(engine)
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diffs == []


def test_the_first_revision_is_exactly_the_first_release(empty_url: str) -> None:
    engine = create_engine(empty_url)
    with engine.begin() as connection:
        from alembic import command

        command.upgrade(migrations._config(connection), migrations.FIRST_REVISION)
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), old.Base.metadata)
    engine.dispose()
    assert diffs == []


def test_a_database_newer_than_the_code_is_refused_and_left_alone(empty_url: str) -> None:
    engine = create_engine(empty_url)
    migrations.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    for upgrade in (True, False):
        with pytest.raises(StoreError, match=r"^the metadata database is at schema revision 0999, "
                           r"newer than this outlay knows \(its newest is \d{4}\); upgrade outlay$"):  # fmt: skip
            MetaStore(empty_url, upgrade=upgrade)
    assert revision(empty_url) == "0999"
    engine.dispose()


def test_a_server_database_behind_the_code_asks_for_db_upgrade(empty_url: str) -> None:
    with pytest.raises(StoreError, match=r"revision none \(empty\), this outlay needs \d{4}; "
                       r"run `outlay db upgrade`$"):  # fmt: skip
        MetaStore(empty_url, upgrade=False)
    assert revision(empty_url) is None


def test_a_database_of_other_tables_is_refused(empty_url: str) -> None:
    engine = create_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"has tables but not outlay's .*empty database"):
        MetaStore(empty_url, upgrade=True)
