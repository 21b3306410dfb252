from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from outlay.ingest.windows import DAY_MS, MAX_DAYS, day_start_ms, plan_windows, utc_day

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@given(first=days, span=st.integers(0, 800), now_offset_ms=st.integers(-DAY_MS * 40, DAY_MS * 40))
def test_windows_cover_every_millisecond_once(first: date, span: int, now_offset_ms: int) -> None:
    last = first + timedelta(days=span)
    now_ms = day_start_ms(last) + now_offset_ms
    windows = plan_windows(first, last, now_ms=now_ms)
    end = min(day_start_ms(last) + DAY_MS - 1, now_ms)
    if end < day_start_ms(first):
        assert windows == []
        return
    ascending = list(reversed(windows))
    assert ascending[0].start_ms == day_start_ms(first)
    assert ascending[-1].end_ms == end
    for earlier, later in itertools.pairwise(ascending):
        assert later.start_ms == earlier.end_ms + 1  # no gap, no overlap
    for window in windows:
        assert 1 <= window.days <= MAX_DAYS
        assert window.start_ms == day_start_ms(window.first_day)
        assert utc_day(window.end_ms) == window.last_day


def test_windows_are_newest_first_and_end_at_now() -> None:
    now_ms = day_start_ms(date(2026, 11, 25)) + 3_600_000
    windows = plan_windows(date(2026, 9, 1), date(2026, 11, 30), now_ms=now_ms)
    assert windows[0].last_day == date(2026, 11, 25)
    assert windows[0].end_ms == now_ms
    assert [w.first_day for w in windows] == sorted((w.first_day for w in windows), reverse=True)
