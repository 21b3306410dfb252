"""The one data function of cost reports: every surface (CLI, API, HTML) renders its result."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from outlay.errors import InputError
from outlay.report.check import check
from outlay.report.compile import Shape, compile_report_query
from outlay.report.forecast import HISTORY_DAYS, Forecast, forecast_month
from outlay.report.per_parent import movers_first, rank_per_parent, regroup, subtotals
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet

OTHER = "Other"
Number = Decimal | int


class Queryable(Protocol):
    def query(self, sql: str, params: Sequence[Any] = ()) -> Any: ...


@dataclass(frozen=True)
class GroupTotal:
    """One group of a report over the whole period, in the spec's order ("Other" last)."""

    #: The group's value per group key (``unit`` too for usage).
    key: dict[str, Any]
    total: Number
    #: With a comparison: the previous period's value, the change and the change in percent
    #: (None when the previous value is 0).
    previous: Number | None = None
    change: Number | None = None
    change_pct: Decimal | None = None
    #: The group ``top`` folded the rest into.
    other: bool = False


@dataclass(frozen=True)
class ReportResult:
    spec: ReportSpec
    start: date
    end: date
    #: One dict per (bin, group): ``date`` unless cumulative, each group-by dimension, ``unit``
    #: for usage, and the measure under its own name (``cost``, ``usage``, …).
    rows: list[dict[str, Any]]
    #: Total per unit (usage) or under "" (every other measure).
    totals: dict[str, Number]
    #: With a comparison: one dict per group with the measure, ``previous``, ``change`` and
    #: ``change_pct`` (None when the previous value is 0). The export shape of ``group_totals``.
    groups: list[dict[str, Any]] | None = None
    previous_start: date | None = None
    previous_end: date | None = None
    forecast: Forecast | None = None
    #: Every group's total over the period, ordered as the spec sorts them.
    group_totals: list[GroupTotal] = field(default_factory=list)
    #: Non-fatal remarks on the spec (a tag no cost row carries), from ``check``.
    notices: tuple[str, ...] = ()
    #: With two or more group-by levels: per first-level group, its ``key`` (that level only),
    #: ``total``, ``previous``, ``change``, ``change_pct``, ``children`` and ``other``.
    parent_totals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def measure(self) -> str:
        return self.spec.measure

    @property
    def group_keys(self) -> tuple[str, ...]:
        return (*self.spec.group_by, *(("unit",) if self.measure == "usage" else ()))

    @property
    def total(self) -> Number | None:
        return self.totals.get("") if self.measure != "usage" else None

    @property
    def previous_total(self) -> Number | None:
        """The previous period's total, with a comparison and a single-unit measure."""
        if self.groups is None or self.total is None:
            return None
        return sum((g.previous or 0 for g in self.group_totals), _zero(self.measure))

    @property
    def change_pct(self) -> Decimal | None:
        previous, total = self.previous_total, self.total
        if previous is None or total is None or not previous:
            return None
        return (Decimal(total) - Decimal(previous)) * 100 / Decimal(previous)


def run_report(
    facts: Queryable,
    spec: ReportSpec,
    tags: TagSet,
    *,
    today: date,
    cycle_day: int = 1,
    accounts: tuple[str, ...] | None = None,
) -> ReportResult:
    """``accounts``: report only these accounts' costs (a workspace's); None for all."""
    notices = tuple(check(spec, tags))
    start, end = spec.period(today, cycle_day)
    shape = Shape(start, end, spec.date_bin, spec.group_by, spec.measure, spec.expr, accounts)
    rows = _fetch(facts, shape, tags)
    keys = (*spec.group_by, *(("unit",) if spec.measure == "usage" else ()))
    sums = _sums(rows, keys, spec.measure)
    order = _group_order(sums, spec)
    # With top, groups beyond it (now or in the previous period) fold into one "Other".
    folds = spec.top is not None and bool(spec.group_by)
    refold = None
    if spec.top_per_parent is not None:  # the spec checked there are two levels
        ranking = rank_per_parent(
            sums, keys, per_parent=spec.top_per_parent, parents=spec.top,
            by_name=spec.sort == "name", other=OTHER,
        )  # fmt: skip
        rows, order, refold, folds = (
            regroup(rows, keys, ranking.fold, spec.measure),
            ranking.order,
            ranking.fold,
            True,
        )
        sums = _sums(rows, keys, spec.measure)
    elif folds and spec.top is not None and len(order) > spec.top:
        kept = set(order[: spec.top])
        rows = _fold(rows, keys, kept, spec.measure)
        order = [*order[: spec.top], *_other_keys(rows, keys, kept)]
        folded = [r for r in rows if _key(r, keys) not in kept]
        sums = {**{k: sums[k] for k in kept}, **_sums(folded, keys, spec.measure)}
    rank = {key: i for i, key in enumerate(order)}
    rows.sort(key=lambda r: (r.get("date") or "", rank[_key(r, keys)]))
    totals: dict[str, Number] = defaultdict(lambda: _zero(spec.measure))
    for row in rows:
        totals[row.get("unit", "") if spec.measure == "usage" else ""] += row[spec.measure]
    if spec.measure != "usage":
        totals.setdefault("", _zero(spec.measure))
    previous = spec.previous_period(start, end)
    before = None
    if previous is not None:
        before = _previous(facts, shape, spec, tags, keys, previous, set(order), refold)
    group_totals = _group_totals(sums, keys, order, before, folds, _zero(spec.measure))
    if spec.sort == "movers":
        first = spec.group_by[0] if spec.group_by else None
        group_totals = movers_first(group_totals, by_parent=refold is not None, first=first)
    parents = subtotals(group_totals, spec.group_by[0]) if len(spec.group_by) > 1 else []
    groups = [_export(g, spec.measure) for g in group_totals] if before is not None else None
    forecast = _forecast(facts, shape, spec, tags, today) if spec.forecast else None
    return ReportResult(
        spec, start, end, rows, dict(totals), groups,
        previous[0] if previous else None, previous[1] if previous else None, forecast,
        group_totals, notices, parents,
    )  # fmt: skip


def _zero(measure: str) -> Number:
    return 0 if measure == "count" else Decimal(0)


def _fetch(facts: Queryable, shape: Shape, tags: TagSet) -> list[dict[str, Any]]:
    compiled = compile_report_query(shape, tags)
    result = facts.query(compiled.sql, compiled.params)
    rows = []
    for values in result.rows:
        row = dict(zip(compiled.columns, values, strict=True))
        value = row.pop("value")
        if shape.measure == "count":
            value = int(value or 0)
        elif value is None:
            value = Decimal(0)
        row[shape.measure] = value
        moment = row.get("date")
        if isinstance(moment, datetime):
            row["date"] = moment.isoformat(timespec="minutes")
        elif isinstance(moment, date):
            row["date"] = moment.isoformat()
        rows.append(row)
    return rows


def _key(row: dict[str, Any], keys: Sequence[str]) -> tuple[Any, ...]:
    return tuple(row[k] for k in keys)


def _sums(
    rows: list[dict[str, Any]], keys: Sequence[str], measure: str
) -> dict[tuple[Any, ...], Number]:
    sums: dict[tuple[Any, ...], Number] = defaultdict(lambda: _zero(measure))
    for row in rows:
        sums[_key(row, keys)] += row[measure]
    return sums


def _group_order(sums: dict[tuple[Any, ...], Number], spec: ReportSpec) -> list[tuple[Any, ...]]:
    if spec.sort == "name":
        return sorted(sums, key=lambda k: tuple((v is None, str(v)) for v in k))
    return sorted(sums, key=lambda k: (-sums[k], tuple((v is None, str(v)) for v in k)))


def _fold(
    rows: list[dict[str, Any]], keys: Sequence[str], kept: set[tuple[Any, ...]], measure: str
) -> list[dict[str, Any]]:
    """Rows of the kept groups, and per bin one "Other" row summing all the rest."""
    out: list[dict[str, Any]] = []
    other: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        if _key(row, keys) in kept:
            out.append(row)
            continue
        unit = row.get("unit")
        bucket = (row.get("date"), unit)
        if bucket not in other:
            folded = {k: v for k, v in row.items() if k in ("date",)}
            folded.update({k: OTHER for k in keys if k != "unit"})
            if measure == "usage":
                folded["unit"] = unit
            folded[measure] = _zero(measure)
            other[bucket] = folded
        other[bucket][measure] += row[measure]
    return out + list(other.values())


def _other_keys(
    rows: list[dict[str, Any]], keys: Sequence[str], kept: set[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    return sorted({_key(r, keys) for r in rows} - kept, key=str)


def _previous(
    facts: Queryable,
    scope: Shape,
    spec: ReportSpec,
    tags: TagSet,
    keys: Sequence[str],
    period: tuple[date, date],
    known: set[tuple[Any, ...]],
    refold: Any = None,
) -> dict[tuple[Any, ...], Number]:
    """Each group's value over the previous period; with ``top``, unknown groups are Other
    (with ``top_per_parent``, where ``refold`` puts them)."""
    shape = Shape(
        period[0], period[1], "cumulative", spec.group_by, spec.measure, spec.expr, scope.accounts
    )
    before: dict[tuple[Any, ...], Number] = defaultdict(lambda: _zero(spec.measure))
    for row in _fetch(facts, shape, tags):
        key = _key(row, keys)
        if refold is not None:
            key = refold(key)
        elif key not in known and spec.top is not None:
            key = tuple(row.get("unit") if k == "unit" else OTHER for k in keys)
        before[key] += row[spec.measure]
    return before


def _group_totals(
    now: dict[tuple[Any, ...], Number],
    keys: Sequence[str],
    order: list[tuple[Any, ...]],
    before: dict[tuple[Any, ...], Number] | None,
    folds: bool,
    zero: Number,
) -> list[GroupTotal]:
    """The groups in ``order`` (then any only the previous period had), with their change."""
    listed = order if before is None else [*order, *sorted(set(before) - set(order), key=str)]
    out = []
    for key in listed:
        named = dict(zip(keys, key, strict=True))
        other = folds and all(v == OTHER for k, v in named.items() if k != "unit")
        if before is None:
            out.append(GroupTotal(named, now[key], other=other))
            continue
        current, previous = now.get(key, zero), before.get(key, zero)
        change = current - previous
        pct = (
            (Decimal(change) * 100 / Decimal(previous)).quantize(Decimal("0.01"))
            if previous
            else None
        )
        out.append(GroupTotal(named, current, previous, change, pct, other))
    return out


def _export(group: GroupTotal, measure: str) -> dict[str, Any]:
    return {
        **group.key, measure: group.total, "previous": group.previous,
        "change": group.change, "change_pct": group.change_pct,
    }  # fmt: skip


def _forecast(
    facts: Queryable, scope: Shape, spec: ReportSpec, tags: TagSet, today: date
) -> Forecast:
    if spec.measure == "usage":
        raise InputError(
            "a forecast works for cost, billed_cost, list_cost and count, not usage",
            field="forecast",
        )
    first = min(today.replace(day=1), today - timedelta(days=HISTORY_DAYS))
    shape = Shape(first, today, "day", (), spec.measure, spec.expr, scope.accounts)
    daily = {
        date.fromisoformat(r["date"]): Decimal(r[spec.measure]) for r in _fetch(facts, shape, tags)
    }
    return forecast_month(daily, today)
