"""Completeness of one account, per UTC day, from what its syncs recorded (``DayRead``).

Statuses, the first that applies:

- ``pending``: inside the lag window (today and the ``lag_days`` before it). Every sync reads
  these days again because Cursor still revises them, so they may change.
- ``missing``: ``/teams/daily-usage-data`` shows usage requests by a member that day and outlay
  holds no event of theirs (``missing_members`` names them).
- ``revised``: a re-read changed the part of the day an earlier read had covered; the day keeps
  this status, and how much it changed, after it leaves the lag window, because reports and
  exports made before the change showed other numbers.
- ``complete``: past the lag window and consistent with daily usage (or daily usage was not
  read for it: ``active_in_daily_usage`` is then null).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from outlay.report.export import exact
from outlay.store.trust import DayRead, DayTotals

COMPLETE, PENDING, MISSING, REVISED = "complete", "pending", "missing", "revised"
INCOMPLETE = frozenset({PENDING, MISSING})


@dataclass(frozen=True)
class DayStatus:
    account: str
    day: date
    events: int
    cost: Decimal
    status: str
    read: DayRead | None

    def to_data(self) -> dict[str, Any]:
        read = self.read
        active = None if read is None or read.active is None else list(read.active)
        revision = None
        if read is not None and read.revisions:
            revision = {
                "times": read.revisions,
                "last_at": _iso(read.revised_at),
                "cost": exact(read.revised_cost or Decimal(0)),
                "events": read.revised_events,
            }
        return {
            "account": self.account,
            "date": self.day.isoformat(),
            "events": self.events,
            "cost": exact(self.cost),
            "active_in_daily_usage": None if active is None else bool(active),
            "status": self.status,
            "last_read_at": _iso(read.last_read_at) if read else None,
            "active_members": active,
            "missing_members": None if read is None or read.missing is None else list(read.missing),
            "revision": revision,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if moment else None


def lag_start(today: date, lag_days: int) -> date:
    """The first day of the lag window: syncs read it again, so it is still pending."""
    return today - timedelta(days=lag_days)


def status_of(day: date, read: DayRead | None, today: date, lag_days: int) -> str:
    if day >= lag_start(today, lag_days):
        return PENDING
    if read is not None and read.missing:
        return MISSING
    if read is not None and read.revisions:
        return REVISED
    return COMPLETE


def day_statuses(
    account: str, first: date, last: date, reads: dict[date, DayRead],
    totals: dict[date, DayTotals], *, today: date, lag_days: int,
) -> list[DayStatus]:  # fmt: skip
    """Every day of [first, last], with the fact store's ``totals`` where it has no read."""
    days = []
    day = first
    while day <= last:
        read = reads.get(day)
        held = totals.get(day, DayTotals()) if read is None else DayTotals(read.events, read.cost)
        status = status_of(day, read, today, lag_days)
        days.append(DayStatus(account, day, held.events, held.cost, status, read))
        day += timedelta(days=1)
    return days


def complete_through(
    oldest: date | None, newest: date | None, reads: dict[date, DayRead], *, today: date,
    lag_days: int,
) -> date | None:  # fmt: skip
    """The last day up to which every imported day is complete (or revised): the day before the
    first missing or pending one. None when not even the oldest imported day is."""
    if oldest is None or newest is None:
        return None
    through = min(newest, lag_start(today, lag_days) - timedelta(days=1))
    for day in sorted(d for d, r in reads.items() if r.missing and oldest <= d <= through):
        through = day - timedelta(days=1)
        break
    return through if through >= oldest else None
