"""Scale benchmark: three reports over 1M, 10M and 100M events, each engine synthesizing its own.

A 1,000-seat team over three years (1,095 days), not 10,000 seats over a quarter: it is the
history a team keeps, so "month × resource over the whole range" reads three years, and both
have about 91,000-1.1M events a day, so the last 30 days stay a small share of the table
either way. Events are made inside the engine (``query.py``'s generator over ``range(N)``:
15 models, 5 kinds, 8% Max Mode, four token types plus the Cursor token fee, about 3.75 cost
rows per event) straight into the product's own cost-row table, so the product's report path
reads them unchanged.

chDB gets the same rows the way a user moves an install to ClickHouse: ``outlay db copy`` of the
DuckDB data folder into a chDB one (its time is the chDB "generate" figure), so both engines
answer over identical rows and their totals must agree to the last digit.

Every measurement is a new process (cold = its first report, warm = median of the next runs,
peak RSS = its ``VmHWM``), through ``run_report`` as the service calls it; ``raw`` forces
the cost-row path, ``auto`` lets the compiler take a rollup. The CLI runs as its own
process for the largest size. Another engine is one row of ``ENGINES``.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

import duckdb

from query import DATA_START, QueryParams, generate_rows, in_fresh_process

SEATS = 1_000
DAYS = 1_095
SIZES = (1_000_000, 10_000_000, 100_000_000)
WARM_RUNS = 3
SLOW_MS = 5_000
#: Generation's own limits: the machine is shared, and DuckDB spills past this.
GENERATE_MEMORY = "6GB"
OUTLAY = Path(sys.executable).with_name("outlay")
#: Bump when the data changes, so a cached dataset is rebuilt, not reused.
VERSION = 1


def params(events: int, days: int = DAYS) -> QueryParams:
    return QueryParams(events=events, days=days, users=SEATS, window_days=30)


# -- engines: how each one synthesizes a dataset, and how outlay is pointed at it --------------


@dataclass(frozen=True)
class Engine:
    #: Build the dataset for ``params`` under the folder; returns the path outlay opens.
    synthesize: Callable[[QueryParams, Path], Path]
    #: An outlay data folder on the dataset, with account "acme" registered: the environment
    #: (``OUTLAY_*``) that points the CLI at it.
    attach: Callable[[Path, Path], dict[str, str]]


def settings_of(env: dict[str, str]) -> Any:
    """The settings a process started with ``env`` reads (``config``'s own reading of it)."""
    from outlay.config import Settings

    return Settings.from_env(env)


def synthesize_duckdb(p: QueryParams, out_dir: Path) -> Path:
    """One INSERT … SELECT over ``range(events)`` into the product's own table."""
    from outlay.store.facts import DuckDBFacts

    path = out_dir / f"scale-v{VERSION}-{p.stem}.duckdb"
    done = path.with_suffix(".done")
    if done.exists() and path.exists():
        return path
    path.unlink(missing_ok=True)
    DuckDBFacts(path)  # the product's own DDL, so the table is exactly what reports read
    with duckdb.connect(str(path)) as con:
        con.execute(f"SET memory_limit = '{GENERATE_MEMORY}'")
        con.execute(f"SET temp_directory = '{out_dir / 'spill'}'")
        # Chunks of at most 25M events keep generation's memory flat. Its rollup is dropped:
        # the first open builds it (that build is measured).
        generate_rows(con, p, chunk=25_000_000)
    done.write_text(json.dumps({"params": p.stem, "version": VERSION}))
    return path


def attach_duckdb(dataset: Path, folder: Path) -> dict[str, str]:
    from web import outlay_on_dataset

    if not (folder / "meta.sqlite").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, mode=0o700)
        outlay = outlay_on_dataset(folder, dataset)
        outlay.replace_tags(two_tags())
    return {"OUTLAY_DATA_DIR": str(folder)}


def synthesize_chdb(p: QueryParams, out_dir: Path) -> Path:
    """The DuckDB dataset's data folder moved into a chDB one by ``outlay db copy``."""
    import os

    target = out_dir / f"scale-v{VERSION}-{p.stem}.chdb"
    done = target.with_suffix(".chdb-done")
    if done.exists() and target.exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    source = out_dir / f"data-duckdb-{p.stem}"
    env = attach_duckdb(synthesize_duckdb(p, out_dir), source)
    target.mkdir(mode=0o700)
    subprocess.run(
        [str(OUTLAY), "db", "copy", "--yes", "--to-database-url",
         f"sqlite:///{target / 'meta.sqlite'}", "--to-facts-url", chdb_url(target)],
        env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    shutil.copy2(source / "secret.key", target / "secret.key")  # the copied keys' seal
    done.write_text(json.dumps({"params": p.stem, "version": VERSION}))
    return target


def chdb_url(folder: Path) -> str:
    return f"chdb:///{folder / 'facts'}"


def attach_chdb(dataset: Path, folder: Path) -> dict[str, str]:
    return {"OUTLAY_DATA_DIR": str(dataset), "OUTLAY_FACTS_URL": chdb_url(dataset)}


ENGINES: dict[str, Engine] = {
    "duckdb": Engine(synthesize_duckdb, attach_duckdb),
    "chdb": Engine(synthesize_chdb, attach_chdb),
}


# -- reports ------------------------------------------------------------------------------------


def two_tags() -> Any:
    from tags import tag_definitions

    return tag_definitions()


@dataclass(frozen=True)
class Report:
    label: str
    spec: dict[str, Any]
    tagged: bool = False

    @property
    def cli_args(self) -> list[str]:
        s = self.spec
        return ["--start", str(s["start"]), "--end", str(s["end"]), "--date-bin",
                s["date_bin"], "--group-by", ",".join(s["group_by"])]  # fmt: skip


def reports(days: int = DAYS) -> tuple[Report, ...]:
    last = DATA_START + timedelta(days=days - 1)
    last_30 = {"start": last - timedelta(days=29), "end": last}
    whole = {"start": DATA_START, "end": last}
    return (
        Report("(a) day x service, last 30 days",
               {**last_30, "date_bin": "day", "group_by": ("service",)}),
        Report("(b) month x resource, whole range",
               {**whole, "date_bin": "month", "group_by": ("resource",)}),
        # A split tag cannot be re-aggregated to the last digit (each cost row's share is cut
        # at 1e-10 USD): it reads cost rows, so it is measured over a month, as it is used.
        Report("(c) tag:team x tag:cost_center x day, 30 days",
               {**last_30, "date_bin": "day", "group_by": ("tag:team", "tag:cost_center")},
               tagged=True),
        Report("(d) tag:team x month, whole range (no split)",
               {**whole, "date_bin": "month", "group_by": ("tag:team",)}, tagged=True),
    )  # fmt: skip


def measure_child(env: dict[str, str], report: Report, path: str) -> dict[str, Any]:
    """In a new process: the report once (cold), then ``WARM_RUNS`` times (warm)."""
    from outlay.errors import InputError
    from outlay.report.run import run_report
    from outlay.report.spec import ReportSpec
    from outlay.report.tags import TagSet
    from outlay.service import Outlay

    started = perf_counter()
    outlay = Outlay(settings_of(env))
    spec = ReportSpec(**report.spec)
    tags = two_tags() if report.tagged else TagSet(())
    extra = {"raw": True} if path == "raw" else {}

    def once() -> tuple[float, Any]:
        began, cpu = perf_counter(), process_time()
        try:
            result = run_report(
                outlay.facts, spec, tags, today=report.spec["end"], accounts=("acme",), **extra
            )
        except InputError as exc:  # over the store's time or memory limit: stopped
            result = f"stopped: {exc}"
        cpus.append((process_time() - cpu) * 1000)  # every thread's: DuckDB runs two
        return (perf_counter() - began) * 1000, result

    cpus: list[float] = []

    opened = perf_counter()
    cold_ms, result = once()
    # A report that takes seconds gets one warm run: the difference is noise beside it.
    warm = [once()[0] for _ in range(WARM_RUNS if cold_ms < SLOW_MS else 1)]
    stopped = isinstance(result, str)
    return {
        "cold_ms": cold_ms,
        "open_ms": (opened - started) * 1000,
        "warm_ms": statistics.median(warm),
        "cpu_ms": statistics.median(cpus[1:]),
        "peak_mb": peak_mb(),
        "total": result[:60] if stopped else str(result.total),
        "stopped": stopped,
    }


def peak_mb() -> float:
    """This process's peak RSS (MB = 10^6 bytes) since it started its program.

    Not ``ru_maxrss``: a spawned child inherits its parent's, so after the parent generated a
    dataset every child would report the generator's peak. ``VmHWM`` belongs to the program.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000


# The CLI as a user runs it; a wrapper process so RUSAGE_CHILDREN is that one command's peak.
_CLI_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "with open(sys.argv[1], 'wb') as out: subprocess.run(sys.argv[2:], stdout=out, check=True)\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "cpu = (u.ru_utime + u.ru_stime) * 1000\n"
    "print((time.perf_counter() - t) * 1000, u.ru_maxrss / 1000, cpu)\n"
)


def measure_cli(env: dict[str, str], report: Report, out_dir: Path) -> dict[str, Any]:
    from cli import user_env

    argv = [str(OUTLAY), "costs", *report.cli_args, "--format", "json"]
    # Bytecode cached as an installed package has it: with PYTHONDONTWRITEBYTECODE inherited,
    # a pycache prefix is never filled and every run compiled every module (4-5 s a command).
    full_env = {**user_env(out_dir), **env}
    sink = out_dir / "cli-out.json"
    runs: list[tuple[float, float, float]] = []
    for _ in range(1 + WARM_RUNS):
        done = subprocess.run(
            [sys.executable, "-c", _CLI_WRAPPER, str(sink), *argv],
            env=full_env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        wall, peak, cpu = (float(x) for x in done.stdout.split())
        runs.append((wall, peak, cpu))
    try:
        total = json.loads(sink.read_text())["total_cost"]
    except ValueError:
        total = "output is not JSON"
    sink.unlink()
    return {
        "cold_ms": runs[0][0],
        "warm_ms": statistics.median(r[0] for r in runs[1:]),
        "peak_mb": max(r[1] for r in runs),
        # On a busy machine the wall clock is mostly waiting for a core: CPU is the process's.
        "cpu_ms": min(r[2] for r in runs),
        "total": total,
    }


# -- the run ------------------------------------------------------------------------------------


def file_mb(path: Path) -> float:
    """A file's size, or a folder's (chDB keeps a tree of parts)."""
    path = path.resolve()
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
    return path.stat().st_size / 1e6


def prepare(
    engine: str, events: int, out_dir: Path, days: int = DAYS, log: Any = print
) -> dict[str, Any]:
    """Dataset and data folder for one size; times the build and the rollup's first build."""
    p = params(events, days)
    started = perf_counter()
    dataset = ENGINES[engine].synthesize(p, out_dir)
    built_s = perf_counter() - started
    before_mb = file_mb(dataset)
    folder = out_dir / f"data-{engine}-{p.stem}"
    env = ENGINES[engine].attach(dataset, folder)
    # The first open builds a missing rollup, as it does for a database from before it.
    opened_s, open_peak, counts = in_fresh_process(open_child, env)
    info = {"events": events, "dataset": dataset, "folder": folder, "env": env,
            "build_s": built_s, "open_s": opened_s, "open_peak_mb": open_peak,
            "file_mb_before": before_mb, "file_mb": file_mb(dataset), **counts}  # fmt: skip
    log(
        f"  {engine} {events:,} events: {info['cost_rows']:,} cost rows, daily rollup "
        f"{info['rollup_rows'] or 0:,} rows, monthly {info['monthly_rows'] or 0:,}; built in "
        f"{built_s:,.1f} s, first open {opened_s:,.1f} s, "
        f"store {before_mb:,.0f} -> {info['file_mb']:,.0f} MB"
    )
    return info


def open_child(env: dict[str, str]) -> tuple[float, float, dict[str, int | None]]:
    """In a new process: open the store once (seconds, peak RSS MB), then count its rows."""
    from outlay.store.facts_api import open_facts

    started = perf_counter()
    facts = open_facts(settings_of(env))
    opened, peak = perf_counter() - started, peak_mb()
    counts: dict[str, int | None] = {}
    for key, table in (("cost_rows", "cost_rows"), ("rollup_rows", facts.rollup_table),
                       ("monthly_rows", facts.monthly_table)):  # fmt: skip
        counts[key] = (
            int(facts.query(f"SELECT count(*) FROM {table}").rows[0][0]) if table else None
        )
    facts.close()
    return opened, peak, counts


def run(
    engine: str,
    sizes: tuple[int, ...],
    paths: tuple[str, ...],
    out_dir: Path,
    cli: bool,
    days: int = DAYS,
) -> list[dict[str, Any]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for events in sizes:
        info = prepare(engine, events, out_dir, days)
        for report in reports(days):
            for path in paths:
                r = in_fresh_process(measure_child, info["env"], report, path)
                results.append({"engine": engine, "events": events, "report": report.label,
                                "path": path, **r})  # fmt: skip
                print(f"    {report.label:<48} {path:<5} cold {r['cold_ms']:>8,.0f} ms  "
                      f"warm {r['warm_ms']:>8,.0f} ms  peak {r['peak_mb']:>6,.0f} MB  "
                      f"total {r['total']}", flush=True)  # fmt: skip
            if cli and events == max(sizes):
                r = measure_cli(info["env"], report, out_dir)
                results.append({"engine": engine, "events": events, "report": report.label,
                                "path": "cli", **r})  # fmt: skip
                print(
                    f"    {report.label:<48} CLI   cold {r['cold_ms']:>8,.0f} ms  "
                    f"warm {r['warm_ms']:>8,.0f} ms  peak {r['peak_mb']:>6,.0f} MB  "
                    f"CPU {r['cpu_ms']:>6,.0f} ms",
                    flush=True,
                )
        results.append(
            {
                "engine": engine,
                "events": events,
                "prepare": {k: v for k, v in info.items() if k not in ("dataset", "folder", "env")},
            }
        )
    return results


def target_ms(label: str) -> int:
    return 2000 if "tag" in label else 1000


def format_table(results: list[dict[str, Any]]) -> str:
    """One line per report × size × path, with ratios to the smallest size of the same path
    and, for ``auto``, to ``raw`` (the design before the rollup) of the same size."""
    rows = [r for r in results if "report" in r]
    base = {
        (r["report"], r["path"]): r for r in rows if r["events"] == min(x["events"] for x in rows)
    }
    raw = {(r["report"], r["events"]): r for r in rows if r["path"] == "raw"}
    head = (f"{'report':<48}{'events':>6} {'path':<5}{'cold ms':>9}{'warm ms':>9}{'CPU ms':>8}"
            f"{'peak MB':>8}"
            f"{'x 1M':>7}{'vs raw':>8}  target")  # fmt: skip
    lines = [head, "-" * len(head)]
    for r in rows:
        small = base.get((r["report"], r["path"]))
        growth = f"{r['warm_ms'] / small['warm_ms']:.1f}x" if small else ""
        before = raw.get((r["report"], r["events"]))
        speedup = (f"{before['warm_ms'] / r['warm_ms']:.1f}x"
                   if before and r["path"] != "raw" else "")  # fmt: skip
        goal = target_ms(r["report"])
        fast = max(r["cold_ms"], r["warm_ms"]) < goal and not r.get("stopped")
        met = "PASS" if fast else "MISS"
        lines.append(f"{r['report']:<48}{r['events'] // 1_000_000:>5}M {r['path']:<5}"
                     f"{r['cold_ms']:>9,.0f}{r['warm_ms']:>9,.0f}{r.get('cpu_ms', 0):>8,.0f}"
                     f"{r['peak_mb']:>8,.0f}"
                     f"{growth:>7}{speedup:>8}  <{goal} {met}")  # fmt: skip
    return "\n".join(lines)


def format_prepare(results: list[dict[str, Any]]) -> str:
    """Per size: cost rows, rollup rows, generation and first-open (rollup build) time, file."""
    head = (
        f"{'engine':<7}{'events':>12}{'cost rows':>14}{'daily rows':>12}{'monthly rows':>13}"
        f"{'generate s':>11}{'first open s':>13}{'open peak MB':>13}{'store MB before':>16}"
        f"{'after':>8}"
    )
    lines = [head]
    for r in results:
        if "prepare" in r:
            p = r["prepare"]
            lines.append(f"{r['engine']:<7}{p['events']:>12,}{p['cost_rows']:>14,}"
                         f"{p['rollup_rows'] or 0:>12,}{p['monthly_rows'] or 0:>13,}"
                         f"{p['build_s']:>11,.0f}{p['open_s']:>13,.1f}{p['open_peak_mb']:>13,.0f}"
                         f"{p['file_mb_before']:>16,.0f}{p['file_mb']:>8,.0f}")  # fmt: skip
    return "\n".join(lines)


def format_all(results: list[dict[str, Any]]) -> str:
    """Each engine's table, the datasets, and chDB beside DuckDB when both ran."""
    parts = []
    for engine in dict.fromkeys(r["engine"] for r in results):
        parts += [f"\n{engine}", format_table([r for r in results if r["engine"] == engine])]
    parts.append(format_prepare(results))
    if len({r["engine"] for r in results}) > 1:
        parts.append(format_engines(results))
    return "\n".join(parts)


def format_engines(results: list[dict[str, Any]]) -> str:
    """chDB beside DuckDB, same report, size and path, measured in the same run: the ratio of
    their warm times (the target is at most 2x) and whether their totals agree."""
    rows = {(r["engine"], r["report"], r["events"], r["path"]): r
            for r in results if "report" in r}  # fmt: skip
    head = (f"{'report':<48}{'events':>6} {'path':<5}{'DuckDB warm':>12}{'chDB warm':>10}"
            f"{'chDB cold':>10}{'ratio':>7}{'chDB MB':>8}  totals")  # fmt: skip
    lines = [head, "-" * len(head)]
    for (engine, label, events, path), ch in rows.items():
        duck = rows.get(("duckdb", label, events, path))
        if engine != "chdb" or duck is None:
            continue
        same = "equal" if ch["total"] == duck["total"] else f"DIFFER {ch['total']}"
        lines.append(f"{label:<48}{events // 1_000_000:>5}M {path:<5}{duck['warm_ms']:>12,.0f}"
                     f"{ch['warm_ms']:>10,.0f}{ch['cold_ms']:>10,.0f}"
                     f"{ch['warm_ms'] / duck['warm_ms']:>6.1f}x"
                     f"{ch['peak_mb']:>8,.0f}  {same}")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="scale benchmark")
    parser.add_argument("--engines", default="duckdb", help="comma-separated: duckdb,chdb")
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--paths", default="raw,auto")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--no-cli", action="store_true")
    # E.g. 10M events over 110 days: a 100M-over-three-years team's density, for the 30-day
    # reports, in a tenth of the time and disk.
    parser.add_argument("--days", type=int, default=DAYS, help="days the events span")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    paths = tuple(args.paths.split(","))
    results = []
    for engine in args.engines.split(","):
        results += run(engine, sizes, paths, args.out, not args.no_cli, args.days)
    print(format_all(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
