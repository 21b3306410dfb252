"""One guardrail run end to end: a synced team with a planted spike, a budget, an anomaly watch
and a signed webhook; every event fires and is delivered once, and a second run sends nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from outlay.alerts.budget import Budget
from outlay.service import Outlay
from outlay.testing.cursor_fake import DEFAULT_KEY, FakeTeam, Spike, TeamSpec
from tests.channel_kit import http_receiver
from tests.fakes import BASE_URL, NOW_MS, fake_cursor, fake_settings, make_outlay

pytestmark = pytest.mark.storage

SECRET = "demo-signing-secret"
YESTERDAY = date(2026, 11, 19)  # NOW_MS is 2026-11-20 15:30 UTC


def spiked_team() -> TeamSpec:
    """A team whose busiest user x model of yesterday ran 100 times its usual tokens."""
    spec = TeamSpec(users=8, days=40)
    email, model = FakeTeam(spec, now_ms=lambda: NOW_MS).busiest(YESTERDAY)
    return TeamSpec(users=8, days=40, spikes=(Spike(email, model, YESTERDAY, 100),))


def test_a_run_fires_a_budget_and_an_anomaly_and_delivers_each_once(tmp_path: Path) -> None:
    fake = fake_cursor(spiked_team())
    importer = make_outlay(tmp_path, fake)
    importer.add_account("cursor", "team", DEFAULT_KEY, base_url=BASE_URL)
    importer.sync("team")
    # Deliveries go over real HTTP to the loopback receiver; the same data, the fake's clock.
    outlay = Outlay(fake_settings(tmp_path), http=httpx.Client, clock=fake.clock)
    with http_receiver() as hook:
        outlay.add_channel("webhook", "hook", hook.url, secret=SECRET)
        outlay.add_budget(Budget("All", Decimal(1), channels=("hook",)))
        outlay.add_anomaly_watch("watch", notify=["hook"], group_by=("resource", "service"))

        run = outlay.run_guardrails()

        notified = {e.id: e for e in run.fired if e.channels}
        assert sorted(e.kind for e in notified.values()) == ["anomaly", "budget"]
        budget = next(e for e in notified.values() if e.kind == "budget")
        assert budget.threshold == Decimal(100)  # 80 and 100 crossed at once: the highest
        anomaly = next(e for e in notified.values() if e.kind == "anomaly")
        assert anomaly.period_start == YESTERDAY and anomaly.amount > 50 * anomaly.expected
        assert run.deliveries.delivered == 2 and len(hook.received) == 2
        for received in hook.received:
            headers = {k.lower(): v for k, v in received.headers.items()}
            mac = hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
            assert headers["x-outlay-signature-256"] == "sha256=" + mac
            body = json.loads(received.body)
            assert headers["x-outlay-delivery"] == body["id"] and body["id"] in notified
            assert headers["x-outlay-event"] == body["kind"]

        again = outlay.run_guardrails()
        assert again.fired == () and again.deliveries.results == ()
        assert len(hook.received) == 2
