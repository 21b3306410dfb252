"""How guardrail events read: amounts in a sentence, and the report an event links to."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from outlay.report.dimensions import TAG_PREFIX

_CENT = Decimal("0.01")


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
