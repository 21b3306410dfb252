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

This loop runs once per imported event, so it works on plain tuples and integers and leaves
the column building to Arrow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

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
#: Row token types by code: 0-3 follow TOKEN_TYPES, 4 is the fee, None is no token type.
_TYPE_NAMES = pa.array([*TOKEN_TYPES, FEE_TYPE], pa.string())
_FEE = 4

_EVENT_COLUMNS = (
    "ts", "service", "category", "subcategory", "resource", "resource_name",
    "max_mode", "headless", "service_account", "cloud_agent", "automation", "usage_unit",
)  # fmt: skip
#: A cost row before expansion: event index, first row of its event, token type code, cost,
#: billed cost, list cost (money units), usage amount (usage units).
Row = tuple[int, int, int | None, int, int, int, int]


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split integer ``total`` in proportion to ``weights``; the parts sum to ``total`` exactly.

    Largest remainder: each part gets the floor of its share, then the units left over go one
    each to the largest remainders (earlier position first on ties). Weights must not all be 0.
    """
    magnitude = -total if total < 0 else total
    whole = sum(weights)
    parts: list[int] = []
    remainders: list[int] = []
    for weight in weights:
        part, remainder = divmod(magnitude * weight, whole)
        parts.append(part)
        remainders.append(remainder)
    left = magnitude - sum(parts)
    if left:
        order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
        for i in order[:left]:
            parts[i] += 1
    return parts if total >= 0 else [-p for p in parts]


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
        model = event.get("model") or ""
        weights = weights_of.get(model)
        if weights is None:
            price = prices.price(model)
            weights = tuple(int(price.for_type(t) * _PRICE_SCALE) for t in TOKEN_TYPES)
            weights_of[model] = weights
        token_based = _token_based(event)
        per_event.append(_event_values(event, model, token_based, member_names))
        if token_based:
            _add_token_rows(rows, index, event, weights)
        else:
            _add_request_row(rows, index, event)
    return _to_table(per_event, rows, account)


def _token_based(event: UsageEvent) -> bool:
    flag = event.get("isTokenBasedCall")
    return flag if flag is not None else event.get("tokenUsage") is not None


def _event_values(
    event: UsageEvent, model: str, token_based: bool, member_names: Mapping[str, str]
) -> tuple[object, ...]:
    """The values of ``_EVENT_COLUMNS``, shared by all rows of the event."""
    account_name = event.get("serviceAccountName")
    account_id = event.get("serviceAccountId")
    if account_id in ("null", ""):  # Cursor sends the string "null" for "no service account"
        account_id = None
    resource = event.get("userEmail") or account_name or account_id or ""
    return (
        event["timestamp"],
        model,
        TOKENS if token_based else REQUESTS,
        event.get("kind") or "",
        resource,
        member_names.get(resource) or account_name or None,
        bool(event.get("maxMode")),
        bool(event.get("isHeadless")),
        account_name or account_id,
        event.get("cloudAgentId") or None,
        event.get("automationId") or None,
        "tokens" if token_based else "requests",
    )


def _money(event: UsageEvent) -> tuple[int, int, int, bool]:
    """(charged, fee, list, chargeable) of an event, in money units."""
    usage: TokenUsage = event.get("tokenUsage") or {}
    fee_cents = event.get("cursorTokenFee")
    fee = cents_to_units(fee_cents) if fee_cents else 0
    charged_cents = event.get("chargedCents")
    total_cents = usage.get("totalCents")
    if charged_cents is not None:
        charged = cents_to_units(charged_cents)
    elif total_cents is not None:
        # Events older than chargedCents: the contract's identity, total × (1 − discount) + fee.
        discount = usage.get("discountPercentOff") or Decimal(0)
        charged = cents_to_units(total_cents * (1 - discount / 100)) + fee
    else:
        charged = fee
    listed = cents_to_units(total_cents) + fee if total_cents is not None else charged
    chargeable = event.get("isChargeable")
    if chargeable is None:
        chargeable = event.get("kind") == _USAGE_BASED
    return charged, fee, listed, chargeable


def _add_request_row(rows: list[Row], index: int, event: UsageEvent) -> None:
    charged, _fee, listed, chargeable = _money(event)
    requests = event.get("requestsCosts")
    amount = usage_units(requests) if requests is not None else 0
    rows.append((index, 1, None, charged, charged if chargeable else 0, listed, amount))


def _add_token_rows(
    rows: list[Row], index: int, event: UsageEvent, weights: tuple[int, ...]
) -> None:
    charged, fee, listed, chargeable = _money(event)
    # The fee is its own row; the rest of the charge is the model's, split by token type.
    if fee > 0:
        fee = min(fee, max(charged, 0))
    model_cost, model_list = charged - fee, listed - fee
    usage: TokenUsage = event.get("tokenUsage") or {}
    tokens = (
        usage.get("inputTokens") or 0,
        usage.get("outputTokens") or 0,
        usage.get("cacheWriteTokens") or 0,
        usage.get("cacheReadTokens") or 0,
    )
    w_in, w_out, w_write, w_read = weights
    shares = (tokens[0] * w_in, tokens[1] * w_out, tokens[2] * w_write, tokens[3] * w_read)
    first = 1
    if any(shares):
        costs = apportion(model_cost, shares)
        # Undiscounted events list at what they cost: one split serves both.
        lists = costs if model_list == model_cost else apportion(model_list, shares)
        append = rows.append
        for code, (count, cost, listed_part) in enumerate(zip(tokens, costs, lists, strict=True)):
            if count or cost or listed_part:
                append(
                    (index, first, code, cost, cost if chargeable else 0, listed_part,
                     count * _ONE_TOKEN)
                )  # fmt: skip
                first = 0
    elif model_cost or model_list or not fee:
        # No tokens to split by (tokenUsage missing or all zero): one row without a token type.
        rows.append((index, 1, None, model_cost, model_cost if chargeable else 0, model_list, 0))
        first = 0
    if fee:
        rows.append((index, first, _FEE, fee, fee if chargeable else 0, fee, 0))


def _constant(value: str, length: int) -> pa.Array:
    return pc.fill_null(pa.nulls(length, pa.string()), value)


# Tuples become columns through one struct conversion in Arrow: transposing them in Python
# costs several times more.
_EVENT_STRUCT = pa.struct(
    [(name, pa.int64() if name == "ts" else SCHEMA.field(name).type) for name in _EVENT_COLUMNS]
)
_ROW_STRUCT = pa.struct(
    [
        ("index", pa.int32()),
        ("first", pa.int8()),
        ("token_type", pa.int8()),
        ("cost", pa.int64()),
        ("billed_cost", pa.int64()),
        ("list_cost", pa.int64()),
        ("usage_amount", pa.int64()),
    ]
)


def _to_table(per_event: list[tuple[object, ...]], rows: list[Row], account: str) -> pa.Table:
    n_rows = len(rows)
    event_columns = pa.array(per_event, _EVENT_STRUCT).flatten()
    row_columns = dict(zip(_ROW_STRUCT.names, pa.array(rows, _ROW_STRUCT).flatten(), strict=True))
    events = pa.Table.from_arrays(event_columns, names=list(_EVENT_COLUMNS))
    events = events.set_column(0, "ts", events.column("ts").cast(pa.timestamp("ms")))
    expanded = events.take(row_columns["index"])
    columns = {
        "provider": _constant(PROVIDER, n_rows),
        "account": _constant(account, n_rows),
        "charge_type": _constant(CHARGE_TYPE, n_rows),
        "token_type": _TYPE_NAMES.take(row_columns["token_type"]),
        "cost": fixed_point_array(row_columns["cost"], MONEY_TYPE),
        "billed_cost": fixed_point_array(row_columns["billed_cost"], MONEY_TYPE),
        "list_cost": fixed_point_array(row_columns["list_cost"], MONEY_TYPE),
        "usage_amount": fixed_point_array(row_columns["usage_amount"], USAGE_TYPE),
        "event_count": row_columns["first"],
    }
    arrays = [
        expanded.column(name) if name in _EVENT_COLUMNS else columns[name] for name in SCHEMA.names
    ]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)
