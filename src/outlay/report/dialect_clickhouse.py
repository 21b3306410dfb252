"""The ClickHouse half of ``report.dialect``: DuckDB text → ClickHouse text through sqlglot,
with the rewrites listed there. Loaded only when a ClickHouse store translates a query."""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import Tokenizer, TokenType, exp

#: Where a parameter goes in a translated template (a name no query uses).
MARK = re.compile(r"__outlay_param_(\d+)__")
#: The lambda variable of a rewritten ``concat_ws`` (a name no column has).
_ELEMENT = "__outlay_part"
#: strftime codes → formatDateTime's (ClickHouse's ``%M`` is the month's name, its minute ``%i``).
_TIME_CODES = {"%Y": "%Y", "%m": "%m", "%d": "%d", "%H": "%H", "%M": "%i", "%S": "%S", "%%": "%%"}
_TIME_FORMAT = re.compile("%.")


@lru_cache(maxsize=512)
def template(sql: str, database: str) -> str:
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
    # Each ``?`` becomes ``$n`` first, numbered in text order (the tokenizer skips strings).
    tokens = Tokenizer(dialect="duckdb").tokenize(sql)
    marks = [t for t in tokens if t.token_type == TokenType.PLACEHOLDER]
    for number, token in reversed(list(enumerate(marks, 1))):
        sql = f"{sql[: token.start]}${number}{sql[token.end + 1 :]}"
    return sqlglot.parse_one(sql, read="duckdb")


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
    return _rewrite_function(node)


def _inner(node: exp.Expression) -> exp.Expression:
    # ``transform`` does not descend into a node a rewrite replaced: rewrite its parts here.
    return node.transform(_rewrite)


def _rewrite_function(node: exp.Expression) -> exp.Expression:
    """The FOCUS export's functions whose ClickHouse spelling sqlglot gets wrong."""
    if isinstance(node, exp.Cast) and _whole_decimal(node.to):
        # ClickHouse casts no Int128 (DuckDB's HUGEINT) to a Decimal; toDecimal128 converts it.
        zero = exp.Literal.number(0)
        return exp.Anonymous(this="toDecimal128", expressions=[_inner(node.this), zero])
    if isinstance(node, exp.IntDiv):  # sqlglot: a float division cast back to Int64
        return exp.Anonymous(
            this="intDiv", expressions=[_inner(node.this), _inner(node.expression)]
        )
    if isinstance(node, exp.ConcatWs):  # DuckDB skips NULLs; sqlglot makes them ''
        separator, *parts = (_inner(part) for part in node.expressions)
        kept = exp.Lambda(
            this=exp.Not(this=exp.Is(this=exp.column(_ELEMENT), expression=exp.Null())),
            expressions=[exp.to_identifier(_ELEMENT)],
        )
        present = exp.Anonymous(
            this="arrayFilter", expressions=[kept, exp.Array(expressions=parts)]
        )
        return _nullable(exp.Anonymous(this="arrayStringConcat", expressions=[present, separator]))
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "to_json":
        # With output_format_json_escape_forward_slashes = 0 (CLICKHOUSE_SETTINGS): DuckDB's text.
        return exp.Anonymous(this="toJSONString", expressions=[_inner(e) for e in node.expressions])
    if isinstance(node, exp.TimeToStr) and isinstance(node.args.get("format"), exp.Literal):
        text = _TIME_FORMAT.sub(_time_code, node.args["format"].this)
        formatted = [_inner(node.this), exp.Literal.string(text)]
        return _nullable(exp.Anonymous(this="formatDateTime", expressions=formatted))
    return node


def _nullable(node: exp.Expression) -> exp.Expression:
    """DuckDB types ``strftime`` and ``concat_ws`` as nullable, ClickHouse their spellings as
    not: an exported Parquet file's schema (required or optional columns) follows DuckDB's."""
    return exp.Anonymous(this="toNullable", expressions=[node])


def _whole_decimal(kind: exp.DataType) -> bool:
    """DECIMAL(38, 0): a 128-bit decimal of whole numbers."""
    params = [p.this for p in kind.expressions if isinstance(p, exp.DataTypeParam)]
    sizes = [int(p.this) if isinstance(p, exp.Literal) else -1 for p in params]
    return kind.this == exp.DataType.Type.DECIMAL and sizes == [38, 0]


def _time_code(found: re.Match[str]) -> str:
    if found.group(0) not in _TIME_CODES:
        raise ValueError(f"strftime code {found.group(0)} has no ClickHouse spelling here yet")
    return _TIME_CODES[found.group(0)]


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
