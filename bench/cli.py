"""CLI benchmark: ``outlay costs`` end to end, as a user runs it, beside sqlite3 in the same run.

Every measured command is a new process started the way a shell starts it, with its output
redirected to a file: imports, opening the stores, the query, shaping the rows and writing
~100,000 of them all count. Beside it, a new Python process runs the same GROUP BY on the same
rows kept in SQLite (``query.py``'s copy) and writes the same rows as JSON or CSV. Then the
help screens against ``python -c pass``, and the API's ``GET /costs`` for the same report
in-process (the server's own time, streaming included).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import warnings
from datetime import date
from decimal import Decimal
from pathlib import Path
from time import perf_counter
from typing import Any

from query import DAY_MS, QueryParams, ensure_dataset

#: A 300-seat team over 30 days, 1M events: service × resource × day is about 107,000 rows.
PARAMS = QueryParams(events=1_000_000, days=30, users=300, window_days=30)
RUNS = 5
HELP_RUNS = 7
API_RUNS = 5
PASSWORD = "bench-password-1"
OUTLAY = Path(sys.executable).with_name("outlay")

# The peer: one GROUP BY in SQLite, then rows written by Python's json (its C encoder, compact)
# or csv module. Money is INTEGER units of 1e-10 USD there, so it turns into exact decimals.
SQLITE_PROGRAM = f"""
import csv, json, sqlite3, sys
from datetime import date, timedelta
from decimal import Decimal
path, first, after, fmt = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
con = sqlite3.connect(f"file:{{path}}?mode=ro", uri=True)
rows = con.execute(
    "SELECT ts / {DAY_MS} AS day, service, resource, SUM(cost) FROM cost_rows "
    "WHERE ts >= ? AND ts < ? GROUP BY 1, 2, 3 ORDER BY 1, 4 DESC", (first, after)
).fetchall()
epoch = date(1970, 1, 1)
def text(units):
    t = f"{{Decimal(units).scaleb(-10).normalize():f}}"
    return "0" if t in ("-0", "") else t
out = [((epoch + timedelta(days=d)).isoformat(), s, r, text(u)) for d, s, r, u in rows]
if fmt == "json":
    names = ("date", "service", "resource", "cost")
    total = text(sum(u for *_, u in rows))
    json.dump({{"rows": [dict(zip(names, row)) for row in out], "total_cost": total}},
              sys.stdout, ensure_ascii=False)
else:
    writer = csv.writer(sys.stdout, lineterminator="\\n")
    writer.writerow(("date", "service", "resource", "cost"))
    writer.writerows(out)
"""


def user_env(out_dir: Path) -> dict[str, str]:
    """The environment of every measured process: bytecode cached, as an installed package
    has it (pip compiles it at install), under ``out_dir`` so the source tree stays clean."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(out_dir / "pycache")
    return env


def _run(argv: list[str], out: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, CPU ms) of one new process writing its standard output to ``out``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = perf_counter()
    with out.open("wb") as sink:
        subprocess.run(argv, stdout=sink, check=True, env=env)
    wall = (perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def _best(
    commands: dict[str, tuple[list[str], Path]], runs: int, env: dict[str, str]
) -> dict[str, dict[str, float]]:
    """The fastest of ``runs`` runs of each command (and the median), after one that warms
    the caches. The commands take turns, so a busy spell on the machine hits them alike; and
    other processes only ever add time, so the best run is the command's own."""
    for argv, out in commands.values():
        _run(argv, out, env)  # caches the bytecode; the OS has the files in its cache after it
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, (argv, out) in commands.items():
            times[label].append(_run(argv, out, env))
    return {
        label: {
            "wall_ms": min(t[0] for t in runs_of),
            "cpu_ms": min(t[1] for t in runs_of),
            "median_wall_ms": statistics.median(t[0] for t in runs_of),
        }
        for label, runs_of in times.items()
    }


def _data_dir(folder: Path, facts: Path) -> Any:
    """An outlay data folder on the cached dataset, its rows registered as account "acme"."""
    from web import outlay_on_dataset

    folder.chmod(0o700)
    return outlay_on_dataset(folder, facts)


def _groups_json(path: Path) -> dict[tuple[str, str, str], Decimal]:
    rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
    return {(r["date"], r["service"], r["resource"]): Decimal(r["cost"]) for r in rows}


def measure_cli(p: QueryParams, out_dir: Path) -> dict[str, Any]:
    dataset = ensure_dataset(p, out_dir)
    start, end = p.window
    first = (start - date(1970, 1, 1)).days * DAY_MS
    after = (end - date(1970, 1, 1)).days * DAY_MS + DAY_MS
    results: dict[str, Any] = {"cost_rows": dataset.rows}
    env = user_env(out_dir)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        folder.mkdir()
        outlay = _data_dir(folder, dataset.duckdb_path)
        for fmt in ("json", "csv"):
            mine, peer = Path(tmp) / f"outlay.{fmt}", Path(tmp) / f"sqlite.{fmt}"
            argv = [str(OUTLAY), "--data-dir", str(folder), "costs", "--start", str(start),
                    "--end", str(end), "--group-by", "service,resource", "--date-bin", "day",
                    "--format", fmt]  # fmt: skip
            lite = [sys.executable, "-c", SQLITE_PROGRAM, str(dataset.sqlite_path), str(first),
                    str(after), fmt]  # fmt: skip
            timed = _best({"outlay": (argv, mine), "sqlite": (lite, peer)}, RUNS, env)
            results[fmt] = {**timed, "mb": mine.stat().st_size / 1e6}
            if fmt == "json":
                ours, theirs = _groups_json(mine), _groups_json(peer)
                results["result_rows"] = len(ours)
                results["same"] = ours == theirs
        helps = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "outlay --help": [str(OUTLAY), "--help"],
            "outlay costs --help": [str(OUTLAY), "costs", "--help"],
        }
        help_out = Path(tmp) / "help"
        results["help"] = _best(
            {label: (argv, help_out) for label, argv in helps.items()}, HELP_RUNS, env
        )
        results["api"] = _measure_api(outlay, start, end)
    return results


def _measure_api(outlay: Any, start: date, end: date) -> dict[str, Any]:
    """Server time of GET /api/v1/costs for the same report, in-process (no network)."""
    from outlay.web.app import create_app

    with warnings.catch_warnings():  # FastAPI's TestClient announces a future move to httpx2
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    outlay.add_user("bench@outlay.example", "owner", PASSWORD)
    bearer = {"Authorization": f"Bearer {outlay.create_token('bench@outlay.example')}"}
    params = {"start_date": str(start), "end_date": str(end), "groupings": "service,resource",
              "date_bin": "day"}  # fmt: skip
    cases = {
        "GET /api/v1/costs (JSON, every row)": params,
        "GET /api/v1/costs?format=csv": {**params, "format": "csv"},
        "GET /api/v1/costs?limit=1000&page=50": {**params, "limit": "1000", "page": "50"},
    }
    out: dict[str, Any] = {}
    app = create_app(outlay.settings, outlay=outlay, scheduler=False)
    with TestClient(app) as client:
        for label, query in cases.items():
            times, size = [], 0
            for _ in range(API_RUNS + 1):
                started = perf_counter()
                response = client.get("/api/v1/costs", params=query, headers=bearer)
                size = len(response.content)  # the whole streamed body has arrived
                times.append((perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text[:200]
            out[label] = {"first_ms": times[0], "p50_ms": statistics.median(times[1:]),
                          "mb": size / 1e6}  # fmt: skip
    return out


def _line(label: str, t: dict[str, float], ratio: str = "") -> str:
    return (f"{label:<50}{t['wall_ms']:>9,.0f}{t['median_wall_ms']:>9,.0f}{t['cpu_ms']:>9,.0f}"
            f"{ratio:>12}")  # fmt: skip


def format_table(r: dict[str, Any]) -> str:
    lines = [f"{'command (new process, output to a file)':<50}{'best ms':>9}{'median':>9}"
             f"{'CPU ms':>9}{'vs sqlite3':>12}", "-" * 89]  # fmt: skip
    for fmt in ("json", "csv"):
        mine, peer = r[fmt]["outlay"], r[fmt]["sqlite"]
        ratio = f"{peer['wall_ms'] / mine['wall_ms']:,.1f}x"
        lines.append(_line(f"outlay costs … --format {fmt}", mine, ratio))
        lines.append(_line(f"sqlite3 GROUP BY + Python {fmt} writer", peer, "1.0x"))
    for label, t in r["help"].items():
        lines.append(_line(label, t))
    lines += ["", f"{'API, in-process':<50}{'first ms':>9}{'p50 ms':>9}{'MB':>9}", "-" * 89]
    for label, t in r["api"].items():
        lines.append(f"{label:<50}{t['first_ms']:>9,.0f}{t['p50_ms']:>9,.0f}{t['mb']:>9,.1f}")
    return "\n".join(lines)
