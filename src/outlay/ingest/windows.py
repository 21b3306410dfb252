"""Window planning, pure: UTC days grouped into requests of at most 30 days, newest first.

A window covers whole UTC days with inclusive millisecond bounds ``[00:00:00.000,
23:59:59.999]``; consecutive windows meet without overlapping (``end = next start - 1 ms``).
The newest window ends at ``now`` rather than in the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

DAY_MS = 86_400_000
MAX_DAYS = 30
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Window:
    first_day: date
    last_day: date
    start_ms: int
    end_ms: int

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def day_start_ms(day: date) -> int:
    return (day - _EPOCH).days * DAY_MS


def utc_day(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, UTC).date()


def plan_windows(first: date, last: date, *, now_ms: int, max_days: int = MAX_DAYS) -> list[Window]:
    """Windows covering ``first``..``last`` (inclusive, UTC days), newest first.

    Days after ``now`` are dropped; the window holding ``now`` ends at ``now``.
    """
    last = min(last, utc_day(now_ms))
    windows: list[Window] = []
    day = last
    while day >= first:
        start_day = max(first, day - timedelta(days=max_days - 1))
        end_ms = min(day_start_ms(day) + DAY_MS - 1, now_ms)
        windows.append(Window(start_day, day, day_start_ms(start_day), end_ms))
        day = start_day - timedelta(days=1)
    return windows
