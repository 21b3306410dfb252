"""ClickHouse (chDB) fact store: the window replace's promise, exact money, the dialect layer."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from outlay.costrows import SCHEMA
from outlay.errors import InputError
from outlay.ingest.windows import day_start_ms
from outlay.report.dialect import CLICKHOUSE
from outlay.report.run import run_report
from outlay.report.spec import ReportSpec
from outlay.report.tags import TagSet
from outlay.store.clickhouse import ClickHouseFacts
from tests.fakes import chdb_url

pytestmark = pytest.mark.storage

DAY = 86_400_000


def rows(account: str, stamps_ms: list[int], cost: str) -> pa.Table:
    """One usage row per stamp, each costing ``cost`` USD."""
    n = len(stamps_ms)
    columns: dict[str, pa.Array] = {name: pa.nulls(n, field.type) for name, field in
                                    zip(SCHEMA.names, SCHEMA, strict=True)}  # fmt: skip
    columns["provider"] = pa.array(["cursor"] * n)
    columns["account"] = pa.array([account] * n)
    columns["ts"] = pa.array(stamps_ms, pa.timestamp("ms"))
    columns["service"] = pa.array(["Cursor"] * n)
    columns["category"] = pa.array(["Usage"] * n)
    columns["cost"] = pa.array([Decimal(cost)] * n, SCHEMA.field("cost").type)
    columns["event_count"] = pa.array([1] * n, pa.int8())
    return pa.table(columns, schema=SCHEMA)


def store(tmp_path: Path, **options: float) -> ClickHouseFacts:
    return ClickHouseFacts(chdb_url(tmp_path), tmp_path / "staging", **options)


def replace(facts: ClickHouseFacts, start_ms: int, end_ms: int, table: pa.Table) -> None:
    with facts.stage("acme") as staged:
        staged.add(table)
        facts.replace_window("acme", start_ms, end_ms, staged)


def total(facts: ClickHouseFacts) -> tuple[Decimal, int]:
    found = facts.query("SELECT sum(cost), count(*) FROM cost_rows WHERE account = ?", ["acme"])
    cost, count = found.rows[0]
    return Decimal(cost or 0), int(count)


def reported(facts: ClickHouseFacts, date_bin: str) -> Decimal:
    """The total cost of a report binned by ``date_bin`` (day: the daily rollup; month: March's
    monthly rows beside April's daily ones)."""
    spec = ReportSpec(date(2026, 3, 1), date(2026, 4, 20), date_bin=date_bin)
    return Decimal(run_report(facts, spec, TagSet(()), today=date(2026, 4, 20)).totals[""])


def test_a_reader_sees_a_window_whole_before_or_after_a_replace_never_between(
    tmp_path: Path,
) -> None:
    facts = store(tmp_path)
    first = day_start_ms(date(2026, 3, 1))
    # The window starts and ends mid-day and spans a month boundary (two partitions): the
    # rows before and after it on its edge days must survive every replace.
    start, end = first + 10 * 3_600_000, first + 40 * DAY + 5 * 3_600_000
    outside = rows("acme", [first + 3_600_000, end + 3_600_000], "7.0000000001")
    replace(facts, first, end + 2 * 3_600_000, outside)
    inside_a = rows("acme", [start + k * 7_100_000 for k in range(480)], "0.1234567891")
    inside_b = rows("acme", [start + k * 5_400_000 for k in range(600)], "0.0000000003")
    replace(facts, start, end, inside_a)
    before, after = total(facts), None
    replace(facts, start, end, inside_b)
    after = total(facts)
    assert before == (Decimal("14.0000000002") + 480 * Decimal("0.1234567891"), 482)
    assert after == (Decimal("14.0000000002") + 600 * Decimal("0.0000000003"), 602)
    assert reported(facts, "month") == reported(facts, "day") == after[0]
    seen: set[tuple[Decimal, int]] = set()
    seen_reports: set[tuple[str, Decimal]] = set()
    done = threading.Event()
    errors: list[BaseException] = []

    def read() -> None:
        try:
            while not done.is_set():
                seen.add(total(facts))
                seen_reports.update((b, reported(facts, b)) for b in ("month", "day"))
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(12):
            replace(facts, start, end, inside_a if n % 2 == 0 else inside_b)
    finally:
        done.set()
        reader.join()
    assert not errors
    assert len(seen) >= 1
    assert seen <= {before, after}, seen - {before, after}
    # Through the rollups too: days and months flip with the cost rows, in the same commit.
    whole = {(b, t[0]) for b in ("month", "day") for t in (before, after)}
    assert seen_reports and seen_reports <= whole, seen_reports - whole


def test_superseded_rows_are_collected_once_the_grace_period_passed(tmp_path: Path) -> None:
    facts = store(tmp_path, grace_s=0.0)
    first = day_start_ms(date(2026, 3, 1))
    for _ in range(3):
        replace(facts, first, first + 2 * DAY, rows("acme", [first + 1000, first + DAY], "1.5"))
    # The third replace collected the first's rows; the second's wait for the next one.
    assert facts.stored_rows() == 4
    assert total(facts) == (Decimal("3.0000000000"), 2)


def test_staged_rows_outside_the_window_join_the_rows_already_there(tmp_path: Path) -> None:
    facts = store(tmp_path)
    first = day_start_ms(date(2026, 3, 1))
    replace(facts, first + 5 * DAY, first + 6 * DAY, rows("acme", [first + 5 * DAY + 9], "1"))
    # As on DuckDB: only the window's rows go; a staged row past it is added, not replacing.
    replace(facts, first, first + DAY, rows("acme", [first + 3, first + 5 * DAY + 7], "2"))
    assert total(facts) == (Decimal("5.0000000000"), 3)


def test_seat_rows_survive_a_window_replace_and_are_replaced_on_their_own(
    tmp_path: Path,
) -> None:
    facts = store(tmp_path)
    first = day_start_ms(date(2026, 3, 1))
    seats = rows("acme", [first + 5], "40").set_column(
        SCHEMA.names.index("category"), "category", pa.array(["Seats"])
    )
    assert facts.replace_seats("acme", seats) == 1
    replace(facts, first, first + DAY, rows("acme", [first + 10], "2"))
    assert total(facts) == (Decimal("42.0000000000"), 2)
    assert facts.replace_seats("acme", seats.slice(0, 0)) == 0
    assert total(facts) == (Decimal("2.0000000000"), 1)
    assert facts.delete_account("acme") == 1
    assert total(facts) == (Decimal(0), 0)


def test_sums_are_exact_decimals_not_floats(tmp_path: Path) -> None:
    facts = store(tmp_path)
    first = day_start_ms(date(2026, 3, 1))
    replace(facts, first, first + DAY, rows("acme", [first + k for k in range(10)], "0.1"))
    result = facts.arrow("SELECT SUM(cost) AS c FROM cost_rows")
    assert pa.types.is_decimal(result.schema.field("c").type)
    assert result["c"][0].as_py() == Decimal("1.0000000000")


def test_a_query_over_its_time_limit_is_a_clear_input_error(tmp_path: Path) -> None:
    facts = store(tmp_path, timeout_s=0.2)
    with pytest.raises(InputError, match=r"longer than 0\.2 s"):
        facts.query("SELECT count(*) FROM numbers(100000000000)")


def test_the_dialect_binds_values_as_typed_literals_in_text_order() -> None:
    sql = CLICKHOUSE.translate(
        "SELECT '?' AS q, ? AS a, ? AS b, ? AS c FROM cost_rows WHERE ts >= ?",
        ["it's", Decimal("0.10"), 3, datetime(2026, 1, 2, 3, 4, 5)],
        database="x",
    )
    assert sql == (
        "SELECT '?' AS q, 'it\\'s' AS a, toDecimal128('0.10', 2) AS b, 3 AS c "
        "FROM x.cost_rows WHERE ts >= toDateTime64('2026-01-02 03:04:05.000', 3)"
    )


@settings(max_examples=60, deadline=None)
@given(st.text())
def test_any_text_value_reaches_clickhouse_unchanged(tmp_path_factory: pytest.TempPathFactory,
                                                    text: str) -> None:  # fmt: skip
    facts = store(tmp_path_factory.getbasetemp() / "text-values")
    assume("\x00" not in text)
    found = facts.query("SELECT ? AS s, ? = ? AS same", [text, text, text])
    assert found.rows == [(text, True)]


def test_the_dialect_keeps_case_insensitive_regex_and_decimal_literals() -> None:
    sql = CLICKHOUSE.translate(
        "SELECT trunc(cost * 3 * 0.000001, 10) FROM t WHERE regexp_matches(service, ?, 'i')",
        ["^cl"],
    )
    assert "match(service, '(?i)' || '^cl')" in sql
    assert "CAST('0.000001' AS Nullable(Decimal(38, 6)))" in sql
    assert "CAST(cost AS Nullable(Decimal(38, 10)))" in sql


def test_a_chdb_path_held_by_another_process_is_a_clear_busy_error(tmp_path: Path) -> None:
    store(tmp_path)  # this process holds the run's chDB folder
    code = (
        "import sys; from pathlib import Path; from outlay.store.clickhouse import ClickHouseFacts\n"
        "try:\n    ClickHouseFacts(sys.argv[1], Path(sys.argv[2]))\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, chdb_url(tmp_path), str(tmp_path / "staging")],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert done.stdout.startswith("StoreBusyError chDB cannot open"), done.stdout + done.stderr


def test_a_cli_report_on_chdb_exits_cleanly_every_time(tmp_path: Path) -> None:
    # Its own engine folder: chDB allows one process per folder, and this one is the CLI's.
    env = {"OUTLAY_DATA_DIR": str(tmp_path / "data"),
           "OUTLAY_FACTS_URL": f"chdb:///{tmp_path / 'engine'}", "PATH": ""}  # fmt: skip
    outlay = Path(sys.executable).with_name("outlay")
    for _ in range(4):  # the engine left to interpreter teardown crashed two runs in three
        done = subprocess.run(
            [str(outlay), "costs", "--interval", "last_30_days", "--format", "json"], env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-500:]
        assert "shutdown" not in done.stderr
