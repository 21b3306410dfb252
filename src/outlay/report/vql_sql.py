"""VQL → DuckDB SQL: a two-valued boolean expression with ``?`` parameters.

Every leaf is TRUE or FALSE, never NULL, so ``NOT`` is an exact complement. A NULL dimension
(or a tag no rule defines) equals no value, is in no list and matches no pattern.

Before compiling, ``fold_sets`` turns the equality tests of one field inside one AND (``!=``,
``NOT IN``) or one OR (``=``, ``IN``) into a single set test: DuckDB's filter pushdown is
quadratic in the number of conjuncts (2,000 ``<>`` terms took 9 s and 3 GB to plan, one
``NOT IN`` of the same values 0.01 s). With two-valued leaves the fold is exact: a NULL is in
no list, so it passes every ``!=`` and the merged ``NOT IN`` alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from outlay.errors import FilterError
from outlay.report.dimensions import TAG_PREFIX
from outlay.report.vql_ast import And, Compare, Expr, HasTag, InList, Not, Or, Untagged


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
    sql = _compile(fold_sets(expr), column, any_tag, params)
    return sql, params


def fold_sets(expr: Expr) -> Expr:
    """``expr`` with each field's ``=``/``IN`` tests of one OR merged into one ``IN``, and its
    ``!=``/``NOT IN`` tests of one AND into one ``NOT IN``; the same rows match."""
    if isinstance(expr, Not):
        return Not(fold_sets(expr.item))
    if not isinstance(expr, And | Or):
        return expr
    negated = isinstance(expr, And)
    items = [fold_sets(item) for item in expr.items]
    tests = [_set_test(item) for item in items]
    values: dict[str, list[str]] = {}
    seen: Counter[str] = Counter()
    for test in tests:
        if test is not None and test[1] == negated:
            values.setdefault(test[0], []).extend(test[2])
            seen[test[0]] += 1
    # A field tested once stays as written; the first test of a field tested more often
    # becomes the merged set and takes its place, the others go.
    repeated = {name for name, count in seen.items() if count > 1}
    out: list[Expr] = []
    for item, test in zip(items, tests, strict=True):
        if test is None or test[1] != negated or test[0] not in repeated:
            out.append(item)
        elif test[0] in values:
            out.append(InList(test[0], tuple(dict.fromkeys(values.pop(test[0]))), negated))
    return out[0] if len(out) == 1 else type(expr)(tuple(out))


def _set_test(expr: Expr) -> tuple[str, bool, tuple[str, ...]] | None:
    """``(field, negated, values)`` when ``expr`` is a (negated) membership test, else None."""
    flip = isinstance(expr, Not)
    leaf = expr.item if isinstance(expr, Not) else expr
    if isinstance(leaf, InList) and leaf.values:
        return leaf.field, leaf.negated != flip, leaf.values
    if isinstance(leaf, Compare) and leaf.op in ("=", "!=") and leaf.value is not None:
        return leaf.field, (leaf.op == "!=") != flip, (leaf.value,)
    return None


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
