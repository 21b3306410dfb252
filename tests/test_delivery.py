"""Delivery with real parts: an HTTP receiver and an SMTP server on loopback get what the queue
sends; failures are retried with backoff for a day; a restart or a second process never sends
a delivery twice; no credential shows anywhere."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from outlay.errors import DeliveryError, InputError
from outlay.notify.retry import RETRY_FOR
from outlay.service import Outlay
from outlay.service.delivery import LEASE
from tests.channel_kit import (
    SMTP_PASSWORD,
    SMTP_USER,
    Receiver,
    http_receiver,
    make_cert,
    make_event,
    plain_smtp_server,
    smtp_server,
)
from tests.fakes import Clock, fake_settings

SECRET = "whsec-never-shown-0123456789"
PUBLIC = "https://outlay.example.com"


def open_outlay(data_dir: Path, clock: Clock, **settings: Any) -> Outlay:
    """An Outlay on ``data_dir`` with real HTTP (loopback receivers) on ``clock``."""
    chosen = replace(fake_settings(data_dir), **{"public_url": PUBLIC, **settings})
    return Outlay(chosen, http=httpx.Client, clock=clock)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with http_receiver() as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock()


def deliveries(outlay: Outlay, event_id: str) -> list[tuple[str, str, int, int | None]]:
    found = outlay.alert_store.deliveries([event_id])[event_id]
    return [(d.channel, d.status, d.attempts, d.last_http_status) for d in found]


def test_a_webhook_arrives_signed_with_the_contracts_headers_and_body(
    tmp_path: Path, clock: Clock, receiver: Receiver
) -> None:
    outlay = open_outlay(tmp_path, clock)
    outlay.add_channel("webhook", "ops", receiver.url, secret=SECRET)
    event = make_event()
    assert outlay._fire([event]) == [event]
    report = outlay.deliver_due()
    assert (report.delivered, report.retrying, report.failed) == (1, 0, 0)
    [got] = receiver.received
    assert got.path == "/hooks/T0/B0/secret-path-token"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["X-Outlay-Event"] == "budget"
    assert got.headers["X-Outlay-Delivery"] == event.id
    expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Outlay-Signature-256"] == f"sha256={expected}"
    assert json.loads(got.body) == {
        "id": event.id, "kind": "budget", "rule": "platform", "workspace": "Default",
        "period": {"start": "2026-11-01", "end": "2026-11-30"},
        "group": {"resource": "ada@example.com"}, "amount": "3210.1234567891",
        "threshold": "80", "forecast": False, "message": event.message,
        "url": PUBLIC + "/reports?workspace=Default&filter=x",
    }  # fmt: skip
    assert deliveries(outlay, event.id) == [("ops", "delivered", 1, 200)]
    [channel] = outlay.channels()
    assert channel["last_delivery_at"] == clock.now().isoformat() and channel["last_error"] is None


def test_without_a_public_url_the_body_has_no_url_and_without_a_secret_no_signature(
    tmp_path: Path, clock: Clock, receiver: Receiver
) -> None:
    outlay = open_outlay(tmp_path, clock, public_url=None)
    outlay.add_channel("webhook", "ops", receiver.url)
    outlay._fire([make_event("anomaly", threshold=None, expected=Decimal("12.5"))])
    outlay.deliver_due()
    [got] = receiver.received
    body = json.loads(got.body)
    assert "url" not in body and "X-Outlay-Signature-256" not in got.headers
    assert body["expected"] == "12.5" and "threshold" not in body
    assert got.headers["X-Outlay-Event"] == "anomaly"


@pytest.mark.parametrize("failure", [500, "drop"], ids=["http-500", "dropped-connection"])
def test_a_failed_send_is_retried_after_a_minute_with_the_same_delivery_id(
    tmp_path: Path, clock: Clock, receiver: Receiver, failure: int | str
) -> None:
    outlay = open_outlay(tmp_path, clock)
    outlay.add_channel("webhook", "ops", receiver.url, secret=SECRET)
    event = make_event()
    outlay._fire([event])
    receiver.answers = [failure]
    first = outlay.deliver_due()
    assert (first.delivered, first.retrying) == (0, 1)
    status = 500 if failure == 500 else None
    assert deliveries(outlay, event.id) == [("ops", "pending", 1, status)]
    assert outlay.channels()[0]["last_error"]  # the Channels page shows the failure
    assert outlay.deliver_due().results == ()  # not due yet
    clock.advance(timedelta(seconds=59))
    assert outlay.deliver_due().results == ()
    clock.advance(timedelta(seconds=1))
    assert outlay.deliver_due().delivered == 1
    assert [r.headers["X-Outlay-Delivery"] for r in receiver.received] == [event.id] * 2
    assert receiver.received[0].body == receiver.received[1].body
    assert deliveries(outlay, event.id) == [("ops", "delivered", 2, 200)]
    assert outlay.channels()[0]["last_error"] is None
    clock.advance(timedelta(hours=2))
    assert outlay.deliver_due().results == () and len(receiver.received) == 2


def test_a_429_waits_as_long_as_retry_after_says(
    tmp_path: Path, clock: Clock, receiver: Receiver
) -> None:
    outlay = open_outlay(tmp_path, clock)
    outlay.add_channel("webhook", "ops", receiver.url)
    event = make_event()
    outlay._fire([event])
    receiver.answers, receiver.headers = [429], {"Retry-After": "600"}
    outlay.deliver_due()
    [row] = outlay.alert_store.deliveries([event.id])[event.id]
    assert row.status == "pending" and row.next_attempt_at == clock.now() + timedelta(seconds=600)
    clock.advance(timedelta(minutes=9))
    assert outlay.deliver_due().results == ()
    clock.advance(timedelta(minutes=1))
    assert outlay.deliver_due().delivered == 1


def test_a_4xx_other_than_429_fails_at_once_and_says_why(
    tmp_path: Path, clock: Clock, receiver: Receiver
) -> None:
    outlay = open_outlay(tmp_path, clock)
    outlay.add_channel("slack", "ops", receiver.url)
    event = make_event()
    outlay._fire([event])
    receiver.answers = [404]
    report = outlay.deliver_due()
    assert report.failed == 1
    assert report.results[0].error == "the receiver answered HTTP 404: no_service"
    assert deliveries(outlay, event.id) == [("ops", "failed", 1, 404)]
    clock.advance(timedelta(days=1))
    assert outlay.deliver_due().results == ()


def test_retries_back_off_to_hourly_and_go_on_for_a_day_before_failing(
    tmp_path: Path, clock: Clock, receiver: Receiver
) -> None:
    outlay = open_outlay(tmp_path, clock)
    outlay.add_channel("webhook", "ops", receiver.url)
    event = make_event()
    outlay._fire([event])
    receiver.answers = [503] * 100
    first = clock.now()
    gaps: list[timedelta] = []
    while True:
        report = outlay.deliver_due()
        assert len(report.results) == 1
        if report.results[0].status == "failed":
            break
        [row] = outlay.alert_store.deliveries([event.id])[event.id]
        gaps.append(row.next_attempt_at - clock.now())
        clock.ms = int((row.next_attempt_at - clock.now()).total_seconds() * 1000) + clock.ms
    assert [g.total_seconds() / 60 for g in gaps[:8]] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert clock.now() - first >= RETRY_FOR
    assert clock.now() - first < RETRY_FOR + timedelta(hours=1)
    assert "gave up after retrying for 24 h" in (report.results[0].error or "")
    assert deliveries(outlay, event.id)[0][1] == "failed"


def test_a_restart_between_firing_and_delivery_delivers_exactly_once(
    tmp_path: Path, clock: Clock, receiver: Receiver
) -> None:
    before = open_outlay(tmp_path, clock)
    before.add_channel("webhook", "ops", receiver.url, secret=SECRET)
    event = make_event()
    before._fire([event])  # the process stops here, before sending
    after = open_outlay(tmp_path, clock)
    assert after.deliver_due().delivered == 1
    assert open_outlay(tmp_path, clock).deliver_due().results == ()
    # Evaluating again finds the event recorded: nothing new to send.
    assert after._fire([event]) == [] and after.deliver_due().results == ()
    assert len(receiver.received) == 1


def test_two_processes_draining_at_once_send_each_delivery_once(
    tmp_path: Path, clock: Clock, receiver: Receiver
) -> None:
    first = open_outlay(tmp_path, clock)
    first.add_channel("webhook", "ops", receiver.url)
    events = [make_event(rule=f"rule-{i}") for i in range(12)]
    first._fire(events)
    outlays = [first, open_outlay(tmp_path, clock), open_outlay(tmp_path, clock)]
    counts: list[int] = []
    threads = [
        threading.Thread(target=lambda o=o: counts.append(o.deliver_due().delivered))
        for o in outlays
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [r.headers["X-Outlay-Delivery"] for r in receiver.received]
    assert sorted(ids) == sorted(e.id for e in events) and sum(counts) == 12


def test_a_delivery_to_a_removed_channel_fails_saying_so(
    tmp_path: Path, clock: Clock, receiver: Receiver
) -> None:
    outlay = open_outlay(tmp_path, clock)
    outlay.add_channel("webhook", "ops", receiver.url)
    event = make_event()
    outlay._fire([event])
    outlay.remove_channel("ops")
    report = outlay.deliver_due()
    assert report.failed == 1 and report.results[0].error == (
        "channel 'ops' does not exist (removed, or never added)"
    )
    assert receiver.received == []


def test_send_test_posts_a_test_message_and_records_the_result(
    tmp_path: Path, clock: Clock, receiver: Receiver
) -> None:
    outlay = open_outlay(tmp_path, clock)
    outlay.add_channel("webhook", "ops", receiver.url, secret=SECRET)
    row = outlay.test_channel("ops")
    assert row["last_delivery_at"] is not None and row["last_error"] is None
    [got] = receiver.received
    body = json.loads(got.body)
    assert got.headers["X-Outlay-Event"] == "test" and body["kind"] == "test"
    assert got.headers["X-Outlay-Delivery"] == body["id"] and body["id"].startswith("test-")
    assert body["url"] == PUBLIC + "/channels?workspace=Default"
    receiver.answers = [500]
    with pytest.raises(DeliveryError, match=r"channel 'ops' failed: .*HTTP 500"):
        outlay.test_channel("ops")
    assert outlay.channels()[0]["last_error"] == "the receiver answered HTTP 500: no_service"


def test_slack_and_teams_receive_their_documented_shapes(
    tmp_path: Path, clock: Clock, receiver: Receiver
) -> None:
    outlay = open_outlay(tmp_path, clock)
    outlay.add_channel("slack", "chat", receiver.url)
    outlay.add_channel("teams", "meet", receiver.url)
    outlay._fire([make_event(channels=("chat", "meet"))])
    assert outlay.deliver_due().delivered == 2
    payloads = [json.loads(r.body) for r in receiver.received]
    assert all(r.headers["Content-Type"] == "application/json" for r in receiver.received)
    slack = next(p for p in payloads if "blocks" in p)
    teams = next(p for p in payloads if p.get("type") == "message")
    assert slack["text"] and all(b["type"] for b in slack["blocks"])
    assert teams["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert teams["attachments"][0]["content"]["type"] == "AdaptiveCard"


@pytest.fixture
def cert(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A throwaway certificate for 127.0.0.1, trusted by this test's default TLS context."""
    made = make_cert(tmp_path_factory.mktemp("tls"))
    monkeypatch.setenv("SSL_CERT_FILE", str(made[0]))
    return made


@pytest.mark.parametrize("implicit_tls", [False, True], ids=["starttls", "smtps"])
def test_an_email_arrives_over_tls_after_login_with_subject_body_and_recipients(
    tmp_path: Path, clock: Clock, cert: Any, implicit_tls: bool
) -> None:
    with smtp_server(cert, implicit_tls=implicit_tls) as inbox:
        scheme = "smtps" if implicit_tls else "smtp"
        url = f"{scheme}://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{inbox.port}"
        outlay = open_outlay(tmp_path, clock, smtp_url=url, smtp_from="outlay@example.com")
        outlay.add_channel("email", "finance", "cfo@example.com, ops@example.com")
        event = make_event(channels=("finance",))
        outlay._fire([event])
        assert outlay.deliver_due().delivered == 1
    [(sender, recipients, mail)] = inbox.mails
    assert inbox.logins == [SMTP_USER]
    assert sender == "outlay@example.com"
    assert recipients == ["cfo@example.com", "ops@example.com"]
    assert mail["Subject"] == "[outlay] Budget platform reached 80%"
    assert mail["X-Outlay-Delivery"] == event.id
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert event.message in text.get_content()
    assert "Threshold: 80%" in text.get_content()
    assert f"{PUBLIC}/reports?workspace=Default&amp;filter=x" in html.get_content()
    assert deliveries(outlay, event.id) == [("finance", "delivered", 1, None)]


def test_a_local_relay_takes_mail_without_tls_or_login(tmp_path: Path, clock: Clock) -> None:
    with plain_smtp_server() as inbox:
        url = f"smtp://127.0.0.1:{inbox.port}"
        outlay = open_outlay(tmp_path, clock, smtp_url=url, smtp_from="outlay@example.com")
        outlay.add_channel("email", "finance", "cfo@example.com")
        outlay.test_channel("finance")
    [(_, recipients, mail)] = inbox.mails
    assert (
        recipients == ["cfo@example.com"] and mail["Subject"] == "[outlay] Test of channel finance"
    )


def test_without_smtp_settings_mail_waits_and_says_what_to_set(
    tmp_path: Path, clock: Clock
) -> None:
    configured = open_outlay(tmp_path, clock, smtp_url="smtp://127.0.0.1:9", smtp_from="o@x.io")
    configured.add_channel("email", "finance", "cfo@example.com")
    outlay = open_outlay(tmp_path, clock)  # a process started without the settings
    outlay._fire([make_event(channels=("finance",))])
    [result] = outlay.deliver_due().results
    assert result.status == "pending"
    assert (
        result.error
        == "e-mail is not set up on this server: set OUTLAY_SMTP_URL and OUTLAY_SMTP_FROM"
    )
    with pytest.raises(InputError, match="OUTLAY_SMTP_URL"):
        outlay.add_channel("email", "more", "cfo@example.com")


def test_a_refused_smtp_login_fails_without_showing_the_password(
    tmp_path: Path, clock: Clock, cert: Any
) -> None:
    with smtp_server(cert) as inbox:
        url = f"smtp://{SMTP_USER}:wrong-pass-xyz@127.0.0.1:{inbox.port}"
        outlay = open_outlay(tmp_path, clock, smtp_url=url, smtp_from="outlay@example.com")
        outlay.add_channel("email", "finance", "cfo@example.com")
        with pytest.raises(DeliveryError) as failed:
            outlay.test_channel("finance")
    assert "535" in str(failed.value) and "wrong-pass-xyz" not in str(failed.value)
    assert inbox.mails == []


@pytest.mark.embedded_only
def test_credentials_never_show_in_lists_logs_errors_or_the_database_file(
    tmp_path: Path, clock: Clock, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    outlay = open_outlay(tmp_path, clock)
    outlay.add_channel("webhook", "hook", receiver.url, secret=SECRET)
    outlay.add_channel("slack", "chat", receiver.url + "/slack")
    event = make_event(channels=("hook", "chat"))
    outlay._fire([event])
    receiver.answers = [500, 500, 500]
    outlay.deliver_due()
    with pytest.raises(DeliveryError) as failed:
        outlay.test_channel("chat")
    token = "secret-path-token"
    shown = [
        json.dumps(outlay.channels()),
        json.dumps(outlay.alert_events()),
        caplog.text,
        str(failed.value),
        json.dumps([d.last_error for d in outlay.alert_store.deliveries([event.id])[event.id]]),
    ]
    assert caplog.text and "delivery of event" in caplog.text  # the logs were captured
    for text in shown:
        assert token not in text and SECRET not in text
    stored = outlay.settings.meta_path.read_bytes()
    assert token.encode() not in stored and SECRET.encode() not in stored


def test_a_delivery_claimed_by_a_process_that_died_is_sent_when_its_lease_ends(
    tmp_path: Path, clock: Clock, receiver: Receiver
) -> None:
    outlay = open_outlay(tmp_path, clock)
    outlay.add_channel("webhook", "ops", receiver.url)
    outlay._fire([make_event()])
    now = clock.now()
    [claimed] = outlay.alert_store.claim_due(now=now, lease_until=now + LEASE, limit=5)
    # That process stops here, before sending. Others leave the row alone while it is leased.
    assert outlay.alert_store.claim_due(now=now, lease_until=now + LEASE, limit=5) == []
    clock.advance(LEASE - timedelta(seconds=1))
    assert open_outlay(tmp_path, clock).deliver_due().results == ()
    clock.advance(timedelta(seconds=1))
    assert open_outlay(tmp_path, clock).deliver_due().delivered == 1
    assert len(receiver.received) == 1
    assert deliveries(outlay, claimed.event.id) == [("ops", "delivered", 1, 200)]
