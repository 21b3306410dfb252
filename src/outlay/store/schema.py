"""The metadata tables, in one place so that one ``create_all`` makes every one of them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
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
    #: Counts every event ever imported: past 2**31 for a large team, so 64 bits on PostgreSQL
    #: (SQLite's INTEGER is 64 bits already).
    events_imported: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), default=0
    )


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
    #: Set while the user is disabled: checked at every authentication.
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


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
    #: API tokens only: "read" (GET requests) or "write" (everything its user may do).
    scope: Mapped[str] = mapped_column(String(10), default="write", server_default="write")
    #: API tokens only: refreshed at most once a minute, not on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


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


# -- reconciliation and completeness (``store/trust.py``) ---------------------------------------


class SpendReadRow(Base):
    """One read of ``/teams/spend`` during a sync; it only ever shows the current cycle, so the
    reads are kept to prove past cycles."""

    __tablename__ = "spend_reads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    #: The sync's "now": outlay compares with its events up to this moment.
    as_of_ms: Mapped[int] = mapped_column(BigInteger)
    cycle_start_ms: Mapped[int] = mapped_column(BigInteger)  # subscriptionCycleStart
    read_at: Mapped[datetime] = mapped_column(DateTime)


class SpendMemberRow(Base):
    """A member's row of one spend read, cents kept as the exact decimal text Cursor sent."""

    __tablename__ = "spend_members"

    read_id: Mapped[int] = mapped_column(
        ForeignKey("spend_reads.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    user_id: Mapped[str | None] = mapped_column(String(100), default=None)
    spend_cents: Mapped[str | None] = mapped_column(String(40), default=None)
    overall_spend_cents: Mapped[str | None] = mapped_column(String(40), default=None)
    included_spend_cents: Mapped[str | None] = mapped_column(String(40), default=None)
    #: The member's Cursor limits in USD as sent (decimal text; None: field absent or null).
    hard_limit_override_dollars: Mapped[str | None] = mapped_column(String(40), default=None)
    monthly_limit_dollars: Mapped[str | None] = mapped_column(String(40), default=None)
    effective_limit_dollars: Mapped[str | None] = mapped_column(String(40), default=None)


class DayReadRow(Base):
    """What outlay knows of one UTC day of an account: its totals as of the last read of its
    events, whether a re-read changed them, and what daily usage showed for it."""

    __tablename__ = "day_reads"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_read_at: Mapped[datetime] = mapped_column(DateTime)
    #: The read covered the day's events up to here (the day's end, or the sync's now).
    read_through_ms: Mapped[int] = mapped_column(BigInteger)
    events: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[str] = mapped_column(String(40), default="0")  # USD, exact decimal text
    revisions: Mapped[int] = mapped_column(Integer, default=0)
    revised_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    #: Change of the last revision (after - before) over the part of the day read before.
    revised_cost: Mapped[str | None] = mapped_column(String(40), default=None)
    revised_events: Mapped[int | None] = mapped_column(Integer, default=None)
    #: JSON lists of emails: active in daily usage (None: not read), active without events.
    active: Mapped[str | None] = mapped_column(Text, default=None)
    missing: Mapped[str | None] = mapped_column(Text, default=None)
    usage_read_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


# -- guardrails (``store/alerts.py``) ------------------------------------------------------------


class ChannelRow(Base):
    """Where alerts go: an e-mail list, a Slack or Teams webhook, or any webhook. The target
    (a URL is a credential) and the signing secret are sealed like API keys."""

    __tablename__ = "channels"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # email | slack | teams | webhook
    sealed_target: Mapped[bytes] = mapped_column(LargeBinary)
    masked_target: Mapped[str] = mapped_column(String(200))
    sealed_secret: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_delivery_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class AlertEventRow(Base):
    """An ``AlertEvent``, recorded once by its stable id: recording it again is a no-op."""

    __tablename__ = "alert_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)  # AlertEvent.to_data() as JSON
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class DeliveryRow(Base):
    """One event to one channel. Written in the transaction that records the event, so a
    process that stops between firing and sending still sends it on its next run."""

    __tablename__ = "alert_deliveries"

    event_id: Mapped[str] = mapped_column(
        ForeignKey("alert_events.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_http_status: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    #: When the first send was tried: retries go on for a day from here, not from the firing.
    first_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class SsoPendingRow(Base):
    """An OIDC sign-in between the redirect to the provider and its callback: single use,
    bound to the browser that started it (the hash of a cookie only that browser holds)."""

    __tablename__ = "sso_pending"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(String(2000), default="/")
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


# -- budgets and report digests (``store/budgets.py``) -------------------------------------------


class BudgetRow(Base):
    """A budget of a workspace; its definition is ``alerts.budget.Budget.to_data()`` as JSON."""

    __tablename__ = "budgets"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class DigestRow(Base):
    """A saved report delivered every day, week or month to channels."""

    __tablename__ = "report_digests"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    report: Mapped[str] = mapped_column(String(200), primary_key=True)
    every: Mapped[str] = mapped_column(String(10))  # day | week | month
    channels: Mapped[str] = mapped_column(Text)  # JSON list of channel names
    created_at: Mapped[datetime] = mapped_column(DateTime)


# -- state shared by every replica and worker (``store/shared_state.py``) -----------------------


class LoginStrikeRow(Base):
    """Failed sign-ins of one throttle key: an (email, address) pair, an address, or an email."""

    __tablename__ = "login_strikes"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # pair | address | email
    email: Mapped[str] = mapped_column(String(320), primary_key=True)  # "" for an address key
    address: Mapped[str] = mapped_column(String(100), primary_key=True)  # "" for an email key
    failures: Mapped[int] = mapped_column(Integer)
    last: Mapped[datetime] = mapped_column(DateTime, index=True)
    until: Mapped[datetime] = mapped_column(DateTime)


class LoginStartRow(Base):
    """A sign-in an address started: at most so many a minute, whatever their outcome."""

    __tablename__ = "login_starts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class SyncRequestRow(Base):
    """A "Sync now" waiting for the scheduler (``started_at`` None) or running."""

    __tablename__ = "sync_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the order asked in
    account: Mapped[str] = mapped_column(String(200), unique=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


# -- cost alerts and anomaly detection (``store/alert_rules.py``, ``store/anomalies.py``) ----------


class AlertRuleRow(Base):
    """A cost alert or an anomaly watch of a workspace; ``spec`` is the kind's settings as JSON
    (``alerts.cost_alert.CostRule`` / ``alerts.anomaly.Watch``), ``channels`` a JSON list."""

    __tablename__ = "alert_rules"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # cost | anomaly
    spec: Mapped[str] = mapped_column(Text)
    channels: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AnomalyRow(Base):
    """Consecutive anomalous UTC days of one group of one watch. Money is exact decimal text."""

    __tablename__ = "anomalies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(100))
    group: Mapped[str] = mapped_column(Text)  # JSON object, keys sorted
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    actual: Mapped[str] = mapped_column(String(40))
    expected: Mapped[str] = mapped_column(String(40))
    #: JSON: per day its actual, expected and upper band; and the rows that drove it.
    drivers: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active|archived|ignored
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    notified_amount: Mapped[str | None] = mapped_column(String(40), default=None)
    #: How many times it was notified: part of each notification's event id.
    notified_level: Mapped[int] = mapped_column(Integer, default=0)


# -- user lifecycle and audit (``store/links.py``, ``store/audit.py``) ---------------------------


class OneTimeLinkRow(Base):
    """An invitation or a password reset: a link that works once, until it expires. Only the
    SHA-256 of its secret is kept."""

    __tablename__ = "one_time_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)  # "invite" or "reset"
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20), default="")  # invitations only
    workspace_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON list, invitations only
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class AuditRow(Base):
    """One change, appended once and never updated or deleted (no code path does either)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, default=None)  # no FK: users go
    actor: Mapped[str] = mapped_column(String(320), index=True)  # email, or "local"
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str] = mapped_column(String(400), default="")
    workspace: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(100), default="")
    before: Mapped[str | None] = mapped_column(Text, default=None)  # JSON, when small
    after: Mapped[str | None] = mapped_column(Text, default=None)
