from __future__ import annotations

import pytest

from outlay.errors import FilterError, InputError
from outlay.report.filters import Condition, compile_conditions, parse_filter


def test_parses_comparisons_lists_and_tag_pairs() -> None:
    text = (
        "costs.service = 'gpt-5' AND costs.resource_id != 'a@b.c' and costs.subcategory "
        "IN ('Usage-based', 'It''s') AND costs.token_type NOT IN ('input') "
        "AND tags.name = 'cursor:max_mode' AND tags.value = 'true'"
    )
    assert parse_filter(text) == [
        Condition("service", "=", ("gpt-5",)),
        Condition("resource", "!=", ("a@b.c",)),
        Condition("subcategory", "in", ("Usage-based", "It's")),
        Condition("token_type", "not in", ("input",)),
        Condition("tag:cursor:max_mode", "=", ("true",)),
    ]


def test_tag_name_alone_means_the_tag_is_set() -> None:
    assert parse_filter("tags.name = 'cursor:service_account'") == [
        Condition("tag:cursor:service_account", "exists", ())
    ]


def test_compiles_to_bound_parameters_only() -> None:
    sql, params = compile_conditions(
        parse_filter("costs.service IN ('x''; DROP TABLE t; --', 'y')")
    )
    assert "DROP" not in sql and sql.count("?") == 2
    assert params == ["x'; DROP TABLE t; --", "y"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("costs.service = gpt", "expected a quoted value like 'gpt-5' at position 17, found 'gpt'"),
        ("costs.model = 'x'", "expected a known field"),
        (
            "costs.service = 'x' OR costs.service = 'y'",
            "expected AND or the end of the filter at position 21",
        ),
        (
            "costs.service IN ('a', 'b'",
            "expected , or ) in the IN list at position 27, found the end",
        ),
        ("costs.service ~ 'a'", "unexpected character '~' at position 15"),
        ("", "expected a condition"),
    ],
)
def test_bad_filters_name_the_position_and_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(text)
    assert str(caught.value).startswith("filter: ")
    assert message in str(caught.value)


def test_unknown_tag_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match="known tags: cursor:max_mode"):
        parse_filter("tags.name = 'team' AND tags.value = 'ml'")
