"""A report result as JSON-ready data, CSV text or a Parquet file. Exact decimals throughout."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from outlay.report.run import ReportResult


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
    measure = result.measure
    data: dict[str, Any] = {"rows": _plain(result.rows)}
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
    every text as it is, for programs that read CSV."""
    names = columns(result)
    safe = (lambda text: text) if raw else spreadsheet_safe
    measure = result.measure
    lines = [_csv_line([safe(name) for name in names])]
    for row in result.rows:
        lines.append(_csv_line([_csv_cell(row.get(c), c == measure, safe) for c in names]))
    return "".join(lines)


def _csv_line(cells: list[Any]) -> str:
    # The writer quotes only the characters of its line terminator: with "\r\n" a cell holding
    # a lone "\r" is quoted too (with "\n" it would break the row); lines still end in "\n".
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()[:-2] + "\n"


def _csv_cell(value: Any, number: bool, safe: Callable[[str], str]) -> Any:
    if value is None:
        return ""
    if number:
        return _plain(value)
    return safe(str(value))


def to_parquet(result: ReportResult, path: Path) -> None:
    """Rows with dimensions as text and the measure as an exact decimal column."""
    names = columns(result)
    measure = result.measure
    arrays = {}
    for name in names:
        values = [row.get(name) for row in result.rows]
        if name == measure and measure != "count":
            arrays[name] = pa.array(values, pa.decimal128(38, 10))
        elif name == measure:
            arrays[name] = pa.array(values, pa.int64())
        else:
            arrays[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
    pq.write_table(pa.table(arrays), path)
