"""Guardrail state in the metadata database: channels, recorded events and their deliveries.

It shares the database (and its transactions) with ``MetaStore``, like ``AccessStore``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from outlay.alerts.event import AlertEvent
from outlay.errors import ConflictError
from outlay.store.meta import MetaStore
from outlay.store.schema import AlertEventRow, ChannelRow, DeliveryRow

PENDING = "pending"
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


def _channel(row: ChannelRow) -> Channel:
    return Channel(
        row.workspace_id, row.name, row.kind, row.sealed_target, row.masked_target,
        row.sealed_secret, row.created_at, row.last_delivery_at, row.last_error,
    )  # fmt: skip


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        row.event_id, row.channel, row.status, row.attempts, row.next_attempt_at,
        row.last_http_status, row.last_error, row.updated_at,
    )  # fmt: skip


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
            return [_channel(r) for r in rows]

    def remove_channel(self, workspace_id: int, name: str) -> bool:
        with self._meta.session() as s:
            row = s.get(ChannelRow, (workspace_id, name))
            if row is None:
                return False
            s.delete(row)
            return True

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
                found[row.event_id].append(_delivery(row))
        return found
