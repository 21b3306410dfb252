"""Where guardrail events are recorded: once each, with their deliveries queued."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from outlay.alerts.event import AlertEvent
from outlay.service.core import Core
from outlay.store.alerts import AlertStore


class Guardrails(Core):
    @cached_property
    def alert_store(self) -> AlertStore:
        return AlertStore(self.meta)

    def _fire(self, events: Sequence[AlertEvent]) -> list[AlertEvent]:
        """Record what fired; return only the events not recorded before (the ones to send)."""
        return self.alert_store.record(events, now=self.clock.now())
