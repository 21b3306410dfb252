"""Rate limits, retries and timeouts for the Cursor client: every such number lives here.

Pacing is a sliding window per route group (at most N requests in any window of ``period``
seconds), which also keeps every fixed per-minute bucket on the server side under N; the period
carries a one-second margin for network jitter between our send and their receive.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

#: Cursor's documented per-team limits (2026): usage events 60/min, other admin routes 20/min.
EVENTS_PER_MINUTE = 60
OTHER_PER_MINUTE = 20
PACING_PERIOD_S = 61.0

#: Every request may take this long; reads of 1000-event pages are usually < 2 s.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)

#: Statuses retried with backoff. 429 waits for Retry-After or the rate-limit delay.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RateLimits:
    events_per_minute: int = EVENTS_PER_MINUTE
    other_per_minute: int = OTHER_PER_MINUTE
    period_s: float = PACING_PERIOD_S


@dataclass(frozen=True)
class RetryPolicy:
    #: Tries per request, the first included.
    max_attempts: int = 6
    #: Exponential backoff for 5xx and transport errors: base × 2^n, capped, with full jitter.
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    #: A 429 without Retry-After waits about one rate-limit period.
    rate_limit_delay_s: float = 60.0
    #: Restarts of a usage-event window whose result set changed while it was being paged.
    max_window_restarts: int = 3

    def backoff(self, attempt: int, rng: random.Random) -> float:
        ceiling = min(self.max_delay_s, self.base_delay_s * (2.0**attempt))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def rate_limited_delay(self, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay_s * 5)
        return self.rate_limit_delay_s + rng.uniform(0, self.rate_limit_delay_s / 10)


DEFAULT_LIMITS = RateLimits()
DEFAULT_RETRY = RetryPolicy()


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta seconds or an HTTP date; junk → None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class SlidingWindowPacer:
    """At most ``limit`` calls in any ``period`` seconds; ``wait()`` sleeps until one is allowed."""

    def __init__(
        self,
        limit: int,
        period: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self._limit = limit
        self._period = period
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()

    def wait(self) -> None:
        now = self._clock()
        while self._sent and now - self._sent[0] >= self._period:
            self._sent.popleft()
        if len(self._sent) >= self._limit:
            self._sleep(self._sent[0] + self._period - now)
            self._sent.popleft()
        self._sent.append(max(now, self._clock()))
