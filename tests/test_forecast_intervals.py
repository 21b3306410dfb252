from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from outlay.errors import InputError
from outlay.report.forecast import forecast_month
from outlay.report.intervals import INTERVALS, previous_range, resolve_interval
from outlay.report.spec import ReportSpec

TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("this_month", date(2026, 11, 1), TODAY),
        ("last_month", date(2026, 10, 1), date(2026, 10, 31)),
        ("last_7_days", date(2026, 11, 19), TODAY),
        ("last_30_days", date(2026, 10, 27), TODAY),
        ("last_3_months", date(2026, 8, 1), date(2026, 10, 31)),
        ("last_12_months", date(2025, 11, 1), date(2026, 10, 31)),
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


D = date
#: Every preset on the days that matter: the 1st of a month, New Year's Eve and Day, a leap
#: day, the day after it, and the 31st of a month whose predecessor is shorter.
#: (today, interval) → (start, end, previous start, previous end).
PRESETS: dict[tuple[date, str], tuple[date, date, date, date]] = {
    (D(2026, 12, 1), "this_month"): (D(2026, 12, 1), D(2026, 12, 1), D(2026, 11, 1), D(2026, 11, 1)),
    (D(2026, 12, 1), "last_month"): (D(2026, 11, 1), D(2026, 11, 30), D(2026, 10, 1), D(2026, 10, 31)),
    (D(2026, 12, 1), "last_7_days"): (D(2026, 11, 25), D(2026, 12, 1), D(2026, 11, 18), D(2026, 11, 24)),
    (D(2026, 12, 1), "last_14_days"): (D(2026, 11, 18), D(2026, 12, 1), D(2026, 11, 4), D(2026, 11, 17)),
    (D(2026, 12, 1), "last_30_days"): (D(2026, 11, 2), D(2026, 12, 1), D(2026, 10, 3), D(2026, 11, 1)),
    (D(2026, 12, 1), "last_3_months"): (D(2026, 9, 1), D(2026, 11, 30), D(2026, 6, 1), D(2026, 8, 31)),
    (D(2026, 12, 1), "last_6_months"): (D(2026, 6, 1), D(2026, 11, 30), D(2025, 12, 1), D(2026, 5, 31)),
    (D(2026, 12, 1), "last_12_months"): (D(2025, 12, 1), D(2026, 11, 30), D(2024, 12, 1), D(2025, 11, 30)),
    (D(2026, 12, 1), "year_to_date"): (D(2026, 1, 1), D(2026, 12, 1), D(2025, 1, 1), D(2025, 12, 1)),
    (D(2026, 12, 1), "billing_cycle_to_date"): (D(2026, 12, 1), D(2026, 12, 1), D(2026, 11, 1), D(2026, 11, 1)),
    (D(2026, 12, 31), "this_month"): (D(2026, 12, 1), D(2026, 12, 31), D(2026, 11, 1), D(2026, 11, 30)),
    (D(2026, 12, 31), "last_month"): (D(2026, 11, 1), D(2026, 11, 30), D(2026, 10, 1), D(2026, 10, 31)),
    (D(2026, 12, 31), "last_7_days"): (D(2026, 12, 25), D(2026, 12, 31), D(2026, 12, 18), D(2026, 12, 24)),
    (D(2026, 12, 31), "last_3_months"): (D(2026, 9, 1), D(2026, 11, 30), D(2026, 6, 1), D(2026, 8, 31)),
    (D(2026, 12, 31), "last_12_months"): (D(2025, 12, 1), D(2026, 11, 30), D(2024, 12, 1), D(2025, 11, 30)),
    (D(2026, 12, 31), "year_to_date"): (D(2026, 1, 1), D(2026, 12, 31), D(2025, 1, 1), D(2025, 12, 31)),
    (D(2027, 1, 1), "this_month"): (D(2027, 1, 1), D(2027, 1, 1), D(2026, 12, 1), D(2026, 12, 1)),
    (D(2027, 1, 1), "last_month"): (D(2026, 12, 1), D(2026, 12, 31), D(2026, 11, 1), D(2026, 11, 30)),
    (D(2027, 1, 1), "last_14_days"): (D(2026, 12, 19), D(2027, 1, 1), D(2026, 12, 5), D(2026, 12, 18)),
    (D(2027, 1, 1), "last_30_days"): (D(2026, 12, 3), D(2027, 1, 1), D(2026, 11, 3), D(2026, 12, 2)),
    (D(2027, 1, 1), "last_3_months"): (D(2026, 10, 1), D(2026, 12, 31), D(2026, 7, 1), D(2026, 9, 30)),
    (D(2027, 1, 1), "last_6_months"): (D(2026, 7, 1), D(2026, 12, 31), D(2026, 1, 1), D(2026, 6, 30)),
    (D(2027, 1, 1), "last_12_months"): (D(2026, 1, 1), D(2026, 12, 31), D(2025, 1, 1), D(2025, 12, 31)),
    (D(2027, 1, 1), "year_to_date"): (D(2027, 1, 1), D(2027, 1, 1), D(2026, 1, 1), D(2026, 1, 1)),
    (D(2028, 2, 29), "this_month"): (D(2028, 2, 1), D(2028, 2, 29), D(2028, 1, 1), D(2028, 1, 31)),
    (D(2028, 2, 29), "last_month"): (D(2028, 1, 1), D(2028, 1, 31), D(2027, 12, 1), D(2027, 12, 31)),
    (D(2028, 2, 29), "last_7_days"): (D(2028, 2, 23), D(2028, 2, 29), D(2028, 2, 16), D(2028, 2, 22)),
    (D(2028, 2, 29), "last_30_days"): (D(2028, 1, 31), D(2028, 2, 29), D(2028, 1, 1), D(2028, 1, 30)),
    (D(2028, 2, 29), "last_3_months"): (D(2027, 11, 1), D(2028, 1, 31), D(2027, 8, 1), D(2027, 10, 31)),
    (D(2028, 2, 29), "year_to_date"): (D(2028, 1, 1), D(2028, 2, 29), D(2027, 1, 1), D(2027, 2, 28)),
    (D(2028, 3, 1), "last_month"): (D(2028, 2, 1), D(2028, 2, 29), D(2028, 1, 1), D(2028, 1, 31)),
    (D(2028, 3, 1), "last_30_days"): (D(2028, 2, 1), D(2028, 3, 1), D(2028, 1, 2), D(2028, 1, 31)),
    (D(2028, 3, 1), "last_12_months"): (D(2027, 3, 1), D(2028, 2, 29), D(2026, 3, 1), D(2027, 2, 28)),
    (D(2028, 3, 31), "this_month"): (D(2028, 3, 1), D(2028, 3, 31), D(2028, 2, 1), D(2028, 2, 29)),
    (D(2028, 3, 30), "this_month"): (D(2028, 3, 1), D(2028, 3, 30), D(2028, 2, 1), D(2028, 2, 29)),
    (D(2026, 11, 30), "this_month"): (D(2026, 11, 1), D(2026, 11, 30), D(2026, 10, 1), D(2026, 10, 31)),
    (D(2027, 2, 28), "year_to_date"): (D(2027, 1, 1), D(2027, 2, 28), D(2026, 1, 1), D(2026, 2, 28)),
    (D(2026, 3, 15), "this_month"): (D(2026, 3, 1), D(2026, 3, 15), D(2026, 2, 1), D(2026, 2, 15)),
}  # fmt: skip


@pytest.mark.parametrize(("today", "name"), list(PRESETS), ids=[f"{n}@{t}" for t, n in PRESETS])
def test_every_preset_has_an_exact_range_and_previous_period(today: date, name: str) -> None:
    start, end, before_start, before_end = PRESETS[(today, name)]
    assert resolve_interval(name, today) == (start, end)
    assert previous_range(name, start, end) == (before_start, before_end)
    spec = ReportSpec(interval=name, compare="previous")
    assert spec.previous_period(*spec.period(today)) == (before_start, before_end)


def test_every_preset_is_covered_on_the_first_of_a_month() -> None:
    assert {n for t, n in PRESETS if t == D(2026, 12, 1)} == set(INTERVALS)


def test_billing_cycle_compares_with_the_same_days_of_the_cycle_before() -> None:
    start, end = resolve_interval("billing_cycle_to_date", D(2027, 1, 3), cycle_day=20)
    assert (start, end) == (D(2026, 12, 20), D(2027, 1, 3))
    assert previous_range("billing_cycle_to_date", start, end) == (D(2026, 11, 20), D(2026, 12, 3))


@pytest.mark.parametrize(
    ("start", "end", "previous"),
    [
        # Whole months are compared with as many whole months right before.
        (D(2026, 10, 1), D(2026, 10, 31), (D(2026, 9, 1), D(2026, 9, 30))),
        (D(2028, 3, 1), D(2028, 4, 30), (D(2028, 1, 1), D(2028, 2, 29))),
        # Anything else with the same number of days right before.
        (D(2026, 10, 2), D(2026, 10, 31), (D(2026, 9, 2), D(2026, 10, 1))),
        (D(2026, 10, 1), D(2026, 10, 30), (D(2026, 9, 1), D(2026, 9, 30))),
    ],
)
def test_custom_ranges_compare_by_whole_months_or_by_days(
    start: date, end: date, previous: tuple[date, date]
) -> None:
    assert ReportSpec(start=start, end=end, compare="previous").previous_period(start, end) == (
        previous
    )


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
