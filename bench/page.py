"""The report page at team size: 300 users × 90 days by user and day.

Two numbers, each beside a baseline measured in the same run (the same page over a 10-user
team of the same events):

- server time: ``GET /reports`` in-process (FastAPI's TestClient: auth, the report, the chart's
  series, rendering; no network), p50 of ``RUNS`` after a first request;
- first paint: headless Chromium on the app served by uvicorn, from navigation start to the
  chart's first drawn trace and the table's first page shown (performance marks the page's
  scripts set), median of ``LOADS`` loads.
"""

from __future__ import annotations

import re
import shutil
import socket
import statistics
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

import uvicorn

from outlay.service import Outlay
from outlay.web.app import create_app
from query import DATA_START, QueryParams, ensure_dataset
from web import day_clock, outlay_on_dataset

with warnings.catch_warnings():  # FastAPI's TestClient announces a future move to httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

RUNS = 10
LOADS = 5
EMAIL = "bench@outlay.example"
PASSWORD = "bench-password-1"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: Milliseconds from navigation start to both the chart and the table being shown.
PAINT_JS = """() => {
  const mark = (name) => {
    const found = performance.getEntriesByName(name)[0];
    return found ? found.startTime : null;
  };
  return { chart: mark("outlay-chart-drawn"), table: mark("outlay-table-ready"),
           dom: performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd };
}"""


def team_params(users: int, events: int) -> QueryParams:
    return QueryParams(events=events, users=users, days=90)


@contextmanager
def serving(params: QueryParams, out_dir: Path) -> Iterator[tuple[Outlay, Any]]:
    """An app over the cached dataset, with the bench user: (outlay, FastAPI app)."""
    dataset = ensure_dataset(params, out_dir, with_sqlite=False)
    end = DATA_START + timedelta(days=params.days - 1)
    with tempfile.TemporaryDirectory() as folder:
        outlay = outlay_on_dataset(Path(folder), dataset.duckdb_path, clock=day_clock(end))
        outlay.add_user(EMAIL, "owner", PASSWORD)
        yield outlay, create_app(outlay.settings, outlay=outlay, scheduler=False)


def page_path(params: QueryParams) -> str:
    start = DATA_START
    end = DATA_START + timedelta(days=params.days - 1)
    return f"/reports?start_date={start}&end_date={end}&groupings=resource&date_bin=day"


def server_time(app: Any, path: str) -> dict[str, Any]:
    with TestClient(app) as client:
        form = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert form is not None
        client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf": form.group(1)})
        times = []
        for _ in range(RUNS + 1):
            started = perf_counter()
            response = client.get(path)
            times.append((perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text[:300]
        groups = response.text.count("<tr data-href=")
    return {"first_ms": times[0], "p50_ms": statistics.median(times[1:]), "groups": groups,
            "kb": len(response.content) / 1000}  # fmt: skip


@contextmanager
def uvicorn_thread(app: Any) -> Iterator[str]:
    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            http="h11", ws="none")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def first_paint(app: Any, path: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return {"error": "Chromium is not installed (Debian: apt-get install chromium)"}
    with uvicorn_thread(app) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url + "/login")
        page.fill("input[name=email]", EMAIL)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        paints = []
        for _ in range(LOADS + 1):
            page.goto(url + path)
            page.wait_for_selector("#chart .main-svg", state="attached", timeout=60_000)
            seen = page.evaluate("performance.now()")
            marks = page.evaluate(PAINT_JS)
            # A page without the marks (an older version) counts from when the plot was seen.
            paints.append(max(marks["chart"] or seen, marks["table"] or marks["dom"]))
        browser.close()
    return {"first_ms": paints[0], "p50_ms": statistics.median(paints[1:])}


def measure(users: int, events: int, out_dir: Path) -> dict[str, Any]:
    """Both numbers for one team size (run in a fresh process by ``run.py``)."""
    params = team_params(users, events)
    with serving(params, out_dir) as (_, app):
        path = page_path(params)
        server = server_time(app, path)
        paint = first_paint(app, path)
    return {"users": users, "events": events, "days": params.days, "server": server,
            "paint": paint}  # fmt: skip


def format_table(results: list[dict[str, Any]]) -> str:
    lines = [
        f"{'team':<22}{'groups':>8}{'page kB':>9}{'server first':>14}{'server p50':>12}"
        f"{'paint first':>13}{'paint p50':>11}",
        "-" * 89,
    ]
    for r in results:
        s, p = r["server"], r["paint"]
        paint = (
            f"{p['first_ms']:>13.0f}{p['p50_ms']:>11.0f}" if "error" not in p else f"  {p['error']}"
        )
        lines.append(
            f"{r['users']:>4} users x {r['days']} days{s['groups']:>8}{s['kb']:>9.0f}"
            f"{s['first_ms']:>14.0f}{s['p50_ms']:>12.0f}{paint}"
        )
    return "\n".join(lines)
