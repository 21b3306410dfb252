"""The cost report page: run a view, and turn its result into the table, chart and controls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from outlay.access import Action, Principal
from outlay.errors import FilterError, InputError
from outlay.report.dimensions import BASE_DIMENSIONS, PROVIDER_TAGS, TAG_PREFIX
from outlay.report.intervals import INTERVALS
from outlay.report.run import GroupTotal, ReportResult
from outlay.report.spec import CHARTS, DATE_BINS, MEASURES, MONEY_MEASURES, ReportSpec
from outlay.report.tags import TagSet
from outlay.report.vql import And, Compare, Expr, InList, parse_vql, to_vql
from outlay.service import Outlay
from outlay.web.pages import report_chart
from outlay.web.pages.common import (
    DRILL_NEXT,
    FILTER_OPS,
    INTERVAL_LABELS,
    MAX_DATE_ROWS,
    MEASURE_LABELS,
    dimension_label,
    visible_workspaces,
)
from outlay.web.pages.report_chart import Drill
from outlay.web.pages.report_view import ReportView, series_label, value_label


def known_dimensions(tags: TagSet) -> list[str]:
    return [
        *BASE_DIMENSIONS,
        *(TAG_PREFIX + key for key in PROVIDER_TAGS),
        *(TAG_PREFIX + key for key in tags.keys),
    ]


def with_condition(filter_text: str, condition: Expr) -> str:
    """The filter AND one more condition, as canonical VQL."""
    if not filter_text:
        return to_vql(condition)
    current = parse_vql(filter_text)
    items = current.items if isinstance(current, And) else (current,)
    return to_vql(And((*items, condition)))


def equality_fields(filter_text: str) -> set[str]:
    if not filter_text:
        return set()
    current = parse_vql(filter_text)
    items = current.items if isinstance(current, And) else (current,)
    return {i.field for i in items if isinstance(i, Compare) and i.op == "="}


def drill_groupings(view: ReportView) -> tuple[str, ...]:
    """One level deeper: the remaining group-bys, or the next dimension in the drill chain."""
    if len(view.groupings) > 1:
        return view.groupings[1:]
    first = view.groupings[0]
    taken = equality_fields(view.filter) | {first}
    candidate = DRILL_NEXT.get(first, "service")
    for _ in DRILL_NEXT:
        if candidate not in taken:
            return (candidate,)
        candidate = DRILL_NEXT.get(candidate, "service")
    return (DRILL_NEXT.get(first, "service"),)


_MARK = "\x00drill\x00"


def drill_linker(view: ReportView) -> Callable[[Any], str]:
    """Drill-down URLs of a grouped view, by the first level's value. The URL around the
    filter is the same for every row: it is built once (hundreds of rows at team size)."""
    dimension = view.groupings[0]
    base = view.with_(group_by=drill_groupings(view), report="", filter=_MARK).query()
    head, _, tail = base.partition(urlencode({"filter": _MARK}))

    def link(value: Any) -> str:
        condition = Compare(dimension, "=", None if value is None else str(value))
        text = with_condition(view.filter, condition)
        return f"/reports?{head}{urlencode({'filter': text})}{tail}"

    return link


def builder_rows(filter_text: str) -> list[dict[str, Any]] | None:
    """The filter as builder rows (conditions joined by AND), or None if it is more than that."""
    if not filter_text:
        return []
    try:
        expr = parse_vql(filter_text)
    except FilterError:
        return None
    rows = []
    for item in expr.items if isinstance(expr, And) else (expr,):
        if isinstance(item, Compare) and item.value is not None and item.op in ("=", "!=", "like"):
            op = "LIKE" if item.op == "like" else item.op
            rows.append({"dim": item.field, "op": op, "values": [item.value]})
        elif isinstance(item, InList):
            op = "NOT IN" if item.negated else "IN"
            rows.append({"dim": item.field, "op": op, "values": list(item.values)})
        else:
            return None
    return rows


@dataclass
class ReportPage:
    view: ReportView
    spec: ReportSpec | None = None
    result: ReportResult | None = None
    filter_error: str | None = None
    #: Where in the filter text the problem is (1-based), when the error says.
    filter_position: int | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: With a comparison: the previous period's total per bin, for the chart's line.
    previous_rows: list[dict[str, Any]] | None = None


def run_view(outlay: Outlay, principal: Principal, view: ReportView, tags: TagSet) -> ReportPage:
    page = ReportPage(view)
    try:
        spec = _forecastable(outlay, view.spec(), page)
        page.spec = spec
        page.result = outlay.report(spec, tags, principal=principal, workspace=view.workspace)
    except FilterError as exc:
        page.filter_error, page.filter_position = str(exc), exc.position
        return page
    except InputError as exc:
        page.errors.append(str(exc))
        return page
    page.notes.extend(page.result.notices)
    _first_day_fallback(outlay, principal, view, tags, page)
    if page.result is not None:
        page.previous_rows = _previous_rows(outlay, principal, view, tags, page.result)
        # Say when the period holds days that may still change or that lack events.
        result = page.result
        page.notes.extend(
            outlay.completeness_notes(result.start, result.end, view.workspace, principal)
        )
    return page


def _first_day_fallback(
    outlay: Outlay, principal: Principal, view: ReportView, tags: TagSet, page: ReportPage
) -> None:
    """On the 1st, "this month" is one day whose costs Cursor has not sent yet: until some
    arrive, the page shows last month, and says so."""
    today = outlay.today()
    spec, result = page.spec, page.result
    if spec is None or result is None or spec.interval != "this_month" or today.day != 1:
        return
    if result.rows:
        return
    page.spec = replace(spec, interval="last_month", forecast=False)
    page.result = outlay.report(page.spec, tags, principal=principal, workspace=view.workspace)
    page.notes.append(
        f"No cost of today ({today}, the first of the month) has arrived yet, so this shows "
        "last month; this month's costs appear once Cursor reports them."
    )


def _previous_rows(
    outlay: Outlay, principal: Principal, view: ReportView, tags: TagSet, result: ReportResult
) -> list[dict[str, Any]] | None:
    """The previous period's total per bin, when the chart draws it (a dated comparison of a
    single-unit measure); the same filter, no grouping."""
    spec = result.spec
    if result.previous_start is None or result.previous_end is None:
        return None
    if spec.date_bin == "cumulative" or spec.measure == "usage" or _stacks(result, view):
        return None  # no line drawn: spare the query
    before = ReportSpec(
        start=result.previous_start, end=result.previous_end, date_bin=spec.date_bin,
        filter=spec.filter, measure=spec.measure,
    )  # fmt: skip
    return list(outlay.report(before, tags, principal=principal, workspace=view.workspace).rows)


def _forecastable(outlay: Outlay, spec: ReportSpec, page: ReportPage) -> ReportSpec:
    """``spec``, without its forecast (and a note why) where there is nothing to forecast."""
    if not spec.forecast:
        return spec
    start, end = spec.period(outlay.today(), outlay.settings.billing_cycle_day)
    reason = None
    if spec.measure == "usage":
        reason = "The forecast is for cost and count, not usage."
    elif not start <= outlay.today() <= end:
        reason = "The forecast needs a date range that includes today."
    if reason is None:
        return spec
    page.notes.append(reason)
    return replace(spec, forecast=False)


def _table_row(
    group: GroupTotal, view: ReportView, keys: tuple[str, ...], total: Any, drill: Drill
) -> dict[str, Any]:
    measure = view.measure
    share = (
        Decimal(group.total) * 100 / Decimal(total) if total and measure in MONEY_MEASURES else None
    )
    cells = [value_label(k, group.key.get(k)) for k in keys]
    return {
        "cells": cells,
        "label": series_label(keys, group),
        "value": group.total,
        "share": share,
        "previous": group.previous,
        "change": group.change,
        "change_pct": group.change_pct,
        "other": group.other,
        "drill": drill(group.key.get(keys[0])) if keys and not group.other else None,
    }


def _two_level(result: ReportResult) -> bool:
    return len(result.spec.group_by) > 1 and bool(result.parent_totals)


def _stacks(result: ReportResult, view: ReportView) -> bool:
    """A two-level report's chart is stacked bars (a pie is always the groups)."""
    return _two_level(result) and view.chart != "pie"


def _by_parent(
    result: ReportResult, table: list[dict[str, Any]], drill: Drill
) -> list[dict[str, Any]]:
    """Two-level tables: each first-level group's subtotal, then its rows; largest first
    (or by name, or as the movers order put them), the folded "Other" last."""
    first = result.spec.group_by[0]
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in table:
        rows.setdefault(row["cells"][0], []).append(row)
    parents = []
    for entry in result.parent_totals:
        label = value_label(first, entry["key"][first])
        link = None if entry["other"] else drill(entry["key"][first])
        parents.append({**entry, "label": label, "drill": link, "rows": rows.get(label, [])})
    if result.spec.sort == "value":
        parents.sort(key=lambda p: (p["other"], -p["total"]))
    elif result.spec.sort == "name":
        parents.sort(key=lambda p: (p["other"], p["label"]))
    return parents


def date_label(text: str, date_bin: str) -> str:
    """A bin's date as the table shows it: daily dates with their weekday."""
    if date_bin == "day" and len(text) == 10:
        return f"{date.fromisoformat(text):%a} {text}"
    return text


def _chart(
    result: ReportResult, view: ReportView, drill: Drill,
    previous_rows: list[dict[str, Any]] | None, today: date | None,
) -> dict[str, Any]:  # fmt: skip
    """What report.js draws: the series (or a two-level report's stacked bars; a pie is
    always the groups), the previous period's line and the forecast."""
    stack = _stacks(result, view)
    top = result.spec.chart_top
    drawn = (
        report_chart.stacked(result, top, drill)
        if stack
        else report_chart.series(result, top, drill)
    )
    lines = not stack and result.spec.date_bin != "cumulative"
    return {
        "chart": view.chart,
        "measure": result.measure,
        "money": result.measure in MONEY_MEASURES,
        "dated": lines,
        "stacked_by": dimension_label(result.spec.group_by[1]) if stack else None,
        "date_bin": result.spec.date_bin,
        "labels": {"none": "(none)", "untagged": "(untagged)"},
        **drawn,
        "previous": (
            report_chart.previous_line(result, previous_rows)
            if lines and previous_rows is not None
            else None
        ),
        "forecast": report_chart.forecast_marks(result, today) if lines and today else None,
    }


def summarize(
    result: ReportResult, view: ReportView, previous_rows: list[dict[str, Any]] | None = None,
    today: date | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The group table (one row per group, drill links; two levels: per parent, with its
    subtotal), totals and the chart's data, from the groups and totals ``run_report`` made."""
    keys = result.group_keys
    total = result.total
    linker = drill_linker(view) if view.groupings else None

    def drill(value: Any) -> str | None:
        return linker(value) if linker is not None else None

    table = [_table_row(g, view, keys, total, drill) for g in result.group_totals]
    two_level = _two_level(result)
    chart = _chart(result, view, drill, previous_rows, today)
    return {
        "table": table,
        "parents": _by_parent(result, table, drill) if two_level else None,
        "columns": keys,
        "total": total,
        "totals": result.totals,
        "compared": result.groups is not None,
        "previous_total": result.previous_total,
        "change_pct": result.change_pct,
        "chart": chart,
        "date_rows": [
            {**r, "date": date_label(r.get("date") or "", result.spec.date_bin)}
            for r in result.rows[:MAX_DATE_ROWS]
        ],
        "more_rows": max(0, len(result.rows) - MAX_DATE_ROWS),
        "dated": result.spec.date_bin != "cumulative",
    }


def report_context(
    outlay: Outlay, principal: Principal, view: ReportView, tags: TagSet, page: ReportPage
) -> dict[str, Any]:
    dimensions = known_dimensions(tags)
    levels = [
        {
            "name": g,
            "remove": view.url(group_by=tuple(x for x in view.groupings if x != g)),
            "up": view.url(group_by=_swap(view.groupings, i - 1)) if i else None,
        }
        for i, g in enumerate(view.groupings)
    ]
    rows = builder_rows(view.filter) if not page.filter_error else None
    builder = {
        "rows": rows,
        "dimensions": [[d, dimension_label(d)] for d in dimensions],
        "ops": list(FILTER_OPS),
        "values_url": "/reports/values?" + view.period_params(),
        "invalid": page.filter_error is not None,
    }
    summary = (
        summarize(page.result, view, page.previous_rows, outlay.today())
        if page.result is not None
        else None
    )
    return {
        "view": view,
        "page": page,
        "result": page.result,
        "summary": summary,
        "workspaces": visible_workspaces(outlay, principal),
        "intervals": [(i, INTERVAL_LABELS.get(i, i)) for i in INTERVALS],
        "date_bins": DATE_BINS,
        "measures": [(m, MEASURE_LABELS[m], view.url(measure=m)) for m in MEASURES],
        "charts": [(c, c.capitalize(), view.url(chart=c)) for c in CHARTS],
        "levels": levels,
        "addable": [(d, dimension_label(d)) for d in dimensions if d not in view.groupings],
        "builder": builder,
        "filter_position": page.filter_position,
        "csv_url": view.url("/reports/export.csv"),
        "can_edit": principal.can(Action.EDIT),
        "money_measure": view.measure in MONEY_MEASURES,
    }


def _swap(items: tuple[str, ...], index: int) -> tuple[str, ...]:
    """``items`` with the item at ``index`` and the next one swapped."""
    swapped = list(items)
    swapped[index], swapped[index + 1] = swapped[index + 1], swapped[index]
    return tuple(swapped)
