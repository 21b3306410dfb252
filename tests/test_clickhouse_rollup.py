"""The rollups on ClickHouse (chDB): kept equal to a rebuild from the live cost rows by every
change, and every report on them equals the cost rows' and DuckDB's to the last digit."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings

from outlay.errors import StoreError
from outlay.ingest.windows import day_start_ms
from outlay.providers.cursor.normalize import normalize_events
from outlay.providers.cursor.prices import PriceTable
from outlay.providers.cursor.seats import Seat, seat_rows
from outlay.report.compile import Shape, compile_report_query
from outlay.report.dialect import CLICKHOUSE
from outlay.report.run import run_report
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet
from outlay.store import clickhouse_rollup, rollup
from outlay.store.clickhouse import ClickHouseFacts
from outlay.store.facts import DuckDBFacts
from tests.fakes import chdb_url
from tests.test_report import FIRST, LAST, TAGS, TODAY, synthetic_events
from tests.test_rollup import outcome, specs

pytestmark = [pytest.mark.storage, pytest.mark.facts]

PRICES = PriceTable()
FAR = day_start_ms(date(2030, 1, 1))


def store(folder: Path) -> ClickHouseFacts:
    return ClickHouseFacts(chdb_url(folder), folder / "staging")


def load(facts: ClickHouseFacts | DuckDBFacts, account: str, n: int, seed: int,
         start_ms: int = 0, end_ms: int = FAR) -> None:  # fmt: skip
    table = normalize_events(synthetic_events(n, seed=seed), account=account, member_names={},
                             prices=PRICES)  # fmt: skip
    stamps = table.column("ts").to_pylist()
    keep = [i for i, ts in enumerate(stamps) if start_ms <= _ms(ts) <= end_ms]
    with facts.stage(account) as staged:
        staged.add(table.take(pa.array(keep, pa.int64())))
        facts.replace_window(account, start_ms, end_ms, staged)


def _ms(ts: datetime) -> int:
    return (ts - datetime(1970, 1, 1)) // timedelta(milliseconds=1)


def _sum(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return sum(present[1:], present[0]) if present else None


def rolled(rows: list[dict[str, Any]], at: Any) -> Counter[tuple[Any, ...]]:
    """The rollup rows of ``rows`` (dicts) with ``ts`` mapped by ``at``, as a multiset."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        key = (at(row["ts"]), *(row[d] for d in rollup.DIMENSIONS))
        groups.setdefault(key, []).append(row)
    return Counter(
        (*key, *(_sum([r[m] for r in members]) for m in rollup.MEASURES))
        for key, members in groups.items()
    )


def _as_dicts(facts: ClickHouseFacts, table: str) -> list[dict[str, Any]]:
    return facts.arrow(f"SELECT * FROM {table}").to_pylist()


def rollups(facts: ClickHouseFacts) -> list[Counter[tuple[Any, ...]]]:
    """What the daily and monthly views hold."""
    return [rolled(_as_dicts(facts, t), lambda ts: ts) for t in (rollup.TABLE, rollup.MONTHLY)]


def rebuilt(facts: ClickHouseFacts) -> list[Counter[tuple[Any, ...]]]:
    """The rollups a rebuild from the live cost rows gives (summed here, in Python)."""
    days = rolled(_as_dicts(facts, "cost_rows"), lambda ts: datetime.combine(ts.date(), time()))
    names = ("ts", *rollup.DIMENSIONS, *rollup.MEASURES)
    daily = [dict(zip(names, row, strict=True)) for row in days.elements()]
    months = rolled(daily, lambda ts: ts.replace(day=1))
    return [days, months]


def test_replaces_seats_deletes_and_copies_keep_both_rollups_equal_to_a_rebuild(
    tmp_path: Path,
) -> None:
    facts = store(tmp_path / "a")
    load(facts, "acme", 1500, seed=5)
    load(facts, "beta", 400, seed=9)
    assert all(rollups(facts)) and rollups(facts) == rebuilt(facts)
    # Ten days of acme, mid-day to mid-day, re-read with fewer events: partial edge days, and
    # September's days around it stay as they were (its month is recomputed from them).
    start = day_start_ms(FIRST + timedelta(days=10)) + 13 * 3_600_000
    end = day_start_ms(FIRST + timedelta(days=20)) + 5 * 3_600_000
    load(facts, "acme", 60, seed=11, start_ms=start, end_ms=end)
    assert rollups(facts) == rebuilt(facts)
    # Across a month boundary, with nothing in it: both months lose those days.
    load(facts, "acme", 0, seed=1, start_ms=day_start_ms(date(2026, 9, 28)),
         end_ms=day_start_ms(date(2026, 10, 2)) + 7)  # fmt: skip
    assert rollups(facts) == rebuilt(facts)
    seats = {FIRST + timedelta(days=d): [Seat("ana@acme.example", "Ana")] for d in (3, 4, 40)}
    facts.replace_seats("acme", seat_rows("acme", Decimal(40), seats))
    assert rollups(facts) == rebuilt(facts)
    load(facts, "acme", 200, seed=12, start_ms=start, end_ms=end)  # seats survive a window
    moved = {FIRST + timedelta(days=d): [Seat("bo@acme.example", "Bo")] for d in (4, 41)}
    facts.replace_seats("acme", seat_rows("acme", Decimal(40), moved))
    assert rollups(facts) == rebuilt(facts)
    facts.delete_account("beta")
    assert rollups(facts) == rebuilt(facts)
    for table in (rollup.TABLE, rollup.MONTHLY):
        assert not facts.query(f"SELECT 1 FROM {table} WHERE account = 'beta'").rows
    copy = store(tmp_path / "b")
    for batch in facts.batches("acme"):
        copy.append("acme", pa.Table.from_batches([batch]))
    copy.commit_copy()
    assert rollups(copy) == rollups(facts) == rebuilt(copy)


def test_superseded_rollup_rows_are_collected_with_the_cost_rows(tmp_path: Path) -> None:
    facts = ClickHouseFacts(chdb_url(tmp_path), tmp_path / "staging", grace_s=0.0)
    for seed in (1, 2, 3):
        load(facts, "acme", 300, seed=seed)
    # Only the second replace's rows (superseded, not yet collected) and the third's remain.
    for table in ("cost_daily_all", "cost_monthly_all"):
        stored = facts.arrow(f"SELECT count(DISTINCT version) AS n FROM {table}")
        assert stored["n"][0].as_py() == 2, table
    assert rollups(facts) == rebuilt(facts)


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> tuple[ClickHouseFacts, DuckDBFacts]:
    folder = Path(tmp_path_factory.mktemp("ch-rollup"))
    pair = (store(folder / "ch"), DuckDBFacts(folder / "facts.duckdb"))
    for facts in pair:
        load(facts, "acme", 3000, seed=3)
    return pair


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=specs())
def test_every_report_on_the_chdb_rollups_equals_the_cost_rows_and_duckdb(
    engines: tuple[ClickHouseFacts, DuckDBFacts], case: tuple[ReportSpec, TagSet]
) -> None:
    chdb, duck = engines
    spec, tags = case
    fast = outcome(run_report(chdb, spec, tags, today=TODAY))
    assert fast == outcome(run_report(chdb, spec, tags, today=TODAY, raw=True))
    assert fast == outcome(run_report(duck, spec, tags, today=TODAY))


def _drop_rollups(facts: ClickHouseFacts, db: str) -> None:
    """Leave the database as the code before the rollups made it."""
    clickhouse_rollup.drop(facts._con, db)  # the test plays the previous release's schema


def test_a_database_from_before_the_rollups_gets_them_built_when_opened(tmp_path: Path) -> None:
    facts = store(tmp_path)
    load(facts, "acme", 1500, seed=5)
    seats = {FIRST + timedelta(days=d): [Seat("ana@acme.example", "Ana")] for d in (3, 40)}
    facts.replace_seats("acme", seat_rows("acme", Decimal(40), seats))
    load(facts, "acme", 60, seed=11, start_ms=day_start_ms(FIRST + timedelta(days=10)) + 7,
         end_ms=day_start_ms(FIRST + timedelta(days=35)))  # fmt: skip
    expected = rollups(facts)
    db = chdb_url(tmp_path).rsplit("=", 1)[1]
    _drop_rollups(facts, db)
    reopened = store(tmp_path)
    assert rollups(reopened) == expected == rebuilt(reopened)
    for date_bin in ("week", "month"):
        spec = ReportSpec(FIRST, LAST, date_bin=date_bin, group_by=("resource",))
        assert outcome(run_report(reopened, spec, TAGS, today=TODAY)) == outcome(
            run_report(reopened, spec, TAGS, today=TODAY, raw=True)
        )
    assert reopened.monthly_table == clickhouse_rollup.MONTHLY
    assert reopened.rolled_table == clickhouse_rollup.ROLLED


def test_a_rollup_build_another_process_holds_or_left_unfinished_is_named_with_the_fix(
    tmp_path: Path,
) -> None:
    facts = store(tmp_path)
    load(facts, "acme", 300, seed=5)
    expected = rollups(facts)
    db = chdb_url(tmp_path).rsplit("=", 1)[1]
    _drop_rollups(facts, db)
    # A build that created its daily table and stopped (or still runs, in another process).
    facts._con.command(f"CREATE TABLE {db}.{rollup.TABLE}_all (x UInt8) ENGINE = Memory")
    with pytest.raises(StoreError, match=rf"DROP TABLE {db}\.cost_daily_all and"):
        ClickHouseFacts(chdb_url(tmp_path), tmp_path / "staging", build_wait_s=0.2)
    facts._con.command(f"DROP TABLE {db}.{rollup.TABLE}_all")  # the fix the error names
    assert rollups(store(tmp_path)) == expected


def _sets_built(facts: ClickHouseFacts, sql: str, params: list[Any]) -> set[str]:
    """The IN sets ClickHouse builds from subqueries to run ``sql`` (from its plan)."""
    text = CLICKHOUSE.translate(sql, params, database=facts._con.database)
    plan = facts._con.arrow(f"EXPLAIN PLAN actions = 1 {text}{facts._settings()}")
    return set(re.findall(r"\bsubquery\d+\b", "\n".join(plan.column(0).to_pylist())))


def test_a_month_report_finds_the_live_rollup_rows_in_one_read_of_live_slots(
    tmp_path: Path,
) -> None:
    facts = store(tmp_path)
    load(facts, "acme", 300, seed=5)
    db = facts._con.database
    facts._con.command(f"DROP VIEW {db}.{clickhouse_rollup.ROLLED}")  # as the release before it
    facts = store(tmp_path)
    view = facts.arrow(
        f"SELECT create_table_query AS q FROM system.tables WHERE database = '{db}' "
        f"AND name = '{clickhouse_rollup.ROLLED}'"
    )
    assert view["q"][0].as_py().count("live_slots") == 1
    # August's last days, September whole, October's first days: months beside days.
    spec = ReportSpec(date(2026, 8, 20), date(2026, 10, 10), date_bin="month")
    shape = Shape(spec.start or FIRST, spec.end or LAST, "month", (), "cost", None, None,
                  facts.rollup_table, facts.rolled_table)  # fmt: skip
    query = compile_report_query(shape, TagSet(()))
    assert f"FROM {clickhouse_rollup.ROLLED} " in query.sql
    assert len(_sets_built(facts, query.sql, query.params)) == 1
    # The check sees a second read: the two views read live_slots once each.
    two = f"SELECT * FROM {rollup.MONTHLY} UNION ALL SELECT * FROM {rollup.TABLE}"
    assert len(_sets_built(facts, two, [])) == 2
    assert outcome(run_report(facts, spec, TagSet(()), today=TODAY)) == outcome(
        run_report(facts, spec, TagSet(()), today=TODAY, raw=True)
    )
