"""A report result as JSON-ready data, CSV text or a Parquet file. Exact decimals throughout."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc

from outlay.report.rows import Rows
from outlay.report.run import ReportResult

#: Rows per chunk a writer formats and hands on at once: big enough for the vectorized steps
#: to pay off, small enough that a 1M-row export never sits in memory as text.
CHUNK_ROWS = 65_536


def exact(value: Decimal) -> str:
    """The exact value without exponent or padding zeros: ``Decimal('1.2300')`` → ``'1.23'``."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return exact(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def columns(result: ReportResult) -> list[str]:
    dated = result.spec.date_bin != "cumulative"
    return [*(["date"] if dated else []), *result.group_keys, result.measure]


def to_data(result: ReportResult) -> dict[str, Any]:
    """The JSON shape shared by the CLI and the API: ``rows`` and ``total_<measure>`` first."""
    return {"rows": _plain(list(result.rows)), **summary_data(result)}


def summary_data(result: ReportResult) -> dict[str, Any]:
    """``to_data`` without the rows: totals, the period, any comparison and forecast."""
    measure = result.measure
    data: dict[str, Any] = {}
    if measure == "usage":
        data["totals"] = _plain(result.totals)
    else:
        data[f"total_{measure}"] = _plain(result.total)
    data["start"] = result.start.isoformat()
    data["end"] = result.end.isoformat()
    if result.groups is not None:
        data["previous_start"] = (
            result.previous_start.isoformat() if result.previous_start else None
        )
        data["previous_end"] = result.previous_end.isoformat() if result.previous_end else None
        data["groups"] = _plain(result.groups)
    if result.forecast is not None:
        data["forecast"] = _plain(asdict(result.forecast))
    return data


def page_of(result: ReportResult, limit: int, page: int) -> ReportResult:
    """The result with only the rows of page ``page`` (from 1) of ``limit`` rows each."""
    first = (page - 1) * limit
    if isinstance(result.rows, Rows):
        start = min(first, len(result.rows))
        return replace(result, rows=Rows(result.rows.table.slice(start, limit)))
    return replace(result, rows=list(result.rows)[first : first + limit])


def page_links(url: str, page: int, pages: int) -> dict[str, str | None]:
    """Vantage-style links from a request URL: this page, the first and last, and the pages
    before and after it (None at either end)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]

    def at(number: int) -> str:
        return urlunsplit(parts._replace(query=urlencode([*query, ("page", str(number))])))

    return {
        "self": at(page),
        "first": at(1),
        "prev": at(min(page - 1, pages)) if page > 1 else None,
        "next": at(page + 1) if page < pages else None,
        "last": at(pages),
    }


#: A text cell starting with one of these is a formula to a spreadsheet (OWASP "CSV
#: injection"): ``=HYPERLINK(...)`` in a user's email or a tag value would run on opening.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text``, prefixed with ``'`` when a spreadsheet would read it as a formula; the
    apostrophe makes it plain text and is not shown."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(result: ReportResult, *, raw: bool = False) -> str:
    """The rows as CSV for spreadsheets: text cells that start like a formula are neutralized
    (see ``spreadsheet_safe``); the measure stays a number, negative or not. ``raw`` writes
    every text as it is, for programs that read CSV. ``csv_chunks`` streams the same bytes."""
    return b"".join(csv_chunks(result, raw=raw)).decode("utf-8")


def csv_line(cells: list[Any]) -> str:
    # The writer quotes only the characters of its line terminator: with "\r\n" a cell holding
    # a lone "\r" is quoted too (with "\n" it would break the row); lines still end in "\n".
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()[:-2] + "\n"


def to_parquet(result: ReportResult, path: Path) -> None:
    """Rows with dimensions as text and the measure as an exact decimal column."""
    import pyarrow.parquet as pq

    table = rows_table(result)
    measure = result.measure
    kind = pa.int64() if measure == "count" else pa.decimal128(38, 10)
    index = table.column_names.index(measure)
    pq.write_table(table.set_column(index, measure, table[measure].cast(kind)), path)


def rows_table(result: ReportResult) -> pa.Table:
    """The rows as Arrow, in ``columns`` order: dimensions as text, the measure as it is."""
    names = columns(result)
    if isinstance(result.rows, Rows):
        return result.rows.table.select(names)
    # Rows made by hand (a test, a caller of its own): the same table, built once.
    arrays = {}
    for name in names:
        values = [row.get(name) for row in result.rows]
        if name == result.measure:
            arrays[name] = _measure_array(values, result.measure)
        else:
            arrays[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
    return pa.table(arrays)


def _measure_array(values: list[Any], measure: str) -> pa.Array:
    if measure == "count":
        return pa.array(values, pa.int64())
    exact_values = [None if v is None else Decimal(v) for v in values]
    places = [-int(v.as_tuple().exponent) for v in exact_values if v is not None]
    return pa.array(exact_values, pa.decimal128(38, max([0, *places])))


# -- streaming writers: the same bytes as ``to_csv`` and the JSON of ``to_data``, made column by
# column in Arrow, so 100,000 rows take milliseconds, not a Python call per value.


def csv_chunks(result: ReportResult, *, raw: bool = False) -> Iterator[bytes]:
    """``to_csv``'s text as UTF-8 chunks: the header, then up to ``CHUNK_ROWS`` rows each."""
    names = columns(result)
    safe = (lambda text: text) if raw else spreadsheet_safe
    yield csv_line([safe(name) for name in names]).encode("utf-8")
    for batch in rows_table(result).to_batches(max_chunksize=CHUNK_ROWS):
        cells: list[pa.Array | str] = []
        for index, name in enumerate(names):
            column = batch.column(index)
            if name == result.measure:
                text = pc.fill_null(number_text(column), "")
            else:
                text = _per_value(column, lambda v: _csv_cell("" if v is None else safe(str(v))))
            cells += [text, ","]
        cells[-1] = "\n"
        yield _joined(cells)


def json_chunks(
    result: ReportResult, extra: dict[str, Any] | None = None, *, indent: int | None = None
) -> Iterator[bytes]:
    """``to_data(result)`` (plus ``extra`` keys at the end) as JSON in UTF-8 chunks: with
    ``indent`` exactly ``json.dumps(…, indent=indent, ensure_ascii=False)``, else compact."""
    compact = indent is None

    def line(level: int) -> str:  # a new line at an indentation level (nothing when compact)
        return "" if indent is None else "\n" + " " * (indent * level)

    head = json.dumps(
        {"rows": [], **summary_data(result), **(extra or {})},
        indent=indent, ensure_ascii=False, separators=(",", ":") if compact else None,
    )  # fmt: skip
    opening = '"rows":[' if compact else '"rows": ['
    split = head.index(opening) + len(opening)
    yield head[:split].encode("utf-8")
    names = columns(result)
    keys = [json.dumps(n, ensure_ascii=False) + (":" if compact else ": ") for n in names]
    first = True
    for batch in rows_table(result).to_batches(max_chunksize=CHUNK_ROWS):
        if not batch.num_rows:
            continue
        pieces: list[pa.Array | str] = []
        for index, name in enumerate(names):
            lead = "," + line(3) if index else "," + line(2) + "{" + line(3)
            pieces += [lead + keys[index], _json_values(batch.column(index), name, result)]
        pieces.append(line(2) + "}")
        chunk = _joined(pieces)
        yield chunk[1:] if first else chunk  # no comma before the first row
        first = False
    yield (("" if first else line(1)) + head[split:]).encode("utf-8")


def number_text(values: pa.Array) -> pa.Array:
    """Exact numbers as text, vectorized: decimals as ``exact`` writes them (no exponent, no
    trailing zeros: ``1.2300000000`` → ``1.23``), whole numbers as they are."""
    text = pc.cast(values, pa.string())
    if not pa.types.is_decimal(values.type) or values.type.scale <= 0:
        return text
    plain = pc.utf8_rtrim(pc.utf8_rtrim(text, "0"), ".")
    # Arrow writes tiny values with an exponent (0E-10, 1E-10): redo those few digit by digit.
    tiny = pc.fill_null(pc.match_substring(text, "E"), False)
    if not pc.any(tiny).as_py():
        return plain
    return pc.replace_with_mask(plain, tiny, _unscaled_text(values.filter(tiny)))


def _unscaled_text(values: pa.Array) -> pa.Array:
    """Decimals as text from their unscaled integer digits, which never take an exponent."""
    scale = values.type.scale
    digits = pc.cast(values.view(pa.decimal128(values.type.precision, 0)), pa.string())
    negative = pc.starts_with(digits, "-")
    padded = pc.utf8_lpad(pc.utf8_ltrim(digits, "-"), width=scale + 1, padding="0")
    whole = pc.utf8_slice_codeunits(padded, 0, -scale)
    fraction = pc.utf8_rtrim(pc.utf8_slice_codeunits(padded, -scale), "0")
    dotted = pc.if_else(
        pc.equal(pc.utf8_length(fraction), 0),
        whole,
        pc.binary_join_element_wise(whole, ".", fraction, ""),
    )
    return pc.if_else(negative, pc.binary_join_element_wise("-", dotted, ""), dotted)


def _json_values(values: pa.Array, name: str, result: ReportResult) -> pa.Array:
    if name != result.measure:
        return _per_value(values, lambda v: json.dumps(v, ensure_ascii=False))
    text = number_text(values)
    if pa.types.is_decimal(values.type):  # money and usage are exact decimal strings
        text = pc.binary_join_element_wise('"', text, '"', "")
    return pc.fill_null(text, "null")


def _per_value(values: pa.Array, render: Callable[[Any], str]) -> pa.Array:
    """``render`` of each row's value, called once per distinct value (a report has few)."""
    encoded = pc.dictionary_encode(values, null_encoding="encode")
    rendered = pa.array([render(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return pc.take(rendered, encoded.indices)


def _csv_cell(text: str) -> str:
    """One cell as ``csv_line`` quotes it inside a row (an empty cell stays empty)."""
    return csv_line([text, ""])[:-2] if text else ""


def _joined(pieces: list[pa.Array | str]) -> bytes:
    """Row texts made of ``pieces`` (columns, or text the same in every row), concatenated."""
    rows = pc.binary_join_element_wise(*pieces, "")
    as_list = pa.ListArray.from_arrays(pa.array([0, len(rows)], pa.int32()), rows)
    return bytes(pc.binary_join(as_list, "")[0].as_buffer())
