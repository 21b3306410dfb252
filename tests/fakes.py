"""Shared test doubles: a controllable clock and a fake Cursor team behind a real httpx client."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import httpx
from typer.testing import CliRunner

from outlay.cli.app import app
from outlay.config import Settings
from outlay.providers.cursor.client import CursorClient
from outlay.providers.cursor.policy import (
    DEFAULT_LIMITS,
    DEFAULT_RETRY,
    RateLimits,
    RetryPolicy,
)
from outlay.service import Outlay
from outlay.store.facts_api import Facts, open_facts
from outlay.testing.cursor_fake.api import DEFAULT_KEY, FakeCursorAPI
from outlay.testing.cursor_fake.server import RunningFake
from outlay.testing.cursor_fake.team import FakeTeam, TeamSpec
from outlay.testing.cursor_fake.transport import mock_transport

BASE_URL = "https://cursor.fake.test"
#: A fixed "now" for deterministic data: 2026-11-20 15:30 UTC.
NOW_MS = int(datetime(2026, 11, 20, 15, 30, tzinfo=UTC).timestamp() * 1000)


@dataclass
class Clock:
    """Virtual time for the service and the fake API: ``sleep`` advances it instantly, and
    records how long was asked for."""

    ms: int = NOW_MS
    slept: list[float] = field(default_factory=list)

    def now_ms(self) -> int:
        return self.ms

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.ms / 1000, UTC).replace(tzinfo=None)

    def advance(self, by: timedelta) -> None:
        self.ms += int(by.total_seconds() * 1000)

    def monotonic(self) -> float:
        return self.ms / 1000

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.ms += int(max(seconds, 0) * 1000)


@dataclass
class FakeCursor:
    clock: Clock
    team: FakeTeam
    api: FakeCursorAPI

    def http(
        self, wrap: Callable[[httpx.Request], httpx.Response | None] | None = None
    ) -> httpx.Client:
        """A real httpx client whose transport is the fake; ``wrap`` may answer a request first."""
        inner = mock_transport(self.api)
        if wrap is None:
            return httpx.Client(transport=inner)

        def handler(request: httpx.Request) -> httpx.Response:
            answer = wrap(request)
            return answer if answer is not None else inner.handle_request(request)

        return httpx.Client(transport=httpx.MockTransport(handler))

    def client(
        self,
        *,
        key: str = DEFAULT_KEY,
        limits: RateLimits | None = DEFAULT_LIMITS,
        retry: RetryPolicy = DEFAULT_RETRY,
        http: httpx.Client | None = None,
    ) -> CursorClient:
        return CursorClient(
            http or self.http(),
            api_key=key,
            base_url=BASE_URL,
            limits=limits,
            retry=retry,
            clock=self.clock.monotonic,
            sleep=self.clock.sleep,
        )


def fake_cursor(spec: TeamSpec | None = None, **api_options: object) -> FakeCursor:
    clock = Clock()
    team = FakeTeam(spec or TeamSpec(users=8, days=40), now_ms=clock.now_ms)
    api = FakeCursorAPI(team, clock=clock.monotonic, **api_options)
    return FakeCursor(clock, team, api)


class Databases(Protocol):
    def fresh(self) -> str: ...
    def drop(self, url: str) -> None: ...


class MetadataUrls:
    """The metadata database of each data dir: the SQLite file in it, or (``pytest --database
    postgresql``) a fresh PostgreSQL database per data dir."""

    def __init__(self) -> None:
        self._databases: Databases | None = None
        self._made: dict[Path, str] = {}

    def enable(self, databases: Databases) -> None:
        self._databases = databases

    def disable(self) -> None:
        self.drop_since(0)
        self._databases = None

    def of(self, data_dir: Path) -> str | None:
        if self._databases is None:
            return None
        key = data_dir.resolve()
        if key not in self._made:
            self._made[key] = self._databases.fresh()
        return self._made[key]

    def mark(self) -> int:
        return len(self._made)

    def drop_since(self, mark: int) -> None:
        for key in list(self._made)[mark:]:
            assert self._databases is not None
            self._databases.drop(self._made.pop(key))


metadata_urls = MetadataUrls()


def cli_env(data_dir: Path) -> dict[str, str]:
    """Environment for a CLI run on ``data_dir``'s metadata and facts, wherever this test run
    keeps them (empty: the files in the data dir)."""
    env = {
        "OUTLAY_DATABASE_URL": metadata_urls.of(data_dir),
        "OUTLAY_FACTS_URL": facts_url(data_dir),
    }
    return {name: value for name, value in env.items() if value}


#: The fact engine of this run (``pytest --facts chdb``) and, for chDB, its one engine folder:
#: chDB runs one engine per process, so each data dir gets its own database inside it.
FACTS_ENGINE = {"name": "duckdb", "chdb_root": ""}


def chdb_url(data_dir: Path) -> str:
    """A chDB facts URL of ``data_dir``: its own database in the run's one engine folder."""
    if not FACTS_ENGINE["chdb_root"]:
        FACTS_ENGINE["chdb_root"] = tempfile.mkdtemp(prefix="outlay-chdb-")
    database = "t" + hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
    return f"chdb:///{FACTS_ENGINE['chdb_root']}?database={database}"


def facts_url(data_dir: Path) -> str:
    """The facts URL of ``data_dir`` on this run's engine (empty: the default DuckDB file)."""
    return chdb_url(data_dir) if FACTS_ENGINE["name"] == "chdb" else ""


def facts_store(data_dir: Path) -> Facts:
    """A fact store of ``data_dir`` on this run's engine."""
    return open_facts(Settings(data_dir=data_dir, facts_store_url=facts_url(data_dir) or None))


def fake_settings(data_dir: Path, *also_allowed: str) -> Settings:
    """Settings on ``data_dir`` that let accounts use the fake's base URL (and ``also_allowed``)."""
    return Settings(
        data_dir=data_dir,
        allowed_base_urls=(BASE_URL, *also_allowed),
        database_url=metadata_urls.of(data_dir),
        facts_store_url=facts_url(data_dir) or None,
    )


def make_outlay(
    data_dir: Path,
    fake: FakeCursor,
    wrap: Callable[[httpx.Request], httpx.Response | None] | None = None,
    *,
    also_allowed: tuple[str, ...] = (),
) -> Outlay:
    """An Outlay on ``data_dir`` that reaches the fake through ``wrap`` and runs on its clock."""
    return Outlay(
        fake_settings(data_dir, *also_allowed),
        http=lambda: fake.http(wrap),
        clock=fake.clock,
        monotonic=fake.clock.monotonic,
        sleep=fake.clock.sleep,
    )


def sync_two_workspaces(outlay: Outlay) -> None:
    """Workspaces A and B, each with one synced account of the fake: "a" in A, "b" in B."""
    outlay.add_workspace("A")
    outlay.add_workspace("B")
    outlay.add_account("cursor", "a", DEFAULT_KEY, base_url=BASE_URL, workspaces=["A"])
    outlay.add_account("cursor", "b", DEFAULT_KEY, base_url=BASE_URL, workspaces=["B"])
    outlay.sync("a")
    outlay.sync("b")


def sync_with_cli(data_dir: Path, spec: TeamSpec, *then: list[str]) -> None:
    """Through the CLI, as a user would: add a served fake of ``spec`` as account "acme" to
    ``data_dir``, sync it, then run each of ``then``."""
    with RunningFake(spec, rate_limit=False) as fake:
        runner = CliRunner()
        env = {"OUTLAY_DATA_DIR": str(data_dir), "CURSOR_KEY": fake.key,
               "OUTLAY_ALLOWED_BASE_URLS": fake.url, "OUTLAY_FACTS_URL": facts_url(data_dir)}  # fmt: skip
        for args in (
            ["accounts", "add", "cursor", "--name", "acme", "--api-key-env", "CURSOR_KEY",
             "--base-url", fake.url],
            ["sync"],
            *then,
        ):  # fmt: skip
            result = runner.invoke(app, args, env=env)
            assert result.exit_code == 0, result.output


def run_cli(cli: CliRunner, *args: str, code: int = 0) -> str:
    """``outlay *args`` through ``cli``, which must exit with ``code``: its output. With
    ``--data-dir``, the run reads that data dir's metadata wherever the test keeps it."""
    env = cli_env(Path(args[args.index("--data-dir") + 1])) if "--data-dir" in args else {}
    result = cli.invoke(app, list(args), env=env)
    assert result.exit_code == code, result.output + str(result.exception or "")
    return result.output
