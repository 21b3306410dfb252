"""VQL filters: tokenize, parse into a small AST, compile to SQL with bound parameters.

Grammar supported now (a subset of Vantage's VQL)::

    filter     := condition ("AND" condition)*
    condition  := "costs." DIMENSION op_value
                | "tags.name" "=" STRING ["AND" "tags.value" op_value]
    op_value   := ("=" | "!=" | "<>") STRING | ["NOT"] "IN" "(" STRING ("," STRING)* ")"

Literals are single-quoted (``''`` inside is a quote). Keywords are case-insensitive. Values are
never pasted into SQL: each becomes a ``?`` parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from outlay.errors import FilterError
from outlay.report.dimensions import BASE_DIMENSIONS, dimension_sql, tag_sql

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op>!=|<>|=|\(|\)|,)|(?P<word>[A-Za-z_][\w.:]*)|(?P<bad>\S))"
)
#: Vantage's field names for the same dimensions.
ALIASES = {"account_id": "account", "resource_id": "resource"}


@dataclass(frozen=True)
class Token:
    kind: str  # string, op, word, end
    text: str
    pos: int


@dataclass(frozen=True)
class Condition:
    """``field op values``; ``field`` is a dimension name (``service``, ``tag:cursor:user``)."""

    field: str
    op: str  # "=", "!=", "in", "not in", "exists"
    values: tuple[str, ...]


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            break
        kind = match.lastgroup or "bad"
        start = match.start(kind)
        if kind == "bad":
            raise FilterError(
                f"filter: unexpected character {match.group(kind)!r} at position {start + 1}"
            )
        tokens.append(Token(kind, match.group(kind), start))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def fail(self, expected: str) -> FilterError:
        got = "the end" if self.tok.kind == "end" else repr(self.tok.text)
        return FilterError(
            f"filter: expected {expected} at position {self.tok.pos + 1}, found {got}"
        )

    def word(self, *choices: str) -> bool:
        if self.tok.kind == "word" and self.tok.text.upper() in choices:
            self.i += 1
            return True
        return False

    def op(self, *choices: str) -> str | None:
        if self.tok.kind == "op" and self.tok.text in choices:
            self.i += 1
            return self.tokens[self.i - 1].text
        return None

    def string(self) -> str:
        if self.tok.kind != "string":
            raise self.fail("a quoted value like 'gpt-5'")
        value = self.tok.text[1:-1].replace("''", "'")
        self.i += 1
        return value

    def parse(self) -> list[Condition]:
        if self.tok.kind == "end":
            raise self.fail("a condition like costs.service = 'gpt-5'")
        conditions = [self.condition()]
        while self.word("AND"):
            conditions.append(self.condition())
        if self.tok.kind != "end":
            raise self.fail("AND or the end of the filter")
        return conditions

    def condition(self) -> Condition:
        if self.tok.kind != "word":
            raise self.fail("a field like costs.service or tags.name")
        field = self.tok.text.lower()
        if field == "tags.name":
            self.i += 1
            if not self.op("="):
                raise self.fail("= after tags.name")
            key = self.string()
            tag_sql(key)  # an unknown key fails here, naming the known ones
            if self.tok.kind == "word" and self.tok.text.upper() == "AND":
                following = self.tokens[self.i + 1]
                if following.kind == "word" and following.text.lower() == "tags.value":
                    self.i += 2
                    return self.comparison(f"tag:{key}")
            return Condition(f"tag:{key}", "exists", ())
        if field.startswith("costs."):
            name = field[len("costs.") :]
            name = ALIASES.get(name, name)
            if name not in BASE_DIMENSIONS:
                raise self.fail(
                    f"a known field ({', '.join('costs.' + d for d in BASE_DIMENSIONS)})"
                )
            self.i += 1
            return self.comparison(name)
        raise self.fail("a field like costs.service or tags.name")

    def comparison(self, field: str) -> Condition:
        op = self.op("=", "!=", "<>")
        if op is not None:
            return Condition(field, "=" if op == "=" else "!=", (self.string(),))
        negated = self.word("NOT")
        if not self.word("IN"):
            raise self.fail("=, !=, IN or NOT IN")
        if not self.op("("):
            raise self.fail("( after IN")
        values = [self.string()]
        while self.op(","):
            values.append(self.string())
        if not self.op(")"):
            raise self.fail(", or ) in the IN list")
        return Condition(field, "not in" if negated else "in", tuple(values))


def parse_filter(text: str) -> list[Condition]:
    """The conditions of a VQL filter (all must hold). A bad filter names the position."""
    return _Parser(text).parse()


def compile_conditions(conditions: list[Condition]) -> tuple[str, list[str]]:
    """``(sql, params)``: a boolean SQL expression and its bound values, in order."""
    parts: list[str] = []
    params: list[str] = []
    for cond in conditions:
        expr = dimension_sql(cond.field)
        if cond.op == "exists":
            parts.append(f"({expr}) IS NOT NULL")
        elif cond.op in ("=", "!="):
            # A NULL dimension is "not equal" to every value, as a person reads it.
            sql = f"({expr}) = ?" if cond.op == "=" else f"({expr}) IS DISTINCT FROM ?"
            parts.append(sql)
            params.append(cond.values[0])
        else:
            marks = ", ".join("?" for _ in cond.values)
            sql = f"({expr}) IN ({marks})"
            parts.append(sql if cond.op == "in" else f"coalesce(NOT {sql}, TRUE)")
            params.extend(cond.values)
    return " AND ".join(parts) or "TRUE", params
