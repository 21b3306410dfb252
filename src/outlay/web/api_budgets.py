"""Budgets, Cursor member limits and report digests under ``/api/v1``: the documents of
``outlay budgets list --format json``, ``budgets limits`` and ``reports digests``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from outlay.alerts.budget import Budget, parse_amount, parse_months, parse_percents
from outlay.web.deps import ApiPrincipal, OutlayDep, Workspace

router = APIRouter(prefix="/api/v1")


class BudgetWrite(BaseModel):
    """A budget as created or replaced; money as decimal strings in USD."""

    name: str = Field(min_length=1, max_length=200)
    #: Monthly USD amount; null only with ``cursor_limit``.
    amount: str | None = Field(default=None, max_length=40)
    filter: str | None = Field(default=None, max_length=20_000)
    per: str | None = Field(default=None, max_length=200)
    alert_at: list[str] = Field(default_factory=lambda: ["80", "100"], max_length=20)
    forecast_alert: bool = False
    channels: list[str] = Field(default_factory=list, max_length=50)
    #: A different amount per period, keyed by the period's first month: {"2026-12": "5000"}.
    months: dict[str, str] = Field(default_factory=dict, max_length=120)
    cursor_limit: bool = False

    def budget(self) -> Budget:
        return Budget(
            name=self.name,
            amount=None if self.amount is None else parse_amount(self.amount),
            filter=self.filter or None,
            per=self.per or None,
            alert_at=parse_percents(",".join(self.alert_at)),
            forecast_alert=self.forecast_alert,
            channels=tuple(dict.fromkeys(self.channels)),
            months=parse_months([f"{m}={a}" for m, a in self.months.items()]),
            cursor_limit=self.cursor_limit,
        )


class DigestWrite(BaseModel):
    every: str = Field(max_length=10, description="day, week (Mondays) or month (the 2nd)")
    channels: list[str] = Field(min_length=1, max_length=50)


@router.get("/budgets")
def list_budgets(
    outlay: OutlayDep, principal: ApiPrincipal, workspace: Workspace = None
) -> list[dict[str, Any]]:
    """Every budget with its figures for the current period (``budgets list``'s rows)."""
    return [s.to_data() for s in outlay.budget_statuses(principal=principal, workspace=workspace)]


@router.post("/budgets", status_code=201)
def create_budget(
    outlay: OutlayDep, principal: ApiPrincipal, body: BudgetWrite, workspace: Workspace = None
) -> dict[str, Any]:
    budget = outlay.add_budget(body.budget(), principal=principal, workspace=workspace)
    return budget.to_data()


@router.get("/budgets/member-limits")
def member_limits(
    outlay: OutlayDep, principal: ApiPrincipal, workspace: Workspace = None
) -> list[dict[str, Any]]:
    """Each member's on-demand spend this billing cycle beside their Cursor limit."""
    found = outlay.member_limits(principal=principal, workspace=workspace)
    return [m.to_data() for m in found]


@router.put("/budgets/{name}")
def replace_budget(
    outlay: OutlayDep, principal: ApiPrincipal, name: str, body: BudgetWrite,
    workspace: Workspace = None,
) -> dict[str, Any]:  # fmt: skip
    """Replace budget ``name`` whole (a different ``name`` in the body renames it)."""
    budget = outlay.edit_budget(name, body.budget(), principal=principal, workspace=workspace)
    return budget.to_data()


@router.delete("/budgets/{name}", status_code=204)
def delete_budget(
    outlay: OutlayDep, principal: ApiPrincipal, name: str, workspace: Workspace = None
) -> Response:
    outlay.remove_budget(name, principal=principal, workspace=workspace)
    return Response(status_code=204)


@router.get("/digests")
def list_digests(
    outlay: OutlayDep, principal: ApiPrincipal, workspace: Workspace = None
) -> list[dict[str, Any]]:
    return [
        {"report": d.report, "every": d.every, "channels": list(d.channels)}
        for d in outlay.digests(principal=principal, workspace=workspace)
    ]


@router.put("/reports/{name}/digest")
def set_digest(
    outlay: OutlayDep, principal: ApiPrincipal, name: str, body: DigestWrite,
    workspace: Workspace = None,
) -> dict[str, Any]:  # fmt: skip
    """Send saved report ``name`` every day, week or month to channels."""
    digest = outlay.set_digest(
        name, body.every, tuple(dict.fromkeys(body.channels)), principal=principal,
        workspace=workspace,
    )  # fmt: skip
    return {"report": digest.report, "every": digest.every, "channels": list(digest.channels)}


@router.delete("/reports/{name}/digest", status_code=204)
def delete_digest(
    outlay: OutlayDep, principal: ApiPrincipal, name: str, workspace: Workspace = None
) -> Response:
    outlay.remove_digest(name, principal=principal, workspace=workspace)
    return Response(status_code=204)
