"""Draining the delivery queue: each due delivery is claimed, sent, and settled once.

A delivery row is written with its event (``Guardrails._fire``), so one that a stopped
process never sent is still due for the next run. ``deliver_due`` claims rows one at a time
with a lease (``AlertStore.claim_due``): two processes never send the same row at once, and a
process that dies mid-send leaves the row due again when its lease ends. Receivers can drop
that rare repeat by its ``X-Outlay-Delivery`` id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from outlay.access import LOCAL_OWNER, Action, Principal
from outlay.errors import ConfigError
from outlay.notify.mail import mail_of
from outlay.notify.notice import Notice, notice_of
from outlay.notify.retry import outcome
from outlay.notify.send import Attempt, SmtpServer, compose, post, send_mail
from outlay.notify.slack import slack_payload
from outlay.notify.teams import teams_payload
from outlay.notify.webhook import encode, webhook_request
from outlay.service.core import requires
from outlay.service.guardrails import Guardrails
from outlay.store.alerts import DELIVERED, FAILED, PENDING, Channel, Claimed, Outcome

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)
#: How long a claimed delivery is this process's: far longer than one send can take
#: (HTTP gives up after 15 s, SMTP after 20 s per step).
LEASE = timedelta(minutes=10)
NO_MAIL = "e-mail is not set up on this server: set OUTLAY_SMTP_URL and OUTLAY_SMTP_FROM"


@dataclass(frozen=True)
class DeliveryResult:
    event_id: str
    channel: str
    workspace: str
    status: str  # delivered, pending (retry scheduled) or failed
    attempts: int
    http_status: int | None
    error: str | None

    def to_data(self) -> dict[str, Any]:
        return {
            "event": self.event_id, "channel": self.channel, "workspace": self.workspace,
            "status": self.status, "attempts": self.attempts,
            "last_http_status": self.http_status, "error": self.error,
        }  # fmt: skip


@dataclass(frozen=True)
class DeliveryReport:
    """What one ``deliver_due`` run sent."""

    results: tuple[DeliveryResult, ...] = ()

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def delivered(self) -> int:
        return self.count(DELIVERED)

    @property
    def retrying(self) -> int:
        return self.count(PENDING)

    @property
    def failed(self) -> int:
        return self.count(FAILED)


class SharedHttp:
    """One HTTP client for a whole run, opened at the first send: building a client (its TLS
    context) costs more than a delivery to a nearby receiver."""

    def __init__(self, factory: Callable[[], httpx.Client]) -> None:
        self._factory = factory
        self._client: httpx.Client | None = None

    def __call__(self) -> httpx.Client:
        if self._client is None:
            self._client = self._factory()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


class Delivery(Guardrails):
    @requires(Action.ADMIN)
    def deliver_due(
        self, now: datetime | None = None, *, principal: Principal = LOCAL_OWNER
    ) -> DeliveryReport:
        """Send every delivery whose time has come (all workspaces); failures are retried
        with backoff by later runs. Safe to run in several processes at once."""
        now = now or self.clock.now()
        names = {w.id: w.name for w in self.access.workspaces()}
        results: list[DeliveryResult] = []
        store, http = self.alert_store, SharedHttp(self._http)
        channels: dict[tuple[int, str], Channel | None] = {}
        try:
            while claimed := store.claim_due(now=now, lease_until=now + LEASE, limit=1):
                for item in claimed:
                    key = (item.event.workspace_id, item.delivery.channel)
                    if key not in channels:
                        channels[key] = store.channel(*key)
                    workspace = names.get(item.event.workspace_id, "")
                    result = self._deliver(item, channels[key], workspace, http, now)
                    store.settle(item, result, now=now)
                    results.append(_result(item, workspace, result))
        finally:
            http.close()
        return DeliveryReport(tuple(results))

    def _deliver(
        self, item: Claimed, channel: Channel | None, workspace: str, http: SharedHttp,
        now: datetime,
    ) -> Outcome:  # fmt: skip
        delivery, event = item.delivery, item.event
        if channel is None:
            gone = f"channel {delivery.channel!r} does not exist (removed, or never added)"
            attempt = Attempt(False, False, None, gone)
        else:
            notice = notice_of(event, workspace, self.settings.public_url)
            attempt = self._send(channel, notice, http, now)
        result = outcome(
            attempt, attempts=delivery.attempts,
            first_attempt_at=delivery.first_attempt_at or now, now=now,
        )  # fmt: skip
        level = logging.INFO if result.status == DELIVERED else logging.WARNING
        log.log(level, "delivery of event %s to channel %r: %s%s", event.id, delivery.channel,
                result.status, f" ({result.error})" if result.error else "")  # fmt: skip
        return result

    def _send(
        self, channel: Channel, notice: Notice, http: Callable[[], httpx.Client], now: datetime
    ) -> Attempt:
        """One send of ``notice`` to ``channel``; never raises for the receiver's sake."""
        try:
            target = self.keybox.open(channel.sealed_target)
            secret = self.keybox.open(channel.sealed_secret) if channel.sealed_secret else None
        except ConfigError:
            return Attempt(False, False, None, "the channel's address cannot be decrypted: the "
                           "secret key changed; remove the channel and add it again")  # fmt: skip
        if channel.kind == "email":
            return self._send_mail(target.split(","), notice)
        if channel.kind == "webhook":
            body, headers = webhook_request(notice, secret)
        else:
            payload = slack_payload(notice) if channel.kind == "slack" else teams_payload(notice)
            body, headers = encode(payload), {"Content-Type": "application/json"}
        return post(http(), target, body, headers, secrets=[secret or ""], now=now)

    def _send_mail(self, recipients: list[str], notice: Notice) -> Attempt:
        url, sender = self.settings.smtp_url, self.settings.smtp_from
        if not url or not sender:
            return Attempt(False, True, None, NO_MAIL)
        message = compose(mail_of(notice), sender, recipients, notice.id)
        return send_mail(SmtpServer.parse(url), message)


def _result(item: Claimed, workspace: str, result: Outcome) -> DeliveryResult:
    return DeliveryResult(
        item.event.id, item.delivery.channel, workspace, result.status,
        item.delivery.attempts + 1, result.http_status, result.error,
    )  # fmt: skip
