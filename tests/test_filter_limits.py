"""Filters cannot make the engine spend without bound: set tests are merged, sizes are capped."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outlay.errors import FilterError
from outlay.report.compile import Shape, compile_report_query
from outlay.report.tags import TagSet, TagValue, VirtualTag
from outlay.report.vql import MAX_CONDITIONS, MAX_FILTER_CHARS, parse_vql
from outlay.report.vql_ast import And, Compare, Expr, InList, Not, Or
from outlay.report.vql_sql import compile_vql, fold_sets
from tests.test_vql import FAST, ROWS, _trees, column, db_rows, reference_results, sql_results


def _neq_chain(n: int) -> str:
    return " AND ".join(f"costs.service <> 'm{i}'" for i in range(n))


def test_a_run_of_not_equals_on_one_field_compiles_to_one_not_in() -> None:
    expr = And(tuple(Compare("service", "!=", f"m{i}") for i in range(2000)))
    assert fold_sets(expr) == InList("service", tuple(f"m{i}" for i in range(2000)), True)
    sql, params = compile_vql(expr, column)
    assert sql.count(" IN (") == 1 and len(params) == 2000


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        (
            "costs.service = 'a' OR costs.account = 'p' OR costs.service IN ('b', 'a')",
            "costs.service IN ('a', 'b') OR costs.account = 'p'",
        ),
        (
            "costs.service != 'a' AND NOT costs.service = 'b' AND costs.service NOT IN ('c') "
            "AND costs.service LIKE 'x%'",
            "costs.service NOT IN ('a', 'b', 'c') AND costs.service LIKE 'x%'",
        ),
        ("NOT costs.service IN ('a') AND costs.service != 'b'", "costs.service NOT IN ('a', 'b')"),
        # NULL tests, a field tested once and the other kind of set test stay as written
        ("costs.service != NULL AND costs.service != 'a'", None),
        ("costs.service = 'a' AND costs.service != 'b'", None),
        ("costs.service IN ('a') AND costs.service IN ('b')", None),
    ],
)
def test_folds_exactly_the_mergeable_tests(text: str, folded: str | None) -> None:
    expr = parse_vql(text)
    assert fold_sets(expr) == (expr if folded is None else parse_vql(folded))
    assert sql_results(expr, ROWS) == reference_results(expr, ROWS)


# Few fields and values, so the trees are full of runs that fold.
_fields = st.sampled_from(["service", "account", "tag:team"])
_values = st.sampled_from(["a", "b", "ml", ""])
_set_leaves: st.SearchStrategy[Expr] = st.one_of(
    st.builds(Compare, _fields, st.sampled_from(["=", "!="]), st.none() | _values),
    st.builds(Compare, _fields, st.just("like"), _values),
    st.builds(InList, _fields, st.lists(_values, min_size=1, max_size=3).map(tuple), st.booleans()),
    st.builds(Not, st.builds(Compare, _fields, st.sampled_from(["=", "!="]), _values)),
)


@FAST
@given(_trees(_set_leaves, max_leaves=8), db_rows)
def test_folded_sql_selects_the_rows_the_unfolded_filter_means(
    expr: Expr, rows: list[tuple[str | None, ...]]
) -> None:
    assert sql_results(expr, rows) == reference_results(expr, rows)
    assert sql_results(fold_sets(expr), rows) == reference_results(expr, rows)


def test_conditions_are_capped_with_a_clear_error() -> None:
    assert isinstance(parse_vql(_neq_chain(MAX_CONDITIONS)), And)
    with pytest.raises(FilterError, match=rf"^filter: more than {MAX_CONDITIONS} conditions"):
        parse_vql(_neq_chain(MAX_CONDITIONS + 1))
    # Each key of a tag tuple is a test of its own.
    pairs = ", ".join(f"('k{i}', 'v')" for i in range(MAX_CONDITIONS + 1))
    with pytest.raises(FilterError, match="conditions"):
        parse_vql(f"(tags.name, tags.value) NOT IN ({pairs})")
    values = ", ".join(f"'v{i}'" for i in range(5000))  # one condition, however many values
    assert isinstance(parse_vql(f"costs.resource IN ({values})"), InList)


@pytest.mark.parametrize("terms", [2_000, 20_000])
def test_the_hostile_filters_of_the_report_are_refused_in_one_line(terms: int) -> None:
    with pytest.raises(FilterError) as caught:
        parse_vql(_neq_chain(terms))
    message = str(caught.value)
    assert "\n" not in message and ("conditions" in message or "characters" in message)


def test_text_length_is_capped_before_parsing() -> None:
    parse_vql("costs.service = '" + "x" * (MAX_FILTER_CHARS - 20) + "'")
    with pytest.raises(FilterError, match=f"over the limit of {MAX_FILTER_CHARS:,}"):
        parse_vql("costs.service = '" + "x" * MAX_FILTER_CHARS + "'")


def test_long_or_chains_parse_without_recursion() -> None:
    text = " OR ".join(f"costs.service LIKE 'm{i}%'" for i in range(MAX_CONDITIONS))
    assert isinstance(parse_vql(text), Or)


def test_a_tag_rule_of_equalities_on_one_field_becomes_a_lookup_join() -> None:
    text = "costs.service = 'a' OR costs.service IN ('b', 'c')"
    tags = TagSet((VirtualTag("t", (TagValue(text, parse_vql(text), name="x"),)),))
    shape = Shape(date(2026, 1, 1), date(2026, 1, 31), "cumulative", ("tag:t",), "cost")
    compiled = compile_report_query(shape, tags)
    assert "LEFT JOIN (VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?))" in compiled.sql
    assert "coalesce" not in compiled.sql
