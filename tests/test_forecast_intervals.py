from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from outlay.errors import InputError
from outlay.report.forecast import forecast_month
from outlay.report.intervals import INTERVALS, resolve_interval

TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("this_month", date(2026, 11, 1), TODAY),
        ("last_month", date(2026, 10, 1), date(2026, 10, 31)),
        ("last_7_days", date(2026, 11, 19), TODAY),
        ("last_30_days", date(2026, 10, 27), TODAY),
        ("last_3_months", date(2026, 8, 26), TODAY),
        ("last_12_months", date(2025, 11, 26), TODAY),
        ("year_to_date", date(2026, 1, 1), TODAY),
    ],
)
def test_named_intervals(name: str, start: date, end: date) -> None:
    assert resolve_interval(name, TODAY) == (start, end)


def test_billing_cycle_starts_on_its_day_this_month_or_the_last() -> None:
    assert resolve_interval("billing_cycle_to_date", TODAY, cycle_day=20) == (
        date(2026, 11, 20),
        TODAY,
    )
    assert resolve_interval("billing_cycle_to_date", TODAY, cycle_day=27) == (
        date(2026, 10, 27),
        TODAY,
    )
    assert resolve_interval("last_month", date(2026, 3, 31)) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
    )


def test_every_interval_ends_today_or_before() -> None:
    for name in INTERVALS:
        start, end = resolve_interval(name, TODAY)
        assert start <= end <= TODAY
    with pytest.raises(InputError, match="unknown interval"):
        resolve_interval("fortnight", TODAY)


def test_a_steady_weekly_rhythm_is_forecast_exactly_with_no_band() -> None:
    # Weekdays cost 10, weekends 2, for two months: the forecast is exact and the band closed.
    daily = {}
    day = date(2026, 9, 25)
    while day <= TODAY:
        daily[day] = Decimal(2 if day.weekday() >= 5 else 10)
        day += timedelta(days=1)
    result = forecast_month(daily, TODAY)
    expected = sum(Decimal(2 if date(2026, 11, d).weekday() >= 5 else 10) for d in range(1, 31))
    assert result.month == "2026-11"
    assert result.forecast == result.low == result.high == expected
    assert result.actual_to_date == sum(v for d, v in daily.items() if d.month == 11)


def test_noise_widens_the_band_around_the_forecast() -> None:
    daily = {TODAY - timedelta(days=n): Decimal(10 + (n % 3) * 5) for n in range(0, 60)}
    result = forecast_month(daily, TODAY)
    assert result.low < result.forecast < result.high
    assert result.low >= result.actual_to_date


def test_no_history_forecasts_what_was_spent() -> None:
    result = forecast_month({}, TODAY)
    assert result.forecast == result.actual_to_date == 0
