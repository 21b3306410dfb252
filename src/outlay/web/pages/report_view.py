"""The cost report page's state, parsed from and written back to its URL."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from outlay.access import Action, Principal
from outlay.errors import FilterError, InputError
from outlay.report.dimensions import BASE_DIMENSIONS, PROVIDER_TAGS, TAG_PREFIX
from outlay.report.export import to_data
from outlay.report.intervals import INTERVALS
from outlay.report.run import OTHER, ReportResult
from outlay.report.spec import DATE_BINS, MEASURES, MONEY_MEASURES, ReportSpec
from outlay.report.tags import TagSet
from outlay.report.vql import And, Compare, Expr, InList, fields_used, parse_vql, to_vql
from outlay.service import Outlay
from outlay.web.pages.common import (
    CHARTS,
    DEFAULT_GROUPS,
    DRILL_NEXT,
    FILTER_OPS,
    INTERVAL_LABELS,
    MAX_DATE_ROWS,
    MEASURE_LABELS,
    dimension_label,
    visible_workspaces,
)

# -- cost reports: the view in the URL --------------------------------------------------------


@dataclass(frozen=True)
class ReportView:
    """Everything a report page shows, as the URL's query parameters (raw text where typed)."""

    workspace: str
    interval: str = "this_month"
    start: str = ""
    end: str = ""
    date_bin: str = "day"
    groupings: tuple[str, ...] = DEFAULT_GROUPS
    filter: str = ""
    measure: str = "cost"
    top: str = ""
    compare: str = ""
    forecast: bool = False
    chart: str = "bar"
    sort: str = "value"
    #: The saved report this view was opened from (a label; the other fields are the spec).
    report: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str], workspace: str) -> ReportView:
        def text(name: str) -> str:
            return query.get(name, "").strip()

        interval = "" if text("interval") == "custom" else text("interval")
        start, end = text("start_date"), text("end_date")
        if interval:
            start = end = ""
        elif not start and not end:
            interval = "this_month"
        groupings = (
            DEFAULT_GROUPS
            if "groupings" not in query
            else tuple(dict.fromkeys(g.strip() for g in query["groupings"].split(",") if g.strip()))
        )
        chart = text("chart") if text("chart") in CHARTS else "bar"
        return cls(
            workspace=workspace, interval=interval, start=start, end=end,
            date_bin=text("date_bin") or "day", groupings=groupings,
            filter=query.get("filter", "").strip(), measure=text("measure") or "cost",
            top=text("top"), compare=text("compare"),
            forecast=text("forecast").lower() in ("true", "1", "on", "yes"), chart=chart,
            sort=text("sort") or "value", report=text("report"),
        )  # fmt: skip

    @classmethod
    def from_spec(cls, spec: ReportSpec, workspace: str, report: str = "") -> ReportView:
        return cls(
            workspace=workspace, interval=spec.interval or "",
            start=spec.start.isoformat() if spec.start else "",
            end=spec.end.isoformat() if spec.end else "", date_bin=spec.date_bin,
            groupings=spec.group_by, filter=spec.filter or "", measure=spec.measure,
            top=str(spec.top) if spec.top else "", compare=spec.compare or "",
            forecast=spec.forecast, sort=spec.sort, report=report,
        )  # fmt: skip

    def params(self) -> list[tuple[str, str]]:
        out = [("workspace", self.workspace)]
        if self.report:
            out.append(("report", self.report))
        if self.interval:
            out.append(("interval", self.interval))
        else:
            out += [("start_date", self.start), ("end_date", self.end)]
        out += [("date_bin", self.date_bin), ("groupings", ",".join(self.groupings))]
        if self.filter:
            out.append(("filter", self.filter))
        out.append(("measure", self.measure))
        for name, value in (("top", self.top), ("compare", self.compare)):
            if value:
                out.append((name, value))
        if self.forecast:
            out.append(("forecast", "true"))
        out.append(("chart", self.chart))
        if self.sort != "value":
            out.append(("sort", self.sort))
        return out

    def query(self) -> str:
        return urlencode(self.params())

    def url(self, path: str = "/reports", **changes: Any) -> str:
        return f"{path}?{replace(self, **changes).query()}"

    def period_params(self) -> str:
        """Only the date range: what the filter builder's value lists are read over."""
        keep = ("workspace", "interval", "start_date", "end_date")
        return urlencode([(k, v) for k, v in self.params() if k in keep])

    def spec(self) -> ReportSpec:
        top = None
        if self.top:
            try:
                top = int(self.top)
            except ValueError:
                raise InputError(f"top {self.top!r} is not a whole number") from None
        return ReportSpec(
            start=_day(self.start, "start_date") if not self.interval else None,
            end=_day(self.end, "end_date") if not self.interval else None,
            interval=self.interval or None, date_bin=self.date_bin, group_by=self.groupings,
            filter=self.filter or None, measure=self.measure, compare=self.compare or None,
            top=top, sort=self.sort, forecast=self.forecast,
        )  # fmt: skip


def _day(text: str, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name} {text!r} is not a date; use YYYY-MM-DD") from None


def known_dimensions(tags: TagSet) -> list[str]:
    return [
        *BASE_DIMENSIONS,
        *(TAG_PREFIX + key for key in PROVIDER_TAGS),
        *(TAG_PREFIX + key for key in tags.keys),
    ]


def check_filter_tags(spec: ReportSpec, tags: TagSet) -> None:
    """Name an unknown tag in the filter as a filter problem (the report would too, vaguely)."""
    if spec.expr is None:
        return
    for name in sorted(fields_used(spec.expr)):
        key = name[len(TAG_PREFIX) :] if name.startswith(TAG_PREFIX) else None
        if key is not None and key not in PROVIDER_TAGS and key not in tags:
            known = ", ".join([*tags.keys, *PROVIDER_TAGS])
            raise FilterError(f"filter: unknown tag {key!r}; known tags: {known}")


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
        filter=with_condition(view.filter, condition), groupings=drill_groupings(view), report=""
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


def value_label(dimension: str, value: Any) -> str:
    if value is None:
        return "(untagged)" if dimension.startswith(TAG_PREFIX) else "(none)"
    return str(value)


def series_label(keys: Sequence[str], row: Mapping[str, Any]) -> str:
    """A group's name in the chart: its values joined by " - " (Vantage's style)."""
    if not keys:
        return "Total"
    if all(k == "unit" or row.get(k) == OTHER for k in keys):  # the groups "top" folded
        return " - ".join([OTHER, *(str(row.get(k)) for k in keys if k == "unit")])
    return " - ".join(value_label(k, row.get(k)) for k in keys)


@dataclass
class ReportPage:
    view: ReportView
    spec: ReportSpec | None = None
    result: ReportResult | None = None
    filter_error: str | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_view(outlay: Outlay, principal: Principal, view: ReportView, tags: TagSet) -> ReportPage:
    page = ReportPage(view)
    try:
        spec = view.spec()
        check_filter_tags(spec, tags)
    except FilterError as exc:
        page.filter_error = str(exc)
        return page
    except InputError as exc:
        page.errors.append(str(exc))
        return page
    if spec.forecast:
        start, end = spec.period(outlay.today(), outlay.settings.billing_cycle_day)
        reason = None
        if spec.measure == "usage":
            reason = "The forecast is for cost and count, not usage."
        elif not start <= outlay.today() <= end:
            reason = "The forecast needs a date range that includes today."
        if reason:
            page.notes.append(reason)
            spec = replace(spec, forecast=False)
    page.spec = spec
    try:
        page.result = outlay.report(spec, tags, principal=principal, workspace=view.workspace)
    except FilterError as exc:
        page.filter_error = str(exc)
    except InputError as exc:
        page.errors.append(str(exc))
    return page


def summarize(result: ReportResult, view: ReportView) -> dict[str, Any]:
    """The group table (one row per group, drill links), totals and the chart's data."""
    keys = result.group_keys
    measure = result.measure
    zero: Decimal | int = 0 if measure == "count" else Decimal(0)
    folded = result.spec.top is not None
    if result.groups is not None:
        groups = [dict(g) for g in result.groups]
    else:
        sums: dict[tuple[Any, ...], Any] = {}
        for row in result.rows:
            key = tuple(row.get(k) for k in keys)
            sums[key] = sums.get(key, zero) + row[measure]
        order = sorted(
            sums,
            key=lambda k: (
                folded and all(v == OTHER for v in k if v is not None),
                -sums[k] if view.sort == "value" else 0,
                tuple(str(v) for v in k),
            ),
        )
        groups = [{**dict(zip(keys, k, strict=True)), measure: sums[k]} for k in order]
    total = result.total
    table = []
    for group in groups:
        other = folded and bool(keys) and all(group.get(k) == OTHER for k in result.spec.group_by)
        share = (
            Decimal(group[measure]) * 100 / Decimal(total)
            if total and measure in MONEY_MEASURES
            else None
        )
        table.append(
            {
                "cells": [value_label(k, group.get(k)) for k in keys],
                "label": series_label(keys, group),
                "value": group[measure],
                "share": share,
                "previous": group.get("previous"),
                "change": group.get("change"),
                "change_pct": group.get("change_pct"),
                "drill": (
                    drill_url(view, group.get(view.groupings[0]))
                    if view.groupings and not other
                    else None
                ),
            }
        )
    compared = result.groups is not None
    previous_total = (
        sum((g["previous"] for g in groups), zero) if compared and total is not None else None
    )
    change_pct = (
        (Decimal(total) - Decimal(previous_total)) * 100 / Decimal(previous_total)
        if total is not None and previous_total
        else None
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
        "compared": compared,
        "previous_total": previous_total,
        "change_pct": change_pct,
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
            "remove": view.url(groupings=tuple(x for x in view.groupings if x != g)),
            "up": view.url(groupings=_swap(view.groupings, i - 1)) if i else None,
        }
        for i, g in enumerate(view.groupings)
    ]
    position = None
    if page.filter_error and (found := re.search(r"position (\d+)", page.filter_error)):
        position = int(found.group(1))
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
        "filter_position": position,
        "csv_url": view.url("/reports/export.csv"),
        "can_edit": principal.can(Action.EDIT),
        "money_measure": view.measure in MONEY_MEASURES,
    }


def _swap(items: tuple[str, ...], index: int) -> tuple[str, ...]:
    """``items`` with the item at ``index`` and the next one swapped."""
    swapped = list(items)
    swapped[index], swapped[index + 1] = swapped[index + 1], swapped[index]
    return tuple(swapped)
