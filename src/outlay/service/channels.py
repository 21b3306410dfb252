"""Notification channels of a workspace (admins manage them, members see them), the test
send, and the history of fired events with their delivery status."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time
from typing import Any

from outlay.access import LOCAL_OWNER, Action, Principal
from outlay.errors import ChannelNotFound, DeliveryError, InputError
from outlay.notify.notice import trial_notice
from outlay.notify.targets import (
    check_kind,
    check_name,
    check_recipients,
    check_url,
    mask_target,
)
from outlay.service.audit import audited
from outlay.service.core import requires
from outlay.service.delivery import NO_MAIL, Delivery, SharedHttp
from outlay.store.access import Workspace
from outlay.store.alerts import Channel
from outlay.store.alerts import Delivery as DeliveryState


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def public_channel(channel: Channel) -> dict[str, Any]:
    """A channel as every surface shows it: the target masked, never the secret."""
    return {
        "name": channel.name,
        "kind": channel.kind,
        "target": channel.masked_target,
        "last_delivery_at": _stamp(channel.last_delivery_at),
        "last_error": channel.last_error,
    }


def _delivery_row(delivery: DeliveryState) -> dict[str, Any]:
    return {
        "channel": delivery.channel,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_http_status": delivery.last_http_status,
    }


class Channels(Delivery):
    @audited("channel.add")
    @requires(Action.ADMIN)
    def add_channel(
        self, kind: str, name: str, target: str, *, secret: str | None = None,
        principal: Principal = LOCAL_OWNER, workspace: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """``target``: the URL (webhook, slack, teams) or comma-separated e-mail addresses."""
        space = self.workspace(workspace, principal)
        kind, name = check_kind(kind), check_name(name)
        if kind == "email":
            target = ",".join(check_recipients(target))
            if not (self.settings.smtp_url and self.settings.smtp_from):
                raise InputError(NO_MAIL, field="smtp")
        else:
            target = check_url(kind, target)
        if secret is not None and kind != "webhook":
            raise InputError(f"only webhook channels take a secret, not {kind}", field="secret")
        if secret is not None and not secret.strip():
            raise InputError(
                "the webhook secret is empty; give one or leave it out", field="secret"
            )
        channel = Channel(
            workspace_id=space.id, name=name, kind=kind, sealed_target=self.keybox.seal(target),
            masked_target=mask_target(kind, target),
            sealed_secret=self.keybox.seal(secret.strip()) if secret else None,
            created_at=self.clock.now(), last_delivery_at=None, last_error=None,
        )  # fmt: skip
        self.alert_store.add_channel(channel)
        return public_channel(channel)

    @requires(Action.READ)
    def channels(
        self, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> list[dict[str, Any]]:
        """The workspace's channels, as ``outlay channels list --format json`` prints them."""
        space = self.workspace(workspace, principal)
        return [public_channel(c) for c in self.alert_store.channels(space.id)]

    @requires(Action.READ)
    def channel(
        self, name: str, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> dict[str, Any]:
        """One channel of the workspace, as ``channels`` lists it."""
        return public_channel(self._channel(self.workspace(workspace, principal), name))

    def _channel(self, space: Workspace, name: str) -> Channel:
        found = self.alert_store.channel(space.id, name)
        if found is None:
            known = ", ".join(c.name for c in self.alert_store.channels(space.id)) or "none yet"
            raise ChannelNotFound(
                f"no channel named {name!r} in workspace {space.name} (channels: {known})"
            )
        return found

    @audited("channel.remove")
    @requires(Action.ADMIN)
    def remove_channel(
        self, name: str, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> None:
        """Deliveries still queued for it fail, saying it was removed."""
        space = self.workspace(workspace, principal)
        self._channel(space, name)
        self.alert_store.remove_channel(space.id, name)

    @requires(Action.ADMIN)
    def test_channel(
        self, name: str, principal: Principal = LOCAL_OWNER, workspace: str | None = None
    ) -> dict[str, Any]:
        """Send a test message now, once (no retry); a refusal is a ``DeliveryError``."""
        space = self.workspace(workspace, principal)
        channel = self._channel(space, name)
        now = self.clock.now()
        notice = trial_notice(
            "test-" + secrets.token_hex(8), channel.name, space.name, self.settings.public_url
        )
        http = SharedHttp(self._http)
        try:
            attempt = self._send(channel, notice, http, now)
        finally:
            http.close()
        self.alert_store.note_channel(space.id, channel.name, now=now, error=attempt.error)
        if not attempt.ok:
            raise DeliveryError(f"the test message to channel {name!r} failed: {attempt.error}")
        return public_channel(self._channel(space, name))

    @requires(Action.READ)
    def alert_events(
        self, since: date | None = None, principal: Principal = LOCAL_OWNER,
        workspace: str | None = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Fired events, newest first, each with its deliveries: the rows of
        ``outlay alerts events --format json``."""
        space = self.workspace(workspace, principal)
        start = datetime.combine(since, time()) if since else None
        events = self.alert_store.events(space.id, since=start)
        deliveries = self.alert_store.deliveries([e.id for e, _ in events])
        rows = []
        for event, created in events:
            data = event.to_data()
            rows.append({
                "id": event.id, "kind": event.kind, "rule": event.rule, "group": data["group"],
                "period": data["period"], "amount": data["amount"],
                "threshold": data["threshold"], "expected": data["expected"],
                "forecast": event.forecast, "message": event.message,
                "created_at": _stamp(created),
                "deliveries": [_delivery_row(d) for d in deliveries[event.id]],
            })  # fmt: skip
        return rows
