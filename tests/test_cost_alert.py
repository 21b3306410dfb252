"""Cost alert evaluation as tables: per group, USD or percent, new groups, the minimum."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from outlay.alerts.cost_alert import (
    CostRule,
    evaluate,
    interval_start,
    parse_threshold,
    query_range,
)
from outlay.errors import InputError

TODAY = date(2026, 11, 20)  # a Friday
THIS_WEEK, LAST_WEEK, WEEK_BEFORE = date(2026, 11, 16), date(2026, 11, 9), date(2026, 11, 2)
D = Decimal


def fired(rule: CostRule, totals: dict[date, dict[tuple[str, ...], Decimal]]) -> set[tuple]:
    events = evaluate("r", rule, totals, today=TODAY, workspace_id=1, channels=("ops",))
    assert all(e.channels == ("ops",) for e in events)
    return {(e.period_start, *e.group.values()) for e in events}


def test_percent_alerts_fire_per_group_and_for_new_groups() -> None:
    rule = CostRule("week", D(25), True, group_by=("resource",))
    totals = {
        LAST_WEEK: {("ada",): D(100), ("bo",): D(100), ("cy",): D(3)},
        THIS_WEEK: {("ada",): D(125), ("bo",): D(124), ("new",): D(50), ("tiny",): D(9),
                    ("cy",): D(30)},
    }  # fmt: skip
    assert fired(rule, totals) == {(THIS_WEEK, "ada"), (THIS_WEEK, "new"), (THIS_WEEK, "cy"),
                                   (LAST_WEEK, "ada"), (LAST_WEEK, "bo")}  # fmt: skip


def test_usd_alerts_fire_on_the_increase_and_new_groups_by_their_cost() -> None:
    rule = CostRule("week", D(500), False, group_by=("resource",), min_cost=D(0))
    totals = {
        WEEK_BEFORE: {("ada",): D(900)},
        LAST_WEEK: {("ada",): D(1000)},
        THIS_WEEK: {("ada",): D(1499), ("bo",): D(500), ("cy",): D(499)},
    }
    assert fired(rule, totals) == {(THIS_WEEK, "bo")}
    totals[THIS_WEEK][("ada",)] = D(1500)
    assert (THIS_WEEK, "ada") in fired(rule, totals)


def test_decreases_never_fire() -> None:
    rule = CostRule("day", D(10), True)
    days = {date(2026, 11, 18): {(): D(600)}, date(2026, 11, 19): {(): D(500)}, TODAY: {(): D(50)}}
    assert fired(rule, days) == set()


def test_each_event_is_the_same_for_the_same_group_and_interval() -> None:
    rule = CostRule("month", D(1), False)
    totals = {date(2026, 11, 1): {(): D(300)}}
    first = evaluate("r", rule, totals, today=TODAY, workspace_id=1)
    totals[date(2026, 11, 1)][()] = D(900)  # grew again: still the same event
    again = evaluate("r", rule, totals, today=TODAY, workspace_id=1)
    assert [e.id for e in first] == [e.id for e in again]
    other = evaluate("r", CostRule("month", D(2), False), totals, today=TODAY, workspace_id=1)
    assert [e.id for e in other] != [e.id for e in first]


@pytest.mark.parametrize(
    ("interval", "start", "query"),
    [("day", TODAY, date(2026, 11, 18)), ("week", THIS_WEEK, WEEK_BEFORE),
     ("month", date(2026, 11, 1), date(2026, 9, 1))],
)  # fmt: skip
def test_intervals_are_utc_days_monday_weeks_and_months(
    interval: str, start: date, query: date
) -> None:
    assert interval_start(interval, TODAY) == start
    assert query_range(CostRule(interval, D(1), False), TODAY) == (query, TODAY)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("500", (D(500), False)), ("12.50", (D("12.50"), False)), ("25%", (D(25), True)),
     ("$1,000", (D(1000), False))],
)  # fmt: skip
def test_thresholds_in_usd_or_percent(text: str, parsed: tuple[Decimal, bool]) -> None:
    assert parse_threshold(text) == parsed


@pytest.mark.parametrize("text", ["", "abc", "0", "-3", "1.234", "0%", "x%", "NaN", "1e400"])
def test_a_bad_threshold_is_one_clear_error(text: str) -> None:
    with pytest.raises(InputError, match="threshold") as caught:
        parse_threshold(text)
    assert caught.value.field == "threshold"
