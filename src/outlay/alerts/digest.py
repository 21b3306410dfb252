"""Report digests: a saved report delivered every day, week (Mondays) or month (the 2nd), as
Vantage schedules its report notifications. Pure: when one is due, and the event that carries
its total, its change against the previous period, the top movers and its rows.

A digest is due once per period, on or after its day; one created after this period's day
waits for the next (a Wednesday's weekly digest is first sent the next Monday).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from outlay.alerts.event import AlertEvent, event_id
from outlay.alerts.text import usd
from outlay.errors import InputError
from outlay.report.intervals import months_before
from outlay.report.run import ReportResult

EVERY = ("day", "week", "month")
#: Day of the month a monthly digest goes out (Vantage's: the 2nd, once the 1st is complete).
MONTH_DAY = 2
MOVERS = 5
MAX_ROWS = 20
_LABEL = {"day": "Daily", "week": "Weekly", "month": "Monthly"}


def check_every(every: str) -> str:
    if every not in EVERY:
        raise InputError(
            f"unknown digest schedule {every!r}; use one of {', '.join(EVERY)}", field="every"
        )
    return every


def due_day(every: str, today: date) -> date:
    """The latest scheduled day on or before ``today``."""
    if every == "day":
        return today
    if every == "week":
        return today - timedelta(days=today.weekday())
    this_month = today.replace(day=MONTH_DAY)
    return this_month if today >= this_month else months_before(this_month, 1)


def _number(value: Any) -> str:
    return format(Decimal(value), "f")


def _label(key: dict[str, Any]) -> str:
    return " · ".join("(none)" if v in (None, "") else str(v) for v in key.values()) or "Total"


def digest_detail(name: str, result: ReportResult) -> dict[str, Any]:
    """The event's ``detail``: what a channel renders (money as decimal strings)."""
    total = result.total if result.total is not None else 0
    previous, change = result.previous_total, result.change_pct
    moved = [g for g in result.group_totals if g.change is not None and not g.other]
    moved.sort(key=lambda g: (-abs(Decimal(g.change or 0)), _label(g.key)))
    grouped = bool(result.spec.group_by)
    rows = [[_label(g.key), _number(g.total)] for g in result.group_totals[:MAX_ROWS]]
    return {
        "report": name,
        "total": _number(total),
        "previous": None if previous is None else _number(previous),
        "change_pct": None if change is None else _number(change.quantize(Decimal("0.1"))),
        "movers": [
            {"group": _label(g.key), "amount": _number(g.total), "change": _number(g.change or 0)}
            for g in (moved[:MOVERS] if grouped else [])
        ],
        "rows": rows if grouped else [["Total", _number(total)]],
    }


def digest_id(workspace_id: int, name: str, every: str, due: date) -> str:
    return event_id("digest", workspace_id, name, {}, due, every)


def digest_event(
    workspace_id: int, name: str, every: str, channels: tuple[str, ...], due: date,
    result: ReportResult,
) -> AlertEvent:  # fmt: skip
    """The digest of ``result`` for the period starting on ``due``; its id names the report,
    the schedule and that day, so each period is sent once."""
    detail = digest_detail(name, result)
    total = Decimal(detail["total"])
    change = detail["change_pct"]
    against = (
        f", {'+' if Decimal(change) >= 0 else ''}{change}% against the previous period "
        f"({usd(Decimal(detail['previous']))})"
        if change is not None and detail["previous"] is not None
        else ""
    )
    mover = detail["movers"][0] if detail["movers"] else None
    moved = (
        f"; top mover {mover['group']} ({'+' if Decimal(mover['change']) >= 0 else '-'}"
        f"{usd(abs(Decimal(mover['change'])))})"
        if mover
        else ""
    )
    return AlertEvent(
        id=digest_id(workspace_id, name, every, due),
        kind="digest",
        workspace_id=workspace_id,
        rule=name,
        group={},
        period_start=result.start,
        period_end=result.end,
        amount=total,
        message=(
            f"{_LABEL[every]} digest of {name!r} for {result.start}–{result.end}: "
            f"{usd(total)}{against}{moved}"
        ),
        channels=channels,
        detail={**detail, "every": every, "due": due.isoformat()},
    )
