"""The server's scheduler runs what the service queued ("Sync now") and the hourly round."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.testing.cursor_fake.team import TeamSpec
from outlay.web.scheduler import Scheduler
from tests.fakes import BASE_URL, fake_cursor, make_outlay


def wait_until(done: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the scheduler did not get there in time"
        time.sleep(0.02)


def test_the_scheduler_syncs_what_the_service_queued_then_stops_cleanly(tmp_path: Path) -> None:
    outlay = make_outlay(tmp_path, fake_cursor(TeamSpec(users=2, days=3)))
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    outlay.request_sync("acme")
    assert outlay.sync_queue.pending() == {"acme"}
    scheduler = Scheduler(outlay, interval_s=3600)
    scheduler.start()
    try:
        wait_until(lambda: not scheduler.pending())
        wait_until(lambda: outlay.account("acme").last_synced_at is not None)
        outlay.request_sync("acme")  # after its sync ended, a new request queues it again
        wait_until(lambda: not scheduler.pending())
    finally:
        began = time.monotonic()
        scheduler.stop()
        assert time.monotonic() - began < 10  # woken, not left waiting for the next hour
    assert outlay.facts.count_rows("acme") > 0
