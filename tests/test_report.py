"""Cost reports from real DuckDB checked against a pure-Python reference over the same rows."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from outlay.ingest.windows import day_start_ms
from outlay.providers.cursor.models import UsageEvent
from outlay.providers.cursor.normalize import normalize_events
from outlay.providers.cursor.prices import PriceTable
from outlay.report.compile import compile_costs
from outlay.report.dimensions import PROVIDER_TAGS
from outlay.report.filters import Condition
from outlay.report.run import run_costs
from outlay.report.spec import CostQuery
from outlay.store.facts import DuckDBFacts

EVENT = TypeAdapter(UsageEvent)
FIRST = date(2026, 9, 1)
MODELS = ["claude-4.5-sonnet", "gpt-5.1-codex", "composer-1", "gemini-3-pro"]
KINDS = ["Usage-based", "Included in Business", "Errored, Not Charged"]
USERS = ["ana@acme.example", "bo@acme.example", "cy@acme.example"]


def synthetic_events(n: int, seed: int = 3) -> list[UsageEvent]:
    rng = random.Random(seed)
    events = []
    for i in range(n):
        ts = day_start_ms(FIRST) + rng.randrange(60 * 86_400_000) + i % 7
        token_based = rng.random() > 0.1
        event: dict[str, Any] = {
            "timestamp": str(ts),
            "userEmail": rng.choice(USERS),
            "model": rng.choice(MODELS),
            "kind": rng.choice(KINDS),
            "maxMode": rng.random() < 0.2,
            "isTokenBasedCall": token_based,
            "isHeadless": rng.random() < 0.1,
            "chargedCents": Decimal(rng.randrange(0, 10**8)) / 10**6,
            "requestsCosts": rng.choice([1, 2, Decimal("1.4")]),
        }
        if token_based:
            event["tokenUsage"] = {
                "inputTokens": rng.randrange(0, 5000),
                "outputTokens": rng.randrange(0, 3000),
                "cacheReadTokens": rng.randrange(0, 90000),
            }
            if event["model"] != "composer-1" and event["chargedCents"] > 1:
                event["cursorTokenFee"] = Decimal("0.5")
        events.append(EVENT.validate_python(event))
    return events


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[DuckDBFacts, list[dict[str, Any]]]:
    facts = DuckDBFacts(Path(tmp_path_factory.mktemp("facts")) / "facts.duckdb")
    table = normalize_events(
        synthetic_events(3000), account="acme", member_names={}, prices=PriceTable()
    )
    with facts.stage() as staged:
        staged.add(table)
        facts.replace_window("acme", 0, day_start_ms(date(2030, 1, 1)), staged)
    return facts, table.to_pylist()


def reference(rows: list[dict[str, Any]], query: CostQuery) -> dict[tuple[Any, ...], Decimal]:
    """Σ cost per group, computed row by row in Python."""

    def value(row: dict[str, Any], dim: str) -> Any:
        if dim.startswith("tag:"):
            key = dim[4:]
            if key in ("cursor:max_mode", "cursor:headless"):
                return "true" if row[key.split(":")[1]] else "false"
            return row["resource" if key == "cursor:user" else key.split(":")[1]]
        return row[dim]

    def holds(row: dict[str, Any], cond: Condition) -> bool:
        v = value(row, cond.field)
        return {
            "=": lambda: v == cond.values[0],
            "!=": lambda: v != cond.values[0],
            "in": lambda: v in cond.values,
            "not in": lambda: v not in cond.values,
            "exists": lambda: v is not None,
        }[cond.op]()

    def binned(ts: datetime) -> str | None:
        day = ts.date()
        if query.date_bin == "week":
            day -= timedelta(days=day.weekday())
        elif query.date_bin == "month":
            day = day.replace(day=1)
        elif query.date_bin == "cumulative":
            return None
        return day.isoformat()

    sums: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for row in rows:
        if not query.start <= row["ts"].date() <= query.end:
            continue
        if all(holds(row, c) for c in query.conditions):
            key = (binned(row["ts"]), *(value(row, d) for d in query.group_by))
            sums[key] += row["cost"]
    return dict(sums)


QUERIES = [
    CostQuery(FIRST, FIRST + timedelta(days=59), group_by=("service",), date_bin="cumulative"),
    CostQuery(FIRST, FIRST + timedelta(days=20), group_by=("service", "resource")),
    CostQuery(
        FIRST + timedelta(days=3),
        FIRST + timedelta(days=40),
        group_by=("token_type",),
        date_bin="week",
    ),
    CostQuery(FIRST, FIRST + timedelta(days=59), group_by=("subcategory",), date_bin="month"),
    CostQuery(
        FIRST,
        FIRST + timedelta(days=59),
        group_by=("tag:cursor:max_mode", "category"),
        date_bin="cumulative",
        filter="costs.service IN ('gpt-5.1-codex', 'claude-4.5-sonnet') "
        "AND costs.subcategory != 'Errored, Not Charged'",
    ),
    CostQuery(
        FIRST,
        FIRST + timedelta(days=10),
        group_by=("resource",),
        filter="tags.name = 'cursor:headless' AND tags.value = 'true' "
        "AND costs.token_type NOT IN ('input')",
    ),
    CostQuery(FIRST, FIRST + timedelta(days=59), date_bin="cumulative"),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.date_bin}-{'-'.join(q.group_by)}")
def test_sql_results_equal_the_python_reference(
    loaded: tuple[DuckDBFacts, list[dict[str, Any]]], query: CostQuery
) -> None:
    facts, rows = loaded
    report = run_costs(facts, query)
    got = {(r.get("date"), *(r[d] for d in query.group_by)): r["cost"] for r in report.rows}
    expected = reference(rows, query)
    assert got == expected
    assert report.total_cost == sum(expected.values(), Decimal(0))


def test_token_type_rows_add_up_to_the_service_total(
    loaded: tuple[DuckDBFacts, list[dict[str, Any]]],
) -> None:
    facts, _ = loaded
    span = {"start": FIRST, "end": FIRST + timedelta(days=59), "date_bin": "cumulative"}
    by_type = run_costs(facts, CostQuery(**span, group_by=("token_type",)))
    by_service = run_costs(facts, CostQuery(**span, group_by=("service",)))
    assert by_type.total_cost == by_service.total_cost > 0


def test_compiled_sql_binds_dates_and_values() -> None:
    compiled = compile_costs(
        CostQuery(date(2026, 1, 1), date(2026, 1, 31), "costs.service = 'x'", ("service",), "week")
    )
    assert compiled.sql == (
        'SELECT CAST(date_trunc(\'week\', ts) AS DATE) AS "date", service AS "g0", '
        'SUM(cost) AS "cost" FROM cost_rows WHERE ts >= ? AND ts < ? AND ((service) = ?) '
        'GROUP BY ALL ORDER BY 1, "cost" DESC'
    )
    assert compiled.params == [datetime(2026, 1, 1), datetime(2026, 2, 1), "x"]
    assert compiled.columns == ("date", "service", "cost")


def test_every_provider_tag_is_groupable(loaded: tuple[DuckDBFacts, list[dict[str, Any]]]) -> None:
    facts, _ = loaded
    for key in PROVIDER_TAGS:
        report = run_costs(
            facts,
            CostQuery(
                FIRST, FIRST + timedelta(days=59), group_by=(f"tag:{key}",), date_bin="cumulative"
            ),
        )
        assert report.rows
