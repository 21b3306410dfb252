"""The one clock of the application: what time it is, for the service and everything it calls.

Sessions, sign-in throttling, token expiry, ``created_at`` stamps and a sync's "now" all read
the same injected clock, so a test moves time by advancing a fake instead of editing rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


def utc_naive(moment: datetime) -> datetime:
    """``moment`` as the clock and the stores keep time: UTC without tzinfo (a naive moment is
    taken as UTC already)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time in UTC, without tzinfo (as the stores keep it)."""
        ...

    def now_ms(self) -> int:
        """The current time as Unix milliseconds (as the Cursor API counts)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None)

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


SYSTEM_CLOCK = SystemClock()


@dataclass(frozen=True)
class FixedClock:
    """A clock stopped at ``ms``: runs that must see the same "today" whenever they run."""

    ms: int

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.ms / 1000, UTC).replace(tzinfo=None)

    def now_ms(self) -> int:
        return self.ms
