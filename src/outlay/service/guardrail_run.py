"""One guardrail run: every budget, cost alert, anomaly watch and digest evaluated, then what
is due sent. The scheduler runs it after each sync; ``outlay alerts run`` runs it for cron."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from outlay.access import LOCAL_OWNER, Action, Principal
from outlay.alerts.event import AlertEvent
from outlay.errors import OutlayError
from outlay.service.alerts import Alerts
from outlay.service.channels import Channels
from outlay.service.core import requires
from outlay.service.delivery import DeliveryReport
from outlay.service.digests import Digests

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GuardrailRun:
    #: Events recorded by this run (each fires once, ever).
    fired: tuple[AlertEvent, ...]
    #: What the delivery drain sent, retried or gave up on (this run's events and older ones).
    deliveries: DeliveryReport


class Guardrail(Alerts, Digests, Channels):
    @requires(Action.ADMIN)
    def run_guardrails(
        self, now: datetime | None = None, *, principal: Principal = LOCAL_OWNER
    ) -> GuardrailRun:
        """Evaluate everything, then deliver what is due. One kind of guardrail failing (its
        reason logged) does not keep the others or the deliveries from running."""
        evaluators: tuple[tuple[str, Callable[[], list[AlertEvent]]], ...] = (
            ("budgets", lambda: self.evaluate_budgets(now, principal=principal)),
            ("alert rules", lambda: self.evaluate_alert_rules(now, principal)),
            ("digests", lambda: self.evaluate_digests(now, principal=principal)),
        )
        fired: list[AlertEvent] = []
        for what, evaluate in evaluators:
            try:
                fired.extend(evaluate())
            except OutlayError as exc:  # the next run (after the next sync) tries again
                log.warning("evaluating %s failed: %s", what, exc)
        return GuardrailRun(tuple(fired), self.deliver_due(now, principal=principal))
