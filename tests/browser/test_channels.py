"""Channels in a real browser: add a webhook, send a test that a local receiver gets (signed),
see a failing channel's error, and the alert events with their delivery status."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import App
from tests.browser.test_acceptance import sign_in
from tests.channel_kit import http_receiver, make_event

Shot = Callable[[Page, str], None]
SECRET = "browser-secret-42"


def test_add_a_webhook_send_a_test_and_see_events(page: Page, app: App, shot: Shot) -> None:
    sign_in(page, app)
    with http_receiver() as receiver:
        page.goto(app.url + "/channels")
        form = page.locator("form[action='/channels/add']")
        form.locator("select[name=kind]").select_option("webhook")
        form.locator("input[name=name]").fill("ops-hook")
        form.locator("input[name=url]").fill(receiver.url)
        form.locator("input[name=secret]").fill(SECRET)
        form.locator("button[type=submit]").click()
        expect(page.locator(".notice")).to_contain_text("Added channel ops-hook")
        row = page.locator("tr[data-channel='ops-hook']")
        expect(row).to_contain_text("http://127.0.0.1:")
        expect(row).not_to_contain_text("secret-path-token")
        row.get_by_role("button", name="Send test").click()
        expect(page.locator(".notice")).to_contain_text("Sent a test message to channel ops-hook")
        [got] = receiver.received
        expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
        assert got.headers["X-Outlay-Signature-256"] == f"sha256={expected}"
        receiver.answers = [500]
        page.locator("tr[data-channel='ops-hook']").get_by_role("button", name="Send test").click()
        expect(page.locator("#test-error")).to_contain_text("HTTP 500")
        expect(page.locator("tr[data-channel='ops-hook'] [data-state]")).to_have_text("failing")
        shot(page, "channels")
        space = app.outlay.workspace(None)
        app.outlay._fire([make_event(workspace_id=space.id, channels=("ops-hook",))])
        app.outlay.deliver_due()
    page.goto(app.url + "/alerts/events")
    expect(page.locator("[data-delivery='ops-hook']")).to_have_text("ops-hook: delivered")
    shot(page, "alert-events")
