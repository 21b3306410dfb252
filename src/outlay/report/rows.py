"""A report's rows as an Arrow table, and the vectorized steps that shape it.

A report by user × model × day has 100,000 rows and more: grouping, ranking, folding into
"Other" and ordering run column-wise in Arrow here, and the rows become Python dicts only when
a surface reads them one by one (``Rows``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, overload

import pyarrow as pa
import pyarrow.compute as pc

Key = tuple[Any, ...]
#: The hidden column that orders rows: their group's rank.
RANK = "__rank"


class Rows(Sequence[dict[str, Any]]):
    """The rows of a report, one dict per row, read from an Arrow table on first use.

    ``len`` and slices are cheap; the whole list is built once, when it is iterated or indexed.
    """

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self._list: list[dict[str, Any]] | None = None

    def _all(self) -> list[dict[str, Any]]:
        if self._list is None:
            self._list = self.table.to_pylist()
        return self._list

    def __len__(self) -> int:
        return int(self.table.num_rows)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice) and self._list is None:
            start, stop, step = index.indices(len(self))
            if step == 1:
                part: list[dict[str, Any]] = self.table.slice(
                    start, max(stop - start, 0)
                ).to_pylist()
                return part
        picked: dict[str, Any] | list[dict[str, Any]] = self._all()[index]
        return picked

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Rows({len(self)} rows)"


def group_codes(table: pa.Table, keys: Sequence[str]) -> pa.Array:
    """One dense integer per row naming its group (its values of ``keys``; null is a value)."""
    code = pa.array([0] * table.num_rows, pa.int64())
    for key in keys:
        encoded = pc.dictionary_encode(table[key].combine_chunks(), null_encoding="encode")
        width = len(encoded.dictionary)
        code = pc.add(pc.multiply(code, width), pc.cast(encoded.indices, pa.int64()))
        # Re-number densely so that the product of widths never grows past the row count.
        code = pc.cast(pc.dictionary_encode(code).indices, pa.int64())
    return code


def ranked_groups(
    table: pa.Table, keys: Sequence[str], measure: str, codes: pa.Array, by_name: bool
) -> tuple[list[Key], list[Any], list[int]]:
    """The groups in the report's order, with each one's sum of ``measure`` and its code.

    Ordered by sum, largest first, then by the keys (``by_name``: by the keys alone); keys
    compare as text with null last, as ``sorted`` compares ``(v is None, str(v))`` per key.
    """
    coded = table.select([*keys, measure]).append_column("__code", codes)
    summed = coded.group_by([*keys, "__code"], use_threads=False).aggregate([(measure, "sum")])
    total = f"{measure}_sum"
    sort_keys = [(k, "ascending", "at_end") for k in keys]
    if not by_name:
        sort_keys.insert(0, (total, "descending", "at_end"))
    if sort_keys and summed.num_rows > 1:
        summed = summed.take(pc.sort_indices(summed, sort_keys=sort_keys))
    columns = [summed[k].to_pylist() for k in keys]
    groups = list(zip(*columns, strict=True)) if keys else [()] * summed.num_rows
    return groups, summed[total].to_pylist(), summed["__code"].to_pylist()


def rank_rows(codes: pa.Array, rank_of_code: Sequence[int]) -> pa.Array:
    """Each row's group rank, from its code."""
    return pc.take(pa.array(rank_of_code, pa.int64()), codes)


def sum_by(table: pa.Table, keys: Sequence[str], measure: str) -> pa.Table:
    """``measure`` summed per combination of ``keys`` (all rows in one when there are none)."""
    if keys:
        summed = table.group_by(list(keys), use_threads=False).aggregate([(measure, "sum")])
        return summed.rename_columns(
            [measure if n == f"{measure}_sum" else n for n in summed.column_names]
        )
    total = pc.sum(table[measure])
    return pa.table({measure: pa.array([total.as_py()], table.schema.field(measure).type)})


def order_rows(table: pa.Table, dated: bool) -> pa.Table:
    """Rows by bin, then by their group's rank; the rank column is dropped."""
    keys = [("date", "ascending")] if dated else []
    order = pc.sort_indices(table, sort_keys=[*keys, (RANK, "ascending")])
    return table.take(order).drop_columns([RANK])


def zero_nulls(values: pa.ChunkedArray, count: bool) -> pa.ChunkedArray:
    """An empty sum is 0: counts as whole numbers, every other measure as an exact decimal."""
    if count:
        return pc.fill_null(pc.cast(values, pa.int64()), 0)
    return pc.fill_null(values, pa.scalar(Decimal(0), values.type))


def bin_text(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Bins as ISO text: days as ``2026-01-31``, hours as ``2026-01-31T05:00``."""
    if pa.types.is_timestamp(values.type):
        return pc.strftime(values, format="%Y-%m-%dT%H:%M")
    return pc.cast(values, pa.string())


def fold_other(
    table: pa.Table, keys: Sequence[str], folded: pa.Array, measure: str, other: str
) -> pa.Table:
    """The rows ``folded`` marks, summed into one row per bin (and unit) named ``other``."""
    rest = table.filter(folded)
    buckets = [k for k in ("date", "unit") if k in table.column_names]
    summed = sum_by(rest, buckets, measure) if buckets else sum_by(rest, (), measure)
    if not buckets and rest.num_rows == 0:
        summed = summed.slice(0, 0)
    columns = {}
    for name in table.column_names:
        if name in buckets or name == measure:
            columns[name] = summed[name]
        elif name in keys:
            columns[name] = pa.array([other] * summed.num_rows, table.schema.field(name).type)
    return pa.table(columns).cast(table.select(list(columns)).schema)
