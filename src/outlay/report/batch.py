"""Many cost queries of one period answered by one query: the guardrails' rules.

A workspace's cost alerts and anomaly watches are report queries over the same few months that
differ in filter, group-by, time bin and first day. Run one by one, each reads the rows again.
Here the rows are read once (the daily rollup, when the compiler allows it): summed per day and
every dimension any query groups by, with one sum per distinct filter (``FILTER`` clauses); then
each distinct (bin, group-by) sums those day rows again, from the first day any query of it
needs. Sums of sums are exact, so each query gets the rows its own report query would give.
Pure: builds SQL and splits its answer, never runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from outlay.report.compile import (
    _BIN_SQL,
    MEASURE_COLUMNS,
    CompiledQuery,
    Shape,
    _column_sql,
    filter_sql,
    needed_tags,
    scoped_rows,
)
from outlay.report.tags import TagSet
from outlay.report.vql import And, parse_vql


@dataclass(frozen=True)
class CostQuery:
    """The cost per ``date_bin`` and ``group_by`` group of the rows ``filter`` (VQL) keeps,
    from ``start`` to the batch's last day."""

    filter: str | None
    group_by: tuple[str, ...]
    date_bin: str
    start: date


class Batch:
    """The queries, their distinct filters and groupings, and the dimensions they group by."""

    def __init__(self, queries: list[CostQuery]) -> None:
        if any(q.date_bin not in _BIN_SQL or q.date_bin == "hour" for q in queries):
            raise ValueError("a batch answers day, week, month or quarter bins")
        self.queries = queries
        #: Each distinct filter is one sum, each distinct (bin, group-by) one grouping.
        self.filters = list(dict.fromkeys(q.filter for q in queries))
        #: Grouping → the first day it sums.
        self.groupings: dict[_Grouping, date] = {}
        for q in queries:
            key = _grouping(q)
            self.groupings[key] = min(self.groupings.get(key, q.start), q.start)
        self.dimensions = list(dict.fromkeys(d for q in queries for d in q.group_by))

    def compile(
        self, tags: TagSet, *, end: date, accounts: tuple[str, ...], rollup: str | None
    ) -> CompiledQuery:
        """One query whose rows are (grouping's index, bin, g0…, v0…): a grouping leaves the
        dimensions it does not group by NULL; v<i> is the cost of filter i, NULL where no row
        matched it (so that group is not in that filter's answer)."""
        exprs = {f: parse_vql(f) for f in self.filters if f}
        every = tuple(exprs.values())
        shape = Shape(
            min(self.groupings.values()), end, "day", tuple(self.dimensions), "cost",
            And(every) if every else None, accounts, rollup,
        )  # fmt: skip
        chain = needed_tags(shape, tags)
        b, computed = scoped_rows(shape, chain)
        value = "__m" if any(t.has_split for t in chain) else MEASURE_COLUMNS["cost"][0]
        sums = []
        for i, text in enumerate(self.filters):
            only = ""
            if text:
                sql, params = filter_sql(exprs[text], computed)
                b.params.extend(params)
                only = f" FILTER (WHERE {sql})"
            sums.append(f'SUM({value}){only} AS "v{i}"')
        keys = "".join(
            f'{_column_sql(d, computed)} AS "g{j}", ' for j, d in enumerate(shape.group_by)
        )
        b.ctes.append(
            f"days AS MATERIALIZED (SELECT date_trunc('day', ts) AS ts, {keys}{', '.join(sums)} "
            f"FROM r{len(b.ctes) - 1} GROUP BY ALL)"
        )
        selects = []
        for index, ((date_bin, group_by, _), first) in enumerate(self.groupings.items()):
            columns = [f'{index} AS "set"', f'{_BIN_SQL[date_bin]} AS "date"']
            columns += [f'"g{j}"' if d in group_by else f'NULL AS "g{j}"'
                        for j, d in enumerate(self.dimensions)]  # fmt: skip
            columns += [f'SUM("v{i}") AS "v{i}"' for i in range(len(self.filters))]
            since = b.bind(datetime.combine(first, time()))
            selects.append(
                f"SELECT {', '.join(columns)} FROM days WHERE ts >= {since} GROUP BY ALL"
            )
        names = (
            *(f"g{j}" for j in range(len(self.dimensions))),
            *(f"v{i}" for i in range(len(self.filters))),
        )
        sql = f"WITH {', '.join(b.ctes)} " + " UNION ALL ".join(selects)
        return CompiledQuery(sql, b.params, ("set", "date", *names))

    def split(self, table: pa.Table) -> list[pa.Table]:
        """Each query's answer from the batch's answer: (bin, its groups…, cost) rows, those its
        own report query gives (a NULL cost is a group its filter does not keep)."""
        keys = list(self.groupings)
        parts = [table.filter(pc.equal(table["set"], i)) for i in range(len(keys))]
        out = []
        for q in self.queries:
            index = keys.index(_grouping(q))
            part = parts[index]
            if q.start > self.groupings[_grouping(q)]:  # a bin's first day: its bins are whole
                part = part.filter(pc.greater_equal(part["date"], pa.scalar(q.start)))
            value = f"v{self.filters.index(q.filter)}"
            part = part.filter(pc.is_valid(part[value]))
            columns = ["date", *(f"g{self.dimensions.index(d)}" for d in q.group_by), value]
            out.append(part.select(columns))
        return out


#: A bin, a group-by, and the query's first day when it falls inside a bin (else None).
_Grouping = tuple[str, tuple[str, ...], date | None]


def _grouping(q: CostQuery) -> _Grouping:
    """Queries share a grouping from the first day any of them needs, each keeping the bins
    from its own first day, except one whose first day is inside a bin: that bin sums only
    the days from it, so the query gets a grouping of its own."""
    return (q.date_bin, q.group_by, None if _bin_start(q.date_bin, q.start) == q.start else q.start)


def _bin_start(date_bin: str, day: date) -> date:
    if date_bin == "week":
        return day - timedelta(days=day.weekday())
    if date_bin == "month":
        return day.replace(day=1)
    if date_bin == "quarter":
        return day.replace(month=day.month - (day.month - 1) % 3, day=1)
    return day
