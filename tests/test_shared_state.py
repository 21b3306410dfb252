"""State every web replica and worker shares lives in the metadata database: two services on one
database (two replicas) see each other's sign-in failures, "Sync now" requests and scheduler."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from outlay.config import Settings
from outlay.errors import ConfigError, ThrottledError, UnauthenticatedError
from outlay.service import Outlay
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from outlay.testing.cursor_fake.team import TeamSpec
from outlay.web.scheduler import LOCK_RETRY_S, Scheduler
from tests.fakes import BASE_URL, fake_cursor, make_outlay

PASSWORD = "correct horse battery"


def replicas(tmp_path: Path) -> tuple[Outlay, Outlay]:
    """Two services on the same metadata database, as two web replicas are."""
    fake = fake_cursor(TeamSpec(users=2, days=3))
    first, second = make_outlay(tmp_path, fake), make_outlay(tmp_path, fake)
    first.add_user("v@x.test", "viewer", PASSWORD)
    first.add_account("cursor", "acme", DEFAULT_KEY, base_url=BASE_URL)
    return first, second


def wait_until(done: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.05)


def test_failed_sign_ins_on_one_replica_delay_the_next_on_another(tmp_path: Path) -> None:
    first, second = replicas(tmp_path)
    for _ in range(5):  # the free failures of an (email, address) pair, and one more
        with pytest.raises(UnauthenticatedError, match="wrong email or password"):
            first.login("v@x.test", "wrong", "192.0.2.7")
    with pytest.raises(ThrottledError, match=r"for v@x.test; try again in 1 s"):
        second.login("v@x.test", PASSWORD, "192.0.2.7")


def test_sync_now_asked_on_one_replica_is_taken_by_the_scheduler_of_another(
    tmp_path: Path,
) -> None:
    first, second = replicas(tmp_path)
    first.request_sync("acme")
    assert second.queued_syncs() == {"acme"}
    assert second.sync_queue.next(timeout=0) == "acme"
    assert first.sync_queue.next(timeout=0) is None  # taken once, by one scheduler
    assert first.queued_syncs() == {"acme"}  # running: still shown, not queued again
    assert not first.sync_queue.add("acme")


def test_a_sync_a_dead_scheduler_left_running_is_queued_again(tmp_path: Path) -> None:
    first, second = replicas(tmp_path)
    first.request_sync("acme")
    assert first.sync_queue.next(timeout=0) == "acme"  # then its process dies
    assert second.sync_queue.next(timeout=0) is None
    assert second.sync_queue.requeue_started() == 1  # the next active scheduler starts
    assert second.sync_queue.next(timeout=0) == "acme"


def test_one_scheduler_is_active_and_another_takes_over_when_it_stops(tmp_path: Path) -> None:
    first, second = replicas(tmp_path)
    one, two = Scheduler(first, interval_s=3600), Scheduler(second, interval_s=3600)
    one.start()
    try:
        wait_until(one.active.is_set, 30)
        two.start()
        time.sleep(LOCK_RETRY_S / 2)
        assert not two.active.is_set()
        one.stop()
        wait_until(two.active.is_set, LOCK_RETRY_S * 3)
    finally:
        one.stop()
        two.stop()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "mysql://u:secret@db/outlay",
         r"^OUTLAY_DATABASE_URL must start with sqlite:/// or postgresql\+psycopg:// .*not 'mysql://...'$"),
        ("DATABASE_URL", "postgresql://u@db/outlay", r"not 'postgresql://...'$"),
        ("FACTS_URL", "clickhouse+http://u:secret@db", r"^OUTLAY_FACTS_URL 'clickhouse\+http://\.\.\.' is not a fact store; use duckdb:///path, chdb:///path or clickhouse://"),
        ("FACTS_URL", "duckdb:///", r"^OUTLAY_FACTS_URL 'duckdb://\.\.\.' is not a fact store"),
    ],
)  # fmt: skip
def test_a_database_url_of_another_form_is_one_line_naming_the_accepted_ones(
    variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        Settings.from_env({f"OUTLAY_{variable}": value})
    assert "secret" not in str(caught.value) and "\n" not in str(caught.value)


def test_the_default_metadata_is_the_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).meta_url == f"sqlite:///{tmp_path / 'meta.sqlite'}"
    url = "postgresql+psycopg://u:p@db:5432/outlay"
    assert Settings.from_env({"OUTLAY_DATABASE_URL": url}).meta_url == url
    assert (
        Settings.from_env({"OUTLAY_FACTS_URL": "chdb:///srv/facts"}).facts_url
        == "chdb:///srv/facts"
    )
