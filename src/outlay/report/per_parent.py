"""Two-level reports: Top N per parent, subtotals per parent, and the "movers" order. Pure.

A group's key is its values in group-by order (``unit`` last for usage); its parent is the
first value. Ranking works on the grouped sums, which are small next to the cost rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from outlay.report.run import GroupTotal

Key = tuple[Any, ...]
Number = Decimal | int


@dataclass(frozen=True)
class Ranking:
    """Where each group goes after ranking, and the order of the groups that remain."""

    #: Group key -> the key it is reported under (itself, or a folded "Other" key).
    fold: Callable[[Key], Key]
    order: list[Key]


def _name_order(key: Key) -> tuple[tuple[bool, str], ...]:
    return tuple((v is None, str(v)) for v in key)


def rank_per_parent(
    sums: dict[Key, Number],
    keys: Sequence[str],
    *,
    per_parent: int,
    parents: int | None,
    by_name: bool,
    other: str,
) -> Ranking:
    """Keep the ``parents`` largest parents (all when None) and, within each, the
    ``per_parent`` largest children; the rest of a kept parent's children fold into
    (parent, Other), and every group of a parent not kept into (Other, Other)."""
    unit_at = len(keys) - 1 if keys and keys[-1] == "unit" else None
    parent_sums: dict[Any, Number] = defaultdict(int)
    children: dict[Any, list[Key]] = defaultdict(list)
    for key, value in sums.items():
        parent_sums[key[0]] += value
        children[key[0]].append(key)

    def ordered(
        items: list[Any], value: Callable[[Any], Number], name: Callable[[Any], Any]
    ) -> list[Any]:
        if by_name:
            return sorted(items, key=lambda i: _name_order(name(i)))
        return sorted(items, key=lambda i: (-value(i), _name_order(name(i))))

    ranked_parents = ordered(list(parent_sums), parent_sums.__getitem__, lambda p: (p,))
    kept_parents = ranked_parents if parents is None else ranked_parents[:parents]
    kept: set[Key] = set()
    order: list[Key] = []
    for parent in kept_parents:
        mine = ordered(children[parent], sums.__getitem__, lambda k: k)
        kept.update(mine[:per_parent])
        order.extend(mine[:per_parent])
        order.extend(dict.fromkeys(_folded(k, parent, other, unit_at) for k in mine[per_parent:]))
    dropped = [k for p in ranked_parents[len(kept_parents) :] for k in children[p]]
    order.extend(dict.fromkeys(_folded(k, other, other, unit_at) for k in dropped))
    kept_set = set(kept_parents)

    def fold(key: Key) -> Key:
        if key in kept:
            return key
        return _folded(key, key[0] if key[0] in kept_set else other, other, unit_at)

    return Ranking(fold, order)


def _folded(key: Key, parent: Any, other: str, unit_at: int | None) -> Key:
    """``key`` under ``parent`` with every other level "Other" (the unit kept)."""
    return tuple(parent if i == 0 else v if i == unit_at else other for i, v in enumerate(key))


def regroup(
    rows: list[dict[str, Any]],
    keys: Sequence[str],
    fold: Callable[[Key], Key],
    measure: str,
) -> list[dict[str, Any]]:
    """Rows summed per (date, folded key): kept groups unchanged, folded ones merged."""
    out: dict[tuple[Any, Key], dict[str, Any]] = {}
    for row in rows:
        key = fold(tuple(row[k] for k in keys))
        bucket = (row.get("date"), key)
        merged = out.get(bucket)
        if merged is None:
            merged = {**row, **dict(zip(keys, key, strict=True))}
            out[bucket] = merged
        else:
            merged[measure] += row[measure]
    return list(out.values())


def subtotals(groups: Sequence[GroupTotal], first: str) -> list[dict[str, Any]]:
    """Per parent (the first group-by level), in the groups' order: its total, and with a
    comparison its previous value, change and change %."""
    out: dict[Any, dict[str, Any]] = {}
    for group in groups:
        parent = group.key[first]
        entry = out.setdefault(
            parent,
            {"key": {first: parent}, "total": 0, "previous": None, "change": None,
             "children": 0, "other": group.other},
        )  # fmt: skip
        entry["total"] += group.total
        entry["children"] += 1
        if group.previous is not None:
            entry["previous"] = (entry["previous"] or 0) + group.previous
            entry["change"] = (entry["change"] or 0) + (group.change or 0)
    for entry in out.values():
        previous = entry["previous"]
        entry["change_pct"] = (
            (Decimal(entry["change"]) * 100 / Decimal(previous)).quantize(Decimal("0.01"))
            if previous
            else None
        )
    return list(out.values())


def movers_first(
    groups: Sequence[GroupTotal], *, by_parent: bool, first: str | None
) -> list[GroupTotal]:
    """Groups by the largest absolute change first, "Other" last; two-level reports keep
    each parent's children together, parents ordered by their own largest change."""

    def size(group: GroupTotal) -> Number:
        return abs(Decimal(group.change or 0))

    flat = sorted(groups, key=lambda g: (g.other, -size(g)))
    if not by_parent or first is None:
        return flat
    parent_change: dict[Any, Number] = defaultdict(int)
    parent_other: dict[Any, bool] = {}
    for group in groups:
        parent_change[group.key[first]] += group.change or 0
        parent_other[group.key[first]] = parent_other.get(group.key[first], True) and group.other
    rank = sorted(parent_change, key=lambda p: (parent_other[p], -abs(Decimal(parent_change[p]))))
    position = {p: i for i, p in enumerate(rank)}
    return sorted(flat, key=lambda g: position[g.key[first]])
