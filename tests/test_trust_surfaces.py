"""Reconciliation and completeness on every surface: the CLI's JSON contract, the API (same
documents, roles and workspaces), and the pages linked from Integrations."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from outlay.cli.app import app as cli_app
from outlay.service import Outlay
from outlay.testing.cursor_fake.team import TeamSpec
from outlay.web.app import create_app
from tests.fakes import FakeCursor, cli_env, fake_cursor, make_outlay, sync_two_workspaces

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
RECONCILE_ACCOUNT = {"account", "cycle", "status", "total", "members"}
RECONCILE_MEMBER = {
    "email", "outlay", "outlay_included", "outlay_on_demand", "cursor", "difference", "status",
}  # fmt: skip
COMPLETENESS_DAY = {
    "account", "date", "events", "cost", "active_in_daily_usage", "status", "last_read_at",
}  # fmt: skip


@dataclass
class World:
    outlay: Outlay
    fake: FakeCursor
    client: TestClient
    tokens: dict[str, str]
    data_dir: Path
    skewed: str

    def api(self, who: str, path: str, **params: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.get(path, params=params, headers=headers)

    def cli(self, *args: str) -> Any:
        result = CliRunner().invoke(
            cli_app, ["--data-dir", str(self.data_dir), *args], env=cli_env(self.data_dir)
        )
        assert result.exit_code == 0, result.output
        return json.loads(result.output)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("trust")
    probe = fake_cursor(TeamSpec(users=8, days=40))
    skewed = probe.team.members()[0]["email"]
    fake = fake_cursor(TeamSpec(users=8, days=40, spend_skew={skewed: "-250"}))
    outlay = make_outlay(data_dir, fake)
    sync_two_workspaces(outlay)
    tokens = {}
    for role in ("viewer", "owner"):
        outlay.add_user(f"{role}@x.io", role, PASSWORD, ["A"])
        tokens[role] = outlay.create_token(f"{role}@x.io")
    app = create_app(outlay.settings, outlay=outlay, scheduler=False)
    with TestClient(app) as client:
        yield World(outlay, fake, client, tokens, data_dir, skewed)


def test_the_cli_json_follows_the_reconcile_contract(world: World) -> None:
    data = world.cli("reconcile", "--format", "json")
    assert set(data) == {"accounts"}
    assert [a["account"] for a in data["accounts"]] == ["a", "b"]
    for account in data["accounts"]:
        assert set(account) >= RECONCILE_ACCOUNT
        assert set(account["cycle"]) == {"start", "end"}
        assert set(account["total"]) == {"outlay", "cursor", "difference"}
        assert account["status"] == "mismatch"
        assert Decimal(account["total"]["difference"]) == Decimal("2.5")
        for member in account["members"]:
            assert set(member) >= RECONCILE_MEMBER and member["status"] in ("ok", "mismatch")
            for key in ("outlay", "outlay_included", "outlay_on_demand", "cursor", "difference"):
                assert isinstance(member[key], str) and Decimal(member[key]).is_finite()
        assert account["members"][0]["email"] == world.skewed
    previous = world.cli("reconcile", "--account", "a", "--cycle", "previous", "--format", "json")
    assert previous["accounts"] == [] and previous["unavailable"][0]["account"] == "a"


def test_the_cli_json_follows_the_completeness_contract(world: World) -> None:
    data = world.cli(
        "completeness", "--account", "a", "--start", "2026-11-01", "--end", "2026-11-20",
        "--format", "json",
    )  # fmt: skip
    assert set(data) == {"days"} and len(data["days"]) == 20
    for day in data["days"]:
        assert set(day) >= COMPLETENESS_DAY and day["account"] == "a"
        assert isinstance(day["cost"], str) and isinstance(day["events"], int)
        assert day["status"] in ("complete", "pending", "missing", "revised")


def test_the_cli_refuses_bad_input_in_one_line(world: World) -> None:
    result = CliRunner().invoke(
        cli_app, ["--data-dir", str(world.data_dir), "completeness", "--start", "2026-13-01"]
    )
    assert result.exit_code == 1
    assert "--start '2026-13-01' is not a date; use YYYY-MM-DD" in result.output
    result = CliRunner().invoke(
        cli_app, ["--data-dir", str(world.data_dir), "reconcile", "--account", "nope"]
    )
    assert result.exit_code == 1 and "no account named 'nope'" in result.output


def test_the_api_serves_the_cli_documents(world: World) -> None:
    api = world.api("owner", "/api/v1/reconcile", account="a").json()
    assert api == world.cli("reconcile", "--account", "a", "--format", "json")
    # Days before the lag window: the CLI runs on the real clock, the API on the fake's.
    span = {"account": "a", "start": "2026-11-01", "end": "2026-11-16"}
    days = world.api("owner", "/api/v1/completeness", **span).json()
    cli = world.cli("completeness", *(f"--{k}={v}" for k, v in span.items()), "--format", "json")
    assert days == cli and len(days["days"]) == 16


def test_the_api_shows_a_viewer_only_their_workspaces_accounts(world: World) -> None:
    seen = world.api("viewer", "/api/v1/reconcile").json()
    assert [a["account"] for a in seen["accounts"]] == ["a"]
    days = world.api("viewer", "/api/v1/completeness").json()["days"]
    assert days and {d["account"] for d in days} == {"a"}
    for path in ("/api/v1/reconcile", "/api/v1/completeness"):
        hidden = world.api("viewer", path, account="b")
        assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
        assert world.api("", path).status_code == 401
    bad = world.api("viewer", "/api/v1/reconcile", cycle="last")
    assert bad.status_code == 400 and "use current or previous" in bad.json()["error"]["message"]
    bad = world.api("viewer", "/api/v1/completeness", start="2026-11-31")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"
    bad = world.api("viewer", "/api/v1/completeness", end="0001-01-01")
    assert bad.status_code == 400 and "end 0001-01-01 is out of range" in bad.text


def signed_in(world: World, role: str) -> TestClient:
    client = TestClient(world.client.app)
    found = CSRF.search(client.get("/login").text)
    assert found is not None
    data = {"email": f"{role}@x.io", "password": PASSWORD, "csrf": found.group(1)}
    assert client.post("/login", data=data).status_code == 200
    return client


def test_the_pages_show_reconciliation_and_the_calendar(world: World) -> None:
    client = signed_in(world, "viewer")
    integrations = client.get("/integrations").text
    assert "data complete through 2026-11-16" in integrations
    assert "/integrations/reconciliation?account=a" in integrations
    page = client.get("/integrations/reconciliation", params={"account": "a"})
    assert page.status_code == 200
    assert 'data-status="mismatch"' in page.text and f'data-member="{world.skewed}"' in page.text
    calendar = client.get("/integrations/completeness", params={"account": "a"}).text
    assert 'data-date="2026-11-20" data-status="pending"' in calendar
    assert 'data-date="2026-11-10" data-status="complete"' in calendar
    assert "Data complete through <strong>2026-11-16</strong>" in calendar
    for path in ("/integrations/reconciliation", "/integrations/completeness"):
        assert client.get(path, params={"account": "b"}).status_code == 404


def test_a_report_over_recent_days_says_they_are_pending(world: World) -> None:
    client = signed_in(world, "viewer")
    page = client.get("/reports", params={"interval": "last_7_days"})
    assert page.status_code == 200
    assert "a: days from 2026-11-17 pending (Cursor may revise)" in page.text
    older = client.get("/reports", params={"start_date": "2026-11-01", "end_date": "2026-11-10"})
    assert "pending (Cursor may revise)" not in older.text
