"""A pure-Python reference of the report engine over cost-row dicts: the SQL must agree with it.

Written from the documented semantics, not from the SQL: first matching tag value wins, date
bounds are inclusive UTC days, a split share of ``u`` units is ``q(u·hi) − q(u·lo)`` with ``q``
dividing by the split's whole and truncating toward zero, filters use two-valued logic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from outlay.report.tags import TagSet, VirtualTag
from outlay.report.vql_ast import And, Compare, Expr, HasTag, InList, Not, Or, Untagged
from tests.vql_reference import evaluate

#: Measure → (cost-row column, decimal places it is stored with). Restated from the facts
#: schema's column types, not imported from the compiler this reference checks.
MEASURES = {
    "cost": ("cost", 10),
    "billed_cost": ("billed_cost", 10),
    "list_cost": ("list_cost", 10),
    "usage": ("usage_amount", 6),
    "count": ("event_count", 0),
}

PROVIDER = {
    "cursor:max_mode": lambda r: "true" if r["max_mode"] else "false",
    "cursor:headless": lambda r: "true" if r["headless"] else "false",
    "cursor:user": lambda r: r["resource"],
    "cursor:service_account": lambda r: r["service_account"],
    "cursor:cloud_agent": lambda r: r["cloud_agent"],
    "cursor:automation": lambda r: r["automation"],
}


def leaves(expr: Expr) -> Iterator[Expr]:
    if isinstance(expr, And | Or):
        for item in expr.items:
            yield from leaves(item)
    elif isinstance(expr, Not):
        yield from leaves(expr.item)
    else:
        yield expr


def fields_read(expr: Expr) -> set[str]:
    """The dimension and ``tag:<key>`` names a filter reads."""
    names = {leaf.field for leaf in leaves(expr) if isinstance(leaf, Compare | InList)}
    return names | {f"tag:{leaf.key}" for leaf in leaves(expr) if isinstance(leaf, HasTag)}


def chain_of(tags: TagSet, keys: list[str]) -> list[VirtualTag]:
    """The tags named and the virtual tags their filters read, each after what it reads."""
    by_key = {tag.key: tag for tag in tags.tags}
    ordered: list[VirtualTag] = []
    seen: set[str] = set()

    def visit(key: str) -> None:
        if key not in by_key or key in seen:
            return
        seen.add(key)
        reads = set().union(*(fields_read(v.filter) for v in by_key[key].values))
        for name in sorted(reads):
            if name.startswith("tag:"):
                visit(name[4:])
        ordered.append(by_key[key])

    for key in keys:
        visit(key)
    return ordered


def value_of(row: dict[str, Any], name: str) -> Any:
    if name.startswith("tag:"):
        key = name[4:]
        return PROVIDER[key](row) if key in PROVIDER else row.get(name)
    return row[name]


def _trunc_div(a: int, b: int) -> int:
    return -((-a) // b) if a < 0 else a // b


def expand(row: dict[str, Any], tags: list[VirtualTag], units: int) -> Iterator[dict[str, Any]]:
    """The row once per combination of split shares, with ``__units`` and ``tag:<key>`` set."""
    if not tags:
        yield {**row, "__units": units}
        return
    tag, rest = tags[0], tags[1:]
    day = row["ts"].date()
    for value in tag.values:
        in_dates = (value.start is None or day >= value.start) and (
            value.end is None or day <= value.end
        )
        if in_dates and evaluate(value.filter, lambda n: value_of(row, n)):
            parts = value.split or ((value.name, 1),)
            whole, low = sum(w for _, w in parts), 0  # 10^6 for splits; 1 is the same for a name
            for name, weight in parts:
                share = _trunc_div(units * (low + weight), whole) - _trunc_div(units * low, whole)
                low += weight
                yield from expand({**row, f"tag:{tag.key}": name}, rest, share)
            return
    yield from expand({**row, f"tag:{tag.key}": None}, rest, units)


def bin_of(ts: datetime, date_bin: str) -> str | None:
    day = ts.date()
    if date_bin == "hour":
        return ts.replace(minute=0, second=0, microsecond=0).isoformat(timespec="minutes")
    if date_bin == "week":
        day -= timedelta(days=day.weekday())
    elif date_bin == "month":
        day = day.replace(day=1)
    elif date_bin == "quarter":
        day = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    elif date_bin == "cumulative":
        return None
    return day.isoformat()


def reference_report(
    rows: list[dict[str, Any]],
    tags: TagSet,
    *,
    start: date,
    end: date,
    date_bin: str,
    group_by: tuple[str, ...],
    measure: str,
    expr: Any,
) -> dict[tuple[Any, ...], Decimal | int]:
    """Σ measure per (bin, *groups[, unit]) key."""
    column, scale = MEASURES[measure]
    # Only the tags the report reads: an unread split would still multiply counted events.
    used = set(group_by) | (fields_read(expr) if expr is not None else set())
    keys = [n[4:] for n in sorted(used) if n.startswith("tag:")]
    if expr is not None and any(isinstance(leaf, Untagged) for leaf in leaves(expr)):
        keys = [tag.key for tag in tags.tags]
    chain = chain_of(tags, keys)
    sums: dict[tuple[Any, ...], int] = defaultdict(int)
    for row in rows:
        if not start <= row["ts"].date() <= end:
            continue
        units = int(Decimal(row[column]).scaleb(scale))
        for part in expand(row, chain, units):
            any_tag = any(part.get(f"tag:{t.key}") is not None for t in chain)
            if expr is None or evaluate(
                expr, lambda n, p=part: value_of(p, n), lambda a=any_tag: a
            ):
                key = (bin_of(part["ts"], date_bin), *(value_of(part, g) for g in group_by))
                if measure == "usage":
                    key = (*key, part["usage_unit"])
                sums[key] += part["__units"] if measure != "count" else part["event_count"]
    if measure == "count":
        return dict(sums)
    return {k: Decimal(v).scaleb(-scale) for k, v in sums.items()}
