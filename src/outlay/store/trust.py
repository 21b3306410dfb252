"""What reconciliation and completeness rest on, in the metadata database: every read of
``/teams/spend`` (it only ever shows the current billing cycle) and, per account and UTC day,
the last read of its events and of its daily usage.

It shares the database (and its transactions) with ``MetaStore``, like ``AccessStore``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from outlay.store.meta import MetaStore
from outlay.store.schema import DayReadRow, SpendMemberRow, SpendReadRow

#: Every spend read of the last week is kept whole; older ones only as the last of their cycle,
#: which is all a past cycle's proof needs (hourly syncs of a large team would otherwise keep
#: members x 8,760 rows a year).
KEEP_EVERY_READ = timedelta(days=7)


@dataclass(frozen=True)
class SpendMember:
    """One member's row of ``/teams/spend``, cents exactly as sent (None: field absent)."""

    email: str
    user_id: str | None = None
    spend_cents: Decimal | None = None
    overall_spend_cents: Decimal | None = None
    included_spend_cents: Decimal | None = None
    #: Cursor's limits in USD: the override (0: none), the monthly limit (None: none) and the
    #: limit Cursor enforces, derived from the two.
    hard_limit_override_dollars: Decimal | None = None
    monthly_limit_dollars: Decimal | None = None
    effective_limit_dollars: Decimal | None = None


@dataclass(frozen=True)
class SpendSnapshot:
    account_id: int
    as_of_ms: int
    cycle_start_ms: int
    read_at: datetime
    members: tuple[SpendMember, ...]


@dataclass(frozen=True)
class DayTotals:
    """A day's events and cost (USD) in the fact store."""

    events: int = 0
    cost: Decimal = Decimal(0)


@dataclass(frozen=True)
class DayRead:
    day: date
    last_read_at: datetime
    read_through_ms: int
    events: int
    cost: Decimal
    revisions: int = 0
    revised_at: datetime | None = None
    revised_cost: Decimal | None = None
    revised_events: int | None = None
    active: tuple[str, ...] | None = None  # None: daily usage not read for this day
    missing: tuple[str, ...] | None = None
    usage_read_at: datetime | None = None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _emails(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(json.loads(text))


def _day_read(row: DayReadRow) -> DayRead:
    return DayRead(
        row.day, row.last_read_at, row.read_through_ms, row.events, Decimal(row.cost),
        row.revisions, row.revised_at, _decimal(row.revised_cost), row.revised_events,
        _emails(row.active), _emails(row.missing), row.usage_read_at,
    )  # fmt: skip


class TrustStore:
    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta

    # -- spend snapshots ---------------------------------------------------------------------

    def add_spend_snapshot(self, snapshot: SpendSnapshot) -> None:
        with self._meta.session() as s:
            read = SpendReadRow(
                account_id=snapshot.account_id, as_of_ms=snapshot.as_of_ms,
                cycle_start_ms=snapshot.cycle_start_ms, read_at=snapshot.read_at,
            )  # fmt: skip
            s.add(read)
            s.flush()
            for position, m in enumerate(snapshot.members):
                s.add(
                    SpendMemberRow(
                        read_id=read.id,
                        position=position,
                        email=m.email,
                        user_id=m.user_id,
                        spend_cents=_text(m.spend_cents),
                        overall_spend_cents=_text(m.overall_spend_cents),
                        included_spend_cents=_text(m.included_spend_cents),
                        hard_limit_override_dollars=_text(m.hard_limit_override_dollars),
                        monthly_limit_dollars=_text(m.monthly_limit_dollars),
                        effective_limit_dollars=_text(m.effective_limit_dollars),
                    )
                )
            self._prune(s, snapshot.account_id, snapshot.read_at - KEEP_EVERY_READ)

    def _prune(self, s: Session, account_id: int, before: datetime) -> None:
        reads = s.execute(
            select(
                SpendReadRow.id, SpendReadRow.cycle_start_ms, SpendReadRow.as_of_ms,
                SpendReadRow.read_at,
            ).where(SpendReadRow.account_id == account_id)
        ).all()  # fmt: skip
        last: dict[int, tuple[int, int]] = {}
        for read_id, cycle, as_of, _ in reads:
            if cycle not in last or as_of > last[cycle][0]:
                last[cycle] = (as_of, read_id)
        keep = {read_id for _, read_id in last.values()}
        old = [read_id for read_id, _, _, at in reads if at < before and read_id not in keep]
        if old:
            s.execute(delete(SpendMemberRow).where(SpendMemberRow.read_id.in_(old)))
            s.execute(delete(SpendReadRow).where(SpendReadRow.id.in_(old)))

    def spend_read_count(self, account_id: int) -> int:
        with self._meta.session() as s:
            rows = s.scalars(select(SpendReadRow.id).where(SpendReadRow.account_id == account_id))
            return len(rows.all())

    def latest_spend_snapshots(self, account_id: int) -> list[SpendSnapshot]:
        """The last read of each billing cycle, newest cycle first."""
        with self._meta.session() as s:
            reads = s.scalars(
                select(SpendReadRow)
                .where(SpendReadRow.account_id == account_id)
                .order_by(SpendReadRow.cycle_start_ms.desc(), SpendReadRow.as_of_ms.desc())
            ).all()
            latest: dict[int, SpendReadRow] = {}
            for read in reads:
                latest.setdefault(read.cycle_start_ms, read)
            return [self._snapshot(s, read) for read in latest.values()]

    @staticmethod
    def _snapshot(s: Session, read: SpendReadRow) -> SpendSnapshot:
        rows = s.scalars(
            select(SpendMemberRow)
            .where(SpendMemberRow.read_id == read.id)
            .order_by(SpendMemberRow.position)
        )
        members = tuple(
            SpendMember(
                r.email,
                r.user_id,
                _decimal(r.spend_cents),
                _decimal(r.overall_spend_cents),
                _decimal(r.included_spend_cents),
                _decimal(r.hard_limit_override_dollars),
                _decimal(r.monthly_limit_dollars),
                _decimal(r.effective_limit_dollars),
            )
            for r in rows
        )
        return SpendSnapshot(
            read.account_id, read.as_of_ms, read.cycle_start_ms, read.read_at, members
        )

    # -- day reads ---------------------------------------------------------------------------

    def day_reads(
        self, account_id: int, first: date | None = None, last: date | None = None
    ) -> dict[date, DayRead]:
        with self._meta.session() as s:
            query = select(DayReadRow).where(DayReadRow.account_id == account_id)
            if first is not None:
                query = query.where(DayReadRow.day >= first)
            if last is not None:
                query = query.where(DayReadRow.day <= last)
            return {r.day: _day_read(r) for r in s.scalars(query.order_by(DayReadRow.day))}

    def put_day_reads(self, account_id: int, reads: Iterable[DayRead]) -> None:
        """Write each day's read whole, in one transaction."""
        with self._meta.session() as s:
            for read in reads:
                s.merge(
                    DayReadRow(
                        account_id=account_id,
                        day=read.day,
                        last_read_at=read.last_read_at,
                        read_through_ms=read.read_through_ms,
                        events=read.events,
                        cost=_text(read.cost),
                        revisions=read.revisions,
                        revised_at=read.revised_at,
                        revised_cost=_text(read.revised_cost),
                        revised_events=read.revised_events,
                        active=None if read.active is None else json.dumps(list(read.active)),
                        missing=None if read.missing is None else json.dumps(list(read.missing)),
                        usage_read_at=read.usage_read_at,
                    )
                )
