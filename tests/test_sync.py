"""Sync end to end: fake Cursor API → client → normalize → real DuckDB and SQLite stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from outlay.errors import AuthError, SyncBusyError, UnavailableError
from outlay.ingest.lock import account_lock
from outlay.ingest.windows import DAY_MS, day_start_ms, utc_day
from outlay.report.spec import ReportSpec
from outlay.service import Outlay
from outlay.testing.cursor_fake.api import DEFAULT_KEY, Fault
from outlay.testing.cursor_fake.team import TeamSpec
from tests.fakes import BASE_URL, NOW_MS, FakeCursor, fake_cursor, make_outlay

pytestmark = pytest.mark.storage

TODAY = utc_day(NOW_MS)
EVERYTHING = {
    "start": TODAY - timedelta(days=400),
    "end": TODAY + timedelta(days=30),
    "date_bin": "cumulative",
}


def connected(tmp_path: Path, fake: FakeCursor) -> Outlay:
    outlay = make_outlay(tmp_path, fake)
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    return outlay


def all_rows(outlay: Outlay) -> list[tuple[Any, ...]]:
    return outlay.facts.query("SELECT * FROM cost_rows ORDER BY ALL").rows


def costs_by(outlay: Outlay, dimension: str) -> dict[str, Decimal]:
    bin_ = "day" if dimension == "day" else "cumulative"
    groups = () if dimension == "day" else (dimension,)
    report = outlay.report(ReportSpec(**{**EVERYTHING, "date_bin": bin_}, group_by=groups))
    key = "date" if dimension == "day" else dimension
    return {row[key]: row["cost"] for row in report.rows}


def truth(fake: FakeCursor, key: str) -> dict[str, Decimal]:
    sums = fake.team.charged_cents_by(key, 0, fake.clock.now_ms())
    return {k: v / 100 for k, v in sums.items()}


@pytest.mark.parametrize(
    ("dimension", "key"),
    [("service", "model"), ("resource", "userEmail"), ("subcategory", "kind"), ("day", "day")],
)
def test_costs_equal_the_fakes_charged_cents_exactly(
    tmp_path: Path, dimension: str, key: str
) -> None:
    fake = fake_cursor()
    outlay = connected(tmp_path, fake)
    result = outlay.sync("acme")
    assert result.status == "stable" and result.events > 1000
    assert costs_by(outlay, dimension) == truth(fake, key)


def test_first_import_goes_newest_first_and_stops_where_data_ends(tmp_path: Path) -> None:
    fake = fake_cursor()
    outlay = connected(tmp_path, fake)
    seen: list[Any] = []

    class Listener:
        def planned(self, account: str, windows: int) -> None:
            pass

        def window_done(self, account: str, window: Any, events: int, rows: int) -> None:
            seen.append((window, events))

    outlay.sync("acme", listener=Listener())
    firsts = [w.first_day for w, _ in seen]
    assert firsts == sorted(firsts, reverse=True)
    assert [events for _, events in seen[-2:]] == [0, 0]  # two empty windows end the backfill
    assert len(seen) == 4  # 40 days of data: two windows with events, two empty ones
    account = outlay.meta.account("acme")
    assert account.backfill_done and account.status == "stable" and account.error is None
    assert account.synced_through == TODAY


def test_a_second_sync_changes_nothing(tmp_path: Path) -> None:
    fake = fake_cursor()
    outlay = connected(tmp_path, fake)
    outlay.sync("acme")
    before = all_rows(outlay)
    fake.clock.ms += 60_000
    outlay.sync("acme")
    assert all_rows(outlay) == before


def test_a_revision_inside_the_lag_window_shows_after_the_next_sync(tmp_path: Path) -> None:
    fake = fake_cursor()
    outlay = connected(tmp_path, fake)
    outlay.sync("acme")
    changed = fake.team.revise(NOW_MS - 2 * DAY_MS, Decimal("1.1"))
    assert changed > 0
    assert costs_by(outlay, "day") != truth(fake, "day")
    outlay.sync("acme")
    assert costs_by(outlay, "day") == truth(fake, "day")


def test_new_days_arrive_on_the_next_sync(tmp_path: Path) -> None:
    fake = fake_cursor()
    outlay = connected(tmp_path, fake)
    outlay.sync("acme")
    fake.clock.ms += 3 * DAY_MS
    outlay.sync("acme")
    assert costs_by(outlay, "day") == truth(fake, "day")
    assert outlay.meta.account("acme").synced_through == TODAY + timedelta(days=3)


def fail_events_after(pages: int) -> Callable[[httpx.Request], httpx.Response | None]:
    """Answer 500 to every usage-event request after the first ``pages`` ones."""
    seen = [0]

    def wrap(request: httpx.Request) -> httpx.Response | None:
        if request.url.path != "/teams/filtered-usage-events":
            return None
        seen[0] += 1
        return (
            httpx.Response(500, json={"error": "Internal Server Error"})
            if seen[0] > pages
            else None
        )

    return wrap


def test_a_failure_mid_window_leaves_the_previous_rows_intact(tmp_path: Path) -> None:
    fake = fake_cursor()
    connected(tmp_path, fake).sync("acme")
    fake.team.revise(NOW_MS - 20 * DAY_MS, Decimal("2"))  # the re-read would change these rows
    broken = make_outlay(tmp_path, fake, fail_events_after(1))
    before = all_rows(broken)
    with pytest.raises(UnavailableError, match="failed with 500"):
        broken.sync("acme", since=TODAY - timedelta(days=25))
    assert all_rows(broken) == before
    account = broken.meta.account("acme")
    assert account.status == "error" and "failed with 500" in (account.error or "")
    healed = make_outlay(tmp_path, fake)
    healed.sync("acme", since=TODAY - timedelta(days=25))
    assert costs_by(healed, "day") == truth(fake, "day")
    assert healed.meta.account("acme").status == "stable"


def test_an_interrupted_first_import_resumes_where_it_stopped(tmp_path: Path) -> None:
    fake = fake_cursor(TeamSpec(users=8, days=75))
    outlay = make_outlay(tmp_path, fake, fail_events_after(4))
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    with pytest.raises(UnavailableError):
        outlay.sync("acme")
    account = outlay.meta.account("acme")
    assert account.status == "error" and not account.backfill_done
    assert account.oldest_day is not None and account.oldest_day < TODAY  # first window kept
    kept = outlay.facts.count_rows("acme")
    assert kept > 0
    resumed = make_outlay(tmp_path, fake)
    resumed.sync("acme")
    assert costs_by(resumed, "day") == truth(fake, "day")
    assert resumed.meta.account("acme").status == "stable"


def test_only_allowlisted_routes_are_called_and_no_limit_is_hit(tmp_path: Path) -> None:
    fake = fake_cursor()
    outlay = connected(tmp_path, fake)
    outlay.sync("acme")
    outlay.sync("acme", since=TODAY - timedelta(days=10))
    routes = {(r.method, r.path) for r in fake.api.log}
    # Spend and daily usage are read for reconciliation and completeness (ingest/reads.py).
    assert routes == {
        ("GET", "/teams/members"),
        ("POST", "/teams/filtered-usage-events"),
        ("POST", "/teams/spend"),
        ("POST", "/teams/daily-usage-data"),
    }
    assert {r.status for r in fake.api.log} == {200}


def test_remove_deletes_the_account_and_all_its_cost_rows(tmp_path: Path) -> None:
    fake = fake_cursor()
    outlay = connected(tmp_path, fake)
    outlay.add_account("cursor", "other", DEFAULT_KEY, base_url=BASE_URL)
    outlay.sync("acme")
    outlay.sync("other")
    other_rows = outlay.facts.count_rows("other")
    removed = outlay.remove_account("acme")
    assert removed > 0 and outlay.facts.count_rows("acme") == 0
    assert outlay.facts.count_rows("other") == other_rows
    assert [a.name for a in outlay.accounts()] == ["other"]


def test_an_invalid_key_registers_nothing(tmp_path: Path) -> None:
    fake = fake_cursor()
    outlay = make_outlay(tmp_path, fake)
    with pytest.raises(AuthError, match="refused the key crsr_…"):
        outlay.add_account("cursor", "acme", "crsr_" + "0" * 64, base_url=BASE_URL)
    assert outlay.accounts() == []


@pytest.mark.embedded_only
def test_the_stored_key_is_encrypted_and_listed_only_masked(tmp_path: Path) -> None:
    fake = fake_cursor()
    outlay = connected(tmp_path, fake)
    assert DEFAULT_KEY.encode() not in (tmp_path / "meta.sqlite").read_bytes()
    public = outlay.accounts()[0].public()
    assert DEFAULT_KEY not in str(public) and public["key"].endswith(DEFAULT_KEY[-4:])


def test_one_sync_per_account_at_a_time(tmp_path: Path) -> None:
    fake = fake_cursor()
    outlay = connected(tmp_path, fake)
    account = outlay.meta.account("acme")
    with account_lock(tmp_path / "locks", account.id, account.name), pytest.raises(SyncBusyError):
        outlay.sync("acme")


def test_events_the_api_returns_outside_the_window_are_not_stored(tmp_path: Path) -> None:
    fake = fake_cursor()
    stray = {
        "timestamp": str(day_start_ms(TODAY) - 400 * DAY_MS),
        "model": "gpt-5",
        "kind": "Usage-based",
        "userEmail": "x@acme.example",
        "chargedCents": 5,
    }

    def with_stray(request: httpx.Request) -> httpx.Response | None:
        if request.url.path != "/teams/filtered-usage-events":
            return None
        answer = fake.http().post(
            str(request.url), content=request.content, headers=request.headers
        )
        body = answer.json()
        if not body["pagination"]["hasNextPage"]:  # one stray on the last page of each window
            body["usageEvents"].append(stray)
        body["totalUsageEventsCount"] += 1
        return httpx.Response(200, json=body)

    outlay = make_outlay(tmp_path, fake, with_stray)
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    outlay.sync("acme")
    assert costs_by(outlay, "day") == truth(fake, "day")


def test_the_key_never_reaches_the_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    fake = fake_cursor()
    caplog.set_level("DEBUG")
    outlay = connected(tmp_path, fake)
    fake.api.inject(Fault.status(429, retry_after=1), Fault.status(503))
    outlay.sync("acme")
    assert caplog.records
    assert all(DEFAULT_KEY not in record.getMessage() for record in caplog.records)
    assert DEFAULT_KEY[10:30] not in caplog.text
