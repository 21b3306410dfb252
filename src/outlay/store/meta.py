"""Metadata (accounts, their encrypted keys, status and sync checkpoints) through SQLAlchemy.

SQLite file in the data dir by default; PostgreSQL at scale (``OUTLAY_DATABASE_URL``). Callers get
frozen ``Account`` values, never ORM objects, so nothing outside this module holds a session.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from outlay.errors import AccountNotFound, ConflictError, InputError, ReportNotFound, StoreError
from outlay.store.files import make_private, storage_error
from outlay.store.schema import AccountRow, Base, DocumentRow, ReportRow

IMPORTING, STABLE, ERROR = "importing", "stable", "error"
_T = TypeVar("_T")


@dataclass(frozen=True)
class SavedReport:
    workspace_id: int
    name: str
    spec: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    provider: str
    sealed_key: bytes
    masked_key: str
    base_url: str
    paced: bool
    status: str
    error: str | None
    created_at: datetime
    last_synced_at: datetime | None
    synced_through: date | None
    oldest_day: date | None
    backfill_done: bool
    windows_done: int
    events_imported: int

    def public(self) -> dict[str, Any]:
        """The account as shown to people: the key only masked."""
        return {
            "name": self.name,
            "provider": self.provider,
            "status": self.status,
            "last_synced_at": _iso(self.last_synced_at),
            "error": self.error,
            "key": self.masked_key,
            "base_url": self.base_url,
            "oldest_day": self.oldest_day.isoformat() if self.oldest_day else None,
            "backfill_done": self.backfill_done,
            "events_imported": self.events_imported,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if moment else None


def from_row(kind: type[_T], row: object) -> _T:
    """The frozen value ``kind`` of an ORM row whose attributes carry each of its fields."""
    return kind(**{f: getattr(row, f) for f in kind.__dataclass_fields__})  # type: ignore[attr-defined]


class MetaStore:
    """The metadata database at any SQLAlchemy URL (``sqlite:///...``, ``postgresql+psycopg://...``).

    The schema comes from the migrations: an embedded SQLite file is upgraded on first use; any
    other database must be at the code's revision already (``outlay db upgrade``), and one newer
    than the code is refused.
    """

    def __init__(self, url: str, *, upgrade: bool | None = None) -> None:
        from outlay.store import migrations

        self.url = url
        sqlite = url.startswith("sqlite")
        try:
            self._engine = create_engine(url, pool_pre_ping=not sqlite)
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(f"metadata store: cannot open {_safe(url)}: {exc}") from exc
        if sqlite:
            # Sync and CLI may write at once: wait for the lock instead of failing at once.
            sa_event.listen(self._engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        database = self._engine.url.database
        #: The schema revision found when opening (before any upgrade); None: an empty database.
        self.revision_before_open: str | None = migrations.head()
        try:
            if upgrade if upgrade is not None else sqlite:
                with _migration_lock(database if sqlite else None):
                    self.revision_before_open, _ = migrations.upgrade(self._engine)
            else:
                migrations.check(self._engine)
        except SQLAlchemyError as exc:
            raise StoreError(f"metadata store {_safe(url)}: {one_line(exc)}") from exc
        if sqlite and database and database != ":memory:":
            # SQLite creates the file with the umask, and its -wal and -shm with the file's mode.
            make_private(*(Path(database + suffix) for suffix in ("", "-wal", "-shm", ".lock")))

    @classmethod
    def at(cls, path: Path) -> MetaStore:
        return cls(f"sqlite:///{path}")

    @property
    def engine(self) -> Engine:
        """For the stores that share this database and need a connection of their own (locks)."""
        return self._engine

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def dispose(self) -> None:
        """Close the pooled connections (tests drop their database afterwards)."""
        self._engine.dispose()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            database = self._engine.url.database
            if "disk is full" in str(exc) and database:
                raise storage_error(Path(database), "database or disk is full") from exc
            raise StoreError(f"metadata store: {one_line(exc)}") from exc

    def add_account(
        self, *, name: str, provider: str, sealed_key: bytes, masked_key: str, base_url: str,
        paced: bool = True, now: datetime,
    ) -> Account:  # fmt: skip
        row = AccountRow(
            name=name, provider=provider, sealed_key=sealed_key, masked_key=masked_key,
            base_url=base_url, paced=paced, status=IMPORTING, created_at=now,
            backfill_done=False, windows_done=0, events_imported=0,
        )  # fmt: skip
        try:
            with self._session() as session:
                session.add(row)
                session.flush()
                return from_row(Account, row)
        except IntegrityError:
            raise ConflictError(
                f"an account named {name!r} exists already", field="account_name"
            ) from None

    def accounts(self) -> list[Account]:
        with self._session() as session:
            rows = session.query(AccountRow).order_by(AccountRow.name).all()
            return [from_row(Account, r) for r in rows]

    def account(self, name: str) -> Account:
        with self._session() as session:
            row = session.query(AccountRow).filter_by(name=name).one_or_none()
            if row is None:
                known = ", ".join(a.name for a in self.accounts()) or "none yet"
                raise AccountNotFound(f"no account named {name!r} (accounts: {known})")
            return from_row(Account, row)

    def update(self, account: Account, **changes: Any) -> Account:
        with self._session() as session:
            row = session.get(AccountRow, account.id)
            if row is None:
                raise ConflictError(f"account {account.name!r} was removed meanwhile")
            for key, value in changes.items():
                setattr(row, key, value)
        return replace(account, **changes)

    def remove_account(self, account: Account) -> None:
        self.delete(AccountRow, account.id)

    def delete(self, model: type[Base], key: Any) -> bool:
        """Remove the ``model`` row at primary key ``key``; False if there was none."""
        with self._session() as session:
            row = session.get(model, key)
            if row is not None:
                session.delete(row)
            return row is not None

    # -- documents and saved reports -------------------------------------------------------------

    def document(self, name: str) -> str | None:
        with self._session() as session:
            row = session.get(DocumentRow, name)
            return row.body if row is not None else None

    def put_document(self, name: str, body: str, *, now: datetime) -> None:
        with self._session() as session:
            session.merge(DocumentRow(name=name, body=body, updated_at=now))

    def save_report(
        self, workspace_id: int, name: str, spec: dict[str, Any], *, now: datetime
    ) -> SavedReport:
        with self._session() as session:
            row = session.get(ReportRow, (workspace_id, name))
            if row is None:
                row = ReportRow(workspace_id=workspace_id, name=name, created_at=now)
                session.add(row)
            row.spec = json.dumps(spec, sort_keys=True)
            row.updated_at = now
            session.flush()
            return _report(row)

    def reports(self, workspace_id: int) -> list[SavedReport]:
        with self._session() as session:
            rows = session.query(ReportRow).filter_by(workspace_id=workspace_id)
            return [_report(r) for r in rows.order_by(ReportRow.name)]

    def report(self, workspace_id: int, name: str) -> SavedReport:
        with self._session() as session:
            row = session.get(ReportRow, (workspace_id, name))
            if row is None:
                known = ", ".join(r.name for r in self.reports(workspace_id)) or "none yet"
                raise ReportNotFound(f"no saved report {name!r} (reports: {known})")
            return _report(row)

    def delete_report(self, workspace_id: int, name: str) -> None:
        self.report(workspace_id, name)
        with self._session() as session:
            session.query(ReportRow).filter_by(workspace_id=workspace_id, name=name).delete()

    def rename_report(self, workspace_id: int, name: str, new_name: str, *, now: datetime) -> None:
        """Rename in one UPDATE: the report is never missing, and never there twice."""
        try:
            with self._session() as session:
                done = (
                    session.query(ReportRow)
                    .filter_by(workspace_id=workspace_id, name=name)
                    .update({"name": new_name, "updated_at": now})
                )
        except IntegrityError:
            raise InputError(
                f"a report named {new_name!r} exists already; pick another name"
            ) from None
        if not done:
            self.report(workspace_id, name)  # raises ReportNotFound naming the reports there

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction for the other stores that share this database (access)."""
        with self._session() as session:
            yield session


def _report(row: ReportRow) -> SavedReport:
    return SavedReport(
        row.workspace_id, row.name, json.loads(row.spec), row.created_at, row.updated_at
    )


def one_line(exc: SQLAlchemyError) -> str:
    """The database's own first line about a failure, without SQLAlchemy's wrapping."""
    cause = getattr(exc, "orig", None) or exc
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{cause.__class__.__name__}: {first}"


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return url.split("://")[0] + "://..."


@contextmanager
def _migration_lock(database: str | None) -> Iterator[None]:
    """Processes that open one SQLite file at once upgrade it one after another (PostgreSQL
    serialises upgrades with an advisory lock inside the migration's transaction)."""
    if not database or database == ":memory:":
        yield
        return
    fd = os.open(database + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()
