"""VQL → DuckDB SQL: a two-valued boolean expression with ``?`` parameters.

Every leaf is TRUE or FALSE, never NULL, so ``NOT`` is an exact complement. A NULL dimension
(or a tag no rule defines) equals no value, is in no list and matches no pattern.
"""

from __future__ import annotations

from collections.abc import Callable

from outlay.errors import FilterError
from outlay.report.dimensions import TAG_PREFIX
from outlay.report.vql_ast import And, Compare, Expr, HasTag, InList, Not, Untagged


def compile_vql(
    expr: Expr,
    column: Callable[[str], str],
    any_tag: Callable[[], str] | None = None,
) -> tuple[str, list[object]]:
    """``(sql, params)``: a DuckDB boolean expression that is never NULL, and its ``?`` values.

    ``column(name)`` gives the SQL of a dimension (``service``) or a tag (``tag:team``) and
    raises for names the caller does not know; ``any_tag()`` gives an SQL boolean that is true
    when the row has any tag value, needed only by ``Untagged``.
    """
    params: list[object] = []
    sql = _compile(expr, column, any_tag, params)
    return sql, params


# op -> (positive test, whether the op is its negation)
_TESTS: dict[str, tuple[str, bool]] = {
    "=": ("{} = ?", False),
    "!=": ("{} = ?", True),
    "like": ("{} LIKE ?", False),
    "notlike": ("{} LIKE ?", True),
    "regex": ("regexp_matches({}, ?, 'i')", False),
    "notregex": ("regexp_matches({}, ?, 'i')", True),
}


def _compile(
    expr: Expr,
    column: Callable[[str], str],
    any_tag: Callable[[], str] | None,
    params: list[object],
) -> str:
    if isinstance(expr, Compare):
        subject = f"({column(expr.field)})"
        if expr.value is None and expr.op in ("=", "!="):
            return f"({subject} IS {'NOT ' if expr.op == '!=' else ''}NULL)"
        if expr.value is None or expr.op not in _TESTS:
            raise ValueError(f"cannot compile operator {expr.op!r} with value {expr.value!r}")
        template, negated = _TESTS[expr.op]
        params.append(expr.value)
        return _two_valued(template.format(subject), negated)
    if isinstance(expr, InList):
        if not expr.values:
            return "TRUE" if expr.negated else "FALSE"
        params.extend(expr.values)
        marks = ", ".join("?" for _ in expr.values)
        return _two_valued(f"({column(expr.field)}) IN ({marks})", expr.negated)
    if isinstance(expr, HasTag):
        return f"(({column(TAG_PREFIX + expr.key)}) IS NOT NULL)"
    if isinstance(expr, Untagged):
        if any_tag is None:
            raise FilterError("filter: tags.name = NULL (untagged) needs tags; no tags are defined")
        return _two_valued(any_tag(), negated=True)
    if isinstance(expr, Not):
        return f"(NOT {_compile(expr.item, column, any_tag, params)})"
    if not expr.items:  # not produced by the parser; the empty AND is true, the empty OR false
        return "TRUE" if isinstance(expr, And) else "FALSE"
    joiner = " AND " if isinstance(expr, And) else " OR "
    return "(" + joiner.join(_compile(item, column, any_tag, params) for item in expr.items) + ")"


def _two_valued(test: str, negated: bool) -> str:
    # NULL (unknown) counts as "no match", and a negative test is the exact complement of that.
    positive = f"coalesce({test}, FALSE)"
    return f"(NOT {positive})" if negated else positive
