"""Seat cost rows from daily member snapshots. Pure: snapshots and a price in, Arrow table out.

A seat costs ``price`` USD per member per calendar month, spread over the month's days: day
``i`` of an ``n``-day month carries ``floor(P·i/n) − floor(P·(i−1)/n)`` money units (``P`` =
the price in units of 1e-10 USD). The days of a month telescope to exactly ``P``, so a member
present all month costs the price to the last unit, and any run of days is within one unit of
its exact share (price × days ÷ n).

Who holds a seat on a day: the members ``/teams/members`` listed as not removed, except
``free-owner`` (Cursor's unpaid admin seat), in the newest snapshot taken on or before that
day. A snapshot holds until the next one, so a day between two syncs counts the members of the
earlier sync; days before the first snapshot carry no seats (outlay cannot know who was a
member then), and no day after ``through`` (today) does.

Seat rows: ``category`` ``Seats``, ``charge_type`` ``Subscription``, ``service``
``cursor-seat``, ``resource`` the member's email, one row per member and day at 00:00 UTC, the
amount in ``cost``, ``billed_cost`` and ``list_cost``; no usage (``usage_unit`` NULL, 0) and no
event (``event_count`` 0), so usage and count reports never see them.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pyarrow as pa

from outlay.costrows import MONEY_SCALE, MONEY_TYPE, SCHEMA, USAGE_TYPE, fixed_point_array

SEAT_CATEGORY = "Seats"
SEAT_CHARGE_TYPE = "Subscription"
SEAT_SERVICE = "cursor-seat"
UNPAID_ROLES = frozenset({"free-owner"})
#: Cursor's public seat list prices (USD per member per month), as Cursor's Teams pricing page
#: (cursor.com/docs/account/teams/pricing) gave them in the docs snapshot of 2026-08-25.
#: Enterprise prices are negotiated and unpublished: give them with a plain price.
PRESETS: dict[str, Decimal] = {
    "teams-standard": Decimal("40"),
    "teams-premium": Decimal("120"),
}


@dataclass(frozen=True)
class Seat:
    email: str
    name: str | None


@dataclass(frozen=True)
class ListedMember:
    email: str
    name: str | None
    role: str | None
    removed: bool


def price_units(price: Decimal) -> int:
    """A price in USD as integer money units; it must be exact at the store's scale."""
    units = price.scaleb(MONEY_SCALE)
    if units != units.to_integral_value():
        raise ValueError(f"{price} has more than {MONEY_SCALE} decimals")
    return int(units)


def day_amount(units: int, day: date) -> int:
    """The day's share of a monthly amount (money units), telescoping over the month."""
    days = calendar.monthrange(day.year, day.month)[1]
    return units * day.day // days - units * (day.day - 1) // days


def seats_by_day(
    snapshots: Mapping[date, Iterable[ListedMember]], through: date
) -> dict[date, list[Seat]]:
    """Who holds a seat on each day from the first snapshot to ``through``."""
    days = sorted(d for d in snapshots if d <= through)
    out: dict[date, list[Seat]] = {}
    for index, first in enumerate(days):
        seats = sorted(
            {
                Seat(m.email, m.name)
                for m in snapshots[first]
                if not m.removed and m.role not in UNPAID_ROLES and m.email
            },
            key=lambda s: s.email,
        )
        last = days[index + 1] - timedelta(days=1) if index + 1 < len(days) else through
        day = first
        while day <= last:
            out[day] = seats
            day += timedelta(days=1)
    return out


def seat_rows(account: str, price: Decimal, by_day: Mapping[date, list[Seat]]) -> pa.Table:
    """Cost rows (``costrows.SCHEMA``) for every seat of every day."""
    units = price_units(price)
    ts: list[datetime] = []
    emails: list[str] = []
    names: list[str | None] = []
    amounts: list[int] = []
    for day in sorted(by_day):
        amount = day_amount(units, day)
        moment = datetime.combine(day, time())
        for seat in by_day[day]:
            ts.append(moment)
            emails.append(seat.email)
            names.append(seat.name)
            amounts.append(amount)
    n = len(ts)
    money = fixed_point_array(pa.array(amounts, pa.int64()), MONEY_TYPE)
    columns = {
        "provider": pa.array(["cursor"] * n, pa.string()),
        "account": pa.array([account] * n, pa.string()),
        "ts": pa.array(ts, pa.timestamp("ms")),
        "service": pa.array([SEAT_SERVICE] * n, pa.string()),
        "category": pa.array([SEAT_CATEGORY] * n, pa.string()),
        "resource": pa.array(emails, pa.string()),
        "resource_name": pa.array(names, pa.string()),
        "charge_type": pa.array([SEAT_CHARGE_TYPE] * n, pa.string()),
        "max_mode": pa.array([False] * n, pa.bool_()),
        "headless": pa.array([False] * n, pa.bool_()),
        "cost": money,
        "billed_cost": money,
        "list_cost": money,
        "usage_amount": fixed_point_array(pa.array([0] * n, pa.int64()), USAGE_TYPE),
        "event_count": pa.array([0] * n, pa.int8()),
    }
    arrays = [columns.get(f.name, pa.nulls(n, f.type)) for f in SCHEMA]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)
