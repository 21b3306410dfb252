"""Integrations → an account's reconciliation with Cursor's spend, and its completeness calendar."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from outlay.errors import InputError
from outlay.reconcile.completeness import DayStatus
from outlay.report.options import parse_day
from outlay.report.spec import FIRST_DAY, LAST_DAY
from outlay.web.deps import OutlayDep, Session
from outlay.web.pages.common import render

router = APIRouter(include_in_schema=False)
CALENDAR_DAYS = 91  # thirteen weeks


@router.get("/integrations/reconciliation")
def reconciliation(
    request: Request, session: Session, outlay: OutlayDep, account: str = "",
    cycle: str = "current",
) -> HTMLResponse:  # fmt: skip
    found = outlay.account(account, session.principal)
    reconciled, unavailable = outlay.reconcile(found.name, cycle, session.principal)
    return render(
        request, "reconciliation.html", session, account=found, cycle=cycle,
        result=reconciled[0] if reconciled else None,
        reason=unavailable[0]["reason"] if unavailable else None,
    )  # fmt: skip


@router.get("/integrations/completeness")
def completeness(
    request: Request, session: Session, outlay: OutlayDep, account: str = "", end: str = ""
) -> HTMLResponse:
    found = outlay.account(account, session.principal)
    last = min(_day(end), outlay.today()) if end else outlay.today()
    first = last - timedelta(days=CALENDAR_DAYS - 1)
    days = outlay.completeness(found.name, first, last, session.principal)
    through = outlay.complete_through(session.principal).get(found.name)
    return render(
        request, "completeness.html", session, account=found, weeks=_weeks(first, last, days),
        through=through, counts=_counts(days), earlier=(first - timedelta(days=1)).isoformat(),
        later=(last + timedelta(days=CALENDAR_DAYS)).isoformat() if last < outlay.today() else None,
    )  # fmt: skip


def _day(text: str) -> date:
    day = parse_day(text, "end")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(f"end {day} is out of range; use a day from {FIRST_DAY} to {LAST_DAY}")
    return day


def _weeks(first: date, last: date, days: list[DayStatus]) -> list[list[dict[str, Any] | None]]:
    """Monday-first weeks of cells; None pads the edges, status "none": not imported."""
    known = {d.day: d.to_data() for d in days}
    start = first - timedelta(days=first.weekday())
    weeks: list[list[dict[str, Any] | None]] = []
    day = start
    while day <= last:
        week: list[dict[str, Any] | None] = []
        for _ in range(7):
            inside = first <= day <= last
            week.append(
                known.get(day, {"date": day.isoformat(), "status": "none"}) if inside else None
            )
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


def _counts(days: list[DayStatus]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in days:
        counts[d.status] = counts.get(d.status, 0) + 1
    return counts
