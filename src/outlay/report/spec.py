"""What a cost report asks for, as plain data. Validated on construction, compiled elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from outlay.errors import InputError
from outlay.report.dimensions import dimension_sql
from outlay.report.filters import Condition, parse_filter

DATE_BINS = ("day", "week", "month", "cumulative")


@dataclass(frozen=True)
class CostQuery:
    start: date
    end: date
    filter: str | None = None
    group_by: tuple[str, ...] = ()
    date_bin: str = "day"
    conditions: tuple[Condition, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InputError(f"--end {self.end} is before --start {self.start}; swap them")
        if self.date_bin not in DATE_BINS:
            raise InputError(
                f"unknown date bin {self.date_bin!r}; use one of {', '.join(DATE_BINS)}"
            )
        if len(set(self.group_by)) != len(self.group_by):
            raise InputError(f"group-by {','.join(self.group_by)} names a dimension twice")
        for name in self.group_by:
            dimension_sql(name)
        if self.filter is not None and self.filter.strip():
            object.__setattr__(self, "conditions", tuple(parse_filter(self.filter)))
