"""Budgets, member limits and digests over a synced fake team: figures checked against the
fake's own charges, events recorded once with their deliveries, bad input saving nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from outlay.alerts.budget import Budget
from outlay.errors import BudgetNotFound, ConflictError, FilterError, InputError, ReportNotFound
from outlay.report.spec import ReportSpec
from outlay.service import Outlay
from outlay.store.alerts import Channel
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.testing.cursor_fake.team import TeamSpec
from tests.fakes import BASE_URL, NOW_MS, FakeCursor, fake_cursor, make_outlay

D = Decimal
NOVEMBER_MS = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp() * 1000)


def add_channel(outlay: Outlay, name: str, workspace: str | None = None) -> None:
    space = outlay.workspace(workspace)
    outlay.alert_store.add_channel(
        Channel(space.id, name, "webhook", b"sealed", "https://hooks.example/…", None,
                outlay.clock.now(), None, None)
    )  # fmt: skip


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FakeCursor]:
    """One fake team of 8 over 40 days, synced once; tests copy nothing, they use fresh
    budgets on the same data (budgets are metadata, the facts are read only)."""
    data_dir = tmp_path_factory.mktemp("budgets")
    fake = fake_cursor(TeamSpec(users=8, days=40))
    outlay = make_outlay(data_dir, fake)
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    outlay.sync("acme")
    add_channel(outlay, "ops")
    add_channel(outlay, "finance")
    return data_dir, fake


@pytest.fixture
def outlay(synced: tuple[Path, FakeCursor]) -> Outlay:
    data_dir, fake = synced
    service = make_outlay(data_dir, fake)
    for budget in service.budgets():
        service.remove_budget(budget.name)
    return service


def month_charges(fake: FakeCursor, key: str | None = None) -> Decimal | dict[str, Decimal]:
    if key is None:
        return fake.team.total_charged_cents(NOVEMBER_MS, NOW_MS) / 100
    return {k: v / 100 for k, v in fake.team.charged_cents_by(key, NOVEMBER_MS, NOW_MS).items()}


def test_a_budget_over_the_team_counts_the_fakes_own_charges(
    outlay: Outlay, synced: tuple[Path, FakeCursor]
) -> None:
    outlay.add_budget(Budget("Team", D(100)))
    (status,) = outlay.budget_statuses()
    data = status.to_data()
    assert D(data["actual"]) == month_charges(synced[1])
    assert data["period"] == {"start": "2026-11-01", "end": "2026-11-30"}
    assert D(data["mtd_budget"]) == D("66.67")  # 20 of 30 days
    assert D(data["forecast"]) >= D(data["actual"])


def test_per_user_budgets_match_each_users_charges_and_sum_to_the_whole(
    outlay: Outlay, synced: tuple[Path, FakeCursor]
) -> None:
    outlay.add_budget(Budget("Per dev", D(20), per="resource"))
    outlay.add_budget(Budget("Team", D(100)))
    per, whole = outlay.budget_statuses()
    by_user = month_charges(synced[1], "userEmail")
    assert isinstance(by_user, dict)
    got = {g["group"]["resource"]: D(g["actual"]) for g in per.to_data()["groups"]}
    assert got == {k: v for k, v in by_user.items() if v}
    assert sum(got.values()) == D(whole.to_data()["actual"]) == D(per.to_data()["actual"])


def test_evaluating_twice_fires_nothing_new(outlay: Outlay) -> None:
    outlay.add_budget(Budget("Team", D(50), channels=("ops", "finance"), forecast_alert=True))
    outlay.add_budget(Budget("Per dev", D(5), per="resource", alert_at=(D(50), D(100))))
    first = outlay.evaluate_budgets()
    assert first and all(e.kind == "budget" for e in first)
    team = [e for e in first if e.rule == "Team"]
    assert [(e.threshold, e.forecast) for e in team] == [(D(100), False)]
    deliveries = outlay.alert_store.deliveries([team[0].id])[team[0].id]
    assert sorted(d.channel for d in deliveries) == ["finance", "ops"]
    per_dev = [e for e in first if e.rule == "Per dev"]
    assert len({e.group["resource"] for e in per_dev}) == len(per_dev) > 1
    assert outlay.evaluate_budgets() == []
    # Another process over the same data agrees.
    assert Outlay(outlay.settings, clock=outlay.clock).evaluate_budgets() == []


def test_a_budget_under_its_thresholds_fires_nothing(outlay: Outlay) -> None:
    outlay.add_budget(Budget("Roomy", D(1_000_000), forecast_alert=True))
    assert outlay.evaluate_budgets() == []


def test_the_next_period_starts_from_nothing(outlay: Outlay) -> None:
    outlay.add_budget(Budget("Tiny", D(1), alert_at=(D(1),)))
    assert len(outlay.evaluate_budgets()) == 1
    # December has no cost yet: nothing crosses; the November event stays recorded once.
    assert outlay.evaluate_budgets(datetime(2026, 12, 1, 9)) == []


def test_the_billing_cycle_day_sets_the_period(
    outlay: Outlay, synced: tuple[Path, FakeCursor]
) -> None:
    fake = synced[1]
    cycled = Outlay(replace(outlay.settings, billing_cycle_day=15), clock=fake.clock)
    cycled.add_budget(Budget("Cycle", D(100)))
    try:
        (status,) = cycled.budget_statuses()
        data = status.to_data()
        assert data["period"] == {"start": "2026-11-15", "end": "2026-12-14"}
        start = int(datetime(2026, 11, 15, tzinfo=UTC).timestamp() * 1000)
        assert D(data["actual"]) == fake.team.total_charged_cents(start, NOW_MS) / 100
    finally:
        cycled.remove_budget("Cycle")


@pytest.mark.parametrize(
    ("budget", "error"),
    [
        (Budget("x", D(1), channels=("nope",)), "no channel named 'nope' in workspace Default"),
        (Budget("x", D(1), per="tag:team"), None),  # a tag with no rule: fine, one "" group
    ],
)
def test_channels_must_exist(outlay: Outlay, budget: Budget, error: str | None) -> None:
    if error is None:
        outlay.add_budget(budget)
        assert [b.name for b in outlay.budgets()] == ["x"]
        return
    with pytest.raises(InputError, match=error):
        outlay.add_budget(budget)
    assert outlay.budgets() == []


def test_names_are_unique_and_edits_replace_or_rename(outlay: Outlay) -> None:
    outlay.add_budget(Budget("a", D(1)))
    outlay.add_budget(Budget("b", D(2)))
    with pytest.raises(ConflictError, match="a budget named 'a' exists"):
        outlay.add_budget(Budget("a", D(3)))
    with pytest.raises(ConflictError, match="a budget named 'b' exists"):
        outlay.edit_budget("a", Budget("b", D(3)))
    outlay.edit_budget("a", Budget("c", D(5), channels=("ops",)))
    assert {b.name: b.amount for b in outlay.budgets()} == {"b": D(2), "c": D(5)}
    with pytest.raises(BudgetNotFound, match=r"no budget named 'a' \(budgets: b, c\)"):
        outlay.remove_budget("a")
    with pytest.raises(FilterError):
        Budget("bad", D(1), filter="costs.service ==")


def test_member_limits_carry_the_fakes_limits(
    outlay: Outlay, synced: tuple[Path, FakeCursor]
) -> None:
    fake = synced[1]
    people = {p.email: p for p in fake.team.identities}
    limits = outlay.member_limits()
    assert {m.email for m in limits} == set(people)
    for member in limits:
        person = people[member.email]
        assert member.hard_limit_override == person.hard_limit_override_dollars
        assert member.monthly_limit == person.monthly_limit_dollars
        assert member.effective_limit is not None and member.effective_limit > 0
        assert member.limit == member.effective_limit
        start = datetime.fromtimestamp(fake.team.cycle.start_ms(NOW_MS) / 1000, UTC).date()
        assert member.cycle_start == start
    percents = [m.percent or D(0) for m in limits]
    assert percents == sorted(percents, reverse=True)


def test_a_cursor_limit_budget_fires_per_member_once(outlay: Outlay) -> None:
    limits = outlay.member_limits()
    over = [m for m in limits if m.percent is not None and m.percent >= 1]
    assert over, "the fake team should have members above 1% of their limit"
    outlay.add_budget(Budget("Limits", None, cursor_limit=True, alert_at=(D(1),),
                             channels=("ops",)))  # fmt: skip
    events = outlay.evaluate_budgets()
    assert sorted(e.group["resource"] for e in events) == sorted(m.email for m in over)
    assert all(e.threshold == 1 and e.kind == "budget" for e in events)
    assert outlay.evaluate_budgets() == []
    (status,) = outlay.budget_statuses()
    data = status.to_data()
    assert data["cursor_limit"] and data["amount"] is None
    assert len(data["groups"]) == len([m for m in limits if m.limit is not None])


# -- report digests ------------------------------------------------------------------------


@pytest.fixture
def with_report(outlay: Outlay) -> Outlay:
    spec = ReportSpec(interval="last_7_days", group_by=("resource",), date_bin="cumulative")
    outlay.save_report("Weekly team", spec)
    for digest in outlay.digests():
        outlay.remove_digest(digest.report)
    return outlay


def test_a_weekly_digest_goes_out_once_on_monday_with_its_figures(with_report: Outlay) -> None:
    outlay = with_report
    outlay.set_digest("Weekly team", "week", ("ops",))
    # Set up on Friday the 20th: nothing until Monday the 23rd, then once that week.
    assert outlay.evaluate_digests(datetime(2026, 11, 20, 18)) == []
    (event,) = outlay.evaluate_digests(datetime(2026, 11, 23, 7))
    assert outlay.evaluate_digests(datetime(2026, 11, 25, 7)) == []
    assert event.kind == "digest" and event.rule == "Weekly team" and event.channels == ("ops",)
    detail = event.detail
    assert set(detail) >= {"report", "total", "previous", "change_pct", "movers", "rows"}
    assert detail["report"] == "Weekly team"
    rows_total = sum((D(amount) for _, amount in detail["rows"]), D(0))
    assert rows_total == D(detail["total"]) == event.amount
    assert detail["previous"] is not None and D(detail["previous"]) > 0
    assert 0 < len(detail["movers"]) <= 5
    changes = [abs(D(m["change"])) for m in detail["movers"]]
    assert changes == sorted(changes, reverse=True)
    assert "Weekly digest of 'Weekly team'" in event.message
    # The next Monday is another period.
    assert len(outlay.evaluate_digests(datetime(2026, 11, 30, 7))) == 1


def test_monthly_and_daily_digests_follow_their_days(with_report: Outlay) -> None:
    outlay = with_report
    outlay.set_digest("Weekly team", "month", ("ops",))
    assert outlay.evaluate_digests(datetime(2026, 12, 1, 12)) == []  # due Nov 2: before set-up
    assert len(outlay.evaluate_digests(datetime(2026, 12, 2, 0, 5))) == 1
    assert outlay.evaluate_digests(datetime(2026, 12, 20)) == []
    outlay.set_digest("Weekly team", "day", ("ops", "finance"))
    assert len(outlay.evaluate_digests(datetime(2026, 11, 20, 16))) == 1
    assert outlay.evaluate_digests(datetime(2026, 11, 20, 23)) == []
    assert len(outlay.evaluate_digests(datetime(2026, 11, 21, 1))) == 1


@pytest.mark.parametrize(
    ("report", "every", "channels", "error"),
    [
        ("Nope", "week", ("ops",), ReportNotFound),
        ("Weekly team", "fortnight", ("ops",), InputError),
        ("Weekly team", "week", (), InputError),
        ("Weekly team", "week", ("nope",), InputError),
    ],
)
def test_a_bad_digest_saves_nothing(
    with_report: Outlay, report: str, every: str, channels: tuple[str, ...], error: type
) -> None:
    with pytest.raises(error):
        with_report.set_digest(report, every, channels)
    assert with_report.digests() == []


def test_a_deleted_reports_digest_stays_quiet(with_report: Outlay) -> None:
    with_report.save_report("Gone", ReportSpec(interval="last_7_days", date_bin="cumulative"))
    with_report.set_digest("Gone", "day", ("ops",))
    with_report.delete_report("Gone")
    assert with_report.evaluate_digests(datetime(2026, 11, 24, 1)) == []
    with_report.save_report("Gone", ReportSpec(interval="last_7_days", date_bin="cumulative"))
    assert len(with_report.evaluate_digests(datetime(2026, 11, 24, 1))) == 1


def test_a_usage_report_cannot_be_a_digest(with_report: Outlay) -> None:
    with_report.save_report("Tokens", ReportSpec(interval="last_7_days", measure="usage"))
    with pytest.raises(InputError, match="a digest reports money"):
        with_report.set_digest("Tokens", "day", ("ops",))
    assert date(2026, 11, 20).weekday() == 4  # the fixed clock is a Friday


def test_a_zoned_moment_is_read_in_utc(with_report: Outlay) -> None:
    from datetime import timedelta, timezone

    # A report of its own: the module's data (and its recorded events) is shared.
    with_report.save_report("Zoned", ReportSpec(interval="last_7_days", date_bin="cumulative"))
    with_report.set_digest("Zoned", "week", ("ops",))
    berlin = timezone(timedelta(hours=2))
    # 00:30 on Monday in UTC+2 is still Sunday in UTC: not due yet.
    assert with_report.evaluate_digests(datetime(2026, 11, 23, 0, 30, tzinfo=berlin)) == []
    assert len(with_report.evaluate_digests(datetime(2026, 11, 23, 2, 30, tzinfo=berlin))) == 1
