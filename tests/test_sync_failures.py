"""Failures a sync meets beyond the API: a full disk, a bug, a killed process.

The disk is made full for real: the staged file is written to ``/dev/full``, where every write
fails with ENOSPC, through the opener seam the fact store takes; the DuckDB case mounts a tiny
tmpfs where that is permitted (root) and is skipped elsewhere.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

import pytest

from outlay.errors import StoreError
from outlay.ingest.windows import day_start_ms
from outlay.providers.cursor.normalize import normalize_events
from outlay.providers.cursor.prices import PriceTable
from outlay.service import Outlay
from outlay.store.facts import DuckDBFacts
from outlay.store.staging import StagedWindow, open_private
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.testing.cursor_fake.team import TeamSpec
from outlay.web.scheduler import Scheduler
from tests.fakes import BASE_URL, fake_cursor, make_outlay
from tests.test_report import synthetic_events

pytestmark = pytest.mark.storage

FULL = Path("/dev/full")
needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")


def open_full(_path: Path) -> BinaryIO:
    return FULL.open("wb", buffering=0)


class Disk:
    """What the next staged file is written to: a healthy disk, a full one, or a bug."""

    def __init__(self) -> None:
        self.state = "ok"

    def open(self, path: Path) -> BinaryIO:
        if self.state == "full":
            return open_full(path)
        if self.state == "bug":
            raise RuntimeError("a bug in the importer")
        return open_private(path)


class OnDisk(Outlay):
    """The service with a fact store whose staged files go where ``disk`` says."""

    disk: Disk

    @cached_property
    def facts(self) -> DuckDBFacts:
        return DuckDBFacts(self.settings.facts_path, opener=self.disk.open)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@needs_dev_full
def test_a_full_disk_while_staging_is_a_store_error_naming_the_file_and_the_free_space(
    tmp_path: Path,
) -> None:
    table = normalize_events(synthetic_events(200), account="acme", member_names={},
                             prices=PriceTable())  # fmt: skip
    facts = DuckDBFacts(tmp_path / "facts.duckdb", opener=open_full)
    with pytest.raises(StoreError) as caught, facts.stage("acme") as staged:
        staged.add(table)
        facts.replace_window("acme", 0, day_start_ms(table["ts"][0].as_py().date()), staged)
    message = str(caught.value)
    assert str(tmp_path / "staging" / "window-") in message
    assert "No space left on device" in message and " free on its disk" in message
    assert list((tmp_path / "staging").iterdir()) == []  # the staged file is gone


@needs_dev_full
def test_the_scheduler_survives_a_full_disk_and_a_bug_and_shows_the_real_error(
    tmp_path: Path,
) -> None:
    fake = fake_cursor(TeamSpec(users=2, days=20, events_per_user_day=4.0))
    outlay = OnDisk(make_outlay(tmp_path, fake).settings, http=fake.http,
                    clock=fake.clock, monotonic=fake.clock.monotonic,
                    sleep=fake.clock.sleep)  # fmt: skip
    outlay.disk = Disk()
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    outlay.disk.state = "full"
    scheduler = Scheduler(outlay)
    scheduler.start()  # starts with a round over every account
    try:
        wait_for(lambda: outlay.meta.account("acme").status == "error")
        assert "No space left on device" in (outlay.meta.account("acme").error or "")

        outlay.disk.state = "bug"
        outlay.request_sync("acme")
        wait_for(lambda: "RuntimeError" in (outlay.meta.account("acme").error or ""))
        assert outlay.meta.account("acme").error == "RuntimeError: a bug in the importer"

        outlay.disk.state = "ok"
        outlay.request_sync("acme")
        wait_for(lambda: outlay.meta.account("acme").status == "stable")
        assert outlay.meta.account("acme").error is None
        wait_for(lambda: not scheduler.pending())
    finally:
        scheduler.stop()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs: room for an empty fact store and a little more."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                             capture_output=True, check=False)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.mark.parametrize("events", [5000, 20000])
def test_a_full_disk_in_the_database_shows_that_error_not_a_failed_rollback(
    tiny_disk: Path, events: int
) -> None:
    table = normalize_events(synthetic_events(events), account="acme", member_names={},
                             prices=PriceTable())  # fmt: skip
    facts = DuckDBFacts(tiny_disk / "facts.duckdb")
    with pytest.raises(StoreError) as caught, facts.stage("acme") as staged:
        staged.add(table)
        facts.replace_window("acme", 0, 2**42, staged)
    message = str(caught.value)
    assert "No space left on device" in message and " free on its disk" in message
    assert "rollback" not in message


def test_a_killed_syncs_staged_file_goes_at_the_next_sync_of_its_account(tmp_path: Path) -> None:
    fake = fake_cursor(TeamSpec(users=2, days=20, events_per_user_day=4.0))
    outlay = make_outlay(tmp_path, fake)
    outlay.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    staging = tmp_path / "staging"
    # What a sync killed mid-window leaves: a staged file nobody discards (minutes old only).
    left = StagedWindow(staging, "acme").path
    other = StagedWindow(staging, "beta").path
    outlay.sync("acme")
    assert not left.exists()
    assert other.exists()  # another account's file is its own sync's business
