"""The SQL dialects fact stores speak: where every engine difference lives, and nowhere else.

Report and store queries are written once, in DuckDB's SQL with ``?`` parameters. A store on
another engine hands its text to its ``Dialect``, which rewrites it for that engine. ClickHouse
goes through sqlglot (DuckDB → ClickHouse), and then a few rewrites of its own where sqlglot
keeps the text but the engine means something else:

- parameters become typed literals (ClickHouse binds by name and type), bound into a cached
  translation of the text:
  money as ``Decimal(38, s)``, times as ``DateTime64(3)``, never a float;
- a decimal literal (``0.000001``) is a Decimal, not a Float64 as ClickHouse reads it;
- ``trunc(x, s)`` keeps scale ``s`` (DuckDB's type), so split shares sum to the same digits;
- a case-insensitive regex (``regexp_matches(x, p, 'i')``) becomes ``match(x, '(?i)' || p)``;
- ``count(*)`` and sums of whole numbers stay exact integers (they already are).

The session settings every ClickHouse read needs (LEFT JOINs fill NULLs, aliases never shadow
columns, UTC) are ``CLICKHOUSE_SETTINGS``, appended by the store.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import Tokenizer, TokenType, exp

#: Settings a ClickHouse query runs with to mean what the DuckDB text means.
CLICKHOUSE_SETTINGS = {
    "join_use_nulls": 1,  # a LEFT JOIN miss is NULL (not the type's default), as in SQL
    "prefer_column_name_to_alias": 1,  # ``SUM(cost) AS cost`` must not read its own alias
    "session_timezone": "'UTC'",  # ts is naive UTC
    "cast_keep_nullable": 1,
}


@dataclass(frozen=True)
class Dialect:
    """One engine's SQL and the differences the store and compiler must know about."""

    name: str
    #: COPY … TO a file, streaming (DuckDB); otherwise the store writes what the engine returns.
    copy_to_file: bool

    def translate(self, sql: str, params: Sequence[Any] = (), *, database: str = "") -> str:
        """``sql`` (DuckDB text with ``?``) with ``params`` bound, as this engine's text; its
        tables (not its CTEs) in ``database``."""
        if self.name == DUCKDB.name:
            raise ValueError("DuckDB binds parameters itself; pass them to the engine")
        values = list(params)
        text = _template(sql, database)
        return _MARK.sub(lambda m: literal_sql(values[int(m.group(1)) - 1]), text)


DUCKDB = Dialect("duckdb", copy_to_file=True)
CLICKHOUSE = Dialect("clickhouse", copy_to_file=False)


#: Where a parameter goes in a translated template (a name no query uses).
_MARK = re.compile(r"__outlay_param_(\d+)__")


@lru_cache(maxsize=512)
def _template(sql: str, database: str) -> str:
    """The ClickHouse text of ``sql`` with a marker for each parameter: translating costs about
    30 ms, binding a marker a string replace, so each report text is translated once."""

    def mark(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.this is not None:
            return exp.column(f"__outlay_param_{int(node.this)}__")
        return node

    tree = _parsed(sql).transform(mark).transform(_rewrite)
    if database:
        ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if not table.args.get("db") and table.name and table.name not in ctes:
                table.set("db", exp.to_identifier(database))
    return tree.sql(dialect="clickhouse")


def _parsed(sql: str) -> exp.Expr:
    # Each ``?``
    # becomes ``$n`` first, numbered in text order (the tokenizer skips string literals).
    tokens = Tokenizer(dialect="duckdb").tokenize(sql)
    marks = [t for t in tokens if t.token_type == TokenType.PLACEHOLDER]
    for number, token in reversed(list(enumerate(marks, 1))):
        sql = f"{sql[: token.start]}${number}{sql[token.end + 1 :]}"
    parsed = sqlglot.parse_one(sql, read="duckdb")
    return parsed


def literal_sql(value: Any) -> str:
    """A Python value as a typed ClickHouse literal (exact: never a float)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        text = format(value, "f")
        scale = len(text.split(".", 1)[1]) if "." in text else 0
        return f"toDecimal128('{text}', {scale})"
    if isinstance(value, datetime):
        return f"toDateTime64('{value.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]}', 3)"
    if isinstance(value, date):
        return f"toDate('{value.isoformat()}')"
    if isinstance(value, str):
        # ClickHouse reads a backslash in a string literal as an escape.
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    raise TypeError(f"no ClickHouse literal for {type(value).__name__}")


def _decimal(text: str) -> exp.Expression:
    scale = len(text.split(".", 1)[1]) if "." in text else 0
    return exp.cast(exp.Literal.string(text), exp.DataType.build(f"Decimal(38, {scale})"))


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Literal) and node.is_number and "." in node.this:
        return _decimal(node.this)
    if isinstance(node, exp.RegexpLike) and _flag(node) == "i":
        pattern = exp.DPipe(this=exp.Literal.string("(?i)"), expression=node.expression)
        return exp.Anonymous(this="match", expressions=[node.this, pattern])
    if isinstance(node, exp.Trunc) and isinstance(node.args.get("decimals"), exp.Literal):
        return _trunc(node.this.transform(_rewrite), int(node.args["decimals"].this))
    return node


def _flag(node: exp.RegexpLike) -> str | None:
    flag = node.args.get("flag")
    return str(flag.this) if isinstance(flag, exp.Literal) else None


def _trunc(value: exp.Expression, places: int) -> exp.Expression:
    """``trunc(m * hi * w, s)`` at DuckDB's type: the product in 38 digits (a Decimal64 column
    times 10^6 would overflow 18), the result at scale ``s``."""
    decimal = exp.DataType.build(f"Decimal(38, {places})")
    first = value
    while isinstance(first, exp.Mul):
        first = first.this
    if first is not value:
        first.replace(exp.cast(first.copy(), decimal))
    return exp.cast(
        exp.Anonymous(this="trunc", expressions=[value, exp.Literal.number(places)]), decimal
    )
