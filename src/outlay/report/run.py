"""The one data function of cost reports: every surface (CLI, API, HTML) renders its result."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from outlay.errors import InputError
from outlay.report.check import check
from outlay.report.compile import Shape, compile_report_query
from outlay.report.forecast import HISTORY_DAYS, Forecast, forecast_month
from outlay.report.per_parent import movers_first, rank_per_parent, regroup, subtotals
from outlay.report.rows import (
    RANK,
    Key,
    Rows,
    bin_text,
    fold_other,
    group_codes,
    order_rows,
    rank_rows,
    ranked_groups,
    sum_by,
    zero_nulls,
)
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet

OTHER = "Other"
Number = Decimal | int


class Queryable(Protocol):
    #: The daily rollup the store keeps in step with its cost rows, and the relation of both
    #: its rollups tagged by grain (``Facts.rolled_table``), or None.
    rollup_table: str | None
    rolled_table: str | None

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table: ...


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
    #: for usage, and the measure under its own name (``cost``, ``usage``, …). From a report
    #: run it is ``Rows``: its ``table`` holds the same rows as Arrow, for the exports.
    rows: Sequence[dict[str, Any]]
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
    raw: bool = False,
) -> ReportResult:
    """``accounts``: report only these accounts' costs (a workspace's); None for all.
    ``raw``: read the cost rows even where a rollup would do (tests compare both)."""
    notices = tuple(check(spec, tags))
    start, end = spec.period(today, cycle_day)
    rollups = (None, None) if raw else (facts.rollup_table, facts.rolled_table)
    shape = Shape(
        start, end, spec.date_bin, spec.group_by, spec.measure, spec.expr, accounts, *rollups
    )
    keys = (*spec.group_by, *(("unit",) if spec.measure == "usage" else ()))
    fetched, refold = _fetch(facts, shape, tags), None
    if spec.top_per_parent is not None:  # the spec checked there are two levels
        table, order, sums, refold = _shaped_per_parent(fetched, spec, keys)
    else:
        table, order, sums = _shaped(fetched, spec, keys)
    totals: dict[str, Number] = {
        ("" if not unit else unit[0]): value
        for unit, value in _sum_rows(table, ("unit",) if spec.measure == "usage" else (), spec)
    }
    previous = spec.previous_period(start, end)
    before = None
    if previous is not None:
        before = _previous(facts, shape, spec, tags, keys, previous, set(order), refold)
    # With top, groups beyond it (now or in the previous period) fold into one "Other".
    folds = refold is not None or (spec.top is not None and bool(spec.group_by))
    group_totals = _group_totals(sums, keys, order, before, folds, _zero(spec.measure))
    if spec.sort == "movers":
        first = spec.group_by[0] if spec.group_by else None
        group_totals = movers_first(group_totals, by_parent=refold is not None, first=first)
    parents = subtotals(group_totals, spec.group_by[0]) if len(spec.group_by) > 1 else []
    groups = [_export(g, spec.measure) for g in group_totals] if before is not None else None
    forecast = _forecast(facts, shape, spec, tags, today) if spec.forecast else None
    return ReportResult(
        spec, start, end, Rows(table), totals, groups,
        previous[0] if previous else None, previous[1] if previous else None, forecast,
        group_totals, notices, parents,
    )  # fmt: skip


def _zero(measure: str) -> Number:
    return 0 if measure == "count" else Decimal(0)


def _fetch(facts: Queryable, shape: Shape, tags: TagSet) -> pa.Table:
    """The query's rows as Arrow: ISO text bins, group keys by name, the measure (0 if empty)."""
    compiled = compile_report_query(shape, tags)
    names = [shape.measure if c == "value" else c for c in compiled.columns]
    table = facts.arrow(compiled.sql, compiled.params).rename_columns(names)
    measure = table.column_names.index(shape.measure)
    table = table.set_column(
        measure, shape.measure, zero_nulls(table[shape.measure], shape.measure == "count")
    )
    if "date" in names:
        table = table.set_column(names.index("date"), "date", bin_text(table["date"]))
    return table


def _shaped(
    table: pa.Table, spec: ReportSpec, keys: Sequence[str]
) -> tuple[pa.Table, list[Key], dict[Key, Number]]:
    """The rows in the spec's order (with ``top``, the rest folded into "Other"), the groups
    in order and each group's total. Column-wise: per-group work only touches the groups."""
    codes = group_codes(table, keys)
    order, totals, found = ranked_groups(table, keys, spec.measure, codes, spec.sort == "name")
    sums = dict(zip(order, totals, strict=True))
    code_of = dict(zip(order, found, strict=True))
    rank_of_code = [0] * len(order)
    for position, code in enumerate(found):
        rank_of_code[code] = position
    # With top, groups beyond it (now or in the previous period) fold into one "Other".
    if spec.top is not None and spec.group_by and len(order) > spec.top:
        kept = order[: spec.top]
        kept_codes = pa.array([code_of[k] for k in kept], pa.int64())
        mask = pc.is_in(codes, value_set=kept_codes)
        other = fold_other(table, keys, pc.invert(mask), spec.measure, OTHER)
        other_sums = {
            tuple(OTHER if k != "unit" else row["unit"] for k in keys): row[spec.measure]
            for row in sum_by(other, [k for k in ("unit",) if k in keys], spec.measure).to_pylist()
        }
        other_order = sorted(other_sums, key=str)
        order = [*kept, *other_order]
        sums = {**{k: sums[k] for k in kept}, **other_sums}
        rank = {key: i for i, key in enumerate(order)}
        other_ranks = [rank[_key(r, keys)] for r in other.select(list(keys)).to_pylist()]
        ranked_other = other.append_column(RANK, pa.array(other_ranks, pa.int64()))
        kept_rows = table.filter(mask).append_column(
            RANK, rank_rows(codes.filter(mask), rank_of_code)
        )
        table = pa.concat_tables([kept_rows, ranked_other.cast(kept_rows.schema)])
    else:
        table = table.append_column(RANK, rank_rows(codes, rank_of_code))
    return order_rows(table, spec.date_bin != "cumulative"), order, sums


def _shaped_per_parent(
    table: pa.Table, spec: ReportSpec, keys: Sequence[str]
) -> tuple[pa.Table, list[Key], dict[Key, Number], Callable[[Key], Key]]:
    """As ``_shaped``, ranking second-level groups within each first-level one. Rows pass
    through Python here: grouped two levels deep they are few, and the ranking is per parent."""
    rows = table.to_pylist()
    zero = _zero(spec.measure)
    sums: dict[Key, Number] = defaultdict(lambda: zero)
    for row in rows:
        sums[_key(row, keys)] += row[spec.measure]
    ranking = rank_per_parent(
        sums, keys, per_parent=spec.top_per_parent or 0, parents=spec.top,
        by_name=spec.sort == "name", other=OTHER,
    )  # fmt: skip
    rows = regroup(rows, keys, ranking.fold, spec.measure)
    folded: dict[Key, Number] = defaultdict(lambda: zero)
    for row in rows:
        folded[_key(row, keys)] += row[spec.measure]
    rank = {key: i for i, key in enumerate(ranking.order)}
    shaped = pa.Table.from_pylist(rows, schema=table.schema).append_column(
        RANK, pa.array([rank[_key(r, keys)] for r in rows], pa.int64())
    )
    order = [k for k in ranking.order if k in folded]
    return order_rows(shaped, spec.date_bin != "cumulative"), order, dict(folded), ranking.fold


def _sum_rows(table: pa.Table, keys: Sequence[str], spec: ReportSpec) -> list[tuple[Key, Number]]:
    """``measure`` summed per ``keys``; without keys one row, 0 when there are no rows."""
    zero = _zero(spec.measure)
    return [
        (tuple(row[k] for k in keys), row[spec.measure] or zero)
        for row in sum_by(table, keys, spec.measure).to_pylist()
    ]


def _key(row: dict[str, Any], keys: Sequence[str]) -> Key:
    return tuple(row[k] for k in keys)


def _previous(
    facts: Queryable,
    scope: Shape,
    spec: ReportSpec,
    tags: TagSet,
    keys: Sequence[str],
    period: tuple[date, date],
    known: set[Key],
    refold: Callable[[Key], Key] | None = None,
) -> dict[Key, Number]:
    """Each group's value over the previous period; with ``top``, unknown groups are Other
    (with ``top_per_parent``, where ``refold`` puts them)."""
    shape = Shape(
        period[0], period[1], "cumulative", spec.group_by, spec.measure, spec.expr,
        scope.accounts, scope.rollup, scope.monthly,
    )  # fmt: skip
    before: dict[Key, Number] = defaultdict(lambda: _zero(spec.measure))
    # Cumulative: one row per group, so there are as many rows as groups.
    for row in _fetch(facts, shape, tags).to_pylist():
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
    shape = Shape(first, today, "day", (), spec.measure, spec.expr, scope.accounts, scope.rollup)
    daily = {
        date.fromisoformat(r["date"]): Decimal(r[spec.measure])
        for r in _fetch(facts, shape, tags).to_pylist()
    }
    return forecast_month(daily, today)
