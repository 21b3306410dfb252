"""Query benchmark: the `costs` report (day × service, 30 of 90 days) on synthetic events.

The dataset is built inside DuckDB by one INSERT … SELECT over ``range(events)`` straight into
outlay's own ``cost_rows`` table, because pushing 10M events through Python would take longer
than the whole benchmark. Every event becomes one row per token type it used plus a Cursor
token-fee row for third-party models (about 3.8 rows per event), like ``normalize`` produces.
The same rows are then copied into SQLite the way the open-source peers store them (money as
INTEGER units, ts as INTEGER epoch ms, an index on ts).

Both files are cached under ``bench/out/`` with a manifest of the parameters that made them;
a later run with the same parameters reuses them instead of rebuilding.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import sqlite3
import statistics
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from time import perf_counter
from typing import Any

import duckdb

from outlay.costrows import COLUMNS, MONEY_SCALE, USAGE_SCALE
from outlay.report.compile import Shape, compile_report_query
from outlay.report.run import run_report
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet
from outlay.store import rollup
from outlay.store.facts import TABLE, DuckDBFacts

#: Bump when the generator changes, so stale cached datasets are rebuilt, not reused.
GENERATOR_VERSION = 1
DATA_START = date(2025, 6, 1)
DAY_MS = 86_400_000
SQLITE_BATCH = 200_000
PROGRESS_EVERY = 5_000_000
WARM_RUNS_DUCKDB = 5
WARM_RUNS_SQLITE = 3

# (model, relative share of events, USD per 1M tokens: input, output, cache write, cache read,
# first party). Shares are Zipf-like; third-party models also pay the $0.25/M Cursor token fee.
MODELS: tuple[tuple[str, float, float, float, float, float, bool], ...] = (
    ("claude-4.5-sonnet", 22, 3, 15, 3.75, 0.3, False),
    ("composer-1", 11, 1.25, 10, 1.25, 0.125, True),
    ("auto", 10, 1.25, 6, 1.25, 0.25, True),
    ("claude-4.5-opus-high-thinking", 9, 5, 25, 6.25, 0.5, False),
    ("gpt-5.1-codex", 9, 1.25, 10, 1.25, 0.125, False),
    ("claude-4.5-sonnet-thinking", 6, 3, 15, 3.75, 0.3, False),
    ("gemini-3-pro", 5, 2, 12, 2, 0.2, False),
    ("claude-4.5-haiku", 4, 1, 5, 1.25, 0.1, False),
    ("composer-2-fast", 4, 1.25, 10, 1.25, 0.125, True),
    ("claude-4.5-opus-high", 3, 5, 25, 6.25, 0.5, False),
    ("gpt-5.1-codex-high", 3, 1.25, 10, 1.25, 0.125, False),
    ("gpt-5.2-codex", 2.5, 1.75, 14, 1.75, 0.175, False),
    ("gemini-3-flash-preview", 2, 0.5, 3, 0.5, 0.05, False),
    ("claude-opus-4-7-thinking-high", 1.5, 5, 25, 6.25, 0.5, False),
    ("kimi-k2.5", 1, 0.6, 2.5, 0.6, 0.15, False),
)
# (kind, cumulative probability upper bound, charged?)
KINDS: tuple[tuple[str, float, bool], ...] = (
    ("Included in Business", 0.55, True),
    ("Usage-based", 0.95, True),
    ("Errored, Not Charged", 0.98, False),
    ("Aborted, Not Charged", 0.99, False),
    ("Free Credit", 1.0, True),
)
TOKEN_TYPES = ("input", "output", "cache_write", "cache_read", "cursor_token_fee")
FEE_USD_PER_M = 0.25


@dataclass(frozen=True)
class QueryParams:
    events: int = 10_000_000
    days: int = 90
    users: int = 500
    seed: int = 1
    window_days: int = 30

    @property
    def window(self) -> tuple[date, date]:
        """The last ``window_days`` days of the data, inclusive."""
        last = DATA_START + timedelta(days=self.days - 1)
        return last - timedelta(days=self.window_days - 1), last

    @property
    def stem(self) -> str:
        return f"query-{self.events}ev-{self.days}d-{self.users}u-s{self.seed}"


@dataclass(frozen=True)
class Dataset:
    duckdb_path: Path
    sqlite_path: Path
    rows: int
    reused: bool
    on_disk_mb: dict[str, float]


def _sql_list(values: list[Any]) -> str:
    return "[" + ", ".join(repr(v) for v in values) + "]"


def _generator_sql(p: QueryParams) -> str:
    """One INSERT … SELECT that turns ``range(events)`` into sorted, realistic cost rows.

    Randomness is ``hash(i, k, seed)`` mapped to [0, 1), so the data is a pure function of the
    parameters. Everything stays a projection over the ordered range (no joins, no ORDER BY), so
    rows land in timestamp order, as an append-only ingest would leave them.
    """
    weights = [m[1] for m in MODELS]
    total = sum(weights)
    # A 1000-bucket lookup list turns a uniform draw into a weighted model pick without a join.
    buckets: list[int] = []
    acc = 0.0
    for index, weight in enumerate(weights, start=1):
        acc += weight / total
        buckets.extend([index] * (round(acc * 1000) - len(buckets)))
    # Integer money units (1e-10 USD) per token for each price: USD/1M × 1e10 / 1e6 = USD × 1e4.
    prices = [[round(m[k] * 10_000) for m in MODELS] for k in (2, 3, 4, 5)]
    first_party = [m[6] for m in MODELS]
    kind_case = " ".join(f"WHEN u_kind < {bound} THEN '{name}'" for name, bound, _ in KINDS)
    uncharged = ", ".join(f"'{name}'" for name, _, charged in KINDS if not charged)
    span_ms = p.days * DAY_MS
    start_ms = (DATA_START - date(1970, 1, 1)).days * DAY_MS
    fee_units = round(FEE_USD_PER_M * 10_000)
    columns = ", ".join(COLUMNS)
    return f"""
    INSERT INTO {TABLE} ({columns})
    WITH draws AS (
      SELECT i,
        -- HUGEINT: at 100M events over three years i * span passes 2^63.
        epoch_ms(CAST({start_ms} + (CAST(i AS HUGEINT) * {span_ms}) // {p.events} AS BIGINT)) AS ts,
        {_sql_list(buckets)}[1 + (u(i, 1) * 1000)::INTEGER % 1000] AS m,
        -- Zipf-like users: log-uniform rank, so user 1 is about 500x as busy as user 500.
        least({p.users}, floor(exp(u(i, 2) * ln({p.users} + 1)))::INTEGER) AS r,
        u(i, 3) AS u_kind,
        u(i, 4) < 0.03 AS per_request,
        u(i, 5) < 0.08 AS max_mode,
        u(i, 6) < 0.04 AS headless,
        u(i, 7) < 0.3 AS has_cache_write,
        u(i, 8) < 0.8 AS has_cache_read,
        round(exp(ln(6000) + 1.0 * z(i, 10))) AS t_in,
        round(exp(ln(800) + 1.0 * z(i, 12))) AS t_out,
        round(exp(ln(8000) + 1.0 * z(i, 14))) AS t_cw,
        round(exp(ln(40000) + 1.2 * z(i, 16))) AS t_cr
      FROM range({p.events}) AS t(i)
    ),
    events AS (
      SELECT *,
        CASE {kind_case} END AS kind,
        {_sql_list(first_party)}[m] AS first_party,
        t_in::BIGINT AS n0, t_out::BIGINT AS n1,
        CASE WHEN has_cache_write THEN t_cw::BIGINT ELSE 0 END AS n2,
        CASE WHEN has_cache_read THEN t_cr::BIGINT ELSE 0 END AS n3
      FROM draws
    ),
    expanded AS (
      SELECT *, unnest([0, 1, 2, 3, 4]) AS k FROM events
    ),
    kept AS (
      SELECT *,
        CASE
          WHEN per_request THEN 1000000000 + 500000000 * max_mode::INTEGER
          WHEN k = 0 THEN n0 * {_sql_list(prices[0])}[m]
          WHEN k = 1 THEN n1 * {_sql_list(prices[1])}[m]
          WHEN k = 2 THEN n2 * {_sql_list(prices[2])}[m]
          WHEN k = 3 THEN n3 * {_sql_list(prices[3])}[m]
          ELSE (n0 + n1 + n2 + n3) * {fee_units}
        END AS list_units,
        kind NOT IN ({uncharged}) AS charged
      FROM expanded
      WHERE CASE
        WHEN per_request THEN k = 0
        WHEN k = 2 THEN n2 > 0
        WHEN k = 3 THEN n3 > 0
        WHEN k = 4 THEN NOT first_party
        ELSE true
      END
    )
    SELECT
      'cursor', 'acme', ts,
      {_sql_list([m[0] for m in MODELS])}[m],
      CASE WHEN per_request THEN 'Requests' ELSE 'Tokens' END,
      CASE WHEN per_request THEN NULL ELSE {_sql_list(list(TOKEN_TYPES))}[k + 1] END,
      kind,
      CASE WHEN headless THEN 'ci-runner@acme.example' ELSE 'dev' || r || '@acme.example' END,
      CASE WHEN headless THEN NULL ELSE 'Dev ' || r END,
      'Usage', max_mode, headless,
      CASE WHEN headless THEN 'Nightly CI Agent' END, NULL, NULL,
      units(CASE WHEN charged THEN list_units ELSE 0 END),
      units(CASE WHEN charged AND kind = 'Usage-based' THEN list_units ELSE 0 END),
      units(list_units),
      CASE
        WHEN per_request THEN (1 + max_mode::INTEGER)::DECIMAL(18, {USAGE_SCALE})
        WHEN k = 4 THEN 0
        ELSE [n0, n1, n2, n3][k + 1]::DECIMAL(18, {USAGE_SCALE})
      END,
      CASE WHEN per_request THEN 'requests' ELSE 'tokens' END,
      (k = 0)::TINYINT
    FROM kept
    """


_MACROS = (
    # Uniform [0, 1) from the top 53 bits of a hash: deterministic per (event, draw, seed).
    "CREATE TEMP MACRO u(i, k) AS (hash(i, k, getvariable('seed')) >> 11)::DOUBLE"
    " / 9007199254740992.0",
    # Standard normal by Box-Muller from two draws (k, k + 1).
    "CREATE TEMP MACRO z(i, k) AS sqrt(-2 * ln(1 - u(i, k))) * cos(2 * pi() * u(i, k + 1))",
    # Integer units → DECIMAL(18,10) money. Exact: units < 2^53, so the double is the integer.
    f"CREATE TEMP MACRO units(n) AS CAST(n / 1e{MONEY_SCALE} AS DECIMAL(18, {MONEY_SCALE}))",
)


def generate_rows(con: duckdb.DuckDBPyConnection, p: QueryParams, chunk: int = 0) -> None:
    """``p``'s events as cost rows into the product's table, ``chunk`` events per statement
    (0: one statement; each chunk is a slice of the same range, so the rows are the same)."""
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET VARIABLE seed = {p.seed}")
    for macro in _MACROS:
        con.execute(macro)
    sql = _generator_sql(p).replace(f"FROM range({p.events})", "FROM range(?, ?)")
    step = chunk or p.events
    for first in range(0, p.events, step):
        con.execute(sql, [first, min(p.events, first + step)])
    # Rows made behind the store's back: drop its rollups, so the next open builds them as it
    # would for a database from before them.
    for table in (rollup.TABLE, rollup.MONTHLY):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute("CHECKPOINT")


def build_duckdb(path: Path, p: QueryParams) -> int:
    path.unlink(missing_ok=True)
    DuckDBFacts(path)  # outlay's own DDL, so the table is exactly what the product queries
    with duckdb.connect(str(path)) as con:
        generate_rows(con, p)
        row = con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
    DuckDBFacts(path)  # builds the missing rollup, as for a database from before it
    return int(row[0]) if row else 0


def _check_sorted(path: Path) -> bool:
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("SET enable_progress_bar = false")
        row = con.execute(
            f"SELECT count(*) FROM (SELECT ts < lag(ts) OVER (ORDER BY rowid) AS back "
            f"FROM {TABLE}) WHERE back"
        ).fetchone()
    return row is not None and row[0] == 0


# What a peer would keep in SQLite: no DECIMAL, so money is INTEGER units of 1e-10 USD, usage
# INTEGER units of 1e-6, ts INTEGER epoch ms, booleans as 0/1.
_SQLITE_TYPES = {
    "ts": "INTEGER",
    "max_mode": "INTEGER",
    "headless": "INTEGER",
    "cost": "INTEGER",
    "billed_cost": "INTEGER",
    "list_cost": "INTEGER",
    "usage_amount": "INTEGER",
    "event_count": "INTEGER",
}
_AS_INTEGER = {
    "ts": "epoch_ms(ts)",
    "cost": f"CAST(cost * 1e{MONEY_SCALE} AS BIGINT)",
    "billed_cost": f"CAST(billed_cost * 1e{MONEY_SCALE} AS BIGINT)",
    "list_cost": f"CAST(list_cost * 1e{MONEY_SCALE} AS BIGINT)",
    "usage_amount": f"CAST(usage_amount * 1e{USAGE_SCALE} AS BIGINT)",
    "max_mode": "max_mode::INTEGER",
    "headless": "headless::INTEGER",
}


def copy_to_sqlite(duck_path: Path, sqlite_path: Path, log: Any = print) -> int:
    """Stream every row into SQLite in batches; the index is built after the load (faster)."""
    sqlite_path.unlink(missing_ok=True)
    ddl = ", ".join(f"{c} {_SQLITE_TYPES.get(c, 'TEXT')}" for c in COLUMNS)
    select = ", ".join(_AS_INTEGER.get(c, c) for c in COLUMNS)
    insert = f"INSERT INTO {TABLE} VALUES ({', '.join('?' * len(COLUMNS))})"
    copied = 0
    sq = sqlite3.connect(sqlite_path)
    try:
        # Load-time settings only; they do not change how the finished file answers queries.
        sq.execute("PRAGMA journal_mode = OFF")
        sq.execute("PRAGMA synchronous = OFF")
        sq.execute(f"CREATE TABLE {TABLE} ({ddl})")
        with duckdb.connect(str(duck_path), read_only=True) as con:
            con.execute("SET enable_progress_bar = false")
            # Arrow batches → Python lists is about 2x faster than DuckDB's fetchmany tuples.
            for batch in con.sql(f"SELECT {select} FROM {TABLE}").arrow(SQLITE_BATCH):
                sq.executemany(
                    insert, zip(*(column.to_pylist() for column in batch.columns), strict=True)
                )
                copied += batch.num_rows
                if copied % PROGRESS_EVERY < batch.num_rows:
                    log(f"    … {copied:,} rows")
        sq.execute(f"CREATE INDEX {TABLE}_ts ON {TABLE} (ts)")
        sq.commit()
    finally:
        sq.close()
    return copied


def ensure_dataset(
    p: QueryParams, out_dir: Path, *, log: Any = print, with_sqlite: bool = True
) -> Dataset:
    out_dir.mkdir(parents=True, exist_ok=True)
    duck_path = out_dir / f"{p.stem}.duckdb"
    sqlite_path = out_dir / f"{p.stem}.sqlite"
    manifest_path = out_dir / f"{p.stem}.json"
    # The query window is not part of the data, so changing it must not force a rebuild.
    data_params = {k: v for k, v in asdict(p).items() if k != "window_days"}
    wanted = {"generator": GENERATOR_VERSION, "params": data_params}
    manifest: dict[str, Any] = {}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
    same = {k: manifest.get(k) for k in wanted} == wanted
    reused = same and manifest.get("sqlite_rows") is not None

    if not (same and manifest.get("duckdb_rows") and duck_path.exists()):
        log(f"  building {p.events:,} events into DuckDB ({duck_path.name}) …")
        manifest_path.unlink(missing_ok=True)  # an interrupted build must not look finished
        started = perf_counter()
        rows = build_duckdb(duck_path, p)
        duck_s = perf_counter() - started
        manifest = {**wanted, "duckdb_rows": rows, "sorted_by_ts": _check_sorted(duck_path)}
        manifest_path.write_text(json.dumps(manifest, indent=2))
        log(f"  DuckDB: {rows:,} rows in {duck_s:.1f} s, sorted by ts: {manifest['sorted_by_ts']}")
    if with_sqlite and not (manifest.get("sqlite_rows") and sqlite_path.exists()):
        log(f"  copying rows into SQLite ({sqlite_path.name}) in batches of {SQLITE_BATCH:,} …")
        started = perf_counter()
        manifest["sqlite_rows"] = copy_to_sqlite(duck_path, sqlite_path, log)
        sqlite_s = perf_counter() - started
        manifest_path.write_text(json.dumps(manifest, indent=2))
        log(f"  SQLite: {manifest['sqlite_rows']:,} rows in {sqlite_s:.1f} s (incl. ts index)")
    if reused:
        log(f"  reusing cached dataset {out_dir / p.stem}.{{duckdb,sqlite}} (same parameters)")
    if with_sqlite and manifest["sqlite_rows"] != manifest["duckdb_rows"]:
        raise RuntimeError(f"copy lost rows: {manifest}")
    return Dataset(
        duck_path,
        sqlite_path,
        manifest["duckdb_rows"],
        reused,
        {
            "duckdb": duck_path.stat().st_size / 1e6,
            "sqlite": sqlite_path.stat().st_size / 1e6 if sqlite_path.exists() else 0.0,
        },
    )


# -- measurements (each runs in a fresh process, so "cold" means a cold process) ---------------


def in_fresh_process(fn: Any, *args: Any) -> Any:
    """Run ``fn`` in a new interpreter, so its first query is really the process's first."""
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _ms(seconds: float) -> float:
    return seconds * 1000


def _timed(fn: Any) -> tuple[float, Any]:
    started = perf_counter()
    result = fn()
    return _ms(perf_counter() - started), result


def measure_duckdb(path: str, p: QueryParams) -> dict[str, Any]:
    """``run_report`` exactly as the CLI and web call it: one short-lived connection per query."""
    start, end = p.window
    spec = ReportSpec(start, end, group_by=("service",), date_bin="day")
    facts = DuckDBFacts(Path(path))
    no_tags = TagSet(())

    def report() -> Any:
        return run_report(facts, spec, no_tags, today=end)

    cold_ms, result = _timed(report)
    warm = [_timed(report)[0] for _ in range(WARM_RUNS_DUCKDB)]
    groups = {(r["date"], r["service"]): r["cost"] for r in result.rows}

    # The same compiled SQL on one connection kept open: shows what reconnecting costs.
    compiled = compile_report_query(Shape(start, end, "day", ("service",), "cost"), no_tags)
    with duckdb.connect(path, read_only=True) as con:
        kept_cold, _ = _timed(lambda: con.execute(compiled.sql, compiled.params).fetchall())
        kept = [
            _timed(lambda: con.execute(compiled.sql, compiled.params).fetchall())[0]
            for _ in range(WARM_RUNS_DUCKDB)
        ]
    return {
        "cold_ms": cold_ms,
        "warm_ms": statistics.median(warm),
        "kept_cold_ms": kept_cold,
        "kept_warm_ms": statistics.median(kept),
        "groups": groups,
        "total": result.total,
    }


SQLITE_QUERY = (
    # Integer day number rather than date(ts / 1000, 'unixepoch'): the cheapest day key SQLite
    # has, so the comparison flatters SQLite, not DuckDB.
    f"SELECT ts / {DAY_MS} AS day, service, SUM(cost) AS cost FROM {TABLE} "
    "WHERE ts >= ? AND ts < ? GROUP BY 1, 2 ORDER BY 1, 3 DESC"
)


def measure_sqlite(path: str, p: QueryParams) -> dict[str, Any]:
    start, end = p.window
    first = (start - date(1970, 1, 1)).days * DAY_MS
    after = (end - date(1970, 1, 1)).days * DAY_MS + DAY_MS
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        plan = " / ".join(
            row[-1] for row in con.execute(f"EXPLAIN QUERY PLAN {SQLITE_QUERY}", (first, after))
        )
        cold_ms, rows = _timed(lambda: con.execute(SQLITE_QUERY, (first, after)).fetchall())
        warm = [
            _timed(lambda: con.execute(SQLITE_QUERY, (first, after)).fetchall())[0]
            for _ in range(WARM_RUNS_SQLITE)
        ]
    finally:
        con.close()
    epoch = date(1970, 1, 1)
    groups = {
        ((epoch + timedelta(days=day)).isoformat(), service): Decimal(units).scaleb(-MONEY_SCALE)
        for day, service, units in rows
    }
    return {
        "cold_ms": cold_ms,
        "warm_ms": statistics.median(warm),
        "plan": plan,
        "groups": groups,
        "total": sum(groups.values(), Decimal(0)),
    }


def window_rows(path: Path, p: QueryParams) -> int:
    """Rows the report scans: the window's share of the table."""
    start, end = p.window
    bounds = [datetime.combine(start, time()), datetime.combine(end + timedelta(days=1), time())]
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(
            f"SELECT count(*) FROM {TABLE} WHERE ts >= ? AND ts < ?", bounds
        ).fetchone()
    return int(row[0]) if row else 0
