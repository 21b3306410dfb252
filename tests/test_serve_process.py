"""``outlay serve`` as its own process, with the command line used beside it on the same data."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from outlay.testing.cursor_fake.server import RunningFake
from outlay.testing.cursor_fake.team import TeamSpec

OUTLAY = [str(Path(sys.executable).parent / "outlay")]  # the installed command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [*OUTLAY, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[dict[str, str], str, str]]:
    with RunningFake(TeamSpec(users=6, days=40), rate_limit=False) as fake:
        env = {**os.environ, "OUTLAY_DATA_DIR": str(tmp_path), "CURSOR_KEY": fake.key,
               "PASSWORD": "a long enough password", "OUTLAY_ALLOWED_BASE_URLS": fake.url}  # fmt: skip
        cli(env, "accounts", "add", "cursor", "--name", "acme", "--api-key-env", "CURSOR_KEY",
            "--base-url", fake.url, "--no-pacing")  # fmt: skip
        cli(env, "sync")
        cli(env, "users", "add", "o@x.io", "--role", "owner", "--password-env", "PASSWORD")
        token = cli(env, "tokens", "create", "--user", "o@x.io").strip()
        port = free_port()
        server = subprocess.Popen([*OUTLAY, "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/login").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        try:
            yield env, url, token
        finally:
            server.send_signal(signal.SIGINT)  # a clean stop waits for a sync in flight
            _, errors = server.communicate(timeout=60)
            assert server.returncode == 0, errors


def test_the_cli_keeps_working_while_the_server_runs_and_syncs(
    served: tuple[dict[str, str], str, str],
) -> None:
    env, url, token = served
    spec = ["--start", "2026-01-01", "--end", "2030-12-31", "--date-bin", "cumulative"]
    params = {"start_date": "2026-01-01", "end_date": "2030-12-31", "date_bin": "cumulative"}
    auth = {"Authorization": f"Bearer {token}"}
    for _ in range(3):  # the server's scheduler syncs at start; the CLI syncs and reads beside it
        cli(env, "sync", "--account", "acme")
        from_cli = json.loads(cli(env, "costs", *spec, "--format", "json"))
        from_api = httpx.get(url + "/api/v1/costs", params=params, headers=auth, timeout=60)
        assert from_api.status_code == 200, from_api.text
        assert from_api.json()["total_cost"] == from_cli["total_cost"] != "0"
