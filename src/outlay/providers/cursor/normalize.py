"""Cursor usage events → cost rows. Pure: payload in, Arrow table out; no clock, no I/O.

One event becomes one row per token type it used (``input``, ``output``, ``cache_write``,
``cache_read``) plus a ``cursor_token_fee`` row when it paid the Cursor Token Rate; a
request-based event becomes one ``Requests`` row. The event's charged cost is apportioned across
its token rows by ``tokens × list price`` (see ``prices.py``) with the largest-remainder method in
integer money units, so the rows of an event always sum to its ``chargedCents`` to the last unit.

Measures per row: ``cost`` = charged, ``billed_cost`` = charged where the event is chargeable
(``isChargeable``; when absent, ``kind == "Usage-based"``), ``list_cost`` = ``totalCents`` +
fee before discount (charged when ``totalCents`` is absent), apportioned the same way.
Usage: tokens of that type (the fee row carries 0: its tokens are already counted), or
``requestsCosts`` for request rows. ``event_count`` is 1 on the first row of each event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

import pyarrow as pa

from outlay.costrows import (
    MONEY_TYPE,
    SCHEMA,
    USAGE_TYPE,
    cents_to_units,
    fixed_point_array,
    usage_units,
)
from outlay.providers.cursor.models import UsageEvent
from outlay.providers.cursor.prices import TOKEN_TYPES, PriceTable

PROVIDER = "cursor"
CHARGE_TYPE = "Usage"
FEE_TYPE = "cursor_token_fee"
TOKENS, REQUESTS = "Tokens", "Requests"
_USAGE_BASED = "Usage-based"
_ONE_TOKEN = 10**6  # usage units per token (USAGE_SCALE decimals)
_PRICE_SCALE = Decimal(10) ** 4


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split integer ``total`` in proportion to ``weights``; the parts sum to ``total`` exactly.

    Largest remainder: each part gets the floor of its share, then the units left over go one
    each to the largest remainders (earlier position first on ties). Weights must not all be 0.
    """
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    whole = sum(weights)
    parts = [magnitude * w // whole for w in weights]
    left = magnitude - sum(parts)
    if left:
        order = sorted(range(len(weights)), key=lambda i: (-(magnitude * weights[i] % whole), i))
        for i in order[:left]:
            parts[i] += 1
    return [sign * p for p in parts]


class _Columns:
    """Event-level columns (one entry per event) and row-level columns (one per cost row)."""

    def __init__(self) -> None:
        self.event_cols: dict[str, list[object]] = {
            name: []
            for name in (
                "ts", "service", "category", "subcategory", "resource", "resource_name",
                "max_mode", "headless", "service_account", "cloud_agent", "automation",
            )
        }  # fmt: skip
        self.row_event: list[int] = []
        self.token_type: list[str | None] = []
        self.cost: list[int] = []
        self.billed: list[int] = []
        self.list_cost: list[int] = []
        self.usage: list[int] = []
        self.unit: list[str] = []
        self.first: list[int] = []

    def add_row(
        self, token_type: str | None, cost: int, billed: int, listed: int, usage: int, unit: str
    ) -> None:
        self.row_event.append(len(self.event_cols["ts"]) - 1)
        self.first.append(1 if not self.first or self.row_event[-1] != self.row_event[-2] else 0)
        self.token_type.append(token_type)
        self.cost.append(cost)
        self.billed.append(billed)
        self.list_cost.append(listed)
        self.usage.append(usage)
        self.unit.append(unit)


def normalize_events(
    events: Iterable[UsageEvent],
    *,
    account: str,
    member_names: Mapping[str, str],
    prices: PriceTable,
) -> pa.Table:
    """Cost rows (``costrows.SCHEMA``) for ``events`` of one Cursor account."""
    cols = _Columns()
    weights_of: dict[str, tuple[int, ...]] = {}
    for event in events:
        _add_event(cols, event, member_names, prices, weights_of)
    return _to_table(cols, account)


def _add_event(
    cols: _Columns,
    event: UsageEvent,
    member_names: Mapping[str, str],
    prices: PriceTable,
    weights_of: dict[str, tuple[int, ...]],
) -> None:
    model = event.model or ""
    kind = event.kind or ""
    usage = event.tokenUsage
    fee = cents_to_units(event.cursorTokenFee) if event.cursorTokenFee else 0
    charged = _charged_units(event, fee)
    chargeable = event.isChargeable if event.isChargeable is not None else kind == _USAGE_BASED
    listed = (
        cents_to_units(usage.totalCents) + fee
        if usage and usage.totalCents is not None
        else charged
    )
    token_based = (
        event.isTokenBasedCall if event.isTokenBasedCall is not None else usage is not None
    )
    account_id = (
        event.serviceAccountId if event.serviceAccountId not in (None, "null", "") else None
    )
    resource = event.userEmail or event.serviceAccountName or account_id or ""

    ev = cols.event_cols
    ev["ts"].append(event.timestamp)
    ev["service"].append(model)
    ev["category"].append(TOKENS if token_based else REQUESTS)
    ev["subcategory"].append(kind)
    ev["resource"].append(resource)
    ev["resource_name"].append(member_names.get(resource) or event.serviceAccountName or None)
    ev["max_mode"].append(bool(event.maxMode))
    ev["headless"].append(bool(event.isHeadless))
    ev["service_account"].append(event.serviceAccountName or account_id)
    ev["cloud_agent"].append(event.cloudAgentId or None)
    ev["automation"].append(event.automationId or None)

    if not token_based:
        amount = usage_units(event.requestsCosts) if event.requestsCosts is not None else 0
        cols.add_row(None, charged, charged if chargeable else 0, listed, amount, "requests")
        return

    # The fee is its own row; the rest of the charge is the model's, split by token type.
    if fee > 0:
        fee = min(fee, max(charged, 0))
    model_cost, model_list = charged - fee, listed - fee
    tokens = (
        (usage.inputTokens or 0, usage.outputTokens or 0,
         usage.cacheWriteTokens or 0, usage.cacheReadTokens or 0)
        if usage else (0, 0, 0, 0)
    )  # fmt: skip
    weights = weights_of.get(model)
    if weights is None:
        price = prices.price(model)
        weights = tuple(int(price.for_type(t) * _PRICE_SCALE) for t in TOKEN_TYPES)
        weights_of[model] = weights
    shares = [n * w for n, w in zip(tokens, weights, strict=True)]
    if any(shares):
        costs = apportion(model_cost, shares)
        lists = apportion(model_list, shares)
        for i, token_type in enumerate(TOKEN_TYPES):
            if tokens[i] or costs[i] or lists[i]:
                billed = costs[i] if chargeable else 0
                cols.add_row(
                    token_type, costs[i], billed, lists[i], tokens[i] * _ONE_TOKEN, "tokens"
                )
    elif model_cost or model_list or not fee:
        # No tokens to split by (tokenUsage missing or all zero): one row without a token type.
        cols.add_row(None, model_cost, model_cost if chargeable else 0, model_list, 0, "tokens")
    if fee:
        cols.add_row(FEE_TYPE, fee, fee if chargeable else 0, fee, 0, "tokens")


def _charged_units(event: UsageEvent, fee: int) -> int:
    if event.chargedCents is not None:
        return cents_to_units(event.chargedCents)
    # Events older than chargedCents: the contract's identity, total × (1 − discount) + fee.
    usage = event.tokenUsage
    if usage is None or usage.totalCents is None:
        return fee
    discount = usage.discountPercentOff or Decimal(0)
    return cents_to_units(usage.totalCents * (1 - discount / 100)) + fee


def _to_table(cols: _Columns, account: str) -> pa.Table:
    n_rows = len(cols.row_event)
    ev = cols.event_cols
    event_table = pa.table(
        {
            "ts": pa.array(ev["ts"], pa.int64()).cast(pa.timestamp("ms")),
            **{name: pa.array(ev[name], SCHEMA.field(name).type) for name in ev if name != "ts"},
        }
    )
    expanded = event_table.take(pa.array(cols.row_event, pa.int32()))
    columns = {
        "provider": pa.array([PROVIDER] * n_rows, pa.string()),
        "account": pa.array([account] * n_rows, pa.string()),
        "charge_type": pa.array([CHARGE_TYPE] * n_rows, pa.string()),
        "token_type": pa.array(cols.token_type, pa.string()),
        "cost": fixed_point_array(cols.cost, MONEY_TYPE),
        "billed_cost": fixed_point_array(cols.billed, MONEY_TYPE),
        "list_cost": fixed_point_array(cols.list_cost, MONEY_TYPE),
        "usage_amount": fixed_point_array(cols.usage, USAGE_TYPE),
        "usage_unit": pa.array(cols.unit, pa.string()),
        "event_count": pa.array(cols.first, pa.int8()),
    }
    arrays = [expanded.column(name) if name in ev else columns[name] for name in SCHEMA.names]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)
