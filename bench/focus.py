"""FOCUS 1.2 export of 10M events at day grain: wall time and peak memory, beside a baseline.

The export runs exactly as ``outlay export focus`` runs it (``compile_focus_query`` then the
store's ``export``) over every day of the dataset ``query.py`` builds, to CSV and to Parquet, on
DuckDB and on chDB (the same rows, copied once into a chDB folder beside the dataset as
``outlay db copy`` copies them). The baseline is the plain ``costs`` report over the same days
(``run_report``, day × service): the work every report does, without building and writing FOCUS
rows. Each case runs in a fresh process, so its peak RSS (``ru_maxrss``) is its own.
"""

from __future__ import annotations

import resource
from datetime import timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

import pyarrow as pa

from outlay.report.focus import FocusScope, compile_focus_query
from outlay.report.run import run_report
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet
from outlay.store.clickhouse import ClickHouseFacts
from outlay.store.facts import DuckDBFacts
from outlay.store.facts_api import Facts
from query import DATA_START, QueryParams

TARGET_S = 60.0
TARGET_MB = 1000.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def chdb_folder(path: str) -> Path:
    return Path(path).with_suffix(".chdb")


def _chdb(path: str) -> ClickHouseFacts:
    folder = chdb_folder(path)
    return ClickHouseFacts(f"chdb:///{folder / 'facts'}", folder / "staging")


def ensure_chdb_copy(path: str) -> None:
    """The DuckDB dataset's rows in a chDB store beside it, account by account in Arrow batches
    (what ``outlay db copy`` does); kept for the next run."""
    done = chdb_folder(path) / "done"
    if done.exists():
        return
    source, target = DuckDBFacts(Path(path)), _chdb(path)
    accounts = source.query("SELECT DISTINCT account FROM cost_rows").rows
    for (account,) in accounts:
        for batch in source.batches(account):
            target.append(account, pa.Table.from_batches([batch]))
    target.commit_copy()
    assert target.count_rows() == source.count_rows()
    done.write_text("copied")


def _open(engine: str, path: str) -> Facts:
    return _chdb(path) if engine == "chdb" else DuckDBFacts(Path(path))


def measure_export(
    path: str, p: QueryParams, fmt: str, out_dir: str, engine: str = "duckdb"
) -> dict[str, Any]:
    """One export in this (fresh) process: seconds, rows written, file size, peak RSS."""
    facts = _open(engine, path)
    scope = FocusScope(DATA_START, DATA_START + timedelta(days=p.days - 1), "day")
    compiled = compile_focus_query(scope, TagSet(()))
    out = Path(out_dir) / f"focus-bench.{fmt}"
    started = perf_counter()
    rows = facts.export(compiled.sql, compiled.params, out, fmt)
    seconds = perf_counter() - started
    size_mb = out.stat().st_size / 1e6
    out.unlink()
    return {"label": f"FOCUS export, {fmt}, {engine}", "seconds": seconds, "rows": rows,
            "file_mb": size_mb, "peak_rss_mb": _peak_mb()}  # fmt: skip


def measure_baseline(path: str, p: QueryParams) -> dict[str, Any]:
    """The ``costs`` report, day × service, over the same days in this (fresh) process."""
    facts = DuckDBFacts(Path(path))
    end = DATA_START + timedelta(days=p.days - 1)
    spec = ReportSpec(DATA_START, end, group_by=("service",), date_bin="day")
    started = perf_counter()
    result = run_report(facts, spec, TagSet(()), today=end)
    seconds = perf_counter() - started
    return {"label": "costs report, day x service (baseline)", "seconds": seconds,
            "rows": len(result.rows), "file_mb": 0.0, "peak_rss_mb": _peak_mb()}  # fmt: skip


def format_table(results: list[dict[str, Any]]) -> str:
    header = f"{'case':<42} {'seconds':>8} {'rows out':>11} {'file MB':>8} {'peak RSS MB':>12}"
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r['label']:<42} {r['seconds']:>8.1f} {r['rows']:>11,} {r['file_mb']:>8,.0f} "
            f"{r['peak_rss_mb']:>12,.0f}"
        )
    return "\n".join(lines)
