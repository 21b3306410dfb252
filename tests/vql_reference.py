"""VQL semantics in plain Python: what the SQL of ``compile_vql`` must compute for one row.

Other tests use ``evaluate`` as the reference implementation. Like the SQL it is two-valued: a
missing (None) value equals nothing, is in no list and matches no LIKE pattern or regular
expression, and every negative operator is the exact complement of its positive one.

Known gap with DuckDB's RE2, left out of generated tests: Python's ``\\d``, ``\\w``, ``\\s`` and
``\\b`` are Unicode-aware and its ``$`` also matches before a final newline; RE2's are not.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from outlay.report.vql_ast import And, Compare, Expr, HasTag, InList, Not, Untagged

_NEGATIVE = {"!=": "=", "notlike": "like", "notregex": "regex"}


def like_regex(pattern: str) -> re.Pattern[str]:
    """SQL LIKE as an anchored regular expression: ``%`` any run, ``_`` one character."""
    body = "".join(
        ".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern
    )
    return re.compile(body, re.DOTALL)


def evaluate(
    expr: Expr,
    value_of: Callable[[str], str | None],
    any_tag: Callable[[], bool] = lambda: False,
) -> bool:
    """Whether the row whose dimension and ``tag:<key>`` values ``value_of`` gives matches."""
    if isinstance(expr, Compare):
        value = value_of(expr.field)
        if expr.value is None:
            return (value is None) == (expr.op == "=")
        positive_op = _NEGATIVE.get(expr.op, expr.op)
        matched = value is not None and _matches(positive_op, value, expr.value)
        return matched != (positive_op != expr.op)
    if isinstance(expr, InList):
        return (value_of(expr.field) in expr.values) != expr.negated
    if isinstance(expr, HasTag):
        return value_of(f"tag:{expr.key}") is not None
    if isinstance(expr, Untagged):
        return not any_tag()
    if isinstance(expr, Not):
        return not evaluate(expr.item, value_of, any_tag)
    if isinstance(expr, And):
        return all(evaluate(item, value_of, any_tag) for item in expr.items)
    return any(evaluate(item, value_of, any_tag) for item in expr.items)


def _matches(op: str, value: str, pattern: str) -> bool:
    if op == "=":
        return value == pattern
    if op == "like":
        return like_regex(pattern).fullmatch(value) is not None
    if op == "regex":
        return re.search(pattern, value, re.IGNORECASE) is not None
    raise ValueError(f"unknown operator {op!r}")
