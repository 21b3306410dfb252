"""Channels and alert events on every surface: the REST API and the pages (roles, workspaces,
CSRF, masked targets) and the CLI contract."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from outlay.access import hash_password
from outlay.cli.app import app as cli_app
from outlay.service import Outlay
from outlay.web.app import create_app
from outlay.web.deps import SESSION_COOKIE
from tests.channel_kit import Receiver, http_receiver, make_event
from tests.fakes import Clock, fake_settings
from tests.test_pages import CSRF, sign_in

PASSWORD = "correct horse battery"
ROLES = ("viewer", "editor", "admin", "owner")
TOKEN = "secret-path-token"


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class World:
    outlay: Outlay
    client: TestClient
    tokens: dict[str, str]
    receiver: Receiver
    clock: Clock

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.request(method, path, headers=headers, **kwargs)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """Workspaces A and B with a channel each ("ops" in A, "hidden-b" in B), one event fired
    in each, a viewer, editor and admin of A and an owner."""
    clock = Clock()
    with http_receiver() as receiver:
        settings = replace(fake_settings(tmp_path), public_url="https://outlay.example.com")
        outlay = Outlay(settings, http=httpx.Client, clock=clock)
        a, b = outlay.add_workspace("A"), outlay.add_workspace("B")
        outlay.add_channel("webhook", "ops", receiver.url, workspace="A")
        outlay.add_channel("slack", "hidden-b", receiver.url + "/b", workspace="B")
        outlay._fire([make_event(workspace_id=a.id), make_event(workspace_id=b.id,
                                                                 channels=("hidden-b",))])  # fmt: skip
        tokens = {}
        for role in ROLES:
            spaces = [outlay.access.workspace("A" if role != "owner" else "Default").id]
            outlay.access.add_user(f"{role}@x.io", password_hash(), role, spaces, now=clock.now())
            tokens[role] = outlay.create_token(f"{role}@x.io")
        app = create_app(outlay.settings, outlay=outlay, scheduler=False)
        with TestClient(app) as client:
            yield World(outlay, client, tokens, receiver, clock)


def assert_error(response: httpx.Response, code: int, kind: str) -> None:
    assert response.status_code == code, response.text
    assert response.json()["error"]["code"] == kind


# -- API ---------------------------------------------------------------------------------------


def test_members_read_channels_and_events_of_their_workspace_only(world: World) -> None:
    channels = world.call("viewer", "GET", "/api/v1/channels").json()
    assert channels == [
        {"name": "ops", "kind": "webhook", "target": channels[0]["target"],
         "last_delivery_at": None, "last_error": None}
    ]  # fmt: skip
    assert channels[0]["target"].startswith("http://127.0.0.1:") and TOKEN not in str(channels)
    [event] = world.call("viewer", "GET", "/api/v1/alerts/events").json()
    assert set(event) == {"id", "kind", "rule", "group", "period", "amount", "threshold",
                          "expected", "forecast", "message", "created_at", "deliveries"}  # fmt: skip
    assert event["deliveries"] == [
        {"channel": "ops", "status": "pending", "attempts": 0, "last_http_status": None}
    ]
    for path in ("/api/v1/channels", "/api/v1/alerts/events"):
        hidden = world.call("viewer", "GET", path, params={"workspace": "B"})
        assert_error(hidden, 404, "not_found")
        assert "hidden-b" not in hidden.text
    owner = world.call("owner", "GET", "/api/v1/channels", params={"workspace": "B"}).json()
    assert [c["name"] for c in owner] == ["hidden-b"]


def test_only_admins_add_test_and_remove_channels(world: World) -> None:
    create = {"kind": "webhook", "name": "new", "url": world.receiver.url}
    for role in ("viewer", "editor"):
        assert_error(world.call(role, "POST", "/api/v1/channels", json=create), 403, "forbidden")
        assert_error(world.call(role, "POST", "/api/v1/channels/ops/test"), 403, "forbidden")
        assert_error(world.call(role, "DELETE", "/api/v1/channels/ops"), 403, "forbidden")
    assert [c["name"] for c in world.outlay.channels(workspace="A")] == ["ops"]
    assert world.receiver.received == []
    made = world.call("admin", "POST", "/api/v1/channels", json=create)
    assert made.status_code == 201 and made.json()["name"] == "new"
    assert TOKEN not in made.text
    tested = world.call("admin", "POST", "/api/v1/channels/new/test")
    assert tested.status_code == 200 and tested.json()["last_error"] is None
    assert world.receiver.received[0].headers["X-Outlay-Event"] == "test"
    assert world.call("admin", "DELETE", "/api/v1/channels/new").status_code == 204
    assert [c["name"] for c in world.outlay.channels(workspace="A")] == ["ops"]


def test_an_admin_of_a_cannot_reach_bs_channels(world: World) -> None:
    for method, path in [("POST", "/api/v1/channels/hidden-b/test"),
                         ("DELETE", "/api/v1/channels/hidden-b")]:  # fmt: skip
        assert_error(world.call("admin", method, path), 404, "not_found")
        assert_error(world.call("admin", method, path, params={"workspace": "B"}), 404, "not_found")
    create = {"kind": "webhook", "name": "x", "url": world.receiver.url}
    sneaky = world.call("admin", "POST", "/api/v1/channels", json=create, params={"workspace": "B"})
    assert_error(sneaky, 404, "not_found")
    assert [c["name"] for c in world.outlay.channels(workspace="B")] == ["hidden-b"]
    assert world.receiver.received == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"kind": "pager", "name": "x", "url": "https://e.io/x"}, "unknown channel kind"),
        ({"kind": "email", "name": "x"}, "needs 'to'"),
        ({"kind": "slack", "name": "a,b", "url": "https://e.io/x"}, "channel name"),
        ({"kind": "slack", "name": "x", "url": f"http://e.io/{TOKEN}"}, "plain http"),
        ({"kind": "slack", "name": "x", "url": "https://e.io/x", "secret": "s"}, "only webhook"),
        ({"kind": "webhook", "name": "ops", "url": "https://e.io/x"}, "exists"),
    ],
)
def test_bad_channel_input_is_one_line_and_saves_nothing(
    world: World, body: dict[str, str], message: str
) -> None:
    answer = world.call("admin", "POST", "/api/v1/channels", json=body)
    assert answer.status_code in (400, 409), answer.text
    assert message in answer.json()["error"]["message"] and TOKEN not in answer.text
    assert [c["name"] for c in world.outlay.channels(workspace="A")] == ["ops"]


def test_a_failed_test_answers_502_with_the_reason(world: World) -> None:
    world.receiver.answers = [500]
    answer = world.call("admin", "POST", "/api/v1/channels/ops/test")
    assert_error(answer, 502, "delivery_failed")
    assert "HTTP 500" in answer.text and TOKEN not in answer.text
    listed = world.call("viewer", "GET", "/api/v1/channels").json()
    assert listed[0]["last_error"] == "the receiver answered HTTP 500: no_service"


def test_events_since_a_day_leave_out_older_ones(world: World) -> None:
    world.clock.advance(timedelta(days=3))
    later = make_event(workspace_id=world.outlay.access.workspace("A").id, rule="later")
    world.outlay._fire([later])
    since = (world.clock.now().date()).isoformat()
    rows = world.call("viewer", "GET", "/api/v1/alerts/events", params={"since": since}).json()
    assert [r["rule"] for r in rows] == ["later"]
    assert len(world.call("viewer", "GET", "/api/v1/alerts/events").json()) == 2
    bad = world.call("viewer", "GET", "/api/v1/alerts/events", params={"since": "yesterday"})
    assert_error(bad, 400, "bad_request")


# -- pages -------------------------------------------------------------------------------------


def page_client(world: World, role: str) -> tuple[TestClient, str]:
    client = TestClient(world.client.app)
    assert sign_in(client, f"{role}@x.io", PASSWORD).status_code == 200
    found = CSRF.search(client.get("/tokens").text)
    assert found is not None and client.cookies.get(SESSION_COOKIE)
    return client, found.group(1)


def test_a_viewer_sees_the_channels_page_masked_and_cannot_change_it(world: World) -> None:
    client, csrf = page_client(world, "viewer")
    page = client.get("/channels")
    assert page.status_code == 200 and 'data-channel="ops"' in page.text
    assert TOKEN not in page.text and "hidden-b" not in page.text
    assert "Add a channel" not in page.text and "Send test" not in page.text
    assert client.get("/channels", params={"workspace": "B"}).status_code == 404
    refused = client.post("/channels/add", data={"csrf": csrf, "kind": "webhook", "name": "n",
                                                  "url": world.receiver.url})  # fmt: skip
    assert refused.status_code == 403
    assert client.post("/channels/test", data={"csrf": csrf, "name": "ops"}).status_code == 403
    assert client.post("/channels/remove", data={"csrf": csrf, "name": "ops",
                                                  "confirm": "yes"}).status_code == 403  # fmt: skip
    assert [c["name"] for c in world.outlay.channels(workspace="A")] == ["ops"]


def test_an_admin_adds_tests_and_removes_a_channel_on_the_page(world: World) -> None:
    client, csrf = page_client(world, "admin")
    assert "Add a channel" in client.get("/channels").text
    no_csrf = client.post("/channels/add", data={"kind": "webhook", "name": "n", "url": "x"})
    assert no_csrf.status_code == 403
    bad = client.post("/channels/add", data={"csrf": csrf, "workspace": "A", "kind": "webhook",
                                             "name": "typed-name", "url": f"http://e.io/{TOKEN}"})  # fmt: skip
    assert bad.status_code == 400 and "plain http" in bad.text and TOKEN not in bad.text
    assert 'value="typed-name"' in bad.text
    added = client.post("/channels/add", data={"csrf": csrf, "workspace": "A", "kind": "webhook",
                                               "name": "new", "url": world.receiver.url,
                                               "secret": "k3y"}, follow_redirects=True)  # fmt: skip
    assert "Added channel new" in added.text and TOKEN not in added.text
    tested = client.post("/channels/test", data={"csrf": csrf, "workspace": "A", "name": "new"},
                         follow_redirects=True)  # fmt: skip
    assert "Sent a test message to channel new" in tested.text
    world.receiver.answers = [503]
    failed = client.post("/channels/test", data={"csrf": csrf, "workspace": "A", "name": "new"})
    assert failed.status_code == 502 and "HTTP 503" in failed.text and "failing" in failed.text
    confirm = client.get("/channels/remove", params={"workspace": "A", "name": "new"})
    assert confirm.status_code == 200 and "Remove the channel new?" in confirm.text
    gone = client.post("/channels/remove", data={"csrf": csrf, "workspace": "A", "name": "new",
                                                 "confirm": "yes"}, follow_redirects=True)  # fmt: skip
    assert "Removed channel new" in gone.text
    assert [c["name"] for c in world.outlay.channels(workspace="A")] == ["ops"]
    assert client.get("/channels/remove", params={"name": "hidden-b"}).status_code == 404


def test_the_events_page_shows_each_delivery_and_stays_in_the_workspace(world: World) -> None:
    world.outlay.deliver_due()
    client, _ = page_client(world, "viewer")
    page = client.get("/alerts/events")
    assert page.status_code == 200 and 'data-delivery="ops"' in page.text
    assert "ops: delivered" in page.text and "hidden-b" not in page.text
    assert client.get("/alerts/events", params={"workspace": "B"}).status_code == 404
    assert client.get("/alerts/events", params={"since": "nope"}).status_code == 400


# -- CLI ---------------------------------------------------------------------------------------


def test_the_cli_contract(tmp_path: Path) -> None:
    cli = CliRunner()
    with http_receiver() as receiver:
        env = {"OUTLAY_DATA_DIR": str(tmp_path), "HOOK": receiver.url + "/slack",
               "WH_SECRET": "cli-secret-123", "OUTLAY_SMTP_URL": "smtp://127.0.0.1:25",
               "OUTLAY_SMTP_FROM": "outlay@example.com"}  # fmt: skip

        def run(*args: str, code: int = 0) -> str:
            result = cli.invoke(cli_app, list(args), env=env)
            assert result.exit_code == code, result.output
            return result.output

        run("channels", "add", "webhook", "hook", "--url", receiver.url, "--secret-env",
            "WH_SECRET")  # fmt: skip
        run("channels", "add", "slack", "chat", "--url-env", "HOOK")
        run("channels", "add", "teams", "meet", "--url-env", "HOOK")
        run("channels", "add", "email", "mail", "--to", "a@example.com,b@example.com")
        listed = json.loads(run("channels", "list", "--format", "json"))
        assert [(c["name"], c["kind"]) for c in listed] == [
            ("chat", "slack"), ("hook", "webhook"), ("mail", "email"), ("meet", "teams")]  # fmt: skip
        assert all(set(c) == {"name", "kind", "target", "last_delivery_at", "last_error"}
                   for c in listed)  # fmt: skip
        assert TOKEN not in json.dumps(listed) and "cli-secret-123" not in json.dumps(listed)
        assert "Sent a test message" in run("channels", "test", "hook")
        assert receiver.received[0].headers["X-Outlay-Signature-256"].startswith("sha256=")
        assert "needs --yes" in run("channels", "remove", "meet", code=1)
        run("channels", "remove", "meet", "--yes")
        assert "no channel named 'meet'" in run("channels", "test", "meet", code=1)
        assert "plain http" in run("channels", "add", "webhook", "x", "--url",
                                   "http://example.com/h", code=1)  # fmt: skip
        assert json.loads(run("alerts", "events", "--format", "json")) == []
        assert "not a date" in run("alerts", "events", "--since", "2026-13-01", code=1)
        assert "0 delivered" in run("alerts", "deliver")
