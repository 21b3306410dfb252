"""The SQL dialects fact stores speak: where every engine difference lives, and nowhere else.

Report and store queries are written once, in DuckDB's SQL with ``?`` parameters. A store on
another engine hands its text to its ``Dialect``, which rewrites it for that engine. ClickHouse
goes through sqlglot (DuckDB → ClickHouse, in ``dialect_clickhouse``, translated once per text
and cached), then a few rewrites of its own where sqlglot keeps the text but the engine means
something else:

- parameters become typed literals (``literal_sql``), bound into the cached translation: money
  as ``toDecimal128(text, s)``, times as ``DateTime64(3)``, never a float;
- a decimal literal (``0.000001``) is a Decimal, not a Float64 as ClickHouse reads it;
- ``trunc(x, s)`` keeps scale ``s`` (DuckDB's type), so split shares sum to the same digits;
- a case-insensitive regex (``regexp_matches(x, p, 'i')``) becomes ``match(x, '(?i)' || p)``;
- the FOCUS export's functions: ``a // b`` is ``intDiv`` (not a float division), ``concat_ws``
  skips NULLs (not ``''``), ``to_json`` is ``toJSONString``, strftime's minute ``%M`` is
  formatDateTime's ``%i`` (both nullable, as DuckDB types them), and a cast to DECIMAL(38, 0)
  is ``toDecimal128(x, 0)`` (ClickHouse casts no Int128, DuckDB's HUGEINT, to a Decimal);

The session settings every ClickHouse read needs (LEFT JOINs fill NULLs, aliases never shadow
columns, UTC) are ``CLICKHOUSE_SETTINGS``, appended by the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

#: Settings a ClickHouse query runs with to mean what the DuckDB text means.
CLICKHOUSE_SETTINGS = {
    "join_use_nulls": 1,  # a LEFT JOIN miss is NULL (not the type's default), as in SQL
    "prefer_column_name_to_alias": 1,  # ``SUM(cost) AS cost`` must not read its own alias
    "session_timezone": "'UTC'",  # ts is naive UTC
    "cast_keep_nullable": 1,  # CAST(NULL AS T) stays NULL, as in SQL
    "output_format_json_escape_forward_slashes": 0,  # toJSONString writes '/' as DuckDB's to_json
}


def settings_clause(**limits: object) -> str:
    """`` SETTINGS …``: ``CLICKHOUSE_SETTINGS`` with ``limits`` (memory, time) on top."""
    values = {**CLICKHOUSE_SETTINGS, **limits}
    return " SETTINGS " + ", ".join(f"{k} = {v}" for k, v in values.items())


@dataclass(frozen=True)
class Dialect:
    """One engine's SQL and the differences the store and compiler must know about."""

    name: str

    def translate(self, sql: str, params: Sequence[Any] = (), *, database: str = "") -> str:
        """``sql`` (DuckDB text with ``?``) with ``params`` bound, as this engine's text; its
        tables (not its CTEs) in ``database``."""
        if self.name == DUCKDB.name:
            raise ValueError("DuckDB binds parameters itself; pass them to the engine")
        # sqlglot loads only when a query needs translating: DuckDB installs never load it.
        from outlay.report.dialect_clickhouse import MARK, template

        values = list(params)
        text = template(sql, database)
        return MARK.sub(lambda m: literal_sql(values[int(m.group(1)) - 1]), text)


DUCKDB = Dialect("duckdb")
CLICKHOUSE = Dialect("clickhouse")


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
