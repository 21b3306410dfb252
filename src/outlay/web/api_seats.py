"""Seat prices under ``/api/v1``: read and set what an account's seats cost."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from outlay.service.seats import SeatSummary
from outlay.web.deps import ApiPrincipal, OutlayDep

router = APIRouter(prefix="/api/v1")


class SeatPriceSet(BaseModel):
    #: USD per member per month as a decimal string; null (and no preset) turns seats off.
    price: str | None = Field(default=None, max_length=40)
    preset: str | None = Field(default=None, max_length=40)


def _data(summary: SeatSummary) -> dict[str, Any]:
    """Money as exact decimal strings, like every other amount of the API."""
    return {
        "account": summary.account,
        "price": None if summary.price is None else str(summary.price),
        "preset": summary.preset,
        "seats": summary.seats,
        "monthly": None if summary.monthly is None else str(summary.monthly),
    }


@router.get("/accounts/{name}/seats")
def seats(outlay: OutlayDep, principal: ApiPrincipal, name: str) -> dict[str, Any]:
    """The account's seat price (null: seats off), seats on the newest member list, and the
    monthly seat cost they make."""
    return _data(outlay.seat_summary(name, principal))


@router.put("/accounts/{name}/seats")
def set_seats(
    outlay: OutlayDep, principal: ApiPrincipal, name: str, body: SeatPriceSet
) -> dict[str, Any]:
    """Set the seat price (``price`` or a ``preset``), or turn seats off with neither; the
    account's seat cost rows are regenerated at once."""
    return _data(outlay.set_seat_price(name, body.price, preset=body.preset, principal=principal))
