"""outlay benchmarks: ingest throughput and memory, and report query speed.

    .venv/bin/python bench/run.py                  # both (``make bench``)
    .venv/bin/python bench/run.py --only query     # one of them
    .venv/bin/python bench/run.py --events 500000  # a smaller ingest

Prints numbers, never asserts on time: the summary marks each target PASS or MISS. See
bench/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import anomaly
import cli
import focus
import ingest
import page
import query
import scale
import tags
import web

OUT_DIR = Path(__file__).resolve().parent / "out"

# (name, target text, measured text, met?) rows for the summary.
Summary = list[tuple[str, str, str, bool | None]]


def bench_ingest(args: argparse.Namespace, summary: Summary) -> None:
    print("\n== Ingest: first import from the fake Cursor API, no rate limits ==")
    cases = ingest.plan_cases(args.events, args.small_events)
    results = []
    for case in cases:
        result = ingest.run_case(case, profile=False)
        for problem in ingest.check(result):
            print(f"  WARNING {case.label}: {problem}")
        results.append(result)
    print()
    print(ingest.format_table(results))
    print(
        "  max window = events in the largest 30-day window; sync stages a window on disk and "
        "moves it in with one transaction,\n  so peak RSS can follow that, never the history "
        "length.\n"
        "  RSS idle = importer after imports and add_account, before sync; peak RSS = its "
        "ru_maxrss (MB = 10^6 bytes).\n  CPU s = importer user+sys during sync; fake CPU s = "
        "the fake API's process over the same time (both share the cores)."
    )
    small, full = results
    summary.append(
        (
            f"ingest throughput ({full['label']})",
            ">= 50,000 events/s",
            f"{full['events_per_s']:,.0f} events/s",
            full["events_per_s"] >= 50_000,
        )
    )
    summary.append(
        (
            f"ingest peak RSS ({full['label']})",
            "< 500 MB",
            f"{full['peak_rss_mb']:,.0f} MB",
            full["peak_rss_mb"] < 500,
        )
    )
    # Memory above the idle process should track the largest window, not the history: 4x the
    # days may add at most what the bigger window explains, plus 10% for noise.
    history = full["events"] / small["events"]
    window = full["largest_window"] / small["largest_window"]
    growth = (full["peak_rss_mb"] - full["rss_before_mb"]) / (
        small["peak_rss_mb"] - small["rss_before_mb"]
    )
    summary.append(
        (
            f"peak RSS vs history ({small['label'].split()[0]} -> {full['label'].split()[0]})",
            "follows window, not history",
            f"{small['peak_rss_mb']:,.0f} -> {full['peak_rss_mb']:,.0f} MB (above idle "
            f"x{growth:.2f}; history x{history:.1f}, window x{window:.2f})",
            growth <= 1.1 * window,
        )
    )
    if args.profile:
        print(f"\n-- cProfile of the {small['label']} import (sorted by own time) --")
        profiled = ingest.run_case(cases[0], profile=True, log=lambda _: None)
        print(profiled["profile"])


def bench_query(args: argparse.Namespace, summary: Summary) -> None:
    params = query.QueryParams(events=args.query_events)
    start, end = params.window
    print(
        f"\n== Query: costs by day x service, {start} .. {end} ({params.window_days} of "
        f"{params.days} days), {params.events:,} synthetic events =="
    )
    dataset = query.ensure_dataset(params, args.out)
    in_window = query.window_rows(dataset.duckdb_path, params)
    print(
        f"  {dataset.rows:,} cost rows ({dataset.rows / params.events:.2f} per event), "
        f"{in_window:,} in the window; on disk: DuckDB {dataset.on_disk_mb['duckdb']:,.0f} MB, "
        f"SQLite {dataset.on_disk_mb['sqlite']:,.0f} MB"
    )
    duck = query.in_fresh_process(query.measure_duckdb, str(dataset.duckdb_path), params)
    lite = query.in_fresh_process(query.measure_sqlite, str(dataset.sqlite_path), params)
    same = duck["groups"] == lite["groups"]
    speedup = lite["warm_ms"] / duck["warm_ms"]

    header = f"{'engine':<50} {'rows':>11} {'cold ms':>9} {'warm median ms':>15} {'speed-up':>9}"
    print()
    print(header)
    print("-" * len(header))
    lines = (
        ("DuckDB, outlay run_report (connection per query)", duck["cold_ms"], duck["warm_ms"]),
        ("DuckDB, same SQL on one open connection", duck["kept_cold_ms"], duck["kept_warm_ms"]),
        ("SQLite + index on ts (the peers' setup)", lite["cold_ms"], lite["warm_ms"]),
    )
    for name, cold, warm in lines:
        print(
            f"{name:<50} {dataset.rows:>11,} {cold:>9,.0f} {warm:>15,.0f} "
            f"{lite['warm_ms'] / warm:>8,.1f}x"
        )
    print(
        f"  warm = median of {query.WARM_RUNS_DUCKDB} (DuckDB) / {query.WARM_RUNS_SQLITE} "
        "(SQLite) runs after the cold one; cold = first query in a fresh process (OS page "
        "cache warm).\n"
        f"  SQLite plan: {lite['plan']}\n"
        f"  {len(duck['groups'])} groups; totals DuckDB {duck['total']} / SQLite "
        f"{lite['total']} USD: {'identical' if same else 'DIFFERENT'} group by group"
    )
    summary.append(
        (
            "costs report, DuckDB warm",
            "< 300 ms",
            f"{duck['warm_ms']:,.0f} ms (cold {duck['cold_ms']:,.0f} ms)",
            duck["warm_ms"] < 300,
        )
    )
    summary.append(("DuckDB vs SQLite", ">= 20x faster", f"{speedup:,.1f}x", speedup >= 20))
    summary.append(("DuckDB and SQLite agree", "same groups and sums", str(same), same))


def bench_tags(args: argparse.Namespace, summary: Summary) -> None:
    # About 3.75 cost rows per event: 2.67M events make the target's 10M rows.
    sizes = [query.QueryParams(events=2_670_000), query.QueryParams(events=args.query_events)]
    same = True
    for index, params in enumerate(sizes):
        print(
            f"\n== Virtual tags: reports grouped by tag:team x day over all {params.days} days, "
            f"{params.events:,} synthetic events =="
        )
        results = query.in_fresh_process(tags.measure, params, args.out)
        rows = results[0]["cost_rows"]
        print(f"  {rows:,} cost rows\n")
        print(tags.format_table(results))
        worst = max(r["warm_ms"] for r in results[1:])
        same = same and all(r["total_matches"] for r in results)
        name = f"tag:team x day, two tags, {rows / 1e6:.1f}M rows"
        goal, met = ("< 1,000 ms", worst < 1000) if index == 0 else ("(the target is 10M)", None)
        summary.append((name, goal, f"{worst:,.0f} ms (slowest with tags)", met))
    print(
        f"  team: {tags.EMAIL_RULES} one-email rules onto {tags.TEAMS} teams; cost_center: a 60/40 "
        "split of token-fee rows, the rest named by team.\n  warm = median of "
        f"{tags.RUNS} runs after the cold one, each through run_report (a connection per query); "
        "overhead = against the baseline without tags."
    )
    summary.append(("tag totals equal the untagged total", "exact", str(same), same))


def bench_web(args: argparse.Namespace, summary: Summary) -> None:
    params = query.QueryParams(events=2_670_000)  # about 10M cost rows, as the target says
    print(
        f"\n== Web: report page and GET /api/v1/costs, day x service over {params.days} days, "
        f"{params.events:,} events =="
    )
    results = query.in_fresh_process(web.measure, params, args.out)
    print(f"  {results[0]['rows']:,} cost rows, {results[0]['groups']:,} result rows\n")
    print(web.format_table(results))
    print(f"  p50 of {web.RUNS} requests after the first, in-process (no network).")
    by = {r["label"]: r["p50_ms"] for r in results}
    api = by["GET /api/v1/costs"]
    summary.append(("GET /api/v1/costs p50, 10M rows", "< 200 ms", f"{api:,.0f} ms", api < 200))
    page = by.get("GET /reports (the page)")
    if page is None:
        summary.append(("report page p50, 10M rows", "< 300 ms", "page not served", False))
    else:
        summary.append(("report page p50, 10M rows", "< 300 ms", f"{page:,.0f} ms", page < 300))


def bench_page(args: argparse.Namespace, summary: Summary) -> None:
    print(
        f"\n== Report page: by user x day over 90 days, {args.page_events:,} events; "
        "a 10-user team of the same events as the baseline =="
    )
    results = [
        query.in_fresh_process(page.measure, users, args.page_events, args.out)
        for users in (10, 300)
    ]
    print(page.format_table(results))
    print(
        f"  server = GET /reports in-process, p50 of {page.RUNS} after the first; paint = "
        f"headless Chromium, navigation start to chart drawn and table shown, median of "
        f"{page.LOADS} loads after the first."
    )
    team = results[-1]
    server = team["server"]["p50_ms"]
    summary.append(("report page server p50, 300 users x 90 days", "< 500 ms",
                    f"{server:,.0f} ms (10 users: {results[0]['server']['p50_ms']:,.0f} ms)",
                    server < 500))  # fmt: skip
    paint = team["paint"]
    if "error" in paint:
        summary.append(("report page first paint, 300 users", "< 2,000 ms", paint["error"], None))
    else:
        summary.append(("report page first paint, 300 users", "< 2,000 ms",
                        f"{paint['p50_ms']:,.0f} ms (10 users: "
                        f"{results[0]['paint'].get('p50_ms', 0):,.0f} ms)",
                        paint["p50_ms"] < 2000))  # fmt: skip


def bench_focus(args: argparse.Namespace, summary: Summary) -> None:
    params = query.QueryParams(events=args.query_events)
    print(
        f"\n== FOCUS 1.2 export, day grain, all {params.days} days, {params.events:,} synthetic "
        "events =="
    )
    dataset = query.ensure_dataset(params, args.out, with_sqlite=False)
    print(f"  {dataset.rows:,} cost rows\n")
    path = str(dataset.duckdb_path)
    results = [query.in_fresh_process(focus.measure_baseline, path, params)]
    query.in_fresh_process(focus.ensure_chdb_copy, path)
    for engine in ("duckdb", "chdb"):
        for fmt in ("csv", "parquet"):
            results.append(
                query.in_fresh_process(
                    focus.measure_export, path, params, fmt, str(args.out), engine
                )
            )
    print(focus.format_table(results))
    print(
        "  each case in a fresh process: peak RSS = its ru_maxrss (MB = 10^6 bytes), imports "
        "included; the file is written next to the dataset and removed."
    )
    for result in results[1:]:
        seconds, peak = result["seconds"], result["peak_rss_mb"]
        summary.append(
            (
                f"{result['label']}, {params.events:,} events",
                f"< {focus.TARGET_S:.0f} s, < {focus.TARGET_MB:,.0f} MB",
                f"{seconds:,.1f} s, {peak:,.0f} MB (baseline {results[0]['seconds']:,.1f} s)",
                seconds < focus.TARGET_S and peak < focus.TARGET_MB,
            )
        )


def bench_cli(args: argparse.Namespace, summary: Summary) -> None:
    params = cli.PARAMS
    print(
        f"\n== CLI end to end: costs by service x resource x day, {params.window_days} days, "
        f"{params.users} users, {params.events:,} events, beside sqlite3 =="
    )
    r = query.in_fresh_process(cli.measure_cli, params, args.out)
    print(
        f"  {r['cost_rows']:,} cost rows, {r['result_rows']:,} result rows "
        f"(JSON {r['json']['mb']:,.1f} MB, CSV {r['csv']['mb']:,.1f} MB)\n"
    )
    print(cli.format_table(r))
    print(
        f"  best and median wall time and best CPU (user + system) of {cli.RUNS} runs (help: "
        f"{cli.HELP_RUNS}) after a warm-up; API: p50 of {cli.API_RUNS} after the first.\n"
        "  sqlite3 writes compact JSON with Python's C encoder.\n"
        f"  outlay and sqlite3 rows: {'identical' if r['same'] else 'DIFFERENT'} group by group"
    )
    for fmt in ("json", "csv"):
        mine, peer = r[fmt]["outlay"], r[fmt]["sqlite"]
        ratio = peer["wall_ms"] / mine["wall_ms"]
        cpu = peer["cpu_ms"] / mine["cpu_ms"]
        summary.append((f"outlay costs --format {fmt} vs sqlite3", ">= 5x faster, end to end",
                        f"{ratio:,.1f}x ({mine['wall_ms']:,.0f} vs {peer['wall_ms']:,.0f} ms; "
                        f"CPU {cpu:,.1f}x)", ratio >= 5))  # fmt: skip
    baseline = r["help"]["python -c pass"]["wall_ms"]
    for label in ("outlay --help", "outlay costs --help"):
        took = r["help"][label]["wall_ms"]
        summary.append((label, "< 300 ms", f"{took:,.0f} ms (python -c pass: {baseline:,.0f} ms)",
                        took < 300))  # fmt: skip
    api = r["api"]["GET /api/v1/costs (JSON, every row)"]["p50_ms"]
    summary.append((f"GET /api/v1/costs, {r['result_rows'] // 1000}k rows streamed", "< 1,000 ms",
                    f"{api:,.0f} ms", api < 1000))  # fmt: skip
    summary.append(("outlay and sqlite3 agree", "same groups and sums", str(r["same"]),
                    r["same"]))  # fmt: skip


def bench_anomaly(args: argparse.Namespace, summary: Summary) -> None:
    print(
        f"\n== Anomaly detection: {anomaly.USERS} users x {anomaly.DAYS} days, "
        f"{anomaly.SPIKES} planted spikes of 2x-20x (the default watch, by sensitivity) =="
    )
    results = {s: anomaly.measure_quality(s) for s in ("low", "medium", "high")}
    for sensitivity, r in results.items():
        print(
            f"  {sensitivity:<7} recall {r['recall']:.1%} of {r['countable']} spikes >= 3x and "
            f">= $20; false alarms {r['false_alarms']} ({r['false_per_1000']:.2f} per 1,000 of "
            f"{r['user_days']:,} user-days); {r['seconds']:.1f} s"
        )
    medium = results["medium"]
    summary.append(("anomaly recall (>= 3x, >= $20), medium", ">= 95%",
                    f"{medium['recall']:.1%} of {medium['countable']}",
                    medium["recall"] >= 0.95))  # fmt: skip
    summary.append(("anomaly false alarms, medium", "<= 1 per 1,000 user-days",
                    f"{medium['false_per_1000']:.2f}", medium["false_per_1000"] <= 1))  # fmt: skip
    params = query.QueryParams(events=args.query_events)
    dataset = query.ensure_dataset(params, args.out, with_sqlite=False)
    end = query.DATA_START + timedelta(days=params.days - 1)
    print(f"\n== Guardrails: {anomaly.RULES} cost alerts + the default anomaly watch, "
          f"{params.events:,} events ({dataset.rows:,} cost rows) ==")  # fmt: skip
    r = query.in_fresh_process(anomaly.measure_speed, dataset.duckdb_path, end)
    print(f"  first run {r['first_s']:.1f} s, best {r['best_s']:.1f} s wall, "
          f"{r['best_cpu_s']:.1f} s CPU; {r['fired']} events fired (first run only)")  # fmt: skip
    summary.append((f"run_guardrails, {r['rules']} rules, 10M events", "< 5 s",
                    f"{r['best_s']:.1f} s (CPU {r['best_cpu_s']:.1f} s)",
                    r["best_s"] < 5))  # fmt: skip


def bench_scale(args: argparse.Namespace, summary: Summary) -> None:
    sizes = tuple(int(s) for s in args.scale_sizes.split(","))
    print(
        f"\n== Scale: {scale.SEATS:,} seats over {scale.DAYS:,} days, {args.scale_engines}, "
        f"{', '.join(f'{s:,}' for s in sizes)} events; raw = cost rows, auto = rollup chosen =="
    )
    results = []
    for engine in args.scale_engines.split(","):
        results += scale.run(engine, sizes, ("raw", "auto"), args.out, cli=True)
    print(scale.format_all(results))
    biggest = [r for r in results if r.get("events") == max(sizes)]
    duck = {(r["report"], r["path"]): r for r in biggest if r["engine"] == "duckdb"}
    for r in biggest:
        if r.get("path") not in ("auto", "cli"):
            continue
        name = f"{r['report'][:30]} {r['engine']} {r['path']}, {max(sizes) // 10**6}M"
        base = duck.get((r["report"], r["path"]))
        if r["engine"] == "chdb" and base is not None:  # the target is relative to DuckDB's
            ratio = r["warm_ms"] / base["warm_ms"]
            summary.append((name, "warm within 2x of DuckDB", f"{r['warm_ms']:,.0f} ms vs "
                            f"{base['warm_ms']:,.0f} ms: {ratio:.1f}x", ratio <= 2))  # fmt: skip
            continue
        goal = scale.target_ms(r["report"])
        worst = max(r["cold_ms"], r["warm_ms"])
        summary.append((name, f"< {goal:,} ms cold and warm", f"{r['cold_ms']:,.0f} / "
                        f"{r['warm_ms']:,.0f} ms, {r['peak_mb']:,.0f} MB",
                        worst < goal and not r.get("stopped")))  # fmt: skip


def print_summary(summary: Summary) -> None:
    print("\n== Summary ==")
    header = f"{'target':<44} {'goal':<28} {'measured':<62} result"
    print(header)
    print("-" * len(header))
    for name, goal, measured, met in summary:
        verdict = "-" if met is None else "PASS" if met else "MISS"
        print(f"{name:<44} {goal:<28} {measured:<62} {verdict}")


#: Every benchmark, in the order a full run takes them; ``--only`` names one.
BENCHES: dict[str, Callable[[argparse.Namespace, Summary], None]] = {
    "ingest": bench_ingest,
    "query": bench_query,
    "tags": bench_tags,
    "web": bench_web,
    "page": bench_page,
    "focus": bench_focus,
    "cli": bench_cli,
    "anomaly": bench_anomaly,
    "scale": bench_scale,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        choices=tuple(BENCHES),
        help="run one benchmark",
    )
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="events of the full import (1M)"
    )
    parser.add_argument(
        "--small-events", type=int, default=250_000, help="events of the small import (250k)"
    )
    parser.add_argument(
        "--query-events", type=int, default=10_000_000, help="events of the query dataset (10M)"
    )
    parser.add_argument(
        "--page-events", type=int, default=500_000, help="events of the report page's teams"
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="cache for query datasets")
    parser.add_argument(
        "--scale-sizes",
        default=",".join(str(s) for s in scale.SIZES),
        help="events of the scale datasets (1M,10M,100M)",
    )
    parser.add_argument(
        "--scale-engines", default="duckdb,chdb", help="comma-separated: duckdb,chdb"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile the small import, print hot spots"
    )
    args = parser.parse_args(argv)
    if args.small_events >= args.events:
        parser.error("--small-events must be below --events")

    print(
        f"outlay benchmarks on {platform.node()}: Python {platform.python_version()}, "
        f"{mp.cpu_count()} cores, {platform.platform()}"
    )
    started = time.perf_counter()
    summary: Summary = []
    for name, bench in BENCHES.items():
        if args.only in (None, name):
            bench(args, summary)
    print_summary(summary)
    print(f"\nbenchmarks took {time.perf_counter() - started:,.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
