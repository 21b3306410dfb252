"""The cost row: the one schema every provider normalizes into and every store keeps.

Money is fixed-point: USD with ``MONEY_SCALE`` decimals, held as integer units (1 unit = 1e-10
USD = 1e-8 cents) while computing and as DECIMAL(18, 10) in the stores. Cursor sends cents with
at most 6 decimals, so conversion is exact; float noise past 8 decimals of a cent is rounded
half-even at the edge (``cents_to_units``), once.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pyarrow as pa

MONEY_SCALE = 10
USAGE_SCALE = 6
MONEY_TYPE = pa.decimal64(18, MONEY_SCALE)
USAGE_TYPE = pa.decimal64(18, USAGE_SCALE)
_CENTS_TO_UNITS = MONEY_SCALE - 2

#: Column name → Arrow type, in table order. ``ts`` is naive UTC (TIMESTAMP, not TIMESTAMPTZ:
#: DuckDB truncates naive timestamps several times faster).
SCHEMA = pa.schema(
    [
        ("provider", pa.string()),
        ("account", pa.string()),
        ("ts", pa.timestamp("ms")),
        ("service", pa.string()),
        ("category", pa.string()),
        ("token_type", pa.string()),
        ("subcategory", pa.string()),
        ("resource", pa.string()),
        ("resource_name", pa.string()),
        ("charge_type", pa.string()),
        ("max_mode", pa.bool_()),
        ("headless", pa.bool_()),
        ("service_account", pa.string()),
        ("cloud_agent", pa.string()),
        ("automation", pa.string()),
        ("cost", MONEY_TYPE),
        ("billed_cost", MONEY_TYPE),
        ("list_cost", MONEY_TYPE),
        ("usage_amount", USAGE_TYPE),
        ("usage_unit", pa.string()),
        ("event_count", pa.int8()),
    ]
)
COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)


def cents_to_units(cents: Decimal) -> int:
    """Cents (exact decimal from JSON) to integer money units."""
    return int(cents.scaleb(_CENTS_TO_UNITS).to_integral_value(ROUND_HALF_EVEN))


def units_to_usd(units: int) -> Decimal:
    return Decimal(units).scaleb(-MONEY_SCALE)


def usage_units(amount: Decimal | int) -> int:
    return int(Decimal(amount).scaleb(USAGE_SCALE).to_integral_value(ROUND_HALF_EVEN))


def fixed_point_array(units: pa.Array, arrow_type: pa.DataType) -> pa.Array:
    """An int64 array of units as a decimal64 array: the same buffer, no per-value work."""
    if units.null_count:
        raise ValueError("money units must not be null")
    return pa.Array.from_buffers(
        arrow_type, len(units), [None, units.buffers()[1]], offset=units.offset
    )
