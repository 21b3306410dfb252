"""Seat costs: an account's seat price (off until set), and what it adds per month."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from outlay.access import LOCAL_OWNER, Action, Principal
from outlay.errors import InputError
from outlay.ingest.lock import account_lock
from outlay.ingest.seats import listed, refresh_seats
from outlay.providers.cursor.seats import PRESETS, seats_by_day
from outlay.service.accounts import Accounts
from outlay.service.audit import audited
from outlay.service.core import requires
from outlay.store.seats import SeatPrice, SeatStore

#: A seat price above this is a typo (Cursor's dearest public seat is far below).
MAX_SEAT_PRICE = Decimal(100_000)


@dataclass(frozen=True)
class SeatSummary:
    account: str
    #: None: seats are off for the account.
    price: Decimal | None
    preset: str | None
    #: Members holding a seat on the newest snapshot's day (None before the first sync).
    seats: int | None

    @property
    def monthly(self) -> Decimal | None:
        if self.price is None or self.seats is None:
            return None
        return self.price * self.seats


def parse_seat_price(text: str) -> Decimal:
    """USD per member per month: a number ≥ 0 with at most two decimals."""
    try:
        price = Decimal(text.strip())
    except InvalidOperation:
        raise InputError(
            f"seat price {text!r} is not a number; give USD per member per month, e.g. 40",
            field="seat_price",
        ) from None
    if not price.is_finite() or price < 0 or price > MAX_SEAT_PRICE:
        raise InputError(
            f"seat price {text!r} must be from 0 to {MAX_SEAT_PRICE} USD per member per month",
            field="seat_price",
        )
    if price != price.quantize(Decimal("0.01")):
        raise InputError(
            f"seat price {text!r} has more than 2 decimals; give USD with cents, e.g. 39.99",
            field="seat_price",
        )
    return price


class Seats(Accounts):
    @audited("account.set_seat_price")
    @requires(Action.ADMIN)
    def set_seat_price(
        self, name: str, price: str | None = None, *, preset: str | None = None,
        principal: Principal = LOCAL_OWNER,
    ) -> SeatSummary:  # fmt: skip
        """Set the seat price (``price`` USD, or a documented ``preset``), or with neither turn
        seats off; then regenerate the account's seat rows at once."""
        if price is not None and preset is not None:
            raise InputError("give a seat price or a preset, not both", field="seat_price")
        value: Decimal | None = None
        if preset is not None:
            if preset not in PRESETS:
                raise InputError(
                    f"unknown seat preset {preset!r}; use one of {', '.join(PRESETS)} or a price",
                    field="seat_preset",
                )
            value = PRESETS[preset]
        elif price is not None:
            value = parse_seat_price(price)
        account = self.account(name, principal)
        with account_lock(self._lock_dir, account.id, account.name):
            SeatStore(self.meta).set_price(account.id, value, preset, now=self.clock.now())
            refresh_seats(account, facts=self.facts, meta=self.meta, today=self.today())
        return self.seat_summary(name, principal)

    @requires(Action.READ)
    def seat_summary(self, name: str, principal: Principal = LOCAL_OWNER) -> SeatSummary:
        account = self.account(name, principal)
        store = SeatStore(self.meta)
        price: SeatPrice | None = store.price(account.id)
        snapshots = store.snapshots(account.id)
        seats = None
        if snapshots:
            newest = max(snapshots)
            seats = len(seats_by_day({newest: listed(snapshots[newest])}, newest)[newest])
        return SeatSummary(
            account.name, price.price if price else None, price.preset if price else None, seats
        )
