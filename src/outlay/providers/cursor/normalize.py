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
from outlay.providers.cursor.models import TokenUsage, UsageEvent
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


_EVENT_COLUMNS = (
    "ts", "service", "category", "subcategory", "resource", "resource_name",
    "max_mode", "headless", "service_account", "cloud_agent", "automation",
)  # fmt: skip
#: A cost row before expansion: event index, first row of its event, token type, cost,
#: billed cost, list cost (money units), usage amount (usage units), usage unit.
Row = tuple[int, int, str | None, int, int, int, int, str]


def normalize_events(
    events: Iterable[UsageEvent],
    *,
    account: str,
    member_names: Mapping[str, str],
    prices: PriceTable,
) -> pa.Table:
    """Cost rows (``costrows.SCHEMA``) for ``events`` of one Cursor account."""
    per_event: list[tuple[object, ...]] = []
    rows: list[Row] = []
    weights_of: dict[str, tuple[int, ...]] = {}
    for index, event in enumerate(events):
        per_event.append(_event_values(event, member_names))
        weights = weights_of.get(event.get("model") or "")
        if weights is None:
            weights = weights_of[event.get("model") or ""] = _weights(prices, event)
        _add_rows(rows, index, event, weights)
    return _to_table(per_event, rows, account)


def _weights(prices: PriceTable, event: UsageEvent) -> tuple[int, ...]:
    price = prices.price(event.get("model") or "")
    return tuple(int(price.for_type(t) * _PRICE_SCALE) for t in TOKEN_TYPES)


def _event_values(event: UsageEvent, member_names: Mapping[str, str]) -> tuple[object, ...]:
    """The values of ``_EVENT_COLUMNS``, shared by all rows of the event."""
    account_name = event.get("serviceAccountName")
    account_id = event.get("serviceAccountId")
    if account_id in ("null", ""):  # Cursor sends the string "null" for "no service account"
        account_id = None
    resource = event.get("userEmail") or account_name or account_id or ""
    return (
        event["timestamp"],
        event.get("model") or "",
        TOKENS if _token_based(event) else REQUESTS,
        event.get("kind") or "",
        resource,
        member_names.get(resource) or account_name or None,
        bool(event.get("maxMode")),
        bool(event.get("isHeadless")),
        account_name or account_id,
        event.get("cloudAgentId") or None,
        event.get("automationId") or None,
    )


def _token_based(event: UsageEvent) -> bool:
    flag = event.get("isTokenBasedCall")
    return flag if flag is not None else event.get("tokenUsage") is not None


def _add_rows(rows: list[Row], index: int, event: UsageEvent, weights: tuple[int, ...]) -> None:
    usage: TokenUsage = event.get("tokenUsage") or {}
    fee_cents = event.get("cursorTokenFee")
    fee = cents_to_units(fee_cents) if fee_cents else 0
    charged = _charged_units(event, fee)
    chargeable = event.get("isChargeable")
    if chargeable is None:
        chargeable = event.get("kind") == _USAGE_BASED
    total_cents = usage.get("totalCents")
    listed = cents_to_units(total_cents) + fee if total_cents is not None else charged

    if not _token_based(event):
        requests = event.get("requestsCosts")
        amount = usage_units(requests) if requests is not None else 0
        billed = charged if chargeable else 0
        rows.append((index, 1, None, charged, billed, listed, amount, "requests"))
        return

    # The fee is its own row; the rest of the charge is the model's, split by token type.
    if fee > 0:
        fee = min(fee, max(charged, 0))
    model_cost, model_list = charged - fee, listed - fee
    tokens = (
        usage.get("inputTokens") or 0,
        usage.get("outputTokens") or 0,
        usage.get("cacheWriteTokens") or 0,
        usage.get("cacheReadTokens") or 0,
    )
    shares = [n * w for n, w in zip(tokens, weights, strict=True)]
    first = 1
    if any(shares):
        costs = apportion(model_cost, shares)
        lists = apportion(model_list, shares)
        for i, token_type in enumerate(TOKEN_TYPES):
            if tokens[i] or costs[i] or lists[i]:
                billed = costs[i] if chargeable else 0
                rows.append(
                    (index, first, token_type, costs[i], billed, lists[i],
                     tokens[i] * _ONE_TOKEN, "tokens")
                )  # fmt: skip
                first = 0
    elif model_cost or model_list or not fee:
        # No tokens to split by (tokenUsage missing or all zero): one row without a token type.
        billed = model_cost if chargeable else 0
        rows.append((index, 1, None, model_cost, billed, model_list, 0, "tokens"))
        first = 0
    if fee:
        rows.append((index, first, FEE_TYPE, fee, fee if chargeable else 0, fee, 0, "tokens"))


def _charged_units(event: UsageEvent, fee: int) -> int:
    charged = event.get("chargedCents")
    if charged is not None:
        return cents_to_units(charged)
    # Events older than chargedCents: the contract's identity, total × (1 − discount) + fee.
    usage: TokenUsage = event.get("tokenUsage") or {}
    total = usage.get("totalCents")
    if total is None:
        return fee
    discount = usage.get("discountPercentOff") or Decimal(0)
    return cents_to_units(total * (1 - discount / 100)) + fee


def _to_table(per_event: list[tuple[object, ...]], rows: list[Row], account: str) -> pa.Table:
    n_rows = len(rows)
    event_values = list(zip(*per_event, strict=True)) or [()] * len(_EVENT_COLUMNS)
    row_values = list(zip(*rows, strict=True)) or [()] * 8
    index, first, token_type, cost, billed, listed, usage, unit = row_values
    events = pa.table(
        {
            name: (
                pa.array(values, pa.int64()).cast(pa.timestamp("ms"))
                if name == "ts"
                else pa.array(values, SCHEMA.field(name).type)
            )
            for name, values in zip(_EVENT_COLUMNS, event_values, strict=True)
        }
    )
    expanded = events.take(pa.array(index, pa.int32()))
    columns = {
        "provider": pa.array([PROVIDER] * n_rows, pa.string()),
        "account": pa.array([account] * n_rows, pa.string()),
        "charge_type": pa.array([CHARGE_TYPE] * n_rows, pa.string()),
        "token_type": pa.array(token_type, pa.string()),
        "cost": fixed_point_array(cost, MONEY_TYPE),
        "billed_cost": fixed_point_array(billed, MONEY_TYPE),
        "list_cost": fixed_point_array(listed, MONEY_TYPE),
        "usage_amount": fixed_point_array(usage, USAGE_TYPE),
        "usage_unit": pa.array(unit, pa.string()),
        "event_count": pa.array(first, pa.int8()),
    }
    arrays = [
        expanded.column(name) if name in _EVENT_COLUMNS else columns[name] for name in SCHEMA.names
    ]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)
