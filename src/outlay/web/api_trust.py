"""``/api/v1/reconcile`` and ``/api/v1/completeness``: the CLI's JSON, for whoever may read."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from outlay.reconcile.spend import document
from outlay.web.deps import ApiPrincipal, OutlayDep

router = APIRouter(prefix="/api/v1")
Account = Annotated[str | None, Query(description="One account (default: all you can see).")]


@router.get("/reconcile")
def reconcile(
    outlay: OutlayDep, principal: ApiPrincipal, account: Account = None,
    cycle: Annotated[str, Query(description="current or previous billing cycle.")] = "current",
) -> dict[str, Any]:  # fmt: skip
    """The same document as `outlay reconcile --format json`."""
    reconciled, unavailable = outlay.reconcile(account, cycle, principal)
    return document(reconciled, unavailable)


@router.get("/completeness")
def completeness(
    outlay: OutlayDep, principal: ApiPrincipal, account: Account = None,
    start: Annotated[date | None, Query(description="First UTC day.")] = None,
    end: Annotated[date | None, Query(description="Last UTC day (default today).")] = None,
) -> dict[str, Any]:  # fmt: skip
    """The same document as `outlay completeness --format json`."""
    days = outlay.completeness(account, start, end, principal)
    return {"days": [d.to_data() for d in days]}
