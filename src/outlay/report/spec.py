"""What a cost report asks for, as plain data: validated on construction, compiled elsewhere.

A spec is saved as a report and sent over the API, so it round-trips through ``to_data`` /
``from_data`` (plain JSON types).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from outlay.errors import InputError
from outlay.report.dimensions import check_dimension
from outlay.report.intervals import INTERVALS, resolve_interval
from outlay.report.vql import Expr, parse_vql

DATE_BINS = ("hour", "day", "week", "month", "quarter", "cumulative")
MEASURES = ("cost", "billed_cost", "list_cost", "usage", "count")
MONEY_MEASURES = ("cost", "billed_cost", "list_cost")
SORTS = ("value", "name")
CHARTS = ("bar", "line", "area", "pie")
MAX_TOP = 1000


@dataclass(frozen=True)
class ReportSpec:
    start: date | None = None
    end: date | None = None
    interval: str | None = None
    date_bin: str = "day"
    group_by: tuple[str, ...] = ()
    filter: str | None = None
    measure: str = "cost"
    #: None, "previous" (the same number of days right before), or "YYYY-MM-DD..YYYY-MM-DD".
    compare: str | None = None
    #: Keep the N largest groups and fold the rest into one "Other" group.
    top: int | None = None
    #: Order of groups: by value (largest first) or by name.
    sort: str = "value"
    forecast: bool = False
    #: How the web page draws it; kept with a saved report.
    chart: str = "bar"
    expr: Expr | None = field(init=False, default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.interval is not None and (self.start is not None or self.end is not None):
            raise InputError("give start and end dates (--start/--end) or an interval, not both")
        if self.interval is None and (self.start is None or self.end is None):
            raise InputError("give both a start and an end date (--start/--end), or an interval")
        if self.interval is not None and self.interval not in INTERVALS:
            raise InputError(
                f"unknown interval {self.interval!r}; use one of {', '.join(INTERVALS)}"
            )
        if self.start and self.end and self.end < self.start:
            raise InputError(f"--end {self.end} is before --start {self.start}; swap them")
        _one_of(self.date_bin, DATE_BINS, "date bin")
        _one_of(self.measure, MEASURES, "measure")
        _one_of(self.sort, SORTS, "sort")
        _one_of(self.chart, CHARTS, "chart")
        if len(set(self.group_by)) != len(self.group_by):
            raise InputError(f"group-by {','.join(self.group_by)} names a dimension twice")
        for name in self.group_by:
            check_dimension(name)
        if self.top is not None and not 1 <= self.top <= MAX_TOP:
            raise InputError(f"--top must be 1 to {MAX_TOP}")
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
            length = (end - start).days + 1
            return start - timedelta(days=length), start - timedelta(days=1)
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
        known = {f.name for f in fields(cls) if f.init}
        unknown = set(data) - known
        if unknown:
            raise InputError(f"report spec has unknown fields {sorted(unknown)}")
        values = dict(data)
        for key in ("start", "end"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        values["group_by"] = tuple(values.get("group_by") or ())
        return cls(**values)


def _one_of(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise InputError(f"unknown {what} {value!r}; use one of {', '.join(allowed)}")


def _custom_period(text: str) -> tuple[date, date]:
    try:
        first, last = (date.fromisoformat(part) for part in text.split(".."))
    except ValueError:
        raise InputError(
            f"--compare {text!r} is not 'previous' or a range like 2026-01-01..2026-01-31"
        ) from None
    if last < first:
        raise InputError(f"--compare {text}: the range ends before it starts")
    return first, last
