from __future__ import annotations

import random
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from outlay.providers.cursor.policy import RetryPolicy, SlidingWindowPacer, parse_retry_after


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(seconds, 0)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("60") == 60.0
    assert parse_retry_after("Wed, 25 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 25 Nov 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_grows_and_is_capped() -> None:
    policy, rng = RetryPolicy(base_delay_s=1, max_delay_s=8), random.Random(1)
    delays = [policy.backoff(n, rng) for n in range(6)]
    assert delays[0] <= 1 and all(d <= 8 for d in delays) and delays[5] >= 4


@given(gaps=st.lists(st.floats(0, 5), min_size=1, max_size=200))
def test_pacer_never_allows_more_than_limit_in_any_period(gaps: list[float]) -> None:
    clock = FakeClock()
    pacer = SlidingWindowPacer(limit=20, period=61.0, clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    for gap in gaps:
        clock.now += gap
        pacer.wait()
        sent.append(clock.now)
    for i, start in enumerate(sent):
        within = [t for t in sent[i:] if t < start + 61.0]
        assert len(within) <= 20


def test_pacer_does_not_sleep_under_the_limit() -> None:
    clock = FakeClock()
    pacer = SlidingWindowPacer(limit=60, period=61.0, clock=clock, sleep=clock.sleep)
    for _ in range(60):
        pacer.wait()
    assert clock.slept == []
    pacer.wait()
    assert clock.slept == [61.0]
