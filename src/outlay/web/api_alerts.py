"""``/api/v1/alerts`` and ``/api/v1/anomalies``: the CLI's rules and anomalies, as JSON.

Same roles as reports: viewers read, editors create and remove rules and ignore anomalies.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from outlay.web.deps import ApiPrincipal, OutlayDep, Workspace

router = APIRouter(prefix="/api/v1")


class AlertRuleCreate(BaseModel):
    """A cost alert (``kind: cost``: interval and threshold needed) or an anomaly watch."""

    name: str = Field(min_length=1, max_length=100)
    kind: Literal["cost", "anomaly"]
    notify: list[str] = Field(min_length=1)
    interval: str | None = None
    threshold: str | None = Field(default=None, description="USD (500) or percent (25%).")
    filter: str | None = None
    group_by: list[str] = Field(default_factory=list)
    min_cost: str | None = None
    sensitivity: str = "medium"


class AnomalyIgnore(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.get("/alerts")
def list_alert_rules(
    outlay: OutlayDep, principal: ApiPrincipal, workspace: Workspace = None
) -> list[dict[str, Any]]:
    """The same rows as `outlay alerts list --format json`."""
    return [r.public() for r in outlay.alert_rule_list(principal, workspace)]


@router.post("/alerts", status_code=201)
def create_alert_rule(
    outlay: OutlayDep, principal: ApiPrincipal, body: AlertRuleCreate, workspace: Workspace = None
) -> dict[str, Any]:
    if body.kind == "cost":
        rule = outlay.add_cost_alert(
            body.name, interval=body.interval or "", threshold=body.threshold or "",
            notify=body.notify, filter=body.filter, group_by=body.group_by,
            min_cost=body.min_cost, principal=principal, workspace=workspace,
        )  # fmt: skip
    else:
        rule = outlay.add_anomaly_watch(
            body.name, sensitivity=body.sensitivity, notify=body.notify, filter=body.filter,
            group_by=body.group_by, min_cost=body.min_cost, principal=principal,
            workspace=workspace,
        )  # fmt: skip
    return rule.public()


@router.delete("/alerts/{name}", status_code=204)
def delete_alert_rule(
    outlay: OutlayDep, principal: ApiPrincipal, name: str, workspace: Workspace = None
) -> Response:
    outlay.remove_alert_rule(name, principal, workspace)
    return Response(status_code=204)


@router.get("/anomalies")
def list_anomalies(
    outlay: OutlayDep, principal: ApiPrincipal, workspace: Workspace = None,
    status: Annotated[str | None, Query(description="active, archived or ignored.")] = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The same rows as `outlay anomalies list --format json`."""
    return [a.to_data() for a in outlay.anomaly_list(status, principal, workspace)]


@router.post("/anomalies/{anomaly_id}/ignore")
def ignore_anomaly(
    outlay: OutlayDep, principal: ApiPrincipal, anomaly_id: int, body: AnomalyIgnore,
    workspace: Workspace = None,
) -> dict[str, Any]:  # fmt: skip
    return outlay.ignore_anomaly(anomaly_id, body.reason, principal, workspace).to_data()
