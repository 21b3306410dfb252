"""The cost report page: run a view, and turn its result into the table, chart and controls."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from outlay.access import Action, Principal
from outlay.errors import FilterError, InputError
from outlay.report.dimensions import BASE_DIMENSIONS, PROVIDER_TAGS, TAG_PREFIX
from outlay.report.export import to_data
from outlay.report.intervals import INTERVALS
from outlay.report.run import OTHER, ReportResult
from outlay.report.spec import CHARTS, DATE_BINS, MEASURES, MONEY_MEASURES, ReportSpec
from outlay.report.tags import TagSet
from outlay.report.vql import And, Compare, Expr, InList, parse_vql, to_vql
from outlay.service import Outlay
from outlay.web.pages.common import (
    DRILL_NEXT,
    FILTER_OPS,
    INTERVAL_LABELS,
    MAX_DATE_ROWS,
    MEASURE_LABELS,
    dimension_label,
    visible_workspaces,
)
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


def drill_url(view: ReportView, value: Any) -> str:
    dimension = view.groupings[0]
    condition = Compare(dimension, "=", None if value is None else str(value))
    return view.url(
        filter=with_condition(view.filter, condition), group_by=drill_groupings(view), report=""
    )


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
    # Say when the period holds days that may still change or that lack events.
    result = page.result
    page.notes.extend(
        outlay.completeness_notes(result.start, result.end, view.workspace, principal)
    )
    return page


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


def summarize(result: ReportResult, view: ReportView) -> dict[str, Any]:
    """The group table (one row per group, drill links), totals and the chart's data, from
    the groups and totals ``run_report`` made."""
    keys = result.group_keys
    measure = result.measure
    total = result.total
    table = []
    for group in result.group_totals:
        share = (
            Decimal(group.total) * 100 / Decimal(total)
            if total and measure in MONEY_MEASURES
            else None
        )
        table.append(
            {
                "cells": [value_label(k, group.key.get(k)) for k in keys],
                "label": series_label(keys, group),
                "value": group.total,
                "share": share,
                "previous": group.previous,
                "change": group.change,
                "change_pct": group.change_pct,
                "drill": (
                    drill_url(view, group.key.get(view.groupings[0]))
                    if view.groupings and not group.other
                    else None
                ),
            }
        )
    data = to_data(result)
    chart = {
        "chart": view.chart,
        "measure": measure,
        "money": measure in MONEY_MEASURES,
        "dated": result.spec.date_bin != "cumulative",
        "date_bin": result.spec.date_bin,
        "group_keys": list(keys),
        "rows": data["rows"],
        "labels": {"none": "(none)", "untagged": "(untagged)", "other": OTHER},
        "order": [t["label"] for t in table],
        "drill": {t["label"]: t["drill"] for t in table if t["drill"]},
        "forecast": data.get("forecast"),
    }
    return {
        "table": table,
        "columns": keys,
        "total": total,
        "totals": result.totals,
        "compared": result.groups is not None,
        "previous_total": result.previous_total,
        "change_pct": result.change_pct,
        "chart": chart,
        "date_rows": result.rows[:MAX_DATE_ROWS],
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
    summary = summarize(page.result, view) if page.result is not None else None
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
