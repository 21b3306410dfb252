"""What one event costs, in integer micro-cents, by the contract's arithmetic (§5.3):

    totalCents   = Σ tokens × list price           (before fee and discount)
    fee          = $0.25 per 1M tokens, third-party models only (``cursorTokenFee``)
    chargedCents = totalCents × (1 − discount/100) + fee, rounded half-even to 6 decimals

Legacy request-based events cost about 4 cents a request instead. Late revisions scale total
and fee and recompute the charge, so the identity above holds on every event, always.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from outlay.testing.cursor_fake import catalog
from outlay.testing.cursor_fake.money import (
    FEE_MICRO_PER_TOKEN,
    MICRO,
    div_half_even,
    price_units,
    scale_micro,
)

CENTS_PER_REQUEST = 4  # legacy plans: about $0.04 per request
_MICRO_PER_REQUEST_UNIT = 4 * MICRO // 10  # requestsCosts in tenths of a ~4-cent request


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    units: tuple[int, int, int, int]  # input, output, cache write, cache read; price = unit/divisor
    divisor: int
    first_party: bool  # Cursor's own models pay no token fee


@dataclass(frozen=True, slots=True)
class Revision:
    """A late cost adjustment: events with since_ms ≤ timestamp ≤ until_ms scale by factor."""

    since_ms: int
    until_ms: int
    factor: Decimal


def model_infos() -> tuple[ModelInfo, ...]:
    """The catalog's models with the fake's own list prices as exact integers."""
    infos = []
    for name, _ in catalog.MODEL_MIX:
        p = catalog.LIST_PRICES[name]
        (ui, uo, uw, ur), divisor = price_units((p.input, p.output, p.cache_write, p.cache_read))
        infos.append(ModelInfo(name, (ui, uo, uw, ur), divisor, p.first_party))
    return tuple(infos)


def list_cost(info: ModelInfo, tin: int, tout: int, twrite: int, tread: int) -> int:
    """``tokenUsage.totalCents`` in micro-cents: tokens × USD/1M × 100 cents, exactly rounded."""
    ui, uo, uw, ur = info.units
    return div_half_even((tin * ui + tout * uo + twrite * uw + tread * ur) * 100, info.divisor)


def token_fee(info: ModelInfo, tokens: int) -> int:
    return 0 if info.first_party else tokens * FEE_MICRO_PER_TOKEN


def charged(total: int, discount: int, fee: int) -> int:
    """chargedCents = totalCents × (1 − discount/100) + fee, as one rounding of the exact sum."""
    return div_half_even(total * (100 - discount) + fee * 100, 100)


def request_units_text(total: int) -> str:
    """``requestsCosts`` of a token-based event: its list cost in ~4-cent requests, 1 decimal."""
    tenths = div_half_even(total, _MICRO_PER_REQUEST_UNIT)
    whole, tenth = divmod(tenths, 10)
    return f"{whole}.{tenth}" if tenth else str(whole)


def revise(
    revisions: Sequence[Revision],
    t: int,
    legacy: bool,
    total: int,
    fee: int,
    charge: int,
    discount: int,
) -> tuple[int, int, int]:
    """(total, fee, charged) after every revision covering timestamp ``t``, applied in order."""
    for rev in revisions:
        if not rev.since_ms <= t <= rev.until_ms:
            continue
        total = scale_micro(total, rev.factor)
        if legacy:
            charge = scale_micro(charge, rev.factor)
        else:
            fee = scale_micro(fee, rev.factor)
            charge = charged(total, discount, fee)
    return total, fee, charge
