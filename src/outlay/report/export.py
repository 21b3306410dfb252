"""A report result as JSON-ready data, CSV text or a Parquet file. Exact decimals throughout."""

from __future__ import annotations

import csv
import io
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


def to_csv(result: ReportResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = columns(result)
    writer.writerow(names)
    for row in result.rows:
        writer.writerow(["" if row.get(c) is None else _plain(row[c]) for c in names])
    return out.getvalue()


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
