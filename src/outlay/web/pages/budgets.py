"""Budgets: each with its actual and forecast against the amount, per-group rows, a create and
edit form, and Cursor's member limits beside each member's spend."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from outlay.access import Action
from outlay.alerts.budget import Budget, parse_amount, parse_months, parse_percents
from outlay.errors import OutlayError
from outlay.report.dimensions import BASE_DIMENSIONS
from outlay.service import Outlay
from outlay.web.deps import (
    CheckedSession,
    OutlayDep,
    Session,
    SessionAuth,
    form_text,
    get_outlay,
    shows_errors_on,
    signed_in,
)
from outlay.web.pages.common import (
    notice_of,
    redirect,
    render,
    visible_workspaces,
    workspace_name,
)

router = APIRouter(include_in_schema=False)
FORM_FIELDS = ("name", "amount", "filter", "per", "alert_at", "notify", "months", "original")
#: Groups shown per budget; the API and the CLI's JSON have them all.
MAX_GROUP_ROWS = 50


def _bars(row: dict[str, Any]) -> dict[str, Any]:
    """What the page's meters need: one scale for actual and forecast, the amount marked."""
    amount = Decimal(row["amount"]) if row.get("amount") else None
    actual = Decimal(row.get("actual") or 0)
    forecast = Decimal(row.get("forecast") or 0)
    scale = max(amount or 0, actual, forecast) or Decimal(1)
    return {**row, "scale": str(scale), "warn": str((amount or scale) * Decimal("0.8"))}


def budgets_page(
    request: Request, session: SessionAuth, outlay: Outlay, workspace: str | None,
    status: int = 200, **extra: Any,
) -> HTMLResponse:  # fmt: skip
    space = workspace_name(outlay, session.principal, workspace)
    statuses = outlay.budget_statuses(principal=session.principal, workspace=space)
    rows = [s.to_data() for s in statuses]
    for row in rows:
        row["groups"] = [_bars(g) for g in row.get("groups", [])[:MAX_GROUP_ROWS]]
    definitions = {s.budget.name: s.budget for s in statuses}  # no second read of the budgets
    return render(
        request, "budgets.html", session, status, workspace=space,
        workspaces=visible_workspaces(outlay, session.principal),
        budgets=[_bars(r) for r in rows], definitions=definitions,
        limits=[m.to_data() for m in outlay.member_limits(principal=session.principal,
                                                           workspace=space)],
        can_edit=session.principal.can(Action.EDIT), dimensions=BASE_DIMENSIONS,
        notice=notice_of(request),
        editing=_editing(definitions, request.query_params.get("edit", "")),
        **extra,
    )  # fmt: skip


def _editing(definitions: dict[str, Budget], name: str) -> dict[str, str]:
    """The form's values: the budget being edited, else empty."""
    budget = definitions.get(name)
    if budget is None:
        return {}
    return {
        "original": budget.name, "name": budget.name,
        "amount": "" if budget.amount is None else str(budget.amount),
        "filter": budget.filter or "", "per": budget.per or "",
        "alert_at": ",".join(str(t) for t in budget.alert_at),
        "notify": ",".join(budget.channels),
        "months": ", ".join(f"{m}={a}" for m, a in budget.months),
        "forecast_alert": "on" if budget.forecast_alert else "",
        "cursor_limit": "on" if budget.cursor_limit else "",
    }  # fmt: skip


@router.get("/budgets")
def budgets(
    request: Request, session: Session, outlay: OutlayDep, workspace: str = ""
) -> HTMLResponse:
    return budgets_page(request, session, outlay, workspace or None)


def _form_problem(request: Request, exc: OutlayError) -> Response:
    typed = {name: form_text(request, name) for name in FORM_FIELDS}
    typed["forecast_alert"] = form_text(request, "forecast_alert")
    typed["cursor_limit"] = form_text(request, "cursor_limit")
    return budgets_page(
        request, signed_in(request), get_outlay(request), form_text(request, "workspace") or None,
        exc.status, form_error=str(exc), typed=typed,
    )  # fmt: skip


@router.post("/budgets/save", dependencies=[shows_errors_on(_form_problem)])
def save_budget(
    session: CheckedSession, outlay: OutlayDep,
    name: Annotated[str, Form()] = "", amount: Annotated[str, Form()] = "",
    filter: Annotated[str, Form()] = "", per: Annotated[str, Form()] = "",
    alert_at: Annotated[str, Form()] = "80,100", notify: Annotated[str, Form()] = "",
    months: Annotated[str, Form()] = "", forecast_alert: Annotated[str, Form()] = "",
    cursor_limit: Annotated[str, Form()] = "", original: Annotated[str, Form()] = "",
    workspace: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Create a budget, or with ``original`` replace that one."""
    limit = bool(cursor_limit)
    budget = Budget(
        name=name,
        amount=None if limit and not amount.strip() else parse_amount(amount),
        filter=filter.strip() or None,
        per=per.strip() or None,
        alert_at=parse_percents(alert_at),
        forecast_alert=bool(forecast_alert),
        channels=tuple(dict.fromkeys(c.strip() for c in notify.split(",") if c.strip())),
        months=parse_months([m.strip() for m in months.split(",") if m.strip()]),
        cursor_limit=limit,
    )
    space = workspace or None
    if original:
        outlay.edit_budget(original, budget, principal=session.principal, workspace=space)
    else:
        outlay.add_budget(budget, principal=session.principal, workspace=space)
    return redirect("/budgets", notice="budget_saved", name=budget.name, workspace=workspace)


@router.post("/budgets/remove")
def remove_budget(
    session: CheckedSession, outlay: OutlayDep, name: Annotated[str, Form()] = "",
    workspace: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    outlay.remove_budget(name, principal=session.principal, workspace=workspace or None)
    return redirect("/budgets", notice="budget_removed", name=name, workspace=workspace)
