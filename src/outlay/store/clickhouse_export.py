"""A query's rows from a ClickHouse fact store into a CSV or Parquet file, as DuckDB writes them.

DuckDB's export is one ``COPY``. Here the rows come from the connector in Arrow record batches
(``Connector.stream``: a server's Arrow stream; chDB's rows staged in a file, see there), are
gathered into groups of about ``GROUP_ROWS`` and written, so this process holds one group
whatever the export's size. The engine aggregates under the store's time limit and memory limit,
at most ``EXPORT_MEMORY_MB`` as DuckDB's export, spilling to disk past half of it. The file is
written beside the target and renamed at the end: it appears whole or not at all.

The CSV bytes are DuckDB's, not pyarrow's CSV writer's: that one quotes every string and the
header, and writes 0.0000000007 as ``7E-10``. DuckDB quotes a field only when it holds a quote,
a comma, a line break or ``#``, or is empty (an empty field is NULL); decimals keep their scale;
booleans are ``true``/``false``. The text is built here by those rules with Arrow compute, a
group at a time. The Parquet file has DuckDB's schema: the same types, plain strings (no
dictionaries), the same columns required (the dialect types functions as DuckDB does).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import BinaryIO, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from outlay.errors import InputError, OutlayError, StoreError
from outlay.report.dialect import settings_clause
from outlay.store.clickhouse_conn import Connector

#: The engine's memory for an export at most (the store's limit if lower), as DuckDB's export.
EXPORT_MEMORY_MB = 512
#: Rows written at a time: a block of CSV text (its few copies stay small), a Parquet row group.
GROUP_ROWS = {"csv": 16_384, "parquet": 65_536}
#: What makes DuckDB quote a CSV field: a quote, a comma, a line break, its comment sign ``#``,
#: or nothing at all (an empty string, told apart from NULL).
_NEEDS_QUOTES = '[",\r\n#]|^$'


def export_rows(
    con: Connector, sql: str, path: Path, fmt: str, *, memory_mb: int, timeout_s: float,
    spool: Path,
) -> int:  # fmt: skip
    """Write the rows of ``sql`` (ClickHouse text without SETTINGS) to ``path`` as ``fmt``;
    the row count. ``spool``: a private folder the connector may stage the rows in."""
    if fmt not in GROUP_ROWS:
        raise InputError(f"unknown export format {fmt!r}; use csv or parquet", field="format")
    partial = path.with_name(f".{path.name}.partial")
    try:
        handle = partial.open("wb")
    except OSError as exc:
        raise InputError(
            f"cannot write {path}: {exc.strerror or exc}; choose a file in a folder that "
            "exists and that you can write to"
        ) from exc
    try:
        limit_mb = min(EXPORT_MEMORY_MB, int(memory_mb))
        with handle, _errors(path, limit_mb, timeout_s):
            rows = _copy(con, sql, _settings(limit_mb, timeout_s), handle, fmt, spool)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return rows


def _settings(memory_mb: int, timeout_s: float) -> str:
    limit = int(memory_mb) * 1024 * 1024
    # An aggregation past half the limit spills to disk instead of failing.
    return settings_clause(
        max_memory_usage=limit, max_execution_time=float(timeout_s),
        max_bytes_before_external_group_by=limit // 2,
    )  # fmt: skip


def _copy(con: Connector, sql: str, settings: str, out: BinaryIO, fmt: str, spool: Path) -> int:
    with con.stream(sql + settings, spool) as batches:
        groups = _groups(batches, GROUP_ROWS[fmt])
        first = next(groups, None)
        if first is None:
            # No rows: the header or the schema still follows the query's columns.
            first = con.arrow(f"SELECT * FROM ({sql}) LIMIT 0{settings}")
        schema = _plain_schema(first.schema)
        writer: _Writer = CsvWriter(out, schema) if fmt == "csv" else _ParquetWriter(out, schema)
        rows = 0
        for group in chain([first], groups):
            if group.num_rows:
                writer.write(group.cast(schema))
                rows += group.num_rows
        writer.close()
    return rows


def _groups(batches: Iterable[pa.RecordBatch], size: int) -> Iterator[pa.Table]:
    """The batches as tables of about ``size`` rows (engines send blocks of any size)."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        for start in range(0, batch.num_rows, size):
            part = batch.slice(start, size)
            pending.append(part)
            count += part.num_rows
            if count >= size:
                yield pa.Table.from_batches(pending)
                pending, count = [], 0
    if pending:
        yield pa.Table.from_batches(pending)


def _plain_schema(schema: pa.Schema) -> pa.Schema:
    """DuckDB's types for the engine's: strings for dictionaries and bytes."""
    fields = []
    for field in schema:
        kind = field.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            kind = pa.string()
        if pa.types.is_large_string(kind):
            kind = pa.string()
        fields.append(pa.field(field.name, kind, nullable=field.nullable))
    return pa.schema(fields)


@contextmanager
def _errors(path: Path, memory_mb: int, timeout_s: float) -> Iterator[None]:
    """The engine's and the disk's errors as one line naming the fix."""
    try:
        yield
    except OutlayError:
        raise
    except OSError as exc:
        raise StoreError(
            f"cannot write {path}: {exc.strerror or exc}; free space on its disk or choose "
            "another file"
        ) from exc
    except Exception as exc:
        text = str(exc)
        if "TIMEOUT_EXCEEDED" in text:
            raise InputError(
                f"the export took longer than {timeout_s:g} s and was stopped; narrow the "
                "period or the filter, or raise OUTLAY_QUERY_TIMEOUT_S"
            ) from exc
        if "MEMORY_LIMIT_EXCEEDED" in text:
            also = ", or raise OUTLAY_QUERY_MEMORY_MB" if memory_mb < EXPORT_MEMORY_MB else ""
            raise InputError(
                f"the export needs more than {memory_mb} MB of memory and was stopped; narrow "
                f"the period or the filter{also}"
            ) from exc
        raise StoreError(f"ClickHouse export: {text.splitlines()[0] if text else exc!r}") from exc


class _Writer(Protocol):
    def write(self, table: pa.Table) -> None: ...

    def close(self) -> None: ...


class _ParquetWriter:
    def __init__(self, out: BinaryIO, schema: pa.Schema) -> None:
        self._writer = pq.ParquetWriter(out, schema, compression="snappy")

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table)

    def close(self) -> None:
        self._writer.close()


class CsvWriter:
    """DuckDB's ``COPY … (FORMAT csv, HEADER true)`` text: see the module's notes."""

    def __init__(self, out: BinaryIO, schema: pa.Schema) -> None:
        for field in schema:
            if not _csv_type(field.type):
                raise StoreError(
                    f"the CSV export has no text form for column {field.name!r} of type "
                    f"{field.type}; cast it to a string in the query"
                )
        self._out = out
        names = csv_field(pa.array(schema.names, pa.string()))
        out.write((",".join(names.to_pylist()) + "\n").encode())

    def write(self, table: pa.Table) -> None:
        columns = table.combine_chunks().columns
        fields = [csv_field(column.chunk(0)) for column in columns]
        self._out.write(_joined(pc.binary_join_element_wise(*fields, ",")))
        self._out.write(b"\n")

    def close(self) -> None:
        """Nothing to finish: each group's text is written whole."""


def _joined(lines: pa.StringArray) -> pa.Buffer:
    """The lines as one buffer, a line break between two (written without a copy into Python
    bytes)."""
    whole = pc.binary_join(
        pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines), "\n"
    )
    buffer: pa.Buffer = whole[0].as_buffer()
    return buffer


def _csv_type(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_integer(kind)
    )


def csv_field(values: pa.Array) -> pa.Array:
    """Each value as DuckDB's CSV writes it; NULL as nothing."""
    kind = values.type
    if pa.types.is_string(kind):
        text = _quoted(values)
    elif pa.types.is_decimal(kind):
        text = _decimal_text(values)
    else:
        text = pc.cast(values, pa.string())
    return pc.fill_null(text, "")


def _quoted(values: pa.Array) -> pa.Array:
    needs = pc.match_substring_regex(values, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():  # most columns: no value to quote, no copy
        return values
    wrapped = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
    return pc.if_else(needs, wrapped, values)


def _decimal_text(values: pa.Array) -> pa.Array:
    """Decimals at their scale, plain. Arrow writes a magnitude under 10^-6 as ``7E-10``: those
    are rewritten as the digits of 1 + |v| after its leading 1, behind "0" or "-0"."""
    text = pc.cast(values, pa.string())
    exponent = pc.fill_null(pc.match_substring(text, "E"), False)
    if not pc.any(exponent).as_py():
        return text
    tiny = pc.filter(values, exponent)
    kind = tiny.type
    wide = pa.decimal256(min(kind.precision + 2, 76), kind.scale)  # room for |v| + 1
    shifted = pc.add(pc.abs(pc.cast(tiny, wide)), pa.scalar(Decimal(1), wide))
    digits = pc.utf8_slice_codeunits(pc.cast(shifted, pa.string()), 1)
    sign = pc.if_else(pc.less(tiny, pa.scalar(Decimal(0), kind)), "-0", "0")
    return pc.replace_with_mask(text, exponent, pc.binary_join_element_wise(sign, digits, ""))
