"""The fake over real HTTP clients: httpx's MockTransport, a served uvicorn thread and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

import outlay
from outlay.errors import ConfigError
from outlay.testing.cursor_fake import (
    DEFAULT_KEY,
    FakeCursorAPI,
    FakeTeam,
    Fault,
    RunningFake,
    TeamSpec,
    mock_transport,
)
from outlay.testing.cursor_fake.clock import DAY_MS

NOW = int(datetime(2026, 11, 20, 15, 30, tzinfo=UTC).timestamp() * 1000)
SPEC = TeamSpec(users=6, days=10, events_per_user_day=8)


@pytest.fixture
def api() -> FakeCursorAPI:
    return FakeCursorAPI(FakeTeam(SPEC, lambda: NOW), rate_limit=False)


@pytest.fixture
def client(api: FakeCursorAPI) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=mock_transport(api), base_url="https://api.cursor.com", auth=(DEFAULT_KEY, "")
    ) as http:
        yield http


def test_httpx_client_reads_every_route(client: httpx.Client, api: FakeCursorAPI) -> None:
    assert client.get("/teams/members").json()["teamMembers"] == api.team.members()
    window = {"startDate": NOW - 7 * DAY_MS, "endDate": NOW, "pageSize": 1000}
    events = client.post("/teams/filtered-usage-events", json=window).json(parse_float=Decimal)
    assert events["usageEvents"] == api.team.events(NOW - 7 * DAY_MS, NOW)
    assert client.post("/teams/daily-usage-data", json=window).status_code == 200
    assert client.post("/teams/spend", json={}).status_code == 200
    assert client.get("/teams/members?x=1").status_code == 200  # query strings are ignored


def test_httpx_sees_dropped_connections_and_timeouts(
    client: httpx.Client, api: FakeCursorAPI
) -> None:
    api.inject(Fault.disconnect(), Fault.disconnect(timeout=True))
    with pytest.raises(httpx.ConnectError):
        client.get("/teams/members")
    with pytest.raises(httpx.ReadTimeout):
        client.get("/teams/members")
    assert client.get("/teams/members").status_code == 200


def test_a_served_fake_answers_over_http_and_stops_cleanly() -> None:
    with RunningFake(SPEC, rate_limit=False) as fake:
        assert fake.url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=fake.url, auth=(fake.key, "")) as http:
            members = http.get("/teams/members")
            assert members.status_code == 200 and members.json()["teamMembers"]
            page = http.post("/teams/filtered-usage-events", json={"pageSize": 1000})
            total = page.json()["totalUsageEventsCount"]
            assert total == len(page.json()["usageEvents"]) > 0
            assert http.post("/teams/remove-member", json={}).status_code == 403
            fake.api.inject(Fault.disconnect())
            with pytest.raises(httpx.TransportError):
                http.get("/teams/members")
            assert http.get("/teams/members").status_code == 200
            log = http.get("/_fake/log").json()
            assert [e["status"] for e in log] == [200, 200, 403, 0, 200]
        url = fake.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/teams/members")


def test_a_served_fake_can_wrap_a_given_api(api: FakeCursorAPI) -> None:
    with RunningFake(api=api) as fake:
        assert fake.api is api and fake.key == DEFAULT_KEY
        assert httpx.get(fake.url + "/teams/members", auth=(fake.key, "")).status_code == 200
    with pytest.raises(RuntimeError, match="not running"):
        _ = fake.url


def test_the_cli_prints_the_url_and_key_then_serves_until_interrupted() -> None:
    src = str(Path(outlay.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    code = "from outlay.cli.fake_cursor import app; app()"
    args = ["serve", "--port", "0", "--users", "3", "--days", "2", "--key", "crsr_test"]
    with subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert "crsr_test" in line
            url = next(word for word in line.split() if word.startswith("http://"))
            members = httpx.get(url + "/teams/members", auth=("crsr_test", ""))
            assert len(members.json()["teamMembers"]) == 3
            assert httpx.get(url + "/teams/members", auth=(DEFAULT_KEY, "")).status_code == 401
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0


def test_the_served_revise_route_takes_a_decimal_factor() -> None:
    with RunningFake(SPEC, rate_limit=False) as fake:
        since = fake.team.now_ms() - DAY_MS
        answer = httpx.post(fake.url + "/_fake/revise", json={"sinceMs": since, "factor": "1.25"})
        assert answer.status_code == 200
        assert json.loads(answer.text)["changed"] >= 0


def test_a_busy_port_is_a_clear_error() -> None:
    with RunningFake(SPEC) as fake, pytest.raises(ConfigError, match="pick another --port"):
        RunningFake(SPEC, port=fake.port).start()
