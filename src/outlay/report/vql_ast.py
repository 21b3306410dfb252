"""The VQL syntax tree: plain frozen data, compared by value, and what a tree reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeAlias

from outlay.report.dimensions import TAG_PREFIX


@dataclass(frozen=True)
class Compare:
    """``field op value``; ``field`` is a dimension (``service``) or ``tag:<key>``.

    ``value`` is None only with ``=`` / ``!=``, meaning "is NULL" / "is not NULL".
    """

    field: str
    op: str
    value: str | None


@dataclass(frozen=True)
class InList:
    field: str
    values: tuple[str, ...]
    negated: bool


@dataclass(frozen=True)
class HasTag:
    """The row has a value for tag ``key``."""

    key: str


@dataclass(frozen=True)
class Untagged:
    """The row has no value for any tag."""


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    item: Expr


Leaf: TypeAlias = Compare | InList | HasTag | Untagged
Expr: TypeAlias = Compare | InList | HasTag | Untagged | And | Or | Not


def fields_used(expr: Expr) -> set[str]:
    """The dimensions and ``tag:<key>`` names ``expr`` reads; see also ``uses_untagged``."""
    names: set[str] = set()
    for leaf in _leaves(expr):
        if isinstance(leaf, Compare | InList):
            names.add(leaf.field)
        elif isinstance(leaf, HasTag):
            names.add(TAG_PREFIX + leaf.key)
    return names


def uses_untagged(expr: Expr) -> bool:
    """Whether ``expr`` asks about every tag at once (``tags.name = NULL``)."""
    return any(isinstance(leaf, Untagged) for leaf in _leaves(expr))


def _leaves(expr: Expr) -> Iterator[Leaf]:
    if isinstance(expr, And | Or):
        for item in expr.items:
            yield from _leaves(item)
    elif isinstance(expr, Not):
        yield from _leaves(expr.item)
    else:
        yield expr
