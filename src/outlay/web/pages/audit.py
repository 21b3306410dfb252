"""The audit log page (owners): who changed what, filtered by actor, action and date, paged."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from outlay.access import Action
from outlay.report.options import parse_day
from outlay.store.audit import AuditQuery
from outlay.web.deps import OutlayDep, Session
from outlay.web.pages.common import render

router = APIRouter(include_in_schema=False)
PAGE_ROWS = 50
Text = Annotated[str, Query()]


def _day(text: str, field: str) -> datetime | None:
    return datetime.combine(parse_day(text, field), time()) if text.strip() else None


def _after(day: datetime | None) -> datetime | None:
    """The end of ``day`` (its next midnight), or None for the last day a datetime holds."""
    return day + timedelta(days=1) if day and day < datetime.max - timedelta(days=1) else None


def _id(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 19 else None


@router.get("/audit")
def audit_log(
    request: Request, session: Session, outlay: OutlayDep, actor: Text = "", action: Text = "",
    since: Text = "", until: Text = "", before: Text = "",
) -> HTMLResponse:  # fmt: skip
    session.principal.require(Action.OWN)
    end = _day(until, "until")
    query = AuditQuery(
        since=_day(since, "since"), until=_after(end), actor=actor.strip() or None,
        action=action.strip() or None, before_id=_id(before), limit=PAGE_ROWS + 1,
    )  # fmt: skip
    entries = outlay.audit(query, session.principal)
    more = len(entries) > PAGE_ROWS
    entries = entries[:PAGE_ROWS]
    filters = {"actor": actor, "action": action, "since": since, "until": until}
    return render(request, "audit.html", session, entries=entries, filters=filters,
                  older=entries[-1].id if more else None)  # fmt: skip
