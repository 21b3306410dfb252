"""VQL, Vantage's filter language: parse it into an AST, print it back, compile it to DuckDB SQL.

Grammar (field names and keywords are case-insensitive; precedence NOT > AND > OR)::

    filter     := or_expr END
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := not_expr ("AND" not_expr)*
    not_expr   := "NOT" not_expr | primary
    primary    := "(" or_expr ")" | tag_tuple | condition
    condition  := "costs." DIMENSION test
                | "tags.name" "=" STRING "AND" "tags.value" test    -- one tag condition
                | "tags.name" ("=" | "!=" | "<>") (STRING | "NULL")
    test       := ("=" | "!=" | "<>") (STRING | "NULL")
                | ["NOT"] "IN" "(" STRING ("," STRING)* ")"
                | ["NOT"] "LIKE" STRING
                | ("~*" | "!~*") STRING
    tag_tuple  := "(" "tags.name" "," "tags.value" ")" ["NOT"] "IN" "(" pair ("," pair)* ")"
    pair       := "(" STRING "," STRING ")"

Strings are single-quoted, ``''`` inside is a quote. A tag pair is read greedily as one condition:
``tags.name = 'k'`` swallows a directly following ``AND tags.value …``, wherever an AND chain
appears, so ``NOT tags.name = 'k' AND tags.value = 'v'`` negates the whole pair.

The AST is in a normal form, so equal filters compare equal and ``to_vql`` round-trips:
``And``/``Or`` hold at least two items and never an item of their own kind (parentheses that
only regroup are flattened away), and a tag tuple ``IN`` becomes one ``InList`` per key (in the
order the keys first appear) joined by ``Or``; ``NOT IN`` becomes negated ``InList``s joined by
``And``. ``tags.name != 'k'`` is ``Not(HasTag('k'))`` and ``tags.name != NULL`` is
``Not(Untagged())``.

Compiled SQL is two-valued: every leaf is TRUE or FALSE, never NULL, so ``NOT`` is an exact
complement. A NULL dimension equals no value, is in no list and matches no LIKE pattern or
regular expression. Values are always bound ``?`` parameters; identifiers come from the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from outlay.errors import FilterError
from outlay.report.dimensions import BASE_DIMENSIONS, TAG_PREFIX
from outlay.report.regex_check import regex_problem
from outlay.report.vql_ast import (
    And,
    Compare,
    Expr,
    HasTag,
    InList,
    Leaf,
    Not,
    Or,
    Untagged,
    fields_used,
    uses_untagged,
)
from outlay.report.vql_sql import compile_vql

__all__ = [
    "And", "Compare", "Expr", "HasTag", "InList", "Leaf", "Not", "Or", "Untagged",
    "compile_vql", "fields_used", "parse_vql", "to_vql", "uses_untagged",
]  # fmt: skip

#: Vantage's field names for the same dimensions.
ALIASES: dict[str, str] = {"account_id": "account", "resource_id": "resource"}
#: The ``Compare.op`` values.
COMPARE_OPS: tuple[str, ...] = ("=", "!=", "like", "notlike", "regex", "notregex")
#: Deeper nesting of parentheses and NOTs is refused rather than exhausting Python's stack.
MAX_DEPTH = 100
#: Longest filter text: room for an IN list of a few thousand e-mails (a tag imported from a
#: CSV), while a filter still fits in a URL and parses in milliseconds.
MAX_FILTER_CHARS = 100_000
#: Most conditions (tests of one field) in a filter. DuckDB's planner is quadratic in the terms
#: of an AND that cannot be merged into one set test (LIKE, regular expressions): 500 of them
#: plan in ~0.4 s and ~250 MB, 1,000 in ~1 s and ~800 MB. The engine's own memory and time
#: limits do not reach its planner, so this cap is what bounds it. Values go in IN lists.
MAX_CONDITIONS = 500

_FIELD_LIST = ", ".join([*(f"costs.{name}" for name in BASE_DIMENSIONS), "tags.name"])
_OPERATORS = "an operator (=, !=, <>, IN, NOT IN, LIKE, NOT LIKE, ~*, !~*)"
_VALUE = "a quoted value like 'gpt-5'"

# Strings are unrolled (no nested quantifiers) so an unterminated one fails in linear time.
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'[^']*(?:''[^']*)*')|(?P<op>!~\*|~\*|!=|<>|=|\(|\)|,)"
    r"|(?P<word>\w[\w.:-]*)|(?P<bad>\S))"
)


@dataclass(frozen=True)
class Token:
    kind: str  # string, op, word, bad, end
    text: str
    pos: int

    def word(self) -> str:
        """The text of a word token, upper-cased; "" for any other token."""
        # ASCII only: str.upper() would turn "ſ" into "S" and make "coſts.service" a field.
        return self.text.upper() if self.kind == "word" and self.text.isascii() else ""


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:  # only whitespace is left
            break
        kind = match.lastgroup or "bad"
        start = match.start(kind)
        if kind == "bad" and match.group(kind) == "'":
            raise FilterError(
                f"filter: unterminated string at position {start + 1}: expected a closing ', "
                "found the end",
                start + 1,
            )
        tokens.append(Token(kind, match.group(kind), start))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def parse_vql(text: str) -> Expr:
    """The AST of a VQL filter. Anything bad, including an empty filter, is a ``FilterError``."""
    if len(text) > MAX_FILTER_CHARS:
        raise FilterError(
            f"filter: {len(text):,} characters is over the limit of {MAX_FILTER_CHARS:,}; "
            "list values in one IN (...) or define a virtual tag"
        )
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.conditions = 0

    def count_condition(self) -> None:
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise FilterError(
                f"filter: more than {MAX_CONDITIONS} conditions (at position {self.tok.pos + 1}); "
                "list the values of one field in one IN (...) or NOT IN (...)",
                self.tok.pos + 1,
            )

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def ahead(self, n: int) -> Token:
        return self.tokens[min(self.i + n, len(self.tokens) - 1)]

    def fail(self, expected: str) -> FilterError:
        got = "the end" if self.tok.kind == "end" else repr(self.tok.text)
        return FilterError(
            f"filter: expected {expected} at position {self.tok.pos + 1}, found {got}",
            self.tok.pos + 1,
        )

    def take_word(self, word: str) -> bool:
        if self.tok.word() == word:
            self.i += 1
            return True
        return False

    def take_op(self, *ops: str) -> str | None:
        if self.tok.kind == "op" and self.tok.text in ops:
            self.i += 1
            return self.tokens[self.i - 1].text
        return None

    def is_op(self, tok: Token, op: str) -> bool:
        return tok.kind == "op" and tok.text == op

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"at most {MAX_DEPTH} nested parentheses and NOTs")

    def string(self, expected: str = _VALUE) -> str:
        tok = self.tok
        if tok.kind != "string":
            raise self.fail(expected)
        self.i += 1
        return tok.text[1:-1].replace("''", "'")

    def parse(self) -> Expr:
        if self.tok.kind == "end":
            raise self.fail("a condition like costs.service = 'gpt-5'")
        expr = self.or_expr()
        if self.tok.kind != "end":
            raise self.fail("AND, OR or the end of the filter")
        return expr

    def or_expr(self) -> Expr:
        items = [self.and_expr()]
        while self.take_word("OR"):
            items.append(self.and_expr())
        return _combine(Or, items)

    def and_expr(self) -> Expr:
        items = [self.not_expr()]
        while self.take_word("AND"):
            items.append(self.not_expr())
        return _combine(And, items)

    def not_expr(self) -> Expr:
        if self.tok.word() != "NOT":
            return self.primary()
        self.enter()
        self.i += 1
        item = self.not_expr()
        self.depth -= 1
        return Not(item)

    def primary(self) -> Expr:
        if not self.is_op(self.tok, "("):
            return self.condition()
        if self.ahead(1).word() == "TAGS.NAME" and self.is_op(self.ahead(2), ","):
            return self.tag_tuple()
        self.enter()
        self.i += 1
        expr = self.or_expr()
        if not self.take_op(")"):
            raise self.fail("AND, OR or )")
        self.depth -= 1
        return expr

    def condition(self) -> Expr:
        self.count_condition()
        field = self.tok.word().lower()
        if field == "tags.name":
            self.i += 1
            return self.tag_name()
        if field == "tags.value":
            raise FilterError(
                "filter: expected tags.name = '<key>' AND right before tags.value at position "
                f"{self.tok.pos + 1}, found tags.value on its own",
                self.tok.pos + 1,
            )
        name = field.removeprefix("costs.") if field.startswith("costs.") else ""
        name = ALIASES.get(name, name)
        if name not in BASE_DIMENSIONS:
            raise self.fail(f"a field ({_FIELD_LIST})")
        self.i += 1
        return self.test(name)

    def tag_name(self) -> Expr:
        op = self.take_op("=", "!=", "<>")
        if op is None:
            raise self.fail("= or != after tags.name")
        negated = op != "="
        if self.take_word("NULL"):
            return Not(Untagged()) if negated else Untagged()
        key = self.string("a quoted tag key like 'team' or NULL")
        if not negated and self.tok.word() == "AND" and self.ahead(1).word() == "TAGS.VALUE":
            self.i += 2
            return self.test(TAG_PREFIX + key)
        return Not(HasTag(key)) if negated else HasTag(key)

    def test(self, field: str) -> Expr:
        op = self.take_op("=", "!=", "<>", "~*", "!~*")
        if op in ("~*", "!~*"):
            return Compare(field, "regex" if op == "~*" else "notregex", self.regex())
        if op is not None:
            canonical = "=" if op == "=" else "!="
            if self.take_word("NULL"):
                return Compare(field, canonical, None)
            return Compare(field, canonical, self.string(f"{_VALUE} or NULL"))
        negated = self.take_word("NOT")
        if self.take_word("LIKE"):
            return Compare(field, "notlike" if negated else "like", self.string())
        if self.take_word("IN"):
            return InList(field, self.string_list(), negated)
        raise self.fail("IN or LIKE after NOT" if negated else _OPERATORS)

    def regex(self) -> str:
        tok = self.tok
        pattern = self.string("a quoted regular expression like 'gpt-.*'")
        problem = regex_problem(pattern)
        if problem is not None:
            raise FilterError(
                f"filter: expected a valid regular expression at position {tok.pos + 1}, "
                f"found {tok.text!r} ({problem})",
                tok.pos + 1,
            )
        return pattern

    def string_list(self) -> tuple[str, ...]:
        if not self.take_op("("):
            raise self.fail("( after IN")
        if self.is_op(self.tok, ")"):
            raise self.fail("at least one quoted value in the IN list")
        values = [self.string()]
        while self.take_op(","):
            values.append(self.string())
        if not self.take_op(")"):
            raise self.fail(", or ) in the IN list")
        return tuple(values)

    def tag_tuple(self) -> Expr:
        self.i += 3  # "(", "tags.name", ","
        if not self.take_word("TAGS.VALUE"):
            raise self.fail("tags.value in (tags.name, tags.value)")
        if not self.take_op(")"):
            raise self.fail(") after (tags.name, tags.value")
        negated = self.take_word("NOT")
        if not self.take_word("IN"):
            raise self.fail("IN or NOT IN after (tags.name, tags.value)")
        if not self.take_op("("):
            raise self.fail("( after IN")
        if self.is_op(self.tok, ")"):
            raise self.fail("at least one ('key', 'value') pair")
        by_key: dict[str, list[str]] = {}
        while True:
            if not self.take_op("("):
                raise self.fail("a pair like ('team', 'ml')")
            key = self.string("a quoted tag key like 'team'")
            if key not in by_key:  # each key becomes a test of its own
                self.count_condition()
            if not self.take_op(","):
                raise self.fail(", between the tag key and the tag value")
            by_key.setdefault(key, []).append(self.string())
            if not self.take_op(")"):
                raise self.fail(") after the tag value")
            if not self.take_op(","):
                break
        if not self.take_op(")"):
            raise self.fail(", or ) in the list of pairs")
        lists: list[Expr] = [
            InList(TAG_PREFIX + key, tuple(values), negated) for key, values in by_key.items()
        ]
        # Matching no pair means, for every key, a value outside that key's list.
        return _combine(And if negated else Or, lists)


def _combine(kind: type[And] | type[Or], items: list[Expr]) -> Expr:
    if len(items) == 1:
        return items[0]
    flat: list[Expr] = []
    for item in items:
        if isinstance(item, kind):
            flat.extend(item.items)
        else:
            flat.append(item)
    return kind(tuple(flat))


def to_vql(expr: Expr) -> str:
    """Canonical VQL text of ``expr``; ``parse_vql(to_vql(e)) == e`` for every parsed AST."""
    if isinstance(expr, Compare):
        if expr.op not in _OP_TEXT or (expr.value is None and expr.op not in ("=", "!=")):
            raise ValueError(f"cannot print operator {expr.op!r} with value {expr.value!r}")
        value = "NULL" if expr.value is None else _quote(expr.value)
        return f"{_subject(expr.field)} {_OP_TEXT[expr.op]} {value}"
    if isinstance(expr, InList):
        values = ", ".join(_quote(value) for value in expr.values)
        return f"{_subject(expr.field)} {'NOT IN' if expr.negated else 'IN'} ({values})"
    if isinstance(expr, HasTag):
        return f"tags.name = {_quote(expr.key)}"
    if isinstance(expr, Untagged):
        return "tags.name = NULL"
    if isinstance(expr, And):
        return " AND ".join(_grouped(item, (And, Or)) for item in expr.items)
    if isinstance(expr, Or):
        return " OR ".join(_grouped(item, (Or,)) for item in expr.items)
    # A tag pair is grouped too, though the parser would read it whole anyway: clearer.
    tag_pair = isinstance(expr.item, Compare | InList) and expr.item.field.startswith(TAG_PREFIX)
    return "NOT " + (f"({to_vql(expr.item)})" if tag_pair else _grouped(expr.item, (And, Or)))


_OP_TEXT = {
    "=": "=",
    "!=": "!=",
    "like": "LIKE",
    "notlike": "NOT LIKE",
    "regex": "~*",
    "notregex": "!~*",
}


def _grouped(expr: Expr, kinds: tuple[type[And] | type[Or], ...]) -> str:
    text = to_vql(expr)
    return f"({text})" if isinstance(expr, kinds) else text


def _subject(field: str) -> str:
    if field.startswith(TAG_PREFIX):
        return f"tags.name = {_quote(field[len(TAG_PREFIX) :])} AND tags.value"
    if field in BASE_DIMENSIONS:
        return f"costs.{field}"
    raise ValueError(f"not a VQL field: {field!r}")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
