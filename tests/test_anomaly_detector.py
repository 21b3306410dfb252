"""The anomaly detector and an anomaly's life, as tables of daily costs (pure, no database)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from outlay.alerts.anomaly import Flag, Watch, detect, query_start
from outlay.alerts.anomaly_life import (
    ACTIVE,
    IGNORED,
    Anomaly,
    archive_before,
    due,
    fold,
    notification,
    notified,
)
from outlay.errors import InputError

TODAY = date(2026, 11, 20)  # a Friday; the judged days are Sat 14 .. Fri 20
WATCH = Watch()
#: A fixed wobble of ±10%, so the history is not perfectly regular.
WOBBLE = [Decimal(x) for x in ("1.0", "0.9", "1.1", "0.95", "1.05", "1.0", "0.92", "1.08")]


def days(weekday: str, weekend: str, *, until: date = TODAY, n: int = 70) -> dict[date, Decimal]:
    """``n`` days of a regular worker: ``weekday`` USD on Mon–Fri, ``weekend`` on Sat–Sun."""
    out = {}
    for back in range(n):
        day = until - timedelta(days=back)
        level = Decimal(weekend if day.weekday() >= 5 else weekday)
        out[day] = (level * WOBBLE[back % len(WOBBLE)]).quantize(Decimal("0.01"))
    return out


def flagged(daily: dict[tuple[str, ...], dict[date, Decimal]]) -> set[tuple[str, date]]:
    return {(f.key[0], f.day) for f in detect(daily, WATCH, TODAY)}


def test_the_expectation_is_weekday_aware() -> None:
    worker = days("40", "5")
    saturday, friday = date(2026, 11, 14), TODAY
    worker[saturday] = Decimal(30)  # six times a usual Saturday, less than a usual Friday
    worker[friday] = Decimal(44)
    flags = detect({("ada", "m"): worker}, WATCH, TODAY)
    assert [(f.day, f.actual) for f in flags] == [(saturday, Decimal(30))]
    assert flags[0].expected < 6 and flags[0].basis == "history"


def test_a_past_spike_does_not_raise_the_expectation() -> None:
    spiky = days("40", "40")
    spiky[TODAY - timedelta(days=14)] = Decimal(800)  # the same weekday, two weeks ago
    spiky[TODAY - timedelta(days=20)] = Decimal(900)
    spiky[TODAY] = Decimal(130)
    (flag,) = detect({("ada", "m"): spiky}, WATCH, TODAY)
    assert flag.day == TODAY and Decimal(36) <= flag.expected <= Decimal(44)


def test_an_ordinary_day_is_not_an_anomaly() -> None:
    daily = {("ada", "m"): days("40", "5"), ("bo", "m"): days("120", "0")}
    assert flagged(daily) == set()


def test_a_new_joiner_is_judged_by_peers_on_the_same_model() -> None:
    team = {(f"u{i}", "opus"): days(str(15 + i), "3") for i in range(8)}
    team[("new", "opus")] = {TODAY: Decimal(300)}
    team[("calm", "opus")] = {TODAY: Decimal(25)}
    team[("alone", "other-model")] = {TODAY: Decimal(300)}  # no peers: not judged
    flags = detect(team, WATCH, TODAY)
    assert [(f.key, f.basis) for f in flags] == [(("new", "opus"), "peers")]


@pytest.mark.parametrize("today_cost", ["9.99", "9", "5"])
def test_tiny_amounts_never_fire(today_cost: str) -> None:
    tiny = days("1", "1")
    tiny[TODAY] = Decimal(today_cost)  # up to ten times usual, but under the $10 minimum
    assert flagged({("ada", "m"): tiny}) == set()
    assert detect({("ada", "m"): tiny}, Watch(min_cost=Decimal(1)), TODAY) != []


@pytest.mark.parametrize(
    ("today_cost", "fires"),
    [("80", {"high"}), ("95", {"medium", "high"}), ("110", {"low", "medium", "high"})],
)
def test_sensitivity_widens_or_narrows_the_band(today_cost: str, fires: set[str]) -> None:
    daily = days("40", "40")
    daily[TODAY] = Decimal(today_cost)
    found = {s for s in ("low", "medium", "high")
             if detect({("a", "m"): daily}, Watch(sensitivity=s), TODAY)}  # fmt: skip
    assert found == fires


def test_the_query_covers_the_history_and_the_judged_days() -> None:
    assert query_start(TODAY) == TODAY - timedelta(days=62)


def test_a_watch_refuses_a_bad_sensitivity_or_no_group_by() -> None:
    with pytest.raises(InputError, match="sensitivity"):
        Watch(sensitivity="extreme")
    with pytest.raises(InputError, match="group-by"):
        Watch(group_by=())


# -- an anomaly's life ---------------------------------------------------------------------------


def flag(day: date, actual: str, who: str = "ada") -> Flag:
    return Flag((who, "opus"), day, Decimal(actual), Decimal(20), Decimal(40), "history")


def life(existing: list[Anomaly], *flags: Flag) -> list[Anomaly]:
    return fold(existing, flags, workspace_id=1, rule="default", group_by=("resource", "service"))


def saved(anomalies: list[Anomaly], start: int = 1) -> list[Anomaly]:
    from dataclasses import replace

    return [a if a.id else replace(a, id=start + i) for i, a in enumerate(anomalies)]


def test_consecutive_days_are_one_anomaly_and_a_gap_starts_another() -> None:
    d = TODAY
    first = saved(life([], flag(d - timedelta(days=6), "90"), flag(d - timedelta(days=5), "80")))
    assert len(first) == 1 and first[0].actual == Decimal(170)
    later = life(first, flag(d - timedelta(days=4), "70"), flag(d - timedelta(days=1), "60"))
    assert [(a.id, a.first_day, a.last_day) for a in later] == [
        (1, d - timedelta(days=6), d - timedelta(days=4)),
        (None, d - timedelta(days=1), d - timedelta(days=1)),
    ]
    other = life(first, flag(d - timedelta(days=5), "80", who="bo"))
    assert [a.group["resource"] for a in other] == ["bo"]


def test_it_notifies_once_then_again_only_past_twice_the_notified_amount() -> None:
    (opened,) = saved(life([], flag(TODAY - timedelta(days=1), "100")))
    assert due(opened)
    first = notification(opened, ("ops",))
    sent = notified(opened)
    assert not due(sent) and sent.notified_amount == Decimal(100)
    (grown,) = life([sent], flag(TODAY, "99"))  # 199: not yet twice 100
    assert grown.actual == Decimal(199) and not due(grown)
    (more,) = life([grown], flag(TODAY, "101"))  # the day filled up: 201
    assert due(more)
    second = notification(more, ("ops",))
    assert second.id != first.id and second.amount == Decimal(201)
    assert notification(more, ("ops",)).id == second.id  # the same level, the same event


def test_a_day_judged_again_with_the_same_figures_changes_nothing() -> None:
    (opened,) = saved(life([], flag(TODAY, "100")))
    assert life([opened], flag(TODAY, "100")) == []


def test_an_ignored_anomaly_absorbs_its_days_but_never_notifies() -> None:
    (opened,) = saved(life([], flag(TODAY - timedelta(days=1), "100")))
    from dataclasses import replace

    ignored = replace(opened, status=IGNORED, reason="planned load test")
    (grown,) = life([ignored], flag(TODAY, "900"))
    assert grown.status == IGNORED and grown.id == opened.id and not due(grown)


def test_quiet_for_seven_days_means_archived() -> None:
    assert archive_before(TODAY) == TODAY - timedelta(days=7)
    (opened,) = saved(life([], flag(TODAY, "100")))
    assert opened.status == ACTIVE


def test_a_group_with_a_few_days_is_judged_by_its_own_short_history() -> None:
    recent = days("20", "20", n=12)  # joined 12 days ago: too new for the full history
    calm, spike = dict(recent), dict(recent)
    spike[TODAY] = Decimal(200)
    (flag,) = detect({("new", "m"): spike}, WATCH, TODAY)
    assert flag.basis == "short history" and flag.day == TODAY
    calm[TODAY] = Decimal(30)
    assert detect({("new", "m"): calm}, WATCH, TODAY) == []
