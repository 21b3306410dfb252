"""What a cost report asks for, as plain data: validated on construction, compiled elsewhere.

A spec is saved as a report and sent over the API, so it round-trips through ``to_data`` /
``from_data`` (plain JSON types).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

from outlay.errors import InputError
from outlay.report.dimensions import check_dimension
from outlay.report.intervals import INTERVALS, previous_range, resolve_interval
from outlay.report.vql import Expr, parse_vql

DATE_BINS = ("hour", "day", "week", "month", "quarter", "cumulative")
MEASURES = ("cost", "billed_cost", "list_cost", "usage", "count")
MONEY_MEASURES = ("cost", "billed_cost", "list_cost")
SORTS = ("value", "name", "movers")
CHARTS = ("bar", "line", "area", "pie")
MAX_TOP = 1000
#: How many groups the web page's chart draws by default; the rest are one "Other" series.
CHART_TOP = 10
#: The days a report may name. Cursor's usage starts in 2023 and no bill runs past this
#: century; outside this range a date is a typo, and day arithmetic near the ends of Python's
#: calendar (years 1 and 9999) overflows.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


@dataclass(frozen=True)
class ReportSpec:
    start: date | None = None
    end: date | None = None
    interval: str | None = None
    date_bin: str = "day"
    group_by: tuple[str, ...] = ()
    filter: str | None = None
    measure: str = "cost"
    #: None, "previous" (the period before, by ``intervals.previous_range``), or
    #: "YYYY-MM-DD..YYYY-MM-DD".
    compare: str | None = None
    #: Keep the N largest groups and fold the rest into one "Other" group.
    top: int | None = None
    #: With two or more group-by levels: keep the N largest second-level groups within each
    #: first-level group and fold the rest into "<parent> - Other"; ``top`` then counts parents.
    top_per_parent: int | None = None
    #: Order of groups: by value (largest first), by name, or by the largest absolute change
    #: against the comparison ("movers").
    sort: str = "value"
    forecast: bool = False
    #: How the web page draws it; kept with a saved report.
    chart: str = "bar"
    #: How many groups the web page's chart draws; the rest are one "Other" series.
    chart_top: int = CHART_TOP
    expr: Expr | None = field(init=False, default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Messages name options by their plain names: the web page and the API show them too.
        # The CLI adds its flag from ``field`` (see ``cli.errors``).
        if self.interval is not None and (self.start is not None or self.end is not None):
            raise InputError(
                "give a start and an end date or an interval, not both", field="period"
            )
        if self.interval is None and (self.start is None or self.end is None):
            raise InputError("give both a start and an end date, or an interval", field="period")
        if self.interval is not None and self.interval not in INTERVALS:
            raise InputError(
                f"unknown interval {self.interval!r}; use one of {', '.join(INTERVALS)}",
                field="interval",
            )
        _in_range(self.start, "start date", "start")
        _in_range(self.end, "end date", "end")
        if self.start and self.end and self.end < self.start:
            raise InputError(
                f"the end date {self.end} is before the start date {self.start}; swap them",
                field="end",
            )
        _one_of(self.date_bin, DATE_BINS, "date bin", "date_bin")
        _one_of(self.measure, MEASURES, "measure", "measure")
        _one_of(self.sort, SORTS, "sort", "sort")
        _one_of(self.chart, CHARTS, "chart", "chart")
        if len(set(self.group_by)) != len(self.group_by):
            raise InputError(
                f"group-by {','.join(self.group_by)} names a dimension twice", field="group_by"
            )
        for name in self.group_by:
            check_dimension(name)
        if self.top is not None and not 1 <= self.top <= MAX_TOP:
            raise InputError(f"top must be 1 to {MAX_TOP}, not {self.top}", field="top")
        if self.top_per_parent is not None:
            if not 1 <= self.top_per_parent <= MAX_TOP:
                raise InputError(
                    f"top per parent must be 1 to {MAX_TOP}, not {self.top_per_parent}",
                    field="top_per_parent",
                )
            if len(self.group_by) < 2:
                raise InputError(
                    "top per parent needs two group-by levels, e.g. resource,service",
                    field="top_per_parent",
                )
        if not 1 <= self.chart_top <= MAX_TOP:
            raise InputError(
                f"chart top must be 1 to {MAX_TOP}, not {self.chart_top}", field="chart_top"
            )
        if self.sort == "movers" and self.compare is None:
            raise InputError(
                "sort movers ranks groups by their change: add compare=previous or a range",
                field="sort",
            )
        if self.compare not in (None, "previous"):
            _custom_period(self.compare)
        if self.filter is not None and self.filter.strip():
            object.__setattr__(self, "expr", parse_vql(self.filter))

    def period(self, today: date, cycle_day: int = 1) -> tuple[date, date]:
        if self.interval is not None:
            return resolve_interval(self.interval, today, cycle_day)
        assert self.start is not None and self.end is not None
        return self.start, self.end

    def previous_period(self, start: date, end: date) -> tuple[date, date] | None:
        if self.compare is None:
            return None
        if self.compare == "previous":
            return previous_range(self.interval, start, end)
        return _custom_period(self.compare)

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("expr")
        data["group_by"] = list(self.group_by)
        for key in ("start", "end"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ReportSpec:
        """A spec from ``to_data``'s shape, as stored or sent to the API; a value of the wrong
        type is an input error naming the field."""
        if not isinstance(data, dict):
            raise InputError("a report spec is an object of report options")
        known = {f.name for f in fields(cls) if f.init}
        unknown = set(data) - known
        if unknown:
            raise InputError(f"report spec has unknown fields {sorted(unknown)}")
        values = {k: v for k, v in data.items() if v is not None}
        for key, value in values.items():
            kind, name = _FIELD_TYPES[key]
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise InputError(f"report spec field {key!r} must be {name}", field=key)
        for key in ("start", "end"):
            if key in values:
                values[key] = _iso_day(values[key], key)
        group_by = values.get("group_by") or ()
        if not all(isinstance(g, str) for g in group_by):
            raise InputError(
                "report spec field 'group_by' must be a list of text", field="group_by"
            )
        values["group_by"] = tuple(group_by)
        return cls(**values)


_TEXT = (str, "text")
#: What each field of ``to_data``'s shape holds, and how an error names it.
_FIELD_TYPES: dict[str, tuple[type | tuple[type, ...], str]] = {
    "start": _TEXT, "end": _TEXT, "interval": _TEXT, "date_bin": _TEXT, "filter": _TEXT,
    "measure": _TEXT, "compare": _TEXT, "sort": _TEXT, "chart": _TEXT,
    "group_by": ((list, tuple), "a list of text"), "top": (int, "a whole number"),
    "top_per_parent": (int, "a whole number"), "chart_top": (int, "a whole number"),
    "forecast": (bool, "true or false"),
}  # fmt: skip


def _iso_day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"report spec field {name!r}: {text!r} is not a date; use YYYY-MM-DD", field=name
        ) from None


def _one_of(value: str, allowed: tuple[str, ...], what: str, name: str) -> None:
    if value not in allowed:
        raise InputError(f"unknown {what} {value!r}; use one of {', '.join(allowed)}", field=name)


def _in_range(day: date | None, what: str, name: str) -> None:
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(
            f"the {what} {day} is out of range; use a day from {FIRST_DAY} to {LAST_DAY}",
            field=name,
        )


def _custom_period(text: str) -> tuple[date, date]:
    try:
        first, last = (date.fromisoformat(part.strip()) for part in text.split(".."))
    except ValueError:
        raise InputError(
            f"compare {text!r} is not 'previous' or a range like 2026-01-01..2026-01-31",
            field="compare",
        ) from None
    _in_range(first, "compare range's first day", "compare")
    _in_range(last, "compare range's last day", "compare")
    if last < first:
        raise InputError(f"compare {text}: the range ends before it starts", field="compare")
    return first, last
