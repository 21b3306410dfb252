"""Budget evaluation, pure: the period, the MTD budget, the forecast's crossing day, which
threshold fires, per-group budgets, and the input checks."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outlay.alerts.budget import (
    Budget,
    budget_events,
    budget_period,
    evaluate,
    parse_amount,
    parse_months,
    parse_percents,
)
from outlay.alerts.event import event_id
from outlay.alerts.limits import MemberLimit, limit_events, on_demand_usd
from outlay.alerts.text import report_path, usd
from outlay.errors import InputError

TODAY = date(2026, 11, 10)
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
D = Decimal


def flat(per_day: str, first: date = date(2026, 10, 1), last: date = TODAY) -> dict[date, D]:
    """The same cost every day from ``first`` to ``last``."""
    return {first + timedelta(days=n): D(per_day) for n in range((last - first).days + 1)}


@pytest.mark.parametrize(
    ("today", "cycle_day", "period"),
    [
        (date(2026, 11, 10), 1, (date(2026, 11, 1), date(2026, 11, 30))),
        (date(2026, 2, 28), 1, (date(2026, 2, 1), date(2026, 2, 28))),
        (date(2026, 11, 20), 15, (date(2026, 11, 15), date(2026, 12, 14))),
        (date(2026, 11, 10), 15, (date(2026, 10, 15), date(2026, 11, 14))),
        (date(2026, 12, 31), 20, (date(2026, 12, 20), date(2027, 1, 19))),
        (date(2027, 1, 5), 20, (date(2026, 12, 20), date(2027, 1, 19))),
    ],
)
def test_the_period_is_the_calendar_month_or_the_billing_cycle(
    today: date, cycle_day: int, period: tuple[date, date]
) -> None:
    assert budget_period(today, cycle_day) == period


@pytest.mark.parametrize(
    ("today", "amount", "mtd"),
    [
        (date(2026, 11, 10), "3000", "1000.00"),  # 10 of 30 days
        (date(2026, 11, 1), "3000", "100.00"),
        (date(2026, 11, 30), "3000", "3000.00"),
        (date(2026, 11, 15), "100", "50.00"),
    ],
)
def test_the_mtd_budget_is_the_elapsed_share(today: date, amount: str, mtd: str) -> None:
    status = evaluate(Budget("b", D(amount)), today, NOVEMBER, {(): flat("1", last=today)})
    assert status.whole.mtd_budget == D(mtd)


def test_the_forecast_crosses_the_budget_on_the_day_the_projection_reaches_it() -> None:
    # $100 a day: $1,000 by the 10th (today included), $2,000 reached on the 20th.
    status = evaluate(Budget("b", D(2000)), TODAY, NOVEMBER, {(): flat("100")})
    whole = status.whole
    assert whole.actual == D(1000) and whole.forecast == D(3000)
    assert whole.crosses_on == date(2026, 11, 20)
    assert (whole.percent_actual, whole.percent_forecast) == (D("50.0"), D("150.0"))
    assert whole.reach_day(D(80)) == date(2026, 11, 16)


def test_a_budget_already_spent_crossed_on_the_day_its_actual_did() -> None:
    status = evaluate(Budget("b", D(450)), TODAY, NOVEMBER, {(): flat("100")})
    assert status.whole.crosses_on == date(2026, 11, 5)


def test_a_budget_the_forecast_never_reaches_does_not_cross() -> None:
    status = evaluate(Budget("b", D(10_000)), TODAY, NOVEMBER, {(): flat("100")})
    assert status.whole.crosses_on is None


def test_no_cost_at_all_is_zero_everywhere() -> None:
    status = evaluate(Budget("b", D(100)), TODAY, NOVEMBER, {})
    assert (status.whole.actual, status.whole.forecast, status.whole.crosses_on) == (0, 0, None)
    assert budget_events(status, 1) == []


@pytest.mark.parametrize(
    ("amount", "alert_at", "fired"),
    [
        ("800", "50,80,100", "100"),  # $1,000 spent: 125%, all three crossed, one event
        ("1100", "50,80,100", "80"),  # 90.9%
        ("1900", "50,80,100", "50"),  # 52.6%
        ("2100", "50,80,100", None),  # 47.6%
        ("1000", "100", "100"),  # exactly the budget counts as reaching it
    ],
)
def test_only_the_highest_threshold_crossed_fires(
    amount: str, alert_at: str, fired: str | None
) -> None:
    budget = Budget("Platform", D(amount), alert_at=parse_percents(alert_at))
    events = budget_events(evaluate(budget, TODAY, NOVEMBER, {(): flat("100")}), 7)
    assert [e.threshold for e in events] == ([D(fired)] if fired else [])
    for event in events:
        assert event.id == event_id("budget", 7, "Platform", {}, NOVEMBER[0], D(fired or 0))
        assert event.kind == "budget" and not event.forecast and event.group == {}
        assert event.period_start == NOVEMBER[0] and event.period_end == NOVEMBER[1]


def test_a_forecast_alert_says_when_the_budget_will_be_exceeded() -> None:
    budget = Budget("Platform", D(2000), alert_at=(D(80), D(100)), forecast_alert=True,
                    channels=("ops",))  # fmt: skip
    events = budget_events(evaluate(budget, TODAY, NOVEMBER, {(): flat("100")}), 1)
    assert len(events) == 1
    event = events[0]
    assert event.forecast and event.threshold == 100 and event.amount == D(3000)
    assert event.message.startswith("Platform will exceed its $2,000 budget around Nov 20")
    assert event.channels == ("ops",)
    assert event.id == event_id("budget", 1, "Platform", {}, NOVEMBER[0], "forecast:100")


def test_a_forecast_alert_is_not_sent_for_a_threshold_the_actual_crossed() -> None:
    budget = Budget("b", D(1100), alert_at=(D(80), D(100)), forecast_alert=True)
    events = budget_events(evaluate(budget, TODAY, NOVEMBER, {(): flat("100")}), 1)
    assert [(e.forecast, e.threshold) for e in events] == [(False, D(80)), (True, D(100))]
    assert "will exceed its $1,100 budget around Nov 11" in events[1].message


def test_the_actual_message_names_who_how_much_and_against_what() -> None:
    budget = Budget("Platform", D(800))
    (event,) = budget_events(evaluate(budget, TODAY, NOVEMBER, {(): flat("100")}), 1)
    assert event.message == (
        "Platform has spent $1,000 of its $800 budget for Nov 1–30 (125.0%, alert at 100%); "
        "forecast $3,000"
    )


def test_per_group_budgets_fire_per_group_with_the_group_named() -> None:
    budget = Budget("Per dev", D(500), per="resource", filter="costs.service = 'x'")
    daily = {("ada@x.io",): flat("60"), ("bo@x.io",): flat("10"), ("cy@x.io",): flat("45")}
    status = evaluate(budget, TODAY, NOVEMBER, daily)
    assert [g.group for g in status.groups] == [
        {"resource": "ada@x.io"}, {"resource": "cy@x.io"}, {"resource": "bo@x.io"},
    ]  # fmt: skip
    events = {e.group["resource"]: e for e in budget_events(status, 1)}
    assert {k: e.threshold for k, e in events.items()} == {"ada@x.io": 100, "cy@x.io": 80}
    assert events["ada@x.io"].message.startswith("ada@x.io in Per dev has spent $600 of its $500")
    path = events["ada@x.io"].report_path or ""
    assert "costs.resource+%3D+%27ada%40x.io%27" in path and "start_date=2026-11-01" in path
    data = status.to_data()
    assert data["actual"] == "1150" and data["percent_actual"] == "120.0"
    assert [g["group"]["resource"] for g in data["groups"]] == ["ada@x.io", "cy@x.io", "bo@x.io"]


def test_a_month_of_its_own_overrides_the_amount() -> None:
    budget = Budget("b", D(1000), months=parse_months(["2026-11=1500", "2026-12=900"]))
    assert budget.amount_for(date(2026, 11, 1)) == D(1500)
    assert budget.amount_for(date(2026, 10, 1)) == D(1000)
    assert evaluate(budget, TODAY, NOVEMBER, {}).whole.amount == D(1500)
    assert Budget.from_data(budget.to_data()) == budget


@given(
    costs=st.dictionaries(
        st.sampled_from(["a", "b", "c", "d"]),
        st.dictionaries(
            st.integers(min_value=-40, max_value=0).map(lambda n: TODAY + timedelta(days=n)),
            st.decimals(min_value=0, max_value=500, places=4),
            max_size=40,
        ),
        max_size=4,
    )
)
@settings(max_examples=60, deadline=None)
def test_per_group_actuals_sum_to_the_scope_actual(
    costs: dict[str, dict[date, Decimal]],
) -> None:
    daily = {(k,): v for k, v in costs.items()}
    grouped = evaluate(Budget("b", D(100), per="resource"), TODAY, NOVEMBER, daily)
    whole = evaluate(Budget("b", D(100)), TODAY, NOVEMBER, daily)
    assert sum((g.actual for g in grouped.groups), D(0)) == whole.whole.actual
    assert grouped.whole.actual == whole.whole.actual
    assert budget_events(grouped, 1) == budget_events(grouped, 1)  # same ids every time


@pytest.mark.parametrize("text", ["abc", "-5", "0", "1.234", "nan", "inf", "1e12", ""])
def test_a_bad_amount_is_one_line_naming_it(text: str) -> None:
    with pytest.raises(InputError, match="is not an amount in USD") as caught:
        parse_amount(text)
    assert caught.value.field == "amount" and "\n" not in str(caught.value)


@pytest.mark.parametrize("text", ["0", "abc", "", "2000", "80,,x", "-10"])
def test_a_bad_threshold_is_refused(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_percents(text)
    assert caught.value.field == "alert_at"


def test_thresholds_read_as_typed() -> None:
    assert parse_percents("100, 80%,80,62.5") == (D("62.5"), D(80), D(100))
    assert parse_amount("$4,000.50") == D("4000.50")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "", "amount": D(1)}, "name"),
        ({"name": "a/b", "amount": D(1)}, "name"),
        ({"name": "x", "amount": None}, "amount"),
        ({"name": "x", "amount": D(1), "per": "nope"}, "per"),
        ({"name": "x", "amount": D(1), "filter": "costs.nope = 'a'"}, "filter"),
        ({"name": "x", "amount": D(1), "cursor_limit": True}, "cursor_limit"),
    ],
)
def test_a_bad_budget_names_the_field(values: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as caught:
        Budget(**values)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_report_paths_drill_to_a_tag_value_and_keep_the_scope() -> None:
    budget = Budget("t", D(1), per="tag:team", filter="costs.service LIKE 'claude%'")
    path = report_path(budget.filter, budget.per, {"tag:team": "Pla'tform"}, *NOVEMBER)
    assert "tags.name+%3D+%27team%27+AND+tags.value+%3D+%27Pla%27%27tform%27" in path
    assert "%28costs.service+LIKE+%27claude%25%27%29" in path
    assert "groupings=tag%3Ateam" in report_path(budget.filter, budget.per, {}, *NOVEMBER)


def test_usd_drops_cents_only_when_there_are_none() -> None:
    assert [usd(D(x)) for x in ("4000", "3210.125", "0.5", "-2")] == [
        "$4,000", "$3,210.12", "$0.50", "-$2",
    ]  # fmt: skip


def _member(
    email: str, spend: str, effective: str | None, monthly: str | None = None
) -> MemberLimit:
    return MemberLimit(
        "acme", email, date(2026, 11, 7), D(spend), None, D(0),
        None if monthly is None else D(monthly), None if effective is None else D(effective),
    )  # fmt: skip


def test_members_fire_once_each_at_the_highest_share_of_their_limit() -> None:
    members = [
        _member("a@x.io", "95", "100"), _member("b@x.io", "40", "100"),
        _member("c@x.io", "500", None), _member("d@x.io", "170", None, monthly="200"),
    ]  # fmt: skip
    events = limit_events("limits", (D(50), D(80), D(90)), ("ops",), members, 3)
    assert [(e.group, e.threshold) for e in events] == [
        ({"resource": "a@x.io"}, D(90)), ({"resource": "d@x.io"}, D(80)),
    ]  # fmt: skip
    assert events[0].message == (
        "a@x.io (acme) has used $95.00 of their $100.00 Cursor limit this billing cycle "
        "(95.0%, alert at 90%)"
    )
    assert events[0].period_start == date(2026, 11, 7)
    assert events[0].period_end == date(2026, 12, 6)
    assert members[2].limit is None and members[2].percent is None


@pytest.mark.parametrize(
    ("spend", "overall", "included", "usd_"),
    [("2450.5", "3000", "549.5", "24.50"), ("3224", None, "1984", "12.40"),
     ("100", None, None, "1.00"), (None, "10", None, "0.00")],
)  # fmt: skip
def test_on_demand_spend_follows_the_documented_fields(
    spend: str | None, overall: str | None, included: str | None, usd_: str
) -> None:
    def dec(text: str | None) -> Decimal | None:
        return None if text is None else D(text)

    assert on_demand_usd(dec(spend), dec(overall), dec(included)) == D(usd_)
