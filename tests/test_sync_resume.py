"""An interrupted first import, resumed days later: every day is read, and "stable" means it."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from outlay.errors import UnavailableError
from outlay.ingest.windows import DAY_MS
from outlay.report.spec import ReportSpec
from outlay.service import Outlay
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.testing.cursor_fake.team import TeamSpec
from tests.fakes import BASE_URL, FakeCursor, fake_cursor, make_outlay

pytestmark = pytest.mark.storage

HOUR_MS = 3_600_000
#: 45 days of history: two windows with events, then the two empty ones that end the backfill.
SPEC = TeamSpec(users=2, days=45, events_per_user_day=4.0)


def fail_from_window(index: int) -> Callable[[httpx.Request], httpx.Response | None]:
    """Answer 500 to every usage-event request from the ``index``-th window (0-based) on."""
    starts: list[int] = []

    def wrap(request: httpx.Request) -> httpx.Response | None:
        if request.url.path != "/teams/filtered-usage-events":
            return None
        start = int(json.loads(request.content)["startDate"])
        if start not in starts:
            starts.append(start)
        if starts.index(start) >= index:
            return httpx.Response(500, json={"error": "Internal Server Error"})
        return None

    return wrap


def daily_costs(outlay: Outlay) -> dict[str, Decimal]:
    today = outlay.today()
    spec = ReportSpec(today.replace(year=today.year - 2), today, date_bin="day")
    return {str(row["date"]): row["cost"] for row in outlay.report(spec).rows if row["cost"]}


def fake_daily(fake: FakeCursor) -> dict[str, Decimal]:
    sums = fake.team.charged_cents_by("day", 0, fake.clock.now_ms())
    return {str(day): cents / 100 for day, cents in sums.items() if cents}


@pytest.mark.parametrize("gap_days", [1, 3, 10])
@pytest.mark.parametrize("failing_window", [0, 1, 2, 3])
def test_a_first_import_interrupted_at_any_window_and_resumed_later_misses_no_day(
    tmp_path: Path, failing_window: int, gap_days: int
) -> None:
    fake = fake_cursor(SPEC)
    broken = make_outlay(tmp_path, fake, fail_from_window(failing_window))
    broken.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    with pytest.raises(UnavailableError):
        broken.sync("acme")
    assert broken.meta.account("acme").status == "error"

    fake.clock.ms += gap_days * DAY_MS
    resumed = make_outlay(tmp_path, fake)
    assert resumed.sync("acme").status == "stable"
    for _ in range(3):  # the hourly syncs that follow
        fake.clock.ms += HOUR_MS
        assert resumed.sync("acme").status == "stable"
    assert daily_costs(resumed) == fake_daily(fake)
    account = resumed.meta.account("acme")
    assert account.synced_through == resumed.today() and account.backfill_done


def test_an_account_interrupted_before_the_newest_covered_day_was_kept_is_read_again(
    tmp_path: Path,
) -> None:
    fake = fake_cursor(SPEC)
    broken = make_outlay(tmp_path, fake, fail_from_window(1))
    broken.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    with pytest.raises(UnavailableError):
        broken.sync("acme")
    # The checkpoint an older version left: the oldest day only.
    broken.meta.update(broken.meta.account("acme"), synced_through=None)
    fake.clock.ms += 10 * DAY_MS
    resumed = make_outlay(tmp_path, fake)
    assert resumed.sync("acme").status == "stable"
    assert daily_costs(resumed) == fake_daily(fake)
