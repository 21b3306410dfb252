"""FOCUS 1.2 export of 10M events at day grain: wall time and peak memory, beside a baseline.

The export runs exactly as ``outlay export focus`` runs it (``compile_focus_query`` then
``DuckDBFacts.export``) over every day of the dataset ``query.py`` builds, to CSV and to
Parquet. The baseline is the plain ``costs`` report over the same days (``run_report``, day ×
service): the work every report does, without building and writing FOCUS rows. Each case runs
in a fresh process, so its peak RSS (``ru_maxrss``) is its own.
"""

from __future__ import annotations

import resource
from datetime import timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

from outlay.report.focus import FocusScope, compile_focus_query
from outlay.report.run import run_report
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet
from outlay.store.facts import DuckDBFacts
from query import DATA_START, QueryParams

TARGET_S = 60.0
TARGET_MB = 1000.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def measure_export(path: str, p: QueryParams, fmt: str, out_dir: str) -> dict[str, Any]:
    """One export in this (fresh) process: seconds, rows written, file size, peak RSS."""
    facts = DuckDBFacts(Path(path))
    scope = FocusScope(DATA_START, DATA_START + timedelta(days=p.days - 1), "day")
    compiled = compile_focus_query(scope, TagSet(()))
    out = Path(out_dir) / f"focus-bench.{fmt}"
    started = perf_counter()
    rows = facts.export(compiled.sql, compiled.params, out, fmt)
    seconds = perf_counter() - started
    size_mb = out.stat().st_size / 1e6
    out.unlink()
    return {"label": f"FOCUS export, {fmt}", "seconds": seconds, "rows": rows,
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
