"""FOCUS 1.2 conformance checks, written from the specification's own column requirements.

Each check names the requirement it implements: ``<Column>`` is the column's section of the
FOCUS 1.2 specification (``specification/columns``); the ids in brackets follow the FinOps
validator's naming for 1.2 (``<Column>-C-000-<M|C|O>`` is "the column is present").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from outlay.report.focus import COLUMNS, FocusColumn

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
#: UnitFormat: a unit, optionally prefixed by a power of ten ("1000000 Tokens").
UNIT = re.compile(r"^(1(0)* )?[A-Z][A-Za-z-]*s$")
#: ListUnitPrice is rounded to 10 decimals: × PricingQuantity it may be off by half a unit of
#: that scale per pricing unit (documented in ``report.focus``).
PRICE_ULP = Decimal("0.00000000005")

Row = dict[str, Any]


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def check_header(names: list[str]) -> list[str]:
    problems = []
    expected = [c.name for c in COLUMNS]
    # <Column>-C-000-M: every Mandatory column is present (and the Conditional ones we apply).
    missing = [n for n in expected if n not in names]
    if missing:
        problems.append(f"[<Column>-C-000-M] missing columns {missing}")
    # Custom columns: prefixed x_ and after every FOCUS column.
    custom = [i for i, n in enumerate(names) if n.startswith("x_")]
    focus = [i for i, n in enumerate(names) if not n.startswith("x_")]
    if custom and focus and min(custom) < max(focus):
        problems.append("[Custom columns] x_ columns must come after the FOCUS columns")
    return problems


def _check_value(column: FocusColumn, value: Any) -> str | None:
    if value is None:
        # <Column> nullability: "MUST NOT be null" for the non-nullable columns.
        return None if column.nullable else f"{column.name} is null"
    if value == "":
        return f"{column.name} is an empty string (a NULL must be a real null)"
    if column.type == "Decimal" and _decimal(value) is None:
        return f"{column.name} {value!r} is not a decimal (Numeric Format)"
    if column.type == "Date/Time" and not DATETIME.match(str(value)):
        return f"{column.name} {value!r} is not YYYY-MM-DDTHH:mm:ssZ (Date/Time Format)"
    if column.type == "JSON":
        try:
            parsed = json.loads(value)
        except ValueError:
            return f"{column.name} {value!r} is not JSON"
        # Tags: Key-Value Format: a JSON object.
        if not isinstance(parsed, dict):
            return f"{column.name} {value!r} is not a JSON object (Key-Value Format)"
    if column.allowed is not None and value not in column.allowed:
        return f"{column.name} {value!r} is not an allowed value {column.allowed}"
    if column.name in ("PricingUnit", "ConsumedUnit") and not UNIT.match(str(value)):
        return f"{column.name} {value!r} is not in Unit Format"
    if column.name == "BillingCurrency" and not re.fullmatch(r"[A-Z]{3}", str(value)):
        return f"BillingCurrency {value!r} is not an ISO 4217 code (Currency Format)"
    return None


def check_row(row: Row) -> list[str]:
    problems = [p for c in COLUMNS if (p := _check_value(c, row.get(c.name))) is not None]
    category = row["ChargeCategory"]
    # ChargeFrequency: a Purchase row is never Usage-Based.
    if category == "Purchase" and row["ChargeFrequency"] == "Usage-Based":
        problems.append("[ChargeFrequency] a Purchase row is Usage-Based")
    # ChargeClass: null unless the row corrects an invoiced period (we never do).
    if row["ChargeClass"] is not None:
        problems.append("[ChargeClass] must be null for charges that are not corrections")
    # ConsumedQuantity / ConsumedUnit: non-null on Usage rows, null on the others.
    for name in ("ConsumedQuantity", "ConsumedUnit"):
        if (row[name] is None) == (category == "Usage"):
            problems.append(f"[{name}] null-ness does not follow ChargeCategory {category}")
    # SkuId, ListUnitPrice, PricingQuantity, PricingUnit: non-null on Usage and Purchase rows.
    if category in ("Usage", "Purchase"):
        for name in ("SkuId", "SkuPriceId", "ListUnitPrice", "PricingQuantity", "PricingUnit"):
            if row[name] is None:
                problems.append(f"[{name}] null on a {category} row")
    # ListCost: ListUnitPrice × PricingQuantity = ListCost (to the unit price's rounding).
    price, quantity = _decimal(row["ListUnitPrice"]), _decimal(row["PricingQuantity"])
    listed = _decimal(row["ListCost"])
    known = price is not None and quantity is not None and listed is not None
    if known and abs(price * quantity - listed) > PRICE_ULP * max(abs(quantity), Decimal(1)):  # type: ignore[operator]
        problems.append(f"[ListCost] {price} × {quantity} != ListCost {listed}")
    # BillingPeriodStart/End and ChargePeriodStart/End: start before end; the charge period
    # inside the billing period.
    if not row["ChargePeriodStart"] < row["ChargePeriodEnd"]:
        problems.append("[ChargePeriodEnd] not after ChargePeriodStart")
    if not row["BillingPeriodStart"] <= row["ChargePeriodStart"] < row["BillingPeriodEnd"]:
        problems.append("[BillingPeriodStart] the charge period is outside the billing period")
    # SubAccountName / ResourceName: null when their id is null.
    for ident, name in (("SubAccountId", "SubAccountName"), ("ResourceId", "ResourceName")):
        if row[ident] is None and row[name] is not None:
            problems.append(f"[{name}] set while {ident} is null")
    # EffectiveCost on a Purchase equals BilledCost (seats are bought as they are billed).
    if category == "Purchase" and _decimal(row["EffectiveCost"]) != _decimal(row["BilledCost"]):
        problems.append("[EffectiveCost] differs from BilledCost on a Purchase row")
    return problems


def check_rows(rows: Iterable[Row]) -> list[str]:
    problems: list[str] = []
    for index, row in enumerate(rows):
        problems += [f"row {index}: {p}" for p in check_row(row)]
        if len(problems) > 20:
            break
    return problems
