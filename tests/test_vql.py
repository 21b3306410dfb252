from __future__ import annotations

import functools
from collections.abc import Sequence

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outlay.errors import FilterError, InputError
from outlay.report.dimensions import BASE_DIMENSIONS, TAG_PREFIX
from outlay.report.vql import (
    And,
    Compare,
    Expr,
    HasTag,
    InList,
    Not,
    Or,
    Untagged,
    compile_vql,
    fields_used,
    parse_vql,
    to_vql,
    uses_untagged,
)
from tests.vql_reference import evaluate, like_regex

# No example database: it would write .hypothesis/ into the repository.
FAST = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def svc(op: str, value: str | None) -> Compare:
    return Compare("service", op, value)


def team(op: str, value: str | None) -> Compare:
    return Compare("tag:team", op, value)


A, B, C, D = (svc("=", name) for name in "abcd")


# --- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("costs.service = 'gpt-5'", svc("=", "gpt-5")),
        ("costs.service != 'gpt-5'", svc("!=", "gpt-5")),
        ("costs.service <> 'gpt-5'", svc("!=", "gpt-5")),
        ("costs.service = ''", svc("=", "")),
        ("costs.service = 'it''s ''quoted'''", svc("=", "it's 'quoted'")),
        ("costs.service = NULL", svc("=", None)),
        ("costs.service != null", svc("!=", None)),
        ("costs.service <> Null", svc("!=", None)),
        ("costs.service = 'NULL'", svc("=", "NULL")),
        ("costs.service IN ('a', 'b''c')", InList("service", ("a", "b'c"), False)),
        ("costs.service not in ('a')", InList("service", ("a",), True)),
        ("costs.service LIKE 'gpt-%'", svc("like", "gpt-%")),
        ("costs.service NOT LIKE '_pus'", svc("notlike", "_pus")),
        ("costs.service ~* 'gpt-(4|5)'", svc("regex", "gpt-(4|5)")),
        ("costs.service !~* '^o\\d'", svc("notregex", "^o\\d")),
        ("COSTS.SERVICE = 'x'", svc("=", "x")),
        ("Costs.Token_Type = 'input'", Compare("token_type", "=", "input")),
        ("costs.account_id = 'p'", Compare("account", "=", "p")),
        ("costs.resource_id IN ('a@b.c')", InList("resource", ("a@b.c",), False)),
        ("costs.charge_type='usage'", Compare("charge_type", "=", "usage")),
        (" \n costs.provider\t=\n'cursor'  ", Compare("provider", "=", "cursor")),
        ("costs.service = 'ünï 日本 %_\\'", svc("=", "ünï 日本 %_\\")),
        # tags
        ("tags.name = 'team'", HasTag("team")),
        ("tags.name != 'team'", Not(HasTag("team"))),
        ("tags.name = NULL", Untagged()),
        ("TAGS.NAME <> null", Not(Untagged())),
        ("tags.name = 'team' AND tags.value = 'ml'", team("=", "ml")),
        ("tags.name = 'team' and TAGS.VALUE <> 'ml'", team("!=", "ml")),
        ("tags.name = 'team' AND tags.value = NULL", team("=", None)),
        ("tags.name = 'team' AND tags.value != NULL", team("!=", None)),
        ("tags.name = 'team' AND tags.value IN ('a', 'b')", InList("tag:team", ("a", "b"), False)),
        ("tags.name = 'team' AND tags.value NOT IN ('a')", InList("tag:team", ("a",), True)),
        ("tags.name = 'team' AND tags.value LIKE 'm%'", team("like", "m%")),
        ("tags.name = 'team' AND tags.value NOT LIKE 'm%'", team("notlike", "m%")),
        ("tags.name = 'team' AND tags.value ~* 'ML'", team("regex", "ML")),
        ("tags.name = 'team' AND tags.value !~* 'ML'", team("notregex", "ML")),
        (
            "tags.name = 'cursor:max_mode' AND tags.value = 'true'",
            Compare("tag:cursor:max_mode", "=", "true"),
        ),
        ("tags.name = 'it''s' AND tags.value = 'x'", Compare("tag:it's", "=", "x")),
        ("tags.name = '' AND tags.value = ''", Compare("tag:", "=", "")),
        # a pair anywhere in an AND chain, inside parentheses, under NOT
        (
            "costs.provider = 'cursor' AND tags.name = 'team' AND tags.value = 'ml' "
            "AND costs.service = 'a'",
            And((Compare("provider", "=", "cursor"), team("=", "ml"), A)),
        ),
        (
            "tags.name = 'env' AND tags.name = 'team' AND tags.value = 'ml'",
            And((HasTag("env"), team("=", "ml"))),
        ),
        (
            "(costs.service = 'b' OR tags.name = 'team' AND tags.value = 'ml') AND "
            "costs.service = 'a'",
            And((Or((B, team("=", "ml"))), A)),
        ),
        (
            "costs.service = 'a' AND (tags.name = 'team' AND tags.value = 'ml')",
            And((A, team("=", "ml"))),
        ),
        ("NOT tags.name = 'team' AND tags.value = 'ml'", Not(team("=", "ml"))),
        ("NOT (tags.name = 'team' AND tags.value = 'ml')", Not(team("=", "ml"))),
        # tuple IN: one InList per key, in the order keys appear
        (
            "(tags.name, tags.value) IN (('team','ml'), ('env','prod'), ('team','infra'))",
            Or((InList("tag:team", ("ml", "infra"), False), InList("tag:env", ("prod",), False))),
        ),
        ("(TAGS.NAME, tags.value) in (('team', 'ml'))", InList("tag:team", ("ml",), False)),
        (
            "(tags.name, tags.value) NOT IN (('team','ml'), ('env','prod'))",
            And((InList("tag:team", ("ml",), True), InList("tag:env", ("prod",), True))),
        ),
        (
            "costs.service = 'a' OR (tags.name, tags.value) IN (('team','ml'), ('env','p'))",
            Or((A, InList("tag:team", ("ml",), False), InList("tag:env", ("p",), False))),
        ),
        # precedence NOT > AND > OR, grouping, flattening
        (
            "costs.service = 'a' OR costs.service = 'b' AND costs.service = 'c'",
            Or((A, And((B, C)))),
        ),
        (
            "costs.service = 'a' AND costs.service = 'b' OR costs.service = 'c'",
            Or((And((A, B)), C)),
        ),
        ("NOT costs.service = 'a' AND costs.service = 'b'", And((Not(A), B))),
        ("NOT costs.service = 'a' OR costs.service = 'b'", Or((Not(A), B))),
        ("not not costs.service = 'a'", Not(Not(A))),
        ("NOT (costs.service = 'a' OR costs.service = 'b')", Not(Or((A, B)))),
        (
            "(costs.service = 'a' OR costs.service = 'b') AND costs.service = 'c'",
            And((Or((A, B)), C)),
        ),
        (
            "(costs.service = 'a' AND costs.service = 'b') AND (costs.service = 'c' AND "
            "costs.service = 'd')",
            And((A, B, C, D)),
        ),
        (
            "costs.service = 'a' OR (costs.service = 'b' OR costs.service = 'c')",
            Or((A, B, C)),
        ),
        ("((costs.service = 'a'))", A),
        (
            "costs.service = 'a' AND (costs.service = 'b' OR NOT (costs.service = 'c' "
            "AND costs.service = 'd'))",
            And((A, Or((B, Not(And((C, D))))))),
        ),
    ],
)
def test_parses(text: str, expected: Expr) -> None:
    assert parse_vql(text) == expected


FIELD_LIST = (
    "costs.provider, costs.account, costs.service, costs.category, costs.token_type, "
    "costs.subcategory, costs.resource, costs.charge_type, tags.name"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected a condition like costs.service = 'gpt-5' at position 1, found the end"),
        (" \n ", "expected a condition like costs.service = 'gpt-5' at position 4, found the end"),
        (
            "costs.model = 'x'",
            f"expected a field ({FIELD_LIST}) at position 1, found 'costs.model'",
        ),
        (
            "costs.service = 'a' AND",
            f"expected a field ({FIELD_LIST}) at position 24, found the end",
        ),
        ("costs.ſervice = 'a'", f"expected a field ({FIELD_LIST}) at position 1, found"),
        (
            "costs.service = 'gpt-5",
            "unterminated string at position 17: expected a closing ', found the end",
        ),
        (
            "costs.service = 'it''s",
            "unterminated string at position 21: expected a closing ', found the end",
        ),
        (
            "costs.service IN ()",
            "expected at least one quoted value in the IN list at position 19, found ')'",
        ),
        (
            "costs.service IN ('a' 'b')",
            "expected , or ) in the IN list at position 23, found \"'b'\"",
        ),
        ("costs.service IN 'a'", "expected ( after IN at position 18, found \"'a'\""),
        (
            "costs.service ~* 'gpt-(5'",
            "expected a valid regular expression at position 18, found \"'gpt-(5'\" "
            "(missing ), unterminated subpattern at position 4)",
        ),
        (
            "costs.service ~* 'a(?=b)'",
            "expected a valid regular expression at position 18, found \"'a(?=b)'\" "
            "((?=… groups are not supported; use (?:…) or (?i))",
        ),
        (
            "costs.service = 'a' 'b'",
            "expected AND, OR or the end of the filter at position 21, found \"'b'\"",
        ),
        (
            "costs.service = 'a')",
            "expected AND, OR or the end of the filter at position 20, found ')'",
        ),
        ("(costs.service = 'a'", "expected AND, OR or ) at position 21, found the end"),
        (
            "tags.value = 'ml'",
            "expected tags.name = '<key>' AND right before tags.value at position 1, "
            "found tags.value on its own",
        ),
        (
            "tags.name = 'team' AND (tags.value = 'ml')",
            "expected tags.name = '<key>' AND right before tags.value at position 25, "
            "found tags.value on its own",
        ),
        (
            "tags.name = NULL AND tags.value = 'ml'",
            "expected tags.name = '<key>' AND right before tags.value at position 22, "
            "found tags.value on its own",
        ),
        (
            "costs.service = gpt-5",
            "expected a quoted value like 'gpt-5' or NULL at position 17, found 'gpt-5'",
        ),
        (
            'costs.service = "gpt"',
            "expected a quoted value like 'gpt-5' or NULL at position 17, found '\"'",
        ),
        (
            "costs.service ~ 'a'",
            "expected an operator (=, !=, <>, IN, NOT IN, LIKE, NOT LIKE, ~*, !~*) at "
            "position 15, found '~'",
        ),
        ("costs.service NOT = 'a'", "expected IN or LIKE after NOT at position 19, found '='"),
        (
            "costs.service LIKE NULL",
            "expected a quoted value like 'gpt-5' at position 20, found 'NULL'",
        ),
        ("tags.name LIKE 'x'", "expected = or != after tags.name at position 11, found 'LIKE'"),
        (
            "(tags.name, tags.value) IN (('team'))",
            "expected , between the tag key and the tag value at position 36, found ')'",
        ),
        (
            "(tags.name, tags.value) IN ()",
            "expected at least one ('key', 'value') pair at position 29, found ')'",
        ),
        (
            "(tags.name, tags.value) = ('team', 'ml')",
            "expected IN or NOT IN after (tags.name, tags.value) at position 25, found '='",
        ),
        (
            "NOT " * 101 + "costs.service = 'a'",
            "expected at most 100 nested parentheses and NOTs at position 401, found 'NOT'",
        ),
    ],
)
def test_bad_filters_name_position_expected_and_found(text: str, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_vql(text)
    assert isinstance(caught.value, InputError)
    text_of_error = str(caught.value)
    assert "\n" not in text_of_error
    assert text_of_error.startswith("filter: " + message)
    # The position is an attribute too: pages point at it without reading the message.
    assert caught.value.position is not None
    assert f"at position {caught.value.position}" in text_of_error


def test_nesting_up_to_the_limit_parses() -> None:
    assert parse_vql("(" * 100 + "costs.service = 'a'" + ")" * 100) == A
    expected: Expr = A
    for _ in range(100):
        expected = Not(expected)
    assert parse_vql("NOT " * 100 + "costs.service = 'a'") == expected


# --- regular expressions: Python re and DuckDB's RE2 must both accept them, alike -----------


@pytest.mark.parametrize(
    "pattern",
    [
        "gpt-.*",
        "^claude-(?:3|4)\\.5",
        "(?i)OPUS",
        "(?ms)a.b",
        "(?-i:a)",
        "(?P<name>a)b",
        "[a-z]+\\d{2}",
        "[]a]",
        "[^]a-]",
        "a{}",
        "a{2,}",
        "(a{10}){100}",
        "a{1000}",
        "\\x41\\0\\-\\.\\'\\ \\A\\b",
        "[\\d\\s\\x41\\-]",
        "é+|日本",
    ],
)
def test_regexes_both_engines_read_alike_are_accepted(pattern: str) -> None:
    assert parse_vql(f"costs.service ~* '{pattern.replace(chr(39), chr(39) * 2)}'") == svc(
        "regex", pattern
    )
    duckdb.execute("SELECT regexp_matches('x', ?, 'i')", [pattern]).fetchall()


@pytest.mark.parametrize(
    ("pattern", "duckdb_refuses"),
    [
        ("a(?=b)", True),
        ("a(?<!b)", True),
        ("(?>a)", True),
        ("(?#note)a", True),
        ("(?x)a b", True),
        ("(a)\\1", True),
        ("(?P<n>a)(?P=n)", True),
        ("a*+", True),
        ("a{2}+", True),
        ("a\\Z", True),
        ("\\u0061", True),
        ("\\é", True),
        ("[\\b]", True),
        ("a{1001}", True),
        ("(?:a{100}){11}", True),
        ("((a{10}){10}){11}", True),
        # DuckDB runs these, but reads them unlike Python: a literal "{,3}", a POSIX class
        ("a{,3}", False),
        ("[[:alpha:]]", False),
        ("[a&&b]", False),
    ],
)
def test_regexes_duckdb_refuses_or_reads_differently_are_refused(
    pattern: str, duckdb_refuses: bool
) -> None:
    with pytest.raises(FilterError, match="expected a valid regular expression at position 18"):
        parse_vql(f"costs.service ~* '{pattern}'")
    if duckdb_refuses:
        with pytest.raises(duckdb.InvalidInputException):
            duckdb.execute("SELECT regexp_matches('x', ?, 'i')", [pattern]).fetchall()


# --- printing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (svc("=", "it's"), "costs.service = 'it''s'"),
        (svc("!=", None), "costs.service != NULL"),
        (svc("notlike", "%"), "costs.service NOT LIKE '%'"),
        (svc("notregex", "a"), "costs.service !~* 'a'"),
        (InList("account", ("a", "b"), True), "costs.account NOT IN ('a', 'b')"),
        (team("=", None), "tags.name = 'team' AND tags.value = NULL"),
        (Not(team("regex", "x")), "NOT (tags.name = 'team' AND tags.value ~* 'x')"),
        (Not(HasTag("team")), "NOT tags.name = 'team'"),
        (Not(Untagged()), "NOT tags.name = NULL"),
        (
            And((Or((A, B)), Not(Or((C, D))))),
            "(costs.service = 'a' OR costs.service = 'b') AND "
            "NOT (costs.service = 'c' OR costs.service = 'd')",
        ),
        (
            Or((And((A, B)), C)),
            "costs.service = 'a' AND costs.service = 'b' OR costs.service = 'c'",
        ),
    ],
)
def test_prints_canonical_vql(expr: Expr, text: str) -> None:
    assert to_vql(expr) == text
    assert parse_vql(text) == expr


def _flat(kind: type[And] | type[Or], items: list[Expr]) -> Expr:
    """The parser's normal form: no And directly inside an And (same for Or)."""
    flat: list[Expr] = []
    for item in items:
        flat.extend(item.items if isinstance(item, kind) else (item,))
    return kind(tuple(flat))


def _trees(leaf: st.SearchStrategy[Expr], max_leaves: int) -> st.SearchStrategy[Expr]:
    def branches(kids: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
        many = st.lists(kids, min_size=2, max_size=3)
        return st.one_of(
            st.builds(Not, kids),
            many.map(functools.partial(_flat, And)),
            many.map(functools.partial(_flat, Or)),
        )

    return st.recursive(leaf, branches, max_leaves=max_leaves)


REGEX_ATOMS = [
    "a", "A", "b", "é", "É", ".", "^", "[ab]", "[^a]", "(?:a|b)", "(a)", "a*", "b+", "é?",
    "%", "_", "'", "\\\\", "\\.", "\\n", " ", "a|b",
]  # fmt: skip
regexes = st.lists(st.sampled_from(REGEX_ATOMS), max_size=4).map("".join)

any_text = st.text(max_size=6) | st.text(alphabet="'%_ \\é\n", max_size=6)
rt_fields = st.sampled_from(BASE_DIMENSIONS) | any_text.map(lambda key: TAG_PREFIX + key)
rt_leaves: st.SearchStrategy[Expr] = st.one_of(
    st.builds(Compare, rt_fields, st.sampled_from(["=", "!=", "like", "notlike"]), any_text),
    st.builds(Compare, rt_fields, st.sampled_from(["=", "!="]), st.none()),
    st.builds(
        Compare,
        rt_fields,
        st.sampled_from(["regex", "notregex"]),
        regexes | st.text(st.characters(categories=["L", "N"]), max_size=5),
    ),
    st.builds(
        InList, rt_fields, st.lists(any_text, min_size=1, max_size=3).map(tuple), st.booleans()
    ),
    st.builds(HasTag, any_text),
    st.just(Untagged()),
)


@FAST
@given(_trees(rt_leaves, max_leaves=10))
def test_print_then_parse_round_trips(expr: Expr) -> None:
    text = to_vql(expr)
    assert parse_vql(text) == expr, text


# --- compiling ------------------------------------------------------------------------------

TAG_KEYS = ("team", "cursor:max_mode")
COLUMNS = ("service", "account", "resource", *(TAG_PREFIX + key for key in TAG_KEYS))
ANY_TAG_SQL = " OR ".join(f'"{TAG_PREFIX}{key}" IS NOT NULL' for key in TAG_KEYS)
Row = tuple[str | None, ...]  # one value per COLUMNS entry


def column(name: str) -> str:
    if name not in COLUMNS:
        raise FilterError(f"filter: unknown field {name!r}")
    return f'"{name}"'


def sql_results(expr: Expr, rows: Sequence[Row]) -> list[object]:
    """Per row, what the compiled SQL says, run in DuckDB over those rows."""
    sql, params = compile_vql(expr, column, lambda: ANY_TAG_SQL)
    cells = ", ".join(["CAST(? AS VARCHAR)"] * len(COLUMNS))
    values = ", ".join(f"(CAST(? AS INTEGER), {cells})" for _ in rows)
    names = ", ".join(f'"{name}"' for name in COLUMNS)
    query = f"WITH t(id, {names}) AS (VALUES {values}) SELECT id, {sql} FROM t ORDER BY id"
    row_params = [cell for i, row in enumerate(rows) for cell in (i, *row)]
    result = duckdb.execute(query, [*row_params, *params]).fetchall()
    assert [row_id for row_id, _ in result] == list(range(len(rows)))
    return [value for _, value in result]


def reference_results(expr: Expr, rows: Sequence[Row]) -> list[bool]:
    def one(row: Row) -> bool:
        values = dict(zip(COLUMNS, row, strict=True))
        tagged = any(values[TAG_PREFIX + key] is not None for key in TAG_KEYS)
        return evaluate(expr, values.__getitem__, lambda: tagged)

    return [one(row) for row in rows]


POOL = ["a", "A", "ab", "b", "é", "É", "", "a'b", "%", "a_", "a\\", "a\nb", "ml"]
cells = st.sampled_from(POOL) | st.text(alphabet="aAbéÉ%_'\\\n ", max_size=3)
fields = st.sampled_from(COLUMNS)
db_leaves: st.SearchStrategy[Expr] = st.one_of(
    st.builds(Compare, fields, st.sampled_from(["=", "!="]), st.none() | cells),
    st.builds(Compare, fields, st.sampled_from(["like", "notlike"]), cells),
    st.builds(Compare, fields, st.sampled_from(["regex", "notregex"]), regexes),
    st.builds(InList, fields, st.lists(cells, min_size=1, max_size=3).map(tuple), st.booleans()),
    st.builds(HasTag, st.sampled_from(TAG_KEYS)),
    st.just(Untagged()),
)
db_rows = st.lists(st.tuples(*[st.none() | cells] * len(COLUMNS)), min_size=1, max_size=6)


@FAST
@given(_trees(db_leaves, max_leaves=6), db_rows)
def test_duckdb_agrees_with_the_reference_and_is_never_null(expr: Expr, rows: list[Row]) -> None:
    got = sql_results(expr, rows)
    assert all(isinstance(value, bool) for value in got)
    assert got == reference_results(expr, rows)


# Fixed rows that make NULL handling visible: (service, account, resource, team, max_mode)
ROWS: list[Row] = [
    ("gpt-5", "p1", "ann@x.io", "ml", "true"),  # 0
    ("GPT-5-mini", "p1", None, "infra", None),  # 1
    (None, "p2", "bob@x.io", None, "false"),  # 2
    ("claude%_", None, None, None, None),  # 3: untagged
    ("it's", "p2", "a\nb", "ML", None),  # 4
]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("costs.service = 'gpt-5'", [0]),
        ("costs.service != 'gpt-5'", [1, 2, 3, 4]),  # NULL is "not equal"
        ("NOT costs.service = 'gpt-5'", [1, 2, 3, 4]),
        ("NOT costs.service != 'gpt-5'", [0]),
        ("costs.service = NULL", [2]),
        ("costs.service <> NULL", [0, 1, 3, 4]),
        ("costs.service IN ('gpt-5', 'it''s')", [0, 4]),
        ("costs.service NOT IN ('gpt-5', 'it''s')", [1, 2, 3]),
        ("NOT costs.service IN ('gpt-5', 'it''s')", [1, 2, 3]),
        ("costs.service LIKE 'gpt%'", [0]),  # case-sensitive
        ("costs.service LIKE '%'", [0, 1, 3, 4]),
        ("costs.service NOT LIKE '%'", [2]),
        ("NOT costs.service LIKE '%'", [2]),
        ("costs.service LIKE 'claude\\%_'", []),  # no escape character: "\" is literal
        ("costs.service LIKE 'claude%\\_'", []),
        ("costs.resource LIKE 'a_b'", [4]),  # "_" matches a newline
        ("costs.service ~* '^gpt-5'", [0, 1]),  # case-insensitive
        ("costs.service !~* '^gpt-5'", [2, 3, 4]),
        ("NOT costs.service ~* ''", [2]),
        ("costs.resource ~* 'a.b'", []),  # "." does not match a newline, in either engine
        ("tags.name = 'team'", [0, 1, 4]),
        ("tags.name != 'team'", [2, 3]),
        ("tags.name = NULL", [3]),
        ("tags.name != NULL", [0, 1, 2, 4]),
        ("tags.name = 'team' AND tags.value = 'ml'", [0]),
        ("tags.name = 'team' AND tags.value ~* '^ml$'", [0, 4]),
        ("tags.name = 'team' AND tags.value != 'ml'", [1, 2, 3, 4]),
        ("tags.name = 'team' AND tags.value = NULL", [2, 3]),
        ("(tags.name, tags.value) IN (('team', 'ml'), ('cursor:max_mode', 'false'))", [0, 2]),
        (
            "(tags.name, tags.value) NOT IN (('team', 'ml'), ('cursor:max_mode', 'false'))",
            [1, 3, 4],
        ),
        ("costs.account = 'p2' OR costs.service = 'gpt-5' AND costs.resource != NULL", [0, 2, 4]),
        ("(costs.account = 'p2' OR costs.service = 'gpt-5') AND costs.resource != NULL", [0, 2, 4]),
        ("NOT (costs.account = 'p1' OR tags.name = NULL)", [2, 4]),
        ("NOT (costs.account != 'p1' AND costs.resource LIKE '%')", [0, 1, 3]),
    ],
)
def test_fixed_rows_match_expected_and_reference(text: str, ids: list[int]) -> None:
    expr = parse_vql(text)
    got = sql_results(expr, ROWS)
    assert [i for i, matched in enumerate(got) if matched] == ids
    assert got == reference_results(expr, ROWS)
    assert got == [not value for value in sql_results(Not(expr), ROWS)]


def test_values_are_bound_parameters_in_order() -> None:
    sql, params = compile_vql(
        parse_vql(
            "costs.service IN ('x''; DROP TABLE t; --', 'y') AND costs.account LIKE '%?%' "
            "OR tags.name = 'team' AND tags.value ~* 'z' OR costs.resource = NULL"
        ),
        column,
    )
    assert "DROP" not in sql and "'x" not in sql and "%" not in sql
    assert sql.count("?") == len(params) == 4
    assert params == ["x'; DROP TABLE t; --", "y", "%?%", "z"]


def test_identifiers_come_only_from_column() -> None:
    seen: list[str] = []

    def spy(name: str) -> str:
        seen.append(name)
        return "c"

    compile_vql(parse_vql("costs.service = 'a' AND tags.name = 'k' AND tags.name = 'team'"), spy)
    assert seen == ["service", "tag:k", "tag:team"]
    with pytest.raises(FilterError, match="unknown field 'tag:nope'"):
        compile_vql(parse_vql("tags.name = 'nope'"), column)


def test_untagged_needs_any_tag() -> None:
    with pytest.raises(FilterError, match=r"^filter: .*no tags are defined"):
        compile_vql(parse_vql("costs.service = 'a' OR tags.name = NULL"), column)
    sql, params = compile_vql(Untagged(), column, lambda: "has_tag")
    assert (sql, params) == ("(NOT coalesce(has_tag, FALSE))", [])


def test_fields_used_and_uses_untagged() -> None:
    expr = parse_vql(
        "costs.account_id = 'a' AND NOT (tags.name = 'team' AND tags.value IN ('x') "
        "OR tags.name = 'cursor:user') OR (tags.name, tags.value) IN (('env', 'p'))"
    )
    assert fields_used(expr) == {"account", "tag:team", "tag:cursor:user", "tag:env"}
    assert not uses_untagged(expr)
    assert uses_untagged(parse_vql("costs.service = 'a' AND NOT tags.name = NULL"))
    assert fields_used(Untagged()) == set()


def test_like_reference_escapes_everything_but_wildcards() -> None:
    assert like_regex("a.%_\\").fullmatch("a.xyz\n\\")
    assert not like_regex("a.%").fullmatch("ab")


def test_ast_nodes_are_hashable_and_comparable() -> None:
    expr = parse_vql("costs.service = 'a' OR NOT tags.name = NULL")
    assert {expr: 1}[parse_vql("COSTS.SERVICE = 'a' or not TAGS.NAME = null")] == 1


SOUP = [
    "costs.service", "costs.account_id", "COSTS.bad", "tags.name", "tags.value", "=", "!=", "<>",
    "IN", "not", "LIKE", "~*", "!~*", "NULL", "AND", "or", "(", ")", ",", "'a'", "'it''s'", "''",
    "'(?=x)'", "'['", "(tags.name, tags.value)", "('k', 'v')", "'", "~", "5", "\n",
]  # fmt: skip


@FAST
@given(st.lists(st.sampled_from(SOUP), max_size=12).map(" ".join))
def test_any_text_parses_and_round_trips_or_fails_with_a_filter_error(text: str) -> None:
    try:
        expr = parse_vql(text)
    except FilterError as error:
        assert str(error).startswith("filter: ") and "position" in str(error)
        assert "\n" not in str(error)
    else:
        assert parse_vql(to_vql(expr)) == expr


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(alphabet="()[]{}?*+\\^$|.,:-=!<>PaAbZ1230x&~#imsu\n é", max_size=8))
def test_every_accepted_regex_runs_in_duckdb(pattern: str) -> None:
    try:
        parse_vql("costs.service ~* " + "'" + pattern.replace("'", "''") + "'")
    except FilterError:
        return
    duckdb.execute("SELECT regexp_matches('x', ?, 'i')", [pattern]).fetchall()
