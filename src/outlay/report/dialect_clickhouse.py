"""The ClickHouse half of ``report.dialect``: DuckDB text → ClickHouse text through sqlglot,
with the rewrites listed there. Loaded only when a ClickHouse store translates a query."""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import Tokenizer, TokenType, exp

#: Where a parameter goes in a translated template (a name no query uses).
MARK = re.compile(r"__outlay_param_(\d+)__")


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
