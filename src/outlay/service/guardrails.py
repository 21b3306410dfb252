"""Where guardrail events are recorded: once each, with their deliveries queued."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cached_property

from outlay.alerts.event import AlertEvent
from outlay.clock import utc_naive
from outlay.errors import InputError
from outlay.service.core import Core
from outlay.store.access import Workspace
from outlay.store.alerts import AlertStore


class Guardrails(Core):
    @cached_property
    def alert_store(self) -> AlertStore:
        return AlertStore(self.meta)

    def _today_at(self, now: datetime | None) -> date:
        """The UTC day guardrails are evaluated for: that of ``now`` (a naive one is UTC
        already, as the clock gives it), or the clock's today."""
        if now is None:
            return self.today()
        return utc_naive(now).date()

    def _fire(self, events: Sequence[AlertEvent]) -> list[AlertEvent]:
        """Record what fired; return only the events not recorded before (the ones to send)."""
        return self.alert_store.record(events, now=self.clock.now())

    def _check_channels(
        self, space: Workspace, names: Sequence[str], *, required: str | None = None
    ) -> tuple[str, ...]:
        """The channel names a rule notifies, once each, every one a channel of ``space``;
        ``required`` is what to say when a rule must name at least one and names none."""
        wanted = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
        if required and not wanted:
            raise InputError(required, field="notify")
        known = {c.name for c in self.alert_store.channels(space.id)}
        for name in wanted:
            if name not in known:
                listed = ", ".join(sorted(known)) or "none yet; add one with `channels add`"
                raise InputError(
                    f"no channel named {name!r} in workspace {space.name} (channels: {listed})",
                    field="notify",
                )
        return wanted
