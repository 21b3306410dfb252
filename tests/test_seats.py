"""Seat costs: exact daily amortization, joiners and leavers, and seats as billed money."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from outlay.errors import InputError
from outlay.providers.cursor.seats import (
    ListedMember,
    day_amount,
    price_units,
    seat_rows,
    seats_by_day,
)
from outlay.report.spec import ReportSpec
from outlay.service import Outlay
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.testing.cursor_fake.team import TeamSpec
from tests.fakes import BASE_URL, Clock, FakeCursor, fake_cursor, make_outlay

pytestmark = pytest.mark.storage

DECEMBER = (date(2026, 12, 1), date(2026, 12, 31))
CENT = Decimal("0.01")


@pytest.mark.parametrize("price", ["40", "120", "39.99", "0.01", "7"])
@pytest.mark.parametrize("month", [date(2026, 2, 1), date(2028, 2, 1), date(2026, 4, 1),
                                   date(2026, 12, 1)])  # fmt: skip
def test_a_whole_month_sums_to_the_price_exactly(price: str, month: date) -> None:
    units = price_units(Decimal(price))
    days = []
    day = month
    while day.month == month.month:
        days.append(day_amount(units, day))
        day += timedelta(days=1)
    assert sum(days) == units
    assert max(days) - min(days) <= 1  # evenly spread: every day within one unit


def test_any_run_of_days_is_within_one_unit_of_its_exact_share() -> None:
    units = price_units(Decimal("39.99"))
    for first in range(1, 32):
        for last in range(first, 32):
            run = sum(day_amount(units, date(2026, 12, d)) for d in range(first, last + 1))
            exact = Decimal(units) * (last - first + 1) / 31
            assert abs(run - exact) < 1


def test_a_snapshot_holds_until_the_next_and_unpaid_or_removed_members_hold_no_seat() -> None:
    a = ListedMember("a@x", "A", "member", False)
    snapshots = {
        date(2026, 12, 3): [a, ListedMember("o@x", "O", "free-owner", False)],
        date(2026, 12, 6): [a, ListedMember("b@x", "B", "member", False)],
        date(2026, 12, 8): [ListedMember("a@x", "A", "member", True)],
    }
    by_day = seats_by_day(snapshots, date(2026, 12, 9))
    assert min(by_day) == date(2026, 12, 3)  # nothing before the first snapshot
    assert [s.email for s in by_day[date(2026, 12, 5)]] == ["a@x"]
    assert [s.email for s in by_day[date(2026, 12, 7)]] == ["a@x", "b@x"]
    assert by_day[date(2026, 12, 9)] == []
    table = seat_rows("acme", Decimal(31), by_day)
    assert table.num_rows == 3 + 2 * 2
    assert set(table.column("category").to_pylist()) == {"Seats"}
    assert set(table.column("charge_type").to_pylist()) == {"Subscription"}
    assert set(table.column("service").to_pylist()) == {"cursor-seat"}
    assert set(table.column("usage_unit").to_pylist()) == {None}
    assert sum(table.column("event_count").to_pylist()) == 0


def _at(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 15, 30, tzinfo=UTC).timestamp() * 1000)


def _report(outlay: Outlay, measure: str, vql: str | None = None, **dates: date) -> Decimal:
    start, end = dates.get("start", date(2026, 1, 1)), dates.get("end", date(2027, 12, 31))
    spec = ReportSpec(start, end, date_bin="cumulative", measure=measure, filter=vql)
    if measure == "usage":
        return sum(outlay.report(spec).totals.values(), Decimal(0))  # type: ignore[arg-type]
    return Decimal(outlay.report(spec).total or 0)


@pytest.fixture
def month_of_syncs(tmp_path: Path) -> tuple[Outlay, FakeCursor, list[str]]:
    """A team synced once a day from Nov 28 to Jan 2 with seats at $40, a member joining on
    Dec 10 and one leaving on Dec 20."""
    fake = fake_cursor(TeamSpec(users=4, days=10, events_per_user_day=2))
    fake.clock.ms = _at(date(2026, 11, 28))
    outlay = make_outlay(tmp_path, fake)
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    members = [m for m in fake.team.members() if not m["isRemoved"] and m["role"] != "free-owner"]
    assert len(members) >= 2
    leaver = members[0]["email"]
    fake.team.add_member("joiner@acme.example", date(2026, 12, 10), "Joiner")
    fake.team.remove_member(leaver, date(2026, 12, 20))
    outlay.sync("acme")
    outlay.set_seat_price("acme", "40")
    while fake.clock.ms < _at(date(2027, 1, 2)):
        fake.clock.advance(timedelta(days=1))
        outlay.sync("acme")
    return outlay, fake, [m["email"] for m in members[1:]]


def test_joiner_and_leaver_month_equals_the_hand_computed_sum(
    month_of_syncs: tuple[Outlay, FakeCursor, list[str]],
) -> None:
    outlay, _fake, stayers = month_of_syncs
    december = {"start": DECEMBER[0], "end": DECEMBER[1]}
    seats = _report(outlay, "cost", "costs.category = 'Seats'", **december)
    # By hand: each stayer a whole month, the joiner Dec 10-31 (22 days), the leaver Dec 1-19
    # (19 days), of a 31-day month at $40.
    by_hand = 40 * len(stayers) + Decimal(40) * 22 / 31 + Decimal(40) * 19 / 31
    assert seats.quantize(CENT) == by_hand.quantize(CENT) == 40 * len(stayers) + Decimal("52.90")
    joiner = _report(outlay, "cost", "costs.resource = 'joiner@acme.example'", **december)
    assert joiner.quantize(CENT) == Decimal("28.39")
    for email in stayers:
        assert _report(outlay, "cost", f"costs.resource = '{email}' AND "
                       "costs.category = 'Seats'", **december) == 40  # fmt: skip


def test_seats_are_billed_money_never_usage_and_charge_type_usage_drops_them(
    month_of_syncs: tuple[Outlay, FakeCursor, list[str]],
) -> None:
    outlay, _fake, _ = month_of_syncs
    seats = _report(outlay, "cost", "costs.category = 'Seats'")
    assert seats > 0
    for measure in ("cost", "billed_cost", "list_cost"):
        everything = _report(outlay, measure)
        usage_only = _report(outlay, measure, "costs.charge_type = 'Usage'")
        assert everything - usage_only == seats, measure
    assert _report(outlay, "usage", "costs.category = 'Seats'") == 0
    assert _report(outlay, "usage") == _report(outlay, "usage", "costs.charge_type = 'Usage'")
    assert _report(outlay, "count", "costs.category = 'Seats'") == 0


def test_resyncing_and_repricing_never_double_and_no_seats_removes_them(
    month_of_syncs: tuple[Outlay, FakeCursor, list[str]],
) -> None:
    outlay, _fake, _ = month_of_syncs
    before = _report(outlay, "cost", "costs.category = 'Seats'")
    outlay.sync("acme")
    outlay.set_seat_price("acme", "40")
    assert _report(outlay, "cost", "costs.category = 'Seats'") == before
    summary = outlay.set_seat_price("acme", preset="teams-premium")
    assert summary.price == 120 and summary.preset == "teams-premium"
    # Each day rounds on its own: within one unit (1e-10 USD) per row of three times as much.
    assert abs(_report(outlay, "cost", "costs.category = 'Seats'") - before * 3) < Decimal("1e-7")
    usage = _report(outlay, "cost", "costs.charge_type = 'Usage'")
    assert outlay.set_seat_price("acme").price is None
    assert _report(outlay, "cost", "costs.category = 'Seats'") == 0
    assert _report(outlay, "cost") == usage


def test_seats_stay_off_until_a_price_is_set(tmp_path: Path) -> None:
    fake = fake_cursor(TeamSpec(users=3, days=5, events_per_user_day=2))
    outlay = make_outlay(tmp_path, fake)
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    outlay.sync("acme")
    assert _report(outlay, "cost", "costs.category = 'Seats'") == 0
    assert outlay.seat_summary("acme").price is None
    assert outlay.seat_summary("acme").seats is not None


@pytest.mark.parametrize(
    ("price", "message"),
    [("abc", "not a number"), ("-1", "must be from 0"), ("12.345", "more than 2 decimals"),
     ("1e9", "must be from 0")],
)  # fmt: skip
def test_a_bad_seat_price_is_one_clear_error_and_changes_nothing(
    tmp_path: Path, price: str, message: str
) -> None:
    fake = fake_cursor(TeamSpec(users=3, days=2, events_per_user_day=1))
    outlay = make_outlay(tmp_path, fake)
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    with pytest.raises(InputError, match=message):
        outlay.set_seat_price("acme", price)
    with pytest.raises(InputError, match="unknown seat preset"):
        outlay.set_seat_price("acme", preset="enterprise")
    assert outlay.seat_summary("acme").price is None


def test_the_fake_lists_joiners_and_leavers_from_their_day() -> None:
    fake = fake_cursor(TeamSpec(users=3, days=2))
    fake.clock = Clock(_at(date(2026, 12, 1)))
    fake.team.now_ms = fake.clock.now_ms
    email = fake.team.members()[0]["email"]
    fake.team.add_member("new@acme.example", date(2026, 12, 3))
    fake.team.remove_member(email, date(2026, 12, 4))

    def listed() -> dict[str, bool]:
        return {m["email"]: m["isRemoved"] for m in fake.team.members()}

    assert "new@acme.example" not in listed()
    fake.clock.advance(timedelta(days=2))
    assert listed()["new@acme.example"] is False and listed()[email] is False
    fake.clock.advance(timedelta(days=1))
    assert listed()[email] is True


def test_a_usage_window_replace_leaves_the_seat_rows_alone(tmp_path: Path) -> None:
    from tests.fakes import facts_store

    facts = facts_store(tmp_path)
    seated = seats_by_day(
        {date(2026, 12, 1): [ListedMember("a@x", "A", "member", False)]}, date(2026, 12, 31)
    )
    assert facts.replace_seats("acme", seat_rows("acme", Decimal(40), seated)) == 31
    with facts.stage("acme") as staged:  # an empty re-read of the whole month
        facts.replace_window("acme", _at(date(2026, 12, 1)) - 55_800_000,
                             _at(date(2027, 1, 1)), staged)  # fmt: skip
    total = facts.query("SELECT sum(cost), count(*) FROM cost_rows WHERE category = 'Seats'")
    assert total.rows == [(Decimal(40), 31)]
    assert facts.replace_seats("acme", seat_rows("acme", Decimal(40), {})) == 0
    assert facts.count_rows("acme") == 0
