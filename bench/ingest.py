"""Ingest benchmark: a first import end to end from the fake Cursor API, without rate limits.

Three processes, so each number belongs to one of them:
- the fake API (``RunningFake`` in its own process): its CPU and memory are not the importer's;
  it generates days lazily, so every day is generated before the clock starts (``warm``);
- the importer (a fresh spawned process doing only ``Outlay.add_account`` + ``.sync``): its
  ``ru_maxrss`` is the peak RSS of the import and nothing else;
- this process, which only orchestrates.

Sizes differ by history length at the same team and daily volume, which is what "memory must
not grow with history" means: a longer history is more 30-day windows, not bigger ones.
"""

from __future__ import annotations

import cProfile
import io
import multiprocessing as mp
import pstats
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

USERS = 500
FULL_DAYS = 90
SEED = 7
ACCOUNT = "bench"
FAKE_START_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class IngestCase:
    label: str
    users: int
    days: int
    events_per_user_day: float
    seed: int = SEED


def plan_cases(events: int, small_events: int) -> list[IngestCase]:
    """The full case spans 90 days; the small one has the same daily volume, fewer days."""
    density = events / (USERS * FULL_DAYS)
    small_days = max(1, round(FULL_DAYS * small_events / events))
    return [
        IngestCase(f"{small_events / 1e3:,.0f}k events", USERS, small_days, density),
        IngestCase(f"{events / 1e6:,.2g}M events", USERS, FULL_DAYS, density),
    ]


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB; MB here is 10^6 bytes, as in the target.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _serve_fake(spec: dict[str, Any], conn: Connection) -> None:
    """Fake-API process: warm every day, serve, report, and wait to be told to stop."""
    from outlay.testing.cursor_fake.api import FakeCursorAPI
    from outlay.testing.cursor_fake.server import RunningFake
    from outlay.testing.cursor_fake.team import FakeTeam, TeamSpec

    team = FakeTeam(TeamSpec(**spec))
    api = FakeCursorAPI(team, rate_limit=False)
    started = time.perf_counter()
    visible = sum(len(part) for part in team.slices(team.start_ms, team.now_ms()))
    warm_s = time.perf_counter() - started
    with RunningFake(api=api) as fake:
        conn.send({"url": fake.url, "key": fake.key, "events": visible, "warm_s": warm_s})
        cpu_before = _cpu_s()
        conn.recv()
        conn.send({"cpu_s": _cpu_s() - cpu_before, "peak_rss_mb": _peak_rss_mb()})


class _LargestWindow:
    """Sync listener: a window is the unit of one atomic replace, so its size matters."""

    def __init__(self) -> None:
        self.events = 0

    def planned(self, account: str, windows: int) -> None:
        pass

    def window_done(self, account: str, window: Any, events: int, rows: int) -> None:
        self.events = max(self.events, events)


def _import(url: str, key: str, data_dir: str, profile: bool) -> dict[str, Any]:
    """Importer process: exactly what ``outlay accounts add`` + ``outlay sync`` do."""
    from outlay.config import Settings
    from outlay.service import Outlay

    outlay = Outlay(Settings(data_dir=Path(data_dir), allowed_base_urls=(url,)))
    largest = _LargestWindow()
    outlay.add_account("cursor", ACCOUNT, key, base_url=url, paced=False)
    rss_before = _peak_rss_mb()
    profiler = cProfile.Profile() if profile else None
    cpu_before = _cpu_s()
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    result = outlay.sync(ACCOUNT, listener=largest)
    if profiler is not None:
        profiler.disable()
    seconds = time.perf_counter() - started
    stats = ""
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
        stats = text.getvalue()
    return {
        "events": result.events,
        "rows": result.rows,
        "windows": result.windows,
        "largest_window": largest.events,
        "status": result.status,
        "seconds": seconds,
        "cpu_s": _cpu_s() - cpu_before,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
        "facts_mb": outlay.settings.facts_path.stat().st_size / 1e6,
        "stored_rows": outlay.facts.count_rows(ACCOUNT),
        "profile": stats,
    }


def run_case(case: IngestCase, *, profile: bool = False, log: Any = print) -> dict[str, Any]:
    ctx = mp.get_context("spawn")  # fresh interpreters: nothing inherited inflates their RSS
    parent, child = ctx.Pipe()
    spec = {k: v for k, v in asdict(case).items() if k != "label"}
    fake = ctx.Process(target=_serve_fake, args=(spec, child), name="fake-cursor", daemon=True)
    fake.start()
    try:
        if not parent.poll(FAKE_START_TIMEOUT_S):
            raise RuntimeError("the fake Cursor API process did not come up")
        info = parent.recv()
        log(
            f"  {case.label}: fake serves {info['events']:,} events ({case.users} users × "
            f"{case.days} days × {case.events_per_user_day:.1f}/user/day); all days generated "
            f"before timing (cache warm-up {info['warm_s']:.1f} s, not counted)"
        )
        with (
            tempfile.TemporaryDirectory(prefix="outlay-bench-") as data_dir,
            ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool,
        ):
            result = pool.submit(_import, info["url"], info["key"], data_dir, profile).result()
        parent.send("stop")
        fake_stats = parent.recv() if parent.poll(60) else {}
    finally:
        fake.join(30)
        if fake.is_alive():
            fake.terminate()
            fake.join(10)
    result.update(
        label=case.label,
        served=info["events"],
        warm_s=info["warm_s"],
        fake_cpu_s=fake_stats.get("cpu_s"),
        events_per_s=result["events"] / result["seconds"] if result["seconds"] else 0.0,
    )
    return result


def format_table(results: list[dict[str, Any]]) -> str:
    header = (
        f"{'import':<12} {'events':>10} {'rows':>10} {'windows':>7} {'max window':>10} "
        f"{'seconds':>8} {'events/s':>9} {'RSS idle MB':>11} {'peak RSS MB':>11} "
        f"{'CPU s':>6} {'fake CPU s':>10}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        fake_cpu = f"{r['fake_cpu_s']:.1f}" if r.get("fake_cpu_s") is not None else "?"
        lines.append(
            f"{r['label']:<12} {r['events']:>10,} {r['rows']:>10,} {r['windows']:>7} "
            f"{r['largest_window']:>10,} "
            f"{r['seconds']:>8.1f} {r['events_per_s']:>9,.0f} {r['rss_before_mb']:>11.0f} "
            f"{r['peak_rss_mb']:>11.0f} {r['cpu_s']:>6.1f} {fake_cpu:>10}"
        )
    return "\n".join(lines)


def check(result: dict[str, Any]) -> list[str]:
    """Sanity, not speed: everything served was imported and stored."""
    problems = []
    if result["events"] < result["served"]:
        problems.append(f"imported {result['events']:,} of {result['served']:,} served events")
    if result["stored_rows"] != result["rows"]:
        problems.append(f"stored {result['stored_rows']:,} rows, sync wrote {result['rows']:,}")
    if result["status"] != "stable":
        problems.append(f"account status {result['status']!r}, expected 'stable'")
    return problems
