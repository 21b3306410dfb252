"""Cursor's own per-member spending limits beside each member's spend, and the budget kind that
watches "members at N% of their Cursor limit". Pure.

``/teams/spend`` gives each member a hard-limit override (0: none), a monthly limit (null:
none) and the limit Cursor enforces, derived from the two. The limits cap on-demand spend
(usage beyond what the plan includes), so that is what is compared: ``spendCents`` where
``overallSpendCents`` is also sent (its documented meaning since then), else ``spendCents``
less ``includedSpendCents`` when that is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from outlay.alerts.event import AlertEvent, event_id
from outlay.report.intervals import months_before

_TENTH = Decimal("0.1")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class MemberLimit:
    account: str
    email: str
    cycle_start: date
    #: On-demand spend of the cycle so far, and the cycle's total spend, in USD.
    spend: Decimal
    overall: Decimal | None
    hard_limit_override: Decimal | None
    monthly_limit: Decimal | None
    effective_limit: Decimal | None

    @property
    def cycle_end(self) -> date:
        return months_before(self.cycle_start, -1) - timedelta(days=1)

    @property
    def limit(self) -> Decimal | None:
        """The limit the spend is held against: the enforced one, else the monthly limit, else
        the override; None when the member has no limit."""
        for value in (self.effective_limit, self.monthly_limit, self.hard_limit_override):
            if value is not None and value > 0:
                return value
        return None

    @property
    def percent(self) -> Decimal | None:
        limit = self.limit
        return None if limit is None else (self.spend * 100 / limit).quantize(_TENTH)

    def to_data(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "account": self.account,
            "email": self.email,
            "cycle": {"start": self.cycle_start.isoformat(), "end": self.cycle_end.isoformat()},
            "spend": str(self.spend),
            "overall_spend": text(self.overall),
            "hard_limit_override": text(self.hard_limit_override),
            "monthly_limit": text(self.monthly_limit),
            "effective_limit": text(self.effective_limit),
            "limit": text(self.limit),
            "percent": text(self.percent),
        }


def on_demand_usd(
    spend_cents: Decimal | None, overall_cents: Decimal | None, included_cents: Decimal | None
) -> Decimal:
    """On-demand spend in USD from a ``/teams/spend`` row's cents (see the module docstring)."""
    cents = spend_cents or Decimal(0)
    if overall_cents is None and included_cents is not None:
        cents -= included_cents
    return (max(cents, Decimal(0)) / 100).quantize(_CENT)


def limit_events(
    rule: str, thresholds: tuple[Decimal, ...], channels: tuple[str, ...],
    members: list[MemberLimit], workspace_id: int,
) -> list[AlertEvent]:  # fmt: skip
    """One event per member whose spend reached a threshold of their limit, naming the
    highest threshold reached, once per billing cycle."""
    events = []
    for member in members:
        limit = member.limit
        if limit is None:
            continue
        crossed = [t for t in thresholds if member.spend * 100 >= t * limit]
        if not crossed:
            continue
        top = max(crossed)
        group = {"resource": member.email}
        events.append(
            AlertEvent(
                id=event_id("budget", workspace_id, rule, group, member.cycle_start, top),
                kind="budget",
                workspace_id=workspace_id,
                rule=rule,
                group=group,
                period_start=member.cycle_start,
                period_end=member.cycle_end,
                amount=member.spend,
                message=(
                    f"{member.email} ({member.account}) has used ${member.spend:,.2f} of their "
                    f"${limit:,.2f} Cursor limit this billing cycle ({member.percent}%, alert "
                    f"at {top}%)"
                ),
                channels=channels,
                threshold=top,
                detail={"limit": str(limit), "account": member.account},
            )
        )
    return events
