"""Report queries → SQL text and bound parameters. Pure: builds, never runs.

The query reads ``cost_rows`` for the date range, then adds one column per virtual tag it needs,
in dependency order: a CASE over the tag's values (first match wins). A tag with a split also
multiplies the rows it splits, one per share, through a join with a small VALUES table, and
divides the measure exactly: with cumulative weights ``lo`` < ``hi`` out of ``WHOLE`` (10^6,
percentages with 4 decimals), a share of ``m`` is ``t(m·hi/WHOLE) − t(m·lo/WHOLE)``, where ``t``
truncates toward zero at the measure's own scale (1e-10 USD). The shares of a row telescope to
``t(m) − t(0) = m``: they sum to the row to the last unit, and each is within one unit of its
exact share. It is all decimal arithmetic: no float, and no integer casts (slow in DuckDB).
Values are always ``?`` parameters; identifiers come from fixed names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from outlay.errors import FilterError
from outlay.report.dimensions import BASE_DIMENSIONS, PROVIDER_TAGS, TAG_PREFIX
from outlay.report.grain import source
from outlay.report.tags import SPLIT_WHOLE, TagSet, TagValue, VirtualTag
from outlay.report.vql import Compare, Expr, InList, compile_vql, fields_used, uses_untagged
from outlay.report.vql_sql import fold_sets

FACT_TABLE = "cost_rows"
#: The value of a tag that no rule defines, on every row.
NO_TAG = "CAST(NULL AS VARCHAR)"

_BIN_SQL = {
    "hour": "date_trunc('hour', ts)",
    "day": "CAST(ts AS DATE)",
    "week": "CAST(date_trunc('week', ts) AS DATE)",  # ISO weeks: Monday first
    "month": "CAST(date_trunc('month', ts) AS DATE)",
    "quarter": "CAST(date_trunc('quarter', ts) AS DATE)",
}
#: Split weights add up to this; dividing by it is an exact decimal shift.
WHOLE = SPLIT_WHOLE
PER_WHOLE = "0.000001"  # 1 / WHOLE as an exact decimal literal
assert Decimal(PER_WHOLE) * WHOLE == 1
#: Measure → (column, decimal places it is allocated at).
MEASURE_COLUMNS = {
    "cost": ("cost", 10),
    "billed_cost": ("billed_cost", 10),
    "list_cost": ("list_cost", 10),
    "usage": ("usage_amount", 6),
    "count": ("event_count", 0),
}


@dataclass(frozen=True)
class Shape:
    """One query of a report: a period, a time bin, groups, one measure and a filter."""

    start: date
    end: date
    date_bin: str
    group_by: tuple[str, ...]
    measure: str
    expr: Expr | None = None
    #: Only these accounts' rows (a workspace's); None: every account.
    accounts: tuple[str, ...] | None = None
    #: The daily rollup the store keeps (read when the report allows, ``report.grain``);
    #: None: the cost rows only.
    rollup: str | None = None
    #: Its monthly and daily rollups in one relation tagged by grain (``Facts.rolled_table``):
    #: whole months of month bins beside the other days, read at once.
    monthly: str | None = None


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: list[Any]
    #: Result columns: ``date`` (unless cumulative), the group-by names, ``unit`` for usage,
    #: then ``value``.
    columns: tuple[str, ...]


@dataclass
class _Builder:
    params: list[Any] = field(default_factory=list)
    ctes: list[str] = field(default_factory=list)

    def bind(self, *values: Any) -> str:
        self.params.extend(values)
        return ", ".join("?" for _ in values)


def tag_column(key: str) -> str:
    return '"' + (TAG_PREFIX + key).replace('"', '""') + '"'


def needed_tags(shape: Shape, tags: TagSet) -> list[VirtualTag]:
    """The virtual tags a query reads (group-by, filter, untagged) and their dependencies.

    Keys no tag defines are left out: no cost row carries them (``report.check`` says so).
    """
    names = set(shape.group_by)
    if shape.expr is not None:
        names |= fields_used(shape.expr)
    keys = [n[len(TAG_PREFIX) :] for n in sorted(names) if n.startswith(TAG_PREFIX)]
    # A key no rule defines is no column: it reads as NULL (see _column_sql), like Vantage.
    keys = [k for k in keys if k not in PROVIDER_TAGS and k in tags]
    if shape.expr is not None and uses_untagged(shape.expr):
        keys = list(tags.keys)
    return tags.closure(keys)


def scoped_rows(shape: Shape, chain: Sequence[VirtualTag]) -> tuple[_Builder, list[str]]:
    """The CTEs of ``shape``'s rows (period, accounts, table) with a column per tag of
    ``chain`` (the measure as ``__m`` when one splits rows): the builder and the tags computed.
    """
    column, scale = MEASURE_COLUMNS[shape.measure]
    split = any(t.has_split for t in chain)
    b = _Builder()
    first = datetime.combine(shape.start, time())
    after = datetime.combine(shape.end + timedelta(days=1), time())
    units = f", {column} AS __m" if split else ""
    table, table_params = source(
        shape.date_bin, chain, shape.start, shape.end,
        rows=FACT_TABLE, daily=shape.rollup, monthly=shape.monthly,
    )  # fmt: skip
    b.params.extend(table_params)  # parameters are bound in text order
    period = f"ts >= {b.bind(first)} AND ts < {b.bind(after)}"
    scope = ""
    if shape.accounts is not None:
        scope = f" AND account IN ({b.bind(*shape.accounts)})" if shape.accounts else " AND FALSE"
    if shape.measure == "usage":
        scope += " AND usage_unit IS NOT NULL"  # seat rows are money only: no usage unit
    b.ctes.append(f"r0 AS (SELECT *{units} FROM {table} WHERE {period}{scope})")
    computed: list[str] = []
    for tag in chain:
        _add_tag(b, tag, computed, scale=None if shape.measure == "count" else scale)
        computed.append(tag.key)
    return b, computed


def compile_report_query(shape: Shape, tags: TagSet) -> CompiledQuery:
    chain = needed_tags(shape, tags)
    column = MEASURE_COLUMNS[shape.measure][0]
    split = any(t.has_split for t in chain)
    b, computed = scoped_rows(shape, chain)

    def resolve(name: str) -> str:
        return _column_sql(name, computed)

    select: list[str] = []
    columns: list[str] = []
    if shape.date_bin != "cumulative":
        select.append(f'{_BIN_SQL[shape.date_bin]} AS "date"')
        columns.append("date")
    for index, name in enumerate(shape.group_by):
        select.append(f'{resolve(name)} AS "g{index}"')
        columns.append(name)
    if shape.measure == "usage":
        select.append('usage_unit AS "unit"')
        columns.append("unit")
    value = "SUM(__m)" if split else f"SUM({column})"
    select.append(f'{value} AS "value"')
    columns.append("value")
    where = "TRUE"
    if shape.expr is not None:
        where, filter_params = filter_sql(shape.expr, computed)
        b.params.extend(filter_params)
    grouped = len(select) > 1
    sql = (
        f"WITH {', '.join(b.ctes)} SELECT {', '.join(select)} FROM r{len(b.ctes) - 1} "
        f"WHERE {where}" + (" GROUP BY ALL" if grouped else "")
    )
    return CompiledQuery(sql, b.params, tuple(columns))


def filter_sql(expr: Expr, computed: Sequence[str]) -> tuple[str, list[object]]:
    """``expr`` as a condition on rows with a column per ``computed`` tag, and its parameters
    (``untagged`` holds where none of those tags has a value)."""
    any_tag = " OR ".join(f"{tag_column(k)} IS NOT NULL" for k in computed) or "FALSE"
    return compile_vql(expr, lambda n: _column_sql(n, computed), lambda: f"({any_tag})")


def _column_sql(name: str, computed: Sequence[str]) -> str:
    if name in BASE_DIMENSIONS:
        return name
    if name.startswith(TAG_PREFIX):
        key = name[len(TAG_PREFIX) :]
        if key in PROVIDER_TAGS:
            return PROVIDER_TAGS[key]
        if key in computed:
            return tag_column(key)
        # Tag data, not schema: a key no row carries is NULL, so its conditions match nothing.
        return NO_TAG
    raise FilterError(f"filter: unknown field {name!r}")


def _lookup_rule(value: TagValue) -> tuple[str, tuple[str, ...]] | None:
    """(dimension, values) when a tag value is a plain ``=`` or ``IN`` on one dimension (or an
    OR of them, which ``fold_sets`` merges into one ``IN``)."""
    expr = fold_sets(value.filter)
    if value.start is not None or value.end is not None:
        return None
    values: tuple[str, ...]
    if isinstance(expr, Compare) and expr.op == "=" and expr.value is not None:
        field, values = expr.field, (expr.value,)
    elif isinstance(expr, InList) and not expr.negated:
        field, values = expr.field, expr.values
    else:
        return None
    return (field, values) if field in BASE_DIMENSIONS else None


def _add_tag(b: _Builder, tag: VirtualTag, computed: Sequence[str], *, scale: int | None) -> None:
    """Append the CTE that gives every row its value for ``tag`` (and splits rows if needed).

    Runs of consecutive values that are plain ``=``/``IN`` rules on one dimension (an email
    list, a CSV import) become one hash join on a VALUES table instead of a CASE arm each:
    the first value of the run that names a key wins, as the CASE would have it. ``scale``:
    the decimal places shares are cut at, or None to give every share the whole (counts).
    """
    step = len(b.ctes)
    split = tag.has_split
    joins: list[tuple[str, list[Any]]] = []
    arms: list[tuple[str, list[Any]]] = []
    index = 0
    while index < len(tag.values):
        rule = _lookup_rule(tag.values[index])
        if rule is None:
            arms.append(_arm(tag, index, computed, split))
            index += 1
            continue
        field = rule[0]
        first_branch: dict[str, int] = {}
        while index < len(tag.values) and (rule := _lookup_rule(tag.values[index])) is not None:
            if rule[0] != field:
                break
            for key in rule[1]:
                first_branch.setdefault(key, index)
            index += 1
        name = f"lk{step}_{len(joins)}"
        rows = ", ".join("(?, ?, ?)" for _ in first_branch)
        params: list[Any] = []
        for key, branch in first_branch.items():
            params += [key, branch, tag.values[branch].name]
        joins.append(
            (
                f"LEFT JOIN (VALUES {rows}) AS {name}({name}_key, {name}_branch, {name}_name) "
                f"ON {name}_key = p.{field}",
                params,
            )
        )
        result = f"{name}_branch" if split else f"{name}_name"
        arms.append((f"WHEN {name}_branch IS NOT NULL THEN {result}", []))
    case = "CASE " + " ".join(sql for sql, _ in arms) + " END"
    case_params = [v for _, params in arms for v in params]
    join_sql = " ".join(sql for sql, _ in joins)
    join_params = [v for _, params in joins for v in params]
    previous = f"r{step - 1}"
    column = tag_column(tag.key)
    if not split:
        b.ctes.append(
            f"r{step} AS (SELECT p.*, {case} AS {column} FROM {previous} AS p {join_sql})"
        )
        b.params.extend(case_params + join_params)
        return
    shares: list[str] = []
    share_params: list[Any] = []
    for branch, value in enumerate(tag.values):
        parts = value.split or ((value.name or "", WHOLE),)
        low = 0
        for name, weight in parts:
            shares.append("(?, ?, ?, ?)")
            share_params += [branch, name, low, low + weight]
            low += weight
    share = (
        "p.__m"
        if scale is None
        else f"trunc(p.__m * a.hi * {PER_WHOLE}, {scale}) "
        f"- trunc(p.__m * a.lo * {PER_WHOLE}, {scale})"
    )
    b.ctes.append(
        f"r{step} AS (SELECT p.* EXCLUDE (__m), a.name AS {column}, "
        f"CASE WHEN a.branch IS NULL THEN p.__m ELSE {share} END AS __m "
        f"FROM {previous} AS p {join_sql} LEFT JOIN (VALUES {', '.join(shares)}) "
        f"AS a(branch, name, lo, hi) ON a.branch = {case})"
    )
    b.params.extend(join_params + share_params + case_params)


def _arm(
    tag: VirtualTag, index: int, computed: Sequence[str], split: bool
) -> tuple[str, list[Any]]:
    """``WHEN <filter and dates> THEN <name or branch>`` for one value, with its parameters."""
    value = tag.values[index]
    sql, filter_params = compile_vql(value.filter, lambda n: _column_sql(n, computed))
    params: list[Any] = list(filter_params)
    if value.start is not None:
        sql += " AND ts >= ?"
        params.append(datetime.combine(value.start, time()))
    if value.end is not None:
        sql += " AND ts < ?"
        params.append(datetime.combine(value.end + timedelta(days=1), time()))
    if split:
        return f"WHEN {sql} THEN {index}", params
    return f"WHEN {sql} THEN ?", [*params, value.name]
