"""Completeness per account and UTC day, end to end: a dropped day is missing, a re-read that
changes a day is a revision (by exactly how much), recent days are pending, the rest complete."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from outlay.ingest.windows import DAY_MS, day_start_ms, utc_day
from outlay.service import Outlay
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.testing.cursor_fake.team import TeamSpec
from tests.fakes import BASE_URL, NOW_MS, FakeCursor, fake_cursor, make_outlay

pytestmark = pytest.mark.storage

TODAY = utc_day(NOW_MS)
DROPPED = TODAY - timedelta(days=10)


def synced(tmp_path: Path, fake: FakeCursor) -> Outlay:
    outlay = make_outlay(tmp_path, fake)
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    outlay.sync("acme")
    return outlay


def days_of(outlay: Outlay, **range_: Any) -> dict[str, dict[str, Any]]:
    return {d["date"]: d for d in (s.to_data() for s in outlay.completeness("acme", **range_))}


def day_truth(fake: FakeCursor) -> dict[str, Decimal]:
    return fake.team.charged_cents_by("day", 0, fake.clock.now_ms())


def test_a_dropped_day_is_missing_and_names_who_was_active(tmp_path: Path) -> None:
    fake = fake_cursor(TeamSpec(users=8, days=40, dropped_days=(DROPPED,)))
    outlay = synced(tmp_path, fake)
    days = days_of(outlay, start=TODAY - timedelta(days=20), end=TODAY)
    assert len(days) == 21
    lost = days[DROPPED.isoformat()]
    assert lost["status"] == "missing" and lost["events"] == 0 and lost["cost"] == "0"
    assert lost["active_in_daily_usage"] is True
    assert lost["missing_members"] == lost["active_members"] != []
    truth = day_truth(fake)
    for text, day in days.items():
        assert day["last_read_at"] == "2026-11-20T15:30:00Z"
        if text == DROPPED.isoformat():
            continue
        expected = "pending" if text >= (TODAY - timedelta(days=3)).isoformat() else "complete"
        assert day["status"] == expected, text
        assert day["missing_members"] == []
        assert Decimal(day["cost"]) == truth.get(text, Decimal(0)) / 100
    assert outlay.complete_through()["acme"] == DROPPED - timedelta(days=1)
    # Reports say when their period holds incomplete days, and only then.
    pending = TODAY - timedelta(days=3)
    assert outlay.completeness_notes(TODAY - timedelta(days=20), TODAY) == [
        f"acme: 1 day(s) missing ({DROPPED}); days from {pending} pending (Cursor may revise); "
        "see the completeness report"
    ]
    assert outlay.completeness_notes(DROPPED + timedelta(days=1), pending - timedelta(days=1)) == []


def test_a_consistent_team_is_complete_through_the_day_before_the_lag_window(
    tmp_path: Path,
) -> None:
    outlay = synced(tmp_path, fake_cursor(TeamSpec(users=8, days=40)))
    statuses = {d["status"] for d in days_of(outlay, start=TODAY - timedelta(days=39)).values()}
    assert statuses == {"complete", "pending"}
    assert outlay.complete_through()["acme"] == TODAY - timedelta(days=4)


def test_a_re_read_that_changes_a_day_is_a_revision_by_exactly_how_much(tmp_path: Path) -> None:
    fake = fake_cursor(TeamSpec(users=8, days=40))
    outlay = synced(tmp_path, fake)
    yesterday = TODAY - timedelta(days=1)
    today_read = (day_start_ms(TODAY), NOW_MS)  # what the first sync read of today
    before = day_truth(fake)[yesterday.isoformat()]
    today_before = fake.team.total_charged_cents(*today_read)
    fake.team.revise(day_start_ms(yesterday) + DAY_MS // 2, "1.5")
    after = day_truth(fake)[yesterday.isoformat()]
    today_after = fake.team.total_charged_cents(*today_read)
    # Today's new events after the first read are no revision: that part was never read.
    fake.clock.advance(timedelta(hours=2))
    outlay.sync("acme")
    days = days_of(outlay, start=TODAY - timedelta(days=3))
    revision = days[yesterday.isoformat()]["revision"]
    assert revision["times"] == 1 and revision["last_at"] == "2026-11-20T17:30:00Z"
    assert Decimal(revision["cost"]) == (after - before) / 100 != 0
    assert revision["events"] == 0
    today = days[TODAY.isoformat()]
    assert Decimal(today["revision"]["cost"]) == (today_after - today_before) / 100
    assert Decimal(today["cost"]) > today_after / 100  # it holds the new events too
    assert days[yesterday.isoformat()]["status"] == "pending"  # still inside the lag window
    # Past the lag window the day keeps its status and how much it changed.
    fake.clock.advance(timedelta(days=5))
    outlay.sync("acme")
    later = days_of(outlay, start=yesterday, end=yesterday)[yesterday.isoformat()]
    assert later["status"] == "revised" and later["revision"] == revision
    assert outlay.complete_through()["acme"] == TODAY + timedelta(days=1)


def test_days_imported_before_reads_were_recorded_show_the_stored_totals(tmp_path: Path) -> None:
    from sqlalchemy import delete

    from outlay.store.schema import DayReadRow

    fake = fake_cursor(TeamSpec(users=8, days=40))
    outlay = synced(tmp_path, fake)
    with outlay.meta.session() as s:  # as an older version left the account
        s.execute(delete(DayReadRow))
    days = days_of(outlay, start=TODAY - timedelta(days=9))
    truth = day_truth(fake)
    assert len(days) == 10
    for text, day in days.items():
        assert day["last_read_at"] is None and day["active_in_daily_usage"] is None
        assert Decimal(day["cost"]) == truth[text] / 100 and day["events"] > 0
    assert days[(TODAY - timedelta(days=9)).isoformat()]["status"] == "complete"
