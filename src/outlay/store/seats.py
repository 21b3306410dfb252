"""Seat prices and daily member snapshots, in the metadata database (shared with ``MetaStore``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, select

from outlay.store.meta import MetaStore
from outlay.store.schema import MemberSnapshotRow, SeatPriceRow


@dataclass(frozen=True)
class SeatPrice:
    #: USD per member per month.
    price: Decimal
    preset: str | None
    updated_at: datetime


@dataclass(frozen=True)
class MemberEntry:
    email: str
    name: str | None
    role: str | None
    removed: bool


class SeatStore:
    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta

    def price(self, account_id: int) -> SeatPrice | None:
        with self._meta.session() as session:
            row = session.get(SeatPriceRow, account_id)
            if row is None:
                return None
            return SeatPrice(Decimal(row.price), row.preset, row.updated_at)

    def set_price(
        self, account_id: int, price: Decimal | None, preset: str | None, *, now: datetime
    ) -> None:
        """Set the account's seat price, or turn seats off with ``None``."""
        with self._meta.session() as session:
            row = session.get(SeatPriceRow, account_id)
            if price is None:
                if row is not None:
                    session.delete(row)
                return
            if row is None:
                row = SeatPriceRow(account_id=account_id)
                session.add(row)
            row.price, row.preset, row.updated_at = str(price), preset, now

    def record_members(self, account_id: int, day: date, members: Iterable[MemberEntry]) -> None:
        """Make ``members`` the account's snapshot of ``day``, replacing an earlier one."""
        with self._meta.session() as session:
            session.execute(
                delete(MemberSnapshotRow).where(
                    MemberSnapshotRow.account_id == account_id, MemberSnapshotRow.day == day
                )
            )
            seen: set[str] = set()
            for m in members:
                if m.email in seen:  # the key is (account, day, email): keep the first
                    continue
                seen.add(m.email)
                session.add(
                    MemberSnapshotRow(
                        account_id=account_id,
                        day=day,
                        email=m.email,
                        name=m.name,
                        role=m.role,
                        removed=m.removed,
                    )
                )

    def snapshots(self, account_id: int) -> dict[date, list[MemberEntry]]:
        """Every snapshot of the account, by day."""
        query = (
            select(MemberSnapshotRow)
            .where(MemberSnapshotRow.account_id == account_id)
            .order_by(MemberSnapshotRow.day, MemberSnapshotRow.email)
        )
        by_day: dict[date, list[MemberEntry]] = defaultdict(list)
        with self._meta.session() as session:
            for row in session.scalars(query):
                by_day[row.day].append(MemberEntry(row.email, row.name, row.role, row.removed))
        return dict(by_day)
