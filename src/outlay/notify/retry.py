"""What a failed send does next: retry with exponential backoff for a day, or give up."""

from __future__ import annotations

from datetime import datetime, timedelta

from outlay.notify.send import Attempt
from outlay.store.alerts import DELIVERED, FAILED, PENDING, Outcome

#: The wait after the first failure; each further failure doubles it, up to MAX_WAIT.
FIRST_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(hours=1)
#: Retries go on at least this long after the first attempt, then the delivery fails.
RETRY_FOR = timedelta(hours=24)
#: A Retry-After longer than this is cut to it (a receiver cannot park us for a week).
MAX_RETRY_AFTER = timedelta(hours=6)


def backoff(failures: int) -> timedelta:
    """The wait after ``failures`` failed attempts (1 → one minute, 2 → two, … capped)."""
    doublings = min(max(failures - 1, 0), 16)
    wait: timedelta = FIRST_WAIT * (1 << doublings)
    return min(wait, MAX_WAIT)


def outcome(attempt: Attempt, *, attempts: int, first_attempt_at: datetime,
            now: datetime) -> Outcome:  # fmt: skip
    """``attempts``: how many sends this delivery had before this one."""
    if attempt.ok:
        return Outcome(DELIVERED, now, attempt.http_status)
    if not attempt.retry:
        return Outcome(FAILED, now, attempt.http_status, attempt.error)
    if now - first_attempt_at >= RETRY_FOR:
        error = f"{attempt.error}; gave up after retrying for {RETRY_FOR.days * 24} h"
        return Outcome(FAILED, now, attempt.http_status, error)
    wait = backoff(attempts + 1)
    if attempt.retry_after is not None:
        wait = max(wait, min(attempt.retry_after, MAX_RETRY_AFTER))
    return Outcome(PENDING, now + wait, attempt.http_status, attempt.error)
