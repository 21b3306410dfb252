"""One firing of a guardrail, identified by what fired rather than when it was noticed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

EventKind = Literal["budget", "cost_alert", "anomaly", "digest"]
EVENT_KINDS: tuple[EventKind, ...] = ("budget", "cost_alert", "anomaly", "digest")


def event_id(
    kind: EventKind,
    workspace_id: int,
    rule: str,
    group: dict[str, str],
    period_start: date,
    threshold: Decimal | str | None,
) -> str:
    """The same rule, group, period and threshold always give the same id, so evaluating again
    (in another process, after a restart) finds the event already recorded and sends nothing."""
    key = json.dumps(
        [kind, workspace_id, rule, sorted(group.items()), period_start.isoformat(),
         None if threshold is None else str(threshold)],
        separators=(",", ":"),
    )  # fmt: skip
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class AlertEvent:
    """What fired: the rule, the group it fired for, the period, and the amounts behind it.

    ``threshold`` is set for budgets and cost alerts, ``expected`` for anomalies; ``message`` is
    the one line a person reads (who, what, how much, against what); ``report_path`` the web
    app's path of the report drilled to the group (the public URL is prefixed on delivery).
    """

    id: str
    kind: EventKind
    workspace_id: int
    rule: str
    group: dict[str, str]
    period_start: date
    period_end: date
    amount: Decimal
    message: str
    channels: tuple[str, ...] = ()
    threshold: Decimal | None = None
    expected: Decimal | None = None
    forecast: bool = False
    report_path: str | None = None
    #: Kind-specific detail kept with the event (e.g. an anomaly's drivers, a digest's table).
    detail: dict[str, Any] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready: money as decimal strings, days as ISO dates."""
        return {
            "id": self.id,
            "kind": self.kind,
            "rule": self.rule,
            "group": dict(self.group),
            "period": {"start": self.period_start.isoformat(), "end": self.period_end.isoformat()},
            "amount": format(self.amount, "f"),
            "threshold": None if self.threshold is None else format(self.threshold, "f"),
            "expected": None if self.expected is None else format(self.expected, "f"),
            "forecast": self.forecast,
            "message": self.message,
            "report_path": self.report_path,
            "channels": list(self.channels),
            "detail": self.detail,
        }

    @classmethod
    def from_data(cls, workspace_id: int, data: dict[str, Any]) -> AlertEvent:
        def money(key: str) -> Decimal | None:
            value = data.get(key)
            return None if value is None else Decimal(value)

        return cls(
            id=data["id"],
            kind=data["kind"],
            workspace_id=workspace_id,
            rule=data["rule"],
            group=dict(data["group"]),
            period_start=date.fromisoformat(data["period"]["start"]),
            period_end=date.fromisoformat(data["period"]["end"]),
            amount=Decimal(data["amount"]),
            message=data["message"],
            channels=tuple(data.get("channels", ())),
            threshold=money("threshold"),
            expected=money("expected"),
            forecast=bool(data.get("forecast", False)),
            report_path=data.get("report_path"),
            detail=dict(data.get("detail", {})),
        )
