"""A user's lifecycle through the web app: disabling, role changes, invitations, password resets,
token scopes and the audit log, as a browser and an API client see them."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from outlay.access import hash_password
from outlay.service import Outlay
from outlay.service.lifecycle import RESET_LIFETIME
from outlay.testing.cursor_fake.team import TeamSpec
from outlay.web.app import create_app
from outlay.web.deps import SESSION_COOKIE
from tests.fakes import Clock, fake_cursor, make_outlay

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r'value="(http://testserver/(?:invite|reset)/[^"]+)" data-select-on-focus')
SPEC = {"spec": {"interval": "this_month"}}


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class World:
    outlay: Outlay
    app: Any
    clock: Clock

    def member(self, email: str, role: str) -> str:
        space = self.outlay.access.workspace("Default").id
        self.outlay.access.add_user(email, password_hash(), role, [space], now=self.clock.now())
        return email

    def browser(self, email: str | None = None) -> TestClient:
        """A client, signed in through the form when ``email`` is given."""
        client = TestClient(self.app)
        if email is not None:
            form = CSRF.search(client.get("/login").text)
            assert form is not None
            data = {"email": email, "password": PASSWORD, "csrf": form.group(1)}
            assert client.post("/login", data=data).status_code == 200
        return client

    def token(self, email: str, scope: str = "write") -> dict[str, str]:
        secret = self.outlay.create_token(email, "t", 30, scope=scope)
        return {"Authorization": f"Bearer {secret}"}


def csrf_of(client: TestClient) -> str:
    found = CSRF.search(client.get("/tokens").text)
    assert found is not None
    return found.group(1)


def error(response: httpx.Response) -> str:
    message = response.json()["error"]["message"]
    assert isinstance(message, str)
    return message


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    fake = fake_cursor(TeamSpec(users=1, days=1))
    outlay = make_outlay(tmp_path, fake)
    app = create_app(outlay.settings, outlay=outlay, scheduler=False)
    found = World(outlay, app, fake.clock)
    found.member("owner@x.test", "owner")
    yield found


def test_disabling_a_user_ends_their_session_and_their_api_token_on_the_next_request(
    world: World,
) -> None:
    world.member("ann@x.test", "editor")
    browser, token = world.browser("ann@x.test"), world.token("ann@x.test")
    assert browser.get("/reports").status_code == 200
    assert browser.get("/api/v1/workspaces", headers=token).status_code == 200
    owner = world.token("owner@x.test")
    changed = browser.patch("/api/v1/users/ann@x.test", json={"disabled": True}, headers=owner)
    assert changed.status_code == 200 and changed.json()["disabled"] is True
    page = browser.get("/reports", follow_redirects=False)
    assert page.status_code in (303, 401)
    refused = browser.get("/api/v1/workspaces", headers=token)
    assert refused.status_code == 401
    assert error(refused) == "the user ann@x.test is disabled; ask an owner"
    # Enabling brings the token back, not the session (that one was ended).
    browser.patch("/api/v1/users/ann@x.test", json={"disabled": False}, headers=owner)
    assert browser.get("/api/v1/workspaces", headers=token).status_code == 200
    assert browser.get("/reports", follow_redirects=False).status_code in (303, 401)


def test_a_disabled_user_cannot_sign_in(world: World) -> None:
    world.outlay.disable_user(world.member("bob@x.test", "viewer"))
    client = world.browser()
    form = CSRF.search(client.get("/login").text)
    assert form is not None
    data = {"email": "bob@x.test", "password": PASSWORD, "csrf": form.group(1)}
    assert "bob@x.test is disabled" in client.post("/login", data=data).text
    assert SESSION_COOKIE not in client.cookies


def test_a_role_change_takes_effect_on_the_next_request(world: World) -> None:
    world.member("vic@x.test", "viewer")
    client, token = world.browser(), world.token("vic@x.test")
    assert client.put("/api/v1/reports/mine", json=SPEC, headers=token).status_code == 403
    world.outlay.set_role("vic@x.test", "editor")
    assert client.put("/api/v1/reports/mine", json=SPEC, headers=token).status_code == 200
    world.outlay.set_role("vic@x.test", "viewer")
    assert client.delete("/api/v1/reports/mine", headers=token).status_code == 403


def test_a_read_token_reads_and_is_refused_on_writes_with_a_clear_403(world: World) -> None:
    world.member("ed@x.test", "editor")
    client, read = world.browser(), world.token("ed@x.test", scope="read")
    assert client.get("/api/v1/reports", headers=read).status_code == 200
    refused = client.put("/api/v1/reports/mine", json=SPEC, headers=read)
    assert refused.status_code == 403
    assert error(refused) == (
        "this API token has the read scope and may only read; "
        "create a token with the write scope for changes"
    )
    assert world.outlay.saved_reports() == []
    write = world.token("ed@x.test", scope="write")
    assert client.put("/api/v1/reports/mine", json=SPEC, headers=write).status_code == 200


def test_invitation_accepted_through_its_page_end_to_end(world: World) -> None:
    owner = world.browser("owner@x.test")
    data = {"email": "New@X.test", "role": "editor", "workspace": "Default"}
    shown = owner.post("/admin/invitations", data={**data, "csrf": csrf_of(owner)})
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    found = LINK.search(shown.text)
    assert found is not None, shown.text
    path = found.group(1).removeprefix("http://testserver")
    assert 'data-invitation="new@x.test"' in owner.get("/admin").text
    guest = world.browser()
    form = guest.get(path)
    assert form.status_code == 200 and "new@x.test" in form.text
    differ = guest.post(path, data={"password": PASSWORD, "again": PASSWORD + "!"})
    assert "the passwords differ" in differ.text
    accepted = guest.post(path, data={"password": PASSWORD, "again": PASSWORD})
    assert "Welcome, new@x.test" in accepted.text
    assert world.browser("new@x.test").get("/reports").status_code == 200
    user = world.outlay.access.user_by_email("new@x.test")
    assert user is not None and user.role == "editor"
    again = guest.get(path)
    assert again.status_code == 410 and "expired or was already used" in again.text
    reused = guest.post(path, data={"password": PASSWORD, "again": PASSWORD})
    assert "expired or was already used" in reused.text
    assert "new@x.test" not in owner.get("/admin").text.split('id="invitations"')[1]


def test_an_invitation_expires_after_seven_days(world: World) -> None:
    issued = world.outlay.invite("late@x.test", "Default", "viewer")
    world.clock.advance(timedelta(days=7))
    guest = world.browser()
    assert guest.get(issued.link).status_code == 410
    assert world.outlay.invitations() == []


def test_a_reset_link_works_once_and_expires(world: World) -> None:
    world.member("pat@x.test", "viewer")
    session = world.browser("pat@x.test")
    first = world.outlay.create_reset_link("pat@x.test", "http://testserver").link
    guest = world.browser()
    new = PASSWORD + " two"
    done = guest.post(first, data={"password": new, "again": new})
    assert "Password changed for pat@x.test" in done.text
    # The reset ended the open session, and the old password no longer signs in.
    assert session.get("/reports", follow_redirects=False).status_code in (303, 401)
    assert guest.post(first, data={"password": new, "again": new}).status_code == 400
    late = world.outlay.create_reset_link("pat@x.test", "http://testserver").link
    world.clock.advance(RESET_LIFETIME)
    expired = guest.post(late, data={"password": new, "again": new})
    assert "this password reset link has expired or was already used" in expired.text


def test_an_owner_makes_a_reset_link_on_the_admin_page(world: World) -> None:
    world.member("pat@x.test", "viewer")
    owner = world.browser("owner@x.test")
    shown = owner.post(
        "/admin/users/reset-link", data={"email": "pat@x.test", "csrf": csrf_of(owner)}
    )
    found = LINK.search(shown.text)
    assert found is not None and "/reset/" in found.group(1)


def test_users_change_their_own_password_with_the_current_one(world: World) -> None:
    world.member("cy@x.test", "viewer")
    client = world.browser("cy@x.test")
    new = PASSWORD + " three"
    data = {"current": "not it at all", "new": new, "again": new, "csrf": csrf_of(client)}
    assert "the current password is wrong" in client.post("/account/password", data=data).text
    data["current"] = PASSWORD
    assert "Your password is changed" in client.post("/account/password", data=data).text
    user = world.outlay.access.user_by_email("cy@x.test")
    assert user is not None and world.outlay.login("cy@x.test", new)


def test_the_last_owner_cannot_be_disabled_removed_or_demoted(world: World) -> None:
    owner = world.token("owner@x.test")
    client = world.browser()
    for call in (
        lambda: client.patch("/api/v1/users/owner@x.test", json={"disabled": True}, headers=owner),
        lambda: client.delete("/api/v1/users/owner@x.test", headers=owner),
        lambda: client.patch("/api/v1/users/owner@x.test", json={"role": "admin"}, headers=owner),
    ):
        refused = call()
        assert refused.status_code == 409
        assert "owner@x.test is the last owner" in error(refused)
    world.member("second@x.test", "owner")
    assert client.delete("/api/v1/users/owner@x.test", headers=owner).status_code == 204


def test_users_api_lists_changes_and_names_bad_input(world: World) -> None:
    owner, client = world.token("owner@x.test"), world.browser()
    world.member("dee@x.test", "viewer")
    world.outlay.add_workspace("Research")
    body = {"role": "admin", "workspaces": ["Research"]}
    changed = client.patch("/api/v1/users/dee@x.test", json=body, headers=owner).json()
    assert (changed["role"], changed["workspaces"]) == ("admin", ["Research"])
    listed = client.get("/api/v1/users", headers=owner).json()
    assert {u["email"] for u in listed} == {"owner@x.test", "dee@x.test"}
    bad = client.patch("/api/v1/users/dee@x.test", json={"role": "boss"}, headers=owner)
    assert bad.status_code == 400
    assert error(bad) == "unknown role 'boss'; use one of viewer, editor, admin, owner"
    missing = client.delete("/api/v1/users/ghost@x.test", headers=owner)
    assert missing.status_code == 404 and error(missing) == "no user 'ghost@x.test'"
    admin = world.token("dee@x.test")
    assert client.get("/api/v1/users", headers=admin).status_code == 403


def test_admins_invite_up_to_their_own_role_and_revoke_invitations(world: World) -> None:
    world.member("adm@x.test", "admin")
    admin, client = world.token("adm@x.test"), world.browser()
    high = {"email": "boss@x.test", "role": "owner", "workspace": "Default"}
    refused = client.post("/api/v1/invitations", json=high, headers=admin)
    assert refused.status_code == 403
    assert error(refused) == "adm@x.test is a admin and cannot grant owner"
    made = client.post("/api/v1/invitations", json={**high, "role": "editor"}, headers=admin)
    assert made.status_code == 201 and made.json()["link"].startswith("http://testserver/invite/")
    listed = client.get("/api/v1/invitations", headers=admin).json()
    assert [i["email"] for i in listed] == ["boss@x.test"]
    assert "link" not in listed[0]
    gone = client.delete(f"/api/v1/invitations/{listed[0]['id']}", headers=admin)
    assert gone.status_code == 204
    link = made.json()["link"]
    assert world.browser().get(link).status_code == 410


def test_tokens_list_their_last_use_written_at_most_once_a_minute(world: World) -> None:
    world.member("tia@x.test", "viewer")
    token, client = world.token("tia@x.test"), world.browser()
    start = world.clock.now()
    client.get("/api/v1/workspaces", headers=token)
    world.clock.advance(timedelta(seconds=30))
    listed = client.get("/api/v1/tokens", headers=token).json()
    assert listed[-1]["last_used_at"] == start.isoformat() + "Z"
    world.clock.advance(timedelta(seconds=31))
    listed = client.get("/api/v1/tokens", headers=token).json()
    assert listed[-1]["last_used_at"] == world.clock.now().isoformat() + "Z"


def test_tokens_are_revoked_by_their_user_or_an_admin_only(world: World) -> None:
    world.member("uma@x.test", "viewer")
    world.member("val@x.test", "viewer")
    world.member("adm@x.test", "admin")
    client, mine = world.browser(), world.token("uma@x.test")
    token_id = client.get("/api/v1/tokens", headers=mine).json()[-1]["id"]
    other = world.token("val@x.test")
    refused = client.delete(f"/api/v1/tokens/{token_id}", headers=other)
    assert refused.status_code == 404 and error(refused) == "no such token of yours"
    admin = world.token("adm@x.test")
    everyone = client.get("/api/v1/tokens?all=true", headers=admin).json()
    assert {"uma@x.test", "val@x.test"} <= {t["user"] for t in everyone}
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=admin).status_code == 204
    assert client.get("/api/v1/workspaces", headers=mine).status_code == 401


def test_api_tokens_are_created_with_a_scope_and_an_expiry(world: World) -> None:
    client, owner = world.browser(), world.token("owner@x.test")
    body = {"name": "ci", "scope": "read", "expires_in_days": 10}
    made = client.post("/api/v1/tokens", json=body, headers=owner).json()
    assert made["scope"] == "read" and made["token"].startswith("olt_")
    expires = world.clock.now() + timedelta(days=10)
    assert made["expires_at"] == expires.isoformat() + "Z"
    bad = client.post("/api/v1/tokens", json={"scope": "admin"}, headers=owner)
    assert bad.status_code == 400
    world.clock.advance(timedelta(days=10))
    late = client.get("/api/v1/workspaces", headers={"Authorization": f"Bearer {made['token']}"})
    assert late.status_code == 401


def test_the_audit_api_and_page_show_who_did_what_from_where(world: World) -> None:
    owner = world.browser("owner@x.test")
    owner.post("/admin/workspaces", data={"name": "Ops", "csrf": csrf_of(owner)})
    token = world.token("owner@x.test")
    rows = owner.get("/api/v1/audit?action=workspace&limit=5", headers=token).json()
    assert [(r["action"], r["actor"], r["target"], r["address"]) for r in rows] == [
        ("workspace.add", "owner@x.test", "Ops", "testclient")
    ]
    signins = owner.get("/api/v1/audit?action=auth.login", headers=token).json()
    assert signins[0]["actor"] == "owner@x.test"
    page = owner.get("/audit?action=workspace")
    assert page.status_code == 200 and 'data-audit="workspace.add"' in page.text
    assert 'data-audit="auth.login"' not in page.text
    world.member("ed@x.test", "editor")
    assert world.browser("ed@x.test").get("/audit").status_code == 403
    editor = world.token("ed@x.test")
    assert owner.get("/api/v1/audit", headers=editor).status_code == 403


def test_the_audit_page_pages_through_older_entries(world: World) -> None:
    for n in range(55):
        world.outlay.add_workspace(f"W{n}")
    owner = world.browser("owner@x.test")
    first = owner.get("/audit?action=workspace.add")
    assert first.text.count('data-audit="workspace.add"') == 50
    older = re.search(r'href="(/audit\?[^"]+)" rel="next"', first.text)
    assert older is not None
    second = owner.get(older.group(1).replace("&amp;", "&"))
    assert second.text.count('data-audit="workspace.add"') == 5
    bad = owner.get("/audit?since=yesterday")
    assert bad.status_code == 400 and "since 'yesterday' is not a date" in html.unescape(bad.text)
