"""Amounts as people type them (``parse_usd``) and read them in a sentence (``usd``), and the
report an event links to."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from outlay.errors import InputError
from outlay.report.dimensions import TAG_PREFIX

_CENT = Decimal("0.01")
#: Amounts a budget or rule may name: a cent to a billion dollars.
MAX_USD = Decimal(10) ** 9


def parse_usd(text: str, what: str, field: str, *, allow_zero: bool = False) -> Decimal:
    """A USD amount like ``500``, ``$4,000.50``; anything else is an input error naming it."""
    try:
        value = Decimal(text.strip().removeprefix("$").replace(",", ""))
    except (InvalidOperation, AttributeError):
        value = Decimal("NaN")
    low = Decimal(0) if allow_zero else _CENT
    if not value.is_finite() or not low <= value <= MAX_USD or value != value.quantize(_CENT):
        raise InputError(
            f"{what} {text!r} is not an amount in USD; use a number of dollars up to "
            f"{MAX_USD:,} with at most cents, like 500 or 12.50"
            + ("" if allow_zero else " (more than 0)"),
            field=field,
        )
    return value


def usd(amount: Decimal) -> str:
    """Whole dollars without cents (``$4,000``), otherwise to the cent (``$3,210.12``)."""
    cents = amount.quantize(_CENT)
    text = f"{int(cents):,}" if cents == cents.to_integral_value() else f"{cents:,.2f}"
    return f"-${text.lstrip('-')}" if cents < 0 else f"${text}"


def report_path(
    scope: str | None, per: str | None, group: dict[str, str], start: date, end: date
) -> str:
    """The web app's cost report of a scope (a VQL filter) and period, drilled to the group
    when it can be, else grouped by ``per``."""
    clauses = [f"({scope})"] if scope and scope.strip() else []
    for dim, value in group.items():
        if not value:
            continue
        quoted = "'" + value.replace("'", "''") + "'"
        if dim.startswith(TAG_PREFIX):
            name = "'" + dim[len(TAG_PREFIX) :].replace("'", "''") + "'"
            clauses.append(f"tags.name = {name} AND tags.value = {quoted}")
        else:
            clauses.append(f"costs.{dim} = {quoted}")
    params = {"start_date": start.isoformat(), "end_date": end.isoformat()}
    if clauses:
        params["filter"] = " AND ".join(clauses)
    if per and not group:
        params["groupings"] = per
    return "/reports?" + urlencode(params)
