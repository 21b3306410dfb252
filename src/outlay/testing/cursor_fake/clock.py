"""UTC days as ordinals, milliseconds, and the team's billing cycle."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

DAY_MS = 86_400_000
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def day_of_ms(ms: int) -> int:
    """Ordinal of the UTC day holding ``ms``."""
    return EPOCH_ORDINAL + ms // DAY_MS


def day_start_ms(day: int) -> int:
    return (day - EPOCH_ORDINAL) * DAY_MS


def day_text(day: int) -> str:
    return date.fromordinal(day).isoformat()


@dataclass(frozen=True, slots=True)
class BillingCycle:
    """A monthly cycle that starts on ``day_of_month`` at ``second_of_day`` UTC (1 ≤ day ≤ 28)."""

    day_of_month: int
    second_of_day: int

    def start_ms(self, at_ms: int) -> int:
        """``subscriptionCycleStart``: the latest cycle start at or before ``at_ms``."""
        at = datetime.fromtimestamp(at_ms / 1000, tz=UTC)
        start = self._start_in(at.year, at.month)
        if start > at:
            year, month = (at.year, at.month - 1) if at.month > 1 else (at.year - 1, 12)
            start = self._start_in(year, month)
        return int(start.timestamp()) * 1000

    def day_in_cycle(self, day: int) -> int:
        """Days since the cycle containing ``day`` started (0 on its first day)."""
        d = date.fromordinal(day)
        start = d.replace(day=self.day_of_month)
        if start > d:
            start = (start.replace(day=1) - timedelta(days=1)).replace(day=self.day_of_month)
        return (d - start).days

    def _start_in(self, year: int, month: int) -> datetime:
        midnight = datetime(year, month, self.day_of_month, tzinfo=UTC)
        return midnight + timedelta(seconds=self.second_of_day)
