"""Seat costs of an account: keep each sync's member list, and regenerate the seat rows.

The rows are regenerated whole from the snapshots and the price after every sync and every
price change, and replace the account's seat rows in one transaction: re-running never doubles
them, and turning seats off removes them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from outlay.providers.cursor.models import Member
from outlay.providers.cursor.seats import ListedMember, seat_rows, seats_by_day
from outlay.store.facts_api import Facts
from outlay.store.meta import Account, MetaStore
from outlay.store.seats import MemberEntry, SeatStore


def record_members(meta: MetaStore, account: Account, day: date, members: Iterable[Member]) -> None:
    """Keep who ``/teams/members`` listed on ``day`` (the day's last read wins)."""
    entries = [MemberEntry(m.email, m.name, m.role, bool(m.isRemoved)) for m in members if m.email]
    SeatStore(meta).record_members(account.id, day, entries)


def listed(entries: Iterable[MemberEntry]) -> list[ListedMember]:
    """A stored member list as the pure seat rules read it."""
    return [ListedMember(m.email, m.name, m.role, m.removed) for m in entries]


def refresh_seats(account: Account, *, facts: Facts, meta: MetaStore, today: date) -> int:
    """Regenerate the account's seat rows through ``today``; the number of rows."""
    store = SeatStore(meta)
    price = store.price(account.id)
    if price is None:
        return facts.replace_seats(account.name, seat_rows(account.name, Decimal(0), {}))
    snapshots = {day: listed(entries) for day, entries in store.snapshots(account.id).items()}
    rows = seat_rows(account.name, price.price, seats_by_day(snapshots, today))
    return facts.replace_seats(account.name, rows)
