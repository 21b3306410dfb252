"""The daily rollup: reports read it only where it gives the cost rows' answer to the last
digit, and every change to the cost rows keeps it equal to a rebuild from them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outlay.ingest.windows import day_start_ms
from outlay.providers.cursor.normalize import normalize_events
from outlay.providers.cursor.prices import PriceTable
from outlay.providers.cursor.seats import Seat, seat_rows
from outlay.report.compile import Shape, compile_report_query, needed_tags
from outlay.report.grain import uses_monthly, uses_rollup, whole_months
from outlay.report.intervals import month_after
from outlay.report.run import ReportResult, run_report
from outlay.report.spec import DATE_BINS, MEASURES, ReportSpec
from outlay.report.tags import TagSet, parse_tags_yaml
from outlay.store import rollup
from outlay.store.facts import DuckDBFacts
from tests.test_report import FIRST, LAST, TAGS, TODAY, load_synthetic
from tests.test_report import synthetic_events as events

PRICES = PriceTable()

FILTERS = (
    None,
    "costs.service LIKE 'claude%'",
    "costs.token_type = 'input' OR costs.category = 'Requests'",
    "tags.name = 'tier' AND tags.value = 'premium'",
    "tags.name = 'team' AND tags.value = 'Research'",
    "costs.resource != 'ana@acme.example'",
)
DIMS = ("service", "resource", "token_type", "subcategory", "category", "charge_type")
TAG_DIMS = ("tag:team", "tag:cost_center", "tag:tier", "tag:cursor:max_mode")
#: No split, but a value bounded by dates that fall inside a month: days, never months.
DATED = parse_tags_yaml("""\
- key: team
  values:
    - name: Platform
      filter: costs.resource IN ('ana@acme.example', 'bo@acme.example')
    - name: Research
      filter: costs.service LIKE 'claude%'
      dates: {start: 2026-09-20, end: 2026-10-11}
- key: tier
  values:
    - name: premium
      filter: costs.service ~* '^(claude|gpt)'
""")
TAG_SETS = (TAGS, TagSet(tuple(t for t in TAGS.tags if not t.has_split)), DATED)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> DuckDBFacts:
    return load_synthetic(Path(tmp_path_factory.mktemp("rollup")))[0]


def outcome(result: ReportResult) -> tuple[Any, ...]:
    """Everything a surface shows of a report, in order."""
    return (list(result.rows), result.totals, result.group_totals, result.parent_totals,
            result.groups, result.forecast)  # fmt: skip


@st.composite
def specs(draw: st.DrawFn) -> tuple[ReportSpec, TagSet]:
    # Month starts and long periods often: the monthly rollup serves whole months only.
    offset = st.sampled_from((0, 30)) | st.integers(0, 50)
    start = FIRST + timedelta(days=draw(offset))
    end = start + timedelta(days=draw(st.sampled_from((29, 59)) | st.integers(0, 60)))
    group_by = draw(st.lists(st.sampled_from(DIMS + TAG_DIMS), max_size=2, unique=True))
    measure = draw(st.sampled_from(MEASURES))
    spec = ReportSpec(
        start, min(end, LAST), date_bin=draw(st.sampled_from(DATE_BINS)),
        group_by=tuple(group_by), measure=measure, filter=draw(st.sampled_from(FILTERS)),
        top=draw(st.sampled_from((None, 2))), compare=draw(st.sampled_from((None, "previous"))),
        forecast=measure != "usage" and draw(st.booleans()),
    )  # fmt: skip
    return spec, draw(st.sampled_from(TAG_SETS))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=specs())
def test_every_report_is_the_same_on_the_rollup_and_the_cost_rows(
    loaded: DuckDBFacts, case: tuple[ReportSpec, TagSet]
) -> None:
    spec, tags = case
    fast = run_report(loaded, spec, tags, today=TODAY)
    raw = run_report(loaded, spec, tags, today=TODAY, raw=True)
    assert outcome(fast) == outcome(raw)


def _table_of(spec: ReportSpec, tags: TagSet) -> str:
    shape = Shape(spec.start or FIRST, spec.end or LAST, spec.date_bin, spec.group_by,
                  spec.measure, spec.expr, None, rollup.TABLE, rollup.ROLLED)  # fmt: skip
    sql = compile_report_query(shape, tags).sql
    for table in (rollup.ROLLED, rollup.TABLE):
        if f"FROM {table}" in sql:
            return table
    return "cost_rows"


def test_day_and_coarser_reports_read_the_rollup_hours_and_splits_the_cost_rows() -> None:
    day = ReportSpec(FIRST, LAST, date_bin="week", group_by=("tag:team",),
                     filter="costs.service LIKE 'claude%'")  # fmt: skip
    no_split = TAG_SETS[1]
    assert _table_of(day, no_split) == rollup.TABLE
    assert _table_of(ReportSpec(FIRST, LAST, date_bin="hour"), no_split) == "cost_rows"
    assert _table_of(day, TAGS) == "cost_rows"  # team has a split
    assert _table_of(ReportSpec(FIRST, LAST, group_by=("tag:tier",)), TAGS) == rollup.TABLE
    shape = Shape(FIRST, LAST, "day", ("tag:cost_center",), "cost")
    assert not uses_rollup("day", needed_tags(shape, TAGS))


def test_month_bins_read_whole_months_from_the_monthly_rollup_and_the_rest_from_days() -> None:
    months = ReportSpec(FIRST, LAST, date_bin="month", group_by=("tag:tier",))
    assert _table_of(months, TAG_SETS[1]) == rollup.ROLLED  # September is whole
    for spec in (
        ReportSpec(FIRST, LAST, date_bin="week"),  # a week straddles months
        ReportSpec(FIRST + timedelta(days=1), LAST, date_bin="month"),
    ):  # no whole month
        assert _table_of(spec, TAG_SETS[1]) == rollup.TABLE  # fmt: skip
    # A dated tag value may start mid-month; a split cuts shares per cost row.
    assert _table_of(ReportSpec(FIRST, LAST, date_bin="month", group_by=("tag:team",)), DATED) \
        == rollup.TABLE  # fmt: skip
    assert not uses_monthly("quarter", TAGS.closure(["team"]))


@given(start=st.dates(date(2024, 1, 1), date(2027, 12, 31)), days=st.integers(0, 800))
def test_whole_months_are_exactly_the_calendar_months_inside_a_period(
    start: date, days: int
) -> None:
    end = start + timedelta(days=days)
    every = [start + timedelta(days=n) for n in range(days + 1)]
    inside = [d for d in every if d.day == 1 and month_after(d) <= end + timedelta(days=1)]
    expected = None
    if inside:
        first, after = inside[0], month_after(inside[-1])
        expected = (datetime.combine(first, time()), datetime.combine(after, time()))
    assert whole_months(start, end) == expected


def test_a_store_without_a_rollup_reads_the_cost_rows(loaded: DuckDBFacts) -> None:
    spec = ReportSpec(FIRST, LAST, group_by=("service",))
    assert _table_of(spec, TagSet(())) == rollup.TABLE
    shape = Shape(FIRST, LAST, "day", ("service",), "cost")  # rollup=None
    assert f"FROM {rollup.TABLE}" not in compile_report_query(shape, TagSet(())).sql


ROLLUPS = (rollup.TABLE, rollup.MONTHLY)


def rollup_rows(facts: DuckDBFacts) -> list[list[tuple[Any, ...]]]:
    return [facts.query(f"SELECT * FROM {t} ORDER BY ALL").rows for t in ROLLUPS]


def rebuilt(facts: DuckDBFacts) -> list[list[tuple[Any, ...]]]:
    """The rollups a fresh build from the same cost rows gives."""
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{facts.path}' AS src (READ_ONLY)")
        con.execute(f"CREATE TABLE {rollup.SOURCE} AS SELECT * FROM src.{rollup.SOURCE}")
        con.execute("DETACH src")
        rollup.build(con)
        return [con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in ROLLUPS]


def _store(folder: Path) -> DuckDBFacts:
    facts = DuckDBFacts(folder / "facts.duckdb")
    table = normalize_events(events(1500, seed=5), account="acme", member_names={}, prices=PRICES)
    with facts.stage() as staged:
        staged.add(table)
        facts.replace_window("acme", 0, day_start_ms(date(2030, 1, 1)), staged)
    return facts


def test_window_and_seat_replaces_and_account_deletes_keep_the_rollup_equal_to_a_rebuild(
    tmp_path: Path,
) -> None:
    facts = _store(tmp_path)
    other = normalize_events(events(400, seed=9), account="beta", member_names={}, prices=PRICES)
    with facts.stage() as staged:
        staged.add(other)
        facts.replace_window("beta", 0, day_start_ms(date(2030, 1, 1)), staged)
    assert rollup_rows(facts) == rebuilt(facts)
    # Re-read ten days of acme mid-day to mid-day with fewer events: partial days on both ends.
    first = datetime.combine(FIRST + timedelta(days=10), time(13))
    last = datetime.combine(FIRST + timedelta(days=20), time(5))
    start = day_start_ms(first.date()) + 13 * 3_600_000
    end = day_start_ms(last.date()) + 5 * 3_600_000
    fewer = normalize_events(events(60, seed=11), account="acme", member_names={}, prices=PRICES)
    stamps = fewer.column("ts").to_pylist()
    keep = [i for i, ts in enumerate(stamps) if first <= ts <= last]
    assert keep
    with facts.stage() as staged:
        staged.add(fewer.take(keep))
        facts.replace_window("acme", start, end, staged)
    assert rollup_rows(facts) == rebuilt(facts)
    seats = {FIRST + timedelta(days=d): [Seat("ana@acme.example", "Ana")] for d in (3, 4, 40)}
    facts.replace_seats("acme", seat_rows("acme", Decimal(40), seats))
    assert rollup_rows(facts) == rebuilt(facts)
    moved = {FIRST + timedelta(days=d): [Seat("bo@acme.example", "Bo")] for d in (4, 41)}
    facts.replace_seats("acme", seat_rows("acme", Decimal(40), moved))  # day 3 and 40 go
    assert rollup_rows(facts) == rebuilt(facts)
    facts.delete_account("beta")
    assert rollup_rows(facts) == rebuilt(facts)
    for table in ROLLUPS:
        assert not facts.query(f"SELECT 1 FROM {table} WHERE account = 'beta'").rows


def test_a_database_from_before_the_rollup_gets_it_built_when_opened(tmp_path: Path) -> None:
    facts = _store(tmp_path)
    expected = rollup_rows(facts)
    assert all(expected)
    for dropped in ((rollup.MONTHLY,), ROLLUPS):  # from before the monthly one, or both
        with duckdb.connect(str(facts.path)) as con:
            con.execute(f"DROP VIEW {rollup.ROLLED}")  # from before the view of both, too
            for table in dropped:
                con.execute(f"DROP TABLE {table}")
        reopened = DuckDBFacts(facts.path)
        assert rollup_rows(reopened) == expected
    for date_bin in ("week", "month"):
        spec = ReportSpec(FIRST, LAST, date_bin=date_bin, group_by=("resource",))
        assert outcome(run_report(reopened, spec, TAGS, today=TODAY)) == outcome(
            run_report(reopened, spec, TAGS, today=TODAY, raw=True)
        )


def test_rollup_days_are_midnights_of_the_cost_rows_days(tmp_path: Path) -> None:
    facts = _store(tmp_path)
    days = facts.query(f"SELECT DISTINCT ts FROM {rollup.TABLE}").rows
    assert days and all(ts == datetime.combine(ts.date(), time()) for (ts,) in days)
    raw_days = facts.query("SELECT DISTINCT CAST(CAST(ts AS DATE) AS TIMESTAMP) FROM cost_rows")
    assert sorted(days) == sorted(raw_days.rows)


def test_a_copy_appended_in_batches_has_the_rollups_of_a_rebuild_once_committed(
    tmp_path: Path,
) -> None:
    (tmp_path / "source").mkdir()
    source = _store(tmp_path / "source")
    target = DuckDBFacts(tmp_path / "target.duckdb")
    for batch in source.batches("acme"):
        target.append("acme", pa.Table.from_batches([batch]))
    target.commit_copy()
    assert rollup_rows(target) == rebuilt(target) == rollup_rows(source)
