"""An anomaly's life: flagged days fold into anomalies, which notify, archive and get ignored.

Pure. Rules:

- Consecutive anomalous days of one group are one anomaly; a flagged day next to (or inside)
  an anomaly joins it, and a day judged again (today, as it fills up) replaces its figures.
- An active anomaly notifies when it opens, and again only when its cost grows past twice the
  cost last notified. The event id holds the notification's level (0, 1, …), so a run that
  stops between firing and saving fires the same id again, which is recorded once.
- An ignored anomaly keeps absorbing its days but never notifies.
- An active anomaly with no anomalous day for ``QUIET_DAYS`` days is archived.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from outlay.alerts.anomaly import Flag
from outlay.alerts.cost_alert import report_path
from outlay.alerts.event import AlertEvent, event_id

ACTIVE, ARCHIVED, IGNORED = "active", "archived", "ignored"
STATUSES = (ACTIVE, ARCHIVED, IGNORED)
QUIET_DAYS = 7
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Anomaly:
    id: int | None
    workspace_id: int
    rule: str
    group: dict[str, str]
    first_day: date
    last_day: date
    #: Per day: actual, expected, upper (decimal text) and basis.
    days: dict[str, dict[str, str]]
    #: The rows that drove it: max mode, category, token type and cost, largest first.
    drivers: list[dict[str, Any]] = field(default_factory=list)
    status: str = ACTIVE
    reason: str | None = None
    notified_amount: Decimal | None = None
    notified_level: int = 0

    @property
    def actual(self) -> Decimal:
        return sum((Decimal(d["actual"]) for d in self.days.values()), Decimal(0))

    @property
    def expected(self) -> Decimal:
        return sum((Decimal(d["expected"]) for d in self.days.values()), Decimal(0))

    def to_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "group": dict(self.group),
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "actual": format(self.actual, "f"),
            "expected": format(self.expected, "f"),
            "days": self.days,
            "drivers": self.drivers,
            "status": self.status,
            "reason": self.reason,
            "notified_amount": (
                None if self.notified_amount is None else format(self.notified_amount, "f")
            ),
        }


def fold(
    existing: Sequence[Anomaly], flags: Iterable[Flag], *, workspace_id: int, rule: str,
    group_by: tuple[str, ...],
) -> list[Anomaly]:  # fmt: skip
    """The anomalies after adding ``flags``: changed or new ones only (new ones have no id)."""
    mine = sorted(existing, key=lambda a: a.first_day)
    changed: dict[int, Anomaly] = {}
    for flag in sorted(flags, key=lambda f: (f.key, f.day)):
        group = dict(zip(group_by, flag.key, strict=True))
        figures = {
            "actual": format(flag.actual, "f"), "expected": format(flag.expected, "f"),
            "upper": format(flag.upper, "f"), "basis": flag.basis,
        }  # fmt: skip
        at = next(
            (i for i, a in enumerate(mine) if a.group == group
             and a.first_day - timedelta(days=1) <= flag.day <= a.last_day + timedelta(days=1)),
            None,
        )  # fmt: skip
        if at is None:
            mine.append(
                Anomaly(None, workspace_id, rule, group, flag.day, flag.day,
                        {flag.day.isoformat(): figures})
            )  # fmt: skip
            at = len(mine) - 1
        else:
            old = mine[at]
            if old.days.get(flag.day.isoformat()) == figures:
                continue
            mine[at] = replace(
                old, first_day=min(old.first_day, flag.day), last_day=max(old.last_day, flag.day),
                days={**old.days, flag.day.isoformat(): figures},
                status=ACTIVE if old.status == ARCHIVED else old.status,
            )  # fmt: skip
        changed[at] = mine[at]
    return [changed[i] for i in sorted(changed)]


def due(anomaly: Anomaly) -> bool:
    """Whether it must notify now: active, and never notified or grown past twice that."""
    if anomaly.status != ACTIVE:
        return False
    return anomaly.notified_amount is None or anomaly.actual > 2 * anomaly.notified_amount


def notification(anomaly: Anomaly, channels: tuple[str, ...]) -> AlertEvent:
    """The event that notifies ``anomaly`` at its next level."""
    assert anomaly.id is not None
    level = anomaly.notified_level
    who = ", ".join(f"{k}={v}" for k, v in anomaly.group.items())
    span = (
        f"on {anomaly.first_day}"
        if anomaly.first_day == anomaly.last_day
        else f"from {anomaly.first_day} to {anomaly.last_day}"
    )
    lead = "Anomaly" if level == 0 else "Anomaly still growing"
    message = (
        f"{lead} ({anomaly.rule}): {who} cost ${anomaly.actual.quantize(_CENT)} {span}, "
        f"expected ${anomaly.expected.quantize(_CENT)}"
    )
    top = anomaly.drivers[0] if anomaly.drivers else None
    if top is not None:
        message += "; mostly " + ", ".join(
            f"{k}={v}" for k, v in top.items() if k != "cost" and v is not None
        )
    return AlertEvent(
        id=event_id("anomaly", anomaly.workspace_id, anomaly.rule, anomaly.group,
                    anomaly.first_day, f"level-{level}"),
        kind="anomaly",
        workspace_id=anomaly.workspace_id,
        rule=anomaly.rule,
        group=dict(anomaly.group),
        period_start=anomaly.first_day,
        period_end=anomaly.last_day,
        amount=anomaly.actual,
        expected=anomaly.expected,
        message=message,
        channels=channels,
        report_path=report_path(anomaly.group, None, anomaly.first_day, anomaly.last_day),
        detail={"anomaly_id": anomaly.id, "level": level, "days": anomaly.days,
                "drivers": anomaly.drivers},
    )  # fmt: skip


def notified(anomaly: Anomaly) -> Anomaly:
    return replace(
        anomaly, notified_amount=anomaly.actual, notified_level=anomaly.notified_level + 1
    )


def archive_before(today: date) -> date:
    """Active anomalies whose last day is before this are archived."""
    return today - timedelta(days=QUIET_DAYS)
