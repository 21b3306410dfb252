"""``outlay worker`` processes on one PostgreSQL: exactly one scheduler is active, and another
takes over within a minute when it is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import pytest

from outlay.store.meta import MetaStore
from outlay.testing.cursor_fake.server import RunningFake
from outlay.testing.cursor_fake.team import TeamSpec
from outlay.web.scheduler import LOCK_RETRY_S
from tests.postgres import Databases
from tests.test_serve_process import OUTLAY, cli

ACTIVE = "this scheduler is active"
WAITING = "another scheduler is active; this one waits"
SECRET = "b3V0bGF5LXdvcmtlci10ZXN0LWtleS0zMi1ieXRlcyE="  # one key for all, as deployed


@pytest.fixture
def database(postgres: Databases) -> Iterator[str]:
    url = postgres.fresh(migrated=False)
    yield url
    postgres.drop(url)


def wait_for(what: str, done: Callable[[], bool], seconds: float) -> float:
    began = time.monotonic()
    while not done():
        assert time.monotonic() - began < seconds, f"{what}: not within {seconds} s"
        time.sleep(0.2)
    return time.monotonic() - began


def last_synced(url: str) -> datetime | None:
    store = MetaStore(url)
    try:
        return store.account("acme").last_synced_at
    finally:
        store.dispose()


@pytest.mark.postgresql
def test_one_worker_syncs_the_other_waits_and_takes_over_when_it_is_killed(
    database: str, tmp_path: Path
) -> None:
    with RunningFake(TeamSpec(users=3, days=10), rate_limit=False) as fake, ExitStack() as files:
        env = {**os.environ, "OUTLAY_DATABASE_URL": database, "CURSOR_KEY": fake.key,
               "OUTLAY_ALLOWED_BASE_URLS": fake.url, "OUTLAY_SECRET_KEY": SECRET}  # fmt: skip
        cli({**env, "OUTLAY_DATA_DIR": str(tmp_path / "setup")}, "db", "upgrade")
        cli({**env, "OUTLAY_DATA_DIR": str(tmp_path / "setup")}, "accounts", "add", "cursor",
            "--name", "acme", "--api-key-env", "CURSOR_KEY", "--base-url", fake.url, "--no-pacing")  # fmt: skip
        logs = {name: tmp_path / f"{name}.log" for name in ("a", "b")}
        workers = {}
        for name, log in logs.items():  # each on its own machine: its own data dir
            workers[name] = subprocess.Popen(
                [*OUTLAY, "worker", "--interval", "2"],
                env={**env, "OUTLAY_DATA_DIR": str(tmp_path / name)},
                stdout=subprocess.DEVNULL, stderr=files.enter_context(log.open("w")),
            )  # fmt: skip
            if name == "a":  # a starts first, so it is the active one
                wait_for("a active", lambda: ACTIVE in logs["a"].read_text(), 60)
        try:
            wait_for("b waiting", lambda: WAITING in logs["b"].read_text(), 60)
            wait_for("a synced", lambda: last_synced(database) is not None, 60)
            assert ACTIVE not in logs["b"].read_text()
            workers["a"].send_signal(signal.SIGKILL)
            workers["a"].wait(10)
            killed = last_synced(database)
            assert killed is not None
            took = wait_for("b took over and synced",
                            lambda: (last_synced(database) or killed) > killed, 60)  # fmt: skip
            assert ACTIVE in logs["b"].read_text()
            assert took < 60 and LOCK_RETRY_S <= 10
        finally:
            for process in workers.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    # A stopping worker waits up to 60 s for its running sync (Scheduler.stop):
                    # wait longer than that, or a sync that is still running fails the test.
                    process.wait(90)
        assert workers["b"].returncode == 0, logs["b"].read_text()
