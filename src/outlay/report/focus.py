"""FOCUS 1.2 export: the columns, and cost rows → FOCUS rows as one query. Pure: builds, never runs.

One FOCUS row per (charge period, account, model, token type, kind, user, Max Mode), split
further where a row's other attributes differ (category, headless, service account, and the
values of the virtual tags): a FOCUS row has one value of each column, and Tags is a column.
The aggregation runs in the store, so an export streams whatever its size.

Cost columns, each summing exactly to one of outlay's measures over the same scope:
``BilledCost`` = ``billed_cost`` (what Cursor invoices: 0 for included usage), ``ListCost`` =
``list_cost``, ``EffectiveCost`` = ``ContractedCost`` = ``cost`` (Σ chargedCents: the price after
negotiated discounts, which is what the included pool and on-demand billing both count).

Pricing: token rows are priced per ``1000000 Tokens`` and request rows per ``Requests``, with
``ListUnitPrice`` = ``ListCost`` ÷ ``PricingQuantity`` rounded half away from zero to 10
decimals (the store's money scale), so ListUnitPrice × PricingQuantity equals ListCost within
half a unit of that scale per pricing unit. Rows with a cost but no quantity of their own (the
Cursor Token Rate fee, whose tokens the token rows already count) and seat rows (one per member
and day) carry ``PricingQuantity`` 1, where the rule holds exactly.

Virtual tags whose values split a row's cost between several names (or that depend on such a
tag) are left out of ``Tags``: FOCUS 1.2 has no column for a split allocation (1.3 adds the
``Allocated*`` columns), and a filter on them is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from outlay.errors import InputError
from outlay.report.compile import (
    FACT_TABLE,
    CompiledQuery,
    _add_tag,
    _Builder,
    filter_sql,
    tag_column,
)
from outlay.report.dimensions import PROVIDER_TAGS, TAG_PREFIX
from outlay.report.tags import TagSet, VirtualTag
from outlay.report.vql import Expr, fields_used, uses_untagged

FOCUS_VERSION = "1.2"
GRAINS = ("day", "hour")
#: The ``charge_type`` of seat rows (``ingest.seats``); every other row is usage.
SEAT_CHARGE_TYPE = "Subscription"
CHARGE_CATEGORIES = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")
CHARGE_FREQUENCIES = ("One-Time", "Recurring", "Usage-Based")
PRICING_CATEGORIES = ("Standard", "Dynamic", "Committed", "Other")
SERVICE_CATEGORY = "AI and Machine Learning"
SERVICE_SUBCATEGORY = "Generative AI"
#: FOCUS 1.2's ServiceCategory values.
SERVICE_CATEGORIES = (
    "AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases",
    "Developer Tools", "Multicloud", "Identity", "Integration", "Internet of Things",
    "Management and Governance", "Media", "Migration", "Mobile", "Networking", "Security",
    "Storage", "Web", "Other",
)  # fmt: skip
TOKEN_PRICING_UNIT = "1000000 Tokens"  # noqa: S105 (a unit, not a secret)
_TOKENS_PER_PRICING_UNIT = "0.000001"


@dataclass(frozen=True)
class FocusColumn:
    name: str
    #: FOCUS data type: String, Decimal, Date/Time, JSON; Boolean for our custom columns.
    type: str
    nullable: bool
    #: Mandatory, Conditional, Recommended, or Custom (``x_``).
    level: str
    allowed: tuple[str, ...] | None = None


def _c(
    name: str, kind: str, nullable: bool, level: str, allowed: tuple[str, ...] | None = None
) -> FocusColumn:
    return FocusColumn(name, kind, nullable, level, allowed)


M, C, R, X = "Mandatory", "Conditional", "Recommended", "Custom"
#: Every column of the export, in file order: FOCUS columns, then the ``x_`` ones.
COLUMNS: tuple[FocusColumn, ...] = (
    _c("BilledCost", "Decimal", False, M),
    _c("BillingAccountId", "String", False, M),
    _c("BillingAccountName", "String", True, M),
    _c("BillingCurrency", "String", False, M, ("USD",)),
    _c("BillingPeriodEnd", "Date/Time", False, M),
    _c("BillingPeriodStart", "Date/Time", False, M),
    _c("ChargeCategory", "String", False, M, CHARGE_CATEGORIES),
    _c("ChargeClass", "String", True, M, ("Correction",)),
    _c("ChargeDescription", "String", True, M),
    _c("ChargeFrequency", "String", False, R, CHARGE_FREQUENCIES),
    _c("ChargePeriodEnd", "Date/Time", False, M),
    _c("ChargePeriodStart", "Date/Time", False, M),
    _c("ConsumedQuantity", "Decimal", True, C),
    _c("ConsumedUnit", "String", True, C),
    _c("ContractedCost", "Decimal", False, M),
    _c("EffectiveCost", "Decimal", False, M),
    _c("InvoiceIssuerName", "String", False, M),
    _c("ListCost", "Decimal", False, M),
    _c("ListUnitPrice", "Decimal", True, C),
    _c("PricingCategory", "String", True, C, PRICING_CATEGORIES),
    _c("PricingQuantity", "Decimal", True, M),
    _c("PricingUnit", "String", True, M),
    _c("ProviderName", "String", False, M),
    _c("PublisherName", "String", False, M),
    _c("ResourceId", "String", True, C),
    _c("ResourceName", "String", True, C),
    _c("ServiceCategory", "String", False, M, SERVICE_CATEGORIES),
    _c("ServiceName", "String", False, M),
    _c("ServiceSubcategory", "String", False, R, (SERVICE_SUBCATEGORY,)),
    _c("SkuId", "String", True, C),
    _c("SkuMeter", "String", True, C),
    _c("SkuPriceId", "String", True, C),
    _c("SubAccountId", "String", True, C),
    _c("SubAccountName", "String", True, C),
    _c("Tags", "JSON", True, C),
    _c("x_TokenType", "String", True, X),
    _c("x_MaxMode", "Boolean", True, X),
    _c("x_CursorKind", "String", True, X),
)
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
MONEY_COLUMNS = ("BilledCost", "ContractedCost", "EffectiveCost", "ListCost")


@dataclass(frozen=True)
class FocusScope:
    """What to export: UTC days ``start``..``end`` (both included), at a grain, filtered."""

    start: date
    end: date
    grain: str = "day"
    expr: Expr | None = None
    #: Only these accounts' rows (a workspace's); None: every account.
    accounts: tuple[str, ...] | None = None
    #: Day of the month billing periods start on (``Settings.billing_cycle_day``, 1..28).
    cycle_day: int = 1

    def __post_init__(self) -> None:
        if self.grain not in GRAINS:
            raise InputError(
                f"unknown FOCUS grain {self.grain!r}; use day or hour", field="date_bin"
            )
        if self.end < self.start:
            raise InputError(
                f"the end date {self.end} is before the start date {self.start}; swap them",
                field="end",
            )
        if not 1 <= self.cycle_day <= 28:
            raise InputError("the billing cycle day must be 1 to 28", field="cycle_day")


def whole_tags(tags: TagSet) -> list[VirtualTag]:
    """The virtual tags FOCUS ``Tags`` carries: those that neither split nor read a split tag."""
    keep = [t.key for t in tags.tags if not any(d.has_split for d in tags.closure([t.key]))]
    return tags.closure(keep)


def compile_focus_query(scope: FocusScope, tags: TagSet) -> CompiledQuery:
    """The export as one SELECT whose columns are ``COLUMN_NAMES``, in order."""
    chain = whole_tags(tags)
    computed = [t.key for t in chain]
    _check_filter(scope.expr, tags, set(computed))
    b = _Builder()
    first = datetime.combine(scope.start, time())
    after = datetime.combine(scope.end + timedelta(days=1), time())
    where = f"ts >= {b.bind(first)} AND ts < {b.bind(after)}"
    if scope.accounts is not None:
        where += f" AND account IN ({b.bind(*scope.accounts)})" if scope.accounts else " AND FALSE"
    b.ctes.append(f"r0 AS (SELECT * FROM {FACT_TABLE} WHERE {where})")
    done: list[str] = []
    for tag in chain:
        _add_tag(b, tag, done, scale=None)
        done.append(tag.key)
    condition = "TRUE"
    if scope.expr is not None:
        condition, filter_params = filter_sql(scope.expr, done)
        b.params.extend(filter_params)
    keys = [
        "account", "service", "category", "token_type", "subcategory", "resource",
        "max_mode", "headless", "service_account", *(tag_column(k) for k in done),
    ]  # fmt: skip
    # charge_type and usage_unit follow from category (Seats, Tokens, Requests): not keys.
    grouped = (
        f"g AS (SELECT date_trunc('{scope.grain}', ts) AS period, {', '.join(keys)}, "
        "any_value(charge_type) AS charge_type, any_value(usage_unit) AS usage_unit, "
        "max(resource_name) AS resource_name, sum(cost) AS cost, "
        "sum(billed_cost) AS billed, sum(list_cost) AS listed, sum(usage_amount) AS qty "
        f"FROM r{len(b.ctes) - 1} WHERE {condition} GROUP BY ALL)"
    )
    b.ctes.append(grouped)
    select = _select(scope, done)
    sql = f"WITH {', '.join(b.ctes)} SELECT {select} FROM g"
    return CompiledQuery(sql, b.params, COLUMN_NAMES)


def _check_filter(expr: Expr | None, tags: TagSet, whole: set[str]) -> None:
    if expr is None:
        return
    for name in sorted(fields_used(expr)):
        key = name[len(TAG_PREFIX) :] if name.startswith(TAG_PREFIX) else None
        if key is not None and key in tags and key not in PROVIDER_TAGS and key not in whole:
            raise InputError(
                f"the FOCUS export cannot filter by tag {key!r}: it splits costs between "
                "names, which FOCUS 1.2 rows cannot carry; filter by a dimension instead",
                field="filter",
            )
    if uses_untagged(expr) and len(whole) < len(tags.keys):
        raise InputError(
            "the FOCUS export cannot filter on untagged rows while a tag splits costs; "
            "filter by a dimension instead",
            field="filter",
        )


def _utc(sql: str) -> str:
    return f"strftime({sql}, '%Y-%m-%dT%H:%M:%SZ')"


_SEAT = f"charge_type = '{SEAT_CHARGE_TYPE}'"
_TOKENS = "usage_unit = 'tokens'"
#: Money units (1e-10 USD) of a cost sum, as an exact integer.
_LIST_UNITS = "CAST(listed * 10000000000 AS HUGEINT)"
_QTY_UNITS = "CAST(qty * 1000000 AS HUGEINT)"


def _list_unit_price() -> str:
    """ListCost ÷ PricingQuantity, rounded half away from zero at the money scale, exactly.

    In integer units: list (1e-10 USD) × 10^6 per usage unit (1e-6), × 10^6 more when the
    pricing unit is a million tokens; HUGEINT holds the product of the largest sums.
    """
    factor = f"CASE WHEN {_TOKENS} THEN 1000000000000 ELSE 1000000 END"
    numerator = f"({_LIST_UNITS} * {factor})"
    rounded = f"sign({numerator}) * ((abs({numerator}) * 2 + {_QTY_UNITS}) // (2 * {_QTY_UNITS}))"
    return f"CAST(CAST({rounded} AS DECIMAL(38,0)) * 0.0000000001 AS DECIMAL(38,10))"


def _tags_json(done: list[str]) -> str:
    """Tags as a JSON object: Cursor's own tags, then each virtual tag the row has a value of."""
    flag = "CASE WHEN {seat} THEN NULL WHEN {column} THEN 'true' ELSE 'false' END"
    pairs = [
        ("cursor:user", "resource"),
        ("cursor:max_mode", flag.format(seat=_SEAT, column="max_mode")),
        ("cursor:headless", flag.format(seat=_SEAT, column="headless")),
        ("cursor:service_account", "service_account"),
        *((k, tag_column(k)) for k in done),
    ]  # fmt: skip
    parts = [
        f"CASE WHEN {value} IS NOT NULL "
        f"THEN to_json({_literal(key)}) || ':' || to_json({value}) END"
        for key, value in pairs
    ]
    return f"'{{' || concat_ws(',', {', '.join(parts)}) || '}}'"


_KIND = "NULLIF(subcategory, '')"
_METER = "coalesce(token_type, lower(category))"
_SKU = f"CASE WHEN {_SEAT} THEN service ELSE service || '/' || {_METER} END"
#: Rows priced per unit of their own quantity; the others (seats, the token fee) per 1.
_PRICED = f"(qty <> 0 AND NOT {_SEAT})"
#: Columns that are a constant or one stored column.
_PLAIN = {
    "BilledCost": "billed",
    "BillingAccountId": "account",
    "BillingAccountName": "account",
    "BillingCurrency": "'USD'",
    "ChargeClass": "CAST(NULL AS VARCHAR)",
    "ContractedCost": "cost",
    "EffectiveCost": "cost",
    "InvoiceIssuerName": "'Cursor'",
    "ListCost": "listed",
    "PricingCategory": "'Standard'",
    "ProviderName": "'Cursor'",
    "PublisherName": "'Cursor'",
    "ResourceId": "NULLIF(resource, '')",
    "ServiceCategory": f"'{SERVICE_CATEGORY}'",
    "ServiceName": "'Cursor'",
    "ServiceSubcategory": f"'{SERVICE_SUBCATEGORY}'",
    "SubAccountId": "service_account",
    "SubAccountName": "service_account",
    "x_TokenType": "token_type",
    "x_CursorKind": _KIND,
}


def _period_columns(scope: FocusScope) -> dict[str, str]:
    grain = "INTERVAL 1 DAY" if scope.grain == "day" else "INTERVAL 1 HOUR"
    shift = int(scope.cycle_day) - 1
    billing_start = f"(date_trunc('month', period - INTERVAL {shift} DAY) + INTERVAL {shift} DAY)"
    return {
        "BillingPeriodEnd": _utc(f"({billing_start} + INTERVAL 1 MONTH)"),
        "BillingPeriodStart": _utc(billing_start),
        "ChargePeriodEnd": _utc(f"(period + {grain})"),
        "ChargePeriodStart": _utc("period"),
    }


def _pricing_columns() -> dict[str, str]:
    return {
        "ConsumedQuantity": f"CASE WHEN {_SEAT} THEN NULL ELSE qty END",
        "ConsumedUnit": (
            f"CASE WHEN {_SEAT} THEN NULL WHEN {_TOKENS} THEN 'Tokens' ELSE 'Requests' END"
        ),
        "ListUnitPrice": f"CASE WHEN {_PRICED} THEN {_list_unit_price()} ELSE listed END",
        "PricingQuantity": (
            f"CASE WHEN NOT {_PRICED} THEN CAST(1 AS DECIMAL(38,6)) WHEN {_TOKENS} "
            f"THEN CAST(qty * {_TOKENS_PER_PRICING_UNIT} AS DECIMAL(38,6)) ELSE qty END"
        ),
        "PricingUnit": (
            f"CASE WHEN {_SEAT} THEN 'Seat-Days' WHEN NOT {_PRICED} THEN 'Charges' "
            f"WHEN {_TOKENS} THEN '{TOKEN_PRICING_UNIT}' ELSE 'Requests' END"
        ),
        "SkuId": _SKU,
        "SkuMeter": f"CASE WHEN {_SEAT} THEN 'seat' ELSE {_METER} END",
        "SkuPriceId": f"{_SKU} || CASE WHEN max_mode THEN '/max' ELSE '' END",
    }


def _charge_columns(done: list[str]) -> dict[str, str]:
    return {
        "ChargeCategory": f"CASE WHEN {_SEAT} THEN 'Purchase' ELSE 'Usage' END",
        "ChargeDescription": (
            f"CASE WHEN {_SEAT} THEN 'Cursor seat, ' || resource || ', one day' ELSE "
            "service || ' ' || coalesce(replace(token_type, '_', ' '), lower(category))"
            f" || coalesce(' (' || {_KIND} || ')', '') END"
        ),
        "ChargeFrequency": f"CASE WHEN {_SEAT} THEN 'Recurring' ELSE 'Usage-Based' END",
        "ResourceName": "CASE WHEN resource <> '' THEN coalesce(resource_name, resource) END",
        "Tags": _tags_json(done),
        "x_MaxMode": f"CASE WHEN {_SEAT} THEN NULL ELSE max_mode END",
    }


def _select(scope: FocusScope, done: list[str]) -> str:
    values = {**_PLAIN, **_period_columns(scope), **_pricing_columns(), **_charge_columns(done)}
    return ", ".join(f'{values[name]} AS "{name}"' for name in COLUMN_NAMES)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
