"""chDB (ClickHouse in-process) against DuckDB: one window replace of N cost rows, then the
report queries cold (first in the store) and warm (median of 5).

    .venv/bin/python bench/chdb_vs_duckdb.py                 # 1M rows
    .venv/bin/python bench/chdb_vs_duckdb.py --rows 200000

Prints a table; never asserts on time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa

from outlay.config import Settings
from outlay.costrows import SCHEMA, fixed_point_array
from outlay.report.run import run_report
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet, parse_tags_yaml
from outlay.store.facts_api import Facts, open_facts

DAYS = 90
LAST = date(2026, 6, 30)
SERVICES = [f"model-{n}" for n in range(15)]
TAGS = parse_tags_yaml(
    "- key: team\n  values:\n"
    + "".join(
        f"    - name: team{n}\n      filter: costs.resource IN ('u{n}@x', 'u{n + 100}@x')\n"
        for n in range(50)
    )
)

#: name → the store a folder gets
ENGINES: dict[str, Callable[[Path], Facts]] = {
    "duckdb": lambda d: open_facts(Settings(data_dir=d)),
    "chdb": lambda d: open_facts(Settings(data_dir=d, facts_store_url=f"chdb:///{d}/chdb")),
}
#: name → (spec, tags)
QUERIES: dict[str, tuple[ReportSpec, TagSet]] = {
    "day x service, 30 days": (
        ReportSpec(LAST - timedelta(days=29), LAST, group_by=("service",)),
        TagSet(()),
    ),
    "month x resource, all": (
        ReportSpec(LAST - timedelta(days=DAYS), LAST, date_bin="month", group_by=("resource",)),
        TagSet(()),
    ),
    "week x tag (50 rules)": (
        ReportSpec(LAST - timedelta(days=DAYS), LAST, date_bin="week", group_by=("tag:team",)),
        TAGS,
    ),
}


def synthetic(rows: int, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    start_ms = int(time.mktime((LAST - timedelta(days=DAYS - 1)).timetuple())) * 1000
    ts = np.sort(rng.integers(start_ms, start_ms + DAYS * 86_400_000, rows))
    users = rng.zipf(1.3, rows) % 500
    units = rng.integers(0, 10**9, rows)
    columns = {n: pa.nulls(rows, f.type) for n, f in zip(SCHEMA.names, SCHEMA, strict=True)}
    columns.update(
        provider=pa.array(["cursor"] * rows),
        account=pa.array(["acme"] * rows),
        ts=pa.array(ts, pa.timestamp("ms")),
        service=pa.array(np.array(SERVICES)[rng.integers(0, 15, rows)]),
        category=pa.array(["Usage"] * rows),
        resource=pa.array([f"u{u}@x" for u in users]),
        cost=fixed_point_array(pa.array(units, pa.int64()), SCHEMA.field("cost").type),
        event_count=pa.array(np.ones(rows, np.int8)),
    )
    return pa.table(columns, schema=SCHEMA)


def measure(engine: str, table: pa.Table, folder: Path) -> dict[str, float]:
    folder.mkdir(parents=True)
    facts = ENGINES[engine](folder)
    times: dict[str, float] = {}
    begun = time.perf_counter()
    with facts.stage("acme") as staged:
        staged.add(table)
        facts.replace_window("acme", 0, 4_102_444_800_000, staged)
    times["ingest"] = time.perf_counter() - begun
    totals: list[Decimal] = []
    for name, (spec, tags) in QUERIES.items():
        runs = []
        for _ in range(6):
            begun = time.perf_counter()
            result = run_report(facts, spec, tags, today=LAST)
            runs.append(time.perf_counter() - begun)
        totals.append(Decimal(str(result.totals.get("", 0))))
        times[f"{name} cold"], times[f"{name} warm"] = runs[0], statistics.median(runs[1:])
    facts.close()
    print(f"  {engine}: report totals {[str(t) for t in totals]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    table = synthetic(args.rows)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in ENGINES:
            results[engine] = measure(engine, table, Path(tmp) / engine)
    print(f"\n{args.rows:,} cost rows, seconds        duckdb     chdb   chdb/duckdb")
    for key in results["duckdb"]:
        duck, ch = results["duckdb"][key], results["chdb"][key]
        print(f"  {key:<30} {duck:8.3f} {ch:8.3f} {ch / duck:8.1f}x")


if __name__ == "__main__":
    main()
