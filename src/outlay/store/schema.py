"""The metadata tables, in one place so that one ``create_all`` makes every one of them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

IMPORTING = "importing"


class Base(DeclarativeBase):
    pass


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    provider: Mapped[str] = mapped_column(String(40))
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    masked_key: Mapped[str] = mapped_column(String(40))
    base_url: Mapped[str] = mapped_column(String(500))
    paced: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default=IMPORTING)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    #: Newest UTC day a finished sync covered; the next sync re-reads from here minus the lag.
    synced_through: Mapped[date | None] = mapped_column(Date, default=None)
    #: Oldest UTC day imported so far; the backfill resumes the day before it.
    oldest_day: Mapped[date | None] = mapped_column(Date, default=None)
    backfill_done: Mapped[bool] = mapped_column(Boolean, default=False)
    windows_done: Mapped[int] = mapped_column(Integer, default=0)
    events_imported: Mapped[int] = mapped_column(Integer, default=0)


class DocumentRow(Base):
    """Named documents kept whole, such as the virtual tag definitions (YAML)."""

    __tablename__ = "documents"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ReportRow(Base):
    __tablename__ = "workspace_reports"

    workspace_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    spec: Mapped[str] = mapped_column(Text)  # ReportSpec.to_data() as JSON
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class WorkspaceRow(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class UserWorkspaceRow(Base):
    __tablename__ = "user_workspaces"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )


class AccountWorkspaceRow(Base):
    __tablename__ = "account_workspaces"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )


class CredentialRow(Base):
    """A login session or an API token: only the SHA-256 of the secret is kept."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "session" or "token"
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")
    csrf_token: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class SeatPriceRow(Base):
    """An account's seat price (USD per member per month); no row: seats are off."""

    __tablename__ = "seat_prices"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    #: Exact decimal text: SQLite has no exact decimal type.
    price: Mapped[str] = mapped_column(String(40))
    #: The documented preset it came from, if any.
    preset: Mapped[str | None] = mapped_column(String(40), default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class MemberSnapshotRow(Base):
    """Who ``/teams/members`` listed on a UTC day (the last read of that day wins)."""

    __tablename__ = "member_snapshots"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    role: Mapped[str | None] = mapped_column(String(20), default=None)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
