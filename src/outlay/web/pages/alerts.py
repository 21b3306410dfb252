"""Alerts (rules and a create form) and Anomalies (a list, and one anomaly's chart)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from outlay.access import Action
from outlay.alerts.anomaly import SENSITIVITY
from outlay.alerts.anomaly_life import STATUSES
from outlay.alerts.cost_alert import INTERVALS, report_path
from outlay.web.deps import CheckedSession, OutlayDep, Session
from outlay.web.pages.common import redirect, render, visible_workspaces, workspace_name

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


@router.get("/alerts")
def alerts_page(
    request: Request, session: Session, outlay: OutlayDep, workspace: str = ""
) -> HTMLResponse:
    principal = session.principal
    space = workspace_name(outlay, principal, workspace)
    rules = [r.public() for r in outlay.alert_rule_list(principal, space)]
    channels = [c["name"] for c in outlay.channels(principal, space)]
    return render(
        request, "alerts.html", session, rules=rules, workspace=space, channels=channels,
        workspaces=visible_workspaces(outlay, principal), can_edit=principal.can(Action.EDIT),
        intervals=INTERVALS, sensitivities=tuple(SENSITIVITY),
    )  # fmt: skip


@router.post("/alerts/create")
def create_rule(
    session: CheckedSession, outlay: OutlayDep, workspace: Text = "", kind: Text = "cost",
    name: Text = "", interval: Text = "", threshold: Text = "", filter: Text = "",
    group_by: Text = "", min_cost: Text = "", sensitivity: Text = "medium", notify: Text = "",
) -> Response:  # fmt: skip
    principal = session.principal
    space = workspace_name(outlay, principal, workspace)
    if kind == "anomaly":
        outlay.add_anomaly_watch(
            name, sensitivity=sensitivity, principal=principal, workspace=space,
            notify=_names(notify), filter=filter or None, group_by=_names(group_by),
            min_cost=min_cost or None,
        )  # fmt: skip
    else:
        outlay.add_cost_alert(
            name, interval=interval, threshold=threshold, principal=principal, workspace=space,
            notify=_names(notify), filter=filter or None, group_by=_names(group_by),
            min_cost=min_cost or None,
        )  # fmt: skip
    return redirect("/alerts", workspace=space)


@router.post("/alerts/remove")
def remove_rule(
    session: CheckedSession, outlay: OutlayDep, workspace: Text = "", name: Text = ""
) -> Response:
    space = workspace_name(outlay, session.principal, workspace)
    outlay.remove_alert_rule(name, session.principal, space)
    return redirect("/alerts", workspace=space)


@router.get("/anomalies")
def anomalies_page(
    request: Request, session: Session, outlay: OutlayDep, workspace: str = "", status: str = ""
) -> HTMLResponse:
    principal = session.principal
    space = workspace_name(outlay, principal, workspace)
    found = outlay.anomaly_list(status or None, principal, space)
    return render(
        request, "anomalies.html", session, anomalies=[a.to_data() for a in found],
        workspace=space, status=status, statuses=STATUSES,
        workspaces=visible_workspaces(outlay, principal),
    )  # fmt: skip


@router.get("/anomalies/{anomaly_id}")
def anomaly_page(
    request: Request, session: Session, outlay: OutlayDep, anomaly_id: int, workspace: str = ""
) -> HTMLResponse:
    principal = session.principal
    space = workspace_name(outlay, principal, workspace)
    chart = outlay.anomaly_chart(anomaly_id, principal, space)
    a = chart.anomaly
    report = report_path(a.group, None, a.first_day - timedelta(days=27), a.last_day)
    return render(
        request, "anomaly.html", session, anomaly=a.to_data(), points=chart.points,
        workspace=space, report=f"{report}&{urlencode({'workspace': space})}",
        can_edit=principal.can(Action.EDIT),
    )  # fmt: skip


@router.post("/anomalies/{anomaly_id}/ignore")
def ignore_anomaly(
    session: CheckedSession, outlay: OutlayDep, anomaly_id: int, workspace: Text = "",
    reason: Text = "",
) -> Response:  # fmt: skip
    space = workspace_name(outlay, session.principal, workspace)
    outlay.ignore_anomaly(anomaly_id, reason, session.principal, space)
    return redirect(f"/anomalies/{anomaly_id}", workspace=space)
