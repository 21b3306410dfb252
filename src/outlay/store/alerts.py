"""Guardrail state in the metadata database: channels, recorded events and their deliveries.

It shares the database (and its transactions) with ``MetaStore``, like ``AccessStore``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from outlay.alerts.event import AlertEvent
from outlay.errors import ConflictError
from outlay.store.meta import MetaStore, from_row
from outlay.store.schema import AlertEventRow, ChannelRow, DeliveryRow

PENDING = "pending"
#: Due rows read beyond the number wanted, for those another process claims first.
CLAIM_SLACK = 20
DELIVERED = "delivered"
FAILED = "failed"


@dataclass(frozen=True)
class Channel:
    workspace_id: int
    name: str
    kind: str
    sealed_target: bytes
    masked_target: str
    sealed_secret: bytes | None
    created_at: datetime
    last_delivery_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class Delivery:
    event_id: str
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_http_status: int | None
    last_error: str | None
    updated_at: datetime
    first_attempt_at: datetime | None = None


@dataclass(frozen=True)
class Claimed:
    """A delivery this process took to send, with the event it carries."""

    delivery: Delivery
    event: AlertEvent


@dataclass(frozen=True)
class Outcome:
    """What became of one send: the delivery's new state."""

    status: str  # PENDING (retry at next_attempt_at), DELIVERED or FAILED
    next_attempt_at: datetime
    http_status: int | None = None
    error: str | None = None


class AlertStore:
    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta

    # -- channels ----------------------------------------------------------------------------

    def add_channel(self, channel: Channel) -> None:
        with self._meta.session() as s:
            if s.get(ChannelRow, (channel.workspace_id, channel.name)) is not None:
                raise ConflictError(
                    f"a channel named {channel.name!r} exists; remove it first or pick another "
                    "name",
                    field="name",
                )
            s.add(
                ChannelRow(
                    workspace_id=channel.workspace_id,
                    name=channel.name,
                    kind=channel.kind,
                    sealed_target=channel.sealed_target,
                    masked_target=channel.masked_target,
                    sealed_secret=channel.sealed_secret,
                    created_at=channel.created_at,
                )
            )

    def channels(self, workspace_id: int) -> list[Channel]:
        with self._meta.session() as s:
            rows = s.scalars(
                select(ChannelRow)
                .where(ChannelRow.workspace_id == workspace_id)
                .order_by(ChannelRow.name)
            )
            return [from_row(Channel, r) for r in rows]

    def channel(self, workspace_id: int, name: str) -> Channel | None:
        with self._meta.session() as s:
            row = s.get(ChannelRow, (workspace_id, name))
            return None if row is None else from_row(Channel, row)

    def note_channel(
        self, workspace_id: int, name: str, *, now: datetime, error: str | None
    ) -> None:
        """A send to the channel worked (``error`` None: clears its error) or failed."""
        with self._meta.session() as s:
            _note(s.get(ChannelRow, (workspace_id, name)), now, error)

    def remove_channel(self, workspace_id: int, name: str) -> bool:
        return self._meta.delete(ChannelRow, (workspace_id, name))

    # -- events and their deliveries ----------------------------------------------------------

    def record(self, events: Sequence[AlertEvent], *, now: datetime) -> list[AlertEvent]:
        """Record the events not recorded before, each with a pending delivery per channel, in
        one transaction; return those new ones. An id seen before is skipped whole."""
        new: list[AlertEvent] = []
        with self._meta.session() as s:
            ids = [e.id for e in events]
            seen = set(s.scalars(select(AlertEventRow.id).where(AlertEventRow.id.in_(ids))))
            for event in events:
                if event.id in seen:
                    continue
                seen.add(event.id)
                s.add(
                    AlertEventRow(
                        id=event.id,
                        workspace_id=event.workspace_id,
                        kind=event.kind,
                        rule=event.rule,
                        period_start=event.period_start,
                        body=json.dumps(event.to_data()),
                        created_at=now,
                    )
                )
                for channel in dict.fromkeys(event.channels):
                    s.add(
                        DeliveryRow(
                            event_id=event.id,
                            channel=channel,
                            status=PENDING,
                            attempts=0,
                            next_attempt_at=now,
                            updated_at=now,
                        )
                    )
                new.append(event)
        return new

    def events(
        self, workspace_id: int, *, since: datetime | None = None
    ) -> list[tuple[AlertEvent, datetime]]:
        """Recorded events, newest first, with when each was recorded."""
        with self._meta.session() as s:
            query = select(AlertEventRow).where(AlertEventRow.workspace_id == workspace_id)
            if since is not None:
                query = query.where(AlertEventRow.created_at >= since)
            rows = s.scalars(query.order_by(AlertEventRow.created_at.desc(), AlertEventRow.id))
            return [
                (AlertEvent.from_data(r.workspace_id, json.loads(r.body)), r.created_at)
                for r in rows
            ]

    def deliveries(self, event_ids: Sequence[str]) -> dict[str, list[Delivery]]:
        """Each event's deliveries, by event id."""
        found: dict[str, list[Delivery]] = {i: [] for i in event_ids}
        with self._meta.session() as s:
            rows = s.scalars(
                select(DeliveryRow)
                .where(DeliveryRow.event_id.in_(list(event_ids)))
                .order_by(DeliveryRow.channel)
            )
            for row in rows:
                found[row.event_id].append(from_row(Delivery, row))
        return found

    # -- the delivery queue -------------------------------------------------------------------

    def claim_due(self, *, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
        """Take up to ``limit`` pending deliveries due by ``now``. Each is taken by one UPDATE
        that also checks it is still pending and due, and moves its next attempt to
        ``lease_until``: a process that read the same row a moment earlier claims nothing (and
        tries the next one), and one that dies while sending leaves a row that is due again
        when the lease ends."""
        with self._meta.session() as s:
            keys = s.execute(
                select(DeliveryRow.event_id, DeliveryRow.channel)
                .where(DeliveryRow.status == PENDING, DeliveryRow.next_attempt_at <= now)
                .order_by(DeliveryRow.next_attempt_at, DeliveryRow.event_id)
                .limit(limit + CLAIM_SLACK)
            ).all()
        claimed: list[Claimed] = []
        for event_id, channel in keys:
            if len(claimed) == limit:
                break
            taken = self._claim(event_id, channel, now=now, lease_until=lease_until)
            if taken is not None:
                claimed.append(taken)
        return claimed

    def _claim(
        self, event_id: str, channel: str, *, now: datetime, lease_until: datetime
    ) -> Claimed | None:
        with self._meta.session() as s:
            taken = s.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.event_id == event_id,
                    DeliveryRow.channel == channel,
                    DeliveryRow.status == PENDING,
                    DeliveryRow.next_attempt_at <= now,
                )
                .values(
                    next_attempt_at=lease_until,
                    first_attempt_at=func.coalesce(DeliveryRow.first_attempt_at, now),
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None  # another process took it first
            row = s.get(DeliveryRow, (event_id, channel))
            event = s.get(AlertEventRow, event_id)
            assert row is not None and event is not None
            body = AlertEvent.from_data(event.workspace_id, json.loads(event.body))
            return Claimed(from_row(Delivery, row), body)

    def settle(self, claimed: Claimed, outcome: Outcome, *, now: datetime) -> None:
        """Write what the send did to the delivery (one more attempt) and to its channel."""
        delivery, event = claimed.delivery, claimed.event
        with self._meta.session() as s:
            row = s.get(DeliveryRow, (delivery.event_id, delivery.channel))
            if row is None:  # the event was deleted meanwhile (its workspace removed)
                return
            row.status = outcome.status
            row.attempts = row.attempts + 1
            row.next_attempt_at = outcome.next_attempt_at
            row.last_http_status = outcome.http_status
            row.last_error = outcome.error
            row.updated_at = now
            _note(s.get(ChannelRow, (event.workspace_id, delivery.channel)), now, outcome.error)


def _note(row: ChannelRow | None, now: datetime, error: str | None) -> None:
    if row is None:
        return
    if error is None:
        row.last_delivery_at = now
    row.last_error = error
