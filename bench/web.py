"""Server time of the report page and ``GET /api/v1/costs`` on 10M cost rows.

The app runs in-process (FastAPI's TestClient), so the times are the server's own work — auth,
the report, rendering — without a network. Next to them: the same report through
``run_report`` and the raw compiled SQL on the store, so the layers' costs can be told apart.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

from outlay.clock import SYSTEM_CLOCK, Clock, FixedClock
from outlay.config import Settings
from outlay.report.compile import Shape, compile_report_query
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet
from outlay.service import Outlay
from outlay.web.app import create_app
from query import DATA_START, QueryParams, ensure_dataset

with warnings.catch_warnings():  # FastAPI's TestClient announces a future move to httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

RUNS = 15
PASSWORD = "bench-password-1"


def _p50(fn: Any) -> tuple[float, float]:
    """(first call ms, median of RUNS calls ms)."""
    times = []
    for _ in range(RUNS + 1):
        started = perf_counter()
        fn()
        times.append((perf_counter() - started) * 1000)
    return times[0], statistics.median(times[1:])


def day_clock(day: date) -> FixedClock:
    """A clock stopped at the start of ``day`` (UTC): the dataset's last day is "today"."""
    return FixedClock(int(datetime.combine(day, datetime.min.time(), UTC).timestamp() * 1000))


def outlay_on_dataset(folder: Path, facts: Path, *, clock: Clock = SYSTEM_CLOCK) -> Outlay:
    """An Outlay on ``folder`` over the cached dataset ``facts``, its rows registered as
    account "acme" without calling any API."""
    (folder / "facts.duckdb").symlink_to(facts)
    outlay = Outlay(Settings(data_dir=folder), clock=clock)
    account = outlay.meta.add_account(
        name="acme", provider="cursor", sealed_key=outlay.keybox.seal("crsr_bench"),
        masked_key="crsr_…nch", base_url="http://127.0.0.1:9", now=datetime.now(),
    )  # fmt: skip
    outlay.access.attach(account.id, outlay.workspace(None).id)
    return outlay


def measure(p: QueryParams, out_dir: Path) -> list[dict[str, Any]]:
    dataset = ensure_dataset(p, out_dir, with_sqlite=False)
    start, end = DATA_START, DATA_START + timedelta(days=p.days - 1)
    with tempfile.TemporaryDirectory() as folder:
        outlay = outlay_on_dataset(Path(folder), dataset.duckdb_path, clock=day_clock(end))
        outlay.add_user("bench@outlay.example", "owner", PASSWORD)
        token = outlay.create_token("bench@outlay.example")
        app = create_app(outlay.settings, outlay=outlay, scheduler=False)
        params = {
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "groupings": "service",
            "date_bin": "day",
        }
        shape = Shape(start, end, "day", ("service",), "cost", None, ("acme",))
        compiled = compile_report_query(shape, TagSet(()))
        results = []
        with TestClient(app) as client:
            form = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
            assert form is not None
            client.post("/login", data={"email": "bench@outlay.example", "password": PASSWORD,
                                        "csrf": form.group(1)})  # fmt: skip
            api = client.get(
                "/api/v1/costs", params=params, headers={"Authorization": f"Bearer {token}"}
            )
            assert api.status_code == 200, api.text
            groups = len(api.json()["rows"])
            page = client.get("/reports", params=params)
            bearer = {"Authorization": f"Bearer {token}"}
            spec = ReportSpec(start, end, group_by=("service",), date_bin="day")
            cases = [
                ("store: compiled SQL on DuckDBFacts.query",
                 lambda: outlay.facts.query(compiled.sql, compiled.params)),
                ("service: Outlay.report", lambda: outlay.report(spec)),
                ("GET /api/v1/costs",
                 lambda: client.get("/api/v1/costs", params=params, headers=bearer)),
            ]  # fmt: skip
            if page.status_code == 200:
                cases.append(
                    ("GET /reports (the page)", lambda: client.get("/reports", params=params))
                )
            for label, fn in cases:
                cold, warm = _p50(fn)
                results.append({"label": label, "cold_ms": cold, "p50_ms": warm, "groups": groups,
                                "rows": dataset.rows, "page_status": page.status_code})  # fmt: skip
        return results


def format_table(results: list[dict[str, Any]]) -> str:
    lines = [f"{'layer':<44}{'first ms':>10}{'p50 ms':>10}", "-" * 64]
    for r in results:
        lines.append(f"{r['label']:<44}{r['cold_ms']:>10.0f}{r['p50_ms']:>10.0f}")
    return "\n".join(lines)
