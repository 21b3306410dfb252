"""List prices per model, used only to apportion an event's charged cost across token types.

Cursor reports one charged amount per event, not one per token type. To answer "what did cache
reads cost", each event's cost is split in proportion to ``tokens × list price`` of each token
type. Only the *ratios* between a model's four prices matter for that, so a price that drifts a
little does not move totals: every event still sums to its ``chargedCents`` exactly.

Prices are USD per million tokens, from the providers' public API price pages and Cursor's
models-and-pricing page (2026): Anthropic (claude), OpenAI (gpt), Google (gemini), xAI (grok),
Moonshot (kimi), Cursor (composer, auto). Model strings are opaque and named two ways
(``claude-4.5-opus-high-thinking`` vs ``claude-opus-4-7-thinking-high``), so each row is a list of
glob patterns; the first row with a matching pattern wins. A model that matches no row uses
``DEFAULT_PRICE``, whose ratios are those of a mid-tier model (1 : 5 output, 1.25 write, 0.1 read).

Override or extend the table with a JSON file (``OUTLAY_PRICES_FILE``): a list of objects
``{"patterns": [...], "input": n, "output": n, "cache_write": n, "cache_read": n,
"first_party": bool}``; its rows are tried before the built-in ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path

from outlay.errors import ConfigError

TOKEN_TYPES: tuple[str, ...] = ("input", "output", "cache_write", "cache_read")


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per 1M tokens for each token type. ``first_party`` models pay no Cursor token fee."""

    input: Decimal
    output: Decimal
    cache_write: Decimal
    cache_read: Decimal
    first_party: bool = False

    def for_type(self, token_type: str) -> Decimal:
        return Decimal(getattr(self, token_type))


@dataclass(frozen=True, slots=True)
class PriceRow:
    patterns: tuple[str, ...]
    price: ModelPrice


def _p(i: str, o: str, w: str, r: str, first_party: bool = False) -> ModelPrice:
    return ModelPrice(Decimal(i), Decimal(o), Decimal(w), Decimal(r), first_party)


DEFAULT_PRICE = _p("1", "5", "1.25", "0.1")

BUILTIN_ROWS: tuple[PriceRow, ...] = (
    # Cursor's own models: no token fee. Auto is priced per Cursor's docs.
    PriceRow(("composer-*",), _p("1.25", "10", "1.25", "0.125", first_party=True)),
    PriceRow(("auto", "default"), _p("1.25", "6", "1.25", "0.25", first_party=True)),
    PriceRow(("grok-*",), _p("0.2", "1.5", "0.2", "0.02", first_party=True)),
    # Anthropic. Opus 4.5 and later are cheaper than Opus 4 / 4.1.
    PriceRow(
        (
            "claude-4.5-opus*",
            "claude-4.6-opus*",
            "claude-opus-4-5*",
            "claude-opus-4-6*",
            "claude-opus-4-7*",
            "claude-opus-4-8*",
        ),
        _p("5", "25", "6.25", "0.5"),
    ),
    PriceRow(
        ("claude-4-opus*", "claude-4.1-opus*", "claude-opus-4*", "claude-3-opus*"),
        _p("15", "75", "18.75", "1.5"),
    ),
    PriceRow(("claude-*haiku*",), _p("1", "5", "1.25", "0.1")),
    PriceRow(("claude-*sonnet*", "claude-*"), _p("3", "15", "3.75", "0.3")),
    # OpenAI: cache writes are billed as plain input.
    PriceRow(("gpt-5.2*", "gpt-5.3*", "gpt-5.4*"), _p("1.75", "14", "1.75", "0.175")),
    PriceRow(("gpt-5*-mini*",), _p("0.25", "2", "0.25", "0.025")),
    PriceRow(("gpt-5*", "o3*", "gpt-4.1*"), _p("1.25", "10", "1.25", "0.125")),
    # Google.
    PriceRow(("gemini-3-pro*", "gemini-3.*-pro*"), _p("2", "12", "2", "0.2")),
    PriceRow(("gemini-3-flash*", "gemini-3.*-flash*"), _p("0.5", "3", "0.5", "0.05")),
    PriceRow(("gemini-2.5-pro*",), _p("1.25", "10", "1.25", "0.125")),
    PriceRow(("gemini-2.5-flash*",), _p("0.3", "2.5", "0.3", "0.03")),
    # Moonshot.
    PriceRow(("kimi-*",), _p("0.6", "3", "0.6", "0.1")),
)


class PriceTable:
    """Ordered price rows; ``price(model)`` is the first row whose pattern matches."""

    def __init__(self, rows: Sequence[PriceRow] = BUILTIN_ROWS) -> None:
        self._rows = tuple(rows)
        self._lookup = lru_cache(maxsize=4096)(self._find)

    def price(self, model: str) -> ModelPrice:
        return self._lookup(model)

    def _find(self, model: str) -> ModelPrice:
        name = model.lower()
        for row in self._rows:
            if any(fnmatchcase(name, pattern) for pattern in row.patterns):
                return row.price
        return DEFAULT_PRICE

    def with_rows_first(self, rows: Iterable[PriceRow]) -> PriceTable:
        return PriceTable((*rows, *self._rows))


def load_price_overrides(path: Path) -> list[PriceRow]:
    """Read an override file; a bad file is a ConfigError naming the file and the row."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"price file {path}: cannot read it as JSON ({exc}); fix or unset it"
        ) from exc
    if not isinstance(data, list):
        raise ConfigError(f"price file {path}: expected a JSON list of price rows")
    rows: list[PriceRow] = []
    for index, item in enumerate(data):
        try:
            patterns = tuple(str(p) for p in item["patterns"])
            i, o, w, r = (Decimal(str(item[t])) for t in TOKEN_TYPES)
            price = ModelPrice(i, o, w, r, first_party=bool(item.get("first_party", False)))
        except (KeyError, TypeError, ArithmeticError) as exc:
            raise ConfigError(
                f"price file {path}: row {index} needs 'patterns' and numeric "
                f"{', '.join(TOKEN_TYPES)} ({exc!r})"
            ) from exc
        if any(price.for_type(t) < 0 for t in TOKEN_TYPES):
            raise ConfigError(f"price file {path}: row {index} has a negative price")
        rows.append(PriceRow(patterns, price))
    return rows
