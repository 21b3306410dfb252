"""Forecast of the current month's total from daily history. Pure.

Method: each remaining day of the month is expected to cost the mean of the same weekday over
the last 28 complete days (four of each weekday), which follows a team's weekly rhythm; today
counts as the larger of what it has cost so far and its weekday mean. The band is
±1.96 σ √k, where σ is the standard deviation of those 28 days around their weekday means and
k the days still to come (independent days, about 95%). With fewer than 7 days of history the
plain daily mean stands in for the weekday means.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

HISTORY_DAYS = 28
Z_95 = Decimal("1.96")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Forecast:
    month: str
    actual_to_date: Decimal
    forecast: Decimal
    low: Decimal
    high: Decimal
    method: str = "weekday means of the last 28 days; band ±1.96σ√(days left)"


@dataclass(frozen=True)
class Projection:
    """A period's forecast and what each day from today to the period's end is expected to
    cost (today: the larger of its cost so far and its expectation), so that a caller can find
    the day a level is reached."""

    forecast: Forecast
    days: tuple[tuple[date, Decimal], ...]


def forecast_month(daily: Mapping[date, Decimal], today: date) -> Forecast:
    """``daily``: total per UTC day, covering at least this month and the 28 days before today."""
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    return project_period(daily, today, today.replace(day=1), month_end).forecast


def project_period(
    daily: Mapping[date, Decimal], today: date, start: date, end: date
) -> Projection:
    """The total of ``start``..``end`` (a period containing ``today``), by the module's method;
    ``daily`` covers at least ``start`` and the 28 days before today."""
    actual = sum((v for d, v in daily.items() if start <= d <= today), Decimal(0))
    history = [
        (d, daily.get(d, Decimal(0))) for d in (today - timedelta(days=n) for n in range(1, 29))
    ]
    known = [(d, v) for d, v in history if d >= min(daily, default=today)]
    label = start.strftime("%Y-%m")
    if not known:
        # Nothing to expect from: today is what it cost so far, and nothing more is expected.
        today_only = ((today, daily.get(today, Decimal(0))),)
        return Projection(Forecast(label, actual, actual, actual, actual), today_only)
    overall = sum((v for _, v in known), Decimal(0)) / len(known)
    by_weekday: dict[int, list[Decimal]] = {}
    for d, v in known:
        by_weekday.setdefault(d.weekday(), []).append(v)
    use_weekdays = len(known) >= 7

    def expected(day: date) -> Decimal:
        values = by_weekday.get(day.weekday()) if use_weekdays else None
        return sum(values, Decimal(0)) / len(values) if values else overall

    today_actual = daily.get(today, Decimal(0))
    rest = [today + timedelta(days=n) for n in range(1, (end - today).days + 1)]
    path = ((today, max(today_actual, expected(today))), *((d, expected(d)) for d in rest))
    projected = actual - today_actual + sum((v for _, v in path), Decimal(0))
    residuals = [float(v - expected(d)) for d, v in known]
    freedom = max(len(residuals) - (7 if use_weekdays else 1), 1)
    sigma = Decimal(math.sqrt(sum(r * r for r in residuals) / freedom))
    spread = Z_95 * sigma * Decimal(math.sqrt(len(rest) + 1))
    forecast = Forecast(
        label,
        actual,
        projected.quantize(_CENT),
        max(actual, projected - spread).quantize(_CENT),
        (projected + spread).quantize(_CENT),
    )
    return Projection(forecast, path)
